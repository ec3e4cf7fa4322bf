//! Layers: shapes, defaults, initialisation, reprs and forward numerics. Expected numbers
//! come from torch 2.15 running the same computation (the snippet is in each comment).

use pt::core::{DType, Generator, Tensor};
use pt::nn::functional::{self, Conv2dOptions};
use pt::nn::{
    BatchNorm1d, BatchNormOptions, Conv2d, Dropout, Embedding, Flatten, Forward, GELU, LayerNorm,
    Linear, Module, ReLU, Sequential,
};

fn t(values: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(values, shape).unwrap()
}

fn close(got: &Tensor, want: &[f64], tol: f64) {
    let got = got.to_vec_f64().unwrap();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "element {i}: got {g}, want {w}");
    }
}

#[test]
fn linear_shapes_init_and_repr() {
    let mut g = Generator::new(0);
    let l = Linear::new(4, 2).init_with(&mut g);
    assert_eq!(l.weight.shape(), &[2, 4]);
    assert_eq!(l.bias.as_ref().unwrap().shape(), &[2]);
    assert!(l.weight.requires_grad());
    assert_eq!(l.weight.dtype(), DType::F32);
    let bound = 0.5 + 1e-7; // 1/sqrt(4)
    assert!(
        l.weight
            .to_vec_f64()
            .unwrap()
            .iter()
            .all(|v| v.abs() <= bound)
    );
    assert_eq!(
        l.to_string(),
        "Linear(in_features=4, out_features=2, bias=True)"
    );
    let nb = Linear::with_options(3, 5, pt::nn::LinearOptions { bias: false }).init_with(&mut g);
    assert_eq!(nb.state_dict().keys().collect::<Vec<_>>(), ["weight"]);
    assert_eq!(
        nb.to_string(),
        "Linear(in_features=3, out_features=5, bias=False)"
    );
    // Same seed, same weights.
    let again = Linear::new(4, 2).init_with(&mut Generator::new(0));
    assert!(again.weight.equal(&l.weight));
}

#[test]
fn linear_forward_batches() {
    let l = Linear::from_tensors(
        t(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]),
        Some(t(vec![0.5, -0.5], &[2])),
    )
    .unwrap();
    let y = l
        .forward(&t(vec![1.0, 0.0, -1.0, 2.0, 2.0, 2.0], &[2, 3]))
        .unwrap();
    assert_eq!(y.shape(), &[2, 2]);
    close(&y, &[-1.5, -2.5, 12.5, 29.5], 0.0);
    let one = l.forward(&t(vec![1.0, 1.0, 1.0], &[3])).unwrap();
    assert_eq!(one.shape(), &[2]);
    assert!(l.forward(&t(vec![1.0; 4], &[4])).is_err());
}

