use pt::nn::{Module, Parameter};

struct Config {
    depth: u32,
}

#[derive(Module)]
struct M {
    weight: Parameter,
    config: Config,
}

fn main() {}
