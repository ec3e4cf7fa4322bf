//! [`Conv1d`] and [`Conv2d`] with PyTorch's options (padding modes, `"same"`/`"valid"`).
//! Both run on pt-core's convolution kernels; non-zero padding modes pad first.

use pt_core::{DType, Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::layers::padding::{PadMode, pad};
use crate::module::Forward;
use crate::parameter::Parameter;
use pt_core::ops::{Conv1dOptions as Kernel1d, Conv2dOptions as KernelOptions};

/// How a convolution pads its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvPadding<T> {
    /// Explicit amounts on both sides of each dimension.
    Explicit(T),
    /// `padding="same"`: output as long as the input (stride 1 only).
    Same,
    /// `padding="valid"`: no padding.
    Valid,
}

/// What fills the padding of a convolution (`padding_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PaddingMode {
    /// Zeros (default).
    #[default]
    Zeros,
    /// Mirror.
    Reflect,
    /// Repeat the edge.
    Replicate,
    /// Wrap around.
    Circular,
}

impl PaddingMode {
    fn name(self) -> &'static str {
        match self {
            PaddingMode::Zeros => "zeros",
            PaddingMode::Reflect => "reflect",
            PaddingMode::Replicate => "replicate",
            PaddingMode::Circular => "circular",
        }
    }
    fn pad_mode(self) -> PadMode {
        match self {
            PaddingMode::Zeros => PadMode::Constant(0.0),
            PaddingMode::Reflect => PadMode::Reflect,
            PaddingMode::Replicate => PadMode::Replicate,
            PaddingMode::Circular => PadMode::Circular,
        }
    }
}

/// Options of [`Conv1d`] (`nn.Conv1d`'s keyword arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Step between windows (1).
    pub stride: usize,
    /// Padding (explicit 0).
    pub padding: ConvPadding<usize>,
    /// Spacing between kernel taps (1).
    pub dilation: usize,
    /// Channel groups (1).
    pub groups: usize,
    /// Learn a bias (true).
    pub bias: bool,
    /// What fills the padding (zeros).
    pub padding_mode: PaddingMode,
}

impl Default for Conv1dOptions {
    fn default() -> Conv1dOptions {
        Conv1dOptions {
            stride: 1,
            padding: ConvPadding::Explicit(0),
            dilation: 1,
            groups: 1,
            bias: true,
            padding_mode: PaddingMode::Zeros,
        }
    }
}

/// Options of [`Conv2d`] (`nn.Conv2d`'s keyword arguments), each pair `(h, w)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between windows ((1, 1)).
    pub stride: (usize, usize),
    /// Padding (explicit (0, 0)).
    pub padding: ConvPadding<(usize, usize)>,
    /// Spacing between kernel taps ((1, 1)).
    pub dilation: (usize, usize),
    /// Channel groups (1).
    pub groups: usize,
    /// Learn a bias (true).
    pub bias: bool,
    /// What fills the padding (zeros).
    pub padding_mode: PaddingMode,
}

impl Default for Conv2dOptions {
    fn default() -> Conv2dOptions {
        Conv2dOptions {
            stride: (1, 1),
            padding: ConvPadding::Explicit((0, 0)),
            dilation: (1, 1),
            groups: 1,
            bias: true,
            padding_mode: PaddingMode::Zeros,
        }
    }
}

/// A kernel size: one number for every dimension, or one per dimension.
pub trait KernelSize<const N: usize> {
    /// The size per dimension.
    fn dims(self) -> [usize; N];
}

impl<const N: usize> KernelSize<N> for usize {
    fn dims(self) -> [usize; N] {
        [self; N]
    }
}

impl KernelSize<2> for (usize, usize) {
    fn dims(self) -> [usize; 2] {
        [self.0, self.1]
    }
}

impl<const N: usize> KernelSize<N> for [usize; N] {
    fn dims(self) -> [usize; N] {
        self
    }
}

/// The shared geometry of a convolution layer with `N` spatial dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Geometry<const N: usize> {
    kernel: [usize; N],
    stride: [usize; N],
    padding: ConvPadding<[usize; N]>,
    dilation: [usize; N],
    groups: usize,
    mode: PaddingMode,
}

