//! [`MultiheadAttention`] (`nn.MultiheadAttention`), on pt-core's attention kernel.

use std::sync::Mutex;

use pt_core::{DType, Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::layers::Linear;
use crate::parameter::Parameter;
use crate::repr::py_bool;

/// Options of [`MultiheadAttention`] beyond `embed_dim` and `num_heads`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiheadAttentionOptions {
    /// Dropout on the attention weights in training (default 0).
    pub dropout: f64,
    /// Biases on the input and output projections (default `true`).
    pub bias: bool,
    /// Learned `bias_k`/`bias_v` appended to the keys and values (default `false`).
    pub add_bias_kv: bool,
    /// A zero key and value appended after projection (default `false`).
    pub add_zero_attn: bool,
    /// Key size, `None` for `embed_dim`.
    pub kdim: Option<usize>,
    /// Value size, `None` for `embed_dim`.
    pub vdim: Option<usize>,
    /// Inputs and outputs `(batch, seq, feature)` instead of `(seq, batch, feature)`.
    pub batch_first: bool,
}

impl Default for MultiheadAttentionOptions {
    fn default() -> MultiheadAttentionOptions {
        MultiheadAttentionOptions {
            dropout: 0.0,
            bias: true,
            add_bias_kv: false,
            add_zero_attn: false,
            kdim: None,
            vdim: None,
            batch_first: false,
        }
    }
}

/// Masks and flags of one [`MultiheadAttention::attend`] call (torch's forward keywords).
#[derive(Clone, Copy, Debug)]
pub struct AttentionArgs<'a> {
    /// `(N, S)` (or `(S,)` unbatched): bool true = ignore that key, or float added.
    pub key_padding_mask: Option<&'a Tensor>,
    /// `(L, S)` or `(N·heads, L, S)`: bool true = not allowed, or float added.
    pub attn_mask: Option<&'a Tensor>,
    /// Return the attention weights (default `true`).
    pub need_weights: bool,
    /// Average the weights over heads (default `true`).
    pub average_attn_weights: bool,
    /// A hint that `attn_mask` is causal; as torch, it requires `attn_mask` (which is used).
    pub is_causal: bool,
}

impl Default for AttentionArgs<'_> {
    fn default() -> Self {
        AttentionArgs {
            key_padding_mask: None,
            attn_mask: None,
            need_weights: true,
            average_attn_weights: true,
            is_causal: false,
        }
    }
}

/// Multi-head attention (`nn.MultiheadAttention`) with torch's parameters: a packed
/// `in_proj_weight` `(3·E, E)` when keys and values have `embed_dim` features, else
/// `q_proj_weight` `(E, E)`, `k_proj_weight` `(E, kdim)`, `v_proj_weight` `(E, vdim)`;
/// `in_proj_bias` `(3·E)`; `out_proj`; `bias_k`/`bias_v` `(1, 1, E)`.
#[derive(Module, Debug)]
#[module(crate = "crate", display, extra_repr = "MultiheadAttention::describe")]
pub struct MultiheadAttention {
    /// `(3·E, E)`, packed q/k/v projection when `kdim = vdim = E`.
    pub in_proj_weight: Option<Parameter>,
    /// `(E, E)` when kdim or vdim differ.
    pub q_proj_weight: Option<Parameter>,
    /// `(E, kdim)` when kdim or vdim differ.
    pub k_proj_weight: Option<Parameter>,
    /// `(E, vdim)` when kdim or vdim differ.
    pub v_proj_weight: Option<Parameter>,
    /// `(3·E,)`, if `bias`.
    pub in_proj_bias: Option<Parameter>,
    /// The output projection `E → E`.
    pub out_proj: Linear,
    /// `(1, 1, E)`, if `add_bias_kv`.
    pub bias_k: Option<Parameter>,
    /// `(1, 1, E)`, if `add_bias_kv`.
    pub bias_v: Option<Parameter>,
    /// Model size E.
    #[module(skip)]
    pub embed_dim: usize,
    /// Number of heads (dividing E).
    #[module(skip)]
    pub num_heads: usize,
    /// Dropout on the weights in training.
    #[module(skip)]
    pub dropout: f64,
    /// Append a zero key and value.
    #[module(skip)]
    pub add_zero_attn: bool,
    /// `(batch, seq, feature)` layout.
    #[module(skip)]
    pub batch_first: bool,
    #[module(skip)]
    generator: Mutex<Generator>,
    #[module(training)]
    training: bool,
}

