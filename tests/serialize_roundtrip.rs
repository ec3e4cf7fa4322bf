//! Save → load round trips: every value kind, every dtype, shared views, atomic file saves,
//! the archive layout PyTorch expects, and a property test over random values.

mod serialize_support;

use std::path::Path;

use indexmap::IndexMap;
use proptest::prelude::*;
use pt::core::serialize::{
    self, LoadOptions, SaveError, SaveOptions, load_bytes, save_bytes, save_bytes_with,
};
use pt::core::{Complex64, DType, Dict, DictKind, Key, Object, StateDict, Tensor, Value};
use serialize_support::{records, same_value, sharing_pattern};

fn tensor_of(dtype: DType, n: usize, seed: u8) -> Tensor {
    let bytes: Vec<u8> = (0..n * dtype.size())
        .map(|i| {
            let b = (i as u8).wrapping_mul(37).wrapping_add(seed);
            // Bool storage bytes are 0/1, as PyTorch writes them.
            if dtype == DType::Bool { b & 1 } else { b }
        })
        .collect();
    Tensor::from_raw_bytes(&bytes, dtype, &[n]).unwrap()
}

fn dict(kind: DictKind, items: Vec<(Key, Value)>) -> Value {
    let mut d = Dict::new(kind);
    for (k, v) in items {
        d.items.insert(k, v);
    }
    Value::Dict(d)
}

/// One value of every kind PyTorch's weights_only loader accepts.
fn every_kind() -> Value {
    let base = Tensor::from_vec((0..12).map(|x| x as f32).collect(), &[3, 4]).unwrap();
    let row = base.with_layout("row", vec![4], vec![1], 4).unwrap();
    let col = base.with_layout("col", vec![3], vec![4], 2).unwrap();
    let tr = base.with_layout("t", vec![4, 3], vec![1, 4], 0).unwrap();
    let small = Tensor::from_slice_1d(&[1.0f32, 2.0, 3.0]);
    let expanded = small
        .with_layout("expand", vec![2, 3], vec![0, 1], 0)
        .unwrap();
    let mut sd = StateDict::new();
    sd.insert("l0.weight", tensor_of(DType::F32, 8, 1));
    sd.insert("bn.running_mean", tensor_of(DType::F32, 3, 2));
    sd.set_module_version("", 1);
    sd.set_module_version("bn", 2);
    let dtypes: Vec<Value> = DType::ALL
        .iter()
        .enumerate()
        .map(|(i, &d)| Value::Tensor(tensor_of(d, 5, i as u8)))
        .collect();
    let big: Vec<Value> = (0..2500).map(Value::Int).collect();
    let mut counter = Dict::new(DictKind::Counter);
    counter.insert("a", 2i64);
    let mut root = IndexMap::new();
    root.insert(
        Key::Str("views".into()),
        Value::List(vec![
            base.clone().into(),
            row.into(),
            col.into(),
            tr.into(),
            expanded.into(),
        ]),
    );
    root.insert(Key::Str("dtypes".into()), Value::List(dtypes));
    root.insert(
        Key::Str("scalars".into()),
        Value::Tuple(vec![
            Value::None,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(0),
            Value::Int(255),
            Value::Int(65535),
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::BigInt(vec![0, 0, 0, 0, 0, 0, 0, 0, 0x40]),
            Value::Float(f64::NAN),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(-0.0),
            Value::Complex(Complex64::new(1.0, -2.0)),
            Value::Str("héllo ✓".into()),
            Value::Bytes(vec![0, 0xFF, b'a']),
            Value::Bytes(vec![]),
            Value::ByteArray(vec![1, 2]),
            Value::Size(vec![2, 3]),
            Value::Size(vec![]),
            Value::DType(DType::BF16),
            Value::Device("cpu".into()),
            Value::Device("cuda:1".into()),
        ]),
    );
    root.insert(
        Key::Str("containers".into()),
        Value::List(vec![
            Value::Tuple(vec![]),
            Value::Tuple(vec![Value::Int(1)]),
            Value::Tuple(vec![
                Value::Int(1),
                Value::Int(2),
                Value::Int(3),
                Value::Int(4),
            ]),
            Value::List(big),
            Value::Set(vec![Value::Int(1), Value::Str("x".into())]),
            dict(
                DictKind::Plain,
                vec![
                    (Key::Int(7), Value::Str("seven".into())),
                    (
                        Key::Tuple(vec![Key::Int(1), Key::Str("a".into())]),
                        Value::None,
                    ),
                    (Key::Bool(true), Value::Int(1)),
                    (Key::None, Value::Int(2)),
                    (Key::FloatBits(1.5f64.to_bits()), Value::Int(3)),
                    (Key::Bytes(vec![1, 2]), Value::Int(4)),
                ],
            ),
            Value::Dict(counter),
        ]),
    );
    root.insert(Key::Str("state".into()), sd.to_value());
    root.insert(
        Key::Str("params".into()),
        Value::List(vec![
            Value::Parameter(tensor_of(DType::F32, 4, 9).with_requires_grad(true)),
            Value::Parameter(tensor_of(DType::F64, 2, 9)),
            Value::Tensor(tensor_of(DType::F32, 2, 3).with_requires_grad(true)),
            Value::Tensor(Tensor::scalar(2.5f64)),
            Value::Tensor(Tensor::from_vec(Vec::<f32>::new(), &[0, 4]).unwrap()),
        ]),
    );
    Value::Dict(Dict {
        kind: DictKind::Plain,
        items: root,
        attrs: IndexMap::new(),
    })
}

