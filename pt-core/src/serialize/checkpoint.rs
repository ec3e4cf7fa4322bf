//! [`Checkpoint`]: one way to open any checkpoint path, whatever its format.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::describe::{Entry, describe, describe_value};
use super::error::{LoadError, Location};
use super::loaded::{Format, Loaded};
use super::options::LoadOptions;
use super::safetensors::{ShardedIndex, is_safetensors_path, load_safetensors, sniff};
use crate::state_dict::StateDict;
use crate::value::Value;

/// File names a model directory is searched for, in order.
const DIRECTORY_NAMES: [&str; 6] = [
    "model.safetensors.index.json",
    "model.safetensors",
    "pytorch_model.bin.index.json",
    "pytorch_model.bin",
    "model.pt",
    "model.pth",
];

/// An opened checkpoint: a `torch.save` file (zip or legacy), a TorchScript archive, a
/// `.safetensors` file, a sharded model's `*.index.json`, or a directory holding one of
/// those. The format is found from the content (and, for indexes, the name).
///
/// Single files are read when opened (`.safetensors` memory-mapped, `.pt` as
/// [`LoadOptions`] say). A sharded checkpoint reads only its index when opened; each shard is
/// read once, when first needed.
///
/// ```no_run
/// use pt_core::serialize::Checkpoint;
///
/// let ckpt = Checkpoint::open("model.safetensors.index.json")?;
/// let weight = ckpt.get("encoder.layer.0.weight")?; // reads one shard
/// let all = ckpt.state_dict()?; // reads the rest
/// # Ok::<(), pt_core::serialize::LoadError>(())
/// ```
pub struct Checkpoint {
    path: PathBuf,
    opts: LoadOptions,
    body: Body,
}

enum Body {
    Single(Loaded),
    Sharded {
        index: ShardedIndex,
        shards: Vec<OnceLock<Loaded>>,
    },
}

impl fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkpoint")
            .field("path", &self.path)
            .field("format", &self.format())
            .finish_non_exhaustive()
    }
}

impl Checkpoint {
    /// Opens `path` with the default options (restricted unpickler, device tags loaded into
    /// host memory): what `torch.load(path, weights_only=True, map_location="cpu")` reads.
    ///
    /// # Errors
    /// [`LoadError::Io`] when the path cannot be read; every other [`LoadError`] kind for bad
    /// or unsupported content; for a directory, a [`LoadError::Format`] listing what was
    /// looked for.
    pub fn open(path: impl AsRef<Path>) -> Result<Checkpoint, LoadError> {
        Checkpoint::open_with(path, &LoadOptions::default())
    }

    /// Opens `path` with options (they apply to `torch.save` files and `.bin` shards).
    ///
    /// # Errors
    /// As [`Checkpoint::open`].
    pub fn open_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Checkpoint, LoadError> {
        let path = resolve(path.as_ref())?;
        let body = if is_index(&path)? {
            let index = ShardedIndex::open(&path)?;
            for i in 0..index.shards().len() {
                let shard = index.shard_path(i).unwrap_or_default();
                if !shard.is_file() {
                    let key = index
                        .keys()
                        .find(|(_, s)| *s == i)
                        .map(|(k, _)| k)
                        .unwrap_or_default();
                    return Err(LoadError::io(
                        format!(
                            "opening shard {} (holding `{key}`) listed in {}",
                            shard.display(),
                            path.display()
                        ),
                        std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
                    ));
                }
            }
            let shards = (0..index.shards().len()).map(|_| OnceLock::new()).collect();
            Body::Sharded { index, shards }
        } else {
            Body::Single(load_single(&path, opts)?)
        };
        Ok(Checkpoint {
            path,
            opts: opts.clone(),
            body,
        })
    }

    /// The file opened (for a directory, the file found in it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The container format.
    pub fn format(&self) -> Format {
        match &self.body {
            Body::Single(l) => l.format,
            Body::Sharded { .. } => Format::Sharded,
        }
    }

    /// The index of a sharded checkpoint.
    pub fn index(&self) -> Option<&ShardedIndex> {
        match &self.body {
            Body::Single(_) => None,
            Body::Sharded { index, .. } => Some(index),
        }
    }

    /// The paths of a sharded checkpoint's shards (empty for a single file).
    pub fn shards(&self) -> Vec<PathBuf> {
        self.index().map_or_else(Vec::new, |i| {
            (0..i.shards().len())
                .filter_map(|s| i.shard_path(s))
                .collect()
        })
    }

