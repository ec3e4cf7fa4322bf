//! PyTorch-style module reprs (`print(model)`).

use std::fmt;

use pt_core::{StateDict, Tensor, Value};

use crate::module::Module;
use crate::walk;

/// Displays a module as PyTorch prints it; made by [`Module::display`].
pub struct ModuleDisplay<'a, M: Module + ?Sized>(pub(crate) &'a M);

impl<M: Module + ?Sized> fmt::Display for ModuleDisplay<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_repr(f)
    }
}

impl<M: Module + ?Sized> fmt::Debug for ModuleDisplay<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_repr(f)
    }
}

/// The repr of `module` as a string.
pub fn repr_string<M: Module + ?Sized>(module: &M) -> String {
    ModuleDisplay(module).to_string()
}

/// Indents every line after the first by `n` spaces, leaving blank lines empty
/// (PyTorch's `_addindent`).
pub(crate) fn add_indent(s: &str, n: usize) -> String {
    let mut lines = s.split('\n');
    let first = lines.next().unwrap_or("");
    let mut out = first.to_owned();
    for line in lines {
        out.push('\n');
        if !line.trim().is_empty() {
            out.extend(std::iter::repeat_n(' ', n));
            out.push_str(line);
        }
    }
    out
}

/// Writes `Name(` + lines + `)` the way `nn.Module.__repr__` lays them out.
pub(crate) fn write_block(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    extra_lines: &[&str],
    child_lines: &[String],
) -> fmt::Result {
    f.write_str(name)?;
    f.write_str("(")?;
    if extra_lines.len() == 1 && child_lines.is_empty() {
        f.write_str(extra_lines[0])?;
    } else if !extra_lines.is_empty() || !child_lines.is_empty() {
        for line in extra_lines {
            write!(f, "\n  {line}")?;
        }
        for line in child_lines {
            write!(f, "\n  {line}")?;
        }
        f.write_str("\n")?;
    }
    f.write_str(")")
}

/// The default repr: extra repr lines, then `(name): child` lines.
pub(crate) fn fmt_module_default<M: Module + ?Sized>(
    module: &M,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let extra = module.extra_repr();
    let extra_lines: Vec<&str> = if extra.is_empty() {
        Vec::new()
    } else {
        extra.split('\n').collect()
    };
    let child_lines: Vec<String> = walk::named_children(module)
        .into_iter()
        .map(|(name, child)| format!("({name}): {}", add_indent(&repr_string(child), 2)))
        .collect();
    write_block(f, module.type_name(), &extra_lines, &child_lines)
}

/// ModuleList's repr: runs of identical children are folded into `(i-j): n x repr`.
pub(crate) fn fmt_module_list<M: Module + ?Sized>(
    module: &M,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let reprs: Vec<String> = walk::named_children(module)
        .into_iter()
        .map(|(_, c)| repr_string(c))
        .collect();
    if reprs.is_empty() {
        return write!(f, "{}()", module.type_name());
    }
    let mut lines = Vec::new();
    let mut start = 0;
    while start < reprs.len() {
        let mut end = start;
        while end + 1 < reprs.len() && reprs[end + 1] == reprs[start] {
            end += 1;
        }
        let line = if start == end {
            format!("({start}): {}", reprs[start])
        } else {
            format!("({start}-{end}): {} x {}", end - start + 1, reprs[start])
        };
        lines.push(add_indent(&line, 2));
        start = end + 1;
    }
    write!(f, "{}(", module.type_name())?;
    for line in &lines {
        write!(f, "\n  {line}")?;
    }
    f.write_str("\n)")
}

/// Writes a tensor as PyTorch prints it.
pub(crate) fn fmt_tensor(t: &Tensor, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    fmt::Display::fmt(t, f)
}

/// Python's repr of a list of `(name, value)` pairs, as `list(m.named_parameters())`
/// prints: `[('weight', Parameter containing:\ntensor(...)), ...]`.
pub fn named_list<T: fmt::Display>(items: &[(String, T)]) -> String {
    let inner: Vec<String> = items
        .iter()
        .map(|(name, v)| format!("({}, {v})", crate::load::py_str(name)))
        .collect();
    format!("[{}]", inner.join(", "))
}

/// A state dict as PyTorch prints it: `OrderedDict([('l0.weight', tensor(...)), ...])`.
/// Non-tensor entries are shown by kind.
pub fn state_dict(sd: &StateDict) -> String {
    let items: Vec<(String, String)> = sd
        .iter()
        .map(|(k, v)| {
            let shown = match v {
                Value::Tensor(t) | Value::Parameter(t) => t.to_string(),
                Value::Int(i) => i.to_string(),
                Value::Str(s) => crate::load::py_str(s),
                other => format!("<{}>", other.kind()),
            };
            (k.to_owned(), shown)
        })
        .collect();
    format!("OrderedDict({})", named_list(&items))
}

/// Python's `repr` of a float as used in module reprs (`1e-05`, `0.1`, `1.0`).
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Shortest round-trip digits, then Python's choice between fixed and scientific.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{x}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Python's `repr` of a bool.
pub fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr() {
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(1e-3), "0.001");
        assert_eq!(py_float(1e-4), "0.0001");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(123.5), "123.5");
        assert_eq!(py_float(1.5e-7), "1.5e-07");
    }

    #[test]
    fn indent_skips_first_and_blank_lines() {
        assert_eq!(add_indent("a\nb\n\nc", 2), "a\n  b\n\n  c");
        assert_eq!(add_indent("one", 4), "one");
    }
}
