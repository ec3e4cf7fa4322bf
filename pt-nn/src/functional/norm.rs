//! `F.batch_norm` and `F.layer_norm`.

use pt_core::{Error, Result, Tensor};

use super::dense::{Dense, prod, to_tensor};
use crate::load::write_into;

/// The running statistics a batch norm reads (eval) or updates (training).
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchNormState<'a> {
    /// Per-channel running mean, updated in place in training.
    pub running_mean: Option<&'a Tensor>,
    /// Per-channel running (unbiased) variance, updated in place in training.
    pub running_var: Option<&'a Tensor>,
}

/// Batch normalisation over the channel dimension 1 (`F.batch_norm`) of an `(N, C)`,
/// `(N, C, L)` or `(N, C, H, W)` input.
///
/// With `training`, batch statistics normalise the input (biased variance) and the
/// running statistics, if given, move toward them by `momentum` (the variance with
/// Bessel's correction); otherwise the running statistics are used.
///
/// # Errors
/// Shape mismatches; a training batch with one value per channel; eval without running
/// statistics; non-floating tensors.
pub fn batch_norm(
    x: &Tensor,
    state: BatchNormState<'_>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "batch_norm";
    let xd = Dense::of(x, OP)?;
    if xd.shape.len() < 2 {
        return Err(Error::shape(
            OP,
            format!(
                "expected an input of at least 2 dimensions (N, C, …), got {:?}",
                xd.shape
            ),
        ));
    }
    let (n, c) = (xd.shape[0], xd.shape[1]);
    let inner = prod(&xd.shape[2..]);
    let count = n * inner;
    let w = Dense::vector(weight, c, OP, "weight")?;
    let b = Dense::vector(bias, c, OP, "bias")?;
    let idx = |ni: usize, ci: usize, i: usize| (ni * c + ci) * inner + i;

    let (mean, var) = if training {
        if count <= 1 {
            return Err(Error::argument(
                OP,
                format!(
                    "Expected more than 1 value per channel when training, got input size {:?}",
                    xd.shape
                ),
            ));
        }
        let mut mean = vec![0.0; c];
        let mut var = vec![0.0; c];
        for ci in 0..c {
            let vals = (0..n).flat_map(|ni| (0..inner).map(move |i| (ni, i)));
            let m = vals
                .clone()
                .map(|(ni, i)| xd.data[idx(ni, ci, i)])
                .sum::<f64>()
                / count as f64;
            let v = vals
                .map(|(ni, i)| (xd.data[idx(ni, ci, i)] - m).powi(2))
                .sum::<f64>()
                / count as f64;
            mean[ci] = m;
            var[ci] = v;
        }
        if let (Some(rm), Some(rv)) = (state.running_mean, state.running_var) {
            update(rm, &mean, momentum, 1.0, c)?;
            update(rv, &var, momentum, count as f64 / (count - 1) as f64, c)?;
        }
        (mean, var)
    } else {
        let (Some(rm), Some(rv)) = (state.running_mean, state.running_var) else {
            return Err(Error::argument(
                OP,
                "running_mean and running_var are needed in eval mode",
            ));
        };
        (
            Dense::vector(Some(rm), c, OP, "running_mean")?.unwrap_or_default(),
            Dense::vector(Some(rv), c, OP, "running_var")?.unwrap_or_default(),
        )
    };
    let mut out = xd.data;
    for ni in 0..n {
        for ci in 0..c {
            let inv = 1.0 / (var[ci] + eps).sqrt();
            let (g, bb) = (
                w.as_ref().map_or(1.0, |w| w[ci]),
                b.as_ref().map_or(0.0, |b| b[ci]),
            );
            for i in 0..inner {
                let k = idx(ni, ci, i);
                out[k] = (out[k] - mean[ci]) * inv * g + bb;
            }
        }
    }
    to_tensor(out, &xd.shape, xd.dtype)
}

/// `stat = (1 - momentum) * stat + momentum * batch * correction`, in place.
fn update(stat: &Tensor, batch: &[f64], momentum: f64, correction: f64, c: usize) -> Result<()> {
    let old = Dense::vector(Some(stat), c, "batch_norm", "running statistic")?.unwrap_or_default();
    let new: Vec<f64> = old
        .iter()
        .zip(batch)
        .map(|(o, b)| (1.0 - momentum) * o + momentum * b * correction)
        .collect();
    let t = to_tensor(new, stat.shape(), stat.dtype())?;
    write_into(stat, &t);
    Ok(())
}

/// Layer normalisation over the trailing `normalized_shape` dimensions (`F.layer_norm`),
/// with biased variance.
///
/// # Errors
/// The input's trailing dimensions differ from `normalized_shape`; shape mismatches of
/// `weight`/`bias`; non-floating tensors.
pub fn layer_norm(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "layer_norm";
    let xd = Dense::of(x, OP)?;
    let k = normalized_shape.len();
    if xd.shape.len() < k || xd.shape[xd.shape.len() - k..] != *normalized_shape {
        return Err(Error::shape(
            OP,
            format!(
                "input {:?} does not end with normalized_shape {normalized_shape:?}",
                xd.shape
            ),
        ));
    }
    let m = prod(normalized_shape);
    let w = Dense::vector(weight, m, OP, "weight")?;
    let b = Dense::vector(bias, m, OP, "bias")?;
    let mut out = xd.data;
    if m > 0 {
        for row in out.chunks_mut(m) {
            let mean = row.iter().sum::<f64>() / m as f64;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m as f64;
            let inv = 1.0 / (var + eps).sqrt();
            for (j, v) in row.iter_mut().enumerate() {
                let g = w.as_ref().map_or(1.0, |w| w[j]);
                let bb = b.as_ref().map_or(0.0, |b| b[j]);
                *v = (*v - mean) * inv * g + bb;
            }
        }
    }
    to_tensor(out, &xd.shape, xd.dtype)
}
