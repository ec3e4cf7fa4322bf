//! Dotted state-dict keys.

/// `prefix.name`, or `name` when `prefix` is empty: how PyTorch joins module and
/// container paths into state-dict keys.
pub fn join_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        let mut s = String::with_capacity(prefix.len() + 1 + name.len());
        s.push_str(prefix);
        s.push('.');
        s.push_str(name);
        s
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn joins_with_a_dot_unless_at_the_root() {
        assert_eq!(super::join_key("", "weight"), "weight");
        assert_eq!(super::join_key("l0", "weight"), "l0.weight");
    }
}
