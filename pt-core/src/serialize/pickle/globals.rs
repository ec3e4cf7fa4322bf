//! The allowlist: what each `GLOBAL module name` may be, mirroring PyTorch's `weights_only`
//! unpickler, plus the inert and TorchScript extensions.

use std::sync::{PoisonError, RwLock};

use crate::dtype::DType;
use crate::serialize::error::{LoadError, Location};
use crate::serialize::options::UnpicklerMode;

/// What a storage class global stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StorageKind {
    /// A legacy typed storage (`FloatStorage`): numel counts elements.
    Typed(DType),
    /// `UntypedStorage`: numel counts bytes.
    Untyped,
    /// A storage class this library cannot hold (`QInt8Storage`, …).
    Unsupported(String),
}

/// A tensor rebuild function of `torch._utils`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rebuild {
    TensorV1,
    TensorV2,
    TensorV3,
    Parameter,
    ParameterWithState,
    DeviceFromCpu,
    /// Known but unsupported (quantized, sparse, meta, wrapper subclasses, numpy).
    Unsupported(&'static str),
}

/// TorchScript helpers of `torch.jit._pickle`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Jit {
    /// `restore_type_tag(obj, type_str)` → obj.
    RestoreTypeTag,
    /// `build_intlist(list)` and friends → the list.
    BuildList,
}

/// numpy's pickling helpers (data-only: they build arrays, dtypes and scalars).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Numpy {
    /// `numpy.core.multiarray._reconstruct(ndarray, shape, typecode)`: an empty array that
    /// BUILD fills.
    Reconstruct,
    /// `numpy.ndarray` (the class `_reconstruct` is given).
    NdArray,
    /// `numpy.dtype(code, align, copy)`, completed by BUILD (byte order).
    DType,
    /// `numpy.core.multiarray.scalar(dtype, bytes)`.
    Scalar,
}

/// A resolved global.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Global {
    /// numpy arrays, dtypes and scalars.
    Numpy(Numpy),
    OrderedDict,
    Counter,
    Set,
    FrozenSet,
    ByteArray,
    Bytes,
    Complex,
    Encode,
    Size,
    Device,
    /// `torch.Tensor`
    Tensor,
    /// `torch.nn.parameter.Parameter`
    Parameter,
    GetLayout,
    /// Legacy `torch.FloatTensor`-style classes (usable only as types).
    TensorClass(String),
    DType(DType),
    /// A dtype PyTorch has but this library does not (`qint8`, `complex32`, …).
    OtherDType(String),
    Storage(StorageKind),
    QScheme(String),
    Rebuild(Rebuild),
    RebuildFromTypeV2,
    Jit(Jit),
    /// A class kept as an inert record (inert mode, or TorchScript's `__torch__` classes).
    Class {
        module: String,
        name: String,
    },
}

impl Global {
    /// `module.name` for messages.
    pub(crate) fn describe(&self) -> String {
        let fixed = match self {
            Global::Class { module, name } => return format!("{module}.{name}"),
            Global::DType(d) => return d.torch_name(),
            Global::OtherDType(n) | Global::QScheme(n) => return format!("torch.{n}"),
            Global::TensorClass(n) => return n.clone(),
            Global::Storage(StorageKind::Typed(d)) => {
                return format!("torch.{}", d.legacy_storage_name().unwrap_or("Storage"));
            }
            Global::Storage(StorageKind::Unsupported(n)) => return format!("torch.{n}"),
            Global::Storage(StorageKind::Untyped) => "torch.storage.UntypedStorage",
            Global::OrderedDict => "collections.OrderedDict",
            Global::Counter => "collections.Counter",
            Global::Set => "builtins.set",
            Global::FrozenSet => "builtins.frozenset",
            Global::ByteArray => "builtins.bytearray",
            Global::Bytes => "builtins.bytes",
            Global::Complex => "builtins.complex",
            Global::Encode => "_codecs.encode",
            Global::Size => "torch.Size",
            Global::Device => "torch.device",
            Global::Tensor => "torch.Tensor",
            Global::Parameter => "torch.nn.parameter.Parameter",
            Global::GetLayout => "torch.serialization._get_layout",
            Global::Rebuild(_) => "a torch._utils rebuild function",
            Global::RebuildFromTypeV2 => "torch._tensor._rebuild_from_type_v2",
            Global::Jit(Jit::RestoreTypeTag) => "torch.jit._pickle.restore_type_tag",
            Global::Jit(Jit::BuildList) => "a torch.jit._pickle list builder",
            Global::Numpy(Numpy::Reconstruct) => "numpy.core.multiarray._reconstruct",
            Global::Numpy(Numpy::NdArray) => "numpy.ndarray",
            Global::Numpy(Numpy::DType) => "numpy.dtype",
            Global::Numpy(Numpy::Scalar) => "numpy.core.multiarray.scalar",
        };
        fixed.to_owned()
    }
}

