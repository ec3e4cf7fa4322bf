//! numpy arrays, dtypes and scalars as numpy pickles them, decoded into tensors and plain
//! scalars. Only data is built: numeric and bool dtypes in either byte order; object,
//! string, void and structured dtypes are refused by name.
//!
//! The forms: an array is `_reconstruct(ndarray, (0,), b'b')` then BUILD with
//! `(version, shape, dtype, is_fortran, raw_bytes)`; a dtype is `dtype('f8', False, True)`
//! then BUILD with `(3, '<', …)`; a scalar is `scalar(dtype, raw_bytes)`.

use super::globals::{Global, Numpy};
use super::machine::{Id, Machine, Node, ObjectNode, bad};
use crate::dtype::DType;
use crate::serialize::error::{LoadError, Location};
use crate::serialize::options::ByteOrder;
use crate::serialize::storages::swap_bytes;
use crate::tensor::Tensor;
use crate::value::Value;
use num_complex::Complex64;

/// Marker class names of objects under construction.
const ARRAY: (&str, &str) = ("numpy", "ndarray");
const DTYPE: (&str, &str) = ("numpy", "dtype");

/// A decoded numpy dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NpType {
    dtype: DType,
    big_endian: bool,
}

fn record(module: &str, name: &str, args: Vec<Id>) -> Node {
    Node::Object(Box::new(ObjectNode {
        module: module.to_owned(),
        name: name.to_owned(),
        args,
        state: None,
        items: Vec::new(),
        appended: Vec::new(),
    }))
}

/// The pt dtype of a numpy type code (`f8`, `<i4`, `b1`, …), or what to call it when
/// refused.
fn dtype_of_code(code: &str) -> Result<DType, String> {
    let code = code.trim_start_matches(['<', '>', '|', '=']);
    let (kind, size) = code.split_at(code.len().min(1));
    let d = match (kind, size) {
        ("b", "1" | "") | ("?", "") => DType::Bool,
        ("i", "1") => DType::I8,
        ("i", "2") => DType::I16,
        ("i", "4") => DType::I32,
        ("i", "8") => DType::I64,
        ("u", "1") => DType::U8,
        ("u", "2") => DType::U16,
        ("u", "4") => DType::U32,
        ("u", "8") => DType::U64,
        ("f", "2") => DType::F16,
        ("f", "4") => DType::F32,
        ("f", "8") => DType::F64,
        ("c", "8") => DType::C64,
        ("c", "16") => DType::C128,
        ("O", _) => {
            return Err(format!(
                "numpy object array (dtype {code}): its items are Python objects, not data"
            ));
        }
        _ => {
            return Err(format!(
                "numpy dtype `{code}` (only numeric and bool arrays are read)"
            ));
        }
    };
    Ok(d)
}

