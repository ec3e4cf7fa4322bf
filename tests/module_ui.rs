//! Compile-fail tests of `#[derive(Module)]` diagnostics (one `tests/ui/*.rs` + `.stderr`
//! pair per diagnostic).

#[test]
fn derive_diagnostics() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
