//! Interop with real PyTorch, both ways; ignored unless run with `--ignored` and
//! `PT_INTEROP_PYTHON` naming a Python with `torch`. Rust writes files covering every value kind, dtype and sharing case, then
//! `tests/python/check_interop.py` loads them with `torch.load(weights_only=True)`, checks
//! them against the manifest, and writes its own files, which Rust reads back here.

mod interop_support;
mod serialize_support;

use std::path::Path;

use pt::core::serialize::{
    self, LoadOptions, MapLocation, SaveOptions, describe, save_bytes_with, save_with,
};
use pt::core::{Complex64, DType, Dict, DictKind, Key, StateDict, Tensor, Value};
use serde_json::{Value as Json, json};
use serialize_support::{same_json, same_value};

fn tensor_of(dtype: DType, n: usize, seed: u8) -> Tensor {
    let bytes: Vec<u8> = (0..n * dtype.size())
        .map(|i| {
            let b = (i as u8).wrapping_mul(29).wrapping_add(seed);
            if dtype == DType::Bool { b & 1 } else { b }
        })
        .collect();
    Tensor::from_raw_bytes(&bytes, dtype, &[n]).unwrap()
}

fn floats(values: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

fn dict(kind: DictKind, items: Vec<(Key, Value)>) -> Value {
    let mut d = Dict::new(kind);
    for (k, v) in items {
        d.items.insert(k, v);
    }
    Value::Dict(d)
}

fn s(k: &str) -> Key {
    Key::Str(k.to_owned())
}

/// Every value kind and dtype, with views sharing storages.
fn kinds() -> Value {
    let grid = floats(
        &(0..12).map(|x| x as f32 * 0.5).collect::<Vec<_>>(),
        &[3, 4],
    );
    let views = vec![
        grid.clone().into(),
        grid.with_layout("row", vec![4], vec![1], 4).unwrap().into(),
        grid.with_layout("col", vec![3], vec![4], 2).unwrap().into(),
        grid.with_layout("t", vec![4, 3], vec![1, 4], 0)
            .unwrap()
            .into(),
        floats(&[1.0, 2.0, 3.0], &[3])
            .with_layout("expand", vec![2, 3], vec![0, 1], 0)
            .unwrap()
            .into(),
        Value::Tensor(Tensor::scalar(2.5f64)),
        Value::Tensor(Tensor::from_vec(Vec::<f32>::new(), &[0, 4]).unwrap()),
    ];
    let numbers = Tensor::from_slice_1d(&(1i64..=9).collect::<Vec<_>>());
    let evens = numbers.with_layout("evens", vec![4], vec![2], 1).unwrap();
    let dtypes = DType::ALL
        .iter()
        .enumerate()
        .map(|(i, &d)| (s(d.name()), Value::Tensor(tensor_of(d, 6, i as u8))))
        .collect();
    let mut counter = Dict::new(DictKind::Counter);
    counter.insert("a", 2i64);
    dict(
        DictKind::Plain,
        vec![
            (s("views"), Value::List(views)),
            (s("docs"), Value::List(vec![numbers.into(), evens.into()])),
            (s("dtypes"), dict(DictKind::Ordered, dtypes)),
            (
                s("params"),
                dict(
                    DictKind::Plain,
                    vec![
                        (
                            s("param"),
                            Value::Parameter(tensor_of(DType::F32, 4, 1).with_requires_grad(true)),
                        ),
                        (s("frozen"), Value::Parameter(tensor_of(DType::F32, 2, 2))),
                        (
                            s("grad"),
                            Value::Tensor(tensor_of(DType::F64, 2, 3).with_requires_grad(true)),
                        ),
                    ],
                ),
            ),
            (
                s("scalars"),
                Value::List(vec![
                    Value::None,
                    Value::Bool(true),
                    Value::Int(-7),
                    Value::Int(70000),
                    Value::Int(i64::MIN),
                    Value::BigInt(vec![5, 0, 0, 0, 0, 0, 0, 0x80, 0]),
                    Value::Float(0.1),
                    Value::Float(f64::NAN),
                    Value::Float(f64::NEG_INFINITY),
                    Value::Complex(Complex64::new(1.5, -2.0)),
                    Value::Str("héllo ✓".into()),
                    Value::Bytes(vec![0, 0xFF, b'a']),
                    // Not `b""`: torch.save pickles it as `builtins.bytes()`, which torch's own
                    // weights_only loader refuses, so Python could not re-save this file.
                    Value::ByteArray(vec![1, 2, 3]),
                    Value::Size(vec![2, 3]),
                    Value::DType(DType::BF16),
                    Value::Device("cpu".into()),
                    Value::Device("cuda:1".into()),
                ]),
            ),
            (
                s("containers"),
                Value::List(vec![
                    Value::Tuple(vec![Value::Int(1), Value::Str("two".into())]),
                    Value::Tuple(vec![
                        Value::Int(1),
                        Value::Int(2),
                        Value::Int(3),
                        Value::Int(4),
                    ]),
                    Value::List((0..1500).map(Value::Int).collect()),
                    Value::Set(vec![Value::Int(3), Value::Int(1), Value::Str("x".into())]),
                    dict(
                        DictKind::Plain,
                        vec![
                            (Key::Int(7), Value::Str("seven".into())),
                            (Key::Bool(false), Value::Int(0)),
                            (Key::None, Value::Int(2)),
                            (Key::FloatBits(1.5f64.to_bits()), Value::Int(3)),
                            (Key::Tuple(vec![Key::Int(1), Key::Int(2)]), Value::Int(4)),
                        ],
                    ),
                    Value::Dict(counter),
                ]),
            ),
        ],
    )
}

/// MyModule (Linear 4→2, relu, Linear 2→1) weights as a state dict with `_metadata`.
fn mymodule_state() -> StateDict {
    let mut sd = StateDict::new();
    sd.insert(
        "l0.weight",
        floats(&[0.1, -0.2, 0.3, -0.4, 0.5, 0.25, -0.125, 0.0625], &[2, 4]),
    );
    sd.insert("l0.bias", floats(&[0.01, -0.02], &[2]));
    sd.insert("l1.weight", floats(&[0.7, -0.3], &[1, 2]));
    sd.insert("l1.bias", floats(&[0.05], &[1]));
    for p in ["", "l0", "l1"] {
        sd.set_module_version(p, 1);
    }
    sd
}

fn tensor_f32(sd: &StateDict, key: &str) -> Vec<f32> {
    sd.tensor(key).unwrap().to_vec::<f32>().unwrap()
}

/// `l1(relu(l0(x)))` for one row of 4 inputs.
fn mymodule_forward(sd: &StateDict, x: &[f32]) -> f32 {
    let (w0, b0) = (tensor_f32(sd, "l0.weight"), tensor_f32(sd, "l0.bias"));
    let (w1, b1) = (tensor_f32(sd, "l1.weight"), tensor_f32(sd, "l1.bias"));
    let h: Vec<f32> = (0..2)
        .map(|o| {
            let v: f32 = (0..4).map(|i| w0[o * 4 + i] * x[i]).sum::<f32>() + b0[o];
            v.max(0.0)
        })
        .collect();
    w1[0] * h[0] + w1[1] * h[1] + b1[0]
}

/// BatchNorm1d in eval mode for one row.
fn batchnorm_forward(sd: &StateDict, x: &[f32]) -> Vec<f32> {
    let (w, b) = (tensor_f32(sd, "weight"), tensor_f32(sd, "bias"));
    let (m, v) = (
        tensor_f32(sd, "running_mean"),
        tensor_f32(sd, "running_var"),
    );
    (0..x.len())
        .map(|i| (x[i] - m[i]) / (v[i] + 1e-5).sqrt() * w[i] + b[i])
        .collect()
}

fn module_spec(sd: &StateDict, extra: Json) -> Json {
    let input = [[0.5f32, -1.0, 2.0, 0.25], [-0.75, 0.5, 0.1, 1.5]];
    let output: Vec<Vec<f32>> = input
        .iter()
        .map(|x| vec![mymodule_forward(sd, x)])
        .collect();
    let mut spec = json!({"class": "MyModule", "input": input, "output": output});
    if let (Some(o), Json::Object(e)) = (spec.as_object_mut(), extra) {
        o.extend(e);
    }
    spec
}

fn expectation(path: &Path) -> Json {
    let loaded = load_file(path, &LoadOptions::new()).unwrap();
    json!({
        "format": loaded.format.as_str(),
        "version": loaded.version,
        "byteorder": loaded.byteorder.map(|b| b.as_str()),
        "entries": describe(&loaded),
    })
}

fn write_rust_files(dir: &Path) -> Json {
    let mut files = Vec::new();
    let mut add = |name: &str, value: &Value, opts: SaveOptions, module: Option<Json>| {
        let path = dir.join(name);
        save_with(value, &path, &opts).unwrap();
        // What Rust reads back must be what was written, before asking Python.
        let back = serialize::load(&path).unwrap();
        same_value(value, &back, "").unwrap();
        let mut item = json!({"file": name, "expect": expectation(&path)});
        if let Some(m) = module {
            item["module"] = m;
        }
        files.push(item);
    };
    let sd = mymodule_state();
    add("kinds.pt", &kinds(), SaveOptions::new(), None);
    add(
        "mymodule_state.pt",
        &sd.to_value(),
        SaveOptions::new(),
        Some(module_spec(&sd, json!({}))),
    );
    let ck = dict(
        DictKind::Plain,
        vec![(s("epoch"), Value::Int(3)), (s("model"), sd.to_value())],
    );
    add(
        "my.weird-name.ckpt.pt",
        &ck,
        SaveOptions::new(),
        Some(module_spec(&sd, json!({"state_dict_path": "model"}))),
    );
    let mut prefixed = StateDict::new();
    for (k, v) in sd.iter() {
        prefixed.insert_value(format!("module.{k}"), v.clone());
    }
    for p in ["", "module", "module.l0", "module.l1"] {
        prefixed.set_module_version(p, 1);
    }
    add(
        "dataparallel.pt",
        &prefixed.to_value(),
        SaveOptions::new(),
        Some(module_spec(&sd, json!({"key_prefix": "module."}))),
    );
    add(
        "zip64_forced.pt",
        &kinds(),
        SaveOptions::new().zip64_threshold(0),
        None,
    );
    // The same bytes through the in-memory writer, with a chosen record folder.
    let bytes =
        save_bytes_with(&sd.to_value(), &SaveOptions::new().record_prefix("custom")).unwrap();
    std::fs::write(dir.join("in_memory.pt"), bytes).unwrap();
    files.push(
        json!({"file": "in_memory.pt", "expect": expectation(&dir.join("in_memory.pt")),
                      "module": module_spec(&sd, json!({}))}),
    );
    json!({ "files": files })
}

fn check_python_files(dir: &Path) {
    let out = dir.join("python_out");
    let manifest: Json =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert!(files.len() >= 5, "python wrote {} files", files.len());
    let opts = LoadOptions::new().map_location(MapLocation::To("cpu".into()));
    for item in files {
        let name = item["file"].as_str().unwrap();
        let loaded =
            load_file(out.join(name), &opts).unwrap_or_else(|e| panic!("python_out/{name}: {e}"));
        let expect = &item["expect"];
        assert_eq!(loaded.format.as_str(), expect["format"], "{name}");
        let got: Vec<Json> = describe(&loaded)
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        let want = expect["entries"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{name}: entry count");
        for (g, w) in got.iter().zip(want) {
            for (k, wv) in w.as_object().unwrap() {
                let gv = &g[k];
                assert!(
                    same_json(gv, wv),
                    "python_out/{name}: `{}` field {k}: {gv} != {wv}",
                    w["path"]
                );
            }
        }
        if let Some(spec) = item.get("module") {
            check_module(name, &loaded.value, spec);
        }
        println!("read python_out/{name}: {} entries ok", got.len());
    }
}

fn check_module(name: &str, value: &Value, spec: &Json) {
    let mut sd = StateDict::find(value, spec["state_dict_path"].as_str()).unwrap();
    if let Some(prefix) = spec["key_prefix"].as_str() {
        let mut stripped = StateDict::new();
        for (k, v) in sd.iter() {
            stripped.insert_value(k.strip_prefix(prefix).unwrap_or(k), v.clone());
        }
        sd = stripped;
    }
    let inputs = spec["input"].as_array().unwrap();
    let outputs = spec["output"].as_array().unwrap();
    for (x, y) in inputs.iter().zip(outputs) {
        let x: Vec<f32> = x
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let y: Vec<f32> = y
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = match spec["class"].as_str() {
            Some("MyModule") => vec![mymodule_forward(&sd, &x)],
            Some("BatchNorm1d") => batchnorm_forward(&sd, &x),
            _ => return,
        };
        for (g, w) in got.iter().zip(&y) {
            assert!(
                (g - w).abs() <= 1e-5,
                "python_out/{name}: forward {g} vs {w}"
            );
        }
    }
}

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON"]
fn interop_pytorch_reads_rust_files_and_rust_reads_pytorch_files() {
    let python = interop_support::python();
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_rust_files(dir.path());
    let stdout = interop_support::run_checker(&python, dir.path(), &manifest);
    println!("{}", stdout.lines().last().unwrap_or(""));
    check_python_files(dir.path());
}

/// A single-file checkpoint with its container facts.
fn load_file(
    path: impl AsRef<std::path::Path>,
    opts: &pt::core::serialize::LoadOptions,
) -> Result<pt::core::serialize::Loaded, pt::core::serialize::LoadError> {
    pt::core::serialize::Checkpoint::open_with(path, opts)
        .map(|c| c.into_loaded().expect("a single-file checkpoint"))
}