fn round_trip(v: &Value) -> Value {
    let bytes = save_bytes(v).unwrap();
    load_bytes(&bytes, &LoadOptions::new()).unwrap().value
}

#[test]
fn every_kind_round_trips_with_sharing() {
    let v = every_kind();
    let back = round_trip(&v);
    same_value(&v, &back, "").unwrap();
    assert_eq!(sharing_pattern(&v), sharing_pattern(&back));
    // The five views of the first list are one storage.
    assert_eq!(&sharing_pattern(&back)[..5], &[0, 0, 0, 0, 1]);
    let sd = StateDict::from_value(back.get("state").unwrap()).unwrap();
    assert_eq!(sd.module_version("bn"), Some(2));
}

#[test]
fn archive_layout_is_pytorchs() {
    let bytes = save_bytes(&every_kind()).unwrap();
    let recs = records(&bytes);
    let names: Vec<&str> = recs.iter().map(|r| r.name.as_str()).collect();
    let n_storages = names
        .iter()
        .filter(|n| n.starts_with("archive/data/"))
        .count();
    let mut expected = vec![
        "archive/data.pkl".to_owned(),
        "archive/.format_version".to_owned(),
        "archive/.storage_alignment".to_owned(),
        "archive/byteorder".to_owned(),
    ];
    expected.extend((0..n_storages).map(|i| format!("archive/data/{i}")));
    expected.push("archive/version".into());
    expected.push("archive/.data/serialization_id".into());
    assert_eq!(names, expected);
    for r in &recs {
        assert_eq!(r.method, 0, "{} stored", r.name);
        assert_eq!(r.data_offset % 64, 0, "{} aligned", r.name);
        let want_flags = if r.size == 0 { 0x0800 } else { 0x0808 };
        assert_eq!(r.flags, want_flags, "{}", r.name);
    }
    let data = |name: &str| {
        let r = recs.iter().find(|r| r.name == name).unwrap();
        &bytes[r.data_offset as usize..(r.data_offset + r.size) as usize]
    };
    assert_eq!(data("archive/.format_version"), b"1");
    assert_eq!(data("archive/.storage_alignment"), b"64");
    assert_eq!(data("archive/byteorder"), b"little");
    assert_eq!(data("archive/version"), b"3\n");
    assert_eq!(data("archive/.data/serialization_id").len(), 40);
    assert_eq!(&data("archive/data.pkl")[..2], &[0x80, 2]);
}

