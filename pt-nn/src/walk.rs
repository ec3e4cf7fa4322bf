//! The read-only and train/eval traversals behind [`Module`]'s provided methods.

use pt_core::{StateDict, Tensor};

use crate::module::{Module, Visitor, VisitorMut};
use crate::parameter::Parameter;

/// One module's own contents, gathered from a single `visit` call and regrouped in
/// PyTorch's order (parameters, buffers, children) whatever order the visitor used.
#[derive(Default)]
pub(crate) struct Contents<'a> {
    pub(crate) parameters: Vec<(String, &'a Parameter)>,
    pub(crate) buffers: Vec<(String, &'a Tensor, bool)>,
    pub(crate) children: Vec<(String, &'a dyn Module)>,
}

impl<'a> Visitor<'a> for Contents<'a> {
    fn parameter(&mut self, name: &str, parameter: &'a Parameter) {
        self.parameters.push((name.to_owned(), parameter));
    }
    fn buffer(&mut self, name: &str, buffer: &'a Tensor, persistent: bool) {
        self.buffers.push((name.to_owned(), buffer, persistent));
    }
    fn child(&mut self, name: &str, child: &'a dyn Module) {
        self.children.push((name.to_owned(), child));
    }
}

/// The own contents of `module`.
pub(crate) fn contents<M: Module + ?Sized>(module: &M) -> Contents<'_> {
    let mut c = Contents::default();
    module.visit(&mut c);
    c
}

pub(crate) use pt_core::join_key as join;

pub(crate) fn named_parameters<M: Module + ?Sized>(module: &M) -> Vec<(String, Parameter)> {
    fn go(m: &(impl Module + ?Sized), prefix: &str, out: &mut Vec<(String, Parameter)>) {
        let c = contents(m);
        for (name, p) in c.parameters {
            out.push((join(prefix, &name), p.clone()));
        }
        for (name, child) in c.children {
            go(child, &join(prefix, &name), out);
        }
    }
    let mut out = Vec::new();
    go(module, "", &mut out);
    out
}

pub(crate) fn named_buffers<M: Module + ?Sized>(
    module: &M,
    recurse: bool,
) -> Vec<(String, Tensor)> {
    fn go(
        m: &(impl Module + ?Sized),
        prefix: &str,
        recurse: bool,
        out: &mut Vec<(String, Tensor)>,
    ) {
        let c = contents(m);
        for (name, b, _) in c.buffers {
            out.push((join(prefix, &name), b.clone()));
        }
        if recurse {
            for (name, child) in c.children {
                go(child, &join(prefix, &name), true, out);
            }
        }
    }
    let mut out = Vec::new();
    go(module, "", recurse, &mut out);
    out
}

pub(crate) fn named_children<M: Module + ?Sized>(module: &M) -> Vec<(String, &dyn Module)> {
    contents(module).children
}

pub(crate) fn push_descendants<'a>(
    module: &'a (impl Module + ?Sized),
    prefix: &str,
    out: &mut Vec<(String, &'a dyn Module)>,
) {
    for (name, child) in contents(module).children {
        let full = join(prefix, &name);
        out.push((full.clone(), child));
        push_descendants(child, &full, out);
    }
}

pub(crate) fn state_dict<M: Module + ?Sized>(module: &M) -> StateDict {
    fn go(m: &(impl Module + ?Sized), prefix: &str, sd: &mut StateDict) {
        sd.set_module_version(prefix, m.version());
        let c = contents(m);
        for (name, p) in c.parameters {
            sd.insert(join(prefix, &name), p.detach());
        }
        for (name, b, persistent) in c.buffers {
            if persistent {
                sd.insert(join(prefix, &name), b.detach());
            }
        }
        for (name, child) in c.children {
            go(child, &join(prefix, &name), sd);
        }
    }
    let mut sd = StateDict::new();
    go(module, "", &mut sd);
    sd
}

pub(crate) fn is_training<M: Module + ?Sized>(module: &M) -> bool {
    fn find(m: &(impl Module + ?Sized)) -> Option<bool> {
        if let Some(t) = m.own_training() {
            return Some(t);
        }
        contents(m).children.into_iter().find_map(|(_, c)| find(c))
    }
    find(module).unwrap_or(true)
}

struct Train(bool);

impl VisitorMut for Train {
    fn parameter(&mut self, _: &str, _: &mut Parameter) {}
    fn buffer(&mut self, _: &str, _: &mut Tensor, _: bool) {}
    fn child(&mut self, _: &str, child: &mut dyn Module) {
        child.set_own_training(self.0);
        child.visit_mut(self);
    }
}

pub(crate) fn train<M: Module + ?Sized>(module: &mut M, training: bool) {
    module.set_own_training(training);
    module.visit_mut(&mut Train(training));
}
