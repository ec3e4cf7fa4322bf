//! Pooling and resampling over the trailing spatial dimensions: `max_pool2d` (with indices),
//! `avg_pool2d`, adaptive average/max pooling and `upsample_{nearest,bilinear}2d`, with
//! their 1-D forms as one-row 2-D calls. Each runs plane by plane over `(…, H, W)`.

use crate::error::{Error, Result};
use crate::kernels::{Input, Real, finish, with_real};
use crate::tensor::Tensor;

/// Kernel size, stride, padding and dilation (each `(h, w)`) and rounding of a 2-D pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// Window size.
    pub kernel: (usize, usize),
    /// Step between windows (PyTorch's default is the kernel size).
    pub stride: (usize, usize),
    /// Implicit padding on each side (at most half the kernel).
    pub padding: (usize, usize),
    /// Spacing between taps (max pooling only; average pooling requires 1).
    pub dilation: (usize, usize),
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
}

impl Pool2dOptions {
    /// A `kernel` window with stride equal to the kernel, no padding, no dilation.
    pub fn new(kernel: (usize, usize)) -> Pool2dOptions {
        Pool2dOptions {
            kernel,
            stride: kernel,
            padding: (0, 0),
            dilation: (1, 1),
            ceil_mode: false,
        }
    }
}

/// The leading plane count and spatial size of a `(C, H, W)` or `(N, C, H, W)` input.
fn planes(op: &'static str, x: &Tensor) -> Result<(usize, usize, usize)> {
    match *x.shape() {
        [c, h, w] => Ok((c, h, w)),
        [n, c, h, w] => Ok((n * c, h, w)),
        ref s => Err(Error::shape(
            op,
            format!("expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got {s:?}"),
        )),
    }
}

fn out_shape(x: &Tensor, oh: usize, ow: usize) -> Vec<usize> {
    let mut s = x.shape().to_vec();
    let d = s.len();
    s[d - 2] = oh;
    s[d - 1] = ow;
    s
}

/// PyTorch's `pooling_output_shape` for one dimension.
fn pooled_len(
    op: &'static str,
    len: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    ceil: bool,
) -> Result<usize> {
    if k == 0 || s == 0 || d == 0 {
        return Err(Error::argument(
            op,
            "kernel size, stride and dilation must be positive",
        ));
    }
    if p > k / 2 {
        return Err(Error::argument(
            op,
            format!(
                "pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k}"
            ),
        ));
    }
    let span = d * (k - 1) + 1;
    let avail = (len + 2 * p) as i64 - span as i64;
    if avail < 0 {
        return Err(Error::shape(
            op,
            format!(
                "input size {len} (padded {}) is smaller than the window {span}",
                len + 2 * p
            ),
        ));
    }
    let avail = avail as usize;
    let mut out = if ceil { avail.div_ceil(s) } else { avail / s } + 1;
    // The last window must start inside the input or the left padding.
    if ceil && (out - 1) * s >= len + p {
        out -= 1;
    }
    Ok(out)
}

fn check_float(op: &'static str, x: &Tensor) -> Result<()> {
    if x.numel() == 0 {
        return Err(Error::shape(
            op,
            format!("input {:?} has no elements", x.shape()),
        ));
    }
    Ok(())
}

fn max_kernel<T: Real>(
    op: &'static str,
    x: &Tensor,
    (p, h, w): (usize, usize, usize),
    o: Pool2dOptions,
    (oh, ow): (usize, usize),
) -> Result<(Tensor, Tensor)> {
    let xi = Input::<T>::of(x, false, op)?;
    let src = xi.contiguous(x.numel());
    let mut out = Vec::with_capacity(p * oh * ow);
    let mut idx = Vec::with_capacity(p * oh * ow);
    for plane in src.chunks_exact(h * w) {
        for i in 0..oh {
            let h0 = (i * o.stride.0) as isize - o.padding.0 as isize;
            for j in 0..ow {
                let w0 = (j * o.stride.1) as isize - o.padding.1 as isize;
                let (mut best, mut at) = (T::NEG_INFINITY, -1i64);
                for a in 0..o.kernel.0 {
                    let y = h0 + (a * o.dilation.0) as isize;
                    if y < 0 || y >= h as isize {
                        continue;
                    }
                    for b in 0..o.kernel.1 {
                        let xx = w0 + (b * o.dilation.1) as isize;
                        if xx < 0 || xx >= w as isize {
                            continue;
                        }
                        let k = y as usize * w + xx as usize;
                        let v = plane[k];
                        // NaN wins, as in PyTorch; the first valid tap is the fallback.
                        if at < 0 || v > best || v.is_nan_r() {
                            best = v;
                            at = k as i64;
                        }
                        if best.is_nan_r() {
                            break;
                        }
                    }
                    if best.is_nan_r() {
                        break;
                    }
                }
                out.push(best);
                idx.push(at);
            }
        }
    }
    let shape = out_shape(x, oh, ow);
    Ok((
        finish(out, &shape, x.dtype())?,
        Tensor::from_vec(idx, &shape)?,
    ))
}

