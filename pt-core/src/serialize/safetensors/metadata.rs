//! The metadata convention that keeps a state dict whole in safetensors' string → string map.
//!
//! | key | value |
//! |---|---|
//! | `format` | `pt` (the convention transformers checks) |
//! | `pt._metadata` | the state dict's `_metadata`, in order: `[["", {"version": 1}], ["bn", {"version": 2}]]` |
//! | `pt.keys` | every key of the file in the state dict's order (safetensors sorts tensors by dtype, then name) |
//! | `pt.value.<key>` | a non-tensor entry, as `{"kind": "int", "value": 5}` (the kinds and encodings of `pt inspect --json`) |

use indexmap::IndexMap;
use serde_json::{Value as Json, json};

use crate::dtype::DType;
use crate::state_dict::ModuleMetadata;
use crate::value::Value;
use num_complex::Complex64;

pub(super) const META_FORMAT: &str = "format";
pub(super) const META_VERSIONS: &str = "pt._metadata";
pub(super) const META_KEYS: &str = "pt.keys";
pub(super) const META_VALUE: &str = "pt.value.";

pub(super) fn decode_versions(text: &str) -> Result<IndexMap<String, ModuleMetadata>, String> {
    let bad =
        || format!("metadata `{META_VERSIONS}` is not a list of [prefix, {{…}}] pairs: {text}");
    let j: Json = serde_json::from_str(text).map_err(|_| bad())?;
    let mut out = IndexMap::new();
    for pair in j.as_array().ok_or_else(bad)? {
        let (Some(prefix), Some(entries)) = (
            pair.get(0).and_then(Json::as_str),
            pair.get(1).and_then(Json::as_object),
        ) else {
            return Err(bad());
        };
        let mut m = ModuleMetadata::new();
        for (k, v) in entries {
            m.insert(k.clone(), from_plain_json(v).ok_or_else(bad)?);
        }
        out.insert(prefix.to_owned(), m);
    }
    Ok(out)
}

/// JSON's own types for simple values (the `_metadata` entries).
pub(super) fn plain_json(v: &Value) -> Option<Json> {
    Some(match v {
        Value::None => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Str(s) => json!(s),
        _ => return None,
    })
}

fn from_plain_json(j: &Json) -> Option<Value> {
    Some(match j {
        Json::Null => Value::None,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64()?),
        },
        Json::String(s) => Value::Str(s.clone()),
        _ => return None,
    })
}

fn float_json(f: f64) -> Json {
    if f.is_nan() {
        json!("nan")
    } else if f.is_infinite() {
        json!(if f > 0.0 { "inf" } else { "-inf" })
    } else {
        json!(f)
    }
}

fn float_from_json(j: &Json) -> Option<f64> {
    match j {
        Json::String(s) => match s.as_str() {
            "nan" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        other => other.as_f64(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A non-tensor scalar as `{"kind": …, "value": …}`, the `pt inspect --json` encoding
/// (plus `bigint`: little-endian two's-complement bytes in hex, and `bytearray`).
pub(super) fn encode_scalar(v: &Value) -> Option<Json> {
    let (kind, value) = match v {
        Value::None => return Some(json!({"kind": "none"})),
        Value::Bool(b) => ("bool", json!(b)),
        Value::Int(i) => ("int", json!(i)),
        Value::BigInt(b) => ("bigint", json!(hex(b))),
        Value::Float(f) => ("float", float_json(*f)),
        Value::Complex(c) => ("complex", json!([float_json(c.re), float_json(c.im)])),
        Value::Str(s) => ("str", json!(s)),
        Value::Bytes(b) => ("bytes", json!(hex(b))),
        Value::ByteArray(b) => ("bytearray", json!(hex(b))),
        Value::DType(d) => ("dtype", json!(d.name())),
        Value::Device(d) => ("device", json!(d)),
        Value::Size(s) => ("size", json!(s)),
        _ => return None,
    };
    Some(json!({"kind": kind, "value": value}))
}

pub(super) fn decode_scalar(j: &Json) -> Option<Value> {
    let kind = j.get("kind")?.as_str()?;
    if kind == "none" {
        return Some(Value::None);
    }
    let v = j.get("value")?;
    Some(match kind {
        "bool" => Value::Bool(v.as_bool()?),
        "int" => Value::Int(v.as_i64()?),
        "bigint" => Value::BigInt(unhex(v.as_str()?)?),
        "float" => Value::Float(float_from_json(v)?),
        "complex" => {
            let p = v.as_array()?;
            Value::Complex(Complex64::new(
                float_from_json(p.first()?)?,
                float_from_json(p.get(1)?)?,
            ))
        }
        "str" => Value::Str(v.as_str()?.to_owned()),
        "bytes" => Value::Bytes(unhex(v.as_str()?)?),
        "bytearray" => Value::ByteArray(unhex(v.as_str()?)?),
        "dtype" => Value::DType(DType::from_name(v.as_str()?)?),
        "device" => Value::Device(v.as_str()?.to_owned()),
        "size" => Value::Size(
            v.as_array()?
                .iter()
                .map(Json::as_i64)
                .collect::<Option<Vec<_>>>()?,
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_round_trip() {
        for v in [
            Value::None,
            Value::Bool(true),
            Value::Int(-7),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(0.1),
            Value::Complex(Complex64::new(1.0, -2.5)),
            Value::Str("run-1".into()),
            Value::Bytes(vec![0, 255, 97]),
            Value::DType(DType::F16),
            Value::Device("cuda:1".into()),
            Value::Size(vec![2, 3]),
            Value::BigInt(vec![0, 0, 0, 0, 0, 0, 0, 0, 1]),
        ] {
            let j = encode_scalar(&v).unwrap();
            let back = decode_scalar(&j).unwrap();
            assert_eq!(format!("{back:?}"), format!("{v:?}"), "{j}");
        }
        assert!(encode_scalar(&Value::List(vec![])).is_none());
    }
}
