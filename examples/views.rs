//! The "saving and loading tensors preserves views" walk-through of PyTorch's serialization
//! docs, in memory: views share one storage, an in-place write through a view shows in the
//! base, and a view keeps its whole storage alive while `deep_clone` (PyTorch's `.clone()`)
//! makes a compact copy. Every `>>>` line is the Python statement, and the lines after it
//! are exactly what PyTorch prints for it.
//!
//! Run with `cargo run --example views`.

use pt::core::{Result, Tensor};

/// Elements in the storage behind `t` (PyTorch's `t.storage().size()`).
fn storage_size(t: &Tensor) -> usize {
    t.storage().nbytes() / t.dtype().size()
}

fn main() -> Result<()> {
    println!(">>> numbers = torch.arange(1, 10)");
    let numbers = Tensor::arange(1, 10)?;
    println!(">>> evens = numbers[1::2]");
    let evens = numbers.slice(0, Some(1), None, 2)?;
    println!(">>> numbers");
    println!("{numbers}");
    println!(">>> evens");
    println!("{evens}");
    println!(">>> evens *= 2");
    evens.mul_scalar_(2)?;
    println!(">>> numbers");
    println!("{numbers}");
    println!(">>> evens.untyped_storage().data_ptr() == numbers.untyped_storage().data_ptr()");
    println!(
        "{}",
        if evens.shares_storage(&numbers) {
            "True"
        } else {
            "False"
        }
    );
    println!();

    println!(">>> large = torch.arange(1, 1000)");
    let large = Tensor::arange(1, 1000)?;
    println!(">>> small = large[0:5]");
    let small = large.slice(0, Some(0), Some(5), 1)?;
    println!(">>> small");
    println!("{small}");
    println!(">>> small.storage().size()");
    println!("{}", storage_size(&small));
    println!(">>> small.untyped_storage().nbytes()");
    println!("{}", small.storage().nbytes());
    println!(">>> small_clone = small.clone()");
    let small_clone = small.deep_clone();
    println!(">>> small_clone.storage().size()");
    println!("{}", storage_size(&small_clone));
    println!(">>> small_clone.untyped_storage().nbytes()");
    println!("{}", small_clone.storage().nbytes());
    Ok(())
}
