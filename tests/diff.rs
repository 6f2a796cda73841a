//! `leadscore diff` on a fixture whose transitions were worked out by hand,
//! and `--base` against a git repository made in the test.

use std::path::Path;
use std::process::Command;

const V1: &str = "lead {\n  x: number\n}\n\"points\": x > 0 -> +10\n\"more\": x > 5 -> +10\nstage hot when score >= 20\nstage warm when score >= 10\notherwise cold\n";
const V2: &str = "lead {\n  x: number\n}\n\"points\": x > 0 -> +10\n\"more\": x > 5 -> +5\n\"huge\": x > 100 -> +1\nstage hot when score >= 16\nstage warm when score >= 10\notherwise cold\n";
// x:    -1    0    3     6     50    200   "abc"
// v1:   0     0    10    20    20    20    0      cold cold warm hot hot hot cold
// v2:   0     0    10    15    15    16    0      cold cold warm warm warm hot cold
const LEADS: &str = "{\"id\":\"Lm1\",\"x\":-1}\n{\"id\":\"L0\",\"x\":0}\n{\"id\":\"L3\",\"x\":3}\n{\"id\":\"L6\",\"x\":6}\n{\"id\":\"L50\",\"x\":50}\n{\"id\":\"L200\",\"x\":200}\n{\"id\":\"Labc\",\"x\":\"abc\"}\n";

fn leadscore(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("v1.rules"), V1).unwrap();
    std::fs::write(dir.path().join("v2.rules"), V2).unwrap();
    std::fs::write(dir.path().join("leads.jsonl"), LEADS).unwrap();
    dir
}

fn check_report(json: &str) {
    let r: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(r["leads"], 7);
    assert_eq!(r["stage_changed"], 2);
    assert_eq!(r["score_changed"], 3);
    assert_eq!(
        r["transitions"],
        serde_json::json!({"cold": {"cold": 3}, "warm": {"warm": 1}, "hot": {"warm": 2, "hot": 1}})
    );
    assert_eq!(
        r["rules"]["points"],
        serde_json::json!({"before": 4, "after": 4})
    );
    assert_eq!(
        r["rules"]["more"],
        serde_json::json!({"before": 3, "after": 3})
    );
    assert_eq!(
        r["rules"]["huge"],
        serde_json::json!({"before": 0, "after": 1})
    );
    // Scores before: 0 0 0 10 20 20 20; after: 0 0 0 10 15 15 16.
    assert_eq!(
        r["before"],
        serde_json::json!({"mean": 10.0, "median": 10.0, "p90": 20.0})
    );
    assert_eq!(
        r["after"],
        serde_json::json!({"mean": 8.0, "median": 10.0, "p90": 16.0})
    );
    let ids: Vec<&str> = r["movers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["L50", "L6", "L200"],
        "stage changes first, then by size of the move"
    );
    assert_eq!(r["movers"][2]["started"], serde_json::json!(["huge"]));
}

#[test]
fn transitions_match_a_hand_count() {
    let dir = fixture();
    let (code, out, err) = leadscore(
        dir.path(),
        &[
            "diff",
            "v1.rules",
            "v2.rules",
            "leads.jsonl",
            "--as-of",
            "2026-11-01",
            "--format",
            "json",
        ],
    );
    check_report(&out);
    // `Labc`'s `x` is a text: reported with its line, counted, treated as
    // missing (once, though both models read it), and the exit code says so.
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        err,
        "data error in `leads.jsonl`: line 7: `x` should be a number but is the text \"abc\"; treated as missing\n\
         data errors: 1 (wrong_type 1)\n"
    );
}

