//! `fmt` round-trips: for every model in the repository and for generated
//! ones, `parse(fmt(x)) == parse(x)` (locations aside) and `fmt` is
//! idempotent.

mod support;

use leadscore::source::FileId;
use std::path::{Path, PathBuf};
use std::process::Command;

fn all_rule_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["rules", "tests/cases", "tests/diagnostics"] {
        out.extend(leadscore::load::rule_files(&root.join(dir)).unwrap());
    }
    out
}

fn round_trip(name: &str, text: &str) -> bool {
    let Ok(parsed) = leadscore::syntax::parse(FileId(0), text) else {
        return false;
    };
    let once = leadscore::fmt::format_file(text, &parsed);
    let reparsed = leadscore::syntax::parse(FileId(0), &once)
        .unwrap_or_else(|e| panic!("{name}: formatted text does not parse: {e:#?}\n{once}"));
    assert_eq!(
        parsed, reparsed,
        "{name}: formatting changed the meaning\n{once}"
    );
    let twice = leadscore::fmt::format_file(&once, &reparsed);
    assert_eq!(once, twice, "{name}: fmt is not idempotent");
    // Every comment survives.
    let comments = |t: &str| {
        t.lines()
            .filter(|l| l.contains('#') && !l.contains("\"#"))
            .count()
    };
    assert_eq!(
        comments(text),
        comments(&once),
        "{name}: comments were lost\n{once}"
    );
    true
}

#[test]
fn repository_models_round_trip() {
    let mut parsed = 0;
    for file in all_rule_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        if round_trip(&file.display().to_string(), &text) {
            parsed += 1;
        }
    }
    assert!(parsed >= 40, "only {parsed} files parsed");
}

#[test]
fn generated_models_round_trip() {
    for seed in 0..300 {
        let mut r = support::gen::Rng::new(seed);
        let text = support::gen::model(&mut r);
        assert!(
            round_trip(&format!("seed {seed}"), &text),
            "seed {seed} does not parse:\n{text}"
        );
    }
}

#[test]
fn messy_layout_is_normalised() {
    let src = "lead{title:text,budget:number}\n\n\n# fit\ngroup   fit   max 40{\n\"DM\" : title in [\"CEO\" ,\"CFO\"] → +15 # top\n  budget>=10k->+5}\nstage   SQL when score>=10 and (fit>5 or budget is known)\n";
    let parsed = leadscore::syntax::parse(FileId(0), src).unwrap();
    insta::assert_snapshot!(leadscore::fmt::format_file(src, &parsed), @r#"
    lead {
      title: text
      budget: number
    }

    # fit
    group fit max 40 {
      "DM": title in ["CEO", "CFO"] -> +15  # top
      budget >= 10k -> +5
    }

    stage SQL when score >= 10 and (fit > 5 or budget is known)
    "#);
}

#[test]
fn the_examples_are_formatted() {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args(["fmt", "--check", "rules", "tests/cases"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn fmt_check_lists_files_and_fails_and_fmt_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.rules");
    std::fs::write(&file, "lead {x: bool}\nx->+1\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_leadscore");
    let check = Command::new(bin)
        .args(["fmt", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("m.rules"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "lead {x: bool}\nx->+1\n",
        "--check must not write"
    );
    let stdout = Command::new(bin)
        .args(["fmt", "--stdout"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&stdout.stdout),
        "lead {\n  x: bool\n}\n\nx -> +1\n"
    );
    let write = Command::new(bin).arg("fmt").arg(&file).output().unwrap();
    assert!(write.status.success());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "lead {\n  x: bool\n}\n\nx -> +1\n"
    );
    let again = Command::new(bin)
        .args(["fmt", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
}
