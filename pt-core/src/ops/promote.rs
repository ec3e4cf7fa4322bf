//! PyTorch's type promotion: `promote_types`, `result_type` (with its priority of dimensioned
//! tensors over 0-dim tensors over Python numbers) and `can_cast` for in-place results.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::tensor::Tensor;

/// PyTorch's C++ `ScalarType` name of a dtype (`Float`, `Long`, …), used in its messages.
pub fn scalar_type_name(d: DType) -> &'static str {
    match d {
        DType::F64 => "Double",
        DType::F32 => "Float",
        DType::F16 => "Half",
        DType::BF16 => "BFloat16",
        DType::I64 => "Long",
        DType::I32 => "Int",
        DType::I16 => "Short",
        DType::I8 => "Char",
        DType::U8 => "Byte",
        DType::Bool => "Bool",
        DType::C64 => "ComplexFloat",
        DType::C128 => "ComplexDouble",
        DType::U16 => "UInt16",
        DType::U32 => "UInt32",
        DType::U64 => "UInt64",
        DType::F8E4M3Fn => "Float8_e4m3fn",
        DType::F8E5M2 => "Float8_e5m2",
        #[allow(unreachable_patterns)]
        _ => "Unknown",
    }
}

fn rank_float(d: DType) -> u8 {
    match d {
        DType::F16 | DType::BF16 => 1,
        DType::F32 => 2,
        _ => 3,
    }
}

/// The complex dtype holding values of the floating dtype `d`.
fn to_complex(d: DType) -> DType {
    if d == DType::F64 {
        DType::C128
    } else {
        DType::C64
    }
}

/// The smallest dtype both `a` and `b` convert to without losing their category, as
/// `torch.promote_types` (`int64 + float32 → float32`, `uint8 + int8 → int16`, `float16 +
/// bfloat16 → float32`, `float64 + complex64 → complex128`).
///
/// # Errors
/// [`Error::DType`] for the unsigned 16/32/64-bit and float8 types mixed with another dtype,
/// which PyTorch does not promote either.
pub fn promote_types(a: DType, b: DType) -> Result<DType> {
    if a == b {
        return Ok(a);
    }
    for d in [a, b] {
        if matches!(
            d,
            DType::U16 | DType::U32 | DType::U64 | DType::F8E4M3Fn | DType::F8E5M2
        ) {
            return Err(Error::DType {
                op: "promote_types",
                dtype: d,
                detail: format!(
                    " (promotion of {} with {} is not supported, as in PyTorch)",
                    scalar_type_name(a),
                    scalar_type_name(b)
                ),
            });
        }
    }
    if a == DType::Bool {
        return Ok(b);
    }
    if b == DType::Bool {
        return Ok(a);
    }
    Ok(match (a.is_complex(), b.is_complex()) {
        (true, true) => DType::C128,
        (true, false) | (false, true) => {
            let (c, other) = if a.is_complex() { (a, b) } else { (b, a) };
            if c == DType::C128 || other == DType::F64 {
                DType::C128
            } else {
                DType::C64
            }
        }
        (false, false) => match (a.is_floating_point(), b.is_floating_point()) {
            (true, false) => a,
            (false, true) => b,
            (true, true) => {
                let (ra, rb) = (rank_float(a), rank_float(b));
                if ra == 1 && rb == 1 {
                    // float16 with bfloat16
                    DType::F32
                } else if ra >= rb {
                    a
                } else {
                    b
                }
            }
            (false, false) => promote_ints(a, b),
        },
    })
}

fn int_bits(d: DType) -> u32 {
    match d {
        DType::I8 | DType::U8 => 8,
        DType::I16 => 16,
        DType::I32 => 32,
        _ => 64,
    }
}

fn promote_ints(a: DType, b: DType) -> DType {
    // Only uint8 is unsigned here: uint8 with a signed type needs a signed type of more bits.
    let (ua, ub) = (a == DType::U8, b == DType::U8);
    let bits = |d: DType, other_unsigned: bool| {
        if other_unsigned && d != DType::U8 {
            int_bits(d).max(16)
        } else {
            int_bits(d)
        }
    };
    let need = bits(a, ub).max(bits(b, ua));
    match need {
        8 => DType::I8,
        16 => DType::I16,
        32 => DType::I32,
        _ => DType::I64,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    Bool,
    Int,
    Float,
    Complex,
}

fn category(d: DType) -> Category {
    if d == DType::Bool {
        Category::Bool
    } else if d.is_complex() {
        Category::Complex
    } else if d.is_floating_point() {
        Category::Float
    } else {
        Category::Int
    }
}

/// One input of an operation for [`result_type`].
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// A tensor (0-dim tensors rank below dimensioned ones).
    Tensor(&'a Tensor),
    /// A Python number (ranks lowest; never widens a tensor of its own category).
    Scalar(Scalar),
}

impl<'a> From<&'a Tensor> for Operand<'a> {
    fn from(t: &'a Tensor) -> Operand<'a> {
        Operand::Tensor(t)
    }
}

impl From<Scalar> for Operand<'_> {
    fn from(s: Scalar) -> Self {
        Operand::Scalar(s)
    }
}

