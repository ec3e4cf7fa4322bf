//! Indexing by tensors: `index_select`, `gather`, `masked_fill`, and `where` (as
//! [`Tensor::where_cond`]). Elements move as bytes, so every dtype works the same way.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::promote::promote_types;
use crate::ops::shape::for_each_multi_index;
use crate::scalar::Scalar;
use crate::tensor::Tensor;
use crate::tensor::layout::contiguous_strides;
use crate::tensor::views::{broadcast_shapes, wrap_dim};

/// The values of an integer index tensor, row-major.
fn index_values(index: &Tensor, op: &'static str) -> Result<Vec<i64>> {
    match index.dtype() {
        DType::I64 => index.to_vec::<i64>(),
        DType::I32 => Ok(index.to_vec::<i32>()?.into_iter().map(i64::from).collect()),
        d => Err(Error::DType {
            op,
            dtype: d,
            detail: ": index must be int64 or int32".into(),
        }),
    }
}

/// Resolves a possibly negative index against a dimension of `size`.
fn wrap_index(i: i64, size: usize, op: &'static str) -> Result<usize> {
    let n = size as i64;
    let j = if i < 0 { i + n } else { i };
    if !(0..n).contains(&j) {
        return Err(Error::argument(
            op,
            format!("index {i} is out of bounds for dimension with size {size}"),
        ));
    }
    Ok(j as usize)
}

impl Tensor {
    /// The entries at `index` (a 1-D or 0-dim integer tensor) along `dim`
    /// (`torch.index_select`). Negative indices count from the end.
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad `dim` or an index out of range; [`Error::DType`] for a
    /// non-integer index; [`Error::Shape`] for an index of more than one dimension.
    pub fn index_select(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        const OP: &str = "index_select";
        if index.dim() > 1 {
            return Err(Error::shape(
                OP,
                "index_select(): Index is supposed to be a vector",
            ));
        }
        let d = wrap_dim(OP, dim, self.dim(), true)?;
        let idx = index_values(index, OP)?;
        if self.dim() == 0 {
            for &i in &idx {
                wrap_index(i, 1, OP)?;
            }
            return Tensor::from_raw_bytes(
                &self.to_contiguous_bytes().repeat(idx.len()),
                self.dtype(),
                &[],
            );
        }
        let size = self.shape()[d];
        let rows: Vec<usize> = idx
            .iter()
            .map(|&i| wrap_index(i, size, OP))
            .collect::<Result<_>>()?;
        let es = self.dtype().size();
        let outer: usize = self.shape()[..d].iter().product();
        let inner: usize = self.shape()[d + 1..].iter().product::<usize>() * es;
        let src = self.to_contiguous_bytes();
        let mut out = Vec::with_capacity(outer * rows.len() * inner);
        for o in 0..outer {
            let base = o * size * inner;
            for &r in &rows {
                out.extend_from_slice(&src[base + r * inner..base + (r + 1) * inner]);
            }
        }
        let mut shape = self.shape().to_vec();
        shape[d] = rows.len();
        Tensor::from_raw_bytes(&out, self.dtype(), &shape)
    }

    /// `out[i][j][k] = self[i][index[i][j][k]][k]` for `dim = 1`, likewise for the others
    /// (`torch.gather`). The output has `index`'s shape.
    ///
    /// # Errors
    /// [`Error::Shape`] if `index` has another number of dimensions or is larger than
    /// `self` outside `dim`; [`Error::Argument`] for an index out of range.
    pub fn gather(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        const OP: &str = "gather";
        let d = wrap_dim(OP, dim, self.dim(), true)?;
        let (sd, id) = (self.dim().max(1), index.dim().max(1));
        if sd != id {
            return Err(Error::shape(
                OP,
                "Index tensor must have the same number of dimensions as input tensor",
            ));
        }
        let self_shape: Vec<usize> = if self.dim() == 0 {
            vec![1]
        } else {
            self.shape().to_vec()
        };
        let idx_shape: Vec<usize> = if index.dim() == 0 {
            vec![1]
        } else {
            index.shape().to_vec()
        };
        for k in 0..sd {
            if k != d && idx_shape[k] > self_shape[k] {
                return Err(Error::shape(
                    OP,
                    format!(
                        "Size does not match at dimension {k} expected index {:?} to be smaller than self {:?} apart from dimension {d}",
                        index.shape(),
                        self.shape()
                    ),
                ));
            }
        }
        let idx = index_values(index, OP)?;
        let es = self.dtype().size();
        let strides = contiguous_strides(&self_shape);
        let src = self.to_contiguous_bytes();
        let mut out = Vec::with_capacity(idx.len() * es);
        let mut n = 0;
        let mut err = None;
        for_each_multi_index(&idx_shape, |m| {
            if err.is_some() {
                return;
            }
            match wrap_index(idx[n], self_shape[d], OP) {
                Ok(j) => {
                    let s: usize = m
                        .iter()
                        .enumerate()
                        .map(|(k, &i)| if k == d { j } else { i } * strides[k])
                        .sum();
                    out.extend_from_slice(&src[s * es..(s + 1) * es]);
                }
                Err(e) => err = Some(e),
            }
            n += 1;
        });
        if let Some(e) = err {
            return Err(e);
        }
        Tensor::from_raw_bytes(&out, self.dtype(), index.shape())
    }

