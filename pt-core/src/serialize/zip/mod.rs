//! The zip container of checkpoints: record signatures, a reader, a writer laid out as
//! PyTorch's, and loading a checkpoint from a zip.
//!
//! Our own code rather than the `zip` crate's, for what the loader needs from a reader, not for
//! speed: `examples/zip_read_bench.rs` (every record read into a `Vec`, CRC-checked) finds the
//! crate as fast or faster (ours ran at 0.7–0.9× its speed, large and small records alike).
//! The loader reads each stored record straight into its final storage or maps it by its data
//! offset (`mmap`), over our `Source` (positional reads of a file, bytes or any
//! `Read + Seek`), with every offset and size from the central directory checked against the
//! source and [`Limits`](super::Limits) and errors naming the record and byte. The writer lays records out
//! as PyTorch's `PyTorchStreamWriter` does (`FB` alignment field, data descriptors, a zip64
//! end record always), streaming each straight from its storage.

mod load;
pub(crate) mod read;
mod spec;
pub(crate) mod write;

pub(crate) use load::{ZIP_MAGIC, load, load_mapped};

/// Reads every record of the zip in `bytes` into its own `Vec`, CRC-checked; returns the
/// bytes read. Only for `examples/zip_read_bench.rs`, which times it against the `zip` crate
/// doing the same.
///
/// # Errors
/// The reader's format and limit errors.
#[doc(hidden)]
pub fn read_all_records(bytes: &[u8]) -> Result<usize, super::LoadError> {
    let mut src = super::SliceSource(bytes);
    let limits = super::Limits::default();
    let zip = read::ZipArchive::open(&mut src, &limits)?;
    let names: Vec<String> = zip.names().map(str::to_owned).collect();
    let mut total = 0;
    for name in names {
        let record = zip.read_record(&mut src, &name, u64::MAX, "bench", true)?;
        total += record.map_or(0, |r| r.len());
    }
    Ok(total)
}
