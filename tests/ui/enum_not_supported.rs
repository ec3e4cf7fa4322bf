use pt::nn::{Module, Parameter};

#[derive(Module)]
enum M {
    A(Parameter),
    B(Parameter),
}

fn main() {}
