//! Loads arbitrary bytes as a checkpoint: any outcome but a typed error or a value (a panic,
//! a hang, an allocation beyond the limits) is a bug. Seed the corpus with the fixtures:
//! `cargo +nightly fuzz run load ../../tests/fixtures`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pt_core::serialize::{Limits, LoadOptions, UnpicklerMode, describe, load_bytes};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_total_tensor_bytes: 1 << 28,
        max_values: 1 << 20,
        ..Limits::default()
    };
    for mode in [UnpicklerMode::Restricted, UnpicklerMode::Inert] {
        let opts = LoadOptions::new().limits(limits.clone()).mode(mode);
        if let Ok(loaded) = load_bytes(data, &opts) {
            // Describing walks every tensor through its validated layout.
            let _ = describe(&loaded);
        }
    }
});