fn avg_kernel<T: Real>(
    op: &'static str,
    x: &Tensor,
    (p, h, w): (usize, usize, usize),
    o: Pool2dOptions,
    (oh, ow): (usize, usize),
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> Result<Tensor> {
    let xi = Input::<T>::of(x, false, op)?;
    let src = xi.contiguous(x.numel());
    let mut out = Vec::with_capacity(p * oh * ow);
    let (hi, wi) = (h as isize, w as isize);
    for plane in src.chunks_exact(h * w) {
        for i in 0..oh {
            let mut h0 = (i * o.stride.0) as isize - o.padding.0 as isize;
            let mut h1 = (h0 + o.kernel.0 as isize).min(hi + o.padding.0 as isize);
            let ph = h1 - h0;
            h0 = h0.max(0);
            h1 = h1.min(hi);
            for j in 0..ow {
                let mut w0 = (j * o.stride.1) as isize - o.padding.1 as isize;
                let mut w1 = (w0 + o.kernel.1 as isize).min(wi + o.padding.1 as isize);
                let pool = ph * (w1 - w0);
                w0 = w0.max(0);
                w1 = w1.min(wi);
                if h0 >= h1 || w0 >= w1 {
                    out.push(T::ZERO);
                    continue;
                }
                let mut sum = T::ZERO;
                for y in h0..h1 {
                    let row = &plane[y as usize * w..];
                    for xx in w0..w1 {
                        sum += row[xx as usize];
                    }
                }
                let div = match divisor_override {
                    Some(d) => d as isize,
                    None if count_include_pad => pool,
                    None => (h1 - h0) * (w1 - w0),
                };
                out.push(sum / T::from_f64_lossy(div as f64));
            }
        }
    }
    finish(out, &out_shape(x, oh, ow), x.dtype())
}

/// `[start, end)` of adaptive window `i` of `out` over `len` (PyTorch's floor/ceil split).
fn adaptive_range(i: usize, out: usize, len: usize) -> (usize, usize) {
    (i * len / out, ((i + 1) * len).div_ceil(out))
}

fn adaptive_kernel<T: Real>(
    op: &'static str,
    x: &Tensor,
    (p, h, w): (usize, usize, usize),
    (oh, ow): (usize, usize),
    max: bool,
) -> Result<(Tensor, Option<Tensor>)> {
    let xi = Input::<T>::of(x, false, op)?;
    let src = xi.contiguous(x.numel());
    let mut out = Vec::with_capacity(p * oh * ow);
    let mut idx = Vec::with_capacity(if max { p * oh * ow } else { 0 });
    for plane in src.chunks_exact(h * w) {
        for i in 0..oh {
            let (h0, h1) = adaptive_range(i, oh, h);
            for j in 0..ow {
                let (w0, w1) = adaptive_range(j, ow, w);
                if max {
                    let (mut best, mut at) = (T::NEG_INFINITY, (h0 * w + w0) as i64);
                    'scan: for y in h0..h1 {
                        for xx in w0..w1 {
                            let v = plane[y * w + xx];
                            if v > best || v.is_nan_r() {
                                best = v;
                                at = (y * w + xx) as i64;
                                if v.is_nan_r() {
                                    break 'scan;
                                }
                            }
                        }
                    }
                    out.push(best);
                    idx.push(at);
                } else {
                    let mut sum = T::ZERO;
                    for y in h0..h1 {
                        for &v in &plane[y * w + w0..y * w + w1] {
                            sum += v;
                        }
                    }
                    out.push(sum / T::from_f64_lossy(((h1 - h0) * (w1 - w0)) as f64));
                }
            }
        }
    }
    let shape = out_shape(x, oh, ow);
    let values = finish(out, &shape, x.dtype())?;
    let indices = if max {
        Some(Tensor::from_vec(idx, &shape)?)
    } else {
        None
    };
    Ok((values, indices))
}

