//! Element-wise binary arithmetic with broadcasting and PyTorch's type promotion, out of place
//! (`add`, `div`, …) and in place (`add_`, `div_`, …).

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::elementwise::{self, Layout2, broadcast_strides};
use crate::kernels::gemm::GemmFloat;
use crate::kernels::{Input, Real, finish, with_real};
use crate::ops::native::round_to;
use crate::ops::promote::{Operand, check_can_cast, result_type, scalar_type_name, to_float};
use crate::ops::values::{Family, Values, family};
use crate::scalar::Scalar;
use crate::tensor::{Tensor, broadcast_shapes};

/// How [`Tensor::div_rounding`] rounds the quotient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundingMode {
    /// Toward zero (C-style): `-7 / 2 → -3`.
    Trunc,
    /// Toward negative infinity (Python's `//`): `-7 / 2 → -4`.
    Floor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    DivTrunc,
    DivFloor,
    Maximum,
    Minimum,
}

impl BinOp {
    fn name(self, in_place: bool) -> &'static str {
        match (self, in_place) {
            (BinOp::Add, false) => "add",
            (BinOp::Add, true) => "add_",
            (BinOp::Sub, false) => "sub",
            (BinOp::Sub, true) => "sub_",
            (BinOp::Mul, false) => "mul",
            (BinOp::Mul, true) => "mul_",
            (BinOp::Div | BinOp::DivTrunc | BinOp::DivFloor, false) => "div",
            (BinOp::Div | BinOp::DivTrunc | BinOp::DivFloor, true) => "div_",
            (BinOp::Maximum, _) => "maximum",
            (BinOp::Minimum, _) => "minimum",
        }
    }
}

/// Refuses a destination in which several elements share one memory location (a stride-0
/// dimension of size > 1), as PyTorch does for in-place writes.
pub(crate) fn check_no_internal_overlap(t: &Tensor, op: &'static str) -> Result<()> {
    // An empty tensor writes nothing, so it cannot overlap itself (PyTorch agrees).
    if t.numel() > 0
        && t.shape()
            .iter()
            .zip(t.stride())
            .any(|(&d, &s)| d > 1 && s == 0)
    {
        return Err(Error::argument(
            op,
            "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.",
        ));
    }
    Ok(())
}

fn operand_dtype(o: &Operand<'_>) -> DType {
    match o {
        Operand::Tensor(t) => t.dtype(),
        Operand::Scalar(s) => s.dtype(),
    }
}

