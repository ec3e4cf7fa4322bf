//! Suggestions for keys that almost matched: a common prefix (DataParallel's `module.`,
//! torch.compile's `_orig_mod.`) or a small edit.

use std::collections::{HashMap, HashSet};

use super::report::Hint;

/// Where well-known prefixes come from.
fn origin(prefix: &str) -> Option<&'static str> {
    match prefix {
        "module." => Some("nn.DataParallel / DistributedDataParallel"),
        "_orig_mod." => Some("torch.compile"),
        "model." => Some("a wrapper holding the network as `model`, e.g. Lightning"),
        _ => None,
    }
}

/// Hints for `missing` keys given `unexpected` ones, with the shapes known on each side
/// (a did-you-mean is only offered between keys of equal shape when both are known).
pub(crate) fn hints(
    missing: &[String],
    unexpected: &[String],
    missing_shapes: &HashMap<String, Vec<usize>>,
    unexpected_shapes: &HashMap<String, Vec<usize>>,
) -> Vec<Hint> {
    let mut out = Vec::new();
    if missing.is_empty() || unexpected.is_empty() {
        return out;
    }
    let missing_set: HashSet<&str> = missing.iter().map(String::as_str).collect();
    let unexpected_set: HashSet<&str> = unexpected.iter().map(String::as_str).collect();
    let mut explained: HashSet<&str> = HashSet::new();

    // Prefixes: an unexpected key `P + m` for a missing `m`, or a missing `P + u`.
    let strip = prefix_counts(unexpected, &missing_set);
    let add = prefix_counts(missing, &unexpected_set);
    for (prefix, keys) in strip {
        explained.extend(keys.iter().copied());
        out.push(Hint::StripPrefix {
            origin: origin(&prefix),
            prefix,
            explains: keys.len(),
        });
    }
    for (prefix, keys) in add {
        let before = explained.len();
        for m in missing {
            if keys.contains(&m.strip_prefix(&prefix).unwrap_or("")) {
                explained.insert(m);
            }
        }
        out.push(Hint::AddPrefix {
            prefix,
            explains: explained.len() - before,
        });
    }

    // Small edits for the rest.
    for m in missing {
        if explained.contains(m.as_str()) {
            continue;
        }
        let best = unexpected
            .iter()
            .filter(
                |u| match (missing_shapes.get(m), unexpected_shapes.get(*u)) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                },
            )
            .map(|u| (levenshtein(m, u), u))
            .filter(|(d, u)| *d <= threshold(m.len().min(u.len())))
            .min_by_key(|(d, _)| *d);
        if let Some((_, u)) = best {
            out.push(Hint::DidYouMean {
                missing: m.clone(),
                unexpected: u.clone(),
            });
        }
    }
    out
}

/// Prefixes `P` (ending in a dot) such that `P + rest` is in `keys` with `rest` in
/// `targets`, with the targets each explains; most useful first, weak ones dropped.
fn prefix_counts<'a>(keys: &'a [String], targets: &HashSet<&str>) -> Vec<(String, Vec<&'a str>)> {
    let mut by_prefix: HashMap<&str, Vec<&str>> = HashMap::new();
    for k in keys {
        for (i, _) in k.match_indices('.') {
            let (prefix, rest) = (&k[..=i], &k[i + 1..]);
            if targets.contains(rest) {
                by_prefix.entry(prefix).or_default().push(rest);
            }
        }
    }
    let mut v: Vec<(String, Vec<&str>)> = by_prefix
        .into_iter()
        .filter(|(_, hits)| hits.len() >= 2 || targets.len() == 1)
        .map(|(p, hits)| (p.to_owned(), hits))
        .collect();
    v.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    // Keep only the best prefix and any that explain keys it does not.
    let mut seen: HashSet<&str> = HashSet::new();
    v.retain(|(_, hits)| {
        let new = hits.iter().any(|h| !seen.contains(h));
        seen.extend(hits.iter().copied());
        new
    });
    v
}

/// How many edits two keys may differ by and still be suggested.
fn threshold(len: usize) -> usize {
    (len / 5).clamp(1, 3)
}

/// Edit distance (insertions, deletions, substitutions) between two strings, by chars.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn detects_data_parallel_prefix() {
        let h = hints(
            &s(&["l0.weight", "l0.bias"]),
            &s(&["module.l0.weight", "module.l0.bias"]),
            &HashMap::new(),
            &HashMap::new(),
        );
        assert_eq!(
            h,
            vec![Hint::StripPrefix {
                prefix: "module.".into(),
                origin: Some("nn.DataParallel / DistributedDataParallel"),
                explains: 2
            }]
        );
    }

    #[test]
    fn detects_missing_prefix_and_typos() {
        let h = hints(
            &s(&["net.a.weight", "net.a.bias", "l1.bias"]),
            &s(&["a.weight", "a.bias", "l1.biass"]),
            &HashMap::new(),
            &HashMap::new(),
        );
        assert!(matches!(&h[0], Hint::AddPrefix { prefix, explains: 2 } if prefix == "net."));
        assert!(matches!(&h[1], Hint::DidYouMean { missing, unexpected }
            if missing == "l1.bias" && unexpected == "l1.biass"));
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
