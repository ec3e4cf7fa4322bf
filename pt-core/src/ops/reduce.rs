//! Reductions: `sum`, `mean`, `var` over all elements or one dimension, and `max`/`min`/
//! `argmax`/`argmin` along a dimension.
//!
//! Floating sums accumulate in `f64` (complex in `Complex64`) and round once to the output
//! dtype, so `float32` results can differ from PyTorch's (cascaded `float32`) sums in the last
//! bit — they are at least as accurate.

use num_complex::Complex64;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::promote::scalar_type_name;
use crate::ops::values::{Family, Values, family};
use crate::tensor::Tensor;
use crate::tensor::views::wrap_dim;

/// The tensor with `dim` moved last, the reduced length, and the output shape.
struct Rows {
    moved: Tensor,
    n: usize,
    out_shape: Vec<usize>,
}

impl Rows {
    fn new(t: &Tensor, dim: isize, keepdim: bool, op: &'static str) -> Result<Rows> {
        let d = wrap_dim(op, dim, t.dim(), true)?;
        if t.dim() == 0 {
            return Ok(Rows {
                moved: t.reshape(&[1])?,
                n: 1,
                out_shape: vec![],
            });
        }
        let mut perm: Vec<usize> = (0..t.dim()).filter(|&i| i != d).collect();
        perm.push(d);
        let moved = t.permute(&perm)?;
        let mut out_shape = t.shape().to_vec();
        if keepdim {
            out_shape[d] = 1;
        } else {
            out_shape.remove(d);
        }
        Ok(Rows {
            moved,
            n: t.shape()[d],
            out_shape,
        })
    }

    fn whole(t: &Tensor) -> Result<Rows> {
        Ok(Rows {
            moved: t.reshape(&[-1])?,
            n: t.numel(),
            out_shape: vec![],
        })
    }

    fn count(&self) -> usize {
        self.out_shape.iter().product()
    }

    /// Applies `f` to each row (an empty slice for every output when `n == 0`).
    fn map<T: Copy, U>(&self, v: &[T], f: impl Fn(&[T]) -> U) -> Vec<U> {
        if self.n == 0 {
            (0..self.count()).map(|_| f(&[])).collect()
        } else {
            v.chunks_exact(self.n).map(f).collect()
        }
    }
}

fn sum_dtype(d: DType) -> DType {
    match family(d) {
        Family::Bool | Family::Int => DType::I64,
        _ => d,
    }
}

fn sum_rows(t: &Tensor, rows: &Rows, op: &'static str) -> Result<Tensor> {
    let values = match Values::read(&rows.moved, op)? {
        Values::Bool(v) => Values::Int(rows.map(&v, |r| r.iter().filter(|&&b| b).count() as i64)),
        Values::Int(v) => {
            Values::Int(rows.map(&v, |r| r.iter().fold(0i64, |a, &x| a.wrapping_add(x))))
        }
        Values::Float(v) => Values::Float(rows.map(&v, |r| r.iter().sum())),
        Values::Complex(v) => Values::Complex(rows.map(&v, |r| r.iter().sum())),
    };
    values.into_tensor(&rows.out_shape, sum_dtype(t.dtype()), op)
}

fn require_floating(
    t: &Tensor,
    op: &'static str,
    message: impl FnOnce(&str) -> String,
) -> Result<()> {
    if matches!(family(t.dtype()), Family::Float | Family::Complex) {
        Ok(())
    } else {
        Err(Error::DType {
            op,
            dtype: t.dtype(),
            detail: format!(": {}", message(scalar_type_name(t.dtype()))),
        })
    }
}

fn mean_rows(t: &Tensor, rows: &Rows, op: &'static str) -> Result<Tensor> {
    require_floating(t, op, |name| {
        format!(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {name}"
        )
    })?;
    let n = rows.n as f64;
    let values = match Values::read(&rows.moved, op)? {
        Values::Float(v) => Values::Float(rows.map(&v, |r| r.iter().sum::<f64>() / n)),
        Values::Complex(v) => Values::Complex(rows.map(&v, |r| r.iter().sum::<Complex64>() / n)),
        _ => unreachable!("checked floating"),
    };
    values.into_tensor(&rows.out_shape, t.dtype(), op)
}

fn real_dtype(d: DType) -> DType {
    match d {
        DType::C64 => DType::F32,
        DType::C128 => DType::F64,
        d => d,
    }
}

impl Tensor {
    /// Sum of all elements as a 0-dim tensor; bool and integer inputs sum to `int64`.
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn sum(&self) -> Result<Tensor> {
        sum_rows(self, &Rows::whole(self)?, "sum")
    }

