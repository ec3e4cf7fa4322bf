//! Reading operator arguments: kinds checked, errors naming the argument.

use pt_core::{DType, Scalar, Tensor};

use crate::error::{OpError, OpResult};
use crate::value::Value;

pub(crate) fn arg(a: &[Value], i: usize) -> &Value {
    a.get(i).unwrap_or(&Value::None)
}

pub(crate) fn tensor<'a>(a: &'a [Value], i: usize, op: &str) -> OpResult<&'a Tensor> {
    match arg(a, i) {
        Value::Tensor(t) => Ok(t),
        other => Err(OpError(format!(
            "{op}: argument {i} must be a Tensor, not {}",
            other.kind()
        ))),
    }
}

pub(crate) fn opt_tensor<'a>(a: &'a [Value], i: usize, op: &str) -> OpResult<Option<&'a Tensor>> {
    match arg(a, i) {
        Value::None => Ok(None),
        _ => tensor(a, i, op).map(Some),
    }
}

pub(crate) fn int_arg(v: &Value, op: &str) -> OpResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Tensor(t) if t.numel() == 1 && !t.dtype().is_floating_point() => {
            Ok(t.item_f64()? as i64)
        }
        other => Err(OpError(format!(
            "{op}: expected an int, got {}",
            other.kind()
        ))),
    }
}

pub(crate) fn int(a: &[Value], i: usize, op: &str) -> OpResult<i64> {
    int_arg(arg(a, i), op)
}

pub(crate) fn int_or(a: &[Value], i: usize, default: i64, op: &str) -> OpResult<i64> {
    match arg(a, i) {
        Value::None => Ok(default),
        v => int_arg(v, op),
    }
}

pub(crate) fn float_arg(v: &Value, op: &str) -> OpResult<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::Tensor(t) if t.numel() == 1 => Ok(t.item_f64()?),
        other => Err(OpError(format!(
            "{op}: expected a float, got {}",
            other.kind()
        ))),
    }
}

pub(crate) fn float(a: &[Value], i: usize, op: &str) -> OpResult<f64> {
    float_arg(arg(a, i), op)
}

pub(crate) fn float_or(a: &[Value], i: usize, default: f64, op: &str) -> OpResult<f64> {
    match arg(a, i) {
        Value::None => Ok(default),
        v => float_arg(v, op),
    }
}

pub(crate) fn boolean_or(a: &[Value], i: usize, default: bool, op: &str) -> OpResult<bool> {
    match arg(a, i) {
        Value::None => Ok(default),
        Value::Bool(b) => Ok(*b),
        Value::Int(v) => Ok(*v != 0),
        other => Err(OpError(format!(
            "{op}: expected a bool, got {}",
            other.kind()
        ))),
    }
}

/// `int[]` (a single int broadcasts, as TorchScript's `int[1]` allows).
pub(crate) fn ints(a: &[Value], i: usize, op: &str) -> OpResult<Vec<i64>> {
    match arg(a, i) {
        Value::List(l) => l.to_vec().iter().map(|v| int_arg(v, op)).collect(),
        Value::Tuple(t) => t.iter().map(|v| int_arg(v, op)).collect(),
        Value::Int(v) => Ok(vec![*v]),
        other => Err(OpError(format!(
            "{op}: argument {i} must be a list of ints, not {}",
            other.kind()
        ))),
    }
}

pub(crate) fn usizes(a: &[Value], i: usize, op: &str) -> OpResult<Vec<usize>> {
    ints(a, i, op)?
        .into_iter()
        .map(|v| usize::try_from(v).map_err(|_| OpError(format!("{op}: negative size {v}"))))
        .collect()
}

pub(crate) fn scalar_of(v: &Value, op: &str) -> OpResult<Scalar> {
    match v {
        Value::Int(i) => Ok(Scalar::Int(*i)),
        Value::Float(f) => Ok(Scalar::Float(*f)),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        other => Err(OpError(format!(
            "{op}: expected a number, got {}",
            other.kind()
        ))),
    }
}

/// ScalarType codes (c10's enum order).
const CODES: [(i64, DType); 12] = [
    (0, DType::U8),
    (1, DType::I8),
    (2, DType::I16),
    (3, DType::I32),
    (4, DType::I64),
    (5, DType::F16),
    (6, DType::F32),
    (7, DType::F64),
    (9, DType::C64),
    (10, DType::C128),
    (11, DType::Bool),
    (15, DType::BF16),
];

pub(crate) fn dtype_of_code(code: i64) -> OpResult<DType> {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
        .ok_or_else(|| OpError(format!("ScalarType {code} is not supported")))
}

pub(crate) fn dtype_code(d: DType) -> Option<i64> {
    CODES.iter().find(|(_, x)| *x == d).map(|(c, _)| *c)
}

/// An optional `ScalarType` argument (an int code, or a dtype value).
pub(crate) fn opt_dtype(a: &[Value], i: usize, op: &str) -> OpResult<Option<DType>> {
    match arg(a, i) {
        Value::None => Ok(None),
        Value::DType(d) => Ok(Some(*d)),
        v => Ok(Some(dtype_of_code(int_arg(v, op)?)?)),
    }
}

/// A dim argument as `isize`.
pub(crate) fn dim(a: &[Value], i: usize, op: &str) -> OpResult<isize> {
    Ok(int(a, i, op)? as isize)
}

/// Normalizes a possibly negative dim against `rank`.
pub(crate) fn wrap(d: i64, rank: usize, op: &str) -> OpResult<usize> {
    let r = rank.max(1) as i64;
    let w = if d < 0 { d + r } else { d };
    if (0..r).contains(&w) {
        Ok(w as usize)
    } else {
        Err(OpError(format!(
            "{op}: Dimension out of range (expected to be in range of [{}, {}], but got {d})",
            -r,
            r - 1
        )))
    }
}
