//! Tensor operators: each reads its arguments and calls one pt-core or pt-nn kernel (or a
//! short composition of them, noted where it is one).

use pt_core::{DType, Scalar, Tensor};
use pt_nn::functional as F;

use super::OpDef;
use super::args::{
    arg, boolean_or, dim, float, float_or, int, int_or, ints, opt_dtype, opt_tensor, scalar_of,
    tensor, usizes, wrap,
};
use crate::error::{OpError, OpResult};
use crate::value::Value;

macro_rules! ops {
    ($($name:literal [$($p:literal),*] => $f:expr;)*) => {
        pub(crate) static OPS: &[OpDef] = &[$(OpDef { name: $name, params: &[$($p),*], f: $f }),*];
    };
}

fn t1(a: &[Value], op: &str, f: fn(&Tensor) -> pt_core::Result<Tensor>) -> OpResult<Value> {
    Ok(Value::Tensor(f(tensor(a, 0, op)?)?))
}

ops! {
    "aten::linear" ["input", "weight", "bias"] => |a| Ok(Value::Tensor(F::linear(
        tensor(&a, 0, "linear")?, tensor(&a, 1, "linear")?, opt_tensor(&a, 2, "linear")?)?));
    "aten::matmul" ["self", "other"] => |a| Ok(Value::Tensor(tensor(&a, 0, "matmul")?.matmul(tensor(&a, 1, "matmul")?)?));
    "aten::mm" ["self", "mat2"] => |a| Ok(Value::Tensor(tensor(&a, 0, "mm")?.mm(tensor(&a, 1, "mm")?)?));
    "aten::mv" ["self", "vec"] => |a| Ok(Value::Tensor(tensor(&a, 0, "mv")?.matmul(tensor(&a, 1, "mv")?)?));
    "aten::bmm" ["self", "mat2"] => |a| Ok(Value::Tensor(tensor(&a, 0, "bmm")?.matmul(tensor(&a, 1, "bmm")?)?));
    "aten::addmm" ["self", "mat1", "mat2", "beta", "alpha"] => addmm;
    "aten::relu" ["self"] => |a| t1(&a, "relu", Tensor::relu);
    "aten::relu_" ["self"] => |a| { let t = tensor(&a, 0, "relu_")?; t.relu_()?; Ok(Value::Tensor(t.clone())) };
    "aten::sigmoid" ["self"] => |a| t1(&a, "sigmoid", Tensor::sigmoid);
    "aten::tanh" ["self"] => |a| t1(&a, "tanh", Tensor::tanh);
    "aten::exp" ["self"] => |a| t1(&a, "exp", Tensor::exp);
    "aten::log" ["self"] => |a| t1(&a, "log", Tensor::log);
    "aten::sqrt" ["self"] => |a| match arg(&a, 0) {
        Value::Tensor(t) => Ok(Value::Tensor(t.sqrt()?)),
        v => Ok(Value::Float(super::args::float_arg(v, "sqrt")?.sqrt())),
    };
    "aten::rsqrt" ["self"] => |a| t1(&a, "rsqrt", Tensor::rsqrt);
    "aten::gelu" ["self", "approximate"] => |a| {
        let x = tensor(&a, 0, "gelu")?;
        Ok(Value::Tensor(match arg(&a, 1) {
            Value::Str(s) if &**s == "tanh" => F::gelu_tanh(x)?,
            _ => F::gelu(x)?,
        }))
    };
    "aten::softmax" ["self", "dim", "dtype"] => |a| Ok(Value::Tensor(softmax(&a, "softmax")?));
    // log(softmax(x)): two existing kernels.
    "aten::log_softmax" ["self", "dim", "dtype"] => |a| Ok(Value::Tensor(softmax(&a, "log_softmax")?.log()?));
    "aten::dropout" ["input", "p", "train"] => dropout;
    "aten::feature_dropout" ["input", "p", "train"] => dropout;
    "aten::batch_norm" ["input", "weight", "bias", "running_mean", "running_var", "training", "momentum", "eps", "cudnn_enabled"] => |a| {
        let op = "batch_norm";
        let state = F::BatchNormState { running_mean: opt_tensor(&a, 3, op)?, running_var: opt_tensor(&a, 4, op)? };
        Ok(Value::Tensor(F::batch_norm(tensor(&a, 0, op)?, state, opt_tensor(&a, 1, op)?, opt_tensor(&a, 2, op)?,
            boolean_or(&a, 5, false, op)?, float_or(&a, 6, 0.1, op)?, float_or(&a, 7, 1e-5, op)?)?))
    };
    "aten::layer_norm" ["input", "normalized_shape", "weight", "bias", "eps", "cudnn_enable"] => |a| {
        let op = "layer_norm";
        Ok(Value::Tensor(F::layer_norm(tensor(&a, 0, op)?, &usizes(&a, 1, op)?, opt_tensor(&a, 2, op)?,
            opt_tensor(&a, 3, op)?, float_or(&a, 4, 1e-5, op)?)?))
    };
    "aten::embedding" ["weight", "indices", "padding_idx", "scale_grad_by_freq", "sparse"] => |a|
        Ok(Value::Tensor(F::embedding(tensor(&a, 1, "embedding")?, tensor(&a, 0, "embedding")?)?));
    "aten::conv2d" ["input", "weight", "bias", "stride", "padding", "dilation", "groups"] => conv2d;
    "aten::conv1d" ["input", "weight", "bias", "stride", "padding", "dilation", "groups"] => conv1d;
    "aten::size" ["self", "dim"] => |a| {
        let t = tensor(&a, 0, "size")?;
        match arg(&a, 1) {
            Value::None => Ok(Value::list(t.shape().iter().map(|&d| Value::Int(d as i64)).collect())),
            v => {
                let d = wrap(super::args::int_arg(v, "size")?, t.dim(), "size")?;
                Ok(Value::Int(t.shape().get(d).copied().unwrap_or(1) as i64))
            }
        }
    };
    "aten::dim" ["self"] => |a| Ok(Value::Int(tensor(&a, 0, "dim")?.dim() as i64));
    "aten::numel" ["self"] => |a| Ok(Value::Int(tensor(&a, 0, "numel")?.numel() as i64));
    "aten::is_floating_point" ["self"] => |a| Ok(Value::Bool(tensor(&a, 0, "is_floating_point")?.dtype().is_floating_point()));
    "aten::contiguous" ["self", "memory_format"] => |a| Ok(Value::Tensor(tensor(&a, 0, "contiguous")?.contiguous()));
    "aten::clone" ["self", "memory_format"] => |a| Ok(Value::Tensor(tensor(&a, 0, "clone")?.deep_clone()));
    "aten::detach" ["self"] => |a| Ok(Value::Tensor(tensor(&a, 0, "detach")?.detach()));
    "aten::to" ["self", "dtype", "non_blocking", "copy", "memory_format"] => to;
    "aten::type_as" ["self", "other"] => |a| Ok(Value::Tensor(tensor(&a, 0, "type_as")?.to_dtype(tensor(&a, 1, "type_as")?.dtype())?));
    "aten::float" ["self"] => |a| Ok(Value::Tensor(tensor(&a, 0, "float")?.to_dtype(DType::F32)?));
    "aten::view" ["self", "size"] => |a| Ok(Value::Tensor(tensor(&a, 0, "view")?.view(&isizes(&a, 1, "view")?)?));
    "aten::reshape" ["self", "shape"] => |a| Ok(Value::Tensor(tensor(&a, 0, "reshape")?.reshape(&isizes(&a, 1, "reshape")?)?));
    "aten::view_as" ["self", "other"] => |a| {
        let s: Vec<isize> = tensor(&a, 1, "view_as")?.shape().iter().map(|&d| d as isize).collect();
        Ok(Value::Tensor(tensor(&a, 0, "view_as")?.view(&s)?))
    };
    "aten::reshape_as" ["self", "other"] => |a| {
        let s: Vec<isize> = tensor(&a, 1, "reshape_as")?.shape().iter().map(|&d| d as isize).collect();
        Ok(Value::Tensor(tensor(&a, 0, "reshape_as")?.reshape(&s)?))
    };
    "aten::flatten" ["self", "start_dim", "end_dim"] => |a| Ok(Value::Tensor(tensor(&a, 0, "flatten")?.flatten(
        int_or(&a, 1, 0, "flatten")? as isize, int_or(&a, 2, -1, "flatten")? as isize)?));
    "aten::permute" ["self", "dims"] => |a| {
        let t = tensor(&a, 0, "permute")?;
        let dims = ints(&a, 1, "permute")?.into_iter().map(|d| wrap(d, t.dim(), "permute")).collect::<OpResult<Vec<_>>>()?;
        Ok(Value::Tensor(t.permute(&dims)?))
    };
    "aten::transpose" ["self", "dim0", "dim1"] => |a| Ok(Value::Tensor(tensor(&a, 0, "transpose")?.transpose(dim(&a, 1, "transpose")?, dim(&a, 2, "transpose")?)?));
    "aten::t" ["self"] => |a| t1(&a, "t", Tensor::t);
    "aten::unsqueeze" ["self", "dim"] => |a| Ok(Value::Tensor(tensor(&a, 0, "unsqueeze")?.unsqueeze(dim(&a, 1, "unsqueeze")?)?));
    "aten::squeeze" ["self", "dim"] => |a| {
        let t = tensor(&a, 0, "squeeze")?;
        Ok(Value::Tensor(match arg(&a, 1) {
            Value::None => t.squeeze(),
            _ => t.squeeze_dim(dim(&a, 1, "squeeze")?)?,
        }))
    };
    "aten::select" ["self", "dim", "index"] => |a| Ok(Value::Tensor(tensor(&a, 0, "select")?.select(dim(&a, 1, "select")?, int(&a, 2, "select")? as isize)?));
    "aten::slice" ["self", "dim", "start", "end", "step"] => slice;
    "aten::narrow" ["self", "dim", "start", "length"] => |a| {
        let len = usize::try_from(int(&a, 3, "narrow")?).map_err(|_| OpError("narrow: negative length".into()))?;
        Ok(Value::Tensor(tensor(&a, 0, "narrow")?.narrow(dim(&a, 1, "narrow")?, int(&a, 2, "narrow")? as isize, len)?))
    };
    "aten::expand" ["self", "size", "implicit"] => |a| {
        let t = tensor(&a, 0, "expand")?;
        Ok(Value::Tensor(t.expand(&isizes(&a, 1, "expand")?)?))
    };
    "aten::expand_as" ["self", "other"] => |a| Ok(Value::Tensor(tensor(&a, 0, "expand_as")?.expand(&tensor(&a, 1, "expand_as")?.shape().iter().map(|&d| d as isize).collect::<Vec<_>>())?));
    "aten::sum" ["self", "dim", "keepdim", "dtype"] => |a| reduce(a, "sum", Tensor::sum, Tensor::sum_dim);
    "aten::mean" ["self", "dim", "keepdim", "dtype"] => |a| reduce(a, "mean", Tensor::mean, Tensor::mean_dim);
    "aten::max" ["self", "dim", "keepdim"] => |a| extreme(a, true);
    "aten::min" ["self", "dim", "keepdim"] => |a| extreme(a, false);
    "aten::argmax" ["self", "dim", "keepdim"] => |a| arg_extreme(a, true);
    "aten::argmin" ["self", "dim", "keepdim"] => |a| arg_extreme(a, false);
    "aten::maximum" ["self", "other"] => |a| Ok(Value::Tensor(tensor(&a, 0, "maximum")?.maximum(tensor(&a, 1, "maximum")?)?));
    "aten::minimum" ["self", "other"] => |a| Ok(Value::Tensor(tensor(&a, 0, "minimum")?.minimum(tensor(&a, 1, "minimum")?)?));
    "aten::zeros" ["size", "dtype", "layout", "device", "pin_memory"] => |a| filled(&a, Scalar::Int(0), 1, "zeros");
    "aten::ones" ["size", "dtype", "layout", "device", "pin_memory"] => |a| filled(&a, Scalar::Int(1), 1, "ones");
    "aten::empty" ["size", "dtype", "layout", "device", "pin_memory", "memory_format"] => |a| filled(&a, Scalar::Int(0), 1, "empty");
    "aten::full" ["size", "fill_value", "dtype", "layout", "device", "pin_memory"] => |a| full(&a, false);
    "aten::zeros_like" ["self", "dtype", "layout", "device", "pin_memory", "memory_format"] => |a| like(&a, Scalar::Int(0), "zeros_like");
    "aten::ones_like" ["self", "dtype", "layout", "device", "pin_memory", "memory_format"] => |a| like(&a, Scalar::Int(1), "ones_like");
    "aten::full_like" ["self", "fill_value", "dtype", "layout", "device", "pin_memory", "memory_format"] => |a| {
        let t = tensor(&a, 0, "full_like")?;
        let d = opt_dtype(&a, 2, "full_like")?.unwrap_or(t.dtype());
        Ok(Value::Tensor(Tensor::full_dtype(t.shape(), scalar_of(arg(&a, 1), "full_like")?, d)))
    };
    "aten::arange" ["end", "dtype", "layout", "device", "pin_memory"] => arange;
    "aten::tensor" ["data", "dtype", "device", "requires_grad"] => tensor_from_data;
    "aten::add_" ["self", "other", "alpha"] => |a| inplace(a, "add_");
    "aten::sub_" ["self", "other", "alpha"] => |a| inplace(a, "sub_");
    "aten::mul_" ["self", "other"] => |a| inplace(a, "mul_");
    "aten::div_" ["self", "other", "rounding_mode"] => |a| inplace(a, "div_");
    "aten::copy_" ["self", "src", "non_blocking"] => |a| {
        let t = tensor(&a, 0, "copy_")?;
        t.copy_(tensor(&a, 1, "copy_")?)?;
        Ok(Value::Tensor(t.clone()))
    };
    "aten::fill_" ["self", "value"] => |a| {
        let t = tensor(&a, 0, "fill_")?;
        t.fill_(scalar_of(arg(&a, 1), "fill_")?)?;
        Ok(Value::Tensor(t.clone()))
    };
    "aten::zero_" ["self"] => |a| {
        let t = tensor(&a, 0, "zero_")?;
        t.zero_()?;
        Ok(Value::Tensor(t.clone()))
    };
    "aten::pad" ["self", "pad", "mode", "value"] => pad;
    "aten::constant_pad_nd" ["self", "pad", "value"] => |a| {
        let v = vec![arg(&a, 0).clone(), arg(&a, 1).clone(), Value::str("constant"), arg(&a, 2).clone()];
        pad(v)
    };
}

