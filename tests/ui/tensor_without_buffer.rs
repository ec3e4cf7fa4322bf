use pt::core::Tensor;
use pt::nn::Module;

#[derive(Module)]
struct M {
    running_mean: Tensor,
}

fn main() {}
