//! Typed slice access to contiguous tensors, under the storage's lock.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Range};

use super::Tensor;
use crate::dtype::Pod;
use crate::error::{Error, Result};
use crate::storage::{StorageRead, StorageWrite};

/// The elements of a contiguous tensor as `&[T]`, holding its storage's read lock.
pub struct TensorSlice<'a, T> {
    guard: StorageRead<'a>,
    range: Range<usize>,
    _t: PhantomData<T>,
}

/// The elements of a contiguous tensor as `&mut [T]`, holding its storage's write lock.
/// Writes are seen through every view of the storage.
pub struct TensorSliceMut<'a, T> {
    guard: StorageWrite<'a>,
    range: Range<usize>,
    _t: PhantomData<T>,
}

impl Tensor {
    /// The elements as a slice, when the tensor is contiguous and of element type `T`.
    /// Other views of the storage can read meanwhile; writers wait for the guard to drop.
    ///
    /// # Errors
    /// [`Error::DType`] if `T` is not the tensor's element type, [`Error::Argument`] if the
    /// tensor is not contiguous (use [`Tensor::contiguous`] first).
    pub fn read_slice<T: Pod>(&self) -> Result<TensorSlice<'_, T>> {
        let range = self.slice_range::<T>("read_slice")?;
        Ok(TensorSlice {
            guard: self.storage().read(),
            range,
            _t: PhantomData,
        })
    }

    /// The elements as a mutable slice, when the tensor is contiguous and of element type
    /// `T`. Holds the storage's write lock: do not touch other views of the same storage
    /// on this thread while the guard lives (that would deadlock).
    ///
    /// # Errors
    /// As [`Tensor::read_slice`].
    pub fn write_slice<T: Pod>(&self) -> Result<TensorSliceMut<'_, T>> {
        let range = self.slice_range::<T>("write_slice")?;
        Ok(TensorSliceMut {
            guard: self.storage().write(),
            range,
            _t: PhantomData,
        })
    }

    /// The element range of the storage this contiguous tensor covers.
    fn slice_range<T: Pod>(&self, op: &'static str) -> Result<Range<usize>> {
        if T::DTYPE != self.dtype() {
            return Err(Error::DType {
                op,
                dtype: self.dtype(),
                detail: format!(" (asked for {})", T::DTYPE),
            });
        }
        if !self.is_contiguous() {
            return Err(Error::argument(
                op,
                format!(
                    "tensor of shape {:?} with stride {:?} is not contiguous; call contiguous() first",
                    self.shape(),
                    self.stride()
                ),
            ));
        }
        // In bounds: the layout was checked against the storage when the view was made.
        let start = self.storage_offset();
        Ok(start..start + self.numel())
    }
}

impl<T: Pod> Deref for TensorSlice<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.guard
            .as_slice::<T>()
            .get(self.range.clone())
            .unwrap_or_default()
    }
}

impl<T: Pod> Deref for TensorSliceMut<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.guard
            .as_slice::<T>()
            .get(self.range.clone())
            .unwrap_or_default()
    }
}

impl<T: Pod> DerefMut for TensorSliceMut<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        let range = self.range.clone();
        self.guard
            .as_mut_slice::<T>()
            .get_mut(range)
            .unwrap_or_default()
    }
}

impl<T: Pod> fmt::Debug for TensorSlice<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Pod> fmt::Debug for TensorSliceMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::{DType, Tensor};

    #[test]
    fn contiguous_views_read_and_write_in_place() {
        let base = Tensor::arange(0, 10).unwrap();
        let mid = base.narrow(0, 2, 3).unwrap();
        assert_eq!(&*mid.read_slice::<i64>().unwrap(), &[2, 3, 4]);
        mid.write_slice::<i64>().unwrap()[0] = 20;
        assert_eq!(base.to_vec::<i64>().unwrap()[2], 20);
    }

    #[test]
    fn wrong_dtype_or_layout_is_an_error() {
        let m = Tensor::zeros(&[2, 3], DType::F32);
        assert!(m.read_slice::<f64>().is_err());
        let t = m.t().unwrap();
        let err = t.read_slice::<f32>().unwrap_err().to_string();
        assert!(err.contains("not contiguous"), "{err}");
        assert_eq!(t.contiguous().read_slice::<f32>().unwrap().len(), 6);
        let empty = Tensor::zeros(&[0, 3], DType::F32);
        assert!(empty.read_slice::<f32>().unwrap().is_empty());
    }
}
