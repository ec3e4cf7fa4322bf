//! Fixture cases recorded by real torch for the layer tests (`tests/python/fixtures_*.py`).
#![allow(dead_code)]

use std::path::PathBuf;

use pt::core::{DType, StateDict, Tensor, serialize};
use pt::nn::{LoadStateDictOptions, Module};

pub struct Case {
    pub state: StateDict,
    pub inputs: Vec<Tensor>,
    pub outputs: Vec<Tensor>,
}

/// Reads `tests/fixtures/{dir}/{name}.pt`: `state.*` is the module's state, `in.N` / `out.N`
/// the inputs and torch's outputs by index; a name ending `_t` gets its first input as a
/// transposed (non-contiguous) view.
pub fn case(dir: &str, name: &str) -> Case {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(format!("{name}.pt"));
    let sd = serialize::Checkpoint::open(&path)
        .and_then(|c| c.state_dict())
        .expect("fixture loads");
    let mut state = StateDict::new();
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for (k, t) in sd.tensors() {
        if let Some(key) = k.strip_prefix("state.") {
            state.insert(key, t.clone());
        } else if let Some(i) = k.strip_prefix("in.") {
            inputs.push((i.parse::<usize>().unwrap(), t.clone()));
        } else if let Some(i) = k.strip_prefix("out.") {
            outputs.push((i.parse::<usize>().unwrap(), t.clone()));
        }
    }
    inputs.sort_by_key(|p| p.0);
    outputs.sort_by_key(|p| p.0);
    let mut inputs: Vec<Tensor> = inputs.into_iter().map(|p| p.1).collect();
    if name.ends_with("_t") {
        inputs[0] = inputs[0].transpose(-1, -2).unwrap();
        assert!(!inputs[0].is_contiguous());
    }
    Case {
        state,
        inputs,
        outputs: outputs.into_iter().map(|p| p.1).collect(),
    }
}

/// Loads the case's state strictly and sets the mode.
pub fn load(m: &mut dyn Module, c: &Case, training: bool) {
    m.load_state_dict(&c.state, &LoadStateDictOptions::new())
        .expect("state loads strictly");
    m.train(training);
}

#[track_caller]
/// Outputs equal torch's within 1e-5 relative + 1e-6 absolute; integer outputs exactly.
pub fn check(name: &str, got: &[Tensor], want: &[Tensor]) {
    assert_eq!(got.len(), want.len(), "{name}: number of outputs");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.shape(), w.shape(), "{name}: output {i} shape");
        assert_eq!(g.dtype(), w.dtype(), "{name}: output {i} dtype");
        if w.dtype() == DType::I64 {
            assert_eq!(
                g.to_vec::<i64>().unwrap(),
                w.to_vec::<i64>().unwrap(),
                "{name}: output {i} indices"
            );
            continue;
        }
        let (gv, wv) = (g.to_vec_f64().unwrap(), w.to_vec_f64().unwrap());
        for (j, (a, b)) in gv.iter().zip(&wv).enumerate() {
            let ok = (a - b).abs() <= 1e-6 + 1e-5 * b.abs() || (a.is_nan() && b.is_nan());
            assert!(ok, "{name}: output {i} element {j}: {a} vs torch {b}");
        }
    }
}
