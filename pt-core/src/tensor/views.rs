//! Views: new (shape, stride, offset) over the same storage, each checked by
//! [`Tensor::with_layout`]. Writes through any view are seen by all of them.

use super::Tensor;
use super::layout;
use crate::error::{Error, Result};

/// Resolves a possibly negative dimension index against `ndim` dimensions, as PyTorch's
/// `maybe_wrap_dim`: a 0-dim tensor accepts `0` and `-1` when `scalar_ok`.
pub(crate) fn wrap_dim(
    op: &'static str,
    dim: isize,
    ndim: usize,
    scalar_ok: bool,
) -> Result<usize> {
    let n = if ndim == 0 && scalar_ok { 1 } else { ndim };
    if n == 0 {
        return Err(Error::argument(
            op,
            format!("dimension specified as {dim} but tensor has no dimensions"),
        ));
    }
    let ni = n as isize;
    if dim < -ni || dim >= ni {
        return Err(Error::argument(
            op,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -ni,
                ni - 1
            ),
        ));
    }
    Ok(if dim < 0 {
        (dim + ni) as usize
    } else {
        dim as usize
    })
}

/// Resolves a shape with at most one `-1` against `numel` elements, as PyTorch's `infer_size`.
pub(crate) fn infer_shape(op: &'static str, shape: &[isize], numel: usize) -> Result<Vec<usize>> {
    let invalid = || {
        Error::shape(
            op,
            format!("shape '{shape:?}' is invalid for input of size {numel}"),
        )
    };
    let mut infer = None;
    let mut known = 1usize;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if infer.is_some() {
                return Err(Error::argument(op, "only one dimension can be inferred"));
            }
            infer = Some(i);
        } else if d < 0 {
            return Err(Error::argument(op, format!("invalid shape dimension {d}")));
        } else {
            known = known.checked_mul(d as usize).ok_or_else(invalid)?;
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    match infer {
        Some(i) => {
            // PyTorch cannot infer a dimension next to a zero-sized one.
            if known == 0 || !numel.is_multiple_of(known) {
                return Err(invalid());
            }
            out[i] = numel / known;
        }
        None if known != numel => return Err(invalid()),
        None => {}
    }
    Ok(out)
}

/// Strides viewing a tensor of (`old_shape`, `old_stride`) as `new_shape` without copying,
/// or `None` when some new dimension would span two non-contiguous chunks (PyTorch's
/// `computeStride`).
pub(crate) fn view_strides(
    old_shape: &[usize],
    old_stride: &[usize],
    new_shape: &[usize],
) -> Option<Vec<usize>> {
    if old_shape.is_empty() {
        return Some(vec![1; new_shape.len()]);
    }
    let numel: usize = old_shape.iter().product();
    if numel == 0 && old_shape == new_shape {
        return Some(old_stride.to_vec());
    }
    let mut new_stride = vec![0usize; new_shape.len()];
    if numel == 0 {
        let mut acc = 1usize;
        for d in (0..new_shape.len()).rev() {
            new_stride[d] = acc;
            acc = acc.saturating_mul(new_shape[d].max(1));
        }
        return Some(new_stride);
    }
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *old_stride.last()?;
    let mut tensor_numel = 1usize;
    let mut view_numel = 1usize;
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel *= old_shape[tensor_d];
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1
                && old_stride[tensor_d - 1] != tensor_numel.checked_mul(chunk_base_stride)?);
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_stride[view_d as usize] = view_numel.checked_mul(chunk_base_stride)?;
                view_numel *= new_shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_stride[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_stride)
}

/// The shape two shapes broadcast to (NumPy rules, aligned from the right).
///
/// # Errors
/// [`Error::Shape`] naming `op` and the first dimension that disagrees.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape(
                op,
                format!(
                    "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
                ),
            ));
        };
    }
    Ok(out)
}

