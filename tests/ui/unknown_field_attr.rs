use pt::nn::{Module, Parameter};

#[derive(Module)]
struct M {
    #[module(bogus)]
    weight: Parameter,
}

fn main() {}
