//! `F.interpolate` over two spatial dimensions: nearest and bilinear.

use pt_core::ops::Interpolation;
use pt_core::{Error, Result, Tensor};

/// The target of a resampling: an explicit `(H, W)` or scale factors per dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resize {
    /// Output height and width (`size=`).
    Size(usize, usize),
    /// Multipliers of height and width (`scale_factor=`); the output is
    /// `floor(in · scale)` and coordinates map back by `1 / scale`, as PyTorch does
    /// without `recompute_scale_factor`.
    Scale(f64, f64),
}

/// Resamples a `(N, C, H, W)` input (`F.interpolate` with `mode="nearest"` or
/// `mode="bilinear"` and its `align_corners`).
///
/// # Errors
/// [`Error::Shape`] for an input that is not 4-D; [`Error::Argument`] for a non-positive or
/// non-finite scale, or an empty output; non-floating input.
pub fn interpolate(x: &Tensor, to: Resize, mode: Interpolation) -> Result<Tensor> {
    const OP: &str = "interpolate";
    let [_, _, h, w] = *x.shape() else {
        return Err(Error::shape(
            OP,
            format!(
                "expected a 4-D (N, C, H, W) input for 2-D resampling, got {:?}",
                x.shape()
            ),
        ));
    };
    match to {
        Resize::Size(oh, ow) => x.upsample2d((oh, ow), mode, (None, None)),
        Resize::Scale(sh, sw) => {
            if !(sh.is_finite() && sw.is_finite() && sh > 0.0 && sw > 0.0) {
                return Err(Error::argument(
                    OP,
                    format!("scale factors must be positive and finite, got ({sh}, {sw})"),
                ));
            }
            let oh = (h as f64 * sh).floor() as usize;
            let ow = (w as f64 * sw).floor() as usize;
            x.upsample2d((oh, ow), mode, (Some(sh), Some(sw)))
        }
    }
}
