//! Tensor elements as numbers for comparison: exact integers, f64 or complex f64.

use num_complex::Complex64;

use crate::dtype::DType;
use crate::tensor::Tensor;

/// The elements of a tensor, row-major, in the widest type of their family.
#[derive(Debug, Clone, PartialEq)]
pub enum Numbers {
    /// Bool and integer dtypes, exactly (u64 included).
    Int(Vec<i128>),
    /// Real floating dtypes (float8 decoded), widened exactly.
    Float(Vec<f64>),
    /// Complex dtypes.
    Complex(Vec<Complex64>),
}

impl Numbers {
    /// Reads every element of `t`.
    ///
    /// # Errors
    /// A message if pt-core cannot convert the dtype.
    pub fn read(t: &Tensor) -> Result<Numbers, String> {
        let d = t.dtype();
        let err = |e: crate::Error| format!("reading {} elements: {e}", d.name());
        Ok(match d {
            DType::F8E4M3Fn | DType::F8E5M2 => {
                let bytes = t.to_contiguous_bytes();
                Numbers::Float(
                    bytes
                        .iter()
                        .map(|&b| crate::float8::to_f64(d, b).unwrap_or(f64::NAN))
                        .collect(),
                )
            }
            DType::U64 => Numbers::Int(
                t.to_vec::<u64>()
                    .map_err(err)?
                    .into_iter()
                    .map(i128::from)
                    .collect(),
            ),
            d if d.is_complex() => Numbers::Complex(
                t.to_dtype(DType::C128)
                    .map_err(err)?
                    .to_vec()
                    .map_err(err)?,
            ),
            d if d.is_floating_point() => Numbers::Float(t.to_vec_f64().map_err(err)?),
            _ => Numbers::Int(
                t.to_dtype(DType::I64)
                    .map_err(err)?
                    .to_vec::<i64>()
                    .map_err(err)?
                    .into_iter()
                    .map(i128::from)
                    .collect(),
            ),
        })
    }

    /// The elements as complex numbers (integers above 2^53 round).
    pub fn into_complex(self) -> Vec<Complex64> {
        match self {
            Numbers::Int(v) => v
                .into_iter()
                .map(|x| Complex64::new(x as f64, 0.0))
                .collect(),
            Numbers::Float(v) => v.into_iter().map(|x| Complex64::new(x, 0.0)).collect(),
            Numbers::Complex(v) => v,
        }
    }

    /// The elements as f64 (integers above 2^53 round); `None` for complex.
    pub fn into_f64(self) -> Option<Vec<f64>> {
        match self {
            Numbers::Int(v) => Some(v.into_iter().map(|x| x as f64).collect()),
            Numbers::Float(v) => Some(v),
            Numbers::Complex(_) => None,
        }
    }
}

/// How two equally shaped sets of elements differ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Closeness {
    /// Elements compared.
    pub count: usize,
    /// Elements not within tolerance.
    pub mismatched: usize,
    /// Largest |a - b| over elements where both are finite.
    pub max_abs: f64,
    /// Largest |a - b| / |b| over elements where both are finite (|b| = 0 and a ≠ b: inf).
    pub max_rel: f64,
    /// Positions where one side is NaN or infinite and the other is not the same value.
    pub nonfinite_mismatched: usize,
    /// Row-major index of the first mismatched element.
    pub first_mismatch: Option<usize>,
}

impl Closeness {
    /// True when every element is within tolerance.
    pub fn is_close(&self) -> bool {
        self.mismatched == 0
    }
}

