//! The `--events` join gives every lead the same events whether the events
//! are held in memory or spilled to temporary files (a budget of 0 spills
//! them all): generated leads and events files, JSON Lines and CSV, with
//! duplicate ids, leads without an id, events of unknown leads, blank and
//! broken lines.

use leadscore::check::Model;
use leadscore::io::input::{Format, Record};
use leadscore::io::join::{joined_records, read_events_within, Events};
use proptest::prelude::*;

fn model(name: &str) -> Model {
    let dir = format!("{}/rules/{name}", env!("CARGO_MANIFEST_DIR"));
    leadscore::load::load(std::path::Path::new(&dir))
        .unwrap()
        .model
        .unwrap()
}

/// What a record is, comparably.
fn describe(r: Record) -> String {
    match r {
        Record::Lead { line, value } => format!("{line}: {value}"),
        Record::Rejected { line, text, error } => format!("{line}: rejected {text:?}: {error}"),
        Record::Blank { line } => format!("{line}: blank"),
    }
}

/// The events file read with this budget: whether it spilled, its bad
/// lines, and the leads joined to it for both example models.
fn join(
    leads: &str,
    leads_format: Format,
    events: &str,
    events_path: &str,
    budget: usize,
) -> (bool, Vec<String>, Vec<String>) {
    let mut bad = Vec::new();
    let events = read_events_within(
        events_path,
        Box::new(std::io::Cursor::new(events.as_bytes().to_vec())),
        budget,
        // Said to be empty, the file spills to the fewest buckets (4), so
        // that each holds several ids; the command line test below spills
        // to the most.
        Some(0),
        |e| bad.push(e.to_string()),
    )
    .unwrap();
    let spilled = matches!(events, Events::Spilled(_));
    let (b2b, plg) = (model("b2b"), model("plg.rules"));
    let models = [&b2b, &plg];
    let key = vec!["id".to_string()];
    let input = Box::new(std::io::Cursor::new(leads.as_bytes().to_vec()));
    let records = joined_records(leads_format, input, Some(&events), &models, &key)
        .unwrap()
        .map(|r| describe(r.unwrap()))
        .collect();
    (spilled, bad, records)
}

const IDS: [&str; 6] = ["L0", "L1", "L2", "x y", "7", ""];
const TYPES: [&str; 4] = ["visited", "used_feature", "replied", "other"];

/// An events line: a JSON event (or a broken line), for one of a few ids.
fn event_line() -> impl Strategy<Value = String> {
    (0..IDS.len(), 0..TYPES.len(), 0..40u32, 0..10u8).prop_map(|(id, ty, day, kind)| {
        let id = IDS[id];
        let ty = TYPES[ty];
        match kind {
            0 => "{\"lead_id\": \"L1\", broken".to_string(),
            1 => String::new(),
            // A number id: joined to a lead whose id is that number.
            2 => format!("{{\"lead_id\": 7, \"type\": \"{ty}\", \"at\": \"2026-10-{:02}\"}}", day % 28 + 1),
            _ => format!(
                "{{\"lead_id\": {id:?}, \"type\": \"{ty}\", \"page\": \"/p{day}\", \"n\": {day}.5, \"at\": \"2026-10-{:02}\"}}",
                day % 28 + 1
            ),
        }
    })
}

