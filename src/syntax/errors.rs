//! Turning a pest error into a diagnostic a rule author can act on.

use super::{is_keyword, keywords, Rule, ITEM_WORDS};

use crate::diag::{suggest, Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::{Error, ErrorVariant, InputLocation};

/// What the user should read for a grammar rule the parser hoped to see.
fn describe(kind: Rule) -> Option<&'static str> {
    Some(match kind {
        Rule::arrow => "`->`",
        Rule::signed_number | Rule::number => "a number",
        Rule::percent => "a percentage such as `25%`",
        Rule::string => "a quoted string",
        Rule::ident | Rule::path | Rule::event_object => "a name",
        Rule::literal => "a value",
        Rule::condition | Rule::cond_and | Rule::cond_not | Rule::test | Rule::event_cond => {
            "a condition"
        }
        Rule::operand | Rule::call | Rule::score_ref => "a field",
        Rule::op_known
        | Rule::op_missing
        | Rule::op_is
        | Rule::op_is_not
        | Rule::op_in
        | Rule::op_not_in
        | Rule::op_between
        | Rule::op_includes
        | Rule::op_contains
        | Rule::op_starts
        | Rule::op_ends
        | Rule::op_matches
        | Rule::op_cmp
        | Rule::cmp_op => "an operator",
        Rule::lead_decl
        | Rule::events_decl
        | Rule::list_decl
        | Rule::group_decl
        | Rule::score_decl
        | Rule::stage_decl
        | Rule::otherwise_decl
        | Rule::disqualify_decl
        | Rule::test_decl
        | Rule::rule => "a declaration or a rule",
        Rule::field_decl => "a field declaration (`name: type`)",
        Rule::type_expr => "a type",
        Rule::event_type_decl => "an event type",
        Rule::prop_decl => "a property name",
        Rule::event_member => "`type from \"…\"` or `at from \"…\"`",
        Rule::member_sep | Rule::member_close => "`,` or `)`",
        Rule::list_literal => "a list (`[\"a\", \"b\"]`)",
        Rule::list_ref => "a list name or a list (`[\"a\", \"b\"]`)",
        Rule::group_max | Rule::group_min | Rule::decay => "`max`, `min` or `decay`",
        Rule::score_max | Rule::score_min => "`max` or `min`",
        Rule::unit => "a unit (`hours`, `days`, `weeks` or `months`)",
        Rule::each => "`each`",
        Rule::rule_max => "`max`",
        Rule::where_clause => "`where`",
        Rule::count
        | Rule::count_n
        | Rule::count_never
        | Rule::count_at_least
        | Rule::count_at_most
        | Rule::count_more_than
        | Rule::count_fewer_than => "a count (`twice`, `at least 3 times`)",
        Rule::window => "a window (`in the last 30 days`)",
        Rule::time => "a date",
        Rule::as_of | Rule::test_lead | Rule::expect => "`as of`, `lead` or `expect`",
        Rule::expect_stage
        | Rule::expect_score
        | Rule::expect_group
        | Rule::expect_fired
        | Rule::expect_not_fired
        | Rule::expect_disqualified
        | Rule::expect_not_disqualified => {
            "an expectation (`stage`, `score`, `group`, `fired`, `disqualified`)"
        }
        Rule::json => "a JSON object",
        Rule::kw_when => "`when`",
        Rule::kw_and => "`and`",
        Rule::kw_of => "`of`",
        Rule::kw_with => "`with`",
        Rule::kw_every => "`every`",
        Rule::kw_times => "`times`",
        Rule::kw_than => "`than`",
        Rule::kw_least | Rule::kw_most => "`least` or `most`",
        Rule::EOI => "the end of the file",
        _ => return None,
    })
}

/// The word (or character) found where the error is, as the user wrote it.
fn found_at(text: &str, pos: usize) -> (usize, &str) {
    let rest = &text[pos..];
    let word_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    if word_len > 0 {
        return (word_len, &rest[..word_len]);
    }
    match rest.chars().next() {
        Some(c) => (c.len_utf8(), &rest[..c.len_utf8()]),
        None => (0, ""),
    }
}

