//! Layers and tensor ops against outputs recorded by real PyTorch
//! (`tests/python/fixtures_layers.py` → `tests/fixtures/layers/*.pt`): each case builds
//! the module, loads the recorded state strictly, runs the recorded inputs and compares
//! every output within 1e-5 relative + 1e-6 absolute.

use pt::core::Tensor;
use pt::nn::Forward;
use pt::nn::{
    Conv1d, Conv1dOptions, Conv2d, Conv2dOptions, ConvPadding, GRU, GRUCell, LSTM, LSTMCell,
    Nonlinearity, PaddingMode, RNN, RNNCell, RNNCellOptions, RNNOptions,
    functional::{self, PadMode},
};

mod fixture_case_support;

use fixture_case_support::{Case, case as case_in, check};

fn case(name: &str) -> Case {
    case_in("layers", name)
}

fn load(m: &mut dyn pt::nn::Module, c: &Case) {
    fixture_case_support::load(m, c, false);
}

#[test]
fn conv1d() {
    let cases: [(&str, usize, usize, usize, Conv1dOptions); 4] = [
        ("conv1d_basic", 3, 4, 3, Conv1dOptions::default()),
        (
            "conv1d_stride_pad",
            4,
            6,
            3,
            Conv1dOptions {
                stride: 2,
                padding: ConvPadding::Explicit(1),
                groups: 2,
                ..Default::default()
            },
        ),
        (
            "conv1d_same_reflect",
            2,
            3,
            4,
            Conv1dOptions {
                padding: ConvPadding::Same,
                padding_mode: PaddingMode::Reflect,
                dilation: 2,
                bias: false,
                ..Default::default()
            },
        ),
        (
            "conv1d_unbatched_circular",
            2,
            2,
            3,
            Conv1dOptions {
                padding: ConvPadding::Explicit(2),
                padding_mode: PaddingMode::Circular,
                ..Default::default()
            },
        ),
    ];
    for (name, cin, cout, k, opts) in cases {
        let c = case(name);
        let mut m = Conv1d::with_options(cin, cout, k, opts).unwrap();
        load(&mut m, &c);
        check(name, &[m.forward(&c.inputs[0]).unwrap()], &c.outputs);
    }
}

#[test]
fn conv2d_padding_mode() {
    let c = case("conv2d_replicate");
    let opts = Conv2dOptions {
        padding: ConvPadding::Explicit((1, 2)),
        padding_mode: PaddingMode::Replicate,
        ..Default::default()
    };
    let mut m = Conv2d::with_options(2, 3, (3, 2), opts).unwrap();
    load(&mut m, &c);
    check(
        "conv2d_replicate",
        &[m.forward(&c.inputs[0]).unwrap()],
        &c.outputs,
    );
}

#[test]
fn cells() {
    let c = case("lstm_cell");
    let mut m = LSTMCell::new(5, 7);
    load(&mut m, &c);
    let (h, cc) = m
        .forward(&c.inputs[0], Some((&c.inputs[1], &c.inputs[2])))
        .unwrap();
    check("lstm_cell", &[h, cc], &c.outputs);

    let c = case("lstm_cell_unbatched_nostate");
    let mut m = LSTMCell::new(5, 4);
    load(&mut m, &c);
    let (h, cc) = m.forward(&c.inputs[0], None).unwrap();
    check("lstm_cell_unbatched_nostate", &[h, cc], &c.outputs);

    let c = case("gru_cell");
    let mut m = GRUCell::new(4, 6);
    load(&mut m, &c);
    check(
        "gru_cell",
        &[m.forward(&c.inputs[0], Some(&c.inputs[1])).unwrap()],
        &c.outputs,
    );

    let c = case("rnn_cell_relu");
    let opts = RNNCellOptions {
        bias: false,
        nonlinearity: Nonlinearity::Relu,
    };
    let mut m = RNNCell::with_options(4, 3, opts);
    load(&mut m, &c);
    assert_eq!(
        m.to_string(),
        "RNNCell(4, 3, bias=False, nonlinearity='relu')"
    );
    check(
        "rnn_cell_relu",
        &[m.forward(&c.inputs[0], Some(&c.inputs[1])).unwrap()],
        &c.outputs,
    );
}

