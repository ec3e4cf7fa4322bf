//! `pt scan FILE…`: globals and opcodes of every pickle, and a verdict per file.

use pt_core::serialize::scan::{ScanReport, scan_file};
use serde_json::{Value as Json, json};

use crate::cli::ScanArgs;
use crate::table::{Align, Table};

/// Exit status when some file is unsafe.
pub const EXIT_UNSAFE: u8 = 3;
/// Exit status when no file is unsafe but some could not be scanned.
pub const EXIT_UNREADABLE: u8 = 2;

fn verdict(r: &ScanReport) -> &'static str {
    if r.is_safe() { "safe" } else { "unsafe" }
}

fn to_json(file: &str, r: &ScanReport) -> Json {
    let globals: Vec<Json> = r
        .globals()
        .iter()
        .map(|g| {
            json!({
                "global": g.qualified(),
                "count": g.count,
                "allowed": g.is_safe(),
                "inert_allowed": g.inert_allowed,
                "data_only": g.data_only,
                "reason": g.refusal,
            })
        })
        .collect();
    let pickles: Vec<Json> = r
        .pickles
        .iter()
        .map(|p| json!({"name": p.name, "bytes": p.len, "protocol": p.protocol}))
        .collect();
    json!({
        "file": file,
        "format": r.format.as_str(),
        "verdict": verdict(r),
        "offending": r.offending(),
        "globals": globals,
        "opcodes": r.opcodes(),
        "pickles": pickles,
    })
}

/// The human report of one file.
pub fn render(file: &str, r: &ScanReport) -> String {
    let mut out = String::new();
    let offending = r.offending();
    if offending.is_empty() {
        out.push_str(&format!("{file}: safe ({})\n", r.format.as_str()));
    } else {
        out.push_str(&format!(
            "{file}: UNSAFE ({}): {}\n",
            r.format.as_str(),
            offending.join(", ")
        ));
    }
    for p in &r.pickles {
        let proto = p
            .protocol
            .map_or("no PROTO".to_owned(), |v| format!("protocol {v}"));
        out.push_str(&format!("  pickle {} ({proto}, {} bytes)\n", p.name, p.len));
    }
    let globals = r.globals();
    if globals.is_empty() {
        out.push_str("  globals: none\n");
    } else {
        let mut t = Table::new(&[
            ("GLOBAL", Align::Left),
            ("COUNT", Align::Right),
            ("VERDICT", Align::Left),
        ]);
        for g in &globals {
            let v = match (&g.refusal, g.inert_allowed) {
                (None, _) if g.data_only => "data-only (numpy; beyond torch's weights_only)",
                (None, _) => "allowed",
                (Some(_), true) => {
                    "REFUSED (not allowlisted; `--inert` reads it as an inert record)"
                }
                (Some(_), false) => "REFUSED (can run code: refused in every mode)",
            };
            t.row(vec![g.qualified(), g.count.to_string(), v.to_owned()]);
        }
        out.push_str(&t.render("  "));
    }
    for u in r.pickles.iter().flat_map(|p| &p.unresolved) {
        out.push_str(&format!("  UNRESOLVED: {u}\n"));
    }
    let ops: Vec<String> = r
        .opcodes()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    out.push_str(&format!("  opcodes: {}\n", ops.join(", ")));
    out
}

/// Runs the command; returns the exit status.
pub fn run(args: &ScanArgs) -> u8 {
    let (mut unsafe_files, mut failed, mut safe) = (0usize, 0usize, 0usize);
    for (i, path) in args.files.iter().enumerate() {
        let file = path.display().to_string();
        match scan_file(path) {
            Ok(r) => {
                if r.is_safe() {
                    safe += 1;
                } else {
                    unsafe_files += 1;
                }
                if args.json {
                    println!("{}", to_json(&file, &r));
                } else {
                    if i > 0 {
                        println!();
                    }
                    print!("{}", render(&file, &r));
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("pt scan: {file}: {e}");
                if args.json {
                    println!("{}", json!({"file": file, "error": e.to_string()}));
                }
            }
        }
    }
    if args.files.len() > 1 && !args.json {
        println!("\n{safe} safe, {unsafe_files} unsafe, {failed} unreadable");
    }
    if unsafe_files > 0 {
        EXIT_UNSAFE
    } else if failed > 0 {
        EXIT_UNREADABLE
    } else {
        0
    }
}
