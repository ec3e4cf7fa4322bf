//! Module state dicts interchanged with real PyTorch, both ways, through
//! `tests/python/check_interop.py`: state dicts of pt's own modules (MyModule, a trained
//! BatchNorm1d, the CNN behind a DataParallel prefix, the transformer block) are saved
//! with their forward outputs; PyTorch loads each strictly into its `models.py` twin and
//! must reproduce the outputs. Then the files PyTorch writes back are loaded strictly
//! into pt's modules, whose forward must match PyTorch's recorded outputs.
//!
//! Ignored unless run with `--ignored` and `PT_INTEROP_PYTHON` naming a Python with torch.

mod interop_support;
mod module_support;

use std::path::Path;

use module_support::{MyModule, TinyBlock, nested, small_cnn};
use pt::core::serialize::{self, describe, save_state_dict};
use pt::core::{DType, Generator, StateDict, Tensor};
use pt::nn::{BatchNorm1d, Forward, KeyMap, LoadStateDictOptions, Module};
use serde_json::{Value as Json, json};

/// Tensor values as nested JSON lists.
fn to_json(t: &Tensor) -> Json {
    fn go(data: &[f64], shape: &[usize]) -> Json {
        match shape.split_first() {
            None => json!(data[0]),
            Some((&n, rest)) => {
                let step: usize = rest.iter().product();
                Json::Array((0..n).map(|i| go(&data[i * step..], rest)).collect())
            }
        }
    }
    go(&t.to_vec_f64().unwrap(), t.shape())
}

fn expectation(path: &Path) -> Json {
    let loaded = load_file(path, &serialize::LoadOptions::new()).unwrap();
    json!({
        "format": loaded.format.as_str(),
        "version": loaded.version,
        "byteorder": loaded.byteorder.map(|b| b.as_str()),
        "entries": describe(&loaded),
    })
}

/// Saves `sd`, records the forward of `input` through `model`, returns the manifest item.
fn item(
    dir: &Path,
    name: &str,
    sd: &StateDict,
    model: &dyn Forward,
    input: &Tensor,
    spec: Json,
) -> Json {
    let path = dir.join(name);
    save_state_dict(sd, &path).unwrap();
    let mut spec = spec;
    spec["input"] = to_json(input);
    spec["output"] = to_json(&model.forward(input).unwrap());
    json!({"file": name, "expect": expectation(&path), "module": spec})
}

fn write_rust_modules(dir: &Path) -> Json {
    let mut g = Generator::new(5);
    let my = MyModule::new(&mut g);
    let x = Tensor::from_vec((0..12).map(|i| (i as f32 * 0.7).sin()).collect(), &[3, 4]).unwrap();

    let mut bn = BatchNorm1d::new(3);
    for step in 0..2 {
        let batch = (0..18).map(|i| ((i + step * 18) as f32 * 1.3).cos() * 2.0 + 0.5);
        bn.forward(&Tensor::from_vec(batch.collect(), &[6, 3]).unwrap())
            .unwrap();
    }
    bn.eval();
    let bx = Tensor::from_vec(vec![0.3f32, -1.0, 2.0, 1.5, 0.0, -0.5], &[2, 3]).unwrap();

    let mut cnn = small_cnn();
    cnn.bn
        .forward(
            &cnn.conv
                .forward(&Tensor::ones(&[2, 1, 6, 6], DType::F32))
                .unwrap(),
        )
        .unwrap();
    cnn.eval();
    let cx = Tensor::from_vec(
        (0..72).map(|i| (i as f32 * 0.37).sin()).collect(),
        &[2, 1, 6, 6],
    )
    .unwrap();
    let mut wrapped = StateDict::new();
    let cnn_sd = cnn.state_dict();
    for (k, v) in cnn_sd.iter() {
        wrapped.insert_value(format!("module.{k}"), v.clone());
    }
    wrapped.set_module_version("", 1);
    for (prefix, m) in cnn_sd.metadata().unwrap() {
        let p = if prefix.is_empty() {
            "module".to_owned()
        } else {
            format!("module.{prefix}")
        };
        wrapped.set_module_version(p, m["version"].as_i64().unwrap());
    }

    let mut block = TinyBlock::new(&mut g);
    block.eval();
    let ids = Tensor::from_vec(vec![1i64, 4, 9, 0, 3, 3, 7, 2], &[2, 4]).unwrap();

    json!({"files": [
        item(dir, "rust_mymodule.pt", &my.state_dict(), &my, &x, json!({"class": "MyModule"})),
        item(dir, "rust_batchnorm1d.pt", &bn.state_dict(), &bn, &bx,
             json!({"class": "BatchNorm1d", "num_features": 3})),
        item(dir, "rust_cnn_dataparallel.pt", &wrapped, &cnn, &cx,
             json!({"class": "SmallCnn", "key_prefix": "module."})),
        item(dir, "rust_block.pt", &block.state_dict(), &block, &ids, json!({"class": "TinyBlock"})),
    ]})
}

