//! What `load_state_dict` reports: [`IncompatibleKeys`] on success, [`LoadStateDictError`]
//! listing every problem on failure, and [`Hint`]s that go beyond PyTorch.

use std::fmt;

use pt_core::Value;

/// Keys that did not line up, returned by a successful `load_state_dict` (PyTorch's
/// `_IncompatibleKeys`). In strict mode both lists are empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncompatibleKeys {
    /// Keys the module expects but the state dict lacks, in module traversal order.
    pub missing_keys: Vec<String>,
    /// Keys of the state dict the module has no place for, in traversal order.
    pub unexpected_keys: Vec<String>,
    /// Suggestions relating missing and unexpected keys (not part of `Display`).
    pub hints: Vec<Hint>,
}

impl IncompatibleKeys {
    /// True when every key matched.
    pub fn is_empty(&self) -> bool {
        self.missing_keys.is_empty() && self.unexpected_keys.is_empty()
    }
}

impl fmt::Display for IncompatibleKeys {
    /// `<All keys matched successfully>`, or the namedtuple repr
    /// `_IncompatibleKeys(missing_keys=['a'], unexpected_keys=['b'])`, as PyTorch prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("<All keys matched successfully>");
        }
        write!(
            f,
            "_IncompatibleKeys(missing_keys={}, unexpected_keys={})",
            py_str_list(&self.missing_keys),
            py_str_list(&self.unexpected_keys)
        )
    }
}

/// A problem with one key that fails the load whatever `strict` says.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadProblem {
    /// The checkpoint tensor's shape differs from the module's.
    SizeMismatch {
        /// The key, in the model's naming.
        key: String,
        /// Shape in the checkpoint.
        checkpoint_shape: Vec<usize>,
        /// Shape in the module.
        model_shape: Vec<usize>,
    },
    /// The checkpoint holds something other than a tensor under a parameter's key.
    NotATensor {
        /// The key, in the model's naming.
        key: String,
        /// Python's `<class '…'>` name of what was found.
        found: String,
    },
    /// The tensor cannot be converted to the module's dtype.
    Conversion {
        /// The key, in the model's naming.
        key: String,
        /// Shape in the module.
        model_shape: Vec<usize>,
        /// Shape in the checkpoint.
        checkpoint_shape: Vec<usize>,
        /// Why the conversion failed.
        detail: String,
    },
    /// The key map sent several checkpoint keys to the same model key.
    KeyCollision {
        /// The model key.
        key: String,
        /// The checkpoint keys that map to it.
        sources: Vec<String>,
    },
}

impl LoadProblem {
    /// The model key the problem is about.
    pub fn key(&self) -> &str {
        match self {
            LoadProblem::SizeMismatch { key, .. }
            | LoadProblem::NotATensor { key, .. }
            | LoadProblem::Conversion { key, .. }
            | LoadProblem::KeyCollision { key, .. } => key,
        }
    }
}

