//! [`KeyMap`]: renames checkpoint keys into the model's names before matching.

use regex::Regex;

/// One renaming step.
#[derive(Clone, Debug)]
enum Rule {
    StripPrefix(String),
    AddPrefix(String),
    Rename(Regex, String),
    Drop(Regex),
}

/// Rules that turn checkpoint keys into model keys, applied in order before
/// `load_state_dict` matches anything; reports then speak in the model's names.
///
/// ```
/// use pt_nn::KeyMap;
/// let map = KeyMap::new()
///     .strip_prefix("module.")
///     .rename(r"^features\.(\d+)", "conv$1");
/// assert_eq!(map.apply("module.features.0.weight").as_deref(), Some("conv0.weight"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeyMap {
    rules: Vec<Rule>,
}

impl KeyMap {
    /// A map that changes nothing.
    pub fn new() -> KeyMap {
        KeyMap::default()
    }

    /// Removes `prefix` from keys that start with it (others are kept as they are).
    pub fn strip_prefix(mut self, prefix: impl Into<String>) -> KeyMap {
        self.rules.push(Rule::StripPrefix(prefix.into()));
        self
    }

    /// Puts `prefix` in front of every key.
    pub fn add_prefix(mut self, prefix: impl Into<String>) -> KeyMap {
        self.rules.push(Rule::AddPrefix(prefix.into()));
        self
    }

    /// Replaces every match of the regex `pattern` with `replacement` (`$1`, `${name}`
    /// refer to groups, as in [`Regex::replace_all`]).
    ///
    /// # Panics
    /// If `pattern` is not a valid regex; use [`KeyMap::try_rename`] for patterns that
    /// come from input.
    pub fn rename(self, pattern: &str, replacement: impl Into<String>) -> KeyMap {
        match self.try_rename(pattern, replacement) {
            Ok(map) => map,
            Err(e) => panic!("KeyMap::rename: invalid regex {pattern:?}: {e}"),
        }
    }

    /// [`KeyMap::rename`] for patterns that may be invalid.
    ///
    /// # Errors
    /// The regex compilation error.
    pub fn try_rename(
        mut self,
        pattern: &str,
        replacement: impl Into<String>,
    ) -> Result<KeyMap, regex::Error> {
        self.rules
            .push(Rule::Rename(Regex::new(pattern)?, replacement.into()));
        Ok(self)
    }

    /// Drops keys matching the regex `pattern`: they are neither loaded nor reported as
    /// unexpected (e.g. a classifier head you replace).
    ///
    /// # Panics
    /// If `pattern` is not a valid regex; use [`KeyMap::try_drop`] for patterns that come
    /// from input.
    pub fn drop(self, pattern: &str) -> KeyMap {
        match self.try_drop(pattern) {
            Ok(map) => map,
            Err(e) => panic!("KeyMap::drop: invalid regex {pattern:?}: {e}"),
        }
    }

    /// [`KeyMap::drop`] for patterns that may be invalid.
    ///
    /// # Errors
    /// The regex compilation error.
    pub fn try_drop(mut self, pattern: &str) -> Result<KeyMap, regex::Error> {
        self.rules.push(Rule::Drop(Regex::new(pattern)?));
        Ok(self)
    }

    /// True when the map has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The model key for checkpoint key `key`, or `None` if a drop rule removes it.
    pub fn apply(&self, key: &str) -> Option<String> {
        let mut k = key.to_owned();
        for rule in &self.rules {
            match rule {
                Rule::StripPrefix(p) => {
                    if let Some(rest) = k.strip_prefix(p.as_str()) {
                        k = rest.to_owned();
                    }
                }
                Rule::AddPrefix(p) => k = format!("{p}{k}"),
                Rule::Rename(re, rep) => k = re.replace_all(&k, rep.as_str()).into_owned(),
                Rule::Drop(re) => {
                    if re.is_match(&k) {
                        return None;
                    }
                }
            }
        }
        Some(k)
    }

    /// The model's module prefix (no trailing dot, `""` for the root) for a checkpoint
    /// `_metadata` prefix, mapped like a key.
    pub(crate) fn apply_prefix(&self, prefix: &str) -> Option<String> {
        if prefix.is_empty() {
            // The root: only prefix additions move it.
            let mapped = self.apply("")?;
            return Some(mapped.trim_end_matches('.').to_owned());
        }
        let mapped = self.apply(&format!("{prefix}."))?;
        Some(mapped.strip_suffix('.').unwrap_or(&mapped).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order() {
        let m = KeyMap::new()
            .strip_prefix("module.")
            .rename(r"^features\.(\d+)", "conv$1")
            .drop(r"^head\.");
        assert_eq!(m.apply("module.features.3.bias").unwrap(), "conv3.bias");
        assert_eq!(m.apply("fc.weight").unwrap(), "fc.weight");
        assert_eq!(m.apply("module.head.weight"), None);
        assert_eq!(m.apply_prefix("module.features.0").unwrap(), "conv0");
        assert_eq!(m.apply_prefix("module").unwrap(), "");
        assert_eq!(m.apply_prefix("").unwrap(), "");
        let add = KeyMap::new().add_prefix("backbone.");
        assert_eq!(add.apply_prefix("").unwrap(), "backbone");
        assert_eq!(add.apply_prefix("l0").unwrap(), "backbone.l0");
        assert!(KeyMap::new().try_rename("(", "x").is_err());
    }
}
