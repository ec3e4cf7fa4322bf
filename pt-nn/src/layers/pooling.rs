//! Pooling layers: [`MaxPool1d`], [`MaxPool2d`], [`AvgPool1d`], [`AvgPool2d`],
//! [`AdaptiveAvgPool1d`], [`AdaptiveAvgPool2d`], [`AdaptiveMaxPool2d`]. Their fields are
//! PyTorch's constructor arguments; `new` sets PyTorch's defaults (stride = kernel).

use pt_core::ops::Pool2dOptions;
use pt_core::{Result, Tensor};

use crate::Module;
use crate::layers::KernelSize;
use crate::module::Forward;
use crate::repr::py_bool;

fn pair(v: [usize; 2]) -> String {
    if v[0] == v[1] {
        v[0].to_string()
    } else {
        format!("({}, {})", v[0], v[1])
    }
}

/// 1-D max pooling (`nn.MaxPool1d`) of `(C, L)` or `(N, C, L)` input.
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "MaxPool1d::describe")]
pub struct MaxPool1d {
    /// Window size.
    #[module(skip)]
    pub kernel_size: usize,
    /// Step between windows.
    #[module(skip)]
    pub stride: usize,
    /// Implicit `-inf` padding on both sides.
    #[module(skip)]
    pub padding: usize,
    /// Spacing between taps.
    #[module(skip)]
    pub dilation: usize,
    /// Round the output length up.
    #[module(skip)]
    pub ceil_mode: bool,
    #[module(training)]
    training: bool,
}

impl MaxPool1d {
    /// `nn.MaxPool1d(kernel_size)`.
    pub fn new(kernel_size: usize) -> MaxPool1d {
        MaxPool1d {
            kernel_size,
            stride: kernel_size,
            padding: 0,
            dilation: 1,
            ceil_mode: false,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!(
            "kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            py_bool(self.ceil_mode)
        )
    }
    /// The maxima and their indices along the length (`return_indices=True`).
    ///
    /// # Errors
    /// See [`Tensor::max_pool1d_with_indices`].
    pub fn forward_with_indices(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        x.max_pool1d_with_indices(
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
        )
    }
}

impl Forward for MaxPool1d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward_with_indices(x)?.0)
    }
}

/// 2-D max pooling (`nn.MaxPool2d`) of `(C, H, W)` or `(N, C, H, W)` input.
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "MaxPool2d::describe")]
pub struct MaxPool2d {
    /// Window size.
    #[module(skip)]
    pub kernel_size: [usize; 2],
    /// Step between windows.
    #[module(skip)]
    pub stride: [usize; 2],
    /// Implicit `-inf` padding on each side.
    #[module(skip)]
    pub padding: [usize; 2],
    /// Spacing between taps.
    #[module(skip)]
    pub dilation: [usize; 2],
    /// Round the output size up.
    #[module(skip)]
    pub ceil_mode: bool,
    #[module(training)]
    training: bool,
}

impl MaxPool2d {
    /// `nn.MaxPool2d(kernel_size)`.
    pub fn new(kernel_size: impl KernelSize<2>) -> MaxPool2d {
        let k = kernel_size.dims();
        MaxPool2d {
            kernel_size: k,
            stride: k,
            padding: [0, 0],
            dilation: [1, 1],
            ceil_mode: false,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!(
            "kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
            pair(self.kernel_size),
            pair(self.stride),
            pair(self.padding),
            pair(self.dilation),
            py_bool(self.ceil_mode)
        )
    }
    fn options(&self) -> Pool2dOptions {
        Pool2dOptions {
            kernel: self.kernel_size.into(),
            stride: self.stride.into(),
            padding: self.padding.into(),
            dilation: self.dilation.into(),
            ceil_mode: self.ceil_mode,
        }
    }
    /// The maxima and their flat per-plane indices (`return_indices=True`).
    ///
    /// # Errors
    /// See [`Tensor::max_pool2d_with_indices`].
    pub fn forward_with_indices(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        x.max_pool2d_with_indices(self.options())
    }
}

impl Forward for MaxPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.max_pool2d(self.options())
    }
}

/// 1-D average pooling (`nn.AvgPool1d`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "AvgPool1d::describe")]
pub struct AvgPool1d {
    /// Window size.
    #[module(skip)]
    pub kernel_size: usize,
    /// Step between windows.
    #[module(skip)]
    pub stride: usize,
    /// Implicit zero padding on both sides.
    #[module(skip)]
    pub padding: usize,
    /// Round the output length up.
    #[module(skip)]
    pub ceil_mode: bool,
    /// Count the padding in the divisor.
    #[module(skip)]
    pub count_include_pad: bool,
    #[module(training)]
    training: bool,
}

