//! Element-wise binary kernels over two broadcast operands read in place by strides.
//!
//! Dimensions are coalesced first (adjacent dims that are contiguous in both operands merge,
//! size-1 dims drop), so the common cases reach a contiguous or scalar-broadcast inner loop
//! the compiler vectorises. The output is split into chunks of consecutive elements; each
//! element is computed by one chunk, so results do not depend on the thread count.

use super::Real;
use super::simd::dispatch;
use super::threads::for_each_chunk;

/// Elements per parallel chunk (whole cache lines, enough work to amortise a task).
const CHUNK: usize = 1 << 14;

/// A broadcast layout after coalescing: at least one dimension.
pub(crate) struct Layout2 {
    shape: Vec<usize>,
    sa: Vec<usize>,
    sb: Vec<usize>,
}

impl Layout2 {
    /// `sa`/`sb` are each operand's strides already aligned to `shape` (0 where broadcast).
    pub(crate) fn new(shape: &[usize], sa: &[usize], sb: &[usize]) -> Layout2 {
        let mut l = Layout2 {
            shape: Vec::with_capacity(shape.len()),
            sa: Vec::with_capacity(shape.len()),
            sb: Vec::with_capacity(shape.len()),
        };
        for d in 0..shape.len() {
            if shape[d] == 1 {
                continue;
            }
            if let Some(last) = l.shape.len().checked_sub(1)
                && l.sa[last] == sa[d] * shape[d]
                && l.sb[last] == sb[d] * shape[d]
            {
                l.shape[last] *= shape[d];
                l.sa[last] = sa[d];
                l.sb[last] = sb[d];
                continue;
            }
            l.shape.push(shape[d]);
            l.sa.push(sa[d]);
            l.sb.push(sb[d]);
        }
        if l.shape.is_empty() {
            l.shape.push(1);
            l.sa.push(0);
            l.sb.push(0);
        }
        l
    }
}

/// Strides of an operand of shape `shape`/`stride` broadcast to `out` (right-aligned; 0 on
/// broadcast dims).
pub(crate) fn broadcast_strides(shape: &[usize], stride: &[usize], out: &[usize]) -> Vec<usize> {
    let lead = out.len() - shape.len();
    (0..out.len())
        .map(|d| {
            if d < lead || shape[d - lead] != out[d] {
                0
            } else {
                stride[d - lead]
            }
        })
        .collect()
}

/// `out[i] = f(a[...], b[...])` over the broadcast layout; `a`/`b` are whole backing slices
/// with elements from offsets `oa`/`ob`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn binary<T: Real, F: Fn(T, T) -> T + Copy + Send + Sync>(
    out: &mut [T],
    l: &Layout2,
    a: &[T],
    oa: usize,
    b: &[T],
    ob: usize,
    cost: usize,
    f: F,
) {
    let n = out.len();
    for_each_chunk(out, CHUNK, n * cost, |i, dst| {
        dispatch(|| walk(dst, i * CHUNK, l, a, oa, b, ob, f));
    });
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn walk<T: Real, F: Fn(T, T) -> T + Copy>(
    out: &mut [T],
    start: usize,
    l: &Layout2,
    a: &[T],
    oa: usize,
    b: &[T],
    ob: usize,
    f: F,
) {
    let nd = l.shape.len();
    let inner = l.shape[nd - 1];
    let mut idx = vec![0usize; nd];
    let mut rem = start;
    for d in (0..nd).rev() {
        idx[d] = rem % l.shape[d];
        rem /= l.shape[d];
    }
    let (ia, ib) = (l.sa[nd - 1], l.sb[nd - 1]);
    let mut pos = 0;
    while pos < out.len() {
        let (mut pa, mut pb) = (oa, ob);
        for ((&i, &sa), &sb) in idx.iter().zip(&l.sa).zip(&l.sb) {
            pa += i * sa;
            pb += i * sb;
        }
        let len = (inner - idx[nd - 1]).min(out.len() - pos);
        let o = &mut out[pos..pos + len];
        match (ia, ib) {
            (1, 1) => {
                for ((d, &x), &y) in o.iter_mut().zip(&a[pa..pa + len]).zip(&b[pb..pb + len]) {
                    *d = f(x, y);
                }
            }
            (1, 0) => {
                let y = b[pb];
                for (d, &x) in o.iter_mut().zip(&a[pa..pa + len]) {
                    *d = f(x, y);
                }
            }
            (0, 1) => {
                let x = a[pa];
                for (d, &y) in o.iter_mut().zip(&b[pb..pb + len]) {
                    *d = f(x, y);
                }
            }
            _ => {
                for (k, d) in o.iter_mut().enumerate() {
                    *d = f(a[pa + k * ia], b[pb + k * ib]);
                }
            }
        }
        pos += len;
        idx[nd - 1] = 0;
        for d in (0..nd - 1).rev() {
            idx[d] += 1;
            if idx[d] < l.shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesces_and_broadcasts() {
        // [2, 3, 4] + [3, 1]: a contiguous, b broadcast over the first and last dim.
        let shape = [2, 3, 4];
        let a: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let b = [100.0f32, 200.0, 300.0];
        let l = Layout2::new(
            &shape,
            &[12, 4, 1],
            &broadcast_strides(&[3, 1], &[1, 1], &shape),
        );
        let mut out = [0.0f32; 24];
        // Odd chunk starts: walk from the middle of a row.
        let (lo, hi) = out.split_at_mut(5);
        walk(lo, 0, &l, &a, 0, &b, 0, |x, y| x + y);
        walk(hi, 5, &l, &a, 0, &b, 0, |x, y| x + y);
        for (i, v) in out.iter().enumerate() {
            assert_eq!(*v, i as f32 + b[(i / 4) % 3]);
        }
        let c = Layout2::new(&[4, 5], &[5, 1], &[5, 1]);
        assert_eq!(c.shape, [20]);
    }
}
