//! Text normalisation: how every text comparison sees its operands.

/// Lower-cases, trims, and folds every run of inner white space to one space.
/// Literals and list entries go through this once, at compile time; lead
/// values once, when read.
pub fn normalize(s: &str) -> String {
    if is_normal(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

/// A set of normalised texts, built once at compile time. Small sets (most
/// lists in a model) are scanned; larger ones are hashed with FxHash, which
/// is much cheaper than the default hasher for short keys.
#[derive(Debug, Clone)]
pub enum TextSet {
    Small(Vec<String>),
    Hashed(rustc_hash::FxHashSet<String>),
}

impl TextSet {
    /// The entries, sorted (for output that must not depend on hashing).
    pub fn sorted(&self) -> Vec<&str> {
        let mut items: Vec<&str> = match self {
            TextSet::Small(items) => items.iter().map(String::as_str).collect(),
            TextSet::Hashed(set) => set.iter().map(String::as_str).collect(),
        };
        items.sort_unstable();
        items
    }

    pub fn contains(&self, s: &str) -> bool {
        match self {
            TextSet::Small(items) => items.iter().any(|i| i == s),
            TextSet::Hashed(set) => set.contains(s),
        }
    }
}

impl FromIterator<String> for TextSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut items: Vec<String> = iter.into_iter().collect();
        items.sort();
        items.dedup();
        if items.len() <= 8 {
            TextSet::Small(items)
        } else {
            TextSet::Hashed(items.into_iter().collect())
        }
    }
}

/// Already normalised: ASCII without upper case, tabs or line breaks, no
/// white space at either end and no double spaces.
pub fn is_normal(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    let mut prev_space = false;
    for &c in b {
        if c >= 0x80
            || c.is_ascii_uppercase()
            || (c.is_ascii_whitespace() && c != b' ')
            || c == 0x0b
            || c == 0x0c
        {
            return false;
        }
        let space = c == b' ';
        if space && prev_space {
            return false;
        }
        prev_space = space;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn folds_case_and_space() {
        assert_eq!(normalize("  VP   Sales\t"), "vp sales");
        assert_eq!(normalize("Head of\nRevenue"), "head of revenue");
        assert_eq!(normalize("ÉCOLE"), "école");
        assert_eq!(normalize("   "), "");
        assert_eq!(normalize("a\u{000b}b"), "a b");
    }

    #[test]
    fn fast_path_agrees() {
        for s in [
            "vp sales",
            "VP sales",
            " x",
            "x ",
            "a  b",
            "a\tb",
            "ü",
            "a\u{0b}b",
            "",
            "/blog/x?y=1",
        ] {
            let slow: Vec<&str> = s.split_whitespace().collect();
            let slow = slow.join(" ").to_lowercase();
            assert_eq!(normalize(s), slow, "{s:?}");
        }
    }
}
