//! The Python half of the interop tests: `tests/python/check_interop.py` run by the
//! interpreter `PT_INTEROP_PYTHON` names.

use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

/// The Python to run. The tests that call this are `#[ignore]`d; run explicitly without the
/// variable they fail, never pass.
pub fn python() -> String {
    std::env::var("PT_INTEROP_PYTHON")
        .expect("set PT_INTEROP_PYTHON to a Python with torch to run the interop tests")
}

/// Writes `manifest` into `dir`, runs the checker on `dir` and fails the test unless every
/// check passed. Returns the checker's output. The checker writes its own files back into
/// `dir/python_out/` with a manifest of the same shape.
pub fn run_checker(python: &str, dir: &Path, manifest: &Json) -> String {
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(manifest).unwrap(),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_interop.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(dir)
        .output()
        .expect("running the interop script");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        out.status.success() && failures.is_empty(),
        "check_interop.py failed:\n{}\n{}\n{}",
        failures.join("\n"),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
