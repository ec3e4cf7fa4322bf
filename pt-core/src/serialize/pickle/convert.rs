//! Turning the arena of nodes into a [`Value`] tree, bounded in depth and size.
//!
//! The walk is iterative (an explicit stack of frames), so no nesting a file declares can
//! exhaust the thread's stack; `max_nesting` bounds the depth of the produced value.

use super::globals::Global;
use super::machine::{DictNode, Id, Machine, Node, ObjectNode, bad};
use crate::serialize::error::{LoadError, Location};
use crate::serialize::limits::Limits;
use crate::tensor::Tensor;
use crate::value::{Dict, DictKind, Key, Object, Value};

/// What a container needs to be assembled once its children are converted.
enum Shape {
    List,
    Tuple,
    Set,
    Dict {
        kind: DictKind,
        keys: Vec<Id>,
        attr_names: Vec<Id>,
    },
    Object {
        module: String,
        name: String,
        args: usize,
        state: bool,
        items: usize,
        appended: usize,
    },
}

/// A container being converted: its children, in order, and the values done so far.
struct Frame {
    shape: Shape,
    depth: u64,
    children: Vec<Id>,
    done: Vec<Value>,
}

/// How often each node is referenced by a container (saturating at 2): nodes referenced
/// once are moved out of the arena instead of cloned.
fn reference_counts(nodes: &[Node], pool: &[Id]) -> Vec<u8> {
    let mut refs = vec![0u8; nodes.len()];
    let mut count = |id: Id| {
        if let Some(r) = refs.get_mut(id as usize) {
            *r = r.saturating_add(1).min(2);
        }
    };
    for n in nodes {
        match n {
            Node::List(ids) | Node::Set(ids) => ids.iter().for_each(|&i| count(i)),
            Node::Tuple(span) => span
                .of(pool)
                .unwrap_or_default()
                .iter()
                .for_each(|&i| count(i)),
            Node::Dict(d) => {
                d.items.iter().for_each(|&(k, v)| {
                    count(k);
                    count(v);
                });
                d.state.into_iter().for_each(&mut count);
            }
            Node::Object(o) => {
                o.args.iter().for_each(|&i| count(i));
                o.state.into_iter().for_each(&mut count);
                o.items.iter().for_each(|&(k, v)| {
                    count(k);
                    count(v);
                });
                o.appended.iter().for_each(|&i| count(i));
            }
            _ => {}
        }
    }
    refs
}

