//! The legacy (non-zip) format: five pickles in a row (magic number, protocol version,
//! sys_info, the object, the sorted storage keys), then for each key an int64 element count
//! and the storage's little-endian bytes.

use std::collections::{HashMap, HashSet};

use super::error::{LoadError, Location};
use super::loaded::{Format, Loaded};
use super::options::{ByteOrder, LoadOptions, UnpicklerMode};
use super::pickle::{self, PidRequest, StorageProvider, StorageRef, StreamInput};
use super::source::Source;
use super::storages::{StorageTable, declared_bytes, swap_bytes};
use crate::storage::Storage;
use crate::value::Value;

/// `0x1950a86a20f9469cfc6c` as a LONG1 payload.
const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const PROTOCOL_VERSION: i64 = 1001;

/// Whether the source starts with the legacy magic-number pickle (`PROTO 2, LONG1 10 …`).
pub(crate) fn starts_with_magic<S: Source + ?Sized>(src: &mut S) -> bool {
    let mut head = [0u8; 14];
    src.read_exact_at(0, &mut head).is_ok()
        && head.get(..4) == Some(&[0x80, 0x02, 0x8a, 0x0a][..])
        && head.get(4..) == Some(&MAGIC[..])
}

/// Whether the source is a tar archive (PyTorch < 0.4 saved checkpoints as tar files).
pub(crate) fn is_tar<S: Source + ?Sized>(src: &mut S) -> bool {
    let mut magic = [0u8; 5];
    src.len() >= 512 && src.read_exact_at(257, &mut magic).is_ok() && &magic == b"ustar"
}

/// Refuses every storage (the header pickles hold none).
struct NoStorages;

impl StorageProvider for NoStorages {
    fn storage(&mut self, req: &PidRequest) -> Result<StorageRef, LoadError> {
        Err(LoadError::format(
            "storage reference in a legacy header pickle",
            Location::at(req.at),
        ))
    }
}

struct LegacyProvider<'o> {
    table: StorageTable<'o>,
    file_len: u64,
    /// Bytes the storages declared so far need after the pickle (data + count prefixes).
    declared: u64,
}

impl StorageProvider for LegacyProvider<'_> {
    fn storage(&mut self, req: &PidRequest) -> Result<StorageRef, LoadError> {
        let tensor = || format!("storage key {}", req.key);
        let nbytes = declared_bytes(req)?;
        let storage = match self.table.existing(req, nbytes)? {
            Some((s, _)) => s,
            None => {
                self.declared = self
                    .declared
                    .saturating_add(nbytes as u64)
                    .saturating_add(8);
                let left = self.file_len.saturating_sub(req.at);
                if self.declared > left {
                    return Err(LoadError::format(
                        format!(
                            "storages declare {} bytes of data but only {left} bytes follow",
                            self.declared
                        ),
                        Location::at(req.at).for_tensor(tensor()),
                    ));
                }
                self.table.charge(nbytes, req)?;
                self.table.add(req, Storage::zeroed(nbytes), false)?
            }
        };
        let Some((_, offset, size)) = &req.view else {
            return Ok(StorageTable::whole(storage, req));
        };
        let es = req.dtype.size() as u64;
        let range = offset
            .checked_mul(es)
            .zip(size.checked_mul(es))
            .and_then(|(o, n)| Some((o, o.checked_add(n)?)));
        match range {
            Some((start, end)) if end <= storage.nbytes() as u64 => Ok(StorageRef {
                byte_offset: start as usize,
                byte_len: (end - start) as usize,
                storage,
                dtype: req.dtype,
            }),
            _ => Err(LoadError::format(
                format!(
                    "storage view (offset {offset}, size {size}) does not fit in the storage of {} bytes",
                    storage.nbytes()
                ),
                Location::at(req.at).for_tensor(tensor()),
            )),
        }
    }
}

fn header_pickle<S: Source + ?Sized>(
    src: &mut S,
    pos: &mut u64,
    opts: &LoadOptions,
) -> Result<Value, LoadError> {
    let mut input = StreamInput::new(src, *pos);
    let v = pickle::unpickle(
        &mut input,
        UnpicklerMode::Restricted,
        false,
        &opts.limits,
        &mut NoStorages,
    )?;
    *pos = pickle::Input::pos(&input);
    Ok(v)
}

