//! [`describe`]: a checkpoint as a flat list of leaf entries, the project's common language
//! for "what is in a file" (fixture descriptions, `pt inspect --json`).

use std::cmp::Ordering;
use std::collections::HashMap;

use half::{bf16, f16};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::loaded::{Loaded, StorageInfo};
use crate::dtype::DType;
use crate::join_key;
use crate::tensor::Tensor;
use crate::value::Value;

/// Tensors with at most this many elements list their values.
const MAX_LISTED: usize = 16;

/// One leaf of a loaded object. Serializes to the fixture-description ENTRY schema
/// (`path`, `kind`, then the kind's fields).
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// A tensor or parameter.
    Tensor(TensorEntry),
    /// Any other leaf: a scalar, string, bytes, dtype, size, device, set or inert object.
    Leaf(LeafEntry),
}

/// A tensor leaf.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorEntry {
    /// Dict keys and sequence indices joined with `.` (`""` for a bare root value).
    pub path: String,
    /// Its dtype.
    pub dtype: DType,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its strides, in elements.
    pub stride: Vec<usize>,
    /// Its storage offset, in elements.
    pub storage_offset: usize,
    /// Record key of its storage (when the storage came from the described file).
    pub storage_key: Option<String>,
    /// Bytes of the whole storage.
    pub storage_bytes: usize,
    /// Its `requires_grad`.
    pub requires_grad: bool,
    /// Whether it was saved as an `nn.Parameter`.
    pub parameter: bool,
    /// The location tag saved with its storage (when the storage came from the file).
    pub location: Option<String>,
    /// Hex SHA-256 of the elements, row-major, little-endian ([`Detail::Full`] only).
    pub sha256: Option<String>,
    /// The elements, row-major, when there are at most 16 ([`Detail::Full`] only).
    pub values: Option<Vec<Json>>,
}

/// A non-tensor leaf.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafEntry {
    /// Dict keys and sequence indices joined with `.` (`""` for a bare root value).
    pub path: String,
    /// `int`, `float`, `str`, `bool`, `none`, `bytes`, `bytearray`, `dtype`, `size`,
    /// `device`, `complex`, `set` or `object`.
    pub kind: &'static str,
    /// Its value in the schema's JSON encoding (`None` for `none`).
    pub value: Option<Json>,
}

impl Entry {
    /// The entry's dotted path.
    pub fn path(&self) -> &str {
        match self {
            Entry::Tensor(t) => &t.path,
            Entry::Leaf(l) => &l.path,
        }
    }

    /// `tensor`, or the leaf's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Tensor(_) => "tensor",
            Entry::Leaf(l) => l.kind,
        }
    }

    /// The tensor entry, if it is one.
    pub fn as_tensor(&self) -> Option<&TensorEntry> {
        match self {
            Entry::Tensor(t) => Some(t),
            Entry::Leaf(_) => None,
        }
    }

    fn leaf(path: &str, kind: &'static str, value: Option<Json>) -> Entry {
        Entry::Leaf(LeafEntry {
            path: path.to_owned(),
            kind,
            value,
        })
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("path", self.path())?;
        m.serialize_entry("kind", self.kind())?;
        match self {
            Entry::Leaf(l) => {
                if let Some(v) = &l.value {
                    m.serialize_entry("value", v)?;
                }
            }
            Entry::Tensor(t) => {
                m.serialize_entry("dtype", t.dtype.name())?;
                m.serialize_entry("shape", &t.shape)?;
                m.serialize_entry("stride", &t.stride)?;
                m.serialize_entry("storage_offset", &t.storage_offset)?;
                if let Some(k) = &t.storage_key {
                    m.serialize_entry("storage_key", k)?;
                }
                m.serialize_entry("storage_bytes", &t.storage_bytes)?;
                m.serialize_entry("requires_grad", &t.requires_grad)?;
                m.serialize_entry("parameter", &t.parameter)?;
                if let Some(l) = &t.location {
                    m.serialize_entry("location", l)?;
                }
                if let Some(h) = &t.sha256 {
                    m.serialize_entry("sha256", h)?;
                }
                if let Some(v) = &t.values {
                    m.serialize_entry("values", v)?;
                }
            }
        }
        m.end()
    }
}

/// How much [`describe_value_with`] reads of each tensor.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Layout, plus the SHA-256 of the elements and the elements of small tensors (reads
    /// every tensor's bytes).
    #[default]
    Full,
    /// Layout only (dtype, shape, strides, storage): reads no tensor data.
    Layout,
}

/// The entries of a loaded checkpoint, depth first in container order.
pub fn describe(loaded: &Loaded) -> Vec<Entry> {
    describe_value(&loaded.value, &loaded.storages)
}

