//! Container operators: lists, tuples, dicts, strings; indexing and slicing of each.

use pt_core::Tensor;

use super::OpDef;
use super::args::{arg, int, int_arg, tensor};
use super::scalar::values_equal;
use crate::error::{OpError, OpResult};
use crate::value::{DictKey, Value};

macro_rules! ops {
    ($($name:literal [$($p:literal),*] => $f:expr;)*) => {
        pub(crate) static OPS: &[OpDef] = &[$(OpDef { name: $name, params: &[$($p),*], f: $f }),*];
    };
}

ops! {
    "aten::len" ["a"] => len;
    "aten::append" ["self", "el"] => |a| {
        let Value::List(l) = arg(&a, 0) else { return Err(OpError("append: not a list".into())) };
        l.guard().push(arg(&a, 1).clone());
        Ok(arg(&a, 0).clone())
    };
    "aten::extend" ["self", "other"] => |a| {
        let (Value::List(l), Value::List(m)) = (arg(&a, 0), arg(&a, 1)) else {
            return Err(OpError("extend: not lists".into()));
        };
        let items = m.to_vec();
        l.guard().extend(items);
        Ok(Value::None)
    };
    "aten::insert" ["self", "idx", "el"] => |a| {
        let Value::List(l) = arg(&a, 0) else { return Err(OpError("insert: not a list".into())) };
        let mut g = l.guard();
        let n = g.len() as i64;
        let i = int(&a, 1, "insert")?;
        let i = if i < 0 { (i + n).max(0) } else { i.min(n) } as usize;
        g.insert(i, arg(&a, 2).clone());
        Ok(Value::None)
    };
    "aten::pop" ["self", "idx"] => |a| {
        let Value::List(l) = arg(&a, 0) else { return Err(OpError("pop: not a list".into())) };
        let mut g = l.guard();
        let i = match arg(&a, 1) { Value::None => -1, v => int_arg(v, "pop")? };
        let k = index(i, g.len(), "pop from list")?;
        Ok(g.remove(k))
    };
    "aten::clear" ["self"] => |a| {
        if let Value::List(l) = arg(&a, 0) { l.guard().clear(); }
        Ok(Value::None)
    };
    "aten::reverse" ["self"] => |a| {
        if let Value::List(l) = arg(&a, 0) { l.guard().reverse(); }
        Ok(Value::None)
    };
    "aten::copy" ["self"] => |a| match arg(&a, 0) {
        Value::List(l) => Ok(Value::list(l.to_vec())),
        v => Ok(v.clone()),
    };
    "aten::list" ["l"] => |a| match arg(&a, 0) {
        Value::List(l) => Ok(Value::list(l.to_vec())),
        Value::Tuple(t) => Ok(Value::list(t.to_vec())),
        other => Err(OpError(format!("list() of a {}", other.kind()))),
    };
    "aten::__getitem__" ["self", "idx"] => |a| get_item(arg(&a, 0), arg(&a, 1));
    "aten::_set_item" ["self", "idx", "el"] => |a| {
        set_item(arg(&a, 0), arg(&a, 1), arg(&a, 2).clone())?;
        Ok(arg(&a, 0).clone())
    };
    "aten::__contains__" ["self", "key"] => contains;
    "aten::index" ["self", "el"] => |a| {
        let Value::List(l) = arg(&a, 0) else { return Err(OpError("index: not a list".into())) };
        let items = l.to_vec();
        items.iter().position(|v| values_equal(v, arg(&a, 1)).unwrap_or(false))
            .map(|i| Value::Int(i as i64))
            .ok_or_else(|| OpError("ValueError: 'list.index(x)': x not in list".into()))
    };
    "aten::count" ["self", "el"] => |a| {
        let Value::List(l) = arg(&a, 0) else { return Err(OpError("count: not a list".into())) };
        Ok(Value::Int(l.to_vec().iter().filter(|v| values_equal(v, arg(&a, 1)).unwrap_or(false)).count() as i64))
    };
    "aten::__range_length" ["lo", "hi", "step"] => |a| {
        let (lo, hi, step) = (int(&a, 0, "range")?, int(&a, 1, "range")?, int(&a, 2, "range")?);
        if step == 0 {
            return Err(OpError("range() arg 3 must not be zero".into()));
        }
        let n = if step > 0 && lo < hi {
            1 + (hi - 1 - lo) / step
        } else if step < 0 && lo > hi {
            1 + (lo - 1 - hi) / (-step)
        } else {
            0
        };
        Ok(Value::Int(n))
    };
    "aten::__derive_index" ["index", "start", "step"] => |a| {
        let (i, s, st) = (int(&a, 0, "range")?, int(&a, 1, "range")?, int(&a, 2, "range")?);
        Ok(Value::Int(s + i * st))
    };
    "aten::keys" ["self"] => |a| dict_part(a, 0);
    "aten::values" ["self"] => |a| dict_part(a, 1);
    "aten::items" ["self"] => |a| dict_part(a, 2);
    "aten::get" ["self", "key", "default_value"] => |a| {
        let Value::Dict(d) = arg(&a, 0) else { return Err(OpError("get: not a dict".into())) };
        let k = key(arg(&a, 1))?;
        Ok(d.guard().get(&k).cloned().unwrap_or_else(|| arg(&a, 2).clone()))
    };
    "aten::setdefault" ["self", "key", "default_value"] => |a| {
        let Value::Dict(d) = arg(&a, 0) else { return Err(OpError("setdefault: not a dict".into())) };
        let k = key(arg(&a, 1))?;
        Ok(d.guard().entry(k).or_insert_with(|| arg(&a, 2).clone()).clone())
    };
    "aten::dict" [] => |_| Ok(Value::Dict(crate::value::Dict::default()));
    "aten::join" ["self", "values"] => |a| {
        let (Value::Str(sep), Value::List(l)) = (arg(&a, 0), arg(&a, 1)) else {
            return Err(OpError("join: expected a str and a list of str".into()));
        };
        let parts: Vec<String> = l.to_vec().iter().map(ToString::to_string).collect();
        Ok(Value::str(&parts.join(sep)))
    };
    "aten::startswith" ["self", "prefix"] => |a| match (arg(&a, 0), arg(&a, 1)) {
        (Value::Str(s), Value::Str(p)) => Ok(Value::Bool(s.starts_with(&**p))),
        _ => Err(OpError("startswith: expected strs".into())),
    };
    "aten::endswith" ["self", "suffix"] => |a| match (arg(&a, 0), arg(&a, 1)) {
        (Value::Str(s), Value::Str(p)) => Ok(Value::Bool(s.ends_with(&**p))),
        _ => Err(OpError("endswith: expected strs".into())),
    };
    "aten::lower" ["self"] => |a| match arg(&a, 0) {
        Value::Str(s) => Ok(Value::str(&s.to_lowercase())),
        _ => Err(OpError("lower: expected a str".into())),
    };
    "aten::upper" ["self"] => |a| match arg(&a, 0) {
        Value::Str(s) => Ok(Value::str(&s.to_uppercase())),
        _ => Err(OpError("upper: expected a str".into())),
    };
    "prim::TupleIndex" ["tup", "i"] => |a| get_item(arg(&a, 0), arg(&a, 1));
    "prim::device" ["a"] => |a| { tensor(&a, 0, "prim::device")?; Ok(Value::Device("cpu".into())) };
    "aten::device" ["a"] => |a| Ok(Value::Device(match arg(&a, 0) { Value::Str(s) => s.clone(), _ => "cpu".into() }));
    "prim::dtype" ["a"] => |a| {
        let t = tensor(&a, 0, "prim::dtype")?;
        super::dtype_code(t.dtype()).map(Value::Int).ok_or_else(|| OpError(format!("dtype {} has no ScalarType code", t.dtype())))
    };
    "prim::is_cuda" ["a"] => |_| Ok(Value::Bool(false));
    "prim::is_quantized" ["a"] => |_| Ok(Value::Bool(false));
    "prim::is_nested" ["a"] => |_| Ok(Value::Bool(false));
    "prim::requires_grad" ["a"] => |a| Ok(Value::Bool(tensor(&a, 0, "requires_grad")?.requires_grad()));
    "prim::data" ["a"] => |a| Ok(Value::Tensor(tensor(&a, 0, "data")?.detach()));
    "prim::layout" ["a"] => |_| Ok(Value::Int(0));
    "aten::__isnot_none" ["self"] => |a| Ok(Value::Bool(!matches!(arg(&a, 0), Value::None)));
}

