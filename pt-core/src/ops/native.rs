//! Typed element access for kernels: the Rust type of each computable dtype, PyTorch's
//! casting rules between them, and strided reads/writes of a tensor's elements.
//!
//! Kernels read their inputs into row-major `Vec`s (releasing the storage guard) and only then
//! take the write guard of the destination, so a source and destination sharing one storage
//! never hold two guards at once.

use half::{bf16, f16};
use num_complex::{Complex32, Complex64};

use crate::dtype::{DType, Pod};
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::tensor::Tensor;

/// How a value converts to other types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Int,
    UInt,
    Float,
    Complex,
}

/// The Rust type of a computable dtype, with PyTorch's (x86) casting semantics:
/// float → int truncates toward zero (out of range gives the "integer indefinite" value
/// `MIN` for 32/64-bit targets and wraps through `int32` for narrower ones, as PyTorch's C++
/// casts do on x86), int → narrower int wraps, anything → bool is `!= 0`, complex → real
/// takes the real part.
pub(crate) trait Native: Copy + Send + Sync + 'static {
    /// The dtype whose elements this type represents.
    const DTYPE: DType;
    /// Which family it converts from.
    const KIND: Kind;
    /// How the element sits in storage (`u8` for bool, whose bytes may hold any value).
    type Raw: Pod;
    fn from_raw(r: Self::Raw) -> Self;
    fn into_raw(self) -> Self::Raw;
    fn to_f64(self) -> f64;
    fn to_i64(self) -> i64;
    fn to_u64(self) -> u64;
    fn to_c64(self) -> Complex64;
    fn to_bool(self) -> bool;
    fn from_f64(v: f64) -> Self;
    fn from_i64(v: i64) -> Self;
    fn from_u64(v: u64) -> Self;
    fn from_bool(v: bool) -> Self;
    fn from_c64(v: Complex64) -> Self;

    /// Converts with PyTorch's casting rules.
    #[inline]
    fn cast<U: Native>(self) -> U {
        match Self::KIND {
            Kind::Bool => U::from_bool(self.to_bool()),
            Kind::Int => U::from_i64(self.to_i64()),
            Kind::UInt => U::from_u64(self.to_u64()),
            Kind::Float => U::from_f64(self.to_f64()),
            Kind::Complex => U::from_c64(self.to_c64()),
        }
    }
}

/// Truncation toward zero as x86's `cvttsd2si` does it: out of range and NaN give `i64::MIN`.
#[inline]
fn trunc_i64(v: f64) -> i64 {
    // ±2^63 are exactly representable; [-2^63, 2^63) is the range.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        i64::MIN
    } else {
        v as i64
    }
}

/// As [`trunc_i64`] for a 32-bit target.
#[inline]
fn trunc_i32(v: f64) -> i32 {
    if !(-2_147_483_649.0 < v && v < 2_147_483_648.0) {
        i32::MIN
    } else {
        v as i32
    }
}

macro_rules! native_float {
    ($t:ty, $d:ident, $to:expr, $from:expr) => {
        impl Native for $t {
            const DTYPE: DType = DType::$d;
            const KIND: Kind = Kind::Float;
            type Raw = $t;
            #[inline]
            fn from_raw(r: $t) -> $t {
                r
            }
            #[inline]
            fn into_raw(self) -> $t {
                self
            }
            #[inline]
            fn to_f64(self) -> f64 {
                $to(self)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                trunc_i64(self.to_f64())
            }
            #[inline]
            fn to_u64(self) -> u64 {
                trunc_i64(self.to_f64()) as u64
            }
            #[inline]
            fn to_c64(self) -> Complex64 {
                Complex64::new(self.to_f64(), 0.0)
            }
            #[inline]
            fn to_bool(self) -> bool {
                self.to_f64() != 0.0
            }
            #[inline]
            fn from_f64(v: f64) -> $t {
                $from(v)
            }
            #[inline]
            fn from_i64(v: i64) -> $t {
                $from(v as f64)
            }
            #[inline]
            fn from_u64(v: u64) -> $t {
                $from(v as f64)
            }
            #[inline]
            fn from_bool(v: bool) -> $t {
                $from(f64::from(u8::from(v)))
            }
            #[inline]
            fn from_c64(v: Complex64) -> $t {
                $from(v.re)
            }
        }
    };
}

native_float!(f64, F64, |x: f64| x, |v: f64| v);
native_float!(f16, F16, |x: f16| x.to_f64(), f16::from_f64);
native_float!(bf16, BF16, |x: bf16| x.to_f64(), bf16::from_f64);

