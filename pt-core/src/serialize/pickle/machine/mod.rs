//! The unpickling machine: stack, marks and memo over an arena of nodes; `run` reads each opcode
//! and hands it to the handler of its family (`stack`, `scalars`, `containers`, `objects`). It never
//! calls anything: globals resolve to known behaviours (see `globals`) and everything else is
//! data.
//!
//! Opcodes accepted: every data opcode of protocols 0–5 (a superset of PyTorch's
//! `weights_only` set, which refuses protocol ≥ 3 files at `FRAME`; all of them only build
//! data, so accepting them is safe). Refused as unsupported: `EXT1/2/4` (extension registry),
//! `INST`/`OBJ` (text-form object creation), `PERSID` (text persistent ids, which torch never
//! writes), `STRING`/`UNICODE` (escaped text forms) and the out-of-band buffer opcodes.

mod containers;
mod objects;
mod scalars;
mod stack;

use super::globals::Global;
use super::input::Input;
use super::memo::Memo;
use super::numbers::Int;
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

/// An opcode handed to a family handler that does not own it (a bug in `run`'s dispatch).
fn misrouted(at: u64, op: u8) -> LoadError {
    bad(
        at,
        format!(
            "internal: {} dispatched to the wrong handler",
            opcodes::describe(op)
        ),
    )
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
                    // Python returns the top and ignores anything left below it.
                    return self.pop();
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
                MARK | POP | POP_MARK | DUP | PUT | BINPUT | LONG_BINPUT | MEMOIZE | GET
                | BINGET | LONG_BINGET => self.stack_or_memo(op, input)?,
                NONE | NEWTRUE | NEWFALSE | BININT | BININT1 | BININT2 | LONG1 | LONG4 | INT
                | LONG | BINFLOAT | FLOAT | BINUNICODE | SHORT_BINUNICODE | BINUNICODE8
                | BINSTRING | SHORT_BINSTRING | BINBYTES | SHORT_BINBYTES | BINBYTES8
                | BYTEARRAY8 => self.scalar(op, input)?,
                EMPTY_TUPLE | EMPTY_LIST | EMPTY_DICT | EMPTY_SET | TUPLE | LIST | FROZENSET
                | DICT | TUPLE1 | TUPLE2 | TUPLE3 | APPEND | APPENDS | ADDITEMS | SETITEM
                | SETITEMS => self.container(op)?,
                GLOBAL | STACK_GLOBAL | REDUCE | NEWOBJ | NEWOBJ_EX | BUILD | BINPERSID => {
                    self.object(op, input)?
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
}