/// Compares element by element as torch.allclose(a, b, rtol, atol, equal_nan=True):
/// close when `|a - b| <= atol + rtol * |b|`, when both are the same infinity, or when both
/// are NaN (NaN counts equal to NaN at the same position). Complex: the modulus of the
/// difference; a complex element is NaN if either part is.
pub fn compare(a: Numbers, b: Numbers, atol: f64, rtol: f64) -> Closeness {
    let mut c = Closeness::default();
    if let (Numbers::Int(x), Numbers::Int(y)) = (&a, &b) {
        for (i, (p, q)) in x.iter().zip(y).enumerate() {
            let diff = (p - q).unsigned_abs() as f64;
            let mag = q.unsigned_abs() as f64;
            account(&mut c, i, diff, mag, diff <= atol + rtol * mag, true);
        }
        c.count = x.len().min(y.len());
        return c;
    }
    let complex = matches!(a, Numbers::Complex(_)) || matches!(b, Numbers::Complex(_));
    if complex {
        let (x, y) = (a.into_complex(), b.into_complex());
        c.count = x.len().min(y.len());
        for (i, (p, q)) in x.iter().zip(&y).enumerate() {
            let nan = |z: &Complex64| z.re.is_nan() || z.im.is_nan();
            let finite = |z: &Complex64| z.re.is_finite() && z.im.is_finite();
            if finite(p) && finite(q) {
                let diff = (p - q).norm();
                let mag = q.norm();
                account(&mut c, i, diff, mag, diff <= atol + rtol * mag, true);
            } else {
                let same = (nan(p) && nan(q)) || p == q;
                account(&mut c, i, 0.0, 0.0, same, false);
            }
        }
        return c;
    }
    let (Some(x), Some(y)) = (a.into_f64(), b.into_f64()) else {
        return c;
    };
    c.count = x.len().min(y.len());
    for (i, (p, q)) in x.iter().zip(&y).enumerate() {
        if p.is_finite() && q.is_finite() {
            let diff = (p - q).abs();
            let mag = q.abs();
            account(&mut c, i, diff, mag, diff <= atol + rtol * mag, true);
        } else {
            let same = (p.is_nan() && q.is_nan()) || p == q;
            account(&mut c, i, 0.0, 0.0, same, false);
        }
    }
    c
}

fn account(c: &mut Closeness, i: usize, diff: f64, mag: f64, close: bool, finite: bool) {
    if finite {
        c.max_abs = c.max_abs.max(diff);
        let rel = if diff == 0.0 {
            0.0
        } else if mag == 0.0 {
            f64::INFINITY
        } else {
            diff / mag
        };
        c.max_rel = c.max_rel.max(rel);
    }
    if !close {
        c.mismatched += 1;
        if !finite {
            c.nonfinite_mismatched += 1;
        }
        c.first_mismatch.get_or_insert(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closeness_follows_allclose_with_equal_nan() {
        let a = Numbers::Float(vec![1.0, f64::NAN, f64::INFINITY, 0.0]);
        let b = Numbers::Float(vec![1.0 + 1e-9, f64::NAN, f64::INFINITY, 0.0]);
        let c = compare(a, b, 1e-8, 1e-5);
        assert!(c.is_close(), "{c:?}");
        let a = Numbers::Float(vec![1.0, f64::NAN, 2.0]);
        let b = Numbers::Float(vec![1.5, 1.0, 2.0]);
        let c = compare(a, b, 1e-8, 1e-5);
        assert_eq!(c.mismatched, 2);
        assert_eq!(c.nonfinite_mismatched, 1);
        assert_eq!(c.max_abs, 0.5);
        assert_eq!(c.first_mismatch, Some(0));
        let c = compare(
            Numbers::Int(vec![u64::MAX.into()]),
            Numbers::Int(vec![i128::from(u64::MAX) - 1]),
            0.0,
            0.0,
        );
        assert_eq!(c.mismatched, 1);
        let c = compare(
            Numbers::Complex(vec![Complex64::new(3.0, 4.0)]),
            Numbers::Complex(vec![Complex64::new(0.0, 0.0)]),
            1e-8,
            1e-5,
        );
        assert_eq!(c.max_abs, 5.0);
        assert_eq!(c.max_rel, f64::INFINITY);
    }
}
