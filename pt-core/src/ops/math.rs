//! Element-wise math beyond the arithmetic operators (`clamp`, `pow`, `atan2`,
//! logical ops), reductions over several dimensions (`mean_dims`, `var_dims`, `std_dim`)
//! and `topk`.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::promote::{promote_types, to_float};
use crate::ops::values::Values;
use crate::tensor::Tensor;
use crate::tensor::views::{broadcast_shapes, wrap_dim};

/// Applies `f` to a real floating tensor (integers computed in `float32`), keeping the
/// floating dtype.
fn real_map(t: &Tensor, op: &'static str, f: impl Fn(f64) -> f64) -> Result<Tensor> {
    let out = to_float(t.dtype());
    if out.is_complex() {
        return Err(Error::DType {
            op,
            dtype: out,
            detail: format!(": \"{op}\" not implemented for complex"),
        });
    }
    if t.dtype() == DType::F32 {
        // Fast path: no detour through f64 buffers.
        let c = t.contiguous();
        let v: Vec<f32> = c
            .read_slice::<f32>()?
            .iter()
            .map(|&x| f(f64::from(x)) as f32)
            .collect();
        return Tensor::from_vec(v, t.shape());
    }
    let Values::Float(v) = Values::read(&t.to_dtype(out)?, op)? else {
        unreachable!("converted to a real floating dtype")
    };
    Values::Float(v.into_iter().map(f).collect()).into_tensor(t.shape(), out, op)
}

/// Applies `f` to two broadcast real operands in their promoted floating dtype.
fn real_map2(
    a: &Tensor,
    b: &Tensor,
    op: &'static str,
    f: impl Fn(f64, f64) -> f64,
) -> Result<Tensor> {
    let out = to_float(promote_types(a.dtype(), b.dtype())?);
    if out.is_complex() {
        return Err(Error::DType {
            op,
            dtype: out,
            detail: format!(": \"{op}\" not implemented for complex"),
        });
    }
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let read = |t: &Tensor| -> Result<Vec<f64>> {
        match Values::read(&t.to_dtype(out)?.broadcast_to(&shape)?, op)? {
            Values::Float(v) => Ok(v),
            _ => unreachable!("converted to a real floating dtype"),
        }
    };
    let (x, y) = (read(a)?, read(b)?);
    let v = x.into_iter().zip(y).map(|(p, q)| f(p, q)).collect();
    Values::Float(v).into_tensor(&shape, out, op)
}

/// The elements as booleans (`!= 0`).
fn truth(t: &Tensor, op: &'static str) -> Result<Tensor> {
    t.to_dtype(DType::Bool)
        .map_err(|_| Error::dtype(op, t.dtype()))
}

impl Tensor {
    /// Limits every element to `[min, max]` (either bound optional; `min > max` gives `max`,
    /// NaN stays NaN), same dtype (`torch.clamp`).
    ///
    /// # Errors
    /// [`Error::Argument`] if both bounds are `None`; [`Error::DType`] for bool and complex.
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Result<Tensor> {
        if min.is_none() && max.is_none() {
            return Err(Error::argument(
                "clamp",
                "At least one of 'min' or 'max' must not be None",
            ));
        }
        let f = move |x: f64| {
            let mut y = x;
            if let Some(lo) = min {
                y = if y < lo { lo } else { y };
            }
            if let Some(hi) = max {
                y = if y > hi { hi } else { y };
            }
            y
        };
        match Values::read(self, "clamp")? {
            Values::Float(_) => real_map(self, "clamp", f),
            Values::Int(v) => Values::Int(v.into_iter().map(|x| f(x as f64) as i64).collect())
                .into_tensor(self.shape(), self.dtype(), "clamp"),
            _ => Err(Error::dtype("clamp", self.dtype())),
        }
    }

    /// `self ^ exponent` element-wise, broadcasting, in the promoted floating dtype
    /// (`torch.pow`; see [`Tensor::pow_f`] for a number exponent).
    ///
    /// # Errors
    /// [`Error::Shape`] if the shapes do not broadcast; [`Error::DType`] for complex.
    pub fn pow(&self, exponent: &Tensor) -> Result<Tensor> {
        real_map2(self, exponent, "pow", f64::powf)
    }

