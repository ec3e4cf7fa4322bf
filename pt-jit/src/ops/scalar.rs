//! Arithmetic and comparison operators over ints, floats, bools, strings and tensors, and the
//! scalar builtins (`int()`, `float()`, `format`, `__is__`, …).

use pt_core::{RoundingMode, Tensor};

use super::OpDef;
use super::args::{arg, float_arg, int_arg, scalar_of};
use crate::error::{OpError, OpResult};
use crate::value::Value;

macro_rules! ops {
    ($($name:literal [$($p:literal),*] => $f:expr;)*) => {
        pub(crate) static OPS: &[OpDef] = &[$(OpDef { name: $name, params: &[$($p),*], f: $f }),*];
    };
}

ops! {
    "aten::add" ["self", "other", "alpha"] => |a| arith(a, Arith::Add);
    "aten::sub" ["self", "other", "alpha"] => |a| arith(a, Arith::Sub);
    "aten::mul" ["self", "other"] => |a| arith(a, Arith::Mul);
    "aten::div" ["self", "other", "rounding_mode"] => div;
    "aten::true_divide" ["self", "other"] => div;
    "aten::floordiv" ["self", "other"] => floordiv;
    "aten::floor_divide" ["self", "other"] => floordiv;
    "aten::remainder" ["self", "other"] => remainder;
    "aten::fmod" ["self", "other"] => fmod;
    "aten::pow" ["self", "exponent"] => pow;
    "aten::neg" ["self"] => neg;
    "aten::eq" ["self", "other"] => |a| compare(a, Cmp::Eq);
    "aten::ne" ["self", "other"] => |a| compare(a, Cmp::Ne);
    "aten::lt" ["self", "other"] => |a| compare(a, Cmp::Lt);
    "aten::le" ["self", "other"] => |a| compare(a, Cmp::Le);
    "aten::gt" ["self", "other"] => |a| compare(a, Cmp::Gt);
    "aten::ge" ["self", "other"] => |a| compare(a, Cmp::Ge);
    "aten::__is__" ["self", "obj"] => |a| Ok(Value::Bool(same(arg(&a, 0), arg(&a, 1))));
    "aten::__isnot__" ["self", "obj"] => |a| Ok(Value::Bool(!same(arg(&a, 0), arg(&a, 1))));
    "aten::__not__" ["self"] => |a| Ok(Value::Bool(!crate::interp::truthy(arg(&a, 0))?));
    "aten::__and__" ["self", "other"] => |a| bits(a, |x, y| x & y);
    "aten::__or__" ["self", "other"] => |a| bits(a, |x, y| x | y);
    "aten::__xor__" ["self", "other"] => |a| bits(a, |x, y| x ^ y);
    "aten::__lshift__" ["self", "other"] => |a| bits(a, |x, y| x.wrapping_shl(y as u32));
    "aten::__rshift__" ["self", "other"] => |a| bits(a, |x, y| x.wrapping_shr(y as u32));
    "aten::bitwise_not" ["self"] => |a| Ok(Value::Int(!int_arg(arg(&a, 0), "bitwise_not")?));
    "aten::Int" ["a"] => to_int;
    "aten::Float" ["a"] => to_float;
    "aten::Bool" ["a"] => |a| Ok(Value::Bool(crate::interp::truthy(arg(&a, 0))?));
    "aten::ScalarImplicit" ["a"] => item;
    "aten::item" ["self"] => item;
    "aten::str" ["elem"] => |a| Ok(Value::str(&arg(&a, 0).to_string()));
    "aten::format" ["self"] => format;
    "prim::min" ["a", "b"] => |a| minmax(a, false);
    "prim::max" ["a", "b"] => |a| minmax(a, true);
    "prim::abs" ["a"] => abs;
    "aten::abs" ["self"] => abs;
    "aten::round" ["self"] => |a| unary_float(a, f64::round_ties_even, "round");
    "aten::floor" ["self"] => |a| rounding(a, f64::floor, "floor");
    "aten::ceil" ["self"] => |a| rounding(a, f64::ceil, "ceil");
    "math::floor" ["x"] => |a| rounding(a, f64::floor, "floor");
    "math::ceil" ["x"] => |a| rounding(a, f64::ceil, "ceil");
    "math::sqrt" ["x"] => |a| unary_float(a, f64::sqrt, "sqrt");
    "math::exp" ["x"] => |a| unary_float(a, f64::exp, "exp");
    "math::log" ["x"] => |a| unary_float(a, f64::ln, "log");
    "math::log10" ["x"] => |a| unary_float(a, f64::log10, "log10");
    "math::cos" ["x"] => |a| unary_float(a, f64::cos, "cos");
    "math::sin" ["x"] => |a| unary_float(a, f64::sin, "sin");
    "math::tanh" ["x"] => |a| unary_float(a, f64::tanh, "tanh");
    "math::isnan" ["x"] => |a| Ok(Value::Bool(float_arg(arg(&a, 0), "isnan")?.is_nan()));
    "math::isinf" ["x"] => |a| Ok(Value::Bool(float_arg(arg(&a, 0), "isinf")?.is_infinite()));
    "math::pow" ["x", "y"] => pow;
    "prim::RaiseException" ["msg", "cls"] => |_| Err(OpError("unreachable: RaiseException is compiled".into()));
    "prim::unchecked_unwrap_optional" ["optional"] => |a| Ok(arg(&a, 0).clone());
    "aten::_unwrap_optional" ["optional"] => unwrap_optional;
    "prim::print" ["self"] => |a| {
        let text: Vec<String> = a.iter().map(ToString::to_string).collect();
        println!("{}", text.join(" "));
        Ok(Value::None)
    };
    "aten::warn" ["message", "stacklevel"] => |a| {
        eprintln!("UserWarning: {}", arg(&a, 0));
        Ok(Value::None)
    };
    "aten::is_grad_enabled" [] => |_| Ok(Value::Bool(false));
    "aten::set_grad_enabled" ["val"] => |_| Ok(Value::None);
    "aten::is_scripting" [] => |_| Ok(Value::Bool(true));
    "aten::divmod" ["x", "y"] => |a| {
        let q = floordiv(a.clone())?;
        let r = remainder(a)?;
        Ok(Value::tuple(vec![q, r]))
    };
}

