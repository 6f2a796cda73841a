//! Backtest reports: text, markdown, JSON, and one self-contained HTML file
//! with its charts drawn as inline SVG.

use super::{Report, RuleStats};

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn lift(l: Option<f64>) -> String {
    l.map(|l| format!("{l:.2}×")).unwrap_or_else(|| "—".into())
}

fn flags(r: &RuleStats) -> String {
    r.flags
        .iter()
        .map(|f| match *f {
            "sign_disagrees" => "⚠ points and lift disagree",
            "too_rare" => "too rare to judge",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn ordered_stages(r: &Report) -> Vec<(&String, &super::StageStats)> {
    r.stage_order
        .iter()
        .filter_map(|s| r.stages.get(s).map(|st| (s, st)))
        .collect()
}

fn ordered_rules(r: &Report) -> Vec<(&String, &RuleStats)> {
    r.rule_order
        .iter()
        .filter_map(|id| r.rules.get(id).map(|s| (id, s)))
        .collect()
}

pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default() + "\n"
}

pub fn human(r: &Report) -> String {
    let mut out = format!(
        "{} leads read, {} with an outcome ({} without, left out of rates); {} converted ({})\n",
        r.leads,
        r.with_outcome,
        r.without_outcome,
        r.converted,
        pct(r.rate)
    );
    out.push_str(&format!(
        "ROC AUC of the score: {}\n",
        r.auc
            .map(|a| format!("{a:.3}"))
            .unwrap_or_else(|| "— (needs both outcomes)".into())
    ));
    out.push_str("\nconversion by stage (95% Wilson interval)\n");
    for (s, st) in ordered_stages(r) {
        out.push_str(&format!(
            "  {s:<14} {:>6} leads  {:>5} converted  {:>6}  [{} – {}]\n",
            st.leads,
            st.converted,
            pct(st.rate),
            pct(st.ci_low),
            pct(st.ci_high)
        ));
    }
    out.push_str("\n\"stage at least S\" as a prediction of conversion\n");
    for a in &r.stage_at_least {
        out.push_str(&format!(
            "  {:<14} {:>6} leads  precision {:>6}  recall {:>6}\n",
            a.stage,
            a.leads,
            pct(a.precision),
            pct(a.recall)
        ));
    }
    if let Some(t) = &r.best_threshold {
        out.push_str(&format!(
            "  hint: score >= {} gives the best F1 ({:.2}: precision {}, recall {})\n",
            t.score,
            t.f1,
            pct(t.precision),
            pct(t.recall)
        ));
    }
    out.push_str("\nconversion by score decile\n");
    for d in &r.deciles {
        out.push_str(&format!(
            "  {:>2}  scores {:>6} – {:<6} {:>6} leads  {:>6}\n",
            d.decile,
            d.min_score,
            d.max_score,
            d.leads,
            pct(d.rate)
        ));
    }
    out.push_str("\nrules: conversion when fired vs not\n");
    for (id, s) in ordered_rules(r) {
        out.push_str(&format!(
            "  {:>+7}  {:<34} fired {:>6}  {:>6} vs {:>6}  lift {:>6}  {}\n",
            s.points,
            id,
            s.fired,
            pct(s.rate_when_fired),
            pct(s.rate_when_not_fired),
            lift(s.lift),
            flags(s)
        ));
    }
    if let Some(field) = &r.by_field {
        out.push_str(&format!("\nconversion by {field}\n"));
        for (v, seg) in &r.by {
            out.push_str(&format!(
                "  {v:<20} {:>6} leads  {:>5} converted  {:>6}\n",
                seg.leads,
                seg.converted,
                pct(seg.rate)
            ));
        }
    }
    out
}

fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn markdown(r: &Report) -> String {
    let mut out = format!(
        "## Backtest\n\n{} leads, {} with an outcome, **{}** converted ({}). ROC AUC of the score: **{}**.\n\n",
        r.leads,
        r.with_outcome,
        r.converted,
        pct(r.rate),
        r.auc.map(|a| format!("{a:.3}")).unwrap_or_else(|| "—".into())
    );
    out.push_str("### Conversion by stage\n\n| stage | leads | converted | rate | 95% interval | precision of \"at least\" | recall of \"at least\" |\n|---|---:|---:|---:|---|---:|---:|\n");
    for (s, st) in ordered_stages(r) {
        let at = r.stage_at_least.iter().find(|a| &a.stage == s);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} – {} | {} | {} |\n",
            md(s),
            st.leads,
            st.converted,
            pct(st.rate),
            pct(st.ci_low),
            pct(st.ci_high),
            at.map(|a| pct(a.precision)).unwrap_or_default(),
            at.map(|a| pct(a.recall)).unwrap_or_default()
        ));
    }
    if let Some(t) = &r.best_threshold {
        out.push_str(&format!(
            "\nHint: `score >= {}` would give the best F1 ({:.2}).\n",
            t.score, t.f1
        ));
    }
    out.push_str("\n### Conversion by score decile\n\n| decile | scores | leads | rate |\n|---:|---|---:|---:|\n");
    for d in &r.deciles {
        out.push_str(&format!(
            "| {} | {} – {} | {} | {} |\n",
            d.decile,
            d.min_score,
            d.max_score,
            d.leads,
            pct(d.rate)
        ));
    }
    out.push_str("\n### Rules\n\n| rule | points | fired | rate when fired | rate when not | lift | flag |\n|---|---:|---:|---:|---:|---:|---|\n");
    for (id, s) in ordered_rules(r) {
        out.push_str(&format!(
            "| {} | {:+} | {} | {} | {} | {} | {} |\n",
            md(id),
            s.points,
            s.fired,
            pct(s.rate_when_fired),
            pct(s.rate_when_not_fired),
            lift(s.lift),
            flags(s)
        ));
    }
    if let Some(field) = &r.by_field {
        out.push_str(&format!(
            "\n### Conversion by {}\n\n| {} | leads | converted | rate |\n|---|---:|---:|---:|\n",
            md(field),
            md(field)
        ));
        for (v, seg) in &r.by {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                md(v),
                seg.leads,
                seg.converted,
                pct(seg.rate)
            ));
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart: one bar per (label, value in 0..=max, caption).
fn bars(title: &str, rows: &[(String, f64, String)], max: f64) -> String {
    let row_h = 26.0;
    let (label_w, bar_w) = (240.0, 420.0);
    let h = 30.0 + row_h * rows.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{h}\" role=\"img\" aria-label=\"{}\"><text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        label_w + bar_w + 120.0,
        esc(title),
        esc(title)
    );
    for (i, (label, value, caption)) in rows.iter().enumerate() {
        let y = 28.0 + row_h * i as f64;
        let w = if max > 0.0 {
            (value / max).clamp(0.0, 1.0) * bar_w
        } else {
            0.0
        };
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text><rect x=\"{}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#3b6ea8\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            esc(label),
            label_w,
            row_h - 6.0,
            label_w + w + 6.0,
            y + 15.0,
            esc(caption)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// One self-contained page: no scripts, no network.
pub fn html(r: &Report) -> String {
    let stages: Vec<(String, f64, String)> = ordered_stages(r)
        .iter()
        .map(|(s, st)| {
            (
                (*s).clone(),
                st.rate,
                format!("{} of {} ({})", st.converted, st.leads, pct(st.rate)),
            )
        })
        .collect();
    let max_rate = stages.iter().map(|s| s.1).fold(0.0, f64::max);
    let deciles: Vec<(String, f64, String)> = r
        .deciles
        .iter()
        .map(|d| {
            (
                format!("{} ({} – {})", d.decile, d.min_score, d.max_score),
                d.rate,
                pct(d.rate),
            )
        })
        .collect();
    let max_decile = deciles.iter().map(|d| d.1).fold(0.0, f64::max);
    let rules: Vec<(String, f64, String)> = ordered_rules(r)
        .iter()
        .map(|(id, s)| {
            (
                (*id).clone(),
                s.lift.unwrap_or(0.0),
                format!("{} {}", lift(s.lift), flags(s)),
            )
        })
        .collect();
    let max_lift = rules.iter().map(|x| x.1).fold(1.0, f64::max);
    let mut rule_rows = String::new();
    for (id, s) in ordered_rules(r) {
        let class = if s.flags.contains(&"sign_disagrees") {
            " class=\"flag\""
        } else {
            ""
        };
        rule_rows.push_str(&format!(
            "<tr{class}><td>{}</td><td>{:+}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(id),
            s.points,
            s.fired,
            pct(s.rate_when_fired),
            pct(s.rate_when_not_fired),
            lift(s.lift),
            esc(&flags(s))
        ));
    }
    let mut by = String::new();
    if let Some(field) = &r.by_field {
        by.push_str(&format!("<h2>Conversion by {}</h2><table><tr><th>{}</th><th>leads</th><th>converted</th><th>rate</th></tr>", esc(field), esc(field)));
        for (v, seg) in &r.by {
            by.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(v),
                seg.leads,
                seg.converted,
                pct(seg.rate)
            ));
        }
        by.push_str("</table>");
    }
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/><title>leadscore backtest</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:right}}td:first-child,th:first-child{{text-align:left}}tr.flag{{background:#fde8e8}}</style></head><body>\
<h1>Backtest</h1><p>{} leads, {} with an outcome, <b>{}</b> converted ({}). ROC AUC of the score: <b>{}</b>.{}</p>\
<h2>Stage funnel</h2>{}<h2>Conversion by score decile</h2>{}<h2>Rules</h2>{}\
<table><tr><th>rule</th><th>points</th><th>fired</th><th>rate when fired</th><th>rate when not</th><th>lift</th><th>flag</th></tr>{}</table>{}</body></html>\n",
        r.leads,
        r.with_outcome,
        r.converted,
        pct(r.rate),
        r.auc.map(|a| format!("{a:.3}")).unwrap_or_else(|| "—".into()),
        r.best_threshold.as_ref().map(|t| format!(" Hint: <code>score &gt;= {}</code> gives the best F1 ({:.2}).", t.score, t.f1)).unwrap_or_default(),
        bars("Conversion rate by stage", &stages, max_rate),
        bars("Conversion rate by score decile (lowest scores first)", &deciles, max_decile),
        bars("Lift: conversion when the rule fires ÷ when it does not", &rules, max_lift),
        rule_rows,
        by
    )
}
