//! Tests of the scoring pipeline: chunks scored in input order with their line
//! numbers, mapped files at their edges, and `--strict` stopping at the first error.

use super::*;
use crate::io::record::lead_from_json;

/// Collects what a run reports.
#[derive(Default)]
struct Errors(Vec<(u64, bool)>);

impl Sink for Errors {
    fn data_error(&mut self, error: &DataError, rejected: Option<&str>) -> bool {
        self.0.push((error.line, rejected.is_some()));
        true
    }
}

fn model() -> Model {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/b2b");
    crate::load::load(&dir).unwrap().model.unwrap()
}

/// Several chunks' worth of leads (the bundled ones with fresh ids), a
/// line longer than a chunk, and an invalid line in a later chunk.
fn input() -> (Vec<String>, usize, usize) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bundled = std::fs::read_to_string(root.join("data/b2b-leads.jsonl")).unwrap();
    let bundled: Vec<&str> = bundled.lines().collect();
    let mut lines = Vec::new();
    let mut bytes = 0;
    while bytes < 2 * CHUNK + CHUNK / 2 {
        let n = lines.len();
        let line = bundled[n % bundled.len()].replacen("\"id\":\"L", &format!("\"id\":\"X{n}-"), 1);
        bytes += line.len() + 1;
        lines.push(line);
    }
    // An unread member makes this lead longer than a chunk.
    let long = lines.len() / 3;
    let padding = "p".repeat(CHUNK + 1000);
    lines[long] = lines[long].replacen('{', &format!("{{\"notes\":\"{padding}\","), 1);
    let bad = lines.len() * 5 / 6;
    lines[bad] = "{\"id\": \"broken\"".to_string();
    (lines, long, bad)
}

/// How a test's input reaches [`score_stream`].
#[derive(Clone, Copy, Debug)]
enum Via {
    Reader,
    /// A file, mapped a chunk at a time.
    File,
}

fn run(model: &Model, text: &str, strict: bool, via: Via) -> (String, Errors, Summary) {
    let opts = ScoreOptions {
        as_of: crate::time::parse_time("2026-11-01").unwrap(),
        key: vec!["id".to_string()],
        input: Format::Jsonl,
        output: OutputFormat::Json,
        events: None,
        strict,
        batch: 8192,
    };
    let input = match via {
        Via::Reader => Input::Reader(Box::new(std::io::Cursor::new(text.as_bytes().to_vec()))),
        Via::File => {
            let mut file = tempfile::tempfile().unwrap();
            std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
            Input::File(file)
        }
    };
    let (mut out, mut errors) = (Vec::new(), Errors::default());
    let summary = score_stream(model, input, &opts, &mut out, &mut errors).unwrap();
    (String::from_utf8(out).unwrap(), errors, summary)
}

/// Results come out in input order across chunks, each exactly as the
/// lead scored on its own; line numbers run on across chunk boundaries.
#[test]
fn many_chunks_score_in_order_with_line_numbers() {
    let model = model();
    let (lines, long, bad) = input();
    let ev = Evaluator::new(&model);
    let as_of = crate::time::parse_time("2026-11-01").unwrap();
    let key = vec!["id".to_string()];
    let want: Vec<String> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .map(|v: Json| {
            let lead = lead_from_json(&model, &v, &key, 1, &mut Vec::new());
            output::json_line(&model, &lead.id, &ev.evaluate(&lead, as_of))
        })
        .collect();
    // With and without a line break after the last line.
    for (via, end) in [(Via::Reader, "\n"), (Via::File, "\n"), (Via::File, "")] {
        let (out, errors, summary) = run(&model, &(lines.join("\n") + end), false, via);
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got.len(), lines.len() - 1, "{via:?}");
        assert!(
            got == want,
            "{via:?}: results differ from scoring each lead alone"
        );
        assert!(got[long].contains(&format!("\"X{long}-")));
        assert_eq!(errors.0, vec![(bad as u64 + 1, true)], "{via:?}");
        assert_eq!((summary.read, summary.rejected), (lines.len() as u64, 1));
    }
}

/// Every chunk a mapped file is cut into, as bytes.
fn chunks_of(text: &[u8], size: usize) -> Vec<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Chunk>>(1 << 16);
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, text).unwrap();
    map_chunks(&file, &tx, size);
    drop(tx);
    rx.into_iter().map(|c| c.unwrap().to_vec()).collect()
}

proptest::proptest! {
    /// A mapped file is cut into chunks that put together are the
    /// file, each but the last ending at a line break, none longer than
    /// the chunk size unless its first line is; and it scores as the same
    /// text read as a stream does (the other tests of this module).
    #[test]
    fn a_mapped_file_is_cut_at_line_breaks(
        lines in proptest::collection::vec("[a-z]{0,40}", 0..60),
        end in proptest::prop_oneof![proptest::strategy::Just(""), proptest::strategy::Just("\n")],
        size in 1usize..200,
    ) {
        let text = lines.join("\n") + end;
        let chunks = chunks_of(text.as_bytes(), size);
        proptest::prop_assert_eq!(chunks.concat(), text.as_bytes());
        proptest::prop_assert!(chunks.iter().all(|c| !c.is_empty()));
        for c in chunks.iter().rev().skip(1) {
            proptest::prop_assert!(c.ends_with(b"\n"));
            // Longer than a chunk only when its first line is.
            let first = c.iter().position(|&b| b == b'\n').unwrap_or(c.len());
            proptest::prop_assert!(c.len() <= size || first >= size, "{} bytes", c.len());
        }
    }
}

/// An empty file, and a file of one line with no line break, read by
/// mapping.
#[test]
fn mapped_files_at_their_edges() {
    let model = model();
    let (out, errors, summary) = run(&model, "", false, Via::File);
    assert_eq!((out.as_str(), summary.read), ("", 0));
    assert!(errors.0.is_empty());
    let (out, _, summary) = run(&model, r#"{"id": "a"}"#, false, Via::File);
    assert!(out.starts_with(r#"{"id": "a", "score": "#), "{out}");
    assert_eq!((summary.read, summary.scored), (1, 1));
}

/// In strict mode the run stops at the invalid line, in a later chunk,
/// having written every lead before it.
#[test]
fn strict_stops_at_the_first_error_in_a_later_chunk() {
    let model = model();
    let (lines, _, bad) = input();
    for via in [Via::Reader, Via::File] {
        let (out, errors, summary) = run(&model, &(lines.join("\n") + "\n"), true, via);
        assert_eq!(out.lines().count(), bad, "{via:?}");
        assert_eq!(errors.0, vec![(bad as u64 + 1, true)], "{via:?}");
        assert!(summary.stopped);
    }
}
