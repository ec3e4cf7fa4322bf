//! `pt run` and `pt inspect` on TorchScript archives.

mod cli_support;

use cli_support::{fixture, parts, pt};

fn jit(name: &str) -> String {
    fixture(&format!("jit/{name}")).to_str().unwrap().to_owned()
}

#[test]
fn prints_the_return_value_as_pytorch_does() {
    let (code, out, err) = parts(&pt([
        "run",
        &jit("div_full_v3.pt"),
        &jit("div_full_v3.inputs.pt"),
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "(tensor([ 3, -3]), tensor([ 3, -3]), tensor([[3., 3.],\n        [3., 3.]]), tensor([1., 1.]))\n"
    );
}

#[test]
fn writes_a_tuple_torch_load_opens() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.pt");
    let (code, _, err) = parts(&pt([
        "run",
        &jit("div_full.pt"),
        &jit("div_full.inputs.pt"),
        out_path.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let got = pt_core::serialize::load(&out_path).unwrap();
    let pt_core::Value::Tuple(items) = got else {
        panic!("not a tuple: {got:?}")
    };
    assert_eq!(items.len(), 4);
    let div = items[0].as_tensor().unwrap().to_vec_f64().unwrap();
    assert_eq!(div, [3.5, -3.5]);
}

#[test]
fn unknown_method_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.pt");
    let (code, _, err) = parts(&pt([
        "run",
        &jit("my_module.pt"),
        &jit("my_module.inputs.pt"),
        out_path.to_str().unwrap(),
        "--method",
        "nope",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("no method nope"), "{err}");
    assert!(!out_path.exists());
}

#[test]
fn inspect_lists_methods_and_code() {
    let (code, out, err) = parts(&pt(["inspect", "--code", &jit("sequential_bn_eval.pt")]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("forward(input: Tensor) -> Tensor"), "{out}");
    assert!(out.contains("__len__() -> int"), "{out}");
    assert!(
        out.contains("# code/__torch__/torch/nn/modules/batchnorm.py"),
        "{out}"
    );
    assert!(out.contains("def _check_input_dim"), "{out}");
}

#[test]
#[ignore = "needs PyTorch: set PT_INTEROP_PYTHON"]
fn torch_loads_the_output_with_weights_only() {
    let python = std::env::var("PT_INTEROP_PYTHON").expect("PT_INTEROP_PYTHON");
    let dir = tempfile::tempdir().unwrap();
    for name in ["div_full", "div_full_v3", "sequential_bn_eval", "my_module"] {
        let out_path = dir.path().join(format!("{name}.out.pt"));
        let (code, _, err) = parts(&pt([
            "run",
            &jit(&format!("{name}.pt")),
            &jit(&format!("{name}.inputs.pt")),
            out_path.to_str().unwrap(),
        ]));
        assert_eq!(code, 0, "{name}: {err}");
        let script = r#"
import sys, torch
got = torch.load(sys.argv[1], weights_only=True)
want = torch.load(sys.argv[2], weights_only=True)
def same(a, b):
    if isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and torch.allclose(a, b.detach(), atol=1e-4, rtol=0))
    if isinstance(b, tuple):
        return isinstance(a, tuple) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b
sys.exit(0 if same(got, want) else 1)
"#;
        let status = std::process::Command::new(&python)
            .args([
                "-c",
                script,
                out_path.to_str().unwrap(),
                &jit(&format!("{name}.expected.pt")),
            ])
            .status()
            .unwrap();
        assert!(
            status.success(),
            "{name}: torch disagrees with pt run's output"
        );
    }
}