#[derive(Clone, Copy)]
enum Arith {
    Add,
    Sub,
    Mul,
}

fn num_pair(a: &Value, b: &Value) -> Option<Result<(i64, i64), (f64, f64)>> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(Ok((*x, *y))),
        (Value::Bool(x), Value::Int(y)) => Some(Ok((i64::from(*x), *y))),
        (Value::Int(x), Value::Bool(y)) => Some(Ok((*x, i64::from(*y)))),
        (Value::Float(x), Value::Float(y)) => Some(Err((*x, *y))),
        (Value::Float(x), Value::Int(y)) => Some(Err((*x, *y as f64))),
        (Value::Int(x), Value::Float(y)) => Some(Err((*x as f64, *y))),
        _ => None,
    }
}

fn overflow(op: &str) -> OpError {
    OpError(format!("{op}: integer overflow"))
}

fn arith(a: Vec<Value>, op: Arith) -> OpResult<Value> {
    let name = match op {
        Arith::Add => "add",
        Arith::Sub => "sub",
        Arith::Mul => "mul",
    };
    let (x, y) = (arg(&a, 0), arg(&a, 1));
    if let Some(p) = num_pair(x, y) {
        return Ok(match p {
            Ok((x, y)) => Value::Int(
                match op {
                    Arith::Add => x.checked_add(y),
                    Arith::Sub => x.checked_sub(y),
                    Arith::Mul => x.checked_mul(y),
                }
                .ok_or_else(|| overflow(name))?,
            ),
            Err((x, y)) => Value::Float(match op {
                Arith::Add => x + y,
                Arith::Sub => x - y,
                Arith::Mul => x * y,
            }),
        });
    }
    match (op, x, y) {
        (Arith::Add, Value::Str(s), Value::Str(t)) => return Ok(Value::str(&format!("{s}{t}"))),
        (Arith::Add, Value::List(l), Value::List(m)) => {
            let mut v = l.to_vec();
            v.extend(m.to_vec());
            return Ok(Value::list(v));
        }
        _ => {}
    }
    let alpha = match arg(&a, 2) {
        Value::None => None,
        v => Some(scalar_of(v, name)?),
    };
    let t = match (x, y) {
        (Value::Tensor(x), Value::Tensor(y)) => {
            let y = match alpha {
                Some(al) if al.to_f64() != 1.0 => y.mul_scalar(al)?,
                _ => y.clone(),
            };
            match op {
                Arith::Add => x.add(&y)?,
                Arith::Sub => x.sub(&y)?,
                Arith::Mul => x.mul(&y)?,
            }
        }
        (Value::Tensor(x), s) => {
            let s = scalar_of(s, name)?;
            let s = match alpha {
                Some(al) if al.to_f64() != 1.0 => pt_core::Scalar::Float(s.to_f64() * al.to_f64()),
                _ => s,
            };
            match op {
                Arith::Add => x.add_scalar(s)?,
                Arith::Sub => x.sub_scalar(s)?,
                Arith::Mul => x.mul_scalar(s)?,
            }
        }
        (s, Value::Tensor(y)) => {
            let s = scalar_of(s, name)?;
            match op {
                Arith::Add => y.add_scalar(s)?,
                Arith::Sub => y.neg()?.add_scalar(s)?,
                Arith::Mul => y.mul_scalar(s)?,
            }
        }
        _ => return Err(kinds(name, x, y)),
    };
    Ok(Value::Tensor(t))
}