/// Dtype names PyTorch pickles that [`DType`] does not cover.
const OTHER_DTYPES: &[&str] = &[
    "complex32",
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "float8_e4m3fnuz",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "float4_e2m1fn_x2",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "bits8",
    "bits16",
    "int1",
    "int2",
    "int3",
    "int4",
    "int5",
    "int6",
    "int7",
    "uint1",
    "uint2",
    "uint3",
    "uint4",
    "uint5",
    "uint6",
    "uint7",
];

const TENSOR_CLASS_PREFIXES: &[&str] = &[
    "Double",
    "Float",
    "Half",
    "BFloat16",
    "Long",
    "Int",
    "Short",
    "Char",
    "Byte",
    "Bool",
    "ComplexDouble",
    "ComplexFloat",
];

const QUANTIZED_STORAGES: &[&str] = &[
    "QInt8Storage",
    "QUInt8Storage",
    "QInt32Storage",
    "QUInt4x2Storage",
    "QUInt2x4Storage",
];

const QSCHEMES: &[&str] = &[
    "per_tensor_affine",
    "per_tensor_symmetric",
    "per_channel_affine",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
];

/// Modules refused in every mode (PyTorch blocks the first four even for allowlisted names).
const BLOCKED_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "shutil",
    "socket",
    "importlib",
    "runpy",
    "pty",
    "code",
    "ctypes",
    "multiprocessing",
    "webbrowser",
    "pickle",
    "_pickle",
    "marshal",
];

/// Python 2 names that Python 3's unpickler renames.
fn map_module(module: &str) -> &str {
    match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        "torch.tensor" => "torch._tensor",
        m => m,
    }
}

fn is_blocked(module: &str) -> bool {
    let root = module.split('.').next().unwrap_or(module);
    BLOCKED_MODULES.contains(&root)
}

fn storage_class(module: &str, name: &str) -> Option<StorageKind> {
    if !name.contains("Storage") {
        return None;
    }
    if let Some(d) = DType::from_legacy_storage_name(name) {
        return Some(StorageKind::Typed(d));
    }
    if QUANTIZED_STORAGES.contains(&name) {
        return Some(StorageKind::Unsupported(name.to_owned()));
    }
    match (module, name) {
        ("torch" | "torch.storage", "UntypedStorage") => Some(StorageKind::Untyped),
        ("torch" | "torch.storage", "TypedStorage") => {
            Some(StorageKind::Unsupported("TypedStorage".to_owned()))
        }
        _ => None,
    }
}

fn rebuild(name: &str) -> Option<Rebuild> {
    Some(match name {
        "_rebuild_tensor" => Rebuild::TensorV1,
        "_rebuild_tensor_v2" => Rebuild::TensorV2,
        "_rebuild_tensor_v3" => Rebuild::TensorV3,
        "_rebuild_parameter" => Rebuild::Parameter,
        "_rebuild_parameter_with_state" => Rebuild::ParameterWithState,
        "_rebuild_device_tensor_from_cpu_tensor" => Rebuild::DeviceFromCpu,
        "_rebuild_qtensor" => Rebuild::Unsupported("quantized tensor (_rebuild_qtensor)"),
        "_rebuild_sparse_tensor" => {
            Rebuild::Unsupported("sparse tensor layout (_rebuild_sparse_tensor)")
        }
        "_rebuild_meta_tensor_no_storage" => {
            Rebuild::Unsupported("meta tensor without storage (_rebuild_meta_tensor_no_storage)")
        }
        "_rebuild_wrapper_subclass" => {
            Rebuild::Unsupported("tensor wrapper subclass (_rebuild_wrapper_subclass)")
        }
        "_rebuild_device_tensor_from_numpy" => {
            Rebuild::Unsupported("device tensor from numpy (_rebuild_device_tensor_from_numpy)")
        }
        _ => return None,
    })
}