    /// A copy with `value` where `mask` (bool, broadcast to `self`) is true
    /// (`torch.masked_fill`).
    ///
    /// # Errors
    /// [`Error::DType`] for a non-bool mask; [`Error::Shape`] if the mask does not broadcast
    /// to `self`.
    pub fn masked_fill(&self, mask: &Tensor, value: impl Into<Scalar>) -> Result<Tensor> {
        const OP: &str = "masked_fill";
        if mask.dtype() != DType::Bool {
            return Err(Error::DType {
                op: OP,
                dtype: mask.dtype(),
                detail: ": masked_fill only supports boolean masks".into(),
            });
        }
        let fill = Tensor::zeros(&[], self.dtype());
        fill.fill_(value)?;
        let fill = fill.to_contiguous_bytes();
        let mask = mask.broadcast_to(self.shape())?.to_contiguous_bytes();
        let mut bytes = self.to_contiguous_bytes();
        let es = fill.len();
        for (el, &m) in bytes.chunks_exact_mut(es).zip(&mask) {
            if m != 0 {
                el.copy_from_slice(&fill);
            }
        }
        Tensor::from_raw_bytes(&bytes, self.dtype(), self.shape())
    }

    /// `x` where `cond` is true, else `y`, all three broadcast together and `x`, `y`
    /// promoted (`torch.where(cond, x, y)`).
    ///
    /// # Errors
    /// [`Error::DType`] for a non-bool condition or dtypes that do not promote;
    /// [`Error::Shape`] if the shapes do not broadcast.
    #[doc(alias = "where")]
    pub fn where_cond(cond: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        const OP: &str = "where";
        if cond.dtype() != DType::Bool {
            return Err(Error::DType {
                op: OP,
                dtype: cond.dtype(),
                detail: ": where expected condition to be a boolean tensor".into(),
            });
        }
        let shape = broadcast_shapes(
            OP,
            &broadcast_shapes(OP, cond.shape(), x.shape())?,
            y.shape(),
        )?;
        let dtype = promote_types(x.dtype(), y.dtype())?;
        let take = |t: &Tensor| -> Result<Vec<u8>> {
            Ok(t.to_dtype(dtype)?
                .broadcast_to(&shape)?
                .to_contiguous_bytes())
        };
        let (xb, yb) = (take(x)?, take(y)?);
        let cb = cond.broadcast_to(&shape)?.to_contiguous_bytes();
        let es = dtype.size();
        let mut out = yb;
        for (i, &c) in cb.iter().enumerate() {
            if c != 0 {
                out[i * es..(i + 1) * es].copy_from_slice(&xb[i * es..(i + 1) * es]);
            }
        }
        Tensor::from_raw_bytes(&out, dtype, &shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_gather_fill_where() {
        let a = Tensor::from_slice(&[1f32, 2., 3., 4., 5., 6.], &[2, 3]).unwrap();
        let i = Tensor::from_slice_1d(&[2i64, 0]);
        let s = a.index_select(1, &i).unwrap();
        assert_eq!(s.to_vec::<f32>().unwrap(), [3., 1., 6., 4.]);
        let g = Tensor::from_slice(&[0i64, 0, 1, 0], &[2, 2]).unwrap();
        assert_eq!(
            a.gather(0, &g).unwrap().to_vec::<f32>().unwrap(),
            [1., 2., 4., 2.]
        );
        assert!(a.index_select(1, &Tensor::from_slice_1d(&[3i64])).is_err());
        let m = Tensor::from_slice_1d(&[true, false, true]);
        let f = a.masked_fill(&m, -1.0).unwrap();
        assert_eq!(f.to_vec::<f32>().unwrap(), [-1., 2., -1., -1., 5., -1.]);
        let w = Tensor::where_cond(&m, &a, &Tensor::scalar(0f32)).unwrap();
        assert_eq!(w.to_vec::<f32>().unwrap(), [1., 0., 3., 4., 0., 6.]);
    }
}
