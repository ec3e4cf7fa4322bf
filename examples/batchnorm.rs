//! The PyTorch serialization docs' BatchNorm1d session, in Rust:
//!
//! ```python
//! >>> bn = torch.nn.BatchNorm1d(3, track_running_stats=True)
//! >>> list(bn.named_parameters())
//! >>> list(bn.named_buffers())
//! >>> bn.state_dict()
//! >>> torch.save(bn.state_dict(), 'bn.pt')
//! >>> new_bn = torch.nn.BatchNorm1d(3, track_running_stats=True)
//! >>> new_bn.load_state_dict(torch.load('bn.pt'))
//! <All keys matched successfully>
//! ```
//!
//! then a version-1 checkpoint (saved before `num_batches_tracked` existed) written by
//! PyTorch. Run with `cargo run --example batchnorm`.

use std::path::Path;

use pt::core::serialize;
use pt::core::{DType, Tensor};
use pt::nn::{BatchNorm1d, Forward, LoadStateDictOptions, Module, repr};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut bn = BatchNorm1d::new(3);
    println!(">>> bn = torch.nn.BatchNorm1d(3, track_running_stats=True)");
    println!(">>> bn\n{bn}");
    println!(
        ">>> list(bn.named_parameters())\n{}",
        repr::named_list(&bn.named_parameters())
    );
    println!(
        ">>> list(bn.named_buffers())\n{}",
        repr::named_list(&bn.named_buffers(true))
    );
    println!(
        ">>> bn.state_dict()\n{}",
        repr::state_dict(&bn.state_dict())
    );

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bn.pt");
    serialize::save_state_dict(&bn.state_dict(), &path)?;
    println!(">>> torch.save(bn.state_dict(), 'bn.pt')");
    let bn_state_dict = serialize::Checkpoint::open(&path)?.state_dict()?;
    println!(">>> bn_state_dict = torch.load('bn.pt')");
    let mut new_bn = BatchNorm1d::new(3);
    println!(">>> new_bn = torch.nn.BatchNorm1d(3, track_running_stats=True)");
    println!(
        ">>> new_bn.load_state_dict(bn_state_dict)\n{}",
        new_bn.load_state_dict(&bn_state_dict, &LoadStateDictOptions::new())?
    );

    // One training step moves the running statistics and counts the batch.
    let x = Tensor::from_vec(
        vec![
            1.0f32, 2.0, 3.0, 4.0, 0.0, -1.0, 0.5, 0.5, 2.0, 3.0, -2.0, 1.0,
        ],
        &[4, 3],
    )?;
    let y = bn.forward(&x)?;
    println!("\n>>> bn(x)  # training mode: batch statistics\n{y}");
    println!(">>> bn.running_mean, bn.running_var, bn.num_batches_tracked");
    for (name, buffer) in bn.named_buffers(true) {
        println!("{name}: {buffer}");
    }

    // A checkpoint from the time BatchNorm's state-dict version was 1: it has no
    // num_batches_tracked, which loading keeps at the module's value, unreported.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/batchnorm_v1_state.pt");
    let old = serialize::Checkpoint::open(&fixture)?.state_dict()?;
    println!(
        "\n>>> old = torch.load('batchnorm_v1_state.pt')  # _metadata version {:?}, keys {:?}",
        old.module_version(""),
        old.keys().collect::<Vec<_>>()
    );
    let report = bn.load_state_dict(&old, &LoadStateDictOptions::new())?;
    println!(">>> bn.load_state_dict(old)\n{report}");
    let count = bn
        .num_batches_tracked()
        .map(|t| t.to_dtype(DType::I64))
        .transpose()?;
    println!(
        "num_batches_tracked kept: {}",
        count.map_or_else(|| "-".to_owned(), |t| t.to_string())
    );
    bn.eval();
    println!(">>> bn.eval(); bn(x)\n{}", bn.forward(&x)?);
    Ok(())
}