fn isizes(a: &[Value], i: usize, op: &str) -> OpResult<Vec<isize>> {
    Ok(ints(a, i, op)?.into_iter().map(|v| v as isize).collect())
}

fn softmax(a: &[Value], op: &str) -> OpResult<Tensor> {
    let mut x = tensor(a, 0, op)?.clone();
    if let Some(d) = opt_dtype(a, 2, op)? {
        x = x.to_dtype(d)?;
    }
    Ok(F::softmax(&x, dim(a, 1, op)?)?)
}

fn addmm(a: Vec<Value>) -> OpResult<Value> {
    let op = "addmm";
    let (bias, m1, m2) = (tensor(&a, 0, op)?, tensor(&a, 1, op)?, tensor(&a, 2, op)?);
    let (beta, alpha) = (float_or(&a, 3, 1.0, op)?, float_or(&a, 4, 1.0, op)?);
    let mut p = m1.mm(m2)?;
    if alpha != 1.0 {
        p = p.mul_scalar(alpha)?;
    }
    let b = if beta != 1.0 {
        bias.mul_scalar(beta)?
    } else {
        bias.clone()
    };
    Ok(Value::Tensor(p.add(&b)?))
}

fn dropout(a: Vec<Value>) -> OpResult<Value> {
    let x = tensor(&a, 0, "dropout")?;
    if !boolean_or(&a, 2, false, "dropout")? || float(&a, 1, "dropout")? == 0.0 {
        return Ok(Value::Tensor(x.clone()));
    }
    let mut g = pt_core::Generator::new(0);
    Ok(Value::Tensor(F::dropout(
        x,
        float(&a, 1, "dropout")?,
        true,
        &mut g,
    )?))
}

