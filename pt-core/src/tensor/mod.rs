//! [`Tensor`]: a typed, strided view of a shared [`Storage`].

pub mod layout;
mod slice;
pub(crate) mod views;

pub use slice::{TensorSlice, TensorSliceMut};
pub use views::broadcast_shapes;

use std::fmt;

use crate::dtype::{DType, Element, Pod};
use crate::error::{Error, Result};
use crate::storage::Storage;

/// A strided view of a shared [`Storage`], with PyTorch's aliasing semantics.
///
/// `Clone` is a cheap handle copy that shares the storage (as `b = a` in Python). A copy with
/// its own compact storage, PyTorch's `.clone()`, is [`Tensor::deep_clone`].
///
/// Invariant: the (shape, stride, offset) of every tensor has passed
/// [`layout::check_view`] against its storage, so every element index is in bounds.
#[derive(Clone)]
pub struct Tensor {
    storage: Storage,
    dtype: DType,
    shape: Vec<usize>,
    stride: Vec<usize>,
    offset: usize,
    requires_grad: bool,
}

impl Tensor {
    /// A view of `storage` with the given layout (sizes, strides and offset in elements).
    ///
    /// # Errors
    /// [`Error::OutOfBounds`] if any element would lie outside the storage or the layout
    /// arithmetic overflows; [`Error::Argument`] if shape and stride lengths differ.
    pub fn from_parts(
        storage: Storage,
        dtype: DType,
        shape: Vec<usize>,
        stride: Vec<usize>,
        offset: usize,
    ) -> Result<Tensor> {
        layout::check_view(
            "from_parts",
            dtype,
            &shape,
            &stride,
            offset,
            storage.nbytes(),
        )?;
        Ok(Tensor {
            storage,
            dtype,
            shape,
            stride,
            offset,
            requires_grad: false,
        })
    }

    /// A view of the same storage with a new layout, checked. Keeps `requires_grad`.
    ///
    /// # Errors
    /// As [`Tensor::from_parts`], naming `op`.
    pub fn with_layout(
        &self,
        op: &'static str,
        shape: Vec<usize>,
        stride: Vec<usize>,
        offset: usize,
    ) -> Result<Tensor> {
        layout::check_view(
            op,
            self.dtype,
            &shape,
            &stride,
            offset,
            self.storage.nbytes(),
        )?;
        Ok(Tensor {
            storage: self.storage.clone(),
            dtype: self.dtype,
            shape,
            stride,
            offset,
            requires_grad: self.requires_grad,
        })
    }

    /// A contiguous tensor owning a fresh storage of `dtype` bytes, taken as they are.
    ///
    /// # Errors
    /// [`Error::Shape`] if `bytes.len()` is not the shape's element count × element size.
    pub fn from_raw_bytes(bytes: &[u8], dtype: DType, shape: &[usize]) -> Result<Tensor> {
        let numel = layout::checked_numel(shape)
            .ok_or_else(|| Error::shape("from_raw_bytes", format!("{shape:?} overflows")))?;
        if numel.checked_mul(dtype.size()) != Some(bytes.len()) {
            return Err(Error::shape(
                "from_raw_bytes",
                format!(
                    "{} bytes given for shape {shape:?} of {dtype} ({numel} elements)",
                    bytes.len()
                ),
            ));
        }
        Tensor::contiguous_in(Storage::from_bytes(bytes), dtype, shape)
    }

    /// A contiguous tensor over a whole storage.
    pub(crate) fn contiguous_in(storage: Storage, dtype: DType, shape: &[usize]) -> Result<Tensor> {
        let stride = layout::contiguous_strides(shape);
        Tensor::from_parts(storage, dtype, shape.to_vec(), stride, 0)
    }

    /// A contiguous tensor from a `Vec` of elements and a shape.
    ///
    /// # Errors
    /// [`Error::Shape`] if the number of values is not the shape's element count.
    pub fn from_vec<T: Element>(values: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        Tensor::from_slice(&values, shape)
    }