impl Machine<'_> {
    /// REDUCE of a numpy global.
    pub(super) fn numpy_call(&mut self, which: Numpy, a: &[Id]) -> Result<Id, LoadError> {
        let at = self.at;
        match which {
            Numpy::Reconstruct => {
                match a.first().map(|&c| self.node(c)).transpose()? {
                    Some(Node::Global(g)) if **g == Global::Numpy(Numpy::NdArray) => {}
                    _ => {
                        return Err(LoadError::unsupported(
                            "numpy _reconstruct of a class other than numpy.ndarray",
                            Location::at(at),
                        ));
                    }
                }
                self.alloc(record(ARRAY.0, ARRAY.1, Vec::new()))
            }
            Numpy::DType => {
                let code = a
                    .first()
                    .copied()
                    .ok_or_else(|| bad(at, "numpy.dtype() without a type code"))?;
                self.ascii(code)?;
                self.alloc(record(DTYPE.0, DTYPE.1, vec![code]))
            }
            Numpy::Scalar => {
                let (&dtype, &raw) = match a {
                    [d, r] => (d, r),
                    _ => return Err(bad(at, "numpy scalar() takes a dtype and bytes")),
                };
                let t = self.np_type(dtype)?;
                let mut bytes = self.bytes_value(raw)?;
                if bytes.len() != t.dtype.size() {
                    return Err(bad(
                        at,
                        format!("numpy {} scalar of {} bytes", t.dtype.name(), bytes.len()),
                    ));
                }
                if t.big_endian != (ByteOrder::native() == ByteOrder::Big) {
                    swap_bytes(&mut bytes, t.dtype);
                }
                let v = scalar_value(t.dtype, &bytes)
                    .ok_or_else(|| bad(at, "numpy scalar bytes do not decode"))?;
                self.new_value(v)
            }
            Numpy::NdArray => Err(LoadError::unsupported(
                "calling numpy.ndarray directly",
                Location::at(at),
            )),
        }
    }

    /// True when `inst` is an array under construction (BUILD then decodes it).
    pub(super) fn is_numpy_array(&self, inst: Id) -> Result<bool, LoadError> {
        Ok(
            matches!(self.node(inst)?, Node::Object(o) if (o.module.as_str(), o.name.as_str()) == ARRAY),
        )
    }

    /// BUILD of an array: `(version, shape, dtype, is_fortran, raw)` → a tensor in place.
    pub(super) fn build_numpy_array(&mut self, inst: Id, state: Id) -> Result<(), LoadError> {
        let at = self.at;
        let parts = self.seq_items(state)?;
        let (shape, dtype, fortran, raw) = match *parts.as_slice() {
            [_version, shape, dtype, fortran, raw] => (shape, dtype, fortran, raw),
            [shape, dtype, fortran, raw] => (shape, dtype, fortran, raw),
            _ => {
                return Err(bad(
                    at,
                    "numpy array state is not (version, shape, dtype, fortran, data)",
                ));
            }
        };
        let t = self.np_type(dtype)?;
        let shape: Vec<usize> = self
            .seq_items(shape)?
            .into_iter()
            .map(|i| {
                let n = self.non_negative(i, "numpy array dimension")?;
                usize::try_from(n).map_err(|_| bad(at, "numpy array dimension too large"))
            })
            .collect::<Result<_, _>>()?;
        let fortran = self.truth(fortran)?;
        let mut bytes = match self.node(raw)? {
            Node::List(_) => {
                return Err(LoadError::unsupported(
                    "numpy object array: its items are Python objects, not data",
                    Location::at(at),
                ));
            }
            _ => self.bytes_value(raw)?,
        };
        if t.big_endian != (ByteOrder::native() == ByteOrder::Big) {
            swap_bytes(&mut bytes, t.dtype);
        }
        let bad_len = |e: crate::Error| bad(at, format!("numpy array data: {e}"));
        let tensor = if fortran && shape.len() > 1 {
            // Column-major data: a contiguous tensor of the reversed shape, transposed back.
            let reversed: Vec<usize> = shape.iter().rev().copied().collect();
            let base = Tensor::from_raw_bytes(&bytes, t.dtype, &reversed).map_err(bad_len)?;
            let mut strides = vec![1usize; shape.len()];
            for i in 1..shape.len() {
                strides[i] = strides[i - 1] * shape[i - 1].max(1);
            }
            base.with_layout("numpy array", shape, strides, 0)
                .map_err(bad_len)?
        } else {
            Tensor::from_raw_bytes(&bytes, t.dtype, &shape).map_err(bad_len)?
        };
        let id = self.new_value(Value::Tensor(tensor))?;
        let built = std::mem::replace(self.node_mut(id)?, Node::None);
        *self.node_mut(inst)? = built;
        Ok(())
    }

    /// A dtype record (after its BUILD) as a pt dtype and byte order.
    fn np_type(&self, id: Id) -> Result<NpType, LoadError> {
        let at = self.at;
        let Node::Object(o) = self.node(id)? else {
            return Err(bad(at, "numpy dtype expected"));
        };
        if (o.module.as_str(), o.name.as_str()) != DTYPE {
            return Err(bad(
                at,
                format!("numpy dtype expected, found {}.{}", o.module, o.name),
            ));
        }
        let code = match o.args.first() {
            Some(&c) => self.ascii(c)?,
            None => return Err(bad(at, "numpy dtype without a type code")),
        };
        let dtype =
            dtype_of_code(&code).map_err(|m| LoadError::unsupported(m, Location::at(at)))?;
        // BUILD state `(version, byteorder, subarray, names, fields, …)`; a code may also
        // carry its order (`>i4`).
        let order = match o.state {
            Some(state) => {
                let items = self.seq_items(state)?;
                if items
                    .get(2)
                    .is_some_and(|&s| !matches!(self.node(s), Ok(Node::None)))
                    || items
                        .get(3)
                        .is_some_and(|&s| !matches!(self.node(s), Ok(Node::None)))
                {
                    return Err(LoadError::unsupported(
                        format!("numpy structured or subarray dtype `{code}`"),
                        Location::at(at),
                    ));
                }
                match items.get(1) {
                    Some(&b) => self.ascii(b)?,
                    None => String::new(),
                }
            }
            None => code.chars().take(1).collect(),
        };
        let big_endian = match order.as_str() {
            ">" => true,
            "<" => false,
            _ => ByteOrder::native() == ByteOrder::Big,
        };
        Ok(NpType { dtype, big_endian })
    }

    /// A bytes value (or a latin-1 str, as protocol 0–2 may hold raw data).
    fn bytes_value(&self, id: Id) -> Result<Vec<u8>, LoadError> {
        match self.node(id)? {
            &Node::Value(index) => match self.value(index)? {
                Value::Bytes(b) | Value::ByteArray(b) => Ok(b.clone()),
                _ => Err(bad(self.at, "numpy data is not bytes")),
            },
            Node::Str(s) => s
                .chars()
                .map(|c| {
                    u8::try_from(u32::from(c))
                        .map_err(|_| bad(self.at, "numpy data is not latin-1"))
                })
                .collect(),
            _ => Err(bad(self.at, "numpy data is not bytes")),
        }
    }
}

