//! The ResNet-18 port (`examples/resnet18/`) against torchvision: a freshly initialised
//! `resnet18()` state dict loads strictly and the logits of a batch match torch's within
//! 1e-4. Needs torch and torchvision (`PT_INTEROP_PYTHON`).

#[path = "../examples/resnet18/model.rs"]
mod model;

use std::path::PathBuf;
use std::process::Command;

use pt::core::serialize;
use pt::nn::{Forward, LoadStateDictOptions, Module};

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON"]
fn resnet18_matches_torchvision() {
    let python =
        std::env::var("PT_INTEROP_PYTHON").expect("PT_INTEROP_PYTHON names a python with torch");
    let dir = std::env::temp_dir().join(format!("pt-resnet18-{}", std::process::id()));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/resnet18_export.py");
    let ok = Command::new(&python)
        .arg(&script)
        .arg(&dir)
        .status()
        .expect("running the export script");
    assert!(ok.success(), "resnet18_export.py failed");

    let state = serialize::Checkpoint::open(dir.join("state.pt"))
        .and_then(|c| c.state_dict())
        .unwrap();
    let mut m = model::ResNet18::new(1000);
    m.load_state_dict(&state, &LoadStateDictOptions::new())
        .expect("strict load");
    m.eval();
    let io = serialize::Checkpoint::open(dir.join("io.pt"))
        .and_then(|c| c.state_dict())
        .unwrap();
    let (x, want) = (io.tensor("input").unwrap(), io.tensor("output").unwrap());
    let got = m.forward(x).unwrap();
    assert_eq!(got.shape(), want.shape());
    let worst = got
        .to_vec_f64()
        .unwrap()
        .iter()
        .zip(want.to_vec_f64().unwrap())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    std::fs::remove_dir_all(&dir).ok();
    assert!(worst <= 1e-4, "max |ours - torch| = {worst}");
}
