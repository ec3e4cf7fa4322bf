//! Every compute kernel against PyTorch's outputs recorded in
//! tests/fixtures/kernels/kernels.json (written by tests/python/fixtures_kernels.py):
//! awkward shapes (empty, one element, large), strided inputs, groups, dilation, depthwise,
//! f64 and half precision. f32/f64 must agree within 1e-5 relative + 1e-6 absolute (the
//! absolute part times the output's RMS when that exceeds 1); half precision within one or
//! two units of its last place.

use std::path::PathBuf;

use pt::core::ops::{BatchNormArgs, Conv1dOptions, Conv2dOptions};
use pt::core::{DType, Tensor};
use serde_json::Value as Json;

fn fixtures() -> Json {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kernels/kernels.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn dtype(name: &str) -> DType {
    match name {
        "f32" => DType::F32,
        "f64" => DType::F64,
        "f16" => DType::F16,
        "bf16" => DType::BF16,
        "i64" => DType::I64,
        other => panic!("unknown dtype {other}"),
    }
}

/// A number, or one of "nan", "inf", "-inf" (JSON has none of them).
fn num(v: &Json) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| v.as_str().unwrap().parse().unwrap())
}

fn usizes(j: &Json) -> Vec<usize> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|v| usize::try_from(v.as_u64().unwrap()).unwrap())
        .collect()
}

/// The input: its contiguous base, permuted into the strided view torch used.
fn tensor(j: &Json) -> Tensor {
    let data: Vec<f64> = j["data"].as_array().unwrap().iter().map(num).collect();
    let base = Tensor::from_vec(data, &usizes(&j["shape"]))
        .unwrap()
        .to_dtype(dtype(j["dtype"].as_str().unwrap()))
        .unwrap();
    match j["permute"].as_array() {
        Some(p) => {
            let p: Vec<usize> = p.iter().map(|v| v.as_u64().unwrap() as usize).collect();
            let t = base.permute(&p).unwrap();
            assert!(!t.is_contiguous() || t.numel() <= 1);
            t
        }
        None => base,
    }
}

fn pair(j: &Json, key: &str) -> (usize, usize) {
    match &j[key] {
        Json::Array(a) => (
            a[0].as_u64().unwrap() as usize,
            a[1].as_u64().unwrap() as usize,
        ),
        v => {
            let n = v.as_u64().unwrap() as usize;
            (n, n)
        }
    }
}

fn run(op: &str, x: &[Tensor], args: &Json) -> Vec<Tensor> {
    let get = |i: usize| x.get(i);
    let one = |t: pt::core::Result<Tensor>| vec![t.unwrap()];
    match op {
        "linear" => one(x[0].linear(&x[1], get(2))),
        "matmul" => one(x[0].matmul(&x[1])),
        "bmm" => one(x[0].bmm(&x[1])),
        "addmm" => one(x[0].addmm(&x[1], &x[2])),
        "conv2d" => one(x[0].conv2d(
            &x[1],
            get(2),
            Conv2dOptions {
                stride: pair(args, "stride"),
                padding: pair(args, "padding"),
                dilation: pair(args, "dilation"),
                groups: args["groups"].as_u64().unwrap() as usize,
            },
        )),
        "conv1d" => one(x[0].conv1d(
            &x[1],
            get(2),
            Conv1dOptions {
                stride: pair(args, "stride").0,
                padding: pair(args, "padding").0,
                dilation: pair(args, "dilation").0,
                groups: args["groups"].as_u64().unwrap() as usize,
            },
        )),
        "gelu" => one(x[0].gelu()),
        "gelu_tanh" => one(x[0].gelu_tanh()),
        "silu" => one(x[0].silu()),
        "sigmoid" => one(x[0].sigmoid()),
        "tanh" => one(x[0].tanh()),
        "exp" => one(x[0].exp()),
        "relu" => one(x[0].relu()),
        "softmax" => one(x[0].softmax(args["dim"].as_i64().unwrap() as isize)),
        "log_softmax" => one(x[0].log_softmax(args["dim"].as_i64().unwrap() as isize)),
        "layer_norm" => one(x[0].layer_norm(
            &usizes(&args["shape"]),
            get(1),
            get(2),
            args["eps"].as_f64().unwrap(),
        )),
        "group_norm" => one(x[0].group_norm(
            args["groups"].as_u64().unwrap() as usize,
            get(1),
            get(2),
            args["eps"].as_f64().unwrap(),
        )),
        "batch_norm" => {
            // Fresh copies: training updates the running statistics in place.
            let (rm, rv) = (x[1].deep_clone(), x[2].deep_clone());
            let y = x[0]
                .batch_norm(BatchNormArgs {
                    running_mean: Some(&rm),
                    running_var: Some(&rv),
                    weight: get(3),
                    bias: get(4),
                    training: args["training"].as_bool().unwrap(),
                    momentum: args["momentum"].as_f64().unwrap(),
                    eps: args["eps"].as_f64().unwrap(),
                })
                .unwrap();
            vec![y, rm, rv]
        }
        "add" => one(x[0].add(&x[1])),
        "sub" => one(x[0].sub(&x[1])),
        "mul" => one(x[0].mul(&x[1])),
        "div" => one(x[0].div(&x[1])),
        "maximum" => one(x[0].maximum(&x[1])),
        "minimum" => one(x[0].minimum(&x[1])),
        "sum" => one(x[0].sum()),
        "sum_dim" => one(x[0].sum_dim(args["dim"].as_i64().unwrap() as isize, false)),
        "mean_dim" => one(x[0].mean_dim(args["dim"].as_i64().unwrap() as isize, false)),
        other => panic!("no kernel for {other}"),
    }
}