/// The entries of any value; tensors whose storage is in `storages` get its key and location.
pub fn describe_value(value: &Value, storages: &[StorageInfo]) -> Vec<Entry> {
    describe_value_with(value, storages, Detail::Full)
}

/// [`describe_value`] with the [`Detail`] asked for.
pub fn describe_value_with(value: &Value, storages: &[StorageInfo], detail: Detail) -> Vec<Entry> {
    let index: HashMap<usize, &StorageInfo> =
        storages.iter().map(|s| (s.storage.id(), s)).collect();
    let mut out = Vec::new();
    walk(value, "", &index, detail, &mut out);
    out
}

fn walk(
    v: &Value,
    path: &str,
    index: &HashMap<usize, &StorageInfo>,
    detail: Detail,
    out: &mut Vec<Entry>,
) {
    match v {
        Value::Tensor(t) => out.push(tensor_entry(t, false, path, index, detail)),
        Value::Parameter(t) => out.push(tensor_entry(t, true, path, index, detail)),
        Value::Size(d) => out.push(Entry::leaf(path, "size", Some(Json::from(d.clone())))),
        Value::Dict(d) => {
            for (k, item) in &d.items {
                walk(item, &join_key(path, &k.to_string()), index, detail, out);
            }
        }
        Value::List(items) | Value::Tuple(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &join_key(path, &i.to_string()), index, detail, out);
            }
        }
        other => {
            let (kind, value) = scalar(other);
            out.push(Entry::leaf(path, kind, value));
        }
    }
}

fn json_float(x: f64) -> Json {
    if x.is_nan() {
        Json::from("nan")
    } else if x.is_infinite() {
        Json::from(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Kind and value of a non-container, non-tensor leaf.
fn scalar(v: &Value) -> (&'static str, Option<Json>) {
    match v {
        Value::None => ("none", None),
        Value::Bool(b) => ("bool", Some(Json::from(*b))),
        Value::Int(i) => ("int", Some(Json::from(*i))),
        // Beyond u64, JSON numbers lose precision in most readers: decimal text instead.
        Value::BigInt(b) => match big_int_u64(b) {
            Some(u) => ("int", Some(Json::from(u))),
            None => ("int", Some(Json::from(big_int_decimal(b)))),
        },
        Value::Float(f) => ("float", Some(json_float(*f))),
        Value::Str(s) => ("str", Some(Json::from(s.as_str()))),
        Value::Bytes(b) => ("bytes", Some(Json::from(hex(b)))),
        Value::ByteArray(b) => ("bytearray", Some(Json::from(hex(b)))),
        Value::Complex(c) => (
            "complex",
            Some(Json::from(vec![json_float(c.re), json_float(c.im)])),
        ),
        Value::DType(d) => ("dtype", Some(Json::from(d.name()))),
        Value::Device(d) => ("device", Some(Json::from(d.as_str()))),
        Value::Set(items) => {
            let mut sorted: Vec<&Value> = items.iter().collect();
            sorted.sort_by(|a, b| python_order(a, b));
            let values = sorted
                .into_iter()
                .map(|x| scalar(x).1.unwrap_or(Json::Null));
            ("set", Some(Json::Array(values.collect())))
        }
        Value::Object(o) => (
            "object",
            Some(Json::from(format!("{}.{}", o.module, o.name))),
        ),
        other => ("object", Some(Json::from(other.kind()))),
    }
}

/// Python's type name, for sorting mixed sets as the fixture script does.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::None => "NoneType",
        Value::Int(_) | Value::BigInt(_) => "int",
        other => other.kind(),
    }
}

fn python_order(a: &Value, b: &Value) -> Ordering {
    type_name(a).cmp(type_name(b)).then_with(|| match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
        (Value::Str(x), Value::Str(y)) => x.chars().cmp(y.chars()),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        _ => Ordering::Equal,
    })
}

/// A non-negative little-endian two's complement integer that fits in a u64.
fn big_int_u64(le: &[u8]) -> Option<u64> {
    if le.last().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let (low, high) = le.split_at(le.len().min(8));
    if high.iter().any(|&b| b != 0) {
        return None;
    }
    let mut buf = [0u8; 8];
    for (d, s) in buf.iter_mut().zip(low) {
        *d = *s;
    }
    Some(u64::from_le_bytes(buf))
}

