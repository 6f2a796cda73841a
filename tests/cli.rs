//! The command line as a user runs it: output contract, exit codes, bad
//! data handling, CSV in and out, and explanations.

use std::io::Write;
use std::process::{Command, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        // A run that fails before it reads its input (a bad model, a bad
        // flag) may exit before all of it is written.
        if let Err(e) = child.stdin.take().unwrap().write_all(s.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SPEC: &str = "tests/cases/spec_example.rules";

/// `leadscore score SPEC - --as-of 2026-11-01` with more arguments, on
/// these leads.
fn score_stdin(more: &[&str], leads: &str) -> (i32, String, String) {
    let mut args = vec!["score", SPEC, "-", "--as-of", "2026-11-01"];
    args.extend_from_slice(more);
    run(&args, Some(leads))
}

/// `leadscore score rules/b2b LEADS --as-of 2026-11-01` with more
/// arguments: the bundled model on any leads.
fn score_b2b(leads: &str, more: &[&str]) -> (i32, String, String) {
    let mut args = vec!["score", "rules/b2b", leads, "--as-of", "2026-11-01"];
    args.extend_from_slice(more);
    run(&args, None)
}

/// `leadscore score SPEC FILE --as-of 2026-11-01` with more arguments.
fn score_file(file: &std::path::Path, more: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "score",
        SPEC,
        file.to_str().unwrap(),
        "--as-of",
        "2026-11-01",
    ];
    args.extend_from_slice(more);
    run(&args, None)
}

#[test]
fn score_writes_the_contract_shape_in_input_order() {
    let leads = r#"{"id": "L1", "title": "VP Sales", "events": [{"type": "visited", "page": "pricing", "at": "2026-10-20"}, {"type": "visited", "page": "pricing", "at": "2026-10-30"}]}
{"id": 2, "email": "a@gmail.com"}
{"title": "CEO"}
"#;
    let (code, out, err) = run(&["score", SPEC, "-", "--as-of", "2026-11-01"], Some(leads));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"id": "L1", "score": 35.0, "stage": "MQL", "groups": {"fit": 15.0, "engagement": 20.0}, "fired": ["Decision maker", "visited pricing twice and title in decision_makers"], "disqualified": []}"#
    );
    assert_eq!(
        lines[1],
        r#"{"id": 2, "score": 0.0, "stage": "nurture", "groups": {"fit": -10.0, "engagement": 0.0}, "fired": ["Free email"], "disqualified": []}"#
    );
    assert_eq!(
        lines[2],
        r#"{"id": null, "score": 15.0, "stage": "nurture", "groups": {"fit": 15.0, "engagement": 0.0}, "fired": ["Decision maker"], "disqualified": []}"#
    );
    assert!(err.contains("leads: 3 read, 3 scored"), "{err}");
}

#[test]
fn bad_lines_are_reported_counted_and_skipped_and_wrong_types_become_missing() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.txt");
    let errors = dir.path().join("errors.jsonl");
    let leads = "{\"id\": \"a\", \"title\": \"CEO\"}\n{oops\n\n[1, 2]\n{\"id\": \"b\", \"company\": {\"employees\": \"lots\"}, \"title\": \"CFO\"}\n";
    let (code, out, err) = score_stdin(
        &[
            "--rejects",
            rejects.to_str().unwrap(),
            "--errors",
            errors.to_str().unwrap(),
        ],
        leads,
    );
    assert_eq!(code, 3, "data errors exit 3: {err}");
    assert_eq!(out.lines().count(), 2, "both good leads are scored: {out}");
    assert!(err.contains("line 2: not a JSON object"), "{err}");
    assert!(
        err.contains("line 4: not a JSON object: the line is JSON but not an object"),
        "{err}"
    );
    assert!(
        err.contains("line 5: `company.employees` should be a number but is the text \"lots\""),
        "{err}"
    );
    assert!(
        err.contains("leads: 4 read, 2 scored, 2 skipped, 1 blank line ignored"),
        "{err}"
    );
    assert!(
        err.contains("data errors: 3 (invalid_json 2, wrong_type 1)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        "{oops\n[1, 2]\n"
    );
    let logged: Vec<serde_json::Value> = std::fs::read_to_string(&errors)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(logged.len(), 3);
    assert_eq!(logged[2]["path"], "company.employees");
    assert_eq!(logged[2]["line"], 5);
}

/// `--rejects` and `--errors` replace the previous run's files whole, and a
/// report that cannot be written fails the run instead of being dropped.
#[test]
fn report_files_are_replaced_whole_and_write_failures_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.txt");
    std::fs::write(
        &rejects,
        "a previous run's much longer list of rejected lines\n",
    )
    .unwrap();
    let leads = "{\"id\": \"a\"}\n{oops\n";
    let (code, _, err) = score_stdin(&["--rejects", rejects.to_str().unwrap()], leads);
    assert_eq!(code, 3, "{err}");
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), "{oops\n");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing is left beside it: {left:?}");
    // Every write to `/dev/full` fails (Linux, where CI runs).
    #[cfg(target_os = "linux")]
    {
        for flag in ["--rejects", "--errors"] {
            let (code, out, err) = score_stdin(&[flag, "/dev/full"], leads);
            assert_eq!(code, 2, "{flag}: {err}");
            assert!(err.contains("can't write `/dev/full`"), "{flag}: {err}");
            assert!(
                err.contains("leads: 2 read, 1 scored, 1 skipped"),
                "{flag}: {err}"
            );
            assert_eq!(out.lines().count(), 1, "the results still go out: {out}");
        }
    }
}

