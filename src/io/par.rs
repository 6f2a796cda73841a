//! Converting records on all threads while they are read on one.
//!
//! Reading a file is serial (lines and CSV rows must be cut in order), but
//! what is done with each record (parsing its JSON, turning a CSV row into
//! an object, finding its lead id) is not. [`par_map`] reads a batch of
//! items, converts it on all threads while the next batch is read, and
//! yields the results in input order. At most two batches are in memory.

use rayon::prelude::*;

/// Items converted together. Large enough that a batch outweighs the cost
/// of handing it to the threads, small enough to keep memory low.
pub const BATCH: usize = 2048;

/// `items.map(convert)`, with `convert` run on all threads, a batch of
/// [`BATCH`] items at a time, and the results in the order of `items`.
pub fn par_map<I, F, U>(items: I, convert: F) -> ParMap<I, F, U>
where
    I: Iterator + Send,
    I::Item: Send,
    F: Fn(I::Item) -> U + Sync + Send,
    U: Send,
{
    ParMap {
        items,
        convert,
        next: Vec::new(),
        started: false,
        ready: Vec::new().into_iter(),
    }
}

/// See [`par_map`].
pub struct ParMap<I: Iterator, F, U> {
    items: I,
    convert: F,
    /// The batch read ahead, to convert next.
    next: Vec<I::Item>,
    /// Whether the first batch has been read.
    started: bool,
    ready: std::vec::IntoIter<U>,
}

impl<I, F, U> Iterator for ParMap<I, F, U>
where
    I: Iterator + Send,
    I::Item: Send,
    F: Fn(I::Item) -> U + Sync + Send,
    U: Send,
{
    type Item = U;

    fn next(&mut self) -> Option<U> {
        if let Some(u) = self.ready.next() {
            return Some(u);
        }
        let ParMap {
            items,
            convert,
            next,
            started,
            ..
        } = self;
        if !*started {
            *started = true;
            *next = items.by_ref().take(BATCH).collect();
        }
        let batch = std::mem::take(next);
        if batch.is_empty() {
            return None;
        }
        // This thread reads the next batch while the others convert this
        // one (and this thread joins them when it is done reading).
        let (ahead, done) = rayon::join(
            || items.by_ref().take(BATCH).collect::<Vec<_>>(),
            || batch.into_par_iter().map(&*convert).collect::<Vec<U>>(),
        );
        *next = ahead;
        self.ready = done.into_iter();
        self.ready.next()
    }
}

#[cfg(test)]
mod tests {
    use super::{par_map, BATCH};

    #[test]
    fn results_come_in_input_order_across_batches() {
        for n in [0, 1, BATCH - 1, BATCH, BATCH + 1, 3 * BATCH + 7] {
            let got: Vec<u64> = par_map(0..n as u64, |i| i * i).collect();
            let want: Vec<u64> = (0..n as u64).map(|i| i * i).collect();
            assert_eq!(got, want, "{n} items");
        }
    }

    #[test]
    fn items_are_read_lazily_two_batches_at_most() {
        // After the first result, at most two batches have been read.
        let read = std::sync::atomic::AtomicUsize::new(0);
        let items = (0..10 * BATCH).inspect(|_| {
            read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let mut it = par_map(items, |i| i + 1);
        assert_eq!(it.next(), Some(1));
        assert_eq!(read.load(std::sync::atomic::Ordering::Relaxed), 2 * BATCH);
    }
}
