//! The fast projecting reader must read every line exactly as the general
//! path (serde_json, then `lead_from_json`) does: same lead, same data
//! errors, and the same lines rejected.

mod support;

use leadscore::eval::Lead;
use leadscore::io::project::{project, Projection, Scratch};
use leadscore::io::record::{lead_from_json, DataError};
use proptest::prelude::*;
use support::gen::{self, Rng};

fn general(
    model: &leadscore::check::Model,
    line: &str,
    key: &[String],
) -> Option<(Lead, Vec<DataError>)> {
    let v = leadscore::io::input::parse_json_line(line, 7).ok()?;
    let mut errors = Vec::new();
    let lead = lead_from_json(model, &v, key, 7, &mut errors);
    Some((lead, errors))
}

fn fast(
    model: &leadscore::check::Model,
    p: &Projection,
    line: &str,
) -> Option<(Lead, Vec<DataError>)> {
    let mut lead = Lead::default();
    let mut errors = Vec::new();
    project(
        p,
        model,
        line,
        7,
        &mut Scratch::default(),
        &mut lead,
        &mut errors,
    )
    .then_some((lead, errors))
}

/// What the scoring reader ([`Projection::for_scoring`]) gives for a lead:
/// texts without their form as written, and the fields no rule, stage or
/// filter reads left missing.
fn without_raw(
    model: &leadscore::check::Model,
    read: Option<(Lead, Vec<DataError>)>,
) -> Option<(Lead, Vec<DataError>)> {
    use leadscore::eval::Value;
    let strip = |v: &mut Value| {
        if let Value::Text { raw, .. } = v {
            raw.clear();
        }
    };
    let fields_read = model.fields_read();
    read.map(|(mut lead, errors)| {
        lead.values.iter_mut().for_each(strip);
        for (v, &read) in lead.values.iter_mut().zip(&fields_read) {
            if !read {
                *v = Value::Missing;
            }
        }
        for e in &mut lead.events {
            e.props.iter_mut().for_each(strip);
        }
        (lead, errors)
    })
}

fn same(
    model: &leadscore::check::Model,
    p: &Projection,
    key: &[String],
    line: &str,
) -> Result<(), TestCaseError> {
    let g = general(model, line, key);
    let scoring = fast(model, &Projection::for_scoring(model, key), line);
    prop_assert_eq!(scoring.is_some(), fast(model, p, line).is_some());
    if scoring.is_some() {
        prop_assert_eq!(scoring, without_raw(model, g.clone()), "{}", line);
    }
    match fast(model, p, line) {
        // The fast path may decline a line; the general path then decides.
        None => Ok(()),
        Some(f) => {
            prop_assert!(
                g.is_some(),
                "the fast reader accepted a line serde_json rejects: {line}"
            );
            prop_assert_eq!(Some(f), g, "{}", line);
            Ok(())
        }
    }
}

/// Lines read one after another with the same scratch space and lead, as a
/// worker reads them (what an earlier line taught the reader, and the
/// buffers it left, must not change how a later one reads).
struct InTurn {
    scoring: bool,
    model: leadscore::check::Model,
    key: Vec<String>,
    p: Projection,
    scratch: Scratch,
    lead: Lead,
}

impl InTurn {
    /// With `scoring`, the reader [`Projection::for_scoring`] makes.
    fn new(scoring: bool) -> InTurn {
        let (model, key, mut p) = generated_model();
        if scoring {
            p = Projection::for_scoring(&model, &key);
        }
        InTurn {
            scoring,
            model,
            key,
            p,
            scratch: Scratch::default(),
            lead: Lead::default(),
        }
    }

    /// Reads the next line: when the reader accepts it, it must read as the
    /// general path reads it. Returns whether it was accepted.
    fn read(&mut self, line: &str) -> Result<bool, TestCaseError> {
        let mut errors = Vec::new();
        let accepted = project(
            &self.p,
            &self.model,
            line,
            7,
            &mut self.scratch,
            &mut self.lead,
            &mut errors,
        );
        if accepted {
            let mut want = general(&self.model, line, &self.key);
            if self.scoring {
                want = without_raw(&self.model, want);
            }
            prop_assert_eq!(Some((self.lead.clone(), errors)), want, "{}", line);
        }
        Ok(accepted)
    }

    /// Is the line valid JSON (the general path reads it)?
    fn is_json(&self, line: &str) -> bool {
        general(&self.model, line, &self.key).is_some()
    }
}