/// Leads from a named pipe are read as a stream (only a regular file is
/// mapped) and score as the same file does, gzip-compressed or not: the
/// pipe is opened once, and the bytes that tell gzip are not lost.
#[cfg(target_os = "linux")]
#[test]
fn leads_from_a_named_pipe_score_as_the_file_does() {
    let plain = std::fs::read(format!("{ROOT}/data/b2b-leads.jsonl")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    for leads in [plain, gz] {
        through_a_named_pipe(leads);
    }
}

#[cfg(target_os = "linux")]
fn through_a_named_pipe(leads: Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("leads");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, leads))
    };
    let args = ["score", "rules/b2b", "--as-of", "2026-11-01", "-q"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .arg(&fifo)
        .current_dir(ROOT)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reading = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    // A run that lost its writer waits forever: give it a minute.
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("scoring a named pipe did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(writer.join().unwrap().is_ok(), "the writer lost its reader");
    let out = reading.join().unwrap().unwrap();
    assert_eq!(status.code(), Some(0));
    let (code, file_out, err) = run(&[&args[..], &["data/b2b-leads.jsonl"]].concat(), None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 40);
    assert_eq!(out, file_out);
}

/// `--threads` sizes the pool that scores (checking the model must not
/// start it first; 0 is all cores), and the thread count never changes a
/// result.
#[test]
fn threads_sets_the_pool_size_and_not_the_results() {
    let score = |threads: &str| {
        run(
            &[
                "score",
                "rules/b2b",
                "data/b2b-leads.jsonl",
                "--as-of",
                "2026-11-01",
                "--threads",
                threads,
            ],
            None,
        )
    };
    let (code1, out1, err1) = score("1");
    let (code3, out3, err3) = score("3");
    assert_eq!((code1, code3), (0, 0), "{err1}{err3}");
    assert!(err1.contains("40 scored (1 thread)"), "{err1}");
    assert!(err3.contains("40 scored (3 threads)"), "{err3}");
    assert_eq!(out1.lines().count(), 40);
    assert_eq!(out1, out3);
    // 0 is every core, as with no `--threads`.
    let (code0, out0, err0) = score("0");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let plural = if cores == 1 { "" } else { "s" };
    assert_eq!(code0, 0, "{err0}");
    assert!(
        err0.contains(&format!("40 scored ({cores} thread{plural})")),
        "{err0}"
    );
    assert_eq!(out0, out1);
}

#[test]
fn strict_stops_at_the_first_data_error() {
    let leads = "{\"id\": \"a\"}\n{oops\n{\"id\": \"c\"}\n";
    let (code, out, err) = run(
        &["score", SPEC, "-", "--as-of", "2026-11-01", "--strict"],
        Some(leads),
    );
    assert_eq!(code, 3);
    assert_eq!(out.lines().count(), 1);
    assert!(err.contains("stopped at the first data error"), "{err}");
}

#[test]
fn exit_codes_tell_failures_apart() {
    assert_eq!(
        run(
            &["score", SPEC, "no-such-file.jsonl", "--as-of", "2026-11-01"],
            None
        )
        .0,
        2
    );
    assert_eq!(
        run(
            &[
                "score",
                "tests/diagnostics/unknown_field.rules",
                "-",
                "--as-of",
                "2026-11-01"
            ],
            Some("{}\n")
        )
        .0,
        1
    );
    assert_eq!(
        run(&["score", SPEC, "-", "--as-of", "someday"], Some("{}\n")).0,
        2
    );
    assert_eq!(
        run(&["score", SPEC], None).0,
        2,
        "missing argument is a usage error"
    );
}

/// A file that is one JSON array is not JSON Lines: its first line says so,
/// with the conversion; a later line that is an array gets the usual message.
#[test]
fn a_json_array_file_gets_a_hint_on_its_first_line_only() {
    let (code, out, err) = score_stdin(&[], "[{\"id\": \"a\"},\n{\"id\": \"b\"},\n[1]]\n");
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("line 1: not a JSON object: the input starts with `[`, as one JSON array does; it is read as JSON Lines, one object to a line (`jq -c '.[]' FILE` writes an array's objects so); the line is skipped"),
        "{err}"
    );
    assert!(
        err.contains("line 2: not a JSON object: trailing characters"),
        "{err}"
    );
    assert!(
        err.contains("line 3: not a JSON object: trailing characters"),
        "{err}"
    );
    assert_eq!(err.matches("jq -c").count(), 1, "{err}");
}

