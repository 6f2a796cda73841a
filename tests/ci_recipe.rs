//! The CI recipe in docs/ci/leadscore.yml works: each of its `leadscore`
//! steps is run, as written, in a git repository holding this project's
//! rules, with a pull-request-like change on top of the base branch.

use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn the_workflow_steps_pass_on_the_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workflow = std::fs::read_to_string(root.join("docs/ci/leadscore.yml")).unwrap();
    let steps: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("run: "))
        .filter(|cmd| cmd.starts_with("leadscore "))
        .collect();
    assert_eq!(steps.len(), 4, "check, fmt, test and diff steps: {steps:?}");

    let repo = tempfile::tempdir().unwrap();
    let p = repo.path();
    copy_dir(&root.join("rules"), &p.join("rules"));
    copy_dir(&root.join("data"), &p.join("data"));
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=ci", "-c", "user.email=ci@example.com"])
            .args(args)
            .current_dir(p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    // What a CI checkout with fetch-depth 0 has: the base branch as a remote ref.
    git(&["update-ref", "refs/remotes/origin/main", "HEAD"]);
    // The pull request: a new fit rule.
    let fit = p.join("rules/b2b/10-fit.rules");
    let text = std::fs::read_to_string(&fit).unwrap();
    std::fs::write(
        &fit,
        text.replace(
            "  \"Free email\"",
            "  \"Big company\": company.employees > 1000 -> +4\n  \"Free email\"",
        ),
    )
    .unwrap();

    let bin_dir = Path::new(env!("CARGO_BIN_EXE_leadscore")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for step in steps {
        let out = Command::new("bash")
            .args(["-c", step])
            .current_dir(p)
            .env("PATH", &path)
            .env("MODEL", "rules/b2b")
            .env("LEADS", "data/b2b-leads.jsonl")
            .env("GITHUB_BASE_REF", "main")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{step}` failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let junit = std::fs::read_to_string(p.join("leadscore-tests.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).expect("JUnit output is XML");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, 7);
    let impact = std::fs::read_to_string(p.join("impact.md")).unwrap();
    assert!(impact.contains("| Big company | 0 | 14 |"), "{impact}");
}

#[test]
fn a_broken_expectation_fails_with_a_clear_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root.join("rules/b2b"), dir.path());
    let tests = dir.path().join("40-tests.rules");
    let text = std::fs::read_to_string(&tests).unwrap();
    std::fs::write(
        &tests,
        text.replacen("expect score 41", "expect score 45", 1),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(["test"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAILED a VP who came back to pricing is an MQL"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expect score 45")
            && stdout.contains("expected: 45.0")
            && stdout.contains("actual:   41.0"),
        "{stdout}"
    );
    let line = text
        .lines()
        .position(|l| l.contains("expect score 41"))
        .unwrap()
        + 1;
    assert!(
        stdout.contains(&format!("40-tests.rules:{line})")),
        "{stdout}"
    );
    let junit = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(["test", "--format", "junit"])
        .arg(dir.path())
        .output()
        .unwrap();
    let xml = String::from_utf8_lossy(&junit.stdout);
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure element");
    assert_eq!(failure.attribute("message"), Some("expect score 45"));
}
