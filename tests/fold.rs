//! `io::fold` (the reader of `diff` and `backtest`) gives the same leads and
//! notes, with the same line numbers, however the input is cut into chunks
//! and segments: one piece, the default, or a few bytes each.

use leadscore::eval::Lead;
use leadscore::io::fold::{fold_jsonl_in_pieces, Note};
use leadscore::io::pipeline::Pieces;

fn model() -> leadscore::check::Model {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/b2b");
    leadscore::load::load(std::path::Path::new(dir))
        .unwrap()
        .model
        .unwrap()
}

/// Ids of the leads read, and each note as (line, what).
fn fold(data: &[u8], pieces: Pieces) -> (Vec<String>, Vec<(u64, &'static str)>) {
    let m = model();
    let key = vec!["id".to_string()];
    let mut ids = Vec::new();
    let mut notes = Vec::new();
    fold_jsonl_in_pieces(
        pieces,
        Box::new(std::io::Cursor::new(data.to_vec())),
        &[&m],
        &key,
        None,
        Vec::new,
        |acc: &mut Vec<String>, leads: &[&[Lead]]| {
            acc.extend(leads[0].iter().map(|l| l.id.to_string()));
        },
        |acc, n| {
            ids.extend(acc);
            notes.extend(n.into_iter().map(|n| match n {
                Note::Value(e) => (e.line, "value"),
                Note::Rejected(e) => (e.line, "rejected"),
            }));
        },
    )
    .unwrap();
    (ids, notes)
}

#[test]
fn any_cut_reads_the_same_lines_with_the_same_numbers() {
    let mut data = Vec::new();
    let mut want_ids = Vec::new();
    let mut want_notes = Vec::new();
    let mut line = 0u64;
    for i in 0..300u64 {
        line += 1;
        match i % 10 {
            3 => {
                data.extend_from_slice(b"{\"id\": \"broken\", \n");
                want_notes.push((line, "rejected"));
            }
            5 => data.extend_from_slice(b"   \n"),
            7 => {
                data.extend_from_slice(b"{\"id\": \"\xff\"}\n");
                want_notes.push((line, "rejected"));
            }
            8 => {
                data.extend_from_slice(
                    format!("{{\"id\": \"L{i}\", \"company\": {{\"employees\": \"many\"}}}}\r\n")
                        .as_bytes(),
                );
                want_ids.push(format!("\"L{i}\""));
                want_notes.push((line, "value"));
            }
            _ => {
                data.extend_from_slice(
                    format!("{{\"id\": \"L{i}\", \"title\": \"VP Sales\", \"events\": [{{\"type\": \"visited\", \"page\": \"/pricing\", \"at\": \"2026-10-0{}\"}}]}}\n", 1 + i % 9)
                        .as_bytes(),
                );
                want_ids.push(format!("\"L{i}\""));
            }
        }
    }
    // The last line without its line break.
    data.extend_from_slice(b"{\"id\": \"last\"}");
    want_ids.push("\"last\"".to_string());
    let want = (want_ids, want_notes);
    assert_eq!(fold(&data, Pieces::DEFAULT), want);
    for (chunk, segment) in [(1, 1), (5, 1), (64, 3), (200, 50), (1000, 1), (4096, 700)] {
        assert_eq!(
            fold(&data, Pieces { chunk, segment }),
            want,
            "chunks of {chunk} bytes, segments of {segment}"
        );
    }
}