    /// A contiguous tensor holding a copy of `values`, with the given shape.
    ///
    /// # Errors
    /// [`Error::Shape`] if the number of values is not the shape's element count.
    pub fn from_slice<T: Element>(values: &[T], shape: &[usize]) -> Result<Tensor> {
        let numel = layout::checked_numel(shape)
            .ok_or_else(|| Error::shape("from_slice", format!("{shape:?} overflows")))?;
        if numel != values.len() {
            return Err(Error::shape(
                "from_slice",
                format!(
                    "{} values for shape {shape:?} ({numel} elements)",
                    values.len()
                ),
            ));
        }
        let storage = elements_to_storage(values);
        Tensor::contiguous_in(storage, T::DTYPE, shape)
    }

    /// A 1-D tensor holding a copy of `values` (PyTorch's `torch.tensor([..])`).
    pub fn from_slice_1d<T: Element>(values: &[T]) -> Tensor {
        let storage = elements_to_storage(values);
        Tensor {
            storage,
            dtype: T::DTYPE,
            shape: vec![values.len()],
            stride: vec![1],
            offset: 0,
            requires_grad: false,
        }
    }

    /// A 0-dim tensor holding one value (PyTorch's `torch.tensor(v)`).
    pub fn scalar<T: Element>(value: T) -> Tensor {
        let storage = elements_to_storage(&[value]);
        Tensor {
            storage,
            dtype: T::DTYPE,
            shape: vec![],
            stride: vec![],
            offset: 0,
            requires_grad: false,
        }
    }

    /// The storage this tensor views (shared).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Sizes of each dimension.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Strides of each dimension, in elements.
    pub fn stride(&self) -> &[usize] {
        &self.stride
    }

    /// Offset of the first element in the storage, in elements.
    pub fn storage_offset(&self) -> usize {
        self.offset
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        // Cannot overflow: checked when the layout was validated.
        self.shape.iter().product()
    }

    /// Whether gradients would be tracked (a flag carried for PyTorch interchange; pt-core
    /// does no autograd).
    pub fn requires_grad(&self) -> bool {
        self.requires_grad
    }

    /// Sets the `requires_grad` flag on this handle.
    pub fn set_requires_grad(&mut self, requires_grad: bool) {
        self.requires_grad = requires_grad;
    }

    /// This handle with `requires_grad` set; shares storage.
    pub fn with_requires_grad(mut self, requires_grad: bool) -> Tensor {
        self.requires_grad = requires_grad;
        self
    }

    /// A handle to the same data with `requires_grad` false (PyTorch's `detach()`).
    pub fn detach(&self) -> Tensor {
        self.clone().with_requires_grad(false)
    }

    /// True when the elements are laid out row-major without gaps.
    pub fn is_contiguous(&self) -> bool {
        layout::is_contiguous(&self.shape, &self.stride)
    }

    /// True when both tensors view the same storage.
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        self.storage.same(&other.storage)
    }

    /// Visits the storage element index of every element, row-major.
    pub fn for_each_storage_index(&self, f: impl FnMut(usize)) {
        layout::for_each_index(&self.shape, &self.stride, self.offset, f);
    }

    /// The elements in row-major order as little-endian bytes (the tensor as if made
    /// contiguous). Bool is one byte per element.
    pub fn to_contiguous_bytes(&self) -> Vec<u8> {
        let es = self.dtype.size();
        let mut out = Vec::with_capacity(self.numel() * es);
        let bytes = self.storage.read();
        if self.numel() == 0 {
            // An empty view may carry an offset past the end of its storage.
            return out;
        }
        if self.is_contiguous() {
            let start = self.offset * es;
            out.extend_from_slice(&bytes[start..start + self.numel() * es]);
        } else {
            self.for_each_storage_index(|i| {
                out.extend_from_slice(&bytes[i * es..(i + 1) * es]);
            });
        }
        out
    }

    /// The elements in row-major order.
    ///
    /// # Errors
    /// [`Error::DType`] if `T` is not this tensor's element type (convert with `to_dtype`
    /// first).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.dtype {
            return Err(Error::DType {
                op: "to_vec",
                dtype: self.dtype,
                detail: format!(" (asked for {})", T::DTYPE),
            });
        }
        let bytes = self.to_contiguous_bytes();
        Ok(bytes_to_elements(&bytes))
    }
}

