//! `leadscore diff`: what a rule change does to real leads.

use super::exit;
use super::model_cmds::{load_model, model_from_sources};
use super::score_cmd::{as_of, each_record, load_events, open_input};
use super::value_errors::ValueErrors;
use leadscore::diff::Differ;
use leadscore::io::fold::fold_jsonl;
use leadscore::io::input::Format;
use leadscore::source::{SourceFile, Sources};
use std::path::Path;
use std::process::Command;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DiffFormat {
    Human,
    Markdown,
    Json,
}

pub struct DiffArgs {
    pub paths: Vec<String>,
    pub base: Option<String>,
    pub as_of: Option<String>,
    pub key: String,
    pub format: DiffFormat,
    pub top: usize,
    pub fail_on_stage_change: Option<f64>,
    /// Events to join to the leads by `lead_id` (CSV leads carry none).
    pub events: Option<String>,
}

fn git(args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("can't run git: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    String::from_utf8(out.stdout).map_err(|_| "git printed something that is not UTF-8".into())
}

/// The model at `path` as it was at git revision `rev`.
pub fn sources_at(rev: &str, path: &str) -> Result<Sources, String> {
    let listed = git(&["ls-tree", "-r", "--name-only", rev, "--", path])?;
    let mut files: Vec<&str> = listed
        .lines()
        .filter(|f| f.ends_with(".rules") || *f == path)
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("`{path}` holds no `.rules` files at `{rev}`"));
    }
    let mut sources = Sources::default();
    for f in files {
        let text = git(&["show", &format!("{rev}:./{f}")])?;
        sources.add(SourceFile::new(format!("{rev}:{f}"), text));
    }
    Ok(sources)
}

pub fn run(a: DiffArgs) -> i32 {
    let (old_path, new_path, leads) = match (&a.base, a.paths.as_slice()) {
        (None, [old, new, leads]) => (Some(old.clone()), new.clone(), leads.clone()),
        (Some(_), [new, leads]) => (None, new.clone(), leads.clone()),
        (None, _) => {
            eprintln!("error: give OLD NEW LEADS, or `--base REV NEW LEADS` to read the old model from git");
            return exit::USAGE;
        }
        (Some(_), _) => {
            eprintln!("error: with `--base REV`, give only the model path and the leads: `leadscore diff --base origin/main rules/ leads.jsonl`");
            return exit::USAGE;
        }
    };
    let old = match (&old_path, &a.base) {
        (Some(p), _) => load_model(Path::new(p)),
        (None, Some(rev)) => match sources_at(rev, &new_path) {
            Ok(sources) => model_from_sources(sources, &format!("{rev}:{new_path}")),
            Err(e) => {
                eprintln!("error: can't read the model at `{rev}`: {e}");
                return exit::USAGE;
            }
        },
        (None, None) => unreachable!("checked above"),
    };
    let (old, new) = match (old, load_model(Path::new(&new_path))) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let as_of = match as_of(a.as_of.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let input = match open_input(&leads) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let key: Vec<String> = a.key.split('.').map(str::to_string).collect();
    let (events, event_errors) = match load_events(a.events.as_deref(), false) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut differ = Differ::new(&old, &new, as_of, key.clone(), a.top);
    let mut errors = Vec::new();
    let mut unreadable = ValueErrors::new(&leads);
    let (bad, total) = match (Format::guess(&leads), &events) {
        // Leads joined to events, and CSV leads, one record at a time.
        (_, Some(_)) | (Format::Csv, None) => {
            let models = [&old, &new];
            let bad = each_record(&leads, input, events.as_ref(), &models, &key, |line, v| {
                differ.add(&v, line, &mut errors);
                unreadable.report(&mut errors);
            });
            match bad {
                Ok(bad) => (bad, None),
                Err(code) => return code,
            }
        }
        // JSON Lines are read on all threads, as `score` reads them.
        (Format::Jsonl, None) => {
            let mut bad = 0;
            let (old_model, new_model) = differ.models();
            let counting = &differ;
            let mut total = differ.tally();
            let read = fold_jsonl(
                input,
                &[old_model, new_model],
                &key,
                None,
                || counting.tally(),
                |tally, leads| counting.add_leads(tally, leads[0], leads[1]),
                |tally, notes| {
                    counting.merge(&mut total, tally);
                    bad += unreadable.notes(notes);
                },
            );
            if let Err(e) = read {
                eprintln!("error: can't read `{leads}`: {e}");
                return exit::USAGE;
            }
            (bad, Some(total))
        }
    };
    let report = match total {
        Some(t) => differ.report(t),
        None => differ.finish(),
    };
    print!(
        "{}",
        match a.format {
            DiffFormat::Human => report.human(),
            DiffFormat::Markdown => report.markdown(),
            DiffFormat::Json => report.json(),
        }
    );
    if let Some(p) = a.fail_on_stage_change {
        if report.stage_change_percent() > p {
            eprintln!(
                "{:.1}% of leads change stage, more than --fail-on-stage-change {p}%",
                report.stage_change_percent()
            );
            return exit::MODEL;
        }
    }
    let value_errors = unreadable.finish();
    let bad = bad + event_errors;
    if bad > 0 {
        eprintln!("{bad} line{} skipped", if bad == 1 { "" } else { "s" });
    }
    if bad > 0 || value_errors > 0 {
        return exit::DATA;
    }
    exit::OK
}
