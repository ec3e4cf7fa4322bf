//! State dicts to and from `.safetensors` (through the `safetensors` crate).
//!
//! safetensors holds only named, contiguous, little-endian tensors plus a string → string
//! metadata map. What a state dict has beyond that is kept in the metadata, JSON-encoded:
//!
//! | key | value |
//! |---|---|
//! | `format` | `pt` (the convention transformers checks) |
//! | `pt._metadata` | the state dict's `_metadata`, in order: `[["", {"version": 1}], ["bn", {"version": 2}]]` |
//! | `pt.keys` | every key in the state dict's order (safetensors sorts tensors by dtype, then name) |
//! | `pt.value.<key>` | a non-tensor entry, as `{"kind": "int", "value": 5}` (the kinds and encodings of `pt inspect --json`) |
//!
//! Views and shared storages are written as separate contiguous copies. Tensor flags
//! (`requires_grad`, parameter) are not kept: safetensors has no place for them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use pt_core::{Complex64, DType, ModuleMetadata, StateDict, Tensor, Value};
use safetensors::{Dtype, SafeTensors, View};
use serde_json::{Value as Json, json};

const META_FORMAT: &str = "format";
const META_VERSIONS: &str = "pt._metadata";
const META_KEYS: &str = "pt.keys";
const META_VALUE: &str = "pt.value.";

/// The safetensors dtype of a pt dtype.
///
/// # Errors
/// A message naming the dtype when safetensors cannot hold it (complex128).
pub fn to_st_dtype(d: DType, key: &str) -> Result<Dtype, String> {
    Ok(match d {
        DType::F64 => Dtype::F64,
        DType::F32 => Dtype::F32,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::I64 => Dtype::I64,
        DType::I32 => Dtype::I32,
        DType::I16 => Dtype::I16,
        DType::I8 => Dtype::I8,
        DType::U8 => Dtype::U8,
        DType::Bool => Dtype::BOOL,
        DType::C64 => Dtype::C64,
        DType::U16 => Dtype::U16,
        DType::U32 => Dtype::U32,
        DType::U64 => Dtype::U64,
        DType::F8E4M3Fn => Dtype::F8_E4M3,
        DType::F8E5M2 => Dtype::F8_E5M2,
        other => {
            return Err(format!(
                "tensor `{key}` has dtype {}, which safetensors cannot store (it has no complex128); convert it first or leave it out",
                other.name()
            ));
        }
    })
}

/// The pt dtype of a safetensors dtype.
///
/// # Errors
/// A message naming the dtype when pt has no such dtype (F4, F6, F8_E8M0, the FNUZ kinds).
pub fn from_st_dtype(d: Dtype, key: &str) -> Result<DType, String> {
    Ok(match d {
        Dtype::F64 => DType::F64,
        Dtype::F32 => DType::F32,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::I64 => DType::I64,
        Dtype::I32 => DType::I32,
        Dtype::I16 => DType::I16,
        Dtype::I8 => DType::I8,
        Dtype::U8 => DType::U8,
        Dtype::BOOL => DType::Bool,
        Dtype::C64 => DType::C64,
        Dtype::U16 => DType::U16,
        Dtype::U32 => DType::U32,
        Dtype::U64 => DType::U64,
        Dtype::F8_E4M3 => DType::F8E4M3Fn,
        Dtype::F8_E5M2 => DType::F8E5M2,
        other => {
            return Err(format!(
                "tensor `{key}` has safetensors dtype {other:?}, which pt does not support"
            ));
        }
    })
}

/// Host-order element bytes ↔ little-endian (a no-op on little-endian machines).
fn to_little_endian(mut bytes: Vec<u8>, d: DType) -> Vec<u8> {
    if cfg!(target_endian = "big") && d.swap_unit() > 1 {
        for c in bytes.chunks_exact_mut(d.swap_unit()) {
            c.reverse();
        }
    }
    bytes
}

/// A tensor as safetensors wants it; its bytes are produced only when written.
struct Contiguous<'a> {
    tensor: &'a Tensor,
    dtype: Dtype,
}

impl View for Contiguous<'_> {
    fn dtype(&self) -> Dtype {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        self.tensor.shape()
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Owned(to_little_endian(
            self.tensor.to_contiguous_bytes(),
            self.tensor.dtype(),
        ))
    }

    fn data_len(&self) -> usize {
        self.tensor.numel() * self.tensor.dtype().size()
    }
}

