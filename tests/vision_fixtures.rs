//! Vision layers against outputs recorded by real PyTorch
//! (`tests/python/fixtures_vision.py` → `tests/fixtures/vision/*.pt`): each case builds
//! the module, loads the recorded state strictly, runs the recorded input (as the same
//! transposed view where the case name ends in `_t`) and compares every output within
//! 1e-5 relative + 1e-6 absolute; integer outputs (indices) exactly.

use pt::core::{DType, Tensor};
use pt::nn::functional::{self, Interpolation, Resize};
use pt::nn::{
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, Forward,
    GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNormOptions, MaxPool1d, MaxPool2d, Module,
    RMSNorm,
};
use pt::nn::{CELU, ELU, Hardsigmoid, Hardswish, Mish, PReLU, SELU, Softplus, Unflatten};
use pt::nn::{ConvTranspose1d, ConvTranspose2d, ConvTransposeOptions};

mod fixture_case_support;

use fixture_case_support::{Case, case as case_in, check, load};

fn case(name: &str) -> Case {
    case_in("vision", name)
}

fn run(name: &str, m: &mut dyn Module, f: impl Fn(&Tensor) -> Vec<Tensor>) {
    let c = case(name);
    load(m, &c, false);
    check(name, &f(&c.inputs[0]), &c.outputs);
}

#[test]
fn max_pooling() {
    let m = MaxPool2d::new(2);
    assert_eq!(
        m.to_string(),
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    );
    let pair = |(a, b): (Tensor, Tensor)| vec![a, b];
    run("maxpool2d_basic", &mut m.clone(), |x| {
        pair(m.forward_with_indices(x).unwrap())
    });

    let mut m = MaxPool2d::new((3, 2));
    m.stride = [2, 3];
    m.padding = [1, 1];
    m.dilation = [1, 2];
    m.ceil_mode = true;
    run("maxpool2d_ceil_dil", &mut m.clone(), |x| {
        pair(m.forward_with_indices(x).unwrap())
    });

    let mut m = MaxPool2d::new(3);
    m.stride = [2, 2];
    m.padding = [1, 1];
    run("maxpool2d_unbatched_t", &mut m.clone(), |x| {
        pair(m.forward_with_indices(x).unwrap())
    });

    let mut m = MaxPool1d::new(3);
    m.stride = 2;
    m.padding = 1;
    m.dilation = 2;
    m.ceil_mode = true;
    run("maxpool1d", &mut m.clone(), |x| {
        pair(m.forward_with_indices(x).unwrap())
    });

    let m = AdaptiveMaxPool2d::new((4, 3));
    run("adaptive_max2d", &mut m.clone(), |x| {
        pair(m.forward_with_indices(x).unwrap())
    });
}

#[test]
fn average_pooling() {
    let mut m = AvgPool2d::new(3);
    m.stride = [2, 2];
    m.padding = [1, 1];
    run("avgpool2d_pad", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    let mut m = AvgPool2d::new((3, 2));
    m.stride = [2, 2];
    m.padding = [1, 1];
    m.ceil_mode = true;
    m.count_include_pad = false;
    run("avgpool2d_nopad_ceil", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    let mut m = AvgPool2d::new(2);
    m.divisor_override = Some(3);
    run("avgpool2d_divisor_t", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    let mut m = AvgPool1d::new(4);
    m.stride = 3;
    m.padding = 2;
    m.ceil_mode = true;
    m.count_include_pad = false;
    run("avgpool1d", &mut m.clone(), |x| vec![m.forward(x).unwrap()]);

    let m = AdaptiveAvgPool2d::new((3, 5));
    run("adaptive_avg2d", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });
    let m = AdaptiveAvgPool2d::new(1);
    assert_eq!(m.to_string(), "AdaptiveAvgPool2d(output_size=1)");
    run("adaptive_avg2d_1", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });
    let m = AdaptiveAvgPool1d::new(4);
    run("adaptive_avg1d_t", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });
}

#[test]
fn pooling_errors() {
    let x = Tensor::zeros(&[1, 1, 4, 4], DType::F32);
    let mut m = MaxPool2d::new(2);
    m.padding = [2, 2];
    assert!(m.forward(&x).unwrap_err().to_string().contains("pad"));
    assert!(MaxPool2d::new(5).forward(&x).is_err());
    assert!(
        MaxPool2d::new(2)
            .forward(&Tensor::zeros(&[4, 4], DType::F32))
            .is_err()
    );
    assert!(
        AvgPool2d::new(2)
            .forward(&Tensor::zeros(&[1, 1, 4, 4], DType::I64))
            .is_err()
    );
}

#[test]
fn interpolate() {
    let c = case("interpolate");
    let x = &c.inputs[0];
    let near = Interpolation::Nearest;
    let bil = |align_corners| Interpolation::Bilinear { align_corners };
    let got: Vec<Tensor> = [
        (Resize::Size(8, 9), near),
        (Resize::Scale(2.0, 2.0), near),
        (Resize::Scale(1.5, 0.75), near),
        (Resize::Size(9, 4), bil(false)),
        (Resize::Size(9, 4), bil(true)),
        (Resize::Scale(1.7, 1.7), bil(false)),
        (Resize::Size(1, 1), bil(true)),
    ]
    .into_iter()
    .map(|(to, mode)| functional::interpolate(x, to, mode).unwrap())
    .collect();
    check("interpolate", &got, &c.outputs);
    let m = pt::nn::Upsample::new(Resize::Scale(2.0, 2.0), bil(true));
    assert_eq!(
        m.to_string(),
        "Upsample(scale_factor=2.0, mode='bilinear', align_corners=True)"
    );
    assert!(functional::interpolate(&x.select(0, 0).unwrap(), Resize::Size(2, 2), near).is_err());
}

