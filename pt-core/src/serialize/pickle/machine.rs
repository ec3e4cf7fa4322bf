//! The unpickling machine: opcodes, stack, marks and memo over an arena of nodes. It never
//! calls anything: globals resolve to known behaviours (see `globals`) and everything else is
//! data.
//!
//! Opcodes accepted: every data opcode of protocols 0–5 (a superset of PyTorch's
//! `weights_only` set, which refuses protocol ≥ 3 files at `FRAME`; all of them only build
//! data, so accepting them is safe). Refused as unsupported: `EXT1/2/4` (extension registry),
//! `INST`/`OBJ` (text-form object creation), `PERSID` (text persistent ids, which torch never
//! writes), `STRING`/`UNICODE` (escaped text forms) and the out-of-band buffer opcodes.

use super::globals::{Global, resolve};
use super::input::Input;
use super::memo::Memo;
use super::numbers::{Int, decimal_int, long_int, parse_float};
use super::opcodes::{self, *};
use crate::dtype::DType;
use crate::serialize::error::{LoadError, Location};
use crate::serialize::limits::Limits;
use crate::serialize::options::UnpicklerMode;
use crate::storage::Storage;
use crate::value::{DictKind, Value};

/// Index of a node in the arena.
pub(crate) type Id = u32;

/// The items of a tuple: a range of the machine's shared id pool. Tuples never change once
/// built, so they need no allocation of their own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    pub(crate) const EMPTY: Span = Span { start: 0, len: 0 };

    pub(crate) fn len(self) -> usize {
        self.len as usize
    }

    /// The ids of this span in `pool` (`None` only if the span is not from `pool`).
    pub(crate) fn of(self, pool: &[Id]) -> Option<&[Id]> {
        let start = self.start as usize;
        pool.get(start..start + self.len as usize)
    }
}

/// A storage returned by persistent_load: a byte range of a shared [`Storage`].
#[derive(Clone, Debug)]
pub(crate) struct StorageRef {
    pub storage: Storage,
    /// The dtype the persistent id names (`u8` for untyped storages).
    pub dtype: DType,
    /// Start of this (view of the) storage, in bytes.
    pub byte_offset: usize,
    /// Length of this (view of the) storage, in bytes.
    pub byte_len: usize,
}

/// What a `('storage', type, key, location, numel[, view])` persistent id asks for.
#[derive(Debug)]
pub(crate) struct PidRequest {
    pub dtype: DType,
    pub key: String,
    pub location: String,
    /// In elements of `dtype` (bytes for untyped storages).
    pub numel: u64,
    /// Legacy view metadata: (view key, offset, size) in elements.
    pub view: Option<(String, u64, u64)>,
    pub at: u64,
}

/// Supplies storages to the machine (reads records, or allocates storages filled later).
pub(crate) trait StorageProvider {
    fn storage(&mut self, req: &PidRequest) -> Result<StorageRef, LoadError>;
}

/// An object under construction.
#[derive(Debug)]
pub(crate) enum Node {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
    /// Any other finished leaf (bytes, big ints, tensors, sizes, devices, …): an index into
    /// [`Machine::values`] (kept beside the arena: no allocation per leaf).
    Value(u32),
    List(Vec<Id>),
    Tuple(Span),
    Set(Vec<Id>),
    Dict(Box<DictNode>),
    Global(Box<Global>),
    /// An index into [`Machine::storage_refs`] (kept beside the arena: one allocation for all).
    Storage(u32),
    Object(Box<ObjectNode>),
    /// `torch.Tensor` made by NEWOBJ, waiting for its legacy BUILD state.
    PendingTensor,
}

#[derive(Debug)]
pub(crate) struct DictNode {
    pub kind: DictKind,
    pub items: Vec<(Id, Id)>,
    /// BUILD state (the `__dict__` update: `_metadata` of state dicts).
    pub state: Option<Id>,
}

#[derive(Debug)]
pub(crate) struct ObjectNode {
    pub module: String,
    pub name: String,
    pub args: Vec<Id>,
    pub state: Option<Id>,
    pub items: Vec<(Id, Id)>,
    pub appended: Vec<Id>,
}

/// The machine state.
pub(crate) struct Machine<'p> {
    pub(super) nodes: Vec<Node>,
    /// The items of every tuple, end to end (see [`Span`]).
    pub(super) pool: Vec<Id>,
    /// The storages of `Node::Storage` nodes, with the key their persistent id names.
    pub(super) storage_refs: Vec<(StorageRef, String)>,
    /// The values of `Node::Value` nodes (taken out when converted).
    pub(super) values: Vec<Value>,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: Memo,
    pub(super) mode: UnpicklerMode,
    torchscript: bool,
    pub(super) limits: Limits,
    pub(super) provider: &'p mut dyn StorageProvider,
    /// Values produced by conversion, charged against `max_values` with the nodes.
    pub(super) produced: u64,
    /// Offset of the opcode being executed, for errors.
    pub(super) at: u64,
}

