//! `F.linear`.

use pt_core::{Error, Result, Tensor};

use super::dense::{Dense, prod, to_tensor};

/// `y = x Wᵀ + b` over the last dimension of `x` (`F.linear`): `x` is `(…, in)`,
/// `weight` `(out, in)`, `bias` `(out,)`; the result is `(…, out)`.
///
/// # Errors
/// Shape mismatches, non-floating tensors.
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    let w = Dense::of(weight, "linear")?;
    let xd = Dense::of(x, "linear")?;
    let [out_f, in_f] = w.shape[..] else {
        return Err(Error::shape(
            "linear",
            format!("weight must be 2-D (out, in), got {:?}", w.shape),
        ));
    };
    let last = xd.shape.last().copied().unwrap_or(1);
    if xd.shape.is_empty() || last != in_f {
        return Err(Error::shape(
            "linear",
            format!(
                "input {:?} and weight {:?} cannot be multiplied (last dim must be {in_f})",
                xd.shape, w.shape
            ),
        ));
    }
    let b = Dense::vector(bias, out_f, "linear", "bias")?;
    let rows = prod(&xd.shape[..xd.shape.len() - 1]);
    let mut out = vec![0.0; rows * out_f];
    for r in 0..rows {
        let xr = &xd.data[r * in_f..(r + 1) * in_f];
        for o in 0..out_f {
            let wr = &w.data[o * in_f..(o + 1) * in_f];
            let dot: f64 = xr.iter().zip(wr).map(|(a, b)| a * b).sum();
            out[r * out_f + o] = dot + b.as_ref().map_or(0.0, |b| b[o]);
        }
    }
    let mut shape = xd.shape.clone();
    if let Some(l) = shape.last_mut() {
        *l = out_f;
    }
    to_tensor(out, &shape, xd.dtype)
}
