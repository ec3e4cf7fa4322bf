//! Padding: [`functional::pad`](crate::functional::pad) and the layers `ReflectionPad1d/2d`,
//! `ReplicationPad1d/2d`, `ConstantPad1d/2d`, `ZeroPad2d`.

use pt_core::{DType, Error, Result, Tensor};

use crate::Module;
use crate::module::Forward;

/// How [`pad`] fills the new border.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// A constant value (`mode="constant"`).
    Constant(f64),
    /// Mirror without repeating the edge (`mode="reflect"`).
    Reflect,
    /// Repeat the edge (`mode="replicate"`).
    Replicate,
    /// Wrap around (`mode="circular"`).
    Circular,
}

impl PadMode {
    fn name(self) -> &'static str {
        match self {
            PadMode::Constant(_) => "constant",
            PadMode::Reflect => "reflect",
            PadMode::Replicate => "replicate",
            PadMode::Circular => "circular",
        }
    }
}

/// `F.pad(input, pad, mode)`: `pad` holds `(before, after)` pairs for the last dimension
/// first, then the one before it, …; negative amounts crop (constant mode only).
///
/// # Errors
/// [`Error::Argument`] for an odd-length `pad` or more pairs than dimensions, a reflect pad
/// not smaller than its dimension, a circular pad larger than its dimension, or a
/// non-constant mode with a negative amount or an empty dimension.
pub fn pad(input: &Tensor, pad: &[i64], mode: PadMode) -> Result<Tensor> {
    const OP: &str = "pad";
    if !pad.len().is_multiple_of(2) || pad.len() / 2 > input.dim() {
        return Err(Error::argument(
            OP,
            format!(
                "Padding length must be divisible by 2 and at most twice the {} dimensions, got {}",
                input.dim(),
                pad.len()
            ),
        ));
    }
    let nd = input.dim();
    let mut before = vec![0i64; nd];
    let mut after = vec![0i64; nd];
    for (k, p) in pad.chunks_exact(2).enumerate() {
        before[nd - 1 - k] = p[0];
        after[nd - 1 - k] = p[1];
    }
    let in_shape = input.shape().to_vec();
    let mut out_shape = Vec::with_capacity(nd);
    for d in 0..nd {
        let n = in_shape[d] as i64;
        let (b, a) = (before[d], after[d]);
        let o = n + b + a;
        if o < 0 {
            return Err(Error::argument(
                OP,
                format!("padding {b}, {a} gives a negative size for dimension {d} of size {n}"),
            ));
        }
        if !matches!(mode, PadMode::Constant(_)) && (b != 0 || a != 0) {
            let bad = match mode {
                PadMode::Reflect => b >= n || a >= n || b < 0 || a < 0,
                PadMode::Circular => b > n || a > n || b < 0 || a < 0,
                _ => n == 0 || b < 0 || a < 0,
            };
            if bad {
                return Err(Error::argument(
                    OP,
                    format!(
                        "{} padding ({b}, {a}) does not fit dimension {d} of size {n}",
                        mode.name()
                    ),
                ));
            }
        }
        out_shape.push(o as usize);
    }
    let es = input.dtype().size();
    let src = input.to_contiguous_bytes();
    let fill = Tensor::zeros(&[], input.dtype());
    if let PadMode::Constant(v) = mode {
        if input.dtype() == DType::Bool {
            fill.fill_(v != 0.0)?;
        } else {
            fill.fill_(v)?;
        }
    }
    let fill = fill.to_contiguous_bytes();
    // For each output coordinate along each dimension, the source coordinate or None.
    let maps: Vec<Vec<Option<usize>>> = (0..nd)
        .map(|d| {
            let n = in_shape[d] as i64;
            (0..out_shape[d] as i64)
                .map(|o| {
                    let i = o - before[d];
                    let j = if (0..n).contains(&i) {
                        i
                    } else {
                        match mode {
                            PadMode::Constant(_) => return None,
                            PadMode::Reflect => {
                                if i < 0 {
                                    -i
                                } else {
                                    2 * (n - 1) - i
                                }
                            }
                            PadMode::Replicate => i.clamp(0, n - 1),
                            PadMode::Circular => i.rem_euclid(n),
                        }
                    };
                    Some(j as usize)
                })
                .collect()
        })
        .collect();
    let numel: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(numel * es);
    let strides = pt_core::tensor::layout::contiguous_strides(&in_shape);
    let mut idx = vec![0usize; nd];
    for _ in 0..numel {
        let mut s = Some(0usize);
        for d in 0..nd {
            s = match (s, maps[d][idx[d]]) {
                (Some(acc), Some(j)) => Some(acc + j * strides[d]),
                _ => None,
            };
        }
        match s {
            Some(s) => out.extend_from_slice(&src[s * es..(s + 1) * es]),
            None => out.extend_from_slice(&fill),
        }
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Tensor::from_raw_bytes(&out, input.dtype(), &out_shape)
}

macro_rules! pad_layer {
    ($(#[$doc:meta])* $name:ident, $n:literal, $mode:expr, $torch:literal) => {
        $(#[$doc])*
        #[derive(Module, Clone, Debug)]
        #[module(crate = "crate", display, extra_repr = "Self::describe")]
        pub struct $name {
            /// `(before, after)` per padded dimension, last dimension first, as PyTorch
            /// orders them.
            #[module(skip)]
            pub padding: [usize; $n],
            #[module(skip)]
            value: f64,
            #[module(training)]
            training: bool,
        }

        impl $name {
            fn describe(&self) -> String {
                let p: Vec<String> = self.padding.iter().map(ToString::to_string).collect();
                format!("({})", p.join(", "))
            }

            fn mode(&self) -> PadMode {
                let f: fn(f64) -> PadMode = $mode;
                f(self.value)
            }
        }

        impl Forward for $name {
            fn forward(&self, input: &Tensor) -> Result<Tensor> {
                let p: Vec<i64> = self.padding.iter().map(|&x| x as i64).collect();
                pad(input, &p, self.mode())
            }
        }
    };
}

macro_rules! pad_ctor {
    ($name:ident, $n:literal) => {
        impl $name {
            /// The same amount on every side.
            pub fn new(padding: usize) -> $name {
                $name::with_sides([padding; $n])
            }

            /// Explicit amounts, as PyTorch's tuple: `(left, right)` or
            /// `(left, right, top, bottom)`.
            pub fn with_sides(padding: [usize; $n]) -> $name {
                $name {
                    padding,
                    value: 0.0,
                    training: true,
                }
            }
        }
    };
}

pad_layer!(
    /// Mirror padding of the last dimension (`nn.ReflectionPad1d`).
    ReflectionPad1d, 2, |_| PadMode::Reflect, "ReflectionPad1d"
);
pad_layer!(
    /// Mirror padding of the last two dimensions (`nn.ReflectionPad2d`).
    ReflectionPad2d, 4, |_| PadMode::Reflect, "ReflectionPad2d"
);
pad_layer!(
    /// Edge-repeating padding of the last dimension (`nn.ReplicationPad1d`).
    ReplicationPad1d, 2, |_| PadMode::Replicate, "ReplicationPad1d"
);
pad_layer!(
    /// Edge-repeating padding of the last two dimensions (`nn.ReplicationPad2d`).
    ReplicationPad2d, 4, |_| PadMode::Replicate, "ReplicationPad2d"
);
pad_layer!(
    /// Zero padding of the last two dimensions (`nn.ZeroPad2d`).
    ZeroPad2d, 4, PadMode::Constant, "ZeroPad2d"
);
pad_layer!(
    /// Constant padding of the last dimension (`nn.ConstantPad1d`).
    ConstantPad1d, 2, PadMode::Constant, "ConstantPad1d"
);
pad_layer!(
    /// Constant padding of the last two dimensions (`nn.ConstantPad2d`).
    ConstantPad2d, 4, PadMode::Constant, "ConstantPad2d"
);
pad_ctor!(ReflectionPad1d, 2);
pad_ctor!(ReflectionPad2d, 4);
pad_ctor!(ReplicationPad1d, 2);
pad_ctor!(ReplicationPad2d, 4);
pad_ctor!(ZeroPad2d, 4);

macro_rules! constant_ctor {
    ($name:ident, $n:literal) => {
        impl $name {
            /// `value` on every side, `padding` wide.
            pub fn new(padding: usize, value: f64) -> $name {
                $name::with_sides([padding; $n], value)
            }

            /// Explicit amounts (PyTorch's tuple order) filled with `value`.
            pub fn with_sides(padding: [usize; $n], value: f64) -> $name {
                $name {
                    padding,
                    value,
                    training: true,
                }
            }
        }
    };
}
constant_ctor!(ConstantPad1d, 2);
constant_ctor!(ConstantPad2d, 4);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let x = Tensor::from_slice(&[1f32, 2., 3.], &[1, 3]).unwrap();
        let r = pad(&x, &[2, 1], PadMode::Reflect).unwrap();
        assert_eq!(r.to_vec::<f32>().unwrap(), [3., 2., 1., 2., 3., 2.]);
        let r = pad(&x, &[1, 2], PadMode::Replicate).unwrap();
        assert_eq!(r.to_vec::<f32>().unwrap(), [1., 1., 2., 3., 3., 3.]);
        let r = pad(&x, &[1, 1], PadMode::Circular).unwrap();
        assert_eq!(r.to_vec::<f32>().unwrap(), [3., 1., 2., 3., 1.]);
        let r = pad(&x, &[1, -1], PadMode::Constant(9.0)).unwrap();
        assert_eq!(r.to_vec::<f32>().unwrap(), [9., 1., 2.]);
        assert!(pad(&x, &[3, 0], PadMode::Reflect).is_err());
    }
}
