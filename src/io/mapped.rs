//! Reading a file by mapping it into memory: the only `unsafe` code in the
//! crate, kept to the one call that maps.
//!
//! `score` reads a JSON Lines file in chunks of a few megabytes. Read with
//! `read(2)`, every byte is first copied by the kernel from the page cache
//! into a buffer of ours; mapped, the workers read the page cache where it
//! is. On the benchmark file (855 MB, 1M leads, 2 threads) that copy was
//! about 6% of the run's CPU time, and mapping makes the run about 3% faster
//! end to end (`docs/benchmarks-history.md`, round twenty-six).
//!
//! Only a window of the file (a chunk) is mapped at a time, and it is
//! unmapped when its leads are scored, so memory stays bounded as with
//! reading: a mapped page that was read counts towards the resident size
//! of the process until it is unmapped.
//!
//! A mapped file is read as long as it was when the run started: lines
//! appended during the run are not scored (a stream would read them).
//!
//! What mapping cannot guard against: another program shortening the file
//! while it is being scored. Reading the part that is gone then ends the
//! process with `SIGBUS` instead of an error, and bytes rewritten in place
//! during the run may be read half old, half new. Scoring a file while
//! something rewrites it gives wrong results with `read(2)` too; standard
//! input, pipes and anything other than a regular file are read as before.

#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::ops::Deref;

/// Bytes of a file, mapped read-only.
#[derive(Debug)]
pub struct Window {
    map: memmap2::Mmap,
}

impl Deref for Window {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

/// Maps `len` bytes of `file` from `offset` (any offset: the mapping
/// starts at the page that holds it). `len` must not be zero.
pub fn map(file: &File, offset: u64, len: usize) -> io::Result<Window> {
    // SAFETY: the mapping is read-only and private to this window; nothing
    // in this process writes the file. Another process that truncates or
    // rewrites it while it is mapped is the hazard the module doc states.
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .map(file)?
    };
    Ok(Window { map })
}
