//! Recurrent cells with PyTorch's parameter names and gate order: [`RNNCell`],
//! [`LSTMCell`] (i, f, g, o) and [`GRUCell`] (r, z, n). Each step is two `linear` calls and
//! element-wise gates, all through pt-core's kernels.

use pt_core::{DType, Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::parameter::Parameter;

/// The nonlinearity of [`RNNCell`] and [`RNN`](crate::RNN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Nonlinearity {
    /// `tanh` (default).
    #[default]
    Tanh,
    /// `relu`.
    Relu,
}

impl Nonlinearity {
    pub(crate) fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Nonlinearity::Tanh => x.tanh(),
            Nonlinearity::Relu => x.relu(),
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Nonlinearity::Tanh => "tanh",
            Nonlinearity::Relu => "relu",
        }
    }
}

/// Options of the recurrent cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RNNCellOptions {
    /// Learn `bias_ih` and `bias_hh` (true).
    pub bias: bool,
    /// For [`RNNCell`] only: the nonlinearity (tanh).
    pub nonlinearity: Nonlinearity,
}

impl Default for RNNCellOptions {
    fn default() -> RNNCellOptions {
        RNNCellOptions {
            bias: true,
            nonlinearity: Nonlinearity::Tanh,
        }
    }
}

/// The state of a cell: `weight_ih` `(gates·hidden, input)`, `weight_hh` `(gates·hidden,
/// hidden)`, biases `(gates·hidden,)`.
#[derive(Clone, Debug)]
pub(crate) struct CellWeights {
    pub(crate) weight_ih: Parameter,
    pub(crate) weight_hh: Parameter,
    pub(crate) bias_ih: Option<Parameter>,
    pub(crate) bias_hh: Option<Parameter>,
}

impl CellWeights {
    pub(crate) fn zeros(gates: usize, input: usize, hidden: usize, bias: bool) -> CellWeights {
        let z = |s: &[usize]| Parameter::new(Tensor::zeros(s, DType::F32));
        CellWeights {
            weight_ih: z(&[gates * hidden, input]),
            weight_hh: z(&[gates * hidden, hidden]),
            bias_ih: bias.then(|| z(&[gates * hidden])),
            bias_hh: bias.then(|| z(&[gates * hidden])),
        }
    }

    /// PyTorch's init: every parameter from `U(±1/√hidden)`.
    pub(crate) fn init(&mut self, hidden: usize, g: &mut Generator) {
        let bound = if hidden > 0 {
            1.0 / (hidden as f64).sqrt()
        } else {
            0.0
        };
        let draw = |p: &mut Parameter, g: &mut Generator| {
            *p = Parameter::new(init::uniform(p.shape(), bound, g));
        };
        draw(&mut self.weight_ih, g);
        draw(&mut self.weight_hh, g);
        if let Some(b) = &mut self.bias_ih {
            draw(b, g);
        }
        if let Some(b) = &mut self.bias_hh {
            draw(b, g);
        }
    }

    /// `(x Wihᵀ + bih, h Whhᵀ + bhh)`.
    pub(crate) fn gates(&self, x: &Tensor, h: &Tensor) -> Result<(Tensor, Tensor)> {
        Ok((
            functional::linear(x, &self.weight_ih, self.bias_ih.as_deref())?,
            functional::linear(h, &self.weight_hh, self.bias_hh.as_deref())?,
        ))
    }
}

/// One LSTM step on 2-D `x (N, I)`, `h (N, H)`, `c (N, H)`.
pub(crate) fn lstm_step(
    w: &CellWeights,
    x: &Tensor,
    h: &Tensor,
    c: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let (gi, gh) = w.gates(x, h)?;
    let g = gi.add(&gh)?;
    let parts = g.chunk(4, 1)?;
    let i = parts[0].sigmoid()?;
    let f = parts[1].sigmoid()?;
    let gg = parts[2].tanh()?;
    let o = parts[3].sigmoid()?;
    let c1 = f.mul(c)?.add(&i.mul(&gg)?)?;
    let h1 = o.mul(&c1.tanh()?)?;
    Ok((h1, c1))
}

