use pt::nn::{Module, Parameter};

#[derive(Module)]
struct M {
    weight: Parameter,
    hidden_size: usize,
}

fn main() {}
