//! Times checkpoint loading and saving against the floor of reading the same file.
//!
//! `cargo run --release -p pt-core --example bench_load [-- SMALL LARGE_MIB]`
//!
//! Builds a state dict of SMALL small tensors (default 10 000) plus four large ones of
//! LARGE_MIB MiB each (default 32), saves it to a temporary file, then reports the best of
//! several runs of: `std::fs::read` of the file (the floor), `load`, `load` with mmap,
//! `load_bytes` of the file already in memory, and `save` (which includes `fsync`), with
//! each time as a ratio of the floor.

use std::path::Path;
use std::time::{Duration, Instant};

use pt_core::serialize::{self, LoadOptions};
use pt_core::{StateDict, Tensor};

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn state_dict(small: usize, large_mib: usize) -> StateDict {
    let mut sd = StateDict::new();
    for i in 0..small {
        let n = 16 + (i * 37) % 241;
        let values: Vec<f32> = (0..n).map(|j| (i + j) as f32 * 0.5).collect();
        sd.insert(
            format!("layers.{}.block.{}.weight", i / 10, i % 10),
            Tensor::from_slice_1d(&values),
        );
    }
    let elems = large_mib * (1 << 20) / 4;
    for i in 0..4 {
        let values: Vec<f32> = (0..elems).map(|j| (j % 1000) as f32).collect();
        sd.insert(format!("embed.{i}.weight"), Tensor::from_slice_1d(&values));
    }
    sd
}

fn report(name: &str, d: Duration, floor: Duration) {
    println!(
        "{name:<22} {:>9.2} ms   {:>6.2}x the plain read",
        d.as_secs_f64() * 1e3,
        d.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
}

/// PyTorch's best-of-`runs` times for load, mmap load and save of the file at `path`.
fn torch_times(python: &str, path: &Path, runs: usize) -> Option<[Duration; 3]> {
    const SCRIPT: &str = r#"
import sys, time, torch
path, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def best(f):
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)
obj = torch.load(path, weights_only=True)
print(best(lambda: torch.load(path, weights_only=True)),
      best(lambda: torch.load(path, weights_only=True, mmap=True)),
      best(lambda: torch.save(obj, out)))
"#;
    let out = path.with_extension("torch.pt");
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .arg(&out)
        .arg(runs.to_string())
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "PyTorch timing failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let secs: Vec<f64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match secs[..] {
        [l, m, s] => Some([l, m, s].map(Duration::from_secs_f64)),
        _ => None,
    }
}

fn vs_torch(name: &str, ours: Duration, torch: Duration) {
    println!(
        "{name:<22} {:>9.2} ms   torch {:>9.2} ms   {:>6.2}x faster than PyTorch",
        ours.as_secs_f64() * 1e3,
        torch.as_secs_f64() * 1e3,
        torch.as_secs_f64() / ours.as_secs_f64().max(1e-9)
    );
}

fn bench(label: &str, sd: &StateDict, dir: &Path) {
    let path = dir.join(format!("{label}.pt"));
    let value = sd.to_value();
    serialize::save(&value, &path).expect("save");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "\n== {label}: {} tensors, {:.1} MiB file",
        sd.len(),
        size as f64 / (1 << 20) as f64
    );
    let runs = 5;
    let floor = best_of(runs, || {
        std::hint::black_box(std::fs::read(&path).expect("read"));
    });
    let load = best_of(runs, || {
        std::hint::black_box(serialize::load(&path).expect("load"));
    });
    let mmap = best_of(runs, || {
        let v = serialize::Checkpoint::open_with(&path, &LoadOptions::new().mmap(true))
            .expect("mmap load");
        std::hint::black_box(v);
    });
    let bytes = std::fs::read(&path).expect("read");
    let parse = best_of(runs, || {
        let v = serialize::load_bytes(&bytes, &LoadOptions::new()).expect("load bytes");
        std::hint::black_box(v);
    });
    let save_path = dir.join(format!("{label}.resave.pt"));
    let save = best_of(runs, || serialize::save(&value, &save_path).expect("save"));
    report("std::fs::read (floor)", floor, floor);
    report("load", load, floor);
    report("load, mmap", mmap, floor);
    report("load_bytes (in memory)", parse, floor);
    report("save", save, floor);
    let torch = std::env::var("PT_BENCH_PYTHON")
        .ok()
        .and_then(|py| torch_times(&py, &path, runs));
    match torch {
        Some([t_load, t_mmap, t_save]) => {
            report("torch.load", t_load, floor);
            report("torch.load, mmap", t_mmap, floor);
            report("torch.save", t_save, floor);
            vs_torch("load", load, t_load);
            vs_torch("load, mmap", mmap, t_mmap);
            vs_torch("save", save, t_save);
        }
        None => println!("(set PT_BENCH_PYTHON to a Python with torch to compare with PyTorch)"),
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let small = args.first().copied().unwrap_or(10_000);
    let large_mib = args.get(1).copied().unwrap_or(32);
    let dir = std::env::temp_dir().join(format!("pt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    bench("many_small", &state_dict(small, 0), &dir);
    bench("small_and_large", &state_dict(small, large_mib), &dir);
    let _ = std::fs::remove_dir_all(&dir);
}
