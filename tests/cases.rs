//! Semantics as data: every `.rules` file under `tests/cases/` (and the
//! bundled examples under `rules/`) is a model whose `test` blocks pin down
//! the language's behaviour. Adding a case needs no Rust.

use std::path::Path;

fn run_model(path: &Path) -> usize {
    let checked = leadscore::load::load(path).expect("readable");
    let model = checked.model.unwrap_or_else(|| {
        panic!(
            "{} does not check: {:#?}",
            path.display(),
            checked.diagnostics
        )
    });
    let (results, _) = leadscore::testing::run(&model, None);
    assert!(!results.is_empty(), "{} has no tests", path.display());
    let failures: Vec<String> = results
        .iter()
        .flat_map(|r| {
            r.failures.iter().map(move |f| {
                format!(
                    "{} — {}: expected {}, got {} ({})",
                    r.name, f.expectation, f.expected, f.actual, f.location
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{}:\n{}",
        path.display(),
        failures.join("\n")
    );
    results.len()
}

#[test]
fn semantic_cases_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    files.sort();
    let total: usize = files.iter().map(|f| run_model(f)).sum();
    assert!(
        files.len() >= 9 && total >= 35,
        "{} files, {total} tests",
        files.len()
    );
}

#[test]
fn example_models_pass_their_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(run_model(&root.join("rules/b2b")) >= 7);
    assert!(run_model(&root.join("rules/plg.rules")) >= 6);
}

/// A failing expectation is reported with what was expected and found.
#[test]
fn a_wrong_expectation_fails() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/rounding.rules"),
    )
    .unwrap();
    let broken = text.replace("expect score 2.35", "expect score 2.34");
    let checked = leadscore::load::check_text("rounding.rules", &broken);
    let model = checked.model.unwrap();
    let (results, _) = leadscore::testing::run(&model, Some("positive tie"));
    assert_eq!(results.len(), 1);
    let f = &results[0].failures[0];
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("2.34", "2.35"));
    let line = text
        .lines()
        .position(|l| l.contains("expect score 2.35"))
        .unwrap()
        + 1;
    assert_eq!(f.location.line, line);
}
