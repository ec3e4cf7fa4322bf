//! Parameter initialisation as PyTorch's layers do it (`torch.nn.init`).

use pt_core::{DType, Generator, Tensor};

/// `kaiming_uniform_(a = √5)` as `nn.Linear` and `nn.Conv2d` use it: with gain
/// `√(2 / (1 + a²))` and bound `gain · √(3 / fan_in)`, that is `U(±1/√fan_in)`.
/// A zero `fan_in` gives zeros.
pub fn kaiming_uniform(shape: &[usize], fan_in: usize, generator: &mut Generator) -> Tensor {
    fan_in_uniform(shape, fan_in, generator)
}

/// `U(±1/√fan_in)` in float32 (the bias init of Linear and Conv2d); zeros if
/// `fan_in` is 0.
pub fn fan_in_uniform(shape: &[usize], fan_in: usize, generator: &mut Generator) -> Tensor {
    let t = Tensor::zeros(shape, DType::F32);
    if fan_in > 0 {
        let bound = 1.0 / (fan_in as f64).sqrt();
        uniform(&t, -bound, bound, generator);
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

/// Fills `t` from `U(low, high)`.
fn uniform(t: &Tensor, low: f64, high: f64, generator: &mut Generator) {
    // A fresh float32 tensor with low < high always accepts a uniform fill.
    let _ = t.uniform_(low, high, generator);
}
