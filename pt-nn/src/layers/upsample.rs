//! [`Upsample`]: `nn.Upsample` over two spatial dimensions.

use pt_core::ops::Interpolation;
use pt_core::{Result, Tensor};

use crate::Module;
use crate::functional::{Resize, interpolate};
use crate::module::Forward;
use crate::repr::py_float;

/// Resamples `(N, C, H, W)` input to a size or by a scale (`nn.Upsample`), nearest or
/// bilinear.
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Upsample::describe")]
pub struct Upsample {
    /// The target size or scale.
    #[module(skip)]
    pub to: Resize,
    /// Nearest or bilinear.
    #[module(skip)]
    pub mode: Interpolation,
    #[module(training)]
    training: bool,
}

impl Upsample {
    /// `nn.Upsample(size=… | scale_factor=…, mode=…, align_corners=…)`.
    pub fn new(to: Resize, mode: Interpolation) -> Upsample {
        Upsample {
            to,
            mode,
            training: true,
        }
    }
    fn describe(&self) -> String {
        let to = match self.to {
            Resize::Size(h, w) => format!("size=({h}, {w})"),
            Resize::Scale(h, w) if h == w => format!("scale_factor={}", py_float(h)),
            Resize::Scale(h, w) => format!("scale_factor=({}, {})", py_float(h), py_float(w)),
        };
        match self.mode {
            Interpolation::Nearest => format!("{to}, mode='nearest'"),
            Interpolation::Bilinear { align_corners } => format!(
                "{to}, mode='bilinear'{}",
                if align_corners {
                    ", align_corners=True"
                } else {
                    ""
                }
            ),
        }
    }
}

impl Forward for Upsample {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        interpolate(x, self.to, self.mode)
    }
}