fn pair(a: &[Value], i: usize, default: usize, op: &str) -> OpResult<(usize, usize)> {
    match arg(a, i) {
        Value::None => Ok((default, default)),
        _ => {
            let v = usizes(a, i, op)?;
            match v.as_slice() {
                [x] => Ok((*x, *x)),
                [x, y] => Ok((*x, *y)),
                _ => Err(OpError(format!("{op}: expected 1 or 2 values, got {v:?}"))),
            }
        }
    }
}

fn conv2d(a: Vec<Value>) -> OpResult<Value> {
    let op = "conv2d";
    if let Value::Str(_) = arg(&a, 4) {
        return Err(OpError(
            "conv2d: string padding ('same'/'valid') is not supported".into(),
        ));
    }
    let opts = F::Conv2dOptions {
        stride: pair(&a, 3, 1, op)?,
        padding: pair(&a, 4, 0, op)?,
        dilation: pair(&a, 5, 1, op)?,
        groups: int_or(&a, 6, 1, op)? as usize,
    };
    Ok(Value::Tensor(F::conv2d(
        tensor(&a, 0, op)?,
        tensor(&a, 1, op)?,
        opt_tensor(&a, 2, op)?,
        opts,
    )?))
}

/// conv1d as conv2d over a height-1 image: pt-nn's conv2d kernel on views.
fn conv1d(a: Vec<Value>) -> OpResult<Value> {
    let op = "conv1d";
    if let Value::Str(_) = arg(&a, 4) {
        return Err(OpError(
            "conv1d: string padding ('same'/'valid') is not supported".into(),
        ));
    }
    let one = |i: usize, d: usize| -> OpResult<usize> { Ok(pair(&a, i, d, op)?.0) };
    let x = tensor(&a, 0, op)?;
    let batched = x.dim() == 3;
    let x = x.unsqueeze(if batched { 2 } else { 1 })?;
    let w = tensor(&a, 1, op)?.unsqueeze(2)?;
    let opts = F::Conv2dOptions {
        stride: (1, one(3, 1)?),
        padding: (0, one(4, 0)?),
        dilation: (1, one(5, 1)?),
        groups: int_or(&a, 6, 1, op)? as usize,
    };
    let y = F::conv2d(&x, &w, opt_tensor(&a, 2, op)?, opts)?;
    Ok(Value::Tensor(y.squeeze_dim(if batched { 2 } else { 1 })?))
}

