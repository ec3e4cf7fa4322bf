//! The view examples of PyTorch's serialization docs ("saving and loading tensors preserves
//! views"), in memory, plus the view layouts recorded in the format reference. Expected
//! strides/offsets were checked against real PyTorch.

use pt::core::{DType, Tensor};

#[test]
fn evens_write_through_to_numbers() {
    let numbers = Tensor::arange(1, 10).unwrap();
    let evens = numbers.slice(0, Some(1), None, 2).unwrap();
    assert_eq!(evens.to_string(), "tensor([2, 4, 6, 8])");
    assert!(evens.shares_storage(&numbers));
    assert_eq!((evens.storage_offset(), evens.stride()), (1, &[2usize][..]));
    evens.mul_scalar_(2).unwrap();
    assert_eq!(
        numbers.to_string(),
        "tensor([ 1,  4,  3,  8,  5, 12,  7, 16,  9])"
    );
    // The same through a tensor operand and through a second, overlapping view.
    let odds = numbers.slice(0, None, None, 2).unwrap();
    odds.add_(&Tensor::scalar(100i64)).unwrap();
    assert_eq!(
        numbers.to_vec::<i64>().unwrap(),
        [101, 4, 103, 8, 105, 12, 107, 16, 109]
    );
}

#[test]
fn small_view_keeps_large_storage_and_clone_compacts() {
    let large = Tensor::arange(1, 1000).unwrap();
    let small = large.slice(0, Some(0), Some(5), 1).unwrap();
    assert_eq!(small.storage().nbytes(), 7992);
    assert_eq!(small.storage().nbytes() / small.dtype().size(), 999);
    let clone = small.deep_clone();
    assert_eq!(clone.storage().nbytes(), 40);
    assert_eq!(clone.storage().nbytes() / clone.dtype().size(), 5);
    assert!(!clone.shares_storage(&large));
    assert_eq!(clone.to_vec::<i64>().unwrap(), [1, 2, 3, 4, 5]);
    // The clone is independent of later writes.
    small.fill_(0).unwrap();
    assert_eq!(clone.to_vec::<i64>().unwrap(), [1, 2, 3, 4, 5]);
    assert_eq!(large.to_vec::<i64>().unwrap()[..6], [0, 0, 0, 0, 0, 6]);
}

#[test]
fn layouts_match_pytorch() {
    // ones(2,3).t() → size (3,2), stride (1,3)
    let t = Tensor::ones(&[2, 3], DType::F32).t().unwrap();
    assert_eq!(
        (t.shape(), t.stride()),
        (&[3usize, 2][..], &[1usize, 3][..])
    );
    // x[:, 1] of a 3×4 → offset 1, size (3,), stride (4,)
    let x = Tensor::arange(0, 12).unwrap().view(&[3, 4]).unwrap();
    let c = x.select(1, 1).unwrap();
    assert_eq!(
        (c.storage_offset(), c.shape(), c.stride()),
        (1, &[3usize][..], &[4usize][..])
    );
    // expand keeps stride 0
    let e = Tensor::arange(0, 3).unwrap().expand(&[2, 3]).unwrap();
    assert_eq!(e.stride(), &[0, 1]);
    // 0-dim and empty tensors
    let s = Tensor::scalar(1.0f32);
    assert_eq!((s.shape(), s.stride()), (&[][..], &[][..]));
    let z = Tensor::zeros(&[0, 3], DType::F32);
    assert_eq!(z.stride(), &[3, 1]);
    // x[1:, ::2] of a 3×4 → offset 4, size (2,2), stride (4,2)
    let v = x
        .slice(0, Some(1), None, 1)
        .unwrap()
        .slice(1, None, None, 2)
        .unwrap();
    assert_eq!(
        (v.storage_offset(), v.shape(), v.stride()),
        (4, &[2usize, 2][..], &[4usize, 2][..])
    );
}

#[test]
fn writes_through_transposes_permutes_and_reshapes() {
    let base = Tensor::zeros(&[2, 3, 4], DType::F64);
    let p = base.permute(&[2, 0, 1]).unwrap();
    p.select(0, 3).unwrap().fill_(1.0).unwrap();
    let v = base.to_vec_f64().unwrap();
    for (i, x) in v.iter().enumerate() {
        assert_eq!(*x, if i % 4 == 3 { 1.0 } else { 0.0 });
    }
    // A reshape that can be a view aliases; one that cannot copies.
    let flat = base.reshape(&[-1]).unwrap();
    assert!(flat.shares_storage(&base));
    let copied = base.transpose(0, 2).unwrap().reshape(&[-1]).unwrap();
    assert!(!copied.shares_storage(&base));
    flat.narrow(0, 0, 1)
        .unwrap()
        .copy_(&Tensor::scalar(7.0f64))
        .unwrap();
    assert_eq!(base.to_vec_f64().unwrap()[0], 7.0);
    assert_eq!(copied.to_vec_f64().unwrap()[0], 0.0);
}

#[test]
fn invalid_views_are_errors_not_panics() {
    let x = Tensor::arange(0, 6).unwrap().view(&[2, 3]).unwrap();
    assert!(x.slice(2, None, None, 1).is_err());
    assert!(x.slice(0, None, None, 0).is_err());
    assert!(x.select(0, -3).is_err());
    assert!(x.narrow(1, -4, 1).is_err());
    assert!(x.t().unwrap().view(&[6]).is_err());
    assert!(x.view(&[4, -1]).is_err());
    assert!(x.expand(&[3]).is_err());
    assert!(x.expand(&[-1, 2, 3]).is_err());
    assert!(x.permute(&[0, 2]).is_err());
    assert!(x.unsqueeze(-4).is_err());
    assert!(x.transpose(0, 2).is_err());
    assert!(x.flatten(1, 0).is_err());
    assert!(
        Tensor::arange(0, 2)
            .unwrap()
            .expand(&[3, 2])
            .unwrap()
            .add_scalar_(1)
            .is_err()
    );
}
