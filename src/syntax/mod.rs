//! Text → AST. Pest pairs never leave this module.

mod build;
mod errors;
mod split;

use crate::ast;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/leadscore.pest"]
pub(crate) struct Grammar;

/// The words that start a declaration (what a misspelt first word most
/// likely meant; where a large file may be cut, see [`split`]).
pub(crate) const ITEM_WORDS: [&str; 9] = [
    "lead",
    "events",
    "list",
    "group",
    "score",
    "stage",
    "otherwise",
    "disqualify",
    "test",
];

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
    if text.len() >= PARALLEL_FROM {
        if let Some(parsed) = parse_parts(file, text) {
            return parsed;
        }
    }
    parse_whole(file, text)
}

fn parse_whole(file: FileId, text: &str) -> Result<ast::File, Vec<Diagnostic>> {
    let pairs = match Grammar::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(e) => return Err(vec![errors::from_pest(file, text, e)]),
    };
    let mut builder = build::Builder::new(file, 0);
    let parsed = builder.file(pairs);
    if builder.errors.is_empty() {
        Ok(parsed)
    } else {
        Err(builder.errors)
    }
}

/// Files at least this long are parsed in parts on all cores.
const PARALLEL_FROM: usize = 64 * 1024;

/// Parses a large file in parts cut at item boundaries ([`split`]), in
/// parallel. `None` when a part has a syntax error: the caller then parses
/// the whole file, so the error reported is the whole file's first one.
fn parse_parts(file: FileId, text: &str) -> Option<Result<ast::File, Vec<Diagnostic>>> {
    use rayon::prelude::*;
    let ranges = split::ranges(text, rayon::current_num_threads() * 4);
    if ranges.len() < 2 {
        return None;
    }
    let parts: Vec<Option<(ast::File, Vec<Diagnostic>)>> = ranges
        .par_iter()
        .map(|&(start, end)| {
            let pairs = Grammar::parse(Rule::file, &text[start..end]).ok()?;
            let mut builder = build::Builder::new(file, start);
            let parsed = builder.file(pairs);
            Some((parsed, builder.errors))
        })
        .collect();
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for part in parts {
        let (parsed, errs) = part?;
        items.extend(parsed.items);
        errors.extend(errs);
    }
    Some(if errors.is_empty() {
        Ok(ast::File { items })
    } else {
        Err(errors)
    })
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

/// The reserved words of the language that are not [`ITEM_WORDS`].
const EXPR_WORDS: &[&str] = &[
    "and", "or", "not", "in", "is", "when", "where", "between", "includes", "contains", "starts",
    "ends", "matches", "known", "missing", "once", "twice", "thrice", "never", "at", "more",
    "fewer", "within", "the", "each", "max", "min", "true", "false",
];

/// The reserved words of the language (for suggestions and name checks).
pub fn keywords() -> impl Iterator<Item = &'static str> {
    EXPR_WORDS.iter().chain(&ITEM_WORDS).copied()
}