/// Source scale of one dimension as PyTorch's `area_pixel_compute_scale`.
fn area_scale<T: Real>(len: usize, out: usize, align_corners: bool, scale: Option<f64>) -> T {
    if align_corners {
        if out > 1 {
            T::from_f64_lossy((len - 1) as f64) / T::from_f64_lossy((out - 1) as f64)
        } else {
            T::ZERO
        }
    } else {
        match scale {
            Some(s) if s > 0.0 => T::from_f64_lossy(1.0 / s),
            _ => T::from_f64_lossy(len as f64) / T::from_f64_lossy(out as f64),
        }
    }
}

/// Source index of output `i` for nearest neighbour (PyTorch's `nearest_idx`, in f32).
fn nearest_index(i: usize, len: usize, out: usize, scale: Option<f64>) -> usize {
    if out == len {
        i
    } else if out == 2 * len {
        i >> 1
    } else {
        let s = match scale {
            Some(s) if s > 0.0 => (1.0 / s) as f32,
            _ => len as f32 / out as f32,
        };
        ((i as f32 * s).floor() as usize).min(len - 1)
    }
}

/// Source weights `(i0, i1, λ0, λ1)` of linear interpolation for output `i`.
fn linear_weights<T: Real>(
    i: usize,
    len: usize,
    scale: T,
    align_corners: bool,
) -> (usize, usize, T, T) {
    let d = T::from_f64_lossy(i as f64);
    let src = if align_corners {
        scale * d
    } else {
        let s = scale * (d + T::from_f64_lossy(0.5)) - T::from_f64_lossy(0.5);
        if s < T::ZERO { T::ZERO } else { s }
    };
    let i0 = (src.as_f64().floor() as usize).min(len - 1);
    let i1 = if i0 < len - 1 { i0 + 1 } else { i0 };
    let l1 = src - T::from_f64_lossy(i0 as f64);
    let l1 = if l1 < T::ZERO { T::ZERO } else { l1 };
    (i0, i1, T::ONE - l1, l1)
}

fn upsample_kernel<T: Real>(
    op: &'static str,
    x: &Tensor,
    (_, h, w): (usize, usize, usize),
    (oh, ow): (usize, usize),
    mode: Interpolation,
    scales: (Option<f64>, Option<f64>),
) -> Result<Tensor> {
    let xi = Input::<T>::of(x, false, op)?;
    let src = xi.contiguous(x.numel());
    let mut out = Vec::with_capacity(x.numel() / (h * w) * oh * ow);
    match mode {
        Interpolation::Nearest => {
            let cols: Vec<usize> = (0..ow).map(|j| nearest_index(j, w, ow, scales.1)).collect();
            for plane in src.chunks_exact(h * w) {
                for i in 0..oh {
                    let row = &plane[nearest_index(i, h, oh, scales.0) * w..];
                    out.extend(cols.iter().map(|&c| row[c]));
                }
            }
        }
        Interpolation::Bilinear { align_corners } => {
            let sh = area_scale::<T>(h, oh, align_corners, scales.0);
            let sw = area_scale::<T>(w, ow, align_corners, scales.1);
            let rows: Vec<_> = (0..oh)
                .map(|i| linear_weights(i, h, sh, align_corners))
                .collect();
            let cols: Vec<_> = (0..ow)
                .map(|j| linear_weights(j, w, sw, align_corners))
                .collect();
            for plane in src.chunks_exact(h * w) {
                for &(y0, y1, a0, a1) in &rows {
                    let (r0, r1) = (&plane[y0 * w..], &plane[y1 * w..]);
                    for &(x0, x1, b0, b1) in &cols {
                        out.push(
                            a0 * (b0 * r0[x0] + b1 * r0[x1]) + a1 * (b0 * r1[x0] + b1 * r1[x1]),
                        );
                    }
                }
            }
        }
    }
    finish(out, &out_shape(x, oh, ow), x.dtype())
}

