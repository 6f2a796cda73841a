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
