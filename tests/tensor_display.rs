//! `Display` of tensors against PyTorch's `repr`.
//!
//! Every expected string below was printed by real PyTorch 2.x (`repr(t)` for the same
//! tensor built in Python) and pasted here; the Rust expression beside it builds that tensor.

use pt::core::{Complex32, Complex64, DType, Tensor};

fn f32s(v: &[f32]) -> Tensor {
    Tensor::from_slice_1d(v)
}

fn ar(a: i64, b: i64) -> Tensor {
    Tensor::arange(a, b).unwrap()
}

fn evens() -> Tensor {
    let numbers = ar(1, 10);
    numbers
        .slice(0, Some(1), None, 2)
        .unwrap()
        .mul_scalar_(2)
        .unwrap();
    numbers
}

/// (case name, tensor, repr printed by torch)
fn cases() -> Vec<(&'static str, Tensor, &'static str)> {
    vec![
        ("f32_basic", f32s(&[1.0, 2.0]), "tensor([1., 2.])"),
        (
            "evens",
            evens(),
            "tensor([ 1,  4,  3,  8,  5, 12,  7, 16,  9])",
        ),
        ("i64_scalar", Tensor::scalar(0i64), "tensor(0)"),
        (
            "bool",
            Tensor::from_slice_1d(&[true, false]),
            "tensor([ True, False])",
        ),
        ("f32_frac", f32s(&[1.5, 2.25]), "tensor([1.5000, 2.2500])"),
        (
            "i64_2d",
            ar(0, 6).view(&[2, 3]).unwrap(),
            "tensor([[0, 1, 2],\n        [3, 4, 5]])",
        ),
        (
            "f32_2d",
            Tensor::from_vec(vec![1.5f32, -2.0, 3.25, 4.0], &[2, 2]).unwrap(),
            "tensor([[ 1.5000, -2.0000],\n        [ 3.2500,  4.0000]])",
        ),
        (
            "i64_3d",
            ar(0, 24).view(&[2, 3, 4]).unwrap(),
            "tensor([[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],\n\n        [[12, 13, 14, 15],\n         [16, 17, 18, 19],\n         [20, 21, 22, 23]]])",
        ),
        (
            "f32_3d",
            ar(0, 24)
                .to_dtype(DType::F32)
                .unwrap()
                .div_scalar(7)
                .unwrap()
                .view(&[2, 3, 4])
                .unwrap(),
            "tensor([[[0.0000, 0.1429, 0.2857, 0.4286],\n         [0.5714, 0.7143, 0.8571, 1.0000],\n         [1.1429, 1.2857, 1.4286, 1.5714]],\n\n        [[1.7143, 1.8571, 2.0000, 2.1429],\n         [2.2857, 2.4286, 2.5714, 2.7143],\n         [2.8571, 3.0000, 3.1429, 3.2857]]])",
        ),
        (
            "sci_small",
            f32s(&[1e-5, 1.0]),
            "tensor([1.0000e-05, 1.0000e+00])",
        ),
        (
            "sci_big",
            f32s(&[1e10, 1.0]),
            "tensor([1.0000e+10, 1.0000e+00])",
        ),
        (
            "sci_int_big",
            f32s(&[123456789.0, 1.0]),
            "tensor([1.2346e+08, 1.0000e+00])",
        ),
        (
            "sci_ratio",
            f32s(&[0.001, 1000.5]),
            "tensor([1.0000e-03, 1.0005e+03])",
        ),
        (
            "int_mode_1e9",
            f32s(&[1.0, 1e9]),
            "tensor([1.0000e+00, 1.0000e+09])",
        ),
        (
            "i32",
            Tensor::from_slice_1d(&[1i32, 2]),
            "tensor([1, 2], dtype=torch.int32)",
        ),
        (
            "f64",
            Tensor::from_slice_1d(&[1.0f64, 2.0]),
            "tensor([1., 2.], dtype=torch.float64)",
        ),
        (
            "req_grad",
            f32s(&[1.0, 2.0]).with_requires_grad(true),
            "tensor([1., 2.], requires_grad=True)",
        ),
        (
            "req_grad_f64",
            Tensor::from_slice_1d(&[1.5f64]).with_requires_grad(true),
            "tensor([1.5000], dtype=torch.float64, requires_grad=True)",
        ),
        (
            "empty_0x3",
            Tensor::zeros(&[0, 3], DType::F32),
            "tensor([], size=(0, 3))",
        ),
        ("empty_0", Tensor::zeros(&[0], DType::F32), "tensor([])"),
        (
            "empty_i64",
            Tensor::zeros(&[0], DType::I64),
            "tensor([], dtype=torch.int64)",
        ),
        (
            "empty_f64_2x0",
            Tensor::zeros(&[2, 0], DType::F64),
            "tensor([], size=(2, 0), dtype=torch.float64)",
        ),
        (
            "sum_i64_2000",
            ar(0, 2000),
            "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])",
        ),
        (
            "sum_f32_2000",
            ar(0, 2000)
                .to_dtype(DType::F32)
                .unwrap()
                .div_scalar(3)
                .unwrap(),
            "tensor([0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 6.6567e+02, 6.6600e+02,\n        6.6633e+02])",
        ),
        (
            "sum_2d_3x1000",
            ar(0, 3000).view(&[3, 1000]).unwrap(),
            "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n        [1000, 1001, 1002,  ..., 1997, 1998, 1999],\n        [2000, 2001, 2002,  ..., 2997, 2998, 2999]])",
        ),
        (
            "sum_2d_1100x1",
            ar(0, 1100).view(&[1100, 1]).unwrap(),
            "tensor([[   0],\n        [   1],\n        [   2],\n        ...,\n        [1097],\n        [1098],\n        [1099]])",
        ),
        (
            "sum_3d",
            ar(0, 1200).view(&[2, 20, 30]).unwrap(),
            "tensor([[[   0,    1,    2,  ...,   27,   28,   29],\n         [  30,   31,   32,  ...,   57,   58,   59],\n         [  60,   61,   62,  ...,   87,   88,   89],\n         ...,\n         [ 510,  511,  512,  ...,  537,  538,  539],\n         [ 540,  541,  542,  ...,  567,  568,  569],\n         [ 570,  571,  572,  ...,  597,  598,  599]],\n\n        [[ 600,  601,  602,  ...,  627,  628,  629],\n         [ 630,  631,  632,  ...,  657,  658,  659],\n         [ 660,  661,  662,  ...,  687,  688,  689],\n         ...,\n         [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n         [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n         [1170, 1171, 1172,  ..., 1197, 1198, 1199]]])",
        ),
        (
            "nan_inf",
            f32s(&[f32::NAN, 1.5, f32::INFINITY]),
            "tensor([   nan, 1.5000,    inf])",
        ),
        (
            "nan_int_mode",
            f32s(&[f32::NAN, 1.0, f32::NEG_INFINITY]),
            "tensor([nan, 1., -inf])",
        ),
        ("zeros_f", f32s(&[0.0, 0.0]), "tensor([0., 0.])"),
        ("neg_zero", f32s(&[-0.0, 1.0]), "tensor([-0., 1.])"),
        (
            "f16",
            f32s(&[1.5, 2.0]).to_dtype(DType::F16).unwrap(),
            "tensor([1.5000, 2.0000], dtype=torch.float16)",
        ),
        (
            "bf16",
            f32s(&[1.5, 2.0]).to_dtype(DType::BF16).unwrap(),
            "tensor([1.5000, 2.0000], dtype=torch.bfloat16)",
        ),
        (
            "c64",
            Tensor::from_slice_1d(&[Complex32::new(1.0, 2.0), Complex32::new(-3.5, -1.0)]),
            "tensor([ 1.0000+2.j, -3.5000-1.j])",
        ),
        (
            "c128",
            Tensor::from_slice_1d(&[Complex64::new(1.0, 2.0), Complex64::new(0.0, 0.5)]),
            "tensor([1.+2.0000j, 0.+0.5000j], dtype=torch.complex128)",
        ),
        (
            "c64_scalar",
            Tensor::scalar(Complex32::new(1.0, -1.0)),
            "tensor(1.-1.j)",
        ),
        (
            "wrap_f32",
            ar(0, 30)
                .to_dtype(DType::F32)
                .unwrap()
                .mul_scalar(1.1)
                .unwrap(),
            "tensor([ 0.0000,  1.1000,  2.2000,  3.3000,  4.4000,  5.5000,  6.6000,  7.7000,\n         8.8000,  9.9000, 11.0000, 12.1000, 13.2000, 14.3000, 15.4000, 16.5000,\n        17.6000, 18.7000, 19.8000, 20.9000, 22.0000, 23.1000, 24.2000, 25.3000,\n        26.4000, 27.5000, 28.6000, 29.7000, 30.8000, 31.9000])",
        ),
        (
            "wrap_i64",
            ar(0, 100),
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,\n        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n        72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,\n        90, 91, 92, 93, 94, 95, 96, 97, 98, 99])",
        ),
        (
            "neg_ints",
            Tensor::from_slice_1d(&[-1i64, 10, -100]),
            "tensor([  -1,   10, -100])",
        ),
        (
            "u8",
            Tensor::from_slice_1d(&[1u8, 255]),
            "tensor([  1, 255], dtype=torch.uint8)",
        ),
        (
            "i8",
            Tensor::from_slice_1d(&[-1i8, 5]),
            "tensor([-1,  5], dtype=torch.int8)",
        ),
        (
            "i16",
            Tensor::from_slice_1d(&[7i16]),
            "tensor([7], dtype=torch.int16)",
        ),
        ("f32_scalar", Tensor::scalar(3.5f32), "tensor(3.5000)"),
        (
            "f32_scalar_tiny",
            Tensor::scalar(1e-8f32),
            "tensor(1.0000e-08)",
        ),
        ("bool_scalar", Tensor::scalar(true), "tensor(True)"),
        (
            "mixed",
            f32s(&[1e-3, 1.0, 12345.678]),
            "tensor([1.0000e-03, 1.0000e+00, 1.2346e+04])",
        ),
        (
            "f64_scalar",
            Tensor::scalar(2.5f64),
            "tensor(2.5000, dtype=torch.float64)",
        ),
        (
            "grad_wrap",
            ar(0, 20)
                .to_dtype(DType::F32)
                .unwrap()
                .mul_scalar(1.123)
                .unwrap()
                .view(&[2, 10])
                .unwrap()
                .with_requires_grad(true),
            "tensor([[ 0.0000,  1.1230,  2.2460,  3.3690,  4.4920,  5.6150,  6.7380,  7.8610,\n          8.9840, 10.1070],\n        [11.2300, 12.3530, 13.4760, 14.5990, 15.7220, 16.8450, 17.9680, 19.0910,\n         20.2140, 21.3370]], requires_grad=True)",
        ),
        (
            "round_half",
            Tensor::from_slice_1d(&[0.125f64, 0.375, 2.5, 0.00015, 1.00005]),
            "tensor([1.2500e-01, 3.7500e-01, 2.5000e+00, 1.5000e-04, 1.0001e+00],\n       dtype=torch.float64)",
        ),
        (
            "neg_frac",
            f32s(&[-1.5, 0.25, -0.001]),
            "tensor([-1.5000e+00,  2.5000e-01, -1.0000e-03])",
        ),
        (
            "f32_rounding",
            f32s(&[0.1, 0.2, 0.3]),
            "tensor([0.1000, 0.2000, 0.3000])",
        ),
        (
            "big_sci_f64",
            Tensor::from_slice_1d(&[1e300f64, -1e-300]),
            "tensor([ 1.0000e+300, -1.0000e-300], dtype=torch.float64)",
        ),
        (
            "f32_2d_wrap",
            ar(0, 40)
                .to_dtype(DType::F32)
                .unwrap()
                .mul_scalar(1.5)
                .unwrap()
                .view(&[2, 20])
                .unwrap(),
            "tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n         12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n         24.0000, 25.5000, 27.0000, 28.5000],\n        [30.0000, 31.5000, 33.0000, 34.5000, 36.0000, 37.5000, 39.0000, 40.5000,\n         42.0000, 43.5000, 45.0000, 46.5000, 48.0000, 49.5000, 51.0000, 52.5000,\n         54.0000, 55.5000, 57.0000, 58.5000]])",
        ),
        ("all_nan", f32s(&[f32::NAN, f32::NAN]), "tensor([nan, nan])"),
        (
            "inf_only",
            f32s(&[f32::INFINITY, f32::NEG_INFINITY, 0.0]),
            "tensor([inf, -inf, 0.])",
        ),
        (
            "f64_4d",
            ar(0, 16)
                .to_dtype(DType::F64)
                .unwrap()
                .view(&[2, 2, 2, 2])
                .unwrap(),
            "tensor([[[[ 0.,  1.],\n          [ 2.,  3.]],\n\n         [[ 4.,  5.],\n          [ 6.,  7.]]],\n\n\n        [[[ 8.,  9.],\n          [10., 11.]],\n\n         [[12., 13.],\n          [14., 15.]]]], dtype=torch.float64)",
        ),
        (
            "empty_3d_i32",
            Tensor::zeros(&[2, 0, 3], DType::I32),
            "tensor([], size=(2, 0, 3), dtype=torch.int32)",
        ),
    ]
}

#[test]
fn display_matches_torch_repr() {
    let mut failures = Vec::new();
    for (name, t, expected) in cases() {
        let got = t.to_string();
        if got != expected {
            failures.push(format!("{name}:\n got: {got}\nwant: {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn display_of_views_and_float8() {
    // A non-contiguous view prints its logical values (torch: x.t()).
    let t = ar(0, 6).view(&[2, 3]).unwrap().t().unwrap();
    assert_eq!(
        t.to_string(),
        "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])"
    );
    // torch: torch.tensor([1.0, 0.5, -2.0]).to(torch.float8_e4m3fn)
    let f8 = Tensor::from_raw_bytes(&[0x38, 0x30, 0xc0], DType::F8E4M3Fn, &[3]).unwrap();
    assert_eq!(
        f8.to_string(),
        "tensor([ 1.0000,  0.5000, -2.0000], dtype=torch.float8_e4m3fn)"
    );
}