    /// Sum along `dim` (negative counts from the end); `keepdim` keeps it with size 1.
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad dimension; [`Error::DType`] for float8.
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        sum_rows(self, &Rows::new(self, dim, keepdim, "sum")?, "sum")
    }

    /// Mean of all elements (NaN for an empty tensor).
    ///
    /// # Errors
    /// [`Error::DType`] for integer and bool inputs, as PyTorch.
    pub fn mean(&self) -> Result<Tensor> {
        mean_rows(self, &Rows::whole(self)?, "mean")
    }

    /// Mean along `dim`.
    ///
    /// # Errors
    /// As [`Tensor::mean`] and [`Tensor::sum_dim`].
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        mean_rows(self, &Rows::new(self, dim, keepdim, "mean")?, "mean")
    }

    /// Variance along `dim`: the mean squared deviation, divided by `n - 1` when `unbiased`
    /// (Bessel's correction) or `n` otherwise. `n - 1 = 0` gives NaN, as PyTorch. Complex
    /// inputs give a real result.
    ///
    /// # Errors
    /// [`Error::DType`] for integer and bool inputs; [`Error::Argument`] for a bad dimension.
    pub fn var_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Result<Tensor> {
        require_floating(self, "var", |_| {
            "std and var only support floating point and complex dtypes".into()
        })?;
        let rows = Rows::new(self, dim, keepdim, "var")?;
        let divisor = (rows.n as f64 - f64::from(u8::from(unbiased))).max(0.0);
        let var = |sq: f64| sq / divisor;
        let out = match Values::read(&rows.moved, "var")? {
            Values::Float(v) => rows.map(&v, |r| {
                let m = r.iter().sum::<f64>() / r.len() as f64;
                var(r.iter().map(|x| (x - m) * (x - m)).sum())
            }),
            Values::Complex(v) => rows.map(&v, |r| {
                let m = r.iter().sum::<Complex64>() / r.len() as f64;
                var(r.iter().map(|x| (x - m).norm_sqr()).sum())
            }),
            _ => unreachable!("checked floating"),
        };
        Values::Float(out).into_tensor(&rows.out_shape, real_dtype(self.dtype()), "var")
    }

    /// Variance of all elements (see [`Tensor::var_dim`]).
    ///
    /// # Errors
    /// As [`Tensor::var_dim`].
    pub fn var(&self, unbiased: bool) -> Result<Tensor> {
        self.reshape(&[-1])?.var_dim(0, unbiased, false)
    }

    /// Largest value along `dim` and its index (`int64`, first occurrence; NaN wins, as
    /// PyTorch).
    ///
    /// # Errors
    /// [`Error::Argument`] for a bad or empty dimension; [`Error::DType`] for complex.
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        extreme(self, dim, keepdim, true, "max")
    }

    /// Smallest value along `dim` and its index (see [`Tensor::max_dim`]).
    ///
    /// # Errors
    /// As [`Tensor::max_dim`].
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        extreme(self, dim, keepdim, false, "min")
    }

    /// Index of the largest value along `dim` (`int64`).
    ///
    /// # Errors
    /// As [`Tensor::max_dim`].
    pub fn argmax(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        Ok(extreme(self, dim, keepdim, true, "argmax")?.1)
    }

    /// Index of the smallest value along `dim` (`int64`).
    ///
    /// # Errors
    /// As [`Tensor::max_dim`].
    pub fn argmin(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        Ok(extreme(self, dim, keepdim, false, "argmin")?.1)
    }
}

/// Index of the first extreme of a row under `better` (strictly better replaces).
fn pick<T: Copy>(r: &[T], better: impl Fn(T, T) -> bool) -> (T, i64) {
    let mut best = (r[0], 0i64);
    for (i, &x) in r.iter().enumerate().skip(1) {
        if better(x, best.0) {
            best = (x, i as i64);
        }
    }
    best
}