    /// `atan2(self, other)` element-wise, broadcasting (`torch.atan2`).
    ///
    /// # Errors
    /// [`Error::Shape`] if the shapes do not broadcast; [`Error::DType`] for complex.
    pub fn atan2(&self, other: &Tensor) -> Result<Tensor> {
        real_map2(self, other, "atan2", f64::atan2)
    }

    /// Element-wise logical and, as bool (`torch.logical_and`).
    ///
    /// # Errors
    /// [`Error::Shape`] if the shapes do not broadcast.
    pub fn logical_and(&self, other: &Tensor) -> Result<Tensor> {
        truth(self, "logical_and")?.mul(&truth(other, "logical_and")?)
    }

    /// Element-wise logical or, as bool (`torch.logical_or`).
    ///
    /// # Errors
    /// [`Error::Shape`] if the shapes do not broadcast.
    pub fn logical_or(&self, other: &Tensor) -> Result<Tensor> {
        truth(self, "logical_or")?.add(&truth(other, "logical_or")?)
    }

    /// Element-wise logical not, as bool (`torch.logical_not`).
    ///
    /// # Errors
    /// [`Error::DType`] for dtypes without a truth value (float8).
    pub fn logical_not(&self) -> Result<Tensor> {
        let t = truth(self, "logical_not")?;
        let v: Vec<bool> = t.to_vec::<bool>()?.into_iter().map(|b| !b).collect();
        Tensor::from_vec(v, self.shape())
    }

    /// Mean over several dimensions (`torch.mean(x, dims, keepdim)`); an empty list
    /// reduces everything.
    ///
    /// # Errors
    /// As [`Tensor::mean_dim`]; [`Error::Argument`] for a repeated dimension.
    pub fn mean_dims(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        over_dims(self, dims, keepdim, "mean", |t| t.mean_dim(-1, false))
    }

    /// Variance over several dimensions with `correction` (1 = unbiased)
    /// (`torch.var(x, dims, correction=…)`).
    ///
    /// # Errors
    /// As [`Tensor::var_dim`]; [`Error::Argument`] for a repeated dimension.
    pub fn var_dims(&self, dims: &[isize], unbiased: bool, keepdim: bool) -> Result<Tensor> {
        over_dims(self, dims, keepdim, "var", |t| {
            t.var_dim(-1, unbiased, false)
        })
    }

    /// Standard deviation along `dim` (`torch.std`).
    ///
    /// # Errors
    /// As [`Tensor::var_dim`].
    pub fn std_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Result<Tensor> {
        self.var_dim(dim, unbiased, keepdim)?.sqrt()
    }

    /// Standard deviation over several dimensions (`torch.std(x, dims)`).
    ///
    /// # Errors
    /// As [`Tensor::var_dims`].
    pub fn std_dims(&self, dims: &[isize], unbiased: bool, keepdim: bool) -> Result<Tensor> {
        self.var_dims(dims, unbiased, keepdim)?.sqrt()
    }

