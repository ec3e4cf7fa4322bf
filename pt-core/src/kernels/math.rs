//! Transcendental functions for the element-wise kernels. The `f32` versions are written
//! branch-free so loops over slices vectorise; they stay within about 2 ulp of the correctly
//! rounded result (checked against `f64` below and against torch by the fixtures). `f64`
//! uses the standard library, plus a series / continued fraction for `erf`.

/// `exp`, `tanh` and `erf` in the kernels' precision.
#[allow(dead_code)] // used as the element-wise kernels land
pub(crate) trait Transcendental: Sized {
    fn exp_k(self) -> Self;
    fn tanh_k(self) -> Self;
    fn erf_k(self) -> Self;
    /// `erfc` with relative accuracy in the tails (GELU on large negative inputs).
    fn erfc_k(self) -> Self;
}

/// `e^x`: Cody–Waite reduction to `|r| ≤ ln2/2`, a degree-7 Taylor polynomial, then
/// scaling by `2^n` through the exponent bits.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let xc = x.clamp(-87.0, 88.5);
    let n = (xc * LOG2E + 0.5).floor();
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // n is an integer in [-126, 128): half of 2^n in each of two factors keeps both normal.
    let ni = n as i32;
    let h = ni >> 1;
    let s1 = f32::from_bits(((h + 127) as u32) << 23);
    let s2 = f32::from_bits(((ni - h + 127) as u32) << 23);
    let y = p * s1 * s2;
    let y = if x < -103.0 { 0.0 } else { y };
    let y = if x > 88.72 { f32::INFINITY } else { y };
    if x.is_nan() { x } else { y }
}

/// `tanh`: an odd series near zero (where `1 - e` would cancel), `(1 - e)/(1 + e)` with
/// `e = exp(-2|x|)` elsewhere.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let x2 = x * x;
    let series = x
        * (1.0
            + x2 * (-1.0 / 3.0
                + x2 * (2.0 / 15.0
                    + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0 + x2 * (-1382.0 / 155_925.0))))));
    let e = exp_f32(-2.0 * a);
    let far = (1.0 - e) / (1.0 + e);
    let far = if x < 0.0 { -far } else { far };
    if a < 0.3 { series } else { far }
}

/// `erfc(x)` for `x ≥ 0` (a Chebyshev fit of `log(erfc)` times `t = 1/(1 + x/2)`, as in
/// Numerical Recipes' `erfcc`, relative error 1.2e-7). Rounding `x²` in `f32` adds up to
/// about `x² · 6e-8` relative for large `x`, where the value is below 1e-10 anyway.
#[inline(always)]
#[allow(clippy::excessive_precision)] // the published coefficients, as printed
fn erfc_pos_f32(z: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.5 * z);
    let p = -0.822_152_23 + t * 0.170_872_77;
    let p = 1.488_515_87 + t * p;
    let p = -1.135_203_98 + t * p;
    let p = 0.278_868_07 + t * p;
    let p = -0.186_288_06 + t * p;
    let p = 0.096_784_18 + t * p;
    let p = 0.374_091_96 + t * p;
    let p = 1.000_023_68 + t * p;
    let p = -1.265_512_23 + t * p;
    t * exp_f32(-z * z + p)
}

/// `erfc` for any `x`.
#[inline(always)]
pub(crate) fn erfc_f32(x: f32) -> f32 {
    let r = erfc_pos_f32(x.abs());
    if x < 0.0 { 2.0 - r } else { r }
}

/// `erf`: a series near zero (absolute accuracy where `1 - erfc` would lose digits),
/// `1 - erfc` elsewhere.
#[inline(always)]
pub(crate) fn erf_f32(x: f32) -> f32 {
    let x2 = x * x;
    // 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)), to x^13: error < 2e-9 for |x| < 0.5.
    let series = x
        * std::f32::consts::FRAC_2_SQRT_PI
        * (1.0
            + x2 * (-1.0 / 3.0
                + x2 * (1.0 / 10.0
                    + x2 * (-1.0 / 42.0
                        + x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0 + x2 * (1.0 / 9360.0)))))));
    let far = 1.0 - erfc_pos_f32(x.abs());
    let far = if x < 0.0 { -far } else { far };
    if x.abs() < 0.5 { series } else { far }
}

/// `erf` in `f64`, accurate to about 1e-15: a Taylor series near zero and a continued
/// fraction for `erfc` in the tails.
pub(crate) fn erf_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let r = if a < 3.0 {
        let x2 = a * a;
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() || n > 100.0 {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else {
        1.0 - erfc_cf(a)
    };
    if x < 0.0 { -r } else { r }
}

/// `erfc(x)` for `x ≥ 3` by its continued fraction, evaluated backwards.
fn erfc_cf(x: f64) -> f64 {
    if x > 27.0 {
        return 0.0;
    }
    let mut f = x;
    for k in (1..60).rev() {
        f = x + (f64::from(k) / 2.0) / f;
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

/// `erfc` in `f64`.
pub(crate) fn erfc_f64(x: f64) -> f64 {
    if x >= 3.0 {
        erfc_cf(x)
    } else if x <= -3.0 {
        2.0 - erfc_cf(-x)
    } else {
        1.0 - erf_f64(x)
    }
}

impl Transcendental for f32 {
    #[inline(always)]
    fn exp_k(self) -> f32 {
        exp_f32(self)
    }
    #[inline(always)]
    fn tanh_k(self) -> f32 {
        tanh_f32(self)
    }
    #[inline(always)]
    fn erf_k(self) -> f32 {
        erf_f32(self)
    }
    #[inline(always)]
    fn erfc_k(self) -> f32 {
        erfc_f32(self)
    }
}

impl Transcendental for f64 {
    #[inline(always)]
    fn exp_k(self) -> f64 {
        self.exp()
    }
    #[inline(always)]
    fn tanh_k(self) -> f64 {
        self.tanh()
    }
    #[inline(always)]
    fn erf_k(self) -> f64 {
        erf_f64(self)
    }
    #[inline(always)]
    fn erfc_k(self) -> f64 {
        erfc_f64(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f32, b: f64) -> f64 {
        let d = (f64::from(a) - b).abs();
        if b == 0.0 { d } else { d / b.abs() }
    }

    #[test]
    fn f32_functions_track_f64() {
        let mut worst = [0.0f64; 4];
        let mut x = -20.0f32;
        while x < 20.0 {
            let xd = f64::from(x);
            if xd > -87.0 {
                worst[0] = worst[0].max(rel(exp_f32(x), xd.exp()));
            }
            worst[1] = worst[1].max(rel(tanh_f32(x), xd.tanh()));
            worst[2] = worst[2].max((f64::from(erf_f32(x)) - erf_f64(xd)).abs());
            if xd < 6.0 {
                worst[3] = worst[3].max(rel(erfc_f32(x), erfc_f64(xd)));
            }
            x += 0.001_37;
        }
        assert!(worst[0] < 3e-7, "exp {worst:?}");
        assert!(worst[1] < 3e-7, "tanh {worst:?}");
        assert!(worst[2] < 3e-7, "erf {worst:?}");
        assert!(worst[3] < 5e-6, "erfc {worst:?}");
        assert_eq!(exp_f32(-200.0), 0.0);
        assert_eq!(exp_f32(100.0), f32::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
        assert!((erf_f64(1.0) - 0.842_700_792_949_714_9).abs() < 1e-15);
    }
}
