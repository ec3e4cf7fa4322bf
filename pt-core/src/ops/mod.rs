//! Tensor operations: constructors, conversions, element-wise arithmetic with PyTorch's
//! broadcasting and type promotion, reductions and matrix products.
//!
//! Every operation is a method of [`Tensor`](crate::Tensor); this module holds the kernels and the few
//! free-standing items ([`RoundingMode`], [`promote_types`], [`result_type`], …).

pub(crate) mod activation;
mod attention;
mod binary;
mod conv;
mod conv_transpose;
mod convert;
mod create;
mod index;
mod linear;
mod math;
mod matmul;
pub(crate) mod native;
mod norm;
mod pool;
pub(crate) mod promote;
mod reduce;
pub(crate) mod shape;
mod unary;
pub(crate) mod values;

pub use binary::RoundingMode;
pub use conv::{Conv1dOptions, Conv2dOptions};
pub use conv_transpose::{ConvTranspose1dOptions, ConvTranspose2dOptions};
pub use norm::BatchNormArgs;
pub use pool::{Interpolation, Pool2dOptions};
pub use promote::{Operand, can_cast, promote_types, result_type, scalar_type_name};

#[allow(unused_imports)]
pub(crate) use binary::check_no_internal_overlap;
