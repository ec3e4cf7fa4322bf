//! Reprs compared with what torch 2.15 prints for the same modules.

use indexmap::IndexMap;
use pt::core::{Generator, Tensor};
use pt::nn::{Linear, Module, Parameter, ReLU, repr};

#[derive(Module)]
struct MyModule {
    l0: Linear,
    l1: Linear,
}

#[derive(Module)]
struct Nested {
    body: MyModule,
    layers: Vec<Linear>,
    acts: IndexMap<String, ReLU>,
    empty: Vec<ReLU>,
}

fn my_module(g: &mut Generator) -> MyModule {
    MyModule {
        l0: Linear::new(4, 2).init_with(g),
        l1: Linear::new(2, 1).init_with(g),
    }
}

#[test]
fn derived_module_repr() {
    let m = my_module(&mut Generator::new(0));
    assert_eq!(
        m.display().to_string(),
        "MyModule(\n  (l0): Linear(in_features=4, out_features=2, bias=True)\n  (l1): Linear(in_features=2, out_features=1, bias=True)\n)"
    );
}

/// torch: nn.ModuleList([nn.Linear(2,2), nn.Linear(2,2), nn.ReLU()]) folds the repeats;
/// nn.ModuleDict({'a': nn.ReLU()}); an empty ModuleList prints `ModuleList()`.
#[test]
fn containers_nest_and_fold() {
    let mut g = Generator::new(0);
    let mut acts = IndexMap::new();
    acts.insert("a".to_owned(), ReLU::new());
    let m = Nested {
        body: my_module(&mut g),
        layers: vec![
            Linear::new(2, 2).init_with(&mut g),
            Linear::new(2, 2).init_with(&mut g),
            Linear::new(2, 3).init_with(&mut g),
        ],
        acts,
        empty: Vec::new(),
    };
    assert_eq!(
        m.display().to_string(),
        "Nested(
  (body): MyModule(
    (l0): Linear(in_features=4, out_features=2, bias=True)
    (l1): Linear(in_features=2, out_features=1, bias=True)
  )
  (layers): ModuleList(
    (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)
    (2): Linear(in_features=2, out_features=3, bias=True)
  )
  (acts): ModuleDict(
    (a): ReLU()
  )
  (empty): ModuleList()
)"
    );
    let dynamic: &dyn Module = &m;
    assert!(dynamic.to_string().starts_with("Nested(\n"));
    let names: Vec<String> = dynamic
        .named_modules()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names.len(), 11);
}

#[test]
fn parameter_and_named_lists_print_like_python() {
    let p = Parameter::new(Tensor::from_slice_1d(&[1.0f32, 2.0]));
    assert_eq!(
        p.to_string(),
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    );
    let items = vec![("it's".to_owned(), 1), ("b".to_owned(), 2)];
    assert_eq!(repr::named_list(&items), "[(\"it's\", 1), ('b', 2)]");
    let bn = pt::nn::BatchNorm1d::new(3);
    assert_eq!(
        repr::state_dict(&bn.state_dict()),
        "OrderedDict([('weight', tensor([1., 1., 1.])), ('bias', tensor([0., 0., 0.])), ('running_mean', tensor([0., 0., 0.])), ('running_var', tensor([1., 1., 1.])), ('num_batches_tracked', tensor(0))])"
    );
}
