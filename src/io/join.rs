//! Joining leads to the events of an `--events` file in bounded memory.
//!
//! Events are held in memory by lead id while their text fits in a budget
//! ([`DEFAULT_BUDGET`]). Past it they are spilled: written to temporary
//! files, "buckets", each lead id's events to the one bucket a hash of the
//! id picks. Leads are then joined in three passes, none of which holds
//! more than one bucket's events:
//!
//! 1. the leads are read for their ids: each lead's line number and id go
//!    to its id's bucket, and the leads' bytes are copied to a spool file
//!    (so standard input can be read twice);
//! 2. bucket by bucket, its events are loaded, and each lead listed there
//!    that has events gets an entry (its line, its events) in a match list,
//!    in line order;
//! 3. the spooled leads are read again, in order, and each takes its entry
//!    from the match lists, merged by line.
//!
//! A lead gets exactly the events the held join gives it; the property
//! tests in `tests/join.rs` compare the two.

use crate::check::Model;
use crate::io::buckets::{
    bucket_of, create, cut_short, file, get_str, get_str_or_end, get_u64, open, put_str, put_u64,
};
use crate::io::input::{
    attach_events_for, attach_texts_for, csv_records, each_event, jsonl_records, lead_id, lines_of,
    EventsById, Format, Record,
};
use crate::io::record::DataError;
use crate::io::scratch::{self, Scratch};
use serde_json::Value as Json;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

/// Bytes of event text (with ids) held in memory before events are spilled.
pub const DEFAULT_BUDGET: usize = 64 << 20;
/// Buckets of a spill, at most: each is an open file during some passes.
const MAX_BUCKETS: usize = 256;
const MIN_BUCKETS: usize = 4;
/// Bytes counted for each event held, beside its text and lead id.
const PER_EVENT: usize = 32;

/// The events of an `--events` file, ready to join.
pub enum Events {
    /// All in memory.
    Held(EventsById),
    /// In temporary files, by bucket (removed when dropped).
    Spilled(Spill),
}

/// Events spilled to temporary files.
pub struct Spill {
    dir: Scratch,
    buckets: usize,
}

/// Reads an events file (see [`crate::io::input::read_events`]), holding
/// its events while their text fits in `budget` bytes and spilling them to
/// temporary files past that. `size`, the file's size when known, sets how
/// many buckets a spill uses. Calls `bad` with each line that is not an
/// event.
pub fn read_events_within(
    path: &str,
    reader: Box<dyn BufRead + Send>,
    budget: usize,
    size: Option<u64>,
    bad: impl FnMut(DataError),
) -> io::Result<Events> {
    let mut held = EventsById::default();
    let mut bytes = 0usize;
    let mut spill: Option<(Spill, Vec<BufWriter<File>>)> = None;
    let mut failed = None;
    each_event(
        path,
        reader,
        |id, text| {
            let done = match &mut spill {
                Some((s, writers)) => put_event(writers, s.buckets, &id, &text),
                None => {
                    bytes += id.len() + text.len() + PER_EVENT;
                    held.push(id, text);
                    if bytes > budget {
                        start_spill(&mut held, size, budget).map(|s| spill = Some(s))
                    } else {
                        Ok(())
                    }
                }
            };
            // A temporary file that can't be written ends the reading.
            done.map_err(|e| failed = Some(e)).is_ok()
        },
        bad,
    );
    if let Some(e) = failed {
        return Err(e);
    }
    match spill {
        None => Ok(Events::Held(held)),
        Some((s, writers)) => {
            for mut w in writers {
                w.flush()?;
            }
            Ok(Events::Spilled(s))
        }
    }
}

/// The events of one lead (by its id) in an events file, as
/// [`read_events_within`] reads them.
pub fn read_events_of(
    path: &str,
    reader: Box<dyn BufRead + Send>,
    lead: &str,
    bad: impl FnMut(DataError),
) -> EventsById {
    let mut held = EventsById::default();
    each_event(
        path,
        reader,
        |id, text| {
            if id == lead {
                held.push(id, text);
            }
            true
        },
        bad,
    );
    held
}

fn start_spill(
    held: &mut EventsById,
    size: Option<u64>,
    budget: usize,
) -> io::Result<(Spill, Vec<BufWriter<File>>)> {
    // Held, events take about twice their size in the file.
    let buckets = match size {
        Some(size) => usize::try_from(size.saturating_mul(2) / budget.max(1) as u64 + 1)
            .unwrap_or(MAX_BUCKETS)
            .clamp(MIN_BUCKETS, MAX_BUCKETS),
        None => MAX_BUCKETS,
    };
    let dir = Scratch::new("leadscore-events-")?;
    let mut writers = (0..buckets)
        .map(|b| create(&file(dir.path(), "events", b)))
        .collect::<io::Result<Vec<_>>>()?;
    for (id, texts) in held.drain() {
        for text in &texts {
            put_event(&mut writers, buckets, &id, text)?;
        }
    }
    Ok((Spill { dir, buckets }, writers))
}

