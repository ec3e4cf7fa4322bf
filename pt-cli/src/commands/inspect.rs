//! `pt inspect FILE [--json]`.

use std::path::Path;

use pt_core::serialize::{Entry, describe};
use serde::Serialize;
use serde_json::json;

use crate::cli::InspectArgs;
use crate::input::{self, InputError};
use crate::progress::Progress;
use crate::render::inspect_table;

/// The object `pt inspect --json` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `zip`, `legacy` or `torchscript`.
    pub format: &'static str,
    /// The version record, trimmed (`null` for legacy files).
    pub version: Option<String>,
    /// The byteorder record (`null` when absent).
    pub byteorder: Option<&'static str>,
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
    if input::is_safetensors_input(path) {
        return Err(InputError::Other(
            "inspect reads PyTorch files (.pt of any flavour); a .safetensors file can be compared with `pt diff` or converted with `pt convert`".to_owned(),
        ));
    }
    // The indicator covers loading and describing (hashing every tensor).
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let _progress = Progress::start(
        &format!("reading {}", path.display()),
        size,
        !args.no_progress,
    );
    let mut loaded = input::load_pt(path, &args.load, false)?;
    if args.load.inert && input::has_objects(&loaded.value) {
        let value = std::mem::replace(&mut loaded.value, pt_core::Value::None);
        loaded.value = input::modules_to_state_dicts(value);
    }
    Ok(Report {
        format: loaded.format.as_str(),
        version: loaded.version.clone(),
        byteorder: loaded.byteorder.map(|b| b.as_str()),
        entries: describe(&loaded),
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
                let j = serde_json::to_value(&r).unwrap_or_default();
                print!("{}", inspect_table(&path.display().to_string(), &j));
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
