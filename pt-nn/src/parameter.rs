//! [`Parameter`]: a tensor that is a learnable part of a module.

use std::fmt;
use std::ops::{Deref, DerefMut};

use pt_core::Tensor;

/// A learnable tensor of a module (PyTorch's `nn.Parameter`).
///
/// It is a [`Tensor`] handle whose `requires_grad` flag is `true` unless asked otherwise;
/// it dereferences to the tensor, so every tensor method works on it. Cloning shares the
/// storage, like cloning a [`Tensor`].
#[derive(Clone, Debug)]
pub struct Parameter {
    tensor: Tensor,
}

impl Parameter {
    /// Wraps `tensor` as a parameter with `requires_grad = true` (shares its storage).
    pub fn new(tensor: Tensor) -> Parameter {
        Parameter::with_requires_grad(tensor, true)
    }

    /// Wraps `tensor` with the given `requires_grad` flag.
    pub fn with_requires_grad(tensor: Tensor, requires_grad: bool) -> Parameter {
        Parameter {
            tensor: tensor.with_requires_grad(requires_grad),
        }
    }

    /// The tensor handle.
    pub fn tensor(&self) -> &Tensor {
        &self.tensor
    }

    /// Unwraps into the tensor handle (keeps `requires_grad`).
    pub fn into_tensor(self) -> Tensor {
        self.tensor
    }

    /// Replaces the tensor this parameter holds, keeping this parameter's `requires_grad`
    /// (what `load_state_dict(assign=True)` does).
    pub fn set_data(&mut self, tensor: Tensor) {
        let rg = self.tensor.requires_grad();
        self.tensor = tensor.with_requires_grad(rg);
    }
}

impl Deref for Parameter {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        &self.tensor
    }
}

impl DerefMut for Parameter {
    fn deref_mut(&mut self) -> &mut Tensor {
        &mut self.tensor
    }
}

impl From<Tensor> for Parameter {
    fn from(tensor: Tensor) -> Parameter {
        Parameter::new(tensor)
    }
}

impl AsRef<Tensor> for Parameter {
    fn as_ref(&self) -> &Tensor {
        &self.tensor
    }
}

impl fmt::Display for Parameter {
    /// `Parameter containing:` and the tensor, as PyTorch prints a parameter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Parameter containing:")?;
        crate::repr::fmt_tensor(&self.tensor, f)
    }
}
