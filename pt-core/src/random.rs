//! A small seedable random number generator and the random tensor constructors/fills.
//!
//! [`Generator`] is xoshiro256** (Blackman & Vigna), its 256-bit state filled from the seed by
//! SplitMix64, as its authors recommend. It is fast, has a period of 2^256 − 1 and passes
//! BigCrush; it is **not** cryptographic, and its streams differ from PyTorch's Mersenne
//! Twister, so `Tensor::rand` with a seed does not reproduce `torch.rand` with that seed.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::native::write_from;
use crate::ops::values::{Family, family};
use crate::tensor::Tensor;
use num_complex::Complex64;

/// A seedable pseudo-random generator (xoshiro256**). Same seed, same stream, on every
/// platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    s: [u64; 4],
    /// The second value of the last Box–Muller pair, not yet used.
    spare_normal: Option<u64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Generator {
    /// A generator whose stream is determined by `seed`.
    pub fn new(seed: u64) -> Generator {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Generator {
            s,
            spare_normal: None,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform value in `[0, 1)` with `bits` random mantissa bits (≤ 53), so that rounding
    /// to a narrower float can never produce 1.
    fn uniform_bits(&mut self, bits: u32) -> f64 {
        (self.next_u64() >> (64 - bits)) as f64 / (1u64 << bits) as f64
    }

    /// A uniform `f64` in `[0, 1)` (53 random bits).
    pub fn next_f64(&mut self) -> f64 {
        self.uniform_bits(53)
    }

    /// A standard normal `f64` (Box–Muller; pairs are generated together).
    pub fn next_normal(&mut self) -> f64 {
        if let Some(bits) = self.spare_normal.take() {
            return f64::from_bits(bits);
        }
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        self.spare_normal = Some((r * theta.sin()).to_bits());
        r * theta.cos()
    }
}

/// Random mantissa bits that keep a uniform draw below 1 after rounding to `dtype`.
fn mantissa_bits(dtype: DType) -> u32 {
    match dtype {
        DType::F16 => 11,
        DType::BF16 => 8,
        DType::F32 | DType::C64 => 24,
        _ => 53,
    }
}

fn check_floating(op: &'static str, dtype: DType) -> Result<()> {
    if matches!(family(dtype), Family::Float | Family::Complex) && dtype.is_computable() {
        Ok(())
    } else {
        Err(Error::DType {
            op,
            dtype,
            detail: " (random floats need a floating-point or complex dtype)".into(),
        })
    }
}

fn fill(t: &Tensor, op: &'static str, mut draw: impl FnMut() -> f64) -> Result<()> {
    check_floating(op, t.dtype())?;
    crate::ops::check_no_internal_overlap(t, op)?;
    let n = t.numel();
    if family(t.dtype()) == Family::Complex {
        let v: Vec<Complex64> = (0..n).map(|_| Complex64::new(draw(), draw())).collect();
        write_from(t, &v, op)
    } else {
        let v: Vec<f64> = (0..n).map(|_| draw()).collect();
        write_from(t, &v, op)
    }
}

impl Tensor {
    /// Uniform values in `[0, 1)` (`torch.rand`); complex dtypes draw both parts.
    ///
    /// # Errors
    /// [`Error::DType`] unless `dtype` is floating point or complex.
    pub fn rand(shape: &[usize], dtype: DType, generator: &mut Generator) -> Result<Tensor> {
        check_floating("rand", dtype)?;
        let t = Tensor::empty_checked(shape, dtype, "rand")?;
        t.uniform_(0.0, 1.0, generator)?;
        Ok(t)
    }

    /// Standard normal values (`torch.randn`); complex dtypes draw each part with variance ½,
    /// as PyTorch.
    ///
    /// # Errors
    /// [`Error::DType`] unless `dtype` is floating point or complex.
    pub fn randn(shape: &[usize], dtype: DType, generator: &mut Generator) -> Result<Tensor> {
        check_floating("randn", dtype)?;
        let t = Tensor::empty_checked(shape, dtype, "randn")?;
        t.normal_(0.0, 1.0, generator)?;
        Ok(t)
    }

    /// Fills `self` in place with uniform values in `[low, high)`; visible through every view.
    ///
    /// # Errors
    /// [`Error::DType`] unless floating point or complex; [`Error::Argument`] if
    /// `low > high` or a bound is not finite, or for an expanded view.
    pub fn uniform_(&self, low: f64, high: f64, generator: &mut Generator) -> Result<()> {
        if !(low.is_finite() && high.is_finite() && low <= high) {
            return Err(Error::argument(
                "uniform_",
                format!("expects low <= high and finite bounds, got low={low}, high={high}"),
            ));
        }
        let bits = mantissa_bits(self.dtype());
        fill(self, "uniform_", || {
            low + (high - low) * generator.uniform_bits(bits)
        })
    }

    /// Fills `self` in place with normal values of the given mean and standard deviation.
    ///
    /// # Errors
    /// [`Error::DType`] unless floating point or complex; [`Error::Argument`] if `std < 0`
    /// or a parameter is not finite, or for an expanded view.
    pub fn normal_(&self, mean: f64, std: f64, generator: &mut Generator) -> Result<()> {
        if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
            return Err(Error::argument(
                "normal_",
                format!("expects std >= 0.0 and finite parameters, got mean={mean}, std={std}"),
            ));
        }
        let scale = if family(self.dtype()) == Family::Complex {
            std * std::f64::consts::FRAC_1_SQRT_2
        } else {
            std
        };
        fill(self, "normal_", || mean + scale * generator.next_normal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_streams() {
        let mut a = Generator::new(42);
        let mut b = Generator::new(42);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Generator::new(43).next_u64(), xs[0]);
        // SplitMix64 of seed 0 is a published test vector.
        let mut sm = 0u64;
        assert_eq!(splitmix64(&mut sm), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn rand_and_randn_statistics() {
        let mut g = Generator::new(7);
        let u = Tensor::rand(&[20_000], DType::F32, &mut g).unwrap();
        let v = u.to_vec_f64().unwrap();
        assert!(v.iter().all(|&x| (0.0..1.0).contains(&x)));
        let mean = u.mean().unwrap().item_f64().unwrap();
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let n = Tensor::randn(&[20_000], DType::F64, &mut g).unwrap();
        let m = n.mean().unwrap().item_f64().unwrap();
        let var = n.var(true).unwrap().item_f64().unwrap();
        assert!(m.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{m} {var}");
        assert!(Tensor::rand(&[2], DType::I64, &mut g).is_err());
        let h = Tensor::rand(&[1000], DType::BF16, &mut g).unwrap();
        assert!(h.to_vec_f64().unwrap().iter().all(|&x| x < 1.0));
    }

    #[test]
    fn in_place_fills_through_views() {
        let mut g = Generator::new(1);
        let t = Tensor::zeros(&[4, 4], DType::F64);
        t.select(1, 2).unwrap().uniform_(5.0, 6.0, &mut g).unwrap();
        let v = t.to_vec_f64().unwrap();
        for (i, x) in v.iter().enumerate() {
            if i % 4 == 2 {
                assert!((5.0..6.0).contains(x));
            } else {
                assert_eq!(*x, 0.0);
            }
        }
        assert!(t.uniform_(1.0, 0.0, &mut g).is_err());
        assert!(t.normal_(0.0, -1.0, &mut g).is_err());
        let c = Tensor::randn(&[5000], DType::C128, &mut g).unwrap();
        let re = c
            .to_dtype(DType::F64)
            .unwrap()
            .var(true)
            .unwrap()
            .item_f64()
            .unwrap();
        assert!((re - 0.5).abs() < 0.05, "{re}");
    }
}
