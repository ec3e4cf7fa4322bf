"""Describe a PyTorch checkpoint as a flat, JSON-ready list of entries.

This is the project's common language for "what is in a file": the fixture
generator writes these descriptions next to every fixture, the interop checker
compares Rust-written files against them, and `pt inspect --json` prints the
same shape. The schema is documented in tests/fixtures/README.md.

Two views of a file are combined:

* the objects real `torch.load(weights_only=True)` returns (values, shapes,
  strides, sharing), and
* the raw persistent ids in the pickle (storage keys and location tags), which
  the loaded tensors no longer carry. They are read by `scan_pickle`, an
  unpickler whose every global is an inert stub, so it can look at hostile
  files without running anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import pickle
import re
import sys
import warnings
import zipfile
from dataclasses import dataclass, field

import numpy as np
import torch

ZIP_MAGIC = b"PK\x03\x04"

if sys.byteorder != "little":
    # Raw storage bytes are hashed as they sit in memory; the schema says LE.
    raise RuntimeError("describe.py assumes a little-endian host")


# ---------------------------------------------------------------------------
# Inert pickle scanning
# ---------------------------------------------------------------------------


class Stub:
    """Stand-in for any global a pickle names; records what was done to it."""

    qualname = "?"

    def __new__(cls, *args):
        obj = super().__new__(cls)
        obj.args = args
        obj.state = None
        obj.items = []
        return obj

    def __init__(self, *args):
        pass

    def __setstate__(self, state):
        self.state = state

    def __setitem__(self, key, value):
        self.items.append((key, value))

    def append(self, value):
        self.items.append(value)

    def extend(self, values):
        self.items.extend(values)

    def __repr__(self):
        return f"<{self.qualname}{self.args!r}>"


class StorageRef:
    """What a `('storage', type, key, location, numel[, view])` id becomes."""

    def __init__(self, pid):
        self.pid = pid
        self.key = str(pid[2])
        self.location = str(pid[3])


class _ScanUnpickler(pickle.Unpickler):
    def __init__(self, stream):
        super().__init__(stream)
        self.pids: list[tuple] = []
        self._classes: dict[tuple[str, str], type] = {}

    def find_class(self, module, name):
        # A fresh subclass per global: NEWOBJ needs a real type, and the name
        # lets callers recognise rebuild functions and module classes.
        key = (module, name)
        if key not in self._classes:
            self._classes[key] = type(name, (Stub,), {"qualname": f"{module}.{name}"})
        return self._classes[key]

    def persistent_load(self, pid):
        self.pids.append(pid if isinstance(pid, tuple) else (pid,))
        if isinstance(pid, tuple) and pid and pid[0] == "storage":
            return StorageRef(pid)
        return Stub(*pid) if isinstance(pid, tuple) else Stub(pid)


def scan_pickle(stream) -> tuple[object, list[tuple]]:
    """Unpickle one pickle from `stream` with stubs; returns (root, persistent ids)."""
    unpickler = _ScanUnpickler(stream)
    root = unpickler.load()
    return root, unpickler.pids


def first_seen_storages(pids) -> list[tuple[str, str]]:
    """Distinct (key, location) pairs in order of first appearance."""
    seen: dict[str, str] = {}
    for pid in pids:
        if len(pid) >= 4 and pid[0] == "storage":
            key = str(pid[2])
            # Legacy ids may carry (view_key, offset, size): the record is the root key.
            seen.setdefault(key, str(pid[3]))
    return list(seen.items())


# ---------------------------------------------------------------------------
# Container inspection (no unpickling of objects)
# ---------------------------------------------------------------------------


@dataclass
class Container:
    format: str  # "zip" | "legacy" | "torchscript"
    version: str | None
    byteorder: str | None
    prefix: str | None = None
    records: list[str] = field(default_factory=list)
    pickle_bytes: bytes = b""  # data.pkl, or the legacy object pickle


def inspect_container(path) -> Container:
    with open(path, "rb") as f:
        head = f.read(4)
    if head == ZIP_MAGIC:
        return _inspect_zip(path)
    return _inspect_legacy(path)


def _inspect_zip(path) -> Container:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        prefix = names[0].split("/", 1)[0]
        records = [n[len(prefix) + 1 :] for n in names if n.startswith(prefix + "/")]

        def record(name):
            full = f"{prefix}/{name}"
            return zf.read(full) if full in names else None

        version = record(".data/version") or record("version")
        byteorder = record("byteorder")
        return Container(
            format="torchscript" if "constants.pkl" in records else "zip",
            version=None if version is None else version.decode().strip(),
            byteorder=None if byteorder is None else byteorder.decode(),
            prefix=prefix,
            records=records,
            pickle_bytes=record("data.pkl") or b"",
        )


def _inspect_legacy(path) -> Container:
    with open(path, "rb") as f:
        for _ in range(3):  # magic number, protocol version, sys_info
            scan_pickle(f)
        start = f.tell()
        scan_pickle(f)
        end = f.tell()
        f.seek(start)
        body = f.read(end - start)
    return Container(format="legacy", version=None, byteorder=None, pickle_bytes=body)


# ---------------------------------------------------------------------------
# Leaf description
# ---------------------------------------------------------------------------


def json_float(x: float):
    """Floats as JSON numbers; the non-finite ones as strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def storage_raw(storage: torch.UntypedStorage) -> bytes:
    """A CPU storage's bytes as they sit in memory."""
    if storage.nbytes() == 0:
        return b""
    raw = torch.empty(0, dtype=torch.uint8).set_(storage, 0, (storage.nbytes(),), (1,))
    return raw.numpy().tobytes()


