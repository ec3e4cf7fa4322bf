//! `load_state_dict`: validate everything, report every problem, then apply.
//!
//! Unlike PyTorch, loading is transactional: the first pass only reads the module and
//! stages converted tensors; the module is written only when nothing failed.

mod checkpoint;
mod convert;
mod hints;
mod keymap;
mod report;

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use pt_core::{StateDict, Tensor, Value};

pub use checkpoint::LoadCheckpointError;
pub use keymap::KeyMap;
pub use report::{Hint, IncompatibleKeys, LoadFailure, LoadProblem, LoadStateDictError};

pub(crate) use checkpoint::load_checkpoint;
pub(crate) use convert::write_into;
pub(crate) use report::py_str;

use crate::module::{Module, VisitorMut};
use crate::parameter::Parameter;
use crate::walk::contents;

/// How [`Module::load_state_dict`] matches and installs tensors.
#[derive(Clone, Debug)]
pub struct LoadStateDictOptions {
    /// Missing and unexpected keys are errors (PyTorch's `strict=True`, the default).
    /// Size mismatches and non-tensor values are errors either way.
    pub strict: bool,
    /// Install the checkpoint's tensors themselves (their dtype and storage) instead of
    /// copying into the module's (PyTorch's `assign=True`); parameters keep the module's
    /// `requires_grad`.
    pub assign: bool,
    /// Renames applied to checkpoint keys (and `_metadata` prefixes) before matching.
    pub key_map: KeyMap,
}

impl Default for LoadStateDictOptions {
    fn default() -> LoadStateDictOptions {
        LoadStateDictOptions::new()
    }
}

impl LoadStateDictOptions {
    /// Strict, copying, no key map: PyTorch's defaults.
    pub fn new() -> LoadStateDictOptions {
        LoadStateDictOptions {
            strict: true,
            assign: false,
            key_map: KeyMap::new(),
        }
    }

    /// Non-strict loading: missing and unexpected keys are only reported.
    pub fn non_strict() -> LoadStateDictOptions {
        LoadStateDictOptions::new().strict(false)
    }

    /// Sets [`LoadStateDictOptions::strict`].
    pub fn strict(mut self, strict: bool) -> LoadStateDictOptions {
        self.strict = strict;
        self
    }

    /// Sets [`LoadStateDictOptions::assign`].
    pub fn assign(mut self, assign: bool) -> LoadStateDictOptions {
        self.assign = assign;
        self
    }

    /// Sets the [`KeyMap`].
    pub fn key_map(mut self, key_map: KeyMap) -> LoadStateDictOptions {
        self.key_map = key_map;
        self
    }
}

/// The incoming entries as a module's [`Module::upgrade_state`] hook sees them: full
/// dotted keys in the model's naming (after the key map).
#[derive(Debug)]
pub struct IncomingState<'s> {
    entries: &'s mut IndexMap<String, Value>,
}

impl IncomingState<'_> {
    /// The value under the full key `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Inserts or replaces the value under `key`.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.entries.insert(key.into(), value);
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.entries.shift_remove(key)
    }

    /// All keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// One module of the tree, as the matching of keys needs it.
struct Node {
    local: HashSet<String>,
    children: HashMap<String, usize>,
}

/// Everything the validation pass learns.
struct Pass {
    entries: IndexMap<String, Value>,
    versions: HashMap<String, i64>,
    assign: bool,
    nodes: Vec<Node>,
    missing: Vec<String>,
    missing_shapes: HashMap<String, Vec<usize>>,
    problems: Vec<report::LoadProblem>,
    staged: HashMap<String, Tensor>,
}

