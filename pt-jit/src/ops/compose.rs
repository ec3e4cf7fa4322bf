//! Operators built from pt-core / pt-nn kernels: splitting (views), the LSTM cell and layer
//! (linear, sigmoid, tanh, products, cat), attention (matmul, softmax), and the
//! list/any/all and device queries scripted code makes.

use pt_core::Tensor;
use pt_nn::functional as F;

use super::OpDef;
use super::args::{arg, boolean_or, dim, int, int_arg, int_or, ints, opt_tensor, tensor, wrap};
use crate::error::{OpError, OpResult};
use crate::value::Value;

macro_rules! ops {
    ($($name:literal [$($p:literal),*] => $f:expr;)*) => {
        pub(crate) static OPS: &[OpDef] = &[$(OpDef { name: $name, params: &[$($p),*], f: $f }),*];
    };
}

ops! {
    "aten::cat" ["tensors", "dim"] => |a| Ok(Value::Tensor(cat(&tensor_list(&a, 0, "cat")?, int_or(&a, 1, 0, "cat")?)?));
    "aten::concat" ["tensors", "dim"] => |a| Ok(Value::Tensor(cat(&tensor_list(&a, 0, "concat")?, int_or(&a, 1, 0, "concat")?)?));
    "aten::stack" ["tensors", "dim"] => |a| Ok(Value::Tensor(Tensor::stack(&tensor_list(&a, 0, "stack")?, int_or(&a, 1, 0, "stack")? as isize)?));
    "aten::chunk" ["self", "chunks", "dim"] => |a| {
        let t = tensor(&a, 0, "chunk")?;
        let chunks = int(&a, 1, "chunk")?;
        if chunks <= 0 {
            return Err(OpError("chunk expects `chunks` to be greater than 0".into()));
        }
        let d = wrap(int_or(&a, 2, 0, "chunk")?, t.dim(), "chunk")?;
        let size = t.shape()[d].div_ceil(chunks as usize).max(1);
        split_sizes(t, d, &even_sizes(t.shape()[d], size))
    };
    "aten::split" ["self", "split_size", "dim"] => |a| {
        let t = tensor(&a, 0, "split")?;
        let d = wrap(int_or(&a, 2, 0, "split")?, t.dim(), "split")?;
        let sizes = match arg(&a, 1) {
            Value::Int(s) if *s > 0 => even_sizes(t.shape()[d], *s as usize),
            Value::List(_) | Value::Tuple(_) => ints(&a, 1, "split")?.into_iter().map(|s| s.max(0) as usize).collect(),
            other => return Err(OpError(format!("split: bad split_size {other}"))),
        };
        split_sizes(t, d, &sizes)
    };
    "aten::unbind" ["self", "dim"] => |a| {
        let t = tensor(&a, 0, "unbind")?;
        let d = wrap(int_or(&a, 1, 0, "unbind")?, t.dim(), "unbind")?;
        let parts = (0..t.shape()[d]).map(|i| t.select(d as isize, i as isize).map(Value::Tensor)).collect::<pt_core::Result<Vec<_>>>()?;
        Ok(Value::list(parts))
    };
    "aten::atan2" ["self", "other"] => |a| Ok(Value::Tensor(tensor(&a, 0, "atan2")?.atan2(tensor(&a, 1, "atan2")?)?));
    "aten::reflection_pad1d" ["self", "padding"] => |a| Ok(Value::Tensor(F::pad(tensor(&a, 0, "reflection_pad1d")?, &ints(&a, 1, "reflection_pad1d")?, F::PadMode::Reflect)?));
    "aten::lstm_cell" ["input", "hx", "w_ih", "w_hh", "b_ih", "b_hh"] => |a| {
        let hx = tensor_list(&a, 1, "lstm_cell")?;
        let [h, c] = hx.as_slice() else { return Err(OpError("lstm_cell: hx must hold (h, c)".into())) };
        let (h, c) = lstm_cell(tensor(&a, 0, "lstm_cell")?, h, c, tensor(&a, 2, "lstm_cell")?, tensor(&a, 3, "lstm_cell")?,
            opt_tensor(&a, 4, "lstm_cell")?, opt_tensor(&a, 5, "lstm_cell")?)?;
        Ok(Value::tuple(vec![Value::Tensor(h), Value::Tensor(c)]))
    };
    "aten::lstm" ["input", "hx", "params", "has_biases", "num_layers", "dropout", "train", "bidirectional", "batch_first"] => lstm;
    "aten::any" ["self", "dim", "keepdim"] => |a| truth_reduce(&a, true);
    "aten::all" ["self", "dim", "keepdim"] => |a| truth_reduce(&a, false);
    "aten::scaled_dot_product_attention" ["query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"] => sdpa;
    "aten::cpu" ["self"] => |a| Ok(arg(&a, 0).clone());
    "aten::is_autocast_enabled" [] => |_| Ok(Value::Bool(false));
    "prim::type" ["self"] => |_| Ok(Value::str("cpu"));
    "aten::unflatten" ["self", "dim", "sizes"] => |a| {
        let t = tensor(&a, 0, "unflatten")?;
        let d = wrap(int(&a, 1, "unflatten")?, t.dim(), "unflatten")?;
        let mut shape: Vec<isize> = t.shape().iter().map(|&s| s as isize).collect();
        let sizes: Vec<isize> = ints(&a, 2, "unflatten")?.into_iter().map(|s| s as isize).collect();
        shape.splice(d..=d, sizes);
        Ok(Value::Tensor(t.reshape(&shape)?))
    };
    "aten::dropout_" ["input", "p", "train"] => |a| {
        if boolean_or(&a, 2, false, "dropout_")? {
            return Err(OpError("dropout_ in training mode is not supported".into()));
        }
        Ok(arg(&a, 0).clone())
    };
}

