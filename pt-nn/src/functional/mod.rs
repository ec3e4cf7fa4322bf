//! Functional forms of the layers (`torch.nn.functional`): stateless calls into pt-core's
//! kernels, which compute in the input's own dtype (f16/bf16 through f32).

mod activation;
mod attention;
mod conv;
mod dropout;
mod embedding;
mod interpolate;
mod linear;
mod norm;

pub use crate::layers::padding::{PadMode, pad};
pub use activation::{erf, gelu, gelu_tanh, log_softmax, relu, silu, softmax};
pub use attention::scaled_dot_product_attention;
pub use conv::{Conv1dOptions, Conv2dOptions, conv1d, conv2d};
pub use dropout::dropout;
pub use embedding::embedding;
pub use interpolate::{Resize, interpolate};
pub use linear::linear;
pub use norm::{BatchNormState, batch_norm, group_norm, layer_norm};
pub use pt_core::ops::Interpolation;
