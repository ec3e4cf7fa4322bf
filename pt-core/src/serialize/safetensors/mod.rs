//! `.safetensors` files (through the `safetensors` crate) and sharded models with an index.
//!
//! safetensors holds only named, contiguous, little-endian tensors plus a string → string
//! metadata map. What a state dict has beyond that (key order, `_metadata` versions,
//! non-tensor entries) is kept in the metadata by the convention of [`metadata`]: files
//! written here read back as the same state dict, and files written elsewhere read as their
//! tensors in name order. Views and shared storages are written as separate contiguous
//! copies; tensor flags (`requires_grad`, parameter) are not kept.
//!
//! Reading maps the file (private, copy-on-write) and makes each tensor a zero-copy view of
//! its bytes when they are aligned for its dtype (copying the others).

mod index;
mod metadata;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use ::safetensors::{Dtype, SafeTensors, View};
use serde_json::json;

use super::error::{LoadError, Location, SaveError};
use super::loaded::{Format, Loaded, StorageInfo};
use super::options::ByteOrder;
use crate::dtype::DType;
use crate::state_dict::StateDict;
use crate::storage::Storage;
use crate::tensor::Tensor;
use crate::value::Value;

pub use index::ShardedIndex;
use metadata::{
    META_FORMAT, META_KEYS, META_VALUE, META_VERSIONS, decode_scalar, decode_versions,
    encode_scalar, plain_json,
};

/// The safetensors dtype of a pt dtype (`None`: safetensors cannot hold it, e.g. complex128).
fn to_st_dtype(d: DType) -> Option<Dtype> {
    Some(match d {
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
        _ => return None,
    })
}

/// The pt dtype of a safetensors dtype (`None` for F4, F6, F8_E8M0, the FNUZ kinds, …).
fn from_st_dtype(d: Dtype) -> Option<DType> {
    Some(match d {
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
        _ => return None,
    })
}

/// Host-order element bytes ↔ little-endian (a no-op on little-endian machines).
fn to_little_endian(mut bytes: Vec<u8>, d: DType) -> Vec<u8> {
    if ByteOrder::native() == ByteOrder::Big {
        super::storages::swap_bytes(&mut bytes, d);
    }
    bytes
}

/// True when `path` names a `.safetensors` file (by extension).
pub fn is_safetensors_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
}

/// True when `head` (a file's first bytes) looks like safetensors: an 8-byte little-endian
/// header length followed by the header's `{`. A `.pt` file starts with `PK` or a pickle
/// `PROTO` opcode, never like that.
pub(crate) fn sniff(head: &[u8]) -> bool {
    head.len() >= 9 && head[8] == b'{' && head.get(..2) != Some(b"PK")
}

