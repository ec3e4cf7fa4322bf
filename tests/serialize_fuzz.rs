//! Deterministic fuzzing: every fixture truncated and bit-flipped at many positions must
//! load or fail with a typed error (no panic). Work per load is bounded by the `Limits` given,
//! not by a clock: a hang would show as a test that never ends.

mod serialize_support;

use std::path::Path;

use pt::core::StateDict;
use pt::core::serialize::{
    Checkpoint, Limits, LoadOptions, ShardedIndex, UnpicklerMode, load_bytes, load_safetensors,
    save_safetensors, save_safetensors_sharded,
};
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

/// Seeds for the safetensors and index targets, made from the fixtures' state dicts; written
/// to `$PT_FUZZ_SEED_DIR/{safetensors,index_json}/` when set (the libFuzzer corpora).
fn seeds() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let (mut st, mut index) = (Vec::new(), Vec::new());
    let mut names: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pt"))
        .collect();
    names.sort();
    for (i, path) in names.iter().enumerate() {
        let Ok(sd) = Checkpoint::open(path).and_then(|c| c.state_dict()) else {
            continue;
        };
        let sd: StateDict = sd;
        let file = dir.path().join(format!("{i}.safetensors"));
        if save_safetensors(&sd, &file).is_ok() {
            st.push(std::fs::read(&file).unwrap());
        }
        let shards = dir.path().join(format!("sharded{i}"));
        if save_safetensors_sharded(&sd, &shards, 16).is_ok() {
            let json = shards.join("model.safetensors.index.json");
            if let Ok(bytes) = std::fs::read(json) {
                index.push(bytes);
            }
        }
    }
    if let Ok(out) = std::env::var("PT_FUZZ_SEED_DIR") {
        for (sub, set) in [("safetensors", &st), ("index_json", &index)] {
            let d = Path::new(&out).join(sub);
            std::fs::create_dir_all(&d).unwrap();
            for (i, b) in set.iter().enumerate() {
                std::fs::write(d.join(format!("seed{i}")), b).unwrap();
            }
        }
    }
    (st, index)
}

/// Truncations, bit flips and byte replacements (JSON punctuation half the time) of `good`.
fn mutants(good: &[u8], rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    const JSON: &[u8] = b"{}[]\",:0123456789-e.\\ ";
    let mut out = Vec::new();
    for i in 0..n {
        let mut b = good.to_vec();
        match i % 3 {
            0 => b.truncate(rng.below(b.len())),
            1 => {
                let at = rng.below(b.len());
                b[at] ^= 1 << rng.below(8);
            }
            _ => {
                // The header (safetensors) or the text (index) is near the start.
                let at = rng.below(b.len().min(2048));
                b[at] = if rng.below(2) == 0 {
                    JSON[rng.below(JSON.len())]
                } else {
                    rng.next() as u8
                };
            }
        }
        out.push(b);
    }
    out
}

#[test]
fn mutated_safetensors_and_index_files_fail_cleanly() {
    let (st, index) = seeds();
    assert!(
        st.len() >= 5 && index.len() >= 5,
        "{} {}",
        st.len(),
        index.len()
    );
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case.safetensors");
    let (mut loads, mut oks) = (0usize, 0usize);
    for good in &st {
        for case in mutants(good, &mut rng, 60) {
            std::fs::write(&file, &case).unwrap();
            oks += usize::from(load_safetensors(&file).is_ok());
            loads += 1;
        }
    }
    let at = Path::new("/models/m/model.safetensors.index.json");
    for good in &index {
        for case in mutants(good, &mut rng, 200) {
            if let Ok(ix) = ShardedIndex::parse(&case, at) {
                for (key, shard) in ix.keys() {
                    assert_eq!(ix.shard_of(key), Some(shard));
                }
                oks += 1;
            }
            loads += 1;
        }
    }
    println!("{loads} mutated safetensors and index files ({oks} still parsed)");
}
