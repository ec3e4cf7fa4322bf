//! Opening the files the commands read: `.pt` of any flavour through pt-core's loader,
//! `.safetensors` through the `safetensors` crate.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use pt_core::serialize::{
    self, LoadError, LoadOptions, Loaded, MapLocation, UnpicklerMode, module_state_dict,
};
use pt_core::{StateDict, Value};

use crate::cli::LoadArgs;
use crate::progress::Progress;
use crate::safetensors_io;

/// Why an input could not be used.
#[derive(Debug)]
pub enum InputError {
    /// The loader refused or failed (unsafe global, corrupt, unsupported, I/O).
    Load(LoadError),
    /// Anything else, as a message.
    Other(String),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Load(e) => write!(f, "{e}"),
            InputError::Other(m) => f.write_str(m),
        }
    }
}

impl From<LoadError> for InputError {
    fn from(e: LoadError) -> InputError {
        InputError::Load(e)
    }
}

impl From<String> for InputError {
    fn from(m: String) -> InputError {
        InputError::Other(m)
    }
}

/// A hint to print after an error, when there is an obvious next step.
pub fn hint(e: &InputError) -> Option<&'static str> {
    match e {
        InputError::Load(LoadError::Location { .. }) => Some(
            "pass --map-location cpu to load every storage into host memory (or FROM=TO pairs)",
        ),
        InputError::Load(LoadError::UnsafeGlobal { .. }) => Some(
            "`pt scan FILE` lists every global the file references; only if you trust the file, --inert extracts its tensors without running anything",
        ),
        _ => None,
    }
}

/// Parses `--map-location` values: one location (`cpu`), or `FROM=TO` pairs.
///
/// # Errors
/// A message for an empty value, or a mix of a location and pairs.
pub fn map_location(values: &[String]) -> Result<MapLocation, String> {
    let parts: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Ok(if values.is_empty() {
            MapLocation::Keep
        } else {
            return Err("--map-location needs a value such as `cpu` or `cuda:0=cpu`".to_owned());
        });
    }
    let pairs: Vec<Option<(&str, &str)>> = parts.iter().map(|p| p.split_once('=')).collect();
    if pairs.iter().all(Option::is_none) {
        if let [one] = parts.as_slice() {
            return Ok(MapLocation::To((*one).to_owned()));
        }
        return Err(format!(
            "--map-location takes one location or FROM=TO pairs, not several locations: {}",
            parts.join(", ")
        ));
    }
    let mut map = HashMap::new();
    for (p, pair) in parts.iter().zip(pairs) {
        let Some((from, to)) = pair.filter(|(f, t)| !f.is_empty() && !t.is_empty()) else {
            return Err(format!(
                "--map-location: `{p}` is not a FROM=TO pair (do not mix a bare location with pairs)"
            ));
        };
        map.insert(from.to_owned(), to.to_owned());
    }
    Ok(MapLocation::Map(map))
}

/// The load options the arguments ask for.
///
/// # Errors
/// As [`map_location`].
pub fn load_options(args: &LoadArgs) -> Result<LoadOptions, String> {
    let mut o = LoadOptions::new().map_location(map_location(&args.map_location)?);
    if args.inert {
        o = o.mode(UnpicklerMode::Inert);
    }
    Ok(o)
}

/// True for a path whose extension is `.safetensors` (how outputs are told apart).
pub fn is_safetensors(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
}

/// True when an existing input is a safetensors file: by extension, or by content (an
/// 8-byte little-endian header length followed by the header's `{`; a `.pt` starts with
/// `PK` or a pickle's `PROTO`, never like that).
pub fn is_safetensors_input(path: &Path) -> bool {
    if is_safetensors(path) {
        return true;
    }
    let mut head = [0u8; 9];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head[8] == b'{'
        && &head[..2] != b"PK"
}

/// Loads a `.pt` file, with a progress indicator for large files on a terminal.
///
/// # Errors
/// The loader's error.
pub fn load_pt(path: &Path, args: &LoadArgs, progress: bool) -> Result<Loaded, InputError> {
    let opts = load_options(args)?;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let _p = Progress::start(&format!("loading {}", path.display()), size, progress);
    Ok(serialize::Checkpoint::open_with(path, &opts)?
        .into_loaded()
        .ok_or_else(|| format!("{} is a sharded checkpoint", path.display()))?)
}

