//! Forward-pass speed against PyTorch on the same machine and thread count.
//!
//! ```text
//! PT_BENCH_PYTHON=/path/to/python-with-torch cargo run --release --example bench_forward [filter]
//! ```
//!
//! For each case and for 1 thread and all cores, rounds of ours and torch's (a Python child
//! process, `torch.set_num_threads` to the same count) alternate; each round times a batch
//! of calls, and the table shows the median per-call time of each side and their ratio.
//! Without `PT_BENCH_PYTHON` only our times are printed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use pt::core::ops::Conv1dOptions;
use pt::core::ops::Conv2dOptions;
use pt::core::{DType, Generator, Tensor};
use pt::nn::{Forward, Linear};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The torch side: builds the same inputs and times the same call, on request.
const TORCH: &str = r#"
import sys, time, torch
import torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
def case(name):
    if name == "linear_1024":
        m = nn.Linear(1024, 1024); x = torch.randn(64, 1024); return lambda: m(x)
    if name == "linear_batch1":
        m = nn.Linear(1024, 1024); x = torch.randn(1, 1024); return lambda: m(x)
    if name == "linear_tiny":
        m = nn.Linear(4, 2); x = torch.randn(1, 4); return lambda: m(x)
    if name == "conv2d_64":
        m = nn.Conv2d(64, 64, 3, padding=1); x = torch.randn(8, 64, 56, 56); return lambda: m(x)
    if name == "conv1d_small":
        m = nn.Conv1d(129, 128, 3); x = torch.randn(1, 129, 4); return lambda: m(x)
    if name == "layer_norm_768":
        m = nn.LayerNorm(768); x = torch.randn(32, 128, 768); return lambda: m(x)
    if name == "softmax":
        x = torch.randn(32, 12, 128, 128); return lambda: torch.softmax(x, -1)
    if name == "gelu_16Mi":
        x = torch.randn(16 * 1024 * 1024); return lambda: F.gelu(x)
    if name == "matmul_bmm":
        a = torch.randn(8, 128, 64); b = torch.randn(8, 64, 128); return lambda: torch.matmul(a, b)
    if name == "add_4Mi":
        a = torch.randn(4 * 1024 * 1024); b = torch.randn(4 * 1024 * 1024); return lambda: a + b
    if name == "mul_bcast":
        a = torch.randn(32, 128, 768); b = torch.randn(768); return lambda: a * b
    if name == "sum_last":
        x = torch.randn(32, 128, 768); return lambda: x.sum(-1)
    raise ValueError(name)
cache = {}
torch.set_grad_enabled(False)
print("ready", flush=True)
for line in sys.stdin:
    name, threads, iters = line.split()
    torch.set_num_threads(int(threads))
    f = cache.get(name) or cache.setdefault(name, case(name))
    f()
    t0 = time.perf_counter()
    for _ in range(int(iters)):
        f()
    print((time.perf_counter() - t0) / int(iters), flush=True)
"#;

struct Torch {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Torch {
    fn start() -> Result<Option<Torch>> {
        let Ok(python) = std::env::var("PT_BENCH_PYTHON") else {
            return Ok(None);
        };
        let mut child = Command::new(python)
            .args(["-c", TORCH])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        if line.trim() != "ready" {
            return Err(format!("torch child said {line:?}").into());
        }
        Ok(Some(Torch {
            child,
            stdin,
            stdout,
        }))
    }