/// One GRU step on 2-D `x`, `h`.
pub(crate) fn gru_step(w: &CellWeights, x: &Tensor, h: &Tensor) -> Result<Tensor> {
    let (gi, gh) = w.gates(x, h)?;
    let a = gi.chunk(3, 1)?;
    let b = gh.chunk(3, 1)?;
    let r = a[0].add(&b[0])?.sigmoid()?;
    let z = a[1].add(&b[1])?.sigmoid()?;
    let n = a[2].add(&r.mul(&b[2])?)?.tanh()?;
    // h' = (1 - z) * n + z * h = n + z * (h - n)
    n.add(&z.mul(&h.sub(&n)?)?)
}

/// One Elman step.
pub(crate) fn rnn_step(
    w: &CellWeights,
    act: Nonlinearity,
    x: &Tensor,
    h: &Tensor,
) -> Result<Tensor> {
    let (gi, gh) = w.gates(x, h)?;
    act.apply(&gi.add(&gh)?)
}

/// Checks a cell input (1-D or 2-D) and returns it batched, with whether it was.
fn batched(op: &'static str, x: &Tensor, input_size: usize) -> Result<(Tensor, bool)> {
    match x.dim() {
        1 | 2 if x.shape()[x.dim() - 1] == input_size => {
            if x.dim() == 1 {
                Ok((x.unsqueeze(0)?, false))
            } else {
                Ok((x.clone(), true))
            }
        }
        1 | 2 => Err(Error::shape(
            op,
            format!(
                "input has inconsistent input_size: got {}, expected {input_size}",
                x.shape()[x.dim() - 1]
            ),
        )),
        d => Err(Error::shape(
            op,
            format!("{op}: Expected input to be 1D or 2D, got {d}D instead"),
        )),
    }
}

/// A state for a batched input: the given one (batched like the input) or zeros.
fn state(
    op: &'static str,
    s: Option<&Tensor>,
    batched: bool,
    n: usize,
    hidden: usize,
    dtype: DType,
) -> Result<Tensor> {
    let Some(s) = s else {
        return Ok(Tensor::zeros(&[n, hidden], dtype));
    };
    let s = if batched { s.clone() } else { s.unsqueeze(0)? };
    if s.shape() != [n, hidden] {
        return Err(Error::shape(
            op,
            format!(
                "hidden state has shape {:?}, expected {:?}",
                s.shape(),
                [n, hidden]
            ),
        ));
    }
    Ok(s)
}

fn unbatch(t: Tensor, batched: bool) -> Result<Tensor> {
    if batched { Ok(t) } else { t.squeeze_dim(0) }
}

macro_rules! cell {
    ($(#[$doc:meta])* $name:ident, $gates:literal, $torch:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            pub(crate) w: CellWeights,
            /// Features of each input.
            pub input_size: usize,
            /// Features of the hidden state.
            pub hidden_size: usize,
            nonlinearity: Nonlinearity,
            training: bool,
        }

        impl $name {
            #[doc = concat!("`nn.", $torch, "(input_size, hidden_size)` in float32, initialised from the default generator.")]
            pub fn new(input_size: usize, hidden_size: usize) -> $name {
                $name::with_options(input_size, hidden_size, RNNCellOptions::default())
            }

            #[doc = concat!("`nn.", $torch, "` with options.")]
            pub fn with_options(input_size: usize, hidden_size: usize, options: RNNCellOptions) -> $name {
                let cell = $name {
                    w: CellWeights::zeros($gates, input_size, hidden_size, options.bias),
                    input_size,
                    hidden_size,
                    nonlinearity: options.nonlinearity,
                    training: true,
                };
                init::with_default_generator(|g| cell.init_with(g))
            }

            /// Re-draws every parameter from `U(±1/√hidden_size)` with `generator`.
            pub fn init_with(mut self, generator: &mut Generator) -> $name {
                self.w.init(self.hidden_size, generator);
                self
            }

            /// `(gates·hidden, input)`.
            pub fn weight_ih(&self) -> &Parameter {
                &self.w.weight_ih
            }
            /// `(gates·hidden, hidden)`.
            pub fn weight_hh(&self) -> &Parameter {
                &self.w.weight_hh
            }
            /// `(gates·hidden,)`, if the cell has biases.
            pub fn bias_ih(&self) -> Option<&Parameter> {
                self.w.bias_ih.as_ref()
            }
            /// `(gates·hidden,)`, if the cell has biases.
            pub fn bias_hh(&self) -> Option<&Parameter> {
                self.w.bias_hh.as_ref()
            }
        }

        impl Module for $name {
            fn visit<'a>(&'a self, v: &mut dyn crate::Visitor<'a>) {
                v.parameter("weight_ih", &self.w.weight_ih);
                v.parameter("weight_hh", &self.w.weight_hh);
                if let Some(b) = &self.w.bias_ih {
                    v.parameter("bias_ih", b);
                }
                if let Some(b) = &self.w.bias_hh {
                    v.parameter("bias_hh", b);
                }
            }
            fn visit_mut(&mut self, v: &mut dyn crate::VisitorMut) {
                v.parameter("weight_ih", &mut self.w.weight_ih);
                v.parameter("weight_hh", &mut self.w.weight_hh);
                if let Some(b) = &mut self.w.bias_ih {
                    v.parameter("bias_ih", b);
                }
                if let Some(b) = &mut self.w.bias_hh {
                    v.parameter("bias_hh", b);
                }
            }
            fn type_name(&self) -> &str {
                $torch
            }
            fn extra_repr(&self) -> String {
                let mut s = format!("{}, {}", self.input_size, self.hidden_size);
                if self.w.bias_ih.is_none() {
                    s += ", bias=False";
                }
                if $gates == 1 && self.nonlinearity != Nonlinearity::Tanh {
                    s += &format!(", nonlinearity='{}'", self.nonlinearity.name());
                }
                s
            }
            fn own_training(&self) -> Option<bool> {
                Some(self.training)
            }
            fn set_own_training(&mut self, training: bool) {
                self.training = training;
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.fmt_repr(f)
            }
        }
    };
}

