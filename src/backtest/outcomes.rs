//! The outcomes file as a table by lead id, in bounded memory.
//!
//! Outcomes are held in memory while they fit in a budget. Past it they are
//! spilled: written to temporary files, "buckets", each lead id's outcomes
//! to the one bucket a hash of the id picks. A spilled table is then used
//! one bucket at a time: the leads are read once per bucket ("pass"), and
//! each pass scores only the leads whose id falls in its bucket, against
//! that bucket's outcomes. Every lead belongs to exactly one pass, so the
//! counts add up to those of a held table; the time grows with the number
//! of passes, the memory does not.

use super::Outcome;
use crate::io::buckets::{
    bucket_of, create, cut_short, file, get_str_or_end, get_u64, open, put_str, put_u64,
};
use crate::io::scratch::Scratch;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Bytes of outcomes held in memory before they are spilled.
pub const DEFAULT_BUDGET: usize = 256 << 20;
/// Bytes counted for each outcome held, beside its lead id: its entry
/// (48 bytes), the table's spare room (up to half of it empty) and the
/// id's allocation.
const PER_OUTCOME: usize = 128;
/// Buckets of a spill, at most.
const MAX_BUCKETS: usize = 4096;

/// Outcomes by lead id: the table of one pass.
pub type Table = HashMap<String, Outcome>;

/// Reads outcomes in the order of the file; a later outcome for the same
/// lead replaces an earlier one.
pub struct OutcomeReader {
    budget: usize,
    /// The outcomes file's size, when known, sets how many buckets a
    /// spill uses.
    size: Option<u64>,
    held: Table,
    bytes: usize,
    spill: Option<(Scratch, Vec<BufWriter<File>>)>,
}

impl OutcomeReader {
    pub fn new(budget: usize, size: Option<u64>) -> OutcomeReader {
        OutcomeReader {
            budget,
            size,
            held: Table::new(),
            bytes: 0,
            spill: None,
        }
    }

    pub fn add(&mut self, id: String, outcome: Outcome) -> io::Result<()> {
        if let Some((_, writers)) = &mut self.spill {
            let bucket = bucket_of(&id, writers.len());
            return put(&mut writers[bucket], &id, outcome);
        }
        self.bytes += id.len() + PER_OUTCOME;
        self.held.insert(id, outcome);
        if self.bytes > self.budget {
            self.start_spill()?;
        }
        Ok(())
    }

    fn start_spill(&mut self) -> io::Result<()> {
        // Held, an outcome takes about twice its line in the file, and a
        // bucket should fit in the budget with room to spare.
        let buckets = match self.size {
            Some(size) => usize::try_from(size.saturating_mul(4) / self.budget.max(1) as u64 + 2)
                .unwrap_or(MAX_BUCKETS)
                .min(MAX_BUCKETS),
            None => 64,
        };
        let dir = Scratch::new("leadscore-outcomes-")?;
        let mut writers = (0..buckets)
            .map(|b| create(&file(dir.path(), "outcomes", b)))
            .collect::<io::Result<Vec<_>>>()?;
        // Each id is held once, with its latest outcome: the order in
        // which they are written out doesn't matter.
        for (id, outcome) in std::mem::take(&mut self.held) {
            put(&mut writers[bucket_of(&id, buckets)], &id, outcome)?;
        }
        self.spill = Some((dir, writers));
        Ok(())
    }

    pub fn finish(self) -> io::Result<Outcomes> {
        match self.spill {
            None => Ok(Outcomes::Held(Some(self.held))),
            Some((dir, writers)) => {
                let buckets = writers.len();
                for mut w in writers {
                    w.flush()?;
                }
                Ok(Outcomes::Spilled { dir, buckets })
            }
        }
    }
}

/// Which of `passes` passes scores the lead with this id (its text, as
/// [`crate::io::output::id_text`] gives it): its bucket.
pub fn pass_of(id: &str, passes: usize) -> usize {
    if passes <= 1 {
        0
    } else {
        bucket_of(id, passes)
    }
}