    /// Seconds per call of `iters` calls.
    fn time(&mut self, name: &str, threads: usize, iters: usize) -> Result<f64> {
        writeln!(self.stdin, "{name} {threads} {iters}")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        Ok(line.trim().parse()?)
    }
}

impl Drop for Torch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Run = Box<dyn FnMut() -> pt::core::Result<Tensor>>;

fn randn(shape: &[usize], g: &mut Generator) -> Result<Tensor> {
    let t = Tensor::zeros(shape, DType::F32);
    t.normal_(0.0, 1.0, g)?;
    Ok(t)
}

fn linear(i: usize, o: usize, batch: usize, g: &mut Generator) -> Result<Run> {
    let m = Linear::new(i, o).init_with(g);
    let x = randn(&[batch, i], g)?;
    Ok(Box::new(move || m.forward(&x)))
}

fn case(name: &str, g: &mut Generator) -> Result<Run> {
    Ok(match name {
        "linear_1024" => linear(1024, 1024, 64, g)?,
        "linear_batch1" => linear(1024, 1024, 1, g)?,
        "linear_tiny" => linear(4, 2, 1, g)?,
        "conv2d_64" => {
            let (x, w, b) = (
                randn(&[8, 64, 56, 56], g)?,
                randn(&[64, 64, 3, 3], g)?,
                randn(&[64], g)?,
            );
            let o = Conv2dOptions {
                padding: (1, 1),
                ..Conv2dOptions::default()
            };
            Box::new(move || x.conv2d(&w, Some(&b), o))
        }
        "conv1d_small" => {
            let (x, w, b) = (
                randn(&[1, 129, 4], g)?,
                randn(&[128, 129, 3], g)?,
                randn(&[128], g)?,
            );
            Box::new(move || x.conv1d(&w, Some(&b), Conv1dOptions::default()))
        }
        "layer_norm_768" => {
            let x = randn(&[32, 128, 768], g)?;
            let (w, b) = (
                Tensor::ones(&[768], DType::F32),
                Tensor::zeros(&[768], DType::F32),
            );
            Box::new(move || x.layer_norm(&[768], Some(&w), Some(&b), 1e-5))
        }
        "softmax" => {
            let x = randn(&[32, 12, 128, 128], g)?;
            Box::new(move || x.softmax(-1))
        }
        "gelu_16Mi" => {
            let x = randn(&[16 * 1024 * 1024], g)?;
            Box::new(move || x.gelu())
        }
        "matmul_bmm" => {
            let (a, b) = (randn(&[8, 128, 64], g)?, randn(&[8, 64, 128], g)?);
            Box::new(move || a.matmul(&b))
        }
        "add_4Mi" => {
            let (a, b) = (randn(&[4 << 20], g)?, randn(&[4 << 20], g)?);
            Box::new(move || a.add(&b))
        }
        "mul_bcast" => {
            let (a, b) = (randn(&[32, 128, 768], g)?, randn(&[768], g)?);
            Box::new(move || a.mul(&b))
        }
        "sum_last" => {
            let x = randn(&[32, 128, 768], g)?;
            Box::new(move || x.sum_dim(-1, false))
        }
        other => return Err(format!("unknown case {other}").into()),
    })
}

const CASES: [&str; 12] = [
    "linear_1024",
    "linear_batch1",
    "linear_tiny",
    "conv2d_64",
    "conv1d_small",
    "layer_norm_768",
    "softmax",
    "gelu_16Mi",
    "matmul_bmm",
    "add_4Mi",
    "mul_bcast",
    "sum_last",
];

/// Seconds per call over `iters` calls.
fn time_ours(run: &mut Run, iters: usize) -> Result<f64> {
    let t0 = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(run()?);
    }
    Ok(t0.elapsed().as_secs_f64() / iters as f64)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn show(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.2} µs", s * 1e6)
    } else {
        format!("{:.3} ms", s * 1e3)
    }
}

fn main() -> Result<()> {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let rounds: usize = std::env::var("PT_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let all = std::thread::available_parallelism().map_or(1, usize::from);
    let mut torch = Torch::start()?;
    if torch.is_none() {
        eprintln!("PT_BENCH_PYTHON not set: printing our times only");
    }
    let mut g = Generator::new(0);
    println!(
        "{:<16} {:>7} {:>12} {:>12} {:>7}",
        "case", "threads", "pt", "torch", "ratio"
    );
    for name in CASES.iter().filter(|c| c.contains(&filter)) {
        let mut run = case(name, &mut g)?;
        for threads in [1, all] {
            pt::core::set_num_threads(threads);
            // Calibrate: about 0.15 s of calls per round.
            let once = time_ours(&mut run, 1)?.max(1e-7);
            let iters = ((0.15 / once) as usize).clamp(1, 200_000);
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                ours.push(time_ours(&mut run, iters)?);
                if let Some(t) = torch.as_mut() {
                    theirs.push(t.time(name, threads, iters)?);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let o = median(ours);
            match theirs.is_empty() {
                true => println!(
                    "{name:<16} {threads:>7} {:>12} {:>12} {:>7}",
                    show(o),
                    "-",
                    "-"
                ),
                false => {
                    let t = median(theirs);
                    println!(
                        "{name:<16} {threads:>7} {:>12} {:>12} {:>6.2}×",
                        show(o),
                        show(t),
                        o / t
                    );
                }
            }
            if all == 1 {
                break;
            }
        }
    }
    Ok(())
}