fn len(a: Vec<Value>) -> OpResult<Value> {
    Ok(Value::Int(match arg(&a, 0) {
        Value::List(l) => l.len() as i64,
        Value::Tuple(t) => t.len() as i64,
        Value::Dict(d) => d.guard().len() as i64,
        Value::Str(s) => s.chars().count() as i64,
        Value::Tensor(t) => match t.shape().first() {
            Some(n) => *n as i64,
            None => return Err(OpError("len() of a 0-d tensor".into())),
        },
        other => return Err(OpError(format!("len() of a {}", other.kind()))),
    }))
}

fn key(v: &Value) -> OpResult<DictKey> {
    DictKey::from_value(v).ok_or_else(|| OpError(format!("unhashable key of type {}", v.kind())))
}

fn dict_part(a: Vec<Value>, which: u8) -> OpResult<Value> {
    let Value::Dict(d) = arg(&a, 0) else {
        return Err(OpError("not a dict".into()));
    };
    let items = d.items();
    Ok(Value::list(
        items
            .into_iter()
            .map(|(k, v)| match which {
                0 => k.to_value(),
                1 => v,
                _ => Value::tuple(vec![k.to_value(), v]),
            })
            .collect(),
    ))
}

fn contains(a: Vec<Value>) -> OpResult<Value> {
    let (c, x) = (arg(&a, 0), arg(&a, 1));
    Ok(Value::Bool(match c {
        Value::List(l) => l
            .to_vec()
            .iter()
            .any(|v| values_equal(v, x).unwrap_or(false)),
        Value::Tuple(t) => t.iter().any(|v| values_equal(v, x).unwrap_or(false)),
        Value::Dict(d) => d.guard().contains_key(&key(x)?),
        Value::Str(s) => match x {
            Value::Str(p) => s.contains(&**p),
            _ => {
                return Err(OpError(
                    "'in <string>' requires string as left operand".into(),
                ));
            }
        },
        other => return Err(OpError(format!("`in` on a {}", other.kind()))),
    }))
}

