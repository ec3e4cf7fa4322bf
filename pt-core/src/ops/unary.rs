//! Element-wise unary operations: `neg`, `abs`, `relu`, and the floating functions (`sqrt`,
//! `exp`, `log`, `tanh`, `sigmoid`, …) that turn integer inputs into `float32` as PyTorch does.

use num_complex::Complex64;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::gemm::GemmFloat;
use crate::kernels::math::Transcendental;
use crate::kernels::{Real, with_real};
use crate::ops::activation::{is_real, real_map};
use crate::ops::promote::{scalar_type_name, to_float};
use crate::ops::values::Values;
use crate::tensor::Tensor;

fn not_implemented(op: &'static str, d: DType) -> Error {
    Error::DType {
        op,
        dtype: d,
        detail: format!(": \"{op}\" not implemented for '{}'", scalar_type_name(d)),
    }
}

/// Applies a floating function: integer and bool inputs compute in `float32`.
fn float_fn(
    t: &Tensor,
    op: &'static str,
    real: impl Fn(f64) -> f64,
    complex: Option<fn(Complex64) -> Complex64>,
) -> Result<Tensor> {
    let out = to_float(t.dtype());
    let x = t.to_dtype(out)?;
    let values = match Values::read(&x, op)? {
        Values::Float(v) => Values::Float(v.into_iter().map(real).collect()),
        Values::Complex(v) => match complex {
            Some(f) => Values::Complex(v.into_iter().map(f).collect()),
            None => return Err(not_implemented(op, out)),
        },
        _ => unreachable!("converted to a floating dtype"),
    };
    values.into_tensor(t.shape(), out, op)
}

impl Tensor {
    /// `-self`, same dtype (integers wrap).
    ///
    /// # Errors
    /// [`Error::DType`] for bool (PyTorch suggests `logical_not`) and float8.
    pub fn neg(&self) -> Result<Tensor> {
        let values = match Values::read(self, "neg")? {
            Values::Bool(_) => {
                return Err(Error::DType {
                    op: "neg",
                    dtype: DType::Bool,
                    detail: ": Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.".into(),
                });
            }
            Values::Int(v) => Values::Int(v.into_iter().map(i64::wrapping_neg).collect()),
            Values::Float(v) => Values::Float(v.into_iter().map(|x| -x).collect()),
            Values::Complex(v) => Values::Complex(v.into_iter().map(|x| -x).collect()),
        };
        values.into_tensor(self.shape(), self.dtype(), "neg")
    }

    /// `|self|`; complex inputs give their magnitude in the matching real dtype.
    ///
    /// # Errors
    /// [`Error::DType`] for bool (as PyTorch) and float8.
    pub fn abs(&self) -> Result<Tensor> {
        let (values, dtype) = match Values::read(self, "abs")? {
            Values::Bool(_) => return Err(not_implemented("abs_cpu", DType::Bool)),
            Values::Int(v) => (
                Values::Int(v.into_iter().map(i64::wrapping_abs).collect()),
                self.dtype(),
            ),
            Values::Float(v) => (
                Values::Float(v.into_iter().map(f64::abs).collect()),
                self.dtype(),
            ),
            Values::Complex(v) => {
                let real = if self.dtype() == DType::C128 {
                    DType::F64
                } else {
                    DType::F32
                };
                (
                    Values::Float(v.into_iter().map(|c| c.norm()).collect()),
                    real,
                )
            }
        };
        values.into_tensor(self.shape(), dtype, "abs")
    }

    /// `max(self, 0)`, same dtype; NaN stays NaN (PyTorch's `relu`).
    ///
    /// # Errors
    /// [`Error::DType`] for bool and complex (as PyTorch) and float8.
    pub fn relu(&self) -> Result<Tensor> {
        if is_real(self.dtype()) {
            return real_map!(self, "relu", 1, |v| if v > T::ZERO || v.is_nan_r() {
                v
            } else {
                T::ZERO
            });
        }
        let values = match Values::read(self, "relu")? {
            Values::Bool(_) => {
                return Err(Error::DType {
                    op: "relu",
                    dtype: DType::Bool,
                    detail: ": Boolean inputs not supported for relu".into(),
                });
            }
            Values::Complex(_) => {
                return Err(Error::DType {
                    op: "relu",
                    dtype: self.dtype(),
                    detail: ": clamp is not supported for complex types".into(),
                });
            }
            Values::Int(v) => Values::Int(v.into_iter().map(|x| x.max(0)).collect()),
            Values::Float(v) => Values::Float(
                v.into_iter()
                    .map(|x| if x.is_nan() || x > 0.0 { x } else { 0.0 })
                    .collect(),
            ),
        };
        values.into_tensor(self.shape(), self.dtype(), "relu")
    }