/// Loads a `.safetensors` file as a [`Loaded`] whose value is its state dict (format
/// [`Format::Safetensors`], one storage per tensor, keyed by tensor name).
///
/// # Errors
/// [`LoadError::Io`] when the file cannot be read, [`LoadError::Format`] for a malformed
/// header or metadata, [`LoadError::Unsupported`] for a dtype pt lacks (naming the tensor).
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<Loaded, LoadError> {
    let path = path.as_ref();
    let file =
        File::open(path).map_err(|e| LoadError::io(format!("opening {}", path.display()), e))?;
    // SAFETY: a private (copy-on-write) map: writes through it never reach the file. As with
    // every memory map, the file must not be truncated or modified by another process while
    // mapped (safetensors' own `safe_open` has the same requirement).
    let map = unsafe { memmap2::MmapOptions::new().map_copy(&file) }
        .map_err(|e| LoadError::io(format!("memory-mapping {}", path.display()), e))?;
    let record = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let malformed = |e: ::safetensors::SafeTensorError| {
        LoadError::format(
            format!("not a valid safetensors file: {e}"),
            Location::record(record.clone()),
        )
    };
    let (tensors, header_meta) = {
        let st = SafeTensors::deserialize(&map).map_err(malformed)?;
        let (_, header) = SafeTensors::read_metadata(&map).map_err(malformed)?;
        let base = map.as_ptr() as usize;
        let mut tensors = Vec::new();
        for (name, view) in st.iter() {
            let dtype = from_st_dtype(view.dtype()).ok_or_else(|| {
                LoadError::unsupported(
                    format!("safetensors dtype {:?}", view.dtype()),
                    Location::record(record.clone()).for_tensor(name),
                )
            })?;
            let offset = view.data().as_ptr() as usize - base;
            tensors.push((
                name.to_owned(),
                dtype,
                view.shape().to_vec(),
                offset,
                view.data().len(),
            ));
        }
        (tensors, header.metadata().clone())
    };
    // Tensors in file order (what the reader meets); the metadata's `pt.keys` reorders below.
    let mut tensors = tensors;
    tensors.sort_by_key(|t| t.3);
    let mappable = |dtype: DType, offset: usize| {
        ByteOrder::native() == ByteOrder::Little && offset.is_multiple_of(dtype.swap_unit().max(1))
    };
    let regions: Vec<(usize, usize)> = tensors
        .iter()
        .filter(|t| mappable(t.1, t.3))
        .map(|t| (t.3, t.4))
        .collect();
    let copies: Vec<Option<Storage>> = tensors
        .iter()
        .map(|t| {
            if mappable(t.1, t.3) {
                None
            } else {
                let bytes = map.get(t.3..t.3 + t.4).unwrap_or_default().to_vec();
                Some(Storage::from_bytes(&to_little_endian(bytes, t.1)))
            }
        })
        .collect();
    let mut mapped = Storage::from_mapped_regions(map, &regions)
        .map_err(|i| {
            LoadError::format(
                "tensor data overlaps another tensor",
                Location::record(record.clone()).for_tensor(
                    tensors
                        .iter()
                        .filter(|t| mappable(t.1, t.3))
                        .nth(i)
                        .map(|t| t.0.clone())
                        .unwrap_or_default(),
                ),
            )
        })?
        .into_iter();
    let mut storages = Vec::with_capacity(tensors.len());
    let mut by_name: HashMap<String, Value> = HashMap::with_capacity(tensors.len());
    for ((name, dtype, shape, _, nbytes), copy) in tensors.into_iter().zip(copies) {
        let storage = match copy {
            Some(s) => s,
            None => mapped.next().ok_or_else(|| {
                LoadError::format("tensor table changed", Location::record(record.clone()))
            })?,
        };
        let t = Tensor::contiguous_in(storage.clone(), dtype, &shape).map_err(|e| {
            LoadError::format(
                e.to_string(),
                Location::record(record.clone()).for_tensor(&name),
            )
        })?;
        storages.push(StorageInfo {
            key: name.clone(),
            dtype,
            location: "cpu".to_owned(),
            restored_location: "cpu".to_owned(),
            nbytes,
            storage,
        });
        by_name.insert(name, Value::Tensor(t));
    }
    let sd = assemble(by_name, header_meta.as_ref(), &record)?;
    // Storages in the state dict's order.
    let order: HashMap<&str, usize> = sd.keys().enumerate().map(|(i, k)| (k, i)).collect();
    storages.sort_by_key(|s| order.get(s.key.as_str()).copied().unwrap_or(usize::MAX));
    Ok(Loaded {
        value: sd.to_value(),
        format: Format::Safetensors,
        version: None,
        byteorder: Some(ByteOrder::Little),
        storages,
    })
}

/// The state dict of one file: tensors and decoded values in the metadata's key order (then
/// the rest by name), with `_metadata` versions.
fn assemble(
    mut entries: HashMap<String, Value>,
    meta: Option<&HashMap<String, String>>,
    record: &str,
) -> Result<StateDict, LoadError> {
    let bad = |message: String| LoadError::format(message, Location::record(record.to_owned()));
    let mut sd = StateDict::new();
    if let Some(m) = meta {
        let mut scalar_keys: Vec<&String> =
            m.keys().filter(|k| k.starts_with(META_VALUE)).collect();
        scalar_keys.sort();
        for k in scalar_keys {
            let key = &k[META_VALUE.len()..];
            let text = &m[k];
            let j: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| bad(format!("metadata `{k}` is not JSON: {e}")))?;
            let value = decode_scalar(&j)
                .ok_or_else(|| bad(format!("metadata `{k}` is not an encoded value: {text}")))?;
            entries.insert(key.to_owned(), value);
        }
        if let Some(order) = m.get(META_KEYS) {
            let order: Vec<String> = serde_json::from_str(order)
                .map_err(|e| bad(format!("metadata `{META_KEYS}` is not a JSON list: {e}")))?;
            for k in order {
                if let Some(v) = entries.remove(&k) {
                    sd.insert_value(k, v);
                }
            }
        }
        if let Some(v) = m.get(META_VERSIONS) {
            sd.set_metadata(Some(decode_versions(v).map_err(bad)?));
        }
    }
    let mut rest: Vec<(String, Value)> = entries.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in rest {
        sd.insert_value(k, v);
    }
    Ok(sd)
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

