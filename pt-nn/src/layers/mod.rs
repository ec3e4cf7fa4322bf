//! Layers with PyTorch's names, parameter shapes, defaults, initialisation and numerics.
//! Each layer's options type sits next to it: `X::new(…)` takes the sizes, and
//! `X::with_options(…, XOptions { … })` the rest.

mod activation;
mod activations_extra;
mod activations_more;
mod attention;
mod batchnorm;
mod conv;
mod conv_transpose;
mod embedding;
mod linear;
mod norm;
mod norm_more;
pub(crate) mod padding;
mod pooling;
mod rnn;
mod rnn_cell;
mod upsample;

pub use activation::{Dropout, Flatten, GELU, Gelu, ReLU};
pub use activations_extra::{
    CELU, ELU, Hardsigmoid, Hardswish, Mish, PReLU, SELU, Softplus, Unflatten,
};
pub use activations_more::{
    Hardtanh, Identity, LeakyReLU, LogSoftmax, SiLU, Sigmoid, Softmax, Tanh,
};
pub use attention::{AttentionArgs, MultiheadAttention, MultiheadAttentionOptions};
pub use batchnorm::{BatchNorm1d, BatchNorm2d, BatchNormOptions};
pub use conv::{
    Conv1d, Conv1dOptions, Conv2d, Conv2dOptions, ConvPadding, KernelSize, PaddingMode,
};
pub use conv_transpose::{ConvTranspose1d, ConvTranspose2d, ConvTransposeOptions};
pub use embedding::{Embedding, EmbeddingOptions};
pub use linear::{Linear, LinearOptions};
pub use norm::{LayerNorm, LayerNormOptions};
pub use norm_more::{GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNormOptions, RMSNorm};
pub use padding::{
    ConstantPad1d, ConstantPad2d, PadMode, ReflectionPad1d, ReflectionPad2d, ReplicationPad1d,
    ReplicationPad2d, ZeroPad2d,
};
pub use pooling::{
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
    MaxPool2d,
};
pub use rnn::{GRU, LSTM, RNN, RNNOptions};
pub use rnn_cell::{GRUCell, LSTMCell, Nonlinearity, RNNCell, RNNCellOptions};
pub use upsample::Upsample;
