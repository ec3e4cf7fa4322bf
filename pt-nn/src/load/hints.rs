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

    // Whole modules under another name: the same leaf names and shapes under another path.
    for (from, to, keys) in renamed_modules(missing, unexpected, missing_shapes, unexpected_shapes)
    {
        let new: Vec<&str> = keys.into_iter().filter(|k| explained.insert(k)).collect();
        if !new.is_empty() {
            out.push(Hint::RenameModule {
                from,
                to,
                explains: new.len(),
            });
        }
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

/// `(unexpected prefix, missing prefix, explained missing keys)` for modules whose keys
/// (the part after the last dot) and shapes all reappear under one other module path.
fn renamed_modules<'a>(
    missing: &'a [String],
    unexpected: &[String],
    missing_shapes: &HashMap<String, Vec<usize>>,
    unexpected_shapes: &HashMap<String, Vec<usize>>,
) -> Vec<(String, String, Vec<&'a str>)> {
    fn split(key: &str) -> (&str, &str) {
        key.rfind('.')
            .map_or(("", key), |i| (&key[..=i], &key[i + 1..]))
    }
    let mut missing_groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for m in missing {
        let (prefix, _) = split(m);
        match missing_groups.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, keys)) => keys.push(m),
            None => missing_groups.push((prefix, vec![m])),
        }
    }
    let mut unexpected_prefixes: Vec<&str> = Vec::new();
    for u in unexpected {
        let (prefix, _) = split(u);
        if !prefix.is_empty() && !unexpected_prefixes.contains(&prefix) {
            unexpected_prefixes.push(prefix);
        }
    }
    let mut out = Vec::new();
    for (mprefix, keys) in missing_groups {
        if mprefix.is_empty() {
            continue;
        }
        let fits = |uprefix: &str| {
            keys.iter().all(|k| {
                let leaf = split(k).1;
                let candidate = format!("{uprefix}{leaf}");
                unexpected_shapes.contains_key(&candidate)
                    && missing_shapes.get(*k) == unexpected_shapes.get(&candidate)
            })
        };
        let matches: Vec<&str> = unexpected_prefixes
            .iter()
            .copied()
            .filter(|u| *u != mprefix && fits(u))
            .collect();
        if let [only] = matches[..] {
            out.push((only.to_owned(), mprefix.to_owned(), keys));
        }
    }
    out
}

/// How many edits two keys may differ by and still be suggested.
fn threshold(len: usize) -> usize {
    (len / 5).clamp(1, 3)
}

/// Edit distance (insertions, deletions, substitutions and swaps of neighbours, the
/// "optimal string alignment" distance) between two strings, by chars.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = best;
        }
    }
    d[a.len() * w + b.len()]
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
        assert_eq!(levenshtein("l1.bias", "l1.bais"), 1);
    }
}