/// The tensors of one file and its metadata.
type Prepared<'a> = (Vec<(&'a str, Contiguous<'a>)>, HashMap<String, String>);

/// The views and metadata of the entries `keys` of `sd` (plus `_metadata` when `versions`).
fn prepare<'a>(
    sd: &'a StateDict,
    keys: &[&'a str],
    versions: bool,
) -> Result<Prepared<'a>, SaveError> {
    let unsupported = |what: String, path: &str| SaveError::Unsupported {
        what,
        path: path.to_owned(),
    };
    let mut views = Vec::new();
    let mut meta = HashMap::new();
    meta.insert(META_FORMAT.to_owned(), "pt".to_owned());
    for &k in keys {
        let Some(v) = sd.get(k) else { continue };
        match v.as_tensor() {
            Some(t) => {
                let dtype = to_st_dtype(t.dtype()).ok_or_else(|| {
                    unsupported(
                        format!(
                            "a {} tensor in safetensors (it has no such dtype; convert it first or leave it out)",
                            t.dtype().name()
                        ),
                        k,
                    )
                })?;
                views.push((k, Contiguous { tensor: t, dtype }));
            }
            None => {
                let enc = encode_scalar(v).ok_or_else(|| {
                    unsupported(
                        format!(
                            "a {} in safetensors metadata (only tensors and scalars can go there)",
                            v.kind()
                        ),
                        k,
                    )
                })?;
                meta.insert(format!("{META_VALUE}{k}"), enc.to_string());
            }
        }
    }
    if versions && let Some(m) = sd.metadata() {
        let mut pairs = Vec::new();
        for (prefix, entries) in m {
            let mut e = serde_json::Map::new();
            for (k, v) in entries {
                let j = plain_json(v).ok_or_else(|| {
                    unsupported(
                        format!("a {} in _metadata (it has no JSON form)", v.kind()),
                        &format!("_metadata.{prefix}.{k}"),
                    )
                })?;
                e.insert(k.clone(), j);
            }
            pairs.push(json!([prefix, serde_json::Value::Object(e)]));
        }
        meta.insert(
            META_VERSIONS.to_owned(),
            serde_json::Value::Array(pairs).to_string(),
        );
    }
    meta.insert(META_KEYS.to_owned(), json!(keys).to_string());
    Ok((views, meta))
}

