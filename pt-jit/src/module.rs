//! [`ScriptModule`]: a loaded archive — its object tree and compiled code.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use pt_core::Tensor;
use pt_core::serialize::{LoadOptions, TorchScriptArchive, load_torchscript_archive};

use crate::compile::{compile, module_of};
use crate::error::{JitError, Result, SourceLocation};
use crate::interp::Interp;
use crate::program::{FileInfo, Program};
use crate::value::{Dict, DictKey, Object, Value};

/// Loads a TorchScript archive (`torch.jit.save`): parses and compiles its code, rebuilds
/// its module object tree. Like `torch.jit.load`.
///
/// # Errors
/// [`JitError::Load`] for unreadable archives; [`JitError::Syntax`] and
/// [`JitError::Resolve`] for code that does not parse or names unknown functions.
pub fn load(path: impl AsRef<Path>) -> Result<ScriptModule> {
    let archive = load_torchscript_archive(path, &LoadOptions::default())?;
    ScriptModule::from_archive(archive)
}

/// A method's name and signature as the archive's code declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodInfo {
    /// Method name.
    pub name: String,
    /// `forward(input: Tensor) -> Tensor` (without `self`).
    pub signature: String,
}

/// A TorchScript module loaded from an archive. Cheap to clone (shares code and state, as
/// a Python reference would); `Send + Sync`.
#[derive(Clone, Debug)]
pub struct ScriptModule {
    prog: Arc<Program>,
    root: Object,
    code: Arc<BTreeMap<String, String>>,
}

impl ScriptModule {
    /// Builds a module from archive records.
    ///
    /// # Errors
    /// As [`load`].
    pub fn from_archive(archive: TorchScriptArchive) -> Result<ScriptModule> {
        let mut files = Vec::new();
        for (name, text) in &archive.code {
            let parsed =
                crate::parser::parse(text).map_err(|(line, message)| JitError::Syntax {
                    message,
                    at: Box::new(SourceLocation {
                        file: name.clone(),
                        line,
                        text: text
                            .lines()
                            .nth(line.saturating_sub(1) as usize)
                            .unwrap_or("")
                            .trim()
                            .to_owned(),
                        original: None,
                    }),
                })?;
            let original = archive
                .debug
                .get(name)
                .map(|d| crate::debug::original_lines(text, d))
                .unwrap_or_default();
            let info = FileInfo {
                name: name.clone(),
                lines: text.lines().map(str::to_owned).collect(),
                original,
            };
            files.push((info, parsed));
        }
        let constants = match convert(&archive.constants)? {
            Value::Tuple(items) => items.to_vec(),
            Value::List(l) => l.to_vec(),
            other => {
                return Err(JitError::Usage(format!(
                    "constants.pkl holds a {}, not a tuple",
                    other.kind()
                )));
            }
        };
        let prog = compile(files, &constants, archive.version)?;
        let root = match convert(&archive.data)? {
            Value::Object(o) => o,
            other => {
                return Err(JitError::Usage(format!(
                    "data.pkl holds a {}, not a module object",
                    other.kind()
                )));
            }
        };
        if !prog.classes.contains_key(root.class()) {
            return Err(JitError::Usage(format!(
                "the archive has no code for its root class {} (expected in code/{}.py)",
                root.class(),
                module_of(root.class()).replace('.', "/")
            )));
        }
        Ok(ScriptModule {
            prog: Arc::new(prog),
            root,
            code: Arc::new(archive.code),
        })
    }

    /// Runs `forward`.
    ///
    /// # Errors
    /// Any run-time [`JitError`], located in the archive's code.
    pub fn forward(&self, args: Vec<Value>) -> Result<Value> {
        self.run_method("forward", args)
    }

