//! `scaled_dot_product_attention`: one batched GEMM for q·kᵀ (k transposed by stride, not
//! copied), one pass that scales, masks and soft-maxes each score row in place, one batched
//! GEMM for the weights times v.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

const OP: &str = "scaled_dot_product_attention";

/// The mask folded into the score pass.
enum Mask {
    None,
    /// 1 = attend, one byte per score.
    Keep(Vec<u8>),
    /// Added to the scaled score.
    Add(Vec<f64>),
}

macro_rules! score_rows {
    ($name:ident, $t:ty) => {
        /// Scales, masks (causal: key j > query i is hidden) and soft-maxes each row of
        /// `scores` (rows of `s`, `l` rows per matrix). A row with every key hidden becomes
        /// zeros, as torch's SDPA gives.
        fn $name(scores: &mut [$t], s: usize, l: usize, scale: $t, causal: bool, mask: &Mask) {
            for (r, row) in scores.chunks_exact_mut(s).enumerate() {
                let i = r % l;
                let base = r * s;
                let mut max = <$t>::NEG_INFINITY;
                for (j, x) in row.iter_mut().enumerate() {
                    let mut v = *x * scale;
                    if causal && j > i {
                        v = <$t>::NEG_INFINITY;
                    }
                    match mask {
                        Mask::None => {}
                        Mask::Keep(m) => {
                            if m[base + j] == 0 {
                                v = <$t>::NEG_INFINITY;
                            }
                        }
                        Mask::Add(m) => v += m[base + j] as $t,
                    }
                    *x = v;
                    if v > max {
                        max = v;
                    }
                }
                if max == <$t>::NEG_INFINITY {
                    row.fill(0.0);
                    continue;
                }
                let mut sum: $t = 0.0;
                for x in row.iter_mut() {
                    *x = (*x - max).exp();
                    sum += *x;
                }
                let inv = 1.0 / sum;
                for x in row.iter_mut() {
                    *x *= inv;
                }
            }
        }
    };
}
score_rows!(score_rows_f32, f32);
score_rows!(score_rows_f64, f64);

impl Tensor {
    /// Attention of `self` (queries `[…, L, E]`) over `key` `[…, S, E]` and `value`
    /// `[…, S, Ev]`: `softmax(q·kᵀ·scale + mask)·v`, the leading dimensions broadcasting
    /// (`F.scaled_dot_product_attention` without dropout; `pt_nn::functional` adds it).
    ///
    /// `attn_mask` broadcasts to `[…, L, S]`: a bool mask marks the positions to attend
    /// (false ones get −∞), a floating mask is added to the scores. `is_causal` hides key
    /// `j > i` from query `i` (top-left aligned, as torch). `scale` defaults to `1/√E`.
    /// A query that may attend to no key gets zeros, as torch. Scores and softmax run in
    /// f64 for f64 inputs and in f32 otherwise.
    ///
    /// # Errors
    /// [`Error::DType`] for non-floating or mixed dtypes, or a mask that is neither bool
    /// nor of the query's dtype; [`Error::Shape`] for fewer than 2 dimensions, mismatched
    /// sizes or a mask that does not broadcast; [`Error::Argument`] when both a mask and
    /// `is_causal` are given.
    pub fn scaled_dot_product_attention(
        &self,
        key: &Tensor,
        value: &Tensor,
        attn_mask: Option<&Tensor>,
        is_causal: bool,
        scale: Option<f64>,
    ) -> Result<Tensor> {
        let dtype = self.dtype();
        for t in [key, value] {
            if !dtype.is_floating_point() || t.dtype() != dtype {
                return Err(Error::DType {
                    op: OP,
                    dtype: t.dtype(),
                    detail: format!(
                        ": expected query, key and value of one floating dtype, got {:?}, {:?} and {:?}",
                        dtype,
                        key.dtype(),
                        value.dtype()
                    ),
                });
            }
        }
        let (dq, dk, dv) = (self.dim(), key.dim(), value.dim());
        if dq < 2 || dk < 2 || dv < 2 {
            return Err(Error::shape(
                OP,
                format!(
                    "expected query, key and value with at least 2 dimensions, got {:?}, {:?} and {:?}",
                    self.shape(),
                    key.shape(),
                    value.shape()
                ),
            ));
        }
        if key.shape()[dk - 2] != value.shape()[dv - 2] {
            return Err(Error::shape(
                OP,
                format!(
                    "query {:?}, key {:?} and value {:?} disagree (need query and key with one embedding size, key and value with one sequence length)",
                    self.shape(),
                    key.shape(),
                    value.shape()
                ),
            ));
        }
        self.attention_weights(key, attn_mask, is_causal, scale)?
            .matmul(value)
    }

