//! More parameterless layers: [`Identity`], [`Sigmoid`], [`Tanh`], [`SiLU`],
//! [`LeakyReLU`], [`Hardtanh`], [`Softmax`], [`LogSoftmax`].

use pt_core::{Result, Tensor};

use crate::Module;
use crate::functional;
use crate::module::Forward;
use crate::repr::py_float;

macro_rules! simple {
    ($(#[$doc:meta])* $name:ident, $torch:literal, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, name = $torch)]
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
    /// Returns its input (`nn.Identity`).
    Identity, "Identity", |x| Ok(x.clone())
);
simple!(
    /// `1 / (1 + e^-x)` (`nn.Sigmoid`).
    Sigmoid, "Sigmoid", |x| x.sigmoid()
);
simple!(
    /// `tanh(x)` (`nn.Tanh`).
    Tanh, "Tanh", |x| x.tanh()
);
simple!(
    /// `x · sigmoid(x)` (`nn.SiLU`).
    SiLU, "SiLU", |x| functional::silu(x)
);

/// `max(0, x) + slope · min(0, x)` (`nn.LeakyReLU`, slope 0.01 by default).
#[derive(Module, Clone, Debug)]
#[module(
    crate = "crate",
    display,
    name = "LeakyReLU",
    extra_repr = "LeakyReLU::describe"
)]
pub struct LeakyReLU {
    /// Slope for negative inputs.
    #[module(skip)]
    pub negative_slope: f64,
    #[module(training)]
    training: bool,
}

impl LeakyReLU {
    /// `nn.LeakyReLU(negative_slope)`.
    pub fn new(negative_slope: f64) -> LeakyReLU {
        LeakyReLU {
            negative_slope,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!("negative_slope={}", py_float(self.negative_slope))
    }
}

impl Forward for LeakyReLU {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        // max(x, 0) + slope · min(x, 0) = relu(x) - slope · relu(-x)
        x.relu()?
            .sub(&x.neg()?.relu()?.mul_scalar(self.negative_slope)?)
    }
}

/// `clamp(x, min_val, max_val)` (`nn.Hardtanh`, -1 and 1 by default).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Hardtanh::describe")]
pub struct Hardtanh {
    /// Lower bound.
    #[module(skip)]
    pub min_val: f64,
    /// Upper bound.
    #[module(skip)]
    pub max_val: f64,
    #[module(training)]
    training: bool,
}

impl Hardtanh {
    /// `nn.Hardtanh(min_val, max_val)`.
    pub fn new(min_val: f64, max_val: f64) -> Hardtanh {
        Hardtanh {
            min_val,
            max_val,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!(
            "min_val={}, max_val={}",
            py_float(self.min_val),
            py_float(self.max_val)
        )
    }
}

impl Forward for Hardtanh {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.clamp(Some(self.min_val), Some(self.max_val))
    }
}

macro_rules! along_dim {
    ($(#[$doc:meta])* $name:ident, $f:path) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, extra_repr = "Self::describe")]
        pub struct $name {
            /// The dimension normalised over.
            #[module(skip)]
            pub dim: isize,
            #[module(training)]
            training: bool,
        }

        impl $name {
            /// The layer over dimension `dim`.
            pub fn new(dim: isize) -> $name {
                $name { dim, training: true }
            }
            fn describe(&self) -> String {
                format!("dim={}", self.dim)
            }
        }

        impl Forward for $name {
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                $f(x, self.dim)
            }
        }
    };
}

along_dim!(
    /// `exp(x) / Σ exp(x)` along `dim` (`nn.Softmax(dim)`).
    Softmax, functional::softmax
);
along_dim!(
    /// `log(softmax(x))` along `dim` (`nn.LogSoftmax(dim)`).
    LogSoftmax, functional::log_softmax
);
