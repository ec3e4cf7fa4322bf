use pt::nn::Module;

#[derive(Module)]
struct M {
    #[module(training)]
    mode: u8,
}

fn main() {}
