#!/usr/bin/env python3
"""Python half of the Rust <-> PyTorch interop test.

Usage: python check_interop.py DIR

DIR/manifest.json lists files the Rust side wrote:

    {"files": [{"file": "a.pt",
                "expect": {DESCRIPTION, see tests/fixtures/README.md},
                "module": {"class": "MyModule", "input": [...], "output": [...]}}]}

`module` is optional; besides "class" it may carry "num_features"
(BatchNorm1d), "key_prefix" (stripped from keys before loading, e.g.
"module.") and "state_dict_path" (dotted path to the state dict inside the
loaded object; default: the object itself).

Each file must load with `torch.load(weights_only=True)` and describe exactly
as expected; tensors that share a storage key must share memory after
loading; a module spec must load strictly and reproduce its output.

Then Python writes its own files to DIR/python_out/ with a manifest in the
same format, for the Rust side to read. Output: one line per check, then
"N passed, N failed"; exit status 1 if anything failed.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present

import models
from describe import diff_entries, load_and_describe, sharing_pattern, tensor_leaves

FORWARD_TOLERANCE = 1e-5


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = ""):
        if ok:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}")
        return ok


def lookup(obj, dotted: str | None):
    for part in (dotted or "").split(".") if dotted else []:
        obj = obj[int(part)] if isinstance(obj, (list, tuple)) else obj[part]
    return obj


def run_module(spec: dict, state_dict) -> torch.Tensor:
    """Build the module, load `state_dict` strictly, run `input` in eval mode."""
    module = models.build(spec)
    sd = state_dict
    prefix = spec.get("key_prefix")
    if prefix:
        # Work on a copy; torch's helper also renames the `_metadata` entries.
        sd = OrderedDict(state_dict)
        sd._metadata = OrderedDict(getattr(state_dict, "_metadata", {}))
        consume_prefix_in_state_dict_if_present(sd, prefix)
    module.load_state_dict(sd, strict=True)
    module.eval()
    dtype = torch.int64 if spec["class"] == "TinyBlock" else torch.float32
    with torch.no_grad():
        return module(torch.tensor(spec["input"], dtype=dtype))


def check_sharing(report: Report, label: str, obj, entries: list[dict]):
    """Equal storage keys must mean one storage in memory, different keys different ones."""
    keys = {e["path"]: e.get("storage_key") for e in entries if e["kind"] == "tensor"}
    leaves = list(tensor_leaves(obj))
    problems = []
    by_key: dict[str, torch.Tensor] = {}
    for path, t in leaves:
        key = keys.get(path)
        if key is None:
            problems.append(f"{path}: no expected storage_key")
            continue
        first = by_key.setdefault(key, t)
        same = first.untyped_storage()._cdata == t.untyped_storage()._cdata
        if not same or first.untyped_storage().data_ptr() != t.untyped_storage().data_ptr():
            problems.append(f"{path}: key {key} but storage differs from the first tensor with that key")
    labels = [keys.get(p) for p, _ in leaves]
    storages = [t.untyped_storage()._cdata for _, t in leaves]
    if not problems and sharing_pattern(labels) != sharing_pattern(storages):
        problems.append(f"distinct keys share memory: keys {labels}")
    report.check(f"{label}: storage sharing", not problems, "; ".join(problems))


def check_file(report: Report, base: Path, item: dict):
    label = item["file"]
    expect = item.get("expect", {})
    try:
        desc, obj = load_and_describe(base / item["file"])
    except Exception as err:  # a failure to load is a result, not a crash
        report.check(f"{label}: torch.load(weights_only=True)", False, f"{type(err).__name__}: {err}")
        return None
    if not report.check(f"{label}: torch.load(weights_only=True)", desc["load"] == "ok", f"load {desc['load']}"):
        return None
    for field in ("format", "version", "byteorder"):
        if field in expect:
            report.check(
                f"{label}: {field}", desc[field] == expect[field], f"{desc[field]!r}, expected {expect[field]!r}"
            )
    if "entries" in expect:
        problems = diff_entries(desc["entries"], expect["entries"])
        report.check(f"{label}: entries", not problems, "\n    ".join(problems[:20]))
        check_sharing(report, label, obj, expect["entries"])
    spec = item.get("module")
    if spec:
        try:
            got = run_module(spec, lookup(obj, spec.get("state_dict_path")))
            want = torch.tensor(spec["output"], dtype=got.dtype)
            worst = (got - want).abs().max().item() if got.shape == want.shape else math.inf
            report.check(
                f"{label}: {spec['class']} load_state_dict(strict=True) + forward",
                worst <= FORWARD_TOLERANCE,
                f"max |diff| {worst} (shapes {list(got.shape)} vs {list(want.shape)})",
            )
        except Exception as err:
            report.check(f"{label}: {spec['class']} module", False, f"{type(err).__name__}: {err}")
    return obj


# ---------------------------------------------------------------------------
# Files Python writes for the Rust side
# ---------------------------------------------------------------------------


def mixed_checkpoint():
    """Everything a weights_only checkpoint commonly holds, in one object."""
    gen = torch.Generator().manual_seed(11)
    grid = torch.randn(3, 4, generator=gen)
    numbers = torch.arange(10, dtype=torch.int32)
    param = nn.Parameter(torch.randn(2, 3, generator=gen))
    return {
        "tensors": {
            "grid": grid,
            "row": grid[1],  # view: same storage, offset 4
            "column": grid[:, 2],
            "transposed": grid.t(),
            "expanded": torch.ones(3).expand(2, 3),
            "scalar": torch.tensor(2.5, dtype=torch.float64),
            "empty": torch.zeros(0, 4),
            "odd": numbers[1::2],
        },
        "dtypes": [
            torch.tensor([1.5, -0.0, math.inf], dtype=torch.float16),
            torch.tensor([1.5, -2.0, math.nan], dtype=torch.bfloat16),
            torch.tensor([-(2**63), 2**63 - 1]),
            torch.tensor([-128, 127], dtype=torch.int8),
            torch.tensor([0, 255], dtype=torch.uint8),
            torch.tensor([True, False]),
            torch.tensor([1 + 2j, -0.5j], dtype=torch.complex64),
            torch.tensor([3 - 4j], dtype=torch.complex128),
        ],
        "param": param,
        "frozen": nn.Parameter(torch.randn(2, generator=gen), requires_grad=False),
        "meta": {
            "epoch": 3,
            "lr": 1e-3,
            "name": "from-python",
            "ok": True,
            "nothing": None,
            "raw": b"\x00\x01\xfe",
            "shape": torch.Size([3, 4]),
            "dtype": torch.bfloat16,
            "pair": (1, "two"),
            "ids": {7: "seven", 8: "eight"},
        },
    }


def seeded_module_files():
    """(name, state dict, module spec) for modules both sides implement."""
    torch.manual_seed(21)
    my = models.MyModule()
    inp = torch.randn(2, 4)
    bn = nn.BatchNorm1d(3)
    bn.train()
    bn(torch.randn(6, 3) * 3 + 1)
    bn.eval()
    bn_inp = torch.randn(2, 3)
    with torch.no_grad():
        return [
            ("mymodule.pt", my.state_dict(), {"class": "MyModule", "input": inp.tolist(), "output": my(inp).tolist()}),
            (
                "batchnorm1d.pt",
                bn.state_dict(),
                {"class": "BatchNorm1d", "num_features": 3, "input": bn_inp.tolist(), "output": bn(bn_inp).tolist()},
            ),
        ]


def write_python_out(report: Report, base: Path, loaded: dict):
    out = base / "python_out"
    out.mkdir(exist_ok=True)
    planned = []  # (file name, object, save kwargs, module spec)
    for name, (obj, spec) in loaded.items():
        planned.append((f"resaved_{Path(name).stem}.pt", obj, {}, spec))
    mixed = mixed_checkpoint()
    planned.append(("mixed.pt", mixed, {}, None))
    planned.append(("mixed_legacy.pt", mixed, {"_use_new_zipfile_serialization": False}, None))
    for name, sd, spec in seeded_module_files():
        planned.append((name, sd, {}, spec))

    manifest = {"files": []}
    for name, obj, kwargs, spec in planned:
        try:
            torch.save(obj, out / name, **kwargs)
            desc, _ = load_and_describe(out / name)
            ok = desc["load"] == "ok"
            report.check(f"python_out/{name}: written and reloaded", ok, f"load {desc['load']}")
        except Exception as err:
            report.check(f"python_out/{name}: written and reloaded", False, f"{type(err).__name__}: {err}")
            continue
        item = {"file": name, "expect": desc}
        if spec:
            item["module"] = spec
        manifest["files"].append(item)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    base = Path(argv[0])
    report = Report()
    try:
        manifest = json.loads((base / "manifest.json").read_text())
    except Exception as err:
        report.check("manifest.json readable", False, f"{type(err).__name__}: {err}")
        manifest = {"files": []}

    loaded = {}
    for item in manifest.get("files", []):
        try:
            obj = check_file(report, base, item)
        except Exception:
            report.check(f"{item.get('file')}: checker", False, traceback.format_exc(limit=3))
            obj = None
        if obj is not None:
            loaded[item["file"]] = (obj, item.get("module"))

    write_python_out(report, base, loaded)
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