/// A numpy scalar's native-order bytes as a plain value.
fn scalar_value(d: DType, b: &[u8]) -> Option<Value> {
    let arr = |n: usize| -> Option<[u8; 8]> {
        let mut out = [0u8; 8];
        out.get_mut(..n)?.copy_from_slice(b.get(..n)?);
        Some(out)
    };
    Some(match d {
        DType::Bool => Value::Bool(*b.first()? != 0),
        DType::I8 => Value::Int(i64::from(i8::from_ne_bytes([*b.first()?]))),
        DType::I16 => Value::Int(i64::from(i16::from_ne_bytes(b.try_into().ok()?))),
        DType::I32 => Value::Int(i64::from(i32::from_ne_bytes(b.try_into().ok()?))),
        DType::I64 => Value::Int(i64::from_ne_bytes(b.try_into().ok()?)),
        DType::U8 => Value::Int(i64::from(*b.first()?)),
        DType::U16 => Value::Int(i64::from(u16::from_ne_bytes(b.try_into().ok()?))),
        DType::U32 => Value::Int(i64::from(u32::from_ne_bytes(b.try_into().ok()?))),
        DType::U64 => {
            let v = u64::from_ne_bytes(arr(8)?);
            match i64::try_from(v) {
                Ok(i) => Value::Int(i),
                // Python ints of any size: little-endian two's complement.
                Err(_) => Value::BigInt(v.to_le_bytes().into_iter().chain([0]).collect()),
            }
        }
        DType::F16 => Value::Float(f64::from(half::f16::from_ne_bytes(b.try_into().ok()?))),
        DType::F32 => Value::Float(f64::from(f32::from_ne_bytes(b.try_into().ok()?))),
        DType::F64 => Value::Float(f64::from_ne_bytes(b.try_into().ok()?)),
        DType::C64 => {
            let re = f32::from_ne_bytes(b.get(..4)?.try_into().ok()?);
            let im = f32::from_ne_bytes(b.get(4..8)?.try_into().ok()?);
            Value::Complex(Complex64::new(f64::from(re), f64::from(im)))
        }
        DType::C128 => {
            let re = f64::from_ne_bytes(b.get(..8)?.try_into().ok()?);
            let im = f64::from_ne_bytes(b.get(8..16)?.try_into().ok()?);
            Value::Complex(Complex64::new(re, im))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_dtypes_or_refusals() {
        assert_eq!(dtype_of_code("f8"), Ok(DType::F64));
        assert_eq!(dtype_of_code(">i4"), Ok(DType::I32));
        assert_eq!(dtype_of_code("b1"), Ok(DType::Bool));
        assert_eq!(dtype_of_code("c16"), Ok(DType::C128));
        assert!(dtype_of_code("O8").unwrap_err().contains("object"));
        assert!(dtype_of_code("U5").unwrap_err().contains("U5"));
    }

    #[test]
    fn scalars_decode() {
        assert!(
            matches!(scalar_value(DType::F32, &1.5f32.to_ne_bytes()), Some(Value::Float(f)) if f == 1.5)
        );
        assert!(matches!(
            scalar_value(DType::I16, &(-3i16).to_ne_bytes()),
            Some(Value::Int(-3))
        ));
        assert!(matches!(
            scalar_value(DType::U64, &u64::MAX.to_ne_bytes()),
            Some(Value::BigInt(_))
        ));
        assert!(matches!(
            scalar_value(DType::Bool, &[1]),
            Some(Value::Bool(true))
        ));
    }
}
