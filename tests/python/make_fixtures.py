#!/usr/bin/env python3
"""Generate tests/fixtures/ with real PyTorch.

Usage: python tests/python/make_fixtures.py [FIXTURE_GROUP ...]

Every fixture NAME.pt gets a NAME.json description (schema: describe.py and
tests/fixtures/README.md). The description is taken from the file as real
torch reloads it, and is checked against the object that was saved before it
is written. Seeds are fixed, so reruns reproduce the same bytes except for the
files listed under "Determinism" in the README.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

import archive_tools as at
import models
from describe import (
    Stub,
    describe,
    diff_entries,
    inspect_container,
    load_and_describe,
    load_with_ids,
    scan_pickle,
    sharing_pattern,
    tensor_leaves,
)

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
REPO = HERE.parent.parent

# No original object to compare with (refused files).
NO_ORIGINAL = object()


class MyModule(models.MyModule):
    """The docs define MyModule in the user's script, so a whole-module pickle
    names `__main__.MyModule`; this subclass reproduces that."""


GROUPS = []


def group(fn):
    GROUPS.append(fn)
    return fn


def path_of(name: str) -> Path:
    return FIXTURES / f"{name}.pt"


def save(name: str, obj, **kwargs) -> Path:
    path = path_of(name)
    torch.save(obj, path, **kwargs)
    return path


def as_list(t: torch.Tensor):
    return t.detach().tolist()


def forward_extras(inp: torch.Tensor, out: torch.Tensor) -> dict:
    return {"forward": {"input": as_list(inp), "output": as_list(out)}}


def metadata_of(obj) -> dict:
    """The `_metadata` torch reloaded from the file (versions per module prefix)."""
    return {"metadata": {k: dict(v) for k, v in obj._metadata.items()}}


# ---------------------------------------------------------------------------
# Description output and self-checks
# ---------------------------------------------------------------------------


def dump_description(desc: dict) -> str:
    """JSON with one entry per line: readable, and diffs stay small."""
    lines = ["{"]
    items = list(desc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            inner = ",\n".join(f"    {json.dumps(v)}" for v in value)
            lines.append(f"  {json.dumps(key)}: [\n{inner}\n  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def check_against_original(desc: dict, original, keys: str | None, ignore=()):
    """The reloaded file must hold what was saved: same leaves and values,
    same storage sharing, and (for current writers) keys 0, 1, ... in order of
    first appearance."""
    expected = describe(original)
    problems = diff_entries(desc["entries"], expected, ignore=("storage_key", "location", *ignore))
    assert not problems, "\n".join(problems)

    loaded_keys = [e["storage_key"] for e in desc["entries"] if e["kind"] == "tensor"]
    original_storages = [t.untyped_storage()._cdata for _, t in tensor_leaves(original)]
    pattern = sharing_pattern(original_storages)
    assert sharing_pattern(loaded_keys) == pattern, f"sharing differs: {loaded_keys} vs {pattern}"
    if keys == "sequential":
        assert loaded_keys == [str(p) for p in pattern], f"keys {loaded_keys} are not 0, 1, ... by first use"
    elif keys == "pointer":
        assert all(k.isdigit() for k in loaded_keys), f"keys {loaded_keys} are not pointers"


def finish(name, original, *, keys="sequential", extras=None, load="ok", refused_global=None, ignore=()):
    """Reload NAME.pt with real torch, check it, write NAME.json, print a summary.

    `extras` is a dict or a function of the reloaded object returning one."""
    path = path_of(name)
    desc, loaded = load_and_describe(path)
    assert desc["load"] == load, f"{name}: load is {desc['load']}, expected {load}"
    if load == "refused":
        assert desc["refused_global"] == refused_global, f"{name}: refused {desc['refused_global']}"
    if original is not NO_ORIGINAL:
        check_against_original(desc, original, keys, ignore)
    if callable(extras):
        extras = extras(loaded)
    desc.update(extras or {})

    json_path = path.with_suffix(".json")
    json_path.write_text(dump_description(desc))
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(desc))

    print(
        f"ok  {name:20} {desc['format']:11} byteorder={str(desc['byteorder']):6} "
        f"{len(desc['entries']):3} entries  {path.stat().st_size:6} bytes  load={desc['load']}"
    )
    return desc, loaded


def tensor_entries(desc):
    return {e["path"]: e for e in desc["entries"] if e["kind"] == "tensor"}


# ---------------------------------------------------------------------------
# 1. The serialization docs' examples
# ---------------------------------------------------------------------------


@group
def docs_examples():
    t = torch.tensor([1.0, 2.0])
    save("tensor", t)
    finish("tensor", t)

    d = {"a": torch.tensor([1.0, 2.0]), "b": torch.tensor([3.0, 4.0])}
    save("tensor_dict", d)
    finish("tensor_dict", d)

    numbers = torch.arange(1, 10)
    evens = numbers[1::2]
    save("views", [numbers, evens])
    _, (loaded_numbers, loaded_evens) = finish("views", [numbers, evens])
    loaded_evens *= 2  # the docs' demonstration that the view survived
    assert loaded_numbers.tolist() == [1, 4, 3, 8, 5, 12, 7, 16, 9]

    large = torch.arange(1, 1000)
    small = large[0:5]
    save("large_small", small)
    desc, _ = finish("large_small", small)
    assert desc["entries"][0]["storage_bytes"] == 7992

    small_clone = small.clone()
    save("small_clone", small_clone)
    desc, _ = finish("small_clone", small_clone)
    assert desc["entries"][0]["storage_bytes"] == 40


# ---------------------------------------------------------------------------
# 2-3. Module state dicts, whole-module pickle, TorchScript
# ---------------------------------------------------------------------------


def trained_batchnorm(seed: int) -> tuple[nn.BatchNorm1d, torch.Tensor, torch.Tensor]:
    """A BatchNorm1d(3) with non-trivial parameters and running statistics,
    plus an eval-mode input/output pair."""
    torch.manual_seed(seed)
    bn = nn.BatchNorm1d(3, track_running_stats=True)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(3) + 0.5)
        bn.bias.copy_(torch.randn(3))
    x = torch.randn(8, 3) * 2 + 1
    bn.train()
    bn(x)
    bn(x * 0.5 - 1)
    bn.eval()
    inp = torch.randn(4, 3)
    with torch.no_grad():
        out = bn(inp)
    return bn, inp, out


@group
def batchnorm_state():
    bn, inp, out = trained_batchnorm(seed=1)
    sd = bn.state_dict()
    save("batchnorm_state", sd)
    extras = {"module": {"class": "BatchNorm1d", "num_features": 3}, **forward_extras(inp, out)}
    desc, _ = finish("batchnorm_state", sd, extras=lambda loaded: {**extras, **metadata_of(loaded)})
    assert desc["metadata"][""] == {"version": 2}


def seeded_mymodule():
    torch.manual_seed(0)
    model = MyModule()
    inp = torch.randn(3, 4)
    with torch.no_grad():
        out = model(inp)
    return model, inp, out


@group
def mymodule():
    model, inp, out = seeded_mymodule()
    common = {"module": {"class": "MyModule"}, **forward_extras(inp, out)}
    sd = model.state_dict()

    save("mymodule_state", sd)
    finish("mymodule_state", sd, extras=lambda loaded: {**common, **metadata_of(loaded)})

    # Whole module: refused under weights_only. The inert state dict lists the
    # weights with the record keys of *this* file (read with our own trusted
    # load, since we just wrote it).
    path = save("mymodule_whole", model)
    whole, ids = load_with_ids(path, weights_only=False)
    inert = describe(whole.state_dict(), ids)
    assert not diff_entries(inert, describe(sd), ignore=("storage_key", "location"))
    with torch.no_grad():
        assert torch.equal(whole(inp), out)
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    assert "__main__.MyModule" in unsafe, unsafe
    finish(
        "mymodule_whole",
        NO_ORIGINAL,
        load="refused",
        refused_global="__main__.MyModule",
        extras={**common, "inert_state_dict": inert},
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.script is deprecated in 2.x
        scripted = torch.jit.script(model)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "mymodule_script.pt"
        torch.jit.save(scripted, raw)
        _, records = at.read_records(raw)
    at.write_torch_zip(path_of("mymodule_script"), at.portable_torchscript(records, REPO))
    # As stored, TorchScript parameters are plain tensors with requires_grad=True.
    desc, _ = finish("mymodule_script", sd, ignore=("requires_grad",), extras=common)
    assert all(e["requires_grad"] and not e["parameter"] for e in desc["entries"])
    with torch.no_grad():
        assert torch.equal(torch.jit.load(path_of("mymodule_script"))(inp), out)


# ---------------------------------------------------------------------------
# 4-7. Dtypes, shapes, parameters, a full checkpoint
# ---------------------------------------------------------------------------


def special_floats(subnormal: float, largest: float) -> list[float]:
    return [-1.5, -0.0, math.inf, -math.inf, math.nan, subnormal, largest, 0.1, 1.0]


@group
def dtypes():
    ints = {
        torch.int64: (-(2**63), 2**63 - 1),
        torch.int32: (-(2**31), 2**31 - 1),
        torch.int16: (-(2**15), 2**15 - 1),
        torch.int8: (-128, 127),
    }
    d = {
        "float64": torch.tensor(special_floats(5e-324, 1.7976931348623157e308), dtype=torch.float64),
        "float32": torch.tensor(special_floats(2.0**-149, 3.4028234663852886e38), dtype=torch.float32),
        "float16": torch.tensor(special_floats(2.0**-24, 65504.0), dtype=torch.float16),
        "bfloat16": torch.tensor(special_floats(2.0**-133, 3.3895313892515355e38), dtype=torch.bfloat16),
    }
    for dtype, (lo, hi) in ints.items():
        d[str(dtype).removeprefix("torch.")] = torch.tensor([lo, hi, -1, 0, 1], dtype=dtype)
    d["uint8"] = torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8)
    d["bool"] = torch.tensor([True, False, True])
    cvals = [complex(1, 2), complex(-0.0, -3.5), complex(math.inf, math.nan), complex(0, 0.1)]
    d["complex64"] = torch.tensor(cvals, dtype=torch.complex64)
    d["complex128"] = torch.tensor(cvals, dtype=torch.complex128)
    d["float32_2d"] = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4
    save("dtypes", d)
    desc, _ = finish("dtypes", d)
    assert tensor_entries(desc)["float32"]["values"][1] == 0.0  # -0.0 is told apart by sha256 only

    # Dtypes saved through UntypedStorage + _rebuild_tensor_v3 (numel in bytes).
    v3 = {
        "uint16": torch.tensor([0, 1, 2**16 - 1], dtype=torch.uint16),
        "uint32": torch.tensor([0, 1, 2**32 - 1], dtype=torch.uint32),
        "uint64": torch.tensor([0, 1, 2**63, 2**64 - 1], dtype=torch.uint64),
        "float8_e4m3fn": torch.tensor([0.0, -0.0, 1.5, -448.0, 448.0, math.nan, 2.0**-9, 0.1]).to(torch.float8_e4m3fn),
    }
    save("dtypes_v3", v3)
    finish("dtypes_v3", v3)
    pkl = inspect_container(path_of("dtypes_v3")).pickle_bytes
    assert b"_rebuild_tensor_v3" in pkl and b"UntypedStorage" in pkl


@group
def shapes():
    grid = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    steps = torch.arange(20, dtype=torch.int32)
    d = {
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "transposed": (torch.arange(6, dtype=torch.float32).reshape(2, 3) + 1).t(),
        "column": grid[:, 1],
        "expanded": torch.tensor([1.0, 2.0, 3.0]).expand(4, 3),
        "stepped": steps[2:17:3],
        "four_d": torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5),
        "channels_last": torch.arange(2 * 3 * 2 * 2, dtype=torch.int16)
        .reshape(2, 3, 2, 2)
        .contiguous(memory_format=torch.channels_last),
    }
    save("shapes", d)
    desc, _ = finish("shapes", d)
    e = tensor_entries(desc)
    assert (e["scalar"]["shape"], e["scalar"]["stride"]) == ([], [])
    assert (e["transposed"]["shape"], e["transposed"]["stride"]) == ([3, 2], [1, 3])
    assert (e["column"]["storage_offset"], e["column"]["stride"], e["column"]["storage_bytes"]) == (1, [4], 48)
    assert e["expanded"]["stride"] == [0, 1]
    assert (e["stepped"]["storage_offset"], e["stepped"]["stride"]) == (2, [3])
    assert e["channels_last"]["stride"] == [12, 1, 6, 3]


@group
def params():
    torch.manual_seed(2)
    stateful = nn.Parameter(torch.randn(3))
    stateful.note = "kept by _rebuild_parameter_with_state"
    leaf = torch.ones(2, requires_grad=True)
    d = {
        "param": nn.Parameter(torch.randn(2, 2)),
        "frozen": nn.Parameter(torch.randn(2), requires_grad=False),
        "grad_tensor": leaf,
        "non_leaf": leaf * 3,  # saved with requires_grad=True, loads as a leaf
        "stateful": stateful,
    }
    save("params", d)
    _, loaded = finish("params", d, extras={"attributes": {"stateful": {"note": stateful.note}}})
    assert loaded["stateful"].note == stateful.note
    assert b"_rebuild_parameter_with_state" in inspect_container(path_of("params")).pickle_bytes


def mymodule_checkpoint():
    model, inp, _ = seeded_mymodule()
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    model(inp).sum().backward()
    opt.step()
    return {
        "epoch": 5,
        "step": 1234,
        "lr": 0.001,
        "name": "run-1",
        "flags": [True, None],
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "extra": {
            "bytes": b"\x00\xffab",
            "big": 2**40,
            "neg": -7,
            "tuple": (1, 2.5, "x"),
            "set": {1, 2, 3},
            "complex": 1 + 2j,
            "dtype": torch.float16,
            "size": torch.Size([2, 3]),
            "device": torch.device("cpu"),
            "int_keys": {0: "a", 1: "b"},
        },
    }


@group
def checkpoint():
    ckpt = mymodule_checkpoint()
    save("checkpoint", ckpt)
    desc, loaded = finish("checkpoint", ckpt)
    kinds = {e["path"]: e["kind"] for e in desc["entries"]}
    assert kinds["extra.set"] == "set" and kinds["extra.size"] == "size" and kinds["optimizer.state.0.step"] == "tensor"
    assert loaded["model"]._metadata == ckpt["model"]._metadata


# ---------------------------------------------------------------------------
# 8. Legacy (non-zip) format
# ---------------------------------------------------------------------------


def same_content(a: Path, b: Path) -> bool:
    """Equal descriptions apart from the storage keys' spelling."""
    old, _ = load_and_describe(a)
    new, _ = load_and_describe(b)
    patterns = [sharing_pattern(e["storage_key"] for e in d["entries"] if e["kind"] == "tensor") for d in (old, new)]
    return not diff_entries(old["entries"], new["entries"], ignore=("storage_key",)) and patterns[0] == patterns[1]


