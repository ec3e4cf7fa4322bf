//! Deterministic fuzzing: every fixture truncated and bit-flipped at many positions must
//! load or fail with a typed error (no panic). Work per load is bounded by the `Limits` given,
//! not by a clock: a hang would show as a test that never ends.

mod serialize_support;

use std::path::Path;

use pt::core::serialize::{Limits, LoadOptions, UnpicklerMode, load_bytes};
use serialize_support::records;

// ---------------------------------------------------------------------------

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn fuzz_limits() -> LoadOptions {
    LoadOptions::new().limits(Limits {
        max_total_tensor_bytes: 64 << 20,
        max_values: 1 << 20,
        ..Limits::default()
    })
}

#[test]
fn truncated_and_bit_flipped_fixtures_fail_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pt"))
        .collect();
    names.sort();
    let opts = fuzz_limits();
    let inert = fuzz_limits().mode(UnpicklerMode::Inert);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut loads, mut oks) = (0usize, 0usize);
    for path in names {
        let good = std::fs::read(&path).unwrap();
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for i in 0..24 {
            let cut = if i < 8 {
                good.len().saturating_sub(i + 1)
            } else {
                rng.below(good.len())
            };
            cases.push(good[..cut].to_vec());
        }
        // Flips anywhere, and flips concentrated in the pickle (where the structure is).
        let pickle = if good.starts_with(b"PK\x03\x04") {
            records(&good)
                .into_iter()
                .find(|r| r.name.ends_with("/data.pkl"))
                .map(|r| (r.data_offset as usize, r.size as usize))
        } else {
            Some((0, good.len().min(4096)))
        };
        for i in 0..96 {
            let mut b = good.clone();
            let at = match pickle {
                Some((off, len)) if i % 2 == 0 && len > 0 => off + rng.below(len),
                _ => rng.below(b.len()),
            };
            b[at] ^= 1 << rng.below(8);
            if i % 3 == 0 {
                let at2 = rng.below(b.len());
                b[at2] = rng.next() as u8;
            }
            cases.push(b);
        }
        for case in cases {
            for o in [&opts, &inert] {
                let r = load_bytes(&case, o);
                loads += 1;
                oks += usize::from(r.is_ok());
            }
        }
    }
    println!("{loads} corrupted loads ({oks} still loaded)");
    assert!(loads > 1000, "only {loads} cases: are the fixtures there?");
}