/// A Python index into `n` items.
pub(crate) fn index(i: i64, n: usize, what: &str) -> OpResult<usize> {
    let w = if i < 0 { i + n as i64 } else { i };
    if w < 0 || w >= n as i64 {
        return Err(OpError(format!("IndexError: {what} index out of range")));
    }
    Ok(w as usize)
}

/// Python slice bounds over `n` items.
fn slice_range(n: usize, lo: &Value, hi: &Value, step: &Value) -> OpResult<Vec<usize>> {
    let step = match step {
        Value::None => 1,
        v => int_arg(v, "slice")?,
    };
    if step == 0 {
        return Err(OpError("slice step cannot be zero".into()));
    }
    let n = n as i64;
    let clamp = |v: &Value, default: i64| -> OpResult<i64> {
        Ok(match v {
            Value::None => default,
            v => {
                let i = int_arg(v, "slice")?;
                let i = if i < 0 { i + n } else { i };
                if step > 0 {
                    i.clamp(0, n)
                } else {
                    i.clamp(-1, n - 1)
                }
            }
        })
    };
    let (lo, hi) = if step > 0 {
        (clamp(lo, 0)?, clamp(hi, n)?)
    } else {
        (clamp(lo, n - 1)?, clamp(hi, -1)?)
    };
    let mut out = Vec::new();
    let mut i = lo;
    while (step > 0 && i < hi) || (step < 0 && i > hi) {
        out.push(i as usize);
        i += step;
    }
    Ok(out)
}

/// The value of a slice expression `a:b:c`.
pub(crate) fn slice_value(a: Value, b: Value, c: Value) -> Value {
    Value::tuple(vec![Value::str("<slice>"), a, b, c])
}

fn as_slice(v: &Value) -> Option<(&Value, &Value, &Value)> {
    match v {
        Value::Tuple(t) if t.len() == 4 && matches!(&t[0], Value::Str(s) if &**s == "<slice>") => {
            Some((&t[1], &t[2], &t[3]))
        }
        _ => None,
    }
}

