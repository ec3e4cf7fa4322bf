//! `pt-core`: tensors with PyTorch's aliasing semantics, and checkpoints that interchange
//! with `torch.save` / `torch.load`.
//!
//! * [`Storage`]: shared, mutable bytes; every [`Tensor`] viewing it sees every write.
//! * [`Tensor`]: dtype + shape + stride + offset over a storage; views share storage.
//! * [`DType`]: the element types PyTorch saves.
//! * [`ops`]: constructors, conversions, views, broadcasting arithmetic with PyTorch's type
//!   promotion, reductions and `matmul`, all as `Tensor` methods; `Display` prints PyTorch's
//!   `repr`. [`Scalar`] is a Python-like number, [`Generator`] a seedable PRNG.
#![deny(missing_docs)]

mod display;
pub mod dtype;
pub mod error;
mod kernels;
mod ndarray_interop;
pub mod ops;
pub mod random;
pub mod scalar;
pub mod serialize;
pub mod state_dict;
pub mod storage;
pub mod tensor;
pub mod value;
pub mod value_serde;

pub use dtype::{DType, Element, Pod};
pub use error::{Error, Result};
pub use kernels::{num_threads, set_num_threads};
pub use ops::RoundingMode;
pub use random::Generator;
pub use scalar::Scalar;
pub use state_dict::{ModuleMetadata, StateDict, StateDictError};
pub use storage::Storage;
pub use tensor::Tensor;
pub use value::{Dict, DictKind, Key, Object, Value};
pub use value_serde::SerdeError;

pub use half::{bf16, f16};
pub use num_complex::{Complex32, Complex64};