/// A little-endian two's complement integer in decimal (for ints beyond i64).
fn big_int_decimal(le: &[u8]) -> String {
    let neg = le.last().is_some_and(|b| b & 0x80 != 0);
    let mut mag: Vec<u8> = le.to_vec();
    if neg {
        let mut carry = 1u16;
        for b in &mut mag {
            let v = u16::from(!*b) + carry;
            *b = (v & 0xFF) as u8;
            carry = v >> 8;
        }
    }
    // Repeated division by 10 of the big-endian magnitude.
    let mut be: Vec<u8> = mag.into_iter().rev().collect();
    let mut digits = Vec::new();
    while be.iter().any(|&b| b != 0) {
        let mut rem = 0u16;
        for b in &mut be {
            let cur = (rem << 8) | u16::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    if neg {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

fn tensor_entry(
    t: &Tensor,
    parameter: bool,
    path: &str,
    index: &HashMap<usize, &StorageInfo>,
    detail: Detail,
) -> Entry {
    let info = index.get(&t.storage().id());
    let (sha256, values) = match detail {
        Detail::Layout => (None, None),
        Detail::Full => {
            let bytes = t.to_contiguous_bytes();
            let values = (t.numel() <= MAX_LISTED).then(|| element_values(t.dtype(), &bytes));
            (Some(hex(&Sha256::digest(&bytes))), values)
        }
    };
    Entry::Tensor(TensorEntry {
        path: path.to_owned(),
        dtype: t.dtype(),
        shape: t.shape().to_vec(),
        stride: t.stride().to_vec(),
        storage_offset: t.storage_offset(),
        storage_key: info.map(|i| i.key.clone()),
        storage_bytes: t.storage().nbytes(),
        requires_grad: t.requires_grad(),
        parameter,
        location: info.map(|i| i.location.clone()),
        sha256,
        values,
    })
}

/// Decodes row-major little-endian element bytes into JSON values.
pub(crate) fn element_values(dtype: DType, bytes: &[u8]) -> Vec<Json> {
    let es = dtype.size();
    bytes
        .chunks_exact(es)
        .map(|c| {
            let a = |n: usize| -> [u8; 8] {
                let mut buf = [0u8; 8];
                for (d, s) in buf.iter_mut().zip(c.iter().skip(n)) {
                    *d = *s;
                }
                buf
            };
            let b0 = c.first().copied().unwrap_or(0);
            let w = a(0);
            match dtype {
                DType::F64 => json_float(f64::from_le_bytes(w)),
                DType::F32 => json_float(f64::from(f32::from_le_bytes([w[0], w[1], w[2], w[3]]))),
                DType::F16 => json_float(f16::from_le_bytes([w[0], w[1]]).to_f64()),
                DType::BF16 => json_float(bf16::from_le_bytes([w[0], w[1]]).to_f64()),
                DType::F8E5M2 | DType::F8E4M3Fn => {
                    json_float(crate::float8::to_f64(dtype, b0).unwrap_or(f64::NAN))
                }
                DType::I64 => Json::from(i64::from_le_bytes(w)),
                DType::I32 => Json::from(i32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                DType::I16 => Json::from(i16::from_le_bytes([w[0], w[1]])),
                DType::I8 => Json::from(b0 as i8),
                DType::U8 => Json::from(b0),
                DType::U16 => Json::from(u16::from_le_bytes([w[0], w[1]])),
                DType::U32 => Json::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                DType::U64 => Json::from(u64::from_le_bytes(w)),
                DType::Bool => Json::from(b0 != 0),
                DType::C64 => {
                    let im = a(4);
                    Json::from(vec![
                        json_float(f64::from(f32::from_le_bytes([w[0], w[1], w[2], w[3]]))),
                        json_float(f64::from(f32::from_le_bytes([im[0], im[1], im[2], im[3]]))),
                    ])
                }
                DType::C128 => {
                    let mut im = [0u8; 8];
                    for (d, s) in im.iter_mut().zip(c.iter().skip(8)) {
                        *d = *s;
                    }
                    Json::from(vec![
                        json_float(f64::from_le_bytes(w)),
                        json_float(f64::from_le_bytes(im)),
                    ])
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_ints_print_in_decimal() {
        assert_eq!(
            big_int_decimal(&[0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0]),
            "1180591620717411303424"
        );
        assert_eq!(
            big_int_decimal(&[0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF]),
            "-1180591620717411303424"
        );
        assert_eq!(big_int_decimal(&[]), "0");
        assert_eq!(
            big_int_u64(&[5, 0, 0, 0, 0, 0, 0, 0x80, 0]),
            Some(0x8000_0000_0000_0005)
        );
        assert_eq!(big_int_u64(&[0, 0, 0, 0, 0, 0, 0, 0, 1]), None);
    }

    #[test]
    fn sets_sort_like_python() {
        let (kind, v) = scalar(&Value::Set(vec![
            Value::Str("b".into()),
            Value::Int(3),
            Value::Int(1),
            Value::Str("a".into()),
        ]));
        assert_eq!(kind, "set");
        assert_eq!(v.unwrap(), serde_json::json!([1, 3, "a", "b"]));
    }
}
