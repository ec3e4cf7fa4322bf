//! `conv_transpose1d` / `conv_transpose2d` (`F.conv_transpose{1,2}d`): per sample and
//! group a gemm `Wᵀ · X` into columns, then col2im scatters them onto the output.

use crate::error::{Error, Result};
use crate::kernels::gemm::{MatRef, gemm};
use crate::kernels::threads::threads_for;
use crate::kernels::{Input, Real, finish, with_real};
use crate::tensor::Tensor;

/// Stride, padding, output padding, dilation (each `(h, w)`) and groups of a transposed
/// 2-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    /// Step between input positions on the output.
    pub stride: (usize, usize),
    /// Removed from each side of the full output.
    pub padding: (usize, usize),
    /// Extra rows/columns added on the bottom/right (less than stride or dilation).
    pub output_padding: (usize, usize),
    /// Spacing between kernel taps.
    pub dilation: (usize, usize),
    /// Channel groups.
    pub groups: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> ConvTranspose2dOptions {
        ConvTranspose2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            output_padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

/// Stride, padding, output padding, dilation and groups of a transposed 1-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose1dOptions {
    /// Step between input positions on the output.
    pub stride: usize,
    /// Removed from each end of the full output.
    pub padding: usize,
    /// Extra positions added at the end (less than stride or dilation).
    pub output_padding: usize,
    /// Spacing between kernel taps.
    pub dilation: usize,
    /// Channel groups.
    pub groups: usize,
}

impl Default for ConvTranspose1dOptions {
    fn default() -> ConvTranspose1dOptions {
        ConvTranspose1dOptions {
            stride: 1,
            padding: 0,
            output_padding: 0,
            dilation: 1,
            groups: 1,
        }
    }
}

struct Geo {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    og: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    o: ConvTranspose2dOptions,
}

fn kernel<T: Real>(
    op: &'static str,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    g: Geo,
) -> Result<Tensor> {
    let groups = g.o.groups;
    let cg = g.c / groups;
    let cout = g.og * groups;
    let (hw, ohw, kk) = (g.h * g.w, g.oh * g.ow, g.kh * g.kw);
    let xi = Input::<T>::of(x, false, op)?;
    let wi = Input::<T>::of_distinct(weight, &[x], false, op)?;
    let xs = xi.contiguous(x.numel());
    let ws = wi.contiguous(weight.numel());
    let mut out = vec![T::ZERO; g.n * cout * ohw];
    if let Some(b) = bias {
        let bi = Input::<T>::of_distinct(b, &[x, weight], false, op)?;
        let bs = bi.contiguous(cout);
        for (plane, &v) in out.chunks_exact_mut(ohw).zip(bs.iter().cycle()) {
            plane.fill(v);
        }
    }
    let rows = g.og * kk;
    let mut cols = vec![T::ZERO; rows * hw];
    let threads = threads_for(rows * hw * cg);
    let (sh, sw) = g.o.stride;
    let (ph, pw) = g.o.padding;
    let (dh, dw) = g.o.dilation;
    for ni in 0..g.n {
        for gi in 0..groups {
            // Weight block (cg × og·kk) transposed times input block (cg × hw).
            let a = MatRef::row_major(ws, gi * cg * rows, cg, rows).t();
            let b = MatRef::row_major(xs, (ni * g.c + gi * cg) * hw, cg, hw);
            gemm(&mut cols, hw, false, a, b, threads);
            let dst = &mut out[(ni * cout + gi * g.og) * ohw..][..g.og * ohw];
            for (r, col) in cols.chunks_exact(hw).enumerate() {
                let (co, k) = (r / kk, r % kk);
                let (ka, kb) = (k / g.kw, k % g.kw);
                let plane = &mut dst[co * ohw..][..ohw];
                for i in 0..g.h {
                    let y = (i * sh + ka * dh) as isize - ph as isize;
                    if y < 0 || y >= g.oh as isize {
                        continue;
                    }
                    let row = &mut plane[y as usize * g.ow..][..g.ow];
                    for j in 0..g.w {
                        let xx = (j * sw + kb * dw) as isize - pw as isize;
                        if xx >= 0 && xx < g.ow as isize {
                            row[xx as usize] += col[i * g.w + j];
                        }
                    }
                }
            }
        }
    }
    finish(out, &[g.n, cout, g.oh, g.ow], x.dtype())
}

