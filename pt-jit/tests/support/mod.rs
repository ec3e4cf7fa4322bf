//! Shared by the archive tests: fixture paths, inputs and comparison with torch's outputs.

#![allow(dead_code)]

use std::path::PathBuf;

use pt_jit::{ScriptModule, Value, convert};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/jit")
        .join(name)
}

pub fn load(name: &str) -> ScriptModule {
    pt_jit::load(fixture(&format!("{name}.pt"))).unwrap_or_else(|e| panic!("loading {name}: {e}"))
}

pub fn inputs(name: &str) -> Vec<Value> {
    let v = pt_core::serialize::load(fixture(&format!("{name}.inputs.pt"))).unwrap();
    match convert(&v).unwrap() {
        Value::Tuple(items) => items.to_vec(),
        other => panic!("inputs of {name} are a {}", other.kind()),
    }
}

pub fn expected(name: &str) -> Value {
    convert(&pt_core::serialize::load(fixture(&format!("{name}.expected.pt"))).unwrap()).unwrap()
}

/// Integers and dtypes exactly, floats within 1e-4 absolute.
pub fn assert_close(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Tensor(g), Value::Tensor(w)) => {
            assert_eq!(g.shape(), w.shape(), "{path}: shape");
            assert_eq!(g.dtype(), w.dtype(), "{path}: dtype");
            let (gv, wv) = (g.to_vec_f64().unwrap(), w.to_vec_f64().unwrap());
            for (i, (a, b)) in gv.iter().zip(&wv).enumerate() {
                if w.dtype().is_floating_point() {
                    assert!((a - b).abs() <= 1e-4, "{path}[{i}]: {a} vs torch {b}");
                } else {
                    assert_eq!(a, b, "{path}[{i}]");
                }
            }
        }
        (Value::Tuple(g), Value::Tuple(w)) => {
            assert_eq!(g.len(), w.len(), "{path}: tuple length");
            for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
                assert_close(a, b, &format!("{path}.{i}"));
            }
        }
        (Value::List(g), Value::List(w)) => {
            let (g, w) = (g.to_vec(), w.to_vec());
            assert_eq!(g.len(), w.len(), "{path}: list length");
            for (i, (a, b)) in g.iter().zip(&w).enumerate() {
                assert_close(a, b, &format!("{path}[{i}]"));
            }
        }
        (Value::Int(a), Value::Int(b)) => assert_eq!(a, b, "{path}"),
        (Value::Bool(a), Value::Bool(b)) => assert_eq!(a, b, "{path}"),
        (Value::Float(a), Value::Float(b)) => assert!((a - b).abs() <= 1e-4, "{path}: {a} vs {b}"),
        (g, w) => panic!(
            "{path}: got a {} ({g}), torch returned a {} ({w})",
            g.kind(),
            w.kind()
        ),
    }
}

/// Runs `method` of fixture `name` on its saved inputs and compares with torch.jit's output.
pub fn check(name: &str, method: &str) {
    let m = load(name);
    let got = m
        .run_method(method, inputs(name))
        .unwrap_or_else(|e| panic!("running {name}.{method}: {e}"));
    assert_close(&got, &expected(name), name);
}
