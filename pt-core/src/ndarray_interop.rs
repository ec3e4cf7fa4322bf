//! Conversions between [`Tensor`] and [`ndarray`] arrays: copies both ways, and zero-copy
//! borrowed views of a tensor's elements (under its storage lock) for any layout.

use ndarray::{ArrayBase, ArrayD, ArrayViewD, ArrayViewMutD, Data, Dimension, IxDyn, ShapeBuilder};

use crate::dtype::{Element, Pod};
use crate::error::{Error, Result};
use crate::tensor::{Tensor, check_pod};

fn shape_error(op: &'static str, e: ndarray::ShapeError) -> Error {
    Error::shape(op, format!("ndarray refused the layout: {e}"))
}

impl Tensor {
    /// The strides for ndarray: the tensor's, except all 0 for an empty tensor (whose offset
    /// and strides may point past its storage, which ndarray refuses; nothing is read).
    fn ndarray_strides(&self) -> Vec<usize> {
        if self.numel() == 0 {
            vec![0; self.dim()]
        } else {
            self.stride().to_vec()
        }
    }

    /// A copy of the elements as an owned `ndarray` array with the same shape.
    ///
    /// # Errors
    /// [`Error::DType`] unless `T` is this tensor's element type (convert with
    /// [`Tensor::to_dtype`] first).
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        let values = self.to_vec::<T>()?;
        ArrayD::from_shape_vec(IxDyn(self.shape()), values)
            .map_err(|e| shape_error("to_ndarray", e))
    }

    /// Calls `f` with a zero-copy `ndarray` view of the elements: same shape, strides in
    /// elements (0 for expanded dimensions), any layout. The storage's read lock is held while
    /// `f` runs, so `f` must not write to this storage through another tensor (that would
    /// deadlock).
    ///
    /// # Errors
    /// [`Error::DType`] unless `T` is this tensor's element type.
    pub fn with_ndarray_view<T: Pod, R>(
        &self,
        f: impl FnOnce(ArrayViewD<'_, T>) -> R,
    ) -> Result<R> {
        check_pod::<T>(self, "with_ndarray_view")?;
        let guard = self.storage().read();
        let all = guard.as_slice::<T>();
        let data = &all[self.storage_offset().min(all.len())..];
        let shape = IxDyn(self.shape()).strides(IxDyn(&self.ndarray_strides()));
        let view =
            ArrayViewD::from_shape(shape, data).map_err(|e| shape_error("with_ndarray_view", e))?;
        Ok(f(view))
    }

    /// Calls `f` with a zero-copy mutable `ndarray` view of the elements; writes are seen by
    /// every view of the storage. The storage's write lock is held while `f` runs, so `f`
    /// must not touch this storage through another tensor (that would deadlock).
    ///
    /// # Errors
    /// [`Error::DType`] unless `T` is this tensor's element type; [`Error::Argument`] for an
    /// expanded view (elements sharing memory cannot be borrowed mutably).
    pub fn with_ndarray_view_mut<T: Pod, R>(
        &self,
        f: impl FnOnce(ArrayViewMutD<'_, T>) -> R,
    ) -> Result<R> {
        check_pod::<T>(self, "with_ndarray_view_mut")?;
        crate::ops::check_no_internal_overlap(self, "with_ndarray_view_mut")?;
        let mut guard = self.storage().write();
        let all = guard.as_mut_slice::<T>();
        let start = self.storage_offset().min(all.len());
        let data = &mut all[start..];
        let shape = IxDyn(self.shape()).strides(IxDyn(&self.ndarray_strides()));
        let view = ArrayViewMutD::from_shape(shape, data)
            .map_err(|e| shape_error("with_ndarray_view_mut", e))?;
        Ok(f(view))
    }

    /// A contiguous tensor holding a copy of an `ndarray` array (any storage, dimension and
    /// memory order; elements are taken in logical row-major order).
    pub fn from_ndarray<T: Element, S: Data<Elem = T>, D: Dimension>(
        array: &ArrayBase<S, D>,
    ) -> Tensor {
        let values: Vec<T> = match array.as_slice() {
            Some(s) => s.to_vec(),
            None => array.iter().copied().collect(),
        };
        match Tensor::from_vec(values, array.shape()) {
            Ok(t) => t,
            Err(_) => unreachable!("an ndarray's element count matches its shape"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;
    use ndarray::{Array2, array};

    #[test]
    fn round_trips() {
        let a: Array2<f32> = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let t = Tensor::from_ndarray(&a);
        assert_eq!(t.shape(), &[2, 3]);
        let back = t.to_ndarray::<f32>().unwrap();
        assert_eq!(back, a.clone().into_dyn());
        // Fortran-order and transposed inputs keep their logical order.
        let tr = Tensor::from_ndarray(&a.t());
        assert_eq!(tr.to_vec::<f32>().unwrap(), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert!(t.to_ndarray::<f64>().is_err());
        let b = Tensor::from_ndarray(&array![true, false]);
        assert_eq!(b.dtype(), DType::Bool);
    }

    #[test]
    fn zero_copy_views_of_any_layout() {
        let t = Tensor::arange(0, 12).unwrap().view(&[3, 4]).unwrap();
        let col = t.select(1, 2).unwrap();
        let s = col.with_ndarray_view::<i64, _>(|v| v.sum()).unwrap();
        assert_eq!(s, 2 + 6 + 10);
        let tt = t.t().unwrap();
        let first_row = tt
            .with_ndarray_view::<i64, _>(|v| {
                v.index_axis(ndarray::Axis(0), 0)
                    .iter()
                    .copied()
                    .collect::<Vec<_>>()
            })
            .unwrap();
        assert_eq!(first_row, [0, 4, 8]);
        let e = Tensor::from_slice_1d(&[7i64]).expand(&[3, 2]).unwrap();
        assert_eq!(e.with_ndarray_view::<i64, _>(|v| v.sum()).unwrap(), 42);
        assert!(e.with_ndarray_view_mut::<i64, _>(|_| ()).is_err());
        let empty = t.narrow(0, 3, 0).unwrap();
        assert_eq!(empty.with_ndarray_view::<i64, _>(|v| v.len()).unwrap(), 0);
        col.with_ndarray_view_mut::<i64, _>(|mut v| v.fill(-1))
            .unwrap();
        assert_eq!(t.to_vec::<i64>().unwrap()[..4], [0, 1, -1, 3]);
        assert!(t.with_ndarray_view::<f32, _>(|_| ()).is_err());
    }
}