impl fmt::Display for LoadProblem {
    /// PyTorch's wording for the messages PyTorch has.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadProblem::SizeMismatch {
                key,
                checkpoint_shape,
                model_shape,
            } => write!(
                f,
                "size mismatch for {key}: copying a param with shape {} from checkpoint, the shape in current model is {}.",
                TorchSize(checkpoint_shape),
                TorchSize(model_shape)
            ),
            LoadProblem::NotATensor { key, found } => write!(
                f,
                "While copying the parameter named \"{key}\", expected torch.Tensor or Tensor-like object from checkpoint but received {found}"
            ),
            LoadProblem::Conversion {
                key,
                model_shape,
                checkpoint_shape,
                detail,
            } => write!(
                f,
                "While copying the parameter named \"{key}\", whose dimensions in the model are {} and whose dimensions in the checkpoint are {}, an exception occurred : ({},).",
                TorchSize(model_shape),
                TorchSize(checkpoint_shape),
                py_str(detail)
            ),
            LoadProblem::KeyCollision { key, sources } => write!(
                f,
                "key map sends {} to the same key \"{key}\"",
                sources
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A suggestion about keys that almost matched.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// Checkpoint keys carry an extra prefix: stripping it turns unexpected keys into the
    /// missing ones.
    StripPrefix {
        /// The prefix, with its trailing dot (`module.`).
        prefix: String,
        /// What usually adds it (`nn.DataParallel`, `torch.compile`), if known.
        origin: Option<&'static str>,
        /// How many missing keys it explains.
        explains: usize,
    },
    /// Checkpoint keys lack a prefix the model has.
    AddPrefix {
        /// The prefix, with its trailing dot.
        prefix: String,
        /// How many missing keys it explains.
        explains: usize,
    },
    /// A module's keys appear under another module path (a renamed layer).
    RenameModule {
        /// The checkpoint's module prefix, with its trailing dot (`conv.`).
        from: String,
        /// The model's module prefix, with its trailing dot (`stem.`).
        to: String,
        /// How many missing keys it explains.
        explains: usize,
    },
    /// A missing key with a close unexpected key.
    DidYouMean {
        /// The missing key.
        missing: String,
        /// The unexpected key that resembles it.
        unexpected: String,
    },
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::StripPrefix {
                prefix,
                origin,
                explains,
            } => {
                write!(
                    f,
                    "{explains} missing key(s) appear in the checkpoint with the extra prefix \"{prefix}\""
                )?;
                if let Some(origin) = origin {
                    write!(f, " (added by {origin})")?;
                }
                write!(
                    f,
                    "; load with LoadStateDictOptions::new().key_map(KeyMap::new().strip_prefix(\"{prefix}\"))"
                )
            }
            Hint::AddPrefix { prefix, explains } => write!(
                f,
                "{explains} missing key(s) appear in the checkpoint without the prefix \"{prefix}\"; load with LoadStateDictOptions::new().key_map(KeyMap::new().add_prefix(\"{prefix}\"))"
            ),
            Hint::RenameModule { from, to, explains } => write!(
                f,
                "{explains} missing key(s) under \"{to}\" match unexpected keys under \"{from}\" (same names and shapes); load with LoadStateDictOptions::new().key_map(KeyMap::new().rename(r\"^{}\", \"{to}\"))",
                regex::escape(from)
            ),
            Hint::DidYouMean {
                missing,
                unexpected,
            } => write!(
                f,
                "missing \"{missing}\": did you mean the unexpected \"{unexpected}\"? (rename it with KeyMap::rename)"
            ),
        }
    }
}

/// Why `load_state_dict` failed. Lists every problem at once; the module was not changed.
///
/// `Display` starts with PyTorch's exact `RuntimeError` text
/// ([`LoadFailure::pytorch_message`]) and then adds the [`Hint`]s, one per line. The
/// details are a boxed [`LoadFailure`], reachable through `Deref` (`err.missing_keys`).
#[derive(Clone, Debug)]
pub struct LoadStateDictError(Box<LoadFailure>);

impl LoadStateDictError {
    pub(crate) fn new(failure: LoadFailure) -> LoadStateDictError {
        LoadStateDictError(Box::new(failure))
    }

    /// The details, by value.
    pub fn into_failure(self) -> LoadFailure {
        *self.0
    }
}

impl std::ops::Deref for LoadStateDictError {
    type Target = LoadFailure;
    fn deref(&self) -> &LoadFailure {
        &self.0
    }
}

/// The details of a failed `load_state_dict`, for programs.
#[derive(Clone, Debug)]
pub struct LoadFailure {
    /// The root module's type name.
    pub module: String,
    /// Whether missing and unexpected keys counted as errors (strict mode).
    pub strict: bool,
    /// Keys the module expects but the state dict lacks, in traversal order.
    pub missing_keys: Vec<String>,
    /// Keys the module has no place for, in traversal order.
    pub unexpected_keys: Vec<String>,
    /// Size mismatches, non-tensor values, failed conversions, key-map collisions, in
    /// traversal order.
    pub problems: Vec<LoadProblem>,
    /// Suggestions for missing keys.
    pub hints: Vec<Hint>,
}