impl Tensor {
    /// Python slicing `self[.., start:end:step, ..]` along `dim`: negative indices count from
    /// the end and out-of-range bounds are clamped, as in Python; `None` means the start or end.
    /// `numbers[1::2]` is `numbers.slice(0, Some(1), None, 2)`.
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad `dim` or `step == 0`.
    pub fn slice(
        &self,
        dim: isize,
        start: Option<isize>,
        end: Option<isize>,
        step: usize,
    ) -> Result<Tensor> {
        let d = wrap_dim("slice", dim, self.dim(), false)?;
        if step == 0 {
            return Err(Error::argument("slice", "slice step must be positive"));
        }
        let size = self.shape()[d] as isize;
        let clamp = |v: isize| {
            let v = if v < 0 { v + size } else { v };
            v.clamp(0, size) as usize
        };
        let s = start.map_or(0, clamp);
        let e = end.map_or(size as usize, clamp).max(s);
        let len = (e - s).div_ceil(step);
        self.narrow_stepped("slice", d, s, len, step)
    }

    fn narrow_stepped(
        &self,
        op: &'static str,
        d: usize,
        start: usize,
        len: usize,
        step: usize,
    ) -> Result<Tensor> {
        let mut shape = self.shape().to_vec();
        let mut stride = self.stride().to_vec();
        // PyTorch moves the offset even for an empty result; with_layout checks it.
        let offset = start
            .checked_mul(stride[d])
            .and_then(|o| o.checked_add(self.storage_offset()))
            .ok_or_else(|| Error::argument(op, "offset overflows"))?;
        shape[d] = len;
        stride[d] = stride[d]
            .checked_mul(step)
            .ok_or_else(|| Error::argument(op, "stride overflows"))?;
        self.with_layout(op, shape, stride, offset)
    }

    /// `len` elements of `dim` from `start` (negative counts from the end), a view.
    ///
    /// # Errors
    /// [`Error::Argument`] if the range does not fit in the dimension.
    pub fn narrow(&self, dim: isize, start: isize, len: usize) -> Result<Tensor> {
        let d = wrap_dim("narrow", dim, self.dim(), false)?;
        let size = self.shape()[d];
        let s = if start < 0 {
            start + size as isize
        } else {
            start
        };
        if s < 0 || s as usize > size {
            return Err(Error::argument(
                "narrow",
                format!(
                    "start out of range (expected to be in range of [{}, {size}], but got {start})",
                    -(size as isize)
                ),
            ));
        }
        let s = s as usize;
        if s + len > size {
            return Err(Error::argument(
                "narrow",
                format!("start ({s}) + length ({len}) exceeds dimension size ({size})."),
            ));
        }
        self.narrow_stepped("narrow", d, s, len, 1)
    }

    /// The sub-tensor at `index` of `dim` (negative counts from the end), with that dimension
    /// removed (`x[:, i]`).
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad dimension or index.
    pub fn select(&self, dim: isize, index: isize) -> Result<Tensor> {
        let d = wrap_dim("select", dim, self.dim(), false)?;
        let size = self.shape()[d] as isize;
        if index < -size || index >= size {
            return Err(Error::argument(
                "select",
                format!(
                    "index {index} out of range for tensor of size {:?} at dimension {d}",
                    self.shape()
                ),
            ));
        }
        let i = if index < 0 { index + size } else { index } as usize;
        let mut shape = self.shape().to_vec();
        let mut stride = self.stride().to_vec();
        let offset = self.storage_offset() + i * stride[d];
        shape.remove(d);
        stride.remove(d);
        self.with_layout("select", shape, stride, offset)
    }

    /// Transpose of a tensor with at most 2 dimensions (0-D and 1-D come back as they are).
    ///
    /// # Errors
    /// [`Error::Argument`] for more than 2 dimensions.
    pub fn t(&self) -> Result<Tensor> {
        match self.dim() {
            0 | 1 => Ok(self.clone()),
            2 => self.transpose(0, 1),
            n => Err(Error::argument(
                "t",
                format!("t() expects a tensor with <= 2 dimensions, but self is {n}D"),
            )),
        }
    }