fn join_alternatives(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

pub(super) fn from_pest(file: FileId, text: &str, error: Error<Rule>) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let (len, found) = found_at(text, pos);
    let span = Span::new(file, pos, pos + len);
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut expected: Vec<&str> = positives.iter().filter_map(|r| describe(*r)).collect();
    // `from` is not offered beside other forms (after a field's type it
    // would read as the thing missing); where nothing else fits, as after
    // an event's `type`, it is.
    if positives == [Rule::kw_from] {
        // After a property: the list goes on, ends, or names where the
        // data keeps it.
        if in_property_list(text, pos) {
            expected.extend(["`,`", "`)`"]);
        }
        expected.push("`from`");
    }
    expected.dedup();
    let mut seen = std::collections::HashSet::new();
    expected.retain(|e| seen.insert(*e));

    let found_text = if found.is_empty() {
        "the end of the file".to_string()
    } else if found == "\n" || found == "\r" {
        "the end of the line".to_string()
    } else {
        format!("`{found}`")
    };
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!(
            "expected {}, found {found_text}",
            join_alternatives(&expected)
        )
    };
    let label = if expected.is_empty() {
        "not understood here".to_string()
    } else {
        format!("expected {} here", join_alternatives(&expected))
    };
    // An opening quote with no closing one on its line.
    let line_rest = text[pos..].split('\n').next().unwrap_or("");
    if found == "\"" && line_rest.matches('"').count() % 2 == 1 {
        let end = pos + line_rest.trim_end().len();
        return Diagnostic::new(
            Code::Syntax,
            "this string is never closed",
            Span::new(file, pos, end),
            "the string starts here",
        )
        .help("strings end with `\"` on the same line; write `\\\"` for a quote inside a string");
    }
    // `-> +5 points`: the word after the points was read as the start of
    // another rule, which fails further on. Point at the word.
    if let Some((arrow, start, end)) = trailing_points(text, pos) {
        let points = text[arrow..start].trim_end();
        return Diagnostic::new(
            Code::Syntax,
            format!("unexpected `{}` after `{points}`", &text[start..end]),
            Span::new(file, start, end),
            "not understood here",
        )
        .help(format!("points are a number alone: `{points}`"));
    }
    let mut help = help_for(&positives, found, text, pos);
    // A misspelt keyword at the start of the line (`stge SQL when …`) reads
    // as a rule, and fails later: name the likely keyword.
    let line_start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let first_word: String = text[line_start..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !is_keyword(&first_word) {
        if let Some(s) = suggest(&first_word, ITEM_WORDS.iter().copied()) {
            help = format!("did you mean `{s}`? `{first_word}` is not a keyword, so the line was read as a rule");
        }
    }
    Diagnostic::new(Code::Syntax, message, span, label).help(help)
}

/// Words that may follow others in the grammar: what a misspelling most
/// likely meant.
const OTHER_WORDS: [&str; 14] = [
    "times", "time", "with", "every", "least", "most", "than", "hours", "days", "weeks", "months",
    "of", "as", "from",
];

/// Can `word` (a keyword or one of [`OTHER_WORDS`]) stand after `prev`?
/// The words that only ever follow one other are offered only after it:
/// `least` after `at`, `than` after `more` or `fewer`, `of` after `list`
/// or `as`, `from` after a field's type.
fn fits_after(word: &str, prev: &str) -> bool {
    match word {
        "least" | "most" => prev == "at",
        "than" => prev == "more" || prev == "fewer",
        "of" => prev == "list" || prev == "as",
        "from" => ["text", "number", "bool", "time"].contains(&prev),
        _ => true,
    }
}

/// The line before the one `pos` is on, without its comment.
fn previous_line(text: &str, pos: usize) -> Option<&str> {
    let line_start = text[..pos].rfind('\n')?;
    text[..line_start]
        .lines()
        .rev()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
}

/// Is `pos` inside an event type's property list left open
/// (`downloaded(asset` and then another line)? The nearest bracket before
/// it is a `(` on a line that does not start an `events` block (whose
/// brackets hold the members it renames).
fn in_property_list(text: &str, pos: usize) -> bool {
    let Some(open) = text[..pos].rfind(['(', ')']) else {
        return false;
    };
    let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
    text.as_bytes()[open] == b'(' && !text[line_start..open].trim_start().starts_with("events")
}

fn first_on_line(text: &str, pos: usize) -> bool {
    let line_start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    text[line_start..pos].trim().is_empty()
}

/// Is the text at `pos` a window written another way (`in last 30 days`,
/// `in the past week`, `in 30 days`, `within the last 30 days`)? What it
/// looks like is known from the words before it on its line, and from
/// whether the parser could take a window there (`wants_window`).
fn loose_window(found: &str, text: &str, pos: usize, wants_window: bool) -> bool {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let before: Vec<String> = text[line_start..pos]
        .split_whitespace()
        .rev()
        .take(2)
        .map(str::to_ascii_lowercase)
        .collect();
    let before: Vec<&str> = before.iter().map(String::as_str).collect();
    let unit_follows = || {
        let after = text[pos + found.len()..].trim_start();
        let unit: String = after
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        ["hour", "day", "week", "month"]
            .iter()
            .any(|u| unit == *u || unit == format!("{u}s"))
    };
    match (found, before.as_slice()) {
        ("last" | "past", ["in" | "the", ..]) => true,
        ("last" | "past", _) => wants_window,
        (_, ["the", "in", ..]) => true,
        ("the", ["within", ..]) => true,
        (n, ["in", ..]) => !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && unit_follows(),
        _ => false,
    }
}

