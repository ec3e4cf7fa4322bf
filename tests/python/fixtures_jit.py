#!/usr/bin/env python3
"""Generate tests/fixtures/jit/ with real PyTorch: TorchScript archives, their inputs and
torch.jit's outputs.

Usage: python tests/python/fixtures_jit.py

For every case NAME: NAME.pt (the archive), NAME.inputs.pt (a tuple of positional
arguments, torch.save) and NAME.expected.pt (torch.jit's return value, torch.save).
Cases with a method other than forward list it in manifest.json.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "jit"


class MyModule(nn.Module):
    """The scripting example of PyTorch's TorchScript docs."""

    def __init__(self, n: int, m: int):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(n, m))
        self.linear = nn.Linear(n, m)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        output = self.weight.mv(input)
        output = self.linear(output)
        return output


class ControlFlowModule(nn.Module):
    """The docs' example whose traced and scripted versions differ."""

    def __init__(self):
        super().__init__()
        self.l0 = nn.Linear(4, 2)
        self.l1 = nn.Linear(2, 1)

    def forward(self, input):
        if input.dim() > 1:
            return torch.tensor(0)
        out0 = self.l0(input)
        out0_relu = torch.nn.functional.relu(out0)
        return self.l1(out0_relu)


class DivFull(nn.Module):
    """Operators whose meaning changed across archive versions."""

    def forward(self, a: torch.Tensor, b: torch.Tensor):
        return torch.div(a, b), a / b, torch.full((2, 2), 3), torch.full((2,), True)


class LstmLoop(nn.Module):
    """A scripted LSTM over chunks, with a Python loop, a list and state tuples."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor, chunks: int):
        outs: list[torch.Tensor] = []
        h = torch.zeros(1, x.size(0), 8)
        c = torch.zeros(1, x.size(0), 8)
        for part in x.chunk(chunks, dim=1):
            y, (h, c) = self.lstm(part, (h, c))
            outs.append(self.head(y[:, -1]))
        return torch.stack(outs, 1), len(outs)


def save(name: str, module, inputs: tuple, method: str = "forward", version: int | None = None):
    path = OUT / f"{name}.pt"
    torch.jit.save(module, str(path))
    if version is not None:
        rewrite_version(path, version)
    loaded = torch.jit.load(str(path))
    out = getattr(loaded, method)(*inputs)
    torch.save(tuple(inputs), OUT / f"{name}.inputs.pt")
    torch.save(out, OUT / f"{name}.expected.pt")
    return out


def rewrite_version(path: Path, version: int):
    """Rewrites the archive's `version` record, keeping everything else byte for byte."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("/version") and info.filename.count("/") == 1:
                data = f"{version}\n".encode()
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    manifest = {}

    save("my_module", torch.jit.script(MyModule(10, 20)), (torch.rand(20),))

    cf = ControlFlowModule()
    save("control_flow_scripted", torch.jit.script(cf), (torch.rand(3, 4),))
    save("control_flow_scripted_1d", torch.jit.script(cf), (torch.rand(4),))
    traced = torch.jit.trace(cf, torch.rand(4))
    save("control_flow_traced", traced, (torch.rand(3, 4),))

    seq = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4))
    with torch.no_grad():
        seq(torch.randn(16, 5) * 3 + 1)  # move the running statistics away from 0/1
    seq.eval()
    save("sequential_bn_eval", torch.jit.script(seq), (torch.randn(6, 5),))

    a = torch.tensor([7, -7])
    b = torch.tensor([2, 2])
    save("div_full_v3", torch.jit.script(DivFull()), (a, b), version=3)
    save("div_full", torch.jit.script(DivFull()), (a, b))

    save("lstm_loop", torch.jit.script(LstmLoop().eval()), (torch.randn(2, 6, 4), 3))

    layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
    enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False).eval()
    save("transformer_encoder", torch.jit.script(enc), (torch.randn(2, 5, 16),))

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    sys.exit(main())