pub(crate) fn load_state_dict<M: Module + ?Sized>(
    module: &mut M,
    state_dict: &StateDict,
    options: &LoadStateDictOptions,
) -> Result<IncompatibleKeys, LoadStateDictError> {
    let (entries, collisions) = map_keys(state_dict, &options.key_map);
    let mut pass = Pass {
        entries,
        versions: map_versions(state_dict, &options.key_map),
        assign: options.assign,
        nodes: Vec::new(),
        missing: Vec::new(),
        missing_shapes: HashMap::new(),
        problems: collisions,
        staged: HashMap::new(),
    };
    validate(&*module, "", &mut pass);
    let unexpected = unexpected_keys(&pass);

    let unexpected_shapes: HashMap<String, Vec<usize>> = unexpected
        .iter()
        .filter_map(|k| {
            Some((
                k.clone(),
                pass.entries.get(k)?.as_tensor()?.shape().to_vec(),
            ))
        })
        .collect();
    let hints = hints::hints(
        &pass.missing,
        &unexpected,
        &pass.missing_shapes,
        &unexpected_shapes,
    );
    let keys_fail = options.strict && !(pass.missing.is_empty() && unexpected.is_empty());
    if keys_fail || !pass.problems.is_empty() {
        return Err(LoadStateDictError::new(LoadFailure {
            module: module.type_name().to_owned(),
            strict: options.strict,
            missing_keys: pass.missing,
            unexpected_keys: unexpected,
            problems: pass.problems,
            hints,
        }));
    }
    module.visit_mut(&mut Apply {
        prefix: String::new(),
        staged: &mut pass.staged,
        assign: options.assign,
    });
    Ok(IncompatibleKeys {
        missing_keys: pass.missing,
        unexpected_keys: unexpected,
        hints,
    })
}

/// Applies the key map; keys that collide are reported and the first kept.
fn map_keys(sd: &StateDict, map: &KeyMap) -> (IndexMap<String, Value>, Vec<report::LoadProblem>) {
    let mut entries = IndexMap::with_capacity(sd.len());
    let mut sources: IndexMap<String, Vec<String>> = IndexMap::new();
    for (key, value) in sd.iter() {
        let Some(mapped) = map.apply(key) else {
            continue;
        };
        let from = sources.entry(mapped.clone()).or_default();
        from.push(key.to_owned());
        if from.len() == 1 {
            entries.insert(mapped, value.clone());
        }
    }
    let collisions = sources
        .into_iter()
        .filter(|(_, from)| from.len() > 1)
        .map(|(key, sources)| report::LoadProblem::KeyCollision { key, sources })
        .collect();
    (entries, collisions)
}

/// `_metadata` versions by model prefix. Prefixes the map moved win over ones it left
/// alone (DataParallel's root `""` loses to the wrapped `module` mapped onto `""`).
fn map_versions(sd: &StateDict, map: &KeyMap) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    let Some(meta) = sd.metadata() else {
        return out;
    };
    let mut moved = Vec::new();
    for (prefix, m) in meta {
        let Some(v) = m.get("version").and_then(Value::as_i64) else {
            continue;
        };
        match map.apply_prefix(prefix) {
            Some(p) if p == *prefix => {
                out.insert(p, v);
            }
            Some(p) => moved.push((p, v)),
            None => {}
        }
    }
    out.extend(moved);
    out
}

/// The read-only pass: hooks, then every own slot checked and staged, pre-order.
fn validate<M: Module + ?Sized>(module: &M, prefix: &str, pass: &mut Pass) -> usize {
    let version = pass
        .versions
        .get(prefix.strip_suffix('.').unwrap_or(prefix))
        .copied();
    module.upgrade_state(
        prefix,
        version,
        &mut IncomingState {
            entries: &mut pass.entries,
        },
    );
    let c = contents(module);
    let index = pass.nodes.len();
    pass.nodes.push(Node {
        local: HashSet::new(),
        children: HashMap::new(),
    });
    let slots = c
        .parameters
        .iter()
        .map(|(n, p)| (n, p.tensor()))
        .chain(c.buffers.iter().filter(|b| b.2).map(|(n, b, _)| (n, *b)));
    for (name, slot) in slots {
        pass.nodes[index].local.insert(name.clone());
        let key = format!("{prefix}{name}");
        check_slot(&key, slot, pass);
    }
    for (name, child) in c.children {
        let child_index = validate(child, &format!("{prefix}{name}."), pass);
        pass.nodes[index].children.insert(name, child_index);
    }
    index
}

