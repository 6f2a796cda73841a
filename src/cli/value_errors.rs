//! Reporting the values a command could not read (a wrong type, an event
//! without a time) while it goes on: [`ValueErrors`] for commands other than
//! `score` (which has its own reporter, with `--errors` and `--rejects`
//! files), and the closing count all of them print.

use super::score_cmd::PRINTED_ERRORS;
use leadscore::io::fold::Note;
use leadscore::io::record::DataError;
use std::collections::BTreeMap;

/// Prints `data errors: N (kind n, …)` when there were any, and, unless
/// every one was printed, says where to find them all (`all_of_them`).
pub fn print_count(kinds: &BTreeMap<&'static str, u64>, printed_all: bool, all_of_them: &str) {
    let count: u64 = kinds.values().sum();
    if count == 0 {
        return;
    }
    let each: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    eprintln!("data errors: {count} ({})", each.join(", "));
    if !printed_all {
        eprintln!("(only the first {PRINTED_ERRORS} were printed; {all_of_them})");
    }
}

/// Prints the first [`PRINTED_ERRORS`] unreadable values as they come and
/// counts every one by kind.
pub struct ValueErrors<'a> {
    /// The input's path, as the user gave it.
    path: &'a str,
    kinds: BTreeMap<&'static str, u64>,
}

impl<'a> ValueErrors<'a> {
    pub fn new(path: &'a str) -> Self {
        ValueErrors {
            path,
            kinds: BTreeMap::new(),
        }
    }

    /// Reports and counts each of `errors`, leaving it empty.
    pub fn report(&mut self, errors: &mut Vec<DataError>) {
        for e in errors.drain(..) {
            if self.kinds.values().sum::<u64>() < PRINTED_ERRORS {
                eprintln!("data error in `{}`: {e}", self.path);
            }
            *self.kinds.entry(e.kind.name()).or_default() += 1;
        }
    }

    /// Reports what [`fold_jsonl`](leadscore::io::fold::fold_jsonl) noted
    /// besides leads, in input order: unreadable values as [`Self::report`]
    /// does, and every skipped line. Returns how many lines were skipped.
    pub fn notes(&mut self, notes: Vec<Note>) -> u64 {
        let mut skipped = 0;
        for note in notes {
            match note {
                Note::Value(e) => self.report(&mut vec![e]),
                Note::Rejected(e) => {
                    skipped += 1;
                    eprintln!("data error in `{}`: {e}", self.path);
                }
            }
        }
        skipped
    }

    /// Prints the count (nothing when every value was read); returns how
    /// many values could not be read.
    pub fn finish(self) -> u64 {
        let count = self.kinds.values().sum();
        let printed_all = count <= PRINTED_ERRORS;
        print_count(
            &self.kinds,
            printed_all,
            "`leadscore score --errors FILE` writes them all",
        );
        count
    }
}