fn to(a: Vec<Value>) -> OpResult<Value> {
    let t = tensor(&a, 0, "to")?;
    // Overloads: to(dtype, …), to(device, dtype, …), to(other, …).
    let target = match (arg(&a, 1), arg(&a, 2)) {
        (Value::Tensor(o), _) => Some(o.dtype()),
        (Value::Device(_) | Value::Str(_), Value::None | Value::Bool(_)) => None,
        (Value::Device(_) | Value::Str(_), _) => opt_dtype(&a, 2, "to")?,
        _ => opt_dtype(&a, 1, "to")?,
    };
    let copy = matches!(arg(&a, 3), Value::Bool(true));
    Ok(Value::Tensor(match target {
        Some(d) if d != t.dtype() => t.to_dtype(d)?,
        _ if copy => t.deep_clone(),
        _ => t.clone(),
    }))
}

fn slice(a: Vec<Value>) -> OpResult<Value> {
    let op = "slice";
    let t = tensor(&a, 0, op)?;
    let d = int_or(&a, 1, 0, op)? as isize;
    let bound = |i: usize| -> OpResult<Option<isize>> {
        Ok(match arg(&a, i) {
            Value::None => None,
            v => {
                let x = super::args::int_arg(v, op)?;
                // INT64_MAX / MIN mean "to the end" in serialized code.
                Some(x.clamp(isize::MIN as i64 / 2, isize::MAX as i64 / 2) as isize)
            }
        })
    };
    let step = usize::try_from(int_or(&a, 4, 1, op)?)
        .map_err(|_| OpError("slice step must be positive".into()))?;
    Ok(Value::Tensor(t.slice(d, bound(2)?, bound(3)?, step)?))
}

