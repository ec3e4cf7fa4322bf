//! Errors of loading and saving, grouped by cause. Every error says where it happened.

use std::fmt;
use std::io;

use crate::state_dict::StateDictError;

/// Where in a file something went wrong: any of the record, the pickle byte offset and the
/// tensor (storage key or dotted path) that were being read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The archive record (`archive/data.pkl`, `archive/data/3`), if any.
    pub record: Option<Box<str>>,
    /// Byte offset inside the pickle, or inside the file for legacy and zip structures.
    pub offset: Option<u64>,
    /// The tensor being built: its storage key or dotted path.
    pub tensor: Option<Box<str>>,
}

impl Location {
    /// No location.
    pub fn none() -> Location {
        Location::default()
    }

    /// In a record.
    pub fn record(record: impl Into<String>) -> Location {
        Location {
            record: Some(record.into().into_boxed_str()),
            ..Location::default()
        }
    }

    /// At a byte offset.
    pub fn at(offset: u64) -> Location {
        Location {
            offset: Some(offset),
            ..Location::default()
        }
    }

    /// Adds the record, keeping a record already set.
    pub fn in_record(mut self, record: &str) -> Location {
        if self.record.is_none() {
            self.record = Some(record.into());
        }
        self
    }

    /// Adds the tensor, keeping a tensor already set.
    pub fn for_tensor(mut self, tensor: impl Into<String>) -> Location {
        if self.tensor.is_none() {
            self.tensor = Some(tensor.into().into_boxed_str());
        }
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(r) = &self.record {
            parts.push(format!("record `{r}`"));
        }
        if let Some(o) = self.offset {
            parts.push(format!("byte {o}"));
        }
        if let Some(t) = &self.tensor {
            parts.push(format!("tensor {t}"));
        }
        if parts.is_empty() {
            Ok(())
        } else {
            write!(f, " (at {})", parts.join(", "))
        }
    }
}

/// A malformed file: what was expected, what was found, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    message: String,
    location: Location,
}

impl FormatError {
    /// The description of the problem, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the problem is.
    pub fn location(&self) -> &Location {
        &self.location
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.message, self.location)
    }
}

/// An error from loading a checkpoint.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading failed.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file is malformed (truncated, inconsistent sizes, bad pickle, …).
    #[error("malformed checkpoint: {0}")]
    Format(FormatError),
    /// A valid construct this library does not handle (dtype, layout, opcode, compression).
    #[error("unsupported: {what}{location}")]
    Unsupported {
        /// What is not supported, by name.
        what: String,
        /// Where it was met.
        location: Location,
    },
    /// A size or count over one of the configured [`Limits`](super::Limits).
    #[error("limit exceeded: {limit} = {value} is over the maximum {max}{location}")]
    Limit {
        /// The limit's field name in [`Limits`](super::Limits).
        limit: &'static str,
        /// The value met.
        value: u64,
        /// The configured maximum.
        max: u64,
        /// Where it was met.
        location: Location,
    },
    /// The pickle names a global outside the allowlist (as PyTorch's `weights_only=True`).
    #[error("refused global `{module}.{name}`: {hint}{location}")]
    UnsafeGlobal {
        /// Module of the global (`posix`).
        module: String,
        /// Name of the global (`system`).
        name: String,
        /// What to do about it.
        hint: String,
        /// Where it was met.
        location: Location,
    },
    /// A storage's location tag cannot be restored (unknown tag, CUDA on a CPU-only build).
    #[error("storage {key}: {message}")]
    Location {
        /// The storage key.
        key: String,
        /// The location tag after `map_location`.
        tag: String,
        /// PyTorch's message for this case.
        message: String,
    },
    /// The loaded value holds no state dict where one was asked for.
    #[error(transparent)]
    StateDict(#[from] StateDictError),
}

impl LoadError {
    /// A format error.
    pub(crate) fn format(message: impl Into<String>, location: Location) -> LoadError {
        LoadError::Format(FormatError {
            message: message.into(),
            location,
        })
    }

    /// An unsupported-construct error.
    pub(crate) fn unsupported(what: impl Into<String>, location: Location) -> LoadError {
        LoadError::Unsupported {
            what: what.into(),
            location,
        }
    }

    /// An I/O error with context.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> LoadError {
        LoadError::Io {
            context: context.into(),
            source,
        }
    }

    /// Adds the record to the location, if the error has one without a record.
    pub(crate) fn in_record(self, record: &str) -> LoadError {
        self.map_location(|l| l.in_record(record))
    }

    /// Adds the tensor to the location, if the error has one without a tensor.
    pub(crate) fn for_tensor(self, tensor: &str) -> LoadError {
        self.map_location(|l| l.for_tensor(tensor))
    }

    fn map_location(self, f: impl FnOnce(Location) -> Location) -> LoadError {
        match self {
            LoadError::Format(FormatError { message, location }) => {
                LoadError::Format(FormatError {
                    message,
                    location: f(location),
                })
            }
            LoadError::Unsupported { what, location } => LoadError::Unsupported {
                what,
                location: f(location),
            },
            LoadError::Limit {
                limit,
                value,
                max,
                location,
            } => LoadError::Limit {
                limit,
                value,
                max,
                location: f(location),
            },
            LoadError::UnsafeGlobal {
                module,
                name,
                hint,
                location,
            } => LoadError::UnsafeGlobal {
                module,
                name,
                hint,
                location: f(location),
            },
            other => other,
        }
    }

    /// The location, for errors that carry one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            LoadError::Format(e) => Some(&e.location),
            LoadError::Unsupported { location, .. }
            | LoadError::Limit { location, .. }
            | LoadError::UnsafeGlobal { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// An error from saving a checkpoint.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Writing failed (the destination is left untouched).
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being written.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A value PyTorch's `weights_only` loader could not read back, or that this writer
    /// cannot express (inert objects, over-deep nesting, attributes on a plain dict).
    #[error("cannot save {what} at `{path}`")]
    Unsupported {
        /// What cannot be saved.
        what: String,
        /// Dotted path of the value (`""` for the root).
        path: String,
    },
    /// Two tensors view one storage with different dtypes (PyTorch refuses this too).
    #[error(
        "Cannot save multiple tensors or storages that view the same data as different types: `{first_path}` is {first} but `{path}` is {second}"
    )]
    SharedStorageDtype {
        /// Path of the first tensor seen on the storage.
        first_path: String,
        /// Its dtype name.
        first: &'static str,
        /// Path of the conflicting tensor.
        path: String,
        /// Its dtype name.
        second: &'static str,
    },
    /// No tagger gave a location for a storage.
    #[error("no location tagger accepted the storage of `{path}`")]
    NoLocation {
        /// Path of the tensor.
        path: String,
    },
    /// The destination's file name gives an empty record prefix (PyTorch: `invalid file name`).
    #[error("invalid file name `{0}`: its stem, used as the archive folder, is empty")]
    InvalidFileName(String),
}

impl SaveError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> SaveError {
        SaveError::Io {
            context: context.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_render_and_merge() {
        let e = LoadError::format("bad", Location::at(7)).in_record("a/data.pkl");
        assert_eq!(
            e.to_string(),
            "malformed checkpoint: bad (at record `a/data.pkl`, byte 7)"
        );
        let e = e.for_tensor("storage 3").in_record("other");
        assert_eq!(e.location().unwrap().tensor.as_deref(), Some("storage 3"));
        assert_eq!(e.location().unwrap().record.as_deref(), Some("a/data.pkl"));
    }
}