/// A directory where a data file is due is a usage error that names it, for
/// every command that reads one (it opens, and would fail at its first
/// read with the system's bare "Is a directory").
#[test]
fn a_directory_for_a_data_file_is_named() {
    let runs: [&[&str]; 4] = [
        &["score", SPEC, "tests", "--as-of", "2026-11-01"],
        &[
            "explain",
            SPEC,
            "tests",
            "--id",
            "L1",
            "--as-of",
            "2026-11-01",
        ],
        &[
            "backtest",
            SPEC,
            "tests",
            "--outcomes",
            "data/backtest-outcomes.csv",
        ],
        &[
            "score",
            SPEC,
            "data/b2b-leads.csv",
            "--events",
            "tests",
            "--as-of",
            "2026-11-01",
        ],
    ];
    for args in runs {
        let (code, out, err) = run(args, None);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(
            err,
            "error: can't read `tests`: it is a directory\nhelp: give the path of a file in it\n",
            "{args:?}"
        );
    }
}

#[test]
fn csv_in_with_joined_events_and_csv_out() {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.csv");
    let events = dir.path().join("events.csv");
    std::fs::write(&leads, "id,title,company.employees,company.tech\nL1,VP Sales,120,salesforce;hubspot\nL2,Intern,abc,\n").unwrap();
    std::fs::write(&events, "lead_id,type,at,page,asset\nL1,visited,2026-10-20,pricing,\nL1,visited,2026-10-30,Pricing,\nL2,downloaded,2026-10-30,,ebook\n").unwrap();
    let (code, out, err) = run(
        &[
            "score",
            SPEC,
            leads.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
            "--as-of",
            "2026-11-01",
            "--format",
            "csv",
        ],
        None,
    );
    assert_eq!(code, 3, "L2 has a bad number: {err}");
    assert_eq!(out, "id,score,stage,fit,engagement,fired,disqualified\nL1,45.0,MQL,25.0,20.0,Decision maker;company.employees between 50 and 5000;visited pricing twice and title in decision_makers,\nL2,5.0,nurture,0.0,5.0,downloaded ebook,\n");
    assert!(
        err.contains("line 3: `company.employees` should be a number"),
        "{err}"
    );
    // explain joins the same events.
    let (code, out, err) = run(
        &[
            "explain",
            SPEC,
            leads.to_str().unwrap(),
            "--id",
            "L1",
            "--events",
            events.to_str().unwrap(),
            "--as-of",
            "2026-11-01",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("visited pricing twice (2 matching events, newest 2026-10-30, 2 days ago)"),
        "{out}"
    );
}

/// When no lead had an event of a declared type, the warning names the
/// types the leads' events have and shows how to read one `from` its name.
#[test]
fn unseen_event_types_suggest_reading_one_from_its_name() {
    let lead = "{\"id\": \"a\", \"activities\": [{\"activityType\": \"Visit Web Page\", \"activityDate\": \"2026-10-20\"}], \"events\": [{\"type\": \"replied\", \"at\": \"2026-10-20\"}]}\n";
    let (code, _, err) = run(
        &[
            "score",
            "tests/cases/event_names.rules",
            "-",
            "--as-of",
            "2026-11-01",
        ],
        Some(lead),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: no lead had an event of a type the model declares at `activities`"),
        "{err}"
    );
    assert!(
        err.contains("  help: the leads' events there have the types `Visit Web Page`: declare the ones the rules mean, or read a declared type from one of them (`visited from \"Visit Web Page\"`)"),
        "{err}"
    );
}

/// Lines of an `--events` file that can't be joined are data errors like a
/// bad lead's: named by their line in that file, counted, listed by
/// `--errors` with their file, and the run exits 3 with every lead scored;
/// `--quiet` prints none of it.
#[test]
fn bad_event_lines_are_counted_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.csv");
    let events = dir.path().join("events.csv");
    std::fs::write(&leads, "id,title\nL1,VP Sales\nL2,Intern\n").unwrap();
    std::fs::write(
        &events,
        "lead_id,type,at,page\nL1,visited,2026-10-20,pricing\n,visited,2026-10-30,pricing\nL1,visited,2026-10-30,pricing\n",
    )
    .unwrap();
    let args = [
        "score",
        SPEC,
        leads.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
        "--as-of",
        "2026-11-01",
    ];
    let (code, out, err) = run(&args, None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("\"fired\": [\"Decision maker\", \"visited pricing twice and title in decision_makers\"]"), "{out}");
    assert!(
        err.contains(
            "line 3: the event has no `lead_id`, so it can't be joined to a lead; skipped"
        ),
        "{err}"
    );
    assert!(err.contains("events: 1 line of `"), "{err}");
    let errors = dir.path().join("errors.jsonl");
    let (code, _, err) = run(
        &[
            &args[..],
            &["--quiet", "--errors", errors.to_str().unwrap()],
        ]
        .concat(),
        None,
    );
    assert_eq!((code, err.as_str()), (3, ""));
    let listed = std::fs::read_to_string(&errors).unwrap();
    let listed: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({"line": 3, "path": "lead_id", "kind": "no_lead_id",
            "file": events.to_str().unwrap()})
    );
    // `--strict` stops before scoring, the list written.
    std::fs::remove_file(&errors).unwrap();
    let (code, out, err) = run(
        &[
            &args[..],
            &["--strict", "--errors", errors.to_str().unwrap()],
        ]
        .concat(),
        None,
    );
    assert_eq!((code, out.as_str()), (3, ""), "{err}");
    assert!(
        err.ends_with("stopped at the first data error (--strict)\n"),
        "{err}"
    );
    assert!(std::fs::read_to_string(&errors)
        .unwrap()
        .contains("no_lead_id"));
    // The line might have been this lead's: `explain` exits 3 too.
    let mut explain = args.to_vec();
    explain[0] = "explain";
    let (code, out, err) = run(&explain, None);
    assert_eq!(code, 3, "{err}");
    assert!(out.contains("Lead L1: score"), "{out}");
    assert!(err.contains("line 3: the event has no `lead_id`"), "{err}");
}