/// The resampling of [`Tensor::upsample2d`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// Nearest neighbour (`mode="nearest"`).
    Nearest,
    /// Bilinear (`mode="bilinear"`), corners aligned or not.
    Bilinear {
        /// Map the corner pixels of input and output onto each other.
        align_corners: bool,
    },
}

fn one_row(x: &Tensor, op: &'static str) -> Result<Tensor> {
    if !matches!(x.dim(), 2 | 3) {
        return Err(Error::shape(
            op,
            format!(
                "expected a 2-D (C, L) or 3-D (N, C, L) input, got {:?}",
                x.shape()
            ),
        ));
    }
    x.unsqueeze(-2)
}

impl Tensor {
    /// 2-D max pooling (`F.max_pool2d(..., return_indices=True)`) of a `(C, H, W)` or
    /// `(N, C, H, W)` input: the maxima and their flat `h * W + w` indices (i64) within
    /// each plane. NaN propagates.
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong rank, an empty input or a window larger than the padded
    /// input; [`Error::Argument`] for a zero size or padding over half the kernel;
    /// [`Error::DType`] for non-floating input.
    pub fn max_pool2d_with_indices(&self, opts: Pool2dOptions) -> Result<(Tensor, Tensor)> {
        const OP: &str = "max_pool2d";
        let dims = planes(OP, self)?;
        check_float(OP, self)?;
        let oh = pooled_len(
            OP,
            dims.1,
            opts.kernel.0,
            opts.stride.0,
            opts.padding.0,
            opts.dilation.0,
            opts.ceil_mode,
        )?;
        let ow = pooled_len(
            OP,
            dims.2,
            opts.kernel.1,
            opts.stride.1,
            opts.padding.1,
            opts.dilation.1,
            opts.ceil_mode,
        )?;
        with_real!(self.dtype(), OP, |T| max_kernel::<T>(
            OP,
            self,
            dims,
            opts,
            (oh, ow)
        ))
    }

    /// 2-D max pooling (`F.max_pool2d`); see [`Tensor::max_pool2d_with_indices`].
    ///
    /// # Errors
    /// As [`Tensor::max_pool2d_with_indices`].
    pub fn max_pool2d(&self, opts: Pool2dOptions) -> Result<Tensor> {
        Ok(self.max_pool2d_with_indices(opts)?.0)
    }

    /// 1-D max pooling with indices (`F.max_pool1d(..., return_indices=True)`) of a
    /// `(C, L)` or `(N, C, L)` input; `kernel`, `stride`, `padding`, `dilation` are scalars.
    ///
    /// # Errors
    /// As [`Tensor::max_pool2d_with_indices`].
    pub fn max_pool1d_with_indices(
        &self,
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
    ) -> Result<(Tensor, Tensor)> {
        let x = one_row(self, "max_pool1d")?;
        let (v, i) = x.max_pool2d_with_indices(Pool2dOptions {
            kernel: (1, kernel),
            stride: (1, stride),
            padding: (0, padding),
            dilation: (1, dilation),
            ceil_mode,
        })?;
        Ok((v.squeeze_dim(-2)?, i.squeeze_dim(-2)?))
    }

    /// 2-D average pooling (`F.avg_pool2d`); `opts.dilation` must be `(1, 1)`. Padding
    /// counts toward the divisor with `count_include_pad`; `divisor_override` replaces it.
    ///
    /// # Errors
    /// As [`Tensor::max_pool2d_with_indices`], and [`Error::Argument`] for a dilation or
    /// a zero `divisor_override`.
    pub fn avg_pool2d(
        &self,
        opts: Pool2dOptions,
        count_include_pad: bool,
        divisor_override: Option<usize>,
    ) -> Result<Tensor> {
        const OP: &str = "avg_pool2d";
        if opts.dilation != (1, 1) {
            return Err(Error::argument(OP, "average pooling has no dilation"));
        }
        if divisor_override == Some(0) {
            return Err(Error::argument(OP, "divisor must be not zero"));
        }
        let dims = planes(OP, self)?;
        check_float(OP, self)?;
        let oh = pooled_len(
            OP,
            dims.1,
            opts.kernel.0,
            opts.stride.0,
            opts.padding.0,
            1,
            opts.ceil_mode,
        )?;
        let ow = pooled_len(
            OP,
            dims.2,
            opts.kernel.1,
            opts.stride.1,
            opts.padding.1,
            1,
            opts.ceil_mode,
        )?;
        with_real!(self.dtype(), OP, |T| avg_kernel::<T>(
            OP,
            self,
            dims,
            opts,
            (oh, ow),
            count_include_pad,
            divisor_override
        ))
    }

