//! Debug records (`code/….py.debug_pkl`): for byte ranges of the generated code, the
//! original Python source range. Used to name the Python line in errors.

use std::collections::HashMap;

use pt_core::Value;

/// For each line of the generated `code`, the original Python line its first byte came from.
///
/// The record is a tuple of `(byte_offset, source_range, …)` entries, where a source range
/// is `((text, filename, start_line), start, end)`; newer archives write
/// `("FORMAT_WITH_STRING_TABLE", strings, entries)` with text as a list of indices into
/// `strings` and the filename as an index. Unknown layouts give an empty map.
pub(crate) fn original_lines(code: &str, debug: &Value) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    let Some(mut entries) = seq(debug) else {
        return out;
    };
    let mut table: &[Value] = &[];
    if let [Value::Str(tag), Value::Tuple(strings), Value::Tuple(rest)] = entries
        && tag == "FORMAT_WITH_STRING_TABLE"
    {
        table = strings;
        entries = rest;
    }
    // Byte offset of each line start in the generated code.
    let mut starts = vec![0usize];
    for (i, b) in code.bytes().enumerate() {
        if b == b'\n' {
            starts.push(i + 1);
        }
    }
    let mut ranges: Vec<(usize, String)> = Vec::new();
    for e in entries {
        let Some(parts) = seq(e) else { continue };
        let (Some(Value::Int(offset)), Some(range)) = (parts.first(), parts.get(1)) else {
            continue;
        };
        let Some(text) = python_line(range, table) else {
            continue;
        };
        ranges.push((*offset as usize, text));
    }
    ranges.sort_by_key(|(o, _)| *o);
    for (line_index, &start) in starts.iter().enumerate() {
        // The last range starting at or before this line's first non-space byte.
        let first = code[start..]
            .find(|c: char| c != ' ')
            .map_or(start, |i| start + i);
        let i = ranges.partition_point(|(o, _)| *o <= first);
        if let Some((_, text)) = i.checked_sub(1).and_then(|i| ranges.get(i)) {
            out.insert(line_index as u32 + 1, text.clone());
        }
    }
    out
}

fn seq(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Tuple(items) | Value::List(items) => Some(items),
        _ => None,
    }
}

/// A string, or an index into the string table.
fn text_of(v: &Value, table: &[Value]) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => match table.get(usize::try_from(*i).ok()?)? {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        },
        Value::List(parts) | Value::Tuple(parts) => {
            parts.iter().map(|p| text_of(p, table)).collect()
        }
        _ => None,
    }
}

/// `file:line: text` of a source range.
fn python_line(range: &Value, table: &[Value]) -> Option<String> {
    let parts = seq(range)?;
    let source = seq(parts.first()?)?;
    let Value::Int(start) = parts.get(1)? else {
        return None;
    };
    let text = text_of(source.first()?, table)?;
    if text.is_empty() {
        return None;
    }
    let file = source
        .get(1)
        .and_then(|f| text_of(f, table))
        .unwrap_or_else(|| "<python>".into());
    let file = file.rsplit('/').next().unwrap_or(&file).to_owned();
    let first_line = match source.get(2) {
        Some(Value::Int(l)) => *l,
        _ => 1,
    };
    let start = usize::try_from(*start).ok()?;
    let before = text.get(..start)?;
    let line_no = first_line + before.matches('\n').count() as i64;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    Some(format!("{file}:{line_no}: {line}"))
}
