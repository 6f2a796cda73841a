//! Any input line against the bundled B2B model (plus a source with renamed
//! event members, an event type and a property read from other names):
//! reading, scoring and explaining never panic; CSV input neither; the fast projecting reader
//! reads every line it accepts exactly as the general path does; and
//! scoring's reader, which skips the properties of events it knows, gives
//! every line it accepts the general path's outcome and data errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The bundled B2B model, plus a source whose events keep their type and
/// time under other names (`event`, `timestamp`) and write a type and a
/// property as people read them (`Signed Up`, `Plan Name`), so that both
/// readers' handling of names read `from` others is compared too.
fn model() -> &'static leadscore::check::Model {
    static MODEL: OnceLock<leadscore::check::Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/b2b");
        let mut sources = leadscore::load::read_sources(std::path::Path::new(dir)).unwrap();
        sources.add(leadscore::source::SourceFile::new(
            "tracks.rules",
            "events in tracks (type from \"event\", at from \"timestamp\") {\n  signed_up(plan from \"Plan Name\") from \"Signed Up\"\n  invited\n}\n\"Team\": invited at least twice -> +5\n\"Pro\": signed_up \"pro\" -> +10\n",
        ));
        leadscore::load::check_sources(sources).model.unwrap()
    })
}

/// The plan, compiled once: compiling it for each CSV record (random bytes
/// are often CSV records) made this target about a hundred times slower.
fn evaluator() -> &'static leadscore::eval::Evaluator<'static> {
    static EV: OnceLock<leadscore::eval::Evaluator<'static>> = OnceLock::new();
    EV.get_or_init(|| leadscore::eval::Evaluator::new(model()))
}

fuzz_target!(|data: &[u8]| {
    let model = model();
    let as_of = 1_793_491_200_000_000; // 2026-11-01T00:00:00Z
    let key = vec!["id".to_string()];
    if let Ok(text) = std::str::from_utf8(data) {
        static PROJECTION: OnceLock<leadscore::io::project::Projection> = OnceLock::new();
        let projection = PROJECTION
            .get_or_init(|| leadscore::io::project::Projection::new(model, &["id".to_string()]));
        let mut fast = leadscore::eval::Lead::default();
        let mut fast_errors = Vec::new();
        let accepted = leadscore::io::project::project(
            projection,
            model,
            text,
            1,
            &mut Default::default(),
            &mut fast,
            &mut fast_errors,
        );
        let general = leadscore::io::input::parse_json_line(text, 1);
        assert!(
            !accepted || general.is_ok(),
            "the fast reader accepted a line serde_json rejects"
        );
        if let Ok(v) = general {
            let mut errors = Vec::new();
            let lead = leadscore::io::record::lead_from_json(model, &v, &key, 1, &mut errors);
            if accepted {
                assert_eq!(fast, lead);
                assert_eq!(fast_errors, errors);
            }
            let ev = evaluator();
            let outcome = ev.evaluate(&lead, as_of);
            // Scoring's reader, which skips the properties of an event
            // written as an earlier one of the line: the same outcome.
            static SCORING: OnceLock<leadscore::io::project::Projection> = OnceLock::new();
            let scoring = SCORING.get_or_init(|| {
                leadscore::io::project::Projection::for_scoring(model, &["id".to_string()])
            });
            let mut scored = leadscore::eval::Lead::default();
            let mut scored_errors = Vec::new();
            if leadscore::io::project::project_for_scoring(
                scoring,
                model,
                text,
                1,
                &mut Default::default(),
                &mut scored,
                &mut scored_errors,
                &ev.shortcut(as_of),
            ) {
                assert_eq!(scored_errors, errors);
                assert_eq!(ev.evaluate(&scored, as_of), outcome);
            }
            let _ = leadscore::io::output::json_line(model, &lead.id, &outcome);
            let e = leadscore::explain::explain(ev, &lead, as_of, true, Vec::new());
            let _ = leadscore::explain::render::text(&e);
        }
    }
    for record in leadscore::io::input::csv_records(data) {
        if let leadscore::io::input::Record::Lead { value, .. } = record {
            let lead =
                leadscore::io::record::lead_from_json(model, &value, &key, 1, &mut Vec::new());
            let _ = evaluator().evaluate(&lead, as_of);
        }
    }
});
