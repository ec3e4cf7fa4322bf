//! `F.conv2d`.

use pt_core::{Error, Result, Tensor};

use super::dense::{Dense, to_tensor};

/// Stride, padding, dilation (each `(h, w)`) and groups of a 2-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between windows.
    pub stride: (usize, usize),
    /// Zeros added on each side.
    pub padding: (usize, usize),
    /// Spacing between kernel taps.
    pub dilation: (usize, usize),
    /// Channel groups; input and output channels must be multiples of it.
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Conv2dOptions {
        Conv2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

/// 2-D cross-correlation (`F.conv2d`): `x` is `(N, C, H, W)` or `(C, H, W)`, `weight`
/// `(O, C/groups, kh, kw)`, `bias` `(O,)`.
///
/// # Errors
/// Shape mismatches (channels, groups, a kernel larger than the padded input), zero
/// stride/dilation/groups, non-floating tensors.
pub fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    opts: Conv2dOptions,
) -> Result<Tensor> {
    const OP: &str = "conv2d";
    let xd = Dense::of(x, OP)?;
    let w = Dense::of(weight, OP)?;
    let batched = match xd.shape.len() {
        4 => true,
        3 => false,
        _ => {
            return Err(Error::shape(
                OP,
                format!("expected a 3-D or 4-D input, got {:?}", xd.shape),
            ));
        }
    };
    let (n, c, h, wd) = if batched {
        (xd.shape[0], xd.shape[1], xd.shape[2], xd.shape[3])
    } else {
        (1, xd.shape[0], xd.shape[1], xd.shape[2])
    };
    let [o, cg, kh, kw] = w.shape[..] else {
        return Err(Error::shape(
            OP,
            format!(
                "weight must be 4-D (out, in/groups, kh, kw), got {:?}",
                w.shape
            ),
        ));
    };
    let Conv2dOptions {
        stride: (sh, sw),
        padding: (ph, pw),
        dilation: (dh, dw),
        groups: g,
    } = opts;
    if sh == 0 || sw == 0 || dh == 0 || dw == 0 || g == 0 {
        return Err(Error::argument(
            OP,
            "stride, dilation and groups must be positive",
        ));
    }
    if c != cg * g || o % g != 0 {
        return Err(Error::shape(
            OP,
            format!(
                "input has {c} channels and weight {:?} with groups={g}: expected {} input channels and out channels divisible by {g}",
                w.shape,
                cg * g
            ),
        ));
    }
    let span_h = dh * (kh.max(1) - 1) + 1;
    let span_w = dw * (kw.max(1) - 1) + 1;
    if h + 2 * ph < span_h || wd + 2 * pw < span_w || kh == 0 || kw == 0 {
        return Err(Error::shape(
            OP,
            format!(
                "kernel {kh}x{kw} (dilation {dh}x{dw}) is larger than the padded input {}x{}",
                h + 2 * ph,
                wd + 2 * pw
            ),
        ));
    }
    let oh = (h + 2 * ph - span_h) / sh + 1;
    let ow = (wd + 2 * pw - span_w) / sw + 1;
    let b = Dense::vector(bias, o, OP, "bias")?;
    let og = o / g;
    let mut out = vec![0.0; n * o * oh * ow];
    for ni in 0..n {
        for oc in 0..o {
            let group = oc / og;
            let base = b.as_ref().map_or(0.0, |b| b[oc]);
            for y in 0..oh {
                for xo in 0..ow {
                    let mut acc = base;
                    for ic in 0..cg {
                        let cin = group * cg + ic;
                        for ky in 0..kh {
                            let iy = (y * sh + ky * dh).wrapping_sub(ph);
                            if iy >= h {
                                continue;
                            }
                            for kx in 0..kw {
                                let ix = (xo * sw + kx * dw).wrapping_sub(pw);
                                if ix >= wd {
                                    continue;
                                }
                                let xv = xd.data[((ni * c + cin) * h + iy) * wd + ix];
                                let wv = w.data[((oc * cg + ic) * kh + ky) * kw + kx];
                                acc += xv * wv;
                            }
                        }
                    }
                    out[((ni * o + oc) * oh + y) * ow + xo] = acc;
                }
            }
        }
    }
    let shape = if batched {
        vec![n, o, oh, ow]
    } else {
        vec![o, oh, ow]
    };
    to_tensor(out, &shape, xd.dtype)
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
