//! Plain checkpoint entries written by real PyTorch read into Rust types through serde.

use std::collections::BTreeMap;
use std::path::Path;

use pt::core::serialize;
use pt::core::{SerdeError, Value};

fn checkpoint() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoint.pt");
    serialize::load(&path).expect("checkpoint.pt loads")
}

#[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
struct ParamGroup {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    foreach: Option<bool>,
    params: Vec<usize>,
}

#[test]
fn optimizer_param_groups_read_into_structs() {
    let ck = checkpoint();
    assert_eq!(ck.get("epoch").unwrap().to_serde::<u32>().unwrap(), 5);
    assert_eq!(
        ck.get("name").unwrap().to_serde::<String>().unwrap(),
        "run-1"
    );
    let groups: Vec<ParamGroup> = ck
        .path("optimizer.param_groups")
        .unwrap()
        .to_serde()
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].betas, (0.9, 0.999));
    assert_eq!(groups[0].eps, 1e-8);
    assert_eq!(groups[0].params, [0, 1, 2, 3]);
    assert_eq!(groups[0].foreach, None);
    // And back: a group written from Rust reads the same.
    let again: ParamGroup = Value::from_serde(&groups[0]).unwrap().to_serde().unwrap();
    assert_eq!(again, groups[0]);
}

#[test]
fn python_containers_map_to_rust_ones() {
    let ck = checkpoint();
    let extra = ck.get("extra").unwrap();
    let bytes: Vec<u8> = extra.get("bytes").unwrap().to_serde().unwrap();
    assert_eq!(bytes, [0x00, 0xff, b'a', b'b']);
    let tuple: (i64, f64, String) = extra.get("tuple").unwrap().to_serde().unwrap();
    assert_eq!(tuple, (1, 2.5, "x".to_owned()));
    let set: Vec<i64> = extra.get("set").unwrap().to_serde().unwrap();
    assert_eq!(set, [1, 2, 3]);
    let by_int: BTreeMap<u32, String> = extra.get("int_keys").unwrap().to_serde().unwrap();
    assert_eq!(by_int[&1], "b");
    assert_eq!(
        extra.get("big").unwrap().to_serde::<i64>().unwrap(),
        1 << 40
    );
}

#[test]
fn tensors_and_torch_objects_are_refused_by_path() {
    let ck = checkpoint();
    let err = ck.to_json().unwrap_err();
    assert!(
        matches!(&err, SerdeError::NotPlain { path, kind: "tensor" } if path.starts_with("model.")),
        "{err}"
    );
    let err = ck.get("extra").unwrap().to_json().unwrap_err();
    assert!(matches!(err, SerdeError::NotPlain { .. }), "{err}");
}

/// A map that serializes its entries in the order given (not a struct: serde gives a
/// struct's fields in declaration order whatever the JSON map does).
struct Ordered(Vec<(&'static str, i64)>);

impl serde::Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[test]
fn from_serde_keeps_the_order_of_a_map() {
    // Keys deliberately out of sorted order: a sorting JSON map would reorder them.
    let entries = vec![("zeta", 1), ("alpha", 2), ("mid", 3), ("beta", 4)];
    let v = Value::from_serde(&Ordered(entries.clone())).unwrap();
    let Value::Dict(d) = &v else {
        panic!("a map becomes a dict, got {v:?}")
    };
    let got: Vec<(String, i64)> = d
        .items
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_i64().unwrap()))
        .collect();
    let want: Vec<(String, i64)> = entries.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!(got, want);
}
