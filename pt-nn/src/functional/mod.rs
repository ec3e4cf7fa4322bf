//! Functional forms of the layers (`torch.nn.functional`): stateless kernels over
//! pt-core tensors. They compute in `f64` and return the input's floating dtype, so
//! results agree with PyTorch's `float32` ones to rounding.

mod activation;
mod conv;
mod dense;
mod dropout;
mod embedding;
mod linear;
mod norm;

pub use activation::{erf, gelu, gelu_tanh, relu, softmax};
pub use conv::{Conv1dOptions, Conv2dOptions, conv1d, conv2d};
pub use dropout::dropout;
pub use embedding::embedding;
pub use linear::linear;
pub use norm::{BatchNormState, batch_norm, layer_norm};