#[test]
fn forced_zip64_round_trips() {
    let v = every_kind();
    let bytes = save_bytes_with(&v, &SaveOptions::new().zip64_threshold(0)).unwrap();
    let back = load_bytes(&bytes, &LoadOptions::new()).unwrap().value;
    same_value(&v, &back, "").unwrap();
    assert!(records(&bytes).iter().all(|r| r.data_offset % 64 == 0));
}

#[test]
fn one_storage_with_two_dtypes_is_refused() {
    let s = tensor_of(DType::F32, 4, 0);
    let as_int = Tensor::from_parts(s.storage().clone(), DType::I32, vec![4], vec![1], 0).unwrap();
    let v = Value::List(vec![s.into(), as_int.into()]);
    match save_bytes(&v) {
        Err(SaveError::SharedStorageDtype {
            first_path, path, ..
        }) => assert_eq!((first_path.as_str(), path.as_str()), ("0", "1")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn inert_objects_are_not_saved() {
    let o = Value::Object(Box::new(Object {
        module: "__main__".into(),
        name: "M".into(),
        args: vec![],
        state: None,
        items: vec![],
    }));
    let v = Value::List(vec![Value::Int(1), o]);
    assert!(matches!(save_bytes(&v), Err(SaveError::Unsupported { path, .. }) if path == "1"));
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn file_saves_are_atomic_and_use_the_file_stem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my.model.pt");
    let v = every_kind();
    serialize::save(&v, &path).unwrap();
    let first = std::fs::read(&path).unwrap();
    assert!(records(&first)[0].name.starts_with("my.model/"));
    same_value(&v, &serialize::load(&path).unwrap(), "").unwrap();
    // A failing save leaves the destination and the directory untouched.
    let bad = Value::List(vec![Value::Object(Box::new(Object {
        module: "m".into(),
        name: "C".into(),
        args: vec![],
        state: None,
        items: vec![],
    }))]);
    assert!(serialize::save(&bad, &path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), first);
    assert_eq!(dir_entries(dir.path()), ["my.model.pt"]);
    // Overwriting replaces the whole file.
    serialize::save(&Value::Int(3), &path).unwrap();
    assert!(matches!(serialize::load(&path).unwrap(), Value::Int(3)));
    assert_eq!(dir_entries(dir.path()), ["my.model.pt"]);
    assert!(matches!(
        serialize::save(&Value::None, dir.path().join(".hidden")),
        Err(SaveError::InvalidFileName(_))
    ));
    let sd_path = dir.path().join("sd.pt");
    let mut sd = StateDict::new();
    sd.insert("w", tensor_of(DType::F16, 3, 0));
    serialize::save_state_dict(&sd, &sd_path).unwrap();
    let back = serialize::Checkpoint::open(&sd_path)
        .unwrap()
        .state_dict()
        .unwrap();
    assert_eq!(back.keys().collect::<Vec<_>>(), ["w"]);
}

#[test]
fn writer_and_reader_apis_agree() {
    let v = every_kind();
    let cursor = serialize::save_writer(&v, std::io::Cursor::new(Vec::new())).unwrap();
    let bytes = cursor.into_inner();
    let back = serialize::load_reader(std::io::Cursor::new(&bytes), &LoadOptions::new())
        .unwrap()
        .value;
    same_value(&v, &back, "").unwrap();
}

#[test]
fn big_endian_order_is_swapped_back() {
    // A checkpoint whose records are big-endian: what PyTorch on s390x writes.
    let v = Value::List(vec![
        Value::Tensor(Tensor::from_slice_1d(&[1.0f32, -2.5])),
        Value::Tensor(Tensor::from_slice_1d(&[pt::core::Complex32::new(1.0, 2.0)])),
        Value::Tensor(Tensor::from_slice_1d(&[true, false])),
    ]);
    let bytes = save_bytes(&v).unwrap();
    let recs = records(&bytes);
    let mut be = bytes.clone();
    for r in &recs {
        let range = r.data_offset as usize..(r.data_offset + r.size) as usize;
        match r.name.as_str() {
            "archive/byteorder" => {
                // Same length ("little" → "big" would move data): rewrite as an override.
                assert_eq!(&be[range], b"little");
            }
            "archive/data/0" | "archive/data/1" => {
                for chunk in be[range].chunks_mut(4) {
                    chunk.reverse();
                }
            }
            _ => {}
        }
    }
    // Without a byteorder record telling otherwise, the per-call default decides.
    let opts = LoadOptions::new().default_endianness(Some(serialize::LoadEndianness::Big));
    let stripped = strip_byteorder(&be);
    let back = load_bytes(&stripped, &opts).unwrap().value;
    same_value(&v, &back, "").unwrap();
}

/// Renames the `byteorder` record so it no longer counts (same length keeps offsets valid).
fn strip_byteorder(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let needle = b"archive/byteorder";
    let mut i = 0;
    while let Some(p) = out[i..].windows(needle.len()).position(|w| w == needle) {
        let at = i + p + needle.len() - 9;
        out[at..at + 9].copy_from_slice(b"byteorde_");
        i = i + p + needle.len();
    }
    out
}

// ---------------------------------------------------------------------------
// Property test: random trees of values over a small pool of shared storages.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Shape {
    Leaf(Value),
    View {
        pool: usize,
        offset: usize,
        len: usize,
        step: usize,
    },
    List(Vec<Shape>),
    Tuple(Vec<Shape>),
    Dict(Vec<(String, Shape)>),
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<u64>().prop_map(|b| Value::Float(f64::from_bits(b))),
        "[a-zé✓]{0,8}".prop_map(Value::Str),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
        (0usize..DType::ALL.len()).prop_map(|i| Value::DType(DType::ALL[i])),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        scalar().prop_map(Shape::Leaf),
        (0usize..3, 0usize..16, 0usize..6, 1usize..4).prop_map(|(pool, offset, len, step)| {
            Shape::View {
                pool,
                offset,
                len,
                step,
            }
        }),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Shape::List),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Shape::Tuple),
            proptest::collection::vec(("[a-z]{1,4}", inner), 0..5).prop_map(Shape::Dict),
        ]
    })
}