    /// Swaps two dimensions (a view).
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad dimension.
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        let a = wrap_dim("transpose", dim0, self.dim(), true)?;
        let b = wrap_dim("transpose", dim1, self.dim(), true)?;
        let mut shape = self.shape().to_vec();
        let mut stride = self.stride().to_vec();
        if !shape.is_empty() {
            shape.swap(a, b);
            stride.swap(a, b);
        }
        self.with_layout("transpose", shape, stride, self.storage_offset())
    }

    /// Reorders the dimensions: dimension `i` of the result is `dims[i]` of `self`.
    ///
    /// # Errors
    /// [`Error::Argument`] unless `dims` is a permutation of `0..self.dim()`.
    pub fn permute(&self, dims: &[usize]) -> Result<Tensor> {
        if dims.len() != self.dim() {
            return Err(Error::argument(
                "permute",
                format!(
                    "number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {} is not equal to len(dims) = {}",
                    self.dim(),
                    dims.len()
                ),
            ));
        }
        let mut seen = vec![false; dims.len()];
        for &d in dims {
            if d >= dims.len() {
                return Err(Error::argument(
                    "permute",
                    format!(
                        "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                        -(dims.len() as isize),
                        dims.len() as isize - 1
                    ),
                ));
            }
            if std::mem::replace(&mut seen[d], true) {
                return Err(Error::argument(
                    "permute",
                    "permute(): duplicate dims are not allowed.",
                ));
            }
        }
        let shape = dims.iter().map(|&d| self.shape()[d]).collect();
        let stride = dims.iter().map(|&d| self.stride()[d]).collect();
        self.with_layout("permute", shape, stride, self.storage_offset())
    }

    /// The same elements with a new shape, sharing storage; one entry may be `-1` (inferred).
    ///
    /// # Errors
    /// [`Error::Shape`] if the element count differs, or if the strides do not allow a view
    /// (PyTorch's message; use [`Tensor::reshape`] to copy instead).
    pub fn view(&self, shape: &[isize]) -> Result<Tensor> {
        let new_shape = infer_shape("view", shape, self.numel())?;
        let stride = view_strides(self.shape(), self.stride(), &new_shape).ok_or_else(|| {
            Error::shape(
                "view",
                "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
            )
        })?;
        self.with_layout("view", new_shape, stride, self.storage_offset())
    }

    /// As [`Tensor::view`] when the strides allow it, otherwise a contiguous copy with the new
    /// shape (PyTorch's `reshape`).
    ///
    /// # Errors
    /// [`Error::Shape`] if the element count differs.
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let new_shape = infer_shape("reshape", shape, self.numel())?;
        match view_strides(self.shape(), self.stride(), &new_shape) {
            Some(stride) => self.with_layout("reshape", new_shape, stride, self.storage_offset()),
            None => {
                let c = self.deep_clone();
                let stride = layout::contiguous_strides(&new_shape);
                c.with_layout("reshape", new_shape, stride, 0)
            }
        }
    }

    /// A view with size-1 dimensions repeated to `shape` (stride 0, no copy); `-1` keeps a
    /// dimension; new leading dimensions may be added.
    ///
    /// # Errors
    /// [`Error::Shape`] if a non-singleton dimension would change, or `shape` has fewer
    /// dimensions than `self`.
    pub fn expand(&self, shape: &[isize]) -> Result<Tensor> {
        let nd = shape.len();
        let td = self.dim();
        if nd < td {
            return Err(Error::shape(
                "expand",
                format!(
                    "the number of sizes provided ({nd}) must be greater or equal to the number of dimensions in the tensor ({td})"
                ),
            ));
        }
        let mut sizes = vec![0usize; nd];
        let mut strides = vec![0usize; nd];
        for i in (0..nd).rev() {
            let existing = (i + td).checked_sub(nd);
            let (size, stride) = match existing {
                Some(d) => (self.shape()[d], self.stride()[d]),
                None if i + 1 < nd => (1, sizes[i + 1].saturating_mul(strides[i + 1])),
                None => (1, 0),
            };
            let target = match shape[i] {
                -1 if existing.is_none() => {
                    return Err(Error::shape(
                        "expand",
                        format!(
                            "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}"
                        ),
                    ));
                }
                -1 => size,
                t if t < 0 => {
                    return Err(Error::shape("expand", format!("invalid size {t}")));
                }
                t => t as usize,
            };
            if size == target {
                sizes[i] = size;
                strides[i] = stride;
            } else if size == 1 {
                sizes[i] = target;
                strides[i] = 0;
            } else {
                return Err(Error::shape(
                    "expand",
                    format!(
                        "The expanded size of the tensor ({target}) must match the existing size ({size}) at non-singleton dimension {i}.  Target sizes: {shape:?}.  Tensor sizes: {:?}",
                        self.shape()
                    ),
                ));
            }
        }
        self.with_layout("expand", sizes, strides, self.storage_offset())
    }

    /// [`Tensor::expand`] to a shape of sizes (`torch.broadcast_to`).
    ///
    /// # Errors
    /// As [`Tensor::expand`].
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        let s: Vec<isize> = shape
            .iter()
            .map(|&d| isize::try_from(d))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::shape("broadcast_to", format!("shape {shape:?} too large")))?;
        self.expand(&s)
    }

    /// A view with a new size-1 dimension at `dim` (negative counts from the end, in
    /// `[-dim()-1, dim()]`).
    ///
    /// # Errors
    /// [`Error::Argument`] for a dimension out of range.
    pub fn unsqueeze(&self, dim: isize) -> Result<Tensor> {
        let n = self.dim() + 1;
        let d = wrap_dim("unsqueeze", dim, n, false)?;
        let mut shape = self.shape().to_vec();
        let mut stride = self.stride().to_vec();
        let new_stride = if d >= self.dim() {
            1
        } else {
            shape[d].saturating_mul(stride[d])
        };
        shape.insert(d, 1);
        stride.insert(d, new_stride);
        self.with_layout("unsqueeze", shape, stride, self.storage_offset())
    }

    /// Removes dimension `dim` if its size is 1; otherwise returns a view of `self` unchanged.
    ///
    /// # Errors
    /// [`Error::Argument`] for a dimension out of range.
    pub fn squeeze_dim(&self, dim: isize) -> Result<Tensor> {
        let d = wrap_dim("squeeze", dim, self.dim(), true)?;
        if self.dim() == 0 || self.shape()[d] != 1 {
            return Ok(self.clone());
        }
        let mut shape = self.shape().to_vec();
        let mut stride = self.stride().to_vec();
        shape.remove(d);
        stride.remove(d);
        self.with_layout("squeeze", shape, stride, self.storage_offset())
    }

    /// Removes every size-1 dimension.
    pub fn squeeze(&self) -> Tensor {
        let (shape, stride): (Vec<usize>, Vec<usize>) = self
            .shape()
            .iter()
            .zip(self.stride())
            .filter(|(d, _)| **d != 1)
            .map(|(&d, &s)| (d, s))
            .unzip();
        // Dropping size-1 dimensions never reaches new elements.
        self.with_layout("squeeze", shape, stride, self.storage_offset())
            .unwrap_or_else(|_| self.clone())
    }

    /// Merges dimensions `start..=end` into one (a view when possible, else a copy, as
    /// PyTorch); a 0-dim tensor becomes 1-D.
    ///
    /// # Errors
    /// [`Error::Argument`] for bad dimensions or `start` after `end`.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.dim() == 0 {
            return self.reshape(&[1]);
        }
        let s = wrap_dim("flatten", start, self.dim(), true)?;
        let e = wrap_dim("flatten", end, self.dim(), true)?;
        if s > e {
            return Err(Error::argument(
                "flatten",
                "flatten() has invalid args: start_dim cannot come after end_dim",
            ));
        }
        if s == e {
            return Ok(self.clone());
        }
        let mut shape: Vec<isize> = self.shape()[..s].iter().map(|&d| d as isize).collect();
        shape.push(self.shape()[s..=e].iter().product::<usize>() as isize);
        shape.extend(self.shape()[e + 1..].iter().map(|&d| d as isize));
        self.reshape(&shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    fn ar(n: i64) -> Tensor {
        Tensor::arange(0, n).unwrap()
    }

    #[test]
    fn python_slicing() {
        let t = ar(10);
        let v = |x: Tensor| x.to_vec::<i64>().unwrap();
        assert_eq!(v(t.slice(0, Some(1), None, 2).unwrap()), [1, 3, 5, 7, 9]);
        assert_eq!(v(t.slice(0, Some(-3), None, 1).unwrap()), [7, 8, 9]);
        assert_eq!(v(t.slice(0, Some(-30), Some(2), 1).unwrap()), [0, 1]);
        assert_eq!(
            v(t.slice(0, Some(8), Some(3), 1).unwrap()),
            Vec::<i64>::new()
        );
        assert_eq!(v(t.slice(0, None, Some(100), 4).unwrap()), [0, 4, 8]);
        assert!(t.slice(0, None, None, 0).is_err());
        assert!(t.slice(1, None, None, 1).is_err());
    }

    #[test]
    fn view_strides_follow_pytorch() {
        let m = ar(6).view(&[2, 3]).unwrap();
        assert_eq!(m.stride(), &[3, 1]);
        let mt = m.t().unwrap();
        assert_eq!(mt.stride(), &[1, 3]);
        assert!(mt.view(&[6]).is_err());
        let r = mt.reshape(&[6]).unwrap();
        assert!(!r.shares_storage(&m));
        assert_eq!(r.to_vec::<i64>().unwrap(), [0, 3, 1, 4, 2, 5]);
        assert_eq!(mt.view(&[3, 1, 2]).unwrap().stride(), &[1, 6, 3]);
        assert!(m.view(&[5, -1]).is_err());
        assert!(m.view(&[-1, -1]).is_err());
        assert_eq!(m.view(&[-1]).unwrap().shape(), &[6]);
    }

    #[test]
    fn expand_and_unsqueeze_strides() {
        let one = Tensor::ones(&[2], DType::F32);
        assert_eq!(one.expand(&[1, 3, 2]).unwrap().stride(), &[0, 0, 1]);
        assert_eq!(one.expand(&[3, 1, 2]).unwrap().stride(), &[0, 2, 1]);
        assert_eq!(
            Tensor::scalar(5i64).expand(&[3, 1]).unwrap().stride(),
            &[0, 0]
        );
        let m = Tensor::ones(&[2, 3], DType::F32);
        assert!(m.expand(&[2, 4]).is_err());
        assert_eq!(m.unsqueeze(2).unwrap().stride(), &[3, 1, 1]);
        assert_eq!(m.unsqueeze(0).unwrap().stride(), &[6, 3, 1]);
        assert_eq!(m.unsqueeze(-1).unwrap().shape(), &[2, 3, 1]);
        assert!(m.unsqueeze(4).is_err());
    }

    #[test]
    fn select_narrow_permute_flatten() {
        let m = ar(12).view(&[3, 4]).unwrap();
        let c = m.select(1, -1).unwrap();
        assert_eq!(c.storage_offset(), 3);
        assert_eq!(c.to_vec::<i64>().unwrap(), [3, 7, 11]);
        assert!(m.select(0, 3).is_err());
        assert_eq!(
            m.narrow(1, 1, 2).unwrap().to_vec::<i64>().unwrap(),
            [1, 2, 5, 6, 9, 10]
        );
        assert!(m.narrow(1, 2, 5).is_err());
        let p = m.permute(&[1, 0]).unwrap();
        assert_eq!(p.shape(), &[4, 3]);
        assert!(m.permute(&[0, 0]).is_err());
        assert!(m.permute(&[0]).is_err());
        assert_eq!(
            p.flatten(0, 1).unwrap().to_vec::<i64>().unwrap()[..4],
            [0, 4, 8, 1]
        );
        assert!(m.flatten(1, 0).is_err());
        assert_eq!(Tensor::scalar(1.0f32).flatten(0, -1).unwrap().shape(), &[1]);
        assert_eq!(
            m.unsqueeze(0).unwrap().squeeze_dim(0).unwrap().shape(),
            &[3, 4]
        );
        assert_eq!(m.squeeze_dim(0).unwrap().shape(), &[3, 4]);
    }

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes("t", &[2, 1], &[3]).unwrap(), [2, 3]);
        assert_eq!(broadcast_shapes("t", &[], &[3]).unwrap(), [3]);
        let e = broadcast_shapes("t", &[2, 3], &[4])
            .unwrap_err()
            .to_string();
        assert!(e.contains("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"));
    }
}
