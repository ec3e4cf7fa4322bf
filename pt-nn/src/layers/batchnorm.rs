//! [`BatchNorm1d`] and [`BatchNorm2d`].

use std::fmt;

use pt_core::{DType, Error, Result, Tensor, Value};

use crate::functional::{self, BatchNormState};
use crate::load::{IncomingState, write_into};
use crate::module::{Forward, Module, Visitor, VisitorMut};
use crate::parameter::Parameter;
use crate::repr::{py_bool, py_float};

/// Options of a batch norm, with PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormOptions {
    /// Added to the variance (default `1e-5`).
    pub eps: f64,
    /// Running-statistics factor; `None` is a cumulative average (default `Some(0.1)`).
    pub momentum: Option<f64>,
    /// Learnable `weight` and `bias` (default true).
    pub affine: bool,
    /// With `affine`, whether there is a `bias` (default true; PyTorch 2.15's keyword).
    pub bias: bool,
    /// Keep `running_mean`, `running_var`, `num_batches_tracked` (default true).
    pub track_running_stats: bool,
}

impl Default for BatchNormOptions {
    fn default() -> BatchNormOptions {
        BatchNormOptions {
            eps: 1e-5,
            momentum: Some(0.1),
            affine: true,
            bias: true,
            track_running_stats: true,
        }
    }
}

/// The state and computation shared by the batch norms.
#[derive(Clone, Debug)]
struct Norm {
    num_features: usize,
    options: BatchNormOptions,
    weight: Option<Parameter>,
    bias: Option<Parameter>,
    running_mean: Option<Tensor>,
    running_var: Option<Tensor>,
    num_batches_tracked: Option<Tensor>,
    training: bool,
}

impl Norm {
    fn new(num_features: usize, options: BatchNormOptions) -> Norm {
        let c = [num_features];
        let affine = options.affine;
        let track = options.track_running_stats;
        Norm {
            num_features,
            options,
            weight: affine.then(|| Parameter::new(Tensor::ones(&c, DType::F32))),
            bias: (affine && options.bias).then(|| Parameter::new(Tensor::zeros(&c, DType::F32))),
            running_mean: track.then(|| Tensor::zeros(&c, DType::F32)),
            running_var: track.then(|| Tensor::ones(&c, DType::F32)),
            num_batches_tracked: track.then(|| Tensor::scalar(0i64)),
            training: true,
        }
    }

    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        if let Some(w) = &self.weight {
            v.parameter("weight", w);
        }
        if let Some(b) = &self.bias {
            v.parameter("bias", b);
        }
        for (name, t) in self.buffers() {
            if let Some(t) = t {
                v.buffer(name, t, true);
            }
        }
    }

    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        if let Some(w) = &mut self.weight {
            v.parameter("weight", w);
        }
        if let Some(b) = &mut self.bias {
            v.parameter("bias", b);
        }
        for (name, t) in [
            ("running_mean", &mut self.running_mean),
            ("running_var", &mut self.running_var),
            ("num_batches_tracked", &mut self.num_batches_tracked),
        ] {
            if let Some(t) = t {
                v.buffer(name, t, true);
            }
        }
    }

    fn buffers(&self) -> [(&'static str, Option<&Tensor>); 3] {
        [
            ("running_mean", self.running_mean.as_ref()),
            ("running_var", self.running_var.as_ref()),
            ("num_batches_tracked", self.num_batches_tracked.as_ref()),
        ]
    }

    /// Version-1 checkpoints have no `num_batches_tracked`: keep the module's own value.
    fn upgrade(&self, prefix: &str, version: Option<i64>, state: &mut IncomingState<'_>) {
        if version.is_none_or(|v| v < 2) && self.options.track_running_stats {
            let key = format!("{prefix}num_batches_tracked");
            if !state.contains_key(&key) {
                let current = self
                    .num_batches_tracked
                    .clone()
                    .unwrap_or_else(|| Tensor::scalar(0i64));
                state.insert(key, Value::Tensor(current));
            }
        }
    }

    fn describe(&self) -> String {
        let o = &self.options;
        format!(
            "{}, eps={}, momentum={}, affine={}, bias={}, track_running_stats={}",
            self.num_features,
            py_float(o.eps),
            o.momentum.map_or_else(|| "None".to_owned(), py_float),
            py_bool(o.affine),
            py_bool(self.bias.is_some()),
            py_bool(o.track_running_stats)
        )
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut factor = self.options.momentum.unwrap_or(0.0);
        // The batch count moves only when the step succeeds.
        let mut counted = None;
        if self.training
            && self.options.track_running_stats
            && let Some(n) = &self.num_batches_tracked
        {
            let count = n
                .to_dtype(DType::I64)?
                .to_vec::<i64>()?
                .first()
                .copied()
                .unwrap_or(0)
                + 1;
            if self.options.momentum.is_none() {
                factor = 1.0 / count as f64;
            }
            counted = Some((n, Tensor::scalar(count).to_dtype(n.dtype())?));
        }
        let bn_training =
            self.training || (self.running_mean.is_none() && self.running_var.is_none());
        let use_running = !self.training || self.options.track_running_stats;
        let state = if use_running {
            BatchNormState {
                running_mean: self.running_mean.as_ref(),
                running_var: self.running_var.as_ref(),
            }
        } else {
            BatchNormState::default()
        };
        let y = functional::batch_norm(
            x,
            state,
            self.weight.as_deref(),
            self.bias.as_deref(),
            bn_training,
            factor,
            self.options.eps,
        )?;
        if let Some((n, count)) = counted {
            write_into(n, &count);
        }
        Ok(y)
    }
}

