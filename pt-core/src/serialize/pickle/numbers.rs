//! Numbers in pickles: two's-complement `LONG1`/`LONG4` payloads and the text forms of
//! protocol 0 (`INT`, `LONG`, `FLOAT`).

/// An integer: small, or the two's-complement bytes of a big one.
#[derive(Debug, PartialEq)]
pub(super) enum Int {
    Small(i64),
    Big(Vec<u8>),
}

/// A LONG1/LONG4 payload: little-endian two's complement.
pub(super) fn long_int(bytes: &[u8]) -> Int {
    if bytes.is_empty() {
        return Int::Small(0);
    }
    if bytes.len() <= 8 {
        let neg = bytes.last().is_some_and(|b| b & 0x80 != 0);
        let mut buf = [if neg { 0xFF } else { 0 }; 8];
        for (dst, src) in buf.iter_mut().zip(bytes) {
            *dst = *src;
        }
        return Int::Small(i64::from_le_bytes(buf));
    }
    // Wider payloads still fit in i64 when every extra byte is sign extension.
    let (low, high) = bytes.split_at(8);
    let low_val = i64::from_le_bytes(low.try_into().unwrap_or([0; 8]));
    let fill = if low_val < 0 { 0xFF } else { 0 };
    if high.iter().all(|&b| b == fill) {
        Int::Small(low_val)
    } else {
        Int::Big(bytes.to_vec())
    }
}

/// A decimal integer of any size.
pub(super) fn decimal_int(text: &str) -> Option<Int> {
    let t = text.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Some(Int::Small(v));
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Magnitude as little-endian bytes: multiply by 10 and add, digit by digit.
    let mut mag: Vec<u8> = Vec::new();
    for d in digits.bytes() {
        let mut carry = u32::from(d - b'0');
        for b in &mut mag {
            let v = u32::from(*b) * 10 + carry;
            *b = (v & 0xFF) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.push((carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    mag.push(0); // room for the sign bit
    if neg {
        let mut carry = 1u16;
        for b in &mut mag {
            let v = u16::from(!*b) + carry;
            *b = (v & 0xFF) as u8;
            carry = v >> 8;
        }
    }
    Some(long_int(&mag))
}

/// Python's `float()` of a FLOAT opcode's text (`inf`, `nan` included).
pub(super) fn parse_float(t: &str) -> Option<f64> {
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_of(n: Int) -> Option<i64> {
        match n {
            Int::Small(i) => Some(i),
            Int::Big(_) => None,
        }
    }

    #[test]
    fn longs_decode() {
        assert_eq!(int_of(long_int(&[])), Some(0));
        assert_eq!(int_of(long_int(&[0xFF])), Some(-1));
        assert_eq!(int_of(long_int(&[0x00, 0x80])), Some(-32768));
        assert_eq!(
            int_of(long_int(&[
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
            ])),
            Some(-1)
        );
        let big = long_int(&[0, 0, 0, 0, 0, 0, 0, 0, 0x40]);
        assert!(matches!(big, Int::Big(_)));
        assert_eq!(int_of(decimal_int("-12").unwrap()), Some(-12));
        // 2**70 and -(2**70)
        assert_eq!(
            decimal_int("1180591620717411303424"),
            Some(Int::Big(vec![0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0]))
        );
        assert_eq!(
            decimal_int("-1180591620717411303424"),
            Some(Int::Big(vec![0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF]))
        );
        assert!(decimal_int("12a").is_none());
    }
}