impl Machine<'_> {
    /// The value of the root node.
    ///
    /// # Errors
    /// Limit errors for over-deep or over-large values (shared containers are copied per
    /// reference); format errors for unhashable keys or unfinished objects.
    pub(crate) fn into_value(mut self, root: Id) -> Result<Value, LoadError> {
        let mut refs = reference_counts(&self.nodes, &self.pool);
        if let Some(r) = refs.get_mut(root as usize) {
            *r = r.saturating_add(1).min(2);
        }
        self.enter(0)?;
        if !self.is_container(root)? {
            return self.leaf_value(root, &refs);
        }
        let mut stack = vec![self.frame(root, 0, &refs)?];
        loop {
            let Some(top) = stack.last_mut() else {
                return Err(bad(self.at, "internal: empty conversion stack"));
            };
            if let Some(&child) = top.children.get(top.done.len()) {
                let depth = top.depth + 1;
                self.enter(depth)?;
                if self.is_container(child)? {
                    let f = self.frame(child, depth, &refs)?;
                    stack.push(f);
                } else {
                    let v = self.leaf_value(child, &refs)?;
                    if let Some(top) = stack.last_mut() {
                        top.done.push(v);
                    }
                }
                continue;
            }
            let Some(finished) = stack.pop() else {
                return Err(bad(self.at, "internal: empty conversion stack"));
            };
            let v = self.assemble(finished, &refs)?;
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

    /// The frame of a container: its shape and its children in the order
    /// [`Machine::assemble`] consumes them.
    fn frame(&mut self, id: Id, depth: u64, refs: &[u8]) -> Result<Frame, LoadError> {
        // The state dict of a BUILD is flattened into attributes.
        let state_items = match self.node(id)? {
            Node::Dict(d) => match d.state {
                Some(s) => self.state_items(s)?,
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        let at = self.at;
        let split = move |node: Node, pool: &[Id]| -> Result<(Shape, Vec<Id>), LoadError> {
            Ok(match node {
                Node::List(ids) => (Shape::List, ids),
                Node::Tuple(span) => (
                    Shape::Tuple,
                    span.of(pool)
                        .ok_or_else(|| bad(at, "internal: dangling tuple"))?
                        .to_vec(),
                ),
                Node::Set(ids) => (Shape::Set, ids),
                Node::Dict(d) => {
                    let (keys, mut children): (Vec<Id>, Vec<Id>) = d.items.into_iter().unzip();
                    let (attr_names, attr_values): (Vec<Id>, Vec<Id>) =
                        state_items.into_iter().unzip();
                    children.extend(attr_values);
                    (
                        Shape::Dict {
                            kind: d.kind,
                            keys,
                            attr_names,
                        },
                        children,
                    )
                }
                Node::Object(o) => {
                    let mut c = o.args.clone();
                    c.extend(o.state);
                    for &(k, v) in &o.items {
                        c.push(k);
                        c.push(v);
                    }
                    c.extend(o.appended.iter().copied());
                    (
                        Shape::Object {
                            module: o.module,
                            name: o.name,
                            args: o.args.len(),
                            state: o.state.is_some(),
                            items: o.items.len(),
                            appended: o.appended.len(),
                        },
                        c,
                    )
                }
                _ => return Err(bad(at, "internal: leaf converted as a container")),
            })
        };
        let (shape, children) = if refs.get(id as usize).copied() == Some(1) {
            let node = std::mem::replace(self.node_mut(id)?, Node::None);
            split(node, &self.pool)?
        } else {
            let copy = match self.node(id)? {
                Node::List(v) => Node::List(v.clone()),
                Node::Tuple(span) => Node::Tuple(*span),
                Node::Set(v) => Node::Set(v.clone()),
                Node::Dict(d) => Node::Dict(Box::new(DictNode {
                    kind: d.kind,
                    items: d.items.clone(),
                    state: d.state,
                })),
                Node::Object(o) => Node::Object(Box::new(ObjectNode {
                    module: o.module.clone(),
                    name: o.name.clone(),
                    args: o.args.clone(),
                    state: o.state,
                    items: o.items.clone(),
                    appended: o.appended.clone(),
                })),
                _ => return Err(bad(at, "internal: leaf converted as a container")),
            };
            split(copy, &self.pool)?
        };
        Ok(Frame {
            shape,
            depth,
            done: Vec::with_capacity(children.len()),
            children,
        })
    }

    /// Builds a container from its converted children.
    fn assemble(&mut self, f: Frame, refs: &[u8]) -> Result<Value, LoadError> {
        let mut done = f.done.into_iter();
        let mut next = || {
            done.next()
                .ok_or_else(|| LoadError::format("internal: missing child", Location::none()))
        };
        Ok(match f.shape {
            Shape::List => Value::List(std::iter::from_fn(|| next().ok()).collect()),
            Shape::Tuple => Value::Tuple(std::iter::from_fn(|| next().ok()).collect()),
            Shape::Set => Value::Set(std::iter::from_fn(|| next().ok()).collect()),
            Shape::Dict {
                kind,
                keys,
                attr_names,
            } => {
                let mut out = Dict::new(kind);
                out.items.reserve(keys.len());
                for k in keys {
                    let key = self.key(k, f.depth + 1, refs)?;
                    out.items.insert(key, next()?);
                }
                for name in attr_names {
                    let Node::Str(name) = self.node(name)? else {
                        return Err(bad(self.at, "attribute name is not a string"));
                    };
                    out.attrs.insert(name.to_string(), next()?);
                }
                Value::Dict(out)
            }
            Shape::Object {
                module,
                name,
                args: n_args,
                state: has_state,
                items: n_items,
                appended,
            } => {
                let mut args = Vec::new();
                for _ in 0..n_args {
                    args.push(next()?);
                }
                let state = if has_state { Some(next()?) } else { None };
                let mut items = Vec::new();
                for _ in 0..n_items {
                    items.push((next()?, next()?));
                }
                for i in 0..appended {
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
        })
    }

    /// A node that holds no other node (moved out when referenced once).
    fn leaf_value(&mut self, id: Id, refs: &[u8]) -> Result<Value, LoadError> {
        if refs.get(id as usize).copied() == Some(1) {
            match self.node(id)? {
                Node::Str(_) => {
                    if let Node::Str(s) = std::mem::replace(self.node_mut(id)?, Node::None) {
                        return Ok(Value::Str(s.into_string()));
                    }
                    return Err(bad(self.at, "internal: leaf changed kind"));
                }
                &Node::Value(index) => {
                    let at = self.at;
                    let slot = self
                        .values
                        .get_mut(index as usize)
                        .ok_or_else(|| bad(at, "internal: dangling value"))?;
                    let v = std::mem::replace(slot, Value::None);
                    *self.node_mut(id)? = Node::None;
                    return Ok(v);
                }
                _ => {}
            }
        }
        self.leaf_of(self.node(id)?)
    }

    fn leaf_of(&self, node: &Node) -> Result<Value, LoadError> {
        let at = self.at;
        Ok(match node {
            Node::None => Value::None,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::Int(*i),
            Node::Float(f) => Value::Float(*f),
            Node::Str(s) => Value::Str(s.to_string()),
            &Node::Value(index) => self.value(index)?.clone(),
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
            &Node::Storage(index) => {
                // A bare storage: PyTorch returns a TypedStorage; keep its data as a 1-D view.
                let (s, _) = self.storage_ref(index)?;
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
                return Err(bad(
                    at,
                    "a torch.Tensor made by NEWOBJ was never given its state",
                ));
            }
            Node::List(_) | Node::Tuple(_) | Node::Set(_) | Node::Dict(_) | Node::Object(_) => {
                return Err(bad(at, "internal: container converted as a leaf"));
            }
        })
    }

    /// A dict key: the hashable scalars and tuples of them (recursion bounded by
    /// `max_nesting`; key frames are small).
    fn key(&mut self, id: Id, depth: u64, refs: &[u8]) -> Result<Key, LoadError> {
        self.enter(depth)?;
        let at = self.at;
        if refs.get(id as usize).copied() == Some(1)
            && let Node::Str(_) = self.node(id)?
            && let Node::Str(s) = std::mem::replace(self.node_mut(id)?, Node::None)
        {
            return Ok(Key::Str(s.into_string()));
        }
        Ok(match self.node(id)? {
            Node::None => Key::None,
            Node::Bool(b) => Key::Bool(*b),
            Node::Int(i) => Key::Int(*i),
            Node::Float(f) => Key::FloatBits(f.to_bits()),
            Node::Str(s) => Key::Str(s.to_string()),
            &Node::Value(index) => match self.value(index)? {
                Value::Bytes(b) => Key::Bytes(b.clone()),
                other => {
                    return Err(LoadError::unsupported(
                        format!("dict key of kind {}", other.kind()),
                        Location::at(at),
                    ));
                }
            },
            Node::Tuple(span) => {
                let ids = self.ids(*span)?.to_vec();
                let mut keys = Vec::new();
                for k in ids {
                    keys.push(self.key(k, depth + 1, refs)?);
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
            Node::Tuple(t) => match self.ids(*t)? {
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
