//! Property tests: chains of view operations agree with a naive reference model, and
//! in-place writes through a view land exactly where the model says.
//!
//! The model keeps, for each logical element of a view (row-major), the flat index of the
//! base element it shows — computed by plain index arithmetic, never from strides. The base
//! holds `arange(n)`, so a view's values must equal the model's indices.

use proptest::prelude::*;
use pt::core::{DType, Tensor};

#[derive(Clone, Debug)]
struct Model {
    shape: Vec<usize>,
    /// Base flat index of each logical element, row-major (its value).
    pos: Vec<usize>,
    /// Memory slot of each element: base indices while the view aliases the base, fresh
    /// indices after a copying reshape.
    slot: Vec<usize>,
    /// Whether the view still aliases the base.
    on_base: bool,
}

fn row_major(shape: &[usize], flat: usize) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    let mut rem = flat;
    for d in (0..shape.len()).rev() {
        idx[d] = rem % shape[d];
        rem /= shape[d];
    }
    idx
}

fn flat_of(shape: &[usize], idx: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

impl Model {
    /// A new model whose element at new index `j` is the old element at `map(j)`.
    fn remap(&self, shape: Vec<usize>, map: impl Fn(&[usize]) -> Vec<usize>) -> Model {
        let n: usize = shape.iter().product();
        let old: Vec<usize> = (0..n)
            .map(|k| flat_of(&self.shape, &map(&row_major(&shape, k))))
            .collect();
        Model {
            shape,
            pos: old.iter().map(|&o| self.pos[o]).collect(),
            slot: old.iter().map(|&o| self.slot[o]).collect(),
            on_base: self.on_base,
        }
    }

    /// The same elements in row-major order with a new shape; `copied` when the real
    /// operation had to copy (new memory).
    fn reshaped(&self, shape: Vec<usize>, copied: bool) -> Model {
        let n = self.pos.len();
        Model {
            shape,
            pos: self.pos.clone(),
            slot: if copied {
                (0..n).collect()
            } else {
                self.slot.clone()
            },
            on_base: self.on_base && !copied,
        }
    }
}

/// One random view operation, its parameters interpreted against the current shape.
#[derive(Clone, Debug)]
struct Op {
    kind: u8,
    a: usize,
    b: usize,
    c: usize,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    (0u8..9, 0usize..64, 0usize..64, 0usize..64).prop_map(|(kind, a, b, c)| Op { kind, a, b, c })
}

/// Applies `op` to both the tensor and the model, or returns `None` when it does not apply.
fn apply(t: &Tensor, m: &Model, op: &Op) -> Option<(Tensor, Model)> {
    let nd = m.shape.len();
    let (a, b, c) = (op.a, op.b, op.c);
    match op.kind {
        // slice(dim, start, end, step) with Python semantics, possibly negative bounds
        0 if nd > 0 => {
            let d = a % nd;
            let size = m.shape[d] as isize;
            let start = (b as isize % (2 * size + 3)) - size - 1;
            let end = (c as isize % (2 * size + 3)) - size - 1;
            let step = 1 + (a / nd) % 3;
            let v = t.slice(d as isize, Some(start), Some(end), step).ok()?;
            let clamp = |x: isize| (if x < 0 { x + size } else { x }).clamp(0, size) as usize;
            let (s, e) = (clamp(start), clamp(end).max(clamp(start)));
            let len = (e - s).div_ceil(step);
            let mut shape = m.shape.clone();
            shape[d] = len;
            Some((
                v,
                m.remap(shape, |j| {
                    let mut i = j.to_vec();
                    i[d] = s + j[d] * step;
                    i
                }),
            ))
        }
        // narrow(dim, start, len)
        1 if nd > 0 => {
            let d = a % nd;
            let size = m.shape[d];
            let s = b % (size + 1);
            let len = c % (size - s + 1);
            let v = t.narrow(d as isize, s as isize, len).ok()?;
            let mut shape = m.shape.clone();
            shape[d] = len;
            Some((
                v,
                m.remap(shape, |j| {
                    let mut i = j.to_vec();
                    i[d] += s;
                    i
                }),
            ))
        }
        // select(dim, index), negative indices too
        2 if nd > 0 && m.shape[a % nd] > 0 => {
            let d = a % nd;
            let size = m.shape[d];
            let i = b % size;
            let index = if c % 2 == 0 {
                i as isize
            } else {
                i as isize - size as isize
            };
            let v = t.select(d as isize, index).ok()?;
            let mut shape = m.shape.clone();
            shape.remove(d);
            Some((
                v,
                m.remap(shape, |j| {
                    let mut idx = j.to_vec();
                    idx.insert(d, i);
                    idx
                }),
            ))
        }
        // transpose(d0, d1)
        3 if nd > 0 => {
            let (d0, d1) = (a % nd, b % nd);
            let v = t.transpose(d0 as isize, d1 as isize - nd as isize).ok()?;
            let mut shape = m.shape.clone();
            shape.swap(d0, d1);
            Some((
                v,
                m.remap(shape, |j| {
                    let mut i = j.to_vec();
                    i.swap(d0, d1);
                    i
                }),
            ))
        }
        // permute by a rotation
        4 if nd > 0 => {
            let r = a % nd;
            let perm: Vec<usize> = (0..nd).map(|i| (i + r) % nd).collect();
            let v = t.permute(&perm).ok()?;
            let shape = perm.iter().map(|&p| m.shape[p]).collect();
            Some((
                v,
                m.remap(shape, |j| {
                    let mut i = vec![0; nd];
                    for (k, &p) in perm.iter().enumerate() {
                        i[p] = j[k];
                    }
                    i
                }),
            ))
        }
        // expand size-1 dims and maybe add a leading dim
        5 if nd < 5 => {
            let lead = a % 2;
            let mut target: Vec<isize> = Vec::new();
            if lead == 1 {
                target.push(1 + (b % 3) as isize);
            }
            for (k, &s) in m.shape.iter().enumerate() {
                target.push(if s == 1 && (c >> k) & 1 == 1 {
                    1 + ((b + k) % 3) as isize
                } else {
                    -1
                });
            }
            let v = t.expand(&target).ok()?;
            let shape: Vec<usize> = target
                .iter()
                .enumerate()
                .map(|(k, &x)| {
                    if x == -1 {
                        m.shape[k - lead]
                    } else {
                        x as usize
                    }
                })
                .collect();
            Some((
                v,
                m.remap(shape, |j| {
                    j[lead..]
                        .iter()
                        .zip(&m.shape)
                        .map(|(&x, &s)| if s == 1 { 0 } else { x })
                        .collect()
                }),
            ))
        }
        // reshape to a random factorisation (row-major order is kept)
        6 => {
            let n: usize = m.shape.iter().product();
            let shape = if n == 0 {
                vec![0, 1 + a % 3]
            } else {
                let divisors: Vec<usize> = (1..=n).filter(|d| n.is_multiple_of(*d)).collect();
                let d = divisors[b % divisors.len()];
                vec![d, n / d]
            };
            let spec: Vec<isize> = if c % 2 == 0 {
                shape.iter().map(|&x| x as isize).collect()
            } else {
                vec![shape[0] as isize, -1]
            };
            if n == 0 && c % 2 == 1 {
                return None; // PyTorch cannot infer -1 next to a zero-sized dimension
            }
            let v = t.reshape(&spec).ok()?;
            let copied = !v.shares_storage(t);
            Some((v, m.reshaped(shape, copied)))
        }
        // unsqueeze
        7 if nd < 5 => {
            let d = a % (nd + 1);
            let v = t.unsqueeze(d as isize).ok()?;
            let mut shape = m.shape.clone();
            shape.insert(d, 1);
            Some((v, m.reshaped(shape, false)))
        }
        // flatten(start, end)
        8 if nd > 0 => {
            let s = a % nd;
            let e = s + b % (nd - s);
            let v = t.flatten(s as isize, e as isize).ok()?;
            let mut shape = m.shape[..s].to_vec();
            shape.push(m.shape[s..=e].iter().product());
            shape.extend_from_slice(&m.shape[e + 1..]);
            let copied = !v.shares_storage(t);
            Some((v, m.reshaped(shape, copied)))
        }
        _ => None,
    }
}

fn base_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 1..4)
}

