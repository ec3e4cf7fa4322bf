//! Compute kernels on a tensor's own dtype: f32 and f64 natively, f16 and bf16 through f32
//! with one rounding on store (as PyTorch's CPU kernels do).
//!
//! Inputs are read where they live: a contiguous tensor of the compute type is borrowed
//! under its storage's read lock; anything else (strided, half precision) is gathered once
//! into a compact vector of the compute type. Outputs are built in a `Vec` and handed to a
//! new storage without a copy ([`crate::Storage::from_vec`]).

pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod gemm;
pub(crate) mod simd;
pub(crate) mod threads;

use half::{bf16, f16};

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::native::read_as;
use crate::ops::promote::scalar_type_name;
use crate::storage::{Storage, StorageRead};
use crate::tensor::{Tensor, layout};

pub use threads::{num_threads, set_num_threads};

/// A floating compute type (`f32` or `f64`) with the functions kernels need.
pub(crate) trait Real:
    gemm::GemmFloat
    + crate::dtype::Pod
    + crate::ops::native::Native
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::ops::AddAssign
    + std::ops::MulAssign
    + std::iter::Sum
    + math::Transcendental
{
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn from_f64_lossy(v: f64) -> Self;
    fn is_nan_r(self) -> bool;
    fn as_f64(self) -> f64;
    const NEG_INFINITY: Self;
}

macro_rules! real {
    ($t:ident) => {
        impl Real for $t {
            #[inline]
            fn ln(self) -> $t {
                $t::ln(self)
            }
            #[inline]
            fn sqrt(self) -> $t {
                $t::sqrt(self)
            }
            #[inline]
            fn from_f64_lossy(v: f64) -> $t {
                v as $t
            }
            #[inline]
            fn is_nan_r(self) -> bool {
                self.is_nan()
            }
            #[inline]
            fn as_f64(self) -> f64 {
                f64::from(self)
            }
            const NEG_INFINITY: $t = $t::NEG_INFINITY;
        }
    };
}
real!(f32);
real!(f64);

pub(crate) mod math;

/// Calls `$body` with `$T` bound to the compute type of a floating `$dtype` (f32 for
/// f32/f16/bf16, f64 for f64); other dtypes are PyTorch's "not implemented" error.
macro_rules! with_real {
    ($dtype:expr, $op:expr, |$T:ident| $body:expr) => {{
        match $dtype {
            $crate::dtype::DType::F32 | $crate::dtype::DType::F16 | $crate::dtype::DType::BF16 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
            d => Err($crate::kernels::not_implemented($op, d)),
        }
    }};
}
pub(crate) use with_real;

/// PyTorch's error for a dtype an op has no kernel for.
pub(crate) fn not_implemented(op: &'static str, d: DType) -> Error {
    Error::DType {
        op,
        dtype: d,
        detail: format!(": \"{op}\" not implemented for '{}'", scalar_type_name(d)),
    }
}

/// Elements of a tensor in the compute type `T`, with their layout: either the tensor's own
/// storage (borrowed under the read lock) or a compact copy.
pub(crate) struct Input<'a, T: Real> {
    backing: Backing<'a, T>,
    /// Offset of the first element in [`Input::data`].
    pub offset: usize,
    /// Strides in elements, one per dimension of the tensor.
    pub stride: Vec<usize>,
}

enum Backing<'a, T> {
    Borrowed(StorageRead<'a>),
    Owned(Vec<T>),
}

impl<'a, T: Real> Input<'a, T> {
    /// The tensor in place when its dtype is `T` and `strided` is allowed or it is
    /// contiguous; else a contiguous copy converted to `T`.
    pub(crate) fn of(t: &'a Tensor, strided: bool, op: &'static str) -> Result<Input<'a, T>> {
        if t.dtype() == <T as crate::dtype::Element>::DTYPE
            && (strided || t.is_contiguous())
            && t.numel() > 0
        {
            return Ok(Input {
                backing: Backing::Borrowed(t.storage().read()),
                offset: t.storage_offset(),
                stride: t.stride().to_vec(),
            });
        }
        Ok(Input {
            backing: Backing::Owned(read_as::<T>(t, op)?),
            offset: 0,
            stride: layout::contiguous_strides(t.shape()),
        })
    }

    /// As [`Input::of`], but always a copy when `t` shares storage with one of `held` (whose
    /// read locks the caller holds: taking a second one could deadlock behind a writer).
    pub(crate) fn of_distinct(
        t: &'a Tensor,
        held: &[&Tensor],
        strided: bool,
        op: &'static str,
    ) -> Result<Input<'a, T>> {
        if held.iter().any(|h| h.shares_storage(t)) {
            return Ok(Input {
                backing: Backing::Owned(read_as::<T>(t, op)?),
                offset: 0,
                stride: layout::contiguous_strides(t.shape()),
            });
        }
        Input::of(t, strided, op)
    }

    /// The whole backing slice; elements start at [`Input::offset`].
    pub(crate) fn data(&self) -> &[T] {
        match &self.backing {
            Backing::Borrowed(g) => g.as_slice::<T>(),
            Backing::Owned(v) => v,
        }
    }

    /// The `n` elements of a contiguous input.
    pub(crate) fn contiguous(&self, n: usize) -> &[T] {
        &self.data()[self.offset..self.offset + n]
    }
}

/// A contiguous tensor of `dtype` from compute-type values: adopted as they are for the
/// compute type itself, rounded once to f16/bf16 otherwise.
pub(crate) fn finish<T: Real>(values: Vec<T>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let storage = match dtype {
        d if d == <T as crate::dtype::Element>::DTYPE => Storage::from_vec(values),
        DType::F16 => Storage::from_vec(
            values
                .iter()
                .map(|v| f16::from_f64(v.as_f64()))
                .collect::<Vec<_>>(),
        ),
        DType::BF16 => Storage::from_vec(
            values
                .iter()
                .map(|v| bf16::from_f64(v.as_f64()))
                .collect::<Vec<_>>(),
        ),
        d => return Err(not_implemented("store", d)),
    };
    Tensor::from_parts(
        storage,
        dtype,
        shape.to_vec(),
        layout::contiguous_strides(shape),
        0,
    )
}
