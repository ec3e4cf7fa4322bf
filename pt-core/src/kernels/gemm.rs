//! Matrix products through the `gemm` crate, behind a safe, bounds-checked interface.
//!
//! Operands are strided views of slices (a transposed matrix is a pair of swapped strides,
//! never a copy); the destination is a row-major block of a mutable slice.

use super::threads;

/// Element types the GEMM computes in.
pub(crate) trait GemmFloat: Copy + Send + Sync + 'static + Default {
    const ZERO: Self;
    const ONE: Self;
}

impl GemmFloat for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
}

impl GemmFloat for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
}

/// A read-only strided matrix inside a slice: element `(i, j)` is
/// `data[offset + i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a, T> {
    pub data: &'a [T],
    pub offset: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A row-major matrix of `rows × cols` starting at `offset`.
    pub(crate) fn row_major(data: &'a [T], offset: usize, rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            offset,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose (swapped strides, no copy).
    pub(crate) fn t(self) -> Self {
        MatRef {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// True when every element lies inside `data`.
    fn in_bounds(&self) -> bool {
        if self.rows == 0 || self.cols == 0 {
            return true;
        }
        let last = (self.rows - 1)
            .checked_mul(self.row_stride)
            .and_then(|r| {
                (self.cols - 1)
                    .checked_mul(self.col_stride)
                    .and_then(|c| r.checked_add(c))
            })
            .and_then(|x| x.checked_add(self.offset));
        matches!(last, Some(l) if l < self.data.len())
    }
}

fn stride(s: usize) -> isize {
    // Strides come from validated tensor layouts or slice lengths, both below isize::MAX.
    isize::try_from(s).unwrap_or(isize::MAX)
}

/// `dst[i * dst_row_stride + j] (+)= Σ_l a[i, l] · b[l, j]` for the `a.rows × b.cols` block
/// at the start of `dst`; with `accumulate` the product is added to what `dst` holds.
///
/// # Panics
/// If the shapes disagree or an operand or the destination block lies outside its slice
/// (callers build them from validated layouts).
pub(crate) fn gemm<T: GemmFloat>(
    dst: &mut [T],
    dst_row_stride: usize,
    accumulate: bool,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    threads: usize,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "gemm: inner dimensions differ");
    assert!(
        a.in_bounds() && b.in_bounds(),
        "gemm: operand out of bounds"
    );
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        dst_row_stride >= n && (m - 1) * dst_row_stride + n <= dst.len(),
        "gemm: destination out of bounds"
    );
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                dst[i * dst_row_stride..i * dst_row_stride + n].fill(T::ZERO);
            }
        }
        return;
    }
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    threads::run(threads, || {
        // SAFETY: every element the GEMM reads lies inside `a.data` / `b.data` (checked by
        // `in_bounds`), and the `m × n` destination block with row stride
        // `dst_row_stride >= n` lies inside `dst` (checked above), so rows do not overlap.
        // `dst` is exclusively borrowed, so it cannot alias the operands.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr(),
                1,
                stride(dst_row_stride),
                accumulate,
                a.data.as_ptr().add(a.offset),
                stride(a.col_stride),
                stride(a.row_stride),
                b.data.as_ptr().add(b.offset),
                stride(b.col_stride),
                stride(b.row_stride),
                T::ONE,
                T::ONE,
                false,
                false,
                false,
                par,
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_operands_and_accumulate() {
        // a = [[1, 2, 3], [4, 5, 6]], b stored as its transpose [[1, 0, 2], [0, 1, 1]].
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let bt = [1.0f32, 0.0, 2.0, 0.0, 1.0, 1.0];
        let mut c = vec![1.0f32; 4];
        gemm(
            &mut c,
            2,
            true,
            MatRef::row_major(&a, 0, 2, 3),
            MatRef::row_major(&bt, 0, 2, 3).t(),
            1,
        );
        assert_eq!(c, [8.0, 6.0, 17.0, 12.0]);
        gemm(
            &mut c,
            2,
            false,
            MatRef::row_major(&a, 0, 2, 3),
            MatRef::row_major(&bt, 0, 2, 3).t(),
            1,
        );
        assert_eq!(c, [7.0, 5.0, 16.0, 11.0]);
    }
}
