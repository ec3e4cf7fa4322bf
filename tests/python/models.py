"""Module classes behind the fixtures. The Rust port mirrors these exactly:
same attribute names (they become state_dict keys), same declaration order,
same forward computation."""

import math

import torch
from torch import nn
from torch.nn import functional as F


class MyModule(nn.Module):
    """The serialization docs' example: Linear(4, 2) -> relu -> Linear(2, 1)."""

    def __init__(self):
        super().__init__()
        self.l0 = nn.Linear(4, 2)
        self.l1 = nn.Linear(2, 1)

    def forward(self, x):
        return self.l1(F.relu(self.l0(x)))


class SmallCnn(nn.Module):
    """Input (N, 1, 6, 6) -> (N, 3)."""

    ARCHITECTURE = (
        "SmallCnn: conv = Conv2d(1, 4, kernel_size=3, stride=1, padding=1, bias=True); "
        "bn = BatchNorm2d(4, eps=1e-5, momentum=0.1, affine, tracking running stats); "
        "fc = Linear(144, 3). forward(x: (N,1,6,6) float32) = "
        "fc(flatten(relu(bn(conv(x))), start_dim=1)), flatten in (C, H, W) order. "
        "Saved from nn.DataParallel(SmallCnn()), so every key starts with 'module.'."
    )

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return self.fc(torch.flatten(x, 1))


class TinyBlock(nn.Module):
    """Token ids (B, T) -> (B, T, 8): embedding plus one pre-norm transformer block."""

    DIM = 8
    HEADS = 2
    HIDDEN = 16
    VOCAB = 10

    ARCHITECTURE = (
        "TinyBlock(dim=8, heads=2, head_dim=4, hidden=16, vocab=10): "
        "embed = Embedding(10, 8); ln1 = LayerNorm(8, eps=1e-5); q, k, v, proj = Linear(8, 8) each; "
        "ln2 = LayerNorm(8, eps=1e-5); fc1 = Linear(8, 16); fc2 = Linear(16, 8); drop = Dropout(0.1) "
        "(identity in eval). forward(ids: (B,T) int64): x = embed(ids); h = ln1(x); "
        "q/k/v = q(h)/k(h)/v(h) reshaped (B,T,2,4) and transposed to (B,2,T,4); "
        "att = softmax(q @ k^T / sqrt(4), dim=-1) with no mask; "
        "a = (att @ v) transposed back and reshaped (B,T,8); x = x + drop(proj(a)); "
        "x = x + drop(fc2(gelu(fc1(ln2(x))))) with exact (erf) GELU; return x."
    )

    def __init__(self):
        super().__init__()
        d = self.DIM
        self.embed = nn.Embedding(self.VOCAB, d)
        self.ln1 = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, self.HIDDEN)
        self.fc2 = nn.Linear(self.HIDDEN, d)
        self.drop = nn.Dropout(0.1)

    def _heads(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.HEADS, self.DIM // self.HEADS).transpose(1, 2)

    def forward(self, ids):
        x = self.embed(ids)
        h = self.ln1(x)
        q, k, v = self._heads(self.q(h)), self._heads(self.k(h)), self._heads(self.v(h))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.DIM // self.HEADS), dim=-1)
        b, t, _ = x.shape
        a = (att @ v).transpose(1, 2).reshape(b, t, self.DIM)
        x = x + self.drop(self.proj(a))
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.ln2(x)))))


def build(spec: dict) -> nn.Module:
    """A module from a manifest/fixture spec such as {"class": "BatchNorm1d", "num_features": 3}."""
    name = spec["class"]
    if name == "MyModule":
        return MyModule()
    if name == "BatchNorm1d":
        return nn.BatchNorm1d(spec["num_features"])
    if name == "SmallCnn":
        return SmallCnn()
    if name == "TinyBlock":
        return TinyBlock()
    if name == "DataParallel(SmallCnn)":
        return nn.DataParallel(SmallCnn())
    raise ValueError(f"unknown module class {name!r}")
