//! Explanations as text for a terminal, markdown for a CRM note, or JSON.

use super::{Explanation, RuleNote};
use crate::io::output::id_text;

fn points(v: f64) -> String {
    let s = crate::num::format_cents((v * 100.0).round() as i64);
    if v >= 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

fn total(v: f64) -> String {
    crate::num::format_cents((v * 100.0).round() as i64)
}

/// The adjustments a rule went through: `each`, `max`, decay.
fn adjustments(r: &RuleNote) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = r.each_count {
        out.push(format!(
            "each: {n} event{} × {}",
            if n == 1 { "" } else { "s" },
            r.points
        ));
    }
    if let Some(cap) = &r.capped_at {
        out.push(format!("capped at {cap}"));
    }
    if let Some(d) = &r.decay {
        if d.periods > 0 {
            out.push(format!(
                "decay {} every {} days: newest counted event {} days old → {} period{} → ×{}",
                d.percent,
                d.every_days,
                d.age_days,
                d.periods,
                if d.periods == 1 { "" } else { "s" },
                (d.factor * 1e6).round() / 1e6
            ));
        }
    }
    out
}

fn headline(e: &Explanation) -> String {
    let id = id_text(&e.id);
    let who = if id.is_empty() {
        "Lead".to_string()
    } else {
        format!("Lead {id}")
    };
    format!(
        "{who}: score {}, stage {}  (as of {})",
        total(e.score),
        e.stage,
        e.as_of
    )
}

pub fn text(e: &Explanation) -> String {
    let mut out = headline(e);
    out.push('\n');
    if let Some(by) = &e.score_clamped_by {
        out.push_str(&format!(
            "  the groups add up to {}; {by} applies\n",
            total(e.score_sum)
        ));
    }
    for d in &e.disqualified {
        out.push_str(&format!("\nDisqualified: {}  ({})\n", d.reason, d.location));
        for b in &d.because {
            out.push_str(&format!("    because {b}\n"));
        }
    }
    if let Some(s) = &e.stage_without_disqualification {
        out.push_str(&format!(
            "  without disqualification the stage would be {s}\n"
        ));
    }
    for g in &e.groups {
        let clamp = match &g.clamped_by {
            Some(by) => format!("  (rules add up to {}; {by} applies)", total(g.sum)),
            None => String::new(),
        };
        out.push_str(&format!("\n{} {}{clamp}\n", g.name, total(g.total)));
        if g.rules.is_empty() {
            out.push_str("  no rule fired\n");
        }
        for r in &g.rules {
            rule_text(&mut out, r);
        }
    }
    if !e.not_fired.is_empty() {
        out.push_str("\nRules that did not fire:\n");
        for r in &e.not_fired {
            out.push_str(&format!("  {}  ({})\n", r.id, r.location));
            for b in &r.because {
                out.push_str(&format!("      fails: {b}\n"));
            }
        }
    }
    out.push('\n');
    if e.stage_because.is_empty() {
        out.push_str(&format!("Stage {}\n", e.stage));
    } else {
        out.push_str(&format!(
            "Stage {} because {}\n",
            e.stage,
            e.stage_because.join(" and ")
        ));
    }
    for s in &e.higher_stages {
        out.push_str(&format!(
            "  {} needs {}  ({})\n",
            s.stage,
            s.needs.join(" and "),
            s.location
        ));
    }
    if !e.data_errors.is_empty() {
        out.push_str("\nData problems (treated as missing):\n");
        for d in &e.data_errors {
            out.push_str(&format!("  {d}\n"));
        }
    }
    if !e.spelt_otherwise.is_empty() {
        out.push_str("\nNames the rules read that this lead spells otherwise:\n");
        for d in &e.spelt_otherwise {
            out.push_str(&format!("  {d}\n"));
        }
    }
    out
}

fn rule_text(out: &mut String, r: &RuleNote) {
    out.push_str(&format!(
        "  {:>7}  {}  ({})\n",
        points(r.contribution),
        r.id,
        r.location
    ));
    for b in &r.because {
        out.push_str(&format!("           because {b}\n"));
    }
    for a in adjustments(r) {
        out.push_str(&format!("           {a}\n"));
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('*', "\\*")
        .replace('_', "\\_")
}

pub fn markdown(e: &Explanation) -> String {
    let id = id_text(&e.id);
    let mut out = format!(
        "### Lead {}: **{}** with score **{}**\n\n_as of {}_\n",
        md_escape(&id),
        md_escape(&e.stage),
        total(e.score),
        e.as_of
    );
    if let Some(by) = &e.score_clamped_by {
        out.push_str(&format!(
            "\nThe groups add up to {}; `{by}` applies.\n",
            total(e.score_sum)
        ));
    }
    if !e.disqualified.is_empty() {
        out.push_str("\n**Disqualified**\n\n");
        for d in &e.disqualified {
            out.push_str(&format!(
                "- {} — because {}\n",
                md_escape(&d.reason),
                d.because
                    .iter()
                    .map(|b| format!("`{b}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(s) = &e.stage_without_disqualification {
            out.push_str(&format!(
                "\nWithout disqualification the stage would be **{}**.\n",
                md_escape(s)
            ));
        }
    }
    out.push_str("\n| group | points | rule | because |\n|---|---:|---|---|\n");
    for g in &e.groups {
        let clamp = g
            .clamped_by
            .as_ref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "| **{}** | **{}**{} | | |\n",
            md_escape(&g.name),
            total(g.total),
            clamp
        ));
        for r in &g.rules {
            let mut why: Vec<String> = r.because.iter().map(|b| format!("`{b}`")).collect();
            why.extend(adjustments(r).into_iter().map(|a| format!("_{a}_")));
            out.push_str(&format!(
                "| | {} | {} | {} |\n",
                points(r.contribution),
                md_escape(&r.id),
                why.join("<br>")
            ));
        }
    }
    if !e.not_fired.is_empty() {
        out.push_str("\n**Rules that did not fire**\n\n");
        for r in &e.not_fired {
            out.push_str(&format!(
                "- {} — fails: {}\n",
                md_escape(&r.id),
                r.because
                    .iter()
                    .map(|b| format!("`{b}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if !e.stage_because.is_empty() {
        out.push_str(&format!(
            "\n**{}** because {}\n",
            md_escape(&e.stage),
            e.stage_because
                .iter()
                .map(|b| format!("`{b}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    if !e.higher_stages.is_empty() {
        out.push_str("\n**To reach a higher stage**\n\n");
        for s in &e.higher_stages {
            out.push_str(&format!(
                "- **{}** needs {}\n",
                md_escape(&s.stage),
                s.needs
                    .iter()
                    .map(|b| format!("`{b}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
    }
    if !e.data_errors.is_empty() {
        out.push_str("\n**Data problems** (treated as missing)\n\n");
        for d in &e.data_errors {
            out.push_str(&format!("- {d}\n"));
        }
    }
    if !e.spelt_otherwise.is_empty() {
        out.push_str("\n**Names the rules read that this lead spells otherwise**\n\n");
        for d in &e.spelt_otherwise {
            out.push_str(&format!("- {d}\n"));
        }
    }
    out
}

pub fn json(e: &Explanation) -> String {
    serde_json::to_string_pretty(e).unwrap_or_default() + "\n"
}