/// (relative, absolute) tolerance for a dtype.
fn tolerance(d: DType) -> (f64, f64) {
    match d {
        DType::F32 | DType::F64 | DType::I64 => (1e-5, 1e-6),
        DType::F16 => (2e-3, 1e-3),
        _ => (1.6e-2, 1e-2),
    }
}

#[test]
fn kernels_match_torch() {
    let all = fixtures();
    let mut checked = 0;
    for case in all["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let inputs: Vec<Tensor> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        let got = run(case["op"].as_str().unwrap(), &inputs, &case["args"]);
        let want = case["outputs"].as_array().unwrap();
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            let wd = dtype(w["dtype"].as_str().unwrap());
            assert_eq!(g.dtype(), wd, "{name}[{k}] dtype");
            assert_eq!(g.shape(), usizes(&w["shape"]), "{name}[{k}] shape");
            // Element-wise arithmetic in f32/f64/i64 is bitwise torch's.
            let op = case["op"].as_str().unwrap();
            let exact = matches!(op, "add" | "sub" | "mul" | "div" | "maximum" | "minimum")
                && matches!(wd, DType::F32 | DType::F64 | DType::I64);
            // (JSON parsing may be an f64 ulp off, inputs included: f32 compares after
            // rounding, f64 with slack for that.)
            let (rel, abs) = if exact { (1e-12, 1e-12) } else { tolerance(wd) };
            let gv = g.to_vec_f64().unwrap();
            let wv: Vec<f64> = w["data"].as_array().unwrap().iter().map(num).collect();
            // The absolute part scales with the output's size: a sum of products in f32
            // that cancels to a small value carries the rounding of its large terms, in
            // torch's accumulation order as in ours.
            let rms = (wv.iter().map(|v| v * v).sum::<f64>() / wv.len().max(1) as f64).sqrt();
            let abs = abs * rms.max(1.0);
            for (i, (a, &b)) in gv.iter().zip(&wv).enumerate() {
                let ok = if exact && wd != DType::F64 {
                    (*a as f32).to_bits() == (b as f32).to_bits() || (a.is_nan() && b.is_nan())
                } else {
                    (a - b).abs() <= abs + rel * b.abs() || (a.is_nan() && b.is_nan())
                };
                assert!(ok, "{name}[{k}] element {i}: ours {a}, torch {b}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} outputs checked");
}

#[test]
fn threads_setting_is_deterministic() {
    let x = Tensor::from_vec(
        (0..64 * 300)
            .map(|i| ((i * 37 % 101) as f32) * 0.01 - 0.5)
            .collect::<Vec<_>>(),
        &[64, 300],
    )
    .unwrap();
    let w = x.narrow(0, 0, 50).unwrap();
    let before = pt::core::num_threads();
    pt::core::set_num_threads(2);
    let a = x.linear(&w, None).unwrap().softmax(-1).unwrap();
    let b = x.linear(&w, None).unwrap().softmax(-1).unwrap();
    assert!(a.equal(&b));
    pt::core::set_num_threads(before);
    assert_eq!(pt::core::num_threads(), before);
}
