//! The ScriptModule API: errors located in the code, attributes, train/eval, state dicts.

mod support;

use pt_core::Tensor;
use pt_jit::{JitError, Value};
use support::load;

#[test]
fn raised_exceptions_carry_message_and_line() {
    let m = load("sequential_bn_eval");
    let x = Value::Tensor(Tensor::from_slice_1d(&[1.0f32, 2.0, 3.0, 4.0, 5.0]));
    let err = m.forward(vec![x]).unwrap_err();
    let JitError::Raised { kind, message, at } = &err else {
        panic!("not a raised exception: {err}");
    };
    assert_eq!(kind, "builtins.ValueError");
    assert_eq!(message, "expected 2D or 3D input (got 1D input)");
    assert!(at.file.ends_with("batchnorm.py"), "{at}");
    assert!(at.text.contains("RaiseException"), "{at}");
    // The debug records name the Python source the line came from.
    assert!(
        at.original
            .as_deref()
            .is_some_and(|o| o.contains("raise ValueError")),
        "{at:?}"
    );
}

#[test]
fn operator_errors_name_the_line() {
    let m = load("my_module");
    // mv of a [10, 20] weight with a 3-vector: a shape error from the kernel.
    let x = Value::Tensor(Tensor::from_slice_1d(&[1.0f32, 2.0, 3.0]));
    let err = m.forward(vec![x]).unwrap_err();
    let JitError::Runtime { at, .. } = &err else {
        panic!("not a runtime error: {err}");
    };
    assert_eq!(at.file, "code/__torch__.py");
    assert_eq!(at.text, "output = torch.mv(weight, input)");
}

#[test]
fn wrong_argument_count_is_a_usage_error() {
    let m = load("my_module");
    assert!(matches!(m.forward(vec![]), Err(JitError::Usage(_))));
}

#[test]
fn state_dict_and_parameters_in_pytorch_order() {
    let m = load("sequential_bn_eval");
    let keys: Vec<String> = m.state_dict().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked"
        ]
    );
    let params: Vec<String> = m.named_parameters().into_iter().map(|(k, _)| k).collect();
    assert_eq!(params, ["0.weight", "0.bias", "1.weight", "1.bias"]);
}

#[test]
fn train_and_eval_reach_every_module() {
    let m = load("sequential_bn_eval");
    assert!(!m.is_training());
    m.train(true);
    assert!(matches!(m.attr("1.training"), Some(Value::Bool(true))));
    m.eval();
    assert!(matches!(m.attr("0.training"), Some(Value::Bool(false))));
}

#[test]
fn attributes_persist_across_calls() {
    let m = load("my_module");
    let w = m
        .attr("weight")
        .and_then(|v| v.as_tensor().cloned())
        .unwrap();
    assert_eq!(w.shape(), [10, 20]);
    // Replacing the weight changes what forward computes.
    m.set_attr(
        "weight",
        Value::Tensor(Tensor::zeros(&[10, 20], pt_core::DType::F32)),
    )
    .unwrap();
    let x = Value::Tensor(Tensor::ones(&[20], pt_core::DType::F32));
    let y = m.forward(vec![x]).unwrap();
    let bias = m
        .attr("linear.bias")
        .and_then(|v| v.as_tensor().cloned())
        .unwrap();
    assert!(y.as_tensor().unwrap().allclose_default(&bias).unwrap());
    assert!(matches!(m.attr("linear.in_features"), Some(Value::Int(10))));
}

#[test]
fn methods_list_signatures() {
    let m = load("control_flow_scripted");
    let sigs: Vec<String> = m.methods().into_iter().map(|m| m.signature).collect();
    assert_eq!(sigs, ["forward(input: Tensor) -> Tensor"]);
    assert_eq!(load("div_full_v3").version(), 3);
}

#[test]
fn module_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<pt_jit::ScriptModule>();
}
