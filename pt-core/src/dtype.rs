//! Element types and their PyTorch names.

use std::fmt;

use half::{bf16, f16};
use num_complex::{Complex32, Complex64};

/// The element type of a tensor, one for each dtype `torch.save` writes for ordinary tensors,
/// plus the unsigned and float8 types newer PyTorch stores as raw typed data.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `torch.float64`
    F64,
    /// `torch.float32`
    F32,
    /// `torch.float16`
    F16,
    /// `torch.bfloat16`
    BF16,
    /// `torch.int64`
    I64,
    /// `torch.int32`
    I32,
    /// `torch.int16`
    I16,
    /// `torch.int8`
    I8,
    /// `torch.uint8`
    U8,
    /// `torch.bool`
    Bool,
    /// `torch.complex64` (two f32)
    C64,
    /// `torch.complex128` (two f64)
    C128,
    /// `torch.uint16` (raw data; few ops)
    U16,
    /// `torch.uint32` (raw data; few ops)
    U32,
    /// `torch.uint64` (raw data; few ops)
    U64,
    /// `torch.float8_e4m3fn` (raw bytes; no arithmetic)
    F8E4M3Fn,
    /// `torch.float8_e5m2` (raw bytes; no arithmetic)
    F8E5M2,
}

impl DType {
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 17] = [
        DType::F64,
        DType::F32,
        DType::F16,
        DType::BF16,
        DType::I64,
        DType::I32,
        DType::I16,
        DType::I8,
        DType::U8,
        DType::Bool,
        DType::C64,
        DType::C128,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F8E4M3Fn,
        DType::F8E5M2,
    ];

    /// Size of one element in bytes.
    pub const fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 | DType::C64 | DType::U64 => 8,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F16 | DType::BF16 | DType::I16 | DType::U16 => 2,
            DType::I8 | DType::U8 | DType::Bool | DType::F8E4M3Fn | DType::F8E5M2 => 1,
            DType::C128 => 16,
        }
    }

    /// PyTorch's name without the `torch.` prefix: `float32`, `bfloat16`, `complex64`, …
    pub const fn name(self) -> &'static str {
        match self {
            DType::F64 => "float64",
            DType::F32 => "float32",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I64 => "int64",
            DType::I32 => "int32",
            DType::I16 => "int16",
            DType::I8 => "int8",
            DType::U8 => "uint8",
            DType::Bool => "bool",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F8E4M3Fn => "float8_e4m3fn",
            DType::F8E5M2 => "float8_e5m2",
        }
    }

    /// PyTorch's full name, as printed: `torch.float32`.
    pub fn torch_name(self) -> String {
        format!("torch.{}", self.name())
    }

    /// Parses a dtype name, with or without `torch.`, including PyTorch's aliases
    /// (`float`, `double`, `half`, `long`, `int`, `short`, `cfloat`, `cdouble`).
    pub fn from_name(name: &str) -> Option<DType> {
        let name = name.strip_prefix("torch.").unwrap_or(name);
        Some(match name {
            "float64" | "double" => DType::F64,
            "float32" | "float" => DType::F32,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "int64" | "long" => DType::I64,
            "int32" | "int" => DType::I32,
            "int16" | "short" => DType::I16,
            "int8" => DType::I8,
            "uint8" => DType::U8,
            "bool" => DType::Bool,
            "complex64" | "cfloat" => DType::C64,
            "complex128" | "cdouble" => DType::C128,
            "uint16" => DType::U16,
            "uint32" => DType::U32,
            "uint64" => DType::U64,
            "float8_e4m3fn" => DType::F8E4M3Fn,
            "float8_e5m2" => DType::F8E5M2,
            _ => return None,
        })
    }

    /// The legacy typed-storage class PyTorch pickles for this dtype (`FloatStorage`, …),
    /// or `None` for dtypes saved through `UntypedStorage` and `_rebuild_tensor_v3`.
    pub const fn legacy_storage_name(self) -> Option<&'static str> {
        Some(match self {
            DType::F64 => "DoubleStorage",
            DType::F32 => "FloatStorage",
            DType::F16 => "HalfStorage",
            DType::BF16 => "BFloat16Storage",
            DType::I64 => "LongStorage",
            DType::I32 => "IntStorage",
            DType::I16 => "ShortStorage",
            DType::I8 => "CharStorage",
            DType::U8 => "ByteStorage",
            DType::Bool => "BoolStorage",
            DType::C64 => "ComplexFloatStorage",
            DType::C128 => "ComplexDoubleStorage",
            _ => return None,
        })
    }

    /// The dtype of a legacy typed-storage class name (`FloatStorage` → f32).
    pub fn from_legacy_storage_name(name: &str) -> Option<DType> {
        DType::ALL
            .into_iter()
            .find(|d| d.legacy_storage_name() == Some(name))
    }

    /// True for f64, f32, f16, bf16 and the float8 types.
    pub const fn is_floating_point(self) -> bool {
        matches!(
            self,
            DType::F64 | DType::F32 | DType::F16 | DType::BF16 | DType::F8E4M3Fn | DType::F8E5M2
        )
    }

    /// True for complex64 and complex128.
    pub const fn is_complex(self) -> bool {
        matches!(self, DType::C64 | DType::C128)
    }

    /// True for the signed and unsigned integer types (not bool).
    pub const fn is_integer(self) -> bool {
        matches!(
            self,
            DType::I64
                | DType::I32
                | DType::I16
                | DType::I8
                | DType::U8
                | DType::U16
                | DType::U32
                | DType::U64
        )
    }

    /// True where pt-core has arithmetic and conversions for this dtype; false for the
    /// float8 types, which are carried as raw bytes only.
    pub const fn is_computable(self) -> bool {
        !matches!(self, DType::F8E4M3Fn | DType::F8E5M2)
    }

    /// The unit a byte swap works on: the element size, or half of it for complex
    /// (real and imaginary parts swap separately), 1 where nothing swaps.
    pub const fn swap_unit(self) -> usize {
        match self {
            DType::C64 => 4,
            DType::C128 => 8,
            d => d.size(),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torch.{}", self.name())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A plain element type whose every bit pattern is valid, so storage bytes can be viewed as
/// a slice of it. Implemented for the numeric types of [`DType`]; not for `bool`, whose
/// storage bytes may hold values other than 0 and 1 (see [`Element`]).
///
/// # Safety
/// Implementors must be `Copy`, have no padding, accept every bit pattern, and have
/// alignment at most 8 (the alignment of every [`crate::Storage`]).
pub unsafe trait Pod: Element + bytemuck::Pod + sealed::Sealed {}

/// A Rust type that is the element type of one [`DType`]. Sealed: only `bool` has
/// [`DType::Bool`], which element reads rely on.
pub trait Element: sealed::Sealed + Copy + Send + Sync + PartialEq + fmt::Debug + 'static {
    /// The dtype of this element type.
    const DTYPE: DType;
}

macro_rules! pod {
    ($($t:ty => $d:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        // SAFETY: primitive numeric types (or repr(transparent)/repr(C) wrappers of them)
        // without padding; every bit pattern is a valid value; alignment ≤ 8.
        unsafe impl Pod for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
        }
    )*};
}

pod! {
    f64 => F64, f32 => F32, f16 => F16, bf16 => BF16,
    i64 => I64, i32 => I32, i16 => I16, i8 => I8, u8 => U8,
    Complex32 => C64, Complex64 => C128,
    u16 => U16, u32 => U32, u64 => U64,
}

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_name(d.name()), Some(d));
            assert_eq!(DType::from_name(&d.torch_name()), Some(d));
            if let Some(s) = d.legacy_storage_name() {
                assert_eq!(DType::from_legacy_storage_name(s), Some(d));
            }
        }
        assert_eq!(DType::from_name("torch.long"), Some(DType::I64));
        assert_eq!(DType::from_name("quint8"), None);
    }

    #[test]
    fn sizes_match_rust_types() {
        assert_eq!(DType::C64.size(), std::mem::size_of::<Complex32>());
        assert_eq!(DType::C128.size(), std::mem::size_of::<Complex64>());
        assert_eq!(DType::BF16.size(), std::mem::size_of::<bf16>());
        assert!(std::mem::align_of::<Complex64>() <= 8);
    }
}
