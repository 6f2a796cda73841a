//! One result per lead: the contract's JSON object, or a CSV row.

use crate::check::Model;
use crate::eval::Outcome;
use crate::num::format_cents;
use serde_json::Value as Json;

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The model's names, JSON-escaped once, for writing many result lines.
/// Group names carry their separator and colon (`, "fit": `), rule ids and
/// reasons their leading separator (`, "Demo"`), so each is one append.
pub struct Names {
    groups: Vec<String>,
    rules: Vec<String>,
    reasons: Vec<String>,
    stages: Vec<String>,
    fallback: String,
}

/// `, ` then the name as a JSON string.
fn listed(name: &str) -> String {
    format!(", {}", json_string(name))
}

/// Appends the items of a JSON list written with [`listed`] names.
fn push_list<'a>(buf: &mut String, items: impl Iterator<Item = &'a str>) {
    let mut items = items;
    if let Some(first) = items.next() {
        buf.push_str(&first[2..]);
    }
    items.for_each(|item| buf.push_str(item));
}

impl Names {
    pub fn new(model: &Model) -> Names {
        Names {
            groups: model
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let sep = if i == 0 { "" } else { ", " };
                    format!("{sep}{}: ", json_string(&g.name))
                })
                .collect(),
            rules: model.rules.iter().map(|r| listed(&r.id)).collect(),
            reasons: model
                .disqualifiers
                .iter()
                .map(|d| listed(&d.reason))
                .collect(),
            stages: model.stages.iter().map(|s| json_string(&s.name)).collect(),
            fallback: json_string(model.fallback_stage()),
        }
    }
}

/// The decimal digit `d` (below ten).
fn digit(d: u64) -> char {
    char::from(b'0' + d as u8)
}

/// Appends a whole number's decimal digits. Scores and group totals are
/// nearly all below a thousand points: those are written digit by digit
/// with no loop and no buffer.
fn push_int(buf: &mut String, n: u64) {
    match n {
        0..=9 => buf.push(digit(n)),
        10..=99 => {
            buf.push(digit(n / 10));
            buf.push(digit(n % 10));
        }
        100..=999 => {
            buf.push(digit(n / 100));
            buf.push(digit(n / 10 % 10));
            buf.push(digit(n % 10));
        }
        _ => push_long_int(buf, n),
    }
}

/// [`push_int`] of any number.
fn push_long_int(buf: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        buf.push(d as char);
    }
}

/// Appends hundredths the way outputs show them (see [`format_cents`]).
pub fn push_cents(buf: &mut String, cents: i64) {
    if cents < 0 {
        buf.push('-');
    }
    let abs = cents.unsigned_abs();
    let (int, frac) = (abs / 100, abs % 100);
    push_int(buf, int);
    buf.push('.');
    buf.push(digit(frac / 10));
    if frac % 10 != 0 {
        buf.push(digit(frac % 10));
    }
}

fn push_id(buf: &mut String, id: &Json) {
    match id {
        Json::String(s)
            if s.bytes()
                .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f) =>
        {
            buf.push('"');
            buf.push_str(s);
            buf.push('"');
        }
        other => buf.push_str(&serde_json::to_string(other).unwrap_or_else(|_| "null".into())),
    }
}

/// Appends `{"id": "L1", "score": 55.0, "stage": "MQL", "groups": {…}, "fired": […], "disqualified": […]}`.
pub fn write_json_line(names: &Names, id: &Json, outcome: &Outcome, buf: &mut String) {
    buf.push_str("{\"id\": ");
    push_id(buf, id);
    buf.push_str(", \"score\": ");
    push_cents(buf, outcome.score);
    buf.push_str(", \"stage\": ");
    buf.push_str(match outcome.stage {
        crate::eval::StageResult::Stage(i) => &names.stages[i],
        crate::eval::StageResult::Otherwise => &names.fallback,
        crate::eval::StageResult::Disqualified => "\"disqualified\"",
    });
    buf.push_str(", \"groups\": {");
    for (name, &cents) in names.groups.iter().zip(&outcome.groups) {
        buf.push_str(name);
        push_cents(buf, cents);
    }
    buf.push_str("}, \"fired\": [");
    push_list(
        buf,
        names
            .rules
            .iter()
            .zip(&outcome.contributions)
            .filter(|(_, &c)| c != 0)
            .map(|(name, _)| name.as_str()),
    );
    buf.push_str("], \"disqualified\": [");
    push_list(
        buf,
        outcome
            .disqualified
            .iter()
            .map(|&d| names.reasons[d].as_str()),
    );
    buf.push_str("]}");
}

/// One result line (see [`write_json_line`]).
pub fn json_line(model: &Model, id: &Json, outcome: &Outcome) -> String {
    let mut s = String::with_capacity(256);
    write_json_line(&Names::new(model), id, outcome, &mut s);
    s
}

pub fn csv_header(model: &Model) -> Vec<String> {
    let mut h = vec!["id".to_string(), "score".into(), "stage".into()];
    h.extend(model.groups.iter().map(|g| g.name.clone()));
    h.push("fired".into());
    h.push("disqualified".into());
    h
}

/// The id as a plain cell: text without quotes, anything else as JSON.
pub fn id_text(id: &Json) -> String {
    match id {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn csv_row(model: &Model, id: &Json, outcome: &Outcome) -> Vec<String> {
    let mut row = vec![
        id_text(id),
        format_cents(outcome.score),
        outcome.stage_name(model).to_string(),
    ];
    row.extend(outcome.groups.iter().map(|&g| format_cents(g)));
    row.push(outcome.fired(model).join(";"));
    let reasons: Vec<&str> = outcome
        .disqualified
        .iter()
        .map(|&d| model.disqualifiers[d].reason.as_str())
        .collect();
    row.push(reasons.join(";"));
    row
}

#[cfg(test)]
mod tests {
    #[test]
    fn push_cents_matches_format_cents() {
        for c in [
            0,
            5,
            50,
            99,
            100,
            105,
            550,
            5500,
            -5,
            -550,
            -12345,
            123456789,
            i64::MAX,
            i64::MIN + 1,
            1000,
            100100,
            1,
            10,
            110,
            -1,
            -10,
            -100,
            99_999,
            i64::MIN,
            // Each side of the lengths written without a loop.
            999,
            1_000,
            9_999,
            10_000,
            99_900,
            100_000,
            100_001,
            -99_999,
            -100_000,
        ] {
            let mut s = String::new();
            super::push_cents(&mut s, c);
            assert_eq!(s, crate::num::format_cents(c));
        }
    }
}