fn kinds(op: &str, x: &Value, y: &Value) -> OpError {
    OpError(format!(
        "aten::{op} has no overload for ({}, {})",
        x.kind(),
        y.kind()
    ))
}

fn rounding_mode(v: &Value) -> OpResult<Option<RoundingMode>> {
    match v {
        Value::None => Ok(None),
        Value::Str(s) if &**s == "trunc" => Ok(Some(RoundingMode::Trunc)),
        Value::Str(s) if &**s == "floor" => Ok(Some(RoundingMode::Floor)),
        other => Err(OpError(format!(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{other}'"
        ))),
    }
}

/// `aten::div` as current archives mean it: true division, optional rounding mode.
pub(crate) fn div(a: Vec<Value>) -> OpResult<Value> {
    let (x, y) = (arg(&a, 0), arg(&a, 1));
    if let Some(p) = num_pair(x, y) {
        let (x, y) = match p {
            Ok((x, y)) => (x as f64, y as f64),
            Err(p) => p,
        };
        return Ok(Value::Float(x / y));
    }
    let mode = rounding_mode(arg(&a, 2))?;
    let t = match (x, y, mode) {
        (Value::Tensor(x), Value::Tensor(y), None) => x.div(y)?,
        (Value::Tensor(x), Value::Tensor(y), Some(m)) => x.div_rounding(y, m)?,
        (Value::Tensor(x), s, None) => x.div_scalar(scalar_of(s, "div")?)?,
        (Value::Tensor(x), s, Some(m)) => x.div_scalar_rounding(scalar_of(s, "div")?, m)?,
        _ => return Err(kinds("div", x, y)),
    };
    Ok(Value::Tensor(t))
}

fn floordiv(a: Vec<Value>) -> OpResult<Value> {
    let (x, y) = (arg(&a, 0), arg(&a, 1));
    match num_pair(x, y) {
        Some(Ok((x, y))) => {
            if y == 0 {
                return Err(OpError(
                    "ZeroDivisionError: integer division by zero".into(),
                ));
            }
            Ok(Value::Int(
                x.div_euclid(y) - i64::from(y < 0 && x.rem_euclid(y) != 0),
            ))
        }
        Some(Err((x, y))) => Ok(Value::Float((x / y).floor())),
        None => match (x, y) {
            (Value::Tensor(x), Value::Tensor(y)) => {
                Ok(Value::Tensor(x.div_rounding(y, RoundingMode::Floor)?))
            }
            (Value::Tensor(x), s) => Ok(Value::Tensor(
                x.div_scalar_rounding(scalar_of(s, "floor_divide")?, RoundingMode::Floor)?,
            )),
            _ => Err(kinds("floordiv", x, y)),
        },
    }
}

fn py_mod_i(x: i64, y: i64) -> OpResult<i64> {
    if y == 0 {
        return Err(OpError("ZeroDivisionError: integer modulo by zero".into()));
    }
    let r = x.wrapping_rem(y);
    Ok(if r != 0 && ((r < 0) != (y < 0)) {
        r + y
    } else {
        r
    })
}

fn remainder(a: Vec<Value>) -> OpResult<Value> {
    let (x, y) = (arg(&a, 0), arg(&a, 1));
    match num_pair(x, y) {
        Some(Ok((x, y))) => Ok(Value::Int(py_mod_i(x, y)?)),
        Some(Err((x, y))) => {
            let r = x % y;
            Ok(Value::Float(if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }))
        }
        None => match (x, y) {
            // x - floor(x / y) * y, from the existing kernels.
            (Value::Tensor(t), Value::Tensor(u)) => {
                let q = t.div_rounding(u, RoundingMode::Floor)?;
                Ok(Value::Tensor(t.sub(&q.mul(u)?)?))
            }
            (Value::Tensor(t), s) => {
                let s = scalar_of(s, "remainder")?;
                let q = t.div_scalar_rounding(s, RoundingMode::Floor)?;
                Ok(Value::Tensor(t.sub(&q.mul_scalar(s)?)?))
            }
            _ => Err(kinds("remainder", x, y)),
        },
    }
}

