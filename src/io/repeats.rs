//! Which lines repeat a key that an earlier line had, in bounded memory.
//!
//! `export` keeps the first lead of each key and skips the others, so it
//! reads its input twice: once for the keys ([`Repeats::add`]), then to
//! write, asking for each lead whether its line repeats a key
//! ([`RepeatLines::is_repeat`]).
//!
//! While the keys fit in a budget they are held in a set, and a repeat is
//! known as soon as it is added. Past the budget they are spilled: the keys
//! held so far go to temporary files, "buckets", each key to the one a
//! hash of it picks, and so does every key added after them, with its line.
//! At the end each bucket is loaded on its own: its keys came in line
//! order, so a key met again in the bucket is a repeat, and the bucket's
//! repeats, already in line order, go to a list of their own. The lists
//! are merged by line while the input is read the second time. Memory
//! holds at most the budget's keys, or one bucket's.

use super::buckets::{bucket_of, create, file, get_str_or_end, get_u64, open, put_str, put_u64};
use super::scratch::Scratch;
use rustc_hash::FxHashSet;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};

/// Bytes of keys held in memory before they are spilled.
pub const DEFAULT_BUDGET: usize = 64 << 20;
/// Bytes counted for each key held, beside its text.
const PER_KEY: usize = 48;
/// Buckets of a spill, at most and at least.
const MAX_BUCKETS: usize = 256;
const MIN_BUCKETS: usize = 4;
/// The line the keys held when the spill starts are given: before every
/// real line, so a later lead with one of them is a repeat.
const BEFORE_ALL: u64 = 0;

/// The keys of an input, added in line order.
pub struct Repeats {
    budget: usize,
    /// The input's size, when known, sets how many buckets a spill uses.
    size: Option<u64>,
    held: FxHashSet<Box<str>>,
    /// Bytes counted against the budget: held keys and `found`.
    bytes: usize,
    /// The repeats found while the keys were held, in line order.
    found: Vec<u64>,
    spill: Option<Spill>,
}

struct Spill {
    dir: Scratch,
    writers: Vec<BufWriter<File>>,
}

impl Repeats {
    pub fn new(budget: usize, size: Option<u64>) -> Repeats {
        Repeats {
            budget,
            size,
            held: FxHashSet::default(),
            bytes: 0,
            found: Vec::new(),
            spill: None,
        }
    }

    /// Adds the key of the lead on `line`; lines must come in increasing
    /// order, and start at 1.
    pub fn add(&mut self, line: u64, key: &str) -> io::Result<()> {
        if let Some(spill) = &mut self.spill {
            let bucket = bucket_of(key, spill.writers.len());
            let w = &mut spill.writers[bucket];
            return put_str(w, key).and_then(|()| put_u64(w, line));
        }
        if self.held.contains(key) {
            self.found.push(line);
            self.bytes += 8;
        } else {
            self.bytes += key.len() + PER_KEY;
            self.held.insert(key.into());
        }
        if self.bytes > self.budget {
            self.start_spill()?;
        }
        Ok(())
    }

    fn start_spill(&mut self) -> io::Result<()> {
        let buckets = match self.size {
            Some(size) => usize::try_from(size / self.budget.max(1) as u64 + 1)
                .unwrap_or(MAX_BUCKETS)
                .clamp(MIN_BUCKETS, MAX_BUCKETS),
            None => MAX_BUCKETS,
        };
        let dir = Scratch::new("leadscore-keys-")?;
        let mut writers = (0..buckets)
            .map(|b| create(&file(dir.path(), "keys", b)))
            .collect::<io::Result<Vec<_>>>()?;
        for key in std::mem::take(&mut self.held) {
            let w = &mut writers[bucket_of(&key, buckets)];
            put_str(w, &key)?;
            put_u64(w, BEFORE_ALL)?;
        }
        self.spill = Some(Spill { dir, writers });
        Ok(())
    }

