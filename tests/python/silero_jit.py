#!/usr/bin/env python3
"""Prepare the silero-vad interop check for pt-jit (nothing is written to the repository).

Usage: python tests/python/silero_jit.py WHEEL OUT_DIR

Extracts silero_vad.jit from the silero-vad wheel into OUT_DIR, speaks a sentence with
espeak-ng (16 kHz, resampled with sox), and saves with torch:
  OUT_DIR/audio_forward.inputs.pt    (audio [1, N] float32, 16000)
  OUT_DIR/audio_forward.expected.pt  torch.jit's audio_forward output
  OUT_DIR/forward.inputs.pt          the first 512-sample chunk, 16000
  OUT_DIR/forward.expected.pt        torch.jit's forward outputs for the first 8 chunks
                                     of a fresh model, stacked (state carried across calls)
"""

import subprocess
import sys
import wave
import zipfile
from pathlib import Path

import numpy as np
import torch


def main(wheel: str, out: str) -> int:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        (out_dir / "silero_vad.jit").write_bytes(z.read("silero_vad/data/silero_vad.jit"))
    raw = out_dir / "speech_raw.wav"
    wav = out_dir / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-w", str(raw), "Hello, this is a test of voice activity detection in Rust."],
        check=True,
    )
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
    with wave.open(str(wav)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    # Half a second of silence on each side, so the detector sees both.
    audio = np.concatenate([np.zeros(8000), pcm / 32768.0, np.zeros(8000)]).astype(np.float32)
    x = torch.from_numpy(audio).unsqueeze(0)
    torch.set_num_threads(1)
    model = torch.jit.load(str(out_dir / "silero_vad.jit"))
    model.eval()
    with torch.no_grad():
        full = model.audio_forward(x, 16000)
        model.reset_states()
        chunks = [model(x[:, i * 512 : (i + 1) * 512], 16000) for i in range(8)]
    torch.save((x, 16000), out_dir / "audio_forward.inputs.pt")
    torch.save(full, out_dir / "audio_forward.expected.pt")
    torch.save((x[:, :512].clone(), 16000), out_dir / "forward.inputs.pt")
    torch.save(torch.cat(chunks, 1), out_dir / "forward.expected.pt")
    torch.save(x, out_dir / "audio.pt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
