//! Porting a checkpoint whose names differ from the Rust model's: a small CNN saved by
//! PyTorch from `nn.DataParallel(SmallCnn())` (every key starts with `module.`), loaded
//! into a Rust struct that calls its layers `stem`, `norm` and `head` instead of `conv`,
//! `bn` and `fc`. The first attempt shows the report and its hints; a `KeyMap` fixes it;
//! the forward pass is checked against PyTorch's recorded output.
//!
//! Run with `cargo run --example port_cnn`.

use std::path::Path;

use pt::core::serialize;
use pt::core::{DType, Generator, Tensor};
use pt::nn::functional::{self, Conv2dOptions};
use pt::nn::{BatchNorm2d, Conv2d, Forward, KeyMap, Linear, LoadOptions, Module};

/// PyTorch: conv = Conv2d(1, 4, 3, padding=1); bn = BatchNorm2d(4); fc = Linear(144, 3);
/// forward = fc(flatten(relu(bn(conv(x))), 1)).
#[derive(Module)]
#[module(name = "SmallCnn")]
struct Net {
    stem: Conv2d,
    norm: BatchNorm2d,
    head: Linear,
}

impl Net {
    fn new(g: &mut Generator) -> Result<Net, pt::core::Error> {
        let padded = Conv2dOptions {
            padding: (1, 1),
            ..Conv2dOptions::default()
        };
        Ok(Net {
            stem: Conv2d::new(1, 4, (3, 3), padded, true, g)?,
            norm: BatchNorm2d::new(4),
            head: Linear::new(4 * 6 * 6, 3, true, g),
        })
    }
}

impl Forward for Net {
    fn forward(&self, x: &Tensor) -> pt::core::Result<Tensor> {
        let h = functional::relu(&self.norm.forward(&self.stem.forward(x)?)?)?;
        self.head.forward(&h.flatten(1, -1)?)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let checkpoint = serialize::load_state_dict(fixtures.join("cnn_state.pt"), None)?;
    println!(
        "checkpoint keys: {:?}\n",
        checkpoint.keys().collect::<Vec<_>>()
    );

    let mut net = Net::new(&mut Generator::new(0))?;
    println!("{}\n", net.display());

    // 1. Strip only the DataParallel prefix: the layer names still differ.
    let strip = LoadOptions::new().key_map(KeyMap::new().strip_prefix("module."));
    match net.load_state_dict(&checkpoint, &strip) {
        Ok(report) => println!("unexpectedly loaded: {report}"),
        Err(e) => println!("--- with strip_prefix(\"module.\") only:\n{e}\n"),
    }

    // 2. The full map: strip the prefix, then rename the layers.
    let map = KeyMap::new()
        .strip_prefix("module.")
        .rename(r"^conv\.", "stem.")
        .rename(r"^bn\.", "norm.")
        .rename(r"^fc\.", "head.");
    let report = net.load_state_dict(&checkpoint, &LoadOptions::new().key_map(map))?;
    println!("--- with the full key map:\n{report}\n");

    // 3. Same numbers as PyTorch (eval mode: BatchNorm uses the loaded running stats).
    net.eval();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("cnn_state.json"))?)?;
    let x = nested(&meta["forward"]["input"])?;
    let want = nested(&meta["forward"]["output"])?;
    let got = net.forward(&x)?;
    println!("net(x) =\n{got}");
    let diff = got
        .to_vec_f64()?
        .iter()
        .zip(want.to_vec_f64()?)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f64, f64::max);
    println!(
        "max |rust - pytorch| = {diff:.3e} over {} outputs",
        want.numel()
    );
    if diff > 1e-5 || got.shape() != want.shape() {
        return Err(format!("forward differs from PyTorch by {diff}").into());
    }
    Ok(())
}

/// A nested JSON list of numbers as a float32 tensor.
fn nested(v: &serde_json::Value) -> Result<Tensor, Box<dyn std::error::Error>> {
    fn walk(
        v: &serde_json::Value,
        depth: usize,
        shape: &mut Vec<usize>,
        out: &mut Vec<f64>,
    ) -> Option<()> {
        match v {
            serde_json::Value::Array(items) => {
                if shape.len() == depth {
                    shape.push(items.len());
                }
                items
                    .iter()
                    .try_for_each(|i| walk(i, depth + 1, shape, out))
            }
            other => {
                out.push(other.as_f64()?);
                Some(())
            }
        }
    }
    let (mut shape, mut data) = (Vec::new(), Vec::new());
    walk(v, 0, &mut shape, &mut data).ok_or("fixture JSON: expected nested lists of numbers")?;
    Ok(Tensor::from_vec(data, &shape)?.to_dtype(DType::F32)?)
}
