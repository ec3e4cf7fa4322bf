//! Conversion between plain [`Value`]s (no tensors) and serde types, so checkpoint entries
//! such as a training config or `epoch`/`step` counters read straight into Rust structs.
//!
//! The bridge is `serde_json::Value`: every plain Python value has a faithful JSON form
//! except non-finite floats and ints beyond 64 bits, which are refused rather than bent.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value as Json};

use crate::value::{Dict, DictKind, Key, Value};

/// Why a value could not cross to or from serde.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerdeError {
    /// A value with no plain-data form (tensor, dtype, device, object, …) at `path`.
    #[error("`{path}` holds a {kind}, which is not plain data")]
    NotPlain {
        /// Dotted path of the value (`""` for the root).
        path: String,
        /// The kind of value found.
        kind: &'static str,
    },
    /// A float NaN or infinity, which JSON-like data cannot hold.
    #[error("`{path}` holds the non-finite float {value}")]
    NonFinite {
        /// Dotted path of the value.
        path: String,
        /// The float, printed.
        value: String,
    },
    /// An int beyond the 64-bit range.
    #[error("`{path}` holds an int beyond 64 bits")]
    BigInt {
        /// Dotted path of the value.
        path: String,
    },
    /// The serde type rejected the data (missing field, wrong type, …).
    #[error("{0}")]
    Serde(String),
}

impl Value {
    /// Reads a plain value into any deserializable type: dicts become structs or maps,
    /// lists/tuples/sets become sequences, bytes become sequences of `u8`.
    ///
    /// # Errors
    /// [`SerdeError::NotPlain`] for tensors and other non-plain values (naming where),
    /// [`SerdeError::NonFinite`], [`SerdeError::BigInt`], or [`SerdeError::Serde`] when
    /// the data does not fit `T`.
    pub fn to_serde<T: DeserializeOwned>(&self) -> Result<T, SerdeError> {
        let json = self.to_json()?;
        serde_json::from_value(json).map_err(|e| SerdeError::Serde(e.to_string()))
    }

    /// Builds a plain value from any serializable type: structs and maps become dicts
    /// (string keys, in field order), sequences become lists, unit and `None` become `None`.
    ///
    /// # Errors
    /// [`SerdeError::Serde`] when `T` cannot be serialized (e.g. a map with non-string keys),
    /// [`SerdeError::NonFinite`] for NaN or infinite floats.
    pub fn from_serde<T: Serialize + ?Sized>(value: &T) -> Result<Value, SerdeError> {
        let json = serde_json::to_value(value).map_err(|e| SerdeError::Serde(e.to_string()))?;
        Ok(Value::from_json(json))
    }

    /// The JSON form of a plain value (dict keys as Python's `str()` of the key).
    ///
    /// # Errors
    /// As [`Value::to_serde`], without the final type check.
    pub fn to_json(&self) -> Result<Json, SerdeError> {
        to_json_at(self, &mut String::new())
    }

    /// The plain value of a JSON document: objects become plain dicts, arrays lists,
    /// integers `Int` (or `Float` beyond i64), `null` `None`.
    pub fn from_json(json: Json) -> Value {
        match json {
            Json::Null => Value::None,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::Str(s),
            Json::Array(items) => Value::List(items.into_iter().map(Value::from_json).collect()),
            Json::Object(map) => {
                let mut d = Dict::new(DictKind::Plain);
                for (k, v) in map {
                    d.items.insert(Key::Str(k), Value::from_json(v));
                }
                Value::Dict(d)
            }
        }
    }
}

fn to_json_at(value: &Value, path: &mut String) -> Result<Json, SerdeError> {
    let here = |path: &String| path.clone();
    Ok(match value {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::BigInt(_) => return Err(SerdeError::BigInt { path: here(path) }),
        Value::Float(f) => {
            Json::Number(Number::from_f64(*f).ok_or_else(|| SerdeError::NonFinite {
                path: here(path),
                value: f.to_string(),
            })?)
        }
        Value::Str(s) => Json::String(s.clone()),
        Value::Bytes(b) | Value::ByteArray(b) => {
            Json::Array(b.iter().map(|&x| Json::Number(x.into())).collect())
        }
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(with_segment(path, &i.to_string(), |p| to_json_at(item, p))?);
            }
            Json::Array(out)
        }
        Value::Dict(d) => {
            let mut out = Map::new();
            for (k, v) in &d.items {
                let key = k.to_string();
                let json = with_segment(path, &key, |p| to_json_at(v, p))?;
                out.insert(key, json);
            }
            Json::Object(out)
        }
        other => {
            return Err(SerdeError::NotPlain {
                path: here(path),
                kind: other.kind(),
            });
        }
    })
}

/// Runs `f` with `segment` appended to the dotted path, then restores the path.
fn with_segment<T>(path: &mut String, segment: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(segment);
    let out = f(path);
    path.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Config {
        lr: f64,
        epochs: u32,
        name: String,
        layers: Vec<usize>,
        dropout: Option<f64>,
    }

    #[test]
    fn structs_round_trip() {
        let cfg = Config {
            lr: 1e-3,
            epochs: 5,
            name: "run-1".into(),
            layers: vec![4, 2, 1],
            dropout: None,
        };
        let v = Value::from_serde(&cfg).unwrap();
        assert_eq!(v.get("epochs").and_then(Value::as_i64), Some(5));
        assert!(matches!(v.get("dropout"), Some(Value::None)));
        assert_eq!(v.to_serde::<Config>().unwrap(), cfg);
    }

    #[test]
    fn int_keys_tuples_and_bytes_read_into_rust_types() {
        let mut d = Dict::new(DictKind::Ordered);
        d.insert(
            Key::Int(0),
            Value::Tuple(vec![Value::Int(1), Value::Float(2.5)]),
        );
        d.insert(
            Key::Int(1),
            Value::Tuple(vec![Value::Int(3), Value::Float(0.5)]),
        );
        let m: std::collections::BTreeMap<u32, (i64, f64)> = Value::Dict(d).to_serde().unwrap();
        assert_eq!(m[&1], (3, 0.5));
        let b: Vec<u8> = Value::Bytes(vec![0, 255]).to_serde().unwrap();
        assert_eq!(b, [0, 255]);
    }

    #[test]
    fn non_plain_values_are_named() {
        let mut model = Dict::new(DictKind::Ordered);
        model.insert("l0.weight", Tensor::from_slice_1d(&[1.0f32]));
        let mut ck = Dict::new(DictKind::Plain);
        ck.insert("epoch", 3i64);
        ck.insert("model", model);
        ck.insert(
            "hist",
            Value::List(vec![Value::Float(1.0), Value::Float(f64::NAN)]),
        );
        let ck = Value::Dict(ck);
        let err = ck.to_json().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`model.l0.weight` holds a tensor, which is not plain data"
        );
        let err = ck.get("hist").unwrap().to_json().unwrap_err();
        assert!(matches!(err, SerdeError::NonFinite { ref path, .. } if path == "1"));
        assert_eq!(ck.get("epoch").unwrap().to_serde::<u64>().unwrap(), 3);
        let wrong = ck.get("epoch").unwrap().to_serde::<String>().unwrap_err();
        assert!(matches!(wrong, SerdeError::Serde(_)));
    }
}