#[test]
fn the_gate_fails_above_its_percentage() {
    let dir = fixture();
    let args = [
        "diff",
        "v1.rules",
        "v2.rules",
        "leads.jsonl",
        "--as-of",
        "2026-11-01",
        "--fail-on-stage-change",
    ];
    // 2 of 7 leads is 28.6%. Above the gate: 1 (the model's change fails);
    // below: 3, for `Labc`'s unreadable `x`, and 0 once it is fixed.
    assert_eq!(leadscore(dir.path(), &[&args[..], &["25"]].concat()).0, 1);
    assert_eq!(leadscore(dir.path(), &[&args[..], &["30"]].concat()).0, 3);
    std::fs::write(
        dir.path().join("leads.jsonl"),
        LEADS.replace("\"abc\"", "null"),
    )
    .unwrap();
    assert_eq!(leadscore(dir.path(), &[&args[..], &["30"]].concat()).0, 0);
}

#[test]
fn markdown_and_human_reports() {
    let dir = fixture();
    let (_, md, _) = leadscore(
        dir.path(),
        &[
            "diff",
            "v1.rules",
            "v2.rules",
            "leads.jsonl",
            "--as-of",
            "2026-11-01",
            "--format",
            "markdown",
        ],
    );
    insta::assert_snapshot!("diff_markdown", md);
    let (_, human, _) = leadscore(
        dir.path(),
        &[
            "diff",
            "v1.rules",
            "v2.rules",
            "leads.jsonl",
            "--as-of",
            "2026-11-01",
        ],
    );
    insta::assert_snapshot!("diff_human", human);
}

