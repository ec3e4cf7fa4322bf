//! Silero VAD 6.2.3 ported to Rust (`examples/silero_vad/`) against the original: the
//! package's TorchScript archive is loaded strictly into the derived modules, and every
//! chunk probability of a spoken test recording (espeak-ng, with silences, at 16 kHz and
//! 8 kHz) must match `torch.jit.load(...)` run chunk by chunk within 1e-4; the speech
//! segments must equal the package's own `get_speech_timestamps`.
//!
//! Needs torch (`PT_INTEROP_PYTHON`), `espeak-ng` and `sox`, and the `silero-vad` 6.2.3
//! wheel: `$PT_WHEELS_DIR` (default `~/.cache/pt-rs/wheels`), fetched there with
//! `pip download --no-deps` when absent.

#[path = "../examples/silero_vad/model.rs"]
#[allow(dead_code)]
mod model;

use std::path::PathBuf;
use std::process::Command;

use model::{SileroVad, Stream, chunks, probs_via_modules, speech_segments};
use serde_json::Value as Json;

const WHEEL: &str = "silero_vad-6.2.3-py3-none-any.whl";

fn wheel(python: &str) -> PathBuf {
    let dir = std::env::var_os("PT_WHEELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/pt-rs/wheels")
        });
    let path = dir.join(WHEEL);
    if !path.exists() {
        let ok = Command::new(python)
            .args([
                "-m",
                "pip",
                "download",
                "silero-vad==6.2.3",
                "--no-deps",
                "-d",
            ])
            .arg(&dir)
            .status()
            .expect("running pip download");
        assert!(ok.success(), "pip download silero-vad==6.2.3 failed");
    }
    path
}

fn read_wav(path: &str) -> Vec<f32> {
    let mut r = hound::WavReader::open(path).unwrap();
    r.samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect()
}

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON (and espeak-ng, sox)"]
fn silero_matches_torch_jit() {
    let python =
        std::env::var("PT_INTEROP_PYTHON").expect("PT_INTEROP_PYTHON names a python with torch");
    let wheel = wheel(&python);
    let dir = tempfile::tempdir().unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/silero_check.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&wheel)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "silero_check.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Json = serde_json::from_slice(&out.stdout).unwrap();
    let vad = SileroVad::load(reference["jit"].as_str().unwrap().as_ref()).expect("loads strictly");
    for rate in [16000u32, 8000] {
        let r = &reference["rates"][rate.to_string()];
        let audio = read_wav(r["wav"].as_str().unwrap());
        let net = vad.branch(rate).unwrap();
        let mut stream = Stream::new(net);
        let pieces: Vec<Vec<f32>> = chunks(&audio, net.chunk_size).collect();
        let probs: Vec<f32> = pieces.iter().map(|c| stream.process(c).unwrap()).collect();
        let via_modules = probs_via_modules(net, &pieces).unwrap();
        let fast_vs_modules = probs
            .iter()
            .zip(&via_modules)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        println!("{rate} Hz: fast path vs module forward max diff {fast_vs_modules:.2e}");
        assert!(
            fast_vs_modules <= 1e-4,
            "{rate} Hz: fast path drifts {fast_vs_modules}"
        );
        let want: Vec<f64> = r["probs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(probs.len(), want.len(), "{rate} Hz: chunk count");
        let max = probs
            .iter()
            .zip(&want)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        println!(
            "{rate} Hz: {} chunks, max |p_rust - p_torch| = {max:.2e}",
            probs.len()
        );
        assert!(max <= 1e-4, "{rate} Hz: max difference {max}");
        let segs = speech_segments(&probs, rate, audio.len());
        let want_segs: Vec<(usize, usize)> = r["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s[0].as_u64().unwrap() as usize,
                    s[1].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert!(!want_segs.is_empty(), "{rate} Hz: the recording has speech");
        assert_eq!(segs, want_segs, "{rate} Hz: segments");
    }
}