    /// Whether the keys were spilled to temporary files.
    pub fn spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Every key added: the lines that repeat one, ready to be asked for
    /// in line order.
    pub fn finish(self) -> io::Result<RepeatLines> {
        let mut lines = RepeatLines {
            found: self.found.into_iter().peekable(),
            lists: Vec::new(),
            heads: BinaryHeap::new(),
            _dir: None,
        };
        let Some(Spill { dir, writers }) = self.spill else {
            return Ok(lines);
        };
        let buckets = writers.len();
        for mut w in writers {
            w.flush()?;
        }
        for b in 0..buckets {
            let mut r = open(&file(dir.path(), "keys", b))?;
            let mut seen = FxHashSet::default();
            let mut list = create(&file(dir.path(), "repeats", b))?;
            while let Some(key) = get_str_or_end(&mut r)? {
                let line = get_u64(&mut r)?.ok_or_else(super::buckets::cut_short)?;
                if !seen.insert(key) {
                    put_u64(&mut list, line)?;
                }
            }
            list.flush()?;
        }
        for b in 0..buckets {
            lines.lists.push(open(&file(dir.path(), "repeats", b))?);
            lines.advance(b)?;
        }
        lines._dir = Some(dir);
        Ok(lines)
    }
}

/// The lines that repeat an earlier line's key.
pub struct RepeatLines {
    /// Those found while the keys were held.
    found: std::iter::Peekable<std::vec::IntoIter<u64>>,
    /// Those found in each bucket of a spill, in line order.
    lists: Vec<BufReader<File>>,
    /// The next line of each list.
    heads: BinaryHeap<Reverse<(u64, usize)>>,
    /// Where the lists are (removed when dropped).
    _dir: Option<Scratch>,
}

impl RepeatLines {
    fn advance(&mut self, b: usize) -> io::Result<()> {
        if let Some(line) = get_u64(&mut self.lists[b])? {
            self.heads.push(Reverse((line, b)));
        }
        Ok(())
    }

    /// Whether the lead on `line` repeats an earlier lead's key. Lines must
    /// be asked for in increasing order (those without a key may be left
    /// out).
    pub fn is_repeat(&mut self, line: u64) -> io::Result<bool> {
        let mut repeat = false;
        while let Some(&next) = self.found.peek() {
            if next > line {
                break;
            }
            repeat |= next == line;
            self.found.next();
        }
        while let Some(&Reverse((next, b))) = self.heads.peek() {
            if next > line {
                break;
            }
            repeat |= next == line;
            self.heads.pop();
            self.advance(b)?;
        }
        Ok(repeat)
    }
}

#[cfg(test)]
mod tests {
    use super::Repeats;
    use std::collections::HashSet;

    /// Keys with many repeats: key `i` is `k{i % distinct}`, on line `i + 1`.
    fn keys(n: u64, distinct: u64) -> Vec<(u64, String)> {
        (0..n)
            .map(|i| (i + 1, format!("k{}", (i * 7919) % distinct)))
            .collect()
    }

    fn repeats_within(budget: usize, keys: &[(u64, String)]) -> (bool, Vec<u64>) {
        let mut r = Repeats::new(budget, Some(1000));
        for (line, key) in keys {
            r.add(*line, key).unwrap();
        }
        let spilled = r.spilled();
        let mut lines = r.finish().unwrap();
        let repeats = keys
            .iter()
            .filter(|(line, _)| lines.is_repeat(*line).unwrap())
            .map(|(line, _)| *line)
            .collect();
        (spilled, repeats)
    }

    #[test]
    fn held_or_spilled_the_repeats_are_the_lines_whose_key_came_before() {
        for (n, distinct) in [(0, 1), (1, 1), (50, 50), (300, 40), (2000, 1500)] {
            let keys = keys(n, distinct);
            let mut seen = HashSet::new();
            let expected: Vec<u64> = keys
                .iter()
                .filter(|(_, k)| !seen.insert(k.clone()))
                .map(|(line, _)| *line)
                .collect();
            // Held throughout, spilled from the first key, spilled midway.
            for budget in [usize::MAX, 0, 2000] {
                let (spilled, repeats) = repeats_within(budget, &keys);
                let spills = match budget {
                    0 => n > 0,
                    2000 => n >= 50,
                    _ => false,
                };
                assert_eq!(spilled, spills, "{n} keys, budget {budget}");
                assert_eq!(repeats, expected, "{n} keys, budget {budget}");
            }
        }
    }

    #[test]
    fn lines_without_a_key_may_be_skipped_when_asking() {
        let mut r = Repeats::new(0, None);
        for (line, key) in [(1, "a"), (3, "b"), (4, "a"), (9, "b"), (10, "c")] {
            r.add(line, key).unwrap();
        }
        let mut lines = r.finish().unwrap();
        let asked: Vec<bool> = [2, 4, 5, 10]
            .iter()
            .map(|&l| lines.is_repeat(l).unwrap())
            .collect();
        // Line 9 (a repeat) was never asked about, and doesn't make 10 one.
        assert_eq!(asked, [false, true, false, false]);
    }
}
