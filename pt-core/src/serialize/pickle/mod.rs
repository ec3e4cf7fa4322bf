//! Pickle: a restricted unpickling machine (never an evaluator) and a protocol-2 pickler
//! that writes what Python's pickler writes for the same objects.

mod convert;
mod globals;
mod input;
mod machine;
mod memo;
mod numbers;
mod numpy;
pub(crate) mod opcodes;
mod persistent;
mod rebuild;
mod reduce;
pub(crate) mod writer;

pub(crate) use globals::{Global, resolve};
pub use globals::{add_safe_globals, clear_safe_globals, get_safe_globals};
pub(crate) use input::{Input, SliceInput, StreamInput};
pub(crate) use machine::{PidRequest, StorageProvider, StorageRef};

use machine::Machine;

use super::error::LoadError;
use super::limits::Limits;
use super::options::UnpicklerMode;
use crate::value::Value;

/// Unpickles one pickle from `input` (up to its STOP), asking `provider` for storages.
///
/// `torchscript` additionally admits the `__torch__.*` classes and `torch.jit._pickle`
/// helpers of TorchScript archives.
///
/// # Errors
/// Every error kind of [`LoadError`], located at the opcode's byte offset.
pub(crate) fn unpickle<I: Input>(
    input: &mut I,
    mode: UnpicklerMode,
    torchscript: bool,
    limits: &Limits,
    provider: &mut dyn StorageProvider,
) -> Result<Value, LoadError> {
    let mut m = Machine::new(mode, torchscript, limits, provider);
    let root = m.run(input)?;
    m.into_value(root)
}
