//! Container opcodes: building tuples, lists, dicts and sets, and adding to them.

use super::{DictNode, Id, Machine, Node, Span, bad, misrouted};
use crate::serialize::error::LoadError;
use crate::serialize::pickle::opcodes::*;
use crate::value::DictKind;

impl Machine<'_> {
    /// Builds a container or adds items to one.
    pub(super) fn container(&mut self, op: u8) -> Result<(), LoadError> {
        let at = self.at;
        match op {
            EMPTY_TUPLE => self.push_new(Node::Tuple(Span::EMPTY))?,
            EMPTY_LIST => self.push_new(Node::List(Vec::new()))?,
            EMPTY_DICT => self.push_new(Node::Dict(Box::new(DictNode {
                kind: DictKind::Plain,
                items: Vec::new(),
                state: None,
            })))?,
            EMPTY_SET => self.push_new(Node::Set(Vec::new()))?,
            TUPLE => {
                let base = self
                    .marks
                    .pop()
                    .ok_or_else(|| bad(at, "no MARK on the stack"))?;
                let span = self.tuple_from_stack(base)?;
                self.push_new(Node::Tuple(span))?;
            }
            LIST => {
                let items = self.pop_mark()?;
                self.push_new(Node::List(items))?;
            }
            FROZENSET => {
                let items = self.pop_mark()?;
                self.push_new(Node::Set(items))?;
            }
            DICT => {
                let items = self.pop_mark()?;
                let pairs = pairs(&items).ok_or_else(|| bad(at, "odd number of items"))?;
                self.push_new(Node::Dict(Box::new(DictNode {
                    kind: DictKind::Plain,
                    items: pairs,
                    state: None,
                })))?;
            }
            TUPLE1..=TUPLE3 => {
                let n = usize::from(op - TUPLE1) + 1;
                if self.stack.len() < self.frame_base() + n {
                    return Err(bad(at, "stack underflow"));
                }
                let span = self.tuple_from_stack(self.stack.len() - n)?;
                self.push_new(Node::Tuple(span))?;
            }
            APPEND => {
                let item = self.pop()?;
                let target = self.top()?;
                self.append(target, vec![item])?;
            }
            APPENDS => {
                let items = self.pop_mark()?;
                let target = self.top()?;
                self.append(target, items)?;
            }
            ADDITEMS => {
                let items = self.pop_mark()?;
                let target = self.top()?;
                match self.node_mut(target)? {
                    Node::Set(s) => s.extend(items),
                    _ => return Err(bad(at, "ADDITEMS onto something that is not a set")),
                }
            }
            SETITEM => {
                let v = self.pop()?;
                let k = self.pop()?;
                let target = self.top()?;
                self.set_items(target, vec![(k, v)])?;
            }
            SETITEMS => {
                let items = self.pop_mark()?;
                let pairs = pairs(&items).ok_or_else(|| bad(at, "SETITEMS with an odd count"))?;
                let target = self.top()?;
                self.set_items(target, pairs)?;
            }
            _ => return Err(misrouted(at, op)),
        }
        Ok(())
    }

    /// Moves the stack from `base` up into the pool as a tuple's items.
    fn tuple_from_stack(&mut self, base: usize) -> Result<Span, LoadError> {
        let at = self.at;
        let base = base.min(self.stack.len());
        let items = self.stack.get(base..).unwrap_or(&[]);
        let too_many = || bad(at, "too many tuple items");
        let start = u32::try_from(self.pool.len()).map_err(|_| too_many())?;
        let len = u32::try_from(items.len()).map_err(|_| too_many())?;
        start.checked_add(len).ok_or_else(too_many)?;
        self.pool.extend_from_slice(items);
        self.stack.truncate(base);
        Ok(Span { start, len })
    }

    fn append(&mut self, target: Id, items: Vec<Id>) -> Result<(), LoadError> {
        let at = self.at;
        match self.node_mut(target)? {
            Node::List(v) => v.extend(items),
            Node::Object(o) => o.appended.extend(items),
            _ => return Err(bad(at, "APPEND(S) onto something that is not a list")),
        }
        Ok(())
    }

    fn set_items(&mut self, target: Id, pairs: Vec<(Id, Id)>) -> Result<(), LoadError> {
        let at = self.at;
        match self.node_mut(target)? {
            Node::Dict(d) => d.items.extend(pairs),
            Node::Object(o) => o.items.extend(pairs),
            _ => return Err(bad(at, "SETITEM(S) onto something that is not a dict")),
        }
        Ok(())
    }
}

fn pairs(items: &[Id]) -> Option<Vec<(Id, Id)>> {
    if !items.len().is_multiple_of(2) {
        return None;
    }
    Some(items.chunks_exact(2).map(|c| (c[0], c[1])).collect())
}
