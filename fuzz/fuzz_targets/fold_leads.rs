//! Any input, as a JSON Lines file read by `io::fold` for two models (the
//! reader `diff` uses): never panics, and gives, lead by lead and note by
//! note, what reading each line with serde_json and the general path gives
//! (texts without their form as written, which only `explain` reads and the
//! scoring reader does not keep). Each input is read twice: cut as a file
//! is, and cut into chunks and segments of a few bytes (a segment a line,
//! at the smallest), so that line numbers and notes cross many pieces.
#![no_main]

mod common;

use leadscore::io::fold::{fold_jsonl_in_pieces, Note};
use leadscore::io::pipeline::Pieces;
use leadscore::io::record::{lead_from_json, lookup, DataError, DataErrorKind};
use libfuzzer_sys::fuzz_target;

/// What the scoring reader keeps of a lead: texts without their form as
/// written, and no value for a field the model never reads.
fn without_raw(
    model: &leadscore::check::Model,
    mut lead: leadscore::eval::Lead,
) -> leadscore::eval::Lead {
    use leadscore::eval::Value;
    let strip = |v: &mut Value| {
        if let Value::Text { raw, .. } = v {
            raw.clear();
        }
    };
    lead.values.iter_mut().for_each(strip);
    for (v, read) in lead.values.iter_mut().zip(model.fields_read()) {
        if !read {
            *v = Value::Missing;
        }
    }
    for e in &mut lead.events {
        e.props.iter_mut().for_each(strip);
    }
    lead
}

fuzz_target!(|data: &[u8]| {
    let [a, b] = common::models();
    let key = vec!["id".to_string()];
    // A tag path that one model reads inside (b2b's `company.*`) and the
    // other does not read at all.
    let tag = vec!["company".to_string()];
    let small = Pieces {
        chunk: 1 + data.len() % 61,
        segment: 1 + data.len() % 7,
    };
    let mut read = Vec::new();
    for pieces in [Pieces::DEFAULT, small] {
        let mut got = Vec::new();
        let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(data.to_vec()));
        fold_jsonl_in_pieces(
            pieces,
            input,
            &[a, b],
            &key,
            Some(&tag),
            Vec::new,
            |acc: &mut Vec<_>, leads| {
                for (x, y) in leads[0].iter().zip(leads[1]) {
                    // Lines the fast reader declines keep it (a byte-order mark).
                    acc.push((without_raw(a, x.clone()), without_raw(b, y.clone())));
                }
            },
            |acc, notes| got.push((acc, notes)),
        )
        .unwrap();
        let (leads, notes): (Vec<_>, Vec<_>) = got.into_iter().unzip();
        let leads: Vec<_> = leads.into_iter().flatten().collect();
        let notes: Vec<Note> = notes.into_iter().flatten().collect();
        read.push((leads, notes));
    }

    let (mut want_leads, mut want_notes) = (Vec::new(), Vec::new());
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    for (i, bytes) in body.split(|&c| c == b'\n').enumerate() {
        let line = i as u64 + 1;
        let Ok(text) = std::str::from_utf8(bytes) else {
            want_notes.push(Note::Rejected(DataError {
                line,
                path: String::new(),
                kind: DataErrorKind::InvalidJson {
                    message: "the line is not valid UTF-8".into(),
                },
            }));
            continue;
        };
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            continue;
        }
        match leadscore::io::input::parse_json_line(text, line) {
            Err(e) => want_notes.push(Note::Rejected(e)),
            Ok(v) => {
                let mut errors: Vec<DataError> = Vec::new();
                let tagged = lookup(&v, &tag).cloned().unwrap_or_default();
                let mut x = lead_from_json(a, &v, &key, line, &mut errors);
                x.tag = tagged.clone();
                let mut more = Vec::new();
                let mut y = lead_from_json(b, &v, &key, line, &mut more);
                y.tag = tagged;
                for e in more {
                    if !errors.contains(&e) {
                        errors.push(e);
                    }
                }
                want_notes.extend(errors.into_iter().map(Note::Value));
                want_leads.push((without_raw(a, x), without_raw(b, y)));
            }
        }
    }
    for (leads, notes) in read {
        assert_eq!(leads, want_leads);
        assert_eq!(notes, want_notes);
    }
});