/// `base[index]` for lists, tuples, dicts, strings and tensors.
pub(crate) fn get_item(base: &Value, idx: &Value) -> OpResult<Value> {
    if let Some((lo, hi, step)) = as_slice(idx) {
        return match base {
            Value::List(l) => {
                let items = l.to_vec();
                let r = slice_range(items.len(), lo, hi, step)?;
                Ok(Value::list(
                    r.into_iter().map(|i| items[i].clone()).collect(),
                ))
            }
            Value::Tuple(t) => {
                let r = slice_range(t.len(), lo, hi, step)?;
                Ok(Value::tuple(r.into_iter().map(|i| t[i].clone()).collect()))
            }
            Value::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                let r = slice_range(chars.len(), lo, hi, step)?;
                Ok(Value::str(
                    &r.into_iter().map(|i| chars[i]).collect::<String>(),
                ))
            }
            Value::Tensor(t) => Ok(Value::Tensor(tensor_index(t, std::slice::from_ref(idx))?)),
            other => Err(OpError(format!("cannot slice a {}", other.kind()))),
        };
    }
    match base {
        Value::List(l) => {
            let g = l.guard();
            let i = index(int_arg(idx, "list index")?, g.len(), "list")?;
            Ok(g[i].clone())
        }
        Value::Tuple(t) => {
            let i = index(int_arg(idx, "tuple index")?, t.len(), "tuple")?;
            Ok(t[i].clone())
        }
        Value::Dict(d) => d
            .guard()
            .get(&key(idx)?)
            .cloned()
            .ok_or_else(|| OpError(format!("KeyError: {idx}"))),
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            let i = index(int_arg(idx, "string index")?, chars.len(), "string")?;
            Ok(Value::str(&chars[i].to_string()))
        }
        Value::Tensor(t) => {
            let parts = match idx {
                Value::Tuple(items) => items.to_vec(),
                other => vec![other.clone()],
            };
            Ok(Value::Tensor(tensor_index(t, &parts)?))
        }
        other => Err(OpError(format!("a {} is not subscriptable", other.kind()))),
    }
}

/// Basic tensor indexing: ints select, slices slice, `None` adds a dimension.
fn tensor_index(t: &Tensor, parts: &[Value]) -> OpResult<Tensor> {
    let mut out = t.clone();
    let mut d = 0isize;
    for p in parts {
        if let Some((lo, hi, step)) = as_slice(p) {
            let opt = |v: &Value| -> OpResult<Option<isize>> {
                Ok(match v {
                    Value::None => None,
                    v => Some(int_arg(v, "slice")? as isize),
                })
            };
            let step = match step {
                Value::None => 1,
                v => usize::try_from(int_arg(v, "slice")?)
                    .map_err(|_| OpError("slice step must be positive".into()))?,
            };
            out = out.slice(d, opt(lo)?, opt(hi)?, step)?;
            d += 1;
        } else if matches!(p, Value::None) {
            out = out.unsqueeze(d)?;
            d += 1;
        } else {
            out = out.select(d, int_arg(p, "tensor index")? as isize)?;
        }
    }
    Ok(out)
}

/// `base[index] = v` for lists and dicts.
pub(crate) fn set_item(base: &Value, idx: &Value, v: Value) -> OpResult<()> {
    match base {
        Value::List(l) => {
            let mut g = l.guard();
            let i = index(int_arg(idx, "list index")?, g.len(), "list assignment")?;
            g[i] = v;
        }
        Value::Dict(d) => {
            d.guard().insert(key(idx)?, v);
        }
        Value::Tensor(t) => {
            let parts = match idx {
                Value::Tuple(items) => items.to_vec(),
                other => vec![other.clone()],
            };
            let dst = tensor_index(t, &parts)?;
            match v {
                Value::Tensor(src) => dst.copy_(&src)?,
                other => dst.fill_(super::args::scalar_of(&other, "index_put")?)?,
            }
        }
        other => {
            return Err(OpError(format!(
                "cannot assign items of a {}",
                other.kind()
            )));
        }
    }
    Ok(())
}

/// Attributes of non-object values (`x.shape` is written `torch.size(x)` by torch, but
/// tensors' `.T`-free attributes still appear in traced code).
pub(crate) fn value_attr(v: &Value, name: &str) -> OpResult<Value> {
    match (v, name) {
        (Value::Tensor(t), "shape") => Ok(Value::list(
            t.shape().iter().map(|&d| Value::Int(d as i64)).collect(),
        )),
        (Value::Tensor(t), "dtype") => super::dtype_code(t.dtype())
            .map(Value::Int)
            .ok_or_else(|| OpError("dtype has no ScalarType code".into())),
        (Value::Tensor(_), "device") => Ok(Value::Device("cpu".into())),
        (Value::Tensor(_), "is_cuda") => Ok(Value::Bool(false)),
        (Value::Tensor(t), "requires_grad") => Ok(Value::Bool(t.requires_grad())),
        (Value::Device(_), "type") => Ok(Value::str("cpu")),
        (Value::Device(_), "index") => Ok(Value::None),
        _ => Err(OpError(format!("a {} has no attribute {name}", v.kind()))),
    }
}