fn dims_arg(a: &[Value], i: usize, op: &str) -> OpResult<Option<Vec<i64>>> {
    match arg(a, i) {
        Value::None => Ok(None),
        _ => Ok(Some(ints(a, i, op)?)),
    }
}

fn reduce(
    a: Vec<Value>,
    op: &str,
    all: fn(&Tensor) -> pt_core::Result<Tensor>,
    along: fn(&Tensor, isize, bool) -> pt_core::Result<Tensor>,
) -> OpResult<Value> {
    let mut x = tensor(&a, 0, op)?.clone();
    // sum(x, dtype) is the two-argument overload.
    let (dims, keep, dt) = match arg(&a, 1) {
        Value::Int(_) if a.len() == 2 && op == "sum" => (None, false, opt_dtype(&a, 1, op)?),
        _ => (
            dims_arg(&a, 1, op)?,
            boolean_or(&a, 2, false, op)?,
            opt_dtype(&a, 3, op)?,
        ),
    };
    if let Some(d) = dt {
        x = x.to_dtype(d)?;
    }
    let Some(mut dims) = dims.filter(|d| !d.is_empty()) else {
        return Ok(Value::Tensor(all(&x)?));
    };
    let rank = x.dim();
    for d in &mut dims {
        *d = wrap(*d, rank, op)? as i64;
    }
    dims.sort_unstable();
    // Reduce from the last dim so earlier indices stay valid.
    for &d in dims.iter().rev() {
        x = along(&x, d as isize, keep)?;
    }
    Ok(Value::Tensor(x))
}

