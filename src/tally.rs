//! Hit and miss counts for the memories that pay off only when what they
//! remember comes back: answers per event and per text of a family of
//! tests ([`crate::eval`]), answers per pattern
//! ([`crate::check::patterns`]), and reading templates
//! ([`crate::io`]). Each one stops being used once it misses too often, by
//! the one rule here.

/// The misses allowed while a memory of answers (per event, per pattern)
/// fills, before [`Tally::worth`] weighs them against the hits.
pub const ANSWERS: u64 = 1024;

/// How often a memory found what it looked for, and how often it missed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    hits: u64,
    misses: u64,
}

impl Tally {
    pub const fn new() -> Tally {
        Tally { hits: 0, misses: 0 }
    }

    #[inline]
    pub fn count(&mut self, hit: bool) {
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
    }

    /// Still worth using: at most four misses a hit, after `grace` misses
    /// allowed while it fills. Not when nearly everything looked up is new
    /// (every page path a different URL, every line a different shape),
    /// where the memory only adds work. Its users stop counting once it
    /// isn't, so the answer then stays `false`.
    #[inline]
    pub fn worth(&self, grace: u64) -> bool {
        self.misses <= 4 * self.hits + grace
    }

    /// The stricter rule for a memory whose miss costs more than a miss
    /// of the others (the tree of event templates, whose walk reads values
    /// before it misses): at most one miss a hit, after `grace` misses.
    #[inline]
    pub fn mostly_hits(&self, grace: u64) -> bool {
        self.misses <= self.hits + grace
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn worth_using_until_misses_pass_four_a_hit_after_the_grace() {
        let mut t = Tally::new();
        for _ in 0..10 {
            t.count(false);
        }
        assert!(t.worth(10) && !t.worth(9));
        t.count(true);
        assert!(t.worth(6) && !t.worth(5));
    }

    #[test]
    fn mostly_hits_allows_one_miss_a_hit_after_the_grace() {
        let mut t = Tally::new();
        for _ in 0..3 {
            t.count(true);
        }
        for _ in 0..5 {
            t.count(false);
        }
        assert!(t.mostly_hits(2) && !t.mostly_hits(1));
        assert!(t.worth(0));
    }
}
