use pt::core::Tensor;
use pt::nn::{Module, Parameter};

// Three independent mistakes: all three are reported, and nothing else (the stub impl
// keeps `state_dict()` below from adding a fourth).
#[derive(Module)]
struct M {
    #[module(buffer)]
    steps: usize,
    weight: Parameter,
    #[module(rename = "weight")]
    other: Parameter,
    scratch: Tensor,
}

fn use_it(m: &M) {
    let _ = m.state_dict();
}

fn main() {}
