//! Row-major element buffers in a compute type: kernels read their inputs into one of four
//! buffers (bool, `i64`, `f64`, `Complex64`), compute, then cast the result into the output
//! dtype. `f64` holds every value of the narrower float types exactly, and computing `+ - * /`
//! and `sqrt` in `f64` and rounding once to `f32`/`f16`/`bf16` gives the correctly rounded
//! result those types would give.

use num_complex::Complex64;

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::native::{read_as, tensor_from_values, write_from};
use crate::tensor::Tensor;

/// The compute family of a dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Bool,
    Int,
    Float,
    Complex,
}

pub(crate) fn family(d: DType) -> Family {
    if d == DType::Bool {
        Family::Bool
    } else if d.is_complex() {
        Family::Complex
    } else if d.is_floating_point() {
        Family::Float
    } else {
        Family::Int
    }
}

/// A row-major buffer of values in a compute type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Values {
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Float(Vec<f64>),
    Complex(Vec<Complex64>),
}

impl Values {
    /// The elements of `t` in the compute type of its own dtype.
    pub(crate) fn read(t: &Tensor, op: &'static str) -> Result<Values> {
        Ok(match family(t.dtype()) {
            Family::Bool => Values::Bool(read_as(t, op)?),
            Family::Int => Values::Int(read_as(t, op)?),
            Family::Float => Values::Float(read_as(t, op)?),
            Family::Complex => Values::Complex(read_as(t, op)?),
        })
    }

    /// A new contiguous tensor of `dtype` holding these values.
    pub(crate) fn into_tensor(
        self,
        shape: &[usize],
        dtype: DType,
        op: &'static str,
    ) -> Result<Tensor> {
        match self {
            Values::Bool(v) => tensor_from_values(&v, shape, dtype, op),
            Values::Int(v) => tensor_from_values(&v, shape, dtype, op),
            Values::Float(v) => tensor_from_values(&v, shape, dtype, op),
            Values::Complex(v) => tensor_from_values(&v, shape, dtype, op),
        }
    }

    /// Writes these values into the elements of `dst`, cast to its dtype.
    pub(crate) fn write_into(&self, dst: &Tensor, op: &'static str) -> Result<()> {
        match self {
            Values::Bool(v) => write_from(dst, v, op),
            Values::Int(v) => write_from(dst, v, op),
            Values::Float(v) => write_from(dst, v, op),
            Values::Complex(v) => write_from(dst, v, op),
        }
    }
}
