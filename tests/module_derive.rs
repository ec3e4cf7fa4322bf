//! `#[derive(Module)]`: field kinds, attributes, ordering, generics.

use indexmap::IndexMap;
use pt::core::{DType, Tensor};
use pt::nn::{Module, Parameter};

fn p(values: &[f32]) -> Parameter {
    Parameter::new(Tensor::from_slice_1d(values))
}

#[derive(Module)]
struct Leaf {
    weight: Parameter,
    bias: Option<Parameter>,
}

fn leaf(bias: bool) -> Leaf {
    Leaf {
        weight: p(&[1.0, 2.0]),
        bias: bias.then(|| p(&[0.5])),
    }
}

#[derive(Module)]
#[module(version = 3, name = "Fancy")]
struct Everything {
    // Declared children first and buffers in between: order must still be params,
    // buffers, children.
    first: Leaf,
    #[module(buffer)]
    running: Tensor,
    scale: Parameter,
    #[module(buffer, persistent = false)]
    scratch: Tensor,
    #[module(buffer)]
    maybe: Option<Tensor>,
    maybe_child: Option<Leaf>,
    absent_child: Option<Leaf>,
    list: Vec<Leaf>,
    dict: IndexMap<String, Leaf>,
    #[module(rename = "renamed")]
    original: Leaf,
    #[module(skip)]
    hidden: usize,
    #[module(training)]
    training: bool,
}

fn everything() -> Everything {
    let mut dict = IndexMap::new();
    dict.insert("b".to_owned(), leaf(false));
    dict.insert("a".to_owned(), leaf(true));
    Everything {
        first: leaf(true),
        running: Tensor::from_slice_1d(&[0.0f32]),
        scale: p(&[3.0]),
        scratch: Tensor::from_slice_1d(&[9.0f32]),
        maybe: None,
        maybe_child: Some(leaf(false)),
        absent_child: None,
        list: vec![leaf(true), leaf(false)],
        dict,
        original: leaf(true),
        hidden: 7,
        training: true,
    }
}

#[test]
fn state_dict_keys_follow_pytorch_order() {
    let m = everything();
    let sd = m.state_dict();
    let keys: Vec<&str> = sd.keys().collect();
    assert_eq!(
        keys,
        [
            "scale",
            "running",
            "first.weight",
            "first.bias",
            "maybe_child.weight",
            "list.0.weight",
            "list.0.bias",
            "list.1.weight",
            "dict.b.weight",
            "dict.a.weight",
            "dict.a.bias",
            "renamed.weight",
            "renamed.bias",
        ]
    );
    let meta: Vec<(&str, i64)> = sd
        .metadata()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        meta,
        [
            ("", 3),
            ("first", 1),
            ("maybe_child", 1),
            ("list", 1),
            ("list.0", 1),
            ("list.1", 1),
            ("dict", 1),
            ("dict.b", 1),
            ("dict.a", 1),
            ("renamed", 1),
        ]
    );
    assert_eq!(m.hidden, 7);
}

#[test]
fn state_dict_tensors_are_detached_views() {
    let m = everything();
    let sd = m.state_dict();
    let t = sd.tensor("scale").unwrap();
    assert!(!t.requires_grad());
    assert!(m.scale.requires_grad());
    assert!(t.shares_storage(&m.scale));
    assert_eq!(t.dtype(), DType::F32);
}

#[test]
fn named_members() {
    let m = everything();
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "scale");
    assert_eq!(names.len(), 12);
    assert_eq!(m.num_parameters(), 2 * 7 + 4 + 1);
    let own: Vec<String> = m.named_buffers(false).into_iter().map(|(n, _)| n).collect();
    assert_eq!(own, ["running", "scratch"]);
    let children: Vec<String> = m.named_children().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        children,
        ["first", "maybe_child", "list", "dict", "renamed"]
    );
    let all: Vec<String> = pt::nn::named_modules(&m)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        all,
        [
            "",
            "first",
            "maybe_child",
            "list",
            "list.0",
            "list.1",
            "dict",
            "dict.b",
            "dict.a",
            "renamed"
        ]
    );
}

#[test]
fn train_and_eval_reach_every_flag() {
    let mut m = everything();
    assert!(m.is_training());
    m.eval();
    assert!(!m.training);
    assert!(!m.is_training());
    m.train(true);
    assert!(m.training);
}

#[derive(Module)]
struct Pair(Leaf, #[module(skip)] u32, Vec<Leaf>);

#[test]
fn tuple_structs_use_indices() {
    let m = Pair(leaf(true), 1, vec![leaf(false)]);
    let keys: Vec<String> = m.state_dict().keys().map(str::to_owned).collect();
    assert_eq!(keys, ["0.weight", "0.bias", "2.0.weight"]);
    assert_eq!(m.1, 1);
}

#[derive(Module)]
struct Generic<A, B: Default> {
    a: A,
    b: Option<B>,
    many: Vec<A>,
    #[module(skip)]
    tag: B,
}

#[test]
fn generic_structs_get_bounds() {
    let m: Generic<Leaf, Vec<Leaf>> = Generic {
        a: leaf(false),
        b: None,
        many: vec![],
        tag: vec![leaf(false)],
    };
    assert_eq!(m.state_dict().len(), 1);
    assert_eq!(m.tag.len(), 1);
}

#[derive(Module)]
#[module(display, extra_repr = "Unit::describe")]
struct Unit;

impl Unit {
    fn describe(&self) -> String {
        "nothing=True".to_owned()
    }
}

#[test]
fn unit_struct_display_and_metadata() {
    let sd = Unit.state_dict();
    assert!(sd.is_empty());
    assert_eq!(sd.module_version(""), Some(1));
    assert_eq!(Unit.to_string(), "Unit(nothing=True)");
}

#[derive(Module)]
#[module(crate = "pt::nn")]
struct Dynamic {
    layers: Vec<Box<dyn pt::nn::Layer>>,
    named: std::collections::BTreeMap<String, Leaf>,
    boxed: Box<Leaf>,
}

#[test]
fn boxed_layers_maps_and_explicit_crate_path() {
    let mut g = pt::core::Generator::new(0);
    let mut named = std::collections::BTreeMap::new();
    named.insert("z".to_owned(), leaf(false));
    named.insert("a".to_owned(), leaf(false));
    let m = Dynamic {
        layers: vec![
            Box::new(pt::nn::Linear::new(2, 2, false, &mut g)),
            Box::new(pt::nn::ReLU::new()),
        ],
        named,
        boxed: Box::new(leaf(true)),
    };
    let sd = m.state_dict();
    let keys: Vec<&str> = sd.keys().collect();
    assert_eq!(
        keys,
        [
            "layers.0.weight",
            "named.a.weight",
            "named.z.weight",
            "boxed.weight",
            "boxed.bias"
        ]
    );
}

#[test]
fn absent_optional_parameter_key_is_unexpected() {
    let mut m = leaf(false);
    let sd = leaf(true).state_dict();
    let err = m
        .load_state_dict(&sd, &pt::nn::LoadStateDictOptions::new())
        .unwrap_err();
    assert_eq!(err.unexpected_keys, ["bias"]);
}
