//! [`Linear`]: `y = x Wᵀ + b`.

use pt_core::{Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::module::Forward;
use crate::parameter::Parameter;
use crate::repr::py_bool;

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
    /// A float32 layer initialised like PyTorch: weight from kaiming-uniform with
    /// `a = √5` (bound `1/√in_features`), then the bias from `U(±1/√in_features)`.
    pub fn new(
        in_features: usize,
        out_features: usize,
        bias: bool,
        generator: &mut Generator,
    ) -> Linear {
        let weight = init::kaiming_uniform(&[out_features, in_features], in_features, generator);
        let bias = bias.then(|| init::fan_in_uniform(&[out_features], in_features, generator));
        Linear {
            weight: Parameter::new(weight),
            bias: bias.map(Parameter::new),
            in_features,
            out_features,
            training: true,
        }
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
