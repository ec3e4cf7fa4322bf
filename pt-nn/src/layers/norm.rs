//! [`LayerNorm`].

use pt_core::{DType, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::module::Forward;
use crate::parameter::Parameter;
use crate::repr::{py_bool, py_float};

/// Layer normalisation over the trailing `normalized_shape` dimensions (`nn.LayerNorm`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "LayerNorm::describe")]
pub struct LayerNorm {
    /// Ones of `normalized_shape`, if `elementwise_affine`.
    pub weight: Option<Parameter>,
    /// Zeros of `normalized_shape`, if `elementwise_affine` and `bias`.
    pub bias: Option<Parameter>,
    /// The trailing dimensions normalised over.
    #[module(skip)]
    pub normalized_shape: Vec<usize>,
    /// Added to the variance.
    #[module(skip)]
    pub eps: f64,
    #[module(training)]
    training: bool,
}

/// Options of [`LayerNorm`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerNormOptions {
    /// Added to the variance (1e-5).
    pub eps: f64,
    /// Learn a per-element scale (and bias) (true).
    pub elementwise_affine: bool,
    /// With `elementwise_affine`, learn the bias too (true).
    pub bias: bool,
}

impl Default for LayerNormOptions {
    fn default() -> LayerNormOptions {
        LayerNormOptions {
            eps: 1e-5,
            elementwise_affine: true,
            bias: true,
        }
    }
}

impl LayerNorm {
    /// `nn.LayerNorm(normalized_shape)` in float32: eps 1e-5, affine with a bias.
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        LayerNorm::with_options(normalized_shape, LayerNormOptions::default())
    }

    /// `nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias)`.
    pub fn with_options(normalized_shape: &[usize], options: LayerNormOptions) -> LayerNorm {
        let affine = options.elementwise_affine;
        LayerNorm {
            weight: affine.then(|| Parameter::new(Tensor::ones(normalized_shape, DType::F32))),
            bias: (affine && options.bias)
                .then(|| Parameter::new(Tensor::zeros(normalized_shape, DType::F32))),
            normalized_shape: normalized_shape.to_vec(),
            eps: options.eps,
            training: true,
        }
    }

    fn describe(&self) -> String {
        let dims: Vec<String> = self
            .normalized_shape
            .iter()
            .map(ToString::to_string)
            .collect();
        let shape = if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        };
        format!(
            "{shape}, eps={}, elementwise_affine={}, bias={}",
            py_float(self.eps),
            py_bool(self.weight.is_some()),
            py_bool(self.bias.is_some())
        )
    }
}

impl Forward for LayerNorm {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        functional::layer_norm(
            input,
            &self.normalized_shape,
            self.weight.as_deref(),
            self.bias.as_deref(),
            self.eps,
        )
    }
}
