//! Text → AST. Pest pairs never leave this module.

mod build;
mod errors;

use crate::ast;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/leadscore.pest"]
pub(crate) struct Grammar;

/// How deeply brackets may nest before the parser refuses the file. Real
/// models nest a handful of levels; the bound keeps the recursive-descent
/// parser and every later tree walk far from the stack's end.
pub const MAX_NESTING: usize = 64;

/// Parses one file. A syntax error stops the file (only the first is
/// reported); errors found while building the tree are all reported.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Vec<Diagnostic>> {
    if let Some(d) = check_nesting(file, text) {
        return Err(vec![d]);
    }
    let pairs = match Grammar::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(e) => return Err(vec![errors::from_pest(file, text, e)]),
    };
    let mut builder = build::Builder::new(file);
    let parsed = builder.file(pairs);
    if builder.errors.is_empty() {
        Ok(parsed)
    } else {
        Err(builder.errors)
    }
}

/// Finds the first bracket that opens deeper than [`MAX_NESTING`], outside
/// strings and comments.
fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => in_comment = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            Code::NestingTooDeep,
                            format!("brackets nest more than {MAX_NESTING} levels deep"),
                            Span::new(file, i, i + 1),
                            "this bracket is too deep",
                        )
                        .help("split the condition into smaller rules or remove redundant parentheses"),
                    );
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Decodes a string literal's body: `\"` and `\\` are escapes; any other
/// backslash is kept as written, so regular expressions read as usual.
pub fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('"') => {
                    out.push('"');
                    chars.next();
                }
                Some('\\') => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The reserved words of the language, for documentation and suggestions.
pub const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "when",
    "where",
    "between",
    "includes",
    "contains",
    "starts",
    "ends",
    "matches",
    "known",
    "missing",
    "once",
    "twice",
    "thrice",
    "never",
    "at",
    "more",
    "fewer",
    "within",
    "the",
    "each",
    "max",
    "min",
    "lead",
    "events",
    "list",
    "group",
    "score",
    "stage",
    "otherwise",
    "disqualify",
    "test",
    "true",
    "false",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_keeps_unknown_escapes() {
        assert_eq!(unescape(r#"a\"b"#), "a\"b");
        assert_eq!(unescape(r"a\\b"), "a\\b");
        assert_eq!(unescape(r"\b(vp|head)\b"), r"\b(vp|head)\b");
    }

    #[test]
    fn escape_round_trips() {
        for s in [r"\b(vp)\b", "say \"hi\"", "back\\", r"\\", r#"\""#, "plain"] {
            let printed = ast::escape_string(s);
            let body = &printed[1..printed.len() - 1];
            assert_eq!(unescape(body), s, "{printed}");
        }
    }

    #[test]
    fn reserved_words_are_refused_as_names_and_near_misses_are_not() {
        for k in KEYWORDS {
            let reserved = format!("lead {{\n  {k}: text\n}}\n");
            assert!(
                parse(FileId(0), &reserved).is_err(),
                "`{k}` must be reserved"
            );
            for name in [format!("{k}x"), format!("{k}_1"), format!("x{k}")] {
                let ok = format!("lead {{\n  {name}: text\n}}\n");
                assert!(parse(FileId(0), &ok).is_ok(), "`{name}` is a name");
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        let err = parse(FileId(0), &text).unwrap_err();
        assert_eq!(err[0].code, Code::NestingTooDeep);
    }
}
