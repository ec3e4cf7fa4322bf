//! `F.conv1d` and `F.conv2d`: thin calls into pt-core's convolution kernels.

use pt_core::{Result, Tensor};

pub use pt_core::ops::{Conv1dOptions, Conv2dOptions};

/// 2-D cross-correlation (`F.conv2d`): `x` is `(N, C, H, W)` or `(C, H, W)`, `weight`
/// `(O, C/groups, kh, kw)`, `bias` `(O,)`. Computes in the input's dtype.
///
/// # Errors
/// Shape mismatches (channels, groups, a kernel larger than the padded input), zero
/// stride/dilation/groups, mixed or non-floating dtypes.
pub fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    opts: Conv2dOptions,
) -> Result<Tensor> {
    x.conv2d(weight, bias, opts)
}

/// 1-D cross-correlation (`F.conv1d`): `x` is `(N, C, L)` or `(C, L)`, `weight`
/// `(O, C/groups, k)`, `bias` `(O,)`.
///
/// # Errors
/// As [`conv2d`].
pub fn conv1d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    opts: Conv1dOptions,
) -> Result<Tensor> {
    x.conv1d(weight, bias, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_3x3_sum() {
        let x = Tensor::from_vec(vec![1.0f32; 9], &[1, 1, 3, 3]).unwrap();
        let w = Tensor::from_vec(vec![1.0f32; 9], &[1, 1, 3, 3]).unwrap();
        let opts = Conv2dOptions {
            padding: (1, 1),
            ..Conv2dOptions::default()
        };
        let y = conv2d(&x, &w, None, opts).unwrap();
        assert_eq!(y.shape(), &[1, 1, 3, 3]);
        assert_eq!(
            y.to_vec::<f32>().unwrap(),
            vec![4.0, 6.0, 4.0, 6.0, 9.0, 6.0, 4.0, 6.0, 4.0]
        );
    }
}
