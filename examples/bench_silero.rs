//! Silero VAD per-chunk time at 1 thread: this port next to torch.jit and onnxruntime on
//! the same chunks, interleaved (Rust round, Python round, three times).
//!
//! ```text
//! PT_BENCH_PYTHON=python cargo run --release --example bench_silero -- --weights silero_vad.jit --wheel silero_vad-6.2.3-py3-none-any.whl
//! ```
//!
//! Prints the median per-chunk time of each round and Rust's peak resident memory.

#[path = "silero_vad/model.rs"]
#[allow(dead_code)]
mod model;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use model::{SileroVad, Stream};

const CHUNKS: usize = 400;

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut weights = None;
    let mut wheel = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--weights" => weights = args.next().map(PathBuf::from),
            "--wheel" => wheel = args.next().map(PathBuf::from),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let weights = weights.ok_or("--weights PATH to silero_vad.jit is required")?;
    pt::core::set_num_threads(1);
    let vad = SileroVad::load(&weights)?;
    let net = vad.branch(16000).ok_or("no 16 kHz branch")?;
    let audio: Vec<f32> = (0..512 * CHUNKS)
        .map(|i| {
            let t = i as f32 / 16000.0;
            let gate = if (2.0 * std::f32::consts::PI * 0.5 * t).sin() > 0.0 {
                1.0
            } else {
                0.0
            };
            0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin() * gate
        })
        .collect();
    let python = std::env::var("PT_BENCH_PYTHON").ok();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/silero_bench.py");
    println!("per 512-sample chunk at 16 kHz, 1 thread, median of {CHUNKS} chunks");
    for round in 1..=3 {
        let mut stream = Stream::new(net);
        let mut times = Vec::with_capacity(CHUNKS);
        for c in audio.chunks(512) {
            let s = Instant::now();
            stream.process(c)?;
            times.push(s.elapsed().as_secs_f64() * 1e6);
        }
        times.sort_by(f64::total_cmp);
        let ours = times[times.len() / 2];
        let mut line = format!("round {round}: pt {ours:.0} µs");
        if let (Some(py), Some(wheel)) = (&python, &wheel) {
            let out = Command::new(py)
                .arg(&script)
                .arg(wheel)
                .arg(CHUNKS.to_string())
                .output()?;
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
                format!(
                    "bench script: {e}: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })?;
            let (jit, ort) = (
                v["jit_us"].as_f64().unwrap_or(f64::NAN),
                v["ort_us"].as_f64().unwrap_or(f64::NAN),
            );
            line += &format!(
                ", torch.jit {jit:.0} µs ({:.2}x), onnxruntime {ort:.0} µs ({:.2}x)",
                ours / jit,
                ours / ort
            );
        }
        println!("{line}");
    }
    if let Some(kb) = peak_rss_kb() {
        println!("pt peak resident memory: {:.1} MiB", kb as f64 / 1024.0);
    }
    Ok(())
}