/// Counts people write as words.
const NUMBER_WORDS: [&str; 10] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

/// Help for what people carry over from spreadsheets, SQL and other tools
/// (`'CEO'`, `10,000`, `$10k`, `=>`, `&&`, `/vp/`, `10K`, `two times`,
/// `is not known`), by what was found where.
fn habit_help(positives: &[Rule], found: &str, text: &str, pos: usize) -> Option<String> {
    let wants = |r: Rule| positives.contains(&r);
    let before = text[..pos].trim_end();
    let after = &text[pos + found.len()..];
    let line_rest = text[pos..].split('\n').next().unwrap_or("");
    let help = match found {
        "'" => {
            // Up to the closing quote, or, with none, the first word.
            let rest = &line_rest[1..];
            let inner = match rest.split_once('\'') {
                Some((inner, _)) => inner,
                None => rest.split_whitespace().next().unwrap_or(""),
            };
            format!("text is written in double quotes: `\"{inner}\"`")
        }
        "," if before.ends_with(|c: char| c.is_ascii_digit())
            && after.bytes().take_while(u8::is_ascii_digit).count() == 3 =>
        {
            "write numbers without separators: `10000`, or `10k`".into()
        }
        "$" | "€" | "£" => "write amounts without a currency sign: `10k`, `250000`".into(),
        "=" if after.starts_with('>') => "points follow `->`, not `=>`".into(),
        "&" => "write `and` in words".into(),
        "|" => "write `or` in words".into(),
        "/" if before.ends_with("matches") => {
            "a pattern is a quoted string: `matches \"^(vp|head)\\b\"`".into()
        }
        "known" | "missing" if before.ends_with("is not") => {
            "write `is missing` for not known, and `is known` for not missing".into()
        }
        w if NUMBER_WORDS.contains(&w.to_ascii_lowercase().as_str()) && wants(Rule::count) => {
            "write a count in digits (`2 times`, `at least 3 times`) or as `once`, `twice`, `thrice`".into()
        }
        _ if upper_suffix(line_rest) => {
            let number: String = line_rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            format!(
                "`k` and `m` are written in lower case: `{}`",
                number.to_ascii_lowercase()
            )
        }
        "when" if wants(Rule::string) => {
            "a disqualification gives its reason first, in double quotes: `disqualify \"Unsubscribed\" when …`".into()
        }
        _ => return None,
    };
    Some(help)
}

/// Where the error at `pos` follows `-> N points` (or `point`, `pts`) as
/// the last words before it, on one line: where the arrow starts, and the
/// span of the word.
fn trailing_points(text: &str, pos: usize) -> Option<(usize, usize, usize)> {
    let before = text[..pos].trim_end();
    let word = ["points", "point", "pts"]
        .into_iter()
        .find(|w| before.to_ascii_lowercase().ends_with(w))?;
    let start = before.len() - word.len();
    let head = before[..start].trim_end();
    let number = head.rsplit(char::is_whitespace).next()?;
    let is_number = number
        .trim_start_matches(['+', '-'])
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == 'k' || c == 'm');
    let to_arrow = head[..head.len() - number.len()].trim_end();
    let arrow = to_arrow.strip_suffix("->")?.len();
    let one_line = !text[arrow..start].contains('\n');
    (is_number && !number.is_empty() && one_line).then_some((arrow, start, before.len()))
}