    /// The loaded file with its container facts and storage table (single files only).
    pub fn loaded(&self) -> Option<&Loaded> {
        match &self.body {
            Body::Single(l) => Some(l),
            Body::Sharded { .. } => None,
        }
    }

    /// Consumes a single-file checkpoint into its [`Loaded`] (`None` for a sharded one).
    pub fn into_loaded(self) -> Option<Loaded> {
        match self.body {
            Body::Single(l) => Some(l),
            Body::Sharded { .. } => None,
        }
    }

    /// Shard `i`, read on first use.
    fn shard(&self, i: usize) -> Result<&Loaded, LoadError> {
        let Body::Sharded { index, shards } = &self.body else {
            return Err(LoadError::format("not sharded", Location::none()));
        };
        let cell = shards
            .get(i)
            .ok_or_else(|| LoadError::format(format!("no shard {i}"), Location::none()))?;
        if let Some(l) = cell.get() {
            return Ok(l);
        }
        let path = index.shard_path(i).unwrap_or_default();
        let loaded = load_single(&path, &self.opts)?;
        Ok(cell.get_or_init(|| loaded))
    }

    /// The shards' state dicts merged in shard order (every shard read).
    fn merged(&self) -> Result<StateDict, LoadError> {
        let Body::Sharded { index, .. } = &self.body else {
            return Err(LoadError::format("not sharded", Location::none()));
        };
        let mut out = StateDict::new();
        let mut metadata = indexmap::IndexMap::new();
        for i in 0..index.shards().len() {
            let sd = shard_state_dict(self.shard(i)?, index, i)?;
            if let Some(m) = sd.metadata() {
                metadata.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            for (k, v) in sd.iter() {
                out.insert_value(k, v.clone());
            }
        }
        for (key, shard) in index.keys() {
            if !out.contains_key(key) {
                return Err(missing_in_shard(index, key, shard));
            }
        }
        if !metadata.is_empty() {
            out.set_metadata(Some(metadata));
        }
        Ok(out)
    }

    /// The whole object the checkpoint holds (for a sharded one, every shard's entries as
    /// one state dict).
    ///
    /// # Errors
    /// For a sharded checkpoint, what reading a shard gives, or a [`LoadError::Format`]
    /// naming a key the index maps to a shard that lacks it.
    pub fn value(&self) -> Result<Value, LoadError> {
        match &self.body {
            Body::Single(l) => Ok(l.value.clone()),
            Body::Sharded { .. } => Ok(self.merged()?.to_value()),
        }
    }

    /// [`Checkpoint::value`], without a copy of a single file's value.
    ///
    /// # Errors
    /// As [`Checkpoint::value`].
    pub fn into_value(self) -> Result<Value, LoadError> {
        match self.body {
            Body::Single(l) => Ok(l.value),
            Body::Sharded { .. } => Ok(self.merged()?.to_value()),
        }
    }

    /// The state dict: the root if it is a dict of tensors, else the first of the usual
    /// keys (`state_dict`, `model_state_dict`, `model`, `module`, …) holding one.
    /// TorchScript archives give their module's state dict.
    ///
    /// # Errors
    /// As [`Checkpoint::value`], plus [`LoadError::StateDict`] if no state dict is found.
    pub fn state_dict(&self) -> Result<StateDict, LoadError> {
        match &self.body {
            Body::Single(l) => Ok(found_state_dict(l)?),
            Body::Sharded { .. } => self.merged(),
        }
    }

    /// The state dict at the dotted path `key` (`"model.backbone"`).
    ///
    /// # Errors
    /// As [`Checkpoint::state_dict`].
    pub fn state_dict_at(&self, key: &str) -> Result<StateDict, LoadError> {
        match &self.body {
            Body::Single(l) => Ok(StateDict::find(&l.value, Some(key))?),
            Body::Sharded { .. } => Ok(StateDict::find(&self.merged()?.to_value(), Some(key))?),
        }
    }

    /// One entry of the state dict (or, failing that, the value at dotted path `key`). A
    /// sharded checkpoint reads only the shard the index names for it.
    ///
    /// # Errors
    /// What reading that shard gives, or a [`LoadError::Format`] naming the key and the
    /// shard when the shard lacks it.
    pub fn get(&self, key: &str) -> Result<Option<Value>, LoadError> {
        match &self.body {
            Body::Single(l) => {
                if let Ok(sd) = found_state_dict(l)
                    && let Some(v) = sd.get(key)
                {
                    return Ok(Some(v.clone()));
                }
                Ok(l.value.path(key).cloned())
            }
            Body::Sharded { index, .. } => {
                if let Some(i) = index.shard_of(key) {
                    let sd = shard_state_dict(self.shard(i)?, index, i)?;
                    return match sd.get(key) {
                        Some(v) => Ok(Some(v.clone())),
                        None => Err(missing_in_shard(index, key, i)),
                    };
                }
                // Non-tensor entries are not in the weight map.
                for i in 0..index.shards().len() {
                    let sd = shard_state_dict(self.shard(i)?, index, i)?;
                    if let Some(v) = sd.get(key) {
                        return Ok(Some(v.clone()));
                    }
                }
                Ok(None)
            }
        }
    }

    /// The leaf entries (the `pt inspect --json` / fixture-description schema); a sharded
    /// checkpoint gives each shard's in shard order.
    ///
    /// # Errors
    /// As [`Checkpoint::value`].
    pub fn describe(&self) -> Result<Vec<Entry>, LoadError> {
        match &self.body {
            Body::Single(l) => Ok(describe(l)),
            Body::Sharded { index, .. } => {
                let mut out = Vec::new();
                for i in 0..index.shards().len() {
                    let l = self.shard(i)?;
                    out.extend(describe_value(&l.value, &l.storages));
                }
                Ok(out)
            }
        }
    }
}

fn shard_state_dict(l: &Loaded, index: &ShardedIndex, i: usize) -> Result<StateDict, LoadError> {
    found_state_dict(l).map_err(|e| {
        LoadError::format(
            format!("shard holds no state dict: {e}"),
            Location::record(index.shards().get(i).cloned().unwrap_or_default()),
        )
    })
}

/// A file's state dict: a safetensors file is one; others are searched.
fn found_state_dict(l: &Loaded) -> Result<StateDict, crate::state_dict::StateDictError> {
    if l.format == Format::Safetensors {
        StateDict::from_value(&l.value)
    } else {
        StateDict::find(&l.value, None)
    }
}

fn missing_in_shard(index: &ShardedIndex, key: &str, shard: usize) -> LoadError {
    let name = index.shards().get(shard).cloned().unwrap_or_default();
    LoadError::format(
        format!(
            "`{key}` is mapped to shard {name} by {}, but that shard does not hold it",
            index.path().display()
        ),
        Location::record(name),
    )
}

/// A directory's checkpoint file, or `path` itself.
fn resolve(path: &Path) -> Result<PathBuf, LoadError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    for name in DIRECTORY_NAMES {
        let p = path.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    let listing = std::fs::read_dir(path)
        .map_err(|e| LoadError::io(format!("listing {}", path.display()), e))?;
    let mut indexes = Vec::new();
    let mut singles = Vec::new();
    for entry in listing.flatten() {
        let p = entry.path();
        if ShardedIndex::is_index_path(&p) {
            indexes.push(p);
        } else if is_safetensors_path(&p) {
            singles.push(p);
        }
    }
    if let [one] = indexes.as_slice() {
        return Ok(one.clone());
    }
    if indexes.is_empty()
        && let [one] = singles.as_slice()
    {
        return Ok(one.clone());
    }
    Err(LoadError::format(
        format!(
            "directory {} holds none of {} nor exactly one *.index.json or *.safetensors",
            path.display(),
            DIRECTORY_NAMES.join(", ")
        ),
        Location::none(),
    ))
}

/// The first bytes of a file (fewer if it is shorter).
fn head(path: &Path) -> Result<Vec<u8>, LoadError> {
    let mut buf = Vec::with_capacity(16);
    File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut buf))
        .map_err(|e| LoadError::io(format!("reading {}", path.display()), e))?;
    Ok(buf)
}

fn is_index(path: &Path) -> Result<bool, LoadError> {
    if ShardedIndex::is_index_path(path) {
        return Ok(true);
    }
    let h = head(path)?;
    Ok(h.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// Reads one file of any non-index format.
fn load_single(path: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    if sniff(&head(path)?) {
        return load_safetensors(path);
    }
    super::load_file(path, opts)
}
