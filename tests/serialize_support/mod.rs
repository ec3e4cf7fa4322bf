//! Helpers shared by the serialization tests: structural value equality (tensors by layout
//! and bytes), storage-sharing patterns, and a tiny zip directory walker.
#![allow(dead_code)]

use std::collections::HashMap;

use pt::core::{Tensor, Value};
use serde_json::Value as Json;

/// The storage of each tensor leaf, numbered by first appearance: equal numbers share.
pub fn sharing_pattern(v: &Value) -> Vec<usize> {
    let mut ids = HashMap::new();
    let mut out = Vec::new();
    visit_tensors(v, &mut |t| {
        let n = ids.len();
        out.push(*ids.entry(t.storage().id()).or_insert(n));
    });
    out
}

/// Calls `f` on every tensor leaf, depth first in container order.
pub fn visit_tensors(v: &Value, f: &mut dyn FnMut(&Tensor)) {
    match v {
        Value::Tensor(t) | Value::Parameter(t) => f(t),
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => {
            items.iter().for_each(|x| visit_tensors(x, f));
        }
        Value::Dict(d) => {
            d.items.values().for_each(|x| visit_tensors(x, f));
            d.attrs.values().for_each(|x| visit_tensors(x, f));
        }
        _ => {}
    }
}

fn same_tensor(a: &Tensor, b: &Tensor) -> Result<(), String> {
    if a.dtype() != b.dtype() {
        return Err(format!("dtype {} vs {}", a.dtype(), b.dtype()));
    }
    if a.shape() != b.shape() || a.stride() != b.stride() {
        return Err(format!(
            "layout {:?}/{:?} vs {:?}/{:?}",
            a.shape(),
            a.stride(),
            b.shape(),
            b.stride()
        ));
    }
    if a.storage_offset() != b.storage_offset() {
        return Err(format!(
            "offset {} vs {}",
            a.storage_offset(),
            b.storage_offset()
        ));
    }
    if a.requires_grad() != b.requires_grad() {
        return Err("requires_grad differs".into());
    }
    if a.to_contiguous_bytes() != b.to_contiguous_bytes() {
        return Err("element bytes differ".into());
    }
    Ok(())
}

/// Structural equality; floats by bits. Returns where they differ.
pub fn same_value(a: &Value, b: &Value, path: &str) -> Result<(), String> {
    let fail = |why: String| Err(format!("at `{path}`: {why}"));
    match (a, b) {
        (Value::None, Value::None) => Ok(()),
        (Value::Bool(x), Value::Bool(y)) if x == y => Ok(()),
        (Value::Int(x), Value::Int(y)) if x == y => Ok(()),
        (Value::BigInt(x), Value::BigInt(y)) if x == y => Ok(()),
        (Value::Float(x), Value::Float(y)) if x.to_bits() == y.to_bits() => Ok(()),
        (Value::Complex(x), Value::Complex(y))
            if x.re.to_bits() == y.re.to_bits() && x.im.to_bits() == y.im.to_bits() =>
        {
            Ok(())
        }
        (Value::Str(x), Value::Str(y)) if x == y => Ok(()),
        (Value::Bytes(x), Value::Bytes(y)) | (Value::ByteArray(x), Value::ByteArray(y))
            if x == y =>
        {
            Ok(())
        }
        (Value::Size(x), Value::Size(y)) if x == y => Ok(()),
        (Value::DType(x), Value::DType(y)) if x == y => Ok(()),
        (Value::Device(x), Value::Device(y)) if x == y => Ok(()),
        (Value::List(x), Value::List(y))
        | (Value::Tuple(x), Value::Tuple(y))
        | (Value::Set(x), Value::Set(y)) => {
            if x.len() != y.len() {
                return fail(format!("{} items vs {}", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same_value(p, q, &format!("{path}.{i}"))?;
            }
            Ok(())
        }
        (Value::Dict(x), Value::Dict(y)) => {
            if x.kind != y.kind {
                return fail(format!("dict kind {:?} vs {:?}", x.kind, y.kind));
            }
            let kx: Vec<_> = x.items.keys().collect();
            let ky: Vec<_> = y.items.keys().collect();
            if kx != ky {
                return fail(format!("keys {kx:?} vs {ky:?}"));
            }
            for (k, v) in &x.items {
                same_value(v, &y.items[k], &format!("{path}.{k}"))?;
            }
            let ax: Vec<_> = x.attrs.keys().collect();
            let ay: Vec<_> = y.attrs.keys().collect();
            if ax != ay {
                return fail(format!("attrs {ax:?} vs {ay:?}"));
            }
            for (k, v) in &x.attrs {
                same_value(v, &y.attrs[k], &format!("{path}@{k}"))?;
            }
            Ok(())
        }
        (Value::Tensor(x), Value::Tensor(y)) | (Value::Parameter(x), Value::Parameter(y)) => {
            same_tensor(x, y).or_else(&fail)
        }
        _ => fail(format!("{} vs {}", a.kind(), b.kind())),
    }
}

/// One record of a zip, from its central directory, with the offset of its data.
#[derive(Debug)]
pub struct Record {
    pub name: String,
    pub method: u16,
    pub flags: u16,
    pub size: u64,
    pub data_offset: u64,
}

fn u16_at(b: &[u8], i: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[i], b[i + 1]]))
}

