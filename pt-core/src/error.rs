//! Errors of tensor construction and tensor operations.

use crate::dtype::DType;

/// An error from a tensor operation: the operation's name and what was wrong.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A (shape, stride, offset) that would reach outside its storage, or overflow.
    #[error(
        "{op}: view with shape {shape:?}, stride {stride:?}, offset {offset} does not fit in a storage of {storage_nbytes} bytes of {dtype}"
    )]
    OutOfBounds {
        /// The operation that built the view.
        op: &'static str,
        /// Requested shape.
        shape: Vec<usize>,
        /// Requested stride, in elements.
        stride: Vec<usize>,
        /// Requested storage offset, in elements.
        offset: usize,
        /// Bytes the storage holds.
        storage_nbytes: usize,
        /// Element type of the view.
        dtype: DType,
    },
    /// Shapes that do not agree (element count, broadcasting, matmul, …).
    #[error("{op}: shape mismatch: {detail}")]
    Shape {
        /// The operation.
        op: &'static str,
        /// What disagreed, with both shapes.
        detail: String,
    },
    /// An element type the operation does not accept.
    #[error("{op}: unsupported dtype {dtype}{detail}")]
    DType {
        /// The operation.
        op: &'static str,
        /// The offending dtype.
        dtype: DType,
        /// Extra context, starting with a separator, or empty.
        detail: String,
    },
    /// An argument out of its domain (dimension index, step, range, …).
    #[error("{op}: {detail}")]
    Argument {
        /// The operation.
        op: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Argument`].
    pub fn argument(op: &'static str, detail: impl Into<String>) -> Error {
        Error::Argument {
            op,
            detail: detail.into(),
        }
    }

    /// Shorthand for [`Error::Shape`].
    pub fn shape(op: &'static str, detail: impl Into<String>) -> Error {
        Error::Shape {
            op,
            detail: detail.into(),
        }
    }

    /// Shorthand for [`Error::DType`] without extra detail.
    pub fn dtype(op: &'static str, dtype: DType) -> Error {
        Error::DType {
            op,
            dtype,
            detail: String::new(),
        }
    }
}

/// Result of a tensor operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
