use pt::nn::{Module, Parameter};

#[derive(Module)]
#[module(version = "two")]
struct M {
    weight: Parameter,
}

fn main() {}
