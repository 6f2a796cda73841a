//! `test` blocks: `as of` and `lead` present, the lead's JSON valid, and
//! every expectation naming something that exists.

use super::decls::Declarations;
use super::{Model, TestCase};
use crate::ast::{self, Expectation, Item, TestStmt};
use crate::diag::{did_you_mean, suggest, Code, Diagnostic};
use crate::source::Span;

/// Byte offset of a 1-based line and column (in characters) within `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col: usize = l
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return (offset + col).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

pub(super) fn check_tests(
    cx: &mut Declarations,
    model: &Model,
    files: &[ast::File],
) -> Vec<TestCase> {
    let mut cases = Vec::new();
    for file in files {
        for item in &file.items {
            let Item::Test(t) = &item.node else { continue };
            let mut as_of = None;
            let mut lead = None;
            let mut expectations = Vec::new();
            for stmt in &t.stmts {
                match &stmt.node {
                    TestStmt::AsOf(time) => as_of = Some(time.micros),
                    TestStmt::Lead(crate::ast::Node { node: json, span }) => {
                        let json_start = span.start as usize;
                        match serde_json::from_str::<serde_json::Value>(json) {
                            Ok(value) => lead = Some(value),
                            Err(e) => {
                                let at = json_start + offset_of(json, e.line(), e.column());
                                let message = e.to_string();
                                let message = message
                                    .split(" at line")
                                    .next()
                                    .unwrap_or(&message)
                                    .to_string();
                                cx.diagnostics.push(
                                    Diagnostic::new(
                                        Code::TestBadJson,
                                        format!("the test lead is not valid JSON: {message}"),
                                        Span::new(stmt.span.file, at, (at + 1).min(stmt.span.end as usize)),
                                        "here",
                                    )
                                    .help("write the lead as one JSON object: keys and strings in double quotes, items separated by commas, no trailing comma"),
                                );
                            }
                        }
                    }
                    TestStmt::Expect(e) => {
                        check_expectation(cx, model, e, stmt.span);
                        expectations.push(ast::Node::new(e.clone(), stmt.span));
                    }
                }
            }
            let Some(as_of) = as_of else {
                cx.diagnostics.push(
                    Diagnostic::new(Code::TestAsOf, format!("the test `{}` has no `as of` time", t.name.node), t.name.span, "this test")
                        .help("tests must say when they are scored, so they give the same answer every day: add `as of 2026-11-01`"),
                );
                continue;
            };
            let Some(lead) = lead else {
                if !t.stmts.iter().any(|s| matches!(s.node, TestStmt::Lead(_))) {
                    cx.diagnostics.push(
                        Diagnostic::new(Code::TestLead, format!("the test `{}` has no `lead`", t.name.node), t.name.span, "this test")
                            .help("add the lead to score as a JSON object: `lead {\"id\": \"t1\", \"title\": \"CEO\"}`"),
                    );
                }
                continue;
            };
            cases.push(TestCase {
                name: t.name.node.clone(),
                span: item.span,
                as_of,
                lead,
                expectations,
            });
        }
    }
    cases
}

fn check_expectation(cx: &mut Declarations, model: &Model, e: &Expectation, stmt: Span) {
    match e {
        Expectation::Stage(name) => {
            let mut stages: Vec<&str> = cx.stages.iter().map(|(n, _)| n.as_str()).collect();
            if let Some((o, _)) = &cx.otherwise {
                stages.push(o);
            }
            stages.push("disqualified");
            if cx.otherwise.is_none() {
                stages.push("none");
            }
            if !stages.contains(&name.node.as_str()) {
                let help = did_you_mean(
                    suggest(&name.node, stages.iter().copied()),
                    format!(
                        "the stages are {}",
                        stages
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                cx.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownStage,
                        format!("unknown stage `{}`", name.node),
                        name.span,
                        "no stage of this name",
                    )
                    .help(help),
                );
            }
        }
        Expectation::Group(name, _) => {
            if model.group_by_name(&name.node).is_none() {
                let names: Vec<&str> = model.groups.iter().map(|g| g.name.as_str()).collect();
                let help = did_you_mean(
                    suggest(&name.node, names.iter().copied()),
                    format!(
                        "the groups are {}",
                        names
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                cx.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownGroup,
                        format!("unknown group `{}`", name.node),
                        name.span,
                        "no group of this name",
                    )
                    .help(help),
                );
            }
        }
        Expectation::Fired(id) | Expectation::NotFired(id) => {
            if !cx.rule_ids.iter().any(|(r, _)| *r == id.node) {
                let help = did_you_mean(
                    suggest(&id.node, cx.rule_ids.iter().map(|(r, _)| r.as_str())),
                    "name a rule by its label, or, for a rule without one, by its condition as `leadscore fmt` prints it",
                );
                cx.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownRule,
                        format!("no rule has the id `{}`", id.node),
                        id.span,
                        "unknown rule id",
                    )
                    .help(help),
                );
            }
        }
        Expectation::Disqualified(Some(reason)) => {
            if !cx.reasons.iter().any(|(r, _)| *r == reason.node) {
                let help = did_you_mean(
                    suggest(&reason.node, cx.reasons.iter().map(|(r, _)| r.as_str())),
                    "name a reason given in a `disqualify \"REASON\" when …` line",
                );
                cx.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownName,
                        format!("no disqualifier has the reason `{}`", reason.node),
                        reason.span,
                        "unknown reason",
                    )
                    .help(help),
                );
            }
        }
        Expectation::Score(n) => {
            super::decls::cents(n, &mut cx.diagnostics);
        }
        Expectation::Disqualified(None) | Expectation::NotDisqualified => {}
    }
    let _ = stmt;
}
