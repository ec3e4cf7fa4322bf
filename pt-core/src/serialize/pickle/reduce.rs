//! What REDUCE, NEWOBJ and BUILD do for each allowlisted global. Nothing is ever called:
//! each global has a fixed, data-only behaviour; inert classes become records.

use super::globals::{Global, Jit};
use super::machine::{DictNode, Id, Machine, Node, ObjectNode, bad};
use crate::serialize::error::{LoadError, Location};
use crate::value::{DictKind, Value};
use num_complex::Complex64;

/// Arguments copied out of the arena, so the machine can be mutated while they are used.
enum Args {
    Inline([Id; Args::INLINE], usize),
    Heap(Vec<Id>),
}

impl Args {
    const INLINE: usize = 8;

    fn of(ids: &[Id]) -> Args {
        let mut buf = [0; Args::INLINE];
        match buf.get_mut(..ids.len()) {
            Some(dst) => {
                dst.copy_from_slice(ids);
                Args::Inline(buf, ids.len())
            }
            None => Args::Heap(ids.to_vec()),
        }
    }

    fn as_slice(&self) -> &[Id] {
        match self {
            Args::Inline(buf, n) => buf.get(..*n).unwrap_or_default(),
            Args::Heap(v) => v,
        }
    }
}

impl std::ops::Deref for Args {
    type Target = [Id];

    fn deref(&self) -> &[Id] {
        self.as_slice()
    }
}