/// The dtype `op` computes in, with PyTorch's checks on it.
fn compute_dtype(op: BinOp, name: &'static str, a: &Tensor, b: &Operand<'_>) -> Result<DType> {
    if op == BinOp::Sub {
        let (ba, bb) = (a.dtype() == DType::Bool, operand_dtype(b) == DType::Bool);
        if ba || bb {
            let what = if ba && bb {
                "with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
            } else {
                "with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            };
            return Err(Error::DType {
                op: name,
                dtype: DType::Bool,
                detail: format!(": Subtraction, the `-` operator, {what}"),
            });
        }
    }
    let common = result_type(&[Operand::Tensor(a), *b])?;
    let unsupported = |what: &str| Error::DType {
        op: name,
        dtype: common,
        detail: format!(
            ": \"{what}\" not implemented for '{}'",
            scalar_type_name(common)
        ),
    };
    match op {
        BinOp::Div => Ok(to_float(common)),
        BinOp::DivTrunc | BinOp::DivFloor => {
            let what = if op == BinOp::DivTrunc {
                "div_trunc_cpu"
            } else {
                "div_floor_cpu"
            };
            // uint64 is computed through i64 bits, which only add/sub/mul preserve.
            if matches!(family(common), Family::Bool | Family::Complex) || common == DType::U64 {
                Err(unsupported(what))
            } else {
                Ok(common)
            }
        }
        BinOp::Maximum | BinOp::Minimum => {
            if family(common) == Family::Complex || common == DType::U64 {
                Err(unsupported("maximum/minimum"))
            } else {
                Ok(common)
            }
        }
        _ => Ok(common),
    }
}

/// Reads both operands in `common` and broadcast to `shape`, and applies `op`.
fn compute(
    op: BinOp,
    name: &'static str,
    a: &Tensor,
    b: &Operand<'_>,
    common: DType,
    shape: &[usize],
) -> Result<Values> {
    let a = a.to_dtype(common)?.broadcast_to(shape)?;
    let b = match b {
        Operand::Tensor(t) => t.to_dtype(common)?,
        Operand::Scalar(s) => Tensor::full_dtype(&[], *s, common),
    }
    .broadcast_to(shape)?;
    apply(
        op,
        name,
        common,
        Values::read(&a, name)?,
        Values::read(&b, name)?,
    )
}

fn apply(op: BinOp, name: &'static str, common: DType, a: Values, b: Values) -> Result<Values> {
    Ok(match (a, b) {
        (Values::Float(x), Values::Float(y)) => {
            Values::Float(zip(&x, &y, |p, q| float_op(op, common, p, q)))
        }
        (Values::Int(x), Values::Int(y)) => {
            if matches!(op, BinOp::DivTrunc | BinOp::DivFloor) && y.contains(&0) {
                return Err(Error::argument(
                    name,
                    "ZeroDivisionError: integer division by zero",
                ));
            }
            Values::Int(zip(&x, &y, |p, q| int_op(op, p, q)))
        }
        (Values::Bool(x), Values::Bool(y)) => Values::Bool(zip(&x, &y, |p, q| match op {
            BinOp::Mul | BinOp::Minimum => p && q,
            _ => p || q,
        })),
        (Values::Complex(x), Values::Complex(y)) => Values::Complex(zip(&x, &y, |p, q| match op {
            BinOp::Sub => p - q,
            BinOp::Mul => p * q,
            BinOp::Div => p / q,
            _ => p + q,
        })),
        _ => unreachable!("both operands were converted to one dtype"),
    })
}

fn zip<T: Copy, U>(x: &[T], y: &[T], f: impl Fn(T, T) -> U) -> Vec<U> {
    x.iter().zip(y).map(|(&p, &q)| f(p, q)).collect()
}

fn int_op(op: BinOp, p: i64, q: i64) -> i64 {
    match op {
        BinOp::Add => p.wrapping_add(q),
        BinOp::Sub => p.wrapping_sub(q),
        BinOp::Mul => p.wrapping_mul(q),
        BinOp::DivTrunc | BinOp::Div => p.wrapping_div(q),
        BinOp::DivFloor => {
            let d = p.wrapping_div(q);
            if p.wrapping_rem(q) != 0 && ((p < 0) != (q < 0)) {
                d - 1
            } else {
                d
            }
        }
        BinOp::Maximum => p.max(q),
        BinOp::Minimum => p.min(q),
    }
}

fn float_op(op: BinOp, d: DType, p: f64, q: f64) -> f64 {
    match op {
        BinOp::Add => p + q,
        BinOp::Sub => p - q,
        BinOp::Mul => p * q,
        BinOp::Div => p / q,
        BinOp::DivTrunc => round_to(d, p / q).trunc(),
        BinOp::DivFloor => div_floor(d, p, q),
        BinOp::Maximum | BinOp::Minimum if p.is_nan() || q.is_nan() => f64::NAN,
        BinOp::Maximum => p.max(q),
        BinOp::Minimum => p.min(q),
    }
}

/// PyTorch's `div_floor_floating`, rounding each step to the dtype's precision.
fn div_floor(d: DType, a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b;
    let mut div = round_to(d, round_to(d, a - m) / b);
    if m != 0.0 && (b < 0.0) != (m < 0.0) {
        div = round_to(d, div - 1.0);
    }
    if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f64.copysign(a / b)
    }
}

