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
    /// Python's `str()` of the key, used to build dotted paths.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Str(s) => f.write_str(s),
            Key::Int(i) => write!(f, "{i}"),
            Key::Bool(true) => f.write_str("True"),
            Key::Bool(false) => f.write_str("False"),
            Key::None => f.write_str("None"),
            Key::FloatBits(b) => write!(f, "{:?}", f64::from_bits(*b)),
            Key::Bytes(b) => write!(f, "b{:?}", String::from_utf8_lossy(b)),
            Key::Tuple(items) => {
                f.write_str("(")?;
                for (i, k) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}")?;
                }
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
        }
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
