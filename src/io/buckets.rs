//! Temporary bucket files, for work that spills to disk past a memory
//! budget (the events join, finding repeated keys): a key's bucket, and
//! entries written as numbers (eight bytes) and texts (their length, then
//! their bytes).

use super::scratch;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The file of bucket `bucket` of kind `what` in `dir`.
pub(crate) fn file(dir: &Path, what: &str, bucket: usize) -> PathBuf {
    dir.join(format!("{what}-{bucket}"))
}

pub(crate) fn create(path: &Path) -> io::Result<BufWriter<File>> {
    let file = scratch::making(|| File::create(path))?;
    Ok(BufWriter::with_capacity(64 << 10, file))
}

pub(crate) fn open(path: &Path) -> io::Result<BufReader<File>> {
    Ok(BufReader::with_capacity(16 << 10, File::open(path)?))
}

/// The bucket of a key: the same in every pass.
pub(crate) fn bucket_of(key: &str, buckets: usize) -> usize {
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    (h.finish() % buckets as u64) as usize
}

pub(crate) fn put_u64(w: &mut impl Write, n: u64) -> io::Result<()> {
    w.write_all(&n.to_le_bytes())
}

pub(crate) fn put_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    put_u64(w, s.len() as u64)?;
    w.write_all(s.as_bytes())
}

/// The next number, or `None` at the end of the file.
pub(crate) fn get_u64(r: &mut impl Read) -> io::Result<Option<u64>> {
    let mut b = [0u8; 8];
    match r.read_exact(&mut b) {
        Ok(()) => Ok(Some(u64::from_le_bytes(b))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// A temporary file that ends inside an entry.
pub(crate) fn cut_short() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "a temporary file of leadscore's ends early",
    )
}

pub(crate) fn get_str(r: &mut impl Read) -> io::Result<String> {
    get_str_or_end(r)?.ok_or_else(cut_short)
}

/// The next text, or `None` at the end of the file.
pub(crate) fn get_str_or_end(r: &mut impl Read) -> io::Result<Option<String>> {
    let Some(len) = get_u64(r)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    r.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(cut_short());
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