    /// In-place [`Tensor::relu`].
    ///
    /// # Errors
    /// As [`Tensor::relu`]; [`Error::Argument`] for an expanded view.
    pub fn relu_(&self) -> Result<()> {
        let r = self.relu()?;
        self.copy_(&r)
    }

    /// Square root; integer inputs give `float32`.
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn sqrt(&self) -> Result<Tensor> {
        float_fn(self, "sqrt", f64::sqrt, Some(Complex64::sqrt))
    }

    /// `1 / sqrt(self)`; integer inputs give `float32`.
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn rsqrt(&self) -> Result<Tensor> {
        float_fn(
            self,
            "rsqrt",
            |x| 1.0 / x.sqrt(),
            Some(|c: Complex64| 1.0 / c.sqrt()),
        )
    }

    /// `e^self`; integer inputs give `float32`.
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn exp(&self) -> Result<Tensor> {
        if is_real(self.dtype()) {
            return real_map!(self, "exp", 8, |v| v.exp_k());
        }
        float_fn(self, "exp", f64::exp, Some(Complex64::exp))
    }

    /// Natural logarithm; integer inputs give `float32`.
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn log(&self) -> Result<Tensor> {
        float_fn(self, "log", f64::ln, Some(Complex64::ln))
    }

    /// Hyperbolic tangent; integer inputs give `float32`.
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn tanh(&self) -> Result<Tensor> {
        if is_real(self.dtype()) {
            return real_map!(self, "tanh", 10, |v| v.tanh_k());
        }
        float_fn(self, "tanh", f64::tanh, Some(Complex64::tanh))
    }

    /// Logistic sigmoid `1 / (1 + e^-self)`; integer inputs give `float32`.
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn sigmoid(&self) -> Result<Tensor> {
        if is_real(self.dtype()) {
            return real_map!(self, "sigmoid", 10, |v| T::ONE / (T::ONE + (-v).exp_k()));
        }
        float_fn(
            self,
            "sigmoid",
            |x| 1.0 / (1.0 + (-x).exp()),
            Some(|c: Complex64| 1.0 / (1.0 + (-c).exp())),
        )
    }

    /// `self ^ exponent` element-wise for a real exponent; integer inputs give `float32`
    /// (PyTorch keeps integers for integer exponents; this always computes in floating point).
    ///
    /// # Errors
    /// [`Error::DType`] for float8.
    pub fn pow_f(&self, exponent: f64) -> Result<Tensor> {
        float_fn(self, "pow", |x| x.powf(exponent), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unary_dtypes_and_values() {
        let i = Tensor::from_slice_1d(&[0i64, 1, 2]);
        let s = i.sqrt().unwrap();
        assert_eq!(s.dtype(), DType::F32);
        assert_eq!(s.to_vec::<f32>().unwrap(), [0.0, 1.0, 2f32.sqrt()]);
        assert_eq!(i.exp().unwrap().dtype(), DType::F32);
        assert_eq!(i.neg().unwrap().to_vec::<i64>().unwrap(), [0, -1, -2]);
        let f = Tensor::from_slice_1d(&[f64::NAN, -1.0, 2.0]);
        let r = f.relu().unwrap().to_vec::<f64>().unwrap();
        assert!(r[0].is_nan());
        assert_eq!(r[1..], [0.0, 2.0]);
        assert_eq!(
            Tensor::from_slice_1d(&[-3i32])
                .relu()
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            [0]
        );
        let b = Tensor::from_slice_1d(&[true]);
        assert!(b.neg().is_err());
        assert!(b.abs().is_err());
        assert!(b.relu().is_err());
        assert_eq!(b.sqrt().unwrap().to_vec::<f32>().unwrap(), [1.0]);
        let c = Tensor::from_slice_1d(&[Complex64::new(3.0, 4.0)]);
        let a = c.abs().unwrap();
        assert_eq!(a.dtype(), DType::F64);
        assert_eq!(a.to_vec::<f64>().unwrap(), [5.0]);
        assert!(c.relu().is_err());
    }

    #[test]
    fn relu_in_place_through_views() {
        let t = Tensor::from_slice_1d(&[-1.0f32, 2.0, -3.0, 4.0]);
        t.slice(0, None, None, 2).unwrap().relu_().unwrap();
        assert_eq!(t.to_vec::<f32>().unwrap(), [0.0, 2.0, 0.0, 4.0]);
    }
}
