//! `layer_norm`, `batch_norm` and `group_norm` on native floating dtypes. Statistics are
//! two-pass (mean, then centred squares) with eight accumulator lanes, so rows vectorise and
//! stay within PyTorch's rounding.

use crate::error::{Error, Result};
use crate::kernels::simd::dispatch;
use crate::kernels::threads::for_each_row_block;
use crate::kernels::{Input, Real, finish, with_real};
use crate::ops::activation::is_real;
use crate::ops::native::{read_as, write_from};
use crate::tensor::Tensor;

/// Arguments of [`Tensor::batch_norm`] (`F.batch_norm`).
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchNormArgs<'a> {
    /// Per-channel running mean: read in eval, updated in place in training.
    pub running_mean: Option<&'a Tensor>,
    /// Per-channel running (unbiased) variance: read in eval, updated in place in training.
    pub running_var: Option<&'a Tensor>,
    /// Per-channel scale.
    pub weight: Option<&'a Tensor>,
    /// Per-channel shift.
    pub bias: Option<&'a Tensor>,
    /// Normalise with batch statistics (and update the running ones).
    pub training: bool,
    /// Weight of the batch statistics in the running update.
    pub momentum: f64,
    /// Added to the variance.
    pub eps: f64,
}

/// Sum with eight lanes (vectorises; pairwise at the end).
#[inline(always)]
fn lane_sum<T: Real>(xs: &[T], f: impl Fn(T) -> T) -> T {
    let mut acc = [T::ZERO; 8];
    let mut it = xs.chunks_exact(8);
    for c in &mut it {
        for l in 0..8 {
            acc[l] += f(c[l]);
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in it.remainder() {
        s += f(v);
    }
    s
}

/// Mean and biased variance of a slice.
#[inline(always)]
fn moments<T: Real>(xs: &[T]) -> (T, T) {
    let n = T::from_f64_lossy(xs.len() as f64);
    let mean = lane_sum(xs, |v| v) / n;
    let var = lane_sum(xs, |v| (v - mean) * (v - mean)) / n;
    (mean, var)
}

fn check_vec(t: Option<&Tensor>, n: usize, op: &'static str, what: &str) -> Result<()> {
    if let Some(t) = t
        && t.numel() != n
    {
        return Err(Error::shape(
            op,
            format!("{what} has shape {:?}, expected {n} elements", t.shape()),
        ));
    }
    Ok(())
}

fn float_only(x: &Tensor, op: &'static str) -> Result<()> {
    if is_real(x.dtype()) {
        Ok(())
    } else {
        Err(crate::kernels::not_implemented(op, x.dtype()))
    }
}

/// An optional per-element parameter as a compute-type vector (parameters are small; a
/// typed copy is cheaper than a second lock).
fn param<T: Real>(t: Option<&Tensor>, op: &'static str) -> Result<Option<Vec<T>>> {
    t.map(|t| read_as::<T>(t, op)).transpose()
}

fn layer_norm_kernel<T: Real>(
    x: &Tensor,
    m: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "layer_norm";
    let w = param::<T>(weight, OP)?;
    let b = param::<T>(bias, OP)?;
    let total = x.numel();
    let xi = Input::<T>::of(x, false, OP)?;
    let src = xi.contiguous(total);
    let mut out = vec![T::ZERO; total];
    let eps = T::from_f64_lossy(eps);
    if m > 0 {
        for_each_row_block(&mut out, m, total * 4, |r0, dst| {
            dispatch(|| {
                for (ri, o) in dst.chunks_exact_mut(m).enumerate() {
                    let s = &src[(r0 + ri) * m..][..m];
                    let (mean, var) = moments(s);
                    let rstd = T::ONE / (var + eps).sqrt();
                    match (&w, &b) {
                        (Some(w), Some(b)) => {
                            for (((o, &v), &g), &bb) in o.iter_mut().zip(s).zip(w).zip(b) {
                                *o = (v - mean) * rstd * g + bb;
                            }
                        }
                        _ => {
                            for (j, (o, &v)) in o.iter_mut().zip(s).enumerate() {
                                let g = w.as_ref().map_or(T::ONE, |w| w[j]);
                                let bb = b.as_ref().map_or(T::ZERO, |b| b[j]);
                                *o = (v - mean) * rstd * g + bb;
                            }
                        }
                    }
                }
            });
        });
    }
    drop(xi);
    finish(out, x.shape(), x.dtype())
}

/// `y = x · scale[c] + shift[c]` over an `(N, C, inner)` layout.
fn affine_channels<T: Real>(
    x: &Tensor,
    c: usize,
    inner: usize,
    scale: &[T],
    shift: &[T],
    op: &'static str,
) -> Result<Tensor> {
    let total = x.numel();
    let xi = Input::<T>::of(x, false, op)?;
    let src = xi.contiguous(total);
    let mut out = vec![T::ZERO; total];
    if inner > 0 && c > 0 {
        for_each_row_block(&mut out, inner, total * 2, |r0, dst| {
            dispatch(|| {
                for (ri, o) in dst.chunks_exact_mut(inner).enumerate() {
                    let row = r0 + ri;
                    let (a, b) = (scale[row % c], shift[row % c]);
                    for (o, &v) in o.iter_mut().zip(&src[row * inner..][..inner]) {
                        *o = v * a + b;
                    }
                }
            });
        });
    }
    drop(xi);
    finish(out, x.shape(), x.dtype())
}

fn batch_norm_kernel<T: Real>(x: &Tensor, args: BatchNormArgs<'_>) -> Result<Tensor> {
    const OP: &str = "batch_norm";
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let inner: usize = x.shape()[2..].iter().product();
    let count = n * inner;
    let (mean, var): (Vec<f64>, Vec<f64>) = if args.training {
        if count <= 1 {
            return Err(Error::argument(
                OP,
                format!(
                    "Expected more than 1 value per channel when training, got input size {:?}",
                    x.shape()
                ),
            ));
        }
        // Batch statistics in f64 (per channel, across the batch).
        let xi = Input::<T>::of(x, false, OP)?;
        let src = xi.contiguous(x.numel());
        let mut mean = vec![0.0; c];
        let mut var = vec![0.0; c];
        for ci in 0..c {
            let rows = (0..n).map(|ni| &src[(ni * c + ci) * inner..][..inner]);
            let s: f64 = rows.clone().map(|r| lane_sum(r, |v| v).as_f64()).sum();
            let m = s / count as f64;
            let mt = T::from_f64_lossy(m);
            let q: f64 = rows
                .map(|r| lane_sum(r, |v| (v - mt) * (v - mt)).as_f64())
                .sum();
            mean[ci] = m;
            var[ci] = q / count as f64;
        }
        drop(xi);
        if let (Some(rm), Some(rv)) = (args.running_mean, args.running_var) {
            let corr = count as f64 / (count - 1) as f64;
            update(rm, &mean, args.momentum, 1.0)?;
            update(rv, &var, args.momentum, corr)?;
        }
        (mean, var)
    } else {
        let (Some(rm), Some(rv)) = (args.running_mean, args.running_var) else {
            return Err(Error::argument(
                OP,
                "running_mean and running_var are needed in eval mode",
            ));
        };
        (read_as::<f64>(rm, OP)?, read_as::<f64>(rv, OP)?)
    };
    let w = args.weight.map(|t| read_as::<f64>(t, OP)).transpose()?;
    let b = args.bias.map(|t| read_as::<f64>(t, OP)).transpose()?;
    let mut scale = Vec::with_capacity(c);
    let mut shift = Vec::with_capacity(c);
    for ci in 0..c {
        let inv = 1.0 / (var[ci] + args.eps).sqrt();
        let g = w.as_ref().map_or(1.0, |w| w[ci]) * inv;
        scale.push(T::from_f64_lossy(g));
        shift.push(T::from_f64_lossy(
            b.as_ref().map_or(0.0, |b| b[ci]) - mean[ci] * g,
        ));
    }
    affine_channels(x, c, inner, &scale, &shift, OP)
}

/// `stat = (1 - momentum) · stat + momentum · batch · correction`, in place.
fn update(stat: &Tensor, batch: &[f64], momentum: f64, correction: f64) -> Result<()> {
    let old = read_as::<f64>(stat, "batch_norm")?;
    let new: Vec<f64> = old
        .iter()
        .zip(batch)
        .map(|(o, b)| (1.0 - momentum) * o + momentum * b * correction)
        .collect();
    write_from(stat, &new, "batch_norm")
}

fn group_norm_kernel<T: Real>(
    x: &Tensor,
    groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "group_norm";
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let inner: usize = x.shape()[2..].iter().product();
    let cg = c / groups;
    let w = param::<f64>(weight, OP)?;
    let b = param::<f64>(bias, OP)?;
    let mut scale = vec![T::ZERO; n * c];
    let mut shift = vec![T::ZERO; n * c];
    {
        let xi = Input::<T>::of(x, false, OP)?;
        let src = xi.contiguous(x.numel());
        for ni in 0..n {
            for gi in 0..groups {
                let s = &src[(ni * c + gi * cg) * inner..][..cg * inner];
                let (mean, var) = dispatch(|| moments(s));
                let (mean, var) = (mean.as_f64(), var.as_f64());
                let inv = 1.0 / (var + eps).sqrt();
                for ci in gi * cg..(gi + 1) * cg {
                    let g = w.as_ref().map_or(1.0, |w| w[ci]) * inv;
                    scale[ni * c + ci] = T::from_f64_lossy(g);
                    shift[ni * c + ci] =
                        T::from_f64_lossy(b.as_ref().map_or(0.0, |b| b[ci]) - mean * g);
                }
            }
        }
    }
    affine_channels(x, n * c, inner, &scale, &shift, OP)
}

impl Tensor {
    /// Layer normalisation over the trailing `normalized_shape` dimensions
    /// (`F.layer_norm`), biased variance, optional elementwise `weight` and `bias` of that
    /// shape.
    ///
    /// # Errors
    /// [`Error::Shape`] if the input does not end with `normalized_shape` or the parameters
    /// have the wrong size; [`Error::DType`] for non-floating input.
    pub fn layer_norm(
        &self,
        normalized_shape: &[usize],
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        const OP: &str = "layer_norm";
        float_only(self, OP)?;
        let k = normalized_shape.len();
        if self.dim() < k || self.shape()[self.dim() - k..] != *normalized_shape {
            return Err(Error::shape(
                OP,
                format!(
                    "input {:?} does not end with normalized_shape {normalized_shape:?}",
                    self.shape()
                ),
            ));
        }
        let m: usize = normalized_shape.iter().product();
        check_vec(weight, m, OP, "weight")?;
        check_vec(bias, m, OP, "bias")?;
        with_real!(self.dtype(), OP, |T| layer_norm_kernel::<T>(
            self, m, weight, bias, eps
        ))
    }

    /// Batch normalisation over channel dimension 1 (`F.batch_norm`) of an `(N, C, …)`
    /// input. In training, batch statistics normalise (biased variance) and the running
    /// ones, if given, move toward them by `momentum` (unbiased variance); otherwise the
    /// running statistics are used.
    ///
    /// # Errors
    /// Shape mismatches; one value per channel in training; eval without running
    /// statistics; non-floating input.
    pub fn batch_norm(&self, args: BatchNormArgs<'_>) -> Result<Tensor> {
        const OP: &str = "batch_norm";
        float_only(self, OP)?;
        if self.dim() < 2 {
            return Err(Error::shape(
                OP,
                format!(
                    "expected an input of at least 2 dimensions (N, C, …), got {:?}",
                    self.shape()
                ),
            ));
        }
        let c = self.shape()[1];
        check_vec(args.weight, c, OP, "weight")?;
        check_vec(args.bias, c, OP, "bias")?;
        check_vec(args.running_mean, c, OP, "running_mean")?;
        check_vec(args.running_var, c, OP, "running_var")?;
        with_real!(self.dtype(), OP, |T| batch_norm_kernel::<T>(self, args))
    }

    /// Group normalisation (`F.group_norm`): the channels of an `(N, C, …)` input in
    /// `num_groups` groups, each normalised over its channels and positions, then a
    /// per-channel `weight` and `bias`.
    ///
    /// # Errors
    /// `num_groups` zero or not dividing `C`; parameter sizes; non-floating input.
    pub fn group_norm(
        &self,
        num_groups: usize,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        const OP: &str = "group_norm";
        float_only(self, OP)?;
        if self.dim() < 2 {
            return Err(Error::shape(
                OP,
                format!("expected an (N, C, …) input, got {:?}", self.shape()),
            ));
        }
        let c = self.shape()[1];
        if num_groups == 0 || !c.is_multiple_of(num_groups) {
            return Err(Error::argument(
                OP,
                format!(
                    "Expected number of channels in input to be divisible by num_groups, but got input of shape {:?} and num_groups={num_groups}",
                    self.shape()
                ),
            ));
        }
        check_vec(weight, c, OP, "weight")?;
        check_vec(bias, c, OP, "bias")?;
        with_real!(self.dtype(), OP, |T| group_norm_kernel::<T>(
            self, num_groups, weight, bias, eps
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    #[test]
    fn norms_normalise() {
        let x = Tensor::from_vec(
            (0..60)
                .map(|i| f64::from(i * i % 17) * 0.3)
                .collect::<Vec<_>>(),
            &[2, 6, 5],
        )
        .unwrap();
        let y = x.layer_norm(&[5], None, None, 0.0).unwrap();
        let m = y.mean_dim(-1, false).unwrap().to_vec::<f64>().unwrap();
        assert!(m.iter().all(|v| v.abs() < 1e-12));
        let g = x.group_norm(3, None, None, 0.0).unwrap();
        let gv = g
            .view(&[2, 3, 10])
            .unwrap()
            .var_dim(-1, false, false)
            .unwrap();
        assert!(
            gv.to_vec::<f64>()
                .unwrap()
                .iter()
                .all(|v| (v - 1.0).abs() < 1e-9)
        );
        let rm = Tensor::zeros(&[6], DType::F64);
        let rv = Tensor::ones(&[6], DType::F64);
        let args = BatchNormArgs {
            running_mean: Some(&rm),
            running_var: Some(&rv),
            training: true,
            momentum: 0.1,
            eps: 1e-5,
            ..BatchNormArgs::default()
        };
        let b = x.batch_norm(args).unwrap();
        assert_eq!(b.shape(), x.shape());
        assert!(rm.to_vec::<f64>().unwrap().iter().any(|v| *v != 0.0));
        let f = x.to_dtype(DType::BF16).unwrap();
        assert_eq!(
            f.layer_norm(&[5], None, None, 1e-5).unwrap().dtype(),
            DType::BF16
        );
        assert!(x.layer_norm(&[6], None, None, 1e-5).is_err());
        assert!(x.group_norm(4, None, None, 1e-5).is_err());
    }
}
