//! `leadscore backtest` on a dozen hand-computed leads; the working is in
//! the comments.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ARGS: [&str; 9] = [
    "backtest",
    "tests/data/backtest/model.rules",
    "tests/data/backtest/leads.jsonl",
    "--outcomes",
    "tests/data/backtest/outcomes.csv",
    "--as-of",
    "2026-11-01",
    "--min-leads",
    "2",
];

fn close(a: &serde_json::Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

#[test]
fn every_number_matches_the_hand_count() {
    let (code, out, err) = run(&[&ARGS[..], &["--format", "json", "--by", "source"]].concat());
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    // L12 has no outcome.
    assert_eq!(
        (
            r["leads"].as_u64(),
            r["with_outcome"].as_u64(),
            r["without_outcome"].as_u64()
        ),
        (Some(12), Some(11), Some(1))
    );
    // Converted: L1, L2, L4, L9, L11.
    assert_eq!(r["converted"], 5);
    // Scores: L1-L3 30 (hot), L4 L5 10 (warm), L6 L7 5, L8 25 (hot), L9 L10 0,
    // L11 10 (warm: its demo came after its scored_at, so it does not count).
    let s = &r["stages"];
    assert_eq!(
        (s["hot"]["leads"].as_u64(), s["hot"]["converted"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(
        (s["warm"]["leads"].as_u64(), s["warm"]["converted"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        (s["cold"]["leads"].as_u64(), s["cold"]["converted"].as_u64()),
        (Some(4), Some(1))
    );
    assert!(
        close(&s["hot"]["rate"], 0.5)
            && close(&s["hot"]["ci_low"], 0.15003898915214947)
            && close(&s["hot"]["ci_high"], 0.849961010847851)
    );
    // Exec fired for L1-L5 and L11: 4 of 6 converted; not fired 1 of 5 (L9).
    let exec = &r["rules"]["Exec"];
    assert_eq!(
        (
            exec["fired"].as_u64(),
            exec["converted_when_fired"].as_u64()
        ),
        (Some(6), Some(4))
    );
    assert!(close(&exec["lift"], (4.0 / 6.0) / (1.0 / 5.0)));
    // Demo fired for L1-L3 and L8 (2 of 4); not fired 3 of 7.
    let demo = &r["rules"]["Demo"];
    assert_eq!(
        (
            demo["fired"].as_u64(),
            demo["converted_when_fired"].as_u64()
        ),
        (Some(4), Some(2))
    );
    assert!(close(&demo["lift"], 0.5 / (3.0 / 7.0)));
    assert_eq!(demo["flags"], serde_json::json!([]));
    // Intern adds points but none of its 3 leads converted.
    let intern = &r["rules"]["Intern"];
    assert_eq!(intern["converted_when_fired"], 0);
    assert_eq!(intern["flags"], serde_json::json!(["sign_disagrees"]));
    // Pairs (converted, lost) = 5 × 6 = 30; the converted side wins 18.5 of them.
    assert!(close(&r["auc"], 18.5 / 30.0));
    // "At least hot": 4 leads, 2 converted of 5; "at least warm": 7 leads, 4 of 5.
    let at = &r["stage_at_least"];
    assert!(close(&at[0]["precision"], 0.5) && close(&at[0]["recall"], 0.4));
    assert!(close(&at[1]["precision"], 4.0 / 7.0) && close(&at[1]["recall"], 0.8));
    // score >= 10: precision 4/7, recall 4/5, F1 2/3 — the best.
    assert!(
        close(&r["best_threshold"]["score"], 10.0) && close(&r["best_threshold"]["f1"], 2.0 / 3.0)
    );
    let deciles = r["deciles"].as_array().unwrap();
    assert_eq!(
        deciles
            .iter()
            .map(|d| d["leads"].as_u64().unwrap())
            .sum::<u64>(),
        11
    );
    assert!(close(&deciles[9]["max_score"], 30.0));
    assert_eq!(
        (
            r["by"]["partner"]["leads"].as_u64(),
            r["by"]["partner"]["converted"].as_u64()
        ),
        (Some(5), Some(3))
    );
    assert_eq!(
        (
            r["by"]["paid"]["leads"].as_u64(),
            r["by"]["paid"]["converted"].as_u64()
        ),
        (Some(6), Some(2))
    );
}

#[test]
fn rare_rules_are_flagged_as_too_rare() {
    let args: Vec<&str> = ARGS[..7]
        .iter()
        .copied()
        .chain(["--format", "json"])
        .collect();
    let (_, out, _) = run(&args);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        r["rules"]["Intern"]["flags"],
        serde_json::json!(["too_rare"]),
        "default --min-leads is 20"
    );
}

#[test]
fn reports_are_readable() {
    let (_, human, _) = run(&ARGS);
    insta::assert_snapshot!("backtest_human", human);
    let (_, md, _) = run(&[&ARGS[..], &["--format", "markdown", "--by", "source"]].concat());
    insta::assert_snapshot!("backtest_markdown", md);
}

#[test]
fn html_is_one_file_with_svg_charts() {
    let (code, html, _) = run(&[&ARGS[..], &["--format", "html", "--by", "source"]].concat());
    assert_eq!(code, 0);
    // Self-contained: no scripts, nothing loaded from elsewhere.
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    let body = html.trim_start_matches("<!DOCTYPE html>\n");
    let doc = roxmltree::Document::parse(body).expect("well-formed");
    let svgs: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("svg"))
        .collect();
    assert_eq!(svgs.len(), 3, "funnel, deciles, lift");
    let bars = |i: usize| {
        svgs[i]
            .descendants()
            .filter(|n| n.has_tag_name("rect"))
            .count()
    };
    assert_eq!(
        (bars(0), bars(2)),
        (3, 3),
        "a bar per stage reached and per rule"
    );
    assert!(doc
        .descendants()
        .any(|n| n.has_tag_name("tr") && n.attribute("class") == Some("flag")));
}

#[test]
fn missing_times_and_bad_outcomes_are_reported() {
    let (code, _, err) = run(&ARGS[..5]);
    assert_eq!(code, 2);
    assert!(
        err.contains("10 outcomes have no `scored_at`; give `--as-of TIME`"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let outcomes = dir.path().join("o.csv");
    std::fs::write(&outcomes, "lead_id,converted\nL1,maybe\nL2,true\n,true\n").unwrap();
    let (code, out, err) = run(&[
        "backtest",
        "tests/data/backtest/model.rules",
        "tests/data/backtest/leads.jsonl",
        "--outcomes",
        outcomes.to_str().unwrap(),
        "--as-of",
        "2026-11-01",
        "--format",
        "json",
    ]);
    assert_eq!(code, 3);
    assert!(
        err.contains("line 2: `converted` must be true/false")
            && err.contains("line 4: no `lead_id`"),
        "{err}"
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["with_outcome"], 1);
}

/// A lead value the model can't read is reported with its line, counted and
/// treated as missing (the lead is still scored), and the exit code says so.
#[test]
fn unreadable_lead_values_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.jsonl");
    let text = std::fs::read_to_string("tests/data/backtest/leads.jsonl").unwrap();
    // L1's title as a list; L1's and L2's events without a time.
    let text = text
        .replacen("\"title\": \"CEO\"", "\"title\": [\"CEO\"]", 1)
        .replacen(", \"at\": \"2026-10-01\"", "", 2);
    std::fs::write(&leads, text).unwrap();
    let mut args = ARGS.to_vec();
    let path = leads.to_str().unwrap().to_string();
    args[2] = &path;
    let (code, out, err) = run(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("line 1: `title` should be text but is a list; treated as missing"),
        "{err}"
    );
    assert!(
        err.contains("line 1: `events[0].at` is not a time"),
        "{err}"
    );
    assert!(
        err.contains("data errors: 3 (bad_event_time 2, wrong_type 1)"),
        "{err}"
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["leads"], 12, "every lead is still scored");
}

/// A file of many segments, read on all threads with the fast reader, gives
/// the report (and the error listing) of reading it one line at a time with
/// the library; unreadable values are reported for every lead, with an
/// outcome or not.
#[test]
fn a_large_file_counts_as_one_read_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let base: Vec<String> = std::fs::read_to_string("tests/data/backtest/leads.jsonl")
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let pad = "p".repeat(200);
    let (mut leads, mut outcomes) = (String::new(), String::from("lead_id,converted,scored_at\n"));
    let copies = 600;
    let mut rejected = 0;
    for c in 0..copies {
        for (i, line) in base.iter().enumerate() {
            let id = format!("C{c}-{i}");
            let mut line = line.replacen(
                &format!("\"L{}\"", i + 1),
                &format!("\"{id}\", \"pad\": \"{pad}\""),
                1,
            );
            // Every seventh copy of L4 has a title the model can't read;
            // it has an outcome only in even copies.
            if i == 3 && c % 7 == 0 {
                line = line.replacen("\"title\": \"CEO\"", "\"title\": [\"CEO\"]", 1);
            }
            leads.push_str(&line);
            leads.push('\n');
            // Outcomes: a fixed pattern, some leads without one, some with
            // their own time; odd copies of L4 have none.
            if i == 3 && c % 2 == 1 || (c + i) % 5 == 0 {
                continue;
            }
            let converted = if (c * 7 + i * 3) % 4 == 0 {
                "true"
            } else {
                "false"
            };
            let at = if i % 3 == 0 { "2026-10-15" } else { "" };
            outcomes.push_str(&format!("{id},{converted},{at}\n"));
        }
        if c % 150 == 3 {
            leads.push_str("{\"id\": \"broken\",\n\n");
            rejected += 1;
        }
    }
    assert!(leads.len() > 1 << 20, "several segments of the reader");
    std::fs::write(dir.path().join("leads.jsonl"), &leads).unwrap();
    std::fs::write(dir.path().join("outcomes.csv"), &outcomes).unwrap();
    let path = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let (code, out, err) = run(&[
        "backtest",
        "tests/data/backtest/model.rules",
        &path("leads.jsonl"),
        "--outcomes",
        &path("outcomes.csv"),
        "--as-of",
        "2026-11-01",
        "--by",
        "source",
        "--format",
        "json",
    ]);
    assert_eq!(code, 3, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["leads"], 12 * copies);
    assert!(
        err.contains(&format!("{rejected} bad lines skipped")),
        "{err}"
    );
    // L4 with a bad title: in copies 0, 7, 14, …, with an outcome or not.
    let bad_titles = (0..copies).filter(|c| c % 7 == 0).count();
    assert!(
        err.contains(&format!(
            "data errors: {bad_titles} (wrong_type {bad_titles})"
        )),
        "{err}"
    );

    // The same leads added one by one through the library.
    let text = std::fs::read_to_string("tests/data/backtest/model.rules").unwrap();
    let model = leadscore::load::check_text("model.rules", &text)
        .model
        .unwrap();
    let records = outcomes.lines().skip(1).enumerate().map(|(i, l)| {
        let f: Vec<&str> = l.split(',').collect();
        let v = serde_json::json!({"lead_id": f[0], "converted": f[1], "scored_at": f[2]});
        (i as u64 + 2, v)
    });
    let (table, problems) = leadscore::backtest::outcomes_from(records);
    assert!(problems.is_empty());
    let opts = leadscore::backtest::Options {
        as_of: leadscore::time::parse_time("2026-11-01"),
        key: vec!["id".into()],
        by: Some(vec!["source".into()]),
        min_leads: 30,
    };
    let mut bt = leadscore::backtest::Backtest::new(&model, table, opts);
    let mut errors = Vec::new();
    let mut lines_with_errors = Vec::new();
    for (i, line) in leads.lines().enumerate() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            bt.add(&v, i as u64 + 1, &mut errors).unwrap();
            lines_with_errors.extend(errors.drain(..).map(|e| e.line));
        }
    }
    assert_eq!(lines_with_errors.len(), bad_titles);
    assert_eq!(out, leadscore::backtest::render::json(&bt.finish()));
    // Value errors are listed in line order (the first 50), as read.
    let listed: Vec<u64> = err
        .lines()
        .filter(|l| l.contains("`title`"))
        .filter_map(|l| l.split("line ").nth(1)?.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(listed, lines_with_errors[..50]);
}

/// `--events` joins events to the leads by `lead_id`, for CSV leads and for
/// JSON Lines: the report is the one of the same leads with their events
/// inside.
#[test]
fn events_from_their_own_file_count_as_events_inside() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/backtest-leads.jsonl"),
    )
    .unwrap();
    let (mut bare, mut only_events, mut ids, mut events) = (
        String::new(),
        String::new(),
        String::from("id\n"),
        String::new(),
    );
    for line in text.lines() {
        let mut lead: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = lead["id"].clone();
        let list = lead
            .as_object_mut()
            .unwrap()
            .remove("events")
            .unwrap_or_default();
        for e in list.as_array().into_iter().flatten() {
            let mut e = e.clone();
            e["lead_id"] = id.clone();
            events.push_str(&format!("{e}\n"));
        }
        bare.push_str(&format!("{lead}\n"));
        only_events.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": id, "events": list})
        ));
        ids.push_str(&format!("{}\n", id.as_str().unwrap()));
    }
    for (name, body) in [
        ("bare.jsonl", &bare),
        ("only-events.jsonl", &only_events),
        ("ids.csv", &ids),
        ("events.jsonl", &events),
    ] {
        std::fs::write(path(name), body).unwrap();
    }
    let report = |leads: &str, events: Option<&str>| {
        let mut args = vec![
            "backtest",
            "rules/b2b",
            leads,
            "--outcomes",
            "data/backtest-outcomes.csv",
            "--format",
            "json",
        ];
        if let Some(e) = events {
            args.extend(["--events", e]);
        }
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    let events_file = path("events.jsonl");
    assert_eq!(
        report(&path("bare.jsonl"), Some(&events_file)),
        report("data/backtest-leads.jsonl", None)
    );
    let from_csv = report(&path("ids.csv"), Some(&events_file));
    assert_eq!(from_csv, report(&path("only-events.jsonl"), None));
    // The events matter: without them the CSV leads score otherwise.
    assert_ne!(from_csv, report(&path("ids.csv"), None));
}