    /// 1-D average pooling (`F.avg_pool1d`) of a `(C, L)` or `(N, C, L)` input.
    ///
    /// # Errors
    /// As [`Tensor::avg_pool2d`].
    pub fn avg_pool1d(
        &self,
        kernel: usize,
        stride: usize,
        padding: usize,
        ceil_mode: bool,
        count_include_pad: bool,
    ) -> Result<Tensor> {
        let x = one_row(self, "avg_pool1d")?;
        let mut o = Pool2dOptions::new((1, kernel));
        o.stride = (1, stride);
        o.padding = (0, padding);
        o.ceil_mode = ceil_mode;
        x.avg_pool2d(o, count_include_pad, None)?.squeeze_dim(-2)
    }

    fn adaptive2d(
        &self,
        op: &'static str,
        out: (usize, usize),
        max: bool,
    ) -> Result<(Tensor, Option<Tensor>)> {
        let dims = planes(op, self)?;
        check_float(op, self)?;
        if out.0 == 0 || out.1 == 0 {
            return Err(Error::argument(
                op,
                format!("output size {out:?} must be positive"),
            ));
        }
        with_real!(self.dtype(), op, |T| adaptive_kernel::<T>(
            op, self, dims, out, max
        ))
    }

    /// Adaptive average pooling (`F.adaptive_avg_pool2d`) to `out` = `(oh, ow)`.
    ///
    /// # Errors
    /// Wrong rank or empty input; a zero output size; non-floating input.
    pub fn adaptive_avg_pool2d(&self, out: (usize, usize)) -> Result<Tensor> {
        Ok(self.adaptive2d("adaptive_avg_pool2d", out, false)?.0)
    }

    /// Adaptive average pooling (`F.adaptive_avg_pool1d`) of a `(C, L)` or `(N, C, L)`
    /// input to length `out`.
    ///
    /// # Errors
    /// As [`Tensor::adaptive_avg_pool2d`].
    pub fn adaptive_avg_pool1d(&self, out: usize) -> Result<Tensor> {
        one_row(self, "adaptive_avg_pool1d")?
            .adaptive_avg_pool2d((1, out))?
            .squeeze_dim(-2)
    }

    /// Adaptive max pooling with indices (`F.adaptive_max_pool2d(..., return_indices=True)`).
    ///
    /// # Errors
    /// As [`Tensor::adaptive_avg_pool2d`].
    pub fn adaptive_max_pool2d(&self, out: (usize, usize)) -> Result<(Tensor, Tensor)> {
        let (v, i) = self.adaptive2d("adaptive_max_pool2d", out, true)?;
        Ok((v, i.expect("max pooling returns indices")))
    }

    /// Resamples the trailing two dimensions of a `(C, H, W)` or `(N, C, H, W)` input to
    /// `size` (`F.interpolate(mode="nearest"|"bilinear")`). `scales` are the user's scale
    /// factors when the size came from them (PyTorch then maps coordinates by `1/scale`).
    ///
    /// # Errors
    /// Wrong rank or empty input; a zero output size; non-floating input.
    pub fn upsample2d(
        &self,
        size: (usize, usize),
        mode: Interpolation,
        scales: (Option<f64>, Option<f64>),
    ) -> Result<Tensor> {
        let op = match mode {
            Interpolation::Nearest => "upsample_nearest2d",
            Interpolation::Bilinear { .. } => "upsample_bilinear2d",
        };
        let dims = planes(op, self)?;
        check_float(op, self)?;
        if size.0 == 0 || size.1 == 0 {
            return Err(Error::argument(
                op,
                format!("output size {size:?} must be positive"),
            ));
        }
        with_real!(self.dtype(), op, |T| upsample_kernel::<T>(
            op, self, dims, size, mode, scales
        ))
    }
}
