#!/usr/bin/env python3
"""Per-chunk time of Silero VAD under torch.jit and onnxruntime, at 1 thread.

Usage: silero_bench.py WHEEL CHUNKS
Runs CHUNKS 512-sample chunks of a fixed signal through the wheel's
silero_vad.jit and silero_vad.onnx (state carried, as in streaming) and prints
JSON {"jit_us": median per chunk, "ort_us": ..., "peak_rss_kb": ...}.
"""

import json
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch


def main():
    wheel, n = Path(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp())
    with zipfile.ZipFile(wheel) as z:
        (work / "j.jit").write_bytes(z.read("silero_vad/data/silero_vad.jit"))
        (work / "m.onnx").write_bytes(z.read("silero_vad/data/silero_vad.onnx"))
    t = np.arange(512 * n, dtype=np.float32) / 16000
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0)).astype(np.float32)
    chunks = audio.reshape(n, 512)
    model = torch.jit.load(str(work / "j.jit"))
    model.reset_states()
    times = []
    with torch.no_grad():
        for c in chunks:
            x = torch.from_numpy(c)
            s = time.perf_counter()
            model(x, 16000)
            times.append(time.perf_counter() - s)
    jit_us = float(np.median(times) * 1e6)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(work / "m.onnx"), so, providers=["CPUExecutionProvider"])
    state = np.zeros((2, 1, 128), dtype=np.float32)
    context = np.zeros((1, 64), dtype=np.float32)
    sr = np.array(16000, dtype=np.int64)
    times = []
    for c in chunks:
        x = np.concatenate([context, c[None, :]], axis=1)
        s = time.perf_counter()
        out, state = sess.run(None, {"input": x, "state": state, "sr": sr})
        times.append(time.perf_counter() - s)
        context = x[:, -64:]
    ort_us = float(np.median(times) * 1e6)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"jit_us": jit_us, "ort_us": ort_us, "peak_rss_kb": peak}))


if __name__ == "__main__":
    main()
