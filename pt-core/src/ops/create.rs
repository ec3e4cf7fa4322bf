//! Constructors: `zeros`, `ones`, `empty`, `full`, `arange`.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::native::{Native, scalar_to, with_native, write_from};
use crate::scalar::Scalar;
use crate::storage::Storage;
use crate::tensor::{Tensor, layout};

impl Tensor {
    /// A contiguous zero-filled tensor, checking that its byte size fits in `usize`.
    pub(crate) fn empty_checked(shape: &[usize], dtype: DType, op: &'static str) -> Result<Tensor> {
        let nbytes = layout::checked_numel(shape)
            .and_then(|n| n.checked_mul(dtype.size()))
            .ok_or_else(|| Error::shape(op, format!("shape {shape:?} of {dtype} overflows")))?;
        Tensor::from_parts(
            Storage::zeroed(nbytes),
            dtype,
            shape.to_vec(),
            layout::contiguous_strides(shape),
            0,
        )
    }

    /// A contiguous tensor of zeros (`torch.zeros(shape, dtype=dtype)`).
    ///
    /// # Panics
    /// Panics if the element count × element size overflows `usize` or the allocation fails,
    /// like `vec![0; n]`.
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        match Tensor::empty_checked(shape, dtype, "zeros") {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// A tensor with uninitialised contents in PyTorch; here zero-filled.
    ///
    /// # Panics
    /// As [`Tensor::zeros`].
    pub fn empty(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::zeros(shape, dtype)
    }

    /// A contiguous tensor of ones (`torch.ones`). For float8 dtypes the raw byte pattern of
    /// 1.0 is written.
    ///
    /// # Panics
    /// As [`Tensor::zeros`].
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        let t = Tensor::zeros(shape, dtype);
        if let Err(e) = t.fill_(1) {
            panic!("{e}");
        }
        t
    }

    /// A zero-filled tensor with the shape and dtype of `self`.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(self.shape(), self.dtype())
    }

    /// A tensor of ones with the shape and dtype of `self`.
    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(self.shape(), self.dtype())
    }

    /// A tensor filled with `value`, its dtype inferred as PyTorch's `torch.full` does: bool →
    /// `bool`, integer → `int64`, float → `float32`, complex → `complex64`.
    ///
    /// # Panics
    /// As [`Tensor::zeros`].
    pub fn full(shape: &[usize], value: impl Into<Scalar>) -> Tensor {
        let value = value.into();
        Tensor::full_dtype(shape, value, value.dtype())
    }

    /// A tensor of `dtype` filled with `value` converted with PyTorch's casting rules
    /// (`full((2,), 2.7, dtype=int64)` holds 2).
    ///
    /// # Panics
    /// As [`Tensor::zeros`].
    pub fn full_dtype(shape: &[usize], value: impl Into<Scalar>, dtype: DType) -> Tensor {
        let t = Tensor::zeros(shape, dtype);
        if let Err(e) = t.fill_(value) {
            panic!("{e}");
        }
        t
    }

    /// `torch.arange(start, end)`: the `int64` values `start, start+1, …` below `end`.
    ///
    /// # Errors
    /// As [`Tensor::arange_step`].
    pub fn arange(start: i64, end: i64) -> Result<Tensor> {
        Tensor::arange_step(start, end, 1)
    }

    /// `torch.arange(start, end, step)` with integers: `int64` values from `start` toward
    /// `end` (exclusive) in steps of `step` (may be negative).
    ///
    /// # Errors
    /// [`Error::Argument`] if `step` is 0 or its sign points away from `end`.
    pub fn arange_step(start: i64, end: i64, step: i64) -> Result<Tensor> {
        if step == 0 {
            return Err(Error::argument("arange", "step must be nonzero"));
        }
        if (step > 0 && end < start) || (step < 0 && end > start) {
            return Err(Error::argument(
                "arange",
                "upper bound and larger bound inconsistent with step sign",
            ));
        }
        let span = (i128::from(end) - i128::from(start)).unsigned_abs();
        let step_abs = u128::from(step.unsigned_abs());
        let n = usize::try_from(span.div_ceil(step_abs))
            .map_err(|_| Error::argument("arange", "too many elements"))?;
        let values: Vec<i64> = (0..n as i64).map(|i| start + i * step).collect();
        Tensor::from_vec(values, &[n])
    }

    /// `torch.arange(start, end, step, dtype=dtype)` with floats: `ceil((end - start) / step)`
    /// values `start + i * step` (computed in double, then cast to `dtype`).
    ///
    /// # Errors
    /// [`Error::Argument`] for a zero or non-finite step, non-finite bounds, or a step whose
    /// sign points away from `end`; [`Error::DType`] for float8.
    pub fn arange_f(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            return Err(Error::argument(
                "arange",
                format!("invalid range start={start}, end={end}, step={step}"),
            ));
        }
        if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
            return Err(Error::argument(
                "arange",
                "upper bound and larger bound inconsistent with step sign",
            ));
        }
        let count = ((end - start) / step).ceil();
        if count >= usize::MAX as f64 {
            return Err(Error::argument("arange", "too many elements"));
        }
        let n = count as usize;
        let values: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
        let t = Tensor::empty_checked(&[n], dtype, "arange")?;
        write_from(&t, &values, "arange")?;
        Ok(t)
    }

    /// Sets every element to `value`, converted to this tensor's dtype with PyTorch's casting
    /// rules; visible through every view of the storage. Float8 tensors accept 0 and 1.
    ///
    /// # Errors
    /// [`Error::Argument`] if an element is written twice (expanded views, as PyTorch
    /// refuses); [`Error::DType`] for float8 values other than 0 and 1.
    pub fn fill_(&self, value: impl Into<Scalar>) -> Result<()> {
        let value = value.into();
        crate::ops::binary::check_no_internal_overlap(self, "fill_")?;
        if !self.dtype().is_computable() {
            return fill_float8(self, value);
        }
        with_native!(self.dtype(), "fill_", |D| fill_typed::<D>(self, value))
    }

    /// Sets every element to zero.
    ///
    /// # Errors
    /// As [`Tensor::fill_`].
    pub fn zero_(&self) -> Result<()> {
        self.fill_(0)
    }
}