/// Is `word` reserved?
pub fn is_keyword(word: &str) -> bool {
    keywords().any(|k| k == word)
}

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

    /// Strings: plain runs, escapes at either end, and a line break that
    /// ends an unclosed string.
    #[test]
    fn string_bodies_run_to_the_first_unescaped_quote() {
        let text = r#"list l = ["", "plain", "a\"b", "\"", "c\\", "\\", "\d+\"x\" y", "é→"]"#;
        let file = parse(FileId(0), text).unwrap();
        let ast::Item::List(list) = &file.items[0].node else {
            panic!("a list");
        };
        let got: Vec<&ast::Literal> = list.items.iter().map(|l| &l.node).collect();
        let want = ["", "plain", "a\"b", "\"", "c\\", "\\", "\\d+\"x\" y", "é→"];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!(**g, ast::Literal::Text(w.to_string()));
        }
        for bad in [
            "list l = [\"a\nb\"]",
            "list l = [\"a\\\nb\"]",
            "list l = [\"a]",
        ] {
            assert!(parse(FileId(0), bad).is_err(), "{bad:?}");
        }
    }

    /// A comment may stand wherever white space may, and means nothing.
    #[test]
    fn comments_are_white_space() {
        let plain =
            "group g max 10 {\n \"a\": title = \"x#y\" and visited pricing twice -> +1\n}\n";
        let commented = "# head\ngroup g # c1\n max # c2\n 10 {#c3\n \"a\": # c4\n title = # c5\n \"x#y\" and visited pricing # c6\n twice -> # c7\n+1 #\n} # end";
        assert_eq!(
            parse(FileId(0), commented).unwrap(),
            parse(FileId(0), plain).unwrap()
        );
        // `#` inside a string is text, and a comment runs to the line's end.
        assert!(parse(FileId(0), "\"a\": title = \"x\" # -> +1\n").is_err());
    }

    /// The help a syntax error gets, for a rule line after a small schema.
    fn help_for_rule(rule: &str) -> String {
        let text = format!("lead {{\n  title: text\n}}\nevents {{\n  visited(page)\n}}\n{rule}\n");
        let errors = parse(FileId(0), &text).expect_err(rule);
        errors[0].help.clone().unwrap_or_default()
    }

    /// A window written as people say it gets the window's form, not a
    /// keyword that is only spelt alike (`last` is not `list`).
    #[test]
    fn windows_written_loosely_get_the_windows_form() {
        let window = "a window is written `in the last 30 days` or `within 30 days` (in hours, days, weeks or months)";
        for w in [
            "in last 30 days",
            "in the past 30 days",
            "in the past week",
            "in 30 days",
            "in 2 weeks",
            "last 30 days",
            "within the last 30 days",
        ] {
            assert_eq!(
                help_for_rule(&format!("visited twice {w} -> +5")),
                window,
                "{w}"
            );
        }
        // Not a window: a bare word where a value is due, a misspelt `missing`.
        assert_eq!(
            help_for_rule("title = last -> +5"),
            "text is written in double quotes: `\"last\"`"
        );
        assert_eq!(
            help_for_rule("title is mising -> +5"),
            "did you mean `missing`?"
        );
        assert_eq!(
            help_for_rule("visited pricing twise -> +5"),
            "did you mean `twice`?"
        );
        assert_eq!(
            help_for_rule("visited twice in the last thirty days -> +5"),
            "durations are a number and a unit: `30 days`, `2 weeks`, `12 hours`, `3 months`"
        );
    }

    /// `from` is offered after a field's type, and only there.
    #[test]
    fn a_misspelt_from_is_offered_after_a_type_only() {
        let help = |text: &str| {
            parse(FileId(0), text).expect_err(text)[0]
                .help
                .clone()
                .unwrap_or_default()
        };
        assert_eq!(
            help("lead {\n  title: text form \"Job Title\"\n}\n"),
            "did you mean `from`?"
        );
        assert_eq!(
            help("lead {\n  title: text from Job\n}\n"),
            "write text in double quotes: `\"Job\"`"
        );
        assert_ne!(
            help_for_rule("visited twice form -> +5"),
            "did you mean `from`?"
        );
    }

    /// Habits from spreadsheets, SQL and other tools get the way to write
    /// the same thing here.
    #[test]
    fn habits_from_other_tools_get_this_languages_form() {
        let cases = [
            ("title = 'CEO' -> +5", "text is written in double quotes: `\"CEO\"`"),
            ("title = VP Sales -> +5", "text is written in double quotes: `\"VP Sales\"`"),
            ("title in [CEO, CFO] -> +5", "text is written in double quotes: `\"CEO\"`"),
            ("title contains vp -> +5", "text is written in double quotes: `\"vp\"`"),
            ("title = last -> +5", "text is written in double quotes: `\"last\"`"),
            ("budget > 10,000 -> +5", "write numbers without separators: `10000`, or `10k`"),
            ("budget > $10k -> +5", "write amounts without a currency sign: `10k`, `250000`"),
            ("budget >= 10K -> +5", "`k` and `m` are written in lower case: `10k`"),
            ("budget >= 1.5M -> +5", "`k` and `m` are written in lower case: `1.5m`"),
            ("title = \"CEO\" => +5", "points follow `->`, not `=>`"),
            ("title = \"CEO\" && authority -> +5", "write `and` in words"),
            ("title = \"CEO\" || authority -> +5", "write `or` in words"),
            ("title matches /vp/ -> +5", "a pattern is a quoted string: `matches \"^(vp|head)\\b\"`"),
            ("title is not known -> +5", "write `is missing` for not known, and `is known` for not missing"),
            ("visited pricing two times -> +5", "write a count in digits (`2 times`, `at least 3 times`) or as `once`, `twice`, `thrice`"),
            ("disqualify when visited", "a disqualification gives its reason first, in double quotes: `disqualify \"Unsubscribed\" when …`"),
            ("title = \"CEO\" -> 5 points", "points are a number alone: `-> 5`"),
        ];
        let list_type = parse(FileId(0), "lead {\n  tech: list text\n}\n").expect_err("no `of`");
        assert_eq!(
            list_type[0].help.as_deref(),
            Some("a list's type is written `list of text` or `list of number`")
        );
        // A value missing at the end of a line: the next line is not quoted.
        assert_eq!(
            help_for_rule("title =\nvisited pricing -> +5"),
            "compare with a value: a number (`10k`), a quoted string (`\"VP Sales\"`), a date (`2026-01-01`) or `true`/`false`"
        );
        for (rule, help) in cases {
            assert_eq!(help_for_rule(rule), help, "{rule}");
        }
    }

    #[test]
    fn reserved_words_are_refused_as_names_and_near_misses_are_not() {
        for k in keywords() {
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

    /// A large file of every kind of item, split and whole.
    fn large_file() -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut text = String::new();
        for f in [
            "00-schema",
            "10-fit",
            "20-engagement",
            "30-stages",
            "40-tests",
        ] {
            text.push_str(
                &std::fs::read_to_string(dir.join(format!("rules/b2b/{f}.rules"))).unwrap(),
            );
            text.push('\n');
        }
        let mut out = String::new();
        while out.len() < 4 * PARALLEL_FROM {
            out.push_str(&text);
            out.push_str("stage Hot when fit >= 20 and\nscore >= 70\n");
        }
        out
    }

    #[test]
    fn a_file_parsed_in_parts_equals_the_file_parsed_whole() {
        let text = large_file();
        let whole = parse_whole(FileId(3), &text).unwrap();
        let parts = parse_parts(FileId(3), &text).expect("parts parse").unwrap();
        assert!(split::ranges(&text, 8).len() > 4);
        // Debug shows every node's span, which equality ignores.
        assert_eq!(format!("{parts:?}"), format!("{whole:?}"));
        assert_eq!(
            parse(FileId(3), &text).unwrap().items.len(),
            whole.items.len()
        );
    }

    #[test]
    fn a_syntax_error_in_a_large_file_is_the_whole_files_first() {
        let mut text = large_file();
        let at = text.len() / 2 + text[text.len() / 2..].find("\ngroup").unwrap() + 1;
        text.insert_str(at, "\"broken\": title = -> +1\n");
        let err = parse(FileId(0), &text).unwrap_err();
        assert_eq!(err, parse_whole(FileId(0), &text).unwrap_err());
        assert_eq!(
            err[0].labels[0].span.start as usize,
            at + "\"broken\": title = ".len()
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        let err = parse(FileId(0), &text).unwrap_err();
        assert_eq!(err[0].code, Code::NestingTooDeep);
    }
}