def save_legacy(name: str, obj):
    """Legacy keys are heap addresses, so every run writes different bytes.
    An existing file with the same content (everything but the keys) is kept,
    so regenerating does not churn the repository."""
    path = path_of(name)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / path.name
        torch.save(obj, fresh, _use_new_zipfile_serialization=False)
        if path.exists() and same_content(path, fresh):
            return
        at.copy_file(fresh, path)


@group
def legacy():
    numbers = torch.arange(1, 10)
    d = {
        "numbers": numbers,
        "evens": numbers[1::2],
        "float32": torch.tensor([0.0, 1.0, 2.0]),
        "float16": torch.tensor([-1.5, 65504.0], dtype=torch.float16),
        "bfloat16": torch.tensor([0.1, -2.0], dtype=torch.bfloat16),
        "bool": torch.tensor([True, False]),
        "complex64": torch.tensor([1 + 2j, -3j], dtype=torch.complex64),
        "scalar": torch.tensor(7),
        "empty": torch.zeros(0, 3),
        "transposed": torch.arange(6.0).reshape(2, 3).t(),
        "meta": {"step": 7, "name": "legacy"},
    }
    save_legacy("legacy", d)
    finish("legacy", d, keys="pointer")

    model, inp, out = seeded_mymodule()
    sd = model.state_dict()
    save_legacy("legacy_state", sd)
    extras = {"module": {"class": "MyModule"}, **forward_extras(inp, out)}
    finish("legacy_state", sd, keys="pointer", extras=lambda loaded: {**extras, **metadata_of(loaded)})


