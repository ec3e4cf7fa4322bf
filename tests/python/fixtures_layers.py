#!/usr/bin/env python3
"""Generate tests/fixtures/layers/ with real PyTorch: one NAME.pt per case.

Usage: python tests/python/fixtures_layers.py

Each file is a flat dict of tensors: `state.<key>` (the module's state dict, if
any), `in.<i>` (inputs, tuples flattened) and `out.<i>` (outputs of the forward pass, flattened in
PyTorch's return order). The Rust side (tests/layers_fixtures.rs) builds the same
module, loads `state.*` strictly, runs the inputs and compares every output.
"""

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "layers"


def save(name, module, inputs, outputs):
    d = {}
    if module is not None:
        for k, v in module.state_dict().items():
            d[f"state.{k}"] = v.detach().clone()
    flat_in = []
    for t in inputs:
        flat_in.extend(t if isinstance(t, tuple) else [t])
    for i, t in enumerate(flat_in):
        d[f"in.{i}"] = t.detach().clone().contiguous()
    for i, t in enumerate(outputs):
        d[f"out.{i}"] = t.detach().clone().contiguous()
    torch.save(d, OUT / f"{name}.pt")


def run_module(name, module, *inputs, eval_mode=True):
    if eval_mode:
        module.eval()
    with torch.no_grad():
        y = module(*inputs)
    outs = []

    def flat(v):
        if isinstance(v, torch.Tensor):
            outs.append(v)
        else:
            for x in v:
                flat(x)

    flat(y)
    save(name, module, inputs, outs)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    # Convolutions.
    run_module("conv1d_basic", nn.Conv1d(3, 4, 3), torch.randn(2, 3, 10))
    run_module("conv1d_stride_pad", nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), torch.randn(1, 4, 9))
    run_module("conv1d_same_reflect", nn.Conv1d(2, 3, 4, padding="same", padding_mode="reflect", dilation=2, bias=False), torch.randn(2, 2, 11))
    run_module("conv1d_unbatched_circular", nn.Conv1d(2, 2, 3, padding=2, padding_mode="circular"), torch.randn(2, 7))
    run_module("conv2d_replicate", nn.Conv2d(2, 3, (3, 2), padding=(1, 2), padding_mode="replicate"), torch.randn(1, 2, 5, 4))
    # Cells.
    run_module("lstm_cell", nn.LSTMCell(5, 7), torch.randn(3, 5), (torch.randn(3, 7), torch.randn(3, 7)))
    run_module("lstm_cell_unbatched_nostate", nn.LSTMCell(5, 4), torch.randn(5))
    run_module("gru_cell", nn.GRUCell(4, 6), torch.randn(2, 4), torch.randn(2, 6))
    run_module("rnn_cell_relu", nn.RNNCell(4, 3, nonlinearity="relu", bias=False), torch.randn(2, 4), torch.randn(2, 3))
    # Networks.
    run_module("lstm_2layer_bidir", nn.LSTM(4, 5, num_layers=2, bidirectional=True), torch.randn(6, 2, 4))
    run_module("lstm_batch_first_state", nn.LSTM(3, 4, batch_first=True), torch.randn(2, 5, 3), (torch.randn(1, 2, 4), torch.randn(1, 2, 4)))
    run_module("lstm_proj", nn.LSTM(3, 6, proj_size=2, num_layers=2), torch.randn(4, 1, 3))
    run_module("lstm_unbatched", nn.LSTM(3, 4), torch.randn(5, 3))
    run_module("gru_2layer", nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True), torch.randn(2, 3, 3))
    run_module("rnn_tanh", nn.RNN(2, 3, num_layers=2), torch.randn(4, 2, 2), torch.randn(2, 2, 3))
    # Padding and ops.
    x = torch.randn(2, 3, 5)
    save("pad_modes", None, [x], [
        F.pad(x, (2, 1), mode="reflect"),
        F.pad(x, (1, 3), mode="replicate"),
        F.pad(x, (2, 2), mode="circular"),
        F.pad(x, (1, -1, 0, 2), value=0.5),
    ])
    a = torch.randn(3, 4)
    b = torch.randn(3, 2)
    idx = torch.tensor([[0, 3], [1, 1], [2, 0]])
    save("ops", None, [a, b, idx], [
        torch.cat([a, b], 1),
        torch.stack([a, a * 2], 0),
        a.flip(0, 1),
        a.tril(-1),
        a.triu(1),
        a.index_select(1, torch.tensor([3, 0])),
        a.gather(1, idx),
        a.masked_fill(a > 0, -1.5),
        torch.where(a > 0, a, torch.zeros(1)),
        a.clamp(-0.5, 0.5),
        a.erf(),
        a.atan2(a.flip(0)),
        a.abs().pow(a.flip(1)),
        a.var([0, 1]),
        a.std(1),
        a.topk(2, 1)[0],
        a.topk(2, 1)[1],
        a.mean([0], keepdim=True),
    ])
    x = torch.randn(2, 5) * 3
    save("activations", None, [x], [
        nn.Sigmoid()(x), nn.Tanh()(x), nn.SiLU()(x), nn.LeakyReLU(0.2)(x),
        nn.Hardtanh(-1.5, 2.0)(x), nn.Softmax(1)(x), nn.LogSoftmax(0)(x), nn.Identity()(x),
    ])


if __name__ == "__main__":
    main()
