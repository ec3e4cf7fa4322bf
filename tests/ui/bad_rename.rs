use pt::nn::{Module, Parameter};

#[derive(Module)]
struct M {
    #[module(rename = "a.b")]
    weight: Parameter,
}

fn main() {}
