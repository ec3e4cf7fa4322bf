//! A protocol-2 pickler producing the opcodes Python's pickler writes for the objects
//! `torch.save` handles: memoized strings, globals and containers (`BINPUT`/`LONG_BINPUT`),
//! 1000-item `APPENDS`/`SETITEMS` batches, big-endian `BINFLOAT`, `LONG1` for big ints,
//! `_codecs.encode` for bytes, `__builtin__` names, and persistent ids for storages.

use super::opcodes::*;
use crate::dtype::DType;
use crate::serialize::error::SaveError;
use crate::serialize::options::LocationRegistry;
use crate::storage::Storage;
use crate::tensor::Tensor;
use crate::value::{Dict, DictKind, Key, Value};
use foldhash::HashMap;

const BATCH: usize = 1000;

/// A storage to write as `data/<key>`.
#[derive(Debug)]
pub(crate) struct StorageEntry {
    pub key: String,
    pub storage: Storage,
    /// Bytes of the record (the whole storage, rounded down to whole elements).
    pub nbytes: usize,
    dtype: DType,
    first_path: String,
}

/// The pickle and the storages it references, in key order.
#[derive(Debug)]
pub(crate) struct Pickled {
    pub data: Vec<u8>,
    pub storages: Vec<StorageEntry>,
}

struct Pickler<'r> {
    out: Vec<u8>,
    memo_next: u32,
    globals: HashMap<(&'static str, &'static str), u32>,
    strings: HashMap<String, u32>,
    storages: Vec<StorageEntry>,
    by_storage: HashMap<usize, usize>,
    registry: &'r LocationRegistry,
    max_nesting: usize,
    path: Vec<String>,
}

/// Pickles `value` as `torch.save` does.
///
/// # Errors
/// [`SaveError`] for values PyTorch cannot load (inert objects), tensors viewing one storage
/// with different dtypes, untaggable storages or over-deep nesting.
pub(crate) fn pickle(
    value: &Value,
    registry: &LocationRegistry,
    max_nesting: usize,
) -> Result<Pickled, SaveError> {
    let mut p = Pickler {
        out: vec![PROTO, 2],
        memo_next: 0,
        globals: HashMap::default(),
        strings: HashMap::default(),
        storages: Vec::new(),
        by_storage: HashMap::default(),
        registry,
        max_nesting,
        path: Vec::new(),
    };
    p.save(value, 0)?;
    p.out.push(STOP);
    Ok(Pickled {
        data: p.out,
        storages: p.storages,
    })
}

