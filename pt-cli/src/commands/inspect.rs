//! `pt inspect FILE [--json]`.

use std::path::Path;

use pt_core::serialize::{
    ByteOrder, Detail, Entry, describe_value_with, has_objects, modules_to_state_dicts,
};
use serde::Serialize;
use serde_json::json;

use crate::cli::InspectArgs;
use crate::input::{self, InputError};
use crate::progress::Progress;
use crate::render::inspect_table;

/// The object `pt inspect --json` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `zip`, `legacy`, `torchscript`, `safetensors` or `sharded`.
    pub format: &'static str,
    /// The version record, trimmed (`null` for legacy and safetensors files).
    pub version: Option<String>,
    /// The byteorder record (`null` when absent; `little` for safetensors).
    pub byteorder: Option<&'static str>,
    /// The shard files of a sharded checkpoint, in index order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<String>,
    /// One entry per leaf, as `tests/fixtures/*.json`.
    pub entries: Vec<Entry>,
}

/// Loads `path` and describes it. With `--inert`, every module object of a whole-module
/// pickle is described by its module state dict (parameters and buffers under their
/// state-dict keys); other inert objects are entries of kind `object`.
///
/// # Errors
/// Load failures.
pub fn report(path: &Path, args: &InspectArgs) -> Result<Report, InputError> {
    // Only --json hashes and lists elements; the table needs the layout alone.
    let detail = if args.json {
        Detail::Full
    } else {
        Detail::Layout
    };
    // The indicator covers loading and describing.
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let _progress = Progress::start(
        &format!("reading {}", path.display()),
        size,
        !args.no_progress,
    );
    let c = input::open(path, &args.load, false)?;
    let shards = c.index().map(|i| i.shards().to_vec()).unwrap_or_default();
    let (version, byteorder, entries) = match c.loaded() {
        Some(l) if args.load.inert && has_objects(&l.value) => {
            let value = modules_to_state_dicts(l.value.clone());
            (
                l.version.clone(),
                l.byteorder,
                describe_value_with(&value, &l.storages, detail),
            )
        }
        Some(l) => (
            l.version.clone(),
            l.byteorder,
            describe_value_with(&l.value, &l.storages, detail),
        ),
        None => (None, Some(ByteOrder::Little), c.describe_with(detail)?),
    };
    Ok(Report {
        format: c.format().as_str(),
        version,
        byteorder: byteorder.map(ByteOrder::as_str),
        shards,
        entries,
    })
}

/// Runs the command; returns the exit status.
pub fn run(args: &InspectArgs) -> u8 {
    let path = args.file.as_path();
    match report(path, args) {
        Ok(r) => {
            if args.json {
                match serde_json::to_string(&r) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("pt inspect: {}: cannot encode JSON: {e}", path.display());
                        println!("{}", json!({ "error": e.to_string() }));
                        return 1;
                    }
                }
            } else {
                print!("{}", inspect_table(&path.display().to_string(), &r));
                if r.format == "torchscript"
                    && let Err(e) = super::run::print_methods(path, args.code)
                {
                    eprintln!("pt inspect: {}: cannot load its code: {e}", path.display());
                }
            }
            0
        }
        Err(e) => {
            let message = e.to_string();
            eprintln!("pt inspect: {}: {message}", path.display());
            if let Some(h) = input::hint(&e) {
                eprintln!("hint: {h}");
            }
            if args.json {
                println!("{}", json!({ "error": message }));
            }
            1
        }
    }
}
