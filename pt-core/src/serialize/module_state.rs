//! [`module_state_dict`]: the state dict of a whole `nn.Module` saved with `torch.save(model)`,
//! read from the inert records of [`UnpicklerMode::Inert`](super::UnpicklerMode::Inert).

use crate::state_dict::{StateDict, StateDictError};
use crate::value::{Dict, Key, Object, Value};

/// Deepest module nesting followed.
const MAX_DEPTH: usize = 256;

/// The state dict PyTorch's `model.state_dict()` would return for an inert module object:
/// pre-order over `_parameters`, `_buffers` (skipping `None` and the names in
/// `_non_persistent_buffers_set`) and `_modules`, with dotted keys. Tensors are detached
/// (`requires_grad` false), as `state_dict()` stores them.
///
/// `_metadata` versions are recorded for every module: 2 for the classes of
/// `torch.nn.modules.batchnorm` and `torch.nn.modules.instancenorm` (PyTorch's `_NormBase`),
/// 1 otherwise (a class attribute `_version` of user classes is not in the pickle).
/// `get_extra_state` results cannot be reproduced without running code and are left out.
///
/// # Errors
/// [`StateDictError::NotFound`] if `value` is not an inert module object (an object whose
/// state has `_parameters`, `_buffers` and `_modules`).
pub fn module_state_dict(value: &Value) -> Result<StateDict, StateDictError> {
    let Value::Object(o) = value else {
        return Err(StateDictError::NotFound(format!(
            ": expected an inert module object, found a {}",
            value.kind()
        )));
    };
    let mut sd = StateDict::new();
    walk(o, "", &mut sd, 0)?;
    Ok(sd)
}

/// True when `value` holds inert objects anywhere (a file read with
/// [`UnpicklerMode::Inert`](super::UnpicklerMode::Inert) that needed them).
pub fn has_objects(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Dict(d) => d.items.values().any(has_objects),
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => {
            items.iter().any(has_objects)
        }
        _ => false,
    }
}

/// Replaces every inert module object in the tree (a `torch.save(model)` read in inert mode,
/// or a checkpoint dict holding such models) by its [`module_state_dict`], keeping
/// everything else; an object that is not a module stays as it is.
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

fn module_dict(o: &Object) -> Option<&Dict> {
    match &o.state {
        Some(Value::Dict(d))
            if d.get("_parameters").is_some()
                && d.get("_buffers").is_some()
                && d.get("_modules").is_some() =>
        {
            Some(d)
        }
        _ => None,
    }
}

fn version_of(o: &Object) -> i64 {
    match o.module.as_str() {
        "torch.nn.modules.batchnorm" | "torch.nn.modules.instancenorm" => 2,
        _ => 1,
    }
}

fn walk(o: &Object, prefix: &str, sd: &mut StateDict, depth: usize) -> Result<(), StateDictError> {
    if depth > MAX_DEPTH {
        return Err(StateDictError::NotFound(
            ": modules nested too deeply".into(),
        ));
    }
    let Some(state) = module_dict(o) else {
        return Err(StateDictError::NotFound(format!(
            ": {}.{} at `{prefix}` is not a module object (no _parameters/_buffers/_modules)",
            o.module, o.name
        )));
    };
    sd.set_module_version(prefix.trim_end_matches('.'), version_of(o));
    let skip: Vec<&str> = match state.get("_non_persistent_buffers_set") {
        Some(Value::Set(items) | Value::List(items)) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        _ => Vec::new(),
    };
    for field in ["_parameters", "_buffers"] {
        let Some(Value::Dict(d)) = state.get(field) else {
            continue;
        };
        for (k, v) in &d.items {
            let Key::Str(name) = k else { continue };
            if field == "_buffers" && skip.contains(&name.as_str()) {
                continue;
            }
            if let Some(t) = v.as_tensor() {
                sd.insert(format!("{prefix}{name}"), t.detach());
            }
        }
    }
    if let Some(Value::Dict(children)) = state.get("_modules") {
        for (k, v) in &children.items {
            let (Key::Str(name), Value::Object(child)) = (k, v) else {
                continue;
            };
            walk(child, &format!("{prefix}{name}."), sd, depth + 1)?;
        }
    }
    Ok(())
}
