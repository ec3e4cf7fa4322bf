//! Multi-layer recurrent networks with PyTorch's keys (`weight_ih_l0`,
//! `weight_hh_l1_reverse`, `weight_hr_l0`, …): [`RNN`], [`LSTM`] and [`GRU`]. Each layer
//! and direction runs the matching cell step of [`rnn_cell`](super::rnn_cell).

use std::sync::{Mutex, PoisonError};

use pt_core::{DType, Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::layers::rnn_cell::{CellWeights, Nonlinearity, gru_step, lstm_step, rnn_step};
use crate::parameter::Parameter;
use crate::repr::{py_bool, py_float};

/// Options of [`RNN`], [`LSTM`] and [`GRU`] (PyTorch's keyword arguments).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RNNOptions {
    /// Stacked layers (1).
    pub num_layers: usize,
    /// Learn the biases (true).
    pub bias: bool,
    /// Input and output are `(batch, seq, feature)` (false: `(seq, batch, feature)`).
    pub batch_first: bool,
    /// Dropout on the outputs of every layer but the last, in training (0).
    pub dropout: f64,
    /// Run a reverse direction too and concatenate (false).
    pub bidirectional: bool,
    /// [`RNN`] only: the nonlinearity (tanh).
    pub nonlinearity: Nonlinearity,
    /// [`LSTM`] only: project the hidden state to this size (0 = no projection).
    pub proj_size: usize,
}

