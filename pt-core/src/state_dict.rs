//! [`StateDict`]: an ordered `name → tensor` map with per-module metadata, as PyTorch's
//! `module.state_dict()` returns it.

use indexmap::IndexMap;

use crate::tensor::Tensor;
use crate::value::{Dict, DictKind, Key, Value};

/// Per-module metadata: `_metadata[prefix] = {"version": 1, …}`.
pub type ModuleMetadata = IndexMap<String, Value>;

/// An ordered map from dotted keys (`l0.weight`, `bn.running_mean`) to values, normally
/// tensors, plus PyTorch's `_metadata` (module prefix without trailing dot → its metadata).
///
/// Entries are [`Value`]s so that a checkpoint holding a non-tensor under a parameter's key
/// can be reported precisely by `load_state_dict` instead of being lost on the way.
#[derive(Clone, Debug, Default)]
pub struct StateDict {
    entries: IndexMap<String, Value>,
    metadata: Option<IndexMap<String, ModuleMetadata>>,
}

/// Why a [`Value`] is not a state dict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateDictError {
    /// The value is not a dict.
    #[error("expected a dict-like state dict, found {found}")]
    NotADict {
        /// The kind of value found.
        found: &'static str,
    },
    /// A key that is not a string.
    #[error("state dict key {key} is not a string")]
    NonStringKey {
        /// The key, as Python would print it.
        key: String,
    },
    /// No state dict at the given path, or under any of the usual keys.
    #[error("no state dict found{0}")]
    NotFound(String),
}

impl StateDict {
    /// An empty state dict without metadata.
    pub fn new() -> StateDict {
        StateDict::default()
    }

    /// Inserts a tensor under `key` (at the end, or in place if the key exists).
    pub fn insert(&mut self, key: impl Into<String>, tensor: Tensor) -> Option<Value> {
        self.entries.insert(key.into(), Value::Tensor(tensor))
    }

    /// Inserts any value under `key`.
    pub fn insert_value(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.entries.insert(key.into(), value)
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    /// The tensor under `key`, if there is one and it is a tensor.
    pub fn tensor(&self, key: &str) -> Option<&Tensor> {
        self.entries.get(key).and_then(Value::as_tensor)
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.entries.shift_remove(key)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Tensor entries in order (non-tensor entries skipped).
    pub fn tensors(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.entries
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_tensor()?)))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `_metadata` map, if the state dict has one.
    pub fn metadata(&self) -> Option<&IndexMap<String, ModuleMetadata>> {
        self.metadata.as_ref()
    }

    /// Mutable `_metadata`, created empty if absent.
    pub fn metadata_mut(&mut self) -> &mut IndexMap<String, ModuleMetadata> {
        self.metadata.get_or_insert_with(IndexMap::new)
    }

    /// Replaces or removes the whole `_metadata`.
    pub fn set_metadata(&mut self, metadata: Option<IndexMap<String, ModuleMetadata>>) {
        self.metadata = metadata;
    }

    /// The `version` recorded for the module at `prefix` (no trailing dot; `""` is the root).
    pub fn module_version(&self, prefix: &str) -> Option<i64> {
        self.metadata
            .as_ref()?
            .get(prefix)?
            .get("version")?
            .as_i64()
    }

    /// Records `version` for the module at `prefix`.
    pub fn set_module_version(&mut self, prefix: impl Into<String>, version: i64) {
        self.metadata_mut()
            .entry(prefix.into())
            .or_default()
            .insert("version".to_owned(), Value::Int(version));
    }

    /// Converts to the object PyTorch's `state_dict()` returns: an `OrderedDict` whose
    /// `_metadata` attribute holds the module versions.
    pub fn to_value(&self) -> Value {
        let mut d = Dict::new(DictKind::Ordered);
        for (k, v) in &self.entries {
            d.items.insert(Key::Str(k.clone()), v.clone());
        }
        if let Some(meta) = &self.metadata {
            let mut m = Dict::new(DictKind::Ordered);
            for (prefix, entries) in meta {
                let mut e = Dict::new(DictKind::Plain);
                for (k, v) in entries {
                    e.items.insert(Key::Str(k.clone()), v.clone());
                }
                m.items.insert(Key::Str(prefix.clone()), Value::Dict(e));
            }
            d.attrs.insert("_metadata".to_owned(), Value::Dict(m));
        }
        Value::Dict(d)
    }

