//! Turning the arena of nodes into a [`Value`] tree, bounded in depth and size.
//!
//! The walk is iterative (an explicit stack of frames), so no nesting a file declares can
//! exhaust the thread's stack; `max_nesting` bounds the depth of the produced value.

use super::globals::Global;
use super::machine::{Id, Machine, Node, bad};
use crate::serialize::error::{LoadError, Location};
use crate::serialize::limits::Limits;
use crate::tensor::Tensor;
use crate::value::{Dict, Key, Object, Value};

/// A container being converted: its children, in order, and the values done so far.
struct Frame {
    id: Id,
    depth: u64,
    children: Vec<Id>,
    done: Vec<Value>,
}

impl Machine<'_> {
    /// The value of the root node.
    ///
    /// # Errors
    /// Limit errors for over-deep or over-large values (shared containers are copied per
    /// reference); format errors for unhashable keys or unfinished objects.
    pub(crate) fn into_value(mut self, root: Id) -> Result<Value, LoadError> {
        self.enter(0)?;
        if !self.is_container(root)? {
            return self.leaf_value(root);
        }
        let mut stack = vec![self.frame(root, 0)?];
        loop {
            let Some(top) = stack.last_mut() else {
                return Err(bad(self.at, "internal: empty conversion stack"));
            };
            if let Some(&child) = top.children.get(top.done.len()) {
                let depth = top.depth + 1;
                self.enter(depth)?;
                if self.is_container(child)? {
                    let f = self.frame(child, depth)?;
                    stack.push(f);
                } else {
                    let v = self.leaf_value(child)?;
                    if let Some(top) = stack.last_mut() {
                        top.done.push(v);
                    }
                }
                continue;
            }
            let Some(finished) = stack.pop() else {
                return Err(bad(self.at, "internal: empty conversion stack"));
            };
            let v = self.assemble(finished)?;
            match stack.last_mut() {
                Some(parent) => parent.done.push(v),
                None => return Ok(v),
            }
        }
    }

    fn enter(&mut self, depth: u64) -> Result<(), LoadError> {
        let at = self.at;
        Limits::check("max_nesting", depth, self.limits.max_nesting, || {
            Location::at(at)
        })?;
        self.produced += 1;
        Limits::check(
            "max_values",
            self.produced + self.nodes.len() as u64,
            self.limits.max_values,
            || Location::at(at),
        )
    }

    fn is_container(&self, id: Id) -> Result<bool, LoadError> {
        Ok(matches!(
            self.node(id)?,
            Node::List(_) | Node::Tuple(_) | Node::Set(_) | Node::Dict(_) | Node::Object(_)
        ))
    }

    /// The children of a container, in the order [`Machine::assemble`] consumes them.
    fn frame(&self, id: Id, depth: u64) -> Result<Frame, LoadError> {
        let children = match self.node(id)? {
            Node::List(ids) | Node::Tuple(ids) | Node::Set(ids) => ids.clone(),
            Node::Dict(d) => {
                let mut c: Vec<Id> = d.items.iter().map(|&(_, v)| v).collect();
                if let Some(s) = d.state {
                    c.extend(self.state_items(s)?.into_iter().map(|(_, v)| v));
                }
                c
            }
            Node::Object(o) => {
                let mut c = o.args.clone();
                c.extend(o.state);
                for &(k, v) in &o.items {
                    c.push(k);
                    c.push(v);
                }
                c.extend(o.appended.iter().copied());
                c
            }
            _ => Vec::new(),
        };
        Ok(Frame {
            id,
            depth,
            children,
            done: Vec::new(),
        })
    }

    /// Builds a container from its converted children.
    fn assemble(&mut self, f: Frame) -> Result<Value, LoadError> {
        let mut done = f.done.into_iter();
        let mut next = || {
            done.next()
                .ok_or_else(|| LoadError::format("internal: missing child", Location::none()))
        };
        Ok(match self.node(f.id)? {
            Node::List(_) => Value::List(std::iter::from_fn(|| next().ok()).collect()),
            Node::Tuple(_) => Value::Tuple(std::iter::from_fn(|| next().ok()).collect()),
            Node::Set(_) => Value::Set(std::iter::from_fn(|| next().ok()).collect()),
            Node::Dict(d) => {
                let (kind, keys, state) = (
                    d.kind,
                    d.items.iter().map(|&(k, _)| k).collect::<Vec<_>>(),
                    d.state,
                );
                let mut out = Dict::new(kind);
                for k in keys {
                    let key = self.key(k, f.depth + 1)?;
                    out.items.insert(key, next()?);
                }
                if let Some(s) = state {
                    for (name, _) in self.state_items(s)? {
                        let Node::Str(name) = self.node(name)? else {
                            return Err(bad(self.at, "attribute name is not a string"));
                        };
                        out.attrs.insert(name.to_string(), next()?);
                    }
                }
                Value::Dict(out)
            }
            Node::Object(o) => {
                let (module, name) = (o.module.clone(), o.name.clone());
                let (n_args, has_state, n_items, n_appended) =
                    (o.args.len(), o.state.is_some(), o.items.len(), o.appended.len());
                let mut args = Vec::new();
                for _ in 0..n_args {
                    args.push(next()?);
                }
                let state = if has_state { Some(next()?) } else { None };
                let mut items = Vec::new();
                for _ in 0..n_items {
                    items.push((next()?, next()?));
                }
                for i in 0..n_appended {
                    items.push((Value::Int(i as i64), next()?));
                }
                Value::Object(Box::new(Object {
                    module,
                    name,
                    args,
                    state,
                    items,
                }))
            }
            _ => return Err(bad(self.at, "internal: leaf converted as a container")),
        })
    }

    /// A node that holds no other node.
    fn leaf_value(&self, id: Id) -> Result<Value, LoadError> {
        let at = self.at;
        Ok(match self.node(id)? {
            Node::None => Value::None,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::Int(*i),
            Node::Float(f) => Value::Float(*f),
            Node::Str(s) => Value::Str(s.to_string()),
            Node::Value(v) => (**v).clone(),
            Node::Global(g) => match g.as_ref() {
                Global::DType(dt) => Value::DType(*dt),
                Global::Class { module, name } => Value::Object(Box::new(Object {
                    module: module.clone(),
                    name: name.clone(),
                    args: Vec::new(),
                    state: None,
                    items: Vec::new(),
                })),
                other => {
                    return Err(LoadError::unsupported(
                        format!("{} used as a value", other.describe()),
                        Location::at(at),
                    ));
                }
            },
            Node::Storage(s) => {
                // A bare storage: PyTorch returns a TypedStorage; keep its data as a 1-D view.
                let es = s.dtype.size();
                let t = Tensor::from_parts(
                    s.storage.clone(),
                    s.dtype,
                    vec![s.byte_len / es],
                    vec![1],
                    s.byte_offset / es,
                )
                .map_err(|e| bad(at, format!("bare storage: {e}")))?;
                Value::Object(Box::new(Object {
                    module: "torch.storage".to_owned(),
                    name: "TypedStorage".to_owned(),
                    args: vec![Value::Tensor(t)],
                    state: None,
                    items: Vec::new(),
                }))
            }
            Node::PendingTensor => {
                return Err(bad(at, "a torch.Tensor made by NEWOBJ was never given its state"));
            }
            Node::List(_) | Node::Tuple(_) | Node::Set(_) | Node::Dict(_) | Node::Object(_) => {
                return Err(bad(at, "internal: container converted as a leaf"));
            }
        })
    }

    /// A dict key: the hashable scalars and tuples of them (recursion bounded by
    /// `max_nesting`; key frames are small).
    fn key(&mut self, id: Id, depth: u64) -> Result<Key, LoadError> {
        self.enter(depth)?;
        let at = self.at;
        Ok(match self.node(id)? {
            Node::None => Key::None,
            Node::Bool(b) => Key::Bool(*b),
            Node::Int(i) => Key::Int(*i),
            Node::Float(f) => Key::FloatBits(f.to_bits()),
            Node::Str(s) => Key::Str(s.to_string()),
            Node::Value(v) => match v.as_ref() {
                Value::Bytes(b) => Key::Bytes(b.clone()),
                other => {
                    return Err(LoadError::unsupported(
                        format!("dict key of kind {}", other.kind()),
                        Location::at(at),
                    ));
                }
            },
            Node::Tuple(ids) => {
                let ids = ids.clone();
                let mut keys = Vec::new();
                for k in ids {
                    keys.push(self.key(k, depth + 1)?);
                }
                Key::Tuple(keys)
            }
            _ => return Err(bad(at, "unhashable dict key")),
        })
    }

    /// The (name, value) pairs of a BUILD state: a dict, `None`, or `(dict, slot dict)`.
    fn state_items(&self, state: Id) -> Result<Vec<(Id, Id)>, LoadError> {
        let at = self.at;
        let part = |id: Id| -> Result<Vec<(Id, Id)>, LoadError> {
            match self.node(id)? {
                Node::None => Ok(Vec::new()),
                Node::Dict(d) => Ok(d.items.clone()),
                _ => Err(bad(at, "BUILD state of an OrderedDict is not a dict")),
            }
        };
        match self.node(state)? {
            Node::Tuple(t) => match t.as_slice() {
                &[a, b] => {
                    let mut v = part(a)?;
                    v.extend(part(b)?);
                    Ok(v)
                }
                _ => Err(bad(at, "BUILD state tuple is not (state, slot state)")),
            },
            _ => part(state),
        }
    }
}
