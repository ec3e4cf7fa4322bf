//! `conv1d` and `conv2d` (`F.conv1d` / `F.conv2d`, zero padding) on floating tensors.

use crate::error::{Error, Result};
use crate::kernels::conv::{Geometry, conv2d};
use crate::kernels::{Input, Real, finish, with_real};
use crate::tensor::Tensor;

/// Stride, padding, dilation (each `(h, w)`) and groups of a 2-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between windows.
    pub stride: (usize, usize),
    /// Zeros added on each side.
    pub padding: (usize, usize),
    /// Spacing between kernel taps.
    pub dilation: (usize, usize),
    /// Channel groups; input and output channels must be multiples of it.
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Conv2dOptions {
        Conv2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

/// Stride, padding, dilation and groups of a 1-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Step between windows.
    pub stride: usize,
    /// Zeros added on each side.
    pub padding: usize,
    /// Spacing between kernel taps.
    pub dilation: usize,
    /// Channel groups; input and output channels must be multiples of it.
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Conv1dOptions {
        Conv1dOptions {
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
        }
    }
}

/// Validates and runs a 2-D convolution of a 4-D input and weight.
fn conv(
    op: &'static str,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    opts: Conv2dOptions,
) -> Result<Tensor> {
    let [n, c, h, w] = x.shape()[..] else {
        unreachable!("callers pass 4-D inputs")
    };
    let [o, cg, kh, kw] = weight.shape()[..] else {
        unreachable!("callers pass 4-D weights")
    };
    for t in [Some(weight), bias].into_iter().flatten() {
        if t.dtype() != x.dtype() {
            return Err(Error::DType {
                op,
                dtype: t.dtype(),
                detail: format!(
                    ": Input type ({}) and weight/bias type ({}) should be the same",
                    x.dtype(),
                    t.dtype()
                ),
            });
        }
    }
    let Conv2dOptions {
        stride: (sh, sw),
        padding: (ph, pw),
        dilation: (dh, dw),
        groups: g,
    } = opts;
    if sh == 0 || sw == 0 || dh == 0 || dw == 0 || g == 0 {
        return Err(Error::argument(
            op,
            "stride, dilation and groups must be positive",
        ));
    }
    if cg.checked_mul(g) != Some(c) || o % g != 0 {
        return Err(Error::shape(
            op,
            format!(
                "input has {c} channels and weight {:?} with groups={g}: expected {} input channels and out channels divisible by {g}",
                weight.shape(),
                cg.saturating_mul(g)
            ),
        ));
    }
    if let Some(b) = bias
        && b.shape() != [o]
    {
        return Err(Error::shape(
            op,
            format!("bias {:?} does not match {o} output channels", b.shape()),
        ));
    }
    let span_h = dh * (kh.max(1) - 1) + 1;
    let span_w = dw * (kw.max(1) - 1) + 1;
    if kh == 0 || kw == 0 || h + 2 * ph < span_h || w + 2 * pw < span_w {
        return Err(Error::shape(
            op,
            format!(
                "kernel {kh}x{kw} (dilation {dh}x{dw}) is larger than the padded input {}x{}",
                h + 2 * ph,
                w + 2 * pw
            ),
        ));
    }
    let geo = Geometry {
        n,
        c,
        h,
        w,
        o,
        kh,
        kw,
        oh: (h + 2 * ph - span_h) / sh + 1,
        ow: (w + 2 * pw - span_w) / sw + 1,
        stride: (sh, sw),
        padding: (ph, pw),
        dilation: (dh, dw),
        groups: g,
    };
    with_real!(x.dtype(), op, |T| conv_kernel::<T>(
        op, x, weight, bias, geo
    ))
}

