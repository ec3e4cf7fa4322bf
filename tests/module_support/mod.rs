//! The fixture models (tests/python/models.py) as Rust modules, shared by the module
//! tests.
#![allow(dead_code)]

use pt::core::{DType, Generator, Tensor};
use pt::nn::functional;
use pt::nn::{
    BatchNorm2d, Conv2d, Conv2dOptions, ConvPadding, Dropout, Embedding, Forward, LayerNorm,
    Linear, Module,
};
use serde_json::Value as Json;

/// A nested JSON list as a tensor of `dtype`.
pub fn nested(v: &Json, dtype: DType) -> Tensor {
    fn walk(v: &Json, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<f64>) {
        match v {
            Json::Array(items) => {
                if shape.len() == depth {
                    shape.push(items.len());
                }
                for item in items {
                    walk(item, depth + 1, shape, out);
                }
            }
            other => out.push(other.as_f64().unwrap()),
        }
    }
    let (mut shape, mut data) = (Vec::new(), Vec::new());
    walk(v, 0, &mut shape, &mut data);
    Tensor::from_vec(data, &shape)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

#[derive(Module)]
pub struct MyModule {
    pub l0: Linear,
    pub l1: Linear,
}

impl MyModule {
    pub fn new(g: &mut Generator) -> MyModule {
        MyModule {
            l0: Linear::new(4, 2).init_with(g),
            l1: Linear::new(2, 1).init_with(g),
        }
    }
}

impl Forward for MyModule {
    fn forward(&self, x: &Tensor) -> pt::core::Result<Tensor> {
        self.l1.forward(&functional::relu(&self.l0.forward(x)?)?)
    }
}

#[derive(Module)]
pub struct SmallCnn {
    pub conv: Conv2d,
    pub bn: BatchNorm2d,
    pub fc: Linear,
}

impl Forward for SmallCnn {
    fn forward(&self, x: &Tensor) -> pt::core::Result<Tensor> {
        let h = functional::relu(&self.bn.forward(&self.conv.forward(x)?)?)?;
        self.fc.forward(&h.flatten(1, -1)?)
    }
}

pub fn small_cnn() -> SmallCnn {
    let mut g = Generator::new(0);
    let padded = Conv2dOptions {
        padding: ConvPadding::Explicit((1, 1)),
        ..Conv2dOptions::default()
    };
    SmallCnn {
        conv: Conv2d::with_options(1, 4, 3, padded)
            .unwrap()
            .init_with(&mut g),
        bn: BatchNorm2d::new(4),
        fc: Linear::new(144, 3).init_with(&mut g),
    }
}

#[derive(Module)]
pub struct TinyBlock {
    pub embed: Embedding,
    pub ln1: LayerNorm,
    pub q: Linear,
    pub k: Linear,
    pub v: Linear,
    pub proj: Linear,
    pub ln2: LayerNorm,
    pub fc1: Linear,
    pub fc2: Linear,
    pub drop: Dropout,
}

impl TinyBlock {
    pub fn new(g: &mut Generator) -> TinyBlock {
        TinyBlock {
            embed: Embedding::new(10, 8).init_with(g),
            ln1: LayerNorm::new(&[8]),
            q: Linear::new(8, 8).init_with(g),
            k: Linear::new(8, 8).init_with(g),
            v: Linear::new(8, 8).init_with(g),
            proj: Linear::new(8, 8).init_with(g),
            ln2: LayerNorm::new(&[8]),
            fc1: Linear::new(8, 16).init_with(g),
            fc2: Linear::new(16, 8).init_with(g),
            drop: Dropout::with_generator(0.1, Generator::new(1)).unwrap(),
        }
    }

    fn heads(x: &Tensor) -> pt::core::Result<Tensor> {
        let (b, t) = (x.shape()[0] as isize, x.shape()[1] as isize);
        x.reshape(&[b, t, 2, 4])?.transpose(1, 2)
    }
}

impl Forward for TinyBlock {
    fn forward(&self, ids: &Tensor) -> pt::core::Result<Tensor> {
        let x = self.embed.forward(ids)?;
        let h = self.ln1.forward(&x)?;
        let q = Self::heads(&self.q.forward(&h)?)?;
        let k = Self::heads(&self.k.forward(&h)?)?;
        let v = Self::heads(&self.v.forward(&h)?)?;
        let att = functional::softmax(&q.matmul(&k.transpose(-2, -1)?)?.div_scalar(2.0)?, -1)?;
        let (b, t) = (x.shape()[0] as isize, x.shape()[1] as isize);
        let a = att.matmul(&v)?.transpose(1, 2)?.reshape(&[b, t, 8])?;
        let x = x.add(&self.drop.forward(&self.proj.forward(&a)?)?)?;
        let m = self.fc2.forward(&functional::gelu(
            &self.fc1.forward(&self.ln2.forward(&x)?)?,
        )?)?;
        x.add(&self.drop.forward(&m)?)
    }
}
