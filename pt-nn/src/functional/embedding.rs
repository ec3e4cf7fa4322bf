//! `F.embedding`.

use pt_core::{DType, Error, Result, Tensor};

/// Looks up rows of `weight` `(num, dim)` for integer `ids` of any shape; the result has
/// shape `ids.shape + [dim]` and the weight's dtype (`F.embedding`; `padding_idx` only
/// matters for gradients). Only the selected rows are copied.
///
/// # Errors
/// Non-integer ids, an id outside `0..num`, a weight that is not 2-D.
pub fn embedding(ids: &Tensor, weight: &Tensor) -> Result<Tensor> {
    const OP: &str = "embedding";
    if !matches!(
        ids.dtype(),
        DType::I64 | DType::I32 | DType::I16 | DType::I8 | DType::U8
    ) {
        return Err(Error::DType {
            op: OP,
            dtype: ids.dtype(),
            detail: " (indices must be an integer tensor)".into(),
        });
    }
    let [num, dim] = weight.shape()[..] else {
        return Err(Error::shape(
            OP,
            format!("weight must be 2-D, got {:?}", weight.shape()),
        ));
    };
    let idx = ids.to_dtype(DType::I64)?.to_vec::<i64>()?;
    let mut bytes = Vec::with_capacity(idx.len() * dim * weight.dtype().size());
    for &i in &idx {
        let row = usize::try_from(i)
            .ok()
            .filter(|r| *r < num)
            .ok_or_else(|| {
                Error::argument(
                    OP,
                    format!("index {i} is out of range for {num} embeddings"),
                )
            })?;
        bytes.extend_from_slice(&weight.select(0, row as isize)?.to_contiguous_bytes());
    }
    let mut shape = ids.shape().to_vec();
    shape.push(dim);
    Tensor::from_raw_bytes(&bytes, weight.dtype(), &shape)
}
