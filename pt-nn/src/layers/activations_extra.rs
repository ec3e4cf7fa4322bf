//! The remaining activations: [`Mish`], [`ELU`], [`SELU`], [`CELU`], [`Softplus`],
//! [`Hardswish`], [`Hardsigmoid`], [`PReLU`] (a learned `weight`), and [`Unflatten`].
//! All are compositions of pt-core's element-wise kernels.

use pt_core::{DType, Error, Result, Tensor};

use crate::Module;
use crate::module::Forward;
use crate::parameter::Parameter;
use crate::repr::py_float;

/// `min(x, 0)`.
fn neg_part(x: &Tensor) -> Result<Tensor> {
    x.clamp(None, Some(0.0))
}

/// `alpha · (exp(min(x, 0) / alpha) − 1) + max(x, 0)`, the shared form of ELU and CELU.
fn elu(x: &Tensor, alpha: f64, inner: f64) -> Result<Tensor> {
    let n = neg_part(x)?.mul_scalar(inner)?.exp()?.add_scalar(-1.0)?;
    x.relu()?.add(&n.mul_scalar(alpha)?)
}

/// `log(1 + exp(beta·x)) / beta`, or `x` where `beta·x > threshold`.
fn softplus(x: &Tensor, beta: f64, threshold: f64) -> Result<Tensor> {
    let bx = x.mul_scalar(beta)?;
    // relu(bx) + log(1 + exp(-|bx|)) never overflows.
    let soft = bx
        .relu()?
        .add(&bx.abs()?.neg()?.exp()?.add_scalar(1.0)?.log()?)?
        .mul_scalar(1.0 / beta)?;
    // bx − threshold is nonzero exactly where they differ, so this mask is exact.
    let over = bx.add_scalar(-threshold)?.relu()?.to_dtype(DType::Bool)?;
    Tensor::where_cond(&over, x, &soft)
}

macro_rules! simple {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display)]
        pub struct $name {
            #[module(training)]
            training: bool,
        }

        impl $name {
            /// The layer.
            pub fn new() -> $name {
                $name { training: true }
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl Forward for $name {
            fn forward(&self, $x: &Tensor) -> Result<Tensor> {
                $body
            }
        }
    };
}

simple!(
    /// `x · tanh(softplus(x))` (`nn.Mish`).
    Mish, |x| x.mul(&softplus(x, 1.0, 20.0)?.tanh()?)
);
simple!(
    /// `scale · (max(0, x) + α · (exp(min(0, x)) − 1))` with PyTorch's constants
    /// (`nn.SELU`).
    SELU, |x| elu(x, 1.673_263_242_354_377_3, 1.0)?.mul_scalar(1.050_700_987_355_480_5)
);
simple!(
    /// `x · clamp(x + 3, 0, 6) / 6` (`nn.Hardswish`).
    Hardswish, |x| x.mul(&x.add_scalar(3.0)?.clamp(Some(0.0), Some(6.0))?)?.div_scalar(6.0)
);
simple!(
    /// `clamp(x + 3, 0, 6) / 6` (`nn.Hardsigmoid`).
    Hardsigmoid, |x| x.add_scalar(3.0)?.clamp(Some(0.0), Some(6.0))?.div_scalar(6.0)
);

macro_rules! with_alpha {
    ($(#[$doc:meta])* $name:ident, $torch:literal, $inner:expr) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, extra_repr = "Self::describe")]
        pub struct $name {
            /// Scale of the negative part.
            #[module(skip)]
            pub alpha: f64,
            #[module(training)]
            training: bool,
        }

        impl $name {
            #[doc = concat!("`nn.", $torch, "(alpha)` (PyTorch's default alpha is 1.0).")]
            pub fn new(alpha: f64) -> $name {
                $name { alpha, training: true }
            }
            fn describe(&self) -> String {
                format!("alpha={}", py_float(self.alpha))
            }
        }

        impl Forward for $name {
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                let inner: fn(f64) -> f64 = $inner;
                elu(x, self.alpha, inner(self.alpha))
            }
        }
    };
}

with_alpha!(
    /// `max(0, x) + α · (exp(min(0, x)) − 1)` (`nn.ELU`).
    ELU, "ELU", |_| 1.0
);
with_alpha!(
    /// `max(0, x) + min(0, α · (exp(x / α) − 1))` (`nn.CELU`).
    CELU, "CELU", |a| 1.0 / a
);