/// Copies elements into a new storage.
fn elements_to_storage<T: Element>(values: &[T]) -> Storage {
    let nbytes = std::mem::size_of_val(values);
    let s = Storage::zeroed(nbytes);
    {
        let mut g = s.write();
        for (dst, v) in g.chunks_exact_mut(std::mem::size_of::<T>()).zip(values) {
            // SAFETY: `v` is a valid T; for Pod types and bool, every byte of the value is
            // initialised (no padding), and we copy exactly size_of::<T>() bytes.
            let src = unsafe {
                std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>())
            };
            dst.copy_from_slice(src);
        }
    }
    s
}

/// Reads elements from host-order bytes; bool reads any non-zero byte as `true`.
fn bytes_to_elements<T: Element>(bytes: &[u8]) -> Vec<T> {
    let size = std::mem::size_of::<T>();
    bytes
        .chunks_exact(size)
        .map(|c| {
            if T::DTYPE == DType::Bool {
                let b = c[0] != 0;
                // SAFETY: T is bool here (its DTYPE says so, and only bool has DType::Bool).
                unsafe { std::mem::transmute_copy::<bool, T>(&b) }
            } else {
                // SAFETY: T is a Pod numeric type (every non-bool Element is), so any bytes of
                // its size form a valid value; read_unaligned handles alignment.
                unsafe { std::ptr::read_unaligned(c.as_ptr().cast::<T>()) }
            }
        })
        .collect()
}

/// Views a tensor's storage as `&[T]` when `T` matches; used by kernels.
pub(crate) fn check_pod<T: Pod>(t: &Tensor, op: &'static str) -> Result<()> {
    if T::DTYPE == t.dtype {
        Ok(())
    } else {
        Err(Error::DType {
            op,
            dtype: t.dtype,
            detail: format!(" (expected {})", T::DTYPE),
        })
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("dtype", &self.dtype)
            .field("shape", &self.shape)
            .field("stride", &self.stride)
            .field("offset", &self.offset)
            .field("storage_nbytes", &self.storage.nbytes())
            .field("requires_grad", &self.requires_grad)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_read() {
        let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        assert_eq!(t.stride(), &[3, 1]);
        assert!(t.is_contiguous());
        let tt = t.with_layout("t", vec![3, 2], vec![1, 3], 0).unwrap();
        assert_eq!(
            tt.to_vec::<f32>().unwrap(),
            vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
        assert!(tt.shares_storage(&t));
        assert!(t.to_vec::<f64>().is_err());
        assert!(t.with_layout("x", vec![7], vec![1], 0).is_err());
    }

    #[test]
    fn bools_and_scalars() {
        let b = Tensor::from_slice_1d(&[true, false, true]);
        assert_eq!(b.dtype(), DType::Bool);
        assert_eq!(b.to_vec::<bool>().unwrap(), vec![true, false, true]);
        let raw = Tensor::from_raw_bytes(&[0, 2, 1], DType::Bool, &[3]).unwrap();
        assert_eq!(raw.to_vec::<bool>().unwrap(), vec![false, true, true]);
        let s = Tensor::scalar(7i64);
        assert_eq!(s.dim(), 0);
        assert_eq!(s.numel(), 1);
        assert_eq!(s.to_vec::<i64>().unwrap(), vec![7]);
    }
}