fn conv_kernel<T: Real>(
    op: &'static str,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    g: Geometry,
) -> Result<Tensor> {
    let plane = g.oh * g.ow;
    let mut out: Vec<T> = Vec::with_capacity(g.n * g.o * plane);
    {
        let xi = Input::<T>::of(x, false, op)?;
        let wi = Input::<T>::of_distinct(weight, &[x], false, op)?;
        match bias {
            Some(b) => {
                let bi = Input::<T>::of_distinct(b, &[x, weight], false, op)?;
                let bs = bi.contiguous(g.o);
                for _ in 0..g.n {
                    for &v in bs {
                        out.extend(std::iter::repeat_n(v, plane));
                    }
                }
            }
            None => out.resize(g.n * g.o * plane, T::ZERO),
        }
        conv2d(
            xi.contiguous(x.numel()),
            wi.contiguous(weight.numel()),
            &mut out,
            g,
        );
    }
    finish(out, &[g.n, g.o, g.oh, g.ow], x.dtype())
}

impl Tensor {
    /// 2-D cross-correlation (`F.conv2d`): `self` is `(N, C, H, W)` or `(C, H, W)`,
    /// `weight` `(O, C/groups, kh, kw)`, `bias` `(O,)`. Floating dtypes; f16/bf16
    /// accumulate in f32.
    ///
    /// # Errors
    /// [`Error::Shape`] for mismatched channels/groups or a kernel larger than the padded
    /// input; [`Error::Argument`] for a zero stride, dilation or groups; [`Error::DType`]
    /// for mixed or non-floating dtypes.
    pub fn conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: Conv2dOptions,
    ) -> Result<Tensor> {
        const OP: &str = "conv2d";
        if weight.dim() != 4 {
            return Err(Error::shape(
                OP,
                format!(
                    "weight must be 4-D (out, in/groups, kh, kw), got {:?}",
                    weight.shape()
                ),
            ));
        }
        match self.dim() {
            4 => conv(OP, self, weight, bias, opts),
            3 => conv(OP, &self.unsqueeze(0)?, weight, bias, opts)?.squeeze_dim(0),
            _ => Err(Error::shape(
                OP,
                format!("expected a 3-D or 4-D input, got {:?}", self.shape()),
            )),
        }
    }

    /// 1-D cross-correlation (`F.conv1d`): `self` is `(N, C, L)` or `(C, L)`, `weight`
    /// `(O, C/groups, k)`, `bias` `(O,)`.
    ///
    /// # Errors
    /// As [`Tensor::conv2d`].
    pub fn conv1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: Conv1dOptions,
    ) -> Result<Tensor> {
        const OP: &str = "conv1d";
        if weight.dim() != 3 {
            return Err(Error::shape(
                OP,
                format!(
                    "weight must be 3-D (out, in/groups, k), got {:?}",
                    weight.shape()
                ),
            ));
        }
        let o2 = Conv2dOptions {
            stride: (1, opts.stride),
            padding: (0, opts.padding),
            dilation: (1, opts.dilation),
            groups: opts.groups,
        };
        let w4 = weight.unsqueeze(2)?;
        match self.dim() {
            3 => conv(OP, &self.unsqueeze(2)?, &w4, bias, o2)?.squeeze_dim(2),
            2 => conv(OP, &self.unsqueeze(0)?.unsqueeze(2)?, &w4, bias, o2)?
                .squeeze_dim(2)?
                .squeeze_dim(0),
            _ => Err(Error::shape(
                OP,
                format!("expected a 2-D or 3-D input, got {:?}", self.shape()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    /// A naive reference in f64.
    fn reference(x: &Tensor, w: &Tensor, b: Option<&Tensor>, o: Conv2dOptions) -> Vec<f64> {
        let xs = x.to_vec_f64().unwrap();
        let ws = w.to_vec_f64().unwrap();
        let bs = b.map(|b| b.to_vec_f64().unwrap());
        let [n, c, h, wd] = x.shape()[..] else {
            panic!()
        };
        let [oc, cg, kh, kw] = w.shape()[..] else {
            panic!()
        };
        let og = oc / o.groups;
        let oh = (h + 2 * o.padding.0 - o.dilation.0 * (kh - 1) - 1) / o.stride.0 + 1;
        let ow = (wd + 2 * o.padding.1 - o.dilation.1 * (kw - 1) - 1) / o.stride.1 + 1;
        let mut out = vec![0.0; n * oc * oh * ow];
        for ni in 0..n {
            for co in 0..oc {
                let gi = co / og;
                for y in 0..oh {
                    for xo in 0..ow {
                        let mut acc = bs.as_ref().map_or(0.0, |b| b[co]);
                        for ic in 0..cg {
                            for ky in 0..kh {
                                for kx in 0..kw {
                                    let iy = (y * o.stride.0 + ky * o.dilation.0)
                                        .wrapping_sub(o.padding.0);
                                    let ix = (xo * o.stride.1 + kx * o.dilation.1)
                                        .wrapping_sub(o.padding.1);
                                    if iy < h && ix < wd {
                                        acc += xs[((ni * c + gi * cg + ic) * h + iy) * wd + ix]
                                            * ws[((co * cg + ic) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                        out[((ni * oc + co) * oh + y) * ow + xo] = acc;
                    }
                }
            }
        }
        out
    }

    fn rand(shape: &[usize], seed: u64) -> Tensor {
        let n: usize = shape.iter().product();
        let mut s = seed;
        let v: Vec<f64> = (0..n)
            .map(|_| {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                ((s >> 33) as f64 / f64::from(1u32 << 31)) - 0.5
            })
            .collect();
        Tensor::from_vec(v, shape).unwrap()
    }

    #[test]
    fn matches_naive_reference() {
        let cases = [
            ([2, 4, 7, 6], [6, 4, 3, 3], (1, 1), (1, 1), (1, 1), 1),
            ([1, 4, 9, 8], [4, 2, 3, 2], (2, 1), (0, 2), (2, 1), 2),
            ([2, 6, 5, 5], [6, 1, 3, 3], (1, 2), (1, 1), (1, 1), 6),
            ([1, 3, 5, 5], [6, 1, 2, 2], (1, 1), (0, 0), (1, 2), 3),
            ([2, 5, 4, 3], [3, 5, 1, 1], (1, 1), (0, 0), (1, 1), 1),
        ];
        for (i, (xs, ws, st, pd, dl, g)) in cases.into_iter().enumerate() {
            let x = rand(&xs, i as u64);
            let w = rand(&ws, 100 + i as u64);
            let b = rand(&[ws[0]], 200 + i as u64);
            let o = Conv2dOptions {
                stride: st,
                padding: pd,
                dilation: dl,
                groups: g,
            };
            let want = reference(&x, &w, Some(&b), o);
            let got = x.conv2d(&w, Some(&b), o).unwrap().to_vec::<f64>().unwrap();
            assert_eq!(want.len(), got.len(), "case {i}");
            for (a, b) in want.iter().zip(&got) {
                assert!((a - b).abs() < 1e-12, "case {i}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn conv1d_shapes_and_errors() {
        let x = rand(&[2, 3, 10], 1).to_dtype(DType::F32).unwrap();
        let w = rand(&[4, 3, 3], 2).to_dtype(DType::F32).unwrap();
        let o = Conv1dOptions {
            padding: 1,
            stride: 2,
            ..Conv1dOptions::default()
        };
        assert_eq!(x.conv1d(&w, None, o).unwrap().shape(), &[2, 4, 5]);
        assert_eq!(
            x.select(0, 0).unwrap().conv1d(&w, None, o).unwrap().shape(),
            &[4, 5]
        );
        assert!(x.conv1d(&w.to_dtype(DType::F64).unwrap(), None, o).is_err());
        let bad = Conv1dOptions {
            groups: 2,
            ..Conv1dOptions::default()
        };
        assert!(x.conv1d(&w, None, bad).is_err());
        let tiny = Tensor::zeros(&[1, 3, 1], DType::F32);
        assert!(tiny.conv1d(&w, None, Conv1dOptions::default()).is_err());
    }
}
