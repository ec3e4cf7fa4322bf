//! Copies and conversions: `deep_clone`, `contiguous`, `to_dtype`, `copy_`, `item`,
//! `equal`, `allclose`.

use num_complex::Complex64;

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::ops::native::{read_as, with_native, write_from};
use crate::ops::promote::{promote_types, scalar_type_name};
use crate::scalar::Scalar;
use crate::storage::Storage;
use crate::tensor::Tensor;

impl Tensor {
    /// PyTorch's `.clone()`: the same values in a new, compact, contiguous storage of exactly
    /// `numel × element size` bytes (a 5-element clone of a 999-element storage owns 40
    /// bytes). Keeps `requires_grad`. Works for every dtype, float8 included.
    pub fn deep_clone(&self) -> Tensor {
        let storage = Storage::from_bytes(&self.to_contiguous_bytes());
        let t = Tensor::contiguous_in(storage, self.dtype(), self.shape())
            .unwrap_or_else(|_| unreachable!("a compact layout fits its own storage"));
        t.with_requires_grad(self.requires_grad())
    }

    /// `self` (a handle sharing storage) when already contiguous, else a compact copy.
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            self.clone()
        } else {
            self.deep_clone()
        }
    }

    /// The values converted to `dtype` with PyTorch's casting rules (float → int truncates
    /// toward zero, → bool is `!= 0`, complex → real keeps the real part). Returns `self`
    /// (shared) when the dtype already matches, as PyTorch's `.to()`.
    ///
    /// # Errors
    /// [`Error::DType`] when `dtype` is a float8 type (float8 sources decode exactly).
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let out = Tensor::empty_checked(self.shape(), dtype, "to_dtype")?;
        copy_values(&out, self, "to_dtype")?;
        Ok(out.with_requires_grad(self.requires_grad()))
    }

    /// Copies `src` into `self` (PyTorch's `copy_`): `src` broadcasts to `self`'s shape and
    /// its values are converted to `self`'s dtype. `src` may overlap `self` (it is read fully
    /// before anything is written). Visible through every view of `self`'s storage.
    ///
    /// # Errors
    /// [`Error::Shape`] if `src` does not broadcast to `self`'s shape; [`Error::Argument`]
    /// if `self` has elements sharing one memory location (an expanded view);
    /// [`Error::DType`] for conversions involving float8 (a same-dtype float8 copy works).
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        crate::ops::binary::check_no_internal_overlap(self, "copy_")?;
        let src = src.broadcast_to(self.shape()).map_err(|_| {
            Error::shape(
                "copy_",
                format!(
                    "source of shape {:?} does not broadcast to destination shape {:?}",
                    src.shape(),
                    self.shape()
                ),
            )
        })?;
        if src.dtype() == self.dtype() && !self.dtype().is_computable() {
            return copy_bytes(self, &src);
        }
        copy_values(self, &src, "copy_")
    }

    /// The single value of a one-element tensor as `T`, converted with PyTorch's casting
    /// rules (PyTorch's `.item()`).
    ///
    /// # Errors
    /// [`Error::Shape`] unless `numel() == 1`; [`Error::DType`] for float8.
    pub fn item<T: Element>(&self) -> Result<T> {
        self.check_one("item")?;
        let v = self.to_dtype(T::DTYPE)?.to_vec::<T>()?;
        v.into_iter()
            .next()
            .ok_or_else(|| Error::shape("item", "no element"))
    }

    /// The single value as a [`Scalar`] of the tensor's kind (bool, int, float or complex).
    ///
    /// # Errors
    /// As [`Tensor::item`].
    pub fn item_scalar(&self) -> Result<Scalar> {
        self.check_one("item")?;
        let d = self.dtype();
        Ok(if d == DType::Bool {
            Scalar::Bool(self.item::<bool>()?)
        } else if d.is_complex() {
            Scalar::Complex(self.item::<Complex64>()?)
        } else if d.is_floating_point() {
            Scalar::Float(self.item::<f64>()?)
        } else {
            Scalar::Int(self.item::<i64>()?)
        })
    }

    /// The single value as `f64` (complex: the real part).
    ///
    /// # Errors
    /// As [`Tensor::item`].
    pub fn item_f64(&self) -> Result<f64> {
        self.check_one("item")?;
        Ok(read_as::<f64>(self, "item")?[0])
    }

    fn check_one(&self, op: &'static str) -> Result<()> {
        if self.numel() == 1 {
            Ok(())
        } else {
            Err(Error::shape(
                op,
                format!(
                    "a Tensor with {} elements cannot be converted to Scalar",
                    self.numel()
                ),
            ))
        }
    }

    /// The elements in row-major order converted to `f64` (complex: the real part).
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn to_vec_f64(&self) -> Result<Vec<f64>> {
        read_as::<f64>(self, "to_vec_f64")
    }

    /// `torch.equal`: same shape and equal values (compared in the promoted dtype; NaN is
    /// never equal). False when the dtypes cannot be promoted.
    pub fn equal(&self, other: &Tensor) -> bool {
        if self.shape() != other.shape() {
            return false;
        }
        let Ok(common) = promote_types(self.dtype(), other.dtype()) else {
            return false;
        };
        let read = |t: &Tensor| -> Result<Vec<Complex64>> {
            read_as::<Complex64>(&t.to_dtype(common)?, "equal")
        };
        if common.is_complex() || common.is_floating_point() {
            match (read(self), read(other)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        } else {
            // Integers compare exactly (i64 holds every value bit for bit).
            let read_i = |t: &Tensor| read_as::<i64>(&t.to_dtype(common)?, "equal");
            match (read_i(self), read_i(other)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        }
    }

    /// `torch.allclose`: every `|self - other| <= atol + rtol * |other|` (broadcasting; NaN is
    /// never close; equal infinities are).
    ///
    /// # Errors
    /// [`Error::DType`] if the dtypes differ (as PyTorch: "Float did not match Long");
    /// [`Error::Shape`] if the shapes do not broadcast.
    pub fn allclose(&self, other: &Tensor, rtol: f64, atol: f64) -> Result<bool> {
        if self.dtype() != other.dtype() {
            return Err(Error::DType {
                op: "allclose",
                dtype: other.dtype(),
                detail: format!(
                    ": {} did not match {}",
                    scalar_type_name(other.dtype()),
                    scalar_type_name(self.dtype())
                ),
            });
        }
        let shape = crate::tensor::broadcast_shapes("allclose", self.shape(), other.shape())?;
        let a = read_as::<Complex64>(&self.broadcast_to(&shape)?, "allclose")?;
        let b = read_as::<Complex64>(&other.broadcast_to(&shape)?, "allclose")?;
        Ok(a.iter().zip(&b).all(|(x, y)| {
            if x == y {
                return true;
            }
            let finite =
                x.re.is_finite() && x.im.is_finite() && y.re.is_finite() && y.im.is_finite();
            finite && (x - y).norm() <= atol + rtol * y.norm()
        }))
    }

    /// [`Tensor::allclose`] with PyTorch's defaults `rtol = 1e-5`, `atol = 1e-8`.
    ///
    /// # Errors
    /// As [`Tensor::allclose`].
    pub fn allclose_default(&self, other: &Tensor) -> Result<bool> {
        self.allclose(other, 1e-5, 1e-8)
    }
}

/// Converts every element of `src` (already `dst`'s shape) into `dst`.
fn copy_values(dst: &Tensor, src: &Tensor, op: &'static str) -> Result<()> {
    if !src.dtype().is_computable() {
        // float8 decodes exactly to f64.
        let v = read_as::<f64>(src, op)?;
        return write_from(dst, &v, op);
    }
    with_native!(src.dtype(), op, |S| {
        let v = read_as::<S>(src, op)?;
        write_from::<S>(dst, &v, op)?
    })
}

/// Same-dtype byte copy (used for dtypes without arithmetic).
fn copy_bytes(dst: &Tensor, src: &Tensor) -> Result<()> {
    let bytes = src.to_contiguous_bytes();
    let es = dst.dtype().size();
    let mut guard = dst.storage().write();
    let mut k = 0;
    dst.for_each_storage_index(|i| {
        guard[i * es..(i + 1) * es].copy_from_slice(&bytes[k..k + es]);
        k += es;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_is_compact() {
        let large = Tensor::arange(1, 1000).unwrap();
        let small = large.slice(0, Some(0), Some(5), 1).unwrap();
        assert_eq!(small.storage().nbytes(), 7992);
        let c = small.deep_clone();
        assert_eq!(c.storage().nbytes(), 40);
        assert_eq!(c.to_vec::<i64>().unwrap(), [1, 2, 3, 4, 5]);
        assert!(large.contiguous().shares_storage(&large));
        let t = large.view(&[27, 37]).unwrap().t().unwrap();
        assert!(!t.contiguous().shares_storage(&large));
    }

    #[test]
    fn conversions() {
        let f = Tensor::from_slice_1d(&[-1.5f32, 2.7, 0.0]);
        assert_eq!(
            f.to_dtype(DType::I64).unwrap().to_vec::<i64>().unwrap(),
            [-1, 2, 0]
        );
        assert_eq!(
            f.to_dtype(DType::Bool).unwrap().to_vec::<bool>().unwrap(),
            [true, true, false]
        );
        let c = Tensor::from_slice_1d(&[Complex64::new(1.5, 2.0)]);
        assert_eq!(
            c.to_dtype(DType::F32).unwrap().to_vec::<f32>().unwrap(),
            [1.5]
        );
        assert_eq!(Tensor::scalar(3.9f64).item::<i32>().unwrap(), 3);
        assert_eq!(
            Tensor::scalar(true).item_scalar().unwrap(),
            Scalar::Bool(true)
        );
        assert!(Tensor::arange(0, 2).unwrap().item_f64().is_err());
    }

    #[test]
    fn copy_converts_broadcasts_and_handles_overlap() {
        let dst = Tensor::zeros(&[2, 3], DType::F64);
        dst.copy_(&Tensor::from_slice_1d(&[1i64, 2, 3])).unwrap();
        assert_eq!(dst.to_vec::<f64>().unwrap(), [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
        // Overlapping source and destination in one storage.
        let a = Tensor::arange(0, 6).unwrap();
        let head = a.narrow(0, 0, 4).unwrap();
        let tail = a.narrow(0, 2, 4).unwrap();
        tail.copy_(&head).unwrap();
        assert_eq!(a.to_vec::<i64>().unwrap(), [0, 1, 0, 1, 2, 3]);
        assert!(dst.copy_(&Tensor::zeros(&[4], DType::F64)).is_err());
        let e = Tensor::zeros(&[3], DType::F32).expand(&[2, 3]).unwrap();
        assert!(e.copy_(&dst).is_err());
    }

    #[test]
    fn equal_and_allclose() {
        let a = Tensor::from_slice_1d(&[1.0f32, 2.0]);
        let b = Tensor::from_slice_1d(&[1.0f32, 2.000001]);
        assert!(!a.equal(&b));
        assert!(a.allclose_default(&b).unwrap());
        assert!(a.equal(&Tensor::from_slice_1d(&[1i64, 2])));
        assert!(
            a.allclose_default(&Tensor::from_slice_1d(&[1i64, 2]))
                .is_err()
        );
        let n = Tensor::from_slice_1d(&[f32::NAN]);
        assert!(!n.equal(&n));
        assert!(!n.allclose_default(&n).unwrap());
    }
}
