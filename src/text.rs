//! Text normalisation: how every text comparison sees its operands.

/// Lower-cases, trims, and folds every run of inner white space to one space.
/// Literals and list entries go through this once, at compile time; lead
/// values once, when read.
pub fn normalize(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn folds_case_and_space() {
        assert_eq!(normalize("  VP   Sales\t"), "vp sales");
        assert_eq!(normalize("Head of\nRevenue"), "head of revenue");
        assert_eq!(normalize("ÉCOLE"), "école");
        assert_eq!(normalize("   "), "");
    }
}