/// Spreadsheets set to a language with decimal commas save CSV with `;`
/// between cells, and many exports are tab-separated: the header says which.
#[test]
fn csv_separated_by_semicolons_or_tabs_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let score = |leads: &str, events: &str| {
        run(
            &[
                "score",
                SPEC,
                leads,
                "--events",
                events,
                "--as-of",
                "2026-11-01",
            ],
            None,
        )
    };
    let commas = score(
        &write(
            "a.csv",
            "id,title,company.tech\nL1,VP Sales,salesforce;hubspot\nL2,\"CFO, EMEA\",\n",
        ),
        &write(
            "a-events.csv",
            "lead_id,type,at,page\nL1,visited,2026-10-20,pricing\nL1,visited,2026-10-30,pricing\n",
        ),
    );
    assert_eq!(commas.0, 0, "{}", commas.2);
    assert!(
        commas.1.contains("\"fired\": [\"Decision maker\""),
        "{}",
        commas.1
    );
    let semicolons = score(
        &write("b.csv", "id;title;company.tech\nL1;VP Sales;\"salesforce;hubspot\"\nL2;\"CFO, EMEA\";\n"),
        &write("b-events.tsv", "lead_id\ttype\tat\tpage\nL1\tvisited\t2026-10-20\tpricing\nL1\tvisited\t2026-10-30\tpricing\n"),
    );
    assert_eq!(semicolons, commas);
    // Excel's `sep=` first line, after a byte order mark, names the
    // separator; it is not a header, and rows keep the file's line numbers.
    let excel = score(
        &write("c.csv", "\u{feff}sep=;\r\nid;title;company.tech\r\nL1;VP Sales;\"salesforce;hubspot\"\r\nL2;\"CFO, EMEA\";\r\n"),
        &write("c-events.csv", "sep=,\nlead_id,type,at,page\nL1,visited,2026-10-20,pricing\nL1,visited,2026-10-30,pricing\n"),
    );
    assert_eq!(excel, commas);
    let bad = score(
        &write("d.csv", "sep=;\nid;company.employees\nL1;12\nL2;many\n"),
        &write("d-events.csv", "sep=;\nlead_id;type;at\nL1;visited;1\n"),
    );
    assert_eq!(bad.0, 3, "{}", bad.2);
    assert!(
        bad.2
            .contains("line 4: `company.employees` should be a number"),
        "{}",
        bad.2
    );
    assert!(
        bad.2.contains("line 3: `events[0].at` is not a time"),
        "{}",
        bad.2
    );
}

/// Gzip-compressed leads and events read as the plain files do, whatever
/// they are called (the bytes tell), streams written one after another
/// included; one cut short is an error that names it. Output to a `.gz`
/// name is compressed.
#[test]
fn gzip_input_reads_as_the_plain_file() {
    use flate2::{write::GzEncoder, Compression};
    let dir = tempfile::tempdir().unwrap();
    let gzip = |text: &[u8]| {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    };
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let plain_text = std::fs::read(format!("{ROOT}/data/b2b-leads.jsonl")).unwrap();
    let plain = score_b2b("data/b2b-leads.jsonl", &[]);
    assert_eq!(plain.0, 0, "{}", plain.2);
    assert_eq!(plain.1.lines().count(), 40);
    assert_eq!(
        score_b2b(&write("leads.jsonl.gz", &gzip(&plain_text)), &[]),
        plain
    );
    assert_eq!(
        score_b2b(&write("leads.jsonl", &gzip(&plain_text)), &[]),
        plain
    );
    let half = plain_text.len() / 2;
    let cut = half + plain_text[half..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut two = gzip(&plain_text[..cut]);
    two.extend(gzip(&plain_text[cut..]));
    assert_eq!(score_b2b(&write("two.jsonl.gz", &two), &[]), plain);

    let csv = |name: &str| std::fs::read(format!("{ROOT}/data/{name}")).unwrap();
    let plain_csv = score_b2b("data/b2b-leads.csv", &["--events", "data/b2b-events.csv"]);
    assert_eq!(plain_csv.0, 0, "{}", plain_csv.2);
    let leads = write("leads.csv.gz", &gzip(&csv("b2b-leads.csv")));
    let events = write("events.csv.gz", &gzip(&csv("b2b-events.csv")));
    assert_eq!(score_b2b(&leads, &["--events", &events]), plain_csv);

    // Results (and reports) to a name ending in `.gz` are written gzipped.
    let out = dir.path().join("results.jsonl.gz");
    let rejects = dir.path().join("rejects.jsonl.GZ");
    let to = [out.to_str().unwrap(), rejects.to_str().unwrap()];
    let gunzip = |p: &std::path::Path| {
        let mut text = String::new();
        let file = std::fs::File::open(p).unwrap();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).unwrap();
        text
    };
    let written = score_b2b("data/b2b-leads.jsonl", &["-o", to[0], "--rejects", to[1]]);
    assert_eq!((written.0, written.1.as_str()), (0, ""), "{}", written.2);
    assert_eq!(gunzip(&out), plain.1);
    assert_eq!(gunzip(&rejects), "");

    let whole = gzip(&plain_text);
    let short = write("short.jsonl.gz", &whole[..whole.len() / 2]);
    let (code, _, err) = score_b2b(&short, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("error: can't decompress `{short}` (gzip): ")),
        "{err}"
    );
    let (code, _, err) = run(&["explain", "rules/b2b", &short, "--id", "L39"], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("(gzip): "), "{err}");
}

