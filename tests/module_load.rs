//! `load_state_dict`: every report path, PyTorch's exact texts, transactional failure,
//! dtype conversion, assign mode, key maps and hints.

use pt::core::{DType, StateDict, Tensor, Value};
use pt::nn::{
    Hint, IncomingState, KeyMap, LoadProblem, LoadStateDictOptions, Module, Parameter, Visitor,
    VisitorMut,
};

#[derive(Module)]
#[module(name = "Linear")]
struct Lin {
    weight: Parameter,
    bias: Option<Parameter>,
}

fn lin(out: usize, inp: usize, start: f32) -> Lin {
    let n = out * inp;
    let w: Vec<f32> = (0..n).map(|i| start + i as f32).collect();
    let b: Vec<f32> = (0..out).map(|i| -(i as f32)).collect();
    Lin {
        weight: Parameter::new(Tensor::from_vec(w, &[out, inp]).unwrap()),
        bias: Some(Parameter::new(Tensor::from_slice_1d(&b))),
    }
}

#[derive(Module)]
struct MyModule {
    l0: Lin,
    l1: Lin,
}

fn my_module(start: f32) -> MyModule {
    MyModule {
        l0: lin(2, 4, start),
        l1: lin(1, 2, start + 100.0),
    }
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>().unwrap()
}

/// The PyTorch text for this scenario, produced by torch 2.15 with the same edits.
const ALL_PROBLEMS: &str = "Error(s) in loading state_dict for MyModule:\n\tMissing key(s) in state_dict: \"l1.bias\". \n\tUnexpected key(s) in state_dict: \"zzz\", \"l0.x.y\". \n\tsize mismatch for l0.bias: copying a param with shape torch.Size([3]) from checkpoint, the shape in current model is torch.Size([2]).\n\tWhile copying the parameter named \"l1.weight\", expected torch.Tensor or Tensor-like object from checkpoint but received <class 'int'>";

fn broken_state() -> StateDict {
    let mut sd = my_module(50.0).state_dict();
    sd.remove("l1.bias");
    sd.insert("zzz", Tensor::zeros(&[1], DType::F32));
    sd.insert("l0.bias", Tensor::zeros(&[3], DType::F32));
    sd.insert_value("l1.weight", Value::Int(5));
    sd.insert("l0.x.y", Tensor::zeros(&[1], DType::F32));
    sd
}

