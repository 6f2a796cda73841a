//! Golden SQL for each dialect, the input contract's DDL, and every
//! refusal's diagnostic, as a user sees them.

use std::process::Command;

fn leadscore(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOLDEN: &str = "tests/data/sql/golden.rules";

#[test]
fn golden_queries() {
    for d in ["duckdb", "spark", "postgres"] {
        let (code, sql, err) = leadscore(&["sql", GOLDEN, "--dialect", d, "--as-of", "2026-11-01"]);
        assert_eq!(code, 0, "{err}");
        insta::assert_snapshot!(format!("golden_{d}"), sql);
    }
}

#[test]
fn golden_ddl() {
    for d in ["duckdb", "spark", "postgres"] {
        let (code, sql, err) = leadscore(&["sql", GOLDEN, "--dialect", d, "--emit-ddl"]);
        assert_eq!(code, 0, "{err}");
        insta::assert_snapshot!(format!("ddl_{d}"), sql);
    }
}

#[test]
fn without_as_of_the_query_reads_the_clock() {
    let (code, sql, _) = leadscore(&["sql", GOLDEN, "--dialect", "duckdb"]);
    assert_eq!(code, 0);
    assert!(sql.contains("epoch_us(current_timestamp)"));
    let (_, sql, _) = leadscore(&["sql", GOLDEN, "--dialect", "postgres"]);
    assert!(sql.contains("EXTRACT(EPOCH FROM now())"));
    let (_, sql, _) = leadscore(&["sql", GOLDEN, "--dialect", "spark"]);
    assert!(sql.contains("unix_micros(current_timestamp())"));
}

#[test]
fn names_can_be_chosen() {
    let (code, sql, err) = leadscore(&[
        "sql",
        GOLDEN,
        "--emit-ddl",
        "--leads-table",
        "crm.leads",
        "--column",
        "company.employees=headcount",
        "--column",
        "id=lead_key",
        "--column",
        "events.page=url",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(sql.contains("CREATE TABLE crm.leads ("));
    assert!(sql.contains("\"headcount\" DOUBLE"));
    assert!(sql.contains("\"lead_key\" VARCHAR"));
    assert!(sql.contains("\"url\" VARCHAR"));
    assert!(!sql.contains("company_employees"));
    let (code, _, err) = leadscore(&["sql", GOLDEN, "--column", "nope=x"]);
    assert_eq!(code, 2);
    assert!(err.contains("`--column nope=…` names no field"), "{err}");
    let (code, _, err) = leadscore(&["sql", GOLDEN, "--column", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("PATH=NAME"), "{err}");
}

/// Each construct that can't be translated exactly, with the dialects that
/// refuse it and the diagnostic's code.
const REFUSALS: &[(&str, &[&str], &str)] = &[
    (
        "word_boundary_between_mixed",
        &["duckdb", "spark", "postgres"],
        "sql_regex",
    ),
    (
        "word_boundary_never_holds",
        &["duckdb", "spark", "postgres"],
        "sql_regex",
    ),
    ("repetition_over_limit", &["postgres"], "sql_regex"),
    (
        "property_types_differ",
        &["duckdb", "spark", "postgres"],
        "sql_property_type",
    ),
    (
        "column_clash",
        &["duckdb", "spark", "postgres"],
        "sql_column_clash",
    ),
];

#[test]
fn refusals() {
    for (name, dialects, code_name) in REFUSALS {
        let path = format!("tests/sql/refusals/{name}.rules");
        for d in ["duckdb", "spark", "postgres"] {
            let (code, out, err) = leadscore(&["sql", &path, "--dialect", d]);
            if dialects.contains(&d) {
                assert_eq!(code, 1, "{path} on {d} must be refused");
                assert!(out.is_empty(), "no SQL is printed for a refused model");
                assert!(err.contains(&format!("leadscore::{code_name}")), "{err}");
                assert!(err.contains("help:"), "{err}");
                if d == dialects[0] {
                    insta::assert_snapshot!(format!("refusal_{name}_{d}"), err);
                }
            } else {
                assert_eq!(code, 0, "{path} on {d}: {err}");
            }
        }
    }
}
