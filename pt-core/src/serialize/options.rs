//! Options of loading and saving: `map_location`, the location registry, byte order, mmap,
//! limits and the unpickler mode.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use super::limits::Limits;
use crate::dtype::DType;
use crate::storage::Storage;

/// How the unpickler treats globals outside PyTorch's `weights_only` allowlist.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnpicklerMode {
    /// Refuse them with [`LoadError::UnsafeGlobal`](super::LoadError::UnsafeGlobal), as
    /// `torch.load(weights_only=True)` does.
    #[default]
    Restricted,
    /// Keep objects of unknown classes as inert [`Value::Object`](crate::Value::Object)
    /// records (class name, arguments, state) without running anything, so the tensors
    /// inside `torch.save(model)` files can be extracted (see
    /// [`module_state_dict`](super::module_state_dict)). Modules `os`, `posix`, `nt`, `sys`,
    /// `subprocess` and `builtins` callables outside the allowlist stay refused.
    Inert,
}

/// Byte order assumed for files without a `byteorder` record (PyTorch's `LoadEndianness`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadEndianness {
    /// Never swap.
    Native,
    /// Little-endian (what PyTorch assumes when nothing is set).
    Little,
    /// Big-endian.
    Big,
}

/// The byte order of storage data in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `little`
    Little,
    /// `big`
    Big,
}

impl ByteOrder {
    /// The order of this machine.
    pub const fn native() -> ByteOrder {
        if cfg!(target_endian = "big") {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        }
    }

    /// The `byteorder` record's text.
    pub const fn as_str(self) -> &'static str {
        match self {
            ByteOrder::Little => "little",
            ByteOrder::Big => "big",
        }
    }
}

// 0 = unset (None), 1 = native, 2 = little, 3 = big: PyTorch's enum values.
static DEFAULT_LOAD_ENDIANNESS: AtomicU8 = AtomicU8::new(0);

/// Sets the process-wide byte order for files without a `byteorder` record, like
/// `torch.serialization.set_default_load_endianness`. `None` restores the default (little).
pub fn set_default_load_endianness(endianness: Option<LoadEndianness>) {
    let v = match endianness {
        None => 0,
        Some(LoadEndianness::Native) => 1,
        Some(LoadEndianness::Little) => 2,
        Some(LoadEndianness::Big) => 3,
    };
    DEFAULT_LOAD_ENDIANNESS.store(v, Ordering::Relaxed);
}

/// The process-wide byte order for files without a `byteorder` record (`None`: unset, which
/// means little-endian).
pub fn get_default_load_endianness() -> Option<LoadEndianness> {
    match DEFAULT_LOAD_ENDIANNESS.load(Ordering::Relaxed) {
        1 => Some(LoadEndianness::Native),
        2 => Some(LoadEndianness::Little),
        3 => Some(LoadEndianness::Big),
        _ => None,
    }
}

/// What a location callback or deserializer is told about a storage.
#[derive(Clone, Copy, Debug)]
pub struct StorageTag<'a> {
    /// The storage's record key.
    pub key: &'a str,
    /// The location tag saved in the file (`cpu`, `cuda:0`).
    pub location: &'a str,
    /// The dtype of its first reference.
    pub dtype: DType,
    /// Its length in bytes.
    pub nbytes: usize,
}

/// A `map_location` callback: a non-`None` result is the storage's location as is; `None`
/// falls back to the registry's deserializers with the saved tag.
pub type LocationFn = Arc<dyn Fn(&StorageTag<'_>) -> Option<String> + Send + Sync>;

/// PyTorch's `map_location`: where storages go when loaded.
#[derive(Clone, Default)]
pub enum MapLocation {
    /// Use each saved tag (PyTorch's `None`).
    #[default]
    Keep,
    /// Send every storage to this location (PyTorch's `str` / `torch.device`).
    To(String),
    /// Remap `tag` to `map.get(tag).unwrap_or(tag)`, then apply the registry (PyTorch's dict).
    Map(HashMap<String, String>),
    /// A callback (PyTorch's callable).
    Fn(LocationFn),
}

impl fmt::Debug for MapLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapLocation::Keep => f.write_str("Keep"),
            MapLocation::To(s) => f.debug_tuple("To").field(s).finish(),
            MapLocation::Map(m) => f.debug_tuple("Map").field(m).finish(),
            MapLocation::Fn(_) => f.write_str("Fn(..)"),
        }
    }
}

