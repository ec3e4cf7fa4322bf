//! `F.scaled_dot_product_attention`.

use pt_core::{Generator, Result, Tensor};

use super::dropout;

/// `softmax(q·kᵀ·scale + mask)·v` with dropout `dropout_p` on the weights
/// (`F.scaled_dot_product_attention`; as in torch, dropout applies whenever `dropout_p > 0`,
/// drawing from `generator`). A bool `attn_mask` marks the positions to attend; a floating
/// one is added to the scores. See [`Tensor::scaled_dot_product_attention`] for shapes.
///
/// # Errors
/// As [`Tensor::scaled_dot_product_attention`]; `dropout_p` outside `[0, 1]`.
#[allow(clippy::too_many_arguments)]
pub fn scaled_dot_product_attention(
    query: &Tensor,
    key: &Tensor,
    value: &Tensor,
    attn_mask: Option<&Tensor>,
    dropout_p: f64,
    is_causal: bool,
    scale: Option<f64>,
    generator: &mut Generator,
) -> Result<Tensor> {
    if dropout_p == 0.0 {
        return query.scaled_dot_product_attention(key, value, attn_mask, is_causal, scale);
    }
    let w = query.attention_weights(key, attn_mask, is_causal, scale)?;
    dropout(&w, dropout_p, true, generator)?.matmul(value)
}
