//! silero-vad 6.2.3's `silero_vad.jit` on espeak-ng speech, against torch.jit.
//!
//! Needs PyTorch (`PT_INTEROP_PYTHON`), espeak-ng and sox, and the silero-vad wheel
//! (`PT_SILERO_WHEEL`, default: the wheels cache `~/.cache/pt-rs/wheels`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use pt_core::Tensor;
use pt_jit::{Value, convert};
use support::assert_close;

fn wheel() -> PathBuf {
    if let Ok(p) = std::env::var("PT_SILERO_WHEEL") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").expect("HOME or PT_SILERO_WHEEL");
    Path::new(&home).join(".cache/pt-rs/wheels/silero_vad-6.2.3-py3-none-any.whl")
}

fn prepare(dir: &Path) {
    let python = std::env::var("PT_INTEROP_PYTHON").expect("PT_INTEROP_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/silero_jit.py");
    let status = Command::new(python)
        .arg(script)
        .arg(wheel())
        .arg(dir)
        .status()
        .expect("running the silero preparation script");
    assert!(status.success(), "silero_jit.py failed");
}

fn load_value(path: PathBuf) -> Value {
    convert(&pt_core::serialize::load(path).unwrap()).unwrap()
}

fn args(path: PathBuf) -> Vec<Value> {
    match load_value(path) {
        Value::Tuple(items) => items.to_vec(),
        other => panic!("inputs are a {}", other.kind()),
    }
}

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON (and espeak-ng, sox, the silero-vad wheel)"]
fn silero_vad_matches_torch_jit() {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    let m = pt_jit::load(dir.path().join("silero_vad.jit")).unwrap();
    let got = m
        .run_method(
            "audio_forward",
            args(dir.path().join("audio_forward.inputs.pt")),
        )
        .unwrap();
    assert_close(
        &got,
        &load_value(dir.path().join("audio_forward.expected.pt")),
        "audio_forward",
    );
    // Streaming: forward per 512-sample chunk keeps its state in the module.
    m.run_method("reset_states", vec![]).unwrap();
    let audio = load_value(dir.path().join("audio.pt"));
    let audio = audio.as_tensor().unwrap();
    let mut outs = Vec::new();
    for i in 0..8 {
        let chunk: Tensor = audio.narrow(1, i * 512, 512).unwrap().contiguous();
        let y = m
            .forward(vec![Value::Tensor(chunk), Value::Int(16000)])
            .unwrap();
        outs.push(y.as_tensor().unwrap().to_vec_f64().unwrap()[0]);
    }
    let want = load_value(dir.path().join("forward.expected.pt"));
    let want = want.as_tensor().unwrap().to_vec_f64().unwrap();
    for (i, (a, b)) in outs.iter().zip(&want).enumerate() {
        assert!((a - b).abs() <= 1e-4, "chunk {i}: {a} vs torch {b}");
    }
}