/// `log(1 + exp(β·x)) / β`, linear above `threshold` (`nn.Softplus`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Softplus::describe")]
pub struct Softplus {
    /// Sharpness (1.0).
    #[module(skip)]
    pub beta: f64,
    /// Above `beta·x > threshold` the output is `x` (20.0).
    #[module(skip)]
    pub threshold: f64,
    #[module(training)]
    training: bool,
}

impl Softplus {
    /// `nn.Softplus(beta, threshold)`.
    pub fn new(beta: f64, threshold: f64) -> Softplus {
        Softplus {
            beta,
            threshold,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!(
            "beta={}, threshold={}",
            py_float(self.beta),
            py_float(self.threshold)
        )
    }
}

impl Forward for Softplus {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        softplus(x, self.beta, self.threshold)
    }
}

/// `max(0, x) + w · min(0, x)` with a learned slope per channel (`nn.PReLU`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "PReLU::describe")]
pub struct PReLU {
    /// Slopes `(num_parameters,)`, `init` everywhere at first.
    pub weight: Parameter,
    #[module(training)]
    training: bool,
}

impl PReLU {
    /// `nn.PReLU(num_parameters, init)` (PyTorch's defaults are 1 and 0.25).
    pub fn new(num_parameters: usize, init: f64) -> Result<PReLU> {
        let w = Tensor::ones(&[num_parameters], DType::F32).mul_scalar(init)?;
        Ok(PReLU {
            weight: Parameter::new(w),
            training: true,
        })
    }
    fn describe(&self) -> String {
        format!("num_parameters={}", self.weight.numel())
    }
}

impl Forward for PReLU {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let p = self.weight.numel();
        let w: Tensor = if p == 1 {
            self.weight.reshape(&[])?
        } else {
            // The channel dimension is 1, or 0 for a 1-D input.
            let ch = usize::from(x.dim() >= 2);
            if x.dim() == 0 || x.shape()[ch] != p {
                return Err(Error::shape(
                    "PReLU",
                    format!(
                        "{p} slopes do not match the channels of input {:?}",
                        x.shape()
                    ),
                ));
            }
            let mut shape = vec![1isize; x.dim() - ch];
            shape[0] = p as isize;
            self.weight.reshape(&shape)?
        };
        x.relu()?.add(&neg_part(x)?.mul(&w)?)
    }
}

/// Splits dimension `dim` into `sizes` (`nn.Unflatten`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Unflatten::describe")]
pub struct Unflatten {
    /// The dimension split (negative counts from the end).
    #[module(skip)]
    pub dim: isize,
    /// Its new sizes; their product must equal its length.
    #[module(skip)]
    pub sizes: Vec<usize>,
    #[module(training)]
    training: bool,
}

impl Unflatten {
    /// `nn.Unflatten(dim, unflattened_size)`.
    pub fn new(dim: isize, sizes: &[usize]) -> Unflatten {
        Unflatten {
            dim,
            sizes: sizes.to_vec(),
            training: true,
        }
    }
    fn describe(&self) -> String {
        let s: Vec<String> = self.sizes.iter().map(ToString::to_string).collect();
        let s = if s.len() == 1 {
            format!("({},)", s[0])
        } else {
            format!("({})", s.join(", "))
        };
        format!("dim={}, unflattened_size={s}", self.dim)
    }
}

impl Forward for Unflatten {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let n = x.dim() as isize;
        let d = if self.dim < 0 { self.dim + n } else { self.dim };
        if d < 0 || d >= n {
            return Err(Error::shape(
                "Unflatten",
                format!("dim {} out of range for input {:?}", self.dim, x.shape()),
            ));
        }
        let d = d as usize;
        if self.sizes.iter().product::<usize>() != x.shape()[d] {
            return Err(Error::shape(
                "Unflatten",
                format!(
                    "sizes {:?} do not multiply to dimension {d} of input {:?}",
                    self.sizes,
                    x.shape()
                ),
            ));
        }
        let mut shape: Vec<isize> = x.shape()[..d].iter().map(|&s| s as isize).collect();
        shape.extend(self.sizes.iter().map(|&s| s as isize));
        shape.extend(x.shape()[d + 1..].iter().map(|&s| s as isize));
        x.reshape(&shape)
    }
}