impl Machine<'_> {
    fn global(&self, id: Id, op: &str) -> Result<Global, LoadError> {
        match self.node(id)? {
            Node::Global(g) => Ok((**g).clone()),
            _ => Err(bad(
                self.at,
                format!("{op} on something that is not a class"),
            )),
        }
    }

    /// A copy of a tuple's items (inline when short: no allocation per REDUCE).
    fn tuple_items(&self, id: Id, op: &str) -> Result<Args, LoadError> {
        match self.node(id)? {
            &Node::Tuple(t) => Ok(Args::of(self.ids(t)?)),
            _ => Err(bad(self.at, format!("{op} arguments are not a tuple"))),
        }
    }

    /// The items of a list, tuple or set node.
    pub(super) fn seq_slice(&self, id: Id) -> Result<&[Id], LoadError> {
        match self.node(id)? {
            Node::List(v) | Node::Set(v) => Ok(v),
            &Node::Tuple(t) => self.ids(t),
            _ => Err(bad(self.at, "expected a list or tuple")),
        }
    }

    /// The items of a list, tuple or set node, copied.
    pub(super) fn seq_items(&self, id: Id) -> Result<Vec<Id>, LoadError> {
        self.seq_slice(id).map(<[Id]>::to_vec)
    }

    fn unsupported(&self, what: impl Into<String>) -> LoadError {
        LoadError::unsupported(what, Location::at(self.at))
    }

    fn leaf(&mut self, v: Value) -> Result<Id, LoadError> {
        self.new_value(v)
    }

    fn empty_dict(&mut self, kind: DictKind) -> Result<Id, LoadError> {
        self.alloc(Node::Dict(Box::new(DictNode {
            kind,
            items: Vec::new(),
            state: None,
        })))
    }

    /// REDUCE: `func(*args)` for the known globals.
    pub(super) fn reduce(&mut self, func: Id, args: Id) -> Result<Id, LoadError> {
        let g = self.global(func, "REDUCE")?;
        let a = self.tuple_items(args, "REDUCE")?;
        self.call(&g, &a)
    }

    fn call(&mut self, g: &Global, a: &[Id]) -> Result<Id, LoadError> {
        let at = self.at;
        match g {
            Global::OrderedDict | Global::Counter => {
                let kind = if *g == Global::Counter {
                    DictKind::Counter
                } else {
                    DictKind::Ordered
                };
                let items = match a.first() {
                    None => Vec::new(),
                    Some(&src) => self.mapping_items(src)?,
                };
                self.alloc(Node::Dict(Box::new(DictNode {
                    kind,
                    items,
                    state: None,
                })))
            }
            Global::Set | Global::FrozenSet => {
                let items = match a.first() {
                    None => Vec::new(),
                    Some(&src) => self.seq_items(src)?,
                };
                self.alloc(Node::Set(items))
            }
            Global::Bytes | Global::ByteArray => {
                let bytes = match a {
                    [] => Vec::new(),
                    [src] => self.bytes_of(*src)?,
                    [s, enc] => self.encode(*s, Some(*enc))?,
                    _ => return Err(bad(at, "bytes() takes at most 2 arguments")),
                };
                let v = if *g == Global::Bytes {
                    Value::Bytes(bytes)
                } else {
                    Value::ByteArray(bytes)
                };
                self.leaf(v)
            }
            Global::Encode => match a {
                [s] => {
                    let b = self.encode(*s, None)?;
                    self.leaf(Value::Bytes(b))
                }
                [s, enc] => {
                    let b = self.encode(*s, Some(*enc))?;
                    self.leaf(Value::Bytes(b))
                }
                _ => Err(bad(at, "_codecs.encode takes 1 or 2 arguments")),
            },
            Global::Complex => {
                let re = a.first().map(|&i| self.number(i)).transpose()?;
                let im = a.get(1).map(|&i| self.number(i)).transpose()?;
                let c = Complex64::new(re.unwrap_or(0.0), im.unwrap_or(0.0));
                self.leaf(Value::Complex(c))
            }
            Global::Size => {
                let dims = match a.first() {
                    None => Vec::new(),
                    Some(&d) => self
                        .seq_items(d)?
                        .into_iter()
                        .map(|i| self.int(i, "torch.Size dimension"))
                        .collect::<Result<_, _>>()?,
                };
                self.leaf(Value::Size(dims))
            }
            Global::Device => {
                let ty = match a.first() {
                    Some(&t) => self.ascii(t)?,
                    None => return Err(bad(at, "torch.device() needs a type")),
                };
                let name = match a.get(1) {
                    Some(&i) if !matches!(self.node(i)?, Node::None) => {
                        format!("{ty}:{}", self.int(i, "device index")?)
                    }
                    _ => ty,
                };
                self.leaf(Value::Device(name))
            }
            Global::Parameter => self.make_parameter(a),
            Global::Rebuild(r) => self.rebuild(*r, a),
            Global::Numpy(n) => self.numpy_call(*n, a),
            Global::RebuildFromTypeV2 => self.rebuild_from_type_v2(a),
            Global::Jit(Jit::RestoreTypeTag | Jit::BuildList) => a
                .first()
                .copied()
                .ok_or_else(|| bad(at, "torch.jit._pickle helper without argument")),
            Global::GetLayout => {
                let name = match a.first() {
                    Some(&s) => self.ascii(s)?,
                    None => return Err(bad(at, "_get_layout needs a name")),
                };
                self.alloc(Node::Str(name.into()))
            }
            Global::Class { module, name } => self.alloc(Node::Object(Box::new(ObjectNode {
                module: module.clone(),
                name: name.clone(),
                args: a.to_vec(),
                state: None,
                items: Vec::new(),
                appended: Vec::new(),
            }))),
            other => Err(self.unsupported(format!("calling {}", other.describe()))),
        }
    }

    /// `_rebuild_from_type_v2(func, new_type, args, state)`: the tensor from `func(*args)`,
    /// kept as a plain tensor (or parameter); Python attributes in `state` are dropped.
    fn rebuild_from_type_v2(&mut self, a: &[Id]) -> Result<Id, LoadError> {
        let at = self.at;
        let (&func, &new_type, &args) = match a {
            [f, t, args, ..] => (f, t, args),
            _ => return Err(bad(at, "_rebuild_from_type_v2 takes 4 arguments")),
        };
        let f = self.global(func, "_rebuild_from_type_v2")?;
        if !matches!(f, Global::Rebuild(_)) {
            return Err(self.unsupported(format!(
                "_rebuild_from_type_v2 with function {}",
                f.describe()
            )));
        }
        let inner = self.tuple_items(args, "_rebuild_from_type_v2")?;
        let id = self.call(&f, &inner)?;
        match self.global(new_type, "_rebuild_from_type_v2")? {
            Global::Tensor | Global::Class { .. } => Ok(id),
            Global::Parameter => {
                let t = self.tensor_of(id)?;
                let rg = t.requires_grad();
                self.leaf(Value::Parameter(t.with_requires_grad(rg)))
            }
            other => Err(self.unsupported(format!(
                "tensor subclass {} in _rebuild_from_type_v2",
                other.describe()
            ))),
        }
    }

    /// `Parameter(data, requires_grad=True)`.
    fn make_parameter(&mut self, a: &[Id]) -> Result<Id, LoadError> {
        let data = a
            .first()
            .copied()
            .ok_or_else(|| bad(self.at, "Parameter() without data"))?;
        let t = self.tensor_of(data)?;
        let rg = match a.get(1) {
            Some(&r) => self.truth(r)?,
            None => true,
        };
        self.leaf(Value::Parameter(t.with_requires_grad(rg)))
    }

    /// NEWOBJ: `cls.__new__(cls, *args)`.
    pub(super) fn new_object(&mut self, cls: Id, args: Id) -> Result<Id, LoadError> {
        let g = self.global(cls, "NEWOBJ")?;
        let a = self.tuple_items(args, "NEWOBJ")?;
        match g {
            Global::Parameter => self.make_parameter(&a),
            Global::OrderedDict => self.empty_dict(DictKind::Ordered),
            Global::Counter => self.empty_dict(DictKind::Counter),
            Global::Set | Global::FrozenSet => self.alloc(Node::Set(Vec::new())),
            Global::Tensor | Global::TensorClass(_) => self.alloc(Node::PendingTensor),
            Global::Class { .. } => self.call(&g, &a),
            other => Err(self.unsupported(format!("NEWOBJ of {}", other.describe()))),
        }
    }

    /// BUILD: set the state of `inst`.
    pub(super) fn build(&mut self, inst: Id, state: Id) -> Result<(), LoadError> {
        let at = self.at;
        if self.is_numpy_array(inst)? {
            return self.build_numpy_array(inst, state);
        }
        match self.node(inst)? {
            Node::Dict(d) if d.kind != DictKind::Plain => {}
            Node::Object(_) => {}
            Node::PendingTensor => {
                // Legacy `torch.Tensor` pickles: BUILD with (storage, offset, size, stride).
                let parts = self.tuple_items(state, "legacy tensor BUILD")?;
                let id = self.rebuild(super::globals::Rebuild::TensorV1, &parts)?;
                let built = std::mem::replace(self.node_mut(id)?, Node::None);
                *self.node_mut(inst)? = built;
                return Ok(());
            }
            Node::Dict(_) => {
                return Err(bad(
                    at,
                    "BUILD on a plain dict (only OrderedDict has state)",
                ));
            }
            &Node::Value(index) if self.value(index)?.as_tensor().is_some() => {
                return Err(self.unsupported("BUILD state on a tensor or parameter"));
            }
            _ => return Err(bad(at, "BUILD on an object that takes no state")),
        }
        match self.node_mut(inst)? {
            Node::Dict(d) => d.state = Some(state),
            Node::Object(o) => o.state = Some(state),
            _ => {}
        }
        Ok(())
    }

    /// The (key, value) pairs of a dict node, or of a list of 2-item pairs.
    fn mapping_items(&self, src: Id) -> Result<Vec<(Id, Id)>, LoadError> {
        match self.node(src)? {
            Node::Dict(d) => Ok(d.items.clone()),
            Node::List(_) | Node::Tuple(_) => self
                .seq_slice(src)?
                .iter()
                .map(|&p| match self.seq_items(p)?.as_slice() {
                    &[k, v] => Ok((k, v)),
                    _ => Err(bad(self.at, "mapping item is not a (key, value) pair")),
                })
                .collect(),
            _ => Err(bad(
                self.at,
                "mapping argument is not a dict or list of pairs",
            )),
        }
    }

    /// `bytes(x)` / `bytearray(x)` of one argument: bytes, or a list of small ints.
    fn bytes_of(&self, src: Id) -> Result<Vec<u8>, LoadError> {
        match self.node(src)? {
            &Node::Value(index) => match self.value(index)? {
                Value::Bytes(b) | Value::ByteArray(b) => Ok(b.clone()),
                _ => Err(bad(self.at, "bytes() of an unsupported value")),
            },
            Node::List(_) | Node::Tuple(_) => self
                .seq_items(src)?
                .into_iter()
                .map(|i| {
                    let v = self.int(i, "byte")?;
                    u8::try_from(v).map_err(|_| bad(self.at, format!("byte out of range: {v}")))
                })
                .collect(),
            _ => Err(bad(self.at, "bytes() of an unsupported value")),
        }
    }

    /// `str.encode(encoding)` for the encodings pickles use.
    fn encode(&self, s: Id, enc: Option<Id>) -> Result<Vec<u8>, LoadError> {
        let text = match self.node(s)? {
            Node::Str(t) => t.to_string(),
            _ => return Err(bad(self.at, "encode() of something that is not a string")),
        };
        let enc = match enc {
            Some(e) => self.ascii(e)?.to_ascii_lowercase().replace('_', "-"),
            None => "utf-8".to_owned(),
        };
        match enc.as_str() {
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1" => text
                .chars()
                .map(|c| {
                    u8::try_from(u32::from(c))
                        .map_err(|_| bad(self.at, "character outside latin-1 in bytes"))
                })
                .collect(),
            "utf-8" | "utf8" => Ok(text.into_bytes()),
            "ascii" | "us-ascii" if text.is_ascii() => Ok(text.into_bytes()),
            other => Err(self.unsupported(format!("text encoding {other:?}"))),
        }
    }

    /// An int node (bools count as 0/1, as in Python).
    pub(super) fn int(&self, id: Id, what: &str) -> Result<i64, LoadError> {
        match self.node(id)? {
            Node::Int(i) => Ok(*i),
            Node::Bool(b) => Ok(i64::from(*b)),
            _ => Err(bad(self.at, format!("{what} is not an integer"))),
        }
    }

    fn number(&self, id: Id) -> Result<f64, LoadError> {
        match self.node(id)? {
            Node::Float(f) => Ok(*f),
            // Python's complex(int) converts the same way.
            Node::Int(i) => Ok(*i as f64),
            Node::Bool(b) => Ok(f64::from(u8::from(*b))),
            _ => Err(bad(self.at, "complex() part is not a number")),
        }
    }

    /// Python truthiness of a bool/int/None node.
    pub(super) fn truth(&self, id: Id) -> Result<bool, LoadError> {
        match self.node(id)? {
            Node::Bool(b) => Ok(*b),
            Node::Int(i) => Ok(*i != 0),
            Node::None => Ok(false),
            _ => Err(bad(self.at, "expected a bool")),
        }
    }
}
