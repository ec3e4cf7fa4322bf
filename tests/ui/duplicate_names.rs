use pt::nn::{Module, Parameter};

#[derive(Module)]
struct M {
    encoder: Parameter,
    #[module(rename = "encoder")]
    decoder: Parameter,
}

fn main() {}