fn put_event(
    writers: &mut [BufWriter<File>],
    buckets: usize,
    id: &str,
    text: &str,
) -> io::Result<()> {
    let w = &mut writers[bucket_of(id, buckets)];
    put_str(w, id)?;
    put_str(w, text)
}

impl Spill {
    /// The events of one bucket, by lead id.
    fn load(&self, bucket: usize) -> io::Result<EventsById> {
        let mut r = open(&file(self.dir.path(), "events", bucket))?;
        let mut held = EventsById::default();
        while let Some(id) = get_str_or_end(&mut r)? {
            held.push(id, get_str(&mut r)?);
        }
        Ok(held)
    }

    /// Passes 1 and 2 (see the module's notes): reads the leads for their
    /// ids, and returns them spooled with the events of each.
    fn match_leads(
        &self,
        format: Format,
        input: Box<dyn BufRead + Send>,
        key: &[String],
    ) -> io::Result<(Box<dyn BufRead + Send>, Matches)> {
        let dir = scratch::making(|| {
            tempfile::Builder::new()
                .prefix("join-")
                .tempdir_in(self.dir.path())
        })?;
        let spool_path = dir.path().join("leads");
        let mut tee = Tee {
            inner: input,
            copy: create(&spool_path)?,
            failed: None,
        };
        let mut ids = (0..self.buckets)
            .map(|b| create(&file(dir.path(), "ids", b)))
            .collect::<io::Result<Vec<_>>>()?;
        let mut note = |record: Record| -> io::Result<()> {
            match record {
                Record::Lead { line, value } => {
                    let id = lead_id(&value, key);
                    // Events always have an id: a lead without one has none.
                    if !id.is_empty() {
                        let w = &mut ids[bucket_of(&id, self.buckets)];
                        put_u64(w, line)?;
                        put_str(w, &id)?;
                    }
                    Ok(())
                }
                Record::Rejected { .. } | Record::Blank { .. } => Ok(()),
            }
        };
        match format {
            Format::Jsonl => jsonl_records(&mut tee).try_for_each(&mut note)?,
            Format::Csv => csv_records(&mut tee).try_for_each(&mut note)?,
        }
        if let Some(e) = tee.failed {
            return Err(e);
        }
        tee.copy.flush()?;
        for mut w in ids {
            w.flush()?;
        }
        for b in 0..self.buckets {
            let events = self.load(b)?;
            let ids_path = file(dir.path(), "ids", b);
            let mut r = open(&ids_path)?;
            let mut w = create(&file(dir.path(), "matches", b))?;
            while let Some(line) = get_u64(&mut r)? {
                let texts = events.texts(&get_str(&mut r)?);
                if !texts.is_empty() {
                    put_u64(&mut w, line)?;
                    put_u64(&mut w, texts.len() as u64)?;
                    for t in texts {
                        put_str(&mut w, t)?;
                    }
                }
            }
            w.flush()?;
            drop(r);
            std::fs::remove_file(ids_path)?;
        }
        let spool: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(1 << 20, File::open(&spool_path)?));
        let mut matches = Matches {
            lists: (0..self.buckets)
                .map(|b| open(&file(dir.path(), "matches", b)))
                .collect::<io::Result<Vec<_>>>()?,
            heads: BinaryHeap::new(),
            pending: vec![Vec::new(); self.buckets],
            _dir: dir,
        };
        for b in 0..self.buckets {
            matches.advance(b)?;
        }
        Ok((spool, matches))
    }
}

/// Copies what is read through it to a file.
struct Tee {
    inner: Box<dyn BufRead + Send>,
    copy: BufWriter<File>,
    failed: Option<io::Error>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(buf.len());
            buf[..n].copy_from_slice(&have[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Tee {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if amt > 0 && self.failed.is_none() {
            // The bytes consumed are the start of what `fill_buf` last gave,
            // which it gives again without reading.
            let copied = match self.inner.fill_buf() {
                Ok(have) => self.copy.write_all(&have[..amt.min(have.len())]),
                Err(e) => Err(e),
            };
            self.failed = copied.err();
        }
        self.inner.consume(amt);
    }
}

/// Pass 3: the match lists of all buckets, merged by line.
struct Matches {
    lists: Vec<BufReader<File>>,
    /// The line of each list's next entry.
    heads: BinaryHeap<Reverse<(u64, usize)>>,
    /// Each list's next entry's events.
    pending: Vec<Vec<Box<str>>>,
    /// Where the lists and the spooled leads are (removed when dropped).
    _dir: tempfile::TempDir,
}

impl Matches {
    /// Reads the next entry of list `b`.
    fn advance(&mut self, b: usize) -> io::Result<()> {
        let r = &mut self.lists[b];
        if let Some(line) = get_u64(r)? {
            let n = get_u64(r)?.ok_or_else(cut_short)?;
            let mut texts = Vec::new();
            for _ in 0..n {
                texts.push(get_str(r)?.into_boxed_str());
            }
            self.pending[b] = texts;
            self.heads.push(Reverse((line, b)));
        }
        Ok(())
    }

    /// The events of the lead on `line`; lines must come in order.
    fn take(&mut self, line: u64) -> io::Result<Vec<Box<str>>> {
        while let Some(&Reverse((next, b))) = self.heads.peek() {
            if next > line {
                break;
            }
            self.heads.pop();
            let texts = std::mem::take(&mut self.pending[b]);
            self.advance(b)?;
            if next == line {
                return Ok(texts);
            }
        }
        Ok(Vec::new())
    }
}

/// What a record is to be joined with: its lead's events, to attach for
/// the models that read it (see [`attach_events_for`]). Attaching parses
/// each event, so a caller may do it on another thread than the one that
/// reads the records.
pub enum Join<'a> {
    /// No events (no `--events`, or a record that is not a lead).
    Nothing,
    /// The lead's events are those of its id here.
    ById(&'a EventsById),
    /// The lead's events, as kept.
    These(Vec<Box<str>>),
}

impl Join<'_> {
    /// Adds the events to the lead, for `models`.
    pub fn attach(&self, models: &[&Model], lead: &mut Json, key: &[String]) {
        match self {
            Join::Nothing => {}
            Join::ById(held) => attach_events_for(models, lead, key, held),
            Join::These(texts) => attach_texts_for(models, lead, texts),
        }
    }
}

/// A record and what to join to it, or a failure to read the temporary
/// files of a spilled join.
pub type ToJoin<'a> = io::Result<(Record, Join<'a>)>;

