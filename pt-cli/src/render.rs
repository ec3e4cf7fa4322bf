//! The `pt inspect` table, rendered from the same JSON report `--json` prints.

use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::table::{Align, Table, grouped, human_bytes};

/// Bytes of one element of a dtype named as in the schema.
fn dtype_size(name: &str) -> u64 {
    pt_core::DType::from_name(name).map_or(0, |d| d.size() as u64)
}

fn ints(j: Option<&Json>) -> Vec<u64> {
    j.and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_u64).collect())
        .unwrap_or_default()
}

fn list(v: &[u64]) -> String {
    let items: Vec<String> = v.iter().map(u64::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn contiguous_strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1].saturating_mul(shape[i + 1].max(1));
    }
    s
}

/// A scalar entry's value, shortened for a table cell.
fn scalar_text(e: &Json) -> String {
    let v = e.get("value");
    let text = match (e.get("kind").and_then(Json::as_str), v) {
        (Some("none"), _) => "None".to_owned(),
        (Some("str"), Some(Json::String(s))) => format!("{s:?}"),
        (Some("bytes"), Some(Json::String(h))) => format!("bytes (hex {h})"),
        (Some(_), Some(Json::String(s))) => s.clone(),
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

/// Renders the report of `pt inspect --json` for people.
pub fn inspect_table(file: &str, report: &Json) -> String {
    let entries: &[Json] = report
        .get("entries")
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice);
    let text = |k: &str| report.get(k).and_then(Json::as_str);
    let mut out = format!("{file}\n");
    out.push_str(&format!(
        "format: {}   version record: {}   byte order: {}\n\n",
        text("format").unwrap_or("?"),
        text("version").unwrap_or("(none)"),
        text("byteorder").unwrap_or("(no record)"),
    ));
    if let Some(shards) = report.get("shards").and_then(Json::as_array) {
        out.push_str(&format!("shards: {}\n", shards.len()));
        for s in shards.iter().filter_map(Json::as_str) {
            out.push_str(&format!("  {s}\n"));
        }
        out.push('\n');
    }

    // Storages in order of first use.
    let mut storages: IndexMap<String, StorageUse> = IndexMap::new();
    for e in entries {
        if let Some(key) = e.get("storage_key").and_then(Json::as_str) {
            let n = storages.len();
            storages
                .entry(key.to_owned())
                .or_insert_with(|| StorageUse {
                    index: n,
                    dtype: e["dtype"].as_str().unwrap_or("?").to_owned(),
                    bytes: e["storage_bytes"].as_u64().unwrap_or(0),
                    location: e["location"].as_str().unwrap_or("?").to_owned(),
                    tensors: 0,
                })
                .tensors += 1;
        }
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
    for e in entries {
        let path = e.get("path").and_then(Json::as_str).unwrap_or("");
        let key = if path.is_empty() { "(root)" } else { path };
        let kind = e.get("kind").and_then(Json::as_str).unwrap_or("?");
        if kind != "tensor" {
            others += 1;
            table.row(vec![key.to_owned(), kind.to_owned(), scalar_text(e)]);
            continue;
        }
        let dtype = e.get("dtype").and_then(Json::as_str).unwrap_or("?");
        let shape = ints(e.get("shape"));
        let stride = ints(e.get("stride"));
        let offset = e.get("storage_offset").and_then(Json::as_u64).unwrap_or(0);
        let numel: u64 = shape.iter().product();
        let bytes = numel.saturating_mul(dtype_size(dtype));
        tensors += 1;
        elements += numel;
        tensor_bytes += bytes;
        let t = by_dtype.entry(dtype.to_owned()).or_default();
        t.tensors += 1;
        t.elements += numel;
        t.bytes += bytes;
        let storage = e
            .get("storage_key")
            .and_then(Json::as_str)
            .and_then(|k| storages.get(k))
            .map_or(String::new(), |s| {
                if s.tensors > 1 {
                    format!("#{} *shared", s.index)
                } else {
                    format!("#{}", s.index)
                }
            });
        let mut notes = Vec::new();
        if e.get("parameter").and_then(Json::as_bool) == Some(true) {
            notes.push("parameter".to_owned());
        }
        if e.get("requires_grad").and_then(Json::as_bool) == Some(true) {
            notes.push("requires_grad".to_owned());
        }
        if numel > 1 && stride != contiguous_strides(&shape) {
            notes.push(format!("stride {}", list(&stride)));
        }
        if offset != 0 {
            notes.push(format!("offset {offset}"));
        }
        table.row(vec![
            key.to_owned(),
            dtype.to_owned(),
            list(&shape),
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
                k.clone(),
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
    use serde_json::json;

    #[test]
    fn marks_shared_storages_and_totals() {
        let report = json!({
            "format": "zip", "version": "3", "byteorder": "little",
            "entries": [
                {"path": "0", "kind": "tensor", "dtype": "int64", "shape": [10], "stride": [1],
                 "storage_offset": 0, "storage_key": "0", "storage_bytes": 80,
                 "requires_grad": false, "parameter": false, "location": "cpu"},
                {"path": "1", "kind": "tensor", "dtype": "int64", "shape": [5], "stride": [2],
                 "storage_offset": 1, "storage_key": "0", "storage_bytes": 80,
                 "requires_grad": false, "parameter": true, "location": "cpu"},
                {"path": "epoch", "kind": "int", "value": 5},
            ]
        });
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
