//! The [`Module`] trait and the visitors through which everything about a module's state
//! is built: names, state dicts, loading, train/eval and printing.

use std::fmt;

use pt_core::{StateDict, Tensor};

use crate::load::{
    IncomingState, IncompatibleKeys, LoadCheckpointError, LoadStateDictError, LoadStateDictOptions,
};
use crate::parameter::Parameter;
use crate::{repr, walk};

/// Receives what a module holds, by shared reference (see [`Module::visit`]).
///
/// The lifetime `'a` is the borrow of the visited module, so a visitor may keep the
/// references it receives (that is how [`Module::named_children`] works).
pub trait Visitor<'a> {
    /// An own parameter (a `None` parameter is not visited).
    fn parameter(&mut self, name: &str, parameter: &'a Parameter);
    /// An own buffer; `persistent` buffers are part of the state dict.
    fn buffer(&mut self, name: &str, buffer: &'a Tensor, persistent: bool);
    /// A direct child module. The visitor decides whether to descend (`child.visit(self)`).
    fn child(&mut self, name: &str, child: &'a dyn Module);
}

/// Receives what a module holds, by mutable reference (see [`Module::visit_mut`]).
pub trait VisitorMut {
    /// An own parameter (a `None` parameter is not visited).
    fn parameter(&mut self, name: &str, parameter: &mut Parameter);
    /// An own buffer; `persistent` buffers are part of the state dict.
    fn buffer(&mut self, name: &str, buffer: &mut Tensor, persistent: bool);
    /// A direct child module. The visitor decides whether to descend (`child.visit_mut(self)`).
    fn child(&mut self, name: &str, child: &mut dyn Module);
}

/// A piece of a neural network with PyTorch's state semantics: named parameters, buffers
/// and child modules, a state dict with PyTorch's keys, and a report-producing
/// [`load_state_dict`](Module::load_state_dict).
///
/// Implementors provide the two visitors (normally through `#[derive(Module)]`) and a type
/// name; everything else is built on them. The visitors must present, in this order, the
/// module's own parameters, its own buffers, then its children, each group in declaration
/// order (the consumers tolerate another order, but printing and key order follow it).
///
/// Computation lives in a separate trait, [`Forward`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Module`",
    label = "not a module",
    note = "a field of a `#[derive(Module)]` struct must be a `Parameter`, `Option<Parameter>`, a `Module` (also `Option<M>`, `Vec<M>`, `IndexMap<String, M>`), or be marked `#[module(buffer)]` (tensors) or `#[module(skip)]` (plain configuration)"
)]
pub trait Module {
    /// Presents own parameters, own buffers and direct children to `visitor`.
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>);

    /// Presents own parameters, own buffers and direct children for mutation.
    fn visit_mut(&mut self, visitor: &mut dyn VisitorMut);

    /// The class name printed in reprs and errors (`Linear`, `MyModule`).
    fn type_name(&self) -> &str;

    /// The module's state-dict format version, recorded in `_metadata` (PyTorch's
    /// `_version`; 1 by default, 2 for BatchNorm).
    fn version(&self) -> i64 {
        1
    }

    /// The text inside the parentheses of this module's repr, before the children
    /// (`in_features=4, out_features=2, bias=True` for Linear). Empty by default.
    fn extra_repr(&self) -> String {
        String::new()
    }

    /// This module's own training flag, if it stores one. Layers whose computation depends
    /// on the mode (BatchNorm, Dropout) do; a container without its own flag reports its
    /// children's (see [`Module::is_training`]).
    fn own_training(&self) -> Option<bool> {
        None
    }

    /// Sets this module's own training flag (not its children's); a no-op for modules that
    /// store none.
    fn set_own_training(&mut self, training: bool) {
        let _ = training;
    }

    /// Adapts an incoming state dict before this module's keys are matched (PyTorch's
    /// version-aware `_load_from_state_dict` override). `prefix` is this module's key
    /// prefix with its trailing dot (`"bn."`, or `""` for the root); `version` is the
    /// `_metadata` version recorded for it, if any. BatchNorm uses it to fill in
    /// `num_batches_tracked` for checkpoints older than version 2.
    fn upgrade_state(&self, prefix: &str, version: Option<i64>, state: &mut IncomingState<'_>) {
        let _ = (prefix, version, state);
    }

    /// Writes the PyTorch-style repr (`Linear(in_features=4, out_features=2, bias=True)`).
    /// Containers with a special repr (ModuleList) override it.
    ///
    /// # Errors
    /// Only those of the formatter.
    fn fmt_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        repr::fmt_module_default(self, f)
    }

    /// A value whose `Display` is the PyTorch-style repr (`print(model)`).
    fn display(&self) -> repr::ModuleDisplay<'_, Self>
    where
        Self: Sized,
    {
        repr::ModuleDisplay(self)
    }

    /// All parameters with dotted names, own first then each child's, pre-order.
    fn named_parameters(&self) -> Vec<(String, Parameter)> {
        walk::named_parameters(self)
    }

    /// All parameters (handles sharing storage), in [`Module::named_parameters`] order.
    fn parameters(&self) -> Vec<Parameter> {
        walk::named_parameters(self)
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// Buffers (persistent or not) with dotted names; only own buffers unless `recurse`.
    fn named_buffers(&self, recurse: bool) -> Vec<(String, Tensor)> {
        walk::named_buffers(self, recurse)
    }

    /// Direct children with their names, in declaration order.
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        walk::named_children(self)
    }

    /// Total number of parameter elements.
    fn num_parameters(&self) -> usize {
        walk::named_parameters(self)
            .iter()
            .map(|(_, p)| p.numel())
            .sum()
    }

    /// The state dict: own parameters, own persistent buffers, then each child's entries
    /// under `name.`, pre-order, with `_metadata[prefix] = {"version": v}` for every module
    /// (the root is `""`). Tensors are detached handles: `requires_grad` false, same storage.
    fn state_dict(&self) -> StateDict {
        walk::state_dict(self)
    }

    /// Sets training mode on this module and every descendant.
    fn train(&mut self, training: bool) {
        walk::train(self, training);
    }

    /// Sets evaluation mode on this module and every descendant (`train(false)`).
    fn eval(&mut self) {
        walk::train(self, false);
    }

    /// This module's training flag: its own if it stores one, otherwise the first flag
    /// found among its descendants (pre-order), otherwise `true` (PyTorch's default).
    fn is_training(&self) -> bool {
        walk::is_training(self)
    }

    /// Loads `state_dict` into this module, PyTorch's `load_state_dict`, with `options`
    /// (strict, assign, key map). Everything is validated first: on error the module is
    /// left unchanged.
    ///
    /// # Errors
    /// [`LoadStateDictError`] listing every problem: missing and unexpected keys (strict
    /// mode), size mismatches, non-tensor values and impossible conversions, with hints
    /// for keys that differ only by a prefix or a small edit.
    fn load_state_dict(
        &mut self,
        state_dict: &StateDict,
        options: &LoadStateDictOptions,
    ) -> Result<IncompatibleKeys, LoadStateDictError> {
        crate::load::load_state_dict(self, state_dict, options)
    }

    /// Opens a checkpoint (any format [`Checkpoint`](pt_core::serialize::Checkpoint) reads:
    /// `.pt`, TorchScript, `.safetensors`, a sharded index or a model directory), finds its
    /// state dict and loads it strictly, returning the report.
    ///
    /// # Errors
    /// [`LoadCheckpointError::Read`] when the file cannot be read or holds no state dict;
    /// [`LoadCheckpointError::Load`] as [`Module::load_state_dict`] (the module unchanged).
    fn load_checkpoint(
        &mut self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<IncompatibleKeys, LoadCheckpointError>
    where
        Self: Sized,
    {
        crate::load::load_checkpoint(self, path.as_ref(), &LoadStateDictOptions::new())
    }

    /// [`Module::load_checkpoint`] with options (non-strict, assign, key map).
    ///
    /// # Errors
    /// As [`Module::load_checkpoint`].
    fn load_checkpoint_with(
        &mut self,
        path: impl AsRef<std::path::Path>,
        options: &LoadStateDictOptions,
    ) -> Result<IncompatibleKeys, LoadCheckpointError>
    where
        Self: Sized,
    {
        crate::load::load_checkpoint(self, path.as_ref(), options)
    }
}