impl Default for RNNOptions {
    fn default() -> RNNOptions {
        RNNOptions {
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
            nonlinearity: Nonlinearity::Tanh,
            proj_size: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rnn,
    Lstm,
    Gru,
}

impl Kind {
    fn gates(self) -> usize {
        match self {
            Kind::Rnn => 1,
            Kind::Lstm => 4,
            Kind::Gru => 3,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Rnn => "RNN",
            Kind::Lstm => "LSTM",
            Kind::Gru => "GRU",
        }
    }
}

/// One layer and direction: its cell weights and, for a projected LSTM, `weight_hr`.
#[derive(Clone, Debug)]
struct Direction {
    w: CellWeights,
    weight_hr: Option<Parameter>,
    suffix: String,
}

/// The shared body of the three networks.
#[derive(Debug)]
struct Stack {
    kind: Kind,
    input_size: usize,
    hidden_size: usize,
    options: RNNOptions,
    /// `[layer * directions + direction]`.
    dirs: Vec<Direction>,
    generator: Mutex<Generator>,
    training: bool,
}

impl Clone for Stack {
    fn clone(&self) -> Stack {
        let g = self
            .generator
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Stack {
            kind: self.kind,
            input_size: self.input_size,
            hidden_size: self.hidden_size,
            options: self.options,
            dirs: self.dirs.clone(),
            generator: Mutex::new(g),
            training: self.training,
        }
    }
}

impl Stack {
    fn new(
        kind: Kind,
        input_size: usize,
        hidden_size: usize,
        options: RNNOptions,
    ) -> Result<Stack> {
        let name = kind.name();
        if options.num_layers == 0 {
            return Err(Error::argument(
                name,
                "num_layers must be greater than or equal to 1",
            ));
        }
        if !(0.0..=1.0).contains(&options.dropout) {
            return Err(Error::argument(
                name,
                format!(
                    "dropout should be a number in range [0, 1], got {}",
                    options.dropout
                ),
            ));
        }
        if options.proj_size > 0 && (kind != Kind::Lstm || options.proj_size >= hidden_size) {
            return Err(Error::argument(
                name,
                "proj_size is only for LSTM and must be smaller than hidden_size",
            ));
        }
        if hidden_size == 0 {
            return Err(Error::argument(
                name,
                "hidden_size must be greater than zero",
            ));
        }
        let ndir = if options.bidirectional { 2 } else { 1 };
        let out = if options.proj_size > 0 {
            options.proj_size
        } else {
            hidden_size
        };
        let mut dirs = Vec::new();
        for layer in 0..options.num_layers {
            let inp = if layer == 0 { input_size } else { out * ndir };
            for d in 0..ndir {
                let mut w = CellWeights::zeros(kind.gates(), inp, hidden_size, options.bias);
                if options.proj_size > 0 {
                    w.weight_hh =
                        Parameter::new(Tensor::zeros(&[4 * hidden_size, out], DType::F32));
                }
                dirs.push(Direction {
                    w,
                    weight_hr: (options.proj_size > 0)
                        .then(|| Parameter::new(Tensor::zeros(&[out, hidden_size], DType::F32))),
                    suffix: format!("_l{layer}{}", if d == 1 { "_reverse" } else { "" }),
                });
            }
        }
        let seed = init::with_default_generator(Generator::next_u64);
        let mut s = Stack {
            kind,
            input_size,
            hidden_size,
            options,
            dirs,
            generator: Mutex::new(Generator::new(seed)),
            training: true,
        };
        init::with_default_generator(|g| s.init(g));
        Ok(s)
    }

    fn init(&mut self, g: &mut Generator) {
        let bound = 1.0 / (self.hidden_size as f64).sqrt();
        for d in &mut self.dirs {
            d.w.init(self.hidden_size, g);
            if let Some(hr) = &mut d.weight_hr {
                *hr = Parameter::new(init::uniform(hr.shape(), bound, g));
            }
        }
    }

    fn visit_names(&self) -> Vec<(String, &Parameter)> {
        let mut out = Vec::new();
        for d in &self.dirs {
            out.push((format!("weight_ih{}", d.suffix), &d.w.weight_ih));
            out.push((format!("weight_hh{}", d.suffix), &d.w.weight_hh));
            if let Some(b) = &d.w.bias_ih {
                out.push((format!("bias_ih{}", d.suffix), b));
            }
            if let Some(b) = &d.w.bias_hh {
                out.push((format!("bias_hh{}", d.suffix), b));
            }
            if let Some(p) = &d.weight_hr {
                out.push((format!("weight_hr{}", d.suffix), p));
            }
        }
        out
    }

    fn visit_mut(&mut self, v: &mut dyn crate::VisitorMut) {
        for d in &mut self.dirs {
            v.parameter(&format!("weight_ih{}", d.suffix), &mut d.w.weight_ih);
            v.parameter(&format!("weight_hh{}", d.suffix), &mut d.w.weight_hh);
            if let Some(b) = &mut d.w.bias_ih {
                v.parameter(&format!("bias_ih{}", d.suffix), b);
            }
            if let Some(b) = &mut d.w.bias_hh {
                v.parameter(&format!("bias_hh{}", d.suffix), b);
            }
            if let Some(p) = &mut d.weight_hr {
                v.parameter(&format!("weight_hr{}", d.suffix), p);
            }
        }
    }

    fn extra_repr(&self) -> String {
        let o = &self.options;
        let mut s = format!("{}, {}", self.input_size, self.hidden_size);
        if o.proj_size != 0 {
            s += &format!(", proj_size={}", o.proj_size);
        }
        if o.num_layers != 1 {
            s += &format!(", num_layers={}", o.num_layers);
        }
        if self.kind == Kind::Rnn && o.nonlinearity != Nonlinearity::Tanh {
            s += &format!(", nonlinearity='{}'", o.nonlinearity.name());
        }
        if !o.bias {
            s += &format!(", bias={}", py_bool(false));
        }
        if o.batch_first {
            s += &format!(", batch_first={}", py_bool(true));
        }
        if o.dropout != 0.0 {
            s += &format!(", dropout={}", py_float(o.dropout));
        }
        if o.bidirectional {
            s += &format!(", bidirectional={}", py_bool(true));
        }
        s
    }

    fn ndir(&self) -> usize {
        if self.options.bidirectional { 2 } else { 1 }
    }

    fn out_size(&self) -> usize {
        if self.options.proj_size > 0 {
            self.options.proj_size
        } else {
            self.hidden_size
        }
    }

    /// Runs the stack. `input` is `(L, N, I)` (or `(N, L, I)` batch-first, or unbatched
    /// `(L, I)`); `h0`/`c0` are `(layers·dirs, N, H)` (or unbatched without `N`).
    fn run(
        &self,
        input: &Tensor,
        h0: Option<&Tensor>,
        c0: Option<&Tensor>,
    ) -> Result<(Tensor, Tensor, Option<Tensor>)> {
        let name = self.kind.name();
        let batched = match input.dim() {
            3 => true,
            2 => false,
            d => {
                return Err(Error::shape(
                    name,
                    format!("{name}: Expected input to be 2D or 3D, got {d}D instead"),
                ));
            }
        };
        let x = if !batched {
            input.unsqueeze(1)?
        } else if self.options.batch_first {
            input.transpose(0, 1)?
        } else {
            input.clone()
        };
        let (seq, n, feat) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        if feat != self.input_size {
            return Err(Error::shape(
                name,
                format!(
                    "input.size(-1) must be equal to input_size. Expected {}, got {feat}",
                    self.input_size
                ),
            ));
        }
        let ndir = self.ndir();
        let layers = self.options.num_layers;
        let state = |s: Option<&Tensor>, size: usize, what: &str| -> Result<Tensor> {
            let want = [layers * ndir, n, size];
            let Some(s) = s else {
                return Ok(Tensor::zeros(&want, x.dtype()));
            };
            let s = if batched { s.clone() } else { s.unsqueeze(1)? };
            if s.shape() != want {
                return Err(Error::shape(
                    name,
                    format!("Expected {what} size {want:?}, got {:?}", s.shape()),
                ));
            }
            Ok(s)
        };
        let h0 = state(h0, self.out_size(), "hidden")?;
        let c0 = if self.kind == Kind::Lstm {
            Some(state(c0, self.hidden_size, "cell")?)
        } else {
            None
        };
        let mut layer_in = x;
        let mut hn = Vec::with_capacity(layers * ndir);
        let mut cn = Vec::with_capacity(layers * ndir);
        for layer in 0..layers {
            let mut outs = Vec::with_capacity(ndir);
            for d in 0..ndir {
                let k = layer * ndir + d;
                let dir = &self.dirs[k];
                let mut h = h0.select(0, k as isize)?;
                let mut c = match &c0 {
                    Some(c0) => Some(c0.select(0, k as isize)?),
                    None => None,
                };
                let mut steps = vec![None; seq];
                for s in 0..seq {
                    let t = if d == 1 { seq - 1 - s } else { s };
                    let xt = layer_in.select(0, t as isize)?;
                    match self.kind {
                        Kind::Rnn => h = rnn_step(&dir.w, self.options.nonlinearity, &xt, &h)?,
                        Kind::Gru => h = gru_step(&dir.w, &xt, &h)?,
                        Kind::Lstm => {
                            let cc = c.as_ref().expect("LSTM has a cell state");
                            let (h1, c1) = lstm_step(&dir.w, &xt, &h, cc)?;
                            h = match &dir.weight_hr {
                                Some(hr) => functional::linear(&h1, hr, None)?,
                                None => h1,
                            };
                            c = Some(c1);
                        }
                    }
                    steps[t] = Some(h.clone());
                }
                let steps: Vec<Tensor> = steps.into_iter().flatten().collect();
                outs.push(if steps.is_empty() {
                    Tensor::zeros(&[0, n, self.out_size()], layer_in.dtype())
                } else {
                    Tensor::stack(&steps, 0)?
                });
                hn.push(h);
                if let Some(c) = c {
                    cn.push(c);
                }
            }
            let mut out = if ndir == 1 {
                outs.pop().expect("one direction")
            } else {
                Tensor::cat(&outs, 2)?
            };
            if layer + 1 < layers && self.training && self.options.dropout > 0.0 {
                let mut g = self
                    .generator
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                out = functional::dropout(&out, self.options.dropout, true, &mut g)?;
            }
            layer_in = out;
        }
        let mut output = layer_in;
        let mut h_n = Tensor::stack(&hn, 0)?;
        let mut c_n = if cn.is_empty() {
            None
        } else {
            Some(Tensor::stack(&cn, 0)?)
        };
        if !batched {
            output = output.squeeze_dim(1)?;
            h_n = h_n.squeeze_dim(1)?;
            c_n = c_n.map(|c| c.squeeze_dim(1)).transpose()?;
        } else if self.options.batch_first {
            output = output.transpose(0, 1)?.contiguous();
        }
        Ok((output, h_n, c_n))
    }
}

macro_rules! network {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(Stack);

        impl $name {
            #[doc = concat!("`nn.", stringify!($name), "(input_size, hidden_size)` in float32, initialised from the default generator.")]
            ///
            /// # Errors
            /// [`Error::Argument`] for a zero hidden size.
            pub fn new(input_size: usize, hidden_size: usize) -> Result<$name> {
                $name::with_options(input_size, hidden_size, RNNOptions::default())
            }

            #[doc = concat!("`nn.", stringify!($name), "` with options.")]
            ///
            /// # Errors
            /// [`Error::Argument`] for zero layers or hidden size, a dropout outside
            /// `[0, 1]`, or a `proj_size` not allowed here.
            pub fn with_options(input_size: usize, hidden_size: usize, options: RNNOptions) -> Result<$name> {
                Ok($name(Stack::new($kind, input_size, hidden_size, options)?))
            }

            /// Re-draws every parameter from `U(±1/√hidden_size)` with `generator`.
            pub fn init_with(mut self, generator: &mut Generator) -> $name {
                self.0.init(generator);
                self
            }

            /// The options it was made with.
            pub fn options(&self) -> &RNNOptions {
                &self.0.options
            }
        }

        impl Module for $name {
            fn visit<'a>(&'a self, v: &mut dyn crate::Visitor<'a>) {
                for (name, p) in self.0.visit_names() {
                    v.parameter(&name, p);
                }
            }
            fn visit_mut(&mut self, v: &mut dyn crate::VisitorMut) {
                self.0.visit_mut(v);
            }
            fn type_name(&self) -> &str {
                stringify!($name)
            }
            fn extra_repr(&self) -> String {
                self.0.extra_repr()
            }
            fn own_training(&self) -> Option<bool> {
                Some(self.0.training)
            }
            fn set_own_training(&mut self, training: bool) {
                self.0.training = training;
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.fmt_repr(f)
            }
        }
    };
}