fn allowlisted(module: &str, name: &str, torchscript: bool) -> Option<Global> {
    if let Some(kind) = storage_class(module, name) {
        return Some(Global::Storage(kind));
    }
    let g = match (module, name) {
        ("collections", "OrderedDict") => Global::OrderedDict,
        ("collections", "Counter") => Global::Counter,
        ("builtins", "set") => Global::Set,
        ("builtins", "frozenset") => Global::FrozenSet,
        ("builtins", "bytearray") => Global::ByteArray,
        ("builtins", "bytes") => Global::Bytes,
        ("builtins", "complex") => Global::Complex,
        ("_codecs", "encode") => Global::Encode,
        ("torch", "Size") => Global::Size,
        ("torch", "device") => Global::Device,
        ("torch", "Tensor") => Global::Tensor,
        ("torch.nn.parameter", "Parameter") => Global::Parameter,
        ("torch.serialization", "_get_layout") => Global::GetLayout,
        ("torch._tensor", "_rebuild_from_type_v2") => Global::RebuildFromTypeV2,
        ("torch._utils", n) => Global::Rebuild(rebuild(n)?),
        ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
            Global::Numpy(Numpy::Reconstruct)
        }
        ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar") => {
            Global::Numpy(Numpy::Scalar)
        }
        ("numpy", "ndarray") => Global::Numpy(Numpy::NdArray),
        ("numpy", "dtype") => Global::Numpy(Numpy::DType),
        ("torch", n) if DType::from_name(n).is_some_and(|d| d.name() == n) => {
            Global::DType(DType::from_name(n)?)
        }
        ("torch", n) if OTHER_DTYPES.contains(&n) => Global::OtherDType(n.to_owned()),
        ("torch", n) if QSCHEMES.contains(&n) => Global::QScheme(n.to_owned()),
        ("torch" | "torch.cuda" | "torch.sparse" | "torch.cuda.sparse", n)
            if n.strip_suffix("Tensor")
                .is_some_and(|p| TENSOR_CLASS_PREFIXES.contains(&p)) =>
        {
            Global::TensorClass(format!("{module}.{n}"))
        }
        ("torch.jit._pickle", "restore_type_tag") if torchscript => {
            Global::Jit(Jit::RestoreTypeTag)
        }
        (
            "torch.jit._pickle",
            "build_intlist" | "build_tensorlist" | "build_doublelist" | "build_boollist",
        ) if torchscript => Global::Jit(Jit::BuildList),
        (m, n) if torchscript && (m == "__torch__" || m.starts_with("__torch__.")) => {
            Global::Class {
                module: m.to_owned(),
                name: n.to_owned(),
            }
        }
        _ => return None,
    };
    Some(g)
}

/// Builtins that run code or touch the outside world: refused even in inert mode.
const DANGEROUS_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "execfile",
    "compile",
    "__import__",
    "open",
    "file",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "input",
    "breakpoint",
    "exit",
    "quit",
    "help",
    "apply",
    "reload",
];

/// Resolves `GLOBAL module name`.
///
/// # Errors
/// [`LoadError::UnsafeGlobal`] for anything outside the allowlist (restricted mode) or
/// blocked in every mode.
pub(crate) fn resolve(
    module: &str,
    name: &str,
    mode: UnpicklerMode,
    torchscript: bool,
    at: u64,
) -> Result<Global, LoadError> {
    let module = map_module(module);
    let refuse = |hint: String| LoadError::UnsafeGlobal {
        module: module.to_owned(),
        name: name.to_owned(),
        hint,
        location: Location::at(at),
    };
    if is_blocked(module) {
        return Err(refuse(format!(
            "module `{module}` is blocked in every mode, including UnpicklerMode::Inert; this file tries to run code and is likely malicious"
        )));
    }
    if let Some(g) = allowlisted(module, name, torchscript) {
        return Ok(g);
    }
    if module == "builtins" && DANGEROUS_BUILTINS.contains(&name) {
        return Err(refuse(
            "it runs code, so it is refused in every mode, including UnpicklerMode::Inert; this file is likely malicious".to_owned(),
        ));
    }
    if is_safe_global(module, name) {
        return Ok(Global::Class {
            module: module.to_owned(),
            name: name.to_owned(),
        });
    }
    match mode {
        UnpicklerMode::Inert => Ok(Global::Class {
            module: module.to_owned(),
            name: name.to_owned(),
        }),
        _ => Err(refuse(
            "it is not an allowed global (the same allowlist as torch.load(weights_only=True)); if you trust it to be an inert record, add_safe_globals allows it; if you trust the file, LoadOptions::mode(UnpicklerMode::Inert) keeps such objects as inert records, so their tensors can be extracted without running anything".to_owned(),
        )),
    }
}

