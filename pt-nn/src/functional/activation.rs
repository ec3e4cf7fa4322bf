//! Element-wise activations and softmax: thin calls into pt-core's native kernels.

use pt_core::{Result, Tensor};

/// `max(x, 0)` element-wise (`F.relu`).
///
/// # Errors
/// Bool or complex input.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    x.relu()
}

/// Exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))` (`F.gelu`, `approximate='none'`).
///
/// # Errors
/// Non-floating input.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    x.gelu()
}

/// GELU with the tanh approximation (`F.gelu(x, approximate='tanh')`).
///
/// # Errors
/// Non-floating input.
pub fn gelu_tanh(x: &Tensor) -> Result<Tensor> {
    x.gelu_tanh()
}

/// SiLU, `x · sigmoid(x)` (`F.silu`).
///
/// # Errors
/// Non-floating input.
pub fn silu(x: &Tensor) -> Result<Tensor> {
    x.silu()
}

/// Softmax along `dim` (negative counts from the end), computed stably.
///
/// # Errors
/// Non-floating input or a dimension out of range.
pub fn softmax(x: &Tensor, dim: isize) -> Result<Tensor> {
    x.softmax(dim)
}

/// `log(softmax(x, dim))` (`F.log_softmax`).
///
/// # Errors
/// Non-floating input or a dimension out of range.
pub fn log_softmax(x: &Tensor, dim: isize) -> Result<Tensor> {
    x.log_softmax(dim)
}

/// The error function of one `f64`, accurate to about 1e-15 (the element-wise form is
/// [`Tensor::erf`]).
pub fn erf(x: f64) -> f64 {
    Tensor::scalar(x)
        .erf()
        .and_then(|t| t.item::<f64>())
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_reference_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.5, 0.999_999_256_901_627_7),
            (-1.0, -0.842_700_792_949_714_9),
        ] {
            assert!((erf(x) - want).abs() < 1e-14, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn softmax_rows_sum_to_one() {
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 0.0, 0.0, 0.0], &[2, 3]).unwrap();
        let s = softmax(&x, -1).unwrap().to_vec::<f32>().unwrap();
        assert!((s[0] + s[1] + s[2] - 1.0).abs() < 1e-6);
        assert!((s[3] - 1.0 / 3.0).abs() < 1e-6);
        let r = relu(&Tensor::from_slice_1d(&[-1.0f64, 2.0])).unwrap();
        assert_eq!(r.to_vec::<f64>().unwrap(), vec![0.0, 2.0]);
    }
}