macro_rules! batch_norm_layer {
    ($(#[$doc:meta])* $name:ident, $dims:expr, $expect:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(Norm);

        impl $name {
            /// A float32 layer for `num_features` channels with PyTorch's defaults:
            /// weight ones, bias zeros, running mean zeros, running var ones,
            /// `num_batches_tracked` 0 (int64, 0-dim).
            pub fn new(num_features: usize) -> $name {
                $name(Norm::new(num_features, BatchNormOptions::default()))
            }

            /// A layer with the given options.
            pub fn with_options(num_features: usize, options: BatchNormOptions) -> $name {
                $name(Norm::new(num_features, options))
            }

            /// Number of channels.
            pub fn num_features(&self) -> usize {
                self.0.num_features
            }

            /// The options.
            pub fn options(&self) -> &BatchNormOptions {
                &self.0.options
            }

            /// `weight`, if affine.
            pub fn weight(&self) -> Option<&Parameter> {
                self.0.weight.as_ref()
            }

            /// `bias`, if affine.
            pub fn bias(&self) -> Option<&Parameter> {
                self.0.bias.as_ref()
            }

            /// `running_mean`, if tracking.
            pub fn running_mean(&self) -> Option<&Tensor> {
                self.0.running_mean.as_ref()
            }

            /// `running_var`, if tracking.
            pub fn running_var(&self) -> Option<&Tensor> {
                self.0.running_var.as_ref()
            }

            /// `num_batches_tracked`, if tracking.
            pub fn num_batches_tracked(&self) -> Option<&Tensor> {
                self.0.num_batches_tracked.as_ref()
            }
        }

        impl Module for $name {
            fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
                self.0.visit(visitor);
            }
            fn visit_mut(&mut self, visitor: &mut dyn VisitorMut) {
                self.0.visit_mut(visitor);
            }
            fn type_name(&self) -> &str {
                stringify!($name)
            }
            fn version(&self) -> i64 {
                2
            }
            fn extra_repr(&self) -> String {
                self.0.describe()
            }
            fn own_training(&self) -> Option<bool> {
                Some(self.0.training)
            }
            fn set_own_training(&mut self, training: bool) {
                self.0.training = training;
            }
            fn upgrade_state(&self, prefix: &str, version: Option<i64>, state: &mut IncomingState<'_>) {
                self.0.upgrade(prefix, version, state);
            }
        }

        impl Forward for $name {
            fn forward(&self, input: &Tensor) -> Result<Tensor> {
                if !$dims.contains(&input.dim()) {
                    return Err(Error::shape(
                        stringify!($name),
                        format!(concat!("expected ", $expect, " input (got {}D input)"), input.dim()),
                    ));
                }
                self.0.forward(input)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.fmt_repr(f)
            }
        }
    };
}

batch_norm_layer!(
    /// Batch normalisation over `(N, C)` or `(N, C, L)` input (`nn.BatchNorm1d`),
    /// state-dict version 2.
    BatchNorm1d,
    [2usize, 3],
    "2D or 3D"
);

batch_norm_layer!(
    /// Batch normalisation over `(N, C, H, W)` input (`nn.BatchNorm2d`), state-dict
    /// version 2.
    BatchNorm2d,
    [4usize],
    "4D"
);
