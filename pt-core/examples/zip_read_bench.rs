//! Our zip reader against the `zip` crate's, on checkpoints in memory.
//!
//! `cargo run --release -p pt-core --example zip_read_bench [-- SMALL LARGE_MIB RUNS]`
//!
//! The same work for both: open the archive (central directory) and read every record into its
//! own `Vec`, CRC-checked. Then, for scale, a full `load_bytes` (records read straight into
//! storages, plus unpickling). Runs alternate; medians and the ratio crate ÷ ours (> 1: ours
//! faster) are printed.

use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use pt_core::serialize::{
    __bench_zip_read_all_records as ours_read_all, LoadOptions, load_bytes, save_bytes,
};
use pt_core::{StateDict, Tensor};

fn state_dict(small: usize, large_mib: usize) -> StateDict {
    let mut sd = StateDict::new();
    for i in 0..small {
        let n = 16 + (i * 37) % 241;
        let values: Vec<f32> = (0..n).map(|j| (i + j) as f32 * 0.5).collect();
        sd.insert(format!("layers.{i}.weight"), Tensor::from_slice_1d(&values));
    }
    let elems = large_mib * (1 << 20) / 4;
    for i in 0..4 {
        let values: Vec<f32> = (0..elems).map(|j| (j % 1000) as f32).collect();
        sd.insert(format!("embed.{i}.weight"), Tensor::from_slice_1d(&values));
    }
    sd
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn zip_crate_read_all(bytes: &[u8]) -> usize {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip crate opens it");
    let mut total = 0;
    for i in 0..z.len() {
        let mut f = z.by_index(i).expect("entry");
        let mut out = Vec::with_capacity(usize::try_from(f.size()).unwrap_or(0));
        f.read_to_end(&mut out).expect("entry reads");
        total += out.len();
    }
    total
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numeric arguments"))
        .collect();
    let small = args.first().copied().unwrap_or(10_000);
    let large = args.get(1).copied().unwrap_or(16);
    let runs = args.get(2).copied().unwrap_or(15);
    let bytes = save_bytes(&state_dict(small, large).to_value()).expect("saves");
    let opts = LoadOptions::new();
    assert_eq!(ours_read_all(&bytes).unwrap(), zip_crate_read_all(&bytes));
    let (mut ours, mut theirs, mut full) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(ours_read_all(&bytes).expect("reads"));
        ours.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(zip_crate_read_all(&bytes));
        theirs.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(load_bytes(&bytes, &opts).expect("loads"));
        full.push(t.elapsed());
    }
    let (o, t, f) = (median(ours), median(theirs), median(full));
    println!(
        "{small} small + 4 x {large} MiB tensors, {:.1} MiB file, median of {runs}:",
        bytes.len() as f64 / f64::from(1 << 20)
    );
    println!(
        "  ours (read all)         {:>9.2} ms",
        o.as_secs_f64() * 1e3
    );
    println!(
        "  zip crate (read all)    {:>9.2} ms",
        t.as_secs_f64() * 1e3
    );
    println!(
        "  ours (full load)        {:>9.2} ms",
        f.as_secs_f64() * 1e3
    );
    println!(
        "  crate / ours            {:>9.2}x",
        t.as_secs_f64() / o.as_secs_f64()
    );
}
