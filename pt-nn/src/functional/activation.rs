//! Element-wise activations and softmax.

use pt_core::{Error, Result, Tensor};

use super::dense::{Dense, to_tensor};

fn map(x: &Tensor, op: &'static str, f: impl Fn(f64) -> f64) -> Result<Tensor> {
    let d = Dense::of(x, op)?;
    let data = d.data.into_iter().map(f).collect();
    to_tensor(data, &d.shape, d.dtype)
}

/// `max(x, 0)` element-wise (`F.relu`).
///
/// # Errors
/// Non-floating input.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    map(x, "relu", |v| if v > 0.0 || v.is_nan() { v } else { 0.0 })
}

/// Exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))` (`F.gelu`, `approximate='none'`).
///
/// # Errors
/// Non-floating input.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    map(x, "gelu", |v| {
        0.5 * v * (1.0 + erf(v * std::f64::consts::FRAC_1_SQRT_2))
    })
}

/// GELU with the tanh approximation (`F.gelu(x, approximate='tanh')`).
///
/// # Errors
/// Non-floating input.
pub fn gelu_tanh(x: &Tensor) -> Result<Tensor> {
    let k = (2.0 / std::f64::consts::PI).sqrt();
    map(x, "gelu", |v| {
        0.5 * v * (1.0 + (k * (v + 0.044_715 * v * v * v)).tanh())
    })
}

/// Softmax along `dim` (negative counts from the end), computed stably.
///
/// # Errors
/// Non-floating input or a dimension out of range.
pub fn softmax(x: &Tensor, dim: isize) -> Result<Tensor> {
    let d = Dense::of(x, "softmax")?;
    let rank = d.shape.len().max(1);
    let axis = normalize_dim(dim, rank, "softmax")?;
    let shape = if d.shape.is_empty() {
        vec![1]
    } else {
        d.shape.clone()
    };
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut out = d.data;
    for o in 0..outer {
        for i in 0..inner {
            let idx = |k: usize| (o * n + k) * inner + i;
            let max = (0..n)
                .map(|k| out[idx(k)])
                .fold(f64::NEG_INFINITY, f64::max);
            let mut sum = 0.0;
            for k in 0..n {
                let e = (out[idx(k)] - max).exp();
                out[idx(k)] = e;
                sum += e;
            }
            for k in 0..n {
                out[idx(k)] /= sum;
            }
        }
    }
    to_tensor(out, &d.shape, d.dtype)
}

/// A dimension index in `0..rank` from a possibly negative one.
pub(crate) fn normalize_dim(dim: isize, rank: usize, op: &'static str) -> Result<usize> {
    let r = isize::try_from(rank).map_err(|_| Error::argument(op, "rank too large"))?;
    let d = if dim < 0 { dim + r } else { dim };
    if (0..r).contains(&d) {
        Ok(d.unsigned_abs())
    } else {
        Err(Error::argument(
            op,
            format!("dimension {dim} out of range for a tensor of rank {rank}"),
        ))
    }
}

/// The error function, accurate to about 1e-15: a Taylor series near zero and a
/// continued fraction for `erfc` in the tails.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let r = if a < 3.0 {
        // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
        let x2 = a * a;
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() || n > 100.0 {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else if a > 6.0 {
        1.0
    } else {
        1.0 - erfc_cf(a)
    };
    if x < 0.0 { -r } else { r }
}

/// erfc(x) for x ≥ 3 by the continued fraction
/// erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards.
fn erfc_cf(x: f64) -> f64 {
    let mut f = x;
    for k in (1..60).rev() {
        f = x + (f64::from(k) / 2.0) / f;
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_reference_values() {
        // Values from high-precision tables.
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