impl Native for f32 {
    const DTYPE: DType = DType::F32;
    const KIND: Kind = Kind::Float;
    type Raw = f32;
    #[inline]
    fn from_raw(r: f32) -> f32 {
        r
    }
    #[inline]
    fn into_raw(self) -> f32 {
        self
    }
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn to_i64(self) -> i64 {
        trunc_i64(f64::from(self))
    }
    #[inline]
    fn to_u64(self) -> u64 {
        trunc_i64(f64::from(self)) as u64
    }
    #[inline]
    fn to_c64(self) -> Complex64 {
        Complex64::new(f64::from(self), 0.0)
    }
    #[inline]
    fn to_bool(self) -> bool {
        self != 0.0
    }
    #[inline]
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    #[inline]
    fn from_i64(v: i64) -> f32 {
        // Direct conversion: one rounding, as C++ does.
        v as f32
    }
    #[inline]
    fn from_u64(v: u64) -> f32 {
        v as f32
    }
    #[inline]
    fn from_bool(v: bool) -> f32 {
        f32::from(u8::from(v))
    }
    #[inline]
    fn from_c64(v: Complex64) -> f32 {
        v.re as f32
    }
}

macro_rules! native_int {
    ($t:ty, $d:ident, $kind:ident, $from_float:expr) => {
        impl Native for $t {
            const DTYPE: DType = DType::$d;
            const KIND: Kind = Kind::$kind;
            type Raw = $t;
            #[inline]
            fn from_raw(r: $t) -> $t {
                r
            }
            #[inline]
            fn into_raw(self) -> $t {
                self
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline]
            fn to_c64(self) -> Complex64 {
                Complex64::new(self as f64, 0.0)
            }
            #[inline]
            fn to_bool(self) -> bool {
                self != 0
            }
            #[inline]
            fn from_f64(v: f64) -> $t {
                $from_float(v)
            }
            #[inline]
            fn from_i64(v: i64) -> $t {
                v as $t
            }
            #[inline]
            fn from_u64(v: u64) -> $t {
                v as $t
            }
            #[inline]
            fn from_bool(v: bool) -> $t {
                <$t>::from(v)
            }
            #[inline]
            fn from_c64(v: Complex64) -> $t {
                $from_float(v.re)
            }
        }
    };
}

native_int!(i64, I64, Int, trunc_i64);
native_int!(i32, I32, Int, trunc_i32);
native_int!(i16, I16, Int, |v| trunc_i32(v) as i16);
native_int!(i8, I8, Int, |v| trunc_i32(v) as i8);
native_int!(u8, U8, UInt, |v| trunc_i32(v) as u8);
native_int!(u16, U16, UInt, |v| trunc_i32(v) as u16);
native_int!(u32, U32, UInt, |v| trunc_i64(v) as u32);
native_int!(u64, U64, UInt, |v| trunc_i64(v) as u64);