/// A source that reads its events' type and time from other members names
/// them in its data errors.
#[test]
fn renamed_event_members_are_named_in_data_errors() {
    let lead = concat!(
        "{\"id\": \"a\", \"tracks\": [{\"type\": \"invited\", \"at\": \"2026-10-30\"}, ",
        "{\"event\": \"invited\", \"ts\": \"2026-10-30\"}, {\"event\": \"invited\", \"timestamp\": \"2026-10-30\"}]}\n"
    );
    let (code, out, err) = run(
        &[
            "score",
            "tests/cases/event_members.rules",
            "-",
            "--as-of",
            "2026-11-01",
        ],
        Some(lead),
    );
    assert_eq!(code, 3, "{err}");
    assert!(out.contains("\"score\": 0.0"), "{out}");
    assert!(
        err.contains("line 1: `tracks[0]` is not an event (an object with a `event`); ignored"),
        "{err}"
    );
    assert!(
        err.contains("line 1: `tracks[1].timestamp` is not a time"),
        "{err}"
    );
}

/// Event types and properties read `from` the data's names score through
/// `score`'s reader as the case file's tests expect, and a wrong value is
/// named by the member the data holds it in.
#[test]
fn event_types_and_properties_read_from_other_names_score() {
    let leads = concat!(
        "{\"id\": \"a\", \"activities\": [{\"activityType\": \"Visit Webpage\", \"activityDate\": \"2026-10-20\", \"primaryAttributeValue\": \"/pricing\"}, ",
        "{\"activityType\": \"Fill Out Form\", \"activityDate\": \"2026-10-21\", \"primaryAttributeValue\": \"Demo Request\", \"Campaign Name\": \"Q4 webinar\"}]}\n",
        "{\"id\": \"b\", \"activities\": [{\"activityType\": \"visited\", \"activityDate\": \"2026-10-20\", \"primaryAttributeValue\": \"/pricing\"}, ",
        "{\"activityType\": \"Fill Out Form\", \"activityDate\": \"2026-10-21\", \"primaryAttributeValue\": {\"form\": 1}}]}\n",
    );
    let (code, out, err) = run(
        &[
            "score",
            "tests/cases/event_names.rules",
            "-",
            "--as-of",
            "2026-11-01",
        ],
        Some(leads),
    );
    assert_eq!(code, 3, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("\"score\": 40.0")
            && lines[0].contains("\"fired\": [\"Pricing\", \"Demo form\", \"Webinar campaign\"]"),
        "{out}"
    );
    assert!(lines[1].contains("\"score\": 0.0"), "{out}");
    assert!(
        err.contains(
            "line 2: `activities[1].primaryAttributeValue` should be text but is an object"
        ),
        "{err}"
    );
}