def row_major_bytes(t: torch.Tensor) -> bytes:
    """The elements' bytes in row-major order, read straight from the storage.

    Done by hand (not `t.contiguous()`) so it works for every dtype, including
    ones with few kernels (uint64, float8), and mirrors what a reader of the
    file format must do with offset and strides.
    """
    if t.numel() == 0:
        return b""
    width = t.element_size()
    raw = np.frombuffer(storage_raw(t.untyped_storage()), dtype=np.uint8)
    index = np.array(t.storage_offset(), dtype=np.int64)
    for size, stride in zip(t.shape, t.stride(), strict=True):
        index = index[..., None] + np.arange(size, dtype=np.int64) * stride
    byte_index = (index.reshape(-1, 1) * width + np.arange(width)).reshape(-1)
    return raw[byte_index].tobytes()


_NUMPY_DTYPES = {
    torch.float64: "<f8",
    torch.float32: "<f4",
    torch.float16: "<f2",
    torch.int64: "<i8",
    torch.int32: "<i4",
    torch.int16: "<i2",
    torch.int8: "i1",
    torch.uint8: "u1",
    torch.uint16: "<u2",
    torch.uint32: "<u4",
    torch.uint64: "<u8",
    torch.bool: "?",
    torch.complex64: "<c8",
    torch.complex128: "<c16",
}


def element_values(dtype: torch.dtype, data: bytes) -> list:
    """Decode row-major little-endian element bytes into JSON values."""
    if dtype == torch.bfloat16:
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        return [json_float(v) for v in bits.view("<f4")]
    if dtype in _NUMPY_DTYPES:
        arr = np.frombuffer(data, dtype=_NUMPY_DTYPES[dtype])
        if dtype.is_complex:
            return [[json_float(v.real), json_float(v.imag)] for v in arr]
        if dtype.is_floating_point:
            return [json_float(v) for v in arr]
        return [v.item() for v in arr]
    # Rarer dtypes (float8_*, ...): let torch widen them; exact for these formats.
    arr = torch.frombuffer(bytearray(data), dtype=dtype)
    if dtype.is_floating_point:
        return [json_float(v) for v in arr.to(torch.float64).tolist()]
    return arr.tolist()


def tensor_entry(t: torch.Tensor, path: str, storage_ids=None) -> dict:
    data = row_major_bytes(t)
    entry = {
        "path": path,
        "kind": "tensor",
        "dtype": dtype_name(t.dtype),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "storage_offset": t.storage_offset(),
    }
    if storage_ids is not None:
        key, location = storage_ids[t.untyped_storage()._cdata]
        entry["storage_key"] = key
    entry["storage_bytes"] = t.untyped_storage().nbytes()
    entry["requires_grad"] = bool(t.requires_grad)
    entry["parameter"] = isinstance(t, torch.nn.Parameter)
    if storage_ids is not None:
        entry["location"] = location
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    if t.numel() <= 16:
        entry["values"] = element_values(t.dtype, data)
    return entry


