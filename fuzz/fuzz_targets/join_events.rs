//! Any bytes as an `--events` file, in JSON Lines and in CSV: reading never
//! panics; the events kept for each lead (held as text, parsed again) are
//! exactly those of its JSON lines, in order and without `lead_id`; joining
//! them to a lead for two models with different event sources puts each
//! event at both paths, and the readers after it never panic; and adding
//! them to a lead the fast reader read gives the lead the general path
//! reads once they are joined in.
#![no_main]

mod common;

use leadscore::io::input::{attach_events_for, read_events};
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
    }
});