cell!(
    /// An Elman RNN cell (`nn.RNNCell`): `h' = act(x Wihᵀ + bih + h Whhᵀ + bhh)`.
    RNNCell, 1, "RNNCell"
);
cell!(
    /// An LSTM cell (`nn.LSTMCell`), gates stacked (i, f, g, o) in `weight_ih`/`weight_hh`.
    LSTMCell, 4, "LSTMCell"
);
cell!(
    /// A GRU cell (`nn.GRUCell`), gates stacked (r, z, n).
    GRUCell, 3, "GRUCell"
);

impl RNNCell {
    /// One step: `input` `(N, input_size)` or `(input_size,)`, `hx` like it with
    /// `hidden_size` (zeros if `None`). Returns `h'`.
    ///
    /// # Errors
    /// [`Error::Shape`] for inputs or states of the wrong shape.
    pub fn forward(&self, input: &Tensor, hx: Option<&Tensor>) -> Result<Tensor> {
        let (x, b) = batched("RNNCell", input, self.input_size)?;
        let h = state("RNNCell", hx, b, x.shape()[0], self.hidden_size, x.dtype())?;
        unbatch(rnn_step(&self.w, self.nonlinearity, &x, &h)?, b)
    }
}

impl GRUCell {
    /// One step (see [`RNNCell::forward`]). Returns `h'`.
    ///
    /// # Errors
    /// [`Error::Shape`] for inputs or states of the wrong shape.
    pub fn forward(&self, input: &Tensor, hx: Option<&Tensor>) -> Result<Tensor> {
        let (x, b) = batched("GRUCell", input, self.input_size)?;
        let h = state("GRUCell", hx, b, x.shape()[0], self.hidden_size, x.dtype())?;
        unbatch(gru_step(&self.w, &x, &h)?, b)
    }
}

impl LSTMCell {
    /// One step: `input` `(N, input_size)` or `(input_size,)`, `hx = (h, c)` like it with
    /// `hidden_size` (zeros if `None`). Returns `(h', c')`.
    ///
    /// # Errors
    /// [`Error::Shape`] for inputs or states of the wrong shape.
    pub fn forward(
        &self,
        input: &Tensor,
        hx: Option<(&Tensor, &Tensor)>,
    ) -> Result<(Tensor, Tensor)> {
        let (x, b) = batched("LSTMCell", input, self.input_size)?;
        let n = x.shape()[0];
        let h = state(
            "LSTMCell",
            hx.map(|s| s.0),
            b,
            n,
            self.hidden_size,
            x.dtype(),
        )?;
        let c = state(
            "LSTMCell",
            hx.map(|s| s.1),
            b,
            n,
            self.hidden_size,
            x.dtype(),
        )?;
        let (h1, c1) = lstm_step(&self.w, &x, &h, &c)?;
        Ok((unbatch(h1, b)?, unbatch(c1, b)?))
    }
}
