//! Reading a model from disk: one `.rules` file, or every `*.rules` file
//! below a directory, in sorted path order.

use crate::ast;
use crate::check::{self, Checked};
use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Sources};
use std::path::{Path, PathBuf};

/// A model that could not be read at all (as opposed to one with errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    Unreadable { path: PathBuf, reason: String },
    NoRuleFiles { path: PathBuf },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Unreadable { path, reason } => {
                write!(f, "can't read `{}`: {reason}", path.display())
            }
            LoadError::NoRuleFiles { path } => {
                write!(f, "no `.rules` files under `{}`", path.display())
            }
        }
    }
}

impl std::error::Error for LoadError {}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The `.rules` files a model path names, in the order they are read.
pub fn rule_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| unreadable(&dir, e))? {
            let entry = entry.map_err(|e| unreadable(&dir, e))?;
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rules") {
                found.push(p);
            }
        }
    }
    if found.is_empty() {
        return Err(LoadError::NoRuleFiles {
            path: path.to_path_buf(),
        });
    }
    found.sort();
    Ok(found)
}

pub fn read_sources(path: &Path) -> Result<Sources, LoadError> {
    let mut sources = Sources::default();
    for file in rule_files(path)? {
        let bytes = std::fs::read(&file).map_err(|e| unreadable(&file, e))?;
        let text =
            String::from_utf8(bytes).map_err(|_| unreadable(&file, "the file is not UTF-8"))?;
        sources.add(SourceFile::new(file, text));
    }
    Ok(sources)
}

/// Parses every file. Syntax errors of all files are returned together.
pub fn parse_sources(sources: &Sources) -> Result<Vec<ast::File>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for (i, source) in sources.files.iter().enumerate() {
        match crate::syntax::parse(FileId(i as u32), &source.text) {
            Ok(f) => files.push(f),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// Parses and checks a model held in memory.
pub fn check_sources(sources: Sources) -> Checked {
    match parse_sources(&sources) {
        Ok(files) => check::check(sources, &files),
        Err(mut diagnostics) => {
            check::sort_diagnostics(&mut diagnostics);
            Checked {
                model: None,
                diagnostics,
                sources,
            }
        }
    }
}

/// Reads, parses and checks the model at `path`.
pub fn load(path: &Path) -> Result<Checked, LoadError> {
    Ok(check_sources(read_sources(path)?))
}

/// Checks a model given as text (handy for tests and embedding).
pub fn check_text(name: &str, text: &str) -> Checked {
    let mut sources = Sources::default();
    sources.add(SourceFile::new(name, text));
    check_sources(sources)
}