fn u32_at(b: &[u8], i: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[i..i + 4].try_into().unwrap()))
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

/// The records of a well-formed archive (test helper: panics on malformed input), reading
/// the zip64 end record when present.
pub fn records(bytes: &[u8]) -> Vec<Record> {
    let eocd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("end of central directory");
    let (mut count, mut cd) = (u16_at(bytes, eocd + 10), u32_at(bytes, eocd + 16));
    if eocd >= 20 && &bytes[eocd - 20..eocd - 16] == b"PK\x06\x07" {
        let z = u64_at(bytes, eocd - 12) as usize;
        assert_eq!(&bytes[z..z + 4], b"PK\x06\x06");
        count = u64_at(bytes, z + 32);
        cd = u64_at(bytes, z + 48);
    }
    let mut out = Vec::new();
    let mut p = cd as usize;
    for _ in 0..count {
        assert_eq!(&bytes[p..p + 4], b"PK\x01\x02");
        let flags = u16_at(bytes, p + 8) as u16;
        let method = u16_at(bytes, p + 10) as u16;
        let mut size = u32_at(bytes, p + 24);
        let n = u16_at(bytes, p + 28) as usize;
        let e = u16_at(bytes, p + 30) as usize;
        let c = u16_at(bytes, p + 32) as usize;
        let mut off = u32_at(bytes, p + 42);
        let name = String::from_utf8(bytes[p + 46..p + 46 + n].to_vec()).unwrap();
        let extra = &bytes[p + 46 + n..p + 46 + n + e];
        if extra.len() >= 4 && u16_at(extra, 0) == 1 {
            let mut k = 4;
            if size == u64::from(u32::MAX) {
                size = u64_at(extra, k);
                k += 16;
            }
            if off == u64::from(u32::MAX) {
                off = u64_at(extra, k);
            }
        }
        let h = off as usize;
        assert_eq!(&bytes[h..h + 4], b"PK\x03\x04", "{name}");
        let data_offset = off + 30 + u16_at(bytes, h + 26) + u16_at(bytes, h + 28);
        out.push(Record {
            name,
            method,
            flags,
            size,
            data_offset,
        });
        p += 46 + n + e + c;
    }
    out
}

/// JSON equality, except that floats may differ by the last bit: serde_json's default float
/// parser is not correctly rounded, so the fixture's shortest-repr text can read back one ulp
/// off. (`sha256` still pins every tensor bit.)
pub fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => {
                    x == y || (x - y).abs() <= 2.0 * f64::EPSILON * x.abs().max(y.abs())
                }
                _ => false,
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}