/// torch: bn = nn.BatchNorm1d(3); x = [[1,2,3],[4,0,-1],[0.5,0.5,2],[3,-2,1]]; bn(x);
/// bn(torch.arange(24.).reshape(2,3,4).sin()); bn.eval(); bn(x)
#[test]
fn batchnorm1d_training_then_eval_matches_torch() {
    let mut bn = BatchNorm1d::new(3);
    let x = t(
        vec![1., 2., 3., 4., 0., -1., 0.5, 0.5, 2., 3., -2., 1.],
        &[4, 3],
    );
    let y = bn.forward(&x).unwrap();
    close(
        &y,
        &[
            -0.786_331_71,
            1.310_552_95,
            1.183_213_23,
            1.310_552_95,
            -0.087_370_19,
            -1.521_274_09,
            -1.135_812_52,
            0.262_110_59,
            0.507_091_40,
            0.611_591_40,
            -1.485_293_27,
            -0.169_030_43,
        ],
        1e-6,
    );
    close(bn.running_mean().unwrap(), &[0.2125, 0.0125, 0.125], 1e-7);
    close(
        bn.running_var().unwrap(),
        &[1.172_916_65, 1.172_916_65, 1.191_666_60],
        1e-6,
    );
    assert_eq!(
        bn.num_batches_tracked().unwrap().to_vec::<i64>().unwrap(),
        [1]
    );

    let x3 = t((0..24).map(|i| (i as f32).sin()).collect(), &[2, 3, 4]);
    let y3 = bn.forward(&x3).unwrap();
    assert_eq!(y3.shape(), &[2, 3, 4]);
    close(
        &y3,
        &[
            -0.861_763_0,
            0.836_289_4,
            0.973_160_3,
            -0.576_988_9,
            -0.664_529_7,
            -1.039_471_3,
            0.221_036_4,
            1.958_088_3,
            1.177_742_8,
            0.418_449_6,
            -0.839_243_4,
            -1.439_018_8,
            -1.944_544_2,
            -0.013_883_9,
            1.137_240_3,
            0.450_490_1,
            0.205_291_3,
            -1.044_059_2,
            -0.653_742_3,
            1.017_386_3,
            1.077_230_2,
            0.976_879_9,
            -0.135_288_3,
            -1.236_752_2,
        ],
        1e-5,
    );
    close(
        bn.running_mean().unwrap(),
        &[0.233_954_73, -0.028_607_08, 0.121_899_93],
        1e-6,
    );
    close(
        bn.running_var().unwrap(),
        &[1.083_688_97, 1.088_835_48, 1.138_550_64],
        1e-6,
    );
    bn.eval();
    close(
        &bn.forward(&x).unwrap(),
        &[
            0.735_868_33,
            1.944_082_98,
            2.697_291_14,
            3.617_688_89,
            0.027_415_14,
            -1.051_419_50,
            0.255_564_93,
            0.506_582_08,
            1.760_113_48,
            2.657_082_08,
            -1.889_252_66,
            0.822_935_76,
        ],
        1e-5,
    );
    assert!(bn.forward(&t(vec![0.0; 8], &[1, 2, 2, 2])).is_err());
}

#[test]
fn batchnorm_state_layout_and_options() {
    let bn = BatchNorm1d::new(3);
    let sd = bn.state_dict();
    assert_eq!(
        sd.keys().collect::<Vec<_>>(),
        [
            "weight",
            "bias",
            "running_mean",
            "running_var",
            "num_batches_tracked"
        ]
    );
    assert_eq!(sd.module_version(""), Some(2));
    let nbt = sd.tensor("num_batches_tracked").unwrap();
    assert_eq!((nbt.dtype(), nbt.dim()), (DType::I64, 0));
    assert_eq!(
        bn.to_string(),
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    );
    let plain = BatchNorm1d::with_options(
        2,
        BatchNormOptions {
            affine: false,
            track_running_stats: false,
            ..BatchNormOptions::default()
        },
    );
    assert!(plain.state_dict().is_empty());
    // Without running stats the batch statistics are used even in eval.
    let mut plain = plain;
    plain.eval();
    let y = plain
        .forward(&t(vec![1.0, 2.0, 3.0, 6.0], &[2, 2]))
        .unwrap();
    close(&y, &[-1.0, -1.0, 1.0, 1.0], 1e-4);
    let params: Vec<String> = BatchNorm1d::new(2)
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(params, ["weight", "bias"]);
}

#[test]
fn batchnorm_rejects_single_value_batches() {
    let bn = BatchNorm1d::new(2);
    let err = bn.forward(&t(vec![1.0, 2.0], &[1, 2])).unwrap_err();
    assert!(
        err.to_string()
            .contains("Expected more than 1 value per channel")
    );
}