fn fmod(a: Vec<Value>) -> OpResult<Value> {
    let (x, y) = (arg(&a, 0), arg(&a, 1));
    match num_pair(x, y) {
        Some(Ok((x, y))) if y != 0 => Ok(Value::Float((x % y) as f64)),
        Some(Ok(_)) => Err(OpError("ZeroDivisionError: fmod by zero".into())),
        Some(Err((x, y))) => Ok(Value::Float(x % y)),
        None => Err(kinds("fmod", x, y)),
    }
}

fn pow(a: Vec<Value>) -> OpResult<Value> {
    let (x, y) = (arg(&a, 0), arg(&a, 1));
    match num_pair(x, y) {
        // TorchScript's pow.int returns float.
        Some(Ok((x, y))) => Ok(Value::Float((x as f64).powf(y as f64))),
        Some(Err((x, y))) => Ok(Value::Float(x.powf(y))),
        None => match (x, y) {
            (Value::Tensor(t), s @ (Value::Float(_) | Value::Int(_))) => {
                Ok(Value::Tensor(t.pow_f(float_arg(s, "pow")?)?))
            }
            _ => Err(kinds("pow", x, y)),
        },
    }
}

fn neg(a: Vec<Value>) -> OpResult<Value> {
    match arg(&a, 0) {
        Value::Int(i) => Ok(Value::Int(i.checked_neg().ok_or_else(|| overflow("neg"))?)),
        Value::Float(f) => Ok(Value::Float(-f)),
        Value::Tensor(t) => Ok(Value::Tensor(t.neg()?)),
        other => Err(OpError(format!(
            "aten::neg has no overload for {}",
            other.kind()
        ))),
    }
}

fn abs(a: Vec<Value>) -> OpResult<Value> {
    match arg(&a, 0) {
        Value::Int(i) => Ok(Value::Int(i.wrapping_abs())),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        Value::Tensor(t) => Ok(Value::Tensor(t.abs()?)),
        other => Err(OpError(format!("abs has no overload for {}", other.kind()))),
    }
}

fn unary_float(a: Vec<Value>, f: fn(f64) -> f64, op: &str) -> OpResult<Value> {
    Ok(Value::Float(f(float_arg(arg(&a, 0), op)?)))
}

fn rounding(a: Vec<Value>, f: fn(f64) -> f64, op: &str) -> OpResult<Value> {
    match arg(&a, 0) {
        Value::Int(i) => Ok(Value::Int(*i)),
        v => Ok(Value::Int(f(float_arg(v, op)?) as i64)),
    }
}

#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

fn ord_result<T: PartialOrd>(x: T, y: T, c: Cmp) -> bool {
    match c {
        Cmp::Eq => x == y,
        Cmp::Ne => x != y,
        Cmp::Lt => x < y,
        Cmp::Le => x <= y,
        Cmp::Gt => x > y,
        Cmp::Ge => x >= y,
    }
}

/// Equality of plain values (lists element-wise), `None` where it is not defined.
pub(crate) fn values_equal(x: &Value, y: &Value) -> Option<bool> {
    Some(match (x, y) {
        (Value::None, Value::None) => true,
        (Value::None, _) | (_, Value::None) => false,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Device(a), Value::Device(b)) => a == b,
        (Value::List(_) | Value::Tuple(_), Value::List(_) | Value::Tuple(_)) => {
            let (a, b) = (seq(x), seq(y));
            a.len() == b.len()
                && a.iter()
                    .zip(&b)
                    .all(|(p, q)| values_equal(p, q).unwrap_or(false))
        }
        (a, b) => match num_pair(a, b)? {
            Ok((p, q)) => p == q,
            Err((p, q)) => p == q,
        },
    })
}

fn seq(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l.to_vec(),
        Value::Tuple(t) => t.to_vec(),
        _ => Vec::new(),
    }
}

