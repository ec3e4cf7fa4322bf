//! A fast, per-map keyed hasher for internal maps whose keys come from files (record names,
//! storage keys). SipHash showed up in load profiles; this one mixes 8 bytes per
//! multiplication. It is seeded from the standard library's random keys, so a hostile file
//! cannot precompute colliding names to degrade a map to quadratic time.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// A `HashMap` with [`FastState`].
pub(crate) type FastMap<K, V> = HashMap<K, V, FastState>;

/// Builds [`FastHasher`]s that share one random seed.
#[derive(Clone, Debug)]
pub(crate) struct FastState {
    seed: u64,
}

impl Default for FastState {
    fn default() -> FastState {
        // `RandomState` draws fresh keys per instance from a per-thread random base.
        let seed =
            std::collections::hash_map::RandomState::new().hash_one(0x243f_6a88_85a3_08d3u64);
        FastState { seed }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher { state: self.seed }
    }
}

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xa076_1d64_78bd_642f;

/// The high and low halves of a full 128-bit product, xored: every input bit reaches every
/// output bit.
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// See [`FastState`].
#[derive(Clone, Debug)]
pub(crate) struct FastHasher {
    state: u64,
}

impl FastHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = fold_mul(self.state ^ word, K1 ^ self.state.rotate_left(23));
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        if let Some(dst) = w.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        // The length keeps "ab" + "" and "a" + "b" apart within one final word.
        self.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold_mul(self.state, K2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_near_keys_differ() {
        let s = FastState::default();
        assert_eq!(s.hash_one("data/17"), s.hash_one("data/17"));
        let hashes: std::collections::HashSet<u64> = (0..10_000)
            .map(|i| s.hash_one(format!("data/{i}")))
            .collect();
        assert_eq!(hashes.len(), 10_000);
        assert_ne!(s.hash_one(("ab", "")), s.hash_one(("a", "b")));
    }

    #[test]
    fn map_works() {
        let mut m: FastMap<String, usize> = FastMap::default();
        for i in 0..1000 {
            m.insert(i.to_string(), i);
        }
        assert!((0..1000).all(|i| m.get(&i.to_string()) == Some(&i)));
    }
}