/// The native path: floating results computed in f32/f64 straight from the operands'
/// storage (strided, broadcast by stride 0), f16/bf16 rounded once on store. `None` when the
/// op or dtype stays on the general path.
fn native_binary(
    op: BinOp,
    name: &'static str,
    a: &Tensor,
    b: &Operand<'_>,
    common: DType,
    shape: &[usize],
) -> Option<Result<Tensor>> {
    if !matches!(common, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
        || matches!(op, BinOp::DivTrunc | BinOp::DivFloor)
    {
        return None;
    }
    let scalar;
    let b = match b {
        Operand::Tensor(t) => *t,
        Operand::Scalar(s) => {
            scalar = Tensor::full_dtype(&[], *s, common);
            &scalar
        }
    };
    let run = || -> Result<Tensor> {
        with_real!(common, name, |T| {
            let n: usize = shape.iter().product();
            if n == 0 {
                return finish::<T>(Vec::new(), shape, common);
            }
            let ia = Input::<T>::of(a, true, name)?;
            let ib = Input::<T>::of_distinct(b, &[a], true, name)?;
            let l = Layout2::new(
                shape,
                &broadcast_strides(a.shape(), &ia.stride, shape),
                &broadcast_strides(b.shape(), &ib.stride, shape),
            );
            let mut out = vec![<T as GemmFloat>::ZERO; n];
            let (da, db, oa, ob) = (ia.data(), ib.data(), ia.offset, ib.offset);
            // A macro, not a closure taking `fn`: each op gets its own monomorphised loop,
            // which the compiler can inline and vectorise.
            macro_rules! go {
                ($out:expr, $f:expr) => {
                    elementwise::binary($out, &l, da, oa, db, ob, 1, $f)
                };
            }
            match op {
                BinOp::Add => go!(&mut out, |x, y| x + y),
                BinOp::Sub => go!(&mut out, |x, y| x - y),
                BinOp::Mul => go!(&mut out, |x, y| x * y),
                BinOp::Div => go!(&mut out, |x, y| x / y),
                BinOp::Maximum => go!(&mut out, |x, y| {
                    if x.is_nan_r() || y.is_nan_r() {
                        x + y
                    } else if x > y {
                        x
                    } else {
                        y
                    }
                }),
                BinOp::Minimum => go!(&mut out, |x, y| {
                    if x.is_nan_r() || y.is_nan_r() {
                        x + y
                    } else if x < y {
                        x
                    } else {
                        y
                    }
                }),
                BinOp::DivTrunc | BinOp::DivFloor => unreachable!("excluded above"),
            }
            drop((ia, ib));
            finish::<T>(out, shape, common)
        })
    };
    Some(run())
}

fn binary(a: &Tensor, b: Operand<'_>, op: BinOp) -> Result<Tensor> {
    let name = op.name(false);
    let common = compute_dtype(op, name, a, &b)?;
    let shape = match b {
        Operand::Tensor(t) => broadcast_shapes(name, a.shape(), t.shape())?,
        Operand::Scalar(_) => a.shape().to_vec(),
    };
    if let Some(r) = native_binary(op, name, a, &b, common, &shape) {
        return r;
    }
    compute(op, name, a, &b, common, &shape)?.into_tensor(&shape, common, name)
}

fn binary_(a: &Tensor, b: Operand<'_>, op: BinOp) -> Result<()> {
    let name = op.name(true);
    let common = compute_dtype(op, name, a, &b)?;
    check_can_cast(name, common, a.dtype())?;
    check_no_internal_overlap(a, name)?;
    if let Operand::Tensor(t) = b {
        let shape = broadcast_shapes(name, a.shape(), t.shape())?;
        if shape != a.shape() {
            return Err(Error::shape(
                name,
                format!(
                    "output with shape {:?} doesn't match the broadcast shape {shape:?}",
                    a.shape()
                ),
            ));
        }
    }
    // Everything is read (and the read guards dropped) before the write guard is taken.
    let values = compute(op, name, a, &b, common, a.shape())?;
    values.write_into(a, name)
}

macro_rules! binary_methods {
    ($($op:ident, $f:ident, $fs:ident, $fi:ident, $fsi:ident, $what:literal;)*) => {$(
        #[doc = concat!("`self ", $what, " other` element-wise, broadcasting both, in the dtype PyTorch promotes to.")]
        ///
        /// # Errors
        /// [`Error::Shape`] if the shapes do not broadcast; [`Error::DType`] for dtypes the
        /// operation refuses (as PyTorch) or that cannot be promoted.
        pub fn $f(&self, other: &Tensor) -> Result<Tensor> {
            binary(self, Operand::Tensor(other), BinOp::$op)
        }

        #[doc = concat!("`self ", $what, " scalar`; the number takes part in promotion as a Python number does.")]
        ///
        /// # Errors
        /// [`Error::DType`] as for the tensor version.
        pub fn $fs(&self, other: impl Into<Scalar>) -> Result<Tensor> {
            binary(self, Operand::Scalar(other.into()), BinOp::$op)
        }

        #[doc = concat!("In place `self ", $what, "= other`, `other` broadcast to `self`'s shape; visible through every view.")]
        ///
        /// # Errors
        /// [`Error::Shape`] if `other` does not broadcast to `self`'s shape; [`Error::DType`]
        /// if the promoted result cannot be cast to `self`'s dtype (PyTorch's "result type
        /// Float can't be cast to the desired output type Long"); [`Error::Argument`] if
        /// `self` is an expanded view.
        pub fn $fi(&self, other: &Tensor) -> Result<()> {
            binary_(self, Operand::Tensor(other), BinOp::$op)
        }

        #[doc = concat!("In place `self ", $what, "= scalar`.")]
        ///
        /// # Errors
        /// As the tensor version.
        pub fn $fsi(&self, other: impl Into<Scalar>) -> Result<()> {
            binary_(self, Operand::Scalar(other.into()), BinOp::$op)
        }
    )*};
}

impl Tensor {
    binary_methods! {
        Add, add, add_scalar, add_, add_scalar_, "+";
        Sub, sub, sub_scalar, sub_, sub_scalar_, "-";
        Mul, mul, mul_scalar, mul_, mul_scalar_, "*";
        Div, div, div_scalar, div_, div_scalar_, "/";
    }

    /// Division rounded toward zero or toward −∞; integer inputs keep an integer dtype
    /// (`-7 trunc 2 = -3`, `-7 floor 2 = -4`). Plain [`Tensor::div`] is true division.
    ///
    /// # Errors
    /// As [`Tensor::add`]; [`Error::Argument`] for an integer division by zero; bool and
    /// complex inputs are refused, as in PyTorch.
    pub fn div_rounding(&self, other: &Tensor, mode: RoundingMode) -> Result<Tensor> {
        binary(self, Operand::Tensor(other), rounding_op(mode))
    }

    /// [`Tensor::div_rounding`] by a number.
    ///
    /// # Errors
    /// As [`Tensor::div_rounding`].
    pub fn div_scalar_rounding(
        &self,
        other: impl Into<Scalar>,
        mode: RoundingMode,
    ) -> Result<Tensor> {
        binary(self, Operand::Scalar(other.into()), rounding_op(mode))
    }

    /// In-place [`Tensor::div_rounding`].
    ///
    /// # Errors
    /// As [`Tensor::div_rounding`] and [`Tensor::add_`].
    pub fn div_rounding_(&self, other: &Tensor, mode: RoundingMode) -> Result<()> {
        binary_(self, Operand::Tensor(other), rounding_op(mode))
    }

    /// Element-wise maximum with broadcasting; NaN propagates (`torch.maximum`).
    ///
    /// # Errors
    /// As [`Tensor::add`]; complex is refused.
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        binary(self, Operand::Tensor(other), BinOp::Maximum)
    }

    /// Element-wise minimum with broadcasting; NaN propagates (`torch.minimum`).
    ///
    /// # Errors
    /// As [`Tensor::maximum`].
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        binary(self, Operand::Tensor(other), BinOp::Minimum)
    }
}

