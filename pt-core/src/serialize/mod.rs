//! `torch.save` / `torch.load` compatible checkpoints.
//!
//! Reading: zip checkpoints (PyTorch ≥ 1.6; any record folder, stored or deflated records,
//! zip64, big- and little-endian data), legacy checkpoints (≤ 1.5 or
//! `_use_new_zipfile_serialization=False`) and TorchScript archives (their tensors, as a
//! state dict). Writing: the current zip layout, records 64-byte aligned, readable by
//! `torch.load(weights_only=True)`.
//!
//! The unpickler is a machine with PyTorch's `weights_only` allowlist, never an evaluator:
//! other globals are refused ([`LoadError::UnsafeGlobal`]) unless [`UnpicklerMode::Inert`]
//! is asked for, which keeps them as inert records. Every size a file declares is checked
//! against the bytes that exist and against [`Limits`] before anything is allocated.
//!
//! ```
//! use pt_core::serialize::{load_bytes, save_bytes, LoadOptions};
//! use pt_core::{Tensor, Value};
//!
//! let numbers = Tensor::from_slice_1d(&[1i64, 2, 3, 4, 5, 6, 7, 8, 9]);
//! let evens = numbers.with_layout("slice", vec![4], vec![2], 1).unwrap();
//! let bytes = save_bytes(&Value::List(vec![numbers.into(), evens.into()])).unwrap();
//! let loaded = load_bytes(&bytes, &LoadOptions::new()).unwrap().value;
//! let items = loaded.as_seq().unwrap();
//! let (a, b) = (items[0].as_tensor().unwrap(), items[1].as_tensor().unwrap());
//! assert!(a.shares_storage(b)); // views still share one storage
//! ```
//!
//! # Beyond and short of `weights_only`
//! Accepted although PyTorch's `weights_only` loader refuses them, because they only build
//! data: the opcodes of pickle protocols 3–5 (`FRAME`, `SHORT_BINUNICODE`, `STACK_GLOBAL`,
//! `MEMOIZE`, …), protocol 0/1 text integers and memo opcodes, `builtins.bytes` and
//! `builtins.frozenset`, and legacy `torch.Tensor` objects built with `NEWOBJ` + `BUILD`.
//!
//! Refused with [`LoadError::Unsupported`], naming what was found: quantized, sparse, meta,
//! nested and wrapper-subclass tensors; tensors with the conjugate or negative bit; dtypes
//! outside [`DType`](crate::DType) (`complex32`, `qint8`, `float8_e5m2fnuz`, …); the opcodes
//! `EXT1/2/4`, `INST`, `OBJ`, `PERSID`, text `STRING`/`UNICODE` and out-of-band buffers; the
//! pre-0.4 tar format; `mmap` of legacy files, deflated records or records not aligned for
//! their dtype. Python attributes of parameters and tensor subclasses are dropped (their
//! tensor is kept). TorchScript archives give their module's tensors only: `constants.pkl`
//! and the code are never run.
//!
//! Storages always live in host memory: the default [`LocationRegistry`] loads storages
//! tagged `cuda:0`, `mps`, `xpu` or any other device there too (keeping the saved tag in
//! [`StorageInfo::location`]), so files saved on a GPU open with no option.
//! [`LocationRegistry::refusing_devices`] restores PyTorch's refusal; [`MapLocation`] and
//! registered packages still decide first. `meta` storages hold no data and are refused.
//!
//! # Opening checkpoints
//! [`Checkpoint::open`] takes any path — a `torch.save` file, a TorchScript archive, a
//! `.safetensors` file, a sharded model's `*.index.json` or a directory holding one — and
//! gives the value, the state dict, single entries and the [`describe`] table.
//! [`load`] is its shorthand for the whole value; [`load_bytes`] and [`load_reader`] read a
//! `torch.save` file held in memory or behind a reader.

mod checkpoint;
mod describe;
mod error;
mod legacy;
mod limits;
mod loaded;
mod module_state;
mod options;
mod pickle;
mod safetensors;
mod save;
pub mod scan;
mod source;
mod storages;
mod torchscript;
mod torchscript_archive;
mod zip;

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