/// Variations of a valid line: duplicated keys, escapes, odd spacing,
/// truncation, wrong nesting.
fn variants(r: &mut Rng, line: &str) -> Vec<String> {
    let cut = r.below(line.len().max(1));
    vec![
        line.to_string(),
        line.replacen('{', "{\"title\": \"CFO\", ", 1),
        line.replacen("\"title\"", "\"ti\\u0074le\"", 1),
        line.replace(", ", " ,\n\t"),
        line.replacen('}', ", \"company\": null}", 1),
        line.replacen("\"events\": [", "\"events\": [1, {\"type\": 5}, ", 1),
        format!("{line} "),
        line[..cut].to_string(),
        line.replacen("\"company\"", "\"company\": {\"employees\": 1}, \"company\"", 1),
        line.replacen('"', "\"\\ud800", 1),
        line.replacen(':', ": 01, \"x\":", 1),
        line.replacen("{", "{\"big\": 1e400, ", 1),
        line.replacen("{", "{\"deep\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], ", 1),
        format!("[{line}]"),
    ]
}

/// The generator's model with one rule, keyed by `id`, and its projection.
fn generated_model() -> (leadscore::check::Model, Vec<String>, Projection) {
    let text = format!(
        "{}{}\n\"x\": title is known -> +1\n",
        gen::HEADER,
        gen::APP_EVENTS
    );
    let model = leadscore::load::check_text("gen.rules", &text)
        .model
        .expect("header checks");
    let key = vec!["id".to_string()];
    let p = Projection::new(&model, &key);
    (model, key, p)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn fast_reader_matches_the_general_path(seed in any::<u64>()) {
        let mut r = Rng::new(seed);
        let (model, key, p) = generated_model();
        for i in 0..10 {
            let line = serde_json::to_string(&gen::lead(&mut r, i)).unwrap();
            // A well-formed generated line never needs the general path.
            prop_assert!(fast(&model, &p, &line).is_some(), "declined: {}", line);
            for v in variants(&mut r, &line) {
                same(&model, &p, &key, &v)?;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// The reader reuses its scratch space and the lead's buffers from one
    /// line to the next: nothing of an earlier line may leak into a later one.
    #[test]
    fn reused_buffers_read_each_line_afresh(seed in any::<u64>()) {
        let mut r = Rng::new(seed);
        let mut reader = InTurn::new(seed % 2 == 1);
        for i in 0..10 {
            let line = serde_json::to_string(&gen::lead(&mut r, i)).unwrap();
            for v in variants(&mut r, &line) {
                reader.read(&v)?;
            }
        }
    }
}

#[test]
fn the_bundled_data_reads_the_same_both_ways() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = leadscore::load::load(&root.join("benches/model"))
        .unwrap()
        .model
        .unwrap();
    for key in [
        vec!["id".to_string()],
        vec!["company".to_string(), "name".to_string()],
    ] {
        let p = Projection::new(&model, &key);
        let scoring = Projection::for_scoring(&model, &key);
        let mut accepted = 0;
        let mut raw_dropped = 0;
        for file in ["data/b2b-leads.jsonl", "data/messy-leads.jsonl"] {
            for line in std::fs::read_to_string(root.join(file)).unwrap().lines() {
                let f = fast(&model, &p, line);
                accepted += usize::from(f.is_some());
                if f.is_some() {
                    assert_eq!(f, general(&model, line, &key), "{line}");
                    let s = fast(&model, &scoring, line);
                    raw_dropped += usize::from(s != f);
                    assert_eq!(s, without_raw(&model, f), "{line}");
                }
            }
        }
        assert!(
            accepted >= 79,
            "the fast path declined {} valid lines",
            80 - accepted
        );
        // Most leads have a text that normalising changes (`CFO`).
        assert!(raw_dropped >= 40, "{raw_dropped}");
    }
}

/// Event shapes the reader keeps as templates (see `io/project/template.rs`)
/// and matches later events against: the same type in another order or with
/// other kinds of values, types alike in length and first bytes, the type
/// not first, more shapes than are kept, repeated members, and near-misses
/// that are not JSON. With the type later (keys in alphabetical order, as
/// `jsonb` writes them; see `io/project/trie.rs`): shapes with the same
/// member names and different types, literals that differ only by white
/// space, a `type` inside a nested object, and more members than a
/// template keeps. Read one after another with the same scratch space,
/// every line must still read as the general path reads it.
fn shaped_event(r: &mut Rng, spacing: bool) -> String {
    let at = *r.pick(&[
        "\"2026-10-01\"",
        "\"2026-09-30T10:00:00Z\"",
        "2026",
        "null",
        r#""2026-10-0\u0031""#,
    ]);
    // Strings with escapes too: where a string does not end at the next
    // quote, or ends right after a backslash, and escapes that are not JSON.
    let page = *r.pick(&[
        "\"/pricing\"",
        "\"pricing\"",
        "12",
        "{\"a\":[1,{}]}",
        "\"\"",
        r#""/pri\u0063ing""#,
        r#""a\"b","at":"x""#,
        r#""x\\""#,
        r#""\/pricing\/""#,
        r#""\q""#,
        r#""\ud800""#,
    ]);
    let other = format!("\"t{}\"", r.below(24));
    match r.below(24) {
        0 | 1 => format!(r#"{{"type":"visited","page":{page},"at":{at}}}"#),
        2 => format!(r#"{{"type":"visited","at":{at},"page":{page}}}"#),
        3 => format!(r#"{{"at":{at},"type":"visited","page":{page}}}"#),
        4 => format!(r#"{{"type":"visited_longer_a","at":{at}}}"#),
        5 => format!(r#"{{"type":"visited_longer_b","at":{at}}}"#),
        // A type of the model and one alike in length and first bytes.
        12 => format!(r#"{{"type":"unsubscribed","at":{at}}}"#),
        13 => format!(r#"{{"type":"unsubscribes","at":{at}}}"#),
        6 => format!(r#"{{"type":"downloaded","asset":"ebook","at":{at},"size":{page}}}"#),
        7 => format!(r#"{{"type":{other},"at":{at},"meta":{{"x":1}}}}"#),
        8 => format!(r#"{{"type":"visited","page":{page},"at":{at},"page":"/plans"}}"#),
        // The type given twice: the later one is the event's.
        14 => format!(r#"{{"at":{at},"type":{other},"type":"visited"}}"#),
        9 => format!(r#"{{"type":"visited","page":{page},"at":{at}}}x"#),
        10 => format!(r#"{{"type":"visited","page":{page}"at":{at}}}"#),
        11 => format!(r#"{{"type":"vis\u0069ted","page":{page},"at":{at}}}"#),
        15 => format!(r#"{{"at":{at},"page":{page},"type":"visited"}}"#),
        16 => format!(r#"{{"at":{at},"type":"unsubscribed"}}"#),
        17 => format!(r#"{{"at":{at},"type":"unsubscribes"}}"#),
        18 => format!(r#"{{"at":{at},"type":{other}}}"#),
        19 => format!(r#"{{"asset":{page},"at":{at},"size":3,"type":"downloaded"}}"#),
        // Its literal `,"type": ` holds wherever `,"type":` does: the
        // tree is then not used (in some runs only, so that it is in others).
        20 if spacing => format!(r#"{{"at":{at},"type": "visited","page":{page}}}"#),
        21 => format!(r#"{{"at": {at}, "page": {page}, "type": "visited"}}"#),
        22 => format!(r#"{{"at":{at},"meta":{{"type":"visited"}},"type":"unsubscribed"}}"#),
        23 => {
            let many: String = (0..r.below(20))
                .map(|i| format!(r#""m{i:02}":{i},"#))
                .collect();
            format!(r#"{{"at":{at},{many}"page":{page},"type":"visited"}}"#)
        }
        _ => format!(r#"{{ "type": "visited", "page": {page}, "at": {at} }}"#),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn events_read_by_template_read_as_the_general_path_reads_them(seed in any::<u64>()) {
        let mut r = Rng::new(seed);
        let mut reader = InTurn::new(seed % 2 == 1);
        let mut accepted = 0;
        for i in 0..40 {
            let spacing = seed % 4 == 0;
            let events: Vec<String> = (0..r.below(12)).map(|_| shaped_event(&mut r, spacing)).collect();
            let line = format!(r#"{{"id":"L{i}","title":"CFO","events":[{}]}}"#, events.join(","));
            if reader.read(&line)? {
                accepted += 1;
            } else {
                // Declined: only for lines that are not JSON.
                prop_assert!(!reader.is_json(&line), "declined: {}", line);
            }
        }
        // Most lines are valid JSON; the property says little if none is read.
        prop_assert!(accepted > 0);
    }
}

/// A lead line in one of a few shapes, its values of varying kinds: what
/// the reader keeps as line templates and matches later lines against.
fn shaped_line(r: &mut Rng, i: usize) -> String {
    let title = *r.pick(&[
        "\"CFO\"",
        "\" vp  Sales \"",
        "12",
        "null",
        "\"\"",
        "[\"a\"]",
        r#""VP \"Sales\", \u00c9MEA""#,
        r#""C\\""#,
        r#""\ud83d\ude00 CEO""#,
        r#""\x""#,
    ]);
    let employees = *r.pick(&["120", "\"120\"", "null", "1.5e3", "-0", "{\"n\":1}"]);
    let tech = *r.pick(&[
        "[\"Gong\",\"hubspot\"]",
        r#"["G\u006fng","a\"]"]"#,
        "[]",
        "\"gong; x\"",
        "null",
        "[1,\"a\"]",
    ]);
    let company = match r.below(4) {
        0 => "null".to_string(),
        1 => format!(r#"{{"employees":{employees}}}"#),
        _ => format!(r#"{{"name":"Acme","employees":{employees},"tech":{tech}}}"#),
    };
    let events = match r.below(5) {
        0 => "null".to_string(),
        1 => "{}".to_string(),
        _ => {
            let n = r.below(4);
            let list: Vec<String> = (0..n).map(|_| shaped_event(r, false)).collect();
            format!("[{}]", list.join(","))
        }
    };
    let extra = *r.pick(&["", r#","utm":{"c":[1,2,{"d":null}]}"#, r#","x":true"#]);
    let line = match r.below(4) {
        0 => format!(
            r#"{{"id":"L{i}","title":{title},"company":{company},"events":{events}{extra}}}"#
        ),
        1 => format!(r#"{{"id":{i},"company":{company},"title":{title}{extra}}}"#),
        2 => format!(r#"{{"title":{title},"events":{events},"id":"L{i}","authority":true}}"#),
        _ => format!(
            r#"{{ "id": "L{i}", "title": {title}, "company": {company}, "events": {events} }}"#
        ),
    };
    match r.below(14) {
        0 => format!("{line}x"),
        1 => format!("{line} "),
        2 => format!(" {line}"),
        3 => line.replacen(",", "", 1),
        4 => line.replacen(",", ",,", 1),
        5 => line.replacen("\"title\"", "\"title\":1,\"title\"", 1),
        _ => line,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn lines_read_by_template_read_as_the_general_path_reads_them(seed in any::<u64>()) {
        let mut r = Rng::new(seed);
        let mut reader = InTurn::new(seed % 2 == 1);
        for i in 0..60 {
            let line = shaped_line(&mut r, i);
            if !reader.read(&line)? && !line.contains("\"title\":1,") {
                // Declined: only for lines that are not JSON (or that give
                // a member twice, which the general path handles).
                prop_assert!(!reader.is_json(&line), "declined: {}", line);
            }
        }
    }
}

/// A line template learned where an object the model reads inside was
/// `null` must not skip that object when a later line has it.
#[test]
fn a_template_does_not_skip_an_object_that_was_null_when_learned() {
    for scoring in [false, true] {
        let mut reader = InTurn::new(scoring);
        for line in [
            r#"{"id":1,"company":null,"title":"x"}"#,
            r#"{"id":2,"company":{"employees":5},"title":"x"}"#,
            r#"{"id":3,"company":null,"title":"x"}"#,
        ] {
            assert_eq!(
                reader.read(line).map_err(|e| e.to_string()),
                Ok(true),
                "{line}"
            );
        }
    }
}

/// An event whose `type` is given twice has the later one, as serde_json
/// reads it, also when a later event of that shape is read by the template
/// learned from the first (found by the fuzz target `read_lead`).
#[test]
fn an_event_with_its_type_twice_has_the_later_one() {
    let event = r#"{"at":"2026-09-03","type":"nothing","type":"visited"}"#;
    for scoring in [false, true] {
        let mut reader = InTurn::new(scoring);
        for i in 0..3 {
            let line = format!(r#"{{"id":{i},"events":[{event},{event}]}}"#);
            assert_eq!(
                reader.read(&line).map_err(|e| e.to_string()),
                Ok(true),
                "{line}"
            );
        }
        // And the event is there: `visited` is a type the model knows.
        assert_eq!(reader.lead.events.len(), 2, "{:?}", reader.lead.events);
    }
}

/// A tag path (`backtest --by`) reads as the general path's lookup gives it:
/// a value the model reads inside, a field, a value nothing else reads, and
/// a path that is not there; lines read in turn, so line and event
/// templates are learned and used.
#[test]
fn a_tag_reads_as_the_general_path_looks_it_up() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = leadscore::load::load(&root.join("benches/model"))
        .unwrap()
        .model
        .unwrap();
    let key = vec!["id".to_string()];
    let mut lines: Vec<String> = Vec::new();
    for file in ["data/b2b-leads.jsonl", "data/messy-leads.jsonl"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        // Twice over, so the second pass is read by templates.
        lines.extend(text.lines().chain(text.lines()).map(str::to_string));
    }
    for tag in [
        "company",
        "company.name",
        "source",
        "utm.campaign",
        "id",
        "nowhere.at_all",
    ] {
        let tag: Vec<String> = tag.split('.').map(str::to_string).collect();
        let p = Projection::with_tag(&model, &key, &tag);
        let mut scratch = Scratch::default();
        let mut lead = Lead::default();
        let (mut read, mut tagged) = (0, 0);
        for line in &lines {
            let mut errors = Vec::new();
            if !project(&p, &model, line, 7, &mut scratch, &mut lead, &mut errors) {
                continue;
            }
            read += 1;
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let want = leadscore::io::record::lookup(&v, &tag)
                .cloned()
                .unwrap_or_default();
            tagged += usize::from(!want.is_null());
            assert_eq!(lead.tag, want, "{tag:?} in {line}");
            let (mut general, general_errors) = general(&model, line, &key).unwrap();
            general.tag = want;
            assert_eq!(
                Some((lead.clone(), errors)),
                without_raw(&model, Some((general, general_errors)))
            );
        }
        assert!(read >= 2 * 79, "{tag:?}: {read}");
        if tag[0] != "nowhere" {
            assert!(tagged > 100, "{tag:?}: {tagged}");
        }
    }
}

/// When scoring, a field that nothing reads is left missing, but a value of
/// the wrong type in it is still a data error, worded as the general path
/// words it; the fields that are read are read as ever.
#[test]
fn unread_fields_are_only_checked_when_scoring() {
    let text = "lead {\n  title: text\n  notes: text\n  size: number\n}\n\
                \"exec\": title = \"ceo\" -> +10\n";
    let model = leadscore::load::check_text("m.rules", text).model.unwrap();
    assert_eq!(model.fields_read(), [true, false, false]);
    let key = vec!["id".to_string()];
    let scoring = Projection::for_scoring(&model, &key);
    let full = Projection::new(&model, &key);
    let read = |p: &Projection, line: &str| fast(&model, p, line).unwrap();
    use leadscore::eval::Value;

    let ok = r#"{"id":1,"title":"CEO","notes":"Called twice","size":40}"#;
    let (lead, errors) = read(&scoring, ok);
    assert!(errors.is_empty());
    assert_eq!(lead.values[0], Value::text("ceo"));
    assert_eq!(lead.values[1..], [Value::Missing, Value::Missing]);
    // The full reader (explanations, tests) keeps them.
    let (lead, _) = read(&full, ok);
    assert_eq!(lead.values[2], Value::Number(40.0));

    let bad = r#"{"id":1,"title":"CEO","notes":{"a":1},"size":"big"}"#;
    let (lead, errors) = read(&scoring, bad);
    let (_, want) = general(&model, bad, &key).unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors, want);
    assert_eq!(lead.values[0], Value::text("ceo"));
    assert_eq!(lead.values[1..], [Value::Missing, Value::Missing]);
}

/// Every lead of the semantic cases' and the examples' `test` blocks reads
/// alike on both paths, alone and after the others (when the reader has
/// learned their shapes): the cases hold the language's rarer forms, such
/// as event types and properties read from other names.
#[test]
fn the_cases_leads_read_alike_on_both_paths() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(root.join("tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.extend([root.join("rules/b2b"), root.join("rules/plg.rules")]);
    let mut leads = 0;
    for path in paths {
        let model = leadscore::load::load(&path).unwrap().model.unwrap();
        let key = vec!["id".to_string()];
        let p = Projection::new(&model, &key);
        let lines: Vec<String> = model.tests.iter().map(|t| t.lead.to_string()).collect();
        let mut scratch = Scratch::default();
        for line in lines.iter().chain(&lines) {
            same(&model, &p, &key, line).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut lead = Lead::default();
            let mut errors = Vec::new();
            if project(&p, &model, line, 7, &mut scratch, &mut lead, &mut errors) {
                assert_eq!(
                    Some((lead, errors)),
                    general(&model, line, &key),
                    "{}: {line}",
                    path.display()
                );
            }
            leads += 1;
        }
    }
    assert!(leads > 100, "{leads}");
}
