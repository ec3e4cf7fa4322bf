//! `pt`: PyTorch-compatible modules and checkpoints in pure Rust.
//!
//! This crate is a facade over [`pt_core`] (tensors and serialization), [`pt_nn`]
//! (modules and layers) and `pt-derive` (`#[derive(Module)]`, re-exported next to the
//! trait as `pt::nn::Module`, like serde's derives).
//!
//! ```
//! use pt::nn::{Module, Parameter};
//! use pt::core::Tensor;
//!
//! #[derive(Module)]
//! struct Affine {
//!     weight: Parameter,
//!     bias: Option<Parameter>,
//! }
//!
//! let m = Affine { weight: Parameter::new(Tensor::from_slice_1d(&[1.0f32])), bias: None };
//! assert_eq!(m.state_dict().keys().collect::<Vec<_>>(), ["weight"]);
//! ```

pub use pt_core as core;
pub use pt_jit as jit;
pub use pt_nn as nn;

/// The names most programs use.
pub mod prelude {
    pub use pt_core::{DType, StateDict, Tensor};
    pub use pt_nn::{Forward, KeyMap, LoadStateDictOptions, Module, Parameter};
}

// The README's Rust examples compile as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