fn rounding_op(mode: RoundingMode) -> BinOp {
    match mode {
        RoundingMode::Trunc => BinOp::DivTrunc,
        RoundingMode::Floor => BinOp::DivFloor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;

    fn v64(t: &Tensor) -> Vec<f64> {
        t.to_vec_f64().unwrap()
    }

    #[test]
    fn promotion_and_true_division() {
        let i = Tensor::from_slice_1d(&[5i64, -7]);
        let f = Tensor::from_slice_1d(&[0.5f32, 2.0]);
        let s = i.add(&f).unwrap();
        assert_eq!(s.dtype(), DType::F32);
        assert_eq!(v64(&s), [5.5, -5.0]);
        let q = i.div_scalar(3).unwrap();
        assert_eq!(q.dtype(), DType::F32);
        assert_eq!(q.to_vec::<f32>().unwrap()[0], 5.0f32 / 3.0);
        assert_eq!(i.add_scalar(1).unwrap().dtype(), DType::I64);
        assert_eq!(i.mul_scalar(1.5).unwrap().dtype(), DType::F32);
        let i32t = Tensor::from_slice_1d(&[1i32]);
        assert_eq!(i32t.add_scalar(1).unwrap().dtype(), DType::I32);
    }

    #[test]
    fn rounding_modes() {
        let a = Tensor::from_slice_1d(&[-7i64, 7]);
        let b = Tensor::scalar(2i64);
        let t = a.div_rounding(&b, RoundingMode::Trunc).unwrap();
        assert_eq!(t.to_vec::<i64>().unwrap(), [-3, 3]);
        let f = a.div_rounding(&b, RoundingMode::Floor).unwrap();
        assert_eq!(f.to_vec::<i64>().unwrap(), [-4, 3]);
        let af = a.to_dtype(DType::F32).unwrap();
        let ff = af.div_scalar_rounding(2, RoundingMode::Floor).unwrap();
        assert_eq!(ff.to_vec::<f32>().unwrap(), [-4.0, 3.0]);
        assert!(a.div_scalar_rounding(0, RoundingMode::Trunc).is_err());
        assert_eq!(
            v64(&af.div_scalar_rounding(0, RoundingMode::Floor).unwrap())[1],
            f64::INFINITY
        );
    }

    #[test]
    fn in_place_rules() {
        let a = Tensor::arange(0, 3).unwrap();
        let e = a.div_scalar_(2).unwrap_err().to_string();
        assert!(
            e.contains("result type Float can't be cast to the desired output type Long"),
            "{e}"
        );
        assert!(a.add_scalar_(1.5).is_err());
        a.mul_scalar_(3).unwrap();
        assert_eq!(a.to_vec::<i64>().unwrap(), [0, 3, 6]);
        let m = Tensor::zeros(&[2, 3], DType::F32);
        m.add_(&Tensor::from_slice_1d(&[1.0f32, 2.0, 3.0])).unwrap();
        assert_eq!(v64(&m), [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
        assert!(Tensor::zeros(&[3], DType::F32).add_(&m).is_err());
        // Aliasing: x += x.flip-like view of the same storage.
        let x = Tensor::from_slice_1d(&[1.0f64, 2.0, 3.0]);
        let rev = x.slice(0, Some(0), None, 2).unwrap();
        let head = x.narrow(0, 0, 2).unwrap();
        head.add_(&rev).unwrap();
        assert_eq!(v64(&x), [2.0, 5.0, 3.0]);
    }

    #[test]
    fn bools_and_errors() {
        let t = Tensor::from_slice_1d(&[true, false]);
        assert_eq!(t.add(&t).unwrap().to_vec::<bool>().unwrap(), [true, false]);
        assert_eq!(t.mul(&t).unwrap().dtype(), DType::Bool);
        assert!(
            t.sub(&t)
                .unwrap_err()
                .to_string()
                .contains("two bool tensors")
        );
        assert!(Tensor::arange(0, 2).unwrap().sub_scalar(true).is_err());
        assert!(t.div_rounding(&t, RoundingMode::Floor).is_err());
        assert!(
            Tensor::zeros(&[2], DType::F32)
                .add(&Tensor::zeros(&[3], DType::F32))
                .is_err()
        );
        let c = Tensor::from_slice_1d(&[Complex64::new(1.0, 1.0)]);
        let p = c.mul(&c).unwrap();
        assert_eq!(p.dtype(), DType::C128);
        assert_eq!(p.to_vec::<Complex64>().unwrap(), [Complex64::new(0.0, 2.0)]);
        let m = Tensor::from_slice_1d(&[1.0f32, f32::NAN])
            .maximum(&Tensor::scalar(2.0f32))
            .unwrap();
        assert_eq!(v64(&m)[0], 2.0);
        assert!(v64(&m)[1].is_nan());
    }
}
