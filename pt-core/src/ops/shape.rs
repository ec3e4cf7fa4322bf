//! Joining, splitting and reordering: `cat`, `stack`, `split`, `split_with_sizes`, `chunk`,
//! `flip`, `tril`, `triu`. The copies move whole elements as bytes, so every dtype works
//! the same way.

use crate::error::{Error, Result};
use crate::ops::promote::promote_types;
use crate::tensor::Tensor;
use crate::tensor::layout::contiguous_strides;
use crate::tensor::views::wrap_dim;

impl Tensor {
    /// Concatenates `tensors` along `dim` (`torch.cat`). Shapes must agree except along
    /// `dim`; dtypes are promoted. As PyTorch, 1-D empty tensors (shape `[0]`) are skipped.
    ///
    /// # Errors
    /// [`Error::Argument`] for an empty list or a bad `dim`; [`Error::Shape`] if the shapes
    /// disagree; [`Error::DType`] if the dtypes cannot be promoted.
    pub fn cat(tensors: &[Tensor], dim: isize) -> Result<Tensor> {
        const OP: &str = "cat";
        let parts: Vec<&Tensor> = tensors
            .iter()
            .filter(|t| !(t.dim() == 1 && t.numel() == 0))
            .collect();
        let Some(first) = parts.first() else {
            return match tensors.first() {
                Some(t) => Ok(t.clone()),
                None => Err(Error::argument(OP, "expected a non-empty list of Tensors")),
            };
        };
        let d = wrap_dim(OP, dim, first.dim(), false)?;
        let mut dtype = first.dtype();
        let mut total = 0usize;
        for (i, t) in parts.iter().enumerate() {
            dtype = promote_types(dtype, t.dtype())?;
            let same = t.dim() == first.dim()
                && t.shape()
                    .iter()
                    .zip(first.shape())
                    .enumerate()
                    .all(|(k, (a, b))| k == d || a == b);
            if !same {
                return Err(Error::shape(
                    OP,
                    format!(
                        "Sizes of tensors must match except in dimension {d}. Expected {:?} but got {:?} for tensor number {i} in the list",
                        first.shape(),
                        t.shape()
                    ),
                ));
            }
            total += t.shape()[d];
        }
        let mut shape = first.shape().to_vec();
        shape[d] = total;
        let es = dtype.size();
        let outer: usize = shape[..d].iter().product();
        let inner: usize = shape[d + 1..].iter().product::<usize>() * es;
        let blocks: Vec<(Vec<u8>, usize)> = parts
            .iter()
            .map(|t| {
                let t = if t.dtype() == dtype {
                    (*t).clone()
                } else {
                    t.to_dtype(dtype)?
                };
                Ok((t.to_contiguous_bytes(), t.shape()[d] * inner))
            })
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(outer * total * inner);
        for o in 0..outer {
            for (bytes, len) in &blocks {
                out.extend_from_slice(&bytes[o * len..(o + 1) * len]);
            }
        }
        Tensor::from_raw_bytes(&out, dtype, &shape)
    }

    /// Stacks equally shaped tensors along a new dimension `dim` (`torch.stack`).
    ///
    /// # Errors
    /// [`Error::Argument`] for an empty list or a bad `dim`; [`Error::Shape`] if the shapes
    /// differ.
    pub fn stack(tensors: &[Tensor], dim: isize) -> Result<Tensor> {
        let Some(first) = tensors.first() else {
            return Err(Error::argument(
                "stack",
                "expected a non-empty list of Tensors",
            ));
        };
        if let Some((i, t)) = tensors
            .iter()
            .enumerate()
            .find(|(_, t)| t.shape() != first.shape())
        {
            return Err(Error::shape(
                "stack",
                format!(
                    "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {i}",
                    first.shape(),
                    t.shape()
                ),
            ));
        }
        let d = wrap_dim("stack", dim, first.dim() + 1, false)?;
        let expanded: Vec<Tensor> = tensors
            .iter()
            .map(|t| t.unsqueeze(d as isize))
            .collect::<Result<_>>()?;
        Tensor::cat(&expanded, d as isize)
    }

    /// Views of `split_size` elements along `dim` (the last may be shorter)
    /// (`torch.split` with an int).
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad `dim` or a zero `split_size` on a non-empty dimension.
    pub fn split(&self, split_size: usize, dim: isize) -> Result<Vec<Tensor>> {
        let d = wrap_dim("split", dim, self.dim(), false)?;
        let n = self.shape()[d];
        if split_size == 0 {
            if n == 0 {
                return Ok(vec![self.clone()]);
            }
            return Err(Error::argument(
                "split",
                format!(
                    "split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
                ),
            ));
        }
        let count = n.div_ceil(split_size).max(1);
        let sizes: Vec<usize> = (0..count)
            .map(|i| split_size.min(n - (i * split_size).min(n)))
            .collect();
        self.split_with_sizes(&sizes, d as isize)
    }

    /// Views of the given lengths along `dim`, which must sum to its size
    /// (`torch.split` with a list).
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad `dim` or sizes that do not sum to the dimension.
    pub fn split_with_sizes(&self, sizes: &[usize], dim: isize) -> Result<Vec<Tensor>> {
        let d = wrap_dim("split_with_sizes", dim, self.dim(), false)?;
        let n = self.shape()[d];
        if sizes.iter().sum::<usize>() != n {
            return Err(Error::argument(
                "split_with_sizes",
                format!(
                    "split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}"
                ),
            ));
        }
        let mut start = 0;
        sizes
            .iter()
            .map(|&len| {
                let v = self.narrow(d as isize, start as isize, len);
                start += len;
                v
            })
            .collect()
    }

