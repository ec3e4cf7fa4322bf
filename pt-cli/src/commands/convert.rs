//! `pt convert IN OUT`: `.pt` → `.safetensors`, `.safetensors` → `.pt`, any `.pt` → zip `.pt`.
//!
//! The output is written to a temporary file in OUT's folder, then moved into place, so a
//! failure never leaves a partial OUT; without `--force` the move refuses to replace a
//! file (also one that appeared meanwhile).

use std::io;
use std::path::{Path, PathBuf};

use pt_core::serialize::save;
use pt_core::{StateDict, Value};

use crate::cli::ConvertArgs;
use crate::input::{self, InputError, has_objects, state_dict_of};
use crate::safetensors_io;

/// What gets written.
enum Output {
    SafeTensors(StateDict),
    Pt(Value),
}

/// Reads the input and picks what to write: a state dict for `.safetensors`; for `.pt`,
/// the whole object (or the value at `--key`), with inert modules and safetensors inputs
/// turned into state dicts. Returns notes for the user too.
fn prepare(args: &ConvertArgs, to_safetensors: bool) -> Result<(Output, Vec<String>), InputError> {
    let mut notes = Vec::new();
    if input::is_safetensors_input(&args.input) {
        let (sd, _) = safetensors_io::read(&args.input)?;
        if args.key.is_some() {
            notes.push("--key is ignored for a .safetensors input".to_owned());
        }
        return Ok((
            if to_safetensors {
                Output::SafeTensors(sd)
            } else {
                Output::Pt(sd.to_value())
            },
            notes,
        ));
    }
    let loaded = input::load_pt(&args.input, &args.load, true)?;
    if to_safetensors {
        let (sd, what) = state_dict_of(&loaded.value, args.key.as_deref())?;
        let root_is_sd = args.key.is_none()
            && !has_objects(&loaded.value)
            && loaded.value.as_dict().is_some_and(|d| d.len() == sd.len());
        if !root_is_sd {
            notes.push(format!(
                "converted the {what} ({} entries); the rest of the file is not part of the output",
                sd.len()
            ));
        }
        return Ok((Output::SafeTensors(sd), notes));
    }
    let value = match args.key.as_deref() {
        Some(k) => loaded
            .value
            .path(k)
            .cloned()
            .ok_or_else(|| InputError::Other(format!("no value at --key `{k}`")))?,
        None => loaded.value,
    };
    let value = if has_objects(&value) {
        notes.push("inert module objects were replaced by their module state dicts".to_owned());
        input::modules_to_state_dicts(value)
    } else {
        value
    };
    Ok((Output::Pt(value), notes))
}

/// Moves `tmp` to `out`: replacing it with `force`, else refusing if it exists.
fn place(tmp: &Path, out: &Path, force: bool) -> io::Result<()> {
    if force {
        return std::fs::rename(tmp, out);
    }
    // A hard link fails if `out` exists, atomically; fall back where links are unsupported.
    match std::fs::hard_link(tmp, out) {
        Ok(()) => std::fs::remove_file(tmp),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            if out.exists() {
                Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"))
            } else {
                std::fs::rename(tmp, out)
            }
        }
    }
}

fn refuse_existing(out: &Path) -> String {
    format!("{} exists; pass --force to replace it", out.display())
}

/// Runs the command; returns the exit status.
pub fn run(args: &ConvertArgs) -> u8 {
    match convert(args) {
        Ok(notes) => {
            for n in notes {
                eprintln!("note: {n}");
            }
            0
        }
        Err(e) => {
            eprintln!("pt convert: {e}");
            if let Some(h) = input::hint(&e) {
                eprintln!("hint: {h}");
            }
            1
        }
    }
}

fn convert(args: &ConvertArgs) -> Result<Vec<String>, InputError> {
    let out = &args.output;
    if !args.force && out.exists() {
        return Err(InputError::Other(refuse_existing(out)));
    }
    let name = out
        .file_name()
        .ok_or_else(|| InputError::Other(format!("{} is not a file name", out.display())))?;
    let dir: PathBuf = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let to_safetensors = input::is_safetensors(out);
    let (output, mut notes) =
        prepare(args, to_safetensors).map_err(|e| prefix(e, &args.input.display().to_string()))?;
    // The temporary file keeps OUT's name inside a private folder, so that a .pt archive's
    // record folder is derived from OUT's name, exactly as torch.save(OUT) would.
    let tmp_dir = tempfile::Builder::new()
        .prefix(".pt-convert-")
        .tempdir_in(&dir)
        .map_err(|e| format!("creating a temporary folder in {}: {e}", dir.display()))?;
    let tmp = tmp_dir.path().join(name);
    let summary = match &output {
        Output::SafeTensors(sd) => {
            safetensors_io::write(sd, &tmp)?;
            format!(
                "{} tensors, {} other entries",
                sd.tensors().count(),
                sd.len() - sd.tensors().count()
            )
        }
        Output::Pt(value) => {
            save(value, &tmp).map_err(|e| format!("saving: {e}"))?;
            format!("{} value", value.kind())
        }
    };
    place(&tmp, out, args.force).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            refuse_existing(out)
        } else {
            format!("moving the output into place at {}: {e}", out.display())
        }
    })?;
    notes.push(format!(
        "wrote {} ({}; {summary})",
        out.display(),
        if to_safetensors {
            "safetensors"
        } else {
            "zip .pt"
        }
    ));
    Ok(notes)
}

fn prefix(e: InputError, what: &str) -> InputError {
    match e {
        InputError::Other(m) => InputError::Other(format!("{what}: {m}")),
        InputError::Load(l) => InputError::Other(format!("{what}: {l}")),
    }
}
