//! Modules against checkpoints written by real PyTorch (tests/fixtures, made by
//! tests/python/make_fixtures.py): key reports, version-aware loading and forward numerics
//! compared with PyTorch's outputs stored in each fixture's JSON.

mod module_support;

use std::path::PathBuf;

use module_support::{MyModule, TinyBlock, nested, small_cnn};
use pt::core::serialize;
use pt::core::{DType, Generator, StateDict, Tensor};
use pt::nn::{BatchNorm1d, Forward, KeyMap, LoadStateDictOptions, Module};
use serde_json::Value as Json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn state(name: &str) -> StateDict {
    serialize::Checkpoint::open(fixture(&format!("{name}.pt")))
        .unwrap()
        .state_dict()
        .unwrap()
}

fn json(name: &str) -> Json {
    let text = std::fs::read_to_string(fixture(&format!("{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// (input, expected output) of the fixture's recorded forward pass.
fn forward_io(name: &str, input_dtype: DType) -> (Tensor, Tensor) {
    let j = json(name);
    (
        nested(&j["forward"]["input"], input_dtype),
        nested(&j["forward"]["output"], DType::F32),
    )
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.to_vec_f64()
        .unwrap()
        .iter()
        .zip(b.to_vec_f64().unwrap())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn mymodule_loads_and_matches_pytorch_forward() {
    let mut m = MyModule::new(&mut Generator::new(0));
    let report = m
        .load_state_dict(&state("mymodule_state"), &LoadStateDictOptions::new())
        .unwrap();
    assert_eq!(report.to_string(), "<All keys matched successfully>");
    let (x, want) = forward_io("mymodule_state", DType::F32);
    let diff = max_abs_diff(&m.forward(&x).unwrap(), &want);
    assert!(diff <= 1e-6, "max abs diff {diff}");
    assert_eq!(
        m.display().to_string(),
        "MyModule(\n  (l0): Linear(in_features=4, out_features=2, bias=True)\n  (l1): Linear(in_features=2, out_features=1, bias=True)\n)"
    );
}

#[test]
fn mymodule_state_dict_matches_fixture_layout() {
    let m = MyModule::new(&mut Generator::new(0));
    let ours = m.state_dict();
    let theirs = state("mymodule_state");
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (k, t) in theirs.tensors() {
        let o = ours.tensor(k).unwrap();
        assert_eq!((o.shape(), o.dtype()), (t.shape(), t.dtype()), "{k}");
        assert!(!o.requires_grad());
    }
    let meta = |sd: &StateDict| {
        sd.metadata()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v["version"].as_i64()))
            .collect::<Vec<_>>()
    };
    assert_eq!(meta(&ours), meta(&theirs));
}

#[test]
fn batchnorm_fixture_round_trip_and_forward() {
    let mut bn = BatchNorm1d::new(3);
    let sd = state("batchnorm_state");
    assert_eq!(sd.module_version(""), Some(2));
    assert!(
        bn.load_state_dict(&sd, &LoadStateDictOptions::new())
            .unwrap()
            .is_empty()
    );
    bn.eval();
    let (x, want) = forward_io("batchnorm_state", DType::F32);
    let diff = max_abs_diff(&bn.forward(&x).unwrap(), &want);
    assert!(diff <= 1e-6, "max abs diff {diff}");
    assert!(
        bn.num_batches_tracked()
            .unwrap()
            .equal(sd.tensor("num_batches_tracked").unwrap())
    );
}

#[test]
fn batchnorm_version_1_checkpoint_keeps_num_batches_tracked() {
    let sd = state("batchnorm_v1_state");
    assert_eq!(sd.module_version(""), Some(1));
    assert!(!sd.contains_key("num_batches_tracked"));
    let mut bn = BatchNorm1d::new(3);
    // Give the module a non-zero count: version-1 loading must keep it.
    bn.train(true);
    bn.forward(&Tensor::ones(&[2, 3], DType::F32)).unwrap();
    let report = bn
        .load_state_dict(&sd, &LoadStateDictOptions::new())
        .unwrap();
    assert_eq!(report.to_string(), "<All keys matched successfully>");
    assert_eq!(
        bn.num_batches_tracked().unwrap().to_vec::<i64>().unwrap(),
        [1]
    );
    bn.eval();
    let (x, want) = forward_io("batchnorm_v1_state", DType::F32);
    assert!(max_abs_diff(&bn.forward(&x).unwrap(), &want) <= 1e-6);

    // Without metadata the version is unknown, treated as old: same result.
    let mut bare = sd.clone();
    bare.set_metadata(None);
    assert!(
        BatchNorm1d::new(3)
            .load_state_dict(&bare, &LoadStateDictOptions::new())
            .unwrap()
            .is_empty()
    );
    // Claiming version 2 makes the absent buffer a missing key, as in PyTorch.
    let mut v2 = sd.clone();
    v2.set_module_version("", 2);
    let err = BatchNorm1d::new(3)
        .load_state_dict(&v2, &LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(
        err.pytorch_message(),
        "Error(s) in loading state_dict for BatchNorm1d:\n\tMissing key(s) in state_dict: \"num_batches_tracked\". "
    );
}

#[test]
fn data_parallel_cnn_ports_with_a_key_map() {
    let sd = state("cnn_state");
    let mut net = small_cnn();
    let err = net
        .load_state_dict(&sd, &LoadStateDictOptions::new())
        .unwrap_err();
    // 8, not 9: `bn` has no `_metadata` entry under its unprefixed name, so (as in
    // PyTorch) it counts as an old checkpoint and `bn.num_batches_tracked` is filled in.
    assert_eq!(err.missing_keys.len(), 8);
    assert!(
        err.to_string()
            .contains("(added by nn.DataParallel / DistributedDataParallel)")
    );
    let opts = LoadStateDictOptions::new().key_map(KeyMap::new().strip_prefix("module."));
    assert!(net.load_state_dict(&sd, &opts).unwrap().is_empty());
    net.eval();
    let (x, want) = forward_io("cnn_state", DType::F32);
    let diff = max_abs_diff(&net.forward(&x).unwrap(), &want);
    assert!(diff <= 1e-5, "max abs diff {diff}");
}

#[test]
fn transformer_block_matches_pytorch() {
    let mut block = TinyBlock::new(&mut Generator::new(0));
    let sd = state("block_state");
    assert!(
        block
            .load_state_dict(&sd, &LoadStateDictOptions::new())
            .unwrap()
            .is_empty()
    );
    block.eval();
    let (ids, want) = forward_io("block_state", DType::I64);
    let diff = max_abs_diff(&block.forward(&ids).unwrap(), &want);
    assert!(diff <= 1e-5, "max abs diff {diff}");
}