fn extreme(a: Vec<Value>, max: bool) -> OpResult<Value> {
    let op = if max { "max" } else { "min" };
    let x = tensor(&a, 0, op)?;
    match arg(&a, 1) {
        Value::Tensor(o) => Ok(Value::Tensor(if max {
            x.maximum(o)?
        } else {
            x.minimum(o)?
        })),
        Value::None => {
            let flat = x.reshape(&[-1])?;
            let (v, _) = if max {
                flat.max_dim(0, false)?
            } else {
                flat.min_dim(0, false)?
            };
            Ok(Value::Tensor(v))
        }
        _ => {
            let (d, keep) = (dim(&a, 1, op)?, boolean_or(&a, 2, false, op)?);
            let (v, i) = if max {
                x.max_dim(d, keep)?
            } else {
                x.min_dim(d, keep)?
            };
            Ok(Value::tuple(vec![Value::Tensor(v), Value::Tensor(i)]))
        }
    }
}

fn arg_extreme(a: Vec<Value>, max: bool) -> OpResult<Value> {
    let op = if max { "argmax" } else { "argmin" };
    let x = tensor(&a, 0, op)?;
    let (x, d, keep) = match arg(&a, 1) {
        Value::None => (x.reshape(&[-1])?, 0, false),
        _ => (x.clone(), dim(&a, 1, op)?, boolean_or(&a, 2, false, op)?),
    };
    Ok(Value::Tensor(if max {
        x.argmax(d, keep)?
    } else {
        x.argmin(d, keep)?
    }))
}

fn filled(a: &[Value], v: Scalar, _: u8, op: &str) -> OpResult<Value> {
    let shape = usizes(a, 0, op)?;
    let d = opt_dtype(a, 1, op)?.unwrap_or(DType::F32);
    let n = pt_core::tensor::layout::checked_numel(&shape)
        .ok_or_else(|| OpError(format!("{op}: size {shape:?} overflows")))?;
    if n.checked_mul(d.size())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(OpError(format!("{op}: size {shape:?} is too large")));
    }
    Ok(Value::Tensor(Tensor::full_dtype(&shape, v, d)))
}