impl<const N: usize> Geometry<N> {
    fn check(&self, op: &'static str, cin: usize, cout: usize) -> Result<()> {
        let g = self.groups;
        if g == 0 || !cin.is_multiple_of(g) || !cout.is_multiple_of(g) {
            return Err(Error::argument(
                op,
                format!(
                    "groups={g} must be positive and divide in_channels={cin} and out_channels={cout}"
                ),
            ));
        }
        if self.kernel.contains(&0) || self.stride.contains(&0) || self.dilation.contains(&0) {
            return Err(Error::argument(
                op,
                "kernel size, stride and dilation must be positive",
            ));
        }
        if self.padding == ConvPadding::Same && self.stride.iter().any(|&s| s != 1) {
            return Err(Error::argument(
                op,
                "padding='same' is not supported for strided convolutions",
            ));
        }
        Ok(())
    }

    /// `(before, after)` padding per dimension.
    fn sides(&self) -> [(usize, usize); N] {
        let mut out = [(0, 0); N];
        for d in 0..N {
            out[d] = match self.padding {
                ConvPadding::Explicit(p) => (p[d], p[d]),
                ConvPadding::Valid => (0, 0),
                ConvPadding::Same => {
                    // PyTorch puts the odd element of the total on the right.
                    let total = self.dilation[d] * (self.kernel[d] - 1);
                    (total / 2, total - total / 2)
                }
            };
        }
        out
    }

    /// Pads `x` (its last `N` dimensions) as needed so the kernel itself runs unpadded,
    /// or returns the symmetric zero padding to hand to the kernel.
    fn prepare(&self, x: &Tensor) -> Result<(Tensor, [usize; N])> {
        let sides = self.sides();
        let symmetric = sides.iter().all(|(b, a)| b == a);
        if self.mode == PaddingMode::Zeros && symmetric {
            let mut p = [0; N];
            for d in 0..N {
                p[d] = sides[d].0;
            }
            return Ok((x.clone(), p));
        }
        let mut amounts = Vec::with_capacity(2 * N);
        for d in (0..N).rev() {
            amounts.push(sides[d].0 as i64);
            amounts.push(sides[d].1 as i64);
        }
        Ok((pad(x, &amounts, self.mode.pad_mode())?, [0; N]))
    }

    fn describe(&self, cin: usize, cout: usize, bias: bool) -> String {
        let t = |v: [usize; N]| {
            let s: Vec<String> = v.iter().map(ToString::to_string).collect();
            if N == 1 {
                format!("({},)", s[0])
            } else {
                format!("({})", s.join(", "))
            }
        };
        let mut s = format!(
            "{cin}, {cout}, kernel_size={}, stride={}",
            t(self.kernel),
            t(self.stride)
        );
        match self.padding {
            ConvPadding::Explicit(p) if p.iter().any(|&x| x != 0) => {
                s += &format!(", padding={}", t(p))
            }
            ConvPadding::Same => s += ", padding=same",
            ConvPadding::Valid => s += ", padding=valid",
            ConvPadding::Explicit(_) => {}
        }
        if self.dilation.iter().any(|&d| d != 1) {
            s += &format!(", dilation={}", t(self.dilation));
        }
        if self.groups != 1 {
            s += &format!(", groups={}", self.groups);
        }
        if !bias {
            s += ", bias=False";
        }
        if self.mode != PaddingMode::Zeros {
            s += &format!(", padding_mode={}", self.mode.name());
        }
        s
    }
}

macro_rules! conv_layer {
    ($(#[$doc:meta])* $name:ident, $n:literal, $opts:ident, $torch:literal) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, extra_repr = "Self::describe")]
        pub struct $name {
            /// `(out_channels, in_channels / groups, *kernel_size)`.
            pub weight: Parameter,
            /// `(out_channels,)`, `None` for `bias=False`.
            pub bias: Option<Parameter>,
            /// Input channels.
            #[module(skip)]
            pub in_channels: usize,
            /// Output channels.
            #[module(skip)]
            pub out_channels: usize,
            #[module(skip)]
            geometry: Geometry<$n>,
            #[module(training)]
            training: bool,
        }

        impl $name {
            #[doc = concat!("`nn.", $torch, "(in_channels, out_channels, kernel_size)` with a bias, float32, initialised from the default generator.")]
            ///
            /// # Errors
            /// [`Error::Argument`] for a zero kernel size.
            pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl KernelSize<$n>) -> Result<$name> {
                $name::with_options(in_channels, out_channels, kernel_size, $opts::default())
            }

            /// The kernel size per spatial dimension.
            pub fn kernel_size(&self) -> [usize; $n] {
                self.geometry.kernel
            }

            /// Re-draws the parameters from `generator` as PyTorch initialises them:
            /// kaiming-uniform with `a = √5` (bound `1/√fan_in`, `fan_in = in/groups ·
            /// kernel elements`), then the bias from `U(±1/√fan_in)`.
            pub fn init_with(mut self, generator: &mut Generator) -> $name {
                let shape = self.weight.shape().to_vec();
                let fan_in: usize = shape[1..].iter().product();
                self.weight = Parameter::new(init::kaiming_uniform(&shape, fan_in, generator));
                if self.bias.is_some() {
                    self.bias = Some(Parameter::new(init::fan_in_uniform(&[self.out_channels], fan_in, generator)));
                }
                self
            }

            fn build(in_channels: usize, out_channels: usize, geometry: Geometry<$n>, bias: bool) -> Result<$name> {
                geometry.check($torch, in_channels, out_channels)?;
                let mut shape = vec![out_channels, in_channels / geometry.groups];
                shape.extend_from_slice(&geometry.kernel);
                let layer = $name {
                    weight: Parameter::new(Tensor::zeros(&shape, DType::F32)),
                    bias: bias.then(|| Parameter::new(Tensor::zeros(&[out_channels], DType::F32))),
                    in_channels,
                    out_channels,
                    geometry,
                    training: true,
                };
                Ok(init::with_default_generator(|g| layer.init_with(g)))
            }

            fn describe(&self) -> String {
                self.geometry.describe(self.in_channels, self.out_channels, self.bias.is_some())
            }
        }
    };
}