fn compare(a: Vec<Value>, c: Cmp) -> OpResult<Value> {
    let (x, y) = (arg(&a, 0), arg(&a, 1));
    if let Some(p) = num_pair(x, y) {
        return Ok(Value::Bool(match p {
            Ok((p, q)) => ord_result(p, q, c),
            Err((p, q)) => ord_result(p, q, c),
        }));
    }
    if let (Value::Str(p), Value::Str(q)) = (x, y) {
        return Ok(Value::Bool(ord_result(p, q, c)));
    }
    if matches!(x, Value::Tensor(_)) || matches!(y, Value::Tensor(_)) {
        // Element-wise tensor comparisons need a kernel pt-core does not have yet.
        return Err(OpError(
            "element-wise tensor comparison (aten::eq.Tensor, aten::lt.Scalar, …) is not supported: pt-core has no comparison kernel yet".into(),
        ));
    }
    match c {
        Cmp::Eq | Cmp::Ne => {
            let eq = values_equal(x, y).ok_or_else(|| kinds("eq", x, y))?;
            Ok(Value::Bool(if matches!(c, Cmp::Eq) { eq } else { !eq }))
        }
        _ => Err(kinds("lt", x, y)),
    }
}

fn same(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::None, Value::None) => true,
        (Value::None, _) | (_, Value::None) => false,
        (Value::Object(a), Value::Object(b)) => a.same(b),
        (Value::Tensor(a), Value::Tensor(b)) => {
            a.shares_storage(b)
                && a.storage_offset() == b.storage_offset()
                && a.shape() == b.shape()
                && a.stride() == b.stride()
        }
        (a, b) => values_equal(a, b).unwrap_or(false),
    }
}

fn bits(a: Vec<Value>, f: fn(i64, i64) -> i64) -> OpResult<Value> {
    match (arg(&a, 0), arg(&a, 1)) {
        (Value::Bool(x), Value::Bool(y)) => Ok(Value::Bool(f(i64::from(*x), i64::from(*y)) != 0)),
        (x, y) => Ok(Value::Int(f(
            int_arg(x, "bitwise")?,
            int_arg(y, "bitwise")?,
        ))),
    }
}

fn to_int(a: Vec<Value>) -> OpResult<Value> {
    Ok(Value::Int(match arg(&a, 0) {
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        Value::Float(f) => *f as i64,
        Value::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| OpError(format!("invalid literal for int(): '{s}'")))?,
        Value::Tensor(t) => t.item_f64()? as i64,
        other => return Err(OpError(format!("int() of a {}", other.kind()))),
    }))
}

fn to_float(a: Vec<Value>) -> OpResult<Value> {
    Ok(Value::Float(match arg(&a, 0) {
        Value::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| OpError(format!("could not convert string to float: '{s}'")))?,
        v => float_arg(v, "float")?,
    }))
}

fn item(a: Vec<Value>) -> OpResult<Value> {
    let t: &Tensor = match arg(&a, 0) {
        Value::Tensor(t) => t,
        v => return Ok(v.clone()),
    };
    Ok(match t.item_scalar()? {
        pt_core::Scalar::Bool(b) => Value::Bool(b),
        pt_core::Scalar::Int(i) => Value::Int(i),
        pt_core::Scalar::Float(f) => Value::Float(f),
        pt_core::Scalar::Complex(c) => Value::Float(c.re),
    })
}

fn format(a: Vec<Value>) -> OpResult<Value> {
    let Value::Str(fmt) = arg(&a, 0) else {
        return Err(OpError("format: the first argument must be a str".into()));
    };
    let mut out = String::new();
    let mut rest: &str = fmt;
    let mut next = 1;
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        if let Some(v) = a.get(next) {
            out.push_str(&v.to_string());
        }
        next += 1;
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    Ok(Value::str(&out))
}

fn minmax(a: Vec<Value>, max: bool) -> OpResult<Value> {
    let items = match (arg(&a, 0), a.len()) {
        (Value::List(l), 1) => l.to_vec(),
        _ => a.clone(),
    };
    let mut best: Option<Value> = None;
    for v in items {
        best = Some(match best {
            None => v,
            Some(b) => {
                let c = if max { Cmp::Gt } else { Cmp::Lt };
                match compare(vec![v.clone(), b.clone()], c)? {
                    Value::Bool(true) => v,
                    _ => b,
                }
            }
        });
    }
    best.ok_or_else(|| OpError("min()/max() of an empty list".into()))
}

fn unwrap_optional(a: Vec<Value>) -> OpResult<Value> {
    match arg(&a, 0) {
        Value::None => Err(OpError("Unwrapping null optional".into())),
        v => Ok(v.clone()),
    }
}