impl AvgPool1d {
    /// `nn.AvgPool1d(kernel_size)`.
    pub fn new(kernel_size: usize) -> AvgPool1d {
        AvgPool1d {
            kernel_size,
            stride: kernel_size,
            padding: 0,
            ceil_mode: false,
            count_include_pad: true,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!(
            "kernel_size=({},), stride=({},), padding=({},)",
            self.kernel_size, self.stride, self.padding
        )
    }
}

impl Forward for AvgPool1d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.avg_pool1d(
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )
    }
}

/// 2-D average pooling (`nn.AvgPool2d`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "AvgPool2d::describe")]
pub struct AvgPool2d {
    /// Window size.
    #[module(skip)]
    pub kernel_size: [usize; 2],
    /// Step between windows.
    #[module(skip)]
    pub stride: [usize; 2],
    /// Implicit zero padding on each side.
    #[module(skip)]
    pub padding: [usize; 2],
    /// Round the output size up.
    #[module(skip)]
    pub ceil_mode: bool,
    /// Count the padding in the divisor.
    #[module(skip)]
    pub count_include_pad: bool,
    /// Divide by this instead of the window size.
    #[module(skip)]
    pub divisor_override: Option<usize>,
    #[module(training)]
    training: bool,
}

impl AvgPool2d {
    /// `nn.AvgPool2d(kernel_size)`.
    pub fn new(kernel_size: impl KernelSize<2>) -> AvgPool2d {
        let k = kernel_size.dims();
        AvgPool2d {
            kernel_size: k,
            stride: k,
            padding: [0, 0],
            ceil_mode: false,
            count_include_pad: true,
            divisor_override: None,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!(
            "kernel_size={}, stride={}, padding={}",
            pair(self.kernel_size),
            pair(self.stride),
            pair(self.padding)
        )
    }
}

impl Forward for AvgPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut o = Pool2dOptions::new(self.kernel_size.into());
        o.stride = self.stride.into();
        o.padding = self.padding.into();
        o.ceil_mode = self.ceil_mode;
        x.avg_pool2d(o, self.count_include_pad, self.divisor_override)
    }
}

/// Average pooling to a fixed length (`nn.AdaptiveAvgPool1d`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "AdaptiveAvgPool1d::describe")]
pub struct AdaptiveAvgPool1d {
    /// Output length.
    #[module(skip)]
    pub output_size: usize,
    #[module(training)]
    training: bool,
}

impl AdaptiveAvgPool1d {
    /// `nn.AdaptiveAvgPool1d(output_size)`.
    pub fn new(output_size: usize) -> AdaptiveAvgPool1d {
        AdaptiveAvgPool1d {
            output_size,
            training: true,
        }
    }
    fn describe(&self) -> String {
        format!("output_size={}", self.output_size)
    }
}

impl Forward for AdaptiveAvgPool1d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.adaptive_avg_pool1d(self.output_size)
    }
}

macro_rules! adaptive2d {
    ($(#[$doc:meta])* $name:ident, $torch:literal) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, extra_repr = "Self::describe")]
        pub struct $name {
            /// Output `(H, W)`.
            #[module(skip)]
            pub output_size: [usize; 2],
            #[module(training)]
            training: bool,
        }

        impl $name {
            #[doc = concat!("`nn.", $torch, "(output_size)`.")]
            pub fn new(output_size: impl KernelSize<2>) -> $name {
                $name {
                    output_size: output_size.dims(),
                    training: true,
                }
            }
            fn describe(&self) -> String {
                let [h, w] = self.output_size;
                if h == w {
                    format!("output_size={h}")
                } else {
                    format!("output_size=({h}, {w})")
                }
            }
        }
    };
}

adaptive2d!(
    /// Average pooling to a fixed `(H, W)` (`nn.AdaptiveAvgPool2d`).
    AdaptiveAvgPool2d, "AdaptiveAvgPool2d"
);
adaptive2d!(
    /// Max pooling to a fixed `(H, W)` (`nn.AdaptiveMaxPool2d`).
    AdaptiveMaxPool2d, "AdaptiveMaxPool2d"
);

impl Forward for AdaptiveAvgPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.adaptive_avg_pool2d(self.output_size.into())
    }
}

impl AdaptiveMaxPool2d {
    /// The maxima and their flat per-plane indices (`return_indices=True`).
    ///
    /// # Errors
    /// See [`Tensor::adaptive_max_pool2d`].
    pub fn forward_with_indices(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        x.adaptive_max_pool2d(self.output_size.into())
    }
}

impl Forward for AdaptiveMaxPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward_with_indices(x)?.0)
    }
}