/// A save-time tagger: the location tag of a storage, or `None` to let the next one decide.
pub type Tagger = Arc<dyn Fn(&Storage) -> Option<String> + Send + Sync>;

/// A load-time deserializer: `Ok(Some(storage))` accepts the location (returning the storage,
/// or a replacement of the same length), `Ok(None)` passes, `Err(message)` refuses it.
pub type Deserializer =
    Arc<dyn Fn(&Storage, &str) -> Result<Option<Storage>, String> + Send + Sync>;

#[derive(Clone)]
struct Package {
    priority: i32,
    tagger: Option<Tagger>,
    deserializer: Option<Deserializer>,
}

/// PyTorch's location registry (`torch.serialization.register_package`): taggers name a
/// storage's location at save time, deserializers restore it at load time, both tried in
/// priority order (lower first).
///
/// This library keeps every storage in host memory. The default registry tags saved
/// storages `cpu` and restores `cpu`; a storage tagged with any other device (`cuda:0`,
/// `mps`, `xpu`, …) that no registered package accepts is loaded into host memory too, and
/// its saved tag stays in [`StorageInfo::location`](super::StorageInfo::location). `meta`
/// storages hold no data and are refused. [`LocationRegistry::refusing_devices`] gives
/// PyTorch's behaviour on a machine without CUDA instead.
#[derive(Clone)]
pub struct LocationRegistry {
    packages: Vec<Package>,
    /// Restore tags no package accepts into host memory.
    host_fallback: bool,
}

impl fmt::Debug for LocationRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prios: Vec<i32> = self.packages.iter().map(|p| p.priority).collect();
        f.debug_struct("LocationRegistry")
            .field("priorities", &prios)
            .field("host_fallback", &self.host_fallback)
            .finish()
    }
}

/// PyTorch's message for a CUDA storage on a machine without CUDA.
pub(crate) const CUDA_MESSAGE: &str = "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your storages to the CPU. (In pt: LoadOptions::new().map_location(MapLocation::To(\"cpu\".into())).)";

/// The location a storage restored by the host fallback gets.
pub(crate) const HOST: &str = "cpu";

impl Default for LocationRegistry {
    fn default() -> LocationRegistry {
        let mut r = LocationRegistry::empty();
        r.host_fallback = true;
        r.register_package(
            10,
            Some(Arc::new(|_: &Storage| Some("cpu".to_owned()))),
            Some(Arc::new(|s: &Storage, tag: &str| {
                Ok((tag == "cpu").then(|| s.clone()))
            })),
        );
        r
    }
}

impl LocationRegistry {
    /// A registry with no packages (every save and load fails to place storages).
    pub fn empty() -> LocationRegistry {
        LocationRegistry {
            packages: Vec::new(),
            host_fallback: false,
        }
    }

    /// PyTorch's behaviour without CUDA: `cpu` is restored, `cuda*` refused with PyTorch's
    /// message (map it with [`MapLocation`]), and any other tag needs a registered package.
    pub fn refusing_devices() -> LocationRegistry {
        let mut r = LocationRegistry {
            host_fallback: false,
            ..LocationRegistry::default()
        };
        r.register_package(
            20,
            None,
            Some(Arc::new(|_: &Storage, tag: &str| {
                if tag.starts_with("cuda") {
                    Err(CUDA_MESSAGE.to_owned())
                } else {
                    Ok(None)
                }
            })),
        );
        r
    }

    /// Adds a package and keeps the list sorted by priority (stable: equal priorities keep
    /// registration order), like `torch.serialization.register_package`.
    pub fn register_package(
        &mut self,
        priority: i32,
        tagger: Option<Tagger>,
        deserializer: Option<Deserializer>,
    ) -> &mut LocationRegistry {
        self.packages.push(Package {
            priority,
            tagger,
            deserializer,
        });
        self.packages.sort_by_key(|p| p.priority);
        self
    }

    /// The first non-`None` tag from the taggers, in priority order.
    pub fn tag(&self, storage: &Storage) -> Option<String> {
        self.packages
            .iter()
            .filter_map(|p| p.tagger.as_ref())
            .find_map(|t| t(storage))
    }