impl Clone for MultiheadAttention {
    fn clone(&self) -> Self {
        let g = self
            .generator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        MultiheadAttention {
            in_proj_weight: self.in_proj_weight.clone(),
            q_proj_weight: self.q_proj_weight.clone(),
            k_proj_weight: self.k_proj_weight.clone(),
            v_proj_weight: self.v_proj_weight.clone(),
            in_proj_bias: self.in_proj_bias.clone(),
            out_proj: self.out_proj.clone(),
            bias_k: self.bias_k.clone(),
            bias_v: self.bias_v.clone(),
            embed_dim: self.embed_dim,
            num_heads: self.num_heads,
            dropout: self.dropout,
            add_zero_attn: self.add_zero_attn,
            batch_first: self.batch_first,
            generator: Mutex::new(g),
            training: self.training,
        }
    }
}

/// Xavier-uniform for a `(rows, cols)` weight: `U(±√(6 / (rows + cols)))`.
fn xavier_uniform(shape: &[usize], g: &mut Generator) -> Tensor {
    let (fan_out, fan_in) = (shape[0], shape[1..].iter().product::<usize>());
    init::uniform(shape, (6.0 / (fan_in + fan_out) as f64).sqrt(), g)
}

impl MultiheadAttention {
    /// `nn.MultiheadAttention(embed_dim, num_heads)`.
    ///
    /// # Errors
    /// As [`MultiheadAttention::with_options`].
    pub fn new(embed_dim: usize, num_heads: usize) -> Result<MultiheadAttention> {
        MultiheadAttention::with_options(embed_dim, num_heads, MultiheadAttentionOptions::default())
    }

    /// `nn.MultiheadAttention(embed_dim, num_heads, …)`, initialised as torch (xavier-uniform
    /// projections, zero biases, xavier-normal-like `bias_k`/`bias_v`) from the default
    /// generator.
    ///
    /// # Errors
    /// [`Error::Argument`] if `num_heads` is 0 or does not divide `embed_dim`, or the dropout
    /// is outside `[0, 1]`.
    pub fn with_options(
        embed_dim: usize,
        num_heads: usize,
        o: MultiheadAttentionOptions,
    ) -> Result<MultiheadAttention> {
        if num_heads == 0 || !embed_dim.is_multiple_of(num_heads) {
            return Err(Error::argument(
                "MultiheadAttention",
                format!("embed_dim {embed_dim} must be divisible by num_heads {num_heads}"),
            ));
        }
        if !(0.0..=1.0).contains(&o.dropout) {
            return Err(Error::argument(
                "MultiheadAttention",
                format!(
                    "dropout probability has to be between 0 and 1, but got {}",
                    o.dropout
                ),
            ));
        }
        let e = embed_dim;
        let (kdim, vdim) = (o.kdim.unwrap_or(e), o.vdim.unwrap_or(e));
        let packed = kdim == e && vdim == e;
        init::with_default_generator(|g| {
            let p = |t: Tensor| Some(Parameter::new(t));
            let (in_w, qkv) = if packed {
                (p(xavier_uniform(&[3 * e, e], g)), [None, None, None])
            } else {
                (
                    None,
                    [
                        p(xavier_uniform(&[e, e], g)),
                        p(xavier_uniform(&[e, kdim], g)),
                        p(xavier_uniform(&[e, vdim], g)),
                    ],
                )
            };
            let [q_w, k_w, v_w] = qkv;
            let mut out_proj =
                Linear::with_options(e, e, crate::layers::LinearOptions { bias: o.bias })
                    .init_with(g);
            if o.bias {
                out_proj.bias = p(Tensor::zeros(&[e], DType::F32));
            }
            let bias_kv = |g: &mut Generator| {
                let std = (2.0 / (e + e) as f64).sqrt();
                init::standard_normal(&[1, 1, e], g)
                    .mul_scalar(std)
                    .ok()
                    .map(Parameter::new)
            };
            let (bias_k, bias_v) = if o.add_bias_kv {
                (bias_kv(g), bias_kv(g))
            } else {
                (None, None)
            };
            let seed = g.next_u64();
            Ok(MultiheadAttention {
                in_proj_weight: in_w,
                q_proj_weight: q_w,
                k_proj_weight: k_w,
                v_proj_weight: v_w,
                in_proj_bias: o
                    .bias
                    .then(|| Parameter::new(Tensor::zeros(&[3 * e], DType::F32))),
                out_proj,
                bias_k,
                bias_v,
                embed_dim: e,
                num_heads,
                dropout: o.dropout,
                add_zero_attn: o.add_zero_attn,
                batch_first: o.batch_first,
                generator: Mutex::new(Generator::new(seed)),
                training: true,
            })
        })
    }