    /// Runs a method of the root module with positional arguments.
    ///
    /// # Errors
    /// [`JitError::Usage`] for an unknown method or wrong argument count; any run-time
    /// [`JitError`].
    pub fn run_method(&self, name: &str, args: Vec<Value>) -> Result<Value> {
        let index = self.prog.method(self.root.class(), name).ok_or_else(|| {
            JitError::Usage(format!(
                "{} has no method {name}; methods: {}",
                self.root.class(),
                self.methods()
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(Value::Object(self.root.clone()));
        all.extend(args);
        Interp::new(&self.prog).call(index, all)
    }

    /// The root module's methods, in source order.
    pub fn methods(&self) -> Vec<MethodInfo> {
        let Some(c) = self.prog.classes.get(self.root.class()) else {
            return Vec::new();
        };
        c.method_order
            .iter()
            .filter_map(|n| {
                let f = &self.prog.functions[*c.methods.get(n)?];
                Some(MethodInfo {
                    name: n.clone(),
                    signature: f.signature.clone(),
                })
            })
            .collect()
    }

    /// The root module object (attributes readable and writable through it).
    pub fn root(&self) -> &Object {
        &self.root
    }

    /// The root module's class, `__torch__.MyModule`.
    pub fn class_name(&self) -> &str {
        self.root.class()
    }

    /// An attribute of the root module (dotted paths reach submodules: `linear.weight`).
    pub fn attr(&self, path: &str) -> Option<Value> {
        let mut cur = Value::Object(self.root.clone());
        for part in path.split('.') {
            let Value::Object(o) = &cur else {
                return None;
            };
            let next = o.get(part).or_else(|| {
                self.prog
                    .classes
                    .get(o.class())
                    .and_then(|c| c.constants.get(part).cloned())
            })?;
            cur = next;
        }
        Some(cur)
    }

    /// Sets an attribute (dotted paths reach submodules). State persists across calls.
    ///
    /// # Errors
    /// [`JitError::Usage`] if a path component is not a module.
    pub fn set_attr(&self, path: &str, value: Value) -> Result<()> {
        let (parent, name) = match path.rsplit_once('.') {
            Some((p, n)) => (self.attr(p), n),
            None => (Some(Value::Object(self.root.clone())), path),
        };
        match parent {
            Some(Value::Object(o)) => {
                o.set(name, value);
                Ok(())
            }
            _ => Err(JitError::Usage(format!("{path}: parent is not a module"))),
        }
    }

    /// Sets `training` on every module, like `module.train(mode)`.
    pub fn train(&self, mode: bool) {
        self.walk(&self.root, "", &mut |o, _| {
            if o.get("training").is_some() {
                o.set("training", Value::Bool(mode));
            }
        });
    }

    /// `train(false)`.
    pub fn eval(&self) {
        self.train(false);
    }

    /// The root's `training` flag.
    pub fn is_training(&self) -> bool {
        matches!(self.root.get("training"), Some(Value::Bool(true)))
    }

    fn walk(&self, o: &Object, prefix: &str, f: &mut dyn FnMut(&Object, &str)) {
        f(o, prefix);
        for (name, v) in o.attributes() {
            if let Value::Object(child) = v
                && child.get("training").is_some()
            {
                self.walk(&child, &format!("{prefix}{name}."), f);
            }
        }
    }

    fn members(&self, buffers: bool) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.walk(&self.root, "", &mut |o, prefix| {
            let Some(c) = self.prog.classes.get(o.class()) else {
                return;
            };
            let names = c
                .parameters
                .iter()
                .chain(if buffers { &c.buffers[..] } else { &[] });
            for n in names {
                if let Some(Value::Tensor(t)) = o.get(n) {
                    out.push((format!("{prefix}{n}"), t));
                }
            }
        });
        out
    }

    /// Parameters with dotted names, in PyTorch's order.
    pub fn named_parameters(&self) -> Vec<(String, Tensor)> {
        self.members(false)
    }

    /// Parameters and buffers with dotted names (`state_dict()` keys and order).
    pub fn state_dict(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.walk(&self.root, "", &mut |o, prefix| {
            let Some(c) = self.prog.classes.get(o.class()) else {
                return;
            };
            for n in c.parameters.iter().chain(&c.buffers) {
                if let Some(Value::Tensor(t)) = o.get(n) {
                    out.push((format!("{prefix}{n}"), t));
                }
            }
        });
        out
    }

    /// The code records (`code/__torch__.py` → text).
    pub fn code(&self) -> &BTreeMap<String, String> {
        &self.code
    }

    /// The archive's file format version (decides upgraders).
    pub fn version(&self) -> u64 {
        self.prog.version
    }

    /// Operators the code calls that pt-jit lacks, with where; calling them is an error.
    pub fn missing_operators(&self) -> Vec<(String, SourceLocation)> {
        self.prog
            .missing
            .iter()
            .map(|(n, f, l)| (n.clone(), *self.prog.location(*f, *l)))
            .collect()
    }
}

/// A pt-core value from a pickle → a runtime value.
pub fn convert(v: &pt_core::Value) -> Result<Value> {
    use pt_core::Value as P;
    Ok(match v {
        P::None => Value::None,
        P::Bool(b) => Value::Bool(*b),
        P::Int(i) => Value::Int(*i),
        P::Float(f) => Value::Float(*f),
        P::Str(s) => Value::str(s),
        P::Tensor(t) | P::Parameter(t) => Value::Tensor(t.clone()),
        P::List(items) => Value::list(items.iter().map(convert).collect::<Result<_>>()?),
        P::Tuple(items) => Value::tuple(items.iter().map(convert).collect::<Result<_>>()?),
        P::Size(dims) => Value::tuple(dims.iter().map(|&d| Value::Int(d)).collect()),
        P::DType(d) => crate::ops::dtype_code(*d).map_or(Value::DType(*d), Value::Int),
        P::Device(d) => Value::Device(Arc::from(d.as_str())),
        P::Dict(d) => {
            let mut m = IndexMap::new();
            for (k, v) in &d.items {
                let key = match k {
                    pt_core::Key::Str(s) => DictKey::Str(Arc::from(s.as_str())),
                    pt_core::Key::Int(i) => DictKey::Int(*i),
                    pt_core::Key::Bool(b) => DictKey::Bool(*b),
                    pt_core::Key::FloatBits(b) => DictKey::Float(*b),
                    other => {
                        return Err(JitError::Usage(format!("unsupported dict key {other:?}")));
                    }
                };
                m.insert(key, convert(v)?);
            }
            Value::Dict(Dict::new(m))
        }
        P::Object(o) => {
            let class = format!("{}.{}", o.module, o.name);
            let mut attrs = IndexMap::new();
            match &o.state {
                Some(P::Dict(d)) => {
                    for (k, v) in &d.items {
                        if let pt_core::Key::Str(name) = k {
                            attrs.insert(Arc::from(name.as_str()), convert(v)?);
                        }
                    }
                }
                None => {}
                Some(other) => {
                    return Err(JitError::Usage(format!(
                        "object of class {class} has state of kind {}",
                        other.kind()
                    )));
                }
            }
            Value::Object(Object::new(class, attrs))
        }
        other => {
            return Err(JitError::Usage(format!(
                "unsupported pickled value of kind {}",
                other.kind()
            )));
        }
    })
}

/// A runtime value → a pt-core value that `torch.save` writes (tuples stay tuples).
///
/// # Errors
/// [`JitError::Usage`] for objects and other values a checkpoint cannot hold.
pub fn to_checkpoint_value(v: &Value) -> Result<pt_core::Value> {
    use pt_core::Value as P;
    Ok(match v {
        Value::None => P::None,
        Value::Bool(b) => P::Bool(*b),
        Value::Int(i) => P::Int(*i),
        Value::Float(f) => P::Float(*f),
        Value::Str(s) => P::Str(s.to_string()),
        Value::Tensor(t) => P::Tensor(t.clone()),
        Value::List(l) => P::List(
            l.to_vec()
                .iter()
                .map(to_checkpoint_value)
                .collect::<Result<_>>()?,
        ),
        Value::Tuple(t) => P::Tuple(t.iter().map(to_checkpoint_value).collect::<Result<_>>()?),
        Value::Dict(d) => {
            let mut out = pt_core::Dict::new(pt_core::DictKind::Plain);
            for (k, v) in d.items() {
                let key = match k {
                    DictKey::Str(s) => pt_core::Key::Str(s.to_string()),
                    DictKey::Int(i) => pt_core::Key::Int(i),
                    DictKey::Bool(b) => pt_core::Key::Bool(b),
                    DictKey::Float(b) => pt_core::Key::FloatBits(b),
                };
                out.items.insert(key, to_checkpoint_value(&v)?);
            }
            P::Dict(out)
        }
        Value::Device(d) => P::Device(d.to_string()),
        Value::DType(d) => P::DType(*d),
        other => {
            return Err(JitError::Usage(format!(
                "a {} cannot be saved in a checkpoint",
                other.kind()
            )));
        }
    })
}
