//! The parts of a TorchScript archive a runtime needs: the module object tree of `data.pkl`
//! (not flattened to a state dict), the `constants.pkl` tuple, the code records and their
//! debug records. Nothing is run; the pickles go through the same restricted machine.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use super::error::{LoadError, Location};
use super::options::{ByteOrder, LoadOptions};
use super::pickle::{self, PidRequest, SliceInput, StorageProvider, StorageRef};
use super::source::{FileSource, ReadAhead, Source};
use super::storages::{StorageTable, declared_bytes};
use super::zip::read::ZipArchive;
use crate::storage::Storage;
use crate::value::Value;

/// A TorchScript archive's records, unpickled but not interpreted.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TorchScriptArchive {
    /// The `version` record (PyTorch's file format version; decides upgraders).
    pub version: u64,
    /// `data.pkl`: the root module object with its attributes.
    pub data: Value,
    /// `constants.pkl`: the tuple `CONSTANTS.c0`, `c1`, … index.
    pub constants: Value,
    /// Code records by path below the archive folder (`code/__torch__.py`).
    pub code: BTreeMap<String, String>,
    /// Debug records (`code/….py.debug_pkl`), unpickled: source ranges by byte offset.
    pub debug: BTreeMap<String, Value>,
}

/// Reads a TorchScript archive (`torch.jit.save`) from a file.
///
/// # Errors
/// [`LoadError::Io`] if the file cannot be read; a format error if it is not a zip with
/// `data.pkl`, `constants.pkl` and a version record; every unpickling error.
pub fn load_torchscript_archive(
    path: impl AsRef<Path>,
    opts: &LoadOptions,
) -> Result<TorchScriptArchive, LoadError> {
    let path = path.as_ref();
    let file =
        File::open(path).map_err(|e| LoadError::io(format!("opening {}", path.display()), e))?;
    let mut src = ReadAhead::new(
        FileSource::new(file)
            .map_err(|e| LoadError::io(format!("reading {}", path.display()), e))?,
    );
    read(&mut src, opts)
}