impl Native for bool {
    const DTYPE: DType = DType::Bool;
    const KIND: Kind = Kind::Bool;
    type Raw = u8;
    #[inline]
    fn from_raw(r: u8) -> bool {
        r != 0
    }
    #[inline]
    fn into_raw(self) -> u8 {
        u8::from(self)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
    #[inline]
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
    #[inline]
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
    #[inline]
    fn to_c64(self) -> Complex64 {
        Complex64::new(self.to_f64(), 0.0)
    }
    #[inline]
    fn to_bool(self) -> bool {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> bool {
        v != 0.0
    }
    #[inline]
    fn from_i64(v: i64) -> bool {
        v != 0
    }
    #[inline]
    fn from_u64(v: u64) -> bool {
        v != 0
    }
    #[inline]
    fn from_bool(v: bool) -> bool {
        v
    }
    #[inline]
    fn from_c64(v: Complex64) -> bool {
        v.re != 0.0 || v.im != 0.0
    }
}

macro_rules! native_complex {
    ($t:ty, $d:ident, $part:ty) => {
        impl Native for $t {
            const DTYPE: DType = DType::$d;
            const KIND: Kind = Kind::Complex;
            type Raw = $t;
            #[inline]
            fn from_raw(r: $t) -> $t {
                r
            }
            #[inline]
            fn into_raw(self) -> $t {
                self
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self.re as f64
            }
            #[inline]
            fn to_i64(self) -> i64 {
                trunc_i64(self.re as f64)
            }
            #[inline]
            fn to_u64(self) -> u64 {
                trunc_i64(self.re as f64) as u64
            }
            #[inline]
            fn to_c64(self) -> Complex64 {
                Complex64::new(self.re as f64, self.im as f64)
            }
            #[inline]
            fn to_bool(self) -> bool {
                self.re != 0.0 || self.im != 0.0
            }
            #[inline]
            fn from_f64(v: f64) -> $t {
                <$t>::new(v as $part, 0.0)
            }
            #[inline]
            fn from_i64(v: i64) -> $t {
                <$t>::new(v as $part, 0.0)
            }
            #[inline]
            fn from_u64(v: u64) -> $t {
                <$t>::new(v as $part, 0.0)
            }
            #[inline]
            fn from_bool(v: bool) -> $t {
                <$t>::new(<$part>::from(u8::from(v)), 0.0)
            }
            #[inline]
            fn from_c64(v: Complex64) -> $t {
                <$t>::new(v.re as $part, v.im as $part)
            }
        }
    };
}

native_complex!(Complex32, C64, f32);
native_complex!(Complex64, C128, f64);

/// Runs `$body` with `$T` bound to the Rust type of a computable dtype; evaluates to
/// `Result<_>`, an [`Error::DType`] naming `$op` for the float8 types.
macro_rules! with_native {
    ($dtype:expr, $op:expr, |$T:ident| $body:expr) => {{
        use $crate::dtype::DType as __D;
        match $dtype {
            __D::F64 => {
                type $T = f64;
                Ok($body)
            }
            __D::F32 => {
                type $T = f32;
                Ok($body)
            }
            __D::F16 => {
                type $T = ::half::f16;
                Ok($body)
            }
            __D::BF16 => {
                type $T = ::half::bf16;
                Ok($body)
            }
            __D::I64 => {
                type $T = i64;
                Ok($body)
            }
            __D::I32 => {
                type $T = i32;
                Ok($body)
            }
            __D::I16 => {
                type $T = i16;
                Ok($body)
            }
            __D::I8 => {
                type $T = i8;
                Ok($body)
            }
            __D::U8 => {
                type $T = u8;
                Ok($body)
            }
            __D::U16 => {
                type $T = u16;
                Ok($body)
            }
            __D::U32 => {
                type $T = u32;
                Ok($body)
            }
            __D::U64 => {
                type $T = u64;
                Ok($body)
            }
            __D::Bool => {
                type $T = bool;
                Ok($body)
            }
            __D::C64 => {
                type $T = ::num_complex::Complex32;
                Ok($body)
            }
            __D::C128 => {
                type $T = ::num_complex::Complex64;
                Ok($body)
            }
            other => Err($crate::error::Error::DType {
                op: $op,
                dtype: other,
                detail:
                    " (float8 tensors can be read and converted from, not written or computed in)"
                        .to_string(),
            }),
        }
    }};
}
pub(crate) use with_native;

/// The elements of `t` in row-major order, converted to `C` with PyTorch's casting rules.
///
/// # Errors
/// [`Error::DType`] for a dtype without arithmetic (float8).
pub(crate) fn read_as<C: Native>(t: &Tensor, op: &'static str) -> Result<Vec<C>> {
    if matches!(t.dtype(), DType::F8E4M3Fn | DType::F8E5M2) {
        // float8 is read (decoded exactly) but never written.
        let e4m3 = t.dtype() == DType::F8E4M3Fn;
        let guard = t.storage().read();
        let mut out = Vec::with_capacity(t.numel());
        t.for_each_storage_index(|i| out.push(C::from_f64(f8_to_f64(guard[i], e4m3))));
        return Ok(out);
    }
    with_native!(t.dtype(), op, |S| read_typed::<S, C>(t))
}

/// Decodes a float8 byte (see [`crate::float8`]).
pub(crate) fn f8_to_f64(b: u8, e4m3: bool) -> f64 {
    crate::float8::decode(b, e4m3)
}

fn read_typed<S: Native, C: Native>(t: &Tensor) -> Vec<C> {
    let guard = t.storage().read();
    let src = guard.as_slice::<S::Raw>();
    let n = t.numel();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        // An empty view may carry an offset past the end of its storage.
        return out;
    }
    if t.is_contiguous() {
        let start = t.storage_offset();
        // In bounds: the layout was checked against the storage when the view was made.
        out.extend(
            src[start..start + n]
                .iter()
                .map(|&r| S::from_raw(r).cast::<C>()),
        );
    } else {
        t.for_each_storage_index(|i| out.push(S::from_raw(src[i]).cast::<C>()));
    }
    out
}

/// Writes `values` (row-major, one per element) into `dst`'s elements, cast to its dtype.
///
/// # Errors
/// [`Error::DType`] for float8; [`Error::Shape`] if the value count is not `dst.numel()`.
pub(crate) fn write_from<C: Native>(dst: &Tensor, values: &[C], op: &'static str) -> Result<()> {
    if values.len() != dst.numel() {
        return Err(Error::shape(
            op,
            format!(
                "{} values for a destination of shape {:?}",
                values.len(),
                dst.shape()
            ),
        ));
    }
    with_native!(dst.dtype(), op, |D| write_typed::<C, D>(dst, values))
}

fn write_typed<C: Native, D: Native>(dst: &Tensor, values: &[C]) {
    if values.is_empty() {
        return;
    }
    let mut guard = dst.storage().write();
    let out = guard.as_mut_slice::<D::Raw>();
    if dst.is_contiguous() {
        let start = dst.storage_offset();
        for (o, &v) in out[start..start + values.len()].iter_mut().zip(values) {
            *o = v.cast::<D>().into_raw();
        }
    } else {
        let mut k = 0;
        dst.for_each_storage_index(|i| {
            out[i] = values[k].cast::<D>().into_raw();
            k += 1;
        });
    }
}

/// A new contiguous tensor of `dtype` holding `values` (row-major) cast to it.
///
/// # Errors
/// As [`write_from`].
pub(crate) fn tensor_from_values<C: Native>(
    values: &[C],
    shape: &[usize],
    dtype: DType,
    op: &'static str,
) -> Result<Tensor> {
    let t = Tensor::empty_checked(shape, dtype, op)?;
    write_from(&t, values, op)?;
    Ok(t)
}

/// A scalar converted to `D` with PyTorch's casting rules.
#[inline]
pub(crate) fn scalar_to<D: Native>(s: Scalar) -> D {
    match s {
        Scalar::Bool(b) => D::from_bool(b),
        Scalar::Int(i) => D::from_i64(i),
        Scalar::Float(f) => D::from_f64(f),
        Scalar::Complex(c) => D::from_c64(c),
    }
}

/// `v` rounded to the precision of the floating dtype `d` (kernels compute floats in `f64`
/// and round where PyTorch would hold an intermediate in `d`).
#[inline]
pub(crate) fn round_to(d: DType, v: f64) -> f64 {
    match d {
        DType::F32 | DType::C64 => f64::from(v as f32),
        DType::F16 => f16::from_f64(v).to_f64(),
        DType::BF16 => bf16::from_f64(v).to_f64(),
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_to_int_casts_match_pytorch_on_x86() {
        // Values from torch 2.x: tensor([-1.5, 2.7, 300.5, -300.5, 1e10, nan]).to(dtype).
        let xs = [-1.5f32, 2.7, 300.5, -300.5, 1e10, f32::NAN];
        let u8s: Vec<u8> = xs.iter().map(|x| x.cast()).collect();
        assert_eq!(u8s, [255, 2, 44, 212, 0, 0]);
        let i8s: Vec<i8> = xs.iter().map(|x| x.cast()).collect();
        assert_eq!(i8s, [-1, 2, 44, -44, 0, 0]);
        let i32s: Vec<i32> = xs.iter().map(|x| x.cast()).collect();
        assert_eq!(i32s, [-1, 2, 300, -300, i32::MIN, i32::MIN]);
        let i64s: Vec<i64> = xs.iter().map(|x| x.cast()).collect();
        assert_eq!(i64s, [-1, 2, 300, -300, 10_000_000_000, i64::MIN]);
        let bools: Vec<bool> = xs.iter().map(|x| x.cast()).collect();
        assert_eq!(bools, [true; 6]);
    }

    #[test]
    fn float8_decoding() {
        assert_eq!(f8_to_f64(0x38, true), 1.0);
        assert_eq!(f8_to_f64(0x3c, false), 1.0);
        assert_eq!(f8_to_f64(0x7e, true), 448.0);
        assert!(f8_to_f64(0x7f, true).is_nan());
        assert_eq!(f8_to_f64(0x01, true), 2f64.powi(-9));
        assert_eq!(f8_to_f64(0xfc, false), f64::NEG_INFINITY);
        assert_eq!(f8_to_f64(0x7b, false), 57344.0);
    }

    #[test]
    fn int_and_complex_casts() {
        assert_eq!(300i64.cast::<u8>(), 44);
        assert_eq!(70000i64.cast::<i16>(), 4464);
        assert_eq!(Complex64::new(1.5, 2.0).cast::<f32>(), 1.5);
        assert!(Complex32::new(0.0, 2.0).cast::<bool>());
        assert_eq!(true.cast::<f64>(), 1.0);
        assert_eq!(u64::MAX.cast::<f64>(), 18446744073709551615.0);
        assert_eq!(16_777_217i64.cast::<f32>(), 16_777_216.0);
    }
}