# ---------------------------------------------------------------------------
# 9-11. Byte order, zip variants, pre-2.x writers
# ---------------------------------------------------------------------------


def endian_content():
    return {
        "float32": torch.tensor([1.0, -2.5, math.inf, 2.0**-149]),
        "float64": torch.tensor([0.1, -0.0, 1e300], dtype=torch.float64),
        "int64": torch.tensor([1, -2, 2**40], dtype=torch.int64),
        "int16": torch.tensor([1, -2, 0x1234], dtype=torch.int16),
        "float16": torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16),
        "bfloat16": torch.tensor([1.0, -0.5, 3.0e38], dtype=torch.bfloat16),
        "complex64": torch.tensor([1 + 2j, -0.5 + 0.25j], dtype=torch.complex64),
        "bool": torch.tensor([True, False, True]),
        "uint8": torch.tensor([1, 2, 254], dtype=torch.uint8),
        "view": torch.arange(8, dtype=torch.int32)[2:6],
    }


def sample_checkpoint():
    """Small mixed content for the archive-layout fixtures."""
    model, _, _ = seeded_mymodule()
    numbers = torch.arange(1, 10)
    return {"model": model.state_dict(), "numbers": numbers, "evens": numbers[1::2], "step": 3, "empty": torch.zeros(0)}