impl Pickler<'_> {
    fn path(&self) -> String {
        self.path.join(".")
    }

    fn unsupported(&self, what: impl Into<String>) -> SaveError {
        SaveError::Unsupported {
            what: what.into(),
            path: self.path(),
        }
    }

    fn memoize(&mut self) -> u32 {
        let i = self.memo_next;
        if i < 256 {
            self.out.extend_from_slice(&[BINPUT, i as u8]);
        } else {
            self.out.push(LONG_BINPUT);
            self.out.extend_from_slice(&i.to_le_bytes());
        }
        self.memo_next += 1;
        i
    }

    fn get(&mut self, i: u32) {
        if i < 256 {
            self.out.extend_from_slice(&[BINGET, i as u8]);
        } else {
            self.out.push(LONG_BINGET);
            self.out.extend_from_slice(&i.to_le_bytes());
        }
    }

    fn global(&mut self, module: &'static str, name: &'static str) {
        if let Some(&i) = self.globals.get(&(module, name)) {
            self.get(i);
            return;
        }
        self.out.push(GLOBAL);
        self.out.extend_from_slice(module.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'\n');
        let i = self.memoize();
        self.globals.insert((module, name), i);
    }

    fn string(&mut self, s: &str) {
        if let Some(&i) = self.strings.get(s) {
            self.get(i);
            return;
        }
        self.out.push(BINUNICODE);
        self.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
        let i = self.memoize();
        self.strings.insert(s.to_owned(), i);
    }

    fn int(&mut self, v: i64) {
        if (0..=0xFF).contains(&v) {
            self.out.extend_from_slice(&[BININT1, v as u8]);
        } else if (0..=0xFFFF).contains(&v) {
            self.out.push(BININT2);
            self.out.extend_from_slice(&(v as u16).to_le_bytes());
        } else if let Ok(i) = i32::try_from(v) {
            self.out.push(BININT);
            self.out.extend_from_slice(&i.to_le_bytes());
        } else {
            self.long(&minimal_long(&v.to_le_bytes()));
        }
    }

    fn long(&mut self, bytes: &[u8]) {
        if let Ok(n) = u8::try_from(bytes.len()) {
            self.out.extend_from_slice(&[LONG1, n]);
        } else {
            self.out.push(LONG4);
            self.out
                .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        }
        self.out.extend_from_slice(bytes);
    }

    fn float(&mut self, f: f64) {
        self.out.push(BINFLOAT);
        self.out.extend_from_slice(&f.to_be_bytes());
    }

    fn bool(&mut self, b: bool) {
        self.out.push(if b { NEWTRUE } else { NEWFALSE });
    }

    /// `bytes` as Python 3 pickles them at protocol 2: `_codecs.encode(latin1_text, 'latin1')`.
    fn bytes(&mut self, b: &[u8]) {
        self.global("_codecs", "encode");
        let text: String = b.iter().map(|&c| char::from(c)).collect();
        self.string(&text);
        self.string("latin1");
        self.out.push(TUPLE2);
        self.memoize();
        self.out.push(REDUCE);
        self.memoize();
    }

    fn check_depth(&self, depth: usize) -> Result<(), SaveError> {
        if depth > self.max_nesting {
            return Err(self.unsupported(format!(
                "a value nested deeper than {} levels",
                self.max_nesting
            )));
        }
        Ok(())
    }

    fn save(&mut self, v: &Value, depth: usize) -> Result<(), SaveError> {
        self.check_depth(depth)?;
        let d = depth + 1;
        match v {
            Value::None => self.out.push(NONE),
            Value::Bool(b) => self.bool(*b),
            Value::Int(i) => self.int(*i),
            Value::BigInt(b) => self.long(&minimal_long(b)),
            Value::Float(f) => self.float(*f),
            Value::Complex(c) => {
                self.global("__builtin__", "complex");
                self.float(c.re);
                self.float(c.im);
                self.out.push(TUPLE2);
                self.memoize();
                self.out.push(REDUCE);
                self.memoize();
            }
            Value::Str(s) => self.string(s),
            Value::Bytes(b) => self.bytes(b),
            Value::ByteArray(b) => {
                self.global("__builtin__", "bytearray");
                self.bytes(b);
                self.out.push(TUPLE1);
                self.memoize();
                self.out.push(REDUCE);
                self.memoize();
            }
            Value::List(items) => {
                self.out.push(EMPTY_LIST);
                self.memoize();
                self.appends(items, d)?;
            }
            Value::Tuple(items) => self.tuple(items.len(), |p, i| {
                p.path.push(i.to_string());
                let r = items.get(i).map_or(Ok(()), |x| p.save(x, d));
                p.path.pop();
                r
            })?,
            Value::Set(items) => {
                self.global("__builtin__", "set");
                self.out.push(EMPTY_LIST);
                self.memoize();
                self.appends(items, d)?;
                self.out.push(TUPLE1);
                self.memoize();
                self.out.push(REDUCE);
                self.memoize();
            }
            Value::Dict(dict) => self.dict(dict, d)?,
            Value::Tensor(t) => self.tensor(t, t.requires_grad())?,
            Value::Parameter(t) => {
                self.global("torch._utils", "_rebuild_parameter");
                self.tensor(t, false)?;
                self.bool(t.requires_grad());
                self.empty_ordered_dict_open();
                self.out.push(TUPLE3);
                self.memoize();
                self.out.push(REDUCE);
                self.memoize();
            }
            Value::Size(dims) => {
                self.global("torch", "Size");
                self.tuple(dims.len(), |p, i| {
                    p.int(dims.get(i).copied().unwrap_or(0));
                    Ok(())
                })?;
                self.out.push(TUPLE1);
                self.memoize();
                self.out.push(REDUCE);
                self.memoize();
            }
            Value::DType(dt) => self.global("torch", dt.name()),
            Value::Device(name) => {
                self.global("torch", "device");
                match name.split_once(':').map(|(t, i)| (t, i.parse::<i64>())) {
                    Some((ty, Ok(index))) => {
                        self.string(ty);
                        self.int(index);
                        self.out.push(TUPLE2);
                    }
                    _ => {
                        self.string(name);
                        self.out.push(TUPLE1);
                    }
                }
                self.memoize();
                self.out.push(REDUCE);
                self.memoize();
            }
            Value::Object(o) => {
                return Err(self.unsupported(format!(
                    "an inert object of class {}.{} (PyTorch's weights_only loader would refuse it)",
                    o.module, o.name
                )));
            }
        }
        Ok(())
    }

    /// A tuple of `n` items written by `item`, as Python's `save_tuple` does.
    fn tuple(
        &mut self,
        n: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), SaveError>,
    ) -> Result<(), SaveError> {
        if n == 0 {
            self.out.push(EMPTY_TUPLE);
            return Ok(());
        }
        if n > 3 {
            self.out.push(MARK);
        }
        for i in 0..n {
            item(self, i)?;
        }
        self.out.push(match n {
            1 => TUPLE1,
            2 => TUPLE2,
            3 => TUPLE3,
            _ => TUPLE,
        });
        self.memoize();
        Ok(())
    }

    fn appends(&mut self, items: &[Value], depth: usize) -> Result<(), SaveError> {
        let mut index = 0usize;
        for chunk in items.chunks(BATCH) {
            if chunk.len() > 1 {
                self.out.push(MARK);
            }
            for x in chunk {
                self.path.push(index.to_string());
                self.save(x, depth)?;
                self.path.pop();
                index += 1;
            }
            self.out
                .push(if chunk.len() > 1 { APPENDS } else { APPEND });
        }
        Ok(())
    }

    fn dict(&mut self, dict: &Dict, depth: usize) -> Result<(), SaveError> {
        match dict.kind {
            DictKind::Ordered => {
                self.empty_ordered_dict_open();
                self.setitems(dict.items.iter(), depth)?;
                self.state(dict, depth)?;
            }
            DictKind::Counter => {
                self.global("collections", "Counter");
                self.out.push(EMPTY_DICT);
                self.memoize();
                self.setitems(dict.items.iter(), depth)?;
                self.out.push(TUPLE1);
                self.memoize();
                self.out.push(REDUCE);
                self.memoize();
                self.state(dict, depth)?;
            }
            _ => {
                if !dict.attrs.is_empty() {
                    return Err(self.unsupported(
                        "attributes on a plain dict (only OrderedDict and Counter carry them)",
                    ));
                }
                self.out.push(EMPTY_DICT);
                self.memoize();
                self.setitems(dict.items.iter(), depth)?;
            }
        }
        Ok(())
    }

    /// The attributes of an OrderedDict/Counter as BUILD state (`_metadata`).
    fn state(&mut self, dict: &Dict, depth: usize) -> Result<(), SaveError> {
        if dict.attrs.is_empty() {
            return Ok(());
        }
        self.out.push(EMPTY_DICT);
        self.memoize();
        let keys: Vec<Key> = dict.attrs.keys().map(|k| Key::Str(k.clone())).collect();
        self.setitems(keys.iter().zip(dict.attrs.values()), depth)?;
        self.out.push(BUILD);
        Ok(())
    }

    fn setitems<'a>(
        &mut self,
        items: impl ExactSizeIterator<Item = (&'a Key, &'a Value)>,
        depth: usize,
    ) -> Result<(), SaveError> {
        let items: Vec<_> = items.collect();
        for chunk in items.chunks(BATCH) {
            if chunk.len() > 1 {
                self.out.push(MARK);
            }
            for (k, v) in chunk {
                self.key(k, depth)?;
                self.path.push(k.to_string());
                self.save(v, depth)?;
                self.path.pop();
            }
            self.out
                .push(if chunk.len() > 1 { SETITEMS } else { SETITEM });
        }
        Ok(())
    }

    fn key(&mut self, k: &Key, depth: usize) -> Result<(), SaveError> {
        self.check_depth(depth)?;
        match k {
            Key::Str(s) => self.string(s),
            Key::Int(i) => self.int(*i),
            Key::Bool(b) => self.bool(*b),
            Key::None => self.out.push(NONE),
            Key::FloatBits(b) => self.float(f64::from_bits(*b)),
            Key::Bytes(b) => self.bytes(b),
            Key::Tuple(items) => {
                self.tuple(items.len(), |p, i| match items.get(i) {
                    Some(x) => p.key(x, depth + 1),
                    None => Ok(()),
                })?;
            }
        }
        Ok(())
    }

    fn empty_ordered_dict_open(&mut self) {
        self.global("collections", "OrderedDict");
        self.out.push(EMPTY_TUPLE);
        self.out.push(REDUCE);
        self.memoize();
    }

    /// `_rebuild_tensor_v2(pid, offset, size, stride, requires_grad, OrderedDict())`, or
    /// `_rebuild_tensor_v3(…, dtype)` for dtypes without a legacy storage class.
    fn tensor(&mut self, t: &Tensor, requires_grad: bool) -> Result<(), SaveError> {
        let dtype = t.dtype();
        let legacy = dtype.legacy_storage_name();
        let func = if legacy.is_some() {
            "_rebuild_tensor_v2"
        } else {
            "_rebuild_tensor_v3"
        };
        self.global("torch._utils", func);
        self.out.push(MARK);
        self.persistent_id(t, legacy)?;
        self.int(t.storage_offset() as i64);
        let shape = t.shape().to_vec();
        self.tuple(shape.len(), |p, i| {
            p.int(shape.get(i).copied().unwrap_or(0) as i64);
            Ok(())
        })?;
        let stride = t.stride().to_vec();
        self.tuple(stride.len(), |p, i| {
            p.int(stride.get(i).copied().unwrap_or(0) as i64);
            Ok(())
        })?;
        self.bool(requires_grad);
        self.empty_ordered_dict_open();
        if legacy.is_none() {
            self.global("torch", dtype.name());
        }
        self.out.push(TUPLE);
        self.memoize();
        self.out.push(REDUCE);
        self.memoize();
        Ok(())
    }

    /// `('storage', StorageClass, key, location, numel)` + BINPERSID; one key per storage.
    fn persistent_id(&mut self, t: &Tensor, legacy: Option<&'static str>) -> Result<(), SaveError> {
        let storage = t.storage();
        let dtype = t.dtype();
        let index = match self.by_storage.get(&storage.id()) {
            Some(&i) => {
                let e = self
                    .storages
                    .get(i)
                    .ok_or_else(|| self.unsupported("storage"))?;
                if e.dtype != dtype && storage.nbytes() > 0 {
                    return Err(SaveError::SharedStorageDtype {
                        first_path: e.first_path.clone(),
                        first: e.dtype.name(),
                        path: self.path(),
                        second: dtype.name(),
                    });
                }
                i
            }
            None => {
                let nbytes = storage.nbytes() / dtype.size() * dtype.size();
                let i = self.storages.len();
                self.storages.push(StorageEntry {
                    key: i.to_string(),
                    storage: storage.clone(),
                    nbytes,
                    dtype,
                    first_path: self.path(),
                });
                self.by_storage.insert(storage.id(), i);
                i
            }
        };
        let location = self
            .registry
            .tag(storage)
            .ok_or_else(|| SaveError::NoLocation { path: self.path() })?;
        let (key, nbytes) = match self.storages.get(index) {
            Some(e) => (e.key.clone(), e.nbytes),
            None => return Err(self.unsupported("storage")),
        };
        self.out.push(MARK);
        self.string("storage");
        match legacy {
            Some(class) => self.global("torch", class),
            None => self.global("torch.storage", "UntypedStorage"),
        }
        self.string(&key);
        self.string(&location);
        let numel = if legacy.is_some() {
            nbytes / dtype.size()
        } else {
            nbytes
        };
        self.int(numel as i64);
        self.out.push(TUPLE);
        self.memoize();
        self.out.push(BINPERSID);
        Ok(())
    }
}