    /// Reads a state dict from a dict value (its `_metadata` attribute included, if any).
    ///
    /// # Errors
    /// [`StateDictError::NotADict`] if `value` is not a dict, or
    /// [`StateDictError::NonStringKey`] for a key that is not a string.
    pub fn from_value(value: &Value) -> Result<StateDict, StateDictError> {
        let d = value.as_dict().ok_or(StateDictError::NotADict {
            found: value.kind(),
        })?;
        let mut sd = StateDict::new();
        for (k, v) in &d.items {
            let Key::Str(k) = k else {
                return Err(StateDictError::NonStringKey { key: k.to_string() });
            };
            sd.entries.insert(k.clone(), v.clone());
        }
        if let Some(Value::Dict(meta)) = d.attrs.get("_metadata") {
            let mut out = IndexMap::new();
            for (prefix, entry) in &meta.items {
                let Value::Dict(entry) = entry else { continue };
                let mut m = ModuleMetadata::new();
                for (k, v) in &entry.items {
                    if let Key::Str(k) = k {
                        m.insert(k.clone(), v.clone());
                    }
                }
                out.insert(prefix.to_string(), m);
            }
            sd.metadata = Some(out);
        }
        Ok(sd)
    }

    /// Finds the state dict inside a checkpoint: the value at `path` if given; otherwise the
    /// root if it is a dict of tensors, else the first of the usual keys (`state_dict`,
    /// `model_state_dict`, `model`, `module`, `net`, `network`) that holds one.
    ///
    /// # Errors
    /// [`StateDictError::NotFound`] if nothing fits; the conversion errors of
    /// [`StateDict::from_value`].
    pub fn find(value: &Value, path: Option<&str>) -> Result<StateDict, StateDictError> {
        if let Some(p) = path {
            let v = value
                .path(p)
                .ok_or_else(|| StateDictError::NotFound(format!(" at `{p}`")))?;
            return StateDict::from_value(v);
        }
        let is_tensor_dict = |v: &Value| {
            v.as_dict()
                .is_some_and(|d| !d.is_empty() && d.items.values().all(|x| x.as_tensor().is_some()))
        };
        if is_tensor_dict(value) {
            return StateDict::from_value(value);
        }
        for key in [
            "state_dict",
            "model_state_dict",
            "model",
            "module",
            "net",
            "network",
        ] {
            if let Some(v) = value.get(key).filter(|v| is_tensor_dict(v)) {
                return StateDict::from_value(v);
            }
        }
        Err(StateDictError::NotFound(
            " at the root or under state_dict/model_state_dict/model/module/net/network".into(),
        ))
    }
}

impl From<StateDict> for Value {
    fn from(sd: StateDict) -> Value {
        sd.to_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_value_with_metadata() {
        let mut sd = StateDict::new();
        sd.insert("l0.weight", Tensor::from_slice_1d(&[1.0f32, 2.0]));
        sd.insert("l0.bias", Tensor::scalar(0.5f32));
        sd.set_module_version("", 1);
        sd.set_module_version("l0", 1);
        let v = sd.to_value();
        let back = StateDict::from_value(&v).unwrap();
        assert_eq!(
            back.keys().collect::<Vec<_>>(),
            vec!["l0.weight", "l0.bias"]
        );
        assert_eq!(back.module_version("l0"), Some(1));
        assert_eq!(back.module_version("bn"), None);
        let mut ck = Dict::new(DictKind::Plain);
        ck.insert("epoch", 3i64);
        ck.insert("model", v);
        let found = StateDict::find(&Value::Dict(ck), None).unwrap();
        assert_eq!(found.len(), 2);
    }
}
