use pt::nn::Module;

#[derive(Module)]
union M {
    a: u32,
    b: f32,
}

fn main() {}
