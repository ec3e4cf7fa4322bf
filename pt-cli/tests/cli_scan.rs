//! `pt scan`: verdicts on every fixture, exit statuses, JSON.

mod cli_support;

use cli_support::{description, fixture, fixture_names, parts, pt};
use serde_json::Value as Json;

/// The globals a fixture must be judged unsafe for.
fn expected_offenders(name: &str) -> Vec<&'static str> {
    match name {
        "malicious" | "malicious_legacy" => vec!["posix.system"],
        "malicious_builtins" => vec!["builtins.eval"],
        // As torch.serialization.get_unsafe_globals_in_checkpoint reports.
        "mymodule_whole" => vec!["__main__.MyModule", "torch.nn.modules.linear.Linear"],
        _ => vec![],
    }
}

#[test]
fn verdict_of_every_fixture() {
    let mut failures = Vec::new();
    for name in fixture_names() {
        let path = fixture(&format!("{name}.pt"));
        let (code, out, err) = parts(&pt(["scan".as_ref(), "--json".as_ref(), path.as_os_str()]));
        let got: Json = match serde_json::from_str(out.trim()) {
            Ok(j) => j,
            Err(e) => {
                failures.push(format!("{name}: not JSON ({e}): {out} {err}"));
                continue;
            }
        };
        let want = expected_offenders(&name);
        let offending: Vec<&str> = got["offending"]
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let desc = description(&name);
        if got["format"] != desc["format"] {
            failures.push(format!(
                "{name}: format {} vs {}",
                got["format"], desc["format"]
            ));
        }
        if want.is_empty() {
            if code != 0 || got["verdict"] != "safe" {
                failures.push(format!("{name}: expected safe, got {code} {out}"));
            }
        } else {
            if code != 3 || got["verdict"] != "unsafe" {
                failures.push(format!(
                    "{name}: expected unsafe (exit 3), got {code} {out}"
                ));
            }
            for w in &want {
                if !offending.contains(w) {
                    failures.push(format!("{name}: {w} not among offenders {offending:?}"));
                }
            }
            // What torch refused first is among the offenders.
            if let Some(g) = desc["refused_global"].as_str()
                && !offending.contains(&g)
            {
                failures.push(format!("{name}: refused_global {g} not in {offending:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_report_names_globals_and_opcodes() {
    let (code, out, _) = parts(&pt([
        "scan".as_ref(),
        fixture("mymodule_state.pt").as_os_str(),
    ]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("mymodule_state.pt: safe (zip)"), "{out}");
    assert!(out.contains("collections.OrderedDict"), "{out}");
    assert!(out.contains("torch._utils._rebuild_tensor_v2"), "{out}");
    assert!(out.contains("allowed"), "{out}");
    assert!(out.contains("BINPERSID 4"), "{out}");

    let (code, out, _) = parts(&pt(["scan".as_ref(), fixture("malicious.pt").as_os_str()]));
    assert_eq!(code, 3);
    assert!(out.contains("UNSAFE (zip): posix.system"), "{out}");
    assert!(out.contains("REFUSED"), "{out}");

    let (_, out, _) = parts(&pt(["scan".as_ref(), fixture("legacy.pt").as_os_str()]));
    assert_eq!(out.matches("pickle legacy pickle").count(), 5, "{out}");
    let (_, out, _) = parts(&pt([
        "scan".as_ref(),
        fixture("mymodule_script.pt").as_os_str(),
    ]));
    assert!(out.contains("constants.pkl"), "{out}");
    assert!(out.contains("__torch__"), "{out}");
}

#[test]
fn exit_status_over_several_files() {
    let safe = fixture("tensor.pt");
    let bad = fixture("malicious_legacy.pt");
    let (code, out, _) = parts(&pt([safe.as_os_str(), safe.as_os_str()].iter().fold(
        vec![std::ffi::OsStr::new("scan")],
        |mut v, p| {
            v.push(p);
            v
        },
    )));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 safe, 0 unsafe, 0 unreadable"), "{out}");
    let (code, out, _) = parts(&pt(["scan".as_ref(), safe.as_os_str(), bad.as_os_str()]));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("1 safe, 1 unsafe"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pt");
    std::fs::write(&junk, b"not a checkpoint at all").unwrap();
    let (code, _, err) = parts(&pt(["scan".as_ref(), safe.as_os_str(), junk.as_os_str()]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("junk.pt"), "{err}");
    let (code, _, _) = parts(&pt(["scan".as_ref(), bad.as_os_str(), junk.as_os_str()]));
    assert_eq!(code, 3);
    let (code, _, _) = parts(&pt(["scan", "/nonexistent/file.pt"]));
    assert_eq!(code, 2);
    let (code, _, _) = parts(&pt(["scan"]));
    assert_eq!(code, 2);
}

#[test]
fn numpy_globals_are_reported_as_data_only() {
    let path = fixture("checkpoints/numpy_arrays.pt");
    let (code, out, err) = parts(&pt(["scan".as_ref(), "--json".as_ref(), path.as_os_str()]));
    assert_eq!(code, 0, "{out} {err}");
    let got: Json = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(got["verdict"], "safe", "{out}");
    let globals: Vec<&Json> = got["globals"].as_array().into_iter().flatten().collect();
    let numpy: Vec<&&Json> = globals
        .iter()
        .filter(|g| g["global"].as_str().is_some_and(|m| m.starts_with("numpy")))
        .collect();
    assert!(!numpy.is_empty(), "{out}");
    assert!(numpy.iter().all(|g| g["data_only"] == true), "{out}");
    assert!(
        globals
            .iter()
            .filter(|g| g["global"].as_str().is_some_and(|m| m.starts_with("torch")))
            .all(|g| g["data_only"] == false),
        "{out}"
    );

    let (code, out, _) = parts(&pt(["scan".as_ref(), path.as_os_str()]));
    assert_eq!(code, 0);
    assert!(out.contains("data-only (numpy"), "{out}");
}
