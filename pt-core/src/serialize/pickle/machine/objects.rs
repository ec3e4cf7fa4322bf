//! Object opcodes: globals (resolved against the allowlist, never imported), calls
//! (`REDUCE`, `NEWOBJ`), `BUILD` and persistent ids (storages).

use super::{Machine, Node, bad, misrouted};
use crate::serialize::error::{LoadError, Location};
use crate::serialize::pickle::globals::resolve;
use crate::serialize::pickle::input::Input;
use crate::serialize::pickle::opcodes::*;

impl Machine<'_> {
    /// Resolves a global, calls one, builds an object or loads a storage.
    pub(super) fn object<I: Input>(&mut self, op: u8, input: &mut I) -> Result<(), LoadError> {
        let at = self.at;
        match op {
            GLOBAL => {
                let module = self.line_str(input)?;
                let name = self.line_str(input)?;
                let g = resolve(&module, &name, self.mode, self.torchscript, at)?;
                self.push_new(Node::Global(Box::new(g)))?;
            }
            STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Node::Str(m), Node::Str(n)) = (self.node(module)?, self.node(name)?) else {
                    return Err(bad(at, "STACK_GLOBAL needs two strings"));
                };
                let g = resolve(m, n, self.mode, self.torchscript, at)?;
                self.push_new(Node::Global(Box::new(g)))?;
            }
            REDUCE => {
                let args = self.pop()?;
                let func = self.pop()?;
                let id = self.reduce(func, args)?;
                self.push(id)?;
            }
            NEWOBJ => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let id = self.new_object(cls, args)?;
                self.push(id)?;
            }
            NEWOBJ_EX => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                if !matches!(self.node(kwargs)?, Node::Dict(d) if d.items.is_empty()) {
                    return Err(LoadError::unsupported(
                        "NEWOBJ_EX with keyword arguments",
                        Location::at(at),
                    ));
                }
                let id = self.new_object(cls, args)?;
                self.push(id)?;
            }
            BUILD => {
                let state = self.pop()?;
                let inst = self.top()?;
                self.build(inst, state)?;
            }
            BINPERSID => {
                let pid = self.pop()?;
                let id = self.persistent_load(pid)?;
                self.push(id)?;
            }
            _ => return Err(misrouted(at, op)),
        }
        Ok(())
    }
}