def _scalar_sort_key(v):
    return (type(v).__name__, v)


def _leaf_entry(obj, path: str) -> dict:
    # Order matters: bool is an int, torch.Size is a tuple (handled by caller).
    if obj is None:
        return {"path": path, "kind": "none"}
    if isinstance(obj, bool):
        return {"path": path, "kind": "bool", "value": obj}
    if isinstance(obj, int):
        return {"path": path, "kind": "int", "value": obj}
    if isinstance(obj, float):
        return {"path": path, "kind": "float", "value": json_float(obj)}
    if isinstance(obj, str):
        return {"path": path, "kind": "str", "value": obj}
    if isinstance(obj, bytes):
        return {"path": path, "kind": "bytes", "value": obj.hex()}
    if isinstance(obj, bytearray):
        return {"path": path, "kind": "bytearray", "value": bytes(obj).hex()}
    if isinstance(obj, complex):
        return {"path": path, "kind": "complex", "value": [json_float(obj.real), json_float(obj.imag)]}
    if isinstance(obj, torch.dtype):
        return {"path": path, "kind": "dtype", "value": dtype_name(obj)}
    if isinstance(obj, torch.device):
        return {"path": path, "kind": "device", "value": str(obj)}
    if isinstance(obj, (set, frozenset)):
        items = sorted(obj, key=_scalar_sort_key)
        return {"path": path, "kind": "set", "value": [_leaf_entry(v, "").get("value") for v in items]}
    cls = type(obj)
    return {"path": path, "kind": "object", "value": f"{cls.__module__}.{cls.__qualname__}"}


def describe(obj, storage_ids=None) -> list[dict]:
    """One entry per leaf of `obj`, depth-first in container order.

    `storage_ids` maps `untyped_storage()._cdata` to (record key, location);
    without it the `storage_key` and `location` fields are left out.
    Empty containers have no leaves and so produce no entries.
    """
    entries: list[dict] = []

    def walk(value, path):
        if isinstance(value, torch.Tensor):
            entries.append(tensor_entry(value, path, storage_ids))
        elif isinstance(value, torch.Size):
            entries.append({"path": path, "kind": "size", "value": list(value)})
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, _join(path, key if isinstance(key, str) else str(key)))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, _join(path, str(i)))
        else:
            entries.append(_leaf_entry(value, path))

    walk(obj, "")
    return entries


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# ---------------------------------------------------------------------------
# Whole-file description
# ---------------------------------------------------------------------------


class LocationRecorder:
    """A `map_location` callable that keeps every storage on the CPU and notes
    (storage, location tag) in the order torch restores them, which is the
    order of first appearance of each key in the pickle."""

    def __init__(self):
        self.calls: list[tuple[object, str]] = []

    def __call__(self, storage, location):
        self.calls.append((storage, location))
        return storage


def storage_ids_from(pids, recorder: LocationRecorder) -> dict:
    """Pair torch's restored storages with the keys the pickle named."""
    keys = first_seen_storages(pids)
    if len(keys) != len(recorder.calls):
        raise AssertionError(f"pickle names {len(keys)} storages but torch restored {len(recorder.calls)}")
    ids = {}
    for (key, location), (storage, seen_location) in zip(keys, recorder.calls, strict=True):
        if location != seen_location:
            raise AssertionError(f"storage {key}: pickle says {location!r}, torch saw {seen_location!r}")
        ids[storage._cdata] = (key, location)
    return ids


_REFUSED = re.compile(r"GLOBAL ([\w.]+)")


def refused_global(message: str) -> str | None:
    """`module.name` of the global torch's weights_only loader refused.

    torch prints builtins without their module ("GLOBAL eval"); put it back so
    every value has the `module.name` form the pickle used."""
    match = _REFUSED.search(message)
    if not match:
        return None
    name = match.group(1)
    return name if "." in name else f"builtins.{name}"


def header(container: Container) -> dict:
    return {
        "format": container.format,
        "version": container.version,
        "byteorder": container.byteorder,
        "torch_version": torch.__version__,
    }


def load_with_ids(path, weights_only: bool = True):
    """`torch.load` a zip or legacy file; returns (object, storage ids) where the
    ids map `untyped_storage()._cdata` to (record key, location tag)."""
    container = inspect_container(path)
    recorder = LocationRecorder()
    obj = torch.load(path, weights_only=weights_only, map_location=recorder)
    _, pids = scan_pickle(io.BytesIO(container.pickle_bytes))
    return obj, storage_ids_from(pids, recorder)


