//! `pt-jit`: a TorchScript runtime. Loads archives written by `torch.jit.save` (scripted or
//! traced) and runs their methods in Rust, without Python or libtorch.
//!
//! Pipeline: archive records ([`pt_core::serialize::load_torchscript_archive`]) → the module
//! object tree and code → lexer → parser (AST with lines) → compiler (names to slots,
//! operators chosen from the table once, upgraders by archive version) → interpreter.
//!
//! ```no_run
//! use pt_jit::{load, Value};
//! use pt_core::Tensor;
//!
//! let m = load("model.pt")?;
//! let y = m.forward(vec![Value::Tensor(Tensor::from_slice_1d(&[1.0f32, 2.0]))])?;
//! println!("{y}");
//! # Ok::<(), pt_jit::JitError>(())
//! ```
#![deny(missing_docs)]

mod ast;
mod compile;
mod debug;
mod error;
mod interp;
mod lexer;
mod module;
mod ops;
mod parser;
mod program;
mod value;

pub use error::{JitError, Result, SourceLocation};
pub use module::{MethodInfo, ScriptModule, convert, load, to_checkpoint_value};
pub use ops::operators;
pub use value::{Dict, DictKey, List, Object, Value};