impl LoadFailure {
    /// The size mismatches, as `(key, checkpoint shape, model shape)`.
    pub fn size_mismatches(&self) -> impl Iterator<Item = (&str, &[usize], &[usize])> {
        self.problems.iter().filter_map(|p| match p {
            LoadProblem::SizeMismatch {
                key,
                checkpoint_shape,
                model_shape,
            } => Some((key.as_str(), &checkpoint_shape[..], &model_shape[..])),
            _ => None,
        })
    }

    /// The keys whose checkpoint value is not a tensor.
    pub fn non_tensor_keys(&self) -> impl Iterator<Item = &str> {
        self.problems.iter().filter_map(|p| match p {
            LoadProblem::NotATensor { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// The messages PyTorch would list, in its order: missing keys first, unexpected keys
    /// second (strict mode only), then the per-key problems.
    pub fn messages(&self) -> Vec<String> {
        let mut msgs = Vec::new();
        if self.strict && !self.missing_keys.is_empty() {
            msgs.push(format!(
                "Missing key(s) in state_dict: {}. ",
                quoted_list(&self.missing_keys)
            ));
        }
        if self.strict && !self.unexpected_keys.is_empty() {
            msgs.push(format!(
                "Unexpected key(s) in state_dict: {}. ",
                quoted_list(&self.unexpected_keys)
            ));
        }
        msgs.extend(self.problems.iter().map(ToString::to_string));
        msgs
    }

    /// Exactly the text of PyTorch's `RuntimeError` for the same load.
    pub fn pytorch_message(&self) -> String {
        format!(
            "Error(s) in loading state_dict for {}:\n\t{}",
            self.module,
            self.messages().join("\n\t")
        )
    }
}

impl fmt::Display for LoadStateDictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pytorch_message())?;
        for hint in &self.hints {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadStateDictError {}

/// `"a", "b"` as PyTorch joins keys in its messages.
fn quoted_list(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `torch.Size([2, 3])`.
pub(crate) struct TorchSize<'a>(pub(crate) &'a [usize]);

impl fmt::Display for TorchSize<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("torch.Size([")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("])")
    }
}

/// Python's `repr` of a `str`.
pub(crate) fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a list of `str`.
pub(crate) fn py_str_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_str(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// Python's `<class '…'>` for a checkpoint value.
pub(crate) fn py_type(value: &Value) -> String {
    let name = match value {
        Value::None => "NoneType",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::BigInt(_) => "int",
        Value::Float(_) => "float",
        Value::Complex(_) => "complex",
        Value::Str(_) => "str",
        Value::Bytes(_) => "bytes",
        Value::ByteArray(_) => "bytearray",
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        Value::Set(_) => "set",
        Value::Dict(d) => match d.kind {
            pt_core::DictKind::Ordered => "collections.OrderedDict",
            pt_core::DictKind::Counter => "collections.Counter",
            _ => "dict",
        },
        Value::Tensor(_) => "torch.Tensor",
        Value::Parameter(_) => "torch.nn.parameter.Parameter",
        Value::Size(_) => "torch.Size",
        Value::DType(_) => "torch.dtype",
        Value::Device(_) => "torch.device",
        Value::Object(o) => return format!("<class '{}.{}'>", o.module, o.name),
        _ => "object",
    };
    format!("<class '{name}'>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(py_str("a.b"), "'a.b'");
        assert_eq!(py_str("it's"), "\"it's\"");
        assert_eq!(py_str("a'\"b"), "'a\\'\"b'");
        assert_eq!(TorchSize(&[]).to_string(), "torch.Size([])");
        assert_eq!(TorchSize(&[2, 3]).to_string(), "torch.Size([2, 3])");
        assert_eq!(py_type(&Value::Int(3)), "<class 'int'>");
    }

    #[test]
    fn incompatible_keys_repr() {
        let mut k = IncompatibleKeys::default();
        assert_eq!(k.to_string(), "<All keys matched successfully>");
        k.missing_keys.push("a".into());
        assert_eq!(
            k.to_string(),
            "_IncompatibleKeys(missing_keys=['a'], unexpected_keys=[])"
        );
    }
}
