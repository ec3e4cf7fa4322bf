//! Parameter initialisation as PyTorch's layers do it (`torch.nn.init`), and the default
//! generator layers draw from when none is given.
//!
//! Layers made with `new`/`with_options` draw from one process-wide generator, as PyTorch's
//! layers draw from its default generator; [`manual_seed`] makes that reproducible, and a
//! layer's `init_with(&mut generator)` re-draws its parameters from a generator of your own.

use std::sync::{Mutex, PoisonError};

use pt_core::{DType, Generator, Tensor};

/// The seed the default generator starts from.
const DEFAULT_SEED: u64 = 67_280_421_310_721;

static DEFAULT: Mutex<Option<Generator>> = Mutex::new(None);

/// Reseeds the default generator that layer constructors draw from (`torch.manual_seed`;
/// the draws are this crate's, not PyTorch's bit for bit).
pub fn manual_seed(seed: u64) {
    *DEFAULT.lock().unwrap_or_else(PoisonError::into_inner) = Some(Generator::new(seed));
}

/// Runs `f` with the default generator.
pub fn with_default_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    let mut guard = DEFAULT.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(|| Generator::new(DEFAULT_SEED)))
}

/// `kaiming_uniform_(a = √5)` as `nn.Linear` and `nn.Conv2d` use it: with gain
/// `√(2 / (1 + a²))` and bound `gain · √(3 / fan_in)`, that is `U(±1/√fan_in)`.
/// A zero `fan_in` gives zeros.
pub fn kaiming_uniform(shape: &[usize], fan_in: usize, generator: &mut Generator) -> Tensor {
    fan_in_uniform(shape, fan_in, generator)
}

/// `U(±1/√fan_in)` in float32 (the bias init of Linear and Conv2d); zeros if
/// `fan_in` is 0.
pub fn fan_in_uniform(shape: &[usize], fan_in: usize, generator: &mut Generator) -> Tensor {
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    };
    uniform(shape, bound, generator)
}

/// `U(±bound)` in float32 (the init of the recurrent layers, with `bound = 1/√hidden`);
/// zeros if `bound` is 0.
pub fn uniform(shape: &[usize], bound: f64, generator: &mut Generator) -> Tensor {
    let t = Tensor::zeros(shape, DType::F32);
    if bound > 0.0 {
        // A fresh float32 tensor with low < high always accepts a uniform fill.
        let _ = t.uniform_(-bound, bound, generator);
    }
    t
}

/// `N(0, 1)` in float32 (`nn.Embedding`'s init).
pub fn standard_normal(shape: &[usize], generator: &mut Generator) -> Tensor {
    let t = Tensor::zeros(shape, DType::F32);
    // A fresh float32 tensor always accepts a normal fill.
    let _ = t.normal_(0.0, 1.0, generator);
    t
}
