//! PyTorch's serialization notes, "Saving and loading tensors" and "Saving and loading
//! tensors preserves views", in Rust. Each step prints what the Python session prints.
//!
//! `cargo run --example save_load`

use pt::core::serialize::{self, LoadOptions};
use pt::core::{Dict, DictKind, Tensor, Value};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn tensor(v: &Value) -> Result<&Tensor> {
    v.as_tensor().ok_or_else(|| "expected a tensor".into())
}

fn main() -> Result<()> {
    let dir = tempfile_dir()?;
    let path = |name: &str| dir.join(name);

    // >>> t = torch.tensor([1., 2.])
    // >>> torch.save(t, 'tensor.pt')
    // >>> torch.load('tensor.pt')
    let t = Tensor::from_slice_1d(&[1.0f32, 2.0]);
    serialize::save(&t.into(), path("tensor.pt"))?;
    println!("{}", tensor(&serialize::load(path("tensor.pt"))?)?);

    // >>> d = {'a': torch.tensor([1., 2.]), 'b': torch.tensor([3., 4.])}
    // >>> torch.save(d, 'tensor_dict.pt')
    // >>> torch.load('tensor_dict.pt')
    let mut d = Dict::new(DictKind::Plain);
    d.insert("a", Tensor::from_slice_1d(&[1.0f32, 2.0]));
    d.insert("b", Tensor::from_slice_1d(&[3.0f32, 4.0]));
    serialize::save(&Value::Dict(d), path("tensor_dict.pt"))?;
    let loaded = serialize::load(path("tensor_dict.pt"))?;
    let items: Vec<String> = loaded
        .as_dict()
        .ok_or("expected a dict")?
        .items
        .iter()
        .map(|(k, v)| Ok(format!("'{k}': {}", tensor(v)?)))
        .collect::<Result<_>>()?;
    println!("{{{}}}", items.join(", "));

    // Saving and loading tensors preserves views.
    // >>> numbers = torch.arange(1, 10)
    // >>> evens = numbers[1::2]
    // >>> torch.save([numbers, evens], 'tensors.pt')
    // >>> loaded_numbers, loaded_evens = torch.load('tensors.pt')
    // >>> loaded_evens *= 2
    // >>> loaded_numbers
    let numbers = Tensor::arange(1, 10)?;
    let evens = numbers.slice(0, Some(1), None, 2)?;
    serialize::save(
        &Value::List(vec![numbers.into(), evens.into()]),
        path("tensors.pt"),
    )?;
    let loaded = serialize::load(path("tensors.pt"))?;
    let [loaded_numbers, loaded_evens] = loaded.as_seq().ok_or("expected a list")? else {
        return Err("expected two tensors".into());
    };
    tensor(loaded_evens)?.mul_scalar_(2)?;
    println!("{}", tensor(loaded_numbers)?);

    // >>> large = torch.arange(1, 1000)
    // >>> small = large[0:5]
    // >>> torch.save(small, 'small.pt')
    // >>> loaded_small = torch.load('small.pt')
    // >>> loaded_small.storage().size()
    let large = Tensor::arange(1, 1000)?;
    let small = large.slice(0, Some(0), Some(5), 1)?;
    serialize::save(&small.clone().into(), path("small.pt"))?;
    let loaded_small = serialize::load(path("small.pt"))?;
    println!("{}", storage_size(tensor(&loaded_small)?));

    // >>> torch.save(small.clone(), 'small.pt')  # saves a clone of small
    // >>> loaded_small = torch.load('small.pt')
    // >>> loaded_small.storage().size()
    serialize::save(&small.deep_clone().into(), path("small.pt"))?;
    let loaded_small =
        serialize::Checkpoint::open_with(path("small.pt"), &LoadOptions::new())?.value()?;
    println!("{}", storage_size(tensor(&loaded_small)?));

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// `t.storage().size()`: elements of the whole storage.
fn storage_size(t: &Tensor) -> usize {
    t.storage().nbytes() / t.dtype().size()
}

/// A fresh directory under the system temp dir.
fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("pt-save-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
