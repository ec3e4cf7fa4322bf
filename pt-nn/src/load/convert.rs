//! The commit half of loading: writing already checked and converted values into the
//! module's tensors. Conversion itself is pt-core's `Tensor::to_dtype`, run in the check
//! pass so that a failed load changes nothing.

use pt_core::Tensor;

/// Writes `src`'s elements (same dtype and element count) into `dst`'s storage through
/// `dst`'s layout, so every view of that storage sees them.
pub(crate) fn write_into(dst: &Tensor, src: &Tensor) {
    debug_assert_eq!(dst.dtype(), src.dtype());
    debug_assert_eq!(dst.numel(), src.numel());
    // Read first, then lock for writing: src may share dst's storage.
    let bytes = src.to_contiguous_bytes();
    let es = dst.dtype().size();
    let mut guard = dst.storage().write();
    let mut i = 0;
    dst.for_each_storage_index(|idx| {
        if let (Some(d), Some(s)) = (
            guard.get_mut(idx * es..(idx + 1) * es),
            bytes.get(i * es..(i + 1) * es),
        ) {
            d.copy_from_slice(s);
        }
        i += 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_through_strided_views() {
        let dst = Tensor::from_vec(vec![0f32; 4], &[2, 2]).unwrap();
        let tv = dst.with_layout("t", vec![2, 2], vec![1, 2], 0).unwrap();
        write_into(
            &tv,
            &Tensor::from_vec(vec![1f32, 2., 3., 4.], &[2, 2]).unwrap(),
        );
        assert_eq!(dst.to_vec::<f32>().unwrap(), vec![1., 3., 2., 4.]);
        // Source sharing the destination's storage.
        write_into(&dst, &tv);
        assert_eq!(dst.to_vec::<f32>().unwrap(), vec![1., 2., 3., 4.]);
    }
}