/// Does `rest` start with a number with an upper-case suffix (`10K`, `1.5M`)?
fn upper_suffix(rest: &str) -> bool {
    let digits = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let next = rest.as_bytes().get(digits + 1);
    digits > 0
        && matches!(rest.as_bytes().get(digits), Some(b'K' | b'M'))
        && !next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Text written without quotes where a value is due (`title = VP Sales`,
/// `["CEO", CFO]`): the words up to the next operator, arrow or bracket.
fn bare_text(found: &str, text: &str, pos: usize) -> Option<String> {
    if found.is_empty() || is_keyword(found) || !found.chars().all(char::is_alphabetic) {
        return None;
    }
    let rest = text[pos..].split('\n').next().unwrap_or("");
    let words: Vec<&str> = rest
        .split(|c: char| !(c.is_alphanumeric() || c == ' ' || c == '_'))
        .next()
        .unwrap_or("")
        .split_whitespace()
        .take_while(|w| !is_keyword(w))
        .collect();
    Some(format!(
        "text is written in double quotes: `\"{}\"`",
        words.join(" ")
    ))
}

fn help_for(positives: &[Rule], found: &str, text: &str, pos: usize) -> String {
    let wants = |r: Rule| positives.contains(&r);
    let wants_name = wants(Rule::ident) || wants(Rule::path) || wants(Rule::operand);
    if loose_window(found, text, pos, wants(Rule::window)) {
        return "a window is written `in the last 30 days` or `within 30 days` (in hours, days, weeks or months)".into();
    }
    if let Some(help) = habit_help(positives, found, text, pos) {
        return help;
    }
    if positives == [Rule::kw_from] && in_property_list(text, pos) {
        return "an event type's properties go in parentheses, separated by commas: `visited(page, seconds: number)`; one the data names otherwise is read `from` that name: `page from \"url\"`".into();
    }
    // Inside `events in tracks ( … )`: the one form the list takes.
    let in_members = [Rule::event_member, Rule::member_sep, Rule::member_close];
    if positives == [Rule::kw_from] || positives.iter().any(|r| in_members.contains(r)) {
        return "an `events` block names its events' members as `(type from \"event\", at from \"timestamp\")`, separated by commas".into();
    }
    let prev = previous_line(text, pos);
    // The previous line stopped short: `otherwise` with no name, say.
    if first_on_line(text, pos) && wants_name {
        if let Some(p) = prev {
            let last = p.split_whitespace().last().unwrap_or(p);
            return format!("a name is missing after `{last}` at the end of the previous line");
        }
    }
    // A block header without its `{`.
    if let Some(p) = prev.filter(|_| first_on_line(text, pos)) {
        let head = p.split_whitespace().next().unwrap_or("");
        if ["group", "lead", "events", "test"].contains(&head) && !p.contains('{') {
            return format!(
                "`{p}` needs `{{` at its end: the block's contents go between `{{` and `}}`"
            );
        }
    }
    // A misspelt keyword: `twise`, `is knwon`. A word that starts an item
    // (`list`, `stage`) only starts a line, and where a value is due only
    // `is known` and `is missing` take a word: `title = last` wants quotes,
    // not `list` or `least`.
    if !found.is_empty() && found.chars().all(|c| c.is_ascii_alphabetic()) && !is_keyword(found) {
        let starts_line = first_on_line(text, pos);
        let prev = text[..pos].split_whitespace().next_back().unwrap_or("");
        let after_is = prev == "is";
        let value_due = wants(Rule::literal);
        let words = keywords()
            .chain(OTHER_WORDS.iter().copied())
            .filter(|w| starts_line || !ITEM_WORDS.contains(w))
            .filter(|w| fits_after(w, prev))
            .filter(|w| !value_due || (after_is && ["known", "missing"].contains(w)));
        if let Some(s) = suggest(found, words) {
            return format!("did you mean `{s}`?");
        }
    }
    // The operator rules are the ones `describe` calls "an operator".
    let is_operator = |r: &Rule| describe(*r) == Some("an operator");
    if is_keyword(found) && wants_name {
        return format!("`{found}` is a reserved word and can't be used as a name; see the list in docs/language.md");
    }
    if wants(Rule::arrow) {
        return "a rule is written `CONDITION -> POINTS`, for example `title in decision_makers -> +15`".into();
    }
    // (A word at the start of a line is the next line's: the value is missing.)
    if let Some(help) =
        bare_text(found, text, pos).filter(|_| wants(Rule::literal) && !first_on_line(text, pos))
    {
        return help;
    }
    if wants(Rule::literal) {
        return "compare with a value: a number (`10k`), a quoted string (`\"VP Sales\"`), a date (`2026-01-01`) or `true`/`false`".into();
    }
    if wants(Rule::percent) {
        return "decay is a percentage and a period: `decay 25% every 30 days`".into();
    }
    if wants(Rule::string)
        && !found.is_empty()
        && found.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return format!("write text in double quotes: `\"{found}\"`");
    }
    if positives.iter().any(is_operator) {
        return "a test needs an operator, such as `= \"CEO\"`, `>= 50`, `in some_list`, `contains \"vp\"` or `is known`".into();
    }
    if wants(Rule::signed_number) {
        return "points are a signed number, for example `+20` or `-5`".into();
    }
    if wants(Rule::kw_when) {
        return "write `stage NAME when CONDITION` or `disqualify \"REASON\" when CONDITION`"
            .into();
    }
    if wants(Rule::unit) {
        return "durations are a number and a unit: `30 days`, `2 weeks`, `12 hours`, `3 months`"
            .into();
    }
    if wants(Rule::kw_of) {
        return "a list's type is written `list of text` or `list of number`".into();
    }
    if wants(Rule::type_expr) {
        return "types are `text`, `number`, `bool`, `time`, `list of text` and `list of number`"
            .into();
    }
    if wants(Rule::condition) || wants(Rule::cond_not) {
        return "a condition is a test on a field (`title = \"CEO\"`) or an event (`visited pricing twice`)".into();
    }
    if found == "\"" {
        return "strings end with `\"` on the same line; write `\\\"` for a quote inside a string"
            .into();
    }
    "see docs/language.md for the forms a model may contain".into()
}
