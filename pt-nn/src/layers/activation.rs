//! Parameterless layers: [`ReLU`], [`GELU`], [`Dropout`], [`Flatten`].

use std::sync::Mutex;

use pt_core::{Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::module::Forward;
use crate::repr::{py_bool, py_float};

/// `max(x, 0)` (`nn.ReLU`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display)]
pub struct ReLU {
    #[module(training)]
    training: bool,
}

impl ReLU {
    /// The layer.
    pub fn new() -> ReLU {
        ReLU { training: true }
    }
}

impl Default for ReLU {
    fn default() -> ReLU {
        ReLU::new()
    }
}

impl Forward for ReLU {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        functional::relu(input)
    }
}

/// Gaussian error linear unit (`nn.GELU`): exact (erf) or with the tanh approximation.
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, name = "GELU", extra_repr = "Gelu::describe")]
pub struct Gelu {
    /// Use `approximate='tanh'`.
    #[module(skip)]
    pub tanh_approximation: bool,
    #[module(training)]
    training: bool,
}

/// PyTorch's spelling.
#[allow(clippy::upper_case_acronyms)]
pub type GELU = Gelu;

impl Gelu {
    /// Exact GELU (`approximate='none'`).
    pub fn new() -> Gelu {
        Gelu {
            tanh_approximation: false,
            training: true,
        }
    }

    /// GELU with `approximate='tanh'`.
    pub fn tanh() -> Gelu {
        Gelu {
            tanh_approximation: true,
            training: true,
        }
    }

    fn describe(&self) -> String {
        format!(
            "approximate='{}'",
            if self.tanh_approximation {
                "tanh"
            } else {
                "none"
            }
        )
    }
}

impl Default for Gelu {
    fn default() -> Gelu {
        Gelu::new()
    }
}

impl Forward for Gelu {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        if self.tanh_approximation {
            functional::gelu_tanh(input)
        } else {
            functional::gelu(input)
        }
    }
}

/// Zeroes elements with probability `p` in training and scales the rest by `1/(1-p)`
/// (`nn.Dropout`); the identity in eval mode.
#[derive(Module, Debug)]
#[module(crate = "crate", display, extra_repr = "Dropout::describe")]
pub struct Dropout {
    /// Probability of zeroing an element.
    #[module(skip)]
    pub p: f64,
    #[module(skip)]
    generator: Mutex<Generator>,
    #[module(training)]
    training: bool,
}

impl Dropout {
    /// `nn.Dropout(p)`, drawing its masks from a generator seeded from the default one.
    ///
    /// # Errors
    /// [`Error::Argument`] unless `0 ≤ p ≤ 1`.
    pub fn new(p: f64) -> Result<Dropout> {
        let seed = crate::init::with_default_generator(Generator::next_u64);
        Dropout::with_generator(p, Generator::new(seed))
    }

    /// A dropout layer drawing its masks from `generator`.
    ///
    /// # Errors
    /// [`Error::Argument`] unless `0 ≤ p ≤ 1`.
    pub fn with_generator(p: f64, generator: Generator) -> Result<Dropout> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::argument(
                "Dropout",
                format!("dropout probability has to be between 0 and 1, but got {p}"),
            ));
        }
        Ok(Dropout {
            p,
            generator: Mutex::new(generator),
            training: true,
        })
    }

    fn describe(&self) -> String {
        format!("p={}, inplace={}", py_float(self.p), py_bool(false))
    }
}

impl Forward for Dropout {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let mut g = self
            .generator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        functional::dropout(input, self.p, self.training, &mut g)
    }
}

/// Flattens dimensions `start_dim..=end_dim` into one (`nn.Flatten`, defaults 1 and -1).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Flatten::describe")]
pub struct Flatten {
    /// First dimension flattened.
    #[module(skip)]
    pub start_dim: isize,
    /// Last dimension flattened (negative counts from the end).
    #[module(skip)]
    pub end_dim: isize,
    #[module(training)]
    training: bool,
}

impl Flatten {
    /// `nn.Flatten(start_dim, end_dim)`.
    pub fn new(start_dim: isize, end_dim: isize) -> Flatten {
        Flatten {
            start_dim,
            end_dim,
            training: true,
        }
    }

    fn describe(&self) -> String {
        format!("start_dim={}, end_dim={}", self.start_dim, self.end_dim)
    }
}

impl Default for Flatten {
    fn default() -> Flatten {
        Flatten::new(1, -1)
    }
}

impl Forward for Flatten {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        input.flatten(self.start_dim, self.end_dim)
    }
}