def load_and_describe(path):
    """Load `path` with real torch and describe it.

    Returns (description, loaded object or None). Zip and legacy files go
    through `torch.load(weights_only=True)`; TorchScript archives through
    `torch.jit.load` (torch refuses them under weights_only, but their tensors
    are plain data).
    """
    container = inspect_container(path)
    desc = header(container)
    if container.format == "torchscript":
        obj, entries = _load_torchscript(path, container)
        desc["load"] = "ok"
        desc["entries"] = entries
        return desc, obj
    try:
        obj, ids = load_with_ids(path)
    except pickle.UnpicklingError as err:
        desc["load"] = "refused"
        desc["refused_global"] = refused_global(str(err))
        desc["entries"] = []
        return desc, None
    desc["load"] = "ok"
    desc["entries"] = describe(obj, ids)
    return desc, obj


def torchscript_tensors(root, prefix: str = "") -> dict:
    """Walk a stub-decoded TorchScript module tree: dotted path -> rebuild stub."""
    found = {}
    if not isinstance(root, Stub) or not isinstance(root.state, dict):
        return found
    for name, value in root.state.items():
        path = _join(prefix, name)
        if isinstance(value, Stub) and value.qualname.startswith("torch._utils._rebuild_tensor"):
            found[path] = value
        elif isinstance(value, Stub) and value.qualname.startswith("__torch__."):
            found.update(torchscript_tensors(value, path))
    return found


def _load_torchscript(path, container: Container):
    root, _ = scan_pickle(io.BytesIO(container.pickle_bytes))
    stored = torchscript_tensors(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated, still the reader
        module = torch.jit.load(path, map_location="cpu")
    state = module.state_dict(keep_vars=True)
    if set(state) != set(stored):
        raise AssertionError(f"TorchScript attributes {sorted(stored)} != state_dict {sorted(state)}")
    ids = {}
    for name, tensor in state.items():
        rebuild = stored[name]
        ref, requires_grad = rebuild.args[0], rebuild.args[4]
        if bool(requires_grad) != tensor.requires_grad:
            raise AssertionError(f"{name}: requires_grad in pickle {requires_grad}, loaded {tensor.requires_grad}")
        ids[tensor.untyped_storage()._cdata] = (ref.key, ref.location)
    return state, describe(dict(state), ids)


# ---------------------------------------------------------------------------
# Comparison helpers
# ---------------------------------------------------------------------------


def tensor_leaves(obj, path: str = ""):
    """(path, tensor) pairs in the same order `describe` visits them."""
    if isinstance(obj, torch.Tensor):
        yield path, obj
    elif isinstance(obj, torch.Size):
        return
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from tensor_leaves(item, _join(path, key if isinstance(key, str) else str(key)))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from tensor_leaves(item, _join(path, str(i)))


def as_json(value):
    """Normalise to what a JSON round trip gives (tuples become lists, ...)."""
    return json.loads(json.dumps(value))


def diff_entries(actual: list[dict], expected: list[dict], ignore=()) -> list[str]:
    """Human-readable differences between two entry lists (empty if equal).

    Values compare exactly; NaN is spelled "nan" in both, so plain equality
    covers it."""
    actual, expected = as_json(actual), as_json(expected)
    problems = []
    if [e["path"] for e in actual] != [e["path"] for e in expected]:
        problems.append(f"paths differ: got {[e['path'] for e in actual]}, expected {[e['path'] for e in expected]}")
        return problems
    for got, want in zip(actual, expected, strict=True):
        for name in sorted((set(got) | set(want)) - set(ignore)):
            if got.get(name, "<absent>") != want.get(name, "<absent>"):
                problems.append(
                    f"{got['path'] or '<root>'}: {name} is {got.get(name, '<absent>')!r}, "
                    f"expected {want.get(name, '<absent>')!r}"
                )
    return problems


def sharing_pattern(labels) -> list[int]:
    """Relabel by first appearance, so [a, b, a] and ["7", "3", "7"] compare equal."""
    first: dict = {}
    return [first.setdefault(label, len(first)) for label in labels]
