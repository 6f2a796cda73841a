//! Regular expressions for SQL engines.
//!
//! leadscore's `matches` uses Rust's `regex` crate: case-insensitive, with
//! Unicode classes and Unicode word boundaries. No SQL engine has exactly
//! that dialect, so a pattern is not passed through as written. It is parsed
//! with the same parser the `regex` crate uses, with case-insensitivity
//! applied, and re-emitted with every class spelled as explicit code point
//! ranges (so `\d`, `\w`, `.` and case folding mean exactly what they mean in
//! leadscore, whatever the engine's own tables say).
//!
//! Word boundaries are the one construct RE2 (DuckDB) cannot state in
//! general. Because a condition only asks whether a match exists anywhere, a
//! boundary next to the pattern's open start or end can be replaced by the
//! character (or text edge) that makes it true, and a boundary between two
//! parts whose characters are all word or all non-word characters is either
//! always or never true. Any other boundary is refused, never approximated.

use super::dialect::Dialect;
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look};

/// Why a pattern can't be stated faithfully in a dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A word boundary whose sides can't be decided from the pattern.
    WordBoundary,
    /// A word boundary that can never hold where it stands.
    NeverMatches,
    /// A construct with no equivalent (named in the message).
    Construct(&'static str),
    /// A repetition count above the engine's limit.
    Repetition(u32),
}

impl Refusal {
    pub fn message(&self, dialect: Dialect) -> String {
        let d = dialect.name();
        match self {
            Refusal::WordBoundary => format!(
                "this word boundary can't be expressed exactly in {d}: the characters on one side of it may or may not be word characters"
            ),
            Refusal::NeverMatches => "this word boundary can never hold where it stands".into(),
            Refusal::Construct(what) => format!("{what} can't be expressed exactly in {d}"),
            Refusal::Repetition(n) => format!("a repetition count of {n} is above {d}'s limit"),
        }
    }

    pub fn help(&self) -> &'static str {
        match self {
            Refusal::WordBoundary => {
                "put `\\b` at the start or end of the pattern, or next to a part made only of letters, digits and `_` (or only of other characters)"
            }
            Refusal::NeverMatches => "remove the `\\b`, or the part next to it",
            Refusal::Construct(_) => "rewrite the pattern without it",
            Refusal::Repetition(_) => "use a smaller count, or a `+` or `*`",
        }
    }
}

/// What is known about one side of a position in the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Always a word character.
    Word,
    /// Always a character that is not a word character.
    NonWord,
    /// The edge of the text (`^` or `$` stands there).
    Edge,
    /// The pattern's own open start or end: any character or the edge.
    Open,
    /// Can't be told.
    Unknown,
}

struct Emitter {
    dialect: Dialect,
    word: ClassUnicode,
    out: String,
    /// A class that matches nothing was seen.
    empty_class: bool,
}

/// The pattern, re-emitted for `dialect` (as regex text, not yet quoted).
pub fn translate(pattern: &str, dialect: Dialect) -> Result<String, Refusal> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .map_err(|_| Refusal::Construct("this pattern"))?;
    let mut e = Emitter {
        dialect,
        word: word_class(),
        out: String::new(),
        empty_class: false,
    };
    e.emit(&hir, Side::Open, Side::Open)?;
    if e.empty_class {
        return Err(Refusal::Construct("a class that matches nothing"));
    }
    Ok(e.out)
}

/// A run of white space as Rust's `char::is_whitespace` sees it, which is
/// what normalisation folds to one space.
pub fn whitespace_run(dialect: Dialect) -> String {
    let ws = ClassUnicode::new(
        [
            '\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '\u{85}', '\u{a0}', '\u{1680}',
        ]
        .into_iter()
        .map(|c| ClassUnicodeRange::new(c, c))
        .chain([ClassUnicodeRange::new('\u{2000}', '\u{200a}')])
        .chain(
            ['\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}']
                .into_iter()
                .map(|c| ClassUnicodeRange::new(c, c)),
        ),
    );
    let mut e = Emitter {
        dialect,
        word: ClassUnicode::empty(),
        out: String::new(),
        empty_class: false,
    };
    e.class(&ws);
    e.out.push('+');
    e.out
}