    fn describe(&self) -> String {
        format!(
            "embed_dim={}, num_heads={}, batch_first={}",
            self.embed_dim,
            self.num_heads,
            py_bool(self.batch_first)
        )
    }

    /// Projects `x` `(…, in)` with rows `which·E..(which+1)·E` of the packed weight, or the
    /// separate one.
    fn project(&self, x: &Tensor, which: usize) -> Result<Tensor> {
        let e = self.embed_dim;
        let w = match (&self.in_proj_weight, which) {
            (Some(w), _) => w.narrow(0, (which * e) as isize, e)?,
            (None, 0) => self.q_proj_weight.as_deref().cloned().ok_or_else(missing)?,
            (None, 1) => self.k_proj_weight.as_deref().cloned().ok_or_else(missing)?,
            (None, _) => self.v_proj_weight.as_deref().cloned().ok_or_else(missing)?,
        };
        let b = match &self.in_proj_bias {
            Some(b) => Some(b.narrow(0, (which * e) as isize, e)?),
            None => None,
        };
        functional::linear(x, &w, b.as_ref())
    }

    /// `mha(query, key, value, …)`: returns the output `(L, N, E)` (batch first or
    /// unbatched as the input) and, with `need_weights`, the weights `(N, L, S)` averaged over
    /// heads or `(N, heads, L, S)`. A query that may attend to no key gets zeros in both
    /// (torch gives NaN when it returns weights).
    ///
    /// # Errors
    /// [`Error::Shape`] for inputs or masks of the wrong shape; [`Error::Argument`] for
    /// `is_causal` without `attn_mask`; dtype errors from the kernels.
    pub fn attend(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        args: AttentionArgs<'_>,
    ) -> Result<(Tensor, Option<Tensor>)> {
        const OP: &str = "MultiheadAttention";
        if args.is_causal && args.attn_mask.is_none() {
            return Err(Error::argument(
                OP,
                "Need attn_mask if specifying the is_causal hint",
            ));
        }
        let batched = query.dim() == 3;
        if !(batched || query.dim() == 2) || key.dim() != query.dim() || value.dim() != query.dim()
        {
            return Err(Error::shape(
                OP,
                format!(
                    "expected 3-D (batched) or 2-D (unbatched) query, key and value, got {:?}, {:?} and {:?}",
                    query.shape(),
                    key.shape(),
                    value.shape()
                ),
            ));
        }
        // To (seq, batch, feature).
        let seq_first = |t: &Tensor| -> Result<Tensor> {
            if !batched {
                t.unsqueeze(1)
            } else if self.batch_first {
                t.transpose(0, 1)
            } else {
                Ok(t.clone())
            }
        };
        let (q, k, v) = (seq_first(query)?, seq_first(key)?, seq_first(value)?);
        let (l, n, e) = (q.shape()[0], q.shape()[1], q.shape()[2]);
        let h = self.num_heads;
        let hd = self.embed_dim / h;
        if e != self.embed_dim
            || k.shape()[0] != v.shape()[0]
            || k.shape()[1] != n
            || v.shape()[1] != n
        {
            return Err(Error::shape(
                OP,
                format!(
                    "query {:?}, key {:?} and value {:?} do not fit embed_dim {} (one batch size, key and value one length)",
                    query.shape(),
                    key.shape(),
                    value.shape(),
                    self.embed_dim
                ),
            ));
        }
        let dtype = query.dtype();
        let mut q = self.project(&q, 0)?;
        let mut k = self.project(&k, 1)?;
        let mut v = self.project(&v, 2)?;
        let mut s = k.shape()[0];
        // The additive mask, broadcastable to (N, H, L, S).
        let to_float = |m: &Tensor| -> Result<Tensor> {
            if m.dtype() == DType::Bool {
                Tensor::zeros(m.shape(), dtype).masked_fill(m, f64::NEG_INFINITY)
            } else {
                m.to_dtype(dtype)
            }
        };
        let mut attn_mask = match args.attn_mask {
            None => None,
            Some(m) if m.dim() == 2 && m.shape() == [l, s] => Some(to_float(m)?),
            Some(m) if m.dim() == 3 && m.shape() == [n * h, l, s] => {
                Some(to_float(m)?.reshape(&[n as isize, h as isize, l as isize, s as isize])?)
            }
            Some(m) => {
                return Err(Error::shape(
                    OP,
                    format!(
                        "attn_mask {:?} should be ({l}, {s}) or ({}, {l}, {s})",
                        m.shape(),
                        n * h
                    ),
                ));
            }
        };
        let mut kpm = match args.key_padding_mask {
            None => None,
            Some(m) if (batched && m.shape() == [n, s]) || (!batched && m.shape() == [s]) => {
                Some(to_float(m)?.reshape(&[n as isize, 1, 1, s as isize])?)
            }
            Some(m) => {
                return Err(Error::shape(
                    OP,
                    format!("key_padding_mask {:?} should be ({n}, {s})", m.shape()),
                ));
            }
        };
        // One zero column on each mask per appended key.
        let pad = |m: Option<Tensor>| -> Result<Option<Tensor>> {
            m.map(|m| {
                let mut shape = m.shape().to_vec();
                *shape.last_mut().unwrap_or(&mut 0) = 1;
                Tensor::cat(&[m.clone(), Tensor::zeros(&shape, m.dtype())], -1)
            })
            .transpose()
        };
        if let (Some(bk), Some(bv)) = (&self.bias_k, &self.bias_v) {
            let ex = [1, n as isize, e as isize];
            k = Tensor::cat(&[k, bk.to_dtype(dtype)?.expand(&ex)?], 0)?;
            v = Tensor::cat(&[v, bv.to_dtype(dtype)?.expand(&ex)?], 0)?;
            s += 1;
            attn_mask = pad(attn_mask)?;
            kpm = pad(kpm)?;
        }
        // (seq, N, E) → (N, H, seq, hd), a strided view.
        let heads = |t: &Tensor, len: usize| -> Result<Tensor> {
            t.reshape(&[len as isize, n as isize, h as isize, hd as isize])?
                .permute(&[1, 2, 0, 3])
        };
        q = heads(&q, l)?;
        k = heads(&k, s)?;
        v = heads(&v, s)?;
        if self.add_zero_attn {
            let z = Tensor::zeros(&[n, h, 1, hd], dtype);
            k = Tensor::cat(&[k, z.clone()], 2)?;
            v = Tensor::cat(&[v, z], 2)?;
            attn_mask = pad(attn_mask)?;
            kpm = pad(kpm)?;
        }
        let mask = match (attn_mask, kpm) {
            (Some(a), Some(b)) => Some(a.add(&b)?),
            (a, b) => a.or(b),
        };
        let p = if self.training { self.dropout } else { 0.0 };
        let mut g = self
            .generator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (out, weights) = if args.need_weights || p > 0.0 {
            let w = q.attention_weights(&k, mask.as_ref(), false, None)?;
            let wd = functional::dropout(&w, p, true, &mut g)?;
            (wd.matmul(&v)?, Some(w))
        } else {
            (
                q.scaled_dot_product_attention(&k, &v, mask.as_ref(), false, None)?,
                None,
            )
        };
        // (N, H, L, hd) → (L, N, E).
        let out = out
            .permute(&[2, 0, 1, 3])?
            .reshape(&[l as isize, n as isize, e as isize])?;
        let out = crate::module::Forward::forward(&self.out_proj, &out)?;
        let out = if !batched {
            out.squeeze_dim(1)?
        } else if self.batch_first {
            out.transpose(0, 1)?
        } else {
            out
        };
        let weights = match weights.filter(|_| args.need_weights) {
            None => None,
            Some(w) => {
                let w = if args.average_attn_weights {
                    w.mean_dim(1, false)?
                } else {
                    w
                };
                Some(if batched { w } else { w.squeeze_dim(0)? })
            }
        };
        Ok((out, weights))
    }
}

fn missing() -> Error {
    Error::argument(
        "MultiheadAttention",
        "neither in_proj_weight nor q/k/v_proj_weight is set",
    )
}
