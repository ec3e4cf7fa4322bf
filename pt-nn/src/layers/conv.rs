//! [`Conv2d`].

use pt_core::{Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional::{self, Conv2dOptions};
use crate::init;
use crate::module::Forward;
use crate::parameter::Parameter;

/// A 2-D convolution (`nn.Conv2d`, zero padding): `weight` `(out, in/groups, kh, kw)`,
/// `bias` `(out,)` or absent.
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Conv2d::describe")]
pub struct Conv2d {
    /// `(out_channels, in_channels / groups, kh, kw)`.
    pub weight: Parameter,
    /// `(out_channels,)`, `None` for `bias=False`.
    pub bias: Option<Parameter>,
    /// Input channels.
    #[module(skip)]
    pub in_channels: usize,
    /// Output channels.
    #[module(skip)]
    pub out_channels: usize,
    /// `(kh, kw)`.
    #[module(skip)]
    pub kernel_size: (usize, usize),
    /// Stride, padding, dilation, groups.
    #[module(skip)]
    pub options: Conv2dOptions,
    #[module(training)]
    training: bool,
}

impl Conv2d {
    /// A float32 layer initialised like PyTorch: kaiming-uniform with `a = √5` (bound
    /// `1/√fan_in`, `fan_in = in/groups · kh · kw`), then the bias from `U(±1/√fan_in)`.
    ///
    /// # Errors
    /// [`Error::Argument`] if `groups` is 0 or does not divide both channel counts, or a
    /// kernel size, stride or dilation is 0.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: (usize, usize),
        options: Conv2dOptions,
        bias: bool,
        generator: &mut Generator,
    ) -> Result<Conv2d> {
        let g = options.groups;
        if g == 0 || !in_channels.is_multiple_of(g) || !out_channels.is_multiple_of(g) {
            return Err(Error::argument(
                "Conv2d",
                format!(
                    "groups={g} must be positive and divide in_channels={in_channels} and out_channels={out_channels}"
                ),
            ));
        }
        let (kh, kw) = kernel_size;
        let (s, d) = (options.stride, options.dilation);
        if kh == 0 || kw == 0 || s.0 == 0 || s.1 == 0 || d.0 == 0 || d.1 == 0 {
            return Err(Error::argument(
                "Conv2d",
                "kernel size, stride and dilation must be positive",
            ));
        }
        let fan_in = in_channels / g * kh * kw;
        let weight =
            init::kaiming_uniform(&[out_channels, in_channels / g, kh, kw], fan_in, generator);
        let bias = bias.then(|| init::fan_in_uniform(&[out_channels], fan_in, generator));
        Ok(Conv2d {
            weight: Parameter::new(weight),
            bias: bias.map(Parameter::new),
            in_channels,
            out_channels,
            kernel_size,
            options,
            training: true,
        })
    }

    fn describe(&self) -> String {
        let o = &self.options;
        let pair = |p: (usize, usize)| format!("({}, {})", p.0, p.1);
        let mut s = format!(
            "{}, {}, kernel_size={}, stride={}",
            self.in_channels,
            self.out_channels,
            pair(self.kernel_size),
            pair(o.stride)
        );
        if o.padding != (0, 0) {
            s += &format!(", padding={}", pair(o.padding));
        }
        if o.dilation != (1, 1) {
            s += &format!(", dilation={}", pair(o.dilation));
        }
        if o.groups != 1 {
            s += &format!(", groups={}", o.groups);
        }
        if self.bias.is_none() {
            s += ", bias=False";
        }
        s
    }
}

impl Forward for Conv2d {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        functional::conv2d(input, &self.weight, self.bias.as_deref(), self.options)
    }
}