proptest! {
    // No failure persistence: tests must not write into the source tree.
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn view_chains_match_the_model(shape in base_strategy(), ops in prop::collection::vec(op_strategy(), 0..7)) {
        let n: usize = shape.iter().product();
        let base = Tensor::arange(0, n as i64).unwrap();
        let spec: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
        let mut t = base.view(&spec).unwrap();
        let mut m = Model { shape: shape.clone(), pos: (0..n).collect(), slot: (0..n).collect(), on_base: true };
        for op in &ops {
            if let Some((t2, m2)) = apply(&t, &m, op) {
                t = t2;
                m = m2;
            }
        }
        prop_assert_eq!(t.shape(), &m.shape[..]);
        let got: Vec<usize> = t.to_vec::<i64>().unwrap().into_iter().map(|x| x as usize).collect();
        prop_assert_eq!(&got, &m.pos);
        // The contiguous copy and ndarray view agree too.
        prop_assert_eq!(t.contiguous().to_vec::<i64>().unwrap(), t.to_vec::<i64>().unwrap());
        let nd_sum = t.with_ndarray_view::<i64, _>(|v| v.sum()).unwrap();
        prop_assert_eq!(nd_sum as usize, m.pos.iter().sum::<usize>());
    }

    #[test]
    fn in_place_writes_land_where_the_model_says(shape in base_strategy(), ops in prop::collection::vec(op_strategy(), 0..7)) {
        let n: usize = shape.iter().product();
        let base = Tensor::arange(0, n as i64).unwrap();
        let spec: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
        let mut t = base.view(&spec).unwrap();
        let mut m = Model { shape: shape.clone(), pos: (0..n).collect(), slot: (0..n).collect(), on_base: true };
        for op in &ops {
            if let Some((t2, m2)) = apply(&t, &m, op) {
                t = t2;
                m = m2;
            }
        }
        prop_assert_eq!(t.shares_storage(&base), m.on_base);
        let mut used = vec![false; m.slot.iter().max().map_or(0, |x| x + 1)];
        let overlapping = m.slot.iter().any(|&p| std::mem::replace(&mut used[p], true));
        let result = t.add_scalar_(1000);
        if overlapping {
            // An expanded view: PyTorch refuses to write it, and so do we.
            prop_assert!(result.is_err());
            prop_assert_eq!(base.to_vec::<i64>().unwrap(), (0..n as i64).collect::<Vec<_>>());
        } else {
            prop_assert!(result.is_ok());
            let expected: Vec<i64> = (0..n)
                .map(|i| if m.on_base && used.get(i) == Some(&true) { i as i64 + 1000 } else { i as i64 })
                .collect();
            prop_assert_eq!(base.to_vec::<i64>().unwrap(), expected);
            let after: Vec<i64> = m.pos.iter().map(|&p| p as i64 + 1000).collect();
            prop_assert_eq!(t.to_vec::<i64>().unwrap(), after);
        }
    }

    #[test]
    fn broadcast_add_matches_naive(rows in 1usize..4, cols in 1usize..4, a in prop::collection::vec(-100i32..100, 9), b in prop::collection::vec(-100.0f64..100.0, 3)) {
        let x = Tensor::from_slice(&a[..rows * cols], &[rows, cols]).unwrap();
        let y = Tensor::from_slice(&b[..cols], &[cols]).unwrap();
        let s = x.add(&y).unwrap();
        prop_assert_eq!(s.dtype(), DType::F64);
        let got = s.to_vec::<f64>().unwrap();
        for r in 0..rows {
            for c in 0..cols {
                prop_assert_eq!(got[r * cols + c], f64::from(a[r * cols + c]) + b[c]);
            }
        }
    }

    #[test]
    fn matmul_matches_naive(n in 1usize..5, k in 0usize..5, p in 1usize..5, batch in 1usize..3, seed in any::<u64>()) {
        let mut g = pt::core::Generator::new(seed);
        let a = Tensor::randn(&[batch, n, k], DType::F64, &mut g).unwrap();
        let b = Tensor::randn(&[k, p], DType::F64, &mut g).unwrap();
        let c = a.matmul(&b).unwrap();
        prop_assert_eq!(c.shape(), &[batch, n, p][..]);
        let (av, bv, cv) = (a.to_vec_f64().unwrap(), b.to_vec_f64().unwrap(), c.to_vec_f64().unwrap());
        for bi in 0..batch {
            for i in 0..n {
                for j in 0..p {
                    let want: f64 = (0..k).map(|l| av[bi * n * k + i * k + l] * bv[l * p + j]).sum();
                    prop_assert!((cv[bi * n * p + i * p + j] - want).abs() < 1e-9);
                }
            }
        }
    }
}