/// The user's allowlist of classes kept as inert records in restricted mode.
static SAFE_GLOBALS: RwLock<Vec<(String, String)>> = RwLock::new(Vec::new());

fn is_safe_global(module: &str, name: &str) -> bool {
    let list = SAFE_GLOBALS.read().unwrap_or_else(PoisonError::into_inner);
    list.iter().any(|(m, n)| m == module && n == name)
}

/// Allows classes, named `module.Name`, in the restricted mode, process-wide, like
/// `torch.serialization.add_safe_globals`: objects of these classes are kept as inert
/// [`Value::Object`](crate::Value::Object) records (class, arguments, state), nothing is
/// run. Use it for classes you trust to be plain records, such as a training config, so a
/// checkpoint holding one opens without [`UnpicklerMode::Inert`]. Modules that run code
/// (`os`, `posix`, `subprocess`, …) and `builtins` such as `eval` stay refused.
pub fn add_safe_globals<I, S>(globals: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut list = SAFE_GLOBALS.write().unwrap_or_else(PoisonError::into_inner);
    for g in globals {
        let g = g.as_ref();
        let Some((module, name)) = g.rsplit_once('.') else {
            continue;
        };
        let entry = (map_module(module).to_owned(), name.to_owned());
        if !list.contains(&entry) {
            list.push(entry);
        }
    }
}

/// The classes [`add_safe_globals`] allowed, as `module.Name`, in the order added.
pub fn get_safe_globals() -> Vec<String> {
    let list = SAFE_GLOBALS.read().unwrap_or_else(PoisonError::into_inner);
    list.iter().map(|(m, n)| format!("{m}.{n}")).collect()
}

/// Forgets every class [`add_safe_globals`] allowed.
pub fn clear_safe_globals() {
    SAFE_GLOBALS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(m: &str, n: &str) -> Result<Global, LoadError> {
        resolve(m, n, UnpicklerMode::Restricted, false, 0)
    }

    #[test]
    fn allowlist_matches_weights_only() {
        assert_eq!(r("__builtin__", "set").unwrap(), Global::Set);
        assert_eq!(r("torch", "float32").unwrap(), Global::DType(DType::F32));
        assert!(r("torch", "float").is_err());
        assert_eq!(
            r("torch.cuda", "HalfStorage").unwrap(),
            Global::Storage(StorageKind::Typed(DType::F16))
        );
        assert_eq!(
            r("whatever", "BFloat16Storage").unwrap(),
            Global::Storage(StorageKind::Typed(DType::BF16))
        );
        assert_eq!(
            r("torch.storage", "UntypedStorage").unwrap(),
            Global::Storage(StorageKind::Untyped)
        );
        assert_eq!(
            r("torch", "qint8").unwrap(),
            Global::OtherDType("qint8".into())
        );
        assert!(matches!(
            r("torch.cuda", "FloatTensor").unwrap(),
            Global::TensorClass(_)
        ));
        assert!(r("torch.jit._pickle", "restore_type_tag").is_err());
        assert!(resolve("__torch__", "M", UnpicklerMode::Restricted, true, 0).is_ok());
    }

    #[test]
    fn refusals_name_the_global() {
        for (m, n) in [
            ("posix", "system"),
            ("builtins", "eval"),
            ("__main__", "MyModule"),
        ] {
            match r(m, n) {
                Err(LoadError::UnsafeGlobal {
                    module, name, hint, ..
                }) => {
                    assert_eq!((module.as_str(), name.as_str()), (m, n));
                    assert!(hint.contains("Inert"), "{hint}");
                }
                other => panic!("{other:?}"),
            }
        }
        let inert = |m, n| resolve(m, n, UnpicklerMode::Inert, false, 0);
        assert!(inert("__main__", "MyModule").is_ok());
        assert!(inert("posix", "system").is_err());
        assert!(inert("os.path", "join").is_err());
        assert!(inert("__builtin__", "eval").is_err());
    }
}
