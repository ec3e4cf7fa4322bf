//! [`GroupNorm`], [`InstanceNorm1d`], [`InstanceNorm2d`] and [`RMSNorm`].

use pt_core::ops::BatchNormArgs;
use pt_core::{DType, Error, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::module::Forward;
use crate::parameter::Parameter;
use crate::repr::{py_bool, py_float};

/// Group normalisation of `(N, C, …)` input in `num_groups` groups (`nn.GroupNorm`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "GroupNorm::describe")]
pub struct GroupNorm {
    /// Ones of `(C,)`, if affine.
    pub weight: Option<Parameter>,
    /// Zeros of `(C,)`, if affine.
    pub bias: Option<Parameter>,
    /// Groups the channels split into.
    #[module(skip)]
    pub num_groups: usize,
    /// Channels.
    #[module(skip)]
    pub num_channels: usize,
    /// Added to the variance.
    #[module(skip)]
    pub eps: f64,
    #[module(training)]
    training: bool,
}

impl GroupNorm {
    /// `nn.GroupNorm(num_groups, num_channels, eps, affine)`.
    ///
    /// # Errors
    /// `num_groups` zero or not dividing `num_channels`.
    pub fn new(
        num_groups: usize,
        num_channels: usize,
        eps: f64,
        affine: bool,
    ) -> Result<GroupNorm> {
        if num_groups == 0 || !num_channels.is_multiple_of(num_groups) {
            return Err(Error::argument(
                "GroupNorm",
                format!(
                    "num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
                ),
            ));
        }
        Ok(GroupNorm {
            weight: affine.then(|| Parameter::new(Tensor::ones(&[num_channels], DType::F32))),
            bias: affine.then(|| Parameter::new(Tensor::zeros(&[num_channels], DType::F32))),
            num_groups,
            num_channels,
            eps,
            training: true,
        })
    }
    fn describe(&self) -> String {
        format!(
            "{}, {}, eps={}, affine={}",
            self.num_groups,
            self.num_channels,
            py_float(self.eps),
            py_bool(self.weight.is_some())
        )
    }
}

impl Forward for GroupNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        functional::group_norm(
            x,
            self.num_groups,
            self.weight.as_deref(),
            self.bias.as_deref(),
            self.eps,
        )
    }
}

/// Root-mean-square normalisation over the trailing `normalized_shape` (`nn.RMSNorm`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "RMSNorm::describe")]
pub struct RMSNorm {
    /// Ones of `normalized_shape`, if `elementwise_affine`.
    pub weight: Option<Parameter>,
    /// The trailing dimensions normalised over.
    #[module(skip)]
    pub normalized_shape: Vec<usize>,
    /// Added to the mean square; `None` is the input dtype's machine epsilon.
    #[module(skip)]
    pub eps: Option<f64>,
    #[module(training)]
    training: bool,
}

impl RMSNorm {
    /// `nn.RMSNorm(normalized_shape, eps, elementwise_affine)`.
    pub fn new(normalized_shape: &[usize], eps: Option<f64>, elementwise_affine: bool) -> RMSNorm {
        RMSNorm {
            weight: elementwise_affine
                .then(|| Parameter::new(Tensor::ones(normalized_shape, DType::F32))),
            normalized_shape: normalized_shape.to_vec(),
            eps,
            training: true,
        }
    }
    fn describe(&self) -> String {
        let dims: Vec<String> = self
            .normalized_shape
            .iter()
            .map(ToString::to_string)
            .collect();
        let shape = if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        };
        format!(
            "{shape}, eps={}, elementwise_affine={}",
            self.eps.map_or_else(|| "None".to_owned(), py_float),
            py_bool(self.weight.is_some())
        )
    }
}

impl Forward for RMSNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let k = self.normalized_shape.len();
        if x.dim() < k || x.shape()[x.dim() - k..] != self.normalized_shape[..] {
            return Err(Error::shape(
                "RMSNorm",
                format!(
                    "input {:?} does not end in normalized_shape {:?}",
                    x.shape(),
                    self.normalized_shape
                ),
            ));
        }
        let eps = self.eps.unwrap_or(match x.dtype() {
            DType::F64 => f64::EPSILON,
            DType::F16 => 0.000_976_562_5,
            DType::BF16 => 0.007_812_5,
            _ => f64::from(f32::EPSILON),
        });
        let dims: Vec<isize> = (1..=k as isize).map(|d| -d).collect();
        let y = x.mul(&x.mul(x)?.mean_dims(&dims, true)?.add_scalar(eps)?.rsqrt()?)?;
        match &self.weight {
            Some(w) => y.mul(w),
            None => Ok(y),
        }
    }
}

/// Options of [`InstanceNorm1d`] / [`InstanceNorm2d`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceNormOptions {
    /// Added to the variance (1e-5).
    pub eps: f64,
    /// Running-statistics momentum (0.1); `None` leaves them unchanged, as in PyTorch.
    pub momentum: Option<f64>,
    /// Learn a per-channel scale and bias (false).
    pub affine: bool,
    /// Keep running statistics, used in eval (false).
    pub track_running_stats: bool,
}

impl Default for InstanceNormOptions {
    fn default() -> InstanceNormOptions {
        InstanceNormOptions {
            eps: 1e-5,
            momentum: Some(0.1),
            affine: false,
            track_running_stats: false,
        }
    }
}

