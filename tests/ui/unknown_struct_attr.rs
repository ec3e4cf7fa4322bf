use pt::nn::{Module, Parameter};

#[derive(Module)]
#[module(versoin = 2)]
struct M {
    weight: Parameter,
}

fn main() {}
