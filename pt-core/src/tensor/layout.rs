//! The one place where a view's (shape, stride, offset) is checked against its storage.

use crate::dtype::DType;
use crate::error::{Error, Result};

/// Number of elements of a shape, or `None` on overflow.
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Row-major (C-contiguous) strides for a shape, in elements. Dimensions of size ≤ 1 get the
/// stride PyTorch gives them (the product of the sizes to their right).
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1usize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.saturating_mul(d.max(1));
    }
    strides
}

/// Checks that every element a view addresses lies inside a storage of `storage_nbytes`
/// bytes, with checked arithmetic throughout. A view with no elements is always valid (it
/// reads nothing), as in PyTorch; its offset must still be representable in bytes.
///
/// # Errors
/// [`Error::OutOfBounds`] naming `op` if the view would reach outside the storage or any
/// product overflows; [`Error::Argument`] if shape and stride lengths differ.
pub fn check_view(
    op: &'static str,
    dtype: DType,
    shape: &[usize],
    stride: &[usize],
    offset: usize,
    storage_nbytes: usize,
) -> Result<()> {
    if shape.len() != stride.len() {
        return Err(Error::argument(
            op,
            format!(
                "shape has {} dims but stride has {}",
                shape.len(),
                stride.len()
            ),
        ));
    }
    let oob = || Error::OutOfBounds {
        op,
        shape: shape.to_vec(),
        stride: stride.to_vec(),
        offset,
        storage_nbytes,
        dtype,
    };
    let numel = checked_numel(shape).ok_or_else(oob)?;
    if numel == 0 {
        offset.checked_mul(dtype.size()).ok_or_else(oob)?;
        return Ok(());
    }
    let mut last = offset;
    for (&d, &s) in shape.iter().zip(stride) {
        let reach = (d - 1).checked_mul(s).ok_or_else(oob)?;
        last = last.checked_add(reach).ok_or_else(oob)?;
    }
    let end_bytes = last
        .checked_add(1)
        .and_then(|n| n.checked_mul(dtype.size()))
        .ok_or_else(oob)?;
    if end_bytes > storage_nbytes {
        return Err(oob());
    }
    Ok(())
}

/// True when the layout is row-major contiguous (sizes-1 and empty dims ignored, as PyTorch).
pub fn is_contiguous(shape: &[usize], stride: &[usize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut expected = 1usize;
    for (&d, &s) in shape.iter().zip(stride).rev() {
        if d != 1 {
            if s != expected {
                return false;
            }
            expected *= d;
        }
    }
    true
}

/// Visits the storage element index of every element of a view, in row-major order.
pub fn for_each_index(shape: &[usize], stride: &[usize], offset: usize, mut f: impl FnMut(usize)) {
    if shape.contains(&0) {
        return;
    }
    if shape.is_empty() {
        f(offset);
        return;
    }
    let nd = shape.len();
    let mut idx = vec![0usize; nd];
    let inner = shape[nd - 1];
    let inner_stride = stride[nd - 1];
    let mut base = offset;
    loop {
        let mut p = base;
        for _ in 0..inner {
            f(p);
            p += inner_stride;
        }
        // Advance the outer dimensions like an odometer.
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            base += stride[d];
            if idx[d] < shape[d] {
                break;
            }
            base -= stride[d] * shape[d];
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_bounds() {
        assert!(check_view("t", DType::F32, &[2, 3], &[3, 1], 0, 24).is_ok());
        assert!(check_view("t", DType::F32, &[2, 3], &[3, 1], 1, 24).is_err());
        assert!(check_view("t", DType::F32, &[3, 2], &[1, 3], 0, 24).is_ok());
        assert!(check_view("t", DType::F32, &[0, 3], &[3, 1], 1000, 0).is_ok());
        assert!(check_view("t", DType::F32, &[], &[], 5, 24).is_ok());
        assert!(check_view("t", DType::F32, &[], &[], 6, 24).is_err());
        assert!(check_view("t", DType::F32, &[usize::MAX, 2], &[1, 1], 0, 24).is_err());
        assert!(check_view("t", DType::F32, &[2], &[usize::MAX], 0, 24).is_err());
        assert!(check_view("t", DType::F32, &[4], &[0], 5, 24).is_ok());
        assert!(check_view("t", DType::F32, &[2], &[1, 1], 0, 24).is_err());
    }

    #[test]
    fn strides_and_contiguity() {
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(contiguous_strides(&[]), Vec::<usize>::new());
        assert!(is_contiguous(&[2, 3], &[3, 1]));
        assert!(!is_contiguous(&[3, 2], &[1, 3]));
        assert!(is_contiguous(&[1, 3], &[99, 1]));
    }

    #[test]
    fn index_walk() {
        let mut v = vec![];
        for_each_index(&[3, 2], &[1, 3], 0, |i| v.push(i));
        assert_eq!(v, vec![0, 3, 1, 4, 2, 5]);
        v.clear();
        for_each_index(&[], &[], 7, |i| v.push(i));
        assert_eq!(v, vec![7]);
        v.clear();
        for_each_index(&[2, 0], &[1, 1], 0, |i| v.push(i));
        assert!(v.is_empty());
    }
}