/// Past `LEADSCORE_OUTCOMES_MEMORY` the outcomes are spilled to temporary
/// files and the leads read once per bucket of them: the report, the
/// messages and the exit code are those of the outcomes held in memory,
/// for JSON Lines leads (read on all threads, from a file or from standard
/// input), CSV leads, and leads joined to an events file; and nothing is
/// left in the temporary directory.
#[test]
fn spilled_outcomes_give_the_held_report() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    // 900 leads: a bad line now and then, one with a title of the wrong
    // type, events in and out of the windows.
    let titles = [
        "CEO",
        "VP Sales",
        "intern",
        "Head of Revenue",
        "Sales Manager",
    ];
    let mut leads = String::new();
    for i in 0..900u32 {
        if i % 97 == 13 {
            leads.push_str("{\"id\": \"broken\n");
            continue;
        }
        let title = if i == 500 {
            "[1, 2]".to_string()
        } else {
            format!("\"{}\"", titles[i as usize % titles.len()])
        };
        leads.push_str(&format!(
            "{{\"id\": \"L{i}\", \"title\": {title}, \"country\": \"{}\", \"budget\": {}, \"authority\": {}, \
             \"events\": [{{\"type\": \"visited\", \"page\": \"/pricing\", \"at\": \"2026-10-{:02}\"}}, \
             {{\"type\": \"requested\", \"what\": \"demo\", \"at\": \"2026-0{}-15\"}}]}}\n",
            ["US", "DE", "FR"][i as usize % 3],
            (i % 13) * 10_000,
            i % 2 == 0,
            1 + i % 28,
            1 + i % 9,
        ));
    }
    let leads_path = dir.path().join("leads.jsonl");
    std::fs::write(&leads_path, &leads).unwrap();
    // Outcomes for most leads and for the CSV example's; every seventh id
    // comes twice (the later one counts), some have no time (--as-of), one
    // line is bad.
    let mut outcomes = String::from("lead_id,converted,scored_at\n");
    for i in 0..1000u32 {
        let when = if i % 5 == 0 {
            String::new()
        } else {
            format!("2026-10-{:02}T12:00:00Z", 1 + i % 30)
        };
        outcomes.push_str(&format!(
            "L{},{},{when}\n",
            i,
            if i % 3 == 0 { "won" } else { "lost" }
        ));
        if i % 7 == 0 {
            outcomes.push_str(&format!(
                "L{i},{},\n",
                if i % 2 == 0 { "won" } else { "lost" }
            ));
        }
    }
    outcomes.push_str("L5,maybe,\n");
    let outcomes_path = dir.path().join("outcomes.csv");
    std::fs::write(&outcomes_path, &outcomes).unwrap();
    let outcomes_arg = outcomes_path.to_str().unwrap();
    // One backtest run; `stdin` is the file given on standard input.
    let backtest = |leads: &str,
                    outcomes: &str,
                    extra: &[&str],
                    memory: Option<&str>,
                    stdin: Option<&std::path::Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadscore"));
        cmd.args(["backtest", "rules/b2b", leads, "--outcomes", outcomes])
            .args([
                "--as-of",
                "2026-11-01",
                "--format",
                "json",
                "--by",
                "country",
            ])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("TMPDIR", &tmp)
            .env_remove("LEADSCORE_OUTCOMES_MEMORY");
        if let Some(m) = memory {
            cmd.env("LEADSCORE_OUTCOMES_MEMORY", m);
        }
        if let Some(path) = stdin {
            cmd.stdin(std::fs::File::open(path).unwrap());
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "temporary files left"
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let run = |leads: &str, extra: &[&str], memory: Option<&str>, stdin: bool| {
        let stdin = stdin.then_some(leads_path.as_path());
        backtest(leads, outcomes_arg, extra, memory, stdin)
    };
    let file = leads_path.to_str().unwrap();
    let cases: [(&str, &[&str], bool); 4] = [
        (file, &[], false),
        ("-", &[], true),
        ("data/b2b-leads.csv", &[], false),
        (
            "data/b2b-leads.csv",
            &["--events", "data/b2b-events.csv"],
            false,
        ),
    ];
    // The same outcomes as JSON Lines on standard input: the same report,
    // held or spilled (the spill's parts are sized from a copy of the input).
    let outcomes_jsonl: String = outcomes
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let at = if f[2].is_empty() {
                "null".to_string()
            } else {
                format!("\"{}\"", f[2])
            };
            format!(
                "{{\"lead_id\": \"{}\", \"converted\": \"{}\", \"scored_at\": {at}}}\n",
                f[0], f[1]
            )
        })
        .collect();
    let outcomes_jsonl_path = dir.path().join("outcomes.jsonl");
    std::fs::write(&outcomes_jsonl_path, outcomes_jsonl).unwrap();
    let from_stdin = |memory: Option<&str>| {
        backtest(file, "-", &[], memory, Some(outcomes_jsonl_path.as_path()))
    };
    let held = from_stdin(None);
    assert!(
        held.1 == run(file, &[], None, false).1,
        "outcomes on standard input: the report differs"
    );
    let spilled = from_stdin(Some("8K"));
    assert_eq!(spilled.0, held.0);
    assert!(
        spilled.1 == held.1 && spilled.2 == held.2,
        "outcomes on standard input, spilled"
    );
    for (leads, extra, stdin) in cases {
        let held = run(leads, extra, None, stdin);
        assert_eq!(held.0, Some(3), "{}", held.2);
        let report: serde_json::Value = serde_json::from_str(&held.1).unwrap();
        assert!(report["with_outcome"].as_u64().unwrap() > 15, "{report}");
        for memory in ["8K", "40K"] {
            let spilled = run(leads, extra, Some(memory), stdin);
            let what = format!("{leads} {extra:?} at {memory}");
            assert_eq!(spilled.0, held.0, "{what}: exit code");
            assert!(spilled.1 == held.1, "{what}: the report differs");
            assert!(spilled.2 == held.2, "{what}: messages differ");
        }
    }
}
