//! `pt convert`: round trips, legacy → zip, overwrite refusal, no partial output, and a
//! check of the outputs with real Python (ignored unless run with `--ignored` and
//! `PT_INTEROP_PYTHON`).

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use cli_support::{fixture, parts, pt};
use pt_core::serialize::{LoadOptions, save};
use pt_core::{StateDict, Tensor, Value};
use serde_json::Value as Json;

fn convert(input: &Path, output: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["convert".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push(input.as_os_str());
    args.push(output.as_os_str());
    parts(&pt(args))
}

fn diff_code(a: &Path, b: &Path, extra: &[&str]) -> (i32, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["diff".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push(a.as_os_str());
    args.push(b.as_os_str());
    let (code, out, err) = parts(&pt(args));
    (code, format!("{out}{err}"))
}

fn inspect(path: &Path) -> Json {
    let (code, out, err) = parts(&pt([
        "inspect".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.trim()).unwrap()
}

fn entries_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn pt_to_safetensors_to_pt_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "mymodule_state",
        "batchnorm_state",
        "cnn_state",
        "tensor_dict",
        "shapes",
        "dtypes_v3",
    ] {
        let src = fixture(&format!("{name}.pt"));
        let st = dir.path().join(format!("{name}.safetensors"));
        let back = dir.path().join(format!("{name}.back.pt"));
        let key: &[&str] = if matches!(name, "tensor_dict" | "shapes") {
            &["--key", ""]
        } else {
            &[]
        };
        let (code, _, err) = convert(&src, &st, key);
        assert_eq!(code, 0, "{name}: {err}");
        let (code, _, err) = convert(&st, &back, &[]);
        assert_eq!(code, 0, "{name}: {err}");
        let (code, out) = diff_code(&src, &back, key);
        assert_eq!(code, 0, "{name}: {out}");
        let j = inspect(&back);
        assert_eq!(j["format"], "zip");
        // The zip record folder comes from OUT's name, as torch.save(OUT) would make it.
        let bytes = std::fs::read(&back).unwrap();
        let folder = format!("{name}.back/data.pkl");
        assert!(
            bytes.windows(folder.len()).any(|w| w == folder.as_bytes()),
            "{name}"
        );
    }
    // `_metadata` versions survive both hops.
    let back = dir.path().join("batchnorm_state.back.pt");
    let loaded = load_file(&back, &LoadOptions::new()).unwrap();
    let sd = StateDict::from_value(&loaded.value).unwrap();
    assert_eq!(sd.module_version(""), Some(2));
    let order: Vec<&str> = sd.keys().collect();
    assert_eq!(
        order,
        vec![
            "weight",
            "bias",
            "running_mean",
            "running_var",
            "num_batches_tracked"
        ]
    );
}

#[test]
fn non_tensor_entries_survive_as_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut sd = StateDict::new();
    sd.insert("w", Tensor::from_slice_1d(&[1.5f32, -2.0]));
    sd.insert_value("step", Value::Int(7));
    sd.insert_value("name", Value::Str("run".into()));
    sd.insert_value("lr", Value::Float(f64::NAN));
    sd.set_module_version("", 3);
    let src = dir.path().join("mixed.pt");
    save(&sd.to_value(), &src).unwrap();
    let st = dir.path().join("mixed.safetensors");
    let (code, _, err) = convert(&src, &st, &[]);
    assert_eq!(
        code, 1,
        "a dict with non-tensors is not found without --key"
    );
    assert!(err.contains("--key"), "{err}");
    let (code, _, err) = convert(&src, &st, &["--key", ""]);
    assert_eq!(code, 0, "{err}");
    let back = dir.path().join("mixed2.pt");
    let (code, _, err) = convert(&st, &back, &[]);
    assert_eq!(code, 0, "{err}");
    let got = StateDict::from_value(&load_file(&back, &LoadOptions::new()).unwrap().value).unwrap();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        vec!["w", "step", "name", "lr"]
    );
    assert_eq!(got.get("step").and_then(Value::as_i64), Some(7));
    assert_eq!(got.get("name").and_then(Value::as_str), Some("run"));
    assert!(got.get("lr").and_then(Value::as_f64).unwrap().is_nan());
    assert_eq!(got.module_version(""), Some(3));
    let (code, out) = diff_code(&src, &back, &["--key", ""]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn legacy_and_other_flavours_to_zip() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "legacy",
        "legacy_state",
        "checkpoint",
        "big_endian",
        "mymodule_script",
        "dtypes",
    ] {
        let src = fixture(&format!("{name}.pt"));
        let out = dir.path().join(format!("{name}.pt"));
        let (code, _, err) = convert(&src, &out, &[]);
        assert_eq!(code, 0, "{name}: {err}");
        let j = inspect(&out);
        assert_eq!(j["format"], "zip", "{name}");
        assert_eq!(j["byteorder"], "little", "{name}");
        let key: &[&str] = if matches!(name, "legacy" | "dtypes" | "big_endian") {
            &["--key", ""]
        } else {
            &[]
        };
        let (code, out) = diff_code(&src, &out, key);
        assert_eq!(code, 0, "{name}: {out}");
    }
    // Views still share their storage after the rewrite.
    let j = inspect(&dir.path().join("legacy.pt"));
    let keys: Vec<&str> = j["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["storage_key"].as_str())
        .collect();
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert!(unique.len() < keys.len(), "{keys:?}");
    // An inert whole-module file becomes its state dict.
    let out = dir.path().join("whole.safetensors");
    let (code, _, err) = convert(&fixture("mymodule_whole.pt"), &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("__main__.MyModule"), "{err}");
    let (code, _, err) = convert(&fixture("mymodule_whole.pt"), &out, &["--inert"]);
    assert_eq!(code, 0, "{err}");
    let (code, msg) = diff_code(&fixture("mymodule_state.pt"), &out, &[]);
    assert_eq!(code, 0, "{msg}");
}

#[test]
fn refuses_to_overwrite_without_force_and_never_leaves_partial_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    std::fs::write(&out, b"keep me").unwrap();
    let (code, _, err) = convert(&fixture("mymodule_state.pt"), &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let (code, _, err) = convert(&fixture("mymodule_state.pt"), &out, &["--force"]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(std::fs::read(&out).unwrap(), b"keep me");
    assert_eq!(entries_in(dir.path()), vec![out.clone()]);

    // complex128 has no safetensors dtype: a clear error and nothing written.
    let bad = dir.path().join("dtypes.safetensors");
    let (code, _, err) = convert(&fixture("dtypes.pt"), &bad, &["--key", ""]);
    assert_eq!(code, 1);
    assert!(err.contains("complex128"), "{err}");
    // A refused input writes nothing either.
    let (code, _, err) = convert(&fixture("malicious.pt"), &bad, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("posix.system"), "{err}");
    assert_eq!(entries_in(dir.path()), vec![out]);
}

const PY_CHECK: &str = r#"
import sys, torch
from safetensors.torch import load_file
st, pt, ref = sys.argv[1:4]
a = load_file(st)
b = torch.load(pt, weights_only=True)
r = torch.load(ref, weights_only=True)
assert list(b.keys()) == list(r.keys()), (list(b.keys()), list(r.keys()))
assert set(a.keys()) == set(r.keys())
for k, v in r.items():
    assert torch.equal(a[k], v), k
    assert torch.equal(b[k], v), k
    assert a[k].dtype == v.dtype and b[k].dtype == v.dtype, k
assert b._metadata == r._metadata, (b._metadata, r._metadata)
print("ok", len(r))
"#;

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON"]
fn interop_python_reads_the_outputs() {
    let python = std::env::var("PT_INTEROP_PYTHON")
        .expect("set PT_INTEROP_PYTHON to a Python with torch and safetensors");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "mymodule_state",
        "batchnorm_state",
        "block_state",
        "cnn_state",
    ] {
        let src = fixture(&format!("{name}.pt"));
        let st = dir.path().join(format!("{name}.safetensors"));
        let back = dir.path().join(format!("{name}.pt"));
        assert_eq!(convert(&src, &st, &[]).0, 0);
        assert_eq!(convert(&st, &back, &[]).0, 0);
        let o = Command::new(&python)
            .arg("-c")
            .arg(PY_CHECK)
            .arg(&st)
            .arg(&back)
            .arg(&src)
            .output()
            .expect("run python");
        assert!(
            o.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// A single-file checkpoint with its container facts.
fn load_file(
    path: impl AsRef<std::path::Path>,
    opts: &pt_core::serialize::LoadOptions,
) -> Result<pt_core::serialize::Loaded, pt_core::serialize::LoadError> {
    pt_core::serialize::Checkpoint::open_with(path, opts)
        .map(|c| c.into_loaded().expect("a single-file checkpoint"))
}
