//! Loading zip checkpoints and TorchScript archives: bookkeeping records, the pickle, and each
//! storage record read once, straight into its final storage (or mapped, zero-copy).

use std::fs::File;

use super::read::{STORED, ZipArchive};
use crate::serialize::error::{LoadError, Location};
use crate::serialize::loaded::{Format, Loaded};
use crate::serialize::options::{ByteOrder, LoadOptions};
use crate::serialize::pickle::{self, PidRequest, SliceInput, StorageProvider, StorageRef};
use crate::serialize::source::{SliceSource, Source};
use crate::serialize::storages::{StorageTable, declared_bytes};
use crate::serialize::torchscript;
use crate::storage::Storage;
use foldhash::HashMap;

/// The first bytes of a zip checkpoint.
pub(crate) const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// What the bookkeeping records say.
struct Meta {
    version: String,
    byteorder: Option<ByteOrder>,
    swap: bool,
    torchscript: bool,
    pickle: Vec<u8>,
    code: std::collections::HashMap<String, String>,
}

fn read_meta<S: Source + ?Sized>(
    src: &mut S,
    zip: &ZipArchive,
    opts: &LoadOptions,
) -> Result<Meta, LoadError> {
    let crc = opts.verify_crc;
    let version_name = if zip.has(".data/version") {
        ".data/version"
    } else if zip.has("version") {
        "version"
    } else {
        return Err(LoadError::format(
            "Expected hasRecord(\"version\") to be true, but got false: the archive has no `version` or `.data/version` record",
            Location::record(zip.full_name("version")),
        ));
    };
    let full = zip.full_name(version_name);
    let raw = zip
        .read_record(src, version_name, 64, "max_string_len", crc)?
        .unwrap_or_default();
    let version = String::from_utf8_lossy(&raw).trim().to_owned();
    let number: u64 = version.parse().map_err(|_| {
        LoadError::format(
            format!("version record holds {version:?}, not an integer"),
            Location::record(full.clone()),
        )
    })?;
    if !(1..=10).contains(&number) {
        return Err(LoadError::unsupported(
            format!(
                "file format version {number}: supported versions are 1 to 10 (PyTorch's kMinSupportedFileFormatVersion..kMaxSupportedFileFormatVersion)"
            ),
            Location::record(full),
        ));
    }
    let byteorder = match zip.read_record(src, "byteorder", 64, "max_string_len", crc)? {
        None => None,
        Some(b) => match b.as_slice() {
            b"little" => Some(ByteOrder::Little),
            b"big" => Some(ByteOrder::Big),
            other => {
                return Err(LoadError::format(
                    format!(
                        "Unknown endianness type: {}",
                        String::from_utf8_lossy(other)
                    ),
                    Location::record(zip.full_name("byteorder")),
                ));
            }
        },
    };
    let file_order = match byteorder {
        Some(o) => Some(o),
        None => opts.missing_byteorder(),
    };
    let swap = file_order.is_some_and(|o| o != ByteOrder::native());
    let pickle = zip
        .read_record(
            src,
            "data.pkl",
            opts.limits.max_pickle_bytes,
            "max_pickle_bytes",
            crc,
        )?
        .ok_or_else(|| {
            LoadError::format(
                "the archive has no data.pkl record",
                Location::record(zip.full_name("data.pkl")),
            )
        })?;
    let torchscript = zip.has("constants.pkl");
    let mut code = std::collections::HashMap::new();
    if torchscript {
        let mut budget = opts.limits.max_pickle_bytes;
        let names: Vec<String> = zip
            .names()
            .filter(|n| n.starts_with("code/") && n.ends_with(".py"))
            .map(str::to_owned)
            .collect();
        for name in names {
            let Some(text) = zip.read_record(src, &name, budget, "max_pickle_bytes", crc)? else {
                continue;
            };
            budget = budget.saturating_sub(text.len() as u64);
            code.insert(name, String::from_utf8_lossy(&text).into_owned());
        }
    }
    Ok(Meta {
        version,
        byteorder,
        swap,
        torchscript,
        pickle,
        code,
    })
}

