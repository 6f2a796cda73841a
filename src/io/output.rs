//! One result per lead: the contract's JSON object, or a CSV row.

use crate::check::Model;
use crate::eval::Outcome;
use crate::num::format_cents;
use serde_json::Value as Json;

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The model's names, JSON-escaped once, for writing many result lines.
/// Each piece of a line that does not depend on the lead (a group's name
/// with its colon, a rule id or reason with its separator, the member names
/// of the object) is kept as a run of 32-byte blocks, so that writing it is
/// one fixed-size copy when it is at most 32 bytes long (see [`Line`]).
pub struct Names {
    /// Every piece's blocks, the last block of each zero-padded.
    blocks: Vec<[u8; BLOCK]>,
    /// `"fit": `, then `, "bant": ` and so on (the first has no separator).
    groups: Vec<Piece>,
    /// `"Demo", ` for each rule id and each reason: a list is written with
    /// a separator after every item, and the last one is taken back.
    rules: Vec<Piece>,
    reasons: Vec<Piece>,
    /// `"MQL"` for each stage, the fallback stage, and `"disqualified"`.
    stages: Vec<Piece>,
    fallback: Piece,
    disqualified: Piece,
    /// The member names between the values: `{"id": `, `, "score": `, ...
    open: Piece,
    score: Piece,
    stage: Piece,
    groups_open: Piece,
    fired_open: Piece,
    reasons_open: Piece,
}

/// The size of the blocks pieces are copied in: a piece up to this long
/// (nearly every one) is a single copy of a fixed size.
const BLOCK: usize = 32;

/// A piece of a result line: `len` bytes in [`Names::blocks`] from block
/// `at` (as many blocks as it takes).
#[derive(Debug, Clone, Copy)]
struct Piece {
    at: u32,
    len: u32,
}

/// Keeps `text` as a piece.
fn piece(blocks: &mut Vec<[u8; BLOCK]>, text: &str) -> Piece {
    let at = blocks.len();
    for chunk in text.as_bytes().chunks(BLOCK) {
        let mut block = [0u8; BLOCK];
        block[..chunk.len()].copy_from_slice(chunk);
        blocks.push(block);
    }
    Piece {
        at: at as u32,
        len: text.len() as u32,
    }
}

impl Names {
    pub fn new(model: &Model) -> Names {
        let mut b = Vec::new();
        let groups = model
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let sep = if i == 0 { "" } else { ", " };
                piece(&mut b, &format!("{sep}{}: ", json_string(&g.name)))
            })
            .collect();
        let listed =
            |b: &mut Vec<[u8; BLOCK]>, name: &str| piece(b, &format!("{}, ", json_string(name)));
        let rules = model.rules.iter().map(|r| listed(&mut b, &r.id)).collect();
        let reasons = model
            .disqualifiers
            .iter()
            .map(|d| listed(&mut b, &d.reason))
            .collect();
        let stages = model
            .stages
            .iter()
            .map(|s| piece(&mut b, &json_string(&s.name)))
            .collect();
        let fallback = piece(&mut b, &json_string(model.fallback_stage()));
        Names {
            groups,
            rules,
            reasons,
            stages,
            fallback,
            disqualified: piece(&mut b, "\"disqualified\""),
            open: piece(&mut b, "{\"id\": "),
            score: piece(&mut b, ", \"score\": "),
            stage: piece(&mut b, ", \"stage\": "),
            groups_open: piece(&mut b, ", \"groups\": {"),
            fired_open: piece(&mut b, "}, \"fired\": ["),
            reasons_open: piece(&mut b, "], \"disqualified\": ["),
            blocks: b,
        }
    }
}

/// The decimal digit `d` (below ten).
fn digit(d: u64) -> u8 {
    b'0' + d as u8
}

/// A result line being written: a buffer that only grows (its bytes past
/// the line are left over from earlier lines), written by index, so a
/// piece is copied in whole blocks, its padding overwritten by what follows.
#[derive(Debug, Default, Clone)]
pub struct Line {
    bytes: Vec<u8>,
    len: usize,
}

impl Line {
    /// The line written so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Makes room for `n` more bytes.
    #[inline(always)]
    fn room(&mut self, n: usize) {
        if self.len + n > self.bytes.len() {
            self.grow(n);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        let want = (self.len + n).max(2 * self.bytes.len()).max(1024);
        self.bytes.resize(want, 0);
    }

    #[inline(always)]
    fn piece(&mut self, names: &Names, p: Piece) {
        let at = p.at as usize;
        if p.len as usize <= BLOCK {
            self.room(BLOCK);
            let to = self.len;
            if let (Some(dest), Some(block)) =
                (self.bytes.get_mut(to..to + BLOCK), names.blocks.get(at))
            {
                dest.copy_from_slice(block);
            }
            self.len += p.len as usize;
        } else {
            self.long_piece(names, p);
        }
    }

    /// A piece longer than a block.
    #[inline(never)]
    fn long_piece(&mut self, names: &Names, p: Piece) {
        let at = p.at as usize;
        let blocks = names
            .blocks
            .get(at..at + (p.len as usize).div_ceil(BLOCK))
            .unwrap_or_default();
        self.room(blocks.len() * BLOCK);
        for (k, block) in blocks.iter().enumerate() {
            let to = self.len + k * BLOCK;
            self.bytes[to..to + BLOCK].copy_from_slice(block);
        }
        self.len += p.len as usize;
    }

    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.room(1);
        self.bytes[self.len] = b;
        self.len += 1;
    }