/// A format error at the current opcode.
pub(super) fn bad(at: u64, message: impl Into<String>) -> LoadError {
    LoadError::format(message, Location::at(at))
}

impl<'p> Machine<'p> {
    pub(crate) fn new(
        mode: UnpicklerMode,
        torchscript: bool,
        limits: &Limits,
        provider: &'p mut dyn StorageProvider,
    ) -> Machine<'p> {
        Machine {
            nodes: Vec::new(),
            pool: Vec::new(),
            storage_refs: Vec::new(),
            values: Vec::new(),
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            mode,
            torchscript,
            limits: limits.clone(),
            provider,
            produced: 0,
            at: 0,
        }
    }

    pub(super) fn node(&self, id: Id) -> Result<&Node, LoadError> {
        self.nodes
            .get(id as usize)
            .ok_or_else(|| bad(self.at, "internal: dangling node"))
    }

    pub(super) fn node_mut(&mut self, id: Id) -> Result<&mut Node, LoadError> {
        let at = self.at;
        self.nodes
            .get_mut(id as usize)
            .ok_or_else(|| bad(at, "internal: dangling node"))
    }

    /// Adds a node to the arena, charging it against `max_values`.
    pub(super) fn alloc(&mut self, node: Node) -> Result<Id, LoadError> {
        let n = self.nodes.len() as u64 + self.produced;
        let at = self.at;
        Limits::check("max_values", n + 1, self.limits.max_values, || {
            Location::at(at)
        })?;
        let id = Id::try_from(self.nodes.len()).map_err(|_| bad(at, "too many objects"))?;
        self.nodes.push(node);
        Ok(id)
    }

    fn push(&mut self, id: Id) -> Result<(), LoadError> {
        let at = self.at;
        Limits::check(
            "max_stack_size",
            self.stack.len() as u64 + 1,
            self.limits.max_stack_size,
            || Location::at(at),
        )?;
        self.stack.push(id);
        Ok(())
    }

    fn push_new(&mut self, node: Node) -> Result<(), LoadError> {
        let id = self.alloc(node)?;
        self.push(id)
    }

    fn frame_base(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Id, LoadError> {
        if self.stack.len() <= self.frame_base() {
            return Err(bad(self.at, "stack underflow"));
        }
        self.stack
            .pop()
            .ok_or_else(|| bad(self.at, "stack underflow"))
    }

    fn top(&self) -> Result<Id, LoadError> {
        if self.stack.len() <= self.frame_base() {
            return Err(bad(self.at, "stack underflow"));
        }
        self.stack
            .last()
            .copied()
            .ok_or_else(|| bad(self.at, "stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>, LoadError> {
        let base = self
            .marks
            .pop()
            .ok_or_else(|| bad(self.at, "no MARK on the stack"))?;
        Ok(self.stack.split_off(base.min(self.stack.len())))
    }

    /// Adds a `Node::Value` node holding `v`.
    pub(super) fn new_value(&mut self, v: Value) -> Result<Id, LoadError> {
        let index =
            u32::try_from(self.values.len()).map_err(|_| bad(self.at, "too many objects"))?;
        let id = self.alloc(Node::Value(index))?;
        self.values.push(v);
        Ok(id)
    }

    /// The value of a `Node::Value` node.
    pub(super) fn value(&self, index: u32) -> Result<&Value, LoadError> {
        self.values
            .get(index as usize)
            .ok_or_else(|| bad(self.at, "internal: dangling value"))
    }

    fn push_int(&mut self, i: Int) -> Result<(), LoadError> {
        let id = match i {
            Int::Small(v) => self.alloc(Node::Int(v))?,
            Int::Big(b) => self.new_value(Value::BigInt(b))?,
        };
        self.push(id)
    }

    /// The storage of a `Node::Storage` node.
    pub(super) fn storage_ref(&self, index: u32) -> Result<&(StorageRef, String), LoadError> {
        self.storage_refs
            .get(index as usize)
            .ok_or_else(|| bad(self.at, "internal: dangling storage"))
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

    /// The items of a tuple.
    pub(super) fn ids(&self, span: Span) -> Result<&[Id], LoadError> {
        span.of(&self.pool)
            .ok_or_else(|| bad(self.at, "internal: dangling tuple"))
    }

    fn memo_put(&mut self, index: u32) -> Result<(), LoadError> {
        let top = self.top()?;
        if self.memo.is_free(index) {
            let at = self.at;
            Limits::check(
                "max_memo_entries",
                self.memo.len() as u64 + 1,
                self.limits.max_memo_entries,
                || Location::at(at),
            )?;
        }
        self.memo.insert(index, top);
        Ok(())
    }

    fn memo_get(&mut self, index: u32) -> Result<(), LoadError> {
        let id = self
            .memo
            .get(index)
            .ok_or_else(|| bad(self.at, format!("memo key {index} was never stored")))?;
        self.push(id)
    }

    /// Reads a length-prefixed string of `n` declared bytes, checked before reading.
    fn counted<'i, I: Input>(
        &self,
        input: &'i mut I,
        n: u64,
    ) -> Result<std::borrow::Cow<'i, [u8]>, LoadError> {
        let at = self.at;
        Limits::check("max_string_len", n, self.limits.max_string_len, || {
            Location::at(at)
        })?;
        if n > input.remaining() {
            return Err(bad(
                at,
                format!(
                    "declared length {n} is more than the {} bytes left",
                    input.remaining()
                ),
            ));
        }
        let n = usize::try_from(n).map_err(|_| bad(at, "length overflows"))?;
        input.take(n)
    }

    fn text<I: Input>(&self, input: &mut I, n: u64) -> Result<String, LoadError> {
        let at = self.at;
        let b = self.counted(input, n)?;
        String::from_utf8(b.into_owned()).map_err(|_| bad(at, "string is not valid UTF-8"))
    }

    fn line_str<I: Input>(&self, input: &mut I) -> Result<String, LoadError> {
        let at = self.at;
        let b = input.line()?;
        String::from_utf8(b.into_owned()).map_err(|_| bad(at, "text argument is not UTF-8"))
    }

    fn line_u32<I: Input>(&self, input: &mut I) -> Result<u32, LoadError> {
        let s = self.line_str(input)?;
        s.trim()
            .parse()
            .map_err(|_| bad(self.at, format!("bad memo index {s:?}")))
    }

    /// Runs the pickle to its STOP; returns the root node.
    ///
    /// # Errors
    /// Format, unsupported, limit and unsafe-global errors, each at the opcode's offset.
    pub(crate) fn run<I: Input>(&mut self, input: &mut I) -> Result<Id, LoadError> {
        let start = input.pos();
        if let Some(len) = input.exact_len() {
            // Opcodes average well over 3 bytes; the pickle's bytes are real, so this is
            // proportional to memory the input already occupies.
            let hint = (len / 3).min(self.limits.max_values);
            self.nodes.reserve(usize::try_from(hint).unwrap_or(0));
        }
        loop {
            self.at = input.pos();
            let at = self.at;
            Limits::check(
                "max_pickle_bytes",
                at - start,
                self.limits.max_pickle_bytes,
                || Location::at(at),
            )?;
            let op = input.byte()?;
            match op {
                STOP => {
                    // STOP: Python returns the top and ignores anything left below it.
                    return self.pop();
                }
                MARK => {
                    Limits::check(
                        "max_stack_depth",
                        self.marks.len() as u64 + 1,
                        self.limits.max_stack_depth,
                        || Location::at(at),
                    )?;
                    self.marks.push(self.stack.len());
                }
                POP => {
                    if self.stack.len() > self.frame_base() {
                        self.pop()?;
                    } else {
                        self.pop_mark()?;
                    }
                }
                POP_MARK => {
                    self.pop_mark()?;
                }
                DUP => {
                    let t = self.top()?;
                    self.push(t)?;
                }
                NONE => self.push_new(Node::None)?,
                NEWTRUE => self.push_new(Node::Bool(true))?,
                NEWFALSE => self.push_new(Node::Bool(false))?,
                BININT => {
                    let v = i32::from_le_bytes(input.array()?);
                    self.push_new(Node::Int(i64::from(v)))?;
                }
                BININT1 => {
                    let v = input.byte()?;
                    self.push_new(Node::Int(i64::from(v)))?;
                }
                BININT2 => {
                    let v = u16::from_le_bytes(input.array()?);
                    self.push_new(Node::Int(i64::from(v)))?;
                }
                LONG1 => {
                    let n = u64::from(input.byte()?);
                    let b = self.counted(input, n)?.into_owned();
                    self.push_int(long_int(&b))?;
                }
                LONG4 => {
                    let n = i32::from_le_bytes(input.array()?);
                    let n = u64::try_from(n).map_err(|_| bad(at, "LONG4 with negative length"))?;
                    let b = self.counted(input, n)?.into_owned();
                    self.push_int(long_int(&b))?;
                }
                INT => {
                    let s = self.line_str(input)?;
                    match s.as_str() {
                        "01" => self.push_new(Node::Bool(true))?,
                        "00" => self.push_new(Node::Bool(false))?,
                        t => {
                            let i =
                                decimal_int(t).ok_or_else(|| bad(at, format!("bad INT {t:?}")))?;
                            self.push_int(i)?;
                        }
                    }
                }
                LONG => {
                    let s = self.line_str(input)?;
                    let t = s.strip_suffix('L').unwrap_or(&s);
                    let i = decimal_int(t).ok_or_else(|| bad(at, format!("bad LONG {s:?}")))?;
                    self.push_int(i)?;
                }
                BINFLOAT => {
                    let v = f64::from_be_bytes(input.array()?);
                    self.push_new(Node::Float(v))?;
                }
                FLOAT => {
                    let s = self.line_str(input)?;
                    let v =
                        parse_float(s.trim()).ok_or_else(|| bad(at, format!("bad FLOAT {s:?}")))?;
                    self.push_new(Node::Float(v))?;
                }
                BINUNICODE => {
                    let n = u32::from_le_bytes(input.array()?);
                    let s = self.text(input, u64::from(n))?;
                    self.push_new(Node::Str(s.into()))?;
                }
                SHORT_BINUNICODE => {
                    let n = input.byte()?;
                    let s = self.text(input, u64::from(n))?;
                    self.push_new(Node::Str(s.into()))?;
                }
                BINUNICODE8 => {
                    let n = u64::from_le_bytes(input.array()?);
                    let s = self.text(input, n)?;
                    self.push_new(Node::Str(s.into()))?;
                }
                // Python 2 `str`: torch.load decodes it as UTF-8.
                BINSTRING => {
                    let n = i32::from_le_bytes(input.array()?);
                    let n = u64::try_from(n).map_err(|_| bad(at, "negative BINSTRING length"))?;
                    let s = self.text(input, n)?;
                    self.push_new(Node::Str(s.into()))?;
                }
                SHORT_BINSTRING => {
                    let n = input.byte()?;
                    let s = self.text(input, u64::from(n))?;
                    self.push_new(Node::Str(s.into()))?;
                }
                BINBYTES | SHORT_BINBYTES | BINBYTES8 | BYTEARRAY8 => {
                    let n = match op {
                        BINBYTES => u64::from(u32::from_le_bytes(input.array()?)),
                        SHORT_BINBYTES => u64::from(input.byte()?),
                        _ => u64::from_le_bytes(input.array()?),
                    };
                    let b = self.counted(input, n)?.into_owned();
                    let v = if op == BYTEARRAY8 {
                        Value::ByteArray(b)
                    } else {
                        Value::Bytes(b)
                    };
                    let id = self.new_value(v)?;
                    self.push(id)?;
                }
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
                    let pairs =
                        pairs(&items).ok_or_else(|| bad(at, "SETITEMS with an odd count"))?;
                    let target = self.top()?;
                    self.set_items(target, pairs)?;
                }
                PUT => {
                    let i = self.line_u32(input)?;
                    self.memo_put(i)?;
                }
                BINPUT => {
                    let i = input.byte()?;
                    self.memo_put(u32::from(i))?;
                }
                LONG_BINPUT => {
                    let i = u32::from_le_bytes(input.array()?);
                    self.memo_put(i)?;
                }
                MEMOIZE => {
                    let i = u32::try_from(self.memo.len()).map_err(|_| bad(at, "memo full"))?;
                    self.memo_put(i)?;
                }
                GET => {
                    let i = self.line_u32(input)?;
                    self.memo_get(i)?;
                }
                BINGET => {
                    let i = input.byte()?;
                    self.memo_get(u32::from(i))?;
                }
                LONG_BINGET => {
                    let i = u32::from_le_bytes(input.array()?);
                    self.memo_get(i)?;
                }
                GLOBAL => {
                    let module = self.line_str(input)?;
                    let name = self.line_str(input)?;
                    let g = resolve(&module, &name, self.mode, self.torchscript, at)?;
                    self.push_new(Node::Global(Box::new(g)))?;
                }
                STACK_GLOBAL => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Node::Str(m), Node::Str(n)) = (self.node(module)?, self.node(name)?)
                    else {
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
                PROTO => {
                    let proto = input.byte()?;
                    if proto > 5 {
                        return Err(LoadError::unsupported(
                            format!("pickle protocol {proto}"),
                            Location::at(at),
                        ));
                    }
                }
                FRAME => {
                    // FRAME only announces how many bytes follow; the data is read as usual.
                    let n = u64::from_le_bytes(input.array()?);
                    if n > input.remaining() {
                        return Err(bad(at, format!("FRAME of {n} bytes past the end")));
                    }
                }
                _ => {
                    return Err(LoadError::unsupported(
                        format!("pickle opcode {}", opcodes::describe(op)),
                        Location::at(at),
                    ));
                }
            }
        }
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