    /// The `k` largest (or smallest) entries along `dim` and their `int64` indices, in
    /// sorted order (`torch.topk(…, sorted=True)`); ties keep the lower index first, NaN
    /// counts as largest.
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad `dim` or `k` larger than the dimension;
    /// [`Error::DType`] for complex.
    pub fn topk(&self, k: usize, dim: isize, largest: bool) -> Result<(Tensor, Tensor)> {
        const OP: &str = "topk";
        let d = wrap_dim(OP, dim, self.dim(), true)?;
        let n = if self.dim() == 0 { 1 } else { self.shape()[d] };
        if k > n {
            return Err(Error::argument(
                OP,
                format!("selected index k={k} out of range for dimension of size {n}"),
            ));
        }
        let moved = if self.dim() == 0 {
            self.reshape(&[1])?
        } else {
            self.transpose(d as isize, -1)?
        };
        let rows: Vec<f64> = match Values::read(&moved, OP)? {
            Values::Float(v) => v,
            Values::Int(v) => v.into_iter().map(|x| x as f64).collect(),
            Values::Bool(v) => v.into_iter().map(|x| f64::from(u8::from(x))).collect(),
            Values::Complex(_) => return Err(Error::dtype(OP, self.dtype())),
        };
        let key = |x: f64| if x.is_nan() { f64::INFINITY } else { x };
        let mut vals = Vec::new();
        let mut idxs = Vec::new();
        if n > 0 {
            for row in rows.chunks_exact(n) {
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|&a, &b| {
                    let (x, y) = (key(row[a]), key(row[b]));
                    let o = if largest {
                        y.total_cmp(&x)
                    } else {
                        x.total_cmp(&y)
                    };
                    o.then(a.cmp(&b))
                });
                for &i in &order[..k] {
                    vals.push(row[i]);
                    idxs.push(i as i64);
                }
            }
        }
        let mut shape = moved.shape().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = k;
        }
        let v = Values::Float(vals).into_tensor(&shape, self.dtype(), OP)?;
        let i = Tensor::from_vec(idxs, &shape)?;
        if self.dim() == 0 {
            return Ok((v.reshape(&[])?, i.reshape(&[])?));
        }
        Ok((
            v.transpose(d as isize, -1)?.contiguous(),
            i.transpose(d as isize, -1)?.contiguous(),
        ))
    }
}

/// Moves `dims` last, flattens them into one, and reduces that with `reduce`.
fn over_dims(
    t: &Tensor,
    dims: &[isize],
    keepdim: bool,
    op: &'static str,
    reduce: impl Fn(&Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let mut picked = vec![false; t.dim()];
    if dims.is_empty() {
        picked.fill(true);
    }
    for &dim in dims {
        let d = wrap_dim(op, dim, t.dim(), true)?;
        if t.dim() == 0 {
            continue;
        }
        if picked[d] {
            return Err(Error::argument(
                op,
                format!("dim {d} appears multiple times in the list of dims"),
            ));
        }
        picked[d] = true;
    }
    let kept: Vec<usize> = (0..t.dim()).filter(|&d| !picked[d]).collect();
    let reduced: Vec<usize> = (0..t.dim()).filter(|&d| picked[d]).collect();
    let perm: Vec<usize> = kept.iter().chain(&reduced).copied().collect();
    let mut flat: Vec<isize> = kept.iter().map(|&d| t.shape()[d] as isize).collect();
    flat.push(reduced.iter().map(|&d| t.shape()[d]).product::<usize>() as isize);
    let r = reduce(&t.permute(&perm)?.reshape(&flat)?)?;
    if keepdim {
        let shape: Vec<isize> = (0..t.dim())
            .map(|d| if picked[d] { 1 } else { t.shape()[d] as isize })
            .collect();
        r.reshape(&shape)
    } else {
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_erf_topk_dims() {
        let a = Tensor::from_slice(&[-2f32, 0.5, 3., 1.], &[2, 2]).unwrap();
        assert_eq!(
            a.clamp(Some(-1.0), Some(2.0))
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            [-1., 0.5, 2., 1.]
        );
        let e = a.erf().unwrap().to_vec::<f32>().unwrap();
        assert!((e[1] - 0.520_499_9).abs() < 1e-6);
        let (v, i) = a.topk(1, 1, true).unwrap();
        assert_eq!(v.to_vec::<f32>().unwrap(), [0.5, 3.]);
        assert_eq!(i.to_vec::<i64>().unwrap(), [1, 0]);
        let m = a.mean_dims(&[0, 1], true).unwrap();
        assert_eq!(m.shape(), [1, 1]);
        assert_eq!(m.to_vec::<f32>().unwrap(), [0.625]);
        let n = a.logical_not().unwrap();
        assert_eq!(n.to_vec::<bool>().unwrap(), [false; 4]);
    }
}