/// A leads line: a lead with one of the ids (or none), some with events
/// of their own, or a blank or broken line.
fn lead_line() -> impl Strategy<Value = String> {
    (0..IDS.len(), 0..8u8).prop_map(|(id, kind)| {
        let id = IDS[id];
        match kind {
            0 => "{\"id\": \"L2\"".to_string(),
            1 => "  ".to_string(),
            2 => "{\"title\": \"CEO\"}".to_string(),
            3 => format!("{{\"id\": {id:?}, \"events\": [{{\"type\": \"visited\", \"at\": \"2026-09-01\"}}]}}"),
            4 => format!("{{\"id\": {id:?}, \"events\": \"none\", \"activity\": 3}}"),
            5 => "{\"id\": 7}".to_string(),
            _ => format!("{{\"id\": {id:?}, \"title\": \"VP Sales\"}}"),
        }
    })
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn spilled_events_join_as_held_ones_do(
        events in prop::collection::vec(event_line(), 0..40),
        leads in prop::collection::vec(lead_line(), 0..30),
    ) {
        let events = events.join("\n");
        let jsonl = leads.join("\n");
        let held = join(&jsonl, Format::Jsonl, &events, "e.jsonl", usize::MAX);
        let spilled = join(&jsonl, Format::Jsonl, &events, "e.jsonl", 0);
        prop_assert!(!held.0);
        // Any event at all (a line with a lead id) goes past a budget of 0.
        let any = events.lines().any(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .is_ok_and(|v| v.get("lead_id").is_some_and(|id| id != ""))
        });
        prop_assert_eq!(spilled.0, any);
        prop_assert_eq!(&held.1, &spilled.1);
        prop_assert_eq!(&held.2, &spilled.2);

        // The same leads as CSV (id and title columns), and the same
        // events as CSV.
        let mut csv = String::from("id,title\n");
        for l in &leads {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            let id = v.get("id").map(leadscore::io::output::id_text).unwrap_or_default();
            csv.push_str(&format!("{},{}\n", csv_field(&id), "CEO"));
        }
        let mut events_csv = String::from("lead_id,type,at,page\n");
        for e in events.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(e) {
                let text = |k: &str| v.get(k).map(leadscore::io::output::id_text).unwrap_or_default();
                events_csv.push_str(&format!(
                    "{},{},{},{}\n",
                    csv_field(&text("lead_id")), text("type"), text("at"), csv_field(&text("page"))
                ));
            }
        }
        let held = join(&csv, Format::Csv, &events_csv, "e.csv", usize::MAX);
        let spilled = join(&csv, Format::Csv, &events_csv, "e.csv", 0);
        prop_assert_eq!(&held.1, &spilled.1);
        prop_assert_eq!(&held.2, &spilled.2);
    }
}

/// The held join itself, on one example: the spilled one is compared with
/// it above, so it must be right.
#[test]
fn a_lead_gets_its_events_in_file_order_after_its_own() {
    let events = concat!(
        "{\"lead_id\": \"L1\", \"type\": \"visited\", \"page\": \"/a\", \"at\": \"2026-10-01\"}\n",
        "{\"lead_id\": \"L2\", \"type\": \"visited\", \"page\": \"/b\", \"at\": \"2026-10-02\"}\n",
        "{\"lead_id\": \"L1\", \"type\": \"replied\", \"at\": \"2026-10-03\"}\n",
    );
    let leads = "{\"id\": \"L1\", \"events\": [{\"type\": \"visited\", \"at\": \"2026-09-01\"}]}\n\n{\"id\": \"L3\"}\n";
    for budget in [usize::MAX, 0] {
        let (spilled, bad, records) = join(leads, Format::Jsonl, events, "e.jsonl", budget);
        assert_eq!(spilled, budget == 0);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            records,
            [
                "1: {\"id\":\"L1\",\"events\":[{\"type\":\"visited\",\"at\":\"2026-09-01\"},{\"type\":\"visited\",\"page\":\"/a\",\"at\":\"2026-10-01\"},{\"type\":\"replied\",\"at\":\"2026-10-03\"}],\"activity\":[{\"type\":\"visited\",\"page\":\"/a\",\"at\":\"2026-10-01\"},{\"type\":\"replied\",\"at\":\"2026-10-03\"}]}",
                "2: blank",
                "3: {\"id\":\"L3\"}",
            ]
        );
    }
}