/// `aten::full` as current archives mean it; `int_fill_is_float` is the pre-5 upgrader.
pub(crate) fn full(a: &[Value], int_fill_is_float: bool) -> OpResult<Value> {
    let op = "full";
    let fill = arg(a, 1);
    let d = match opt_dtype(a, 2, op)? {
        Some(d) => d,
        None => match fill {
            Value::Float(_) => DType::F32,
            Value::Int(_) | Value::Bool(_) if int_fill_is_float => DType::F32,
            Value::Int(_) => DType::I64,
            Value::Bool(_) => DType::Bool,
            other => return Err(OpError(format!("full: fill value is a {}", other.kind()))),
        },
    };
    let v = [Value::List(match arg(a, 0) {
        Value::List(l) => l.clone(),
        other => crate::value::List::new(vec![other.clone()]),
    })];
    let shape = usizes(&v, 0, op)?;
    filled(
        &[
            Value::list(shape.iter().map(|&s| Value::Int(s as i64)).collect()),
            dtype_value(d),
        ],
        scalar_of(fill, op)?,
        0,
        op,
    )
}

fn dtype_value(d: DType) -> Value {
    super::dtype_code(d).map_or(Value::None, Value::Int)
}

fn like(a: &[Value], v: Scalar, op: &str) -> OpResult<Value> {
    let t = tensor(a, 0, op)?;
    let d = opt_dtype(a, 1, op)?.unwrap_or(t.dtype());
    Ok(Value::Tensor(Tensor::full_dtype(t.shape(), v, d)))
}

fn arange(a: Vec<Value>) -> OpResult<Value> {
    // Overloads by count: (end, dtype, …), (start, end, dtype, …), (start, end, step, dtype, …).
    let nums: Vec<&Value> = a
        .iter()
        .take_while(|v| matches!(v, Value::Int(_) | Value::Float(_)))
        .take(3)
        .collect();
    let any_float = nums.iter().any(|v| matches!(v, Value::Float(_)));
    let (start, end, step) = match nums.as_slice() {
        [e] => (Value::Int(0), (*e).clone(), Value::Int(1)),
        [s, e] => ((*s).clone(), (*e).clone(), Value::Int(1)),
        [s, e, st] => ((*s).clone(), (*e).clone(), (*st).clone()),
        _ => return Err(OpError("arange: expected numbers".into())),
    };
    let dt = opt_dtype(&a, nums.len(), "arange")?;
    let t = if any_float || dt.is_some_and(|d| d.is_floating_point()) {
        let f = |v: &Value| super::args::float_arg(v, "arange");
        Tensor::arange_f(f(&start)?, f(&end)?, f(&step)?, dt.unwrap_or(DType::F32))?
    } else {
        let i = |v: &Value| super::args::int_arg(v, "arange");
        Tensor::arange_step(i(&start)?, i(&end)?, i(&step)?)?
    };
    Ok(Value::Tensor(match dt {
        Some(d) if d != t.dtype() => t.to_dtype(d)?,
        _ => t,
    }))
}

fn flatten_data(
    v: &Value,
    shape: &mut Vec<usize>,
    depth: usize,
    out: &mut Vec<Value>,
) -> OpResult<()> {
    match v {
        Value::List(l) => {
            let items = l.to_vec();
            if shape.len() == depth {
                shape.push(items.len());
            } else if shape[depth] != items.len() {
                return Err(OpError("tensor(): ragged nested list".into()));
            }
            for it in &items {
                flatten_data(it, shape, depth + 1, out)?;
            }
        }
        other => out.push(other.clone()),
    }
    Ok(())
}