macro_rules! instance_norm {
    ($(#[$doc:meta])* $name:ident, $torch:literal, $rank:literal) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, extra_repr = "Self::describe")]
        pub struct $name {
            /// Ones of `(C,)`, if affine.
            pub weight: Option<Parameter>,
            /// Zeros of `(C,)`, if affine.
            pub bias: Option<Parameter>,
            /// Per-channel running mean, if tracking.
            #[module(buffer)]
            pub running_mean: Option<Tensor>,
            /// Per-channel running variance, if tracking.
            #[module(buffer)]
            pub running_var: Option<Tensor>,
            /// Present when tracking (PyTorch's key); instance norm never advances it.
            #[module(buffer)]
            pub num_batches_tracked: Option<Tensor>,
            /// Channels.
            #[module(skip)]
            pub num_features: usize,
            /// The options it was built with.
            #[module(skip)]
            pub options: InstanceNormOptions,
            #[module(training)]
            training: bool,
        }

        impl $name {
            #[doc = concat!("`nn.", $torch, "(num_features)`: no affine, no running statistics.")]
            pub fn new(num_features: usize) -> $name {
                $name::with_options(num_features, InstanceNormOptions::default())
            }

            #[doc = concat!("`nn.", $torch, "(num_features, eps, momentum, affine, track_running_stats)`.")]
            pub fn with_options(num_features: usize, options: InstanceNormOptions) -> $name {
                let c = [num_features];
                let track = options.track_running_stats;
                $name {
                    weight: options.affine.then(|| Parameter::new(Tensor::ones(&c, DType::F32))),
                    bias: options.affine.then(|| Parameter::new(Tensor::zeros(&c, DType::F32))),
                    running_mean: track.then(|| Tensor::zeros(&c, DType::F32)),
                    running_var: track.then(|| Tensor::ones(&c, DType::F32)),
                    num_batches_tracked: track.then(|| Tensor::scalar(0i64)),
                    num_features,
                    options,
                    training: true,
                }
            }

            fn describe(&self) -> String {
                let o = &self.options;
                format!(
                    "{}, eps={}, momentum={}, affine={}, track_running_stats={}",
                    self.num_features,
                    py_float(o.eps),
                    o.momentum.map_or_else(|| "None".to_owned(), py_float),
                    py_bool(o.affine),
                    py_bool(o.track_running_stats)
                )
            }
        }

        impl Forward for $name {
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                if x.dim() == $rank + 1 {
                    return self.forward(&x.unsqueeze(0)?)?.squeeze_dim(0);
                }
                if x.dim() != $rank + 2 {
                    return Err(Error::shape(
                        $torch,
                        format!("expected {}-D or {}-D input, got {:?}", $rank + 1, $rank + 2, x.shape()),
                    ));
                }
                instance_norm(
                    x,
                    self.training,
                    &self.options,
                    [self.weight.as_deref(), self.bias.as_deref()],
                    [self.running_mean.as_ref(), self.running_var.as_ref()],
                )
            }
        }
    };
}

instance_norm!(
    /// Instance normalisation of `(N, C, L)` or `(C, L)` input (`nn.InstanceNorm1d`).
    InstanceNorm1d, "InstanceNorm1d", 1
);
instance_norm!(
    /// Instance normalisation of `(N, C, H, W)` or `(C, H, W)` input (`nn.InstanceNorm2d`).
    InstanceNorm2d, "InstanceNorm2d", 2
);

/// `F.instance_norm` on `(N, C, …)`: batch norm of the `(1, N·C, …)` view, running
/// statistics repeated per sample and averaged back over the batch.
fn instance_norm(
    x: &Tensor,
    training: bool,
    o: &InstanceNormOptions,
    [weight, bias]: [Option<&Tensor>; 2],
    [rm, rv]: [Option<&Tensor>; 2],
) -> Result<Tensor> {
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let use_input_stats = training || rm.is_none();
    let repeat = |t: Option<&Tensor>| -> Result<Option<Tensor>> {
        t.map(|t| Tensor::cat(&vec![t.clone(); n], 0)).transpose()
    };
    let (w, b) = (repeat(weight)?, repeat(bias)?);
    let (rm_r, rv_r) = (repeat(rm)?, repeat(rv)?);
    // As PyTorch's `_InstanceNorm`: momentum `None` means 0 (no update), and the batch
    // counter is kept for the state dict but never advanced.
    let factor = o.momentum.unwrap_or(0.0);
    let mut shape: Vec<isize> = vec![1, (n * c) as isize];
    shape.extend(x.shape()[2..].iter().map(|&d| d as isize));
    let y = x.reshape(&shape)?.batch_norm(BatchNormArgs {
        running_mean: rm_r.as_ref(),
        running_var: rv_r.as_ref(),
        weight: w.as_ref(),
        bias: b.as_ref(),
        training: use_input_stats,
        momentum: factor,
        eps: o.eps,
    })?;
    if let (true, Some(rm), Some(rv), Some(rm_r), Some(rv_r)) =
        (use_input_stats, rm, rv, &rm_r, &rv_r)
    {
        rm.copy_(
            &rm_r
                .reshape(&[n as isize, c as isize])?
                .mean_dim(0, false)?,
        )?;
        rv.copy_(
            &rv_r
                .reshape(&[n as isize, c as isize])?
                .mean_dim(0, false)?,
        )?;
    }
    y.reshape(&x.shape().iter().map(|&d| d as isize).collect::<Vec<_>>())
}
