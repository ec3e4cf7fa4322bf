//! `F.linear`.

use pt_core::{Result, Tensor};

/// `y = x Wᵀ + b` over the last dimension of `x` (`F.linear`): `x` is `(…, in)`,
/// `weight` `(out, in)`, `bias` `(out,)`; the result is `(…, out)`. Computes in the
/// input's dtype through pt-core's GEMM, reading the weight where it lives.
///
/// # Errors
/// Shape mismatches, mixed or non-floating dtypes.
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    x.linear(weight, bias)
}
