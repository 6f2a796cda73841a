//! Reporting the values a command could not read (a wrong type, an event
//! without a time) while it goes on: for commands other than `score`, which
//! has its own reporter with `--errors` and `--rejects` files.

use super::score_cmd::PRINTED_ERRORS;
use leadscore::io::record::DataError;
use std::collections::BTreeMap;

/// Prints the first [`PRINTED_ERRORS`] unreadable values as they come,
/// counts every one by kind, and sums them up at the end.
pub struct ValueErrors<'a> {
    /// The input's path, as the user gave it.
    path: &'a str,
    count: u64,
    kinds: BTreeMap<&'static str, u64>,
}

impl<'a> ValueErrors<'a> {
    pub fn new(path: &'a str) -> Self {
        ValueErrors {
            path,
            count: 0,
            kinds: BTreeMap::new(),
        }
    }

    /// Reports and counts each of `errors`, leaving it empty.
    pub fn report(&mut self, errors: &mut Vec<DataError>) {
        for e in errors.drain(..) {
            if self.count < PRINTED_ERRORS {
                eprintln!("data error in `{}`: {e}", self.path);
            }
            self.count += 1;
            *self.kinds.entry(e.kind.name()).or_default() += 1;
        }
    }

    /// Prints the summary (nothing when every value was read); returns how
    /// many values could not be read.
    pub fn finish(self) -> u64 {
        if self.count > 0 {
            let kinds: Vec<String> = self.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            eprintln!("data errors: {} ({})", self.count, kinds.join(", "));
            if self.count > PRINTED_ERRORS {
                eprintln!(
                    "(only the first {PRINTED_ERRORS} were printed; `leadscore score --errors FILE` writes them all)"
                );
            }
        }
        self.count
    }
}