impl Tensor {
    /// Transposed 2-D convolution (`F.conv_transpose2d`): `self` `(N, C, H, W)` or
    /// `(C, H, W)`, `weight` `(C, O/groups, kh, kw)`, `bias` `(O,)`. The output is
    /// `(H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1` high (and wide).
    ///
    /// # Errors
    /// [`Error::Shape`] for mismatched channels, groups or bias, or an empty output;
    /// [`Error::Argument`] for zero stride/dilation/groups or an output padding not below
    /// stride or dilation; [`Error::DType`] for mixed or non-floating dtypes.
    pub fn conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        o: ConvTranspose2dOptions,
    ) -> Result<Tensor> {
        const OP: &str = "conv_transpose2d";
        if self.dim() == 3 {
            return self
                .unsqueeze(0)?
                .conv_transpose2d(weight, bias, o)?
                .squeeze_dim(0);
        }
        let ([n, c, h, w], [wc, og, kh, kw]) = (
            <[usize; 4]>::try_from(self.shape()).map_err(|_| {
                Error::shape(
                    OP,
                    format!("expected a 3-D or 4-D input, got {:?}", self.shape()),
                )
            })?,
            <[usize; 4]>::try_from(weight.shape()).map_err(|_| {
                Error::shape(
                    OP,
                    format!(
                        "weight must be 4-D (in, out/groups, kh, kw), got {:?}",
                        weight.shape()
                    ),
                )
            })?,
        );
        for t in [Some(weight), bias].into_iter().flatten() {
            if t.dtype() != self.dtype() {
                return Err(Error::DType {
                    op: OP,
                    dtype: t.dtype(),
                    detail: format!(
                        ": Input type ({}) and weight/bias type ({}) should be the same",
                        self.dtype(),
                        t.dtype()
                    ),
                });
            }
        }
        let g = o.groups;
        if o.stride.0 == 0 || o.stride.1 == 0 || o.dilation.0 == 0 || o.dilation.1 == 0 || g == 0 {
            return Err(Error::argument(
                OP,
                "stride, dilation and groups must be positive",
            ));
        }
        let bad_pad = |op_: usize, s: usize, d: usize| op_ >= s && op_ >= d;
        if bad_pad(o.output_padding.0, o.stride.0, o.dilation.0)
            || bad_pad(o.output_padding.1, o.stride.1, o.dilation.1)
        {
            return Err(Error::argument(
                OP,
                format!(
                    "output padding {:?} must be smaller than either stride {:?} or dilation {:?}",
                    o.output_padding, o.stride, o.dilation
                ),
            ));
        }
        if wc != c || c % g != 0 {
            return Err(Error::shape(
                OP,
                format!(
                    "input has {c} channels but weight {:?} with groups={g} expects {wc} (divisible by groups)",
                    weight.shape()
                ),
            ));
        }
        if let Some(b) = bias
            && b.shape() != [og * g]
        {
            return Err(Error::shape(
                OP,
                format!(
                    "bias {:?} does not match {} output channels",
                    b.shape(),
                    og * g
                ),
            ));
        }
        let size =
            |len: usize, s: usize, p: usize, d: usize, k: usize, op_: usize| -> Option<usize> {
                ((len.checked_sub(1)? * s + d * k.checked_sub(1)? + op_ + 1) as isize
                    - 2 * p as isize)
                    .try_into()
                    .ok()
                    .filter(|&v: &usize| v > 0)
            };
        let (Some(oh), Some(ow)) = (
            size(
                h,
                o.stride.0,
                o.padding.0,
                o.dilation.0,
                kh,
                o.output_padding.0,
            ),
            size(
                w,
                o.stride.1,
                o.padding.1,
                o.dilation.1,
                kw,
                o.output_padding.1,
            ),
        ) else {
            return Err(Error::shape(
                OP,
                format!(
                    "input {:?} with kernel {kh}x{kw} and padding {:?} gives an empty output",
                    self.shape(),
                    o.padding
                ),
            ));
        };
        let geo = Geo {
            n,
            c,
            h,
            w,
            og,
            kh,
            kw,
            oh,
            ow,
            o,
        };
        with_real!(self.dtype(), OP, |T| kernel::<T>(
            OP, self, weight, bias, geo
        ))
    }

    /// Transposed 1-D convolution (`F.conv_transpose1d`) of `(N, C, L)` or `(C, L)` input
    /// with weight `(C, O/groups, k)`.
    ///
    /// # Errors
    /// As [`Tensor::conv_transpose2d`].
    pub fn conv_transpose1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: ConvTranspose1dOptions,
    ) -> Result<Tensor> {
        let ConvTranspose1dOptions {
            stride,
            padding,
            output_padding,
            dilation,
            groups,
        } = opts;
        if !matches!(self.dim(), 2 | 3) || weight.dim() != 3 {
            return Err(Error::shape(
                "conv_transpose1d",
                format!(
                    "expected a 2-D or 3-D input and 3-D weight, got {:?} and {:?}",
                    self.shape(),
                    weight.shape()
                ),
            ));
        }
        let o = ConvTranspose2dOptions {
            stride: (1, stride),
            padding: (0, padding),
            output_padding: (0, output_padding),
            dilation: (1, dilation),
            groups,
        };
        self.unsqueeze(-2)?
            .conv_transpose2d(&weight.unsqueeze(-2)?, bias, o)?
            .squeeze_dim(-2)
    }
}