impl dyn Module + '_ {
    /// Every module in the tree with its dotted name, pre-order, the root first as `""`.
    pub fn named_modules(&self) -> Vec<(String, &dyn Module)> {
        let mut out = vec![(String::new(), self)];
        walk::push_descendants(self, "", &mut out);
        out
    }
}

impl fmt::Display for dyn Module + '_ {
    /// The PyTorch-style repr (what [`Module::display`] shows for sized modules).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_repr(f)
    }
}

/// Every module in the tree with its dotted name, pre-order, the root first as `""`
/// (PyTorch's `named_modules()`).
pub fn named_modules<M: Module>(module: &M) -> Vec<(String, &dyn Module)> {
    (module as &dyn Module).named_modules()
}

/// Computation of a module: `forward(input) -> output`, kept apart from [`Module`] (which
/// is about state) so that any struct can implement its own.
pub trait Forward {
    /// Runs the module on `input`.
    ///
    /// # Errors
    /// The tensor errors of the computation (shapes, dtypes).
    fn forward(&self, input: &Tensor) -> pt_core::Result<Tensor>;
}

/// A module that can also run: what a [`Sequential`](crate::Sequential) holds. `Send + Sync`,
/// so a model built from layers can run `forward` from several threads at once.
pub trait Layer: Module + Forward + Send + Sync {}

impl<T: Module + Forward + Send + Sync + ?Sized> Layer for T {}

impl<M: Module + ?Sized> Module for Box<M> {
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
        (**self).visit(visitor);
    }
    fn visit_mut(&mut self, visitor: &mut dyn VisitorMut) {
        (**self).visit_mut(visitor);
    }
    fn type_name(&self) -> &str {
        (**self).type_name()
    }
    fn version(&self) -> i64 {
        (**self).version()
    }
    fn extra_repr(&self) -> String {
        (**self).extra_repr()
    }
    fn own_training(&self) -> Option<bool> {
        (**self).own_training()
    }
    fn set_own_training(&mut self, training: bool) {
        (**self).set_own_training(training);
    }
    fn upgrade_state(&self, prefix: &str, version: Option<i64>, state: &mut IncomingState<'_>) {
        (**self).upgrade_state(prefix, version, state);
    }
    fn fmt_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt_repr(f)
    }
}

impl<F: Forward + ?Sized> Forward for Box<F> {
    fn forward(&self, input: &Tensor) -> pt_core::Result<Tensor> {
        (**self).forward(input)
    }
}

impl<F: Forward + ?Sized> Forward for &F {
    fn forward(&self, input: &Tensor) -> pt_core::Result<Tensor> {
        (**self).forward(input)
    }
}
