//! Scoring's reader takes two shortcuts past the general path (serde_json,
//! then `lead_from_json`), and every lead it reads must still score exactly
//! as the general path's lead, with the same data errors:
//! - it skips converting the properties of an event written byte for byte
//!   as an earlier one's, whose answers it knows;
//! - with `--events` held in memory, it reads the line itself and then
//!   adds the lead's joined events, rather than joining them into the
//!   parsed line first.

mod support;

use leadscore::eval::{Evaluator, Lead};
use leadscore::io::input::attach_events;
use leadscore::io::join::{read_events_within, Events};
use leadscore::io::project::{project, project_for_scoring, Projection, Scratch};
use leadscore::io::record::lead_from_json;
use proptest::prelude::*;
use support::gen::{self, Rng};

thread_local! {
    /// One reader's scratch space for every case, as a worker keeps it:
    /// what it knows of the events of earlier models and as-of times must
    /// not leak into later ones.
    static SCRATCH: std::cell::RefCell<(Scratch, Lead)> = Default::default();
}

/// A generated model's text and the model, when it checks.
fn generated_model(r: &mut Rng) -> Option<(String, leadscore::check::Model)> {
    let text = gen::model(r);
    let model = leadscore::load::check_text("gen.rules", &text).model?;
    Some((text, model))
}

fn compare(seed: u64) -> Result<bool, TestCaseError> {
    let mut r = Rng::new(seed);
    let Some((text, model)) = generated_model(&mut r) else {
        return Ok(false);
    };
    let key = vec!["id".to_string()];
    let ev = Evaluator::new(&model);
    let times = ["2026-11-01", "2026-10-15T12:00:00Z", "2026-12-01"];
    let as_of = leadscore::time::parse_time(times[r.below(times.len())]).unwrap();
    let p = Projection::for_scoring(&model, &key);
    let shortcut = ev.shortcut(as_of);
    let mut read = 0;
    SCRATCH.with(|cell| {
        let (scratch, lead) = &mut *cell.borrow_mut();
        for i in 0..60 {
            let line = gen::messy_line(&mut r, i);
            let v =
                leadscore::io::input::parse_json_line(&line, 7).expect("generated lines are JSON");
            let mut want_errors = Vec::new();
            let want = lead_from_json(&model, &v, &key, 7, &mut want_errors);
            let mut errors = Vec::new();
            if !project_for_scoring(&p, &model, &line, 7, scratch, lead, &mut errors, &shortcut) {
                continue;
            }
            read += 1;
            let context = format!("seed {seed}\nmodel:\n{text}\nline: {line}");
            prop_assert_eq!(&errors, &want_errors, "data errors\n{}", context);
            prop_assert_eq!(
                ev.evaluate(lead, as_of),
                ev.evaluate(&want, as_of),
                "outcome\n{}",
                context
            );
        }
        Ok(())
    })?;
    // The generator's lines are valid JSON: the reader reads nearly all.
    prop_assert!(read > 0, "seed {}: no line read", seed);
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn events_known_without_their_properties_score_as_read(seed in any::<u64>()) {
        compare(seed)?;
    }
}

/// The property above must see events answered both ways, or it proves
/// little: on the bundled model and a file of its leads, most events are
/// known without reading their properties.
#[test]
fn most_repeated_events_are_known_without_their_properties() {
    let model = leadscore::load::load(std::path::Path::new("benches/model"))
        .expect("the bench model reads")
        .model
        .expect("the bench model checks");
    let key = vec!["id".to_string()];
    let ev = Evaluator::new(&model);
    let as_of = leadscore::time::parse_time("2026-11-01").unwrap();
    let p = Projection::for_scoring(&model, &key);
    let shortcut = ev.shortcut(as_of);
    let (mut scratch, mut lead) = (Scratch::default(), Lead::default());
    let mut r = Rng::new(7);
    let (mut events, mut known) = (0, 0);
    for i in 0..3000 {
        let line = gen::messy_line(&mut r, i);
        let mut errors = Vec::new();
        assert!(project_for_scoring(
            &p,
            &model,
            &line,
            7,
            &mut scratch,
            &mut lead,
            &mut errors,
            &shortcut
        ));
        events += lead.events.len();
        known += lead.events.iter().filter(|e| e.known.is_some()).count();
    }
    assert!(
        events > 5000 && known * 10 > events * 8,
        "{known} of {events}"
    );
}