fn tensor_list(a: &[Value], i: usize, op: &str) -> OpResult<Vec<Tensor>> {
    let items = match arg(a, i) {
        Value::List(l) => l.to_vec(),
        Value::Tuple(t) => t.to_vec(),
        other => {
            return Err(OpError(format!(
                "{op}: expected a list of tensors, got {}",
                other.kind()
            )));
        }
    };
    items
        .into_iter()
        .map(|v| match v {
            Value::Tensor(t) => Ok(t),
            other => Err(OpError(format!("{op}: list item is a {}", other.kind()))),
        })
        .collect()
}

/// `torch.cat` (pt-core's kernel).
pub(crate) fn cat(ts: &[Tensor], d: i64) -> OpResult<Tensor> {
    Ok(Tensor::cat(ts, d as isize)?)
}

fn even_sizes(n: usize, size: usize) -> Vec<usize> {
    let mut v = Vec::new();
    let mut left = n;
    while left > 0 {
        v.push(size.min(left));
        left -= size.min(left);
    }
    if v.is_empty() {
        v.push(0);
    }
    v
}

fn split_sizes(t: &Tensor, d: usize, sizes: &[usize]) -> OpResult<Value> {
    if sizes.iter().sum::<usize>() != t.shape()[d] {
        return Err(OpError(format!(
            "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}",
            t.shape()[d]
        )));
    }
    let mut at = 0;
    let mut out = Vec::new();
    for &s in sizes {
        out.push(Value::Tensor(t.narrow(d as isize, at as isize, s)?));
        at += s;
    }
    Ok(Value::list(out))
}

/// One LSTM step: gates from two linear maps; PyTorch's gate order i, f, g, o.
fn lstm_cell(
    x: &Tensor,
    h: &Tensor,
    c: &Tensor,
    w_ih: &Tensor,
    w_hh: &Tensor,
    b_ih: Option<&Tensor>,
    b_hh: Option<&Tensor>,
) -> OpResult<(Tensor, Tensor)> {
    let gates = F::linear(x, w_ih, b_ih)?.add(&F::linear(h, w_hh, b_hh)?)?;
    let last = gates.dim() as isize - 1;
    let hs = gates.shape()[gates.dim() - 1] / 4;
    let g = |k: usize| gates.narrow(last, (k * hs) as isize, hs);
    let i = g(0)?.sigmoid()?;
    let f = g(1)?.sigmoid()?;
    let cand = g(2)?.tanh()?;
    let o = g(3)?.sigmoid()?;
    let c2 = f.mul(c)?.add(&i.mul(&cand)?)?;
    let h2 = o.mul(&c2.tanh()?)?;
    Ok((h2, c2))
}