fn put(w: &mut impl Write, id: &str, o: Outcome) -> io::Result<()> {
    put_str(w, id)?;
    put_u64(w, u64::from(o.converted))?;
    match o.scored_at {
        None => put_u64(w, 0),
        Some(t) => put_u64(w, 1).and_then(|()| put_u64(w, t as u64)),
    }
}

/// The outcomes, ready to be used pass by pass.
pub enum Outcomes {
    /// All in memory: one pass (taken by the first call to
    /// [`Outcomes::pass`]).
    Held(Option<Table>),
    /// In temporary files, one pass per bucket (removed when dropped).
    Spilled { dir: Scratch, buckets: usize },
}

impl Outcomes {
    /// How many times the leads are to be read.
    pub fn passes(&self) -> usize {
        match self {
            Outcomes::Held(_) => 1,
            Outcomes::Spilled { buckets, .. } => *buckets,
        }
    }

    /// Which pass scores the lead with this id.
    pub fn pass_of(&self, id: &str) -> usize {
        pass_of(id, self.passes())
    }

    /// The outcomes of pass `p`.
    pub fn pass(&mut self, p: usize) -> io::Result<Table> {
        match self {
            Outcomes::Held(table) => Ok(table.take().unwrap_or_default()),
            Outcomes::Spilled { dir, .. } => {
                let mut r = open(&file(dir.path(), "outcomes", p))?;
                let mut table = Table::new();
                while let Some(id) = get_str_or_end(&mut r)? {
                    let mut next = || -> io::Result<u64> { get_u64(&mut r)?.ok_or_else(cut_short) };
                    let converted = next()? != 0;
                    let scored_at = match next()? {
                        0 => None,
                        _ => Some(next()? as i64),
                    };
                    table.insert(
                        id,
                        Outcome {
                            converted,
                            scored_at,
                        },
                    );
                }
                Ok(table)
            }
        }
    }

    /// How many leads' outcomes have no `scored_at` (each lead counted once,
    /// with its latest outcome). Asked before the passes are taken: a held
    /// table is handed over by its pass.
    pub fn undated(&mut self) -> io::Result<usize> {
        let undated = |t: &Table| t.values().filter(|o| o.scored_at.is_none()).count();
        let buckets = match self {
            Outcomes::Held(table) => return Ok(table.as_ref().map_or(0, undated)),
            Outcomes::Spilled { buckets, .. } => *buckets,
        };
        let mut n = 0;
        for p in 0..buckets {
            n += undated(&self.pass(p)?);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::{OutcomeReader, Outcomes, Table};
    use crate::backtest::Outcome;

    fn outcomes(n: u64) -> Vec<(String, Outcome)> {
        (0..n)
            .map(|i| {
                let outcome = Outcome {
                    converted: i % 3 == 0,
                    scored_at: (i % 4 != 0).then_some(i as i64 * 86_400 - 5),
                };
                // Every fifth id comes again later, with another outcome.
                (format!("L{}", if i % 5 == 4 { i - 4 } else { i }), outcome)
            })
            .collect()
    }

    fn read(budget: usize, list: &[(String, Outcome)]) -> Outcomes {
        let mut r = OutcomeReader::new(budget, Some(4000));
        for (id, o) in list {
            r.add(id.clone(), *o).unwrap();
        }
        r.finish().unwrap()
    }

    #[test]
    fn every_id_is_in_its_own_pass_with_its_latest_outcome() {
        let list = outcomes(500);
        let held: Table = list.iter().cloned().collect();
        for budget in [0, 3000, usize::MAX] {
            let mut o = read(budget, &list);
            assert_eq!(o.passes() > 1, budget != usize::MAX, "budget {budget}");
            let mut all = Table::new();
            for p in 0..o.passes() {
                for (id, outcome) in o.pass(p).unwrap() {
                    assert_eq!(o.pass_of(&id), p);
                    assert!(all.insert(id, outcome).is_none(), "an id in two passes");
                }
            }
            assert_eq!(all, held, "budget {budget}");
            let mut o = read(budget, &list);
            let undated = held.values().filter(|x| x.scored_at.is_none()).count();
            assert_eq!(o.undated().unwrap(), undated);
        }
    }
}