fn build(s: &Shape, pool: &[Tensor]) -> Value {
    match s {
        Shape::Leaf(v) => v.clone(),
        Shape::View {
            pool: p,
            offset,
            len,
            step,
        } => {
            let base = &pool[*p];
            let n = base.numel();
            let offset = offset % (n + 1);
            let max_len = if n > offset {
                (n - offset - 1) / step + 1
            } else {
                0
            };
            let len = (*len).min(max_len);
            Value::Tensor(
                base.with_layout("view", vec![len], vec![*step], offset)
                    .unwrap(),
            )
        }
        Shape::List(items) => Value::List(items.iter().map(|x| build(x, pool)).collect()),
        Shape::Tuple(items) => Value::Tuple(items.iter().map(|x| build(x, pool)).collect()),
        Shape::Dict(items) => dict(
            DictKind::Ordered,
            items
                .iter()
                .map(|(k, v)| (Key::Str(k.clone()), build(v, pool)))
                .collect(),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_values_round_trip(
        s in shape(),
        dtypes in proptest::collection::vec(0usize..DType::ALL.len(), 3),
        sizes in proptest::collection::vec(0usize..17, 3),
    ) {
        let pool: Vec<Tensor> = dtypes
            .iter()
            .zip(&sizes)
            .enumerate()
            .map(|(i, (&d, &n))| tensor_of(DType::ALL[d], n, i as u8))
            .collect();
        let v = build(&s, &pool);
        let back = round_trip(&v);
        prop_assert!(same_value(&v, &back, "").is_ok(), "{:?}", same_value(&v, &back, ""));
        prop_assert_eq!(sharing_pattern(&v), sharing_pattern(&back));
    }
}
