#!/usr/bin/env python3
"""Generate tests/fixtures/vision/ with real PyTorch: one NAME.pt per case.

Usage: python tests/python/fixtures_vision.py

Same layout as fixtures_layers.py: a flat dict of `state.<key>`, `in.<i>`, `out.<i>`.
Non-contiguous inputs are saved contiguous; the Rust side re-creates the same view
(a transpose of the last two dimensions) where a case name ends in `_t`.
"""

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "vision"


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


def outs(y):
    return list(y) if isinstance(y, tuple) else [y]


def run(name, module, x, train=False, transpose=False):
    """Runs `module` on `x` (or on x.transpose(-1, -2) when `transpose`)."""
    module.train(train)
    with torch.no_grad():
        y = module(x.transpose(-1, -2) if transpose else x)
    save(name, module, [x], outs(y))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    # Pooling.
    x = torch.randn(2, 3, 9, 8)
    x[0, 0, 1, 1] = float("nan")
    run("maxpool2d_basic", nn.MaxPool2d(2, return_indices=True), x)
    run("maxpool2d_ceil_dil", nn.MaxPool2d((3, 2), stride=(2, 3), padding=1, dilation=(1, 2), ceil_mode=True, return_indices=True), torch.randn(1, 2, 10, 11))
    run("maxpool2d_unbatched_t", nn.MaxPool2d(3, stride=2, padding=1, return_indices=True), torch.randn(3, 7, 6), transpose=True)
    run("maxpool1d", nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True), torch.randn(2, 3, 12))
    run("avgpool2d_pad", nn.AvgPool2d(3, stride=2, padding=1), torch.randn(2, 2, 7, 8))
    run("avgpool2d_nopad_ceil", nn.AvgPool2d((3, 2), stride=(2, 2), padding=(1, 1), ceil_mode=True, count_include_pad=False), torch.randn(1, 2, 8, 7))
    run("avgpool2d_divisor_t", nn.AvgPool2d(2, divisor_override=3), torch.randn(1, 3, 6, 5), transpose=True)
    run("avgpool1d", nn.AvgPool1d(4, stride=3, padding=2, ceil_mode=True, count_include_pad=False), torch.randn(3, 11))
    run("adaptive_avg2d", nn.AdaptiveAvgPool2d((3, 5)), torch.randn(2, 3, 7, 11))
    run("adaptive_avg2d_1", nn.AdaptiveAvgPool2d(1), torch.randn(1, 4, 5, 5))
    run("adaptive_avg1d_t", nn.AdaptiveAvgPool1d(4), torch.randn(2, 7, 3), transpose=True)
    run("adaptive_max2d", nn.AdaptiveMaxPool2d((4, 3), return_indices=True), torch.randn(2, 2, 9, 7))
    # Resampling.
    x = torch.randn(2, 3, 5, 7)
    save("interpolate", None, [x], [
        F.interpolate(x, size=(8, 9), mode="nearest"),
        F.interpolate(x, scale_factor=2, mode="nearest"),
        F.interpolate(x, scale_factor=(1.5, 0.75), mode="nearest"),
        F.interpolate(x, size=(9, 4), mode="bilinear", align_corners=False),
        F.interpolate(x, size=(9, 4), mode="bilinear", align_corners=True),
        F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=False),
        F.interpolate(x, size=(1, 1), mode="bilinear", align_corners=True),
    ])

    # Normalisation.
    run("groupnorm", nn.GroupNorm(2, 6), torch.randn(3, 6, 4, 5))
    run("groupnorm_noaffine_t", nn.GroupNorm(3, 3, eps=1e-3, affine=False), torch.randn(2, 3, 5, 4), transpose=True)
    rms = nn.RMSNorm([4, 5])
    with torch.no_grad():
        rms.weight.uniform_(0.5, 1.5)
    run("rmsnorm", rms, torch.randn(2, 3, 4, 5))
    run("rmsnorm_noaffine_eps", nn.RMSNorm(6, eps=1e-4, elementwise_affine=False), torch.randn(3, 6))
    m = nn.InstanceNorm2d(3, affine=True)
    with torch.no_grad():
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-0.5, 0.5)
    run("instnorm2d_affine_t", m, torch.randn(2, 3, 5, 4), transpose=True)
    run("instnorm1d_unbatched", nn.InstanceNorm1d(4), torch.randn(4, 7))
    # Tracking: training updates the running stats (returned after the output), eval uses them.
    for train in (True, False):
        m = nn.InstanceNorm1d(3, momentum=None if train else 0.1, track_running_stats=True)
        m.running_mean.uniform_(-1, 1)
        m.running_var.uniform_(0.5, 2)
        m.num_batches_tracked.fill_(4)
        state = {k: v.clone() for k, v in m.state_dict().items()}
        x = torch.randn(2, 3, 6)
        m.train(train)
        with torch.no_grad():
            y = m(x)
        d = {f"state.{k}": v for k, v in state.items()}
        d["in.0"] = x
        for i, t in enumerate([y, m.running_mean, m.running_var, m.num_batches_tracked]):
            d[f"out.{i}"] = t.clone()
        torch.save(d, OUT / f"instnorm1d_track_{'train' if train else 'eval'}.pt")

    # Activations: one input with large, small and zero values.
    x = torch.cat([torch.randn(2, 3, 4) * 4, torch.tensor([0.0, 1e-4, -1e-4, 25.0]).expand(2, 3, 4)], dim=1)
    save("activations", None, [x], [
        nn.Mish()(x), nn.ELU()(x), nn.ELU(0.5)(x), nn.SELU()(x), nn.CELU(1.5)(x),
        nn.Softplus()(x), nn.Softplus(beta=2.0, threshold=1.0)(x),
        nn.Hardswish()(x), nn.Hardsigmoid()(x), nn.Unflatten(1, (2, 3))(x),
    ])
    p = nn.PReLU(6, init=0.1)
    with torch.no_grad():
        p.weight.uniform_(-0.5, 0.5)
    run("prelu_channels", p, x)
    run("prelu_single_t", nn.PReLU(), torch.randn(3, 5), transpose=True)

    # Transposed convolutions.
    run("convt2d_basic", nn.ConvTranspose2d(3, 4, 3), torch.randn(2, 3, 5, 4))
    run("convt2d_full", nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 1), output_padding=(1, 2), groups=2, dilation=(1, 2)), torch.randn(1, 4, 4, 5))
    run("convt2d_unbatched_nobias_t", nn.ConvTranspose2d(2, 3, 2, stride=2, bias=False), torch.randn(2, 4, 3), transpose=True)
    run("convt1d", nn.ConvTranspose1d(4, 2, 5, stride=3, padding=2, output_padding=1, groups=2, dilation=2), torch.randn(2, 4, 6))


if __name__ == "__main__":
    main()
