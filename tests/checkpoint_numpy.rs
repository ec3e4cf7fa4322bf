//! numpy arrays and scalars, and user-allowed record classes, in restricted mode
//! (fixtures from tests/python/fixtures_checkpoints.py).

use std::path::PathBuf;

use pt::core::serialize::{
    Checkpoint, LoadError, add_safe_globals, clear_safe_globals, get_safe_globals,
};
use pt::core::{DType, Tensor, Value};
use serde_json::Value as Json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/checkpoints")
        .join(name)
}

fn expected(name: &str) -> Json {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn json_f64(j: &Json) -> f64 {
    match j.as_str() {
        Some("nan") => f64::NAN,
        Some("inf") => f64::INFINITY,
        Some("-inf") => f64::NEG_INFINITY,
        _ => j.as_f64().unwrap(),
    }
}

/// The tensor's elements, row-major, as JSON like the fixture script writes them.
fn elements(t: &Tensor) -> Vec<Json> {
    match t.dtype() {
        DType::Bool => t
            .to_vec::<bool>()
            .unwrap()
            .into_iter()
            .map(Json::from)
            .collect(),
        DType::C64 => t
            .to_vec::<pt::core::Complex32>()
            .unwrap()
            .into_iter()
            .map(|c| Json::from(vec![f64::from(c.re), f64::from(c.im)]))
            .collect(),
        d if d.is_floating_point() => t
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap()
            .into_iter()
            .map(Json::from)
            .collect(),
        _ => t
            .to_dtype(DType::I64)
            .unwrap()
            .to_vec::<i64>()
            .unwrap()
            .into_iter()
            .map(Json::from)
            .collect(),
    }
}

fn check_array(key: &str, t: &Tensor, want: &Json) {
    assert_eq!(t.dtype().name(), want["dtype"], "{key}");
    let shape: Vec<usize> = want["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(t.shape(), shape, "{key}");
    assert_eq!(
        t.is_contiguous(),
        !want["fortran"].as_bool().unwrap(),
        "{key}"
    );
    let got = elements(t);
    let values = want["values"].as_array().unwrap();
    assert_eq!(got.len(), values.len(), "{key}");
    for (g, w) in got.iter().zip(values) {
        if w.is_array() || w.is_boolean() {
            assert_eq!(g, w, "{key}");
        } else {
            // JSON text → f64 may be off by an ulp (serde_json's fast parser); the value
            // itself was written from the loaded element, exactly.
            let (g, w) = (g.as_f64().unwrap(), json_f64(w));
            let close =
                g == w || (g - w).abs() <= f64::EPSILON * w.abs() || (g.is_nan() && w.is_nan());
            assert!(close, "{key}: {g} vs {w}");
        }
    }
}

#[test]
fn numpy_arrays_load_as_tensors_in_restricted_mode() {
    let value = Checkpoint::open(fixture("numpy_arrays.pt"))
        .unwrap()
        .into_value()
        .unwrap();
    let want = expected("numpy_arrays.json");
    let want = want.as_object().unwrap();
    let dict = value.as_dict().unwrap();
    assert_eq!(dict.len(), want.len());
    for (key, w) in want {
        let got = value.get(key).unwrap_or_else(|| panic!("{key} missing"));
        match w["kind"].as_str().unwrap() {
            "array" => check_array(key, got.as_tensor().unwrap(), w),
            "bool" => assert!(
                matches!(got, Value::Bool(b) if w["value"] == *b),
                "{key}: {got:?}"
            ),
            "int" => assert_eq!(got.as_i64(), w["value"].as_i64(), "{key}"),
            "float" => match got {
                Value::Float(f) => assert_eq!(*f, w["value"].as_f64().unwrap(), "{key}"),
                other => panic!("{key}: {other:?}"),
            },
            other => panic!("{other}"),
        }
    }
}

#[test]
fn numpy_object_arrays_are_refused_by_name() {
    match Checkpoint::open(fixture("numpy_object_array.pt")) {
        Err(LoadError::Unsupported { what, .. }) => assert!(what.contains("object"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn safe_globals_open_a_training_checkpoint_in_restricted_mode() {
    let path = fixture("config_object.pt");
    match Checkpoint::open(&path) {
        Err(LoadError::UnsafeGlobal {
            module, name, hint, ..
        }) => {
            assert_eq!(
                (module.as_str(), name.as_str()),
                ("trainer.config", "TrainConfig")
            );
            assert!(hint.contains("add_safe_globals"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
    add_safe_globals(["trainer.config.TrainConfig"]);
    assert_eq!(get_safe_globals(), ["trainer.config.TrainConfig"]);
    let c = Checkpoint::open(&path).unwrap();
    let want = expected("config_object.json");
    let value = c.value().unwrap();
    assert_eq!(
        value.get("epoch").and_then(Value::as_i64),
        want["epoch"].as_i64()
    );
    let Some(Value::Object(config)) = value.get("config") else {
        panic!("{value:?}");
    };
    assert_eq!(config.name, "TrainConfig");
    let state = config.state.as_ref().unwrap();
    assert!(
        matches!(state.get("lr"), Some(Value::Float(f)) if *f == want["config"]["lr"].as_f64().unwrap())
    );
    let sd = c.state_dict_at("model").unwrap();
    for (k, w) in want["model"].as_object().unwrap() {
        check_array(k, sd.tensor(k).unwrap(), w);
    }
    // Code-running modules stay refused even when named.
    add_safe_globals(["posix.system"]);
    clear_safe_globals();
    assert!(get_safe_globals().is_empty());
    assert!(Checkpoint::open(&path).is_err());
}

#[test]
fn sharded_fixtures_equal_the_whole_state_dict() {
    let whole = Checkpoint::open(fixture("sharded_full.pt"))
        .unwrap()
        .state_dict()
        .unwrap();
    for dir in ["sharded_bin", "sharded_safetensors"] {
        let c = Checkpoint::open(fixture(dir)).unwrap();
        assert_eq!(c.format().as_str(), "sharded");
        let sd = c.state_dict().unwrap();
        assert_eq!(sd.len(), whole.len(), "{dir}");
        for (k, t) in whole.tensors() {
            let got = sd.tensor(k).unwrap_or_else(|| panic!("{dir}: {k}"));
            assert_eq!(got.shape(), t.shape(), "{dir}: {k}");
            assert_eq!(
                got.to_contiguous_bytes(),
                t.to_contiguous_bytes(),
                "{dir}: {k}"
            );
        }
    }
}