#[test]
fn normalisation() {
    for training in [true, false] {
        let c = case("groupnorm");
        let mut m = GroupNorm::new(2, 6, 1e-5, true).unwrap();
        load(&mut m, &c, training);
        check("groupnorm", &[m.forward(&c.inputs[0]).unwrap()], &c.outputs);
    }
    let m = GroupNorm::new(3, 3, 1e-3, false).unwrap();
    assert_eq!(m.to_string(), "GroupNorm(3, 3, eps=0.001, affine=False)");
    run("groupnorm_noaffine_t", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });
    assert!(GroupNorm::new(4, 6, 1e-5, true).is_err());

    let c = case("rmsnorm");
    let mut m = RMSNorm::new(&[4, 5], None, true);
    load(&mut m, &c, true);
    assert_eq!(
        m.to_string(),
        "RMSNorm((4, 5), eps=None, elementwise_affine=True)"
    );
    check("rmsnorm", &[m.forward(&c.inputs[0]).unwrap()], &c.outputs);
    let m = RMSNorm::new(&[6], Some(1e-4), false);
    run("rmsnorm_noaffine_eps", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    let opts = InstanceNormOptions {
        affine: true,
        ..Default::default()
    };
    let m = InstanceNorm2d::with_options(3, opts);
    run("instnorm2d_affine_t", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });
    let m = InstanceNorm1d::new(4);
    assert_eq!(
        m.to_string(),
        "InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"
    );
    assert!(m.state_dict().is_empty());
    run("instnorm1d_unbatched", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    for (name, training, momentum) in [
        ("instnorm1d_track_train", true, None),
        ("instnorm1d_track_eval", false, Some(0.1)),
    ] {
        let c = case(name);
        let opts = InstanceNormOptions {
            momentum,
            track_running_stats: true,
            ..Default::default()
        };
        let mut m = InstanceNorm1d::with_options(3, opts);
        load(&mut m, &c, training);
        let y = m.forward(&c.inputs[0]).unwrap();
        let got = [
            y,
            m.running_mean.clone().unwrap(),
            m.running_var.clone().unwrap(),
            m.num_batches_tracked.clone().unwrap(),
        ];
        check(name, &got, &c.outputs);
    }
}

#[test]
fn activations() {
    let c = case("activations");
    let x = &c.inputs[0];
    let layers: Vec<Box<dyn Forward>> = vec![
        Box::new(Mish::new()),
        Box::new(ELU::new(1.0)),
        Box::new(ELU::new(0.5)),
        Box::new(SELU::new()),
        Box::new(CELU::new(1.5)),
        Box::new(Softplus::new(1.0, 20.0)),
        Box::new(Softplus::new(2.0, 1.0)),
        Box::new(Hardswish::new()),
        Box::new(Hardsigmoid::new()),
        Box::new(Unflatten::new(1, &[2, 3])),
    ];
    let got: Vec<Tensor> = layers.iter().map(|l| l.forward(x).unwrap()).collect();
    check("activations", &got, &c.outputs);
    assert_eq!(
        Softplus::new(2.0, 1.0).to_string(),
        "Softplus(beta=2.0, threshold=1.0)"
    );
    assert!(Unflatten::new(1, &[4, 2]).forward(x).is_err());

    let p = PReLU::new(6, 0.1).unwrap();
    run("prelu_channels", &mut p.clone(), |x| {
        vec![p.forward(x).unwrap()]
    });
    let p = PReLU::new(1, 0.25).unwrap();
    assert_eq!(p.to_string(), "PReLU(num_parameters=1)");
    run("prelu_single_t", &mut p.clone(), |x| {
        vec![p.forward(x).unwrap()]
    });
    assert!(
        PReLU::new(4, 0.25)
            .unwrap()
            .forward(&Tensor::zeros(&[2, 3], DType::F32))
            .is_err()
    );
}

#[test]
fn transposed_convolutions() {
    let m = ConvTranspose2d::new(3, 4, 3).unwrap();
    assert_eq!(
        m.to_string(),
        "ConvTranspose2d(3, 4, kernel_size=(3, 3), stride=(1, 1))"
    );
    run("convt2d_basic", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    let opts = ConvTransposeOptions {
        stride: [2, 3],
        padding: [1, 1],
        output_padding: [1, 2],
        groups: 2,
        dilation: [1, 2],
        bias: true,
    };
    let m = ConvTranspose2d::with_options(4, 6, (3, 2), opts).unwrap();
    run("convt2d_full", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    let opts = ConvTransposeOptions {
        stride: [2, 2],
        bias: false,
        ..Default::default()
    };
    let m = ConvTranspose2d::with_options(2, 3, 2, opts).unwrap();
    run("convt2d_unbatched_nobias_t", &mut m.clone(), |x| {
        vec![m.forward(x).unwrap()]
    });

    let opts = ConvTransposeOptions {
        stride: [3],
        padding: [2],
        output_padding: [1],
        groups: 2,
        dilation: [2],
        bias: true,
    };
    let m = ConvTranspose1d::with_options(4, 2, 5, opts).unwrap();
    run("convt1d", &mut m.clone(), |x| vec![m.forward(x).unwrap()]);

    assert!(
        ConvTranspose2d::with_options(
            3,
            4,
            2,
            ConvTransposeOptions {
                groups: 2,
                ..Default::default()
            }
        )
        .is_err()
    );
    let bad = ConvTransposeOptions {
        output_padding: [1, 1],
        ..Default::default()
    };
    let m = ConvTranspose2d::with_options(1, 1, 2, bad).unwrap();
    assert!(
        m.forward(&Tensor::zeros(&[1, 1, 3, 3], DType::F32))
            .is_err()
    );
}
