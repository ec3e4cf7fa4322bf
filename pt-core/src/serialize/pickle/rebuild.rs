//! The tensor rebuild functions of `torch._utils`: a view (offset, size, stride) of a loaded
//! storage, validated by the one bounds check, `Tensor::from_parts`.

use super::globals::{Global, Rebuild};
use super::machine::{Id, Machine, Node, bad};
use crate::dtype::DType;
use crate::serialize::error::{LoadError, Location};
use crate::tensor::{Tensor, layout};
use crate::value::Value;

impl Machine<'_> {
    /// Calls a rebuild function on its arguments.
    pub(super) fn rebuild(&mut self, r: Rebuild, a: &[Id]) -> Result<Id, LoadError> {
        let at = self.at;
        let arg = |i: usize| {
            a.get(i)
                .copied()
                .ok_or_else(|| bad(at, format!("tensor rebuild: missing argument {i}")))
        };
        let value = match r {
            Rebuild::TensorV1 => {
                Value::Tensor(self.view(arg(0)?, arg(1)?, arg(2)?, arg(3)?, None)?)
            }
            Rebuild::TensorV2 | Rebuild::TensorV3 => {
                let (dtype, meta) = if r == Rebuild::TensorV3 {
                    let d = match self.node(arg(6)?)? {
                        Node::Global(g) => match g.as_ref() {
                            Global::DType(d) => *d,
                            other => {
                                return Err(LoadError::unsupported(
                                    format!("tensor dtype {}", other.describe()),
                                    Location::at(at),
                                ));
                            }
                        },
                        _ => return Err(bad(at, "_rebuild_tensor_v3: dtype is not a dtype")),
                    };
                    (Some(d), a.get(7))
                } else {
                    (None, a.get(6))
                };
                if let Some(&m) = meta {
                    self.check_metadata(m)?;
                }
                let t = self.view(arg(0)?, arg(1)?, arg(2)?, arg(3)?, dtype)?;
                let rg = self.truth(arg(4)?)?;
                Value::Tensor(t.with_requires_grad(rg))
            }
            Rebuild::Parameter | Rebuild::ParameterWithState => {
                // Python attributes of a parameter (the 4th argument) are dropped.
                let t = self.tensor_of(arg(0)?)?;
                let rg = self.truth(arg(1)?)?;
                Value::Parameter(t.with_requires_grad(rg))
            }
            Rebuild::DeviceFromCpu => {
                let t = self.tensor_of(arg(0)?)?;
                if let Node::Global(g) = self.node(arg(1)?)?
                    && let Global::DType(d) = g.as_ref()
                    && *d != t.dtype()
                {
                    return Err(LoadError::unsupported(
                        format!(
                            "_rebuild_device_tensor_from_cpu_tensor converting {} to {d}",
                            t.dtype()
                        ),
                        Location::at(at),
                    ));
                }
                let rg = self.truth(arg(3)?)?;
                Value::Tensor(t.with_requires_grad(rg))
            }
            Rebuild::Unsupported(what) => {
                return Err(LoadError::unsupported(what, Location::at(at)));
            }
        };
        self.new_value(value)
    }

    /// The tensor held by a node.
    pub(super) fn tensor_of(&self, id: Id) -> Result<Tensor, LoadError> {
        match self.node(id)? {
            &Node::Value(index) => self
                .value(index)?
                .as_tensor()
                .cloned()
                .ok_or_else(|| bad(self.at, "expected a tensor")),
            _ => Err(bad(self.at, "expected a tensor")),
        }
    }

    /// Sizes or strides: a tuple or list of non-negative ints.
    fn dims(&self, id: Id, what: &str) -> Result<Vec<usize>, LoadError> {
        let items = match self.node(id)? {
            &Node::Value(index) => match self.value(index)? {
                Value::Size(d) => {
                    return d
                        .iter()
                        .map(|&x| {
                            usize::try_from(x)
                                .map_err(|_| bad(self.at, format!("negative {what}: {x}")))
                        })
                        .collect();
                }
                _ => return Err(bad(self.at, format!("tensor {what} is not a tuple"))),
            },
            _ => self.seq_slice(id)?,
        };
        items
            .iter()
            .map(|&i| {
                let v = self.non_negative(i, what)?;
                usize::try_from(v).map_err(|_| bad(self.at, format!("{what} too large: {v}")))
            })
            .collect()
    }

    /// The `metadata` argument: only falsy flags are representable.
    fn check_metadata(&self, id: Id) -> Result<(), LoadError> {
        let items = match self.node(id)? {
            Node::None => return Ok(()),
            Node::Dict(d) => d.items.clone(),
            _ => return Err(bad(self.at, "tensor metadata is not a dict")),
        };
        for (k, v) in items {
            let key = self.ascii(k)?;
            if !self.truth(v).unwrap_or(true) {
                continue;
            }
            let what = match key.as_str() {
                "conj" => "tensor with the conjugate bit set (metadata {'conj': True}); call .resolve_conj() before saving".to_owned(),
                "neg" => "tensor with the negative bit set (metadata {'neg': True}); call .resolve_neg() before saving".to_owned(),
                other => format!("tensor metadata {other:?}"),
            };
            return Err(LoadError::unsupported(what, Location::at(self.at)));
        }
        Ok(())
    }

    /// A view of a storage node: validated against the storage (or legacy storage view).
    fn view(
        &self,
        storage: Id,
        offset: Id,
        size: Id,
        stride: Id,
        dtype: Option<DType>,
    ) -> Result<Tensor, LoadError> {
        let at = self.at;
        let &Node::Storage(index) = self.node(storage)? else {
            return Err(bad(at, "tensor rebuild: first argument is not a storage"));
        };
        let (s, key) = self.storage_ref(index)?;
        let key = || format!("storage key {key}");
        let ctx = |e: LoadError| e.for_tensor(&key());
        let offset = self.non_negative(offset, "storage offset").map_err(ctx)?;
        let offset = usize::try_from(offset)
            .map_err(|_| bad(at, "storage offset too large"))
            .map_err(ctx)?;
        let shape = self.dims(size, "size").map_err(ctx)?;
        let stride = self.dims(stride, "stride").map_err(ctx)?;
        let dtype = dtype.unwrap_or(s.dtype);
        let es = dtype.size();
        if s.byte_offset % es != 0 {
            return Err(ctx(bad(
                at,
                format!(
                    "storage view at byte {} is not aligned for {dtype}",
                    s.byte_offset
                ),
            )));
        }
        let oob = |e: crate::error::Error| {
            LoadError::format(
                format!("tensor view does not fit its storage: {e}"),
                Location::at(at).for_tensor(key()),
            )
        };
        layout::check_view("load", dtype, &shape, &stride, offset, s.byte_len).map_err(oob)?;
        let start = (s.byte_offset / es)
            .checked_add(offset)
            .ok_or_else(|| ctx(bad(at, "storage offset overflows")))?;
        Tensor::from_parts(s.storage.clone(), dtype, shape, stride, start).map_err(oob)
    }
}
