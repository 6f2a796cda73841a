//! `leadscore explain`: why one lead has its score and stage.

use super::score_cmd::{as_of, open_input};
use super::{exit, model_cmds::load_model};
use leadscore::explain::{explain, render};
use leadscore::io::input::{csv_records, parse_json_line, Format, Record};
use leadscore::io::output::id_text;
use leadscore::io::record::{lead_from_json, lookup};
use leadscore::io::unseen::Seen;
use serde_json::Value as Json;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
    Markdown,
}

pub struct ExplainArgs {
    pub model: PathBuf,
    pub leads: String,
    pub id: Option<String>,
    pub line: Option<u64>,
    pub as_of: Option<String>,
    pub key: String,
    pub all: bool,
    pub format: ExplainFormat,
    /// Events to join by the lead's key (for CSV leads, say).
    pub events: Option<String>,
}

/// The id closest to the one asked for, among those seen while looking
/// for it: the same but for case or white space, or a plausible typo.
struct Nearest {
    wanted: String,
    best: Option<(usize, String)>,
}

impl Nearest {
    fn new(id: Option<&str>) -> Nearest {
        Nearest {
            wanted: id.unwrap_or_default().trim().to_string(),
            best: None,
        }
    }

    fn see(&mut self, id: &str) {
        if self.best.as_ref().is_some_and(|(d, _)| *d == 0) || id.len() > 4 * self.wanted.len() + 8
        {
            return;
        }
        let Some(d) = leadscore::diag::typo_distance(&self.wanted, id.trim()) else {
            return;
        };
        if self.best.as_ref().is_none_or(|(b, _)| d < *b) {
            self.best = Some((d, id.to_string()));
        }
    }
}

/// The lead found (its line and value), or, when none has the id asked
/// for, the nearest id seen.
type Found = (Option<(u64, Json)>, Option<String>);

/// Why the lead could not be looked for: the input could not be read (a
/// gzip stream cut short, say), or the line asked for is not a lead.
enum NotRead {
    Input(String),
    Line(String),
}

/// Finds the lead: by id, by line, or the first one. With an id that is
/// not there, the nearest one seen, if any is near.
fn find(
    input: Box<dyn BufRead + Send>,
    format: Format,
    key: &[String],
    id: Option<&str>,
    line: Option<u64>,
) -> Result<Found, NotRead> {
    let mut nearest = Nearest::new(id);
    let mut wanted = |n: u64, v: &Json| match (id, line) {
        (Some(id), _) => {
            let text = lookup(v, key).map(id_text);
            let hit = text.as_deref() == Some(id);
            if let (false, Some(t)) = (hit, &text) {
                nearest.see(t);
            }
            hit
        }
        (None, Some(l)) => n == l,
        (None, None) => true,
    };
    match format {
        Format::Jsonl => {
            for (i, text) in input.lines().enumerate() {
                let n = i as u64 + 1;
                let text = text.map_err(|e| NotRead::Input(e.to_string()))?;
                if text.trim().is_empty() {
                    continue;
                }
                if line == Some(n) || id.is_some() || line.is_none() {
                    match parse_json_line(&text, n) {
                        Ok(v) if wanted(n, &v) => return Ok((Some((n, v)), None)),
                        Ok(_) => {}
                        Err(e) if line == Some(n) || (id.is_none() && line.is_none()) => {
                            return Err(NotRead::Line(e.to_string()))
                        }
                        Err(_) => {}
                    }
                }
            }
        }
        Format::Csv => {
            for rec in csv_records(input) {
                if let Record::Lead { line: n, value } = rec {
                    if wanted(n, &value) {
                        return Ok((Some((n, value)), None));
                    }
                }
            }
        }
    }
    Ok((None, nearest.best.map(|(_, id)| id)))
}

pub fn run(a: ExplainArgs) -> i32 {
    let model = match load_model(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let as_of = match as_of(a.as_of.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let input = match open_input(&a.leads) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let key: Vec<String> = a.key.split('.').map(str::to_string).collect();
    let (found, nearest) = match find(
        input,
        Format::guess(&a.leads),
        &key,
        a.id.as_deref(),
        a.line,
    ) {
        Ok(f) => f,
        Err(NotRead::Input(e)) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
        Err(NotRead::Line(e)) => {
            eprintln!("error: {e}");
            return exit::DATA;
        }
    };
    let Some((line, mut value)) = found else {
        match (&a.id, a.line) {
            (Some(id), _) => {
                eprintln!("error: no lead with {} `{id}` in `{}`", a.key, a.leads);
                if let Some(near) = nearest {
                    eprintln!("help: did you mean `{near}`?");
                }
            }
            (None, Some(l)) => eprintln!("error: `{}` has no lead on line {l}", a.leads),
            (None, None) => eprintln!("error: `{}` holds no lead", a.leads),
        }
        return exit::USAGE;
    };
    // Only this lead's events are kept. A line that can't be joined may
    // have been one of them: a data error, as in `score`.
    let mut bad_events = 0;
    if let Some(path) = a.events.as_deref() {
        let input = match open_input(path) {
            Ok(i) => i,
            Err(code) => return code,
        };
        let id = leadscore::io::input::lead_id(&value, &key);
        let events = leadscore::io::join::read_events_of(path, input, &id, |e| {
            bad_events += 1;
            eprintln!("data error in `{path}`: {e}")
        });
        leadscore::io::input::attach_events(&model, &mut value, &key, &events);
    }
    let mut errors = Vec::new();
    let lead = lead_from_json(&model, &value, &key, line, &mut errors);
    let notes: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let mut e = explain(
        &leadscore::eval::Evaluator::new(&model),
        &lead,
        as_of,
        a.all,
        notes,
    );
    let unseen = Seen::in_one_lead(&model, &lead, value.to_string(), &key);
    e.spelt_otherwise = super::unseen::for_one_lead(&model, &a.key, &unseen);
    print!(
        "{}",
        match a.format {
            ExplainFormat::Text => render::text(&e),
            ExplainFormat::Json => render::json(&e),
            ExplainFormat::Markdown => render::markdown(&e),
        }
    );
    if errors.is_empty() && bad_events == 0 {
        exit::OK
    } else {
        exit::DATA
    }
}