/// Events for the leads `L0`..`L59` as a JSON Lines events file: some for
/// leads with no line, some lines not events at all.
fn events_file(r: &mut Rng) -> String {
    let mut text = String::new();
    for _ in 0..r.below(120) {
        let event = gen::messy_event(r);
        let line = match r.below(20) {
            0 => "not an event".to_string(),
            1 => format!("{{\"lead_id\":\"L{}\"}}", r.below(60)),
            // Members given twice: the last one counts.
            2 => format!(
                "{{\"lead_id\":\"L{}\",\"type\":\"requested\",{},\"page\":\"/plans\",\"at\":\"2026-10-02\"}}",
                r.below(60),
                &event[1..event.len() - 1]
            ),
            _ => format!("{{\"lead_id\":\"L{}\",{}", r.below(70), &event[1..]),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn compare_joined(seed: u64) -> Result<bool, TestCaseError> {
    let mut r = Rng::new(seed);
    // Joining on the fast path takes models with one event source.
    let text = gen::model_one_source(&mut r);
    let Some(model) = leadscore::load::check_text("gen.rules", &text).model else {
        return Ok(false);
    };
    let key = vec!["id".to_string()];
    let file = events_file(&mut r);
    let reader = Box::new(std::io::Cursor::new(file.clone().into_bytes()));
    let Ok(Events::Held(held)) =
        read_events_within("events.jsonl", reader, usize::MAX, None, |_| ())
    else {
        panic!("events within an unbounded budget are held");
    };
    let ev = Evaluator::new(&model);
    let as_of = leadscore::time::parse_time("2026-11-01").unwrap();
    let exact = Projection::new(&model, &key);
    let scoring = Projection::for_scoring(&model, &key);
    let shortcut = ev.shortcut(as_of);
    let (mut s1, mut s2) = (Scratch::default(), Scratch::default());
    let (mut l1, mut l2) = (Lead::default(), Lead::default());
    let mut joined = 0;
    for i in 0..60 {
        let mut line = gen::messy_line(&mut r, i);
        match r.below(8) {
            // No event list, or an empty one, or `null` (left to the general path).
            0 => line = line.replacen("\"events\":[", "\"nothing\":[", 1),
            1 => line = line.replacen("\"events\":[", "\"events\":null,\"x\":[", 1),
            _ => {}
        }
        let mut v =
            leadscore::io::input::parse_json_line(&line, 7).expect("generated lines are JSON");
        attach_events(&model, &mut v, &key, &held);
        let mut want_errors = Vec::new();
        let want = lead_from_json(&model, &v, &key, 7, &mut want_errors);
        let context = format!("seed {seed}\nmodel:\n{text}\nline: {line}\nevents:\n{file}");
        // Read exactly, then joined: the general path's very lead.
        let mut errors = Vec::new();
        if project(&exact, &model, &line, 7, &mut s1, &mut l1, &mut errors)
            && leadscore::io::input::attach_to_read(
                &model,
                &mut l1,
                s1.event_list(0),
                &held,
                7,
                &mut errors,
            )
        {
            joined += 1;
            prop_assert_eq!(&l1, &want, "lead\n{}", context);
            prop_assert_eq!(&errors, &want_errors, "data errors\n{}", context);
        }
        // Read for scoring, with the event shortcut, then joined.
        let mut errors = Vec::new();
        if project_for_scoring(
            &scoring,
            &model,
            &line,
            7,
            &mut s2,
            &mut l2,
            &mut errors,
            &shortcut,
        ) && leadscore::io::input::attach_to_read(
            &model,
            &mut l2,
            s2.event_list(0),
            &held,
            7,
            &mut errors,
        ) {
            prop_assert_eq!(&errors, &want_errors, "data errors\n{}", context);
            prop_assert_eq!(
                ev.evaluate(&l2, as_of),
                ev.evaluate(&want, as_of),
                "outcome\n{}",
                context
            );
        }
    }
    prop_assert!(
        joined > 0,
        "seed {}: no line joined by the fast reader",
        seed
    );
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn events_joined_after_the_fast_reader_read_as_joined_before(seed in any::<u64>()) {
        compare_joined(seed)?;
    }
}
