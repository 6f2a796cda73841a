//! Splitting a large file at item boundaries, so that its parts can be parsed
//! on all cores.
//!
//! A split point is the start of a line that begins, at column 0 and outside
//! every bracket, string and comment, with a word only an item can start
//! with (`group`, `list`, `lead`, `events`, `stage`, `otherwise`,
//! `disqualify`, `test`). No item continues with such a word outside
//! brackets (`score` is left out: a stage condition may go on with it), so
//! the whole file's parse has an item boundary there. Should the scan ever be
//! wrong, a part ends inside an item and fails to parse, and the caller
//! parses the whole file instead: the result never depends on the split.

use super::ITEM_WORDS;

/// Byte offsets (after 0) where an item surely starts.
pub fn item_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let c = bytes[i];
        if line_start && depth == 0 && i > 0 && starts_item(&bytes[i..]) {
            out.push(i);
        }
        line_start = false;
        match c {
            b'\n' => line_start = true,
            b'#' => {
                // A comment runs to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i < bytes.len() && bytes[i] == b'\n' {
                    continue;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    out
}

fn starts_item(rest: &[u8]) -> bool {
    ITEM_WORDS.iter().filter(|w| **w != "score").any(|w| {
        rest.starts_with(w.as_bytes())
            && !rest
                .get(w.len())
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    })
}

/// Up to `parts` ranges covering the text, cut at item starts near equal sizes.
pub fn ranges(text: &str, parts: usize) -> Vec<(usize, usize)> {
    let starts = item_starts(text);
    let mut cuts = vec![0];
    let step = text.len() / parts.max(1);
    for k in 1..parts {
        let want = k * step;
        let at = starts.partition_point(|&s| s < want);
        if let Some(&s) = starts.get(at) {
            if s > *cuts.last().expect("starts with 0") {
                cuts.push(s);
            }
        }
    }
    cuts.push(text.len());
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_item_starts_only_outside_brackets_strings_and_comments() {
        let text = "list a = [\"x\"]\ngroup g {\n\"r\": x -> +1\n}\n# group in a comment\n\"s\": t = \"\nstage\" -> +1\nstage S when score >= 1\nscore max 9\notherwise o\ntest \"t\" {\nlead {}\n}\ngrouping\n";
        let starts: Vec<&str> = item_starts(text)
            .into_iter()
            .map(|i| text[i..].lines().next().unwrap())
            .collect();
        assert_eq!(
            starts,
            [
                "group g {",
                "stage\" -> +1",
                "stage S when score >= 1",
                "otherwise o",
                "test \"t\" {"
            ]
        );
    }

    #[test]
    fn ranges_cover_the_text_in_order() {
        let text = "group a {\n}\ngroup b {\n}\ngroup c {\n}\n";
        assert_eq!(ranges(text, 3), [(0, 12), (12, 24), (24, 36)]);
        assert_eq!(ranges(text, 1), [(0, 36)]);
        assert_eq!(ranges("x", 4), [(0, 1)]);
    }
}
