//! `leadscore test` reports: passing, failing and erroring test blocks.

use std::process::Command;

fn leadscore(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const MODEL: &str = "tests/data/test-report.rules";

#[test]
fn pass_and_fail_report() {
    let (code, out, _) = leadscore(&["test", MODEL]);
    assert_eq!(code, 1);
    assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
    insta::assert_snapshot!("test_report_human", out);
}

#[test]
fn filter_runs_only_matching_tests() {
    let (code, out, _) = leadscore(&["test", MODEL, "--filter", "passes"]);
    assert_eq!(code, 0);
    assert!(out.ends_with("1 passed, 0 failed\n"), "{out}");
}

#[test]
fn min_coverage_gate() {
    // Both rules fire in some test: 100%.
    let (code, _, _) = leadscore(&["test", "rules/plg.rules", "--min-coverage", "100"]);
    assert_eq!(code, 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.rules");
    let text = std::fs::read_to_string(format!("{}/{MODEL}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let only_passing: String = text
        .split("test \"fails three ways\"")
        .next()
        .unwrap()
        .to_string();
    let only_passing = only_passing.replace(
        "\"Exec\": title in execs -> +15",
        "\"Exec\": title in execs -> +15\n  \"Never\": title = \"nobody\" -> +1",
    );
    std::fs::write(&path, only_passing).unwrap();
    let (code, out, err) = leadscore(&["test", path.to_str().unwrap(), "--min-coverage", "80"]);
    assert_eq!(code, 1, "2 of 3 rules is 66.7%: {out}");
    assert!(
        err.contains("coverage 66.7% is below --min-coverage 80%"),
        "{err}"
    );
    assert!(
        out.contains("rules no test made fire:\n    - Never"),
        "{out}"
    );
}

#[test]
fn json_and_junit_reports() {
    let (_, json, _) = leadscore(&["test", MODEL, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["tests"][1]["failures"].as_array().unwrap().len(), 3);
    let (_, xml, _) = leadscore(&["test", MODEL, "--format", "junit"]);
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        3
    );
    insta::assert_snapshot!("test_report_junit", xml);
}

#[test]
fn a_test_block_with_errors_is_a_model_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.rules");
    let text = std::fs::read_to_string(format!("{}/{MODEL}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let broken = text
        .replace(
            "\"title\": \"CEO\", \"events\"",
            "\"title\": \"CEO\" \"events\"",
        )
        .replace(
            "expect stage MQL\n  expect score 25",
            "expect stage MLQ\n  expect score 25",
        );
    std::fs::write(&path, broken).unwrap();
    let (code, out, err) = leadscore(&["test", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    let err = err.replace(dir.path().to_str().unwrap(), "<dir>");
    insta::assert_snapshot!("test_report_errors", err);
}
