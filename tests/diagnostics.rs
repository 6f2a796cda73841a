//! Every diagnostic kind, rendered as a user sees it. Each case is a small
//! model under `tests/diagnostics/`; its file name says which diagnostic it
//! must produce, and the rendered report is snapshotted.

use std::path::Path;
use std::process::Command;

fn leadscore(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The code a case must produce, from its file name.
fn expected_code(stem: &str) -> String {
    let kind = stem
        .strip_prefix("warn_")
        .or_else(|| stem.starts_with("syntax_").then_some("syntax"))
        .unwrap_or(stem);
    let kind = match kind {
        "duplicate_field"
        | "duplicate_across_files"
        | "duplicate_from"
        | "duplicate_event_members"
        | "duplicate_event_type_from"
        | "duplicate_property_member"
        | "property_reads_event_type" => "duplicate",
        "bad_event_member" | "bad_event_from" => "bad_from",
        "test_missing_as_of" => "test_as_of",
        "test_missing_lead" => "test_lead",
        other => other
            .strip_prefix("test_")
            .filter(|k| k.starts_with("unknown_"))
            .unwrap_or(other),
    };
    format!("leadscore::{kind}")
}

fn check_case(path: &Path) {
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path);
    let rel = rel.to_str().unwrap();
    let stem = path.file_stem().unwrap().to_str().unwrap();
    let (code, json, _) = leadscore(&["check", rel, "--format", "json"]);
    let diags: serde_json::Value = serde_json::from_str(&json).expect("json output");
    let want = expected_code(stem);
    let first = &diags[0];
    assert_eq!(first["code"], want, "{rel}: {json}");
    assert!(first["line"].as_u64().unwrap() >= 1 && first["column"].as_u64().unwrap() >= 1);
    assert!(
        first["help"].as_str().is_some_and(|h| !h.is_empty()),
        "{rel} has no help"
    );
    let warning = stem.starts_with("warn_");
    assert_eq!(first["severity"], if warning { "warning" } else { "error" });
    assert_eq!(code, if warning { 0 } else { 1 }, "{rel}");
    if warning {
        let (denied, _, _) = leadscore(&["check", rel, "--deny-warnings"]);
        assert_eq!(denied, 1, "--deny-warnings must fail {rel}");
    }
    let (_, _, human) = leadscore(&["check", rel]);
    insta::assert_snapshot!(stem, human);
}

#[test]
fn every_diagnostic_kind_renders() {
    insta::glob!("diagnostics/*.rules", check_case);
    check_case(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics/duplicate_across_files"),
    );
}

#[test]
fn github_annotations_and_json_agree_on_the_place() {
    let (_, github, _) = leadscore(&[
        "check",
        "tests/diagnostics/unknown_field.rules",
        "--format",
        "github",
    ]);
    assert_eq!(
        github.trim(),
        "::error file=tests/diagnostics/unknown_field.rules,line=14,col=1,endLine=14,endColumn=6,title=leadscore%3A%3Aunknown_field::unknown field `titel`%0Ahelp: did you mean `title`?"
    );
}

#[test]
fn unreadable_model_is_a_usage_error() {
    let (code, _, err) = leadscore(&["check", "tests/diagnostics/no-such-file.rules"]);
    assert_eq!(code, 2);
    assert!(err.contains("can't read"), "{err}");
}

#[test]
fn the_examples_check_clean() {
    // (benches/model names objects as text beside lists: `requested demo`.)
    for model in ["rules/b2b", "rules/plg.rules", "benches/model"] {
        let (code, _, err) = leadscore(&["check", model, "--deny-warnings"]);
        assert_eq!(code, 0, "{model}: {err}");
    }
}

/// A test lead's JSON whose last line has a `#` outside any string (bad JSON,
/// but the grammar takes it whole): the error points at the JSON's own text.
/// The statement's span stops before what looks like a trailing comment, and
/// placing the error from it pointed 15 bytes early, or, near the start of a
/// file, overflowed (found by fuzzing).
#[test]
fn bad_test_json_is_placed_by_its_own_span() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.rules");
    let lead = "lead {\"id\": 1, \"title\": x\n        # \"y\"}";
    let body = format!("  as of 2026-11-01\n  {lead}\n  expect score 1\n}}\n");
    let model = "lead {\n  title: text\n}\n\"a\": title = \"x\" -> +1\n";
    std::fs::write(&path, format!("{model}test \"t\" {{\n{body}")).unwrap();
    let (code, json, _) = leadscore(&["check", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let d: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(d[0]["code"], "leadscore::test_bad_json", "{json}");
    // Line 7 is `  lead {"id": 1, "title": x`; column 27 is the `x`.
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(7), Some(27)),
        "{json}"
    );
    // The same test first in the file (where the old subtraction overflowed):
    // the same column, on line 3.
    std::fs::write(&path, format!("test \"t\" {{\n{body}{model}")).unwrap();
    let (code, json, _) = leadscore(&["check", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let d: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(3), Some(27)),
        "{json}"
    );
}
