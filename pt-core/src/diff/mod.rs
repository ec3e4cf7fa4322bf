//! Comparing checkpoints: two flattened trees (dotted key → leaf value) compared key by key,
//! tensors element by element with `torch.allclose`'s rule. `pt diff` prints these reports.

mod numeric;

use indexmap::IndexMap;

use crate::join_key as join;
use crate::tensor::Tensor;
use crate::value::{Key, Value};

pub use numeric::{Closeness, Numbers, compare};

/// Flattens a value into its leaves, keyed as `pt inspect` paths: dict keys (Python
/// `str()`) and list/tuple indices joined with `.`, `""` for a bare root value. Empty
/// containers have no leaves.
pub fn flatten(value: &Value) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    walk(value, String::new(), &mut out);
    out
}

fn walk(value: &Value, path: String, out: &mut IndexMap<String, Value>) {
    match value {
        Value::Dict(d) => {
            for (k, v) in &d.items {
                let part = match k {
                    Key::Str(s) => s.clone(),
                    other => other.to_string(),
                };
                walk(v, join(&path, &part), out);
            }
        }
        Value::List(items) | Value::Tuple(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, join(&path, &i.to_string()), out);
            }
        }
        leaf => {
            out.insert(path, leaf.clone());
        }
    }
}

/// What differs at one shared key.
#[derive(Debug, Clone, PartialEq)]
pub enum Difference {
    /// Different kinds of value (tensor vs int, …).
    Kind(String, String),
    /// Different dtypes; the values are compared too when the shapes match.
    DType(String, String, Option<Closeness>),
    /// Different shapes.
    Shape(Vec<usize>, Vec<usize>),
    /// Same dtype and shape, elements not within tolerance.
    Values(Closeness),
    /// Different non-tensor values.
    Scalar(String, String),
    /// The elements could not be read as numbers.
    Unreadable(String),
}

/// The comparison of two trees ([`compare_trees`]).
#[derive(Debug, Default)]
pub struct DiffReport {
    /// Keys only in A, with a short description of the value.
    pub only_a: Vec<(String, String)>,
    /// Keys only in B.
    pub only_b: Vec<(String, String)>,
    /// Shared keys that differ, in A's order.
    pub changed: Vec<(String, Difference)>,
    /// Shared keys, counted.
    pub shared: usize,
    /// Largest |a - b| over all compared tensor and number elements that are finite.
    pub max_abs: f64,
    /// Largest relative difference over the same.
    pub max_rel: f64,
}

impl DiffReport {
    /// True when both trees have the same keys and every value is equal within tolerance.
    pub fn is_equal(&self) -> bool {
        self.only_a.is_empty() && self.only_b.is_empty() && self.changed.is_empty()
    }
}

/// A short description of a leaf: `float32 [2, 3]`, `int 5`.
pub fn describe_leaf(v: &Value) -> String {
    match v.as_tensor() {
        Some(t) => format!("{} {:?}", t.dtype().name(), t.shape()),
        None => format!("{} {}", v.kind(), scalar_text(v)),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::None => "None".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => format!("{s:?}"),
        Value::DType(d) => d.name().to_owned(),
        Value::Device(d) => d.clone(),
        Value::Size(s) => format!("{s:?}"),
        Value::Complex(c) => format!("({}{:+}j)", c.re, c.im),
        Value::Object(o) => format!("{}.{}", o.module, o.name),
        other => format!("{other:?}"),
    }
}

/// Compares two trees with torch.allclose's rule per element (`|a - b| <= atol + rtol·|b|`,
/// NaN equal to NaN at the same position).
pub fn compare_trees(
    a: &IndexMap<String, Value>,
    b: &IndexMap<String, Value>,
    atol: f64,
    rtol: f64,
) -> DiffReport {
    let mut r = DiffReport::default();
    for (k, va) in a {
        let Some(vb) = b.get(k) else {
            r.only_a.push((k.clone(), describe_leaf(va)));
            continue;
        };
        r.shared += 1;
        if let Some(d) = compare_leaves(va, vb, atol, rtol, &mut r) {
            r.changed.push((k.clone(), d));
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            r.only_b.push((k.clone(), describe_leaf(vb)));
        }
    }
    r
}