conv_layer!(
    /// A 1-D convolution (`nn.Conv1d`): input `(N, C, L)` or `(C, L)`.
    Conv1d, 1, Conv1dOptions, "Conv1d"
);
conv_layer!(
    /// A 2-D convolution (`nn.Conv2d`): input `(N, C, H, W)` or `(C, H, W)`.
    Conv2d, 2, Conv2dOptions, "Conv2d"
);

impl Conv1d {
    /// `nn.Conv1d` with options.
    ///
    /// # Errors
    /// [`Error::Argument`] if `groups` is 0 or does not divide both channel counts, a
    /// kernel size, stride or dilation is 0, or `padding="same"` comes with a stride.
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl KernelSize<1>,
        options: Conv1dOptions,
    ) -> Result<Conv1d> {
        let geometry = Geometry {
            kernel: kernel_size.dims(),
            stride: [options.stride],
            padding: match options.padding {
                ConvPadding::Explicit(p) => ConvPadding::Explicit([p]),
                ConvPadding::Same => ConvPadding::Same,
                ConvPadding::Valid => ConvPadding::Valid,
            },
            dilation: [options.dilation],
            groups: options.groups,
            mode: options.padding_mode,
        };
        Conv1d::build(in_channels, out_channels, geometry, options.bias)
    }
}

impl Conv2d {
    /// `nn.Conv2d` with options.
    ///
    /// # Errors
    /// As [`Conv1d::with_options`].
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl KernelSize<2>,
        options: Conv2dOptions,
    ) -> Result<Conv2d> {
        let pair = |p: (usize, usize)| [p.0, p.1];
        let geometry = Geometry {
            kernel: kernel_size.dims(),
            stride: pair(options.stride),
            padding: match options.padding {
                ConvPadding::Explicit(p) => ConvPadding::Explicit(pair(p)),
                ConvPadding::Same => ConvPadding::Same,
                ConvPadding::Valid => ConvPadding::Valid,
            },
            dilation: pair(options.dilation),
            groups: options.groups,
            mode: options.padding_mode,
        };
        Conv2d::build(in_channels, out_channels, geometry, options.bias)
    }
}

impl Forward for Conv1d {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        if !matches!(input.dim(), 2 | 3) {
            return Err(Error::shape(
                "conv1d",
                format!("expected a 2-D or 3-D input, got {:?}", input.shape()),
            ));
        }
        let (x, [p]) = self.geometry.prepare(input)?;
        let g = &self.geometry;
        let opts = Kernel1d {
            stride: g.stride[0],
            padding: p,
            dilation: g.dilation[0],
            groups: g.groups,
        };
        functional::conv1d(&x, &self.weight, self.bias.as_deref(), opts)
    }
}

impl Forward for Conv2d {
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let (x, [ph, pw]) = self.geometry.prepare(input)?;
        let g = &self.geometry;
        let opts = KernelOptions {
            stride: (g.stride[0], g.stride[1]),
            padding: (ph, pw),
            dilation: (g.dilation[0], g.dilation[1]),
            groups: g.groups,
        };
        functional::conv2d(&x, &self.weight, self.bias.as_deref(), opts)
    }
}