/// Checks one parameter or buffer against the incoming value and stages what to install.
fn check_slot(key: &str, slot: &Tensor, pass: &mut Pass) {
    let Some(value) = pass.entries.get(key) else {
        pass.missing.push(key.to_owned());
        pass.missing_shapes
            .insert(key.to_owned(), slot.shape().to_vec());
        return;
    };
    let Some(input) = value.as_tensor() else {
        pass.problems.push(report::LoadProblem::NotATensor {
            key: key.to_owned(),
            found: report::py_type(value),
        });
        return;
    };
    let mut input = input.clone();
    // A 1-element 1-D value goes into a 0-dim slot (checkpoints from PyTorch 0.3).
    if slot.dim() == 0 && input.shape() == [1] {
        match input.with_layout("load_state_dict", vec![], vec![], input.storage_offset()) {
            Ok(t) => input = t,
            Err(e) => {
                pass.problems
                    .push(conversion(key, slot, &input, e.to_string()));
                return;
            }
        }
    }
    if input.shape() != slot.shape() {
        pass.problems.push(report::LoadProblem::SizeMismatch {
            key: key.to_owned(),
            checkpoint_shape: input.shape().to_vec(),
            model_shape: slot.shape().to_vec(),
        });
        return;
    }
    if pass.assign || input.dtype() == slot.dtype() {
        pass.staged.insert(key.to_owned(), input);
        return;
    }
    match input.to_dtype(slot.dtype()) {
        Ok(t) => {
            pass.staged.insert(key.to_owned(), t);
        }
        Err(e) => pass
            .problems
            .push(conversion(key, slot, &input, e.to_string())),
    }
}

fn conversion(key: &str, slot: &Tensor, input: &Tensor, detail: String) -> report::LoadProblem {
    report::LoadProblem::Conversion {
        key: key.to_owned(),
        model_shape: slot.shape().to_vec(),
        checkpoint_shape: input.shape().to_vec(),
        detail,
    }
}

/// Unexpected keys as PyTorch finds them: each key is handed down to the child named by
/// its first component while there is one; at the module where it stops, a dotted rest or
/// an unknown name is unexpected. Reported per module in pre-order (`_extra_state`
/// first), within a module in state-dict order.
fn unexpected_keys(pass: &Pass) -> Vec<String> {
    let mut per_node: Vec<Vec<(bool, &str)>> = vec![Vec::new(); pass.nodes.len()];
    if pass.nodes.is_empty() {
        return Vec::new();
    }
    for key in pass.entries.keys() {
        let (mut node, mut rest) = (0, key.as_str());
        while let Some((first, tail)) = rest.split_once('.') {
            match pass.nodes[node].children.get(first) {
                Some(&c) => (node, rest) = (c, tail),
                None => break,
            }
        }
        if rest.contains('.') || !pass.nodes[node].local.contains(rest) {
            per_node[node].push((rest != "_extra_state", key));
        }
    }
    per_node
        .into_iter()
        .flat_map(|mut keys| {
            keys.sort_by_key(|(not_extra, _)| *not_extra);
            keys.into_iter().map(|(_, k)| k.to_owned())
        })
        .collect()
}

/// The writing pass: installs the staged tensors.
struct Apply<'s> {
    prefix: String,
    staged: &'s mut HashMap<String, Tensor>,
    assign: bool,
}

impl VisitorMut for Apply<'_> {
    fn parameter(&mut self, name: &str, parameter: &mut Parameter) {
        if let Some(src) = self.staged.remove(&format!("{}{name}", self.prefix)) {
            if self.assign {
                parameter.set_data(src);
            } else {
                write_into(parameter.tensor(), &src);
            }
        }
    }

    fn buffer(&mut self, name: &str, buffer: &mut Tensor, persistent: bool) {
        if !persistent {
            return;
        }
        if let Some(src) = self.staged.remove(&format!("{}{name}", self.prefix)) {
            if self.assign {
                *buffer = src;
            } else {
                write_into(buffer, &src);
            }
        }
    }

    fn child(&mut self, name: &str, child: &mut dyn Module) {
        let len = self.prefix.len();
        self.prefix.push_str(name);
        self.prefix.push('.');
        child.visit_mut(self);
        self.prefix.truncate(len);
    }
}