    /// Bytes of any length (a lead's id).
    fn text(&mut self, t: &[u8]) {
        self.room(t.len());
        self.bytes[self.len..self.len + t.len()].copy_from_slice(t);
        self.len += t.len();
    }

    /// Takes back the last `n` bytes (a list's last separator).
    fn back(&mut self, n: usize) {
        self.len -= n;
    }

    /// Hundredths the way outputs show them (see [`format_cents`]).
    /// Scores and group totals are nearly all below a thousand points:
    /// those are written digit by digit with no loop, the rest through
    /// [`format_cents`].
    #[inline]
    fn cents(&mut self, cents: i64) {
        let abs = cents.unsigned_abs();
        let (int, frac) = (abs / 100, abs % 100);
        if int > 999 {
            self.text(format_cents(cents).as_bytes());
            return;
        }
        // A sign, three digits, the point and two decimals.
        self.room(7);
        let b = &mut self.bytes[self.len..self.len + 7];
        let mut i = 0;
        if cents < 0 {
            b[0] = b'-';
            i = 1;
        }
        match int {
            0..=9 => {
                b[i] = digit(int);
                i += 1;
            }
            10..=99 => {
                b[i] = digit(int / 10);
                b[i + 1] = digit(int % 10);
                i += 2;
            }
            _ => {
                b[i] = digit(int / 100);
                b[i + 1] = digit(int / 10 % 10);
                b[i + 2] = digit(int % 10);
                i += 3;
            }
        }
        b[i] = b'.';
        b[i + 1] = digit(frac / 10);
        i += 2;
        if frac % 10 != 0 {
            b[i] = digit(frac % 10);
            i += 1;
        }
        self.len += i;
    }

    /// Starts a new line.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Writes `{"id": "L1", "score": 55.0, "stage": "MQL", "groups": {…},
    /// "fired": […], "disqualified": […]}` after what the line holds.
    pub fn result(&mut self, names: &Names, id: &Json, outcome: &Outcome) {
        self.piece(names, names.open);
        match id {
            Json::String(s)
                if s.bytes()
                    .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f) =>
            {
                self.byte(b'"');
                self.text(s.as_bytes());
                self.byte(b'"');
            }
            other => self.text(
                serde_json::to_string(other)
                    .unwrap_or_else(|_| "null".into())
                    .as_bytes(),
            ),
        }
        self.piece(names, names.score);
        self.cents(outcome.score);
        self.piece(names, names.stage);
        let stage = match outcome.stage {
            crate::eval::StageResult::Stage(i) => names.stages.get(i).copied(),
            crate::eval::StageResult::Otherwise => Some(names.fallback),
            crate::eval::StageResult::Disqualified => Some(names.disqualified),
        };
        if let Some(stage) = stage {
            self.piece(names, stage);
        }
        self.piece(names, names.groups_open);
        for (&name, &cents) in names.groups.iter().zip(&outcome.groups) {
            self.piece(names, name);
            self.cents(cents);
        }
        self.piece(names, names.fired_open);
        // Which rules fired is different from lead to lead: taken as bits,
        // 64 rules at a time, the loop branches once per rule that fired
        // rather than once per rule.
        let mut any = false;
        let rules = names.rules.chunks(64).zip(outcome.contributions.chunks(64));
        for (rules, contributions) in rules {
            let mut fired = contributions
                .iter()
                .enumerate()
                .fold(0u64, |m, (k, &c)| m | u64::from(c != 0) << k);
            any |= fired != 0;
            while fired != 0 {
                let k = fired.trailing_zeros() as usize;
                fired &= fired - 1;
                if let Some(&rule) = rules.get(k) {
                    self.piece(names, rule);
                }
            }
        }
        if any {
            self.back(2);
        }
        self.piece(names, names.reasons_open);
        let mut any = false;
        for &d in &outcome.disqualified {
            if let Some(&reason) = names.reasons.get(d) {
                self.piece(names, reason);
                any = true;
            }
        }
        if any {
            self.back(2);
        }
        self.byte(b']');
        self.byte(b'}');
    }
}

