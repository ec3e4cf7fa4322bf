"""Low-level writers for the fixtures torch.save cannot produce on this host:
re-zipped archives, big-endian data, pre-2.x pointer keys, hand-built pickles.

Everything here starts from bytes real torch wrote, or builds pickles whose
structure is spelled out next to the code, and every result is loaded back by
real torch in make_fixtures.py.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import struct
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import torch

from describe import Stub, scan_pickle, storage_raw

# Entries the C++ writer adds by itself when it finishes an archive.
FINALISER_RECORDS = ("version", ".data/version", ".data/serialization_id")

# A fixed timestamp keeps Python-written zips byte-identical between runs.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def read_records(path) -> tuple[str, list[tuple[str, bytes]]]:
    """(prefix, [(name without prefix, bytes)]) in archive order."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        prefix = infos[0].filename.split("/", 1)[0]
        return prefix, [(i.filename[len(prefix) + 1 :], zf.read(i)) for i in infos]


def write_python_zip(path, prefix: str, records, compression=zipfile.ZIP_STORED, force_zip64=False):
    """Write records with Python's zipfile: no 64-byte alignment, no data
    descriptors, optionally deflated or with zip64 extra fields."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in records:
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=_ZIP_EPOCH)
            info.compress_type = compression
            with zf.open(info, "w", force_zip64=force_zip64) as out:
                out.write(data)


def write_torch_zip(path, records):
    """Write records with torch's own archive writer (same alignment, headers
    and zip64 trailer as torch.save; every record stored). The prefix comes
    from the file name. The writer itself adds `version` (or `.data/version`
    from 6 on) and `.data/serialization_id`, and `byteorder` if none was
    written."""
    writer = torch._C.PyTorchFileWriter(str(path), True, 64)
    for name, data in records:
        if name in FINALISER_RECORDS:
            if name.endswith("version"):
                writer.set_min_version(int(data))
            continue
        writer.write_record(name, data, len(data))
    writer.write_end_of_file()


# ---------------------------------------------------------------------------
# TorchScript debug records
# ---------------------------------------------------------------------------


def _portable_source_path(path: str, repo_root: Path) -> str:
    """Repo files relative to the repo, installed packages relative to site-packages."""
    pure = PurePosixPath(path)
    if not pure.is_absolute():
        return path
    if pure.is_relative_to(repo_root.as_posix()):
        return pure.relative_to(repo_root.as_posix()).as_posix()
    if "site-packages" in pure.parts:
        return PurePosixPath(*pure.parts[pure.parts.index("site-packages") + 1 :]).as_posix()
    return pure.name


def _rewrite_binunicode(pkl: bytes, rewrite) -> bytes:
    """Replace BINUNICODE strings in a pickle. Safe because pickles hold no
    byte offsets: only each string's own length prefix changes."""
    ops = list(pickletools.genops(pkl))
    out = bytearray()
    for i, (op, arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else len(pkl)
        if op.name == "BINUNICODE" and rewrite(arg) != arg:
            raw = rewrite(arg).encode()
            out += b"X" + struct.pack("<I", len(raw)) + raw
        else:
            out += pkl[pos:end]
    return bytes(out)


def portable_torchscript(records, repo_root: Path):
    """TorchScript `*.debug_pkl` records name the absolute path of every
    scripted source file (ours and torch's). Make those paths relative so the
    archive does not depend on the machine that wrote it."""
    out = []
    for name, data in records:
        if name.endswith(".debug_pkl"):
            data = _rewrite_binunicode(data, lambda s: _portable_source_path(s, repo_root) if s.endswith(".py") else s)
        out.append((name, data))
    return out


# ---------------------------------------------------------------------------
# Byte order
# ---------------------------------------------------------------------------

_STORAGE_DTYPES = {f"torch.{name}": dtype for dtype, name in torch.storage._dtype_to_storage_type_map().items()}


def storage_dtypes(pickle_bytes: bytes) -> dict[str, torch.dtype]:
    """Record key -> dtype, from the storage classes in the persistent ids."""
    _, pids = scan_pickle(io.BytesIO(pickle_bytes))
    found = {}
    for pid in pids:
        cls = pid[1]
        qualname = cls.qualname if isinstance(cls, type) and issubclass(cls, Stub) else str(cls)
        if qualname not in _STORAGE_DTYPES:
            raise ValueError(f"storage class {qualname} has no fixed dtype; cannot byte-swap it")
        found[str(pid[2])] = _STORAGE_DTYPES[qualname]
    return found


def swap_elements(data: bytes, dtype: torch.dtype) -> bytes:
    """Reverse the bytes of every element; complex values per real/imag half."""
    width = torch.empty(0, dtype=dtype).element_size()
    if dtype.is_complex:
        width //= 2
    if width == 1:
        return data
    return np.frombuffer(data, dtype=f"<u{width}").byteswap().tobytes()


def to_big_endian(records):
    """What a big-endian host's torch.save would have written for the same
    object: identical pickle, storages in BE element order, byteorder=big."""
    pickle_bytes = dict(records)["data.pkl"]
    dtypes = storage_dtypes(pickle_bytes)
    out = []
    for name, data in records:
        if name.startswith("data/"):
            data = swap_elements(data, dtypes[name[len("data/") :]])
        elif name == "byteorder":
            data = b"big"
        out.append((name, data))
    return out


# ---------------------------------------------------------------------------
# Pre-2.x writer emulation
# ---------------------------------------------------------------------------


def pointer_keys(count: int) -> list[str]:
    """Pointer-like decimal keys. They cross a digit boundary so that string
    order ("100000000" < "99999936") differs from numeric and creation order."""
    return [str(99_999_936 + 64 * i) for i in range(count)]


def old_zip_records(obj, location: str = "cpu"):
    """Pickle `obj` the way torch 1.6-2.0 did: the same 5-tuple persistent ids
    as today but keyed by storage pointers, storages written in string-sorted
    key order, only `data.pkl`, `data/*` and `version` records."""
    keys_by_storage: dict[int, str] = {}
    storages: dict[str, torch.UntypedStorage] = {}
    fresh_keys = iter(pointer_keys(10_000))

    class PointerKeyPickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, torch.UntypedStorage):
                raise TypeError("dtypes saved as UntypedStorage (uint16, float8, ...) postdate pointer keys")
            if not isinstance(obj, torch.storage.TypedStorage):
                return None
            untyped = obj._untyped_storage
            key = keys_by_storage.setdefault(untyped._cdata, next(fresh_keys))
            storages[key] = untyped
            storage_class = getattr(torch, obj._pickle_storage_type())
            return ("storage", storage_class, key, location, obj._size())

    buf = io.BytesIO()
    PointerKeyPickler(buf, protocol=2).dump(obj)
    records = [("data.pkl", buf.getvalue())]
    for key in sorted(storages):
        records.append((f"data/{key}", storage_raw(storages[key])))
    records.append(("version", b"3\n"))
    return records


