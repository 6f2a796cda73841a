//! `leadscore test`: run the model's `test` blocks and report coverage.

use super::{exit, model_cmds::load_model};
use leadscore::testing::{self, Coverage, TestResult};
use std::path::Path;

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum TestFormat {
    Human,
    Json,
    Junit,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

pub fn human(results: &[TestResult], coverage: &Coverage) -> String {
    let mut out = String::new();
    for r in results {
        if r.passed() {
            out.push_str(&format!("ok     {}\n", r.name));
        } else {
            out.push_str(&format!(
                "FAILED {}  ({}:{})\n",
                r.name, r.location.file, r.location.line
            ));
            for f in &r.failures {
                out.push_str(&format!(
                    "         {}  ({}:{})\n           expected: {}\n           actual:   {}\n",
                    f.expectation, f.location.file, f.location.line, f.expected, f.actual
                ));
                for w in &f.why {
                    out.push_str(&format!("             | {w}\n"));
                }
            }
        }
    }
    let failed = results.iter().filter(|r| !r.passed()).count();
    out.push_str(&format!(
        "\ncoverage: {} of {} rules fired in some test ({:.1}%)\n",
        coverage.rules_fired,
        coverage.rules_total,
        coverage.percent()
    ));
    for (title, items) in [
        ("rules no test made fire", &coverage.rules_never_fired),
        ("stages no test reached", &coverage.stages_never_reached),
        (
            "disqualifiers no test triggered",
            &coverage.disqualifiers_never_triggered,
        ),
    ] {
        if !items.is_empty() {
            out.push_str(&format!("  {title}:\n"));
            for i in items {
                out.push_str(&format!("    - {i}\n"));
            }
        }
    }
    out.push_str(&format!(
        "\n{} passed, {} failed\n",
        results.len() - failed,
        failed
    ));
    out
}

pub fn junit(results: &[TestResult]) -> String {
    let failed = results.iter().filter(|r| !r.passed()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{}\" failures=\"{failed}\">\n  <testsuite name=\"leadscore\" tests=\"{}\" failures=\"{failed}\">\n",
        results.len(),
        results.len()
    );
    for r in results {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
            xml_escape(&r.name),
            xml_escape(&r.location.file),
            xml_escape(&r.location.file),
            r.location.line
        ));
        if r.passed() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        for f in &r.failures {
            out.push_str(&format!(
                "      <failure message=\"{}\">{}:{}: expected {}, actual {}</failure>\n",
                xml_escape(&f.expectation),
                xml_escape(&f.location.file),
                f.location.line,
                xml_escape(&f.expected),
                xml_escape(&f.actual)
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

pub fn run(
    model: &Path,
    format: TestFormat,
    min_coverage: Option<f64>,
    filter: Option<&str>,
) -> i32 {
    let model = match load_model(model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let (results, coverage) = testing::run(&model, filter);
    match format {
        TestFormat::Human => print!("{}", human(&results, &coverage)),
        TestFormat::Json => {
            let v = serde_json::json!({
                "tests": results,
                "passed": results.iter().filter(|r| r.passed()).count(),
                "failed": results.iter().filter(|r| !r.passed()).count(),
                "coverage": coverage,
                "coverage_percent": coverage.percent(),
            });
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        TestFormat::Junit => print!("{}", junit(&results)),
    }
    let failed = results.iter().any(|r| !r.passed());
    let below = min_coverage.is_some_and(|p| coverage.percent() + 1e-9 < p);
    if below {
        eprintln!(
            "coverage {:.1}% is below --min-coverage {}%",
            coverage.percent(),
            min_coverage.unwrap_or(0.0)
        );
    }
    if failed || below {
        exit::MODEL
    } else {
        exit::OK
    }
}
