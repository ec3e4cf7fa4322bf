//! What the examples share: the fixtures PyTorch wrote, and comparing with its outputs.

use std::path::PathBuf;

use pt::core::{DType, Tensor};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// `tests/fixtures`, written by real PyTorch (`tests/python/make_fixtures.py`).
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The forward pass PyTorch recorded in `NAME.json`: its input and output, as float32.
pub fn recorded_forward(name: &str) -> Result<(Tensor, Tensor)> {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.json")))?;
    let meta: serde_json::Value = serde_json::from_str(&text)?;
    Ok((
        nested(&meta["forward"]["input"])?,
        nested(&meta["forward"]["output"])?,
    ))
}

/// The largest absolute elementwise difference; an error if the shapes differ.
pub fn max_abs_diff(got: &Tensor, want: &Tensor) -> Result<f64> {
    if got.shape() != want.shape() {
        return Err(format!("shape {:?} != {:?}", got.shape(), want.shape()).into());
    }
    Ok(got
        .to_vec_f64()?
        .iter()
        .zip(want.to_vec_f64()?)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max))
}

/// A nested JSON list of numbers as a float32 tensor.
fn nested(v: &serde_json::Value) -> Result<Tensor> {
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