/// `explain` names what the rules read that this one lead spells another
/// way (a field, the key, the events' list), in text, Markdown and JSON.
#[test]
fn explain_names_what_one_lead_spells_otherwise() {
    let lead = "{\"Lead ID\": \"a\", \"Title\": \"VP Sales\", \"employees\": 5000, \"activity\": [{\"type\": \"visited\", \"page\": \"pricing\", \"at\": \"2026-10-30\"}]}\n";
    let explain = |format: &str| {
        let (code, out, err) = run(
            &[
                "explain",
                SPEC,
                "-",
                "--as-of",
                "2026-11-01",
                "--format",
                format,
            ],
            Some(lead),
        );
        assert_eq!(code, 0, "{err}");
        out
    };
    insta::assert_snapshot!("explain_spelt_otherwise", explain("text"));
    let md = explain("markdown");
    assert!(md.contains("**Names the rules read that this lead spells otherwise**\n\n- no key `id`, and the lead has `Lead ID`: give it with `--key 'Lead ID'`\n"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&explain("json")).unwrap();
    assert_eq!(
        json["spelt_otherwise"].as_array().map(Vec::len),
        Some(4),
        "{json}"
    );
}

/// A field, an event list or a key that no lead had is named after the
/// run, with the name the leads use instead; a run whose leads have them
/// all says nothing more.
#[test]
fn what_no_lead_held_is_named_after_the_run() {
    let leads = concat!(
        "{\"lead_id\": \"a\", \"Title\": \"VP Sales\", \"company_employees\": 120, \"budget\": null, \"activity\": [{\"type\": \"visited\", \"page\": \"pricing\", \"at\": \"2026-10-30\"}]}\n",
        "{\"lead_id\": \"b\", \"Title\": \"CFO\", \"email\": \"x@gmail.com\", \"budget\": \"lots\", \"authority\": true}\n",
    );
    let (code, _, err) = score_stdin(&["--threads", "1"], leads);
    assert_eq!(code, 3, "the text budget is a data error: {err}");
    insta::assert_snapshot!("unseen_after_the_run", err);
    // The same from a file (read mapped, on all threads) and from CSV.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leads.jsonl");
    std::fs::write(&file, leads).unwrap();
    let (_, _, from_file) = score_file(&file, &["--threads", "1"]);
    assert_eq!(from_file, err);
    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, "lead_id,Title,email\na,VP Sales,x@gmail.com\n").unwrap();
    let (_, _, from_csv) = score_file(&csv, &[]);
    for line in [
        "help: the leads have `lead_id`: give it with `--key lead_id`",
        "help: the leads have `Title` (names match exactly, case included): `title: text from \"Title\"` reads it",
        "help: CSV leads take their events from a second file: `--events FILE`",
    ] {
        assert!(from_csv.contains(line), "{line}\n{from_csv}");
    }
    // Given its key, the run no longer warns about it.
    let (_, _, err) = score_stdin(&["--threads", "1", "--key", "lead_id"], leads);
    assert!(!err.contains("the key"), "{err}");
    assert!(err.contains("no lead had a value for `title`"), "{err}");
    // The bundled leads have every field the bundled model reads.
    let (code, _, err) = score_b2b("data/b2b-leads.jsonl", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

/// A CRM export with its own column names, scored by following the
/// warnings' suggestions (`from "…"`, `--key`), gives the results the
/// bundled model gives the bundled leads.
#[test]
fn a_crm_export_read_through_from_scores_as_the_bundled_leads() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        ("id", "Record ID"),
        ("title", "Job Title"),
        ("company.employees", "Number of Employees"),
        ("timeline_days", "Timeline (days)"),
        ("created_at", "Create Date"),
    ];
    let leads = std::fs::read_to_string(format!("{ROOT}/data/b2b-leads.csv")).unwrap();
    let (header, rows) = leads.split_once('\n').unwrap();
    // The bundled CSV ends its lines as spreadsheets do, with `\r\n`.
    let header: Vec<&str> = header
        .trim_end_matches('\r')
        .split(',')
        .map(|c| names.iter().find(|(n, _)| *n == c).map_or(c, |(_, to)| to))
        .collect();
    let export = dir.path().join("export.csv");
    std::fs::write(&export, format!("{}\n{rows}", header.join(","))).unwrap();
    let export = export.to_str().unwrap();
    let model = dir.path().join("b2b");
    std::fs::create_dir(&model).unwrap();
    for entry in std::fs::read_dir(format!("{ROOT}/rules/b2b")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (field, column) in &names[1..] {
            let ty = if *field == "title" {
                "text"
            } else if *field == "created_at" {
                "time"
            } else {
                "number"
            };
            text = text.replacen(
                &format!("  {field}: {ty}"),
                &format!("  {field}: {ty} from \"{column}\""),
                1,
            );
        }
        std::fs::write(model.join(path.file_name().unwrap()), text).unwrap();
    }
    let model = model.to_str().unwrap();
    let events = "data/b2b-events.csv";
    let score = |m: &str, l: &str, key: &str| {
        run(
            &[
                "score",
                m,
                l,
                "--events",
                events,
                "--key",
                key,
                "--as-of",
                "2026-11-01",
            ],
            None,
        )
    };
    let (code, want, _) = score("rules/b2b", "data/b2b-leads.csv", "id");
    assert_eq!(code, 0);
    let (code, got, err) = score(model, export, "Record ID");
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, want);
    assert!(!err.contains("warning"), "{err}");
    // Without them, each is named with its column.
    let (_, _, err) = score("rules/b2b", export, "id");
    for line in [
        "give it with `--key 'Record ID'`",
        "`title: text from \"Job Title\"` reads it",
        "`company.employees: number from \"Number of Employees\"` reads it",
        "`timeline_days: number from \"Timeline (days)\"` reads it",
        "`created_at: time from \"Create Date\"` reads it",
    ] {
        assert!(err.contains(line), "{line}\n{err}");
    }
}

#[test]
fn key_picks_another_id_field() {
    let (code, out, _) = score_stdin(&["--key", "crm.ref"], "{\"crm\": {\"ref\": \"X-9\"}}\n");
    assert_eq!(code, 0);
    assert!(out.starts_with("{\"id\": \"X-9\","), "{out}");
}

#[test]
fn output_file_and_csv_output_header() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.jsonl");
    let (code, out, _) = score_b2b("data/b2b-leads.jsonl", &["-o", out_file.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.is_empty());
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(written.lines().count(), 40);
    for line in written.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["score"].is_f64()
                && v["stage"].is_string()
                && v["groups"].is_object()
                && v["fired"].is_array()
                && v["disqualified"].is_array()
        );
    }
}