/// The dtype PyTorch computes `op(inputs…)` in (`torch.result_type`): dimensioned tensors
/// decide, unless a 0-dim tensor or a number is of a higher category (bool < int < float <
/// complex), in which case the result moves to that category.
///
/// # Errors
/// As [`promote_types`].
pub fn result_type(operands: &[Operand<'_>]) -> Result<DType> {
    let mut dim: Option<DType> = None;
    let mut zero: Option<DType> = None;
    let mut wrapped: Option<DType> = None;
    let merge = |slot: &mut Option<DType>, d: DType| -> Result<()> {
        *slot = Some(match *slot {
            None => d,
            Some(s) => promote_types(s, d)?,
        });
        Ok(())
    };
    for op in operands {
        match op {
            Operand::Tensor(t) if t.dim() > 0 => merge(&mut dim, t.dtype())?,
            Operand::Tensor(t) => merge(&mut zero, t.dtype())?,
            Operand::Scalar(s) => merge(&mut wrapped, s.dtype())?,
        }
    }
    let low = combine(zero, wrapped)?;
    combine(dim, low)?.ok_or_else(|| Error::argument("result_type", "no operands"))
}

/// PyTorch's `combine_categories(higher, lower)`.
fn combine(higher: Option<DType>, lower: Option<DType>) -> Result<Option<DType>> {
    let (h, l) = match (higher, lower) {
        (None, l) => return Ok(l),
        (h, None) => return Ok(h),
        (Some(h), Some(l)) => (h, l),
    };
    Ok(Some(if h.is_complex() {
        h
    } else if l.is_complex() {
        if h.is_floating_point() {
            to_complex(h)
        } else {
            l
        }
    } else if h.is_floating_point() {
        h
    } else if h == DType::Bool || l.is_floating_point() {
        promote_types(h, l)?
    } else {
        h
    }))
}

/// Whether a result of dtype `from` may be written into a tensor of dtype `to` (PyTorch's
/// `canCast`): no complex → real, no float → integral, no non-bool → bool.
pub fn can_cast(from: DType, to: DType) -> bool {
    let (f, t) = (category(from), category(to));
    !(f == Category::Complex && t != Category::Complex
        || f == Category::Float && t < Category::Float
        || f != Category::Bool && t == Category::Bool)
}

/// Checks an in-place result type like PyTorch, with its message.
pub(crate) fn check_can_cast(op: &'static str, from: DType, to: DType) -> Result<()> {
    if can_cast(from, to) {
        Ok(())
    } else {
        Err(Error::DType {
            op,
            dtype: to,
            detail: format!(
                ": result type {} can't be cast to the desired output type {}",
                scalar_type_name(from),
                scalar_type_name(to)
            ),
        })
    }
}

/// The dtype of the default floating-point result for integral inputs (`float32`).
pub(crate) fn to_float(d: DType) -> DType {
    if d.is_floating_point() || d.is_complex() {
        d
    } else {
        DType::F32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promote_table() {
        use DType::*;
        let cases = [
            (I64, F32, F32),
            (U8, I8, I16),
            (U8, I32, I32),
            (I8, I16, I16),
            (F16, BF16, F32),
            (F16, F32, F32),
            (F64, C64, C128),
            (F32, C64, C64),
            (I64, C64, C64),
            (Bool, U8, U8),
            (Bool, Bool, Bool),
        ];
        for (a, b, r) in cases {
            assert_eq!(promote_types(a, b).unwrap(), r, "{a} {b}");
            assert_eq!(promote_types(b, a).unwrap(), r, "{b} {a}");
        }
        assert!(promote_types(U16, I32).is_err());
    }

    #[test]
    fn result_type_priorities() {
        let i32t = Tensor::from_slice_1d(&[1i32]);
        let f16t = Tensor::from_slice_1d(&[half::f16::ONE]);
        let boolt = Tensor::from_slice_1d(&[true]);
        let f64z = Tensor::scalar(1.0f64);
        let rt = |ops: &[Operand<'_>]| result_type(ops).unwrap();
        assert_eq!(rt(&[(&i32t).into(), Scalar::Int(1).into()]), DType::I32);
        assert_eq!(rt(&[(&i32t).into(), Scalar::Float(1.0).into()]), DType::F32);
        assert_eq!(rt(&[(&f16t).into(), Scalar::Float(1.0).into()]), DType::F16);
        assert_eq!(rt(&[(&boolt).into(), Scalar::Int(1).into()]), DType::I64);
        assert_eq!(rt(&[(&i32t).into(), (&f64z).into()]), DType::F64);
        assert_eq!(rt(&[(&f16t).into(), (&f64z).into()]), DType::F16);
        assert_eq!(
            rt(&[(&f16t).into(), Scalar::Complex(Default::default()).into()]),
            DType::C64
        );
    }

    #[test]
    fn in_place_casts() {
        assert!(!can_cast(DType::F32, DType::I64));
        assert!(can_cast(DType::I64, DType::F16));
        assert!(!can_cast(DType::I64, DType::Bool));
        assert!(!can_cast(DType::C64, DType::F64));
        let e = check_can_cast("div_", DType::F32, DType::I64).unwrap_err();
        assert!(
            e.to_string()
                .contains("result type Float can't be cast to the desired output type Long")
        );
    }
}