pub use checkpoint::Checkpoint;
pub use describe::{Entry, describe, describe_value};
pub use error::{FormatError, LoadError, Location, SaveError};
pub use limits::Limits;
pub use loaded::{Format, Loaded, StorageInfo};
pub use module_state::module_state_dict;
pub use options::{
    ByteOrder, Deserializer, LoadEndianness, LoadOptions, LocationFn, LocationRegistry,
    MapLocation, SaveOptions, StorageTag, Tagger, UnpicklerMode, get_default_load_endianness,
    set_default_load_endianness,
};
pub use safetensors::{
    ShardedIndex, is_safetensors_path, load_safetensors, save_safetensors, save_safetensors_sharded,
};
pub use save::{
    Existing, record_prefix_for, save, save_bytes, save_bytes_with, save_state_dict, save_with,
    save_writer, save_writer_with, write_atomically,
};
pub use scan::{GlobalUse, PickleScan, ScanReport, scan_bytes, scan_file};
pub use torchscript_archive::{
    TorchScriptArchive, load_torchscript_archive, load_torchscript_archive_bytes,
};
#[doc(hidden)]
pub use zip::read_all_records as __bench_zip_read_all_records;

use crate::value::Value;
use source::{FileSource, ReadAhead, SeekSource, SliceSource, Source};

fn load_source<S: Source + ?Sized>(src: &mut S, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    if opts.mmap {
        return Err(LoadError::unsupported(
            "mmap without a file path (open the path with Checkpoint::open_with)",
            Location::none(),
        ));
    }
    let mut head = [0u8; 4];
    let is_zip =
        src.len() >= 4 && src.read_exact_at(0, &mut head).is_ok() && &head == zip::ZIP_MAGIC;
    if is_zip {
        zip::load(src, opts)
    } else if !legacy::starts_with_magic(src) && legacy::is_tar(src) {
        Err(LoadError::unsupported(
            "the pre-0.4 tar checkpoint format (members storages/tensors/pickle); PyTorch refuses it under weights_only too — re-save it with a current PyTorch",
            Location::none(),
        ))
    } else {
        legacy::load(src, opts)
    }
}

/// Loads a `torch.save` file or TorchScript archive (not safetensors) from a path.
pub(crate) fn load_file(path: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let file =
        File::open(path).map_err(|e| LoadError::io(format!("opening {}", path.display()), e))?;
    if opts.mmap {
        return zip::load_mapped(&file, opts);
    }
    let mut src = ReadAhead::new(
        FileSource::new(file)
            .map_err(|e| LoadError::io(format!("reading {}", path.display()), e))?,
    );
    load_source(&mut src, opts)
}

/// Loads any checkpoint path with default options, like `torch.load(path,
/// weights_only=True, map_location="cpu")`: shorthand for
/// [`Checkpoint::open`]`(path)?.`[`into_value()`](Checkpoint::into_value).
///
/// # Errors
/// As [`Checkpoint::open`].
pub fn load(path: impl AsRef<Path>) -> Result<Value, LoadError> {
    Checkpoint::open(path)?.into_value()
}

/// Loads a `torch.save` file (zip or legacy) or TorchScript archive held in memory.
///
/// # Errors
/// Every [`LoadError`] kind for bad or unsupported content; `mmap` is refused (it needs a
/// path: use [`Checkpoint::open_with`]).
pub fn load_bytes(bytes: &[u8], opts: &LoadOptions) -> Result<Loaded, LoadError> {
    load_source(&mut SliceSource(bytes), opts)
}

/// [`load_bytes`] from any `Read + Seek`.
///
/// # Errors
/// As [`load_bytes`], plus [`LoadError::Io`] when reading fails.
pub fn load_reader<R: Read + Seek>(reader: R, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let mut src = ReadAhead::new(
        SeekSource::new(reader).map_err(|e| LoadError::io("seeking the reader", e))?,
    );
    load_source(&mut src, opts)
}
