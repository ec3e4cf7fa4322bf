//! `pt-core`: tensors with PyTorch's aliasing semantics, and checkpoints that interchange
//! with `torch.save` / `torch.load`.
//!
//! * [`Storage`]: shared, mutable bytes; every [`Tensor`] viewing it sees every write.
//! * [`Tensor`]: dtype + shape + stride + offset over a storage; views share storage.
//! * [`DType`]: the element types PyTorch saves.
#![deny(missing_docs)]

pub mod dtype;
pub mod error;
pub mod state_dict;
pub mod storage;
pub mod tensor;
pub mod value;

pub use dtype::{DType, Element, Pod};
pub use error::{Error, Result};
pub use state_dict::{ModuleMetadata, StateDict, StateDictError};
pub use storage::Storage;
pub use tensor::Tensor;
pub use value::{Dict, DictKind, Key, Object, Value};

pub use half::{bf16, f16};
pub use num_complex::{Complex32, Complex64};