/// Where storage bytes come from.
enum Backing<'a, S: ?Sized> {
    /// Read each record from the source into a new storage.
    Read(&'a mut S),
    /// Storages already cut from a private map, by record name, with their file offsets.
    Mapped(HashMap<String, (Storage, u64)>),
}

struct ZipProvider<'a, 'o, S: ?Sized> {
    backing: Backing<'a, S>,
    zip: &'a ZipArchive,
    table: StorageTable<'o>,
    swap: bool,
    verify_crc: bool,
    /// Reused buffer for `data/<key>` record names.
    name: String,
    /// The index of the record found last (see [`ZipArchive::get_near`]).
    cursor: usize,
}

impl<S: Source + ?Sized> StorageProvider for ZipProvider<'_, '_, S> {
    fn storage(&mut self, req: &PidRequest) -> Result<StorageRef, LoadError> {
        let tensor = || format!("storage key {}", req.key);
        if req.view.is_some() {
            return Err(LoadError::format(
                "legacy storage view metadata in a zip checkpoint",
                Location::at(req.at).for_tensor(tensor()),
            ));
        }
        let nbytes = declared_bytes(req)?;
        if let Some((s, _)) = self.table.existing(req, nbytes)? {
            return Ok(StorageTable::whole(s, req));
        }
        let mut name = std::mem::take(&mut self.name);
        name.clear();
        name.push_str("data/");
        name.push_str(&req.key);
        let result = self.record_storage(req, nbytes, &name);
        self.name = name;
        result
    }
}

impl<S: Source + ?Sized> ZipProvider<'_, '_, S> {
    /// Reads (or takes from the map) the storage record `name` that `req` names.
    fn record_storage(
        &mut self,
        req: &PidRequest,
        nbytes: usize,
        name: &str,
    ) -> Result<StorageRef, LoadError> {
        let tensor = || format!("storage key {}", req.key);
        let loc = || {
            Location::at(req.at)
                .in_record(&self.zip.full_name(name))
                .for_tensor(tensor())
        };
        let Some(entry) = self.zip.get_near(name, &mut self.cursor) else {
            return Err(LoadError::format(
                "the pickle references a storage record that is not in the archive",
                loc(),
            ));
        };
        if entry.size != nbytes as u64 {
            return Err(LoadError::format(
                format!(
                    "record holds {} bytes but the pickle declares {} elements of {} = {nbytes} bytes",
                    entry.size, req.numel, req.dtype
                ),
                loc(),
            ));
        }
        let storage = match &mut self.backing {
            Backing::Read(src) => {
                // Sizes are checked against the bytes holding them before allocating.
                let start = self
                    .zip
                    .locate(&mut **src, entry)
                    .map_err(|e| e.for_tensor(&tensor()))?;
                self.table.charge(nbytes, req)?;
                let s = Storage::zeroed(nbytes);
                self.zip
                    .read_into(&mut **src, entry, start, &mut s.write(), self.verify_crc)
                    .map_err(|e| e.for_tensor(&tensor()))?;
                s
            }
            Backing::Mapped(map) => {
                let Some((s, offset)) = map.get(name) else {
                    return Err(LoadError::unsupported(
                        "memory-mapping a deflated record (load without mmap)",
                        loc(),
                    ));
                };
                let align = req.dtype.swap_unit().max(1) as u64;
                if offset % align != 0 {
                    return Err(LoadError::unsupported(
                        format!(
                            "memory-mapping a record at offset {offset}, which is not aligned for {} (load without mmap)",
                            req.dtype
                        ),
                        loc(),
                    ));
                }
                s.clone()
            }
        };
        let storage = self.table.add(req, storage, self.swap)?;
        Ok(StorageTable::whole(storage, req))
    }
}

fn finish(
    meta: Meta,
    zip: &ZipArchive,
    value: crate::value::Value,
    table: StorageTable<'_>,
) -> Result<Loaded, LoadError> {
    let (format, value) = if meta.torchscript {
        let sd = torchscript::state_dict(&value, &meta.code)
            .map_err(|e| e.in_record(&zip.full_name("data.pkl")))?;
        (Format::TorchScript, sd)
    } else {
        (Format::Zip, value)
    };
    Ok(Loaded {
        value,
        format,
        version: Some(meta.version),
        byteorder: meta.byteorder,
        storages: table.infos,
    })
}

