"""Checkpoints as users find them, written by real PyTorch, numpy and safetensors:
numpy arrays inside a checkpoint, a training config object, and sharded models in the
two Hugging Face layouts. Run with a Python that has torch, numpy and safetensors:

    python tests/python/fixtures_checkpoints.py

Writes tests/fixtures/checkpoints/; each case has a JSON file with what the Rust tests
expect (values as real torch/numpy read them).
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "checkpoints"


def as_json_float(x: float):
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return x


def array_entry(a: np.ndarray) -> dict:
    flat = np.ascontiguousarray(a).reshape(-1)
    if a.dtype.kind == "c":
        values = [[as_json_float(float(v.real)), as_json_float(float(v.imag))] for v in flat]
    elif a.dtype.kind == "f":
        values = [as_json_float(float(v)) for v in flat]
    elif a.dtype.kind == "b":
        values = [bool(v) for v in flat]
    else:
        values = [int(v) for v in flat]
    torch_dtype = str(torch.from_numpy(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("="))).dtype)
    return {
        "kind": "array",
        "dtype": torch_dtype.removeprefix("torch."),
        "shape": list(a.shape),
        "fortran": bool(a.flags.f_contiguous and not a.flags.c_contiguous),
        "values": values,
    }


def numpy_arrays():
    rng = np.random.default_rng(0)
    obj = {
        "f32": rng.standard_normal((2, 3)).astype(np.float32),
        "f64_big_endian": np.arange(4, dtype=">f8") / 3,
        "i32_big_endian": np.array([1, -2, 300000], dtype=">i4"),
        "i64": np.arange(-3, 3, dtype=np.int64).reshape(3, 2),
        "u8": np.array([0, 7, 255], dtype=np.uint8),
        "f16": np.array([0.5, -1.25], dtype=np.float16),
        "bool": np.array([[True, False], [False, True]]),
        "c64": np.array([1 + 2j, -0.5j], dtype=np.complex64),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "zero_dim": np.array(2.5),
        "scalar_f64": np.float64(0.125),
        "scalar_f32": np.float32(-3.5),
        "scalar_i64": np.int64(-42),
        "scalar_bool": np.bool_(True),
        "tensor": torch.arange(4, dtype=torch.float32),
    }
    torch.save(obj, OUT / "numpy_arrays.pt")
    # What torch.load reads, given numpy's globals by hand.
    allowed = [np._core.multiarray._reconstruct, np.ndarray, np.dtype, np._core.multiarray.scalar, bytes]
    allowed += [type(np.dtype(t)) for t in ("f4", ">f8", ">i4", "i8", "u1", "f2", "b1", "c8", "f8", "?")]
    with torch.serialization.safe_globals(allowed):
        back = torch.load(OUT / "numpy_arrays.pt", weights_only=True)
    expected = {}
    for k, v in back.items():
        if isinstance(v, np.ndarray):
            expected[k] = array_entry(v)
        elif isinstance(v, torch.Tensor):
            expected[k] = array_entry(v.numpy())
        elif isinstance(v, (np.bool_, bool)):
            expected[k] = {"kind": "bool", "value": bool(v)}
        elif isinstance(v, np.integer):
            expected[k] = {"kind": "int", "value": int(v)}
        else:
            expected[k] = {"kind": "float", "value": float(v)}
    (OUT / "numpy_arrays.json").write_text(json.dumps(expected, indent=1) + "\n")

    # An object array is refused by name.
    torch.save({"objects": np.array([{"a": 1}, None], dtype=object)}, OUT / "numpy_object_array.pt")


class TrainConfig:
    def __init__(self, lr: float, layers: list[int]):
        self.lr = lr
        self.layers = layers


def config_object():
    # The class as a training script would have it: importable as trainer.config.
    mod = types.ModuleType("trainer.config")
    TrainConfig.__module__ = "trainer.config"
    mod.TrainConfig = TrainConfig
    sys.modules["trainer"] = types.ModuleType("trainer")
    sys.modules["trainer.config"] = mod
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    torch.save(
        {"model": model.state_dict(), "config": TrainConfig(0.1, [3, 2]), "epoch": 4},
        OUT / "config_object.pt",
    )
    with torch.serialization.safe_globals([TrainConfig]):
        back = torch.load(OUT / "config_object.pt", weights_only=True)
    expected = {
        "epoch": back["epoch"],
        "config": {"lr": back["config"].lr, "layers": back["config"].layers},
        "model": {k: array_entry(v.numpy()) for k, v in back["model"].items()},
    }
    (OUT / "config_object.json").write_text(json.dumps(expected, indent=1) + "\n")


def small_model_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.LayerNorm(16), torch.nn.Linear(16, 4)
    )
    return {k: v.contiguous() for k, v in model.state_dict().items()}


def shard_groups(sd: dict[str, torch.Tensor], count: int) -> list[list[str]]:
    keys = list(sd)
    per = -(-len(keys) // count)
    return [keys[i : i + per] for i in range(0, len(keys), per)]


def sharded():
    sd = small_model_state()
    torch.save(sd, OUT / "sharded_full.pt")
    total = sum(t.numel() * t.element_size() for t in sd.values())

    bin_dir = OUT / "sharded_bin"
    bin_dir.mkdir(exist_ok=True)
    groups = shard_groups(sd, 2)
    weight_map = {}
    for i, keys in enumerate(groups, 1):
        name = f"pytorch_model-{i:05d}-of-{len(groups):05d}.bin"
        torch.save({k: sd[k] for k in keys}, bin_dir / name)
        weight_map.update({k: name for k in keys})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (bin_dir / "pytorch_model.bin.index.json").write_text(json.dumps(index, indent=2) + "\n")

    st_dir = OUT / "sharded_safetensors"
    st_dir.mkdir(exist_ok=True)
    groups = shard_groups(sd, 3)
    weight_map = {}
    for i, keys in enumerate(groups, 1):
        name = f"model-{i:05d}-of-{len(groups):05d}.safetensors"
        save_file({k: sd[k] for k in keys}, st_dir / name, metadata={"format": "pt"})
        weight_map.update({k: name for k in keys})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (st_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")


def describe_files(paths: list[str]) -> None:
    """Print {path: entries} for weight files as torch reads them with no help:
    torch.load(weights_only=True, map_location="cpu"), TorchScript archives through
    torch.jit.load(...).state_dict(), safetensors through safetensors.torch.load_file."""
    import warnings

    from safetensors.torch import load_file

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from describe import describe

    out = {}
    for p in paths:
        if p.endswith(".safetensors"):
            obj = load_file(p)
        elif p.endswith(".jit"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = torch.jit.load(p, map_location="cpu").state_dict(keep_vars=True)
        else:
            obj = torch.load(p, weights_only=True, map_location="cpu")
        out[p] = describe(obj)
    print(json.dumps(out))


def main():
    if sys.argv[1:2] == ["describe"]:
        describe_files(sys.argv[2:])
        return
    OUT.mkdir(parents=True, exist_ok=True)
    numpy_arrays()
    config_object()
    sharded()


if __name__ == "__main__":
    main()
