//! `pt`: PyTorch-compatible modules and checkpoints in pure Rust.
//!
//! This crate is a facade over [`pt_core`] (tensors and serialization),
//! [`pt_nn`] (modules and layers) and `pt-derive` (`#[derive(Module)]`).

pub use pt_core as core;
pub use pt_nn as nn;
