use pt::nn::{Module, Parameter};

#[derive(Module)]
struct M {
    #[module(persistent = false)]
    weight: Parameter,
}

fn main() {}
