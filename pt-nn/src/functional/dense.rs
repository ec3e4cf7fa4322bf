//! Host-side `f64` copies of tensors for the kernels.

use pt_core::{DType, Error, Result, Tensor};

/// A row-major `f64` copy of a floating tensor, with its shape and original dtype.
pub(crate) struct Dense {
    pub(crate) data: Vec<f64>,
    pub(crate) shape: Vec<usize>,
    pub(crate) dtype: DType,
}

impl Dense {
    /// Reads a floating-point tensor.
    ///
    /// # Errors
    /// [`Error::DType`] for non-floating tensors.
    pub(crate) fn of(t: &Tensor, op: &'static str) -> Result<Dense> {
        if !t.dtype().is_floating_point() {
            return Err(Error::DType {
                op,
                dtype: t.dtype(),
                detail: " (expected a floating-point tensor)".into(),
            });
        }
        Ok(Dense {
            data: t.to_vec_f64()?,
            shape: t.shape().to_vec(),
            dtype: t.dtype(),
        })
    }

    /// Reads an optional tensor that must have `numel` elements (weights, biases).
    pub(crate) fn vector(
        t: Option<&Tensor>,
        numel: usize,
        op: &'static str,
        what: &str,
    ) -> Result<Option<Vec<f64>>> {
        let Some(t) = t else { return Ok(None) };
        let d = Dense::of(t, op)?;
        if d.data.len() != numel {
            return Err(Error::shape(
                op,
                format!("{what} has shape {:?}, expected {numel} elements", d.shape),
            ));
        }
        Ok(Some(d.data))
    }
}

/// A tensor of `dtype` from row-major `f64` values.
pub(crate) fn to_tensor(data: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let t = Tensor::from_vec(data, shape)?;
    if dtype == DType::F64 {
        Ok(t)
    } else {
        t.to_dtype(dtype)
    }
}

/// Product of a shape slice.
pub(crate) fn prod(dims: &[usize]) -> usize {
    dims.iter().product()
}
