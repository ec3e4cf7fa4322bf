//! Loads and saves from many threads at once: 8 threads × 100 loads of one file (plain and
//! memory-mapped) and concurrent saves to distinct files all give bit-identical results.

use std::path::Path;

use pt::core::serialize::{self, Checkpoint, LoadOptions, SaveOptions};
use pt::core::{DType, StateDict, Tensor, Value};

const THREADS: usize = 8;
const LOADS: usize = 100;

/// A state dict of several dtypes, with a view sharing its base's storage.
fn state_dict() -> StateDict {
    let mut sd = StateDict::new();
    for i in 0..12usize {
        let n = 64 + 97 * i;
        let f: Vec<f32> = (0..n).map(|j| (i * 1000 + j) as f32 * 0.25 - 7.0).collect();
        sd.insert(format!("layer{i}.weight"), Tensor::from_slice_1d(&f));
        let d: Vec<f64> = (0..n / 2).map(|j| (j as f64).sin()).collect();
        sd.insert(format!("layer{i}.stat"), Tensor::from_slice_1d(&d));
        let k: Vec<i64> = (0..n / 4).map(|j| j as i64 * -31 + i as i64).collect();
        sd.insert(format!("layer{i}.index"), Tensor::from_slice_1d(&k));
        let b: Vec<u8> = (0..n / 3).map(|j| (j * 7 + i) as u8).collect();
        sd.insert(format!("layer{i}.mask"), Tensor::from_slice_1d(&b));
    }
    let base = Tensor::from_slice_1d(&(0..256).map(|j| j as f32).collect::<Vec<_>>());
    let view = base
        .with_layout("view", vec![8, 8], vec![16, 2], 3)
        .unwrap();
    sd.insert("shared.base", base);
    sd.insert("shared.view", view);
    sd
}

/// Everything that defines a tensor: key, dtype, layout and the bytes of its storage.
type Fingerprint = Vec<(String, DType, Vec<usize>, Vec<usize>, usize, Vec<u8>)>;

fn fingerprint(value: &Value) -> Fingerprint {
    let sd = StateDict::find(value, None).expect("a state dict");
    sd.tensors()
        .map(|(k, t)| {
            (
                k.to_owned(),
                t.dtype(),
                t.shape().to_vec(),
                t.stride().to_vec(),
                t.storage_offset(),
                t.storage().read().to_vec(),
            )
        })
        .collect()
}

fn load_many(path: &Path, opts: &LoadOptions, expected: &Fingerprint) {
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in 0..LOADS {
                    let v = Checkpoint::open_with(path, opts)
                        .unwrap()
                        .into_value()
                        .unwrap();
                    assert!(
                        fingerprint(&v) == *expected,
                        "thread {t}, load {i}: differs"
                    );
                }
            });
        }
    });
}

#[test]
fn eight_threads_load_one_file_plain_and_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.pt");
    let value = state_dict().to_value();
    serialize::save(&value, &path).unwrap();
    let expected = fingerprint(&value);
    assert_eq!(fingerprint(&serialize::load(&path).unwrap()), expected);
    load_many(&path, &LoadOptions::new(), &expected);
    load_many(&path, &LoadOptions::new().mmap(true), &expected);
}

#[test]
fn concurrent_saves_to_distinct_files_are_identical() {
    let dir = tempfile::tempdir().unwrap();
    let value = state_dict().to_value();
    // One record folder for every file, so the bytes can be compared across names.
    let opts = SaveOptions::new().record_prefix("archive");
    let reference = serialize::save_bytes_with(&value, &opts).unwrap();
    let expected = fingerprint(&value);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (dir, value, opts) = (dir.path(), &value, &opts);
            s.spawn(move || {
                for i in 0..10 {
                    let path = dir.join(format!("t{t}-{i}.pt"));
                    serialize::save_with(value, &path, opts).unwrap();
                }
            });
        }
    });
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("pt"),
            "left behind: {}",
            path.display()
        );
        assert!(
            std::fs::read(&path).unwrap() == reference,
            "{}",
            path.display()
        );
        assert_eq!(fingerprint(&serialize::load(&path).unwrap()), expected);
        files += 1;
    }
    assert_eq!(files, THREADS * 10);
}
