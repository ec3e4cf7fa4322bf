//! The PyTorch serialization docs' `MyModule` (`l0 = Linear(4, 2)`, `l1 = Linear(2, 1)`,
//! `forward = l1(relu(l0(x)))`) as a `#[derive(Module)]` struct: print it and its state
//! dict, save and reload it, load a checkpoint written by real PyTorch, and check the
//! forward pass against PyTorch's output.
//!
//! Run with `cargo run --example mymodule`.

use std::process::ExitCode;

use pt::core::serialize;
use pt::core::{Generator, Tensor};
use pt::nn::{Forward, LoadStateDictOptions, Module, functional, repr};

mod support;

#[derive(Module)]
struct MyModule {
    l0: pt::nn::Linear,
    l1: pt::nn::Linear,
}

impl MyModule {
    fn new(generator: &mut Generator) -> MyModule {
        MyModule {
            l0: pt::nn::Linear::new(4, 2, true, generator),
            l1: pt::nn::Linear::new(2, 1, true, generator),
        }
    }
}

impl Forward for MyModule {
    fn forward(&self, x: &Tensor) -> pt::core::Result<Tensor> {
        self.l1.forward(&functional::relu(&self.l0.forward(x)?)?)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let model = MyModule::new(&mut Generator::new(0));
    println!(">>> print(model)\n{}\n", model.display());
    println!(
        ">>> model.state_dict()\n{}\n",
        repr::state_dict(&model.state_dict())
    );

    // Save with pt's writer (torch.load(weights_only=True) opens the file) and load it back.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("model.pt");
    serialize::save_state_dict(&model.state_dict(), &path)?;
    let reloaded = serialize::Checkpoint::open(&path)?.state_dict()?;
    let mut fresh = MyModule::new(&mut Generator::new(1));
    let report = fresh.load_state_dict(&reloaded, &LoadStateDictOptions::new())?;
    println!(">>> new_model.load_state_dict(torch.load('model.pt'))\n{report}\n");

    // A checkpoint written by PyTorch itself.
    let torch_state =
        serialize::Checkpoint::open(support::fixtures().join("mymodule_state.pt"))?.state_dict()?;
    let report = fresh.load_state_dict(&torch_state, &LoadStateDictOptions::new())?;
    println!(">>> model.load_state_dict(<tests/fixtures/mymodule_state.pt>)\n{report}\n");

    // What a broken checkpoint looks like: every problem at once, plus hints.
    let mut broken = torch_state.clone();
    if let Some(bias) = broken.remove("l1.bias") {
        broken.insert_value("l1.bais", bias);
    }
    let error = MyModule::new(&mut Generator::new(2))
        .load_state_dict(&broken, &LoadStateDictOptions::new())
        .expect_err("a renamed key cannot load strictly");
    println!(">>> (the same checkpoint with l1.bias renamed to l1.bais)\n{error}\n");

    // Forward on PyTorch's recorded input; compare with its recorded output.
    let (x, want) = support::recorded_forward("mymodule_state")?;
    let got = fresh.forward(&x)?;
    println!(">>> model(x)\n{got}\n");
    let diff = support::max_abs_diff(&got, &want)?;
    let ok = diff <= 1e-6;
    println!(
        "max |rust - pytorch| = {diff:.3e} over {} outputs: {}",
        want.numel(),
        if ok { "OK (<= 1e-6)" } else { "MISMATCH" }
    );
    Ok(ok)
}
