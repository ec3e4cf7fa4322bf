//! [`ShardedIndex`]: the `*.index.json` of a sharded model (`model.safetensors.index.json`,
//! `pytorch_model.bin.index.json`): which shard file holds each tensor.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value as Json;

use crate::serialize::error::{LoadError, Location};

/// Largest index file read (the largest published indexes are a few MiB).
const MAX_INDEX_BYTES: u64 = 256 << 20;

/// A parsed, validated sharded-checkpoint index.
#[derive(Clone, Debug)]
pub struct ShardedIndex {
    path: PathBuf,
    metadata: serde_json::Map<String, Json>,
    /// Key → index into `shards`, in the index's key order.
    keys: Vec<(String, usize)>,
    by_key: HashMap<String, usize>,
    /// Shard file names, in order of first mention.
    shards: Vec<String>,
}

impl ShardedIndex {
    /// Reads and validates an index file: a JSON object whose `weight_map` maps each key to
    /// a shard file name in the index's directory.
    ///
    /// # Errors
    /// [`LoadError::Io`] if it cannot be read; [`LoadError::Format`] (at the index's name) if
    /// it is not such an object, or a shard name is not a plain file name (`..`, absolute).
    pub fn open(path: impl AsRef<Path>) -> Result<ShardedIndex, LoadError> {
        let path = path.as_ref();
        let len = std::fs::metadata(path)
            .map_err(|e| LoadError::io(format!("reading {}", path.display()), e))?
            .len();
        let record = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if len > MAX_INDEX_BYTES {
            return Err(LoadError::format(
                format!("index of {len} bytes is over the {MAX_INDEX_BYTES}-byte maximum"),
                Location::record(record),
            ));
        }
        let text = std::fs::read(path)
            .map_err(|e| LoadError::io(format!("reading {}", path.display()), e))?;
        ShardedIndex::parse(&text, path)
    }

    /// Parses index JSON as if read from `path` (shards are resolved next to it).
    ///
    /// # Errors
    /// As [`ShardedIndex::open`], without the I/O.
    pub fn parse(text: &[u8], path: &Path) -> Result<ShardedIndex, LoadError> {
        let record = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bad = |m: String| LoadError::format(m, Location::record(record.clone()));
        let json: Json =
            serde_json::from_slice(text).map_err(|e| bad(format!("not a JSON index: {e}")))?;
        let weight_map = json
            .get("weight_map")
            .and_then(Json::as_object)
            .ok_or_else(|| bad("no `weight_map` object".to_owned()))?;
        let metadata = json
            .get("metadata")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let mut shards: Vec<String> = Vec::new();
        let mut shard_ids: HashMap<String, usize> = HashMap::new();
        let mut keys = Vec::with_capacity(weight_map.len());
        for (key, file) in weight_map {
            let file = file
                .as_str()
                .ok_or_else(|| bad(format!("`weight_map[{key:?}]` is not a file name")))?;
            let plain = {
                let mut parts = Path::new(file).components();
                matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none()
            };
            if !plain {
                return Err(bad(format!(
                    "shard `{file}` of `{key}` is not a plain file name in the index's directory"
                )));
            }
            let id = *shard_ids.entry(file.to_owned()).or_insert_with(|| {
                shards.push(file.to_owned());
                shards.len() - 1
            });
            keys.push((key.clone(), id));
        }
        let by_key = keys.iter().map(|(k, i)| (k.clone(), *i)).collect();
        Ok(ShardedIndex {
            path: path.to_path_buf(),
            metadata,
            keys,
            by_key,
            shards,
        })
    }

    /// The index file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The index's `metadata` object (`total_size`, …).
    pub fn metadata(&self) -> &serde_json::Map<String, Json> {
        &self.metadata
    }

    /// The shard file names, in order of first mention.
    pub fn shards(&self) -> &[String] {
        &self.shards
    }

    /// The path of shard `i` (next to the index).
    pub fn shard_path(&self, i: usize) -> Option<PathBuf> {
        let name = self.shards.get(i)?;
        Some(match self.path.parent() {
            Some(d) => d.join(name),
            None => PathBuf::from(name),
        })
    }

    /// Which shard holds `key`.
    pub fn shard_of(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// Every key with its shard, in the index's order.
    pub fn keys(&self) -> impl Iterator<Item = (&str, usize)> {
        self.keys.iter().map(|(k, i)| (k.as_str(), *i))
    }

    /// True when `path` looks like an index file by name (`*.index.json`).
    pub fn is_index_path(path: &Path) -> bool {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".index.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_outside_the_directory() {
        for file in ["../x.safetensors", "/etc/passwd", "a/b.bin", ""] {
            let text = format!(r#"{{"weight_map": {{"w": "{file}"}}}}"#);
            let e = ShardedIndex::parse(text.as_bytes(), Path::new("m.index.json")).unwrap_err();
            assert!(e.to_string().contains("m.index.json"), "{e}");
        }
        let ok = ShardedIndex::parse(
            br#"{"metadata": {"total_size": 8}, "weight_map": {"a": "s1.bin", "b": "s2.bin", "c": "s1.bin"}}"#,
            Path::new("d/m.index.json"),
        )
        .unwrap();
        assert_eq!(ok.shards(), ["s1.bin", "s2.bin"]);
        assert_eq!(ok.shard_of("c"), Some(0));
        assert_eq!(ok.shard_path(1).unwrap(), Path::new("d/s2.bin"));
        assert!(ShardedIndex::parse(b"[]", Path::new("m.index.json")).is_err());
    }
}
