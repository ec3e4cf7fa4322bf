//! Loading a checkpoint file into a module in one call.

use std::path::{Path, PathBuf};

use pt_core::serialize::{Checkpoint, LoadError};

use super::{IncompatibleKeys, LoadStateDictError, LoadStateDictOptions};
use crate::module::Module;

/// Why [`Module::load_checkpoint`] failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LoadCheckpointError {
    /// The file could not be read, or holds no state dict.
    #[error("reading {}: {source}", path.display())]
    Read {
        /// The path given.
        path: PathBuf,
        /// What the reader said (boxed: it is large).
        #[source]
        source: Box<LoadError>,
    },
    /// The state dict does not fit the module (the module is unchanged).
    #[error("loading {} into the module: {source}", path.display())]
    Load {
        /// The path given.
        path: PathBuf,
        /// Every problem found.
        #[source]
        source: LoadStateDictError,
    },
}

pub(crate) fn load_checkpoint<M: Module + ?Sized>(
    module: &mut M,
    path: &Path,
    options: &LoadStateDictOptions,
) -> Result<IncompatibleKeys, LoadCheckpointError> {
    let read = |source| LoadCheckpointError::Read {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    let sd = Checkpoint::open(path)
        .and_then(|c| c.state_dict())
        .map_err(read)?;
    module
        .load_state_dict(&sd, options)
        .map_err(|source| LoadCheckpointError::Load {
            path: path.to_path_buf(),
            source,
        })
}
