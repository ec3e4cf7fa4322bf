//! The process-wide default byte order for files without a `byteorder` record (PyTorch's
//! `set_default_load_endianness`). In its own test binary: it changes global state.

use std::path::Path;

use pt::core::serialize::{
    LoadEndianness, LoadOptions, get_default_load_endianness, set_default_load_endianness,
};

fn first_values(opts: &LoadOptions) -> Vec<f32> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/no_byteorder.pt");
    let v = pt::core::serialize::Checkpoint::open_with(path, opts)
        .unwrap()
        .value()
        .unwrap();
    let t = v
        .get("float32")
        .and_then(|v| v.as_tensor())
        .unwrap()
        .clone();
    t.to_vec::<f32>().unwrap()
}

#[test]
fn missing_byteorder_follows_the_process_default_unless_overridden() {
    assert_eq!(get_default_load_endianness(), None);
    let little = first_values(&LoadOptions::new());
    assert_eq!(&little[..2], &[1.0, -2.5]);

    set_default_load_endianness(Some(LoadEndianness::Big));
    assert_eq!(get_default_load_endianness(), Some(LoadEndianness::Big));
    let swapped = first_values(&LoadOptions::new());
    assert_eq!(swapped[0].to_bits(), little[0].to_bits().swap_bytes());
    // A per-call choice wins over the process default.
    let opts = LoadOptions::new().default_endianness(Some(LoadEndianness::Little));
    assert_eq!(first_values(&opts), little);
    let native = LoadOptions::new().default_endianness(Some(LoadEndianness::Native));
    assert_eq!(first_values(&native), little);

    set_default_load_endianness(None);
    assert_eq!(first_values(&LoadOptions::new()), little);
}
