#!/usr/bin/env python3
"""Save a torchvision-initialised ResNet-18 and one forward pass for the Rust port.

Usage: python tests/python/resnet18_export.py OUT_DIR

Writes OUT_DIR/state.pt (the `resnet18()` state dict, ~45 MB, not committed),
OUT_DIR/io.pt ({"input": (2, 3, 224, 224), "output": logits} in eval mode) and
OUT_DIR/torch_ms.txt (torch's median eager forward time for batch 1 at 224, one thread).
"""

import statistics
import sys
import time
from pathlib import Path

import torch
import torchvision


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    # Non-trivial running statistics so eval-mode batch norm is exercised.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    torch.save(model.state_dict(), out / "state.pt")
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        y = model(x)
    torch.save({"input": x, "output": y}, out / "io.pt")
    torch.set_num_threads(1)
    one = x[:1].clone()
    times = []
    with torch.no_grad():
        model(one)
        for _ in range(10):
            t = time.perf_counter()
            model(one)
            times.append((time.perf_counter() - t) * 1e3)
    (out / "torch_ms.txt").write_text(f"{statistics.median(times):.3f}\n")


if __name__ == "__main__":
    main()
