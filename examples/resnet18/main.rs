//! torchvision's ResNet-18 rebuilt from derived modules, loaded strictly from a
//! `torch.save`d state dict and checked against torch's output.
//!
//! ```text
//! python tests/python/resnet18_export.py DIR   # state.pt, io.pt, torch_ms.txt
//! cargo run --release --example resnet18 -- DIR
//! ```
//! Prints the largest difference from torch's logits and the median forward time for
//! batch 1 at 224×224 on one thread, next to torch's (measured by the script, one thread).

mod model;

use std::path::PathBuf;
use std::time::Instant;

use model::ResNet18;
use pt::core::{StateDict, Tensor, serialize};
use pt::nn::{Forward, LoadStateDictOptions, Module};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: resnet18 DIR (made by tests/python/resnet18_export.py DIR)");
        std::process::exit(2);
    };
    let state = serialize::Checkpoint::open(dir.join("state.pt"))?.state_dict()?;
    let mut model = ResNet18::new(1000);
    model.load_state_dict(&state, &LoadStateDictOptions::new())?;
    model.eval();
    let io: StateDict = serialize::Checkpoint::open(dir.join("io.pt"))?.state_dict()?;
    let tensor = |k: &str| -> Result<Tensor, Box<dyn std::error::Error>> {
        Ok(io
            .tensor(k)
            .ok_or_else(|| format!("io.pt has no {k:?}"))?
            .clone())
    };
    let (x, want) = (tensor("input")?, tensor("output")?);
    let got = model.forward(&x)?;
    let diff = got
        .to_vec_f64()?
        .iter()
        .zip(want.to_vec_f64()?)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("logits {:?}, max |ours - torch| = {diff:.3e}", got.shape());

    pt::core::set_num_threads(1);
    let one = x.narrow(0, 0, 1)?;
    model.forward(&one)?;
    let mut times: Vec<f64> = (0..10)
        .map(|_| {
            let t = Instant::now();
            model.forward(&one).map(|_| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    let ours = times[times.len() / 2];
    let torch: Option<f64> = std::fs::read_to_string(dir.join("torch_ms.txt"))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    match torch {
        Some(t) => println!(
            "batch 1 @ 224, 1 thread: ours {ours:.1} ms, torch {t:.1} ms (ratio {:.2})",
            ours / t
        ),
        None => println!("batch 1 @ 224, 1 thread: ours {ours:.1} ms"),
    }
    Ok(())
}
