//! float8 decoding, the one place it is done: `float8_e4m3fn` (bias 7, no infinities,
//! `S.1111.111` is NaN) and `float8_e5m2` (bias 15, IEEE-like infinities and NaNs).

use crate::dtype::DType;

/// Decodes one float8 byte of `dtype` exactly; `None` when `dtype` is not a float8 type.
pub fn to_f64(dtype: DType, b: u8) -> Option<f64> {
    match dtype {
        DType::F8E4M3Fn => Some(decode(b, true)),
        DType::F8E5M2 => Some(decode(b, false)),
        _ => None,
    }
}

/// Decodes a float8 byte: `e4m3fn` when `e4m3`, else `e5m2`.
pub(crate) fn decode(b: u8, e4m3: bool) -> f64 {
    let sign = if b & 0x80 != 0 { -1.0 } else { 1.0 };
    let (exp_bits, man_bits, bias) = if e4m3 { (4, 3, 7) } else { (5, 2, 15) };
    let e = i32::from((b & 0x7f) >> man_bits);
    let m = f64::from(b & ((1 << man_bits) - 1));
    let max_e = (1 << exp_bits) - 1;
    let scale = f64::from(1u8 << man_bits);
    if e4m3 && e == max_e && m == scale - 1.0 {
        return f64::NAN;
    }
    if !e4m3 && e == max_e {
        return if m == 0.0 {
            sign * f64::INFINITY
        } else {
            f64::NAN
        };
    }
    if e == 0 {
        sign * m / scale * 2f64.powi(1 - bias)
    } else {
        sign * (1.0 + m / scale) * 2f64.powi(e - bias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_formats() {
        let e4 = |b| to_f64(DType::F8E4M3Fn, b).unwrap();
        let e5 = |b| to_f64(DType::F8E5M2, b).unwrap();
        assert_eq!(e4(0x38), 1.0);
        assert_eq!(e4(0x7e), 448.0);
        assert!(e4(0x7f).is_nan());
        assert_eq!(e4(0x01), 2f64.powi(-9));
        assert_eq!(e4(0xb8), -1.0);
        assert_eq!(e5(0x3c), 1.0);
        assert_eq!(e5(0x7c), f64::INFINITY);
        assert_eq!(e5(0xfc), f64::NEG_INFINITY);
        assert_eq!(e5(0x7b), 57344.0);
        assert!(e5(0x7d).is_nan());
        assert_eq!(to_f64(DType::F32, 0), None);
    }
}
