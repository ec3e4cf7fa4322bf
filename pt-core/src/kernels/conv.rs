//! 2-D convolution (cross-correlation) on contiguous `NCHW` slices; 1-D convolution is the
//! `H = 1` case. Grouped and dense convolutions go through im2col in bounded column tiles
//! plus the GEMM (a 1×1, stride-1, unpadded convolution skips im2col: the input already is
//! the column matrix); depthwise convolutions use a direct kernel.

use super::Real;
use super::gemm::{MatRef, gemm};
use super::threads::{for_each_chunk, threads_for};

/// Elements of one im2col tile at most (16 MiB of f32; with one tile per thread the
/// scratch stays far below the 64 MiB bound).
const TILE_ELEMS: usize = 1 << 22;

/// Sizes of a 2-D convolution, all already validated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kh: usize,
    pub kw: usize,
    pub oh: usize,
    pub ow: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
}

impl Geometry {
    fn cg(&self) -> usize {
        self.c / self.groups
    }
    fn og(&self) -> usize {
        self.o / self.groups
    }
    /// Rows of the column matrix of one group.
    fn k(&self) -> usize {
        self.cg() * self.kh * self.kw
    }
    fn positions(&self) -> usize {
        self.oh * self.ow
    }
}

/// `out` (`n × o × oh × ow`, pre-filled with the bias or zeros) `+=` the convolution of
/// `x` (`n × c × h × w`) with `weight` (`o × c/groups × kh × kw`).
pub(crate) fn conv2d<T: Real>(x: &[T], weight: &[T], out: &mut [T], g: Geometry) {
    let per_image = g.o * g.positions();
    if per_image == 0 {
        return;
    }
    let work = g.n * per_image * g.k();
    if g.cg() == 1 && g.groups > 1 {
        // Depthwise: each output channel reads one input channel.
        let plane = g.positions();
        for_each_chunk(out, plane, work, |i, dst| {
            let (ni, oc) = (i / g.o, i % g.o);
            let ci = oc / g.og();
            let src = &x[(ni * g.c + ci) * g.h * g.w..][..g.h * g.w];
            let wk = &weight[oc * g.kh * g.kw..][..g.kh * g.kw];
            direct_plane(src, wk, dst, &g);
        });
        return;
    }
    let threads = threads_for(work);
    if threads > 1 && g.n >= threads {
        // Whole images per task, each GEMM on one thread.
        for_each_chunk(out, per_image, work, |ni, dst| {
            image(x, weight, dst, ni, &g, 1);
        });
    } else {
        for (ni, dst) in out.chunks_mut(per_image).enumerate() {
            image(x, weight, dst, ni, &g, threads);
        }
    }
}

/// One image: every group, every column tile.
fn image<T: Real>(x: &[T], weight: &[T], dst: &mut [T], ni: usize, g: &Geometry, threads: usize) {
    let (k, og, cg, pos) = (g.k(), g.og(), g.cg(), g.positions());
    let pointwise = g.kh == 1 && g.kw == 1 && g.stride == (1, 1) && g.padding == (0, 0);
    let tile = (TILE_ELEMS / k.max(1)).clamp(1, pos);
    let mut scratch: Vec<T> = if pointwise {
        Vec::new()
    } else {
        vec![T::ZERO; k * tile]
    };
    for gi in 0..g.groups {
        let wmat = MatRef::row_major(weight, gi * og * k, og, k);
        let src = &x[(ni * g.c + gi * cg) * g.h * g.w..][..cg * g.h * g.w];
        if pointwise {
            gemm(
                &mut dst[gi * og * pos..],
                pos,
                true,
                wmat,
                MatRef::row_major(src, 0, cg, pos),
                threads,
            );
            continue;
        }
        let mut p0 = 0;
        while p0 < pos {
            let cols = tile.min(pos - p0);
            im2col(src, &mut scratch[..k * cols], p0, cols, g);
            gemm(
                &mut dst[gi * og * pos + p0..],
                pos,
                true,
                wmat,
                MatRef::row_major(&scratch, 0, k, cols),
                threads,
            );
            p0 += cols;
        }
    }
}

/// Fills `col` (`k × cols`, row-major) with the input taps of output positions
/// `p0 .. p0 + cols` of one group (`src` is its `cg × h × w` input).
fn im2col<T: Real>(src: &[T], col: &mut [T], p0: usize, cols: usize, g: &Geometry) {
    let (sh, sw) = g.stride;
    let (ph, pw) = g.padding;
    let (dh, dw) = g.dilation;
    let mut row = 0;
    for ci in 0..g.cg() {
        let plane = &src[ci * g.h * g.w..][..g.h * g.w];
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                let dst = &mut col[row * cols..][..cols];
                row += 1;
                let mut j = 0;
                while j < cols {
                    let p = p0 + j;
                    let (oy, ox0) = (p / g.ow, p % g.ow);
                    let run = (g.ow - ox0).min(cols - j);
                    let seg = &mut dst[j..j + run];
                    j += run;
                    let iy = (oy * sh + ky * dh).wrapping_sub(ph);
                    if iy >= g.h {
                        seg.fill(T::ZERO);
                        continue;
                    }
                    let line = &plane[iy * g.w..][..g.w];
                    let xoff = kx * dw;
                    if sw == 1 {
                        // Input column ox + xoff - pw for ox in ox0..ox0+run.
                        for (t, s) in seg.iter_mut().enumerate() {
                            let ix = (ox0 + t + xoff).wrapping_sub(pw);
                            *s = if ix < g.w { line[ix] } else { T::ZERO };
                        }
                    } else {
                        for (t, s) in seg.iter_mut().enumerate() {
                            let ix = ((ox0 + t) * sw + xoff).wrapping_sub(pw);
                            *s = if ix < g.w { line[ix] } else { T::ZERO };
                        }
                    }
                }
            }
        }
    }
}

/// One output plane of a depthwise convolution, accumulated into `dst` (`oh × ow`).
fn direct_plane<T: Real>(src: &[T], wk: &[T], dst: &mut [T], g: &Geometry) {
    let (sh, sw) = g.stride;
    let (ph, pw) = g.padding;
    let (dh, dw) = g.dilation;
    for oy in 0..g.oh {
        let out_row = &mut dst[oy * g.ow..][..g.ow];
        for ky in 0..g.kh {
            let iy = (oy * sh + ky * dh).wrapping_sub(ph);
            if iy >= g.h {
                continue;
            }
            let line = &src[iy * g.w..][..g.w];
            for kx in 0..g.kw {
                let wv = wk[ky * g.kw + kx];
                let xoff = kx * dw;
                // Valid ox: 0 <= ox*sw + xoff - pw < w.
                let lo = pw.saturating_sub(xoff).div_ceil(sw);
                let hi = (g.w + pw).saturating_sub(xoff).div_ceil(sw).min(g.ow);
                if lo >= hi {
                    continue;
                }
                if sw == 1 {
                    let start = lo + xoff - pw;
                    for (o, &v) in out_row[lo..hi]
                        .iter_mut()
                        .zip(&line[start..start + hi - lo])
                    {
                        *o += wv * v;
                    }
                } else {
                    for (t, o) in out_row[lo..hi].iter_mut().enumerate() {
                        *o += wv * line[(lo + t) * sw + xoff - pw];
                    }
                }
            }
        }
    }
}
