//! The `pt inspect` table, rendered from the typed report (`--json` prints the same report).

use indexmap::IndexMap;
use pt_core::serialize::{Entry, LeafEntry};
use serde_json::Value as Json;

use crate::commands::inspect::Report;
use crate::table::{Align, Table, grouped, human_bytes};

fn list(v: &[usize]) -> String {
    let items: Vec<String> = v.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1].saturating_mul(shape[i + 1].max(1));
    }
    s
}

/// A scalar entry's value, shortened for a table cell.
fn scalar_text(e: &LeafEntry) -> String {
    let text = match (e.kind, &e.value) {
        ("none", _) => "None".to_owned(),
        ("str", Some(Json::String(s))) => format!("{s:?}"),
        ("bytes", Some(Json::String(h))) => format!("bytes (hex {h})"),
        (_, Some(Json::String(s))) => s.clone(),
        (_, Some(other)) => other.to_string(),
        (_, None) => String::new(),
    };
    const MAX: usize = 48;
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

struct StorageUse {
    index: usize,
    dtype: String,
    bytes: u64,
    location: String,
    tensors: usize,
}

#[derive(Default)]
struct DTypeTotal {
    tensors: u64,
    elements: u64,
    bytes: u64,
}

/// `1 tensor`, `1,024 tensors`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// Renders an inspect report for people.
pub fn inspect_table(file: &str, report: &Report) -> String {
    let mut out = format!("{file}\n");
    out.push_str(&format!(
        "format: {}   version record: {}   byte order: {}\n\n",
        report.format,
        report.version.as_deref().unwrap_or("(none)"),
        report.byteorder.unwrap_or("(no record)"),
    ));
    if !report.shards.is_empty() {
        out.push_str(&format!("shards: {}\n", report.shards.len()));
        for s in &report.shards {
            out.push_str(&format!("  {s}\n"));
        }
        out.push('\n');
    }

    // Storages in order of first use.
    let mut storages: IndexMap<&str, StorageUse> = IndexMap::new();
    for t in report.entries.iter().filter_map(Entry::as_tensor) {
        let Some(key) = t.storage_key.as_deref() else {
            continue;
        };
        let n = storages.len();
        storages
            .entry(key)
            .or_insert_with(|| StorageUse {
                index: n,
                dtype: t.dtype.name().to_owned(),
                bytes: t.storage_bytes as u64,
                location: t.location.clone().unwrap_or_else(|| "?".to_owned()),
                tensors: 0,
            })
            .tensors += 1;
    }

    let mut table = Table::new(&[
        ("KEY", Align::Left),
        ("TYPE", Align::Left),
        ("SHAPE / VALUE", Align::Left),
        ("STORAGE", Align::Left),
        ("SIZE", Align::Right),
        ("NOTES", Align::Left),
    ]);
    let mut by_dtype: IndexMap<String, DTypeTotal> = IndexMap::new();
    let (mut tensors, mut elements, mut tensor_bytes, mut others) = (0u64, 0u64, 0u64, 0u64);
    for e in &report.entries {
        let key = if e.path().is_empty() {
            "(root)"
        } else {
            e.path()
        };
        let t = match e {
            Entry::Leaf(l) => {
                others += 1;
                table.row(vec![key.to_owned(), l.kind.to_owned(), scalar_text(l)]);
                continue;
            }
            Entry::Tensor(t) => t,
        };
        let dtype = t.dtype.name();
        let numel: u64 = t.shape.iter().map(|&d| d as u64).product();
        let bytes = numel.saturating_mul(t.dtype.size() as u64);
        tensors += 1;
        elements += numel;
        tensor_bytes += bytes;
        let d = by_dtype.entry(dtype.to_owned()).or_default();
        d.tensors += 1;
        d.elements += numel;
        d.bytes += bytes;
        let storage = t
            .storage_key
            .as_deref()
            .and_then(|k| storages.get(k))
            .map_or(String::new(), |s| {
                if s.tensors > 1 {
                    format!("#{} *shared", s.index)
                } else {
                    format!("#{}", s.index)
                }
            });
        let mut notes = Vec::new();
        if t.parameter {
            notes.push("parameter".to_owned());
        }
        if t.requires_grad {
            notes.push("requires_grad".to_owned());
        }
        if numel > 1 && t.stride != contiguous_strides(&t.shape) {
            notes.push(format!("stride {}", list(&t.stride)));
        }
        if t.storage_offset != 0 {
            notes.push(format!("offset {}", t.storage_offset));
        }
        table.row(vec![
            key.to_owned(),
            dtype.to_owned(),
            list(&t.shape),
            storage,
            human_bytes(bytes),
            notes.join(", "),
        ]);
    }
    if table.is_empty() {
        out.push_str("(no entries)\n");
    } else {
        out.push_str(&table.render(""));
    }

    let storage_bytes: u64 = storages.values().map(|s| s.bytes).sum();
    out.push_str(&format!(
        "\n{}, {} (elements), {} of tensor data; {} holding {}",
        counted(tensors, "tensor", "tensors"),
        counted(elements, "parameter", "parameters"),
        human_bytes(tensor_bytes),
        counted(storages.len() as u64, "storage", "storages"),
        human_bytes(storage_bytes),
    ));
    if others > 0 {
        out.push_str(&format!(
            "; {}",
            counted(others, "other entry", "other entries")
        ));
    }
    out.push('\n');
    let shared = storages.values().filter(|s| s.tensors > 1).count();
    if shared > 0 {
        out.push_str(&format!(
            "*shared: {} viewed by several tensors (counted once in the storage total)\n",
            counted(shared as u64, "storage is", "storages are")
        ));
    }
    if !by_dtype.is_empty() {
        let mut t = Table::new(&[
            ("DTYPE", Align::Left),
            ("TENSORS", Align::Right),
            ("ELEMENTS", Align::Right),
            ("BYTES", Align::Right),
        ]);
        for (d, v) in &by_dtype {
            t.row(vec![
                d.clone(),
                grouped(v.tensors),
                grouped(v.elements),
                human_bytes(v.bytes),
            ]);
        }
        out.push_str("\nby dtype:\n");
        out.push_str(&t.render("  "));
    }
    if !storages.is_empty() {
        let mut locations: IndexMap<&str, (u64, u64)> = IndexMap::new();
        for s in storages.values() {
            let l = locations.entry(s.location.as_str()).or_default();
            l.0 += 1;
            l.1 += s.bytes;
        }
        let mut t = Table::new(&[
            ("LOCATION", Align::Left),
            ("STORAGES", Align::Right),
            ("BYTES", Align::Right),
        ]);
        for (loc, (n, b)) in &locations {
            t.row(vec![(*loc).to_owned(), grouped(*n), human_bytes(*b)]);
        }
        out.push_str("\nstorage locations:\n");
        out.push_str(&t.render("  "));
    }
    if shared > 0 {
        let mut t = Table::new(&[
            ("STORAGE", Align::Left),
            ("KEY", Align::Left),
            ("DTYPE", Align::Left),
            ("BYTES", Align::Right),
            ("TENSORS", Align::Right),
        ]);
        for (k, s) in storages.iter().filter(|(_, s)| s.tensors > 1) {
            t.row(vec![
                format!("#{}", s.index),
                (*k).to_owned(),
                s.dtype.clone(),
                human_bytes(s.bytes),
                s.tensors.to_string(),
            ]);
        }
        out.push_str("\nshared storages:\n");
        out.push_str(&t.render("  "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pt_core::DType;
    use pt_core::serialize::TensorEntry;

    #[test]
    fn marks_shared_storages_and_totals() {
        let tensor = |path: &str, shape: usize, stride: usize, offset: usize, parameter: bool| {
            Entry::Tensor(TensorEntry {
                path: path.to_owned(),
                dtype: DType::I64,
                shape: vec![shape],
                stride: vec![stride],
                storage_offset: offset,
                storage_key: Some("0".to_owned()),
                storage_bytes: 80,
                requires_grad: false,
                parameter,
                location: Some("cpu".to_owned()),
                sha256: None,
                values: None,
            })
        };
        let report = Report {
            format: "zip",
            version: Some("3".to_owned()),
            byteorder: Some("little"),
            shards: Vec::new(),
            entries: vec![
                tensor("0", 10, 1, 0, false),
                tensor("1", 5, 2, 1, true),
                Entry::Leaf(LeafEntry {
                    path: "epoch".to_owned(),
                    kind: "int",
                    value: Some(Json::from(5)),
                }),
            ],
        };
        let s = inspect_table("views.pt", &report);
        assert!(
            s.contains("format: zip   version record: 3   byte order: little"),
            "{s}"
        );
        let line1 = s.lines().find(|l| l.starts_with("1 ")).unwrap();
        assert!(line1.contains("#0 *shared"), "{line1}");
        assert!(
            line1.contains("stride [2]") && line1.contains("offset 1"),
            "{line1}"
        );
        assert!(line1.contains("parameter"), "{line1}");
        assert!(s.contains("epoch"), "{s}");
        assert!(
            s.contains("2 tensors, 15 parameters (elements), 120 B of tensor data; 1 storage holding 80 B; 1 other entry"),
            "{s}"
        );
        assert!(s.contains("shared storages:"), "{s}");
    }
}
