//! Helpers shared by the CLI tests: the built `pt` binary and the fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;

/// The fixtures folder of the workspace.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// A fixture's path.
pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// Every fixture name (without extension), sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures folder")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "pt").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    assert!(names.len() >= 30, "fixtures missing: {names:?}");
    names
}

/// A fixture's description.
pub fn description(name: &str) -> Json {
    let text = std::fs::read_to_string(fixture(&format!("{name}.json"))).expect("fixture json");
    serde_json::from_str(&text).expect("fixture json parses")
}

/// Runs `pt` with these arguments.
pub fn pt<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_pt"))
        .args(args)
        .output()
        .expect("run pt")
}

/// Exit status, stdout and stderr of a run.
pub fn parts(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Extra arguments some fixtures need to load (their storages are not tagged `cpu`).
pub fn load_args(name: &str) -> Vec<&'static str> {
    match name {
        "cuda_tagged" | "location_tagged" => vec!["--map-location", "cpu"],
        _ => vec![],
    }
}

/// JSON equality where numbers compare by value (1 == 1.0), reporting the first
/// difference's path.
pub fn json_diff(a: &Json, b: &Json, path: &str) -> Option<String> {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            let same = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            };
            (!same).then(|| format!("{path}: {a} vs {b}"))
        }
        (Json::Array(x), Json::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: length {} vs {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| json_diff(p, q, &format!("{path}[{i}]")))
        }
        (Json::Object(x), Json::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => json_diff(p, q, &format!("{path}.{k}")),
                (p, q) => Some(format!("{path}.{k}: {p:?} vs {q:?}")),
            })
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}