/// Writes `sd` as a safetensors file at `path` (which is created or replaced).
///
/// # Errors
/// A message for a dtype safetensors lacks, a value that has no encoding (containers,
/// inert objects), or an I/O failure.
pub fn write(sd: &StateDict, path: &Path) -> Result<(), String> {
    let mut views = Vec::new();
    let mut meta = HashMap::new();
    meta.insert(META_FORMAT.to_owned(), "pt".to_owned());
    for (k, v) in sd.iter() {
        match v.as_tensor() {
            Some(t) => views.push((
                k.to_owned(),
                Contiguous {
                    tensor: t,
                    dtype: to_st_dtype(t.dtype(), k)?,
                },
            )),
            None => {
                let enc = encode_scalar(v).ok_or_else(|| {
                    format!(
                        "entry `{k}` is a {}, which cannot be stored in safetensors metadata (only tensors and scalars can)",
                        v.kind()
                    )
                })?;
                meta.insert(format!("{META_VALUE}{k}"), enc.to_string());
            }
        }
    }
    if let Some(m) = sd.metadata() {
        let mut pairs = Vec::new();
        for (prefix, entries) in m {
            let mut e = serde_json::Map::new();
            for (k, v) in entries {
                let j = plain_json(v).ok_or_else(|| {
                    format!(
                        "_metadata[`{prefix}`][`{k}`] is a {}, which has no JSON form",
                        v.kind()
                    )
                })?;
                e.insert(k.clone(), j);
            }
            pairs.push(json!([prefix, Json::Object(e)]));
        }
        meta.insert(META_VERSIONS.to_owned(), Json::Array(pairs).to_string());
    }
    let keys: Vec<&str> = sd.keys().collect();
    meta.insert(META_KEYS.to_owned(), json!(keys).to_string());
    safetensors::serialize_to_file(views, Some(meta), path)
        .map_err(|e| format!("writing safetensors: {e}"))
}

/// Reads a safetensors file into a state dict (key order and `_metadata` restored from the
/// metadata when present, else tensors in name order).
///
/// # Errors
/// A message for an unreadable or malformed file, or a dtype pt lacks.
pub fn read(path: &Path) -> Result<(StateDict, Option<HashMap<String, String>>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| format!("{} is not a valid safetensors file: {e}", path.display()))?;
    let (_, header) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| format!("{} is not a valid safetensors file: {e}", path.display()))?;
    let meta = header.metadata().clone();
    let mut entries: IndexMap<String, Value> = IndexMap::new();
    let mut names = st.names();
    names.sort_unstable();
    for name in names {
        let view = st
            .tensor(name)
            .map_err(|e| format!("tensor `{name}`: {e}"))?;
        let d = from_st_dtype(view.dtype(), name)?;
        let data = to_little_endian(view.data().to_vec(), d);
        let t = Tensor::from_raw_bytes(&data, d, view.shape())
            .map_err(|e| format!("tensor `{name}`: {e}"))?;
        entries.insert(name.to_owned(), Value::Tensor(t));
    }
    let mut sd = StateDict::new();
    if let Some(m) = &meta {
        for (k, v) in m {
            if let Some(key) = k.strip_prefix(META_VALUE) {
                let j: Json = serde_json::from_str(v)
                    .map_err(|e| format!("metadata `{k}` is not JSON: {e}"))?;
                let value = decode_scalar(&j)
                    .ok_or_else(|| format!("metadata `{k}` is not an encoded value: {v}"))?;
                entries.insert(key.to_owned(), value);
            }
        }
        if let Some(order) = m.get(META_KEYS) {
            let order: Vec<String> = serde_json::from_str(order)
                .map_err(|e| format!("metadata `{META_KEYS}` is not a JSON list: {e}"))?;
            for k in order {
                if let Some(v) = entries.shift_remove(&k) {
                    sd.insert_value(k, v);
                }
            }
        }
        if let Some(v) = m.get(META_VERSIONS) {
            sd.set_metadata(Some(decode_versions(v)?));
        }
    }
    for (k, v) in entries {
        sd.insert_value(k, v);
    }
    Ok((sd, meta))
}

fn decode_versions(text: &str) -> Result<IndexMap<String, ModuleMetadata>, String> {
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
fn plain_json(v: &Value) -> Option<Json> {
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
fn encode_scalar(v: &Value) -> Option<Json> {
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

fn decode_scalar(j: &Json) -> Option<Value> {
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

    #[test]
    fn state_dict_round_trips_with_metadata_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let mut sd = StateDict::new();
        let base = Tensor::from_vec((0..12).map(|i| i as f32).collect(), &[3, 4]).unwrap();
        sd.insert("z.weight", base.t().unwrap());
        sd.insert("a.bias", Tensor::from_slice_1d(&[1i64, -2]));
        sd.insert_value("step", Value::Int(5));
        sd.set_module_version("z", 2);
        sd.set_module_version("", 1);
        write(&sd, &path).unwrap();
        let (back, meta) = read(&path).unwrap();
        assert_eq!(meta.unwrap().get("format").map(String::as_str), Some("pt"));
        assert_eq!(
            back.keys().collect::<Vec<_>>(),
            vec!["z.weight", "a.bias", "step"]
        );
        let w = back.tensor("z.weight").unwrap();
        assert_eq!(w.shape(), &[4, 3]);
        assert_eq!(
            w.to_vec::<f32>().unwrap(),
            base.t().unwrap().to_vec::<f32>().unwrap()
        );
        assert_eq!(back.module_version("z"), Some(2));
        let prefixes: Vec<&String> = back.metadata().unwrap().keys().collect();
        assert_eq!(prefixes, vec!["z", ""]);
        assert_eq!(back.get("step").and_then(Value::as_i64), Some(5));
    }

    #[test]
    fn complex128_is_refused_by_name() {
        let mut sd = StateDict::new();
        sd.insert("c", Tensor::from_slice_1d(&[Complex64::new(1.0, 2.0)]));
        let dir = tempfile::tempdir().unwrap();
        let e = write(&sd, &dir.path().join("c.safetensors")).unwrap_err();
        assert!(e.contains("`c`") && e.contains("complex128"), "{e}");
    }
}