/// Unpickles `data.pkl`, taking each storage from `backing`, and assembles the result.
fn unpickle_records<S: Source + ?Sized>(
    meta: Meta,
    zip: &ZipArchive,
    opts: &LoadOptions,
    backing: Backing<'_, S>,
    verify_crc: bool,
) -> Result<Loaded, LoadError> {
    let mut provider = ZipProvider {
        backing,
        zip,
        // Every storage is a record, so the record count bounds the storage count.
        table: StorageTable::with_capacity(opts, zip.len()),
        swap: meta.swap,
        verify_crc,
        name: String::new(),
        cursor: usize::MAX,
    };
    let value = pickle::unpickle(
        &mut SliceInput::new(&meta.pickle),
        opts.mode,
        meta.torchscript,
        &opts.limits,
        &mut provider,
    )
    .map_err(|e| e.in_record(&zip.full_name("data.pkl")))?;
    finish(meta, zip, value, provider.table)
}

/// Loads a zip checkpoint (or TorchScript archive) from a source.
///
/// # Errors
/// Every [`LoadError`] kind.
pub(crate) fn load<S: Source + ?Sized>(
    src: &mut S,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let zip = ZipArchive::open(src, &opts.limits)?;
    let meta = read_meta(src, &zip, opts)?;
    unpickle_records(meta, &zip, opts, Backing::Read(src), opts.verify_crc)
}

/// Loads a zip checkpoint through a private, copy-on-write map of the file.
///
/// # Errors
/// [`LoadError::Unsupported`] for legacy files, deflated or misaligned records; every other
/// [`LoadError`] kind as [`load`].
pub(crate) fn load_mapped(file: &File, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let len = file
        .metadata()
        .map_err(|e| LoadError::io("reading file metadata", e))?
        .len();
    let legacy = || {
        LoadError::unsupported(
            "mmap for a file that is not a zip checkpoint (legacy files cannot be mapped; load without mmap)",
            Location::none(),
        )
    };
    if len < ZIP_MAGIC.len() as u64 {
        return Err(legacy());
    }
    // SAFETY: a private (copy-on-write) map: writes through it never reach the file. As with
    // every memory map, the file must not be truncated or modified by another process while
    // mapped; PyTorch's `mmap=True` has the same requirement.
    let map = unsafe { memmap2::MmapOptions::new().map_copy(file) }
        .map_err(|e| LoadError::io("memory-mapping the file", e))?;
    if map.get(..4) != Some(&ZIP_MAGIC[..]) {
        return Err(legacy());
    }
    let (zip, meta, names, regions) = {
        let mut src = SliceSource(&map);
        let zip = ZipArchive::open(&mut src, &opts.limits)?;
        let meta = read_meta(&mut src, &zip, opts)?;
        let mut names = Vec::new();
        let mut regions = Vec::new();
        let data_names: Vec<String> = zip
            .names()
            .filter(|n| n.starts_with("data/"))
            .map(str::to_owned)
            .collect();
        for name in data_names {
            let Some(e) = zip.get(&name) else { continue };
            if e.method != STORED || e.compressed_size != e.size {
                continue;
            }
            let offset = zip.data_offset(&mut src, e)?;
            let too_big =
                || LoadError::format("record too large", Location::record(e.name.clone()));
            regions.push((
                usize::try_from(offset).map_err(|_| too_big())?,
                usize::try_from(e.size).map_err(|_| too_big())?,
            ));
            names.push((name, offset));
        }
        (zip, meta, names, regions)
    };
    let storages = Storage::from_mapped_regions(map, &regions).map_err(|i| {
        let name = names
            .get(i)
            .map(|(n, _)| zip.full_name(n))
            .unwrap_or_default();
        LoadError::format(
            "record data overlaps another record",
            Location::record(name),
        )
    })?;
    let mapped = names
        .into_iter()
        .zip(storages)
        .map(|((name, offset), s)| (name, (s, offset)))
        .collect();
    // Mapped bytes are never read through the CRC-checking path.
    unpickle_records::<SliceSource<'_>>(meta, &zip, opts, Backing::Mapped(mapped), false)
}
