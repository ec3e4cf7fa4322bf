//! Real checkpoints that other projects ship in their PyPI packages (`lpips` 0.1.4 and
//! `silero-vad` 6.2.3; the packages are test data here) open with no option and read as
//! real torch reads them.
//!
//! Needs `PT_INTEROP_PYTHON` (a Python with torch and safetensors). The wheels are cached
//! outside the repository, in `PT_WHEELS_CACHE` or `~/.cache/pt-rs/wheels`, and fetched with
//! `pip download NAME==VERSION --no-deps` when absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use pt::core::Tensor;
use pt::core::serialize::{Checkpoint, Entry};
use pt::nn::{Module, Parameter};
use serde_json::Value as Json;

const WHEELS: [(&str, &str, &str); 2] = [
    ("lpips", "0.1.4", "lpips-0.1.4-py3-none-any.whl"),
    ("silero-vad", "6.2.3", "silero_vad-6.2.3-py3-none-any.whl"),
];

const WEIGHT_EXTENSIONS: [&str; 5] = [".pth", ".pt", ".jit", ".safetensors", ".bin"];

fn python() -> String {
    std::env::var("PT_INTEROP_PYTHON").expect("set PT_INTEROP_PYTHON to a Python with torch")
}

fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("PT_WHEELS_CACHE") {
        return PathBuf::from(d);
    }
    let home = std::env::var("HOME").expect("HOME or PT_WHEELS_CACHE");
    Path::new(&home).join(".cache/pt-rs/wheels")
}

/// The wheel's path, downloaded into the cache first if needed.
fn wheel(python: &str, name: &str, version: &str, file: &str) -> PathBuf {
    let dir = cache_dir();
    let path = dir.join(file);
    if !path.is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new(python)
            .args([
                "-m",
                "pip",
                "download",
                &format!("{name}=={version}"),
                "--no-deps",
                "-d",
            ])
            .arg(&dir)
            .status()
            .expect("running pip download");
        assert!(status.success(), "pip download {name}=={version} failed");
    }
    assert!(path.is_file(), "{} missing after download", path.display());
    path
}

/// Extracts the weight files of a wheel (a zip) into `dir` with Python's zipfile, returning
/// their paths.
fn extract_weights(python: &str, wheel: &Path, dir: &Path) -> Vec<PathBuf> {
    let exts: Vec<String> = WEIGHT_EXTENSIONS.iter().map(|e| format!("{e:?}")).collect();
    let script = format!(
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor n in z.namelist():\n    if n.endswith(({},)):\n        print(z.extract(n, sys.argv[2]))\n",
        exts.join(", ")
    );
    let out = Command::new(python)
        .args(["-c", &script])
        .arg(wheel)
        .arg(dir)
        .output()
        .expect("running python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect()
}

/// What torch reads from each file, described (tests/python/fixtures_checkpoints.py).
fn torch_descriptions(python: &str, files: &[PathBuf]) -> Json {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/fixtures_checkpoints.py");
    let out = Command::new(python)
        .arg(script)
        .arg("describe")
        .args(files)
        .output()
        .expect("running python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every field torch's description has must be equal; ours may add the storage's record
/// key and saved location (torch's loaded tensors no longer carry them).
fn same_entries(file: &str, ours: &[Entry], torch: &Json) {
    let torch = torch.as_array().unwrap();
    assert_eq!(ours.len(), torch.len(), "{file}: entry count");
    for (a, e) in ours.iter().zip(torch) {
        let a = serde_json::to_value(a).unwrap();
        let (a, e) = (a.as_object().unwrap(), e.as_object().unwrap());
        for (k, ev) in e {
            assert_eq!(a.get(k), Some(ev), "{file}: `{}` field `{k}`", e["path"]);
        }
        for k in a.keys() {
            assert!(
                e.contains_key(k) || k == "storage_key" || k == "location",
                "{file}: `{}` has extra field `{k}`",
                e["path"]
            );
        }
    }
}

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON"]
fn wheel_weights_open_with_no_option_as_torch_reads_them() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, version, file) in WHEELS {
        let w = wheel(&python, name, version, file);
        files.extend(extract_weights(&python, &w, dir.path()));
    }
    assert!(files.len() >= 8, "{files:?}");
    let torch = torch_descriptions(&python, &files);
    for f in &files {
        let key = f.to_str().unwrap();
        let c = Checkpoint::open(f).unwrap_or_else(|e| panic!("{key}: {e}"));
        same_entries(key, &c.describe().unwrap(), &torch[key]);
    }
    // The lpips heads load strictly into a small module of the same shape.
    let heads: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "pth"))
        .collect();
    assert_eq!(heads.len(), 6);
    for f in heads {
        let name = f.file_stem().unwrap().to_str().unwrap();
        let channels: &[usize] = match name {
            "alex" => &[64, 192, 384, 256, 256],
            "vgg" => &[64, 128, 256, 512, 512],
            "squeeze" => &[64, 128, 256, 384, 384, 512, 512],
            other => panic!("unexpected lpips head {other}"),
        };
        let mut model = LpipsHeads::new(channels);
        let report = model.load_checkpoint(f).unwrap();
        assert_eq!(report.to_string(), "<All keys matched successfully>");
        let sd = Checkpoint::open(f).unwrap().state_dict().unwrap();
        let first = &model.lin0.model.conv.weight;
        assert_eq!(
            first.tensor().to_contiguous_bytes(),
            sd.tensor("lin0.model.1.weight")
                .unwrap()
                .to_contiguous_bytes()
        );
    }
}

/// lpips' `NetLinLayer`: `model = Sequential(Dropout(), Conv2d(C, 1, 1, bias=False))`.
#[derive(Module)]
struct Conv1x1 {
    weight: Parameter,
}

#[derive(Module)]
struct Head {
    #[module(rename = "1")]
    conv: Conv1x1,
}

#[derive(Module)]
struct NetLin {
    model: Head,
}

/// The heads `lin0` … `lin6` of an LPIPS network (squeeze has seven, alex and vgg five).
#[derive(Module)]
struct LpipsHeads {
    lin0: NetLin,
    lin1: NetLin,
    lin2: NetLin,
    lin3: NetLin,
    lin4: NetLin,
    lin5: Option<NetLin>,
    lin6: Option<NetLin>,
}

fn net_lin(c: usize) -> NetLin {
    let weight = Tensor::from_vec(vec![0f32; c], &[1, c, 1, 1]).unwrap();
    NetLin {
        model: Head {
            conv: Conv1x1 {
                weight: Parameter::new(weight),
            },
        },
    }
}

impl LpipsHeads {
    fn new(channels: &[usize]) -> LpipsHeads {
        let c = |i: usize| channels.get(i).copied();
        LpipsHeads {
            lin0: net_lin(channels[0]),
            lin1: net_lin(channels[1]),
            lin2: net_lin(channels[2]),
            lin3: net_lin(channels[3]),
            lin4: net_lin(channels[4]),
            lin5: c(5).map(net_lin),
            lin6: c(6).map(net_lin),
        }
    }
}
