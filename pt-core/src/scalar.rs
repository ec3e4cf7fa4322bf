//! [`Scalar`]: a Python-like number (bool, int, float or complex) used by constructors,
//! fills and tensor–scalar arithmetic.

use std::fmt;

use half::{bf16, f16};
use num_complex::{Complex32, Complex64};

use crate::dtype::DType;

/// A number as Python passes it to PyTorch: its kind decides the dtype PyTorch infers and how it
/// takes part in type promotion (a "wrapped number": it never widens a tensor of its own
/// category, so `int32_tensor + 1` stays `int32` and `float16_tensor + 0.5` stays `float16`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A Python `bool`.
    Bool(bool),
    /// A Python `int` (PyTorch keeps it as `int64`).
    Int(i64),
    /// A Python `float` (a double).
    Float(f64),
    /// A Python `complex` (two doubles).
    Complex(Complex64),
}

impl Scalar {
    /// The dtype PyTorch infers for a tensor made from this value alone (`torch.tensor(v)`,
    /// `torch.full(shape, v)`): bool → `bool`, int → `int64`, float → `float32` (the default
    /// dtype), complex → `complex64`.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::F32,
            Scalar::Complex(_) => DType::C64,
        }
    }

    /// The value as a double: `true` is 1, an int is converted (rounding beyond 2⁵³), a
    /// complex gives its real part.
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => f64::from(u8::from(b)),
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
            Scalar::Complex(c) => c.re,
        }
    }

    /// The value as a complex number.
    pub fn to_complex(self) -> Complex64 {
        match self {
            Scalar::Complex(c) => c,
            other => Complex64::new(other.to_f64(), 0.0),
        }
    }

    /// True for a non-zero value (PyTorch's conversion to `bool`).
    pub fn is_nonzero(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int(i) => i != 0,
            Scalar::Float(f) => f != 0.0,
            Scalar::Complex(c) => c.re != 0.0 || c.im != 0.0,
        }
    }

    /// True for [`Scalar::Float`] and [`Scalar::Complex`].
    pub fn is_floating_or_complex(self) -> bool {
        matches!(self, Scalar::Float(_) | Scalar::Complex(_))
    }
}

impl fmt::Display for Scalar {
    /// Formats like Python's `repr` of the number (`True`, `3`, `2.5`, `(1+2j)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Scalar::Bool(true) => f.write_str("True"),
            Scalar::Bool(false) => f.write_str("False"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(v) => f.write_str(&python_float_repr(v)),
            Scalar::Complex(c) => {
                let sign = if c.im.is_sign_negative() { '-' } else { '+' };
                write!(
                    f,
                    "({}{sign}{}j)",
                    python_float_repr(c.re),
                    python_float_repr(c.im.abs())
                )
            }
        }
    }
}

/// Python's shortest `repr` of a float for the common cases (`2.0`, `0.1`, `nan`, `inf`).
fn python_float_repr(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else if v == v.trunc() && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(v: $t) -> Scalar {
                Scalar::Int(i64::from(v))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Scalar {
    fn from(v: bool) -> Scalar {
        Scalar::Bool(v)
    }
}

impl From<f64> for Scalar {
    fn from(v: f64) -> Scalar {
        Scalar::Float(v)
    }
}

impl From<f32> for Scalar {
    fn from(v: f32) -> Scalar {
        Scalar::Float(f64::from(v))
    }
}

impl From<f16> for Scalar {
    fn from(v: f16) -> Scalar {
        Scalar::Float(v.to_f64())
    }
}

impl From<bf16> for Scalar {
    fn from(v: bf16) -> Scalar {
        Scalar::Float(v.to_f64())
    }
}

impl From<Complex64> for Scalar {
    fn from(v: Complex64) -> Scalar {
        Scalar::Complex(v)
    }
}

impl From<Complex32> for Scalar {
    fn from(v: Complex32) -> Scalar {
        Scalar::Complex(Complex64::new(f64::from(v.re), f64::from(v.im)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inferred_dtypes_follow_pytorch() {
        assert_eq!(Scalar::from(3).dtype(), DType::I64);
        assert_eq!(Scalar::from(3u8).dtype(), DType::I64);
        assert_eq!(Scalar::from(true).dtype(), DType::Bool);
        assert_eq!(Scalar::from(2.5f64).dtype(), DType::F32);
        assert_eq!(Scalar::from(Complex64::new(1.0, 2.0)).dtype(), DType::C64);
    }

    #[test]
    fn conversions_and_repr() {
        assert_eq!(Scalar::from(true).to_f64(), 1.0);
        assert!(!Scalar::from(0.0).is_nonzero());
        assert!(Scalar::from(Complex64::new(0.0, 1.0)).is_nonzero());
        assert_eq!(Scalar::from(2.0).to_string(), "2.0");
        assert_eq!(Scalar::from(0.1).to_string(), "0.1");
        assert_eq!(Scalar::from(false).to_string(), "False");
        assert_eq!(
            Scalar::from(Complex64::new(1.0, -2.0)).to_string(),
            "(1.0-2.0j)"
        );
    }
}