# ---------------------------------------------------------------------------
# Hand-built hostile pickles
# ---------------------------------------------------------------------------


def _binunicode(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def reduce_call_pickle(module: str, name: str, arg: str) -> bytes:
    """Protocol-2 pickle of `module.name(arg)`:
    PROTO 2, GLOBAL, BINPUT 0, BINUNICODE arg, BINPUT 1, TUPLE1, BINPUT 2, REDUCE, BINPUT 3, STOP."""
    return (
        b"\x80\x02"
        + b"c" + f"{module}\n{name}\n".encode()
        + b"q\x00"
        + _binunicode(arg)
        + b"q\x01"
        + b"\x85q\x02"
        + b"Rq\x03"
        + b"."
    )  # fmt: skip


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
LEGACY_SYS_INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}


def legacy_file(object_pickle: bytes) -> bytes:
    """A legacy (non-zip) checkpoint whose object pickle is given verbatim and
    which has no storages: magic, protocol, sys_info, object, empty key list."""
    header = b"".join(pickle.dumps(v, protocol=2) for v in (LEGACY_MAGIC, LEGACY_PROTOCOL, LEGACY_SYS_INFO))
    return header + object_pickle + pickle.dumps([], protocol=2)


def copy_file(src: Path, dst: Path):
    dst.write_bytes(Path(src).read_bytes())