    /// Restores a storage tagged `location` with the first deserializer that accepts it.
    ///
    /// # Errors
    /// The refusing deserializer's message, or PyTorch's `don't know how to restore data
    /// location …` when none accepts the tag.
    pub fn restore(&self, storage: &Storage, location: &str) -> Result<Storage, String> {
        self.place(storage, location).map(|(s, _)| s)
    }

    /// [`restore`](Self::restore), also saying where the storage went: `location`, or
    /// `cpu` when the host fallback took it.
    pub(crate) fn place<'l>(
        &self,
        storage: &Storage,
        location: &'l str,
    ) -> Result<(Storage, &'l str), String> {
        for d in self.packages.iter().filter_map(|p| p.deserializer.as_ref()) {
            if let Some(s) = d(storage, location)? {
                return Ok((s, location));
            }
        }
        if location == "meta" {
            return Err("`meta` storages hold no data; a meta tensor cannot be loaded".to_owned());
        }
        if self.host_fallback {
            return Ok((storage.clone(), HOST));
        }
        Err(format!(
            "don't know how to restore data location of torch.storage.UntypedStorage (tagged with {location})"
        ))
    }
}

/// Options of loading a `torch.save` file: [`Checkpoint::open_with`](super::Checkpoint::open_with),
/// [`load_bytes`](super::load_bytes), [`load_reader`](super::load_reader) (builder style).
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub(crate) map_location: MapLocation,
    pub(crate) registry: LocationRegistry,
    pub(crate) endianness: Option<Option<LoadEndianness>>,
    pub(crate) mmap: bool,
    pub(crate) limits: Limits,
    pub(crate) mode: UnpicklerMode,
    pub(crate) verify_crc: bool,
}

impl LoadOptions {
    /// The defaults: keep locations, default registry, process-wide endianness, no mmap,
    /// default limits, restricted unpickler, CRCs not checked (as PyTorch).
    pub fn new() -> LoadOptions {
        LoadOptions::default()
    }

    /// Sets `map_location`.
    pub fn map_location(mut self, map_location: MapLocation) -> LoadOptions {
        self.map_location = map_location;
        self
    }

    /// Replaces the location registry.
    pub fn registry(mut self, registry: LocationRegistry) -> LoadOptions {
        self.registry = registry;
        self
    }

    /// Byte order for files without a `byteorder` record, for this call only (overrides
    /// [`set_default_load_endianness`]; `None` means little-endian).
    pub fn default_endianness(mut self, endianness: Option<LoadEndianness>) -> LoadOptions {
        self.endianness = Some(endianness);
        self
    }

    /// Memory-maps the file (private, copy-on-write) and makes storages zero-copy views of
    /// its stored records. Only for zip files loaded from a path, with stored (not deflated)
    /// data records aligned for their dtype; anything else is refused with an error.
    pub fn mmap(mut self, mmap: bool) -> LoadOptions {
        self.mmap = mmap;
        self
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> LoadOptions {
        self.limits = limits;
        self
    }

    /// Sets the unpickler mode.
    pub fn mode(mut self, mode: UnpicklerMode) -> LoadOptions {
        self.mode = mode;
        self
    }

    /// Checks each record's CRC-32 (records saved with CRC 0, as PyTorch's
    /// `set_crc32_options(False)` writes them, are not checked).
    pub fn verify_crc(mut self, verify: bool) -> LoadOptions {
        self.verify_crc = verify;
        self
    }

    /// The byte order to assume for a file without a `byteorder` record.
    pub(crate) fn missing_byteorder(&self) -> Option<ByteOrder> {
        let e = match self.endianness {
            Some(e) => e,
            None => get_default_load_endianness(),
        };
        match e {
            None | Some(LoadEndianness::Little) => Some(ByteOrder::Little),
            Some(LoadEndianness::Big) => Some(ByteOrder::Big),
            Some(LoadEndianness::Native) => None,
        }
    }
}

/// Options of [`save_with`](super::save_with).
#[derive(Clone, Debug)]
pub struct SaveOptions {
    pub(crate) registry: LocationRegistry,
    pub(crate) prefix: Option<String>,
    pub(crate) byteorder_record: bool,
    pub(crate) max_nesting: usize,
    pub(crate) zip64_threshold: u64,
}

impl Default for SaveOptions {
    fn default() -> SaveOptions {
        SaveOptions {
            registry: LocationRegistry::default(),
            prefix: None,
            byteorder_record: true,
            max_nesting: 1000,
            zip64_threshold: u64::from(u32::MAX),
        }
    }
}

impl SaveOptions {
    /// The defaults: location tags from the default registry (`cpu`), prefix from the file
    /// name, a `byteorder` record.
    pub fn new() -> SaveOptions {
        SaveOptions::default()
    }