/// Appends `{"id": "L1", "score": 55.0, "stage": "MQL", "groups": {…}, "fired": […], "disqualified": […]}`.
pub fn write_json_line(names: &Names, id: &Json, outcome: &Outcome, buf: &mut String) {
    let mut line = Line::default();
    line.result(names, id, outcome);
    buf.push_str(&String::from_utf8_lossy(line.bytes()));
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
    use super::{Line, Names};
    use crate::eval::{Outcome, StageResult};
    use proptest::prelude::*;
    use serde_json::{json, Value as Json};

    /// A model with `rules` rules, whose names are short, exactly a block
    /// long, longer than a block, or need escapes; two groups and two
    /// disqualifiers.
    fn model(rules: usize) -> crate::check::Model {
        let name = |i: usize| match i % 5 {
            0 => format!("r{i}"),
            1 => format!("rule {i} {}", "x".repeat(30 - 7 - i.to_string().len())),
            2 => format!("a long rule name that takes more than one block {i}"),
            3 => format!("quote \\\"{i}\\\" and é"),
            _ => format!("{}{i}", "y".repeat(29 - i.to_string().len())),
        };
        let mut text = String::from("lead {\n  size: number\n}\n");
        text.push_str("group fit {\n");
        for i in 0..rules / 2 {
            text.push_str(&format!("  \"{}\": size > {i} -> +1\n", name(i)));
        }
        text.push_str("}\ngroup second {\n");
        for i in rules / 2..rules {
            text.push_str(&format!("  \"{}\": size > {i} -> +1\n", name(i)));
        }
        text.push_str("}\n");
        text.push_str("disqualify \"too big\" when size > 1000\n");
        text.push_str(
            "disqualify \"a very long reason that does not fit one block\" when size > 2000\n",
        );
        text.push_str("stage MQL when score >= 5\n");
        let checked = crate::load::check_text("m.rules", &text);
        checked
            .model
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    /// The line as serde_json writes the same object (with the contract's
    /// spacing, and totals as `format_cents` shows them).
    fn expected(model: &crate::check::Model, id: &Json, o: &Outcome) -> String {
        let cents = |c: i64| crate::num::format_cents(c);
        let groups: Vec<String> = model
            .groups
            .iter()
            .zip(&o.groups)
            .map(|(g, &c)| format!("{}: {}", json!(g.name), cents(c)))
            .collect();
        let fired: Vec<String> = model
            .rules
            .iter()
            .zip(&o.contributions)
            .filter(|(_, &c)| c != 0)
            .map(|(r, _)| json!(r.id).to_string())
            .collect();
        let reasons: Vec<String> = o
            .disqualified
            .iter()
            .map(|&d| json!(model.disqualifiers[d].reason).to_string())
            .collect();
        format!(
            "{{\"id\": {id}, \"score\": {}, \"stage\": {}, \"groups\": {{{}}}, \"fired\": [{}], \"disqualified\": [{}]}}",
            cents(o.score),
            json!(o.stage_name(model)),
            groups.join(", "),
            fired.join(", "),
            reasons.join(", ")
        )
    }

    proptest! {
        #[test]
        fn a_result_line_is_written_as_serde_json_writes_it(
            rules in 1usize..140,
            fired in proptest::collection::vec(prop_oneof![Just(0i64), -500i64..500, any::<i64>()], 140),
            totals in proptest::collection::vec(any::<i64>(), 2),
            score in any::<i64>(),
            stage in 0usize..3,
            disqualified in proptest::collection::vec(0usize..2, 0..3),
            id in prop_oneof![
                "[a-zA-Z0-9 _-]{0,40}".prop_map(Json::from),
                ".{0,12}".prop_map(Json::from),
                any::<i64>().prop_map(Json::from),
                Just(Json::Null),
            ],
            lines in 1usize..3,
        ) {
            let model = model(rules);
            let names = Names::new(&model);
            let outcome = Outcome {
                score,
                groups: totals,
                contributions: fired[..rules].to_vec(),
                disqualified,
                stage: [StageResult::Stage(0), StageResult::Otherwise, StageResult::Disqualified][stage].clone(),
                ..Outcome::default()
            };
            let mut line = Line::default();
            // A line written after another is the same as the first.
            for _ in 0..lines {
                line.clear();
                line.result(&names, &id, &outcome);
            }
            let written = std::str::from_utf8(line.bytes()).unwrap();
            prop_assert_eq!(written, expected(&model, &id, &outcome));
            let parsed: Json = serde_json::from_str(written).unwrap();
            prop_assert_eq!(&parsed["id"], &id);
        }
    }

    #[test]
    fn cents_are_written_as_format_cents_writes_them() {
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
            let mut line = super::Line::default();
            line.cents(c);
            assert_eq!(line.bytes(), crate::num::format_cents(c).as_bytes());
        }
    }
}
