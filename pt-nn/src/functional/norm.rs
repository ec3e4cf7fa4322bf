//! `F.batch_norm`, `F.layer_norm` and `F.group_norm`: thin calls into pt-core's kernels.

use pt_core::ops::BatchNormArgs;
use pt_core::{Result, Tensor};

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
    x.batch_norm(BatchNormArgs {
        running_mean: state.running_mean,
        running_var: state.running_var,
        weight,
        bias,
        training,
        momentum,
        eps,
    })
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
    x.layer_norm(normalized_shape, weight, bias, eps)
}

/// Group normalisation (`F.group_norm`) of an `(N, C, …)` input in `num_groups` groups.
///
/// # Errors
/// `num_groups` not dividing `C`; parameter sizes; non-floating tensors.
pub fn group_norm(
    x: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    x.group_norm(num_groups, weight, bias, eps)
}