#[test]
fn strict_error_lists_every_problem_like_pytorch() {
    let mut m = my_module(0.0);
    let err = m
        .load_state_dict(&broken_state(), &LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(err.pytorch_message(), ALL_PROBLEMS);
    assert!(err.to_string().starts_with(ALL_PROBLEMS));
    assert_eq!(err.missing_keys, ["l1.bias"]);
    assert_eq!(err.unexpected_keys, ["zzz", "l0.x.y"]);
    let mismatches: Vec<_> = err.size_mismatches().collect();
    assert_eq!(mismatches, [("l0.bias", &[3usize][..], &[2usize][..])]);
    assert_eq!(err.non_tensor_keys().collect::<Vec<_>>(), ["l1.weight"]);
}

#[test]
fn non_strict_still_fails_on_shapes_and_values() {
    let mut m = my_module(0.0);
    let err = m
        .load_state_dict(&broken_state(), &LoadStateDictOptions::non_strict())
        .unwrap_err();
    assert_eq!(
        err.pytorch_message(),
        "Error(s) in loading state_dict for MyModule:\n\tsize mismatch for l0.bias: copying a param with shape torch.Size([3]) from checkpoint, the shape in current model is torch.Size([2]).\n\tWhile copying the parameter named \"l1.weight\", expected torch.Tensor or Tensor-like object from checkpoint but received <class 'int'>"
    );
}

#[test]
fn non_strict_reports_keys() {
    let mut m = my_module(0.0);
    let mut sd = my_module(7.0).state_dict();
    sd.remove("l1.bias");
    sd.insert("zzz", Tensor::zeros(&[1], DType::F32));
    let report = m
        .load_state_dict(&sd, &LoadStateDictOptions::non_strict())
        .unwrap();
    assert_eq!(
        report.to_string(),
        "_IncompatibleKeys(missing_keys=['l1.bias'], unexpected_keys=['zzz'])"
    );
    assert_eq!(f32s(&m.l0.weight)[0], 7.0);
    // The missing bias kept its value.
    assert_eq!(f32s(m.l1.bias.as_ref().unwrap()), [0.0]);
}

#[test]
fn round_trip_matches_all_keys() {
    let mut m = my_module(0.0);
    let report = m
        .load_state_dict(&my_module(3.0).state_dict(), &LoadStateDictOptions::new())
        .unwrap();
    assert_eq!(report.to_string(), "<All keys matched successfully>");
    assert_eq!(f32s(&m.l1.weight), [103.0, 104.0]);
    // Copy, not adoption: the module keeps its own storage and requires_grad.
    assert!(m.l0.weight.requires_grad());
}

#[test]
fn failed_load_changes_nothing() {
    let mut m = my_module(0.0);
    let before = f32s(&m.l0.weight);
    let mut sd = my_module(9.0).state_dict();
    sd.insert("l1.bias", Tensor::zeros(&[5], DType::F32));
    assert!(
        m.load_state_dict(&sd, &LoadStateDictOptions::non_strict())
            .is_err()
    );
    assert_eq!(
        f32s(&m.l0.weight),
        before,
        "l0.weight was written before the failure"
    );
    // PyTorch would have copied l0.* before raising; here everything is intact.
    let mut sd = my_module(9.0).state_dict();
    sd.insert("extra", Tensor::zeros(&[1], DType::F32));
    assert!(
        m.load_state_dict(&sd, &LoadStateDictOptions::new())
            .is_err()
    );
    assert_eq!(f32s(&m.l0.weight), before);
}

#[test]
fn converts_dtypes_and_unwraps_one_element() {
    #[derive(Module)]
    struct Scalarish {
        s: Parameter,
        #[module(buffer)]
        count: Tensor,
    }
    let mut m = Scalarish {
        s: Parameter::new(Tensor::scalar(0.0f32)),
        count: Tensor::scalar(0i64),
    };
    let mut sd = StateDict::new();
    sd.insert("s", Tensor::from_slice_1d(&[2.5f64]));
    sd.insert("count", Tensor::scalar(7.9f64));
    m.load_state_dict(&sd, &LoadStateDictOptions::new())
        .unwrap();
    assert_eq!(m.s.dtype(), DType::F32);
    assert_eq!(m.s.shape(), &[] as &[usize]);
    assert_eq!(f32s(&m.s), [2.5]);
    assert_eq!(m.count.to_vec::<i64>().unwrap(), [7]);
}

#[test]
fn assign_adopts_checkpoint_tensors() {
    let mut m = my_module(0.0);
    let mut sd = StateDict::new();
    let w = Tensor::from_vec((0..8).map(f64::from).collect::<Vec<_>>(), &[2, 4]).unwrap();
    sd.insert("l0.weight", w.clone());
    let report = m
        .load_state_dict(&sd, &LoadStateDictOptions::non_strict().assign(true))
        .unwrap();
    assert_eq!(report.missing_keys, ["l0.bias", "l1.weight", "l1.bias"]);
    assert_eq!(m.l0.weight.dtype(), DType::F64);
    assert!(m.l0.weight.shares_storage(&w));
    assert!(
        m.l0.weight.requires_grad(),
        "parameters keep the module's requires_grad"
    );
}

#[test]
fn key_map_strips_renames_and_drops() {
    let mut source = StateDict::new();
    for (k, v) in my_module(5.0).state_dict().tensors() {
        let k = k.replace("l0.", "features.0.");
        source.insert(format!("module.{k}"), v.clone());
    }
    source.insert("module.head.weight", Tensor::zeros(&[1], DType::F32));
    let mut m = my_module(0.0);
    let map = KeyMap::new()
        .strip_prefix("module.")
        .rename(r"^features\.(\d+)", "l$1")
        .drop(r"^head\.");
    let report = m
        .load_state_dict(&source, &LoadStateDictOptions::new().key_map(map))
        .unwrap();
    assert!(report.is_empty());
    assert_eq!(f32s(&m.l0.weight)[0], 5.0);
}

#[test]
fn data_parallel_prefix_is_detected() {
    let mut source = StateDict::new();
    for (k, v) in my_module(5.0).state_dict().tensors() {
        source.insert(format!("module.{k}"), v.clone());
    }
    let mut m = my_module(0.0);
    let err = m
        .load_state_dict(&source, &LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(err.missing_keys.len(), 4);
    assert_eq!(
        err.hints,
        [Hint::StripPrefix {
            prefix: "module.".into(),
            origin: Some("nn.DataParallel / DistributedDataParallel"),
            explains: 4
        }]
    );
    let text = err.to_string();
    assert!(
        text.contains("KeyMap::new().strip_prefix(\"module.\")"),
        "{text}"
    );
}

#[test]
fn compile_prefix_and_typos_get_hints() {
    let mut source = StateDict::new();
    for (k, v) in my_module(5.0).state_dict().tensors() {
        source.insert(format!("_orig_mod.{k}"), v.clone());
    }
    let mut m = my_module(0.0);
    let err = m
        .load_state_dict(&source, &LoadStateDictOptions::new())
        .unwrap_err();
    assert!(
        matches!(&err.hints[0], Hint::StripPrefix { origin: Some(o), .. } if o.contains("torch.compile"))
    );

    let mut sd = my_module(1.0).state_dict();
    let b = sd.remove("l1.bias").unwrap();
    sd.insert_value("l1.biass", b);
    let err = m
        .load_state_dict(&sd, &LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(
        err.hints,
        [Hint::DidYouMean {
            missing: "l1.bias".into(),
            unexpected: "l1.biass".into()
        }]
    );
    assert!(
        err.to_string()
            .contains("did you mean the unexpected \"l1.biass\"")
    );
}

#[test]
fn unexpected_keys_follow_module_order() {
    // Checkpoint order puts l1's stray key first; PyTorch reports by module, pre-order,
    // with a module's `_extra_state` first.
    let mut sd = my_module(0.0).state_dict();
    sd.insert("l1.stray", Tensor::zeros(&[1], DType::F32));
    sd.insert("l0", Tensor::zeros(&[1], DType::F32));
    sd.insert("top", Tensor::zeros(&[1], DType::F32));
    sd.insert("_extra_state", Tensor::zeros(&[1], DType::F32));
    let mut m = my_module(0.0);
    let report = m
        .load_state_dict(&sd, &LoadStateDictOptions::non_strict())
        .unwrap();
    assert_eq!(
        report.unexpected_keys,
        ["_extra_state", "l0", "top", "l1.stray"]
    );
}

#[test]
fn key_map_collisions_are_errors() {
    let mut sd = my_module(0.0).state_dict();
    let w = sd.tensor("l0.weight").unwrap().clone();
    sd.insert("module.l0.weight", w);
    let mut m = my_module(0.0);
    let err = m
        .load_state_dict(
            &sd,
            &LoadStateDictOptions::new().key_map(KeyMap::new().strip_prefix("module.")),
        )
        .unwrap_err();
    assert!(
        matches!(&err.problems[0], LoadProblem::KeyCollision { key, sources }
        if key == "l0.weight" && sources.len() == 2)
    );
}

#[test]
fn non_persistent_buffers_are_not_state() {
    #[derive(Module)]
    struct WithScratch {
        #[module(buffer, persistent = false)]
        scratch: Tensor,
    }
    let mut m = WithScratch {
        scratch: Tensor::zeros(&[2], DType::F32),
    };
    assert!(m.state_dict().is_empty());
    let mut sd = StateDict::new();
    sd.insert("scratch", Tensor::ones(&[2], DType::F32));
    let err = m
        .load_state_dict(&sd, &LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(err.unexpected_keys, ["scratch"]);
}

/// A hand-written module with a version-aware hook: version-1 checkpoints called the
/// parameter `w`.
struct Renamed {
    weight: Parameter,
}

impl Module for Renamed {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        v.parameter("weight", &self.weight);
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        v.parameter("weight", &mut self.weight);
    }
    fn type_name(&self) -> &str {
        "Renamed"
    }
    fn version(&self) -> i64 {
        2
    }
    fn upgrade_state(&self, prefix: &str, version: Option<i64>, state: &mut IncomingState<'_>) {
        if version.is_none_or(|v| v < 2)
            && let Some(old) = state.remove(&format!("{prefix}w"))
        {
            state.insert(format!("{prefix}weight"), old);
        }
    }
}

#[test]
fn upgrade_hook_sees_versions_with_prefix() {
    #[derive(Module)]
    struct Outer {
        inner: Renamed,
    }
    let mut m = Outer {
        inner: Renamed {
            weight: Parameter::new(Tensor::zeros(&[1], DType::F32)),
        },
    };
    let mut old = StateDict::new();
    old.insert("inner.w", Tensor::ones(&[1], DType::F32));
    old.set_module_version("inner", 1);
    m.load_state_dict(&old, &LoadStateDictOptions::new())
        .unwrap();
    assert_eq!(f32s(&m.inner.weight), [1.0]);
    assert_eq!(m.state_dict().module_version("inner"), Some(2));
    // At version 2 the hook does nothing, so the old name is unexpected.
    old.set_module_version("inner", 2);
    let err = m
        .load_state_dict(&old, &LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(err.unexpected_keys, ["inner.w"]);
}

#[test]
fn renamed_layers_get_a_rename_hint() {
    #[derive(Module)]
    struct Renamed {
        first: Lin,
        l1: Lin,
    }
    let mut m = Renamed {
        first: lin(2, 4, 0.0),
        l1: lin(1, 2, 0.0),
    };
    let err = m
        .load_state_dict(&my_module(1.0).state_dict(), &LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(
        err.hints,
        [Hint::RenameModule {
            from: "l0.".into(),
            to: "first.".into(),
            explains: 2
        }]
    );
    assert!(
        err.to_string()
            .contains(r#"KeyMap::new().rename(r"^l0\.", "first.")"#)
    );
    let map = KeyMap::new().rename(r"^l0\.", "first.");
    assert!(
        m.load_state_dict(
            &my_module(1.0).state_dict(),
            &LoadStateDictOptions::new().key_map(map)
        )
        .unwrap()
        .is_empty()
    );
}

#[test]
fn dtypes_torch_converts_load() {
    // PyTorch's copy_ converts uint16 and float8 checkpoints into a float32 model.
    let mut m = my_module(0.0);
    let mut sd = my_module(1.0).state_dict();
    sd.insert(
        "l1.bias",
        Tensor::from_raw_bytes(&[7, 0], DType::U16, &[1]).unwrap(),
    );
    // 0x38 is 1.0 in float8_e4m3fn.
    sd.insert(
        "l0.bias",
        Tensor::from_raw_bytes(&[0x38, 0x38], DType::F8E4M3Fn, &[2]).unwrap(),
    );
    m.load_state_dict(&sd, &LoadStateDictOptions::new())
        .unwrap();
    assert_eq!(f32s(m.l1.bias.as_ref().unwrap()), [7.0]);
    assert_eq!(f32s(m.l0.bias.as_ref().unwrap()), [1.0, 1.0]);
}

#[derive(Module)]
struct Float8Holder {
    #[module(buffer)]
    scale: Tensor,
    weight: Parameter,
}

#[test]
fn unconvertible_dtypes_are_reported_not_loaded() {
    // pt-core reads float8 but has no conversion into it.
    let mut m = Float8Holder {
        scale: Tensor::from_raw_bytes(&[0], DType::F8E4M3Fn, &[1]).unwrap(),
        weight: Parameter::new(Tensor::zeros(&[2], DType::F32)),
    };
    let mut sd = StateDict::new();
    sd.insert("scale", Tensor::from_slice_1d(&[2.0f32]));
    sd.insert("weight", Tensor::from_slice_1d(&[5.0f32, 6.0]));
    let err = m
        .load_state_dict(&sd, &LoadStateDictOptions::new())
        .unwrap_err();
    let messages = err.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with(
            "While copying the parameter named \"scale\", whose dimensions in the model are torch.Size([1]) and whose dimensions in the checkpoint are torch.Size([1]), an exception occurred : ("
        ),
        "{}",
        messages[0]
    );
    assert_eq!(f32s(&m.weight), [0.0, 0.0], "nothing was loaded");
}
