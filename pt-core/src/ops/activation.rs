//! Floating activations and softmax on native dtypes: `gelu`, `gelu_tanh`, `silu`,
//! `sigmoid`, `tanh`, `exp`, `relu`, `softmax`, `log_softmax`.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::gemm::GemmFloat;
use crate::kernels::math::Transcendental;
use crate::kernels::simd::dispatch;
use crate::kernels::threads::{for_each_chunk, for_each_row_block};
use crate::kernels::{Input, Real, finish, with_real};
use crate::tensor::Tensor;

/// Elements per parallel task of an element-wise op.
const CHUNK: usize = 1 << 15;

/// True for the dtypes these kernels compute natively.
pub(crate) fn is_real(d: DType) -> bool {
    matches!(d, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
}

/// `f` applied to every element, into a new contiguous tensor of the same dtype.
pub(crate) fn unary<T: Real, F: Fn(T) -> T + Sync + Send>(
    x: &Tensor,
    op: &'static str,
    cost: usize,
    f: F,
) -> Result<Tensor> {
    let n = x.numel();
    let xi = Input::<T>::of(x, false, op)?;
    let src = xi.contiguous(n);
    let mut out = vec![T::ZERO; n];
    for_each_chunk(&mut out, CHUNK, n * cost, |i, dst| {
        let s = &src[i * CHUNK..][..dst.len()];
        dispatch(|| {
            for (o, &v) in dst.iter_mut().zip(s) {
                *o = f(v);
            }
        });
    });
    drop(xi);
    finish(out, x.shape(), x.dtype())
}

/// Runs a unary kernel for a floating tensor: `$f` is an expression in `$v: T`.
macro_rules! real_map {
    ($x:expr, $op:expr, $cost:expr, |$v:ident| $f:expr) => {
        with_real!($x.dtype(), $op, |T| $crate::ops::activation::unary::<T, _>(
            $x,
            $op,
            $cost,
            |$v: T| $f
        ))
    };
}
pub(crate) use real_map;

fn float_only(x: &Tensor, op: &'static str) -> Result<()> {
    if is_real(x.dtype()) {
        Ok(())
    } else {
        Err(crate::kernels::not_implemented(op, x.dtype()))
    }
}

/// The dimension index of a possibly negative `dim`.
pub(crate) fn normalize_dim(dim: isize, rank: usize, op: &'static str) -> Result<usize> {
    let r = rank.max(1) as isize;
    let d = if dim < 0 { dim + r } else { dim };
    if (0..r).contains(&d) {
        Ok(d as usize)
    } else {
        Err(Error::argument(
            op,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -r,
                r - 1
            ),
        ))
    }
}

/// Softmax (or log-softmax) along `axis` of a contiguous `outer × n × inner` layout.
fn softmax_kernel<T: Real>(x: &Tensor, axis: usize, log: bool, op: &'static str) -> Result<Tensor> {
    let shape: Vec<usize> = if x.dim() == 0 {
        vec![1]
    } else {
        x.shape().to_vec()
    };
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let total = x.numel();
    let xi = Input::<T>::of(x, false, op)?;
    let src = xi.contiguous(total);
    let mut out = vec![T::ZERO; total];
    let block = n * inner;
    if block > 0 {
        for_each_row_block(&mut out, block, total * 8, |b0, dst| {
            dispatch(|| {
                for (bi, o) in dst.chunks_exact_mut(block).enumerate() {
                    let s = &src[(b0 + bi) * block..][..block];
                    if inner == 1 {
                        softmax_row(s, o, log);
                    } else {
                        softmax_strided(s, o, n, inner, log);
                    }
                }
            });
        });
    }
    drop(xi);
    finish(out, x.shape(), x.dtype())
}

#[inline(always)]
fn softmax_row<T: Real>(s: &[T], o: &mut [T], log: bool) {
    let mut max = T::NEG_INFINITY;
    for &v in s {
        max = if v > max { v } else { max };
    }
    if max == T::NEG_INFINITY || max.is_nan_r() {
        // All -inf gives NaN in PyTorch; NaN propagates.
        max = T::ZERO;
    }
    let mut acc = [T::ZERO; 8];
    let mut chunks = o.chunks_exact_mut(8);
    let mut sc = s.chunks_exact(8);
    for (oc, ic) in (&mut chunks).zip(&mut sc) {
        for l in 0..8 {
            let e = (ic[l] - max).exp_k();
            oc[l] = e;
            acc[l] += e;
        }
    }
    let mut sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (o, &v) in chunks.into_remainder().iter_mut().zip(sc.remainder()) {
        let e = (v - max).exp_k();
        *o = e;
        sum += e;
    }
    if log {
        let shift = max + sum.ln();
        for (o, &v) in o.iter_mut().zip(s) {
            *o = v - shift;
        }
    } else {
        let inv = T::ONE / sum;
        for o in o.iter_mut() {
            *o *= inv;
        }
    }
}

fn softmax_strided<T: Real>(s: &[T], o: &mut [T], n: usize, inner: usize, log: bool) {
    let mut max = vec![T::NEG_INFINITY; inner];
    for k in 0..n {
        for (m, &v) in max.iter_mut().zip(&s[k * inner..][..inner]) {
            *m = if v > *m { v } else { *m };
        }
    }
    for m in max.iter_mut() {
        if *m == T::NEG_INFINITY || m.is_nan_r() {
            *m = T::ZERO;
        }
    }
    let mut sum = vec![T::ZERO; inner];
    for k in 0..n {
        let row = &mut o[k * inner..][..inner];
        for (((o, &v), &m), sm) in row
            .iter_mut()
            .zip(&s[k * inner..][..inner])
            .zip(&max)
            .zip(sum.iter_mut())
        {
            let e = (v - m).exp_k();
            *o = e;
            *sm += e;
        }
    }
    for k in 0..n {
        let row = &mut o[k * inner..][..inner];
        if log {
            for (((o, &v), &m), &sm) in row
                .iter_mut()
                .zip(&s[k * inner..][..inner])
                .zip(&max)
                .zip(&sum)
            {
                *o = v - (m + sm.ln());
            }
        } else {
            for (o, &sm) in row.iter_mut().zip(&sum) {
                *o = *o / sm;
            }
        }
    }
}