/// torch: F.gelu(torch.arange(-3., 3., 0.75)) and approximate='tanh'.
#[test]
fn gelu_exact_and_tanh() {
    let x = t((0..8).map(|i| -3.0 + 0.75 * i as f32).collect(), &[8]);
    close(
        &GELU::new().forward(&x).unwrap(),
        &[
            -0.004_050_225,
            -0.027_505_048,
            -0.100_210_860,
            -0.169_970_512,
            0.0,
            0.580_029_488,
            1.399_789_095,
            2.222_495_079,
        ],
        // torch's vectorised float32 erf is ~5e-7 off in the tail (at -3); ours is f64.
        1e-6,
    );
    close(
        &GELU::tanh().forward(&x).unwrap(),
        &[
            -0.003_637_433,
            -0.027_201_355,
            -0.100_428_432,
            -0.170_039_475,
            0.0,
            0.579_960_585,
            1.399_571_538,
            2.222_798_586,
        ],
        1e-6,
    );
    assert_eq!(GELU::new().to_string(), "GELU(approximate='none')");
}

/// torch: ln = nn.LayerNorm(3); weight [1,2,3], bias [0,1,-1]; ln(x) for the BatchNorm x.
#[test]
fn layer_norm_matches_torch() {
    let mut ln = LayerNorm::new(&[3]);
    ln.weight = Some(pt::nn::Parameter::new(t(vec![1., 2., 3.], &[3])));
    ln.bias = Some(pt::nn::Parameter::new(t(vec![0., 1., -1.], &[3])));
    let x = t(
        vec![1., 2., 3., 4., 0., -1., 0.5, 0.5, 2., 3., -2., 1.],
        &[4, 3],
    );
    close(
        &ln.forward(&x).unwrap(),
        &[
            -1.224_735_62,
            1.0,
            2.674_206_73,
            1.388_728_62,
            0.074_180_90,
            -3.777_457_24,
            -0.707_099_68,
            -0.414_199_35,
            3.242_598_06,
            1.135_548_47,
            -1.595_539_57,
            -0.513_336_36,
        ],
        1e-6,
    );
    assert_eq!(
        ln.to_string(),
        "LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)"
    );
}

/// torch: xc = torch.arange(64.).reshape(2,2,4,4).cos(); w = torch.arange(36.).reshape(4,1,3,3).sin();
/// F.conv2d(xc, w, [0.1,0.2,0.3,0.4], stride=2, padding=1, groups=2)
#[test]
fn conv2d_groups_stride_padding_matches_torch() {
    let xc = t((0..64).map(|i| (i as f32).cos()).collect(), &[2, 2, 4, 4]);
    let w = t((0..36).map(|i| (i as f32).sin()).collect(), &[4, 1, 3, 3]);
    let b = t(vec![0.1, 0.2, 0.3, 0.4], &[4]);
    let opts = Conv2dOptions {
        stride: (2, 2),
        padding: (1, 1),
        groups: 2,
        ..Conv2dOptions::default()
    };
    let y = functional::conv2d(&xc, &w, Some(&b), opts).unwrap();
    assert_eq!(y.shape(), &[2, 4, 2, 2]);
    close(
        &y,
        &[
            -1.323_703_05,
            2.737_955_09,
            2.243_921_52,
            1.180_342_08,
            1.070_868_61,
            -2.062_230_35,
            -1.807_135_34,
            0.462_472_98,
            0.069_639_44,
            -0.550_681_59,
            -1.424_450_16,
            2.500_355_96,
            1.085_635_42,
            0.101_682_36,
            1.060_242_06,
            -2.500_993_25,
            0.154_587_36,
            2.284_306_29,
            3.316_450_60,
            -0.635_304_03,
            -0.161_664_86,
            -1.078_200_58,
            -2.546_983_96,
            2.060_903_79,
            -0.627_373_64,
            0.873_135_86,
            -1.402_572_39,
            3.186_247_11,
            1.131_354_33,
            -1.244_083_52,
            0.723_335_39,
            -2.403_898_72,
        ],
        1e-5,
    );
    let mut g = Generator::new(1);
    let conv = Conv2d::with_options(
        2,
        4,
        (3, 2),
        pt::nn::Conv2dOptions {
            stride: (2, 2),
            dilation: (2, 2),
            groups: 2,
            bias: false,
            ..pt::nn::Conv2dOptions::default()
        },
    )
    .unwrap()
    .init_with(&mut g);
    assert_eq!(conv.weight.shape(), &[4, 1, 3, 2]);
    assert_eq!(
        conv.to_string(),
        "Conv2d(2, 4, kernel_size=(3, 2), stride=(2, 2), dilation=(2, 2), groups=2, bias=False)"
    );
    let bound = 1.0 / 6f64.sqrt() + 1e-7;
    assert!(
        conv.weight
            .to_vec_f64()
            .unwrap()
            .iter()
            .all(|v| v.abs() <= bound)
    );
    assert!(
        Conv2d::with_options(
            3,
            4,
            3,
            pt::nn::Conv2dOptions {
                groups: 2,
                ..pt::nn::Conv2dOptions::default()
            },
        )
        .is_err()
    );
}