def saved_records(obj, stem: str, **kwargs):
    """torch.save into a scratch file named STEM.pt; returns (prefix, records)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.pt"
        torch.save(obj, path, **kwargs)
        return at.read_records(path)


@group
def byte_order():
    content = endian_content()
    _, records = saved_records(content, "big_endian")
    big = at.to_big_endian(records)
    at.write_torch_zip(path_of("big_endian"), big)
    desc, _ = finish("big_endian", content)
    assert desc["byteorder"] == "big"
    little_f32 = dict(records)["data/0"]
    assert dict(at.read_records(path_of("big_endian"))[1])["data/0"] == at.swap_elements(little_f32, torch.float32)
    assert little_f32 != at.swap_elements(little_f32, torch.float32)

    # torch 2.15 accepts _disable_byteorder_record=True, but its archive writer
    # still appends `byteorder` when closing; drop the record after the fact.
    prefix, records = saved_records(content, "no_byteorder", _disable_byteorder_record=True)
    records = [(n, d) for n, d in records if n != "byteorder"]
    at.write_python_zip(path_of("no_byteorder"), prefix, records)
    desc, _ = finish("no_byteorder", content)
    assert desc["byteorder"] is None


@group
def zip_variants():
    content = sample_checkpoint()

    prefix, records = saved_records(content, "deflated")
    at.write_python_zip(path_of("deflated"), prefix, records, compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path_of("deflated")) as zf:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
    finish("deflated", content)

    # torch.save names the top folder after the file (basename minus the last extension).
    with tempfile.TemporaryDirectory() as tmp:
        odd = Path(tmp) / "my.weird-name.pt"
        torch.save(content, odd)
        at.copy_file(odd, path_of("prefix_renamed"))
    assert inspect_container(path_of("prefix_renamed")).prefix == "my.weird-name"
    finish("prefix_renamed", content, extras={"prefix": "my.weird-name"})

    prefix, records = saved_records(content, "zip64")
    at.write_python_zip(path_of("zip64"), prefix, records, force_zip64=True)
    raw = path_of("zip64").read_bytes()
    assert raw[30 + len(f"{prefix}/data.pkl") :].startswith(b"\x01\x00")  # zip64 extra in the first local header
    finish("zip64", content)


@group
def old_pointer_keys():
    model, _, _ = seeded_mymodule()
    numbers = torch.arange(1, 10)
    content = {"weights": model.state_dict(), "numbers": numbers, "evens": numbers[1::2]}
    records = at.old_zip_records(content)
    at.write_python_zip(path_of("old_pointer_keys"), "old_pointer_keys", records)
    desc, _ = finish("old_pointer_keys", content, keys="pointer")
    keys = [e["storage_key"] for e in desc["entries"] if e["kind"] == "tensor"]
    pointers = at.pointer_keys(5)
    assert keys == [pointers[p] for p in sharing_pattern(keys)]
    names = [n for n, _ in at.read_records(path_of("old_pointer_keys"))[1]]
    assert names == ["data.pkl", *[f"data/{k}" for k in sorted(pointers)], "version"]
    assert sorted(pointers) != pointers  # string order really differs from creation order


# ---------------------------------------------------------------------------
# 12. Location tags
# ---------------------------------------------------------------------------

# data_ptr -> location tag, consulted only while a tagged fixture is being saved.
_TAGS: dict[int, str] = {}


def _tagger(storage):
    return _TAGS.get(storage.data_ptr())


def _npu_deserializer(storage, location):
    # Leave "npu" storages on the CPU so plain torch.load works for the fake device.
    return storage if location.startswith("npu") else None


torch.serialization.register_package(5, _tagger, _npu_deserializer)


def save_tagged(name: str, obj, tag_of):
    _TAGS.clear()
    for path, t in tensor_leaves(obj):
        _TAGS[t.untyped_storage().data_ptr()] = tag_of(path)
    try:
        save(name, obj)
    finally:
        _TAGS.clear()


@group
def locations():
    model, _, _ = seeded_mymodule()
    sd = model.state_dict()
    save_tagged("location_tagged", sd, lambda p: "npu:1" if p.endswith("weight") else "npu:0")
    desc, _ = finish("location_tagged", sd)
    assert [e["location"] for e in desc["entries"]] == ["npu:1", "npu:0", "npu:1", "npu:0"]
    torch.load(path_of("location_tagged"), weights_only=True)  # our deserializer serves "npu"

    # What a CUDA host writes differs from a CPU save only in the tag string.
    ckpt = {"weight": torch.randn(2, 3), "bias": torch.randn(2), "step": torch.tensor(10)}
    save_tagged("cuda_tagged", ckpt, lambda p: "cuda:1" if p == "step" else "cuda:0")
    desc, _ = finish("cuda_tagged", ckpt)
    assert [e["location"] for e in desc["entries"]] == ["cuda:0", "cuda:0", "cuda:1"]
    torch.load(path_of("cuda_tagged"), weights_only=True, map_location="cpu")
    if not torch.cuda.is_available():
        try:
            torch.load(path_of("cuda_tagged"), weights_only=True)
        except RuntimeError as err:
            assert "torch.cuda.is_available() is False" in str(err)
        else:
            raise AssertionError("cuda_tagged loaded on a CPU-only host without map_location")


# ---------------------------------------------------------------------------
# 13. Hostile files (never unpickled by anything but the weights_only loader
#     and the inert scanner)
# ---------------------------------------------------------------------------


def zip_bookkeeping():
    return [(".format_version", b"1"), (".storage_alignment", b"64"), ("byteorder", b"little")]


def assert_inert_call(path_or_bytes, qualname: str, arg: str):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else inspect_container(path_or_bytes).pickle_bytes
    root, _ = scan_pickle(io.BytesIO(data))
    assert isinstance(root, Stub) and root.qualname == qualname and root.args == (arg,), root


@group
def malicious():
    shell = "echo pwned"
    pkl = at.reduce_call_pickle("posix", "system", shell)
    at.write_torch_zip(path_of("malicious"), [("data.pkl", pkl), *zip_bookkeeping()])
    assert_inert_call(path_of("malicious"), "posix.system", shell)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path_of("malicious")) == ["posix.system"]
    finish("malicious", NO_ORIGINAL, load="refused", refused_global="posix.system", extras={"payload": shell})

    code = "__import__('os').system('echo pwned')"
    pkl = at.reduce_call_pickle("builtins", "eval", code)
    at.write_torch_zip(path_of("malicious_builtins"), [("data.pkl", pkl), *zip_bookkeeping()])
    assert_inert_call(path_of("malicious_builtins"), "builtins.eval", code)
    finish("malicious_builtins", NO_ORIGINAL, load="refused", refused_global="builtins.eval", extras={"payload": code})

    pkl = at.reduce_call_pickle("posix", "system", shell)
    path_of("malicious_legacy").write_bytes(at.legacy_file(pkl))
    assert_inert_call(path_of("malicious_legacy"), "posix.system", shell)
    finish("malicious_legacy", NO_ORIGINAL, load="refused", refused_global="posix.system", extras={"payload": shell})


# ---------------------------------------------------------------------------
# 14. Fixtures for the module work
# ---------------------------------------------------------------------------


@group
def batchnorm_v1():
    bn, inp, out = trained_batchnorm(seed=3)
    sd = bn.state_dict()
    # BatchNorm's _version was 1 before num_batches_tracked existed (torch < 0.4.1).
    del sd["num_batches_tracked"]
    sd._metadata[""] = {"version": 1}
    save("batchnorm_v1_state", sd)

    # torch fills the missing counter from the module instead of reporting it.
    fresh = nn.BatchNorm1d(3)
    report = fresh.load_state_dict(torch.load(path_of("batchnorm_v1_state"), weights_only=True), strict=True)
    assert not report.missing_keys and not report.unexpected_keys
    fresh.eval()
    with torch.no_grad():
        assert torch.equal(fresh(inp), out)

    extras = {"module": {"class": "BatchNorm1d", "num_features": 3}, **forward_extras(inp, out)}
    desc, _ = finish("batchnorm_v1_state", sd, extras=lambda loaded: {**extras, **metadata_of(loaded)})
    assert desc["metadata"] == {"": {"version": 1}}


@group
def cnn():
    torch.manual_seed(5)
    net = models.SmallCnn()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(16, 1, 6, 6), torch.randint(0, 3, (16,))
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    sd = nn.DataParallel(net).state_dict()  # keys gain the "module." prefix
    net.eval()
    inp = torch.randn(2, 1, 6, 6)
    with torch.no_grad():
        out = net(inp)
    save("cnn_state", sd)
    extras = {
        "module": {"class": "SmallCnn", "key_prefix": "module."},
        "architecture": models.SmallCnn.ARCHITECTURE,
        **forward_extras(inp, out),
    }
    finish("cnn_state", sd, extras=lambda loaded: {**extras, **metadata_of(loaded)})
    assert all(k.startswith("module.") for k in sd)


@group
def block():
    torch.manual_seed(7)
    net = models.TinyBlock()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    ids = torch.randint(0, models.TinyBlock.VOCAB, (4, 5))
    target = torch.randn(4, 5, models.TinyBlock.DIM)
    for _ in range(5):
        opt.zero_grad()
        F.mse_loss(net(ids), target).backward()
        opt.step()
    net.eval()
    inp = torch.tensor([[1, 2, 3, 4], [9, 0, 5, 5]])
    with torch.no_grad():
        out = net(inp)
    sd = net.state_dict()
    save("block_state", sd)
    extras = {
        "module": {"class": "TinyBlock"},
        "architecture": models.TinyBlock.ARCHITECTURE,
        **forward_extras(inp, out),
    }
    finish("block_state", sd, extras=lambda loaded: {**extras, **metadata_of(loaded)})


def main(argv: list[str]) -> int:
    if not __debug__:
        print("the self-checks are assert statements; run without -O", file=sys.stderr)
        return 2
    if os.environ.get("PYTHONHASHSEED") != "0":
        # TorchScript's code writer walks string sets (the order of `Final`
        # constants in the generated code follows the hash seed); pin it so
        # reruns write identical archives.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *argv], env)
    warnings.filterwarnings("ignore", message=r".*torch\.jit\..* is deprecated")
    torch.set_num_threads(1)  # identical float results run to run
    FIXTURES.mkdir(parents=True, exist_ok=True)
    chosen = [g for g in GROUPS if not argv or g.__name__ in argv]
    unknown = set(argv) - {g.__name__ for g in GROUPS}
    if unknown:
        print(f"unknown groups {sorted(unknown)}; known: {[g.__name__ for g in GROUPS]}", file=sys.stderr)
        return 2
    print(f"torch {torch.__version__}, writing {FIXTURES}")
    for g in chosen:
        g()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
