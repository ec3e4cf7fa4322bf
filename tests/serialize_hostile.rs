//! Hostile and corrupt inputs: one test per attack or error variant, each ending in a typed
//! error (never a panic, a hang or an unbounded allocation). The fuzz pass over every
//! fixture is in `serialize_fuzz.rs`.

mod serialize_support;

use std::path::Path;

use pt::core::serialize::{Limits, LoadError, LoadOptions, UnpicklerMode, load_bytes, save_bytes};
use pt::core::{Tensor, Value};
use serialize_support::records;

// ---------------------------------------------------------------------------
// Builders for hand-made archives and pickles
// ---------------------------------------------------------------------------

/// A minimal stored zip holding `records` (names taken as they are).
fn zip_of(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in records {
        let offset = out.len() as u32;
        let crc = 0u32;
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(records.len() as u16).to_le_bytes());
    out.extend_from_slice(&(records.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// A checkpoint with the given pickle and storage records (`data/<key>`).
fn checkpoint(pickle: &[u8], data: &[(&str, &[u8])]) -> Vec<u8> {
    let names: Vec<String> = data
        .iter()
        .map(|(k, _)| format!("archive/data/{k}"))
        .collect();
    let mut recs: Vec<(&str, &[u8])> = vec![("archive/data.pkl", pickle)];
    for (n, (_, d)) in names.iter().zip(data) {
        recs.push((n.as_str(), d));
    }
    recs.push(("archive/version", b"3\n"));
    zip_of(&recs)
}

/// Pickle opcodes, assembled by hand.
#[derive(Default)]
struct P(Vec<u8>);

impl P {
    fn new() -> P {
        P(vec![0x80, 2])
    }
    fn op(mut self, b: &[u8]) -> P {
        self.0.extend_from_slice(b);
        self
    }
    fn global(self, module: &str, name: &str) -> P {
        self.op(format!("c{module}\n{name}\n").as_bytes())
    }
    fn str(self, s: &str) -> P {
        let mut b = vec![b'X'];
        b.extend_from_slice(&(s.len() as u32).to_le_bytes());
        b.extend_from_slice(s.as_bytes());
        self.op(&b)
    }
    fn int(self, v: i64) -> P {
        let mut b = vec![0x8a, 8];
        b.extend_from_slice(&v.to_le_bytes());
        self.op(&b)
    }
    fn ints(mut self, vs: &[i64]) -> P {
        self = self.op(b"(");
        for &v in vs {
            self = self.int(v);
        }
        self.op(b"t")
    }
    fn stop(self) -> Vec<u8> {
        let mut v = self.0;
        v.push(b'.');
        v
    }
}

/// `_rebuild_tensor_v2(('storage', torch.<class>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`.
fn tensor_pickle(
    class: &str,
    key: &str,
    numel: i64,
    offset: i64,
    size: &[i64],
    stride: &[i64],
) -> Vec<u8> {
    P::new()
        .global("torch._utils", "_rebuild_tensor_v2")
        .op(b"((")
        .str("storage")
        .global("torch", class)
        .str(key)
        .str("cpu")
        .int(numel)
        .op(b"tQ")
        .int(offset)
        .ints(size)
        .ints(stride)
        .op(&[0x89])
        .global("collections", "OrderedDict")
        .op(b")R")
        .op(b"tR")
        .stop()
}

fn err(bytes: &[u8]) -> LoadError {
    err_with(bytes, &LoadOptions::new())
}

fn err_with(bytes: &[u8], opts: &LoadOptions) -> LoadError {
    match load_bytes(bytes, opts) {
        Ok(v) => panic!("expected an error, loaded {:?}", v.value.kind()),
        Err(e) => e,
    }
}

fn format_message(e: &LoadError) -> String {
    match e {
        LoadError::Format(f) => f.to_string(),
        other => panic!("expected a format error, got {other:?} ({other})"),
    }
}

fn four_floats() -> Vec<u8> {
    [1.0f32, 2.0, 3.0, 4.0]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect()
}

#[test]
fn hand_made_checkpoint_loads() {
    let bytes = checkpoint(
        &tensor_pickle("FloatStorage", "0", 4, 1, &[2], &[2]),
        &[("0", &four_floats())],
    );
    let v = load_bytes(&bytes, &LoadOptions::new()).unwrap().value;
    assert_eq!(
        v.as_tensor().unwrap().to_vec::<f32>().unwrap(),
        vec![2.0, 4.0]
    );
}

// ---------------------------------------------------------------------------
// Container attacks
// ---------------------------------------------------------------------------

#[test]
fn truncated_zip() {
    let bytes = save_bytes(&Value::Tensor(Tensor::from_slice_1d(&[1.0f32; 100]))).unwrap();
    for cut in [bytes.len() - 1, bytes.len() - 30, bytes.len() / 2, 100, 5] {
        let e = err(&bytes[..cut]);
        assert!(
            matches!(e, LoadError::Format(_) | LoadError::Io { .. }),
            "cut {cut}: {e:?}"
        );
    }
}

#[test]
fn bit_flipped_local_header() {
    let bytes = save_bytes(&Value::Tensor(Tensor::from_slice_1d(&[1.0f32; 4]))).unwrap();
    let rec = records(&bytes)
        .into_iter()
        .find(|r| r.name == "archive/data/0")
        .unwrap();
    let mut bad = bytes.clone();
    let header = rec.data_offset as usize - 30 - "archive/data/0".len() - 4 - 4;
    // Find the local header signature before the data and corrupt it.
    let sig = bad[..rec.data_offset as usize]
        .windows(4)
        .rposition(|w| w == b"PK\x03\x04")
        .unwrap();
    assert!(sig <= header + 64);
    bad[sig] ^= 0xFF;
    let msg = format_message(&err(&bad));
    assert!(
        msg.contains("local header") && msg.contains("archive/data/0"),
        "{msg}"
    );
}

#[test]
fn crc_mismatch_when_asked_to_verify() {
    let bytes = save_bytes(&Value::Tensor(Tensor::from_slice_1d(&[1.0f32; 4]))).unwrap();
    let rec = records(&bytes)
        .into_iter()
        .find(|r| r.name == "archive/data/0")
        .unwrap();
    let mut bad = bytes.clone();
    bad[rec.data_offset as usize] ^= 1;
    // PyTorch does not check CRCs, and neither does the default load.
    assert!(load_bytes(&bad, &LoadOptions::new()).is_ok());
    let msg = format_message(&err_with(&bad, &LoadOptions::new().verify_crc(true)));
    assert!(
        msg.contains("CRC-32") && msg.contains("archive/data/0"),
        "{msg}"
    );
}

#[test]
fn huge_declared_record_size() {
    let mut bytes = checkpoint(
        &tensor_pickle("FloatStorage", "0", 4, 0, &[4], &[1]),
        &[("0", &four_floats())],
    );
    // Patch the central directory sizes of data/0 to 4 GiB - 1.
    let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let second = cd
        + 4
        + bytes[cd + 4..]
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .unwrap();
    bytes[second + 20..second + 28]
        .copy_from_slice(&[0xFE, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF]);
    let e = err(&bytes);
    assert!(matches!(e, LoadError::Format(_)), "{e:?}");
}

#[test]
fn zip_bomb_claims_are_rejected_before_allocating() {
    // A deflated data.pkl declaring 1 GiB from 2 compressed bytes.
    let mut bytes = zip_of(&[("archive/data.pkl", &[3, 0]), ("archive/version", b"3\n")]);
    let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bytes[cd + 10] = 8; // deflate
    bytes[cd + 24..cd + 28].copy_from_slice(&(1u32 << 30).to_le_bytes());
    let msg = format_message(&err(&bytes));
    assert!(msg.contains("deflated bytes can hold"), "{msg}");
}

#[test]
fn records_outside_one_folder() {
    let bytes = zip_of(&[
        ("archive/data.pkl", b"\x80\x02N."),
        ("other/version", b"3\n"),
    ]);
    let msg = format_message(&err(&bytes));
    assert!(msg.contains("not in a subdirectory"), "{msg}");
}

#[test]
fn duplicate_records() {
    let bytes = zip_of(&[
        ("archive/data.pkl", b"\x80\x02N."),
        ("archive/version", b"3\n"),
        ("archive/version", b"3\n"),
    ]);
    let msg = format_message(&err(&bytes));
    assert!(msg.contains("duplicate record `archive/version`"), "{msg}");
}

#[test]
fn missing_records() {
    let no_version = zip_of(&[("archive/data.pkl", b"\x80\x02N.")]);
    assert!(format_message(&err(&no_version)).contains("hasRecord(\"version\")"));
    let no_pickle = zip_of(&[("archive/version", b"3\n")]);
    assert!(format_message(&err(&no_pickle)).contains("data.pkl"));
    let no_storage = checkpoint(&tensor_pickle("FloatStorage", "5", 4, 0, &[4], &[1]), &[]);
    let msg = format_message(&err(&no_storage));
    assert!(
        msg.contains("archive/data/5") && msg.contains("storage key 5"),
        "{msg}"
    );
}

#[test]
fn bad_version_and_byteorder_records() {
    let v99 = zip_of(&[
        ("archive/data.pkl", b"\x80\x02N."),
        ("archive/version", b"99\n"),
    ]);
    assert!(
        matches!(err(&v99), LoadError::Unsupported { what, .. } if what.contains("version 99"))
    );
    let text = zip_of(&[
        ("archive/data.pkl", b"\x80\x02N."),
        ("archive/version", b"x"),
    ]);
    assert!(format_message(&err(&text)).contains("not an integer"));
    let order = zip_of(&[
        ("archive/data.pkl", b"\x80\x02N."),
        ("archive/version", b"3\n"),
        ("archive/byteorder", b"middle"),
    ]);
    assert!(format_message(&err(&order)).contains("Unknown endianness type: middle"));
}

#[test]
fn record_length_mismatch() {
    let bytes = checkpoint(
        &tensor_pickle("FloatStorage", "0", 3, 0, &[3], &[1]),
        &[("0", &four_floats())],
    );
    let msg = format_message(&err(&bytes));
    assert!(
        msg.contains("16 bytes") && msg.contains("12 bytes"),
        "{msg}"
    );
    assert!(msg.contains("archive/data/0"), "{msg}");
}

#[test]
fn one_key_two_lengths() {
    let pickle = P::new()
        .op(b"(")
        .str("storage")
        .global("torch", "FloatStorage")
        .str("0")
        .str("cpu")
        .int(4)
        .op(b"tQ(")
        .str("storage")
        .global("torch", "DoubleStorage")
        .str("0")
        .str("cpu")
        .int(4)
        .op(b"tQ\x86")
        .stop();
    let msg = format_message(&err(&checkpoint(&pickle, &[("0", &four_floats())])));
    assert!(msg.contains("referenced as 16 bytes"), "{msg}");
}

// ---------------------------------------------------------------------------
// Tensor layout attacks
// ---------------------------------------------------------------------------

#[test]
fn huge_numel_overflows() {
    let bytes = checkpoint(
        &tensor_pickle("DoubleStorage", "0", i64::MAX / 2, 0, &[1], &[1]),
        &[("0", &four_floats())],
    );
    let msg = format_message(&err(&bytes));
    assert!(msg.contains("overflows") || msg.contains("bytes"), "{msg}");
}

#[test]
fn overflowing_shapes_and_strides() {
    let data = four_floats();
    for (size, stride) in [
        (vec![1i64 << 40, 1 << 40], vec![1i64, 1]),
        (vec![2], vec![i64::MAX]),
        (vec![4, 4], vec![1, 1]),
    ] {
        let bytes = checkpoint(
            &tensor_pickle("FloatStorage", "0", 4, 0, &size, &stride),
            &[("0", &data)],
        );
        let msg = format_message(&err(&bytes));
        assert!(
            msg.contains("does not fit its storage") && msg.contains("storage key 0"),
            "{msg}"
        );
    }
    let negative = checkpoint(
        &tensor_pickle("FloatStorage", "0", 4, 0, &[-1], &[1]),
        &[("0", &data)],
    );
    assert!(format_message(&err(&negative)).contains("negative"));
}

#[test]
fn view_out_of_storage_bounds() {
    let bytes = checkpoint(
        &tensor_pickle("FloatStorage", "0", 4, 3, &[2], &[1]),
        &[("0", &four_floats())],
    );
    let msg = format_message(&err(&bytes));
    assert!(
        msg.contains("does not fit") && msg.contains("storage key 0"),
        "{msg}"
    );
}

#[test]
fn unsupported_storages_and_layouts_are_named() {
    let q = checkpoint(
        &tensor_pickle("QInt8Storage", "0", 4, 0, &[4], &[1]),
        &[("0", &[0; 4])],
    );
    assert!(
        matches!(err(&q), LoadError::Unsupported { what, .. } if what.contains("QInt8Storage"))
    );
    let sparse = P::new()
        .global("torch._utils", "_rebuild_sparse_tensor")
        .op(b")R")
        .stop();
    assert!(
        matches!(err(&checkpoint(&sparse, &[])), LoadError::Unsupported { what, .. } if what.contains("sparse"))
    );
    let other_dtype = P::new().global("torch", "qint8").stop();
    assert!(
        matches!(err(&checkpoint(&other_dtype, &[])), LoadError::Unsupported { what, .. } if what.contains("qint8"))
    );
}

#[test]
fn conjugate_bit_is_refused_not_ignored() {
    let pickle = P::new()
        .global("torch._utils", "_rebuild_tensor_v2")
        .op(b"((")
        .str("storage")
        .global("torch", "ComplexFloatStorage")
        .str("0")
        .str("cpu")
        .int(1)
        .op(b"tQ")
        .int(0)
        .ints(&[1])
        .ints(&[1])
        .op(&[0x89])
        .global("collections", "OrderedDict")
        .op(b")R}")
        .str("conj")
        .op(&[0x88, b's'])
        .op(b"tR")
        .stop();
    let e = err(&checkpoint(&pickle, &[("0", &[0; 8])]));
    assert!(
        matches!(e, LoadError::Unsupported { ref what, .. } if what.contains("conjugate")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------
// Pickle machine attacks
// ---------------------------------------------------------------------------

#[test]
fn huge_string_lengths() {
    let mut p = vec![0x80, 2, b'X'];
    p.extend_from_slice(&0x0FFF_FFF0u32.to_le_bytes());
    p.extend_from_slice(b"abc.");
    let msg = format_message(&err(&checkpoint(&p, &[])));
    assert!(
        msg.contains("more than the") && msg.contains("archive/data.pkl"),
        "{msg}"
    );
    let mut p = vec![0x80, 2, 0x8d];
    p.extend_from_slice(&u64::MAX.to_le_bytes());
    p.push(b'.');
    assert!(matches!(
        err(&checkpoint(&p, &[])),
        LoadError::Limit {
            limit: "max_string_len",
            ..
        }
    ));
    let limits = Limits {
        max_string_len: 2,
        ..Limits::default()
    };
    let p = P::new().str("abc").stop();
    let e = err_with(&checkpoint(&p, &[]), &LoadOptions::new().limits(limits));
    assert!(
        matches!(
            e,
            LoadError::Limit {
                limit: "max_string_len",
                value: 3,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn memo_bomb() {
    let mut p = P::new().op(b"N");
    for i in 0..100u32 {
        p = p.op(b"r").op(&i.to_le_bytes());
    }
    let limits = Limits {
        max_memo_entries: 50,
        ..Limits::default()
    };
    let e = err_with(
        &checkpoint(&p.stop(), &[]),
        &LoadOptions::new().limits(limits),
    );
    assert!(
        matches!(
            e,
            LoadError::Limit {
                limit: "max_memo_entries",
                ..
            }
        ),
        "{e:?}"
    );
    let missing = P::new().op(b"h\x07").stop();
    assert!(format_message(&err(&checkpoint(&missing, &[]))).contains("memo key 7"));
}

#[test]
fn stack_bombs() {
    let marks = P::new().op(&[b'('; 10_000]).op(b"N").stop();
    assert!(matches!(
        err(&checkpoint(&marks, &[])),
        LoadError::Limit {
            limit: "max_stack_depth",
            ..
        }
    ));
    let nones = P::new().op(&[b'N'; 1000]).stop();
    let limits = Limits {
        max_stack_size: 100,
        ..Limits::default()
    };
    let e = err_with(&checkpoint(&nones, &[]), &LoadOptions::new().limits(limits));
    assert!(
        matches!(
            e,
            LoadError::Limit {
                limit: "max_stack_size",
                ..
            }
        ),
        "{e:?}"
    );
    let underflow = P::new().op(b"R").stop();
    assert!(format_message(&err(&checkpoint(&underflow, &[]))).contains("stack underflow"));
    let no_stop = P::new().op(b"N").0;
    assert!(format_message(&err(&checkpoint(&no_stop, &[]))).contains("STOP"));
}

#[test]
fn nesting_bomb() {
    // 10 000 lists, each appended into the one below: nesting 10 000 deep.
    let p = P::new().op(&[b']'; 10_000]).op(&[b'a'; 9_999]).stop();
    let e = err(&checkpoint(&p, &[]));
    assert!(
        matches!(
            e,
            LoadError::Limit {
                limit: "max_nesting",
                ..
            }
        ),
        "{e:?}"
    );
    // Just under the default limit still loads, on a test thread's stack.
    let p = P::new().op(&[b']'; 500]).op(&[b'a'; 499]).stop();
    let mut v = load_bytes(&checkpoint(&p, &[]), &LoadOptions::new())
        .unwrap()
        .value;
    let mut depth = 1;
    while let Value::List(mut items) = v {
        match items.pop() {
            Some(inner) => {
                v = inner;
                depth += 1;
            }
            None => break,
        }
    }
    assert_eq!(depth, 500);
    // A list that contains itself.
    let cycle = P::new().op(b"]q\x00h\x00a").stop();
    assert!(matches!(
        err(&checkpoint(&cycle, &[])),
        LoadError::Limit {
            limit: "max_nesting",
            ..
        }
    ));
}

#[test]
fn billion_laughs() {
    // L0 = [0]*100; Lk = [L(k-1)]*100 via memo: 100^5 values from a few KB.
    let mut p = P::new().op(b"](");
    for _ in 0..100 {
        p = p.op(b"K\x00");
    }
    p = p.op(b"eq\x00");
    for k in 1..5u8 {
        p = p.op(b"](");
        for _ in 0..100 {
            p = p.op(&[b'h', k - 1]);
        }
        p = p.op(&[b'e', b'q', k]);
    }
    // The limit, not a clock, bounds the work: the error proves the expansion stopped.
    let limits = Limits {
        max_values: 100_000,
        ..Limits::default()
    };
    let e = err_with(
        &checkpoint(&p.stop(), &[]),
        &LoadOptions::new().limits(limits),
    );
    assert!(
        matches!(
            e,
            LoadError::Limit {
                limit: "max_values",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn unknown_and_refused_opcodes() {
    let e = err(&checkpoint(&P::new().op(&[0xFF]).stop(), &[]));
    assert!(
        matches!(e, LoadError::Unsupported { ref what, .. } if what.contains("0xff")),
        "{e:?}"
    );
    let ext = P::new().op(&[0x82, 1]).stop();
    assert!(
        matches!(err(&checkpoint(&ext, &[])), LoadError::Unsupported { what, .. } if what.contains("EXT1"))
    );
    let inst = P::new().op(b"iposix\nsystem\n").stop();
    assert!(
        matches!(err(&checkpoint(&inst, &[])), LoadError::Unsupported { what, .. } if what.contains("INST"))
    );
    let proto = vec![0x80, 9, b'N', b'.'];
    assert!(
        matches!(err(&checkpoint(&proto, &[])), LoadError::Unsupported { what, .. } if what.contains("protocol 9"))
    );
}

#[test]
fn refused_globals_name_themselves() {
    for (module, name) in [
        ("posix", "system"),
        ("nt", "system"),
        ("os", "system"),
        ("builtins", "eval"),
        ("__builtin__", "exec"),
        ("__main__", "MyModule"),
        ("sys", "modules"),
        ("subprocess", "Popen"),
    ] {
        let p = P::new()
            .global(module, name)
            .str("echo pwned")
            .op(b"\x85R")
            .stop();
        let bytes = checkpoint(&p, &[]);
        match err(&bytes) {
            LoadError::UnsafeGlobal {
                module: m,
                name: n,
                hint,
                location,
            } => {
                let expected_module = if module == "__builtin__" {
                    "builtins"
                } else {
                    module
                };
                assert_eq!((m.as_str(), n.as_str()), (expected_module, name));
                assert!(hint.contains("UnpicklerMode::Inert"), "{hint}");
                assert_eq!(location.offset, Some(2));
                assert_eq!(location.record.as_deref(), Some("archive/data.pkl"));
            }
            other => panic!("{module}.{name}: {other:?}"),
        }
        // Code-running globals stay refused in inert mode; classes become records.
        let inert =
            load_bytes(&bytes, &LoadOptions::new().mode(UnpicklerMode::Inert)).map(|l| l.value);
        if module == "__main__" {
            assert!(matches!(inert, Ok(Value::Object(_))), "{inert:?}");
        } else {
            assert!(
                matches!(inert, Err(LoadError::UnsafeGlobal { .. })),
                "{module}.{name}"
            );
        }
    }
    // STACK_GLOBAL goes through the same allowlist.
    let p = P::new().str("posix").str("system").op(&[0x93]).stop();
    assert!(matches!(
        err(&checkpoint(&p, &[])),
        LoadError::UnsafeGlobal { .. }
    ));
}

#[test]
fn persistent_ids_other_than_storages() {
    let p = P::new().str("module").op(b"\x85Q").stop();
    assert!(format_message(&err(&checkpoint(&p, &[]))).contains("persistent id"));
    let not_class = P::new()
        .op(b"(")
        .str("storage")
        .str("FloatStorage")
        .str("0")
        .str("cpu")
        .int(1)
        .op(b"tQ")
        .stop();
    assert!(format_message(&err(&checkpoint(&not_class, &[]))).contains("storage type"));
}

// ---------------------------------------------------------------------------
// Legacy and other formats
// ---------------------------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn legacy_corruptions() {
    let good = fixture("legacy.pt");
    let mut bad_magic = good.clone();
    bad_magic[5] ^= 1;
    assert!(format_message(&err(&bad_magic)).contains("magic number"));
    let truncated = &good[..good.len() - 3];
    let msg = format_message(&err(truncated));
    assert!(
        msg.contains("past the end") || msg.contains("only"),
        "{msg}"
    );
    // The first element count (int64) right after the key list: make it disagree.
    let e = err(&good[..100]);
    assert!(matches!(e, LoadError::Format(_)), "{e:?}");
}

#[test]
fn tar_checkpoints_are_unsupported() {
    let mut tar = vec![0u8; 1024];
    tar[..8].copy_from_slice(b"storages");
    tar[257..262].copy_from_slice(b"ustar");
    assert!(matches!(err(&tar), LoadError::Unsupported { what, .. } if what.contains("tar")));
}

#[test]
fn empty_and_tiny_inputs() {
    for bytes in [&b""[..], b"P", b"PK\x03\x04", b"\x80", b"\x80\x02"] {
        let e = err(bytes);
        assert!(matches!(e, LoadError::Format(_)), "{bytes:?}: {e:?}");
    }
}

#[test]
fn mmap_needs_a_path_and_stored_records() {
    let bytes = save_bytes(&Value::Int(1)).unwrap();
    let e = err_with(&bytes, &LoadOptions::new().mmap(true));
    assert!(
        matches!(e, LoadError::Unsupported { ref what, .. } if what.contains("path")),
        "{e:?}"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deflated.pt");
    match load_file(path, &LoadOptions::new().mmap(true)) {
        Err(LoadError::Unsupported { what, .. }) => assert!(what.contains("deflated"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn total_tensor_bytes_limit() {
    let bytes = save_bytes(&Value::Tensor(Tensor::from_slice_1d(&[0u8; 4096]))).unwrap();
    let limits = Limits {
        max_total_tensor_bytes: 1000,
        ..Limits::default()
    };
    let e = err_with(&bytes, &LoadOptions::new().limits(limits));
    assert!(
        matches!(
            e,
            LoadError::Limit {
                limit: "max_total_tensor_bytes",
                value: 4096,
                ..
            }
        ),
        "{e:?}"
    );
}

/// A single-file checkpoint with its container facts.
fn load_file(
    path: impl AsRef<std::path::Path>,
    opts: &pt::core::serialize::LoadOptions,
) -> Result<pt::core::serialize::Loaded, pt::core::serialize::LoadError> {
    pt::core::serialize::Checkpoint::open_with(path, opts)
        .map(|c| c.into_loaded().expect("a single-file checkpoint"))
}