#[test]
fn embedding_lookup_and_padding() {
    let mut g = Generator::new(3);
    let e = Embedding::with_options(
        10,
        4,
        pt::nn::EmbeddingOptions {
            padding_idx: Some(0),
        },
    )
    .unwrap()
    .init_with(&mut g);
    assert_eq!(e.weight.shape(), &[10, 4]);
    let ids = Tensor::from_vec(vec![0i64, 3, 3, 9], &[2, 2]).unwrap();
    let y = e.forward(&ids).unwrap();
    assert_eq!(y.shape(), &[2, 2, 4]);
    let v = y.to_vec::<f32>().unwrap();
    assert!(v[..4].iter().all(|x| *x == 0.0), "padding row is zero");
    assert_eq!(v[4..8], v[8..12]);
    assert_eq!(e.to_string(), "Embedding(10, 4, padding_idx=0)");
    let bad = Tensor::from_slice_1d(&[10i64]);
    assert!(e.forward(&bad).is_err());
}

#[test]
fn dropout_is_identity_in_eval_and_scales_in_training() {
    let mut d = Dropout::with_generator(0.25, Generator::new(7)).unwrap();
    let x = Tensor::ones(&[1000], DType::F32);
    let y = d.forward(&x).unwrap().to_vec::<f32>().unwrap();
    let zeros = y.iter().filter(|v| **v == 0.0).count();
    assert!((150..350).contains(&zeros), "{zeros} zeros");
    assert!(
        y.iter()
            .all(|v| *v == 0.0 || (*v - 1.0 / 0.75).abs() < 1e-6)
    );
    d.eval();
    assert!(d.forward(&x).unwrap().equal(&x));
    assert_eq!(d.to_string(), "Dropout(p=0.25, inplace=False)");
    assert!(Dropout::with_generator(1.5, Generator::new(0)).is_err());
}

#[test]
fn sequential_runs_and_prints_like_pytorch() {
    let mut g = Generator::new(0);
    let mut seq = Sequential::new()
        .push(Flatten::default())
        .push(Linear::new(4, 3).init_with(&mut g))
        .push(ReLU::new())
        .push_named("bn", BatchNorm1d::new(3));
    let x = Tensor::ones(&[2, 2, 2], DType::F32);
    assert_eq!(seq.forward(&x).unwrap().shape(), &[2, 3]);
    assert_eq!(
        seq.state_dict().keys().collect::<Vec<_>>(),
        [
            "1.weight",
            "1.bias",
            "bn.weight",
            "bn.bias",
            "bn.running_mean",
            "bn.running_var",
            "bn.num_batches_tracked"
        ]
    );
    assert_eq!(
        seq.to_string(),
        "Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)\n  (1): Linear(in_features=4, out_features=3, bias=True)\n  (2): ReLU()\n  (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n)"
    );
    seq.eval();
    assert!(!seq.is_training());
    assert!(!seq.get_named("bn").unwrap().is_training());
}
