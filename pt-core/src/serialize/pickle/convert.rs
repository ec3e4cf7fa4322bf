//! Turning the arena of nodes into a [`Value`] tree, bounded in depth and size.

use indexmap::IndexMap;

use super::globals::Global;
use super::machine::{Id, Machine, Node, bad};
use crate::serialize::error::{LoadError, Location};
use crate::serialize::limits::Limits;
use crate::tensor::Tensor;
use crate::value::{Dict, Key, Object, Value};

impl Machine<'_> {
    /// The value of the root node.
    ///
    /// # Errors
    /// Limit errors for over-deep or over-large values (shared containers are copied per
    /// reference); format errors for unhashable keys or unfinished objects.
    pub(crate) fn into_value(mut self, root: Id) -> Result<Value, LoadError> {
        self.value(root, 0)
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

    fn value(&mut self, id: Id, depth: u64) -> Result<Value, LoadError> {
        self.enter(depth)?;
        let at = self.at;
        let d = depth + 1;
        Ok(match self.node(id)? {
            Node::None => Value::None,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::Int(*i),
            Node::Float(f) => Value::Float(*f),
            Node::Str(s) => Value::Str(s.to_string()),
            Node::Value(v) => (**v).clone(),
            Node::List(ids) => Value::List(self.values(ids.clone(), d)?),
            Node::Tuple(ids) => Value::Tuple(self.values(ids.clone(), d)?),
            Node::Set(ids) => Value::Set(self.values(ids.clone(), d)?),
            Node::Dict(dn) => {
                let (kind, pairs, state) = (dn.kind, dn.items.clone(), dn.state);
                let mut out = Dict::new(kind);
                for (k, v) in pairs {
                    let key = self.key(k, d)?;
                    let value = self.value(v, d)?;
                    out.items.insert(key, value);
                }
                if let Some(s) = state {
                    self.attrs(s, d, &mut out.attrs)?;
                }
                Value::Dict(out)
            }
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
            Node::Object(o) => {
                let (module, name) = (o.module.clone(), o.name.clone());
                let (args, state, items, appended) =
                    (o.args.clone(), o.state, o.items.clone(), o.appended.clone());
                let args = self.values(args, d)?;
                let state = state.map(|s| self.value(s, d)).transpose()?;
                let mut out_items = Vec::new();
                for (k, v) in items {
                    out_items.push((self.value(k, d)?, self.value(v, d)?));
                }
                for (i, v) in appended.into_iter().enumerate() {
                    out_items.push((Value::Int(i as i64), self.value(v, d)?));
                }
                Value::Object(Box::new(Object {
                    module,
                    name,
                    args,
                    state,
                    items: out_items,
                }))
            }
            Node::PendingTensor => {
                return Err(bad(at, "a torch.Tensor made by NEWOBJ was never given its state"));
            }
        })
    }

    fn values(&mut self, ids: Vec<Id>, depth: u64) -> Result<Vec<Value>, LoadError> {
        let mut out = Vec::new();
        for id in ids {
            out.push(self.value(id, depth)?);
        }
        Ok(out)
    }

    /// A dict key: the hashable scalars and tuples of them.
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

    /// BUILD state of a dict: a dict of attributes, or `(dict, slot dict)`.
    fn attrs(
        &mut self,
        state: Id,
        depth: u64,
        out: &mut IndexMap<String, Value>,
    ) -> Result<(), LoadError> {
        let at = self.at;
        match self.node(state)? {
            Node::None => Ok(()),
            Node::Dict(dn) => {
                let pairs = dn.items.clone();
                for (k, v) in pairs {
                    let Node::Str(name) = self.node(k)? else {
                        return Err(bad(at, "attribute name is not a string"));
                    };
                    let name = name.to_string();
                    let value = self.value(v, depth)?;
                    out.insert(name, value);
                }
                Ok(())
            }
            Node::Tuple(t) if t.len() == 2 => {
                for part in t.clone() {
                    self.attrs(part, depth, out)?;
                }
                Ok(())
            }
            _ => Err(bad(at, "BUILD state of an OrderedDict is not a dict")),
        }
    }
}
