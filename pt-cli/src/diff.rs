//! `pt diff`'s report for people; the comparison itself is `pt_core::diff`.

use pt_core::diff::{Closeness, DiffReport, Difference};

fn closeness_text(c: &Closeness) -> String {
    let mut s = format!(
        "{} of {} elements not close; max abs diff {:.3e}, max rel diff {:.3e}",
        c.mismatched, c.count, c.max_abs, c.max_rel
    );
    if c.nonfinite_mismatched > 0 {
        s.push_str(&format!(
            " ({} where NaN/inf differ)",
            c.nonfinite_mismatched
        ));
    }
    if let Some(i) = c.first_mismatch {
        s.push_str(&format!("; first at flat index {i}"));
    }
    s
}

/// One line describing a difference.
pub fn difference_text(d: &Difference) -> String {
    match d {
        Difference::Kind(a, b) => format!("kind: {a} vs {b}"),
        Difference::DType(a, b, v) => {
            let mut s = format!("dtype: {a} vs {b}");
            if let Some(c) = v {
                if c.is_close() {
                    s.push_str(&format!(
                        "; values equal within tolerance (max abs diff {:.3e})",
                        c.max_abs
                    ));
                } else {
                    s.push_str("; ");
                    s.push_str(&closeness_text(c));
                }
            }
            s
        }
        Difference::Shape(a, b) => format!("shape: {a:?} vs {b:?}"),
        Difference::Values(c) => closeness_text(c),
        Difference::Scalar(a, b) => format!("value: {a} vs {b}"),
        Difference::Unreadable(e) => format!("cannot compare: {e}"),
    }
}

/// A key for display: the bare root value's empty path is `(root)`.
fn shown(key: &str) -> &str {
    if key.is_empty() { "(root)" } else { key }
}

/// The report for people.
pub fn render(report: &DiffReport, atol: f64, rtol: f64, quiet: bool) -> String {
    let mut out = String::new();
    if !quiet {
        for (title, items) in [("only in A", &report.only_a), ("only in B", &report.only_b)] {
            if !items.is_empty() {
                out.push_str(&format!("{title} ({}):\n", items.len()));
                for (k, d) in items {
                    out.push_str(&format!("  {}  {d}\n", shown(k)));
                }
            }
        }
        if !report.changed.is_empty() {
            out.push_str(&format!("different ({}):\n", report.changed.len()));
            for (k, d) in &report.changed {
                out.push_str(&format!("  {}  {}\n", shown(k), difference_text(d)));
            }
        }
    }
    let equal = report.shared - report.changed.len();
    out.push_str(&format!(
        "{} of {} shared keys equal within tolerance (atol {atol:e}, rtol {rtol:e}; NaN equals NaN at the same position); {} only in A, {} only in B; largest differences: abs {:.3e}, rel {:.3e}\n",
        equal,
        report.shared,
        report.only_a.len(),
        report.only_b.len(),
        report.max_abs,
        report.max_rel,
    ));
    out.push_str(if report.is_equal() {
        "equal\n"
    } else {
        "different\n"
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pt_core::diff::{compare_trees, flatten};
    use pt_core::{Dict, DictKind, Tensor, Value};

    #[test]
    fn renders_differences_and_the_verdict() {
        let t = |v: &[f32]| Value::Tensor(Tensor::from_slice_1d(v));
        let tree = |v: Value| {
            let mut d = Dict::new(DictKind::Plain);
            d.insert("far", v);
            flatten(&Value::Dict(d))
        };
        let r = compare_trees(&tree(t(&[1.0, 2.0])), &tree(t(&[1.0, 2.5])), 1e-8, 1e-5);
        let text = render(&r, 1e-8, 1e-5, false);
        assert!(text.contains("  far  1 of 2 elements not close"), "{text}");
        assert!(text.ends_with("different\n"), "{text}");
    }
}