/// The records of a leads file in input order, each with what to join to
/// it; without events, the records as they are. A spilled join reads the
/// input through first (see the module's notes), so a failure to read its
/// temporary files can come before the first record or with any later one.
pub fn records_to_join<'a>(
    format: Format,
    input: Box<dyn BufRead + Send>,
    events: Option<&'a Events>,
    key: &'a [String],
) -> io::Result<Box<dyn Iterator<Item = ToJoin<'a>> + Send + 'a>> {
    match events {
        None => Ok(Box::new(
            records(format, input).map(|r| Ok((r, Join::Nothing))),
        )),
        Some(Events::Held(held)) => Ok(Box::new(records(format, input).map(move |r| {
            let join = match r {
                Record::Lead { .. } => Join::ById(held),
                Record::Rejected { .. } | Record::Blank { .. } => Join::Nothing,
            };
            Ok((r, join))
        }))),
        Some(Events::Spilled(spill)) => {
            let (spool, mut matches) = spill.match_leads(format, input, key)?;
            Ok(Box::new(records(format, spool).map(move |r| {
                let join = match r {
                    Record::Lead { line, .. } => Join::These(matches.take(line)?),
                    Record::Rejected { .. } | Record::Blank { .. } => Join::Nothing,
                };
                Ok((r, join))
            })))
        }
    }
}

/// A JSON Lines line with the events spilled for its lead: its number, its
/// text (or, for a line that is not UTF-8, its bytes made readable and the
/// error), and its lead's events as kept.
pub type LineToJoin = io::Result<LineWithEvents>;

/// A line of [`LineToJoin`], read.
pub type LineWithEvents = (u64, Result<String, (String, DataError)>, Vec<Box<str>>);

/// The lines of a JSON Lines input, each with the spilled events of the
/// lead on it, unparsed: for a reader that parses lines itself (see
/// [`records_to_join`], which gives them parsed).
pub fn lines_to_join<'a>(
    input: Box<dyn BufRead + Send>,
    spill: &'a Spill,
    key: &'a [String],
) -> io::Result<Box<dyn Iterator<Item = LineToJoin> + Send + 'a>> {
    let (spool, mut matches) = spill.match_leads(Format::Jsonl, input, key)?;
    Ok(Box::new(lines_of(spool).map(move |(line, text)| {
        // Only leads have events, and lines come in order: any other line
        // takes none.
        let texts = match &text {
            Ok(t) if !t.trim().is_empty() => matches.take(line)?,
            Ok(_) | Err(_) => Vec::new(),
        };
        Ok((line, text, texts))
    })))
}

/// [`records_to_join`] with the events attached, for `models`.
pub fn joined_records<'a>(
    format: Format,
    input: Box<dyn BufRead + Send>,
    events: Option<&'a Events>,
    models: &'a [&'a Model],
    key: &'a [String],
) -> io::Result<Box<dyn Iterator<Item = io::Result<Record>> + Send + 'a>> {
    let records = records_to_join(format, input, events, key)?;
    Ok(Box::new(records.map(move |r| {
        let (mut record, join) = r?;
        if let Record::Lead { value, .. } = &mut record {
            join.attach(models, value, key);
        }
        Ok(record)
    })))
}

fn records(
    format: Format,
    input: Box<dyn BufRead + Send>,
) -> Box<dyn Iterator<Item = Record> + Send> {
    match format {
        Format::Jsonl => Box::new(jsonl_records(input)),
        Format::Csv => Box::new(csv_records(input)),
    }
}