/// [`load_torchscript_archive`] over bytes in memory.
///
/// # Errors
/// As [`load_torchscript_archive`].
pub fn load_torchscript_archive_bytes(
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<TorchScriptArchive, LoadError> {
    read(&mut super::source::SliceSource(bytes), opts)
}

fn read<S: Source + ?Sized>(
    src: &mut S,
    opts: &LoadOptions,
) -> Result<TorchScriptArchive, LoadError> {
    let zip = ZipArchive::open(src, &opts.limits)?;
    let crc = opts.verify_crc;
    let small = |src: &mut S, name: &str| zip.read_record(src, name, 64, "max_string_len", crc);
    let version_raw = match small(src, ".data/version")? {
        Some(v) => v,
        None => small(src, "version")?.ok_or_else(|| {
            LoadError::format(
                "the archive has no `version` record",
                Location::record(zip.full_name("version")),
            )
        })?,
    };
    let version_text = String::from_utf8_lossy(&version_raw).trim().to_owned();
    let version: u64 = version_text.parse().map_err(|_| {
        LoadError::format(
            format!("version record holds {version_text:?}, not an integer"),
            Location::record(zip.full_name("version")),
        )
    })?;
    let swap = match small(src, "byteorder")?.as_deref() {
        Some(b"big") => ByteOrder::native() != ByteOrder::Big,
        Some(b"little") | None => ByteOrder::native() != ByteOrder::Little,
        Some(other) => {
            return Err(LoadError::format(
                format!(
                    "Unknown endianness type: {}",
                    String::from_utf8_lossy(other)
                ),
                Location::record(zip.full_name("byteorder")),
            ));
        }
    };
    let max = opts.limits.max_pickle_bytes;
    let pickle_record = |src: &mut S, name: &str| {
        zip.read_record(src, name, max, "max_pickle_bytes", crc)?
            .ok_or_else(|| {
                LoadError::format(
                    format!("the archive has no {name} record (not a TorchScript archive)"),
                    Location::record(zip.full_name(name)),
                )
            })
    };
    let data_pkl = pickle_record(src, "data.pkl")?;
    let constants_pkl = pickle_record(src, "constants.pkl")?;
    let mut code = BTreeMap::new();
    let mut debug = BTreeMap::new();
    let names: Vec<String> = zip
        .names()
        .filter(|n| n.starts_with("code/"))
        .map(str::to_owned)
        .collect();
    let mut budget = max;
    let mut table = StorageTable::new(opts);
    for name in names {
        let Some(bytes) = zip.read_record(src, &name, budget, "max_pickle_bytes", crc)? else {
            continue;
        };
        budget = budget.saturating_sub(bytes.len() as u64);
        if name.ends_with(".py") {
            let text = String::from_utf8(bytes).map_err(|_| {
                LoadError::format("code record is not UTF-8", Location::record(name.clone()))
            })?;
            code.insert(name, text);
        } else if let Some(py) = name.strip_suffix(".debug_pkl") {
            let mut none = NoStorages;
            let value = unpickle(&bytes, opts, &mut none, &zip, &name)?;
            debug.insert(py.to_owned(), value);
        }
    }
    let mut provider = RecordProvider {
        src,
        zip: &zip,
        table: &mut table,
        folder: "data",
        swap,
        crc,
    };
    let data = unpickle(&data_pkl, opts, &mut provider, &zip, "data.pkl")?;
    provider.folder = "constants";
    let constants = unpickle(&constants_pkl, opts, &mut provider, &zip, "constants.pkl")?;
    Ok(TorchScriptArchive {
        version,
        data,
        constants,
        code,
        debug,
    })
}

fn unpickle(
    bytes: &[u8],
    opts: &LoadOptions,
    provider: &mut dyn StorageProvider,
    zip: &ZipArchive,
    name: &str,
) -> Result<Value, LoadError> {
    pickle::unpickle(
        &mut SliceInput::new(bytes),
        opts.mode,
        true,
        &opts.limits,
        provider,
    )
    .map_err(|e| e.in_record(&zip.full_name(name)))
}

/// Debug records hold no tensors.
struct NoStorages;

impl StorageProvider for NoStorages {
    fn storage(&mut self, req: &PidRequest) -> Result<StorageRef, LoadError> {
        Err(LoadError::format(
            "a debug record references a storage",
            Location::at(req.at),
        ))
    }
}

/// Storages from `<folder>/<key>` records (`data/0`, `constants/0`).
struct RecordProvider<'a, 'o, S: ?Sized> {
    src: &'a mut S,
    zip: &'a ZipArchive,
    table: &'a mut StorageTable<'o>,
    folder: &'static str,
    swap: bool,
    crc: bool,
}

impl<S: Source + ?Sized> StorageProvider for RecordProvider<'_, '_, S> {
    fn storage(&mut self, req: &PidRequest) -> Result<StorageRef, LoadError> {
        let name = format!("{}/{}", self.folder, req.key);
        let loc = || {
            Location::at(req.at)
                .in_record(&self.zip.full_name(&name))
                .for_tensor(format!("storage key {}", req.key))
        };
        let nbytes = declared_bytes(req)?;
        // Keys are per folder: `data/0` and `constants/0` are different storages.
        let keyed = PidRequest {
            dtype: req.dtype,
            key: name.clone(),
            location: req.location.clone(),
            numel: req.numel,
            view: None,
            at: req.at,
        };
        if let Some((s, _)) = self.table.existing(&keyed, nbytes)? {
            return Ok(StorageTable::whole(s, req));
        }
        let Some(entry) = self.zip.get(&name) else {
            return Err(LoadError::format(
                "the pickle references a storage record that is not in the archive",
                loc(),
            ));
        };
        if entry.size != nbytes as u64 {
            return Err(LoadError::format(
                format!(
                    "record holds {} bytes but the pickle declares {nbytes}",
                    entry.size
                ),
                loc(),
            ));
        }
        let start = self.zip.locate(&mut *self.src, entry)?;
        self.table.charge(nbytes, req)?;
        let s = Storage::zeroed(nbytes);
        self.zip
            .read_into(&mut *self.src, entry, start, &mut s.write(), self.crc)?;
        let s = self.table.add(&keyed, s, self.swap)?;
        Ok(StorageTable::whole(s, req))
    }
}
