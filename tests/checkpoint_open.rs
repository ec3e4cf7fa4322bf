//! `Checkpoint`: one way in for every format, and `Module::load_checkpoint`.

mod module_support;

use std::path::PathBuf;

use module_support::MyModule;
use pt::core::serialize::{
    self, Checkpoint, Format, LoadError, save_safetensors, save_safetensors_sharded,
    save_state_dict,
};
use pt::core::{Generator, StateDict, Tensor, Value};
use pt::nn::{LoadCheckpointError, LoadStateDictOptions, Module};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn numbered(n: usize) -> StateDict {
    let mut sd = StateDict::new();
    for i in 0..n {
        sd.insert(
            format!("layers.{i}.weight"),
            Tensor::from_vec((0..6).map(|x| (x + 10 * i) as f32).collect(), &[2, 3]).unwrap(),
        );
    }
    sd.insert_value("step", Value::Int(7));
    sd.set_module_version("layers.0", 2);
    sd
}

fn same(a: &StateDict, b: &StateDict) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in a.iter() {
        match (v.as_tensor(), b.get(k).and_then(Value::as_tensor)) {
            (Some(x), Some(y)) => {
                assert_eq!(x.shape(), y.shape(), "{k}");
                assert_eq!(x.to_contiguous_bytes(), y.to_contiguous_bytes(), "{k}");
            }
            _ => assert_eq!(format!("{v:?}"), format!("{:?}", b.get(k).unwrap()), "{k}"),
        }
    }
    assert_eq!(format!("{:?}", a.metadata()), format!("{:?}", b.metadata()));
}

#[test]
fn opens_every_single_file_format() {
    for (name, format) in [
        ("mymodule_state.pt", Format::Zip),
        ("legacy_state.pt", Format::Legacy),
        ("mymodule_script.pt", Format::TorchScript),
    ] {
        let c = Checkpoint::open(fixture(name)).unwrap();
        assert_eq!(c.format(), format, "{name}");
        let sd = c.state_dict().unwrap();
        let first = sd.keys().next().unwrap().to_owned();
        assert!(c.get(&first).unwrap().unwrap().as_tensor().is_some());
        assert!(!c.describe().unwrap().is_empty());
        assert!(c.shards().is_empty());
    }
    let c = Checkpoint::open(fixture("checkpoint.pt")).unwrap();
    assert!(c.state_dict_at("model").is_ok());
}

#[test]
fn safetensors_round_trip_through_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let sd = numbered(3);
    let path = dir.path().join("m.safetensors");
    save_safetensors(&sd, &path).unwrap();
    let c = Checkpoint::open(&path).unwrap();
    assert_eq!(c.format(), Format::Safetensors);
    same(&sd, &c.state_dict().unwrap());
    // A directory holding it opens too.
    let c = Checkpoint::open(dir.path()).unwrap();
    assert_eq!(c.path(), path);
}

#[test]
fn sharded_safetensors_open_lazily_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let sd = numbered(5);
    // 24 bytes per tensor: two per shard.
    let files = save_safetensors_sharded(&sd, dir.path(), 48).unwrap();
    assert_eq!(files.len(), 4);
    let c = Checkpoint::open(dir.path()).unwrap();
    assert_eq!(c.format(), Format::Sharded);
    assert_eq!(c.shards().len(), 3);
    let w = c.get("layers.4.weight").unwrap().unwrap();
    assert_eq!(
        w.as_tensor().unwrap().to_vec::<f32>().unwrap()[0],
        40.0,
        "the last shard"
    );
    same(&sd, &c.state_dict().unwrap());
    assert_eq!(c.describe().unwrap().len(), sd.len());
    assert_eq!(c.get("step").unwrap().and_then(|v| v.as_i64()), Some(7));
}

#[test]
fn sharded_torch_bins_open_through_their_index() {
    let dir = tempfile::tempdir().unwrap();
    let sd = numbered(2);
    let mut a = StateDict::new();
    let mut b = StateDict::new();
    for (k, v) in sd.tensors() {
        if k.starts_with("layers.0") {
            a.insert(k, v.clone());
        } else {
            b.insert(k, v.clone());
        }
    }
    save_state_dict(&a, dir.path().join("pytorch_model-00001-of-00002.bin")).unwrap();
    save_state_dict(&b, dir.path().join("pytorch_model-00002-of-00002.bin")).unwrap();
    std::fs::write(
        dir.path().join("pytorch_model.bin.index.json"),
        r#"{"metadata": {"total_size": 48}, "weight_map": {
            "layers.0.weight": "pytorch_model-00001-of-00002.bin",
            "layers.1.weight": "pytorch_model-00002-of-00002.bin"}}"#,
    )
    .unwrap();
    let c = Checkpoint::open(dir.path()).unwrap();
    assert_eq!(c.format(), Format::Sharded);
    let got = c.state_dict().unwrap();
    assert_eq!(got.len(), 2);
    // A key mapped to a shard without it names both.
    std::fs::write(
        dir.path().join("pytorch_model.bin.index.json"),
        r#"{"weight_map": {"layers.0.weight": "pytorch_model-00002-of-00002.bin"}}"#,
    )
    .unwrap();
    let e = Checkpoint::open(dir.path())
        .unwrap()
        .get("layers.0.weight")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layers.0.weight") && e.contains("pytorch_model-00002-of-00002.bin"),
        "{e}"
    );
    // A missing shard names the shard and a key in it.
    std::fs::remove_file(dir.path().join("pytorch_model-00002-of-00002.bin")).unwrap();
    let e = Checkpoint::open(dir.path()).unwrap_err();
    assert!(matches!(e, LoadError::Io { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("pytorch_model-00002-of-00002.bin") && e.contains("layers.0.weight"),
        "{e}"
    );
}

#[test]
fn load_checkpoint_reads_any_format_into_a_module() {
    let mut g = Generator::new(0);
    let mut model = MyModule::new(&mut g);
    let report = model.load_checkpoint(fixture("mymodule_state.pt")).unwrap();
    assert_eq!(report.to_string(), "<All keys matched successfully>");
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("m.safetensors");
    save_safetensors(&model.state_dict(), &st).unwrap();
    let mut other = MyModule::new(&mut Generator::new(1));
    other.load_checkpoint(&st).unwrap();
    same(&model.state_dict(), &other.state_dict());
    // Errors say which step failed.
    let e = other
        .load_checkpoint(fixture("batchnorm_state.pt"))
        .unwrap_err();
    assert!(matches!(e, LoadCheckpointError::Load { .. }), "{e}");
    let e = other
        .load_checkpoint_with(
            dir.path().join("absent.pt"),
            &LoadStateDictOptions::non_strict(),
        )
        .unwrap_err();
    assert!(matches!(e, LoadCheckpointError::Read { .. }), "{e}");
    // `load` is the value shorthand.
    assert!(serialize::load(&st).unwrap().as_dict().is_some());
}
