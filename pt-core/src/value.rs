//! [`Value`]: the object tree a checkpoint holds (dicts, lists, scalars, tensors, …).

use std::fmt;

use indexmap::IndexMap;
use num_complex::Complex64;

use crate::dtype::DType;
use crate::tensor::Tensor;

/// A Python object as a checkpoint stores it. Tensors share storage as they did when saved.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Value {
    /// `None`
    None,
    /// `bool`
    Bool(bool),
    /// `int` that fits in i64.
    Int(i64),
    /// `int` beyond i64: little-endian two's-complement bytes (pickle's `LONG1` payload).
    BigInt(Vec<u8>),
    /// `float`
    Float(f64),
    /// `complex`
    Complex(Complex64),
    /// `str`
    Str(String),
    /// `bytes`
    Bytes(Vec<u8>),
    /// `bytearray`
    ByteArray(Vec<u8>),
    /// `list`
    List(Vec<Value>),
    /// `tuple`
    Tuple(Vec<Value>),
    /// `set` (items in file order)
    Set(Vec<Value>),
    /// `dict`, `collections.OrderedDict` or `Counter`
    Dict(Dict),
    /// `torch.Tensor`
    Tensor(Tensor),
    /// `torch.nn.Parameter` (the tensor's `requires_grad` is the parameter's)
    Parameter(Tensor),
    /// `torch.Size`
    Size(Vec<i64>),
    /// A dtype global such as `torch.float32`
    DType(DType),
    /// `torch.device`, as its string form (`cpu`, `cuda:0`)
    Device(String),
    /// An object of a class outside the allowlist, kept inert (never executed).
    Object(Box<Object>),
}

/// A hashable dict key.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// `str`
    Str(String),
    /// `int`
    Int(i64),
    /// `bool`
    Bool(bool),
    /// `None`
    None,
    /// `float`, by its bit pattern
    FloatBits(u64),
    /// `bytes`
    Bytes(Vec<u8>),
    /// `tuple` of keys
    Tuple(Vec<Key>),
}

impl fmt::Display for Key {
    /// Python's `str()` of the key, used to build dotted paths: strings bare, everything
    /// else as Python prints it (`b'ab'`, `('a', 1)`, `1.5`, `True`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Str(s) => f.write_str(s),
            other => other.fmt_repr(f),
        }
    }
}

impl Key {
    /// Python's `repr()` of the key (strings quoted), as items of a tuple print.
    fn fmt_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Str(s) => write_py_str_repr(f, s),
            Key::Int(i) => write!(f, "{i}"),
            Key::Bool(true) => f.write_str("True"),
            Key::Bool(false) => f.write_str("False"),
            Key::None => f.write_str("None"),
            Key::FloatBits(b) => write_py_float(f, f64::from_bits(*b)),
            Key::Bytes(b) => write_py_bytes_repr(f, b),
            Key::Tuple(items) => {
                f.write_str("(")?;
                for (i, k) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    k.fmt_repr(f)?;
                }
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
fn write_py_str_repr(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    write!(f, "{quote}")?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => write!(f, "\\{c}")?,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    write!(f, "{quote}")
}

/// Python's `repr(bytes)`: printable ASCII as is, the rest escaped.
fn write_py_bytes_repr(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    write!(f, "b{}", quote as char)?;
    for &c in b {
        match c {
            b'\\' => f.write_str("\\\\")?,
            b'\n' => f.write_str("\\n")?,
            b'\r' => f.write_str("\\r")?,
            b'\t' => f.write_str("\\t")?,
            c if c == quote => write!(f, "\\{}", c as char)?,
            0x20..=0x7e => write!(f, "{}", c as char)?,
            c => write!(f, "\\x{c:02x}")?,
        }
    }
    write!(f, "{}", quote as char)
}

/// Python's `repr(float)`: the shortest round-trip digits, positional for exponents in
/// -4..16, else scientific with a signed two-digit exponent (`1e+16`, `1e-05`).
fn write_py_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("nan");
    }
    if x.is_infinite() {
        return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
    }
    // `{:e}` gives the shortest round-trip digits, e.g. `1.5e-7`.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        // Rust's `{:?}` is positional in this range and keeps a `.0` on integers, as Python.
        write!(f, "{x:?}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        write!(f, "{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key::Str(s.to_owned())
    }
}

impl From<String> for Key {
    fn from(s: String) -> Key {
        Key::Str(s)
    }
}

impl From<i64> for Key {
    fn from(i: i64) -> Key {
        Key::Int(i)
    }
}

/// Which Python mapping class a [`Dict`] was.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DictKind {
    /// `dict`
    #[default]
    Plain,
    /// `collections.OrderedDict`
    Ordered,
    /// `collections.Counter`
    Counter,
}

/// An insertion-ordered mapping, with the attributes an `OrderedDict` can carry (a state
/// dict's `_metadata`).
#[derive(Clone, Debug, Default)]
pub struct Dict {
    /// The Python class.
    pub kind: DictKind,
    /// Items in insertion order.
    pub items: IndexMap<Key, Value>,
    /// Instance attributes set by pickle `BUILD` (for state dicts: `_metadata`).
    pub attrs: IndexMap<String, Value>,
}

