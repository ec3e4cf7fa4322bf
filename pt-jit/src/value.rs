//! [`Value`]: what TorchScript code computes with. Lists, dicts and objects are shared
//! handles, as in TorchScript: `append` through one name is seen through every other.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use pt_core::{DType, Tensor};

/// A TorchScript value.
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// `None`
    #[default]
    None,
    /// `bool`
    Bool(bool),
    /// `int` (64-bit, as TorchScript's)
    Int(i64),
    /// `float` (64-bit)
    Float(f64),
    /// `str`
    Str(Arc<str>),
    /// `Tensor`
    Tensor(Tensor),
    /// `List[T]`, shared and mutable.
    List(List),
    /// `Tuple[...]`
    Tuple(Arc<[Value]>),
    /// `Dict[K, V]`, shared and mutable, in insertion order.
    Dict(Dict),
    /// `Device`, by its string form (`cpu`).
    Device(Arc<str>),
    /// A dtype (`torch.float32`); TorchScript passes these as `int` ScalarType codes too.
    DType(DType),
    /// An object of a scripted class (a module, or a class such as `no_grad`).
    Object(Object),
    /// The value of `uninitialized(T)`: only ever on a path that raises.
    Uninitialized,
}

/// Locks a mutex, ignoring poisoning (the data is values only; a panic cannot leave it torn).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A shared list.
#[derive(Clone, Debug, Default)]
pub struct List(pub(crate) Arc<Mutex<Vec<Value>>>);

impl List {
    /// A new list holding `items`.
    pub fn new(items: Vec<Value>) -> List {
        List(Arc::new(Mutex::new(items)))
    }

    /// A copy of the items.
    pub fn to_vec(&self) -> Vec<Value> {
        lock(&self.0).clone()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn guard(&self) -> MutexGuard<'_, Vec<Value>> {
        lock(&self.0)
    }
}

/// A hashable dict key (TorchScript dicts have str, int, float, bool or Tensor keys).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DictKey {
    /// `str`
    Str(Arc<str>),
    /// `int`
    Int(i64),
    /// `bool`
    Bool(bool),
    /// `float`, by bit pattern
    Float(u64),
}

impl DictKey {
    /// The key as a value.
    pub fn to_value(&self) -> Value {
        match self {
            DictKey::Str(s) => Value::Str(s.clone()),
            DictKey::Int(i) => Value::Int(*i),
            DictKey::Bool(b) => Value::Bool(*b),
            DictKey::Float(b) => Value::Float(f64::from_bits(*b)),
        }
    }

    /// The key of a value, if it is hashable.
    pub fn from_value(v: &Value) -> Option<DictKey> {
        Some(match v {
            Value::Str(s) => DictKey::Str(s.clone()),
            Value::Int(i) => DictKey::Int(*i),
            Value::Bool(b) => DictKey::Bool(*b),
            Value::Float(f) => DictKey::Float(f.to_bits()),
            _ => return None,
        })
    }
}

/// A shared dict.
#[derive(Clone, Debug, Default)]
pub struct Dict(pub(crate) Arc<Mutex<IndexMap<DictKey, Value>>>);

impl Dict {
    /// A new dict.
    pub fn new(items: IndexMap<DictKey, Value>) -> Dict {
        Dict(Arc::new(Mutex::new(items)))
    }

    /// A copy of the items.
    pub fn items(&self) -> Vec<(DictKey, Value)> {
        lock(&self.0)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub(crate) fn guard(&self) -> MutexGuard<'_, IndexMap<DictKey, Value>> {
        lock(&self.0)
    }
}

/// An object of a scripted class: its qualified class name and attributes.
#[derive(Clone, Debug)]
pub struct Object(pub(crate) Arc<ObjectData>);

#[derive(Debug)]
pub(crate) struct ObjectData {
    pub(crate) class: Arc<str>,
    pub(crate) attrs: Mutex<IndexMap<Arc<str>, Value>>,
}

impl Object {
    /// A new object of `class` with `attrs`.
    pub fn new(class: impl Into<Arc<str>>, attrs: IndexMap<Arc<str>, Value>) -> Object {
        Object(Arc::new(ObjectData {
            class: class.into(),
            attrs: Mutex::new(attrs),
        }))
    }

    /// The qualified class name (`__torch__.torch.nn.modules.linear.Linear`).
    pub fn class(&self) -> &str {
        &self.0.class
    }

    /// An attribute.
    pub fn get(&self, name: &str) -> Option<Value> {
        lock(&self.0.attrs).get(name).cloned()
    }

    /// Sets an attribute.
    pub fn set(&self, name: &str, value: Value) {
        let mut attrs = lock(&self.0.attrs);
        match attrs.get_mut(name) {
            Some(slot) => *slot = value,
            None => {
                attrs.insert(Arc::from(name), value);
            }
        }
    }

    /// Attribute names and values, in order.
    pub fn attributes(&self) -> Vec<(Arc<str>, Value)> {
        lock(&self.0.attrs)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// True when both handles name the same object.
    pub fn same(&self, other: &Object) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Value {
    /// The kind of value, as TorchScript names types.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Tensor(_) => "Tensor",
            Value::List(_) => "List",
            Value::Tuple(_) => "Tuple",
            Value::Dict(_) => "Dict",
            Value::Device(_) => "Device",
            Value::DType(_) => "ScalarType",
            Value::Object(_) => "Object",
            Value::Uninitialized => "uninitialized",
        }
    }

    /// The tensor, if this is one.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Value::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// A tuple value.
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(items.into())
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::new(items))
    }
}

impl From<Tensor> for Value {
    fn from(t: Tensor) -> Value {
        Value::Tensor(t)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// Python's `repr(float)`.
pub(crate) fn fmt_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("nan");
    }
    if x.is_infinite() {
        return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
    }
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        write!(f, "{x:?}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        write!(f, "{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

fn fmt_str_repr(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    write!(f, "{q}")?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            c if c == q => write!(f, "\\{c}")?,
            c => write!(f, "{c}")?,
        }
    }
    write!(f, "{q}")
}

impl Value {
    fn fmt_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => fmt_str_repr(f, s),
            other => fmt::Display::fmt(other, f),
        }
    }
}

/// Python's `str()` of the value (tensors as PyTorch prints them).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => fmt_float(f, *x),
            Value::Str(s) => f.write_str(s),
            Value::Tensor(t) => write!(f, "{t}"),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.to_vec().iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    v.fmt_repr(f)?;
                }
                f.write_str("]")
            }
            Value::Tuple(items) => {
                f.write_str("(")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    v.fmt_repr(f)?;
                }
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            Value::Dict(d) => {
                f.write_str("{")?;
                for (i, (k, v)) in d.items().iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    k.to_value().fmt_repr(f)?;
                    f.write_str(": ")?;
                    v.fmt_repr(f)?;
                }
                f.write_str("}")
            }
            Value::Device(d) => write!(f, "{d}"),
            Value::DType(d) => write!(f, "{d}"),
            Value::Object(o) => write!(f, "<{} object>", o.class()),
            Value::Uninitialized => f.write_str("<uninitialized>"),
        }
    }
}