fn extreme(
    t: &Tensor,
    dim: isize,
    keepdim: bool,
    max: bool,
    op: &'static str,
) -> Result<(Tensor, Tensor)> {
    let rows = Rows::new(t, dim, keepdim, op)?;
    if rows.n == 0 && rows.count() > 0 {
        return Err(Error::argument(
            op,
            format!("{op}(): Expected reduction dim {dim} to have non-zero size."),
        ));
    }
    let (values, idx) = match Values::read(&rows.moved, op)? {
        Values::Bool(v) => {
            let p = rows.map(&v, |r| pick(r, |x, b| if max { x & !b } else { !x & b }));
            let (a, b): (Vec<bool>, Vec<i64>) = p.into_iter().unzip();
            (Values::Bool(a), b)
        }
        Values::Int(v) => {
            let p = rows.map(&v, |r| pick(r, |x, b| if max { x > b } else { x < b }));
            let (a, b): (Vec<i64>, Vec<i64>) = p.into_iter().unzip();
            (Values::Int(a), b)
        }
        Values::Float(v) => {
            let p = rows.map(&v, |r| {
                pick(r, |x, b| {
                    !b.is_nan() && (x.is_nan() || if max { x > b } else { x < b })
                })
            });
            let (a, b): (Vec<f64>, Vec<i64>) = p.into_iter().unzip();
            (Values::Float(a), b)
        }
        Values::Complex(_) => {
            return Err(Error::DType {
                op,
                dtype: t.dtype(),
                detail: ": complex values have no ordering".into(),
            });
        }
    };
    Ok((
        values.into_tensor(&rows.out_shape, t.dtype(), op)?,
        Values::Int(idx).into_tensor(&rows.out_shape, DType::I64, op)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Tensor {
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 7.0], &[2, 3]).unwrap()
    }

    #[test]
    fn sums_and_means() {
        let t = m();
        assert_eq!(t.sum().unwrap().item::<f32>().unwrap(), 22.0);
        assert_eq!(
            t.sum_dim(0, false).unwrap().to_vec::<f32>().unwrap(),
            [5.0, 7.0, 10.0]
        );
        let k = t.sum_dim(-1, true).unwrap();
        assert_eq!(k.shape(), &[2, 1]);
        assert_eq!(k.to_vec::<f32>().unwrap(), [6.0, 16.0]);
        assert_eq!(
            t.mean_dim(1, false).unwrap().to_vec::<f32>().unwrap(),
            [2.0, 16.0 / 3.0]
        );
        let b = Tensor::from_slice_1d(&[true, false, true]);
        assert_eq!(b.sum().unwrap().dtype(), DType::I64);
        assert_eq!(b.sum().unwrap().item::<i64>().unwrap(), 2);
        assert!(Tensor::arange(0, 3).unwrap().mean().is_err());
        let z = Tensor::zeros(&[0, 3], DType::F32);
        assert_eq!(
            z.sum_dim(0, false).unwrap().to_vec::<f32>().unwrap(),
            [0.0; 3]
        );
        assert!(z.mean_dim(0, false).unwrap().to_vec::<f32>().unwrap()[0].is_nan());
        assert_eq!(
            Tensor::scalar(3.0f32).sum_dim(0, true).unwrap().shape(),
            &[] as &[usize]
        );
    }

    #[test]
    fn variances() {
        let t = Tensor::from_slice_1d(&[1.0f64, 2.0]);
        assert_eq!(
            t.var_dim(0, true, false).unwrap().item::<f64>().unwrap(),
            0.5
        );
        assert_eq!(
            t.var_dim(0, false, false).unwrap().item::<f64>().unwrap(),
            0.25
        );
        assert!(
            Tensor::from_slice_1d(&[1.0f32])
                .var_dim(0, true, false)
                .unwrap()
                .item::<f32>()
                .unwrap()
                .is_nan()
        );
        let c = Tensor::from_slice_1d(&[Complex64::new(1.0, 1.0), Complex64::new(2.0, 0.0)]);
        let v = c.var_dim(0, true, false).unwrap();
        assert_eq!(v.dtype(), DType::F64);
        assert_eq!(v.item::<f64>().unwrap(), 1.0);
        assert!(
            Tensor::arange(0, 3)
                .unwrap()
                .var_dim(0, true, false)
                .is_err()
        );
        assert_eq!(m().var(true).unwrap().shape(), &[] as &[usize]);
    }

    #[test]
    fn extremes() {
        let (v, i) = Tensor::from_slice_1d(&[1i64, 3, 3])
            .max_dim(0, false)
            .unwrap();
        assert_eq!((v.item::<i64>().unwrap(), i.item::<i64>().unwrap()), (3, 1));
        let f = Tensor::from_slice_1d(&[1.0f32, f32::NAN, 3.0]);
        assert_eq!(f.argmax(0, false).unwrap().item::<i64>().unwrap(), 1);
        assert_eq!(
            m().argmin(1, true).unwrap().to_vec::<i64>().unwrap(),
            [0, 0]
        );
        assert!(
            Tensor::zeros(&[0, 3], DType::F32)
                .max_dim(0, false)
                .is_err()
        );
        let (bv, bi) = Tensor::from_slice_1d(&[false, true, true])
            .max_dim(0, false)
            .unwrap();
        assert!(bv.item::<bool>().unwrap());
        assert_eq!(bi.item::<i64>().unwrap(), 1);
    }
}