/// Loads a PyTorch-written module file into pt's twin and checks its forward.
fn check_python_module(dir: &Path, file: &str, spec: &Json) {
    let value = serialize::load(dir.join(file)).unwrap();
    let sd = StateDict::find(&value, spec["state_dict_path"].as_str()).unwrap();
    let mut opts = LoadStateDictOptions::new();
    if let Some(prefix) = spec["key_prefix"].as_str() {
        opts = opts.key_map(KeyMap::new().strip_prefix(prefix));
    }
    let class = spec["class"].as_str().unwrap();
    let input_dtype = if class == "TinyBlock" {
        DType::I64
    } else {
        DType::F32
    };
    let x = nested(&spec["input"], input_dtype);
    let want = nested(&spec["output"], DType::F32);
    let mut g = Generator::new(0);
    let got = match class {
        "MyModule" => {
            let mut m = MyModule::new(&mut g);
            assert!(m.load_state_dict(&sd, &opts).unwrap().is_empty());
            m.forward(&x).unwrap()
        }
        "BatchNorm1d" => {
            let n = spec["num_features"].as_u64().unwrap() as usize;
            let mut m = BatchNorm1d::new(n);
            assert!(m.load_state_dict(&sd, &opts).unwrap().is_empty());
            m.eval();
            m.forward(&x).unwrap()
        }
        "SmallCnn" => {
            let mut m = small_cnn();
            assert!(m.load_state_dict(&sd, &opts).unwrap().is_empty());
            m.eval();
            m.forward(&x).unwrap()
        }
        "TinyBlock" => {
            let mut m = TinyBlock::new(&mut g);
            assert!(m.load_state_dict(&sd, &opts).unwrap().is_empty());
            m.eval();
            m.forward(&x).unwrap()
        }
        _ => return,
    };
    let worst = got
        .to_vec_f64()
        .unwrap()
        .iter()
        .zip(want.to_vec_f64().unwrap())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert_eq!(got.shape(), want.shape(), "{file}");
    assert!(
        worst <= 1e-5,
        "python_out/{file}: {class} forward differs by {worst}"
    );
    println!("python_out/{file}: {class} loaded strictly, forward max |diff| {worst:.2e}");
}

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON"]
fn interop_pytorch_loads_pt_modules_and_pt_loads_pytorch_modules() {
    let python = interop_support::python();
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_rust_modules(dir.path());
    let stdout = interop_support::run_checker(&python, dir.path(), &manifest);
    println!("{stdout}");
    let back: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("python_out/manifest.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for item in back["files"].as_array().unwrap() {
        if let Some(spec) = item.get("module") {
            check_python_module(
                &dir.path().join("python_out"),
                item["file"].as_str().unwrap(),
                spec,
            );
            checked += 1;
        }
    }
    // Our four files come back re-saved by PyTorch, plus PyTorch's own seeded modules.
    assert!(checked >= 4, "only {checked} module files came back");
}

/// A single-file checkpoint with its container facts.
fn load_file(
    path: impl AsRef<std::path::Path>,
    opts: &pt::core::serialize::LoadOptions,
) -> Result<pt::core::serialize::Loaded, pt::core::serialize::LoadError> {
    pt::core::serialize::Checkpoint::open_with(path, opts)
        .map(|c| c.into_loaded().expect("a single-file checkpoint"))
}
