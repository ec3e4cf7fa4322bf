//! [`ConvTranspose1d`] and [`ConvTranspose2d`] (`nn.ConvTranspose{1,2}d`).

use pt_core::ops::{ConvTranspose1dOptions as Kernel1d, ConvTranspose2dOptions as KernelOptions};
use pt_core::{DType, Error, Generator, Result, Tensor};

use crate::Module;
use crate::init;
use crate::layers::KernelSize;
use crate::module::Forward;
use crate::parameter::Parameter;

/// Options of a transposed convolution with `N` spatial dimensions (PyTorch's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTransposeOptions<const N: usize> {
    /// Step between input positions on the output (1).
    pub stride: [usize; N],
    /// Removed from each side of the full output (0).
    pub padding: [usize; N],
    /// Added on the far side of the output (0); below stride or dilation.
    pub output_padding: [usize; N],
    /// Spacing between kernel taps (1).
    pub dilation: [usize; N],
    /// Channel groups (1).
    pub groups: usize,
    /// Learn a bias (true).
    pub bias: bool,
}

impl<const N: usize> Default for ConvTransposeOptions<N> {
    fn default() -> Self {
        ConvTransposeOptions {
            stride: [1; N],
            padding: [0; N],
            output_padding: [0; N],
            dilation: [1; N],
            groups: 1,
            bias: true,
        }
    }
}

fn tuple<const N: usize>(v: [usize; N]) -> String {
    let s: Vec<String> = v.iter().map(ToString::to_string).collect();
    if N == 1 {
        format!("({},)", s[0])
    } else {
        format!("({})", s.join(", "))
    }
}

macro_rules! conv_transpose_layer {
    ($(#[$doc:meta])* $name:ident, $n:literal, $torch:literal) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, extra_repr = "Self::describe")]
        pub struct $name {
            /// `(in_channels, out_channels / groups, *kernel_size)`.
            pub weight: Parameter,
            /// `(out_channels,)`, `None` for `bias=False`.
            pub bias: Option<Parameter>,
            /// Input channels.
            #[module(skip)]
            pub in_channels: usize,
            /// Output channels.
            #[module(skip)]
            pub out_channels: usize,
            /// Kernel size.
            #[module(skip)]
            pub kernel_size: [usize; $n],
            /// The options it was built with.
            #[module(skip)]
            pub options: ConvTransposeOptions<$n>,
            #[module(training)]
            training: bool,
        }

        impl $name {
            #[doc = concat!("`nn.", $torch, "(in_channels, out_channels, kernel_size)`, float32, initialised from the default generator.")]
            ///
            /// # Errors
            /// As [`Self::with_options`].
            pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl KernelSize<$n>) -> Result<$name> {
                $name::with_options(in_channels, out_channels, kernel_size, ConvTransposeOptions::default())
            }

            #[doc = concat!("`nn.", $torch, "` with all options.")]
            ///
            /// # Errors
            /// Zero sizes, stride, dilation or groups; channels not divisible by groups.
            pub fn with_options(
                in_channels: usize,
                out_channels: usize,
                kernel_size: impl KernelSize<$n>,
                options: ConvTransposeOptions<$n>,
            ) -> Result<$name> {
                let k = kernel_size.dims();
                let g = options.groups;
                if k.contains(&0) || options.stride.contains(&0) || options.dilation.contains(&0) || g == 0 {
                    return Err(Error::argument($torch, "kernel size, stride, dilation and groups must be positive"));
                }
                if !in_channels.is_multiple_of(g) || !out_channels.is_multiple_of(g) {
                    return Err(Error::argument(
                        $torch,
                        format!("in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({g})"),
                    ));
                }
                let mut shape = vec![in_channels, out_channels / g];
                shape.extend_from_slice(&k);
                let layer = $name {
                    weight: Parameter::new(Tensor::zeros(&shape, DType::F32)),
                    bias: options.bias.then(|| Parameter::new(Tensor::zeros(&[out_channels], DType::F32))),
                    in_channels,
                    out_channels,
                    kernel_size: k,
                    options,
                    training: true,
                };
                Ok(init::with_default_generator(|g| layer.init_with(g)))
            }

            /// Re-draws the parameters from `generator` as PyTorch does: kaiming-uniform
            /// with `a = √5` and the bias from `U(±1/√fan_in)`, where PyTorch's fan-in of
            /// this weight layout is `out/groups · kernel elements`.
            pub fn init_with(mut self, generator: &mut Generator) -> $name {
                let shape = self.weight.shape().to_vec();
                let fan_in: usize = shape[1..].iter().product();
                self.weight = Parameter::new(init::kaiming_uniform(&shape, fan_in, generator));
                if self.bias.is_some() {
                    self.bias = Some(Parameter::new(init::fan_in_uniform(&[self.out_channels], fan_in, generator)));
                }
                self
            }

            fn describe(&self) -> String {
                let o = &self.options;
                let mut s = format!(
                    "{}, {}, kernel_size={}, stride={}",
                    self.in_channels,
                    self.out_channels,
                    tuple(self.kernel_size),
                    tuple(o.stride)
                );
                if o.padding.iter().any(|&p| p != 0) {
                    s += &format!(", padding={}", tuple(o.padding));
                }
                if o.dilation.iter().any(|&d| d != 1) {
                    s += &format!(", dilation={}", tuple(o.dilation));
                }
                if o.output_padding.iter().any(|&p| p != 0) {
                    s += &format!(", output_padding={}", tuple(o.output_padding));
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
    };
}

conv_transpose_layer!(
    /// A transposed 1-D convolution (`nn.ConvTranspose1d`): input `(N, C, L)` or `(C, L)`.
    ConvTranspose1d, 1, "ConvTranspose1d"
);
conv_transpose_layer!(
    /// A transposed 2-D convolution (`nn.ConvTranspose2d`): input `(N, C, H, W)` or
    /// `(C, H, W)`.
    ConvTranspose2d, 2, "ConvTranspose2d"
);

impl Forward for ConvTranspose1d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let o = &self.options;
        x.conv_transpose1d(
            &self.weight,
            self.bias.as_deref(),
            Kernel1d {
                stride: o.stride[0],
                padding: o.padding[0],
                output_padding: o.output_padding[0],
                dilation: o.dilation[0],
                groups: o.groups,
            },
        )
    }
}

impl Forward for ConvTranspose2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let o = &self.options;
        let pair = |v: [usize; 2]| (v[0], v[1]);
        x.conv_transpose2d(
            &self.weight,
            self.bias.as_deref(),
            KernelOptions {
                stride: pair(o.stride),
                padding: pair(o.padding),
                output_padding: pair(o.output_padding),
                dilation: pair(o.dilation),
                groups: o.groups,
            },
        )
    }
}