impl Dict {
    /// An empty dict of the given kind.
    pub fn new(kind: DictKind) -> Dict {
        Dict {
            kind,
            ..Dict::default()
        }
    }

    /// The value under a string key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items.get(&Key::Str(key.to_owned()))
    }

    /// Inserts an item, returning the previous value under that key.
    pub fn insert(&mut self, key: impl Into<Key>, value: impl Into<Value>) -> Option<Value> {
        self.items.insert(key.into(), value.into())
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// An object of a class outside the allowlist, recorded without running anything: the
/// class, the arguments it was built with, and the state `BUILD` gave it.
#[derive(Clone, Debug)]
pub struct Object {
    /// Module of the class (`__main__`).
    pub module: String,
    /// Qualified name of the class (`MyModule`).
    pub name: String,
    /// Arguments of the `REDUCE`/`NEWOBJ` that built it.
    pub args: Vec<Value>,
    /// The `BUILD` state (usually the instance `__dict__`), if any.
    pub state: Option<Value>,
    /// Items added by `APPEND(S)` or `SETITEM(S)` onto the object, if any.
    pub items: Vec<(Value, Value)>,
}

impl Value {
    /// The tensor, for `Tensor` and `Parameter` values.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Value::Tensor(t) | Value::Parameter(t) => Some(t),
            _ => None,
        }
    }

    /// The dict, for `Dict` values.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The items of a list or tuple.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The integer, for `Int` and `Bool` values.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The number, for `Float`, `Int` and `Bool` values.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            // Python compares ints and floats by value; precision loss above 2^53 is inherent.
            Value::Int(i) => Some(*i as f64),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// The string, for `Str` values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under a string key of a dict.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_dict()?.get(key)
    }

    /// Follows a dotted path: dict keys (by `str()`), list and tuple indices.
    /// `"model.l0.weight"` finds `{"model": {"l0.weight": t}}` too: at each dict, the
    /// longest key that matches a prefix of the remaining path wins.
    pub fn path(&self, path: &str) -> Option<&Value> {
        if path.is_empty() {
            return Some(self);
        }
        match self {
            Value::Dict(d) => {
                let mut best: Option<(&Value, usize)> = None;
                for (k, v) in &d.items {
                    let ks = k.to_string();
                    let fits = path == ks
                        || (path.starts_with(&ks) && path.as_bytes().get(ks.len()) == Some(&b'.'));
                    if fits && best.is_none_or(|(_, n)| ks.len() > n) {
                        best = Some((v, ks.len()));
                    }
                }
                let (v, n) = best?;
                v.path(path.get(n + 1..).unwrap_or(""))
            }
            Value::List(items) | Value::Tuple(items) => {
                let (head, rest) = path.split_once('.').unwrap_or((path, ""));
                items.get(head.parse::<usize>().ok()?)?.path(rest)
            }
            _ => None,
        }
    }

    /// A short lower-case name of the kind of value (`tensor`, `int`, `dict`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "none",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex(_) => "complex",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::ByteArray(_) => "bytearray",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Set(_) => "set",
            Value::Dict(_) => "dict",
            Value::Tensor(_) | Value::Parameter(_) => "tensor",
            Value::Size(_) => "size",
            Value::DType(_) => "dtype",
            Value::Device(_) => "device",
            Value::Object(_) => "object",
        }
    }
}

macro_rules! value_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from($v: $t) -> Value {
                $e
            }
        }
    )*};
}

value_from! {
    bool => |v| Value::Bool(v),
    i64 => |v| Value::Int(v),
    i32 => |v| Value::Int(i64::from(v)),
    f64 => |v| Value::Float(v),
    &str => |v| Value::Str(v.to_owned()),
    String => |v| Value::Str(v),
    Tensor => |v| Value::Tensor(v),
    Dict => |v| Value::Dict(v),
    Vec<Value> => |v| Value::List(v),
    DType => |v| Value::DType(v),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_like_python_str() {
        // Expected strings are Python's str() of the same keys.
        let cases = [
            (Key::Str("l0.weight".into()), "l0.weight"),
            (Key::Int(-3), "-3"),
            (Key::Bool(true), "True"),
            (Key::None, "None"),
            (Key::FloatBits(1.0f64.to_bits()), "1.0"),
            (Key::FloatBits(1e16f64.to_bits()), "1e+16"),
            (Key::FloatBits(1.5e-5f64.to_bits()), "1.5e-05"),
            (Key::FloatBits(0.0001f64.to_bits()), "0.0001"),
            (Key::Bytes(b"a\x00'".to_vec()), "b\"a\\x00'\""),
            (
                Key::Tuple(vec![Key::Str("a".into()), Key::Int(1)]),
                "('a', 1)",
            ),
            (Key::Tuple(vec![Key::Str("it's".into())]), "(\"it's\",)"),
        ];
        for (key, want) in cases {
            assert_eq!(key.to_string(), want);
        }
    }
}
