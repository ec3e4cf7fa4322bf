//! Containers: `Vec<M>` (ModuleList), `IndexMap<String, M>` / `BTreeMap<String, M>`
//! (ModuleDict) and [`Sequential`].

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use pt_core::Tensor;

use crate::module::{Forward, Layer, Module, Visitor, VisitorMut};
use crate::repr;

/// PyTorch's `nn.ModuleList` is a `Vec` of modules: children `0`, `1`, ….
pub type ModuleList<M> = Vec<M>;

/// PyTorch's `nn.ModuleDict` is an insertion-ordered map of named modules.
pub type ModuleDict<M> = IndexMap<String, M>;

impl<M: Module> Module for Vec<M> {
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
        for (i, m) in self.iter().enumerate() {
            visitor.child(&i.to_string(), m);
        }
    }
    fn visit_mut(&mut self, visitor: &mut dyn VisitorMut) {
        for (i, m) in self.iter_mut().enumerate() {
            visitor.child(&i.to_string(), m);
        }
    }
    fn type_name(&self) -> &str {
        "ModuleList"
    }
    fn fmt_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        repr::fmt_module_list(self, f)
    }
}

/// String-keyed maps of modules are PyTorch's `ModuleDict`: children named by their keys, in
/// the map's iteration order (insertion order for `IndexMap`, sorted for `BTreeMap`).
macro_rules! module_dict {
    ($($map:ident),*) => {$(
        impl<M: Module> Module for $map<String, M> {
            fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
                for (name, m) in self {
                    visitor.child(name, m);
                }
            }
            fn visit_mut(&mut self, visitor: &mut dyn VisitorMut) {
                for (name, m) in self.iter_mut() {
                    visitor.child(name, m);
                }
            }
            fn type_name(&self) -> &str {
                "ModuleDict"
            }
        }
    )*};
}

module_dict!(IndexMap, BTreeMap);

/// Layers applied one after another (PyTorch's `nn.Sequential`); children are named
/// `0`, `1`, … or by the names given to [`Sequential::push_named`].
///
/// ```
/// # use pt_nn::{Sequential, ReLU, Flatten, Module};
/// let seq = Sequential::new().push(Flatten::new(1, -1)).push(ReLU::new());
/// assert_eq!(seq.named_children().len(), 2);
/// ```
pub struct Sequential {
    layers: IndexMap<String, Box<dyn Layer>>,
    training: bool,
}

impl Sequential {
    /// An empty sequence (forward is the identity).
    pub fn new() -> Sequential {
        Sequential {
            layers: IndexMap::new(),
            training: true,
        }
    }

    /// Appends `layer` under the next index (`"0"`, `"1"`, …).
    pub fn push(self, layer: impl Layer + 'static) -> Sequential {
        let name = self.layers.len().to_string();
        self.push_named(name, layer)
    }

    /// Appends `layer` under `name` (an `OrderedDict`-built Sequential); a layer already
    /// under that name is replaced in place, as in Python.
    pub fn push_named(
        mut self,
        name: impl Into<String>,
        layer: impl Layer + 'static,
    ) -> Sequential {
        self.layers.insert(name.into(), Box::new(layer));
        self
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True when there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The layer at position `index`.
    pub fn get(&self, index: usize) -> Option<&dyn Layer> {
        self.layers.get_index(index).map(|(_, l)| &**l)
    }

    /// The layer named `name`.
    pub fn get_named(&self, name: &str) -> Option<&dyn Layer> {
        self.layers.get(name).map(|l| &**l)
    }
}

impl Default for Sequential {
    fn default() -> Sequential {
        Sequential::new()
    }
}

impl fmt::Debug for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_repr(f)
    }
}

impl fmt::Display for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_repr(f)
    }
}

impl Module for Sequential {
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
        for (name, layer) in &self.layers {
            visitor.child(name, &**layer);
        }
    }
    fn visit_mut(&mut self, visitor: &mut dyn VisitorMut) {
        for (name, layer) in self.layers.iter_mut() {
            visitor.child(name, &mut **layer);
        }
    }
    fn type_name(&self) -> &str {
        "Sequential"
    }
    fn own_training(&self) -> Option<bool> {
        Some(self.training)
    }
    fn set_own_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Forward for Sequential {
    fn forward(&self, input: &Tensor) -> pt_core::Result<Tensor> {
        let mut x = input.clone();
        for layer in self.layers.values() {
            x = layer.forward(&x)?;
        }
        Ok(x)
    }
}