/// Runs the command line with `LEADSCORE_EVENTS_MEMORY` set (or not),
/// temporary files in `tmp`, and standard input read from `stdin` when
/// given: exit code, standard output and error.
fn run(
    args: &[&str],
    memory: Option<&str>,
    tmp: &std::path::Path,
    stdin: Option<&str>,
) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_leadscore"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .env_remove("LEADSCORE_EVENTS_MEMORY");
    if let Some(m) = memory {
        cmd.env("LEADSCORE_EVENTS_MEMORY", m);
    }
    if let Some(f) = stdin {
        cmd.stdin(std::fs::File::open(f).unwrap());
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command that takes `--events` prints the same whether the events
/// are held or spilled, and a spill leaves no temporary file behind.
#[test]
fn commands_give_the_same_results_with_spilled_events() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.jsonl");
    let leads_csv = dir.path().join("leads.csv");
    let events = dir.path().join("events.csv");
    let outcomes = dir.path().join("outcomes.csv");
    let export = dir.path().join("export");
    let mut lead_lines = String::new();
    let mut csv = String::from("id,title,company.employees\n");
    let mut event_lines = String::from("lead_id,type,at,page,asset\n");
    let mut outcome_lines = String::from("lead_id,converted\n");
    for i in 0..60 {
        let title = ["VP Sales", "Intern", "CEO"][i % 3];
        lead_lines.push_str(&match i % 20 {
            7 => "{\"id\": \"L7\", broken\n".to_string(),
            9 => "\n".to_string(),
            _ => format!("{{\"id\": \"L{i}\", \"title\": \"{title}\", \"company\": {{\"employees\": {}}}}}\n", i * 40),
        });
        csv.push_str(&format!("L{i},{title},{}\n", i * 40));
        for k in 0..i % 4 {
            let page = ["pricing", "/blog/x", "Pricing"][k % 3];
            event_lines.push_str(&format!("L{i},visited,2026-10-{:02},{page},\n", 10 + k));
        }
        if i % 5 == 0 {
            event_lines.push_str(&format!("L{i},downloaded,2026-10-30,,ebook\n"));
        }
        outcome_lines.push_str(&format!("L{i},{}\n", i % 3 == 0));
    }
    event_lines.push_str(",visited,2026-10-01,pricing,\n");
    std::fs::write(&leads, lead_lines).unwrap();
    std::fs::write(&leads_csv, csv).unwrap();
    std::fs::write(&events, event_lines).unwrap();
    std::fs::write(&outcomes, outcome_lines).unwrap();
    let (leads, leads_csv, events) = (
        leads.to_str().unwrap(),
        leads_csv.to_str().unwrap(),
        events.to_str().unwrap(),
    );
    let spec = "tests/cases/spec_example.rules";
    let b2b = "rules/b2b";
    let as_of = ["--as-of", "2026-11-01"];
    let commands: Vec<Vec<&str>> = vec![
        vec!["score", b2b, leads, "--events", events],
        vec![
            "score", b2b, leads_csv, "--events", events, "--format", "csv",
        ],
        vec!["score", b2b, "-", "--events", events],
        vec!["diff", spec, b2b, leads, "--events", events],
        vec![
            "backtest",
            b2b,
            leads_csv,
            "--outcomes",
            outcomes.to_str().unwrap(),
            "--events",
            events,
            "--min-leads",
            "1",
        ],
        vec![
            "export",
            b2b,
            leads,
            "--events",
            events,
            "--to",
            export.to_str().unwrap(),
            "--key",
            "id",
        ],
        vec!["explain", b2b, leads, "--id", "L10", "--events", events],
    ];
    for args in commands {
        let as_of: &[&str] = if args[0] == "export" { &[] } else { &as_of };
        let args: Vec<&str> = args.iter().chain(as_of).copied().collect();
        // `-` reads the leads from standard input.
        let stdin = args.contains(&"-").then_some(leads);
        let go = |memory| run(&args, memory, tmp.path(), stdin);
        // What `export` writes is compared too.
        let exported = || {
            ["leads.csv", "events.csv"]
                .map(|f| std::fs::read_to_string(export.join(f)).unwrap_or_default())
        };
        let held = (go(None), exported());
        let spilled = (go(Some("0")), exported());
        assert!(
            held.0 .1.len() + held.1[1].len() > 100,
            "{args:?}: {held:?}"
        );
        assert_eq!(held, spilled, "{args:?}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
    let (code, _, err) = run(
        &["score", b2b, leads, "--events", events],
        Some("lots"),
        tmp.path(),
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`LEADSCORE_EVENTS_MEMORY=lots` is not a size"),
        "{err}"
    );
    // Nowhere to spill to: the input can't be read as asked, exit 2.
    let (code, out, err) = run(
        &[
            "score",
            b2b,
            leads,
            "--events",
            events,
            "--as-of",
            "2026-11-01",
        ],
        Some("0"),
        &tmp.path().join("missing"),
        None,
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("can't write the events of"), "{err}");
}

/// A small events file in `dir`, for the runs below.
fn two_events(dir: &std::path::Path) -> std::path::PathBuf {
    let events = dir.join("events.csv");
    std::fs::write(
        &events,
        "lead_id,type,at,page\nL1,visited,2026-10-10,pricing\nL2,visited,2026-10-11,pricing\n",
    )
    .unwrap();
    events
}

/// `score rules/b2b LEADS --events EVENTS` with every event spilled into
/// `tmp`; the caller says where its output goes.
fn spilling(leads: &str, events: &std::path::Path, tmp: &std::path::Path) -> std::process::Command {
    let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_leadscore"));
    run.args(["score", "rules/b2b", leads, "--events"])
        .arg(events)
        .args(["--as-of", "2026-11-01"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TMPDIR", tmp)
        .env("LEADSCORE_EVENTS_MEMORY", "0");
    run
}

/// A spilling run whose leads come from a pipe that stays open, so it
/// waits for them with its events already spilled.
fn waiting(
    events: &std::path::Path,
    tmp: &std::path::Path,
    stderr: std::process::Stdio,
) -> std::process::Child {
    spilling("-", events, tmp)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// An interrupt (Ctrl-C) or a termination request while events are spilled
/// removes the temporary files, and the exit code names the signal.
#[test]
fn a_signal_removes_the_spilled_events() {
    let dir = tempfile::tempdir().unwrap();
    let events = two_events(dir.path());
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let tmp = tempfile::tempdir().unwrap();
        let child = waiting(&events, tmp.path(), std::process::Stdio::piped());
        let spilled = || std::fs::read_dir(tmp.path()).unwrap().count() > 0;
        let start = std::time::Instant::now();
        while !spilled() {
            assert!(
                start.elapsed().as_secs() < 60,
                "the events were never spilled"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // The signals are watched before the directory is made.
        let pid = child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args([signal, pid.as_str()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{signal}: {err}");
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        // What is left, and in it: files made after the removal began.
        let inside: Vec<_> = left
            .iter()
            .flat_map(|d| std::fs::read_dir(d).into_iter().flatten())
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "{signal} left {left:?}: {inside:?}\n{err}");
    }
}

/// A run killed outright (SIGKILL) removes nothing; the next run that
/// spills events removes what it left, but never the directory of a run
/// still going.
#[test]
fn a_killed_runs_spilled_events_go_with_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let events = two_events(dir.path());
    let tmp = tempfile::tempdir().unwrap();
    let waiting = || waiting(&events, tmp.path(), std::process::Stdio::null());
    let dirs = || -> Vec<std::path::PathBuf> {
        let mut d: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        d.sort();
        d
    };
    let spilled = |n: usize| {
        let start = std::time::Instant::now();
        while dirs().len() < n || dirs().iter().any(|d| !d.join(".lock").exists()) {
            assert!(
                start.elapsed().as_secs() < 60,
                "never spilled: {:?}",
                dirs()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    // Lock files made a minute ago: past the grace a new one is given.
    let age = |d: &std::path::Path| {
        let lock = std::fs::File::options()
            .write(true)
            .open(d.join(".lock"))
            .unwrap();
        let then = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        lock.set_modified(then).unwrap();
    };

    let mut killed = waiting();
    spilled(1);
    killed.kill().unwrap();
    killed.wait().unwrap();
    let abandoned = dirs();
    assert_eq!(abandoned.len(), 1);
    age(&abandoned[0]);

    // A second run, still going, removes the killed run's directory.
    let mut going = waiting();
    let start = std::time::Instant::now();
    while abandoned[0].exists() {
        assert!(start.elapsed().as_secs() < 60, "left behind: {:?}", dirs());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    spilled(1);
    let live = dirs();
    age(&live[0]);

    // A third run to the end: the second run's directory is in use, kept.
    let out = spilling("data/b2b-leads.jsonl", &events, tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(dirs(), live);
    // Its leads given, the second run ends and removes its own.
    drop(going.stdin.take());
    assert!(going.wait().unwrap().success());
    assert_eq!(dirs(), Vec::<std::path::PathBuf>::new());
}
