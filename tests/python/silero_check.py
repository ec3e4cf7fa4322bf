#!/usr/bin/env python3
"""Reference run of Silero VAD 6.2.3 for tests/interop_silero.rs.

Usage: silero_check.py WHEEL WORKDIR

Speaks a few sentences with espeak-ng, puts silence between them, resamples to
16 kHz and 8 kHz with sox (16-bit mono WAVs in WORKDIR), extracts the wheel's
TorchScript archive, runs torch.jit chunk by chunk at both rates, and prints JSON:
{"jit": path, "rates": {"16000": {"wav", "probs", "segments"}, "8000": {...}}}.
Segments come from the package's own get_speech_timestamps (in samples).
"""

import json
import subprocess
import sys
import wave
import zipfile
from pathlib import Path

import torch

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Voice activity detection finds the parts of a recording where someone speaks.",
    "This sentence comes after a long pause.",
]


def pcm(path):
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.getframerate(), w.readframes(w.getnframes())


def main():
    wheel, work = Path(sys.argv[1]), Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        jit = work / "silero_vad.jit"
        jit.write_bytes(z.read("silero_vad/data/silero_vad.jit"))
    sys.path.insert(0, str(wheel))
    from silero_vad.utils_vad import get_speech_timestamps

    torch.set_num_threads(1)
    model = torch.jit.load(str(jit))
    out = {"jit": str(jit), "rates": {}}
    for rate in (16000, 8000):
        frames = b""
        silence = b"\0\0" * int(rate * 0.9)
        frames += silence[: len(silence) // 2]
        for i, text in enumerate(SENTENCES):
            raw = work / f"s{i}.wav"
            res = work / f"s{i}_{rate}.wav"
            subprocess.run(["espeak-ng", "-w", str(raw), text], check=True)
            subprocess.run(["sox", str(raw), "-r", str(rate), "-b", "16", "-c", "1", str(res)], check=True)
            frames += pcm(res)[1] + silence * (i + 1)
        path = work / f"speech_{rate}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(frames)
        audio = torch.frombuffer(bytearray(frames), dtype=torch.int16).float() / 32768.0
        n = 512 if rate == 16000 else 256
        model.reset_states()
        probs = []
        with torch.no_grad():
            for s in range(0, len(audio), n):
                chunk = audio[s : s + n]
                if len(chunk) < n:
                    chunk = torch.nn.functional.pad(chunk, (0, n - len(chunk)))
                probs.append(model(chunk, rate).item())
            segments = get_speech_timestamps(audio, model, sampling_rate=rate)
        out["rates"][str(rate)] = {
            "wav": str(path),
            "probs": probs,
            "segments": [[s["start"], s["end"]] for s in segments],
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
