//! `F.dropout`.

use pt_core::{DType, Error, Generator, Result, Tensor};

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
    if !x.dtype().is_floating_point() {
        return Err(Error::DType {
            op: "dropout",
            dtype: x.dtype(),
            detail: " (expected a floating-point tensor)".into(),
        });
    }
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    if p == 1.0 {
        return Ok(Tensor::zeros(x.shape(), x.dtype()));
    }
    let draws = Tensor::zeros(x.shape(), DType::F64);
    draws.uniform_(0.0, 1.0, generator)?;
    let scale = 1.0 / (1.0 - p);
    let mask: Vec<f64> = draws
        .to_vec::<f64>()?
        .into_iter()
        .map(|u| if u < p { 0.0 } else { scale })
        .collect();
    x.mul(&Tensor::from_vec(mask, x.shape())?.to_dtype(x.dtype())?)
}
