//! Errors of loading, compiling and running TorchScript, each with where it happened.

use std::fmt;

use pt_core::serialize::LoadError;

/// A place in the archive's code: record, line (1-based) and the line's text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceLocation {
    /// The code record (`code/__torch__.py`).
    pub file: String,
    /// Line number, 1-based.
    pub line: u32,
    /// The line's text, trimmed.
    pub text: String,
    /// The original Python source line from the debug records, when the archive has them.
    pub original: Option<String>,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: `{}`", self.file, self.line, self.text)?;
        if let Some(o) = &self.original {
            write!(f, " (from Python: {o})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong with a TorchScript archive.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// The archive's records could not be read.
    #[error(transparent)]
    Load(Box<LoadError>),
    /// The code could not be parsed.
    #[error("syntax error at {at}: {message}")]
    Syntax {
        /// What was expected.
        message: String,
        /// Where.
        at: Box<SourceLocation>,
    },
    /// A name, class or method the code refers to does not exist.
    #[error("{message} at {at}")]
    Resolve {
        /// What is missing.
        message: String,
        /// Where.
        at: Box<SourceLocation>,
    },
    /// An operator the code calls is not in pt-jit's table.
    #[error("operator {name} is not supported (called at {at})")]
    MissingOperator {
        /// Schema name, `aten::stft`.
        name: String,
        /// Where it is called.
        at: Box<SourceLocation>,
    },
    /// The code raised an exception (`ops.prim.RaiseException`).
    #[error("{kind}: {message} (raised at {at})")]
    Raised {
        /// Python exception class (`builtins.ValueError`).
        kind: String,
        /// The message.
        message: String,
        /// Where.
        at: Box<SourceLocation>,
    },
    /// An operator or statement failed at run time.
    #[error("{message} at {at}")]
    Runtime {
        /// What failed.
        message: String,
        /// Where.
        at: Box<SourceLocation>,
    },
    /// A call from Rust with wrong arguments, or an unknown method or attribute.
    #[error("{0}")]
    Usage(String),
}

impl From<LoadError> for JitError {
    fn from(e: LoadError) -> JitError {
        JitError::Load(Box::new(e))
    }
}

/// Result alias.
pub type Result<T, E = JitError> = std::result::Result<T, E>;

/// An operator's failure before the interpreter adds the source location.
#[derive(Debug)]
pub(crate) struct OpError(pub String);

impl From<pt_core::Error> for OpError {
    fn from(e: pt_core::Error) -> OpError {
        OpError(e.to_string())
    }
}

impl From<String> for OpError {
    fn from(s: String) -> OpError {
        OpError(s)
    }
}

impl From<&str> for OpError {
    fn from(s: &str) -> OpError {
        OpError(s.to_owned())
    }
}

/// Operator result.
pub(crate) type OpResult<T> = std::result::Result<T, OpError>;
