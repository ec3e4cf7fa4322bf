//! Writing checkpoints in the current zip layout, atomically for files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::SaveError;
use super::options::{ByteOrder, SaveOptions};
use super::pickle::writer::{Pickled, pickle};
use super::zip_write::ZipWriter;
use crate::state_dict::StateDict;
use crate::value::Value;

/// Data alignment of every record, as PyTorch's default `storage_alignment`.
const ALIGNMENT: u64 = 64;

/// The record folder PyTorch derives from a path: the file name minus its last extension
/// (`my.model.tar` → `my.model`); `archive` for non-ASCII names.
///
/// # Errors
/// [`SaveError::InvalidFileName`] when that folder would be empty (`.hidden`, `dir/`).
pub fn record_prefix_for(path: &Path) -> Result<String, SaveError> {
    let Some(name) = path.file_name() else {
        return Err(SaveError::InvalidFileName(path.display().to_string()));
    };
    let Some(name) = name.to_str().filter(|n| n.is_ascii()) else {
        return Ok("archive".to_owned());
    };
    let stem = match name.rfind('.') {
        Some(i) => name.get(..i).unwrap_or_default(),
        None => name,
    };
    if stem.is_empty() {
        return Err(SaveError::InvalidFileName(name.to_owned()));
    }
    Ok(stem.to_owned())
}

/// A 40-digit id like PyTorch's `.data/serialization_id`: a hash of the record names and a
/// combination of their CRCs (informational only).
fn serialization_id<'a>(records: impl Iterator<Item = (&'a str, u32)>) -> String {
    let mut names: u64 = 0xcbf2_9ce4_8422_2325;
    let mut crcs = crc32fast::Hasher::new();
    for (name, crc) in records {
        for b in name.bytes() {
            names = (names ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        crcs.update(&crc.to_le_bytes());
    }
    let crc = u64::from(crcs.finalize()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("{names:020}{crc:020}")
}

fn write_archive<W: Write>(
    p: &Pickled,
    prefix: &str,
    out: W,
    start: u64,
    opts: &SaveOptions,
) -> io::Result<W> {
    let mut z = ZipWriter::new(out, start, prefix, ALIGNMENT, opts.zip64_threshold);
    z.add("data.pkl", &p.data)?;
    z.add(".format_version", b"1")?;
    z.add(".storage_alignment", ALIGNMENT.to_string().as_bytes())?;
    if opts.byteorder_record {
        z.add("byteorder", ByteOrder::native().as_str().as_bytes())?;
    }
    for e in &p.storages {
        let bytes = e.storage.read();
        let data = bytes.get(..e.nbytes).unwrap_or_default();
        z.add(&format!("data/{}", e.key), data)?;
    }
    z.add("version", b"3\n")?;
    let id = serialization_id(z.crcs());
    z.add(".data/serialization_id", id.as_bytes())?;
    z.finish()
}

/// Saves `value` to `path` with default options (see [`save_with`]).
///
/// # Errors
/// As [`save_with`].
pub fn save(value: &Value, path: impl AsRef<Path>) -> Result<(), SaveError> {
    save_with(value, path, &SaveOptions::default())
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temporary file unless disarmed.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Saves `value` to `path` as `torch.save` does, so `torch.load(path, weights_only=True)`
/// reads it. The file is written to a temporary file in the same directory, synced, then
/// renamed over `path`: `path` is never left truncated.
///
/// # Errors
/// [`SaveError::InvalidFileName`] for a path whose record folder would be empty;
/// the value errors of [`save_bytes`]; [`SaveError::Io`] if writing fails.
pub fn save_with(
    value: &Value,
    path: impl AsRef<Path>,
    opts: &SaveOptions,
) -> Result<(), SaveError> {
    let path = path.as_ref();
    let prefix = match &opts.prefix {
        Some(p) => p.clone(),
        None => record_prefix_for(path)?,
    };
    let pickled = pickle(value, &opts.registry, opts.max_nesting)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| SaveError::InvalidFileName(path.display().to_string()))?;
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = TempFile {
        path: dir.join(format!(".{name}.{}.{n}.tmp", std::process::id())),
        armed: true,
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp.path)
        .map_err(|e| SaveError::io(format!("creating {}", temp.path.display()), e))?;
    let out = BufWriter::with_capacity(1 << 20, file);
    let out = write_archive(&pickled, &prefix, out, 0, opts)
        .map_err(|e| SaveError::io(format!("writing {}", temp.path.display()), e))?;
    let file: File = out
        .into_inner()
        .map_err(|e| SaveError::io(format!("writing {}", temp.path.display()), e.into_error()))?;
    file.sync_all()
        .map_err(|e| SaveError::io(format!("syncing {}", temp.path.display()), e))?;
    drop(file);
    fs::rename(&temp.path, path)
        .map_err(|e| SaveError::io(format!("renaming to {}", path.display()), e))?;
    temp.armed = false;
    // Make the rename durable; not every platform can open a directory, which is harmless.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes `value` as a checkpoint into `writer` (record folder `archive`, as PyTorch uses for
/// file objects), starting at its current position.
///
/// # Errors
/// The value errors of [`save_bytes`]; [`SaveError::Io`] if writing fails.
pub fn save_writer<W: Write + Seek>(value: &Value, mut writer: W) -> Result<W, SaveError> {
    let pickled = pickle(value, &SaveOptions::default().registry, 1000)?;
    let start = writer
        .stream_position()
        .map_err(|e| SaveError::io("finding the writer's position", e))?;
    write_archive(&pickled, "archive", writer, start, &SaveOptions::default())
        .map_err(|e| SaveError::io("writing the archive", e))
}

/// The bytes of `value` saved as a checkpoint (record folder `archive`).
///
/// # Errors
/// [`SaveError::Unsupported`] for inert objects and over-deep values,
/// [`SaveError::SharedStorageDtype`] for one storage viewed with two dtypes.
pub fn save_bytes(value: &Value) -> Result<Vec<u8>, SaveError> {
    save_bytes_with(value, &SaveOptions::default())
}

/// [`save_bytes`] with options (the record folder defaults to `archive`).
///
/// # Errors
/// As [`save_bytes`].
pub fn save_bytes_with(value: &Value, opts: &SaveOptions) -> Result<Vec<u8>, SaveError> {
    let pickled = pickle(value, &opts.registry, opts.max_nesting)?;
    let prefix = opts.prefix.as_deref().unwrap_or("archive");
    write_archive(&pickled, prefix, Vec::new(), 0, opts)
        .map_err(|e| SaveError::io("writing to memory", e))
}

/// Saves a state dict (an `OrderedDict` with its `_metadata`), as `torch.save(model.state_dict())`.
///
/// # Errors
/// As [`save`].
pub fn save_state_dict(state_dict: &StateDict, path: impl AsRef<Path>) -> Result<(), SaveError> {
    save(&state_dict.to_value(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_follow_pytorch() {
        let p = |s: &str| record_prefix_for(Path::new(s));
        assert_eq!(p("dir/my.model.tar").unwrap(), "my.model");
        assert_eq!(p("model").unwrap(), "model");
        assert_eq!(p("x/w.pt").unwrap(), "w");
        assert_eq!(p("ünï.pt").unwrap(), "archive");
        assert!(matches!(p(".hidden"), Err(SaveError::InvalidFileName(_))));
    }

    #[test]
    fn serialization_ids_have_40_digits() {
        let id = serialization_id([("a/data.pkl", 5u32)].into_iter());
        assert_eq!(id.len(), 40);
        assert!(id.bytes().all(|b| b.is_ascii_digit()));
    }
}
