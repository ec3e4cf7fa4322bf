//! Writing checkpoints in the current zip layout, atomically for files.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;

use super::error::SaveError;
use super::options::{ByteOrder, SaveOptions};
use super::pickle::writer::{Pickled, pickle};
use super::zip::write::ZipWriter;
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

/// Suffix of the temporary files [`write_atomically`] creates beside their destination.
const TEMP_SUFFIX: &str = ".pt-tmp";

/// What [`write_atomically`] does when the destination already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Replace it, atomically.
    Replace,
    /// Leave it and fail with [`io::ErrorKind::AlreadyExists`] (checked atomically when the
    /// file is moved into place).
    Refuse,
}

/// Writes a file so that `path` only ever holds its old content or the complete new one.
///
/// `write` fills a temporary file in `path`'s folder, named `.<name>.<random>.pt-tmp`; the
/// file is then synced and renamed over `path` (or, with [`Existing::Refuse`], linked into
/// place only if `path` is still absent), and the folder is synced. The temporary file is
/// locked while being written; temporary files of `path` left by a killed process (their
/// lock released) are removed by the next call for the same `path`. If `write` fails the
/// temporary file is removed and `path` is untouched.
///
/// # Errors
/// The error of `write`; [`SaveError::Io`] (converted into `E`) when the temporary file cannot
/// be created, written or synced, when `path` has no file name, or when it cannot be moved
/// into place (kind `AlreadyExists` for an existing `path` with [`Existing::Refuse`]).
pub fn write_atomically<T, E: From<SaveError>>(
    path: impl AsRef<Path>,
    existing: Existing,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>,
) -> Result<T, E> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        SaveError::io(
            format!("saving to {}", path.display()),
            io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
        )
    })?;
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    sweep_stale(dir, &prefix);
    let temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| SaveError::io(format!("creating a temporary file in {}", dir.display()), e))?;
    let shown = temp.path().display().to_string();
    // Held until the file is closed, so a concurrent sweep never takes a live file.
    temp.as_file()
        .lock()
        .map_err(|e| SaveError::io(format!("locking {shown}"), e))?;
    let (file, temp_path) = temp.into_parts();
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let value = write(&mut out)?;
    let file = out
        .into_inner()
        .map_err(|e| SaveError::io(format!("writing {shown}"), e.into_error()))?;
    file.sync_all()
        .map_err(|e| SaveError::io(format!("syncing {shown}"), e))?;
    let temp = tempfile::NamedTempFile::from_parts(file, temp_path);
    let placed = match existing {
        Existing::Replace => temp.persist(path),
        Existing::Refuse => temp.persist_noclobber(path),
    };
    placed.map_err(|e| SaveError::io(format!("moving {shown} to {}", path.display()), e.error))?;
    // Make the rename durable; not every platform can open a folder, which is harmless.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(value)
}

/// Removes the temporary files named `<prefix>…pt-tmp` in `dir` whose writer is gone (their
/// lock can be taken). Best effort: a file that cannot be inspected is left alone.
fn sweep_stale(dir: &Path, prefix: &OsStr) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = prefix.as_encoded_bytes();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let bytes = name.as_encoded_bytes();
        if !(bytes.starts_with(prefix) && bytes.ends_with(TEMP_SUFFIX.as_bytes())) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = OpenOptions::new().read(true).open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Saves `value` to `path` as `torch.save` does, so `torch.load(path, weights_only=True)`
/// reads it. Written through [`write_atomically`]: `path` is never left truncated.
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
    write_atomically(path, Existing::Replace, |out| {
        write_archive(&pickled, &prefix, out, 0, opts)
            .map_err(|e| SaveError::io(format!("writing {}", path.display()), e))?;
        Ok(())
    })
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

/// [`save_writer`] with options: the record folder is `opts.prefix` (default `archive`).
/// With [`write_atomically`], a file of any name can be written with the folder
/// [`record_prefix_for`] its final path.
///
/// # Errors
/// As [`save_writer`].
pub fn save_writer_with<W: Write + Seek>(
    value: &Value,
    mut writer: W,
    opts: &SaveOptions,
) -> Result<W, SaveError> {
    let pickled = pickle(value, &opts.registry, opts.max_nesting)?;
    let start = writer
        .stream_position()
        .map_err(|e| SaveError::io("finding the writer's position", e))?;
    let prefix = opts.prefix.as_deref().unwrap_or("archive");
    write_archive(&pickled, prefix, writer, start, opts)
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

    fn temps(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn atomic_writes_replace_refuse_and_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.pt");
        let put = |bytes: &'static [u8], existing| {
            write_atomically(&path, existing, |w| {
                w.write_all(bytes)
                    .map_err(|e| SaveError::io("test write", e))
            })
        };
        put(b"old", Existing::Replace).unwrap();
        let e = put(b"new", Existing::Refuse).unwrap_err();
        assert!(
            matches!(&e, SaveError::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists)
        );
        assert_eq!(fs::read(&path).unwrap(), b"old");
        // A failing writer leaves the destination and no temporary file behind.
        let failed: Result<(), SaveError> = write_atomically(&path, Existing::Replace, |w| {
            w.write_all(b"partial").unwrap();
            Err(SaveError::InvalidFileName("stop".into()))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert!(temps(dir.path()).is_empty());
        // A temporary file left by a killed writer (no lock held) goes with the next save; a
        // locked one (a live writer) stays.
        let stale = dir.path().join(".w.pt.abc123.pt-tmp");
        fs::write(&stale, b"junk").unwrap();
        let live = dir.path().join(".w.pt.live00.pt-tmp");
        let held = File::create(&live).unwrap();
        held.lock().unwrap();
        put(b"new", Existing::Replace).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(temps(dir.path()), vec![".w.pt.live00.pt-tmp".to_owned()]);
        drop(held);
    }
}