/// `-o FILE` replaces FILE only when the run finishes: a run stopped by
/// `--strict` leaves the previous results (and no file of its own) behind,
/// and a finished one keeps FILE's permissions.
#[test]
fn an_output_file_is_replaced_only_by_a_finished_run() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.jsonl");
    let o = out_file.to_str().unwrap();
    std::fs::write(&out_file, "previous results\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let leads = "{\"id\": \"a\"}\n{oops\n{\"id\": \"c\"}\n";
    let score = |strict: bool| {
        let mut args = vec!["score", SPEC, "-", "--as-of", "2026-11-01", "-o", o];
        if strict {
            args.push("--strict");
        }
        run(&args, Some(leads))
    };
    let names = || {
        let mut n: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    let (code, out, err) = score(true);
    assert_eq!(code, 3);
    assert!(out.is_empty());
    assert!(err.contains(&format!("`{o}` was left as it was")), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "previous results\n"
    );
    assert_eq!(names(), ["out.jsonl"]);

    let (code, _, err) = score(false);
    assert_eq!(code, 3, "{err}");
    assert!(!err.contains("left as it was"), "{err}");
    let written = std::fs::read_to_string(&out_file).unwrap();
    let ids: Vec<String> = written
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids, ["\"a\"", "\"c\""]);
    assert_eq!(names(), ["out.jsonl"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}

/// Names that are not regular files are written in place: a device, and a
/// symbolic link, which stays a link to the file it names.
#[cfg(unix)]
#[test]
fn devices_and_links_are_written_in_place() {
    let (code, out, _) = score_b2b("data/b2b-leads.jsonl", &["-o", "/dev/null"]);
    assert_eq!(code, 0);
    assert!(out.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("results.jsonl");
    let link = dir.path().join("latest.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, _, err) = score_b2b("data/b2b-leads.jsonl", &["-o", link.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap().lines().count(),
        40
    );
}

fn explain(format: &str, id: &str) -> String {
    let (code, out, err) = run(
        &[
            "explain",
            "rules/b2b",
            "tests/data/explain-leads.jsonl",
            "--id",
            id,
            "--as-of",
            "2026-11-01",
            "--format",
            format,
        ],
        None,
    );
    assert!(code == 0 || code == 3, "{err}");
    out
}

#[test]
fn explain_snapshots() {
    for id in ["sql", "capped", "disqualified"] {
        for format in ["text", "markdown", "json"] {
            insta::assert_snapshot!(format!("explain_{id}_{format}"), explain(format, id));
        }
    }
    let (_, all, _) = run(
        &[
            "explain",
            "rules/b2b",
            "tests/data/explain-leads.jsonl",
            "--line",
            "1",
            "--as-of",
            "2026-11-01",
            "--all",
        ],
        None,
    );
    insta::assert_snapshot!("explain_all", all);
}

#[test]
fn explain_finds_leads_by_line_or_stdin_and_reports_missing_ones() {
    let (code, out, _) = run(
        &["explain", SPEC, "-", "--as-of", "2026-11-01"],
        Some("{\"id\": \"solo\", \"title\": \"CEO\"}\n"),
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Lead solo: score 15.0, stage nurture"),
        "{out}"
    );
    let (code, _, err) = run(
        &[
            "explain",
            "rules/b2b",
            "tests/data/explain-leads.jsonl",
            "--id",
            "nobody",
            "--as-of",
            "2026-11-01",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(
        err, "error: no lead with id `nobody` in `tests/data/explain-leads.jsonl`\n",
        "nothing near it: no help line"
    );
    // An id that differs by case, or by a typo, is named.
    for (asked, near) in [("l1", "L1"), ("L100", "L10"), (" l2 ", "L2")] {
        let (code, _, err) = run(
            &["explain", SPEC, "-", "--id", asked, "--as-of", "2026-11-01"],
            Some("{\"id\": \"L1\"}\n{\"id\": \"L10\"}\n{\"id\": \"L2\"}\n"),
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.ends_with(&format!("help: did you mean `{near}`?\n")),
            "{asked}: {err}"
        );
    }
}

#[test]
fn a_byte_order_mark_and_windows_line_ends_are_tolerated() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, "\u{feff}id,title\r\nL1,CEO\r\n").unwrap();
    let (code, out, err) = score_file(&csv, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("{\"id\": \"L1\", \"score\": 15.0"), "{out}");
    let jsonl = dir.path().join("leads.jsonl");
    std::fs::write(
        &jsonl,
        "\u{feff}{\"id\": \"L2\", \"title\": \"CFO\"}\r\n{\"id\": \"L3\"}\r\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &[
            "score",
            SPEC,
            jsonl.to_str().unwrap(),
            "--as-of",
            "2026-11-01",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2);
    assert!(out.starts_with("{\"id\": \"L2\", \"score\": 15.0"), "{out}");
}

/// A reader that goes away early (`leadscore check bad.rules 2>&1 | head`)
/// ends the run quietly with 141, never a panic (101).
#[test]
fn a_closed_output_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.rules");
    std::fs::write(&bad, "group x {\n  \"a\": titel in [1] -> +1\n}\n").unwrap();
    for args in [
        vec!["plan", "benches/model"],
        vec!["check", bad.to_str().unwrap()],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
            .args(&args)
            .current_dir(ROOT)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Both outputs closed before the run has loaded its model.
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(141), "{args:?}");
    }
    // `score` writing to a closed standard output says nothing either.
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args([
            "score",
            "rules/b2b",
            "data/b2b-leads.jsonl",
            "--as-of",
            "2026-11-01",
            "-q",
        ])
        .current_dir(ROOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// Records are converted on all threads in batches of a few thousand
/// (`io::par`): across batches, results keep their order, and bad rows
/// and events keep their line numbers.
#[test]
fn records_keep_their_order_and_line_numbers_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (leads, events) = (dir.path().join("leads.csv"), dir.path().join("ev.jsonl"));
    let n = 7000;
    let bad_rows = [1, 2049, 4100, 6999];
    let mut csv = String::from("id,title,company.employees\n");
    let mut ev = String::new();
    let mut bad_event_line = 0;
    for i in 0..n {
        let employees = if bad_rows.contains(&i) { "lots" } else { "120" };
        csv.push_str(&format!("L{i},VP Sales,{employees}\n"));
        if i % 3 == 0 {
            // Two visits: "visited pricing twice" fires.
            for day in [20, 2 + i % 7] {
                ev.push_str(&format!(
                    "{{\"lead_id\": \"L{i}\", \"type\": \"visited\", \"page\": \"pricing\", \"at\": \"2026-10-{day:02}\"}}\n",
                ));
            }
        } else if i == 5000 {
            ev.push_str("{\"type\": \"visited\"}\n");
            bad_event_line = ev.lines().count();
        } else {
            ev.push('\n');
        }
    }
    std::fs::write(&leads, csv).unwrap();
    std::fs::write(&events, ev).unwrap();
    let args = [
        "score",
        SPEC,
        leads.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
        "--as-of",
        "2026-11-01",
        "--format",
        "csv",
    ];
    let (code, out, err) = run(&args, None);
    assert_eq!(code, 3, "{err}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), n);
    for (i, row) in rows.iter().enumerate() {
        let (id, rest) = row.split_once(',').unwrap();
        assert_eq!(id, format!("L{i}"));
        // Each lead's own cells and its own events.
        let big = !bad_rows.contains(&i);
        assert_eq!(rest.contains("between 50 and 5000"), big, "{row}");
        assert_eq!(rest.contains("visited pricing twice"), i % 3 == 0, "{row}");
    }
    // A bad cell is reported at its line (the header is line 1), in order.
    let reported: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("should be a number"))
        .collect();
    let want: Vec<String> = bad_rows
        .iter()
        .map(|i| format!("line {}: `company.employees`", i + 2))
        .collect();
    assert_eq!(reported.len(), want.len(), "{err}");
    for (got, want) in reported.iter().zip(&want) {
        assert!(got.contains(want.as_str()), "{got} should say {want}");
    }
    // The event without a lead id, at its line of the events file.
    assert!(bad_event_line > 2 * 2048, "{bad_event_line}");
    let bad_event = err
        .lines()
        .find(|l| l.contains("ev.jsonl"))
        .unwrap_or_default();
    assert!(
        bad_event.contains(&format!("line {bad_event_line}:")),
        "{bad_event}"
    );
}

/// Long decimals are read as the nearest double on every path: JSON Lines
/// (a line shape repeated, as the fast reader sees data, and each line on
/// its own) and CSV. `0.9999999999999999` is below one.
#[test]
fn long_decimals_are_read_as_the_nearest_double() {
    let model = "tests/cases/numbers.rules";
    // Each amount with the score it must get: `>= 1` is worth 5, `< 100k` 1.
    let amounts = [
        ("0.9999999999999999", "1.0"),
        ("0.99999999999999999999", "6.0"),
        ("99999.99999999999", "6.0"),
        ("1e5", "5.0"),
        ("100000.00000000001", "5.0"),
    ];
    let jsonl: String = (0..200)
        .map(|i| {
            let (amount, _) = amounts[i % amounts.len()];
            format!("{{\"id\": {i}, \"amount\": {amount}}}\n")
        })
        .collect();
    let (code, out, err) = run(
        &["score", model, "-", "--as-of", "2026-11-01"],
        Some(&jsonl),
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 200);
    for (i, line) in lines.iter().enumerate() {
        let (amount, score) = amounts[i % amounts.len()];
        assert!(
            line.starts_with(&format!("{{\"id\": {i}, \"score\": {score}, ")),
            "{amount}: {line}"
        );
    }
    // CSV numbers are digits and a point (an exponent is read as text).
    let plain: Vec<_> = amounts.iter().filter(|(a, _)| !a.contains('e')).collect();
    let csv: String = std::iter::once("id,amount\n".to_string())
        .chain(
            plain
                .iter()
                .enumerate()
                .map(|(i, (a, _))| format!("{i},{a}\n")),
        )
        .collect();
    std::fs::create_dir_all(format!("{ROOT}/target/tmp")).unwrap();
    let path = format!("{ROOT}/target/tmp/long-decimals.csv");
    std::fs::write(&path, csv).unwrap();
    let (code, out, err) = run(&["score", model, &path, "--as-of", "2026-11-01"], None);
    assert_eq!(code, 0, "{err}");
    for (line, (amount, score)) in out.lines().zip(&plain) {
        assert!(
            line.contains(&format!("\"score\": {score}, ")),
            "{amount}: {line}"
        );
    }
    assert_eq!(out.lines().count(), plain.len());
}
