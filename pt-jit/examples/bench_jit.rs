//! Interpreter overhead and end-to-end speed against torch.jit, same thread count (1),
//! interleaved rounds. Needs `PT_BENCH_PYTHON` (a Python with torch) and the silero-vad wheel
//! (`PT_SILERO_WHEEL`, default: the wheels cache), plus espeak-ng and sox for its audio.
//!
//! `cargo run --release -p pt-jit --example bench_jit`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pt_core::Tensor;
use pt_jit::Value;

const ROUNDS: usize = 5;
const ITERS: usize = 200;

const TORCH_TIMER: &str = r#"
import sys, time, statistics, torch
torch.set_num_threads(1)
path, kind, iters = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = torch.jit.load(path).eval()
if kind == "silero":
    x = torch.load(sys.argv[4])[:, :512].clone()
    args = (x, 16000)
else:
    args = (torch.rand(20),)
times = []
with torch.no_grad():
    for _ in range(10):
        m(*args)
    for _ in range(iters):
        t = time.perf_counter()
        m(*args)
        times.append(time.perf_counter() - t)
print(statistics.median(times) * 1e6)
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time_rust(m: &pt_jit::ScriptModule, args: &[Value]) -> f64 {
    for _ in 0..10 {
        m.forward(args.to_vec()).unwrap();
    }
    let mut times = Vec::with_capacity(ITERS);
    for _ in 0..ITERS {
        let t = Instant::now();
        m.forward(args.to_vec()).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    median(times)
}

fn time_torch(python: &str, archive: &Path, kind: &str, audio: &Path) -> f64 {
    let out = Command::new(python)
        .args(["-W", "ignore", "-c", TORCH_TIMER])
        .arg(archive)
        .arg(kind)
        .arg(ITERS.to_string())
        .arg(audio)
        .output()
        .expect("running the torch timer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a number")
}

fn wheel() -> PathBuf {
    std::env::var("PT_SILERO_WHEEL").map_or_else(
        |_| {
            Path::new(&std::env::var("HOME").expect("HOME"))
                .join(".cache/pt-rs/wheels/silero_vad-6.2.3-py3-none-any.whl")
        },
        PathBuf::from,
    )
}

fn main() {
    let python =
        std::env::var("PT_BENCH_PYTHON").expect("set PT_BENCH_PYTHON to a Python with torch");
    pt_core::set_num_threads(1);
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/silero_jit.py");
    let ok = Command::new(&python)
        .args(["-W", "ignore"])
        .arg(script)
        .arg(wheel())
        .arg(dir.path())
        .output()
        .expect("preparing silero");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let silero_path = dir.path().join("silero_vad.jit");
    let audio_path = dir.path().join("audio.pt");
    let my_module =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/jit/my_module.pt");

    let silero = pt_jit::load(&silero_path).unwrap();
    let audio = pt_jit::convert(&pt_core::serialize::load(&audio_path).unwrap()).unwrap();
    let chunk = audio
        .as_tensor()
        .unwrap()
        .narrow(1, 0, 512)
        .unwrap()
        .contiguous();
    let silero_args = vec![Value::Tensor(chunk), Value::Int(16000)];
    let mm = pt_jit::load(&my_module).unwrap();
    let mm_args = vec![Value::Tensor(Tensor::ones(&[20], pt_core::DType::F32))];

    println!("median µs per call, 1 thread, {ROUNDS} interleaved rounds of {ITERS} calls");
    println!(
        "{:<26}{:>12}{:>12}{:>10}",
        "case", "pt-jit", "torch.jit", "ratio"
    );
    for (name, kind, archive, module, args) in [
        (
            "silero forward (512)",
            "silero",
            &silero_path,
            &silero,
            &silero_args,
        ),
        ("MyModule forward", "mymodule", &my_module, &mm, &mm_args),
    ] {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..ROUNDS {
            ours.push(time_rust(module, args));
            theirs.push(time_torch(&python, archive, kind, &audio_path));
        }
        let (o, t) = (median(ours.clone()), median(theirs.clone()));
        println!("{name:<26}{o:>12.1}{t:>12.1}{:>9.2}x", o / t);
        println!(
            "  rounds pt-jit {:?}\n  rounds torch  {:?}",
            ours.iter().map(|v| v.round()).collect::<Vec<_>>(),
            theirs.iter().map(|v| v.round()).collect::<Vec<_>>()
        );
    }
}