/// Writes `path` through a temporary file in its directory, renamed over it once complete.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), SaveError>,
) -> Result<(), SaveError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = tempfile_path(&dir, path);
    let result = write(&temp).and_then(|()| {
        fs::rename(&temp, path)
            .map_err(|e| SaveError::io(format!("renaming to {}", path.display()), e))
    });
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn tempfile_path(dir: &Path, path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn serialize_file(
    views: Vec<(&str, Contiguous<'_>)>,
    meta: HashMap<String, String>,
    path: &Path,
) -> Result<(), SaveError> {
    ::safetensors::serialize_to_file(views, Some(meta), path).map_err(|e| match e {
        ::safetensors::SafeTensorError::IoError(io) => {
            SaveError::io(format!("writing {}", path.display()), io)
        }
        other => SaveError::Unsupported {
            what: format!("this state dict in safetensors: {other}"),
            path: String::new(),
        },
    })
}

/// Writes `sd` as a `.safetensors` file at `path` (created or replaced whole), keeping key
/// order, `_metadata` and scalar entries in the metadata.
///
/// # Errors
/// [`SaveError::Unsupported`] naming an entry safetensors cannot hold (a complex128 tensor,
/// a container or object); [`SaveError::Io`] when writing fails (`path` is left as it was).
pub fn save_safetensors(sd: &StateDict, path: impl AsRef<Path>) -> Result<(), SaveError> {
    let path = path.as_ref();
    let keys: Vec<&str> = sd.keys().collect();
    let (views, meta) = prepare(sd, &keys, true)?;
    write_atomically(path, |tmp| serialize_file(views, meta, tmp))
}

/// Writes `sd` as sharded safetensors in directory `dir`, as Hugging Face names them:
/// `model-00001-of-00003.safetensors`, … and `model.safetensors.index.json` mapping each
/// tensor to its file. Entries go into shards in state-dict order; a shard is closed before
/// a tensor that would take it over `max_shard_bytes` (a tensor larger than that gets a
/// shard of its own). One shard is written as plain `model.safetensors` with no index.
///
/// # Errors
/// As [`save_safetensors`]; [`SaveError::Io`] if `dir` cannot be created.
pub fn save_safetensors_sharded(
    sd: &StateDict,
    dir: impl AsRef<Path>,
    max_shard_bytes: u64,
) -> Result<Vec<PathBuf>, SaveError> {
    let dir = dir.as_ref();
    fs::create_dir_all(dir).map_err(|e| SaveError::io(format!("creating {}", dir.display()), e))?;
    let mut groups: Vec<Vec<&str>> = vec![Vec::new()];
    let mut size = 0u64;
    for (k, v) in sd.iter() {
        let n = v
            .as_tensor()
            .map_or(0, |t| (t.numel() * t.dtype().size()) as u64);
        let current = groups.last().map_or(0, Vec::len);
        if current > 0 && n > 0 && size.saturating_add(n) > max_shard_bytes {
            groups.push(Vec::new());
            size = 0;
        }
        size = size.saturating_add(n);
        if let Some(g) = groups.last_mut() {
            g.push(k);
        }
    }
    if groups.len() == 1 {
        let path = dir.join("model.safetensors");
        save_safetensors(sd, &path)?;
        return Ok(vec![path]);
    }
    let total = groups.len();
    let mut written = Vec::new();
    let mut weight_map = serde_json::Map::new();
    let mut total_size = 0u64;
    for (i, keys) in groups.iter().enumerate() {
        let name = format!("model-{:05}-of-{total:05}.safetensors", i + 1);
        let (views, meta) = prepare(sd, keys, i == 0)?;
        for (k, view) in &views {
            total_size += view.data_len() as u64;
            weight_map.insert((*k).to_owned(), json!(name));
        }
        let path = dir.join(&name);
        write_atomically(&path, |tmp| serialize_file(views, meta, tmp))?;
        written.push(path);
    }
    let index = json!({
        "metadata": {"total_size": total_size, "format": "pt"},
        "weight_map": weight_map,
    });
    let text = serde_json::to_string_pretty(&index).map_err(|e| SaveError::Unsupported {
        what: format!("the index: {e}"),
        path: String::new(),
    })?;
    let index_path = dir.join("model.safetensors.index.json");
    write_atomically(&index_path, |tmp| {
        fs::write(tmp, text.as_bytes())
            .map_err(|e| SaveError::io(format!("writing {}", tmp.display()), e))
    })?;
    written.push(index_path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;

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
        save_safetensors(&sd, &path).unwrap();
        let loaded = load_safetensors(&path).unwrap();
        assert_eq!(loaded.format, Format::Safetensors);
        let back = StateDict::from_value(&loaded.value).unwrap();
        assert_eq!(
            back.keys().collect::<Vec<_>>(),
            vec!["z.weight", "a.bias", "step"]
        );
        let w = back.tensor("z.weight").unwrap();
        assert_eq!(w.shape(), &[4, 3]);
        assert!(w.storage().is_mapped());
        assert_eq!(
            w.to_vec::<f32>().unwrap(),
            base.t().unwrap().to_vec::<f32>().unwrap()
        );
        assert_eq!(back.module_version("z"), Some(2));
        let prefixes: Vec<&String> = back.metadata().unwrap().keys().collect();
        assert_eq!(prefixes, vec!["z", ""]);
        assert_eq!(back.get("step").and_then(Value::as_i64), Some(5));
        assert_eq!(loaded.storages[0].key, "z.weight");
    }

    #[test]
    fn complex128_is_refused_by_name() {
        let mut sd = StateDict::new();
        sd.insert("c", Tensor::from_slice_1d(&[Complex64::new(1.0, 2.0)]));
        let dir = tempfile::tempdir().unwrap();
        let e = save_safetensors(&sd, dir.path().join("c.safetensors")).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("`c`") && text.contains("complex128"),
            "{text}"
        );
        assert!(!dir.path().join("c.safetensors").exists());
    }

    #[test]
    fn shards_split_in_order_and_name_like_hugging_face() {
        let dir = tempfile::tempdir().unwrap();
        let mut sd = StateDict::new();
        for i in 0..5 {
            sd.insert(
                format!("l{i}.weight"),
                Tensor::from_vec(vec![i as f32; 4], &[4]).unwrap(),
            );
        }
        sd.insert_value("step", Value::Int(3));
        let files = save_safetensors_sharded(&sd, dir.path(), 32).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "model-00001-of-00003.safetensors",
                "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors",
                "model.safetensors.index.json"
            ]
        );
        let index = ShardedIndex::open(dir.path().join("model.safetensors.index.json")).unwrap();
        assert_eq!(index.shards().len(), 3);
        assert_eq!(index.shard_of("l4.weight"), Some(2));
    }
}
