//! `pt diff`: equal files, conversions, perturbations, keys on one side only.

mod cli_support;

use std::path::Path;

use cli_support::{fixture, parts, pt};
use pt_core::StateDict;
use pt_core::serialize::{LoadOptions, save};

fn diff(a: &Path, b: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["diff".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push(a.as_os_str());
    args.push(b.as_os_str());
    parts(&pt(args))
}

fn state_dict(name: &str) -> StateDict {
    let loaded = load_file(fixture(name), &LoadOptions::new()).unwrap();
    StateDict::find(&loaded.value, None).unwrap()
}

#[test]
fn identical_files_are_equal() {
    for name in [
        "mymodule_state.pt",
        "checkpoint.pt",
        "dtypes.pt",
        "shapes.pt",
        "legacy.pt",
        "tensor.pt",
    ] {
        let p = fixture(name);
        let (code, out, err) = diff(&p, &p, &[]);
        assert_eq!(code, 0, "{name}: {out} {err}");
        assert!(out.ends_with("equal\n"), "{out}");
    }
}

#[test]
fn same_weights_across_formats_are_equal() {
    let state = fixture("mymodule_state.pt");
    // A TorchScript archive and a legacy file of the same module.
    for other in ["mymodule_script.pt", "legacy_state.pt"] {
        let (code, out, err) = diff(&state, &fixture(other), &[]);
        assert_eq!(code, 0, "{other}: {out} {err}");
    }
    let (code, out, _) = diff(&fixture("big_endian.pt"), &fixture("no_byteorder.pt"), &[]);
    assert_eq!(code, 0, "{out}");
    // The checkpoint's state dict is found under `model`; it holds trained weights.
    let (code, out, _) = diff(&state, &fixture("checkpoint.pt"), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("state dict, 4 entries"), "{out}");
    assert!(out.contains("  l0.weight  "), "{out}");
}

#[test]
fn fixture_equals_its_safetensors_conversion() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "mymodule_state",
        "cnn_state",
        "block_state",
        "batchnorm_state",
        "dtypes_v3",
    ] {
        let st = dir.path().join(format!("{name}.safetensors"));
        let (code, _, err) = parts(&pt([
            "convert".as_ref(),
            fixture(&format!("{name}.pt")).as_os_str(),
            st.as_os_str(),
        ]));
        assert_eq!(code, 0, "{name}: {err}");
        let (code, out, err) = diff(&fixture(&format!("{name}.pt")), &st, &[]);
        assert_eq!(code, 0, "{name}: {out} {err}");
        assert!(out.contains("safetensors"), "{out}");
    }
    // A safetensors file is recognised by its content under another name too.
    let st = dir.path().join("mymodule_state.safetensors");
    let renamed = dir.path().join("weights.bin");
    std::fs::copy(&st, &renamed).unwrap();
    let (code, out, err) = diff(&renamed, &fixture("mymodule_state.pt"), &[]);
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.contains("(safetensors"), "{out}");
}

#[test]
fn perturbed_values_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let sd = state_dict("mymodule_state.pt");
    let w = sd.tensor("l0.bias").unwrap();
    let mut v = w.to_vec::<f32>().unwrap();
    v[1] += 1e-3;
    let mut changed = sd.clone();
    changed.insert("l0.bias", pt_core::Tensor::from_slice_1d(&v));
    let p = dir.path().join("perturbed.pt");
    save(&changed.to_value(), &p).unwrap();
    let (code, out, _) = diff(&fixture("mymodule_state.pt"), &p, &[]);
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("l0.bias"))
        .expect(&out);
    assert!(line.contains("1 of 2 elements not close"), "{line}");
    assert!(line.contains("first at flat index 1"), "{line}");
    assert!(out.ends_with("different\n"), "{out}");
    // A tolerance that covers the change makes them equal.
    let (code, out, _) = diff(&fixture("mymodule_state.pt"), &p, &["--atol", "0.01"]);
    assert_eq!(code, 0, "{out}");
    // Quiet mode prints only the summary.
    let (code, out, _) = diff(&fixture("mymodule_state.pt"), &p, &["-q"]);
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn keys_on_one_side_dtype_and_shape_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut sd = state_dict("mymodule_state.pt");
    sd.remove("l1.bias");
    sd.insert("extra.weight", pt_core::Tensor::from_slice_1d(&[1.0f32]));
    let w = sd
        .tensor("l0.bias")
        .unwrap()
        .to_dtype(pt_core::DType::F64)
        .unwrap();
    sd.insert("l0.bias", w);
    sd.insert("l1.weight", pt_core::Tensor::from_slice_1d(&[0.0f32; 2]));
    let p = dir.path().join("changed.pt");
    save(&sd.to_value(), &p).unwrap();
    let (code, out, _) = diff(&fixture("mymodule_state.pt"), &p, &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("only in A (1):\n  l1.bias  float32 [1]"),
        "{out}"
    );
    assert!(
        out.contains("only in B (1):\n  extra.weight  float32 [1]"),
        "{out}"
    );
    assert!(
        out.contains("l0.bias  dtype: float32 vs float64; values equal within tolerance"),
        "{out}"
    );
    assert!(out.contains("l1.weight  shape: [1, 2] vs [2]"), "{out}");
}

#[test]
fn nan_equals_nan_and_key_selects_a_subtree() {
    // dtypes.pt holds NaN and infinities: equal to itself.
    let p = fixture("dtypes.pt");
    let (code, out, _) = diff(&p, &p, &["--atol", "0", "--rtol", "0"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = diff(
        &fixture("checkpoint.pt"),
        &fixture("checkpoint.pt"),
        &["--key", "optimizer"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = diff(
        &fixture("checkpoint.pt"),
        &fixture("tensor.pt"),
        &["--key", "nope"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, err) = diff(&fixture("malicious.pt"), &fixture("tensor.pt"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("posix.system"), "{err}");
    // Scalars of a checkpoint differ from a bare tensor file by key.
    let (code, out, _) = diff(&fixture("tensor.pt"), &fixture("tensor_dict.pt"), &[]);
    assert_eq!(code, 1, "{out}");
}

/// A single-file checkpoint with its container facts.
fn load_file(
    path: impl AsRef<std::path::Path>,
    opts: &pt_core::serialize::LoadOptions,
) -> Result<pt_core::serialize::Loaded, pt_core::serialize::LoadError> {
    pt_core::serialize::Checkpoint::open_with(path, opts)
        .map(|c| c.into_loaded().expect("a single-file checkpoint"))
}
