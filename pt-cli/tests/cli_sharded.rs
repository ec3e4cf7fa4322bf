//! Sharded and safetensors checkpoints through `pt convert`, `inspect` and `diff`.

mod cli_support;

use std::ffi::OsStr;

use cli_support::{fixture, parts, pt};
use serde_json::Value as Json;

fn run(args: &[&OsStr]) -> (i32, String, String) {
    parts(&pt(args.iter().copied()))
}

#[test]
fn sharded_safetensors_convert_inspect_and_diff_whole() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("cnn_state.pt");
    let out = dir.path().join("sharded");
    let (code, _, err) = run(&[
        "convert".as_ref(),
        src.as_os_str(),
        out.as_os_str(),
        "--max-shard-size".as_ref(),
        "1KB".as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("model.safetensors.index.json").is_file());

    // inspect lists the shards; --json has the same schema with format `sharded`.
    let (code, json, err) = run(&["inspect".as_ref(), "--json".as_ref(), out.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let report: Json = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(report["format"], "sharded");
    let shards = report["shards"].as_array().unwrap();
    assert!(shards.len() > 1, "{report}");
    let (code, table, err) = run(&["inspect".as_ref(), out.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("shards:"), "{table}");

    // The shards hold the whole state dict.
    let (code, text, err) = run(&["diff".as_ref(), src.as_os_str(), out.as_os_str()]);
    assert_eq!(code, 0, "{text} {err}");
    let index = out.join("model.safetensors.index.json");
    let (code, text, err) = run(&["diff".as_ref(), src.as_os_str(), index.as_os_str()]);
    assert_eq!(code, 0, "{text} {err}");

    // And back to one .pt.
    let back = dir.path().join("back.pt");
    let (code, _, err) = run(&["convert".as_ref(), out.as_os_str(), back.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let (code, text, err) = run(&["diff".as_ref(), src.as_os_str(), back.as_os_str()]);
    assert_eq!(code, 0, "{text} {err}");
}

#[test]
fn safetensors_inspect_like_pt() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("m.safetensors");
    let (code, _, err) = run(&[
        "convert".as_ref(),
        fixture("mymodule_state.pt").as_os_str(),
        st.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, json, err) = run(&["inspect".as_ref(), "--json".as_ref(), st.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let report: Json = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(report["format"], "safetensors");
    assert_eq!(report["byteorder"], "little");
    let (_, pt_json, _) = run(&[
        "inspect".as_ref(),
        "--json".as_ref(),
        fixture("mymodule_state.pt").as_os_str(),
    ]);
    let pt_report: Json = serde_json::from_str(pt_json.trim()).unwrap();
    let keys = |r: &Json| -> Vec<(String, String)> {
        r["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["path"].to_string(), e["sha256"].to_string()))
            .collect()
    };
    assert_eq!(keys(&report), keys(&pt_report));
}

#[test]
fn bad_shard_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    for size in ["0", "2XB", "1.5.2GB", "GB"] {
        let (code, _, err) = run(&[
            "convert".as_ref(),
            fixture("mymodule_state.pt").as_os_str(),
            out.as_os_str(),
            "--max-shard-size".as_ref(),
            size.as_ref(),
        ]);
        assert_eq!(code, 1, "{size}");
        assert!(err.contains("--max-shard-size"), "{size}: {err}");
        assert!(!out.exists());
    }
}
