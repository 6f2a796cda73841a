//! `leadscore backtest`: the model against real outcomes.

use super::exit;
use super::model_cmds::load_model;
use super::score_cmd::{
    as_of, each_record, each_record_reporting, load_events, memory_budget, open_input, readable,
};
use super::value_errors::ValueErrors;
use leadscore::backtest::outcomes::{self, OutcomeReader};
use leadscore::backtest::{outcome_from, render, Backtest, Options};
use leadscore::io::fold::fold_jsonl;
use leadscore::io::input::Format;
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
    // Standard input is kept in a file first: the size of the outcomes sets
    // how many parts a spill uses.
    let (outcomes_source, _outcomes_spool) = match readable(&a.outcomes, true) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let outcome_input = match open_input(&outcomes_source) {
        Ok(i) => i,
        Err(code) => return code,
    };
    // Read record by record: only the table is kept, in memory up to a
    // budget and past it in temporary files (see `backtest::outcomes`).
    let budget = match memory_budget("LEADSCORE_OUTCOMES_MEMORY", outcomes::DEFAULT_BUDGET) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let size = std::fs::metadata(&outcomes_source).ok().map(|m| m.len());
    let mut table = OutcomeReader::new(budget, size);
    let mut spill_error = None;
    let mut errors = Vec::new();
    let read = each_record(
        &a.outcomes,
        outcome_input,
        None,
        &[],
        &[],
        |line, v| match outcome_from(line, &v) {
            Ok((id, outcome)) => {
                if let Err(e) = table.add(id, outcome) {
                    spill_error.get_or_insert(e);
                }
            }
            Err(e) => errors.push(e),
        },
    );
    bad += match read {
        Ok(n) => n,
        Err(code) => return code,
    };
    let cant_spill = |e: std::io::Error| {
        eprintln!(
            "error: can't keep the outcomes of `{}` in temporary files: {e}",
            a.outcomes
        );
        exit::USAGE
    };
    if let Some(e) = spill_error {
        return cant_spill(e);
    }
    let mut outcomes = match table.finish() {
        Ok(o) => o,
        Err(e) => return cant_spill(e),
    };
    for e in &errors {
        eprintln!(
            "data error in `{}`: line {}: {}",
            a.outcomes, e.line, e.message
        );
    }
    bad += errors.len() as u64;
    let undated = match outcomes.undated() {
        Ok(n) => n,
        Err(e) => return cant_spill(e),
    };
    if undated > 0 && as_of.is_none() {
        eprintln!(
            "error: {undated} outcome{} no `scored_at`; give `--as-of TIME` to score those leads as of one time",
            if undated == 1 { " has" } else { "s have" }
        );
        return exit::USAGE;
    }
    let passes = outcomes.passes();
    // With outcomes spilled the leads are read once per pass, so standard
    // input is kept in a file.
    let (source, _spool) = match readable(&a.leads, passes >= 2) {
        Ok(r) => r,
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
    let events = match load_events(a.events.as_deref(), false) {
        Ok((events, bad_events)) => {
            bad += bad_events;
            events
        }
        Err(code) => return code,
    };
    let mut bt = Backtest::new(&model, Default::default(), opts);
    let mut unreadable = ValueErrors::new(&a.leads);
    let by_record = matches!(
        (Format::guess(&a.leads), &events),
        (_, Some(_)) | (Format::Csv, None)
    );
    let mut total = bt.counts();
    // Bad lines and unreadable values are reported by the first pass only:
    // every pass reads the same leads.
    for pass in 0..passes {
        match outcomes.pass(pass) {
            Ok(table) => bt.start_pass(pass, passes, table),
            Err(e) => return cant_spill(e),
        }
        let leads_input = match open_input(&source) {
            Ok(i) => i,
            Err(code) => return code,
        };
        if by_record {
            // Leads joined to events, and CSV leads, one record at a time.
            let mut errors = Vec::new();
            let models = [&model];
            let read = each_record_reporting(
                &a.leads,
                leads_input,
                events.as_ref(),
                &models,
                &key,
                pass == 0,
                |line, lead| {
                    // Every outcome has a time, or --as-of was given: checked above.
                    let _ = bt.add(&lead, line, &mut errors);
                    if pass == 0 {
                        unreadable.report(&mut errors);
                    }
                    errors.clear();
                },
            );
            match read {
                Ok(n) if pass == 0 => bad += n,
                Ok(_) => {}
                Err(code) => return code,
            }
        } else {
            // JSON Lines are read on all threads, as `score` reads them.
            let counting = &bt;
            let read = fold_jsonl(
                leads_input,
                &[bt.model()],
                &key,
                by.as_deref(),
                || counting.counts(),
                |counts, leads| counting.add_leads(counts, leads[0]),
                |counts, notes| {
                    counting.merge(&mut total, counts);
                    if pass == 0 {
                        bad += unreadable.notes(notes);
                    }
                },
            );
            if let Err(e) = read {
                eprintln!("error: can't read `{}`: {e}", a.leads);
                return exit::USAGE;
            }
        }
    }
    let report = if by_record {
        bt.finish()
    } else {
        bt.report(total)
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
