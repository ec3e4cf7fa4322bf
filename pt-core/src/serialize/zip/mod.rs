//! The zip container of checkpoints: record signatures, a reader, a writer laid out as
//! PyTorch's, and loading a checkpoint from a zip.
//!
//! Our own code rather than the `zip` crate's: the reader takes every offset and size from the
//! central directory and checks it against the source and [`Limits`](super::Limits) before
//! reading, and hands out stored records as byte ranges (what `mmap` loading maps); the writer
//! streams each record straight from its storage with PyTorch's `FB` alignment field.

mod load;
pub(crate) mod read;
mod spec;
pub(crate) mod write;

pub(crate) use load::{ZIP_MAGIC, load, load_mapped};