    /// The weights `softmax(q·kᵀ·scale + mask)` of
    /// [`Tensor::scaled_dot_product_attention`], shaped `[…, L, S]` (for dropout on them).
    ///
    /// # Errors
    /// As [`Tensor::scaled_dot_product_attention`].
    pub fn attention_weights(
        &self,
        key: &Tensor,
        attn_mask: Option<&Tensor>,
        is_causal: bool,
        scale: Option<f64>,
    ) -> Result<Tensor> {
        let dtype = self.dtype();
        if !dtype.is_floating_point() || key.dtype() != dtype {
            return Err(Error::DType {
                op: OP,
                dtype: key.dtype(),
                detail: format!(
                    ": expected query and key of one floating dtype, got {dtype:?} and {:?}",
                    key.dtype()
                ),
            });
        }
        let (dq, dk) = (self.dim(), key.dim());
        let e = self.shape()[dq.max(1) - 1];
        if dq < 2 || dk < 2 || key.shape()[dk - 1] != e {
            return Err(Error::shape(
                OP,
                format!(
                    "query {:?} and key {:?} need at least 2 dimensions and one embedding size",
                    self.shape(),
                    key.shape()
                ),
            ));
        }
        if is_causal && attn_mask.is_some() {
            return Err(Error::argument(
                OP,
                "explicit attn_mask should not be set when is_causal=True",
            ));
        }
        let scale = scale.unwrap_or(1.0 / (e as f64).sqrt());
        let kt = key.transpose(-2, -1)?;
        let scores = self.matmul(&kt)?;
        let shape = scores.shape().to_vec();
        let (l, s) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let mask = match attn_mask {
            None => Mask::None,
            Some(m) => {
                let full = m.broadcast_to(&shape).map_err(|_| {
                    Error::shape(
                        OP,
                        format!(
                            "attn_mask of shape {:?} does not broadcast to the scores' shape {:?}",
                            m.shape(),
                            shape
                        ),
                    )
                })?;
                if m.dtype() == DType::Bool {
                    Mask::Keep(full.to_contiguous_bytes())
                } else if m.dtype() == dtype {
                    Mask::Add(full.to_dtype(DType::F64)?.to_vec::<f64>()?)
                } else {
                    return Err(Error::DType {
                        op: OP,
                        dtype: m.dtype(),
                        detail: format!(
                            ": expected a bool attn_mask or one of the query's dtype {dtype:?}"
                        ),
                    });
                }
            }
        };
        if s == 0 || l == 0 {
            Ok(scores)
        } else if dtype == DType::F64 {
            let mut v = scores.to_vec::<f64>()?;
            score_rows_f64(&mut v, s, l, scale, is_causal, &mask);
            Tensor::from_vec(v, &shape)
        } else {
            let mut v = scores.to_dtype(DType::F32)?.to_vec::<f32>()?;
            score_rows_f32(&mut v, s, l, scale as f32, is_causal, &mask);
            Tensor::from_vec(v, &shape)?.to_dtype(dtype)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_keys_average_values_and_hidden_rows_are_zero() {
        let q = Tensor::zeros(&[2, 3], DType::F32);
        let k = Tensor::ones(&[4, 3], DType::F32);
        let v = Tensor::from_vec((0..8).map(|x| x as f32).collect(), &[4, 2]).unwrap();
        let out = q
            .scaled_dot_product_attention(&k, &v, None, false, None)
            .unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), [3.0, 4.0, 3.0, 4.0]);
        let keep = Tensor::from_vec(
            vec![true, false, false, false, false, false, false, false],
            &[2, 4],
        )
        .unwrap();
        let out = q
            .scaled_dot_product_attention(&k, &v, Some(&keep), false, None)
            .unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), [0.0, 1.0, 0.0, 0.0]);
        let c = q
            .scaled_dot_product_attention(&k, &v, None, true, None)
            .unwrap();
        assert_eq!(c.to_vec::<f32>().unwrap(), [0.0, 1.0, 1.0, 2.0]);
        assert!(
            q.scaled_dot_product_attention(&k, &v, Some(&keep), true, None)
                .is_err()
        );
        assert!(
            q.scaled_dot_product_attention(&v, &v, None, false, None)
                .is_err()
        );
    }
}
