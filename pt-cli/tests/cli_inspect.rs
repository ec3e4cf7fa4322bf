//! `pt inspect`: JSON output against every fixture description, and the table.

mod cli_support;

use cli_support::{description, fixture, fixture_names, json_diff, load_args, parts, pt};
use serde_json::Value as Json;

fn inspect_json(name: &str, extra: &[&str]) -> (i32, String, String) {
    let path = fixture(&format!("{name}.pt"));
    let mut args = vec!["inspect", "--json"];
    args.extend(load_args(name));
    args.extend(extra);
    let path = path.to_str().unwrap().to_owned();
    args.push(&path);
    parts(&pt(&args))
}

#[test]
fn json_matches_every_fixture_description() {
    let mut failures = Vec::new();
    for name in fixture_names() {
        let want = description(&name);
        let (code, out, err) = inspect_json(&name, &[]);
        let lines: Vec<&str> = out.lines().collect();
        if lines.len() != 1 {
            failures.push(format!(
                "{name}: expected one JSON line, got {out:?} (stderr {err})"
            ));
            continue;
        }
        let got: Json = serde_json::from_str(lines[0]).expect("stdout is JSON");
        if want["load"] == "refused" {
            let global = want["refused_global"].as_str().unwrap();
            let msg = got["error"].as_str().unwrap_or_default();
            if code != 1 || !msg.contains(global) || got.as_object().unwrap().len() != 1 {
                failures.push(format!("{name}: refusal not reported: {code} {out} {err}"));
            }
            if !err.contains(global) {
                failures.push(format!("{name}: stderr does not name {global}: {err}"));
            }
            continue;
        }
        if code != 0 {
            failures.push(format!("{name}: exit {code}: {err}"));
            continue;
        }
        let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "{name}: {keys:?}");
        for field in ["format", "version", "byteorder", "entries"] {
            if let Some(d) = json_diff(&got[field], &want[field], &format!("{name}.{field}")) {
                failures.push(d);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inert_mode_gives_the_module_state_dict() {
    let want = description("mymodule_whole");
    let (code, out, err) = inspect_json("mymodule_whole", &["--inert"]);
    assert_eq!(code, 0, "{err}");
    let got: Json = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(got["format"], "zip");
    if let Some(d) = json_diff(&got["entries"], &want["inert_state_dict"], "entries") {
        panic!("{d}");
    }
    // Inert mode still refuses code execution.
    let (code, out, _) = inspect_json("malicious", &["--inert"]);
    assert_eq!(code, 1);
    assert!(out.contains("posix.system"), "{out}");
}

#[test]
fn cuda_storages_open_with_no_flag_and_show_their_location() {
    let path = fixture("cuda_tagged.pt");
    let (code, out, err) = parts(&pt([
        "inspect".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]));
    assert_eq!(code, 0, "{err}");
    let got: Json = serde_json::from_str(out.trim()).unwrap();
    let entries = got["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["location"] == "cuda:0"), "{out}");
    let (code, out, err) = parts(&pt(["inspect".as_ref(), path.as_os_str()]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("cuda:0"), "{out}");
    let (code, _, err) = parts(&pt([
        "inspect".as_ref(),
        "--map-location".as_ref(),
        "cuda:0=cpu,cuda:1=cpu".as_ref(),
        path.as_os_str(),
    ]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn table_lists_entries_shared_storages_and_totals() {
    let (code, out, err) = parts(&pt([
        "inspect".as_ref(),
        fixture("mymodule_state.pt").as_os_str(),
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("format: zip   version record: 3   byte order: little"),
        "{out}"
    );
    let w = out
        .lines()
        .find(|l| l.starts_with("l0.weight "))
        .expect(&out);
    for part in ["float32", "[2, 4]", "#0", "32 B"] {
        assert!(w.contains(part), "{w}");
    }
    assert!(
        out.contains(
            "4 tensors, 13 parameters (elements), 52 B of tensor data; 4 storages holding 52 B"
        ),
        "{out}"
    );
    assert!(
        out.contains("by dtype:") && out.contains("storage locations:"),
        "{out}"
    );

    let (code, out, _) = parts(&pt(["inspect".as_ref(), fixture("views.pt").as_os_str()]));
    assert_eq!(code, 0);
    let shared: Vec<&str> = out.lines().filter(|l| l.contains("#0 *shared")).collect();
    assert_eq!(shared.len(), 2, "{out}");
    assert!(out.contains("shared storages:"), "{out}");

    let (code, out, _) = parts(&pt([
        "inspect".as_ref(),
        fixture("checkpoint.pt").as_os_str(),
    ]));
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("epoch ") && l.contains("int") && l.contains('5')),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("name ") && l.contains("\"run-1\"")),
        "{out}"
    );

    let (code, out, _) = parts(&pt(["inspect".as_ref(), fixture("legacy.pt").as_os_str()]));
    assert_eq!(code, 0);
    assert!(
        out.contains("format: legacy   version record: (none)   byte order: (no record)"),
        "{out}"
    );

    let (code, out, _) = parts(&pt([
        "inspect".as_ref(),
        fixture("mymodule_script.pt").as_os_str(),
    ]));
    assert_eq!(code, 0);
    assert!(out.contains("format: torchscript"), "{out}");
    assert!(out.contains("requires_grad"), "{out}");
}

#[test]
fn refused_and_missing_files_exit_1() {
    let (code, out, err) = parts(&pt([
        "inspect".as_ref(),
        fixture("malicious_builtins.pt").as_os_str(),
    ]));
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("builtins.eval"), "{err}");
    assert!(err.contains("pt scan"), "{err}");
    let (code, out, _) = parts(&pt(["inspect", "--json", "/nonexistent/x.pt"]));
    assert_eq!(code, 1);
    let got: Json = serde_json::from_str(out.trim()).unwrap();
    assert!(got["error"].is_string());
    let (code, _, _) = parts(&pt(["inspect"]));
    assert_eq!(code, 2);
}
