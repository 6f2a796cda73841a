//! The evaluator and the reference interpreter must agree on every output
//! field, for generated models and messy leads.

mod support;

use leadscore::eval::{Evaluator, Memo, Outcome, StageResult};
use leadscore::io::record::lead_from_json;
use proptest::prelude::*;
use support::gen::{self, Rng};

thread_local! {
    static SHARED: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
}

fn compare(seed: u64) -> Result<bool, TestCaseError> {
    let mut r = Rng::new(seed);
    // A third of the models read their product events inside the events'
    // objects (`props.name`, `meta.ts`).
    let text = match seed % 3 {
        0 => gen::model_nested(&mut r),
        _ => gen::model(&mut r),
    };
    let checked = leadscore::load::check_text("gen.rules", &text);
    let Some(model) = checked.model else {
        // A generated model can (rarely) repeat an unlabelled rule's id.
        let only_duplicates = checked
            .diagnostics
            .iter()
            .all(|d| d.code == leadscore::diag::Code::DuplicateRuleId);
        prop_assert!(
            only_duplicates,
            "generated model did not check:\n{text}\n{:#?}",
            checked.diagnostics
        );
        return Ok(false);
    };
    let files = leadscore::load::parse_sources(&checked.sources).expect("parses");
    let ev = Evaluator::new(&model);
    let times = ["2026-11-01", "2026-10-15T12:00:00Z", "2026-11-01T00:00:00Z"];
    let as_of = leadscore::time::parse_time(times[r.below(times.len())]).unwrap();
    let lead_jsons: Vec<_> = (0..25).map(|i| gen::lead(&mut r, i)).collect();
    let leads: Vec<_> = lead_jsons
        .iter()
        .map(|j| lead_from_json(&model, j, &["id".to_string()], 1, &mut Vec::new()))
        .collect();
    // The leads scored together, three times over (75 leads: a full batch
    // of 64 and a part batch, each lead in a different place), must each
    // get the outcome it gets alone.
    let many: Vec<_> = leads.iter().chain(&leads).chain(&leads).cloned().collect();
    let mut outs = vec![Outcome::default(); many.len()];
    // One scratch space for every case: what it remembers of the events of
    // earlier models and as-of times must not leak into this one.
    SHARED.with(|memo| ev.evaluate_batch(&many, as_of, &mut outs, &mut memo.borrow_mut()));
    for (i, (lead, lead_json)) in leads.iter().zip(&lead_jsons).enumerate() {
        let o = ev.evaluate(lead, as_of);
        for k in 0..3 {
            prop_assert_eq!(
                &outs[i + 25 * k],
                &o,
                "lead {} scored in a batch\nseed {}\nmodel:\n{}\nlead: {}",
                i,
                seed,
                text,
                lead_json
            );
        }
        let expected = leadscore::reference::evaluate(&files, lead_json, as_of);
        let groups: Vec<(String, i64)> = model
            .groups
            .iter()
            .zip(&o.groups)
            .map(|(g, v)| (g.name.clone(), *v))
            .collect();
        let fired: Vec<String> = o.fired(&model).iter().map(|s| s.to_string()).collect();
        let reasons: Vec<String> = o
            .disqualified
            .iter()
            .map(|&d| model.disqualifiers[d].reason.clone())
            .collect();
        let stage = match o.stage {
            StageResult::Disqualified => "disqualified".to_string(),
            _ => o.stage_name(&model).to_string(),
        };
        let context = format!("seed {seed}\nmodel:\n{text}\nlead: {lead_json}");
        prop_assert_eq!(o.score, expected.score, "score\n{}", context);
        prop_assert_eq!(&groups, &expected.groups, "groups\n{}", context);
        prop_assert_eq!(&fired, &expected.fired, "fired\n{}", context);
        prop_assert_eq!(
            &reasons,
            &expected.disqualified,
            "disqualified\n{}",
            context
        );
        prop_assert_eq!(&stage, &expected.stage, "stage\n{}", context);
    }
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn evaluator_matches_reference(seed in any::<u64>()) {
        compare(seed)?;
    }
}

/// Most generated models must check, or the property above proves little.
#[test]
fn generated_models_mostly_check() {
    let checked = (0..200u64).filter(|&s| compare(s).unwrap_or(false)).count();
    assert!(
        checked >= 180,
        "only {checked} of 200 generated models checked"
    );
}
