use pt::nn::Module;

#[derive(Module)]
struct M {
    #[module(buffer)]
    steps: usize,
}

fn main() {}
