//! One result per lead: the contract's JSON object, or a CSV row.

use crate::check::Model;
use crate::eval::Outcome;
use crate::num::format_cents;
use serde_json::Value as Json;

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `{"id": "L1", "score": 55.0, "stage": "MQL", "groups": {…}, "fired": […], "disqualified": […]}`
pub fn json_line(model: &Model, id: &Json, outcome: &Outcome) -> String {
    let mut s = String::with_capacity(256);
    s.push_str("{\"id\": ");
    s.push_str(&serde_json::to_string(id).unwrap_or_else(|_| "null".into()));
    s.push_str(", \"score\": ");
    s.push_str(&format_cents(outcome.score));
    s.push_str(", \"stage\": ");
    s.push_str(&json_string(outcome.stage_name(model)));
    s.push_str(", \"groups\": {");
    for (i, g) in model.groups.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&json_string(&g.name));
        s.push_str(": ");
        s.push_str(&format_cents(outcome.groups[i]));
    }
    s.push_str("}, \"fired\": [");
    for (i, id) in outcome.fired(model).iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&json_string(id));
    }
    s.push_str("], \"disqualified\": [");
    for (i, &d) in outcome.disqualified.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&json_string(&model.disqualifiers[d].reason));
    }
    s.push_str("]}");
    s
}

pub fn csv_header(model: &Model) -> Vec<String> {
    let mut h = vec!["id".to_string(), "score".into(), "stage".into()];
    h.extend(model.groups.iter().map(|g| g.name.clone()));
    h.push("fired".into());
    h.push("disqualified".into());
    h
}

/// The id as a plain cell: text without quotes, anything else as JSON.
pub fn id_text(id: &Json) -> String {
    match id {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn csv_row(model: &Model, id: &Json, outcome: &Outcome) -> Vec<String> {
    let mut row = vec![
        id_text(id),
        format_cents(outcome.score),
        outcome.stage_name(model).to_string(),
    ];
    row.extend(outcome.groups.iter().map(|&g| format_cents(g)));
    row.push(outcome.fired(model).join(";"));
    let reasons: Vec<&str> = outcome
        .disqualified
        .iter()
        .map(|&d| model.disqualifiers[d].reason.as_str())
        .collect();
    row.push(reasons.join(";"));
    row
}