fn tensor_from_data(a: Vec<Value>) -> OpResult<Value> {
    let mut shape = Vec::new();
    let mut flat = Vec::new();
    flatten_data(arg(&a, 0), &mut shape, 0, &mut flat)?;
    let inferred = if flat.iter().any(|v| matches!(v, Value::Float(_))) {
        DType::F32
    } else if !flat.is_empty() && flat.iter().all(|v| matches!(v, Value::Bool(_))) {
        DType::Bool
    } else if flat.is_empty() {
        DType::F32
    } else {
        DType::I64
    };
    let d = opt_dtype(&a, 1, "tensor")?.unwrap_or(inferred);
    let t = if flat
        .iter()
        .all(|v| matches!(v, Value::Int(_) | Value::Bool(_)))
        && !flat.is_empty()
    {
        let v: Vec<i64> = flat
            .iter()
            .map(|v| super::args::int_arg(v, "tensor"))
            .collect::<OpResult<_>>()?;
        Tensor::from_vec(v, &shape)?
    } else {
        let v: Vec<f64> = flat
            .iter()
            .map(|v| super::args::float_arg(v, "tensor"))
            .collect::<OpResult<_>>()?;
        Tensor::from_vec(v, &shape)?
    };
    Ok(Value::Tensor(if t.dtype() == d {
        t
    } else {
        t.to_dtype(d)?
    }))
}

fn inplace(a: Vec<Value>, op: &str) -> OpResult<Value> {
    let t = tensor(&a, 0, op)?;
    let alpha = match arg(&a, 2) {
        Value::None | Value::Str(_) => 1.0,
        v => super::args::float_arg(v, op)?,
    };
    match arg(&a, 1) {
        Value::Tensor(o) => {
            let o = if alpha != 1.0 {
                o.mul_scalar(alpha)?
            } else {
                o.clone()
            };
            match op {
                "add_" => t.add_(&o)?,
                "sub_" => t.sub_(&o)?,
                "mul_" => t.mul_(&o)?,
                _ => match arg(&a, 2) {
                    Value::Str(_) => {
                        let q = super::scalar::div(a.clone())?;
                        if let Value::Tensor(q) = q {
                            t.copy_(&q)?;
                        }
                    }
                    _ => t.div_(&o)?,
                },
            }
        }
        s => {
            let s = scalar_of(s, op)?;
            let s = if alpha != 1.0 {
                Scalar::Float(s.to_f64() * alpha)
            } else {
                s
            };
            match op {
                "add_" => t.add_scalar_(s)?,
                "sub_" => t.sub_scalar_(s)?,
                "mul_" => t.mul_scalar_(s)?,
                _ => t.div_scalar_(s)?,
            }
        }
    }
    Ok(Value::Tensor(t.clone()))
}

/// Constant padding: a zeroed (or filled) tensor with the input copied into its middle.
fn pad(a: Vec<Value>) -> OpResult<Value> {
    let op = "pad";
    let x = tensor(&a, 0, op)?;
    let p = ints(&a, 1, op)?;
    match arg(&a, 2) {
        Value::None => {}
        Value::Str(m) if &**m == "constant" => {}
        Value::Str(m) => {
            return Err(OpError(format!(
                "pad: mode '{m}' is not supported (only 'constant')"
            )));
        }
        other => return Err(OpError(format!("pad: mode is a {}", other.kind()))),
    }
    let value = float_or(&a, 3, 0.0, op)?;
    if p.len() % 2 != 0 || p.len() / 2 > x.dim() {
        return Err(OpError(format!(
            "pad: padding length {} does not fit a {}-d input",
            p.len(),
            x.dim()
        )));
    }
    if p.iter().any(|&v| v < 0) {
        return Err(OpError("pad: negative padding is not supported".into()));
    }
    let mut shape = x.shape().to_vec();
    let rank = shape.len();
    for (k, pair) in p.chunks(2).enumerate() {
        let d = rank - 1 - k;
        shape[d] += (pair[0] + pair[1]) as usize;
    }
    let out = Tensor::full_dtype(&shape, value, x.dtype());
    let mut view = out.clone();
    for (k, pair) in p.chunks(2).enumerate() {
        let d = rank - 1 - k;
        view = view.narrow(d as isize, pair[0] as isize, x.shape()[d])?;
    }
    view.copy_(x)?;
    Ok(Value::Tensor(out))
}
