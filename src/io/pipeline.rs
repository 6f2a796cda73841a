//! The scoring pipeline: records in, one result line per lead out, in input
//! order. Input is taken in batches that are evaluated on all threads, so
//! memory is bounded by the batch size, not the input size.

use crate::check::Model;
use crate::eval::{Evaluator, StageResult};
use crate::io::input::{attach_events, csv_records, parse_json_line, EventsById, Format, Record};
use crate::io::output;
use crate::io::record::{lead_from_json, DataError};
use rayon::prelude::*;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Json,
    Csv,
}

pub struct ScoreOptions<'a> {
    pub as_of: i64,
    pub key: Vec<String>,
    pub input: Format,
    pub output: OutputFormat,
    pub events: Option<&'a EventsById>,
    /// Stop at the first data error.
    pub strict: bool,
    pub batch: usize,
}

/// Counts for the summary printed after a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records read (lines that were not blank).
    pub read: u64,
    pub scored: u64,
    /// Lines skipped because they are not a lead (invalid JSON, bad CSV).
    pub rejected: u64,
    /// Leads per stage, in the order stages first appeared.
    pub stages: Vec<(String, u64)>,
    pub errors_by_kind: BTreeMap<&'static str, u64>,
    /// True when `strict` stopped the run early.
    pub stopped: bool,
}

impl Summary {
    pub fn data_errors(&self) -> u64 {
        self.errors_by_kind.values().sum()
    }

    fn count_stage(&mut self, stage: &str) {
        match self.stages.iter_mut().find(|(s, _)| s == stage) {
            Some((_, n)) => *n += 1,
            None => self.stages.push((stage.to_string(), 1)),
        }
    }
}

/// What one record became.
enum Done {
    Scored {
        line: String,
        stage: String,
        errors: Vec<DataError>,
    },
    Rejected {
        text: String,
        error: DataError,
    },
}

/// Receives what the run reports as it goes.
pub trait Sink {
    /// A data error (`rejected` holds the verbatim line when it was skipped).
    /// Return false to stop the run.
    fn data_error(&mut self, error: &DataError, rejected: Option<&str>) -> bool;
    /// After each batch: records read so far.
    fn progress(&mut self, _read: u64) {}
}

enum Raw {
    Text(u64, String),
    Value(u64, Json),
    Rejected(String, DataError),
}

fn process(model: &Model, ev: &Evaluator<'_>, opts: &ScoreOptions<'_>, raw: Raw) -> Done {
    let (line, mut value) = match raw {
        Raw::Rejected(text, error) => return Done::Rejected { text, error },
        Raw::Value(line, v) => (line, v),
        Raw::Text(line, text) => match parse_json_line(&text, line) {
            Ok(v) => (line, v),
            Err(error) => return Done::Rejected { text, error },
        },
    };
    if let Some(events) = opts.events {
        attach_events(model, &mut value, &opts.key, events);
    }
    let mut errors = Vec::new();
    let lead = lead_from_json(model, &value, &opts.key, line, &mut errors);
    let outcome = ev.evaluate(&lead, opts.as_of);
    let stage = match outcome.stage {
        StageResult::Disqualified => "disqualified".to_string(),
        _ => outcome.stage_name(model).to_string(),
    };
    let line = match opts.output {
        OutputFormat::Json => output::json_line(model, &lead.id, &outcome),
        OutputFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            let _ = w.write_record(output::csv_row(model, &lead.id, &outcome));
            String::from_utf8(w.into_inner().unwrap_or_default())
                .unwrap_or_default()
                .trim_end()
                .to_string()
        }
    };
    Done::Scored {
        line,
        stage,
        errors,
    }
}

/// Scores every record of `input`, writing one line per lead to `out`.
pub fn score_stream(
    model: &Model,
    input: Box<dyn BufRead + Send>,
    opts: &ScoreOptions<'_>,
    out: &mut dyn Write,
    sink: &mut dyn Sink,
) -> std::io::Result<Summary> {
    let ev = Evaluator::new(model);
    let mut summary = Summary::default();
    if opts.output == OutputFormat::Csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(output::csv_header(model));
        out.write_all(&w.into_inner().unwrap_or_default())?;
    }
    let mut records: Box<dyn Iterator<Item = Raw> + Send> = match opts.input {
        Format::Jsonl => Box::new(input.lines().enumerate().filter_map(|(i, l)| {
            let n = i as u64 + 1;
            match l {
                Ok(text) if text.trim().is_empty() => None,
                Ok(text) => Some(Raw::Text(n, text)),
                Err(e) => Some(Raw::Rejected(
                    String::new(),
                    DataError {
                        line: n,
                        path: String::new(),
                        kind: crate::io::record::DataErrorKind::InvalidJson {
                            message: e.to_string(),
                        },
                    },
                )),
            }
        })),
        Format::Csv => Box::new(csv_records(input).map(|r| match r {
            Record::Lead { line, value } => Raw::Value(line, value),
            Record::Rejected { text, error, .. } => Raw::Rejected(text, error),
        })),
    };
    let batch_size = opts.batch.max(1);
    loop {
        let batch: Vec<Raw> = records.by_ref().take(batch_size).collect();
        if batch.is_empty() {
            break;
        }
        let done: Vec<Done> = batch
            .into_par_iter()
            .map(|raw| process(model, &ev, opts, raw))
            .collect();
        for d in done {
            summary.read += 1;
            match d {
                Done::Scored {
                    line,
                    stage,
                    errors,
                } => {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                    summary.scored += 1;
                    summary.count_stage(&stage);
                    for e in &errors {
                        *summary.errors_by_kind.entry(e.kind.name()).or_default() += 1;
                        if !sink.data_error(e, None) || opts.strict {
                            summary.stopped = true;
                        }
                    }
                }
                Done::Rejected { text, error } => {
                    summary.rejected += 1;
                    *summary.errors_by_kind.entry(error.kind.name()).or_default() += 1;
                    if !sink.data_error(&error, Some(&text)) || opts.strict {
                        summary.stopped = true;
                    }
                }
            }
            if summary.stopped {
                out.flush()?;
                return Ok(summary);
            }
        }
        sink.progress(summary.read);
    }
    out.flush()?;
    let rank = |name: &str| {
        model
            .stages
            .iter()
            .position(|s| s.name == name)
            .unwrap_or(if name == "disqualified" {
                usize::MAX
            } else {
                model.stages.len()
            })
    };
    summary.stages.sort_by_key(|(name, _)| rank(name));
    Ok(summary)
}