/// Python's `encode_long`: the shortest little-endian two's complement of the value.
fn minimal_long(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    while v.len() > 1 {
        let (Some(&last), Some(&prev)) = (v.last(), v.get(v.len() - 2)) else {
            break;
        };
        let redundant = (last == 0 && prev & 0x80 == 0) || (last == 0xFF && prev & 0x80 != 0);
        if !redundant {
            break;
        }
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longs_are_minimal() {
        assert_eq!(
            minimal_long(&(1i64 << 40).to_le_bytes()),
            vec![0, 0, 0, 0, 0, 1]
        );
        assert_eq!(minimal_long(&(-1i64).to_le_bytes()), vec![0xFF]);
        assert_eq!(minimal_long(&(128i64).to_le_bytes()), vec![0x80, 0]);
        assert_eq!(minimal_long(&(-129i64).to_le_bytes()), vec![0x7F, 0xFF]);
    }

    #[test]
    fn scalars_match_python() {
        let reg = LocationRegistry::default();
        let v = Value::List(vec![
            Value::Int(5),
            Value::Int(60000),
            Value::Int(-5),
            Value::Float(1.5),
        ]);
        let p = pickle(&v, &reg, 100).unwrap();
        assert_eq!(
            p.data,
            [
                &[
                    0x80, 2, b']', b'q', 0, b'(', b'K', 5, b'M', 0x60, 0xEA, b'J'
                ][..],
                &(-5i32).to_le_bytes(),
                b"G",
                &1.5f64.to_be_bytes(),
                b"e.",
            ]
            .concat()
        );
    }
}
