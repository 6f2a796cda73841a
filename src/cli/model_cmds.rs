//! `check` and `fmt`, and loading a model for the other commands.

use super::{color_stderr, exit, render, DiagFormat};
use leadscore::check::Model;
use leadscore::diag::Severity;
use std::path::{Path, PathBuf};

/// Prints diagnostics in the chosen format: human to stderr, machine formats
/// to stdout.
pub fn print_diagnostics(
    diagnostics: &[leadscore::diag::Diagnostic],
    sources: &leadscore::source::Sources,
    format: DiagFormat,
) {
    match format {
        DiagFormat::Human => eprint!("{}", render::human(diagnostics, sources, color_stderr())),
        DiagFormat::Json => print!("{}", render::json(diagnostics, sources)),
        DiagFormat::Github => print!("{}", render::github(diagnostics, sources)),
    }
}

pub fn check(path: &Path, format: DiagFormat, deny_warnings: bool) -> i32 {
    let checked = match leadscore::load::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    print_diagnostics(&checked.diagnostics, &checked.sources, format);
    let files = checked.sources.files.len();
    let failed = checked.has_errors()
        || (deny_warnings
            && checked
                .diagnostics
                .iter()
                .any(|d| d.severity() == Severity::Warning));
    if format == DiagFormat::Human {
        let verdict = if failed { "failed" } else { "ok" };
        eprintln!(
            "{verdict}: {} checked ({} file{}): {}",
            path.display(),
            files,
            if files == 1 { "" } else { "s" },
            render::summary(&checked.diagnostics)
        );
    }
    if failed {
        exit::MODEL
    } else {
        exit::OK
    }
}

/// Loads and checks a model for a command that runs it. On failure prints
/// why and returns the exit code.
pub fn load_model(path: &Path) -> Result<Model, i32> {
    match leadscore::load::read_sources(path) {
        Ok(sources) => model_from_sources(sources, &path.display().to_string()),
        Err(e) => {
            eprintln!("error: {e}");
            Err(exit::USAGE)
        }
    }
}

/// Checks a model's sources for a command that runs it; prints its errors.
pub fn model_from_sources(sources: leadscore::source::Sources, name: &str) -> Result<Model, i32> {
    let checked = leadscore::load::check_sources(sources);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .cloned()
        .collect();
    match checked.model {
        Some(model) => Ok(model),
        None => {
            eprint!(
                "{}",
                render::human(&errors, &checked.sources, color_stderr())
            );
            eprintln!(
                "error: the model `{}` has {}; run `leadscore check` for details",
                name,
                render::summary(&errors)
            );
            Err(exit::MODEL)
        }
    }
}

pub fn fmt(paths: &[PathBuf], check: bool, stdout: bool) -> i32 {
    let mut files = Vec::new();
    for p in paths {
        match leadscore::load::rule_files(p) {
            Ok(mut f) => files.append(&mut f),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let mut code = exit::OK;
    let mut changed = Vec::new();
    for file in files {
        let sources = match leadscore::load::read_sources(&file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        };
        let text = &sources.files[0].text;
        let parsed = match leadscore::load::parse_sources(&sources) {
            Ok(mut files) => files.remove(0),
            Err(diagnostics) => {
                eprint!("{}", render::human(&diagnostics, &sources, color_stderr()));
                code = exit::MODEL;
                continue;
            }
        };
        let formatted = leadscore::fmt::format_file(text, &parsed);
        if stdout {
            print!("{formatted}");
        } else if formatted != *text {
            if check {
                println!("{}", file.display());
            } else if let Err(e) = std::fs::write(&file, &formatted) {
                eprintln!("error: can't write `{}`: {e}", file.display());
                return exit::USAGE;
            } else {
                eprintln!("formatted {}", file.display());
            }
            changed.push(file);
        }
    }
    if check && !changed.is_empty() {
        eprintln!(
            "{} file{} would be reformatted; run `leadscore fmt` on {}",
            changed.len(),
            if changed.len() == 1 { "" } else { "s" },
            if changed.len() == 1 { "it" } else { "them" }
        );
        return exit::MODEL;
    }
    code
}
