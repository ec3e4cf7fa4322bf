//! The tensors of a TorchScript archive, as the module's `state_dict()` would list them.
//!
//! `data.pkl` holds the module as objects of `__torch__.*` classes whose attribute dicts hold
//! tensors and submodules. Which tensors are parameters and buffers (and their order) is
//! declared in the generated code (`__parameters__ = [...]`, `__buffers__ = [...]`); without
//! that code, every tensor attribute is taken in attribute order.

use std::collections::HashMap;

use super::error::{LoadError, Location};
use crate::value::{Dict, DictKind, Key, Object, Value};

/// Deepest module nesting followed.
const MAX_DEPTH: usize = 256;

/// The state dict of the module object `root`: `l0.weight`, `l0.bias`, … in PyTorch order.
///
/// # Errors
/// A format error if `root` is not a module object with an attribute dict.
pub(crate) fn state_dict(root: &Value, code: &HashMap<String, String>) -> Result<Value, LoadError> {
    let mut out = Dict::new(DictKind::Ordered);
    match root {
        Value::Object(o) => walk(o, "", code, &mut out, 0)?,
        other => {
            return Err(LoadError::format(
                format!(
                    "TorchScript data.pkl holds a {}, not a module object",
                    other.kind()
                ),
                Location::none(),
            ));
        }
    }
    Ok(Value::Dict(out))
}

fn attributes(o: &Object) -> Option<&Dict> {
    match &o.state {
        Some(Value::Dict(d)) => Some(d),
        _ => None,
    }
}

fn is_module(v: &Value) -> Option<&Object> {
    match v {
        Value::Object(o)
            if (o.module == "__torch__" || o.module.starts_with("__torch__."))
                && attributes(o).is_some_and(|d| d.get("training").is_some()) =>
        {
            Some(o)
        }
        _ => None,
    }
}

fn walk(
    o: &Object,
    prefix: &str,
    code: &HashMap<String, String>,
    out: &mut Dict,
    depth: usize,
) -> Result<(), LoadError> {
    if depth > MAX_DEPTH {
        return Err(LoadError::format(
            "TorchScript modules nested too deeply",
            Location::none(),
        ));
    }
    let Some(attrs) = attributes(o) else {
        return Err(LoadError::format(
            format!(
                "TorchScript object {}.{} has no attribute dict",
                o.module, o.name
            ),
            Location::none(),
        ));
    };
    let mut put = |name: &str, v: &Value| {
        if v.as_tensor().is_some() {
            out.items
                .insert(Key::Str(format!("{prefix}{name}")), v.clone());
        }
    };
    match class_members(code, &o.module, &o.name) {
        Some((params, buffers)) => {
            for name in params.iter().chain(&buffers) {
                if let Some(v) = attrs.get(name) {
                    put(name, v);
                }
            }
        }
        None => {
            for (k, v) in &attrs.items {
                if let Key::Str(name) = k {
                    put(name, v);
                }
            }
        }
    }
    for (k, v) in &attrs.items {
        if let (Key::Str(name), Some(child)) = (k, is_module(v)) {
            walk(child, &format!("{prefix}{name}."), code, out, depth + 1)?;
        }
    }
    Ok(())
}

/// `__parameters__` and `__buffers__` of class `name` in the code record of `module`.
fn class_members(
    code: &HashMap<String, String>,
    module: &str,
    name: &str,
) -> Option<(Vec<String>, Vec<String>)> {
    let file = format!("code/{}.py", module.replace('.', "/"));
    let text = code.get(&file)?;
    let header = format!("class {name}(");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&header));
    lines.next()?;
    let mut params = None;
    let mut buffers = None;
    for line in lines {
        if !line.is_empty() && !line.starts_with(' ') {
            break;
        }
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("__parameters__ = ") {
            params = Some(parse_list(rest)?);
        } else if let Some(rest) = t.strip_prefix("__buffers__ = ") {
            buffers = Some(parse_list(rest)?);
        }
    }
    Some((params?, buffers?))
}

/// `["weight", "bias", ]` → names.
fn parse_list(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    Some(
        inner
            .split(',')
            .map(|s| s.trim().trim_matches('"').trim_matches('\'').to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_come_from_generated_code() {
        let mut code = HashMap::new();
        code.insert(
            "code/__torch__/torch/nn/modules/linear.py".to_owned(),
            "class Linear(Module):\n  __parameters__ = [\"weight\", \"bias\", ]\n  __buffers__ = []\n  weight : Tensor\n".to_owned(),
        );
        let (p, b) = class_members(&code, "__torch__.torch.nn.modules.linear", "Linear").unwrap();
        assert_eq!(p, vec!["weight", "bias"]);
        assert!(b.is_empty());
        assert!(class_members(&code, "__torch__", "M").is_none());
    }
}