    /// Replaces the location registry (its taggers name each storage's location).
    pub fn registry(mut self, registry: LocationRegistry) -> SaveOptions {
        self.registry = registry;
        self
    }

    /// The folder all records go in, instead of the one derived from the file name.
    pub fn record_prefix(mut self, prefix: impl Into<String>) -> SaveOptions {
        self.prefix = Some(prefix.into());
        self
    }

    /// Whether to write the `byteorder` record (PyTorch's `_disable_byteorder_record`
    /// inverted). Default true.
    pub fn byteorder_record(mut self, write: bool) -> SaveOptions {
        self.byteorder_record = write;
        self
    }

    /// Deepest container nesting accepted (like Python's recursion limit). Default 1000.
    pub fn max_nesting(mut self, depth: usize) -> SaveOptions {
        self.max_nesting = depth;
        self
    }

    /// Sizes and offsets at or above this use zip64 fields (default `u32::MAX`, as miniz).
    /// Lowering it exercises zip64 paths on small files.
    #[doc(hidden)]
    pub fn zip64_threshold(mut self, threshold: u64) -> SaveOptions {
        self.zip64_threshold = threshold.min(u64::from(u32::MAX));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_orders_and_refuses() {
        let r = LocationRegistry::refusing_devices();
        let s = Storage::zeroed(4);
        assert_eq!(r.tag(&s).as_deref(), Some("cpu"));
        assert!(r.restore(&s, "cpu").unwrap().same(&s));
        assert!(
            r.restore(&s, "cuda:0")
                .unwrap_err()
                .contains("map_location")
        );
        assert_eq!(
            r.restore(&s, "xyz").unwrap_err(),
            "don't know how to restore data location of torch.storage.UntypedStorage (tagged with xyz)"
        );
        let mut r2 = r.clone();
        r2.register_package(
            5,
            Some(Arc::new(|_: &Storage| Some("npu:0".into()))),
            Some(Arc::new(|s: &Storage, t: &str| {
                Ok(t.starts_with("cuda").then(|| s.clone()))
            })),
        );
        assert_eq!(r2.tag(&s).as_deref(), Some("npu:0"));
        assert!(r2.restore(&s, "cuda:1").is_ok());
    }

    #[test]
    fn default_registry_restores_devices_to_host() {
        let r = LocationRegistry::default();
        let s = Storage::zeroed(4);
        for tag in ["cuda:0", "mps", "xpu:1", "hpu", "npu:0"] {
            let (got, at) = r.place(&s, tag).unwrap();
            assert!(got.same(&s));
            assert_eq!(at, "cpu");
        }
        assert_eq!(r.place(&s, "cpu").unwrap().1, "cpu");
        assert!(r.place(&s, "meta").unwrap_err().contains("meta"));
        let mut custom = LocationRegistry::default();
        custom.register_package(
            30,
            None,
            Some(Arc::new(|_: &Storage, t: &str| {
                if t.starts_with("cuda") {
                    Err("no".into())
                } else {
                    Ok(None)
                }
            })),
        );
        assert_eq!(custom.place(&s, "cuda:0").unwrap_err(), "no");
    }

    #[test]
    fn missing_byteorder_follows_override_then_global() {
        let o = LoadOptions::new().default_endianness(Some(LoadEndianness::Big));
        assert_eq!(o.missing_byteorder(), Some(ByteOrder::Big));
        let o = LoadOptions::new().default_endianness(Some(LoadEndianness::Native));
        assert_eq!(o.missing_byteorder(), None);
        let o = LoadOptions::new().default_endianness(None);
        assert_eq!(o.missing_byteorder(), Some(ByteOrder::Little));
    }
}