/// True when the value holds inert objects (a whole-module pickle read with `--inert`).
pub fn has_objects(v: &Value) -> bool {
    match v {
        Value::Object(_) => true,
        Value::Dict(d) => d.items.values().any(has_objects),
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => {
            items.iter().any(has_objects)
        }
        _ => false,
    }
}

/// A loaded input and where its state dict came from.
#[derive(Debug)]
pub struct Opened {
    /// What kind of file and how the tree was found, for messages.
    pub description: String,
    /// The whole object (`.pt`) or the state dict as a value (`.safetensors`).
    pub value: Value,
}

/// Replaces every inert module object in the tree (a `torch.save(model)` read with
/// `--inert`) by its module state dict, keeping everything else; an object that is not a
/// module stays as it is.
pub fn modules_to_state_dicts(value: Value) -> Value {
    match value {
        Value::Object(o) => {
            let v = Value::Object(o);
            match module_state_dict(&v) {
                Ok(sd) => sd.to_value(),
                Err(_) => v,
            }
        }
        Value::Dict(mut d) => {
            for v in d.items.values_mut() {
                *v = modules_to_state_dicts(std::mem::replace(v, Value::None));
            }
            Value::Dict(d)
        }
        Value::List(items) => Value::List(items.into_iter().map(modules_to_state_dicts).collect()),
        Value::Tuple(items) => {
            Value::Tuple(items.into_iter().map(modules_to_state_dicts).collect())
        }
        other => other,
    }
}

/// The state dict in a `.pt` value (inert modules first turned into their state dicts):
/// at `key` if given, else found with [`StateDict::find`].
///
/// # Errors
/// A message when none can be found.
pub fn state_dict_of(value: &Value, key: Option<&str>) -> Result<(StateDict, String), String> {
    let converted;
    let (value, inert) = if has_objects(value) {
        converted = modules_to_state_dicts(value.clone());
        (&converted, " (from an inert module)")
    } else {
        (value, "")
    };
    if let Some(k) = key {
        let sd = StateDict::find(value, Some(k)).map_err(|e| format!("--key `{k}`: {e}"))?;
        return Ok((sd, format!("state dict at `{k}`{inert}")));
    }
    let sd = StateDict::find(value, None)
        .map_err(|e| format!("{e}; pass --key PATH to say where the state dict is"))?;
    Ok((sd, format!("state dict{inert}")))
}

/// Opens either kind of file as a tree to compare: for `.pt`, the state dict (see
/// [`state_dict_of`]), or the whole object when no state dict can be found and no key was
/// given; for `.safetensors`, its tensors and encoded values.
///
/// # Errors
/// Load and lookup failures.
pub fn open_for_diff(
    path: &Path,
    key: Option<&str>,
    args: &LoadArgs,
) -> Result<Opened, InputError> {
    if is_safetensors_input(path) {
        let (sd, _) = safetensors_io::read(path)?;
        return Ok(Opened {
            description: format!("safetensors, {} entries", sd.len()),
            value: sd.to_value(),
        });
    }
    let loaded = load_pt(path, args, true)?;
    let format = loaded.format.as_str();
    match state_dict_of(&loaded.value, key) {
        Ok((sd, what)) => Ok(Opened {
            description: format!("{format}, {what}, {} entries", sd.len()),
            value: sd.to_value(),
        }),
        Err(e) if key.is_some() => Err(InputError::Other(e)),
        Err(_) => Ok(Opened {
            description: format!("{format}, whole object (no state dict found)"),
            value: loaded.value,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn map_location_forms() {
        assert!(matches!(map_location(&[]), Ok(MapLocation::Keep)));
        assert!(matches!(map_location(&s(&["cpu"])), Ok(MapLocation::To(l)) if l == "cpu"));
        match map_location(&s(&["cuda:0=cpu,cuda:1=cpu", "npu:0=cpu"])) {
            Ok(MapLocation::Map(m)) => {
                assert_eq!(m.len(), 3);
                assert_eq!(m["cuda:1"], "cpu");
            }
            other => panic!("{other:?}"),
        }
        assert!(map_location(&s(&["cpu", "cuda:0=cpu"])).is_err());
        assert!(map_location(&s(&["cpu,meta"])).is_err());
        assert!(map_location(&s(&["=cpu"])).is_err());
        assert!(map_location(&s(&[""])).is_err());
    }
}
