//! `leadscore backtest`: the model against real outcomes.

use super::exit;
use super::model_cmds::load_model;
use super::score_cmd::{as_of, each_record, load_events, open_input};
use super::value_errors::ValueErrors;
use leadscore::backtest::{outcome_from, render, Backtest, Options};
use leadscore::io::fold::fold_jsonl;
use leadscore::io::input::Format;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum BacktestFormat {
    Human,
    Json,
    Markdown,
    Html,
}

pub struct BacktestArgs {
    pub model: PathBuf,
    pub leads: String,
    pub outcomes: String,
    pub as_of: Option<String>,
    pub key: String,
    pub by: Option<String>,
    pub format: BacktestFormat,
    pub output: Option<PathBuf>,
    pub min_leads: u64,
    /// Events to join to the leads by `lead_id` (CSV leads carry none).
    pub events: Option<String>,
}

pub fn run(a: BacktestArgs) -> i32 {
    let model = match load_model(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let as_of = match a.as_of.as_deref().map(|t| as_of(Some(t))).transpose() {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut bad = 0u64;
    let outcome_input = match open_input(&a.outcomes) {
        Ok(i) => i,
        Err(code) => return code,
    };
    // Read record by record: only the table is kept.
    let mut outcomes = HashMap::new();
    let mut errors = Vec::new();
    let read = each_record(
        &a.outcomes,
        outcome_input,
        None,
        &[],
        &[],
        |line, v| match outcome_from(line, &v) {
            Ok((id, outcome)) => {
                outcomes.insert(id, outcome);
            }
            Err(e) => errors.push(e),
        },
    );
    bad += match read {
        Ok(n) => n,
        Err(code) => return code,
    };
    for e in &errors {
        eprintln!(
            "data error in `{}`: line {}: {}",
            a.outcomes, e.line, e.message
        );
    }
    bad += errors.len() as u64;
    let undated = outcomes.values().filter(|o| o.scored_at.is_none()).count();
    if undated > 0 && as_of.is_none() {
        eprintln!(
            "error: {undated} outcome{} no `scored_at`; give `--as-of TIME` to score those leads as of one time",
            if undated == 1 { " has" } else { "s have" }
        );
        return exit::USAGE;
    }
    let leads_input = match open_input(&a.leads) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let key: Vec<String> = a.key.split('.').map(str::to_string).collect();
    let by: Option<Vec<String>> =
        a.by.as_ref()
            .map(|b| b.split('.').map(str::to_string).collect());
    let opts = Options {
        as_of,
        key: key.clone(),
        by: by.clone(),
        min_leads: a.min_leads,
    };
    let events = match load_events(a.events.as_deref()) {
        Ok((events, bad_events)) => {
            bad += bad_events;
            events
        }
        Err(code) => return code,
    };
    let mut bt = Backtest::new(&model, outcomes, opts);
    let mut unreadable = ValueErrors::new(&a.leads);
    let report = match (Format::guess(&a.leads), &events) {
        // Leads joined to events, and CSV leads, one record at a time.
        (_, Some(_)) | (Format::Csv, None) => {
            let mut errors = Vec::new();
            let models = [&model];
            bad += match each_record(
                &a.leads,
                leads_input,
                events.as_ref(),
                &models,
                &key,
                |line, lead| {
                    // Every outcome has a time, or --as-of was given: checked above.
                    let _ = bt.add(&lead, line, &mut errors);
                    unreadable.report(&mut errors);
                },
            ) {
                Ok(n) => n,
                Err(code) => return code,
            };
            bt.finish()
        }
        // JSON Lines are read on all threads, as `score` reads them.
        (Format::Jsonl, None) => {
            let counting = &bt;
            let mut total = bt.counts();
            let read = fold_jsonl(
                leads_input,
                &[bt.model()],
                &key,
                by.as_deref(),
                || counting.counts(),
                |counts, leads| counting.add_leads(counts, leads[0]),
                |counts, notes| {
                    counting.merge(&mut total, counts);
                    bad += unreadable.notes(notes);
                },
            );
            if let Err(e) = read {
                eprintln!("error: can't read `{}`: {e}", a.leads);
                return exit::USAGE;
            }
            bt.report(total)
        }
    };
    let value_errors = unreadable.finish();
    let text = match a.format {
        BacktestFormat::Human => render::human(&report),
        BacktestFormat::Json => render::json(&report),
        BacktestFormat::Markdown => render::markdown(&report),
        BacktestFormat::Html => render::html(&report),
    };
    match &a.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, text) {
                eprintln!("error: can't write `{}`: {e}", p.display());
                return exit::USAGE;
            }
        }
        None => print!("{text}"),
    }
    if bad > 0 {
        eprintln!("{bad} bad line{} skipped", if bad == 1 { "" } else { "s" });
    }
    if bad > 0 || value_errors > 0 {
        return exit::DATA;
    }
    exit::OK
}
