//! Layers with PyTorch's names, parameter shapes, defaults, initialisation and numerics.

mod activation;
mod batchnorm;
mod conv;
mod embedding;
mod linear;
mod norm;

pub use activation::{Dropout, Flatten, GELU, Gelu, ReLU};
pub use batchnorm::{BatchNorm1d, BatchNorm2d, BatchNormOptions};
pub use conv::Conv2d;
pub use embedding::Embedding;
pub use linear::Linear;
pub use norm::LayerNorm;