network!(
    /// A multi-layer Elman RNN (`nn.RNN`).
    RNN, Kind::Rnn
);
network!(
    /// A multi-layer LSTM (`nn.LSTM`), gates (i, f, g, o), optional projection.
    LSTM, Kind::Lstm
);
network!(
    /// A multi-layer GRU (`nn.GRU`), gates (r, z, n).
    GRU, Kind::Gru
);

impl RNN {
    /// Runs the sequence: returns `(output, h_n)`. `h0` defaults to zeros.
    ///
    /// # Errors
    /// [`Error::Shape`] for an input or state of the wrong shape.
    pub fn forward(&self, input: &Tensor, h0: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let (o, h, _) = self.0.run(input, h0, None)?;
        Ok((o, h))
    }
}

impl GRU {
    /// Runs the sequence: returns `(output, h_n)`. `h0` defaults to zeros.
    ///
    /// # Errors
    /// [`Error::Shape`] for an input or state of the wrong shape.
    pub fn forward(&self, input: &Tensor, h0: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let (o, h, _) = self.0.run(input, h0, None)?;
        Ok((o, h))
    }
}

impl LSTM {
    /// Runs the sequence: returns `(output, (h_n, c_n))`. `hx = (h0, c0)` defaults to
    /// zeros.
    ///
    /// # Errors
    /// [`Error::Shape`] for an input or state of the wrong shape.
    pub fn forward(
        &self,
        input: &Tensor,
        hx: Option<(&Tensor, &Tensor)>,
    ) -> Result<(Tensor, (Tensor, Tensor))> {
        let (o, h, c) = self.0.run(input, hx.map(|s| s.0), hx.map(|s| s.1))?;
        let c = c.ok_or_else(|| Error::argument("LSTM", "no cell state computed"))?;
        Ok((o, (h, c)))
    }
}
