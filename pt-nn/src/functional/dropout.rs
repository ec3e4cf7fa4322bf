//! `F.dropout`.

use pt_core::{DType, Error, Generator, Result, Tensor};

use super::dense::{Dense, to_tensor};

/// In training, zeroes each element with probability `p` and scales the others by
/// `1/(1-p)` (`F.dropout`); otherwise returns `x` unchanged (a handle to the same data).
///
/// # Errors
/// `p` outside `[0, 1]`; non-floating input.
pub fn dropout(x: &Tensor, p: f64, training: bool, generator: &mut Generator) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::argument(
            "dropout",
            format!("dropout probability has to be between 0 and 1, but got {p}"),
        ));
    }
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    let d = Dense::of(x, "dropout")?;
    if p == 1.0 {
        return to_tensor(vec![0.0; d.data.len()], &d.shape, d.dtype);
    }
    let draws = Tensor::zeros(&d.shape, DType::F64);
    draws.uniform_(0.0, 1.0, generator)?;
    let keep = draws.to_vec::<f64>()?;
    let scale = 1.0 / (1.0 - p);
    let data = d
        .data
        .iter()
        .zip(&keep)
        .map(|(v, u)| if *u < p { 0.0 } else { v * scale })
        .collect();
    to_tensor(data, &d.shape, d.dtype)
}
