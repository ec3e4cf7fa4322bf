//! A model shared by several threads: `forward` from 8 threads at once gives, on every call,
//! exactly the output of a single-threaded call; every layer type is `Send + Sync`.

use pt::core::{DType, Generator, Tensor};
use pt::nn::{
    BatchNorm1d, Conv2d, Dropout, Embedding, Flatten, Forward, GELU, Gelu, Layer, LayerNorm,
    Linear, Module, ModuleDict, ModuleList, ReLU, Sequential,
};

fn send_sync<T: Send + Sync + ?Sized>() {}

#[test]
fn every_layer_type_is_send_and_sync() {
    send_sync::<dyn Layer>();
    send_sync::<Sequential>();
    send_sync::<Linear>();
    send_sync::<Conv2d>();
    send_sync::<BatchNorm1d>();
    send_sync::<LayerNorm>();
    send_sync::<Embedding>();
    send_sync::<Dropout>();
    send_sync::<Flatten>();
    send_sync::<ReLU>();
    send_sync::<Gelu>();
    send_sync::<GELU>();
    send_sync::<ModuleList<Box<dyn Layer>>>();
    send_sync::<ModuleDict<Linear>>();
    send_sync::<Tensor>();
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn one_model_runs_forward_from_eight_threads() {
    let mut g = Generator::new(7);
    let mut model = Sequential::new()
        .push(Linear::new(16, 32).init_with(&mut g))
        .push(BatchNorm1d::new(32))
        .push(Gelu::new())
        .push(LayerNorm::new(&[32]))
        .push(Linear::new(32, 4).init_with(&mut g))
        .push(ReLU::new());
    // Eval mode: batch norm uses its running statistics and never writes them.
    model.eval();
    let inputs: Vec<Tensor> = (0..8)
        .map(|_| Tensor::randn(&[5, 16], DType::F32, &mut g).unwrap())
        .collect();
    let expected: Vec<Vec<u32>> = inputs
        .iter()
        .map(|x| bits(&model.forward(x).unwrap()))
        .collect();
    let model = &model;
    std::thread::scope(|s| {
        for t in 0..8 {
            let (inputs, expected) = (&inputs, &expected);
            s.spawn(move || {
                for round in 0..50 {
                    let i = (t + round) % inputs.len();
                    let y = model.forward(&inputs[i]).unwrap();
                    assert_eq!(bits(&y), expected[i], "thread {t}, round {round}");
                }
            });
        }
    });
}
