//! Loads arbitrary bytes as a safetensors file (header JSON, dtypes, offsets, metadata): any
//! outcome but a typed error or a state dict is a bug. The loader maps a path, so each input
//! is written to a file first. Seeds: `PT_FUZZ_SEED_DIR=… cargo test --test serialize_fuzz`.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use pt_core::serialize::load_safetensors;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::Builder::new()
        .suffix(".safetensors")
        .tempfile()
        .expect("a temporary file");
    file.write_all(data).expect("writing the input");
    if let Ok(loaded) = load_safetensors(file.path()) {
        let _ = pt_core::serialize::describe(&loaded);
    }
});
