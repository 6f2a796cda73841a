//! Any bytes as an `--events` file, in JSON Lines and in CSV: reading never
//! panics; the events kept for each lead (held as text, parsed again) are
//! exactly those of its JSON lines, in order and without `lead_id`; joining
//! them to a lead for two models with different event sources puts each
//! event at both paths, and the readers after it never panic; and adding
//! them to a lead the fast reader read gives the lead the general path
//! reads once they are joined in. Read with no memory budget, the same
//! events spill to temporary files, and leads joined to the spill come out
//! exactly as joined to the held events.
#![no_main]

mod common;

use leadscore::io::input::{attach_events_for, read_events, EventsById, Format, Record};
use leadscore::io::join::{joined_records, read_events_within, Events};
use leadscore::io::record::lead_from_json;
use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The fast reader's projections of the two models, keyed by `id`, made once.
pub fn projections() -> &'static [leadscore::io::project::Projection; 2] {
    static PROJECTIONS: OnceLock<[leadscore::io::project::Projection; 2]> = OnceLock::new();
    PROJECTIONS.get_or_init(|| {
        let [a, b] = common::models();
        let key = ["id".to_string()];
        [
            leadscore::io::project::Projection::new(a, &key),
            leadscore::io::project::Projection::new(b, &key),
        ]
    })
}

/// Leads joined to events for both models, each record described.
fn joined(leads: &[u8], events: &Events) -> Vec<String> {
    let [a, b] = common::models();
    let models = [a, b];
    let key = ["id".to_string()];
    let input = Box::new(std::io::Cursor::new(leads.to_vec()));
    let records = joined_records(Format::Jsonl, input, Some(events), &models, &key)
        .expect("the spill's files can be read");
    records
        .map(|r| match r.expect("the spill's files can be read") {
            Record::Lead { line, value } => format!("{line}: {value}"),
            Record::Rejected { line, text, error } => format!("{line}: {text:?}: {error}"),
            Record::Blank { line } => format!("{line}: blank"),
        })
        .collect()
}

/// A spill of the same events joins every lead as the held events do: a
/// lead for each id with events, one without, a blank line, a line that
/// is not JSON.
fn spill_joins_as_held(path: &str, data: &[u8], held: EventsById) {
    let spilled = read_events_within(
        path,
        Box::new(std::io::Cursor::new(data.to_vec())),
        0,
        Some(0),
        |_| {},
    )
    .expect("the spill's files can be written");
    let mut leads = String::new();
    for id in held.ids() {
        leads.push_str(&serde_json::json!({ "id": id }).to_string());
        leads.push('\n');
    }
    leads.push_str("{\"id\": \"no events here\"}\n\n{not json\n");
    assert_eq!(
        joined(leads.as_bytes(), &spilled),
        joined(leads.as_bytes(), &Events::Held(held))
    );
}

fuzz_target!(|data: &[u8]| {
    let [a, b] = common::models();
    let key = vec!["id".to_string()];
    for path in ["events.jsonl", "events.csv"] {
        let (events, _errors) = read_events(path, Box::new(std::io::Cursor::new(data.to_vec())));
        if path.ends_with(".jsonl") {
            // What each JSON line holds, by lead id (as `score` prints ids).
            let mut want: HashMap<String, Vec<Json>> = HashMap::new();
            for line in data.split(|&c| c == b'\n') {
                let Ok(text) = std::str::from_utf8(line) else {
                    continue;
                };
                let Ok(mut v) = leadscore::io::input::parse_json_line(text, 1) else {
                    continue;
                };
                let id = v
                    .get("lead_id")
                    .map(leadscore::io::output::id_text)
                    .unwrap_or_default();
                if id.is_empty() {
                    continue;
                }
                if let Some(o) = v.as_object_mut() {
                    o.remove("lead_id");
                }
                want.entry(id).or_default().push(v);
            }
            let mut ids: Vec<&str> = events.ids().collect();
            ids.sort_unstable();
            let mut want_ids: Vec<&str> = want.keys().map(String::as_str).collect();
            want_ids.sort_unstable();
            assert_eq!(ids, want_ids);
            for (id, list) in &want {
                assert_eq!(&events.of(id).collect::<Vec<_>>(), list);
            }
        }
        for id in events.ids() {
            let n = events.of(id).count();
            let mut lead = serde_json::json!({ "id": id });
            attach_events_for(&[a, b], &mut lead, &key, &events);
            // The two models read events at different paths (b2b's
            // `events`, plg's `activity`, where unknown types go too): each
            // event is at both.
            let placed: usize = ["events", "activity"]
                .iter()
                .map(|k| lead.get(k).and_then(Json::as_array).map_or(0, Vec::len))
                .sum();
            assert_eq!(placed, 2 * n);
            let mut errors = Vec::new();
            let _ = lead_from_json(a, &lead, &key, 1, &mut errors);
            let _ = lead_from_json(b, &lead, &key, 1, &mut errors);
            // The fast reader, then the lead's events added (as `score`
            // does with held events): the lead the general path reads
            // once they are joined in, with the same data errors; its
            // event list present (with an event of its own) or absent.
            for (m, (model, list)) in [(a, "events"), (b, "activity")].into_iter().enumerate() {
                for own in [true, false] {
                    let mut line = serde_json::json!({ "id": id, "title": "CFO" });
                    if own {
                        line[list] = serde_json::json!([{ "type": "visited", "at": "2026-10-01" }]);
                    }
                    let text = line.to_string();
                    let mut v = line;
                    leadscore::io::input::attach_events(model, &mut v, &key, &events);
                    let mut want_errors = Vec::new();
                    let want = lead_from_json(model, &v, &key, 1, &mut want_errors);
                    let mut fast = leadscore::eval::Lead::default();
                    let mut errors = Vec::new();
                    let mut scratch = leadscore::io::project::Scratch::default();
                    let read = leadscore::io::project::project(
                        &projections()[m],
                        model,
                        &text,
                        1,
                        &mut scratch,
                        &mut fast,
                        &mut errors,
                    );
                    assert!(read, "the fast reader declined {text}");
                    let list = scratch.event_list(0);
                    if leadscore::io::input::attach_to_read(
                        model,
                        &mut fast,
                        list,
                        &events,
                        1,
                        &mut errors,
                    ) {
                        assert_eq!(fast, want);
                        assert_eq!(errors, want_errors);
                    }
                }
            }
        }
        spill_joins_as_held(path, data, events);
    }
});
