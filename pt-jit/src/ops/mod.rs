//! The operator table: TorchScript schema names (`aten::add`, `prim::device`) to functions
//! over [`Value`]s, which call pt-core and pt-nn kernels. One entry per schema name; an
//! entry serves that name's overloads (`aten::add.int`, `aten::add.Tensor`, …) by matching
//! on its argument kinds. [`operators`] lists the table.

mod args;
mod list;
mod scalar;
mod tensor;
mod upgrade;

use std::collections::HashMap;
use std::sync::OnceLock;

pub(crate) use args::{dtype_code, int_arg};
pub(crate) use list::{get_item, set_item, slice_value, value_attr};

use crate::error::OpResult;
use crate::value::Value;

/// An operator: arguments in schema order (absent trailing ones omitted, skipped ones
/// `None`) → result.
pub(crate) type OpFn = fn(Vec<Value>) -> OpResult<Value>;

/// A table entry.
#[derive(Debug)]
pub(crate) struct OpDef {
    /// Schema name, `aten::add`.
    pub name: &'static str,
    /// Parameter names in schema order, for keyword arguments.
    pub params: &'static [&'static str],
    /// The function.
    pub f: OpFn,
}

fn table() -> &'static HashMap<&'static str, &'static OpDef> {
    static TABLE: OnceLock<HashMap<&'static str, &'static OpDef>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        for def in scalar::OPS
            .iter()
            .chain(list::OPS)
            .chain(tensor::OPS)
            .chain(upgrade::OPS)
        {
            m.insert(def.name, def);
        }
        m
    })
}

/// The entry for a schema name.
pub(crate) fn lookup(name: &str) -> Option<&'static OpDef> {
    table().get(name).copied()
}

/// The entry for a schema name as an archive of file format `version` means it: older
/// archives get PyTorch's upgraders (`aten::div` below 4, `aten::full` below 5).
pub(crate) fn lookup_versioned(name: &str, version: u64) -> Option<&'static OpDef> {
    let upgraded = match name {
        "aten::div" if version < 4 => "upgrader::div_0_3",
        "aten::div_" if version < 4 => "upgrader::div__0_3",
        "aten::full" if version < 5 => "upgrader::full_0_4",
        other => other,
    };
    lookup(upgraded)
}

/// Every operator name in the table, sorted (upgraders excluded).
pub fn operators() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table()
        .keys()
        .copied()
        .filter(|n| !n.starts_with("upgrader::"))
        .collect();
    v.sort_unstable();
    v
}

/// `torch.float32` and friends as ScalarType codes.
pub(crate) fn dtype_constant(name: &str) -> Option<i64> {
    use pt_core::DType;
    let d = match name {
        "float32" | "float" => DType::F32,
        "float64" | "double" => DType::F64,
        "float16" | "half" => DType::F16,
        "bfloat16" => DType::BF16,
        "int64" | "long" => DType::I64,
        "int32" | "int" => DType::I32,
        "int16" | "short" => DType::I16,
        "int8" => DType::I8,
        "uint8" => DType::U8,
        "bool" => DType::Bool,
        _ => return None,
    };
    dtype_code(d)
}
