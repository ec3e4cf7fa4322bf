//! [`Linear`]: `y = x Wᵀ + b`.

use pt_core::{Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::module::Forward;
use crate::parameter::Parameter;
use crate::repr::py_bool;

/// Options of [`Linear`] beyond its sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinearOptions {
    /// Learn an additive bias (default `true`).
    pub bias: bool,
}

impl Default for LinearOptions {
    fn default() -> LinearOptions {
        LinearOptions { bias: true }
    }
}

/// A fully connected layer (`nn.Linear`): `weight` `(out_features, in_features)`,
/// `bias` `(out_features,)` or absent.
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Linear::describe")]
pub struct Linear {
    /// `(out_features, in_features)`.
    pub weight: Parameter,
    /// `(out_features,)`, `None` for `bias=False`.
    pub bias: Option<Parameter>,
    /// Size of each input sample.
    #[module(skip)]
    pub in_features: usize,
    /// Size of each output sample.
    #[module(skip)]
    pub out_features: usize,
    #[module(training)]
    training: bool,
}

impl Linear {
    /// `nn.Linear(in_features, out_features)` in float32 with a bias, initialised from the
    /// default generator (see [`init`](crate::init)).
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        Linear::with_options(in_features, out_features, LinearOptions::default())
    }

    /// `nn.Linear(in_features, out_features, bias=options.bias)`.
    pub fn with_options(in_features: usize, out_features: usize, options: LinearOptions) -> Linear {
        let weight = Tensor::zeros(&[out_features, in_features], pt_core::DType::F32);
        let bias = options
            .bias
            .then(|| Parameter::new(Tensor::zeros(&[out_features], pt_core::DType::F32)));
        let layer = Linear {
            weight: Parameter::new(weight),
            bias,
            in_features,
            out_features,
            training: true,
        };
        init::with_default_generator(|g| layer.init_with(g))
    }

    /// Re-draws the parameters from `generator` as PyTorch initialises them: weight from
    /// kaiming-uniform with `a = √5` (bound `1/√in_features`), then the bias from
    /// `U(±1/√in_features)`.
    pub fn init_with(mut self, generator: &mut Generator) -> Linear {
        let fan_in = self.in_features;
        self.weight = Parameter::new(init::kaiming_uniform(
            &[self.out_features, fan_in],
            fan_in,
            generator,
        ));
        if self.bias.is_some() {
            self.bias = Some(Parameter::new(init::fan_in_uniform(
                &[self.out_features],
                fan_in,
                generator,
            )));
        }
        self
    }

    /// A layer with the given weight `(out, in)` and bias `(out,)`.
    ///
    /// # Errors
    /// [`Error::Shape`] if the weight is not 2-D or the bias does not match it.
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>) -> Result<Linear> {
        let [out_features, in_features] = weight.shape()[..] else {
            return Err(Error::shape(
                "Linear",
                format!("weight must be 2-D, got {:?}", weight.shape()),
            ));
        };
        if let Some(b) = &bias
            && b.shape() != [out_features]
        {
            return Err(Error::shape(
                "Linear",
                format!("bias {:?} does not match {out_features} outputs", b.shape()),
            ));
        }
        Ok(Linear {
            weight: Parameter::new(weight),
            bias: bias.map(Parameter::new),
            in_features,
            out_features,
            training: true,
        })
    }

    fn describe(&self) -> String {
        format!(
            "in_features={}, out_features={}, bias={}",
            self.in_features,
            self.out_features,
            py_bool(self.bias.is_some())
        )
    }
}

impl Forward for Linear {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        functional::linear(input, &self.weight, self.bias.as_deref())
    }
}