/// `aten::lstm.input`: stacked unidirectional layers over time with [`lstm_cell`].
fn lstm(a: Vec<Value>) -> OpResult<Value> {
    let op = "lstm";
    let input = tensor(&a, 0, op)?;
    let hx = tensor_list(&a, 1, op)?;
    let params = tensor_list(&a, 2, op)?;
    let has_biases = boolean_or(&a, 3, true, op)?;
    let layers = int(&a, 4, op)? as usize;
    if boolean_or(&a, 7, false, op)? {
        return Err(OpError("bidirectional LSTM is not supported".into()));
    }
    let batch_first = boolean_or(&a, 8, false, op)?;
    let [h0, c0] = hx.as_slice() else {
        return Err(OpError("lstm: hx must hold (h0, c0)".into()));
    };
    let per = if has_biases { 4 } else { 2 };
    if params.len() != per * layers {
        return Err(OpError(format!(
            "lstm: expected {} weights, got {}",
            per * layers,
            params.len()
        )));
    }
    let unbatched = input.dim() == 2;
    let mut seq = if unbatched {
        input.unsqueeze(1)?
    } else if batch_first {
        input.transpose(0, 1)?
    } else {
        input.clone()
    };
    let (h0, c0) = if unbatched {
        (h0.unsqueeze(1)?, c0.unsqueeze(1)?)
    } else {
        (h0.clone(), c0.clone())
    };
    let mut hn = Vec::new();
    let mut cn = Vec::new();
    for l in 0..layers {
        let p = &params[l * per..(l + 1) * per];
        let (b_ih, b_hh) = if has_biases {
            (Some(&p[2]), Some(&p[3]))
        } else {
            (None, None)
        };
        let mut h = h0.select(0, l as isize)?;
        let mut c = c0.select(0, l as isize)?;
        let mut outs = Vec::new();
        for t in 0..seq.shape()[0] {
            let (h2, c2) = lstm_cell(
                &seq.select(0, t as isize)?,
                &h,
                &c,
                &p[0],
                &p[1],
                b_ih,
                b_hh,
            )?;
            outs.push(h2.unsqueeze(0)?);
            h = h2;
            c = c2;
        }
        seq = cat(&outs, 0)?;
        hn.push(h.unsqueeze(0)?);
        cn.push(c.unsqueeze(0)?);
    }
    let (mut hn, mut cn) = (cat(&hn, 0)?, cat(&cn, 0)?);
    let out = if unbatched {
        hn = hn.squeeze_dim(1)?;
        cn = cn.squeeze_dim(1)?;
        seq.squeeze_dim(1)?
    } else if batch_first {
        seq.transpose(0, 1)?
    } else {
        seq
    };
    let _ = (dim, int_arg);
    Ok(Value::tuple(vec![
        Value::Tensor(out),
        Value::Tensor(hn),
        Value::Tensor(cn),
    ]))
}

/// `any`/`all` of a list of bools, or of a whole tensor (an element loop of its own).
fn truth_reduce(a: &[Value], any: bool) -> OpResult<Value> {
    let items: Vec<bool> = match arg(a, 0) {
        Value::List(l) => l
            .to_vec()
            .iter()
            .map(crate::interp::truthy)
            .collect::<OpResult<_>>()?,
        Value::Tensor(t) => {
            if !matches!(arg(a, 1), Value::None) {
                return Err(OpError("any/all along a dimension is not supported".into()));
            }
            let v = t.contiguous().to_vec_f64()?;
            let r = if any {
                v.iter().any(|x| *x != 0.0)
            } else {
                v.iter().all(|x| *x != 0.0)
            };
            return Ok(Value::Tensor(Tensor::scalar(r)));
        }
        other => return Err(OpError(format!("any/all of a {}", other.kind()))),
    };
    Ok(Value::Bool(if any {
        items.iter().any(|b| *b)
    } else {
        items.iter().all(|b| *b)
    }))
}

/// `aten::scaled_dot_product_attention` through pt-core's attention kernel.
fn sdpa(a: Vec<Value>) -> OpResult<Value> {
    let op = "scaled_dot_product_attention";
    let (q, k, v) = (tensor(&a, 0, op)?, tensor(&a, 1, op)?, tensor(&a, 2, op)?);
    if super::args::float_or(&a, 4, 0.0, op)? != 0.0 {
        return Err(OpError(
            "scaled_dot_product_attention with dropout is not supported".into(),
        ));
    }
    let scale = match a.get(6) {
        None | Some(Value::None) => None,
        Some(_) => Some(super::args::float_or(&a, 6, 0.0, op)?),
    };
    let causal = boolean_or(&a, 5, false, op)?;
    let mask = opt_tensor(&a, 3, op)?;
    Ok(Value::Tensor(
        q.scaled_dot_product_attention(k, v, mask, causal, scale)?,
    ))
}
