//! `pt convert IN OUT`: any checkpoint (`.pt`, TorchScript, `.safetensors`, sharded) → a
//! `.safetensors` file, a directory of sharded safetensors (`--max-shard-size`), or a zip `.pt`.
//!
//! The output is written through pt-core's atomic writers (a temporary file in OUT's folder,
//! moved into place), so a failure never leaves a partial OUT; without `--force` the move
//! refuses to replace a file (also one that appeared meanwhile, for `.pt`).

use std::io;
use std::path::{Path, PathBuf};

use pt_core::serialize::{
    Existing, Format, SaveError, SaveOptions, has_objects, is_safetensors_path,
    modules_to_state_dicts, record_prefix_for, save_safetensors, save_safetensors_sharded,
    save_writer_with, write_atomically,
};
use pt_core::{StateDict, Value};

use crate::cli::ConvertArgs;
use crate::input::{self, InputError, state_dict_of};

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
    let c = input::open(&args.input, &args.load, true)?;
    let Some(loaded) = c.loaded().filter(|l| l.format != Format::Safetensors) else {
        // Safetensors and sharded inputs are state dicts.
        let sd = c.state_dict()?;
        if args.key.is_some() {
            notes.push(format!(
                "--key is ignored for a {} input",
                c.format().as_str()
            ));
        }
        return Ok((
            if to_safetensors {
                Output::SafeTensors(sd)
            } else {
                Output::Pt(sd.to_value())
            },
            notes,
        ));
    };
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
        None => loaded.value.clone(),
    };
    let value = if has_objects(&value) {
        notes.push("inert module objects were replaced by their module state dicts".to_owned());
        modules_to_state_dicts(value)
    } else {
        value
    };
    Ok((Output::Pt(value), notes))
}

/// Parses a shard size: bytes, or a number with `KB`/`MB`/`GB` (powers of 1000, as
/// Hugging Face's `max_shard_size`) or `KiB`/`MiB`/`GiB` (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KIB" => 1 << 10,
        "MIB" => 1 << 20,
        "GIB" => 1 << 30,
        _ => {
            return Err(format!(
                "--max-shard-size: unknown unit in `{text}` (use B, KB, MB, GB, KiB, MiB or GiB)"
            ));
        }
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("--max-shard-size: `{text}` is not a size such as 2GB"))?;
    let bytes = n * scale as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("--max-shard-size: `{text}` is not a positive size"));
    }
    Ok(bytes as u64)
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
    let max_shard = args.max_shard_size.as_deref().map(parse_size).transpose()?;
    let to_safetensors = max_shard.is_some() || is_safetensors_path(out);
    let (output, mut notes) =
        prepare(args, to_safetensors).map_err(|e| prefix(e, &args.input.display().to_string()))?;
    let existing = if args.force {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    let refused = |e: SaveError| match &e {
        SaveError::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists => {
            refuse_existing(out)
        }
        _ => e.to_string(),
    };
    let summary = match (&output, max_shard) {
        (Output::SafeTensors(sd), Some(max)) => {
            // Shards are written into a private folder beside OUT, then moved in whole.
            let tmp_dir = tempfile::Builder::new()
                .prefix(".pt-convert-")
                .tempdir_in(&dir)
                .map_err(|e| format!("creating a temporary folder in {}: {e}", dir.display()))?;
            let tmp = tmp_dir.path().join(name);
            let files = save_safetensors_sharded(sd, &tmp, max).map_err(|e| e.to_string())?;
            if args.force && out.is_dir() {
                // Swap whole directories so OUT is never a mix of old and new shards.
                let old = tmp_dir.path().join(".replaced");
                std::fs::rename(out, &old)
                    .and_then(|()| std::fs::rename(&tmp, out))
                    .map_err(|e| {
                        format!("moving the output into place at {}: {e}", out.display())
                    })?;
            } else {
                place(&tmp, out, args.force).map_err(|e| {
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        refuse_existing(out)
                    } else {
                        format!("moving the output into place at {}: {e}", out.display())
                    }
                })?;
            }
            format!(
                "{} files, {} tensors, {} other entries",
                files.len(),
                sd.tensors().count(),
                sd.len() - sd.tensors().count()
            )
        }
        (Output::SafeTensors(sd), None) => {
            save_safetensors(sd, out).map_err(|e| e.to_string())?;
            format!(
                "{} tensors, {} other entries",
                sd.tensors().count(),
                sd.len() - sd.tensors().count()
            )
        }
        (Output::Pt(value), _) => {
            // The record folder comes from OUT's name, exactly as torch.save(OUT) would.
            let opts = SaveOptions::new().record_prefix(record_prefix_for(out).map_err(refused)?);
            write_atomically(out, existing, |w| {
                save_writer_with(value, w, &opts).map(|_| ())
            })
            .map_err(refused)?;
            format!("{} value", value.kind())
        }
    };
    notes.push(format!(
        "wrote {} ({}; {summary})",
        out.display(),
        match (max_shard, to_safetensors) {
            (Some(_), _) => "sharded safetensors",
            (None, true) => "safetensors",
            (None, false) => "zip .pt",
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
