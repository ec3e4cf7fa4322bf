//! PyTorch's operator upgraders: archives written before an operator changed meaning run it
//! as it meant then (file format versions: `div` changed at 4, `full` at 5).

use super::OpDef;
use super::args::arg;
use crate::error::OpResult;
use crate::value::Value;

pub(crate) static OPS: &[OpDef] = &[
    OpDef {
        name: "upgrader::div_0_3",
        params: &["self", "other", "rounding_mode"],
        f: div_0_3,
    },
    OpDef {
        name: "upgrader::div_inplace_0_3",
        params: &["self", "other"],
        f: div_inplace_0_3,
    },
    OpDef {
        name: "upgrader::full_0_4",
        params: &[
            "size",
            "fill_value",
            "dtype",
            "layout",
            "device",
            "pin_memory",
        ],
        f: |a| super::tensor::full(&a, true),
    },
];

fn is_integral(v: &Value) -> bool {
    match v {
        Value::Tensor(t) => !t.dtype().is_floating_point() && !t.dtype().is_complex(),
        Value::Int(_) | Value::Bool(_) => true,
        _ => false,
    }
}

/// Before version 4, `div` of two integral operands truncated (torch's `div_Tensor_0_3`).
fn div_0_3(mut a: Vec<Value>) -> OpResult<Value> {
    if a.len() < 3 && is_integral(arg(&a, 0)) && is_integral(arg(&a, 1)) {
        if matches!(arg(&a, 0), Value::Tensor(_)) || matches!(arg(&a, 1), Value::Tensor(_)) {
            a.truncate(2);
            a.push(Value::str("trunc"));
        } else {
            // Python ints: the old aten::div.int still returned a float.
            return super::scalar::div(a);
        }
    }
    super::scalar::div(a)
}

fn div_inplace_0_3(mut a: Vec<Value>) -> OpResult<Value> {
    if is_integral(arg(&a, 0)) && is_integral(arg(&a, 1)) {
        a.truncate(2);
        a.push(Value::str("trunc"));
    }
    super::lookup("aten::div_").map_or_else(|| Err("aten::div_ missing".into()), |d| (d.f)(a))
}
