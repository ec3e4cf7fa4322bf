//! Every fixture written by real PyTorch loads, and `describe()` matches the description
//! PyTorch's own `torch.load` produced for it, field by field.

mod serialize_support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pt::core::serialize::{
    self, Entry, Format, LoadError, LoadOptions, Loaded, LocationRegistry, MapLocation,
    UnpicklerMode, describe, describe_value, module_state_dict,
};
use pt::core::{Storage, Value};
use serde_json::Value as Json;
use serialize_support::same_json;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// (name, path to .pt, parsed .json) of every fixture, sorted by name.
fn fixtures() -> Vec<(String, PathBuf, Json)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(fixtures_dir()) else {
        return out;
    };
    for entry in dir.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("pt") {
            continue;
        }
        let json_path = path.with_extension("json");
        let Ok(text) = std::fs::read_to_string(&json_path) else {
            continue;
        };
        let desc: Json = serde_json::from_str(&text).expect("fixture JSON parses");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((name, path, desc));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Options PyTorch needed: none, device tags load into host memory by default.
fn options_for(_desc: &Json) -> LoadOptions {
    LoadOptions::new()
}

fn compare_entries(name: &str, what: &str, actual: &[Entry], expected: &Json) {
    let expected = expected.as_array().expect("entries array");
    let actual: Vec<Json> = actual
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let paths = |v: &[Json]| -> Vec<String> {
        v.iter()
            .map(|e| e["path"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    assert_eq!(
        paths(&actual),
        paths(expected),
        "{name} {what}: entry paths differ"
    );
    for (a, e) in actual.iter().zip(expected) {
        let (a, e) = (a.as_object().unwrap(), e.as_object().unwrap());
        for (k, ev) in e {
            assert!(
                a.get(k).is_some_and(|av| same_json(av, ev)),
                "{name} {what}: entry `{}` field `{k}`: {:?} != {ev:?}",
                e["path"],
                a.get(k)
            );
        }
        for k in a.keys() {
            assert!(
                e.contains_key(k),
                "{name} {what}: entry `{}` has extra field `{k}`",
                e["path"]
            );
        }
    }
}

fn check_header(name: &str, loaded: &Loaded, desc: &Json) {
    assert_eq!(loaded.format.as_str(), desc["format"], "{name}: format");
    assert_eq!(
        loaded
            .version
            .as_deref()
            .map(Json::from)
            .unwrap_or(Json::Null),
        desc["version"],
        "{name}: version"
    );
    assert_eq!(
        loaded
            .byteorder
            .map(|b| Json::from(b.as_str()))
            .unwrap_or(Json::Null),
        desc["byteorder"],
        "{name}: byteorder"
    );
}

#[test]
fn every_fixture_matches_its_description() {
    let all = fixtures();
    assert!(!all.is_empty(), "no fixtures in tests/fixtures");
    let mut checked = Vec::new();
    for (name, path, desc) in &all {
        let opts = options_for(desc);
        match desc["load"].as_str() {
            Some("ok") => {
                let loaded =
                    load_file(path, &opts).unwrap_or_else(|e| panic!("{name}: load failed: {e}"));
                check_header(name, &loaded, desc);
                compare_entries(name, "entries", &describe(&loaded), &desc["entries"]);
            }
            Some("refused") => {
                let refused = desc["refused_global"].as_str().unwrap();
                match load_file(path, &opts) {
                    Err(LoadError::UnsafeGlobal {
                        module,
                        name: n,
                        hint,
                        ..
                    }) => {
                        assert_eq!(format!("{module}.{n}"), refused, "{name}");
                        assert!(hint.contains("Inert"), "{name}: hint {hint}");
                    }
                    other => panic!("{name}: expected refusal of {refused}, got {other:?}"),
                }
                if let Some(expected) = desc.get("inert_state_dict") {
                    let inert = opts.clone().mode(UnpicklerMode::Inert);
                    let loaded = load_file(path, &inert)
                        .unwrap_or_else(|e| panic!("{name}: inert load failed: {e}"));
                    let sd = module_state_dict(&loaded.value).unwrap();
                    let entries = describe_value(&sd.to_value(), &loaded.storages);
                    compare_entries(name, "inert_state_dict", &entries, expected);
                }
            }
            other => panic!("{name}: unknown load status {other:?}"),
        }
        checked.push(name.clone());
    }
    println!("checked {} fixtures: {}", checked.len(), checked.join(" "));
}

/// Fixtures whose data records cannot be mapped: deflated, or re-zipped by Python without
/// 64-byte alignment (mmap refuses records not aligned for their dtype).
const UNMAPPABLE: &[&str] = &["deflated", "zip64", "no_byteorder", "old_pointer_keys"];

#[test]
fn mmap_loads_equal_normal_loads() {
    let mut mapped_ok = Vec::new();
    for (name, path, desc) in fixtures() {
        if desc["load"] != "ok" || desc["format"] == "legacy" {
            continue;
        }
        let opts = options_for(&desc);
        let normal = describe(&load_file(&path, &opts).unwrap());
        match load_file(&path, &opts.clone().mmap(true)) {
            Ok(mapped) => {
                assert!(!UNMAPPABLE.contains(&name.as_str()), "{name} mapped");
                assert!(
                    mapped.storages.iter().all(|s| s.storage.is_mapped()),
                    "{name}: storages are not mapped"
                );
                assert_eq!(describe(&mapped), normal, "{name}: mmap differs");
                mapped_ok.push(name);
            }
            Err(LoadError::Unsupported { what, .. }) => {
                assert!(UNMAPPABLE.contains(&name.as_str()), "{name}: {what}");
            }
            Err(e) => panic!("{name}: mmap load failed: {e}"),
        }
    }
    assert!(mapped_ok.len() >= 10, "{mapped_ok:?}");
}

#[test]
fn legacy_files_refuse_mmap() {
    let path = fixtures_dir().join("legacy.pt");
    match load_file(path, &LoadOptions::new().mmap(true)) {
        Err(LoadError::Unsupported { what, .. }) => assert!(what.contains("legacy"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn loaded_views_keep_sharing_their_storage() {
    for mmap in [false, true] {
        let path = fixtures_dir().join("views.pt");
        let v = load_file(&path, &LoadOptions::new().mmap(mmap))
            .unwrap()
            .value;
        let items = v.as_seq().unwrap();
        let (numbers, evens) = (items[0].as_tensor().unwrap(), items[1].as_tensor().unwrap());
        assert!(numbers.shares_storage(evens));
        // The docs' `loaded_evens *= 2`.
        evens.mul_scalar_(2).unwrap();
        assert_eq!(evens.to_vec::<i64>().unwrap(), vec![4, 8, 12, 16]);
        assert_eq!(
            numbers.to_vec::<i64>().unwrap(),
            vec![1, 4, 3, 8, 5, 12, 7, 16, 9]
        );
    }
    // The mapped file itself is untouched (private map).
    let again = serialize::load(fixtures_dir().join("views.pt")).unwrap();
    let numbers = again.as_seq().unwrap()[0].as_tensor().unwrap().clone();
    assert_eq!(
        numbers.to_vec::<i64>().unwrap(),
        (1..=9).collect::<Vec<i64>>()
    );
}

#[test]
fn device_tags_load_into_host_memory_by_default() {
    let path = fixtures_dir().join("cuda_tagged.pt");
    let loaded = load_file(&path, &LoadOptions::new()).unwrap();
    assert_eq!(loaded.storages[0].location, "cuda:0");
    assert!(loaded.storages.iter().all(|s| s.restored_location == "cpu"));
    let described = describe(&loaded);
    assert!(
        described
            .iter()
            .any(|e| e.location.as_deref() == Some("cuda:0"))
    );
    // PyTorch's refusal, on request.
    let refusing = LoadOptions::new().registry(LocationRegistry::refusing_devices());
    match load_file(&path, &refusing) {
        Err(LoadError::Location { tag, message, .. }) => {
            assert!(tag.starts_with("cuda"));
            assert!(message.contains("map_location"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // map_location still decides first.
    let mut map = HashMap::new();
    map.insert("cuda:0".to_owned(), "cpu".to_owned());
    map.insert("cuda:1".to_owned(), "cpu".to_owned());
    let loaded = load_file(&path, &refusing.clone().map_location(MapLocation::Map(map))).unwrap();
    assert!(loaded.storages.iter().all(|s| s.restored_location == "cpu"));
    let f = MapLocation::Fn(Arc::new(|t| Some(format!("cpu-from-{}", t.location))));
    let loaded = load_file(&path, &LoadOptions::new().map_location(f)).unwrap();
    assert_eq!(loaded.storages[0].restored_location, "cpu-from-cuda:0");
}

#[test]
fn custom_tags_load_by_default_and_registered_packages_win() {
    let path = fixtures_dir().join("location_tagged.pt");
    let loaded = load_file(&path, &LoadOptions::new()).unwrap();
    assert!(loaded.storages.iter().any(|s| s.location == "npu:1"));
    let refusing = LoadOptions::new().registry(LocationRegistry::refusing_devices());
    match load_file(&path, &refusing) {
        Err(LoadError::Location { message, .. }) => assert_eq!(
            message,
            "don't know how to restore data location of torch.storage.UntypedStorage (tagged with npu:1)"
        ),
        other => panic!("{other:?}"),
    }
    let mut registry = LocationRegistry::refusing_devices();
    registry.register_package(
        30,
        None,
        Some(Arc::new(|s: &Storage, tag: &str| {
            Ok(tag.starts_with("npu").then(|| s.clone()))
        })),
    );
    let loaded = load_file(&path, &LoadOptions::new().registry(registry)).unwrap();
    assert_eq!(loaded.storages.len(), 4);
    assert_eq!(loaded.format, Format::Zip);
    let npu = loaded
        .storages
        .iter()
        .find(|s| s.location == "npu:1")
        .unwrap();
    assert_eq!(npu.restored_location, "npu:1");
}

#[test]
fn state_dicts_keep_their_metadata() {
    let sd = serialize::Checkpoint::open(fixtures_dir().join("batchnorm_state.pt"))
        .unwrap()
        .state_dict()
        .unwrap();
    assert_eq!(sd.module_version(""), Some(2));
    let sd = serialize::Checkpoint::open(fixtures_dir().join("batchnorm_v1_state.pt"))
        .unwrap()
        .state_dict()
        .unwrap();
    assert_eq!(sd.module_version(""), Some(1));
    let ck = serialize::Checkpoint::open(fixtures_dir().join("checkpoint.pt"))
        .unwrap()
        .state_dict_at("model")
        .unwrap();
    assert_eq!(
        ck.keys().collect::<Vec<_>>(),
        ["l0.weight", "l0.bias", "l1.weight", "l1.bias"]
    );
    let ts = serialize::Checkpoint::open(fixtures_dir().join("mymodule_script.pt"))
        .unwrap()
        .state_dict()
        .unwrap();
    assert_eq!(ts.len(), 4);
    let v = serialize::load(fixtures_dir().join("checkpoint.pt")).unwrap();
    assert!(matches!(v.get("extra"), Some(Value::Dict(_))));
}

/// A single-file checkpoint with its container facts.
fn load_file(
    path: impl AsRef<std::path::Path>,
    opts: &pt::core::serialize::LoadOptions,
) -> Result<pt::core::serialize::Loaded, pt::core::serialize::LoadError> {
    pt::core::serialize::Checkpoint::open_with(path, opts)
        .map(|c| c.into_loaded().expect("a single-file checkpoint"))
}