    /// Splits into `chunks` views along `dim`, each `ceil(n / chunks)` long except maybe
    /// the last; fewer when the dimension is short (`torch.chunk`).
    ///
    /// # Errors
    /// [`Error::Argument`] for zero chunks or a bad `dim`.
    pub fn chunk(&self, chunks: usize, dim: isize) -> Result<Vec<Tensor>> {
        if chunks == 0 {
            return Err(Error::argument(
                "chunk",
                "chunk expects `chunks` to be greater than 0, got: 0",
            ));
        }
        let d = wrap_dim("chunk", dim, self.dim(), false)?;
        let n = self.shape()[d];
        self.split(n.div_ceil(chunks), d as isize)
    }

    /// A copy with the order of elements reversed along each of `dims` (`torch.flip`).
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad or repeated dimension.
    pub fn flip(&self, dims: &[isize]) -> Result<Tensor> {
        let mut flipped = vec![false; self.dim()];
        for &dim in dims {
            let d = wrap_dim("flip", dim, self.dim(), false)?;
            if flipped[d] {
                return Err(Error::argument(
                    "flip",
                    format!("dim {d} appears multiple times in the list of dims"),
                ));
            }
            flipped[d] = true;
        }
        let shape = self.shape().to_vec();
        let strides = contiguous_strides(&shape);
        let es = self.dtype().size();
        let src = self.to_contiguous_bytes();
        let mut out = Vec::with_capacity(src.len());
        for_each_multi_index(&shape, |idx| {
            let mut s = 0;
            for k in 0..idx.len() {
                let i = if flipped[k] {
                    shape[k] - 1 - idx[k]
                } else {
                    idx[k]
                };
                s += i * strides[k];
            }
            out.extend_from_slice(&src[s * es..(s + 1) * es]);
        });
        Tensor::from_raw_bytes(&out, self.dtype(), &shape)
    }

    /// The lower triangle of the last two dimensions: elements with `col - row <= diagonal`
    /// kept, the rest zero (`torch.tril`).
    ///
    /// # Errors
    /// [`Error::Argument`] for fewer than two dimensions.
    pub fn tril(&self, diagonal: i64) -> Result<Tensor> {
        triangle(self, "tril", |row, col| col - row <= diagonal)
    }

    /// The upper triangle of the last two dimensions: elements with `col - row >= diagonal`
    /// kept, the rest zero (`torch.triu`).
    ///
    /// # Errors
    /// [`Error::Argument`] for fewer than two dimensions.
    pub fn triu(&self, diagonal: i64) -> Result<Tensor> {
        triangle(self, "triu", |row, col| col - row >= diagonal)
    }
}

fn triangle(t: &Tensor, op: &'static str, keep: impl Fn(i64, i64) -> bool) -> Result<Tensor> {
    if t.dim() < 2 {
        return Err(Error::argument(
            op,
            format!("{op}: input tensor must have at least 2 dimensions"),
        ));
    }
    let es = t.dtype().size();
    let (rows, cols) = (t.shape()[t.dim() - 2], t.shape()[t.dim() - 1]);
    let mut bytes = t.to_contiguous_bytes();
    if rows * cols > 0 {
        for (i, el) in bytes.chunks_exact_mut(es).enumerate() {
            let (r, c) = ((i / cols) % rows, i % cols);
            if !keep(r as i64, c as i64) {
                // All-zero bytes are zero (or false) in every dtype.
                el.fill(0);
            }
        }
    }
    Tensor::from_raw_bytes(&bytes, t.dtype(), t.shape())
}

/// Calls `f` with every multi-index of `shape`, row-major.
pub(crate) fn for_each_multi_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        f(&idx);
        let mut k = shape.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_slice(v, shape).unwrap()
    }

    #[test]
    fn cat_and_stack() {
        let a = t(&[1., 2., 3., 4.], &[2, 2]);
        let b = t(&[5., 6.], &[2, 1]);
        let c = Tensor::cat(&[a.clone(), b], 1).unwrap();
        assert_eq!(c.shape(), [2, 3]);
        assert_eq!(c.to_vec::<f32>().unwrap(), [1., 2., 5., 3., 4., 6.]);
        let s = Tensor::stack(&[a.clone(), a], 1).unwrap();
        assert_eq!(s.shape(), [2, 2, 2]);
        assert_eq!(s.to_vec::<f32>().unwrap(), [1., 2., 1., 2., 3., 4., 3., 4.]);
    }

    #[test]
    fn split_chunk_flip_tril() {
        let a = t(&[0., 1., 2., 3., 4.], &[5]);
        let parts = a.chunk(2, 0).unwrap();
        assert_eq!(parts.iter().map(|p| p.numel()).collect::<Vec<_>>(), [3, 2]);
        assert!(a.split_with_sizes(&[1, 1], 0).is_err());
        assert_eq!(
            a.flip(&[0]).unwrap().to_vec::<f32>().unwrap(),
            [4., 3., 2., 1., 0.]
        );
        let m = t(&[1., 2., 3., 4.], &[2, 2]);
        assert_eq!(
            m.tril(0).unwrap().to_vec::<f32>().unwrap(),
            [1., 0., 3., 4.]
        );
        assert_eq!(
            m.triu(1).unwrap().to_vec::<f32>().unwrap(),
            [0., 2., 0., 0.]
        );
    }
}