impl Tensor {
    /// Exact GELU, `x · Φ(x)` (`F.gelu`, `approximate='none'`).
    ///
    /// # Errors
    /// [`Error::DType`] for non-floating tensors.
    pub fn gelu(&self) -> Result<Tensor> {
        float_only(self, "gelu")?;
        real_map!(self, "gelu", 16, |v| {
            // x/2 · erfc(-x/√2): accurate relative to the (tiny) result for large negative x.
            let h = T::from_f64_lossy(0.5) * v;
            h * (-v * T::from_f64_lossy(std::f64::consts::FRAC_1_SQRT_2)).erfc_k()
        })
    }

    /// GELU with the tanh approximation (`F.gelu(x, approximate='tanh')`).
    ///
    /// # Errors
    /// [`Error::DType`] for non-floating tensors.
    pub fn gelu_tanh(&self) -> Result<Tensor> {
        float_only(self, "gelu")?;
        real_map!(self, "gelu", 16, |v| {
            let k = T::from_f64_lossy((2.0 / std::f64::consts::PI).sqrt());
            let inner = k * (v + T::from_f64_lossy(0.044_715) * v * v * v);
            T::from_f64_lossy(0.5) * v * (T::ONE + inner.tanh_k())
        })
    }

    /// The error function element-wise (`torch.erf`).
    ///
    /// # Errors
    /// [`Error::DType`] for non-floating tensors.
    pub fn erf(&self) -> Result<Tensor> {
        float_only(self, "erf")?;
        real_map!(self, "erf", 12, |v| v.erf_k())
    }

    /// SiLU / swish, `x · sigmoid(x)` (`F.silu`).
    ///
    /// # Errors
    /// [`Error::DType`] for non-floating tensors.
    pub fn silu(&self) -> Result<Tensor> {
        float_only(self, "silu")?;
        real_map!(self, "silu", 12, |v| v / (T::ONE + (-v).exp_k()))
    }

    /// Softmax along `dim` (negative counts from the end), computed stably in the input's
    /// dtype (f16/bf16 through f32).
    ///
    /// # Errors
    /// [`Error::DType`] for non-floating tensors; [`Error::Argument`] for a bad `dim`.
    pub fn softmax(&self, dim: isize) -> Result<Tensor> {
        float_only(self, "softmax")?;
        let axis = normalize_dim(dim, self.dim(), "softmax")?;
        with_real!(self.dtype(), "softmax", |T| softmax_kernel::<T>(
            self, axis, false, "softmax"
        ))
    }

    /// `log(softmax(self, dim))`, computed as `x - max - log Σ exp(x - max)`.
    ///
    /// # Errors
    /// As [`Tensor::softmax`].
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor> {
        float_only(self, "log_softmax")?;
        let axis = normalize_dim(dim, self.dim(), "log_softmax")?;
        with_real!(self.dtype(), "log_softmax", |T| softmax_kernel::<T>(
            self,
            axis,
            true,
            "log_softmax"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_along_any_dim() {
        let x = Tensor::from_vec(
            (0..24)
                .map(|i| f64::from(i) * 0.37 - 3.0)
                .collect::<Vec<_>>(),
            &[2, 3, 4],
        )
        .unwrap();
        for dim in [-1isize, 1, 0] {
            let s = x.softmax(dim).unwrap();
            let sums = s.sum_dim(dim, false).unwrap().to_vec::<f64>().unwrap();
            assert!(sums.iter().all(|v| (v - 1.0).abs() < 1e-12), "{dim}");
            let l = x.log_softmax(dim).unwrap().exp().unwrap();
            let d = l.sub(&s).unwrap().abs().unwrap().to_vec::<f64>().unwrap();
            assert!(d.iter().all(|v| *v < 1e-12));
        }
        let f = x.to_dtype(DType::F32).unwrap().softmax(-1).unwrap();
        assert_eq!(f.dtype(), DType::F32);
        assert!(x.softmax(3).is_err());
        assert!(Tensor::arange(0, 3).unwrap().softmax(0).is_err());
        let inf = Tensor::from_slice_1d(&[f32::NEG_INFINITY, 0.0]);
        assert_eq!(inf.softmax(0).unwrap().to_vec::<f32>().unwrap(), [0.0, 1.0]);
    }

    #[test]
    fn activations_match_f64_formulas() {
        let xs: Vec<f32> = (-80..80).map(|i| i as f32 * 0.11).collect();
        let x = Tensor::from_slice_1d(&xs);
        let g = x.gelu().unwrap().to_vec::<f32>().unwrap();
        let s = x.silu().unwrap().to_vec::<f32>().unwrap();
        for ((&v, &gv), &sv) in xs.iter().zip(&g).zip(&s) {
            let v = f64::from(v);
            let want = 0.5 * v * (1.0 + crate::kernels::math::erf_f64(v / 2f64.sqrt()));
            assert!((f64::from(gv) - want).abs() < 1e-6 + 1e-5 * want.abs());
            let want = v / (1.0 + (-v).exp());
            assert!((f64::from(sv) - want).abs() < 1e-6 + 1e-5 * want.abs());
        }
        assert_eq!(x.gelu_tanh().unwrap().dtype(), DType::F32);
        assert!(Tensor::arange(0, 3).unwrap().gelu().is_err());
    }
}