fn fill_typed<D: Native>(t: &Tensor, value: Scalar) {
    let raw = scalar_to::<D>(value).into_raw();
    let mut guard = t.storage().write();
    let out = guard.as_mut_slice::<D::Raw>();
    t.for_each_storage_index(|i| out[i] = raw);
}

fn fill_float8(t: &Tensor, value: Scalar) -> Result<()> {
    // 1.0 is 0x38 in e4m3fn (bias 7) and 0x3c in e5m2 (bias 15); 0.0 is 0 in both.
    let one = if t.dtype() == DType::F8E4M3Fn {
        0x38u8
    } else {
        0x3c
    };
    let byte = match value {
        v if !v.is_nonzero() => 0u8,
        v if v.to_complex() == num_complex::Complex64::new(1.0, 0.0) => one,
        _ => {
            return Err(Error::DType {
                op: "fill_",
                dtype: t.dtype(),
                detail: format!(" (float8 can only be filled with 0 or 1 here, got {value})"),
            });
        }
    };
    let mut guard = t.storage().write();
    t.for_each_storage_index(|i| guard[i] = byte);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_infer_like_pytorch() {
        assert_eq!(Tensor::full(&[2], 3).dtype(), DType::I64);
        assert_eq!(Tensor::full(&[2], 3.5).dtype(), DType::F32);
        assert_eq!(Tensor::full(&[2], true).dtype(), DType::Bool);
        let t = Tensor::full_dtype(&[2], 2.7, DType::I64);
        assert_eq!(t.to_vec::<i64>().unwrap(), [2, 2]);
        assert_eq!(
            Tensor::ones(&[2, 2], DType::F64).to_vec::<f64>().unwrap(),
            [1.0; 4]
        );
        assert_eq!(Tensor::zeros(&[0, 3], DType::F32).numel(), 0);
        assert_eq!(
            Tensor::ones(&[1], DType::F8E4M3Fn).to_contiguous_bytes(),
            [0x38]
        );
    }

    #[test]
    fn aranges() {
        let a = Tensor::arange(1, 10).unwrap();
        assert_eq!(a.to_vec::<i64>().unwrap(), (1..10).collect::<Vec<_>>());
        let b = Tensor::arange_step(5, -1, -2).unwrap();
        assert_eq!(b.to_vec::<i64>().unwrap(), [5, 3, 1]);
        assert!(Tensor::arange_step(0, 3, 0).is_err());
        assert!(Tensor::arange_step(3, 0, 1).is_err());
        assert_eq!(Tensor::arange(2, 2).unwrap().numel(), 0);
        let f = Tensor::arange_f(0.0, 1.0, 0.25, DType::F32).unwrap();
        assert_eq!(f.to_vec::<f32>().unwrap(), [0.0, 0.25, 0.5, 0.75]);
        assert_eq!(
            Tensor::arange_f(0.0, 1.0, 0.3, DType::F64).unwrap().numel(),
            4
        );
    }
}