#[test]
fn recurrent_networks() {
    let c = case("lstm_2layer_bidir");
    let mut m = LSTM::with_options(
        4,
        5,
        RNNOptions {
            num_layers: 2,
            bidirectional: true,
            ..Default::default()
        },
    )
    .unwrap();
    load(&mut m, &c);
    let (o, (h, cc)) = m.forward(&c.inputs[0], None).unwrap();
    check("lstm_2layer_bidir", &[o, h, cc], &c.outputs);

    let c = case("lstm_batch_first_state");
    let mut m = LSTM::with_options(
        3,
        4,
        RNNOptions {
            batch_first: true,
            ..Default::default()
        },
    )
    .unwrap();
    load(&mut m, &c);
    let (o, (h, cc)) = m
        .forward(&c.inputs[0], Some((&c.inputs[1], &c.inputs[2])))
        .unwrap();
    check("lstm_batch_first_state", &[o, h, cc], &c.outputs);

    let c = case("lstm_proj");
    let mut m = LSTM::with_options(
        3,
        6,
        RNNOptions {
            proj_size: 2,
            num_layers: 2,
            ..Default::default()
        },
    )
    .unwrap();
    load(&mut m, &c);
    let (o, (h, cc)) = m.forward(&c.inputs[0], None).unwrap();
    check("lstm_proj", &[o, h, cc], &c.outputs);

    let c = case("lstm_unbatched");
    let mut m = LSTM::new(3, 4).unwrap();
    load(&mut m, &c);
    let (o, (h, cc)) = m.forward(&c.inputs[0], None).unwrap();
    check("lstm_unbatched", &[o, h, cc], &c.outputs);

    let c = case("gru_2layer");
    let opts = RNNOptions {
        num_layers: 2,
        bidirectional: true,
        batch_first: true,
        ..Default::default()
    };
    let mut m = GRU::with_options(3, 4, opts).unwrap();
    load(&mut m, &c);
    let (o, h) = m.forward(&c.inputs[0], None).unwrap();
    check("gru_2layer", &[o, h], &c.outputs);

    let c = case("rnn_tanh");
    let mut m = RNN::with_options(
        2,
        3,
        RNNOptions {
            num_layers: 2,
            ..Default::default()
        },
    )
    .unwrap();
    load(&mut m, &c);
    let (o, h) = m.forward(&c.inputs[0], Some(&c.inputs[1])).unwrap();
    check("rnn_tanh", &[o, h], &c.outputs);
}

#[test]
fn padding() {
    let c = case("pad_modes");
    let x = &c.inputs[0];
    let got = [
        functional::pad(x, &[2, 1], PadMode::Reflect).unwrap(),
        functional::pad(x, &[1, 3], PadMode::Replicate).unwrap(),
        functional::pad(x, &[2, 2], PadMode::Circular).unwrap(),
        functional::pad(x, &[1, -1, 0, 2], PadMode::Constant(0.5)).unwrap(),
    ];
    check("pad_modes", &got, &c.outputs);
}

#[test]
fn tensor_ops() {
    let c = case("ops");
    let (a, b, idx) = (&c.inputs[0], &c.inputs[1], &c.inputs[2]);
    let pos = a.gt_zero();
    let (tv, ti) = a.topk(2, 1, true).unwrap();
    let got = [
        Tensor::cat(&[a.clone(), b.clone()], 1).unwrap(),
        Tensor::stack(&[a.clone(), a.mul_scalar(2).unwrap()], 0).unwrap(),
        a.flip(&[0, 1]).unwrap(),
        a.tril(-1).unwrap(),
        a.triu(1).unwrap(),
        a.index_select(1, &Tensor::from_slice_1d(&[3i64, 0]))
            .unwrap(),
        a.gather(1, idx).unwrap(),
        a.masked_fill(&pos, -1.5).unwrap(),
        Tensor::where_cond(&pos, a, &Tensor::zeros(&[1], pt::core::DType::F32)).unwrap(),
        a.clamp(Some(-0.5), Some(0.5)).unwrap(),
        a.erf().unwrap(),
        a.atan2(&a.flip(&[0]).unwrap()).unwrap(),
        a.abs().unwrap().pow(&a.flip(&[1]).unwrap()).unwrap(),
        a.var_dims(&[0, 1], true, false).unwrap(),
        a.std_dim(1, true, false).unwrap(),
        tv,
        ti,
        a.mean_dims(&[0], true).unwrap(),
    ];
    check("ops", &got, &c.outputs);
}

#[test]
fn activations() {
    use pt::nn::{Hardtanh, Identity, LeakyReLU, LogSoftmax, SiLU, Sigmoid, Softmax, Tanh};
    let c = case("activations");
    let x = &c.inputs[0];
    let got = [
        Sigmoid::new().forward(x).unwrap(),
        Tanh::new().forward(x).unwrap(),
        SiLU::new().forward(x).unwrap(),
        LeakyReLU::new(0.2).forward(x).unwrap(),
        Hardtanh::new(-1.5, 2.0).forward(x).unwrap(),
        Softmax::new(1).forward(x).unwrap(),
        LogSoftmax::new(0).forward(x).unwrap(),
        Identity::new().forward(x).unwrap(),
    ];
    check("activations", &got, &c.outputs);
    assert_eq!(
        LeakyReLU::new(0.2).to_string(),
        "LeakyReLU(negative_slope=0.2)"
    );
    assert_eq!(Softmax::new(1).to_string(), "Softmax(dim=1)");
}

/// `a > 0` as a bool tensor, without a comparison op.
trait GtZero {
    fn gt_zero(&self) -> Tensor;
}

impl GtZero for Tensor {
    fn gt_zero(&self) -> Tensor {
        let v: Vec<bool> = self
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|&x| x > 0.0)
            .collect();
        Tensor::from_vec(v, self.shape()).unwrap()
    }
}