/// Unicode `\w`, as the `regex` crate defines it.
fn word_class() -> ClassUnicode {
    let hir = regex_syntax::Parser::new()
        .parse(r"\w")
        .expect("\\w is a valid pattern");
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(c)) => c,
        _ => ClassUnicode::empty(),
    }
}

/// The class matching every text character that normalised leadscore text
/// can hold: all of Unicode.
fn any_char() -> ClassUnicode {
    ClassUnicode::new([ClassUnicodeRange::new('\0', char::MAX)])
}

fn first_chars(h: &Hir) -> Option<ClassUnicode> {
    match h.kind() {
        HirKind::Literal(lit) => {
            let c = std::str::from_utf8(&lit.0).ok()?.chars().next()?;
            Some(ClassUnicode::new([ClassUnicodeRange::new(c, c)]))
        }
        HirKind::Class(Class::Unicode(c)) => Some(c.clone()),
        HirKind::Capture(c) => first_chars(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => first_chars(&r.sub),
        HirKind::Concat(parts) => {
            let first = parts.first()?;
            (first.properties().minimum_len() > Some(0)).then(|| first_chars(first))?
        }
        HirKind::Alternation(parts) => union(parts.iter().map(first_chars)),
        _ => None,
    }
}

fn last_chars(h: &Hir) -> Option<ClassUnicode> {
    match h.kind() {
        HirKind::Literal(lit) => {
            let c = std::str::from_utf8(&lit.0).ok()?.chars().next_back()?;
            Some(ClassUnicode::new([ClassUnicodeRange::new(c, c)]))
        }
        HirKind::Class(Class::Unicode(c)) => Some(c.clone()),
        HirKind::Capture(c) => last_chars(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => last_chars(&r.sub),
        HirKind::Concat(parts) => {
            let last = parts.last()?;
            (last.properties().minimum_len() > Some(0)).then(|| last_chars(last))?
        }
        HirKind::Alternation(parts) => union(parts.iter().map(last_chars)),
        _ => None,
    }
}

fn union(parts: impl Iterator<Item = Option<ClassUnicode>>) -> Option<ClassUnicode> {
    let mut all = ClassUnicode::empty();
    for p in parts {
        all.union(&p?);
    }
    Some(all)
}

fn is_start(h: &Hir) -> bool {
    matches!(
        h.kind(),
        HirKind::Look(Look::Start | Look::StartLF | Look::StartCRLF)
    )
}

fn is_end(h: &Hir) -> bool {
    matches!(
        h.kind(),
        HirKind::Look(Look::End | Look::EndLF | Look::EndCRLF)
    )
}

impl Emitter {
    fn classify(&self, set: Option<ClassUnicode>) -> Side {
        let Some(set) = set else {
            return Side::Unknown;
        };
        let mut outside = set.clone();
        outside.difference(&self.word);
        if outside.ranges().is_empty() {
            return Side::Word;
        }
        let mut inside = set;
        inside.intersect(&self.word);
        if inside.ranges().is_empty() {
            Side::NonWord
        } else {
            Side::Unknown
        }
    }

    fn emit(&mut self, h: &Hir, left: Side, right: Side) -> Result<(), Refusal> {
        match h.kind() {
            HirKind::Empty => Ok(()),
            HirKind::Literal(lit) => {
                let text = std::str::from_utf8(&lit.0)
                    .map_err(|_| Refusal::Construct("a byte-level pattern"))?;
                for c in text.chars() {
                    self.literal(c);
                }
                Ok(())
            }
            HirKind::Class(Class::Unicode(c)) => {
                self.class(c);
                Ok(())
            }
            HirKind::Class(Class::Bytes(_)) => Err(Refusal::Construct("a byte class")),
            HirKind::Look(look) => self.look(*look, left, right),
            HirKind::Repetition(r) => {
                let limit = self.dialect.max_repeat();
                if r.min > limit || r.max.is_some_and(|m| m > limit) {
                    return Err(Refusal::Repetition(r.max.unwrap_or(r.min).max(r.min)));
                }
                self.out.push_str("(?:");
                self.emit(&r.sub, Side::Unknown, Side::Unknown)?;
                self.out.push(')');
                match (r.min, r.max) {
                    (0, None) => self.out.push('*'),
                    (1, None) => self.out.push('+'),
                    (0, Some(1)) => self.out.push('?'),
                    (n, None) => self.out.push_str(&format!("{{{n},}}")),
                    (n, Some(m)) if n == m => self.out.push_str(&format!("{{{n}}}")),
                    (n, Some(m)) => self.out.push_str(&format!("{{{n},{m}}}")),
                }
                Ok(())
            }
            HirKind::Capture(c) => {
                self.out.push_str("(?:");
                self.emit(&c.sub, left, right)?;
                self.out.push(')');
                Ok(())
            }
            HirKind::Concat(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    let l = if i == 0 {
                        left
                    } else if is_start(&parts[i - 1]) {
                        Side::Edge
                    } else {
                        self.classify(last_chars(&parts[i - 1]))
                    };
                    let r = if i + 1 == parts.len() {
                        right
                    } else if is_end(&parts[i + 1]) {
                        Side::Edge
                    } else {
                        self.classify(first_chars(&parts[i + 1]))
                    };
                    self.emit(part, l, r)?;
                }
                Ok(())
            }
            HirKind::Alternation(parts) => {
                self.out.push_str("(?:");
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.emit(part, left, right)?;
                }
                self.out.push(')');
                Ok(())
            }
        }
    }

    fn look(&mut self, look: Look, left: Side, right: Side) -> Result<(), Refusal> {
        match look {
            // Normalised text has no line breaks, so the multi-line anchors
            // are the plain ones.
            Look::Start | Look::StartLF | Look::StartCRLF => {
                self.out.push('^');
                Ok(())
            }
            Look::End | Look::EndLF | Look::EndCRLF => {
                self.out.push('$');
                Ok(())
            }
            Look::WordUnicode => self.boundary(true, left, right),
            Look::WordUnicodeNegate => self.boundary(false, left, right),
            Look::WordAscii | Look::WordAsciiNegate => {
                Err(Refusal::Construct("an ASCII-only word boundary"))
            }
            _ => Err(Refusal::Construct("this kind of word boundary")),
        }
    }

    /// `\b` (`want` true) or `\B` (false) between `left` and `right`.
    fn boundary(&mut self, want: bool, left: Side, right: Side) -> Result<(), Refusal> {
        let word = |s: Side| match s {
            Side::Word => Some(true),
            Side::NonWord | Side::Edge => Some(false),
            Side::Open | Side::Unknown => None,
        };
        match (word(left), word(right)) {
            (Some(l), Some(r)) => {
                if (l != r) == want {
                    Ok(())
                } else {
                    Err(Refusal::NeverMatches)
                }
            }
            (None, Some(r)) if left == Side::Open => {
                // The character before the match decides: it must be a word
                // character exactly when `r != want`-ness says so.
                let need_word = r != want;
                self.side_char(need_word, '^');
                Ok(())
            }
            (Some(l), None) if right == Side::Open => {
                let need_word = l != want;
                self.side_char(need_word, '$');
                Ok(())
            }
            _ => Err(Refusal::WordBoundary),
        }
    }

    /// A word character, or else a non-word character or the text's edge.
    fn side_char(&mut self, word: bool, edge: char) {
        if word {
            let w = self.word.clone();
            self.class(&w);
        } else {
            let mut non = any_char();
            non.difference(&self.word);
            self.out.push_str("(?:");
            if edge == '^' {
                self.out.push_str("^|");
                self.class(&non);
            } else {
                self.class(&non);
                self.out.push_str("|$");
            }
            self.out.push(')');
        }
    }

    fn literal(&mut self, c: char) {
        if c.is_ascii_alphanumeric() || c == ' ' || c == '_' {
            self.out.push(c);
        } else if c.is_ascii_punctuation() {
            self.out.push('\\');
            self.out.push(c);
        } else {
            self.codepoint(c);
        }
    }

    fn codepoint(&mut self, c: char) {
        let n = c as u32;
        match self.dialect {
            Dialect::Postgres => self.out.push_str(&format!("\\U{n:08X}")),
            Dialect::DuckDb | Dialect::Spark => self.out.push_str(&format!("\\x{{{n:X}}}")),
        }
    }

    fn class(&mut self, c: &ClassUnicode) {
        if c.ranges().is_empty() {
            self.empty_class = true;
        }
        self.out.push('[');
        for r in c.ranges() {
            let mut start = r.start();
            if start == '\0' {
                // No engine stores NUL in text; PostgreSQL rejects it in a
                // pattern.
                if r.end() == '\0' {
                    continue;
                }
                start = '\u{1}';
            }
            self.class_char(start);
            if r.end() != start {
                self.out.push('-');
                self.class_char(r.end());
            }
        }
        self.out.push(']');
    }

    fn class_char(&mut self, c: char) {
        if c.is_ascii_alphanumeric() {
            self.out.push(c);
        } else {
            self.codepoint(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duck(p: &str) -> Result<String, Refusal> {
        translate(p, Dialect::DuckDb)
    }

    #[test]
    fn literals_fold_case() {
        assert_eq!(duck("ab").unwrap(), "[Aa][Bb]");
        // `.` is every character but a line break, spelled out.
        assert_eq!(
            duck("a.b").unwrap(),
            r"[Aa][\x{1}-\x{9}\x{B}-\x{10FFFF}][Bb]"
        );
        assert_eq!(duck(r"\.").unwrap(), r"\.");
    }

    #[test]
    fn edge_boundaries_become_characters() {
        let p = duck(r"\bvp\b").unwrap();
        assert!(p.starts_with("(?:^|["), "{p}");
        assert!(p.ends_with("|$)"), "{p}");
    }

    #[test]
    fn decided_boundaries_vanish_or_refuse() {
        assert_eq!(duck(r"^\bvp").unwrap(), "^[Vv][Pp]");
        assert_eq!(duck(r"a\b b").unwrap(), "[Aa] [Bb]");
        assert_eq!(duck(r"a\bb"), Err(Refusal::NeverMatches));
        assert_eq!(duck(r"(a|\.)\bb"), Err(Refusal::WordBoundary));
    }

    #[test]
    fn whitespace_is_rusts_white_space() {
        let class = whitespace_run(Dialect::DuckDb);
        let re = regex::Regex::new(&format!("^{class}$")).unwrap();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(re.is_match(&c.to_string()), c.is_whitespace(), "{c:?}");
        }
    }

    #[test]
    fn translated_patterns_mean_the_same_in_rust() {
        // The DuckDB spelling is also valid Rust syntax: both are RE2-style.
        let texts = [
            "vp sales",
            "head of x",
            "svp",
            "vp",
            "über vp",
            "vp-ops",
            "ǅa",
            "k",
            "\u{212a}",
        ];
        for p in [
            r"^(vp|head)\b",
            r"\bvp\b",
            r"[0-9]",
            r"k",
            r"\w+\.",
            r"^\bvp",
            r"a\b b",
            r"\Bp",
        ] {
            let ours = regex::RegexBuilder::new(p)
                .case_insensitive(true)
                .build()
                .unwrap();
            let theirs = regex::Regex::new(&duck(p).unwrap()).unwrap();
            for t in texts {
                assert_eq!(ours.is_match(t), theirs.is_match(t), "{p} on {t:?}");
            }
        }
    }

    #[test]
    fn postgres_limits() {
        assert_eq!(
            translate("a{300}", Dialect::Postgres),
            Err(Refusal::Repetition(300))
        );
        assert!(translate("a{300}", Dialect::DuckDb).is_ok());
    }
}