fn compare_leaves(
    a: &Value,
    b: &Value,
    atol: f64,
    rtol: f64,
    r: &mut DiffReport,
) -> Option<Difference> {
    match (a.as_tensor(), b.as_tensor()) {
        (Some(x), Some(y)) => compare_tensors(x, y, atol, rtol, r),
        (None, None) => {
            if let (Value::Float(_) | Value::Int(_), Value::Float(_) | Value::Int(_)) = (a, b) {
                let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                    return None;
                };
                let c = match (a, b) {
                    (Value::Int(p), Value::Int(q)) => compare(
                        Numbers::Int(vec![i128::from(*p)]),
                        Numbers::Int(vec![i128::from(*q)]),
                        atol,
                        rtol,
                    ),
                    _ => compare(Numbers::Float(vec![x]), Numbers::Float(vec![y]), atol, rtol),
                };
                track(r, &c);
                return (!c.is_close()).then(|| Difference::Scalar(scalar_text(a), scalar_text(b)));
            }
            if a.kind() != b.kind() {
                return Some(Difference::Kind(describe_leaf(a), describe_leaf(b)));
            }
            let (x, y) = (format!("{a:?}"), format!("{b:?}"));
            (x != y).then(|| Difference::Scalar(scalar_text(a), scalar_text(b)))
        }
        _ => Some(Difference::Kind(describe_leaf(a), describe_leaf(b))),
    }
}

fn track(r: &mut DiffReport, c: &Closeness) {
    r.max_abs = r.max_abs.max(c.max_abs);
    r.max_rel = r.max_rel.max(c.max_rel);
}

fn compare_tensors(
    x: &Tensor,
    y: &Tensor,
    atol: f64,
    rtol: f64,
    r: &mut DiffReport,
) -> Option<Difference> {
    if x.shape() != y.shape() {
        return Some(Difference::Shape(x.shape().to_vec(), y.shape().to_vec()));
    }
    // Identical bytes are equal whatever the dtype can express (float8, NaN payloads).
    if x.dtype() == y.dtype() && x.to_contiguous_bytes() == y.to_contiguous_bytes() {
        return None;
    }
    let values = match (Numbers::read(x), Numbers::read(y)) {
        (Ok(p), Ok(q)) => compare(p, q, atol, rtol),
        (Err(e), _) | (_, Err(e)) => return Some(Difference::Unreadable(e)),
    };
    track(r, &values);
    if x.dtype() != y.dtype() {
        return Some(Difference::DType(
            x.dtype().name().to_owned(),
            y.dtype().name().to_owned(),
            Some(values),
        ));
    }
    (!values.is_close()).then_some(Difference::Values(values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Dict, DictKind};

    fn tree(items: Vec<(&str, Value)>) -> IndexMap<String, Value> {
        let mut d = Dict::new(DictKind::Plain);
        for (k, v) in items {
            d.insert(k, v);
        }
        flatten(&Value::Dict(d))
    }

    #[test]
    fn flattens_like_inspect_paths() {
        let mut inner = Dict::new(DictKind::Plain);
        inner.insert(Key::Int(0), Value::Str("a".into()));
        let v = Value::List(vec![
            Value::Dict(inner),
            Value::Tuple(vec![]),
            Value::Int(3),
        ]);
        let f = flatten(&v);
        assert_eq!(f.keys().collect::<Vec<_>>(), vec!["0.0", "2"]);
        assert_eq!(flatten(&Value::Int(1)).keys().collect::<Vec<_>>(), vec![""]);
    }

    #[test]
    fn reports_each_kind_of_difference() {
        let t = |v: &[f32]| Value::Tensor(Tensor::from_slice_1d(v));
        let a = tree(vec![
            ("same", t(&[1.0, f32::NAN])),
            ("close", t(&[1.0])),
            ("far", t(&[1.0, 2.0])),
            ("shape", t(&[1.0])),
            ("dtype", t(&[1.0])),
            ("n", Value::Int(3)),
            ("only_a", Value::Str("x".into())),
        ]);
        let b = tree(vec![
            ("same", t(&[1.0, f32::NAN])),
            ("close", t(&[1.000_001])),
            ("far", t(&[1.0, 2.5])),
            ("shape", t(&[1.0, 1.0])),
            ("dtype", Value::Tensor(Tensor::from_slice_1d(&[1.0f64]))),
            ("n", Value::Int(4)),
            ("only_b", Value::None),
        ]);
        let r = compare_trees(&a, &b, 1e-8, 1e-5);
        assert!(!r.is_equal());
        assert_eq!(r.only_a, vec![("only_a".into(), "str \"x\"".into())]);
        assert_eq!(r.only_b.len(), 1);
        let changed: Vec<&str> = r.changed.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(changed, vec!["far", "shape", "dtype", "n"]);
        match &r.changed[0].1 {
            Difference::Values(c) => {
                assert_eq!(c.mismatched, 1);
                assert_eq!(c.max_abs, 0.5);
                assert_eq!(c.first_mismatch, Some(1));
            }
            other => panic!("{other:?}"),
        }
        let same = compare_trees(&a, &a, 0.0, 0.0);
        assert!(same.is_equal());
    }
}
