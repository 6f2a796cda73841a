//! Two-way memories: the tables that remember answers per text, per event
//! and per date. Each key's hash picks a pair of entries, and a key is
//! looked for in both. Directly mapped (one entry per hash), two keys
//! that come back often and share an entry would push each other out on
//! every lookup, and the memory would miss nearly every time for them:
//! with a few dozen distinct keys in a few hundred entries, some pair
//! usually does. Here the entry found last is kept first, and a new key
//! pushes out the one used longer ago.

/// `N` entries (a power of two, at least 2), in pairs.
#[derive(Debug, Clone)]
pub struct Ways<E, const N: usize> {
    entries: Vec<E>,
}

impl<E, const N: usize> Ways<E, N> {
    /// An empty memory (its entries are made on first use).
    pub const fn new() -> Self {
        Ways {
            entries: Vec::new(),
        }
    }
}

impl<E, const N: usize> Default for Ways<E, N> {
    fn default() -> Self {
        Ways::new()
    }
}

impl<E: Default, const N: usize> Ways<E, N> {
    const PAIRS: usize = {
        assert!(N.is_power_of_two() && N >= 4);
        N / 2
    };

    /// Forgets every key.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The first of the pair of a [`crate::text::hash`].
    #[inline]
    fn pair(&mut self, h: u64) -> usize {
        if self.entries.is_empty() {
            self.entries.resize_with(N, E::default);
        }
        2 * crate::text::slot_of(h, Self::PAIRS)
    }

    /// The entry of hash `h` that `is` accepts, if either of its pair is
    /// one; it is then the first of the pair.
    #[inline]
    pub fn find(&mut self, h: u64, is: impl Fn(&E) -> bool) -> Option<&mut E> {
        let i = self.pair(h);
        if is(&self.entries[i]) {
            return Some(&mut self.entries[i]);
        }
        if is(&self.entries[i + 1]) {
            self.entries.swap(i, i + 1);
            return Some(&mut self.entries[i]);
        }
        None
    }

    /// An entry for a new key of hash `h`, to be overwritten: the first of
    /// its pair, after what it held has become the second (so the pair's
    /// older entry is the one given up; its buffers are reused).
    #[inline]
    pub fn put(&mut self, h: u64) -> &mut E {
        let i = self.pair(h);
        self.entries.swap(i, i + 1);
        &mut self.entries[i]
    }
}

#[cfg(test)]
mod tests {
    use super::Ways;

    /// Keys whose hashes pick the same pair.
    fn same_pair(n: usize) -> Vec<u64> {
        let pair = |k: u64| crate::text::slot_of(crate::text::hash(0, &k.to_le_bytes()), 8);
        (0..).filter(|&k| pair(k) == pair(0)).take(n).collect()
    }

    fn look(w: &mut Ways<Option<u64>, 16>, k: u64) -> bool {
        let h = crate::text::hash(0, &k.to_le_bytes());
        if w.find(h, |e| *e == Some(k)).is_some() {
            return true;
        }
        *w.put(h) = Some(k);
        false
    }

    #[test]
    fn two_keys_of_one_pair_are_both_kept() {
        let keys = same_pair(2);
        let mut w = Ways::default();
        assert!(!look(&mut w, keys[0]) && !look(&mut w, keys[1]));
        for _ in 0..3 {
            assert!(look(&mut w, keys[0]) && look(&mut w, keys[1]));
        }
    }

    #[test]
    fn a_third_key_pushes_out_the_one_used_longer_ago() {
        let keys = same_pair(3);
        let mut w = Ways::default();
        look(&mut w, keys[0]);
        look(&mut w, keys[1]);
        assert!(look(&mut w, keys[0]));
        assert!(!look(&mut w, keys[2]));
        assert!(look(&mut w, keys[0]) && look(&mut w, keys[2]));
        assert!(!look(&mut w, keys[1]));
    }

    #[test]
    fn cleared_it_knows_nothing() {
        let mut w = Ways::default();
        look(&mut w, 7);
        assert!(look(&mut w, 7));
        w.clear();
        assert!(!look(&mut w, 7));
    }
}