#[test]
fn base_reads_the_old_model_from_git() {
    let dir = fixture();
    let p = dir.path();
    std::fs::write(p.join("m.rules"), V1).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(p)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "m.rules"]);
    git(&["commit", "-q", "-m", "v1"]);
    std::fs::write(p.join("m.rules"), V2).unwrap();
    let (code, out, err) = leadscore(
        p,
        &[
            "diff",
            "--base",
            "HEAD",
            "m.rules",
            "leads.jsonl",
            "--as-of",
            "2026-11-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 3, "{err}");
    check_report(&out);
    let (code, _, err) = leadscore(
        p,
        &["diff", "--base", "no-such-rev", "m.rules", "leads.jsonl"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("can't read the model at `no-such-rev`"),
        "{err}"
    );
}

/// A file of many segments, read on all threads with the fast reader, gives
/// the report (and the error listing) of reading it one line at a time.
#[test]
fn a_large_file_counts_as_one_read_line_by_line() {
    let dir = fixture();
    let pad = "p".repeat(150);
    let xs: [&str; 7] = ["-1", "0", "3", "6", "50", "200", "\"abc\""];
    let copies = 1000;
    let mut text = String::new();
    let mut rejected = 0;
    for c in 0..copies {
        for (i, x) in xs.iter().enumerate() {
            // The largest moves (ties broken by id) come last in the file.
            text.push_str(&format!(
                "{{\"id\":\"L{:04}-{i}\",\"pad\":\"{pad}\",\"x\":{x}}}\n",
                copies - 1 - c
            ));
        }
        if c % 250 == 7 {
            text.push_str("{\"id\":\"broken\",\"x\":\n\n");
            rejected += 1;
        }
    }
    assert!(text.len() > 1 << 20, "several segments of the reader");
    std::fs::write(dir.path().join("many.jsonl"), &text).unwrap();
    let load = |name: &str| {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        leadscore::load::check_text(name, &text).model.unwrap()
    };
    let (old, new) = (load("v1.rules"), load("v2.rules"));
    let as_of = leadscore::time::parse_time("2026-01-01").unwrap();
    // Ten movers, and then every one of the 3 a copy has: a segment's
    // movers that a merge lost would be missing from the second list.
    for top in [10, 5000] {
        let (code, out, err) = leadscore(
            dir.path(),
            &[
                "diff",
                "v1.rules",
                "v2.rules",
                "many.jsonl",
                "--as-of",
                "2026-01-01",
                "--format",
                "json",
                "--top",
                &top.to_string(),
            ],
        );
        assert_eq!(code, 3, "{err}");
        let r: serde_json::Value = serde_json::from_str(&out).unwrap();
        let n = copies as u64;
        assert_eq!(r["leads"], 7 * n);
        assert_eq!(r["stage_changed"], 2 * n);
        assert_eq!(
            r["transitions"],
            serde_json::json!({"cold": {"cold": 3 * n}, "warm": {"warm": n}, "hot": {"warm": 2 * n, "hot": n}})
        );
        assert_eq!(
            r["rules"]["huge"],
            serde_json::json!({"before": 0, "after": n})
        );
        assert_eq!(
            r["movers"].as_array().map(Vec::len),
            Some(top.min(3 * copies))
        );
        assert!(err.contains(&format!("{rejected} lines skipped")), "{err}");
        // The same leads added one by one, as the library's sequential path does.
        let mut differ = leadscore::diff::Differ::new(&old, &new, as_of, vec!["id".into()], top);
        let mut errors = Vec::new();
        let mut lines_with_errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                differ.add(&v, i as u64 + 1, &mut errors);
                lines_with_errors.extend(errors.drain(..).map(|e| e.line));
            }
        }
        assert_eq!(out, differ.finish().json());
        // Value errors are listed in line order (the first 50), as read.
        let listed: Vec<u64> = err
            .lines()
            .filter(|l| l.contains("`x`"))
            .filter_map(|l| {
                l.split("line ")
                    .nth(1)?
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(listed, lines_with_errors[..50]);
    }
}

/// `--events` joins events from their own file for both models, each at its
/// own source path, and once to a path both read.
#[test]
fn events_from_their_own_file_reach_both_models() {
    let dir = tempfile::tempdir().unwrap();
    let rules = "\"once\": seen -> +10\n\"twice\": seen at least twice -> +5\n";
    let models = [
        (
            "top.rules",
            format!("lead {{\n  x: number\n}}\nevents {{\n  seen\n}}\n{rules}"),
        ),
        (
            "top2.rules",
            format!(
                "lead {{\n  x: number\n}}\nevents {{\n  seen\n}}\n{rules}\"more\": x > 1 -> +1\n"
            ),
        ),
        (
            "app.rules",
            format!("lead {{\n  x: number\n}}\nevents in app.activity {{\n  seen\n}}\n{rules}"),
        ),
    ];
    for (name, text) in &models {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(dir.path().join("leads.csv"), "id,x\nA,1\nB,2\nC,3\n").unwrap();
    std::fs::write(
        dir.path().join("events.csv"),
        "lead_id,type,at\nA,seen,2025-12-01\nB,seen,2025-12-02\nB,seen,2025-12-03\n",
    )
    .unwrap();
    let diff = |old: &str, new: &str, events: bool| {
        let mut args = vec![
            "diff",
            old,
            new,
            "leads.csv",
            "--as-of",
            "2026-01-01",
            "--format",
            "json",
        ];
        if events {
            args.extend(["--events", "events.csv"]);
        }
        let (code, out, err) = leadscore(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    // A shared path (`top2.rules`): B's two events are not doubled, and A's
    // one is not counted twice. Different paths (`app.rules`): each model
    // finds the events at its own.
    for new in ["top2.rules", "app.rules"] {
        let r = diff("top.rules", new, true);
        assert_eq!(
            r["rules"]["once"],
            serde_json::json!({"before": 2, "after": 2}),
            "{new}"
        );
        assert_eq!(
            r["rules"]["twice"],
            serde_json::json!({"before": 1, "after": 1}),
            "{new}"
        );
        if new == "top2.rules" {
            assert_eq!(
                r["rules"]["more"],
                serde_json::json!({"before": 0, "after": 2})
            );
        } else {
            assert_eq!(r["score_changed"], 0);
        }
    }
    // Without the join, CSV leads have no events.
    let r = diff("top.rules", "app.rules", false);
    assert_eq!(
        r["rules"]["once"],
        serde_json::json!({"before": 0, "after": 0})
    );
}
