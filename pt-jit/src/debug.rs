//! Debug records (`code/….py.debug_pkl`): for byte ranges of the generated code, the
//! original Python source range. Used to name the Python line in errors.

use std::collections::HashMap;

use pt_core::Value;

/// For each line of the generated `code`, the original Python line its first byte came from.
///
/// The record is a tuple of `(byte_offset, source_range, …)` entries, where a source range
/// is `((text, filename, start_line), start, end)`. Unknown layouts give an empty map.
pub(crate) fn original_lines(code: &str, debug: &Value) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    let Some(entries) = seq(debug) else {
        return out;
    };
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
        let Some(text) = python_line(range) else {
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

/// `file:line: text` of a source range.
fn python_line(range: &Value) -> Option<String> {
    let parts = seq(range)?;
    let source = seq(parts.first()?)?;
    let (Value::Int(start), Some(Value::Str(text))) = (parts.get(1)?, source.first()) else {
        return None;
    };
    let file = match source.get(1) {
        Some(Value::Str(f)) => f.as_str(),
        _ => "<python>",
    };
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
