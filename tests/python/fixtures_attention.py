#!/usr/bin/env python3
"""Generate tests/fixtures/attention/ with real PyTorch: one NAME.pt per case.

Usage: python tests/python/fixtures_attention.py

Each file is a flat dict of tensors: `state.<key>` (the module's state dict, if any), `in.<i>`
(the inputs in call order: query, key, value, then the masks the case names) and `out.<i>`
(the outputs). tests/attention_fixtures.rs rebuilds each case with the same options.
"""

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "attention"


def save(name, module, inputs, outputs):
    d = {}
    if module is not None:
        for k, v in module.state_dict().items():
            d[f"state.{k}"] = v.detach().clone()
    for i, t in enumerate(inputs):
        d[f"in.{i}"] = t.detach().clone().contiguous()
    for i, t in enumerate(outputs):
        d[f"out.{i}"] = t.detach().clone().contiguous()
    torch.save(d, OUT / f"{name}.pt")


def sdpa_cases():
    q, k, v = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5)
    save("sdpa_plain", None, [q, k, v], [F.scaled_dot_product_attention(q, k, v)])
    keep = torch.rand(4, 6) > 0.4
    keep[1] = False  # a query that may attend to nothing
    save("sdpa_bool_mask", None, [q, k, v, keep], [F.scaled_dot_product_attention(q, k, v, attn_mask=keep)])
    add = torch.randn(2, 1, 4, 6)
    save("sdpa_float_mask", None, [q, k, v, add], [F.scaled_dot_product_attention(q, k, v, attn_mask=add)])
    save("sdpa_causal_scale", None, [q, k, v], [F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3)])
    q1 = torch.randn(1, 5, 8)
    save("sdpa_batch1_3d", None, [q1, q1, q1], [F.scaled_dot_product_attention(q1, q1, q1)])


def mha(name, module, q, k, v, train=False, **kw):
    module.train(train)
    masks = [kw[m] for m in ("key_padding_mask", "attn_mask") if kw.get(m) is not None]
    with torch.no_grad():
        out, w = module(q, k, v, **kw)
    save(name, module, [q, k, v, *masks], [out] + ([] if w is None else [w]))


def mha_cases():
    x = torch.randn(5, 1, 8)
    mha("mha_basic", nn.MultiheadAttention(8, 2), x, x, x)
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 5, 6), torch.randn(2, 5, 4)
    m = nn.MultiheadAttention(8, 2, kdim=6, vdim=4, batch_first=True)
    mha("mha_kdim_batch_first_per_head", m, q, k, v, average_attn_weights=False)
    m = nn.MultiheadAttention(8, 4, add_bias_kv=True, add_zero_attn=True)
    q, kv = torch.randn(3, 2, 8), torch.randn(4, 2, 8)
    kpm = torch.tensor([[False, False, True, False], [False, True, True, False]])
    mha("mha_bias_kv_zero_attn", m, q, kv, kv, key_padding_mask=kpm, attn_mask=torch.randn(3, 4))
    m = nn.MultiheadAttention(8, 2, bias=False)
    x = torch.randn(4, 2, 8)
    am3 = torch.rand(4, 4, 4) > 0.7
    am3[..., 0] = False
    mha("mha_bool_3d_mask_no_weights", m, x, x, x, attn_mask=am3, need_weights=False)
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    xb = x.transpose(0, 1)
    mha("mha_causal", nn.MultiheadAttention(8, 2, batch_first=True), xb, xb, xb,
        attn_mask=causal, is_causal=True, need_weights=False)
    kpm_f = torch.randn(2, 4)
    mha("mha_float_kpm", nn.MultiheadAttention(8, 2), x, x, x, key_padding_mask=kpm_f)
    u = torch.randn(3, 8)
    mha("mha_unbatched", nn.MultiheadAttention(8, 4), u, u, u)
    mha("mha_train_dropout0", nn.MultiheadAttention(8, 2, dropout=0.0), x, x, x, train=True)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    sdpa_cases()
    mha_cases()


if __name__ == "__main__":
    main()
