//! `persistent_load`: the `('storage', type, key, location, numel[, view])` ids that stand
//! for storages, turned into requests to the storage provider.

use std::borrow::Cow;

use super::globals::{Global, StorageKind};
use super::machine::{Id, Machine, Node, PidRequest, bad};
use crate::dtype::DType;
use crate::serialize::error::{LoadError, Location};
use crate::serialize::options::UnpicklerMode;
use crate::value::Value;

impl Machine<'_> {
    /// BINPERSID: `('storage', type, key, location, numel[, view])`, or, in inert mode,
    /// the legacy `('module', class, file, source)` ids of whole-module saves.
    pub(super) fn persistent_load(&mut self, pid: Id) -> Result<Id, LoadError> {
        let at = self.at;
        let &Node::Tuple(span) = self.node(pid)? else {
            return Err(bad(at, "persistent id is not a tuple"));
        };
        let items = self.ids(span)?;
        let tag: Cow<'_, str> = match items.first() {
            Some(&i) => match self.node(i)? {
                Node::Str(s) => Cow::Borrowed(&**s),
                _ => Cow::Owned(self.ascii(i)?),
            },
            None => Cow::Borrowed(""),
        };
        if &*tag == "module" && self.mode == UnpicklerMode::Inert && items.len() == 4 {
            return items
                .get(1)
                .copied()
                .ok_or_else(|| bad(at, "module id without class"));
        }
        if &*tag != "storage" || !(items.len() == 5 || items.len() == 6) {
            return Err(bad(
                at,
                format!(
                    "persistent id must be ('storage', type, key, location, numel), found a {}-tuple tagged {tag:?}",
                    items.len()
                ),
            ));
        }
        let get = |i: usize| items.get(i).copied().ok_or_else(|| bad(at, "short id"));
        let kind = match self.node(get(1)?)? {
            Node::Global(g) => match g.as_ref() {
                Global::Storage(k) => k.clone(),
                other => {
                    return Err(bad(
                        at,
                        format!("storage type {} is not a storage class", other.describe()),
                    ));
                }
            },
            _ => return Err(bad(at, "storage type is not a class")),
        };
        let key = self.key_text(get(2)?)?;
        let location = self.ascii(get(3)?)?;
        let numel = self.non_negative(get(4)?, "storage numel")?;
        let view = match items.get(5) {
            Some(&v) => match self.node(v)? {
                Node::None => None,
                &Node::Tuple(t) if t.len() == 3 => {
                    let (k, o, n) = match self.ids(t)? {
                        &[k, o, n] => (k, o, n),
                        _ => return Err(bad(at, "legacy view metadata is not a 3-tuple")),
                    };
                    Some((
                        self.key_text(k)?,
                        self.non_negative(o, "view offset")?,
                        self.non_negative(n, "view size")?,
                    ))
                }
                _ => return Err(bad(at, "legacy view metadata is not (key, offset, size)")),
            },
            None => None,
        };
        let dtype = match kind {
            StorageKind::Typed(d) => d,
            StorageKind::Untyped => DType::U8,
            StorageKind::Unsupported(name) => {
                return Err(LoadError::unsupported(
                    format!("storage class {name}"),
                    Location::at(at).for_tensor(format!("storage key {key}")),
                ));
            }
        };
        let req = PidRequest {
            dtype,
            key,
            location,
            numel,
            view,
            at,
        };
        let r = self.provider.storage(&req)?;
        let index =
            u32::try_from(self.storage_refs.len()).map_err(|_| bad(at, "too many storages"))?;
        let id = self.alloc(Node::Storage(index))?;
        self.storage_refs.push((r, req.key));
        Ok(id)
    }

    /// A str (or ASCII bytes) node as text.
    pub(super) fn ascii(&self, id: Id) -> Result<String, LoadError> {
        match self.node(id)? {
            Node::Str(s) => Ok(s.to_string()),
            &Node::Value(index) => match self.value(index)? {
                Value::Bytes(b) if b.is_ascii() => Ok(String::from_utf8_lossy(b).into_owned()),
                _ => Err(bad(self.at, "expected a string")),
            },
            _ => Err(bad(self.at, "expected a string")),
        }
    }

    /// A storage key: a string, or an integer formatted in decimal.
    fn key_text(&self, id: Id) -> Result<String, LoadError> {
        match self.node(id)? {
            Node::Int(i) => Ok(i.to_string()),
            _ => self.ascii(id),
        }
    }

    /// An integer node that must be ≥ 0.
    pub(super) fn non_negative(&self, id: Id, what: &str) -> Result<u64, LoadError> {
        match self.node(id)? {
            Node::Int(i) => {
                u64::try_from(*i).map_err(|_| bad(self.at, format!("{what} is negative: {i}")))
            }
            Node::Bool(b) => Ok(u64::from(*b)),
            _ => Err(bad(self.at, format!("{what} is not an integer"))),
        }
    }
}
