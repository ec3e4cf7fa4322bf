//! Porting a checkpoint whose names differ from the Rust model's: a small CNN saved by
//! PyTorch from `nn.DataParallel(SmallCnn())` (every key starts with `module.`), loaded
//! into a Rust struct that calls its layers `stem`, `norm` and `head` instead of `conv`,
//! `bn` and `fc`. The first attempt shows the report and its hints; a `KeyMap` fixes it;
//! the forward pass is checked against PyTorch's recorded output.
//!
//! Run with `cargo run --example port_cnn`.

use pt::core::serialize;
use pt::core::{Generator, Tensor};
use pt::nn::functional::{self, Conv2dOptions};
use pt::nn::{BatchNorm2d, Conv2d, Forward, KeyMap, Linear, LoadStateDictOptions, Module};

mod support;

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
    let checkpoint =
        serialize::Checkpoint::open(support::fixtures().join("cnn_state.pt"))?.state_dict()?;
    println!(
        "checkpoint keys: {:?}\n",
        checkpoint.keys().collect::<Vec<_>>()
    );

    let mut net = Net::new(&mut Generator::new(0))?;
    println!("{}\n", net.display());

    // 1. Strip only the DataParallel prefix: the layer names still differ.
    let strip = LoadStateDictOptions::new().key_map(KeyMap::new().strip_prefix("module."));
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
    let report = net.load_state_dict(&checkpoint, &LoadStateDictOptions::new().key_map(map))?;
    println!("--- with the full key map:\n{report}\n");

    // 3. Same numbers as PyTorch (eval mode: BatchNorm uses the loaded running stats).
    net.eval();
    let (x, want) = support::recorded_forward("cnn_state")?;
    let got = net.forward(&x)?;
    println!("net(x) =\n{got}");
    let diff = support::max_abs_diff(&got, &want)?;
    println!(
        "max |rust - pytorch| = {diff:.3e} over {} outputs",
        want.numel()
    );
    if diff > 1e-5 {
        return Err(format!("forward differs from PyTorch by {diff}").into());
    }
    Ok(())
}
