//! `leadscore sql` run for real: the query's rows must equal what
//! `leadscore score` writes, lead by lead, for the example models and for
//! generated models with messy generated leads.
//!
//! DuckDB and Spark run through their Python packages (Spark in local mode)
//! and PostgreSQL through `psql`; `scripts/test.sh` installs the packages
//! and starts a throwaway server (setting the `PG*` variables). Without
//! them these tests fail; they never skip.

mod support;

use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::gen::{self, Rng};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn leadscore(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs leadscore");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn two(v: &Json) -> String {
    format!("{:.2}", v.as_f64().expect("a number"))
}

/// `leadscore score`'s output, in the comparison's shape, sorted by id.
fn scored(model: &Path, leads: &Path, as_of: &str) -> (Vec<Json>, Vec<String>) {
    scored_with(model, leads, as_of, &[])
}

fn scored_with(
    model: &Path,
    leads: &Path,
    as_of: &str,
    extra: &[&str],
) -> (Vec<Json>, Vec<String>) {
    let mut args = vec![
        "score",
        model.to_str().unwrap(),
        leads.to_str().unwrap(),
        "--as-of",
        as_of,
        "-q",
    ];
    args.extend(extra);
    let (code, out, err) = leadscore(&args);
    assert!(code == 0 || code == 3, "score failed ({code}): {err}");
    let mut groups = Vec::new();
    let mut rows: Vec<Json> = out
        .lines()
        .map(|l| {
            let o: Json = serde_json::from_str(l).unwrap();
            let g = o["groups"].as_object().unwrap();
            groups = g.keys().cloned().collect();
            let id = match &o["id"] {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            json!({
                "id": id,
                "score": two(&o["score"]),
                "stage": o["stage"],
                "groups": g.iter().map(|(k, v)| (k.clone(), json!(two(v)))).collect::<serde_json::Map<_, _>>(),
                "fired": o["fired"],
                "disqualified": o["disqualified"],
            })
        })
        .collect();
    rows.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    (rows, groups)
}

/// The model exported, compiled and run on `engine`.
fn on_engine(
    engine: &str,
    model: &Path,
    leads: &Path,
    as_of: Option<&str>,
    groups: &[String],
    dir: &Path,
) -> Vec<Json> {
    let to = dir.to_str().unwrap();
    let (code, _, err) = leadscore(&[
        "export",
        model.to_str().unwrap(),
        leads.to_str().unwrap(),
        "--to",
        to,
    ]);
    assert!(code == 0 || code == 3, "export failed ({code}): {err}");
    let mut args = vec!["sql", model.to_str().unwrap(), "--dialect", engine];
    if let Some(t) = as_of {
        args.extend(["--as-of", t]);
    }
    let (code, query, err) = leadscore(&args);
    assert_eq!(code, 0, "sql failed: {err}");
    let query_path = dir.join(format!("query-{engine}.sql"));
    std::fs::write(&query_path, &query).unwrap();
    let out = Command::new("python3")
        .arg(root().join("tests/sql/run.py"))
        .arg(engine)
        .arg(dir.join(format!("load-{engine}.sql")))
        .arg(&query_path)
        .arg(groups.join(","))
        .current_dir(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{engine} failed to run the query (scripts/test.sh installs DuckDB and starts PostgreSQL):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Compares, and on a difference shows the first few leads that differ.
fn assert_same(what: &str, expected: &[Json], actual: &[Json]) {
    assert_eq!(
        expected.len(),
        actual.len(),
        "{what}: {} leads scored, {} rows from SQL",
        expected.len(),
        actual.len()
    );
    let diffs: Vec<String> = expected
        .iter()
        .zip(actual)
        .filter(|(e, a)| e != a)
        .take(3)
        .map(|(e, a)| format!("  leadscore: {e}\n  sql:       {a}"))
        .collect();
    assert!(
        diffs.is_empty(),
        "{what}: rows differ:\n{}",
        diffs.join("\n")
    );
}

fn check(engine: &str, model: &Path, leads: &Path, as_of: &str) -> usize {
    let (expected, groups) = scored(model, leads, as_of);
    let dir = tempfile::tempdir().unwrap();
    let actual = on_engine(engine, model, leads, Some(as_of), &groups, dir.path());
    assert_same(
        &format!("{} on {engine}", model.display()),
        &expected,
        &actual,
    );
    expected.len()
}

fn example_models(engine: &str) {
    let r = root();
    let n = check(
        engine,
        &r.join("rules/b2b"),
        &r.join("data/b2b-leads.jsonl"),
        "2026-11-01",
    );
    assert_eq!(n, 40);
    assert!(
        check(
            engine,
            &r.join("rules/plg.rules"),
            &r.join("tests/data/sql/plg-leads.jsonl"),
            "2026-11-01T12:00:00Z"
        ) >= 20
    );
    assert!(
        check(
            engine,
            &r.join("benches/model"),
            &r.join("tests/data/sql/bench-leads.jsonl"),
            "2026-11-01"
        ) >= 1000
    );
}

/// Generated models (every construct of the language) over generated messy
/// leads: at least 10,000 leads in all.
fn generated_models(engine: &str, models: u64, leads_each: usize) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let times = ["2026-11-01", "2026-10-15T12:00:00Z", "2026-11-01T00:00:00Z"];
    let mut total = 0;
    for seed in 0..models {
        let mut r = Rng::new(1000 + seed);
        let text = gen::model(&mut r);
        let checked = leadscore::load::check_text("gen.rules", &text);
        if checked.model.is_none() {
            continue; // a rare repeated unlabelled rule id
        }
        let model = dir.path().join(format!("m{seed}.rules"));
        std::fs::write(&model, &text).unwrap();
        let leads = dir.path().join(format!("m{seed}.jsonl"));
        let lines: Vec<String> = (0..leads_each)
            .map(|i| gen::lead(&mut r, i).to_string())
            .collect();
        std::fs::write(&leads, lines.join("\n") + "\n").unwrap();
        let as_of = times[r.below(times.len())];
        let (expected, groups) = scored(&model, &leads, as_of);
        let out = dir.path().join(format!("m{seed}"));
        let actual = on_engine(engine, &model, &leads, Some(as_of), &groups, &out);
        assert_same(
            &format!("generated model {seed}:\n{text}"),
            &expected,
            &actual,
        );
        total += expected.len();
    }
    total
}

#[test]
fn duckdb_matches_score_on_the_example_models() {
    example_models("duckdb");
}

#[test]
fn duckdb_matches_score_on_generated_models() {
    assert!(generated_models("duckdb", 40, 300) >= 10_000);
}

#[test]
fn duckdb_without_as_of_uses_the_current_time() {
    let r = root();
    let now = chrono::Utc::now().to_rfc3339();
    let (expected, groups) = scored(&r.join("rules/b2b"), &r.join("data/b2b-leads.jsonl"), &now);
    let dir = tempfile::tempdir().unwrap();
    let actual = on_engine(
        "duckdb",
        &r.join("rules/b2b"),
        &r.join("data/b2b-leads.jsonl"),
        None,
        &groups,
        dir.path(),
    );
    assert_same("rules/b2b as of now", &expected, &actual);
}

#[test]
fn postgres_matches_score() {
    example_models("postgres");
    assert!(generated_models("postgres", 12, 100) >= 1000);
}

#[test]
fn spark_matches_score() {
    let r = root();
    check(
        "spark",
        &r.join("rules/b2b"),
        &r.join("data/b2b-leads.jsonl"),
        "2026-11-01",
    );
    check(
        "spark",
        &r.join("rules/plg.rules"),
        &r.join("tests/data/sql/plg-leads.jsonl"),
        "2026-11-01T12:00:00Z",
    );
    assert!(generated_models("spark", 4, 100) >= 300);
}

#[test]
fn duckdb_matches_score_for_csv_leads_with_separate_events() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().to_str().unwrap();
    let (code, _, err) = leadscore(&[
        "export",
        "rules/b2b",
        "data/b2b-leads.csv",
        "--events",
        "data/b2b-events.csv",
        "--to",
        to,
    ]);
    assert_eq!(code, 0, "{err}");
    let r = root();
    let (expected, groups) = scored_with(
        &r.join("rules/b2b"),
        &r.join("data/b2b-leads.csv"),
        "2026-11-01",
        &["--events", "data/b2b-events.csv"],
    );
    let (code, _, err) = leadscore(&[
        "score",
        "rules/b2b",
        "data/b2b-leads.csv",
        "--events",
        "data/b2b-events.csv",
        "--as-of",
        "2026-11-01",
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, query, _) = leadscore(&["sql", "rules/b2b", "--as-of", "2026-11-01"]);
    let query_path = dir.path().join("q.sql");
    std::fs::write(&query_path, query).unwrap();
    assert_eq!(expected.len(), 20);
    assert!(expected
        .iter()
        .any(|r| !r["fired"].as_array().unwrap().is_empty()));
    let out = Command::new("python3")
        .arg(root().join("tests/sql/run.py"))
        .arg("duckdb")
        .arg(dir.path().join("load-duckdb.sql"))
        .arg(&query_path)
        .arg(groups.join(","))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let actual: Vec<Json> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_same("CSV leads with events", &expected, &actual);
}

/// The benchmark's two hand-written DuckDB queries (the benchmark model's,
/// in `benches/bench.py`, and `benches/plg.sql`) agree with `score` on
/// freshly generated leads, so the figures in `docs/benchmarks.md` keep
/// comparing like with like. `bench.py` itself runs each once and compares
/// lead by lead; it exits non-zero on any difference.
#[test]
fn benchmark_queries_match_score() {
    let r = root();
    let dir = tempfile::tempdir().unwrap();
    let generate = |script: &str, args: &[&str], file: &str| {
        let out = Command::new("python3")
            .arg(r.join("benches").join(script))
            .args(args)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = dir.path().join(file);
        std::fs::write(&path, out.stdout).unwrap();
        path
    };
    let b2b = generate(
        "gen_leads.py",
        &["--n", "3000", "--seed", "5", "--messy", "0.01"],
        "b2b.jsonl",
    );
    let plg = generate("gen_plg.py", &["--n", "3000", "--seed", "5"], "plg.jsonl");
    let runs: [(&Path, &[&str]); 2] = [
        (&b2b, &[]),
        (
            &plg,
            &["--model", "rules/plg.rules", "--sql", "benches/plg.sql"],
        ),
    ];
    for (file, model) in runs {
        let out = Command::new("python3")
            .arg(r.join("benches/bench.py"))
            .args([
                "--file",
                file.to_str().unwrap(),
                "--runs",
                "1",
                "--threads",
                "2",
            ])
            .args(["--binary", env!("CARGO_BIN_EXE_leadscore")])
            .args(["--work-dir", dir.path().to_str().unwrap()])
            .args(model)
            .current_dir(&r)
            .output()
            .expect("python3 runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "bench.py on {}:\n{text}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(": 0 differ"), "{text}");
    }
}

/// `bench.py`'s lead-by-lead comparison: a hand-written query may write an
/// empty list as NULL and still agree; any other difference (score, stage,
/// a fired rule, a group's total, a group left out) is one.
#[test]
fn bench_comparison_finds_every_kind_of_difference() {
    let check = r#"
import sys
sys.path.insert(0, "benches")
import bench
o = {"id": "a", "score": 30.0, "stage": "MQL", "groups": {"fit": 10.0, "general": 0.0},
     "fired": ["Webinar"], "disqualified": []}
def t(**changes):
    row = {"id": "a", "score": 30, "stage": "MQL", "groups": {"fit": 10, "general": 0},
           "fired": ["Webinar"], "disqualified": None}
    row.update(changes)
    return row
assert bench.same_lead(o, t())
assert bench.same_lead({**o, "fired": []}, t(fired=None))
assert not bench.same_lead(None, t())
assert not bench.same_lead(o, t(score=31))
assert not bench.same_lead(o, t(stage="SAL"))
assert not bench.same_lead(o, t(fired=[]))
assert not bench.same_lead(o, t(fired=["Webinar", "Replied"]))
assert not bench.same_lead(o, t(disqualified=["Competitor"]))
assert not bench.same_lead(o, t(groups={"fit": 9, "general": 0}))
assert not bench.same_lead(o, t(groups={"fit": 10}))
assert not bench.same_lead(o, t(groups=None))
assert not bench.same_lead(o, t(score=None))
assert not bench.same_lead(o, t(groups={"fit": None, "general": 0}))
print("ok")
"#;
    let out = Command::new("python3")
        .args(["-c", check])
        .current_dir(root())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `export` keeps the first lead of each key and reports the others by
/// line, the same whether the keys are held in memory or spilled to
/// temporary files (`LEADSCORE_EXPORT_MEMORY`), and from standard input.
#[test]
fn export_skips_repeated_keys_alike_held_or_spilled() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(41);
    let mut lines = Vec::new();
    let mut first = std::collections::HashSet::new();
    let (mut kept, mut repeats) = (Vec::new(), Vec::new());
    for n in 1..=1500u64 {
        match n % 50 {
            7 => lines.push("{not json".to_string()),
            9 => lines.push(r#"{"title": "CEO"}"#.to_string()),
            _ => {
                let id = format!("L{}", rng.below(900));
                if first.insert(id.clone()) {
                    kept.push(id.clone());
                } else {
                    repeats.push(n);
                }
                lines.push(format!(
                    r#"{{"id": "{id}", "title": "VP Sales", "events": [{{"type": "visited", "page": "/pricing", "at": "2026-10-0{}"}}]}}"#,
                    1 + n % 9
                ));
            }
        }
    }
    let leads = dir.path().join("leads.jsonl");
    std::fs::write(&leads, lines.join("\n") + "\n").unwrap();
    // Temporary files go here, and must be gone after each run.
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let run = |name: &str, memory: Option<&str>, stdin: bool| {
        let to = dir.path().join(name);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadscore"));
        cmd.args(["export", "benches/model"])
            .arg(if stdin {
                "-".as_ref()
            } else {
                leads.as_os_str()
            })
            .arg("--to")
            .arg(&to)
            .current_dir(root())
            .env("TMPDIR", &tmp)
            .env_remove("LEADSCORE_EXPORT_MEMORY");
        if let Some(m) = memory {
            cmd.env("LEADSCORE_EXPORT_MEMORY", m);
        }
        if stdin {
            cmd.stdin(std::fs::File::open(&leads).unwrap());
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "{name} left files"
        );
        let read = |f: &str| std::fs::read_to_string(to.join(f)).unwrap();
        let err = String::from_utf8_lossy(&out.stderr)
            .replace(to.to_str().unwrap(), "DIR")
            .replace(leads.to_str().unwrap(), "-");
        (
            out.status.code(),
            read("leads.csv"),
            read("events.csv"),
            err,
        )
    };
    let held = run("held", None, false);
    assert_eq!(held.0, Some(3), "{}", held.3);
    // The first lead of each key, in input order.
    let ids: Vec<&str> = held
        .1
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, kept);
    let reported: Vec<u64> = held
        .3
        .lines()
        .filter(|l| l.contains("was seen before"))
        .map(|l| {
            l.split("line ")
                .nth(1)
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(reported, repeats);
    assert!(repeats.len() > 400, "{} repeats", repeats.len());
    for (name, memory, stdin) in [
        ("spilled-at-once", Some("0"), false),
        ("spilled-midway", Some("20K"), false),
        ("stdin", None, true),
        ("stdin-spilled", Some("8K"), true),
    ] {
        let other = run(name, memory, stdin);
        // Compared part by part: a difference is named, not printed whole.
        assert_eq!(other.0, held.0, "{name}: exit code");
        assert!(other.1 == held.1, "{name}: leads.csv differs");
        assert!(other.2 == held.2, "{name}: events.csv differs");
        assert!(other.3 == held.3, "{name}: messages differ");
    }
    let bad = run("bad", Some("lots"), false);
    assert_eq!(bad.0, Some(2));
}