/// Loads a legacy checkpoint.
///
/// # Errors
/// Format errors for a bad magic number, protocol, storage list or data section; every
/// other [`LoadError`] kind from the object pickle.
pub(crate) fn load<S: Source + ?Sized>(
    src: &mut S,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut pos = 0u64;
    let magic_ok = matches!(
        header_pickle(src, &mut pos, opts),
        Ok(Value::BigInt(ref b)) if b == &MAGIC
    );
    if !magic_ok {
        return Err(LoadError::format(
            "Invalid magic number; corrupt file? (neither a zip checkpoint nor a legacy one)",
            Location::at(0),
        ));
    }
    let at = pos;
    match header_pickle(src, &mut pos, opts)? {
        Value::Int(PROTOCOL_VERSION) => {}
        other => {
            return Err(LoadError::format(
                format!("Invalid protocol version: {other:?}"),
                Location::at(at),
            ));
        }
    }
    header_pickle(src, &mut pos, opts)?; // sys_info: sizes of C types, not needed
    let file_len = src.len();
    let mut provider = LegacyProvider {
        table: StorageTable::new(opts),
        file_len,
        declared: 0,
    };
    let value = {
        let mut input = StreamInput::new(src, pos);
        let v = pickle::unpickle(&mut input, opts.mode, false, &opts.limits, &mut provider)?;
        pos = pickle::Input::pos(&input);
        v
    };
    let at = pos;
    let keys = match header_pickle(src, &mut pos, opts)? {
        Value::List(k) | Value::Tuple(k) => k,
        other => {
            return Err(LoadError::format(
                format!("storage key list is a {}", other.kind()),
                Location::at(at),
            ));
        }
    };
    let table = provider.table;
    let index: HashMap<&str, usize> = table
        .infos
        .iter()
        .enumerate()
        .map(|(i, info)| (info.key.as_str(), i))
        .collect();
    let mut done = HashSet::new();
    for key in keys {
        let key = match key {
            Value::Str(s) => s,
            Value::Int(i) => i.to_string(),
            other => {
                return Err(LoadError::format(
                    format!("storage key is a {}", other.kind()),
                    Location::at(at),
                ));
            }
        };
        let loc = || Location::at(pos).for_tensor(format!("storage key {key}"));
        let Some(info) = index.get(key.as_str()).and_then(|&i| table.infos.get(i)) else {
            return Err(LoadError::format(
                "the key list names a storage the object never references",
                loc(),
            ));
        };
        if !done.insert(key.clone()) {
            return Err(LoadError::format("storage listed twice", loc()));
        }
        let mut count = [0u8; 8];
        src.read_exact_at(pos, &mut count)
            .map_err(|_| LoadError::format("data section ends before this storage", loc()))?;
        let count = i64::from_le_bytes(count);
        let es = info.dtype.size();
        let expected = info.nbytes / es;
        if u64::try_from(count).ok() != Some(expected as u64) {
            return Err(LoadError::format(
                format!(
                    "element count {count} in the data section, but the object declares {expected}"
                ),
                loc(),
            ));
        }
        let start = pos + 8;
        if start.saturating_add(info.nbytes as u64) > file_len {
            return Err(LoadError::format(
                format!(
                    "storage data ({} bytes) runs past the end of the file",
                    info.nbytes
                ),
                loc(),
            ));
        }
        {
            let mut w = info.storage.write();
            src.read_exact_at(start, &mut w)
                .map_err(|e| LoadError::io(format!("reading storage {key}"), e))?;
            if ByteOrder::native() == ByteOrder::Big {
                swap_bytes(&mut w, info.dtype);
            }
        }
        pos = start + info.nbytes as u64;
    }
    if let Some(missing) = table.infos.iter().find(|i| !done.contains(&i.key)) {
        return Err(LoadError::format(
            "the object references a storage whose data is not in the file",
            Location::at(pos).for_tensor(format!("storage key {}", missing.key)),
        ));
    }
    Ok(Loaded {
        value,
        format: Format::Legacy,
        version: None,
        byteorder: None,
        storages: table.infos,
    })
}
