use pt::nn::Module;

#[derive(Module)]
struct M {
    #[module(skip, rename = "hidden")]
    size: usize,
}

fn main() {}
