//! The plan: shared predicates, cheapest-first operands, rules that can't
//! fire left out, terms counted once; and its printed form.

use leadscore::plan::{compile, PExpr};
use std::process::Command;

fn model(path: &str) -> leadscore::check::Model {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    leadscore::load::load(&root.join(path))
        .unwrap()
        .model
        .unwrap()
}

#[test]
fn predicates_are_shared_and_ordered_and_dead_rules_dropped() {
    let m = model("tests/data/plan.rules");
    let plan = compile(&m);
    // `title in execs` is one slot for three rules and a stage.
    let execs: Vec<_> = plan
        .preds
        .iter()
        .filter(|p| m.sources.text(p.pred.span) == "title in execs")
        .collect();
    assert_eq!(execs.len(), 1);
    assert_eq!(
        execs[0].uses,
        ["rule `Exec`", "rule `Senior exec`", "stage `hot`"],
        "the 0-point rule is gone before it is compiled"
    );
    // The regular expression is tried last.
    let senior = plan
        .rules
        .iter()
        .find(|r| m.rules[r.rule].id == "Senior exec")
        .unwrap();
    let PExpr::And(parts) = &senior.cond else {
        panic!("{:?}", senior.cond)
    };
    let PExpr::Pred(last) = parts.last().unwrap() else {
        panic!()
    };
    assert!(m
        .sources
        .text(plan.preds[*last].pred.span)
        .contains("matches"));
    // Left out: no points, contradictory bounds. Kept: a contradiction in only one branch.
    let removed: Vec<&str> = plan
        .removed
        .iter()
        .map(|(i, _)| m.rules[*i].id.as_str())
        .collect();
    assert_eq!(removed, ["Worthless", "Impossible"]);
    assert!(plan.rules.iter().any(|r| m.rules[r.rule].id == "Either"));
    // `visited pricing` and `visited pricing twice` count the same events once.
    assert_eq!(plan.same_as, [0, 0]);
}

#[test]
fn the_plan_changes_no_result() {
    // The property tests compare the planned evaluator with the reference
    // interpreter on generated models; here, the model above on a few leads.
    let m = model("tests/data/plan.rules");
    let files = leadscore::load::parse_sources(&m.sources).unwrap();
    let ev = leadscore::eval::Evaluator::new(&m);
    let as_of = leadscore::time::parse_time("2026-11-01").unwrap();
    for lead in [
        serde_json::json!({"title": "CEO", "employees": 600}),
        serde_json::json!({"title": "cto", "employees": 50, "events": [{"type": "visited", "page": "pricing", "at": "2026-10-01"}, {"type": "visited", "page": "pricing", "at": "2026-10-02"}]}),
        serde_json::json!({}),
    ] {
        let l =
            leadscore::io::record::lead_from_json(&m, &lead, &["id".into()], 1, &mut Vec::new());
        let o = ev.evaluate(&l, as_of);
        let r = leadscore::reference::evaluate(&files, &lead, as_of);
        assert_eq!(o.score, r.score);
        assert_eq!(
            o.fired(&m),
            r.fired.iter().map(String::as_str).collect::<Vec<_>>()
        );
    }
}

#[test]
fn plan_dumps() {
    for (name, path) in [
        ("plan_small", "tests/data/plan.rules"),
        ("plan_b2b", "rules/b2b"),
        // where each event type is read from, when the data names it otherwise
        ("plan_event_names", "tests/cases/event_names.rules"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
            .args(["plan", path])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(out.status.success());
        insta::assert_snapshot!(name, String::from_utf8_lossy(&out.stdout));
    }
}

/// The printed program lists each condition from its first step, which is
/// the last one compiled: every condition's range ends at its start, and
/// the ranges tile the program in rule, disqualifier, stage order.
#[test]
fn each_condition_starts_at_the_end_of_its_steps() {
    use leadscore::plan::program::{NO, YES};
    for path in ["tests/data/plan.rules", "rules/b2b", "benches/model"] {
        let m = model(path);
        let plan = compile(&m);
        let starts: Vec<u32> = plan
            .rules
            .iter()
            .map(|r| r.start)
            .chain(plan.disqualifier_starts.iter().copied())
            .chain(plan.stage_starts.iter().copied())
            .collect();
        let ranges = &plan.program.ranges;
        assert_eq!(starts.len(), ranges.len(), "{path}");
        let mut next = 0;
        for (start, range) in starts.iter().zip(ranges) {
            assert_eq!(range.start, next, "{path}: ranges tile the program");
            next = range.end;
            if range.is_empty() {
                assert!(
                    *start == YES || *start == NO,
                    "{path}: a constant condition"
                );
            } else {
                assert_eq!(*start as usize, range.end - 1, "{path}");
            }
        }
        assert_eq!(next, plan.program.steps.len(), "{path}");
    }
}
