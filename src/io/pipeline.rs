//! The scoring pipeline: records in, one result line per lead out, in input
//! order. JSON Lines input is read in large chunks cut at line boundaries;
//! each chunk's lines are scored on all threads by workers that reuse their
//! buffers, and the results are written in order. Memory is bounded by the
//! chunk size, not the input size.

use crate::check::Model;
use crate::eval::{Evaluator, Lead, Memo, Outcome, Shortcut, StageResult, BATCH};
use crate::io::input::{
    attach_events, attach_texts_for, attach_texts_to_read, attach_to_read, parse_json_line,
    EventsById, Format, Record,
};
use crate::io::join::{lines_to_join, records_to_join, Events, Join, LineWithEvents};
use crate::io::output::{self, Line, Names};
use crate::io::project::{project_for_scoring, Projection, Scratch};
use crate::io::record::{lead_from_json, DataError, DataErrorKind};
use crate::io::unseen::{Seen, Unseen};
use rayon::prelude::*;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};

/// Bytes of input read per chunk.
const CHUNK: usize = 4 << 20;
/// Chunks being scored or waiting to be written, at most.
const IN_FLIGHT: usize = 3;
/// What the scoring of one chunk produced: its parts, and its size in bytes.
type Scored = std::sync::mpsc::Receiver<std::io::Result<(Vec<Part>, u64)>>;
/// Bytes per parallel task.
const SEGMENT: usize = 256 << 10;

/// How the input is cut: chunks of about `chunk` bytes read in turn, each
/// split into tasks of about `segment` bytes, both at line breaks. Only
/// tests and fuzz targets use other sizes than [`Pieces::DEFAULT`], to
/// cut small inputs into many pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pieces {
    pub chunk: usize,
    pub segment: usize,
}

impl Pieces {
    pub const DEFAULT: Pieces = Pieces {
        chunk: CHUNK,
        segment: SEGMENT,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Json,
    Csv,
}

pub struct ScoreOptions<'a> {
    pub as_of: i64,
    pub key: Vec<String>,
    pub input: Format,
    pub output: OutputFormat,
    pub events: Option<&'a Events>,
    /// Stop at the first data error.
    pub strict: bool,
    pub batch: usize,
}

/// Counts for the summary printed after a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records read (lines that were not blank).
    pub read: u64,
    pub scored: u64,
    /// Lines skipped because they are not a lead (invalid JSON, bad CSV).
    pub rejected: u64,
    /// Empty lines, ignored (not errors, but counted so every line is accounted for).
    pub blank: u64,
    /// Leads per stage, in model order.
    pub stages: Vec<(String, u64)>,
    pub errors_by_kind: BTreeMap<&'static str, u64>,
    /// True when `strict` stopped the run early.
    pub stopped: bool,
    /// What no lead held: fields the rules read, event lists, the key
    /// (see [`crate::io::unseen`]). Empty when no lead was scored.
    pub unseen: Vec<Unseen>,
    seen: Seen,
}

impl Summary {
    pub fn data_errors(&self) -> u64 {
        self.errors_by_kind.values().sum()
    }
}

/// Receives what the run reports as it goes.
pub trait Sink {
    /// A data error (`rejected` holds the verbatim line when it was skipped).
    /// Return false to stop the run.
    fn data_error(&mut self, error: &DataError, rejected: Option<&str>) -> bool;
    /// After each chunk: records read and input bytes consumed so far.
    fn progress(&mut self, _read: u64, _bytes: u64) {}
}

/// What one task produced, in input order.
#[derive(Default)]
struct Part {
    out: Vec<u8>,
    read: u64,
    blank: u64,
    scored: u64,
    rejected: u64,
    /// Per stage index (stages, then the fallback, then `disqualified`).
    stages: Vec<u64>,
    /// Each error, the rejected line if any, and where the output stood
    /// after the lead it belongs to.
    errors: Vec<(DataError, Option<String>, usize)>,
    seen: Seen,
}

/// Where a lead's events from `--events` come from, for [`Ctx::read`].
#[derive(Clone, Copy)]
enum Joined<'e> {
    /// No `--events`.
    Nothing,
    /// Held in memory: looked up by the lead's id.
    Held(&'e EventsById),
    /// Spilled: the lead's own, handed over with its line.
    These(&'e [Box<str>]),
}

struct Ctx<'a> {
    model: &'a Model,
    ev: Evaluator<'a>,
    names: Names,
    projection: Projection,
    opts: &'a ScoreOptions<'a>,
}

/// A worker's reusable buffers. Leads are read into a batch and scored
/// together when it is full or when the segment ends (see
/// [`crate::eval::batch`]); their output lines are written in input order.
struct Worker {
    scratch: Scratch,
    /// The batch: leads read and not yet scored (the first `pending`), with
    /// room for their outcomes and the data errors found reading each.
    leads: Vec<Lead>,
    outcomes: Vec<Outcome>,
    lead_errors: Vec<Vec<DataError>>,
    pending: usize,
    memo: Memo,
    /// Data errors of the lead being read.
    errors: Vec<DataError>,
    /// The result line being written.
    line: Line,
}

impl Worker {
    fn new() -> Worker {
        Worker {
            scratch: Scratch::default(),
            leads: Vec::new(),
            outcomes: Vec::new(),
            lead_errors: Vec::new(),
            pending: 0,
            memo: Memo::default(),
            errors: Vec::new(),
            line: Line::default(),
        }
    }

    /// Makes sure the batch has a slot for the next lead.
    fn make_room(&mut self) {
        if self.leads.len() == self.pending {
            self.leads.push(Lead::default());
            self.outcomes.push(Outcome::default());
            self.lead_errors.push(Vec::new());
        }
    }
}

/// Workers, output buffers and input chunks kept for reuse, so their memory
/// is allocated a few times per run rather than once per segment or chunk.
#[derive(Default)]
struct Pools {
    workers: std::sync::Mutex<Vec<Worker>>,
    buffers: std::sync::Mutex<Vec<Vec<u8>>>,
    chunks: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl Pools {
    fn worker(&self) -> Worker {
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        workers.pop().unwrap_or_else(Worker::new)
    }

    fn give_back_worker(&self, w: Worker) {
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        workers.push(w);
    }

    /// An empty buffer with room for at least `capacity` bytes.
    fn buffer(&self, capacity: usize) -> Vec<u8> {
        let mut buffers = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        let mut b = buffers.pop().unwrap_or_default();
        b.reserve(capacity);
        b
    }

    /// An empty input buffer.
    fn chunk(&self) -> Vec<u8> {
        let mut chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        chunks.pop().unwrap_or_default()
    }

    fn give_back_chunk(&self, mut chunk: Vec<u8>) {
        chunk.clear();
        let mut chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        if chunks.len() < IN_FLIGHT + 2 {
            chunks.push(chunk);
        }
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        let mut buffers = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: at most a few chunks' worth of segments are in flight.
        if buffers.len() < 64 {
            buffers.push(buffer);
        }
    }
}

fn stage_index(model: &Model, o: &Outcome) -> usize {
    match o.stage {
        StageResult::Stage(i) => i,
        StageResult::Otherwise => model.stages.len(),
        StageResult::Disqualified => model.stages.len() + 1,
    }
}

/// Appends one CSV field, quoted when needed.
fn push_csv_field(buf: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        buf.push(b'"');
        buf.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

impl Ctx<'_> {
    fn write(&self, line: &mut Line, id: &Json, outcome: &Outcome, part: &mut Part) {
        match self.opts.output {
            OutputFormat::Json => {
                line.clear();
                line.result(&self.names, id, outcome);
                part.out.extend_from_slice(line.bytes());
            }
            OutputFormat::Csv => {
                for (i, cell) in output::csv_row(self.model, id, outcome).iter().enumerate() {
                    if i > 0 {
                        part.out.push(b',');
                    }
                    push_csv_field(&mut part.out, cell);
                }
            }
        }
        part.out.push(b'\n');
    }

    /// The lead in the batch's next slot is read: it joins the batch, with
    /// its data errors; a full batch is scored.
    fn queue(&self, w: &mut Worker, part: &mut Part) {
        let slot = &mut w.lead_errors[w.pending];
        slot.clear();
        slot.append(&mut w.errors);
        w.pending += 1;
        if w.pending == BATCH {
            self.flush(w, part);
        }
    }

    /// Scores the leads waiting in the batch and writes their lines, each
    /// followed by its data errors.
    fn flush(&self, w: &mut Worker, part: &mut Part) {
        let n = std::mem::take(&mut w.pending);
        if n == 0 {
            return;
        }
        self.ev.evaluate_batch(
            &w.leads[..n],
            self.opts.as_of,
            &mut w.outcomes[..n],
            &mut w.memo,
        );
        for ((lead, outcome), errors) in w.leads[..n]
            .iter()
            .zip(&w.outcomes[..n])
            .zip(&mut w.lead_errors[..n])
        {
            self.write(&mut w.line, &lead.id, outcome, part);
            part.seen.note(self.model, lead);
            part.scored += 1;
            part.stages[stage_index(self.model, outcome)] += 1;
            let end = part.out.len();
            part.errors.extend(errors.drain(..).map(|e| (e, None, end)));
        }
    }

    fn reject(&self, part: &mut Part, text: &str, error: DataError) {
        part.rejected += 1;
        let end = part.out.len();
        part.errors.push((error, Some(text.to_string()), end));
    }

    /// A parsed JSON object (CSV records, or lines the fast reader declined).
    fn value(&self, w: &mut Worker, part: &mut Part, line: u64, value: Json) {
        w.make_room();
        w.leads[w.pending] =
            lead_from_json(self.model, &value, &self.opts.key, line, &mut w.errors);
        self.queue(w, part);
    }

    fn line(
        &self,
        w: &mut Worker,
        part: &mut Part,
        line: u64,
        bytes: &[u8],
        shortcut: &Shortcut<'_>,
    ) {
        let text = match line_text(bytes, line) {
            Ok(t) => t,
            Err(error) => {
                part.read += 1;
                self.flush(w, part);
                self.reject(part, &String::from_utf8_lossy(bytes), error);
                return;
            }
        };
        if text.trim().is_empty() {
            part.blank += 1;
            return;
        }
        part.read += 1;
        let joined = match self.opts.events {
            None => Joined::Nothing,
            Some(Events::Held(held)) => Joined::Held(held),
            // Never here: spilled events come with their lines (see
            // `score_stream`).
            Some(Events::Spilled(_)) => Joined::Nothing,
        };
        self.read(w, part, line, text, joined, shortcut);
    }

    /// Reads a line's lead with the fast reader and adds its events from
    /// `--events`; or, for a line the fast reader leaves to the general
    /// path, parses it with serde_json, joins the events into it, and reads
    /// that.
    fn read(
        &self,
        w: &mut Worker,
        part: &mut Part,
        line: u64,
        text: &str,
        joined: Joined<'_>,
        shortcut: &Shortcut<'_>,
    ) {
        if part.seen.wants_sample() {
            part.seen.sample(text.to_string());
        }
        w.make_room();
        if project_for_scoring(
            &self.projection,
            self.model,
            text,
            line,
            &mut w.scratch,
            &mut w.leads[w.pending],
            &mut w.errors,
            shortcut,
        ) && {
            let (lead, list) = (&mut w.leads[w.pending], w.scratch.event_list(0));
            match joined {
                Joined::Nothing => true,
                Joined::Held(held) => {
                    attach_to_read(self.model, lead, list, held, line, &mut w.errors)
                }
                Joined::These(texts) => {
                    attach_texts_to_read(self.model, lead, list, texts, line, &mut w.errors)
                }
            }
        } {
            self.queue(w, part);
            return;
        }
        w.errors.clear();
        match parse_json_line(text, line) {
            Ok(mut v) => {
                match joined {
                    Joined::Nothing => {}
                    Joined::Held(held) => attach_events(self.model, &mut v, &self.opts.key, held),
                    Joined::These(texts) => attach_texts_for(&[self.model], &mut v, texts),
                }
                self.value(w, part, line, v)
            }
            Err(error) => {
                // A rejected line's error goes after the lines before it.
                self.flush(w, part);
                self.reject(part, text, error)
            }
        }
    }

    /// Scores one segment of a chunk, with a worker and an output buffer
    /// from the pools. Its lines are numbered from 1 at its start; it has
    /// `read + blank` of them.
    fn segment(&self, pools: &Pools, seg: &[u8]) -> Part {
        let mut w = pools.worker();
        let mut part = self.new_part();
        part.out = pools.buffer(seg.len() / 2);
        let shortcut = self.ev.shortcut(self.opts.as_of);
        let mut start = 0;
        let mut n = 0;
        for end in memchr::memchr_iter(b'\n', seg).chain(std::iter::once(seg.len())) {
            if start < seg.len() || end > start {
                n += 1;
                self.line(&mut w, &mut part, n, &seg[start..end], &shortcut);
            }
            start = end + 1;
        }
        self.flush(&mut w, &mut part);
        pools.give_back_worker(w);
        part
    }

    fn new_part(&self) -> Part {
        Part {
            stages: vec![0; self.model.stages.len() + 2],
            seen: Seen::new(self.model),
            ..Part::default()
        }
    }
}

/// A JSON Lines line's text, without a trailing carriage return, or the
/// error for a line that is not UTF-8.
pub(crate) fn line_text(bytes: &[u8], line: u64) -> Result<&str, DataError> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(t) => Ok(t.strip_suffix('\r').unwrap_or(t)),
        Err(_) => Err(DataError {
            line,
            path: String::new(),
            kind: DataErrorKind::InvalidJson {
                message: "the line is not valid UTF-8".into(),
            },
        }),
    }
}

/// Reads `input` into chunks of about `size` bytes that end at a line
/// break (the last may not), and sends them in order.
pub(crate) fn read_chunks<C: From<Vec<u8>>>(
    input: &mut (dyn BufRead + Send),
    tx: &std::sync::mpsc::SyncSender<std::io::Result<C>>,
    fresh: &dyn Fn() -> Vec<u8>,
    size: usize,
) {
    let size = size.max(1);
    let mut carry: Vec<u8> = Vec::new();
    // When `carry` is the start of a line longer than a chunk: its length
    // (it holds no line break, so only what is read after it is searched).
    let mut unbroken = 0;
    loop {
        // A buffer of a chunk already scored, when there is one: fresh
        // memory costs a page fault per 4 KB.
        let mut chunk = if unbroken > 0 {
            // A line longer than a chunk: keep growing it, without copying.
            std::mem::take(&mut carry)
        } else {
            let mut chunk = fresh();
            chunk.extend_from_slice(&carry);
            carry.clear();
            chunk
        };
        // At least a chunk's worth more than the unbroken start of a line.
        let target = unbroken + size;
        chunk.reserve(target.saturating_sub(chunk.len()) + size.min(64 << 10));
        let mut eof = false;
        while chunk.len() < target {
            // `read_to_end` reads into spare capacity without zeroing it first.
            let want = (target - chunk.len()).max(size.min(64 << 10)) as u64;
            match (&mut *input).take(want).read_to_end(&mut chunk) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        if eof {
            if !chunk.is_empty() {
                let _ = tx.send(Ok(chunk.into()));
            }
            return;
        }
        match memchr::memrchr(b'\n', &chunk[unbroken..]) {
            Some(i) => {
                let end = unbroken + i + 1;
                carry.extend_from_slice(&chunk[end..]);
                chunk.truncate(end);
                unbroken = 0;
                if tx.send(Ok(chunk.into())).is_err() {
                    return;
                }
            }
            // A line longer than a chunk: keep reading.
            None => {
                unbroken = chunk.len();
                carry = chunk;
            }
        }
    }
}

/// What `score` reads leads from.
pub enum Input {
    /// A stream: standard input, a pipe, or a file opened for reading.
    Reader(Box<dyn BufRead + Send>),
    /// An open file. JSON Lines from a regular file are read by mapping a
    /// chunk of it at a time ([`crate::io::mapped`]); anything else (other
    /// formats, a named pipe, a device) through a reader.
    File(std::fs::File),
}

impl Input {
    /// The file to map, when it is a regular file; else the reader to read.
    fn into_mapped(self) -> Result<std::fs::File, Box<dyn BufRead + Send>> {
        match self {
            Input::File(f) if f.metadata().is_ok_and(|m| m.is_file()) => Ok(f),
            other => Err(other.into_reader()),
        }
    }

    fn into_reader(self) -> Box<dyn BufRead + Send> {
        match self {
            Input::Reader(r) => r,
            // A read larger than the buffer bypasses it.
            Input::File(f) => Box::new(std::io::BufReader::with_capacity(64 << 10, f)),
        }
    }
}

/// A chunk of input: bytes read into a buffer, or a mapped window of a
/// file (its first `len` bytes: it ends at a line break).
pub(crate) enum Chunk {
    Read(Vec<u8>),
    Mapped {
        window: crate::io::mapped::Window,
        len: usize,
    },
}

impl std::ops::Deref for Chunk {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Chunk::Read(bytes) => bytes,
            Chunk::Mapped { window, len } => &window[..*len],
        }
    }
}

impl From<Vec<u8>> for Chunk {
    fn from(bytes: Vec<u8>) -> Chunk {
        Chunk::Read(bytes)
    }
}

/// [`read_chunks`] of a regular file, by mapping a window of about `size`
/// bytes at a time, cut after its last line break. A window that holds
/// none (a line longer than a chunk) is mapped again twice as long, and
/// only its new part is searched, until it holds one or reaches the end of
/// the file, whose last line need not end with a line break.
pub(crate) fn map_chunks(
    file: &std::fs::File,
    tx: &std::sync::mpsc::SyncSender<std::io::Result<Chunk>>,
    size: usize,
) {
    let total = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => {
            let _ = tx.send(Err(e));
            return;
        }
    };
    let size = size.max(1) as u64;
    let mut offset = 0u64;
    // Bytes from `offset` known to hold no line break.
    let mut searched = 0u64;
    let mut want = size;
    while offset < total {
        let len = want.min(total - offset);
        let window = match crate::io::mapped::map(file, offset, len as usize) {
            Ok(w) => w,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let end = match memchr::memrchr(b'\n', &window[searched as usize..]) {
            Some(i) => searched as usize + i + 1,
            None if offset + len == total => window.len(),
            None => {
                searched = len;
                want = want.saturating_mul(2);
                continue;
            }
        };
        offset += end as u64;
        (searched, want) = (0, size);
        if tx.send(Ok(Chunk::Mapped { window, len: end })).is_err() {
            return;
        }
    }
}

/// Splits a chunk into segments of about `size` bytes at line breaks.
/// Lines are not counted here: each segment counts its own as it reads
/// them, and its data errors, numbered from the segment's start, are
/// renumbered when the segments are put back in input order, which saves a pass over the
/// input.
pub(crate) fn segments(chunk: &[u8], size: usize) -> Vec<(usize, usize)> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < chunk.len() {
        let target = (start + size).min(chunk.len());
        let end = if target == chunk.len() {
            target
        } else {
            memchr::memchr(b'\n', &chunk[target..])
                .map(|i| target + i + 1)
                .unwrap_or(chunk.len())
        };
        out.push((start, end));
        start = end;
    }
    out
}

/// Only the temporary files of spilled events fail to read while records
/// are joined to them: their errors, said so (see [`in_batches`]).
fn joining(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!("joining leads to their spilled events: {e}"),
    )
}

/// Scores items read one at a time: in batches of `--batch` items, each
/// batch on all threads (`score` turns an item into its part, with a
/// worker of its thread), its parts then emitted in input order (see
/// [`emit`]), until the items end or strict mode stops the run. An error reading an item is one
/// of the spilled events' files (see [`joining`]).
fn in_batches<T: Send>(
    ctx: &Ctx<'_>,
    mut items: impl Iterator<Item = std::io::Result<T>>,
    score: impl Fn(&mut Worker, &mut Part, T) + Sync,
    out: &mut dyn Write,
    sink: &mut dyn Sink,
    summary: &mut Summary,
    stage_counts: &mut [u64],
) -> std::io::Result<()> {
    let batch_size = ctx.opts.batch.max(1);
    loop {
        let batch = items
            .by_ref()
            .take(batch_size)
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(joining)?;
        if batch.is_empty() {
            return Ok(());
        }
        let parts: Vec<Part> = batch
            .into_par_iter()
            .map_init(Worker::new, |w, item| {
                let mut part = ctx.new_part();
                score(w, &mut part, item);
                part
            })
            .collect();
        for part in &parts {
            if !emit(ctx, part, out, sink, summary, stage_counts)? {
                return Ok(());
            }
        }
        sink.progress(summary.read, 0);
    }
}

/// Hands a finished part to the output and the sink. Returns false when the
/// run must stop (strict mode).
fn emit(
    ctx: &Ctx<'_>,
    part: &Part,
    out: &mut dyn Write,
    sink: &mut dyn Sink,
    summary: &mut Summary,
    stage_counts: &mut [u64],
) -> std::io::Result<bool> {
    if let Some(first) = part.errors.first().filter(|_| ctx.opts.strict) {
        // Strict: everything up to and including the first failing lead.
        let (error, rejected, end) = first;
        out.write_all(&part.out[..*end])?;
        *summary.errors_by_kind.entry(error.kind.name()).or_default() += 1;
        sink.data_error(error, rejected.as_deref());
        let leads = memchr::memchr_iter(b'\n', &part.out[..*end]).count() as u64;
        summary.scored += leads;
        summary.read += leads + u64::from(rejected.is_some());
        summary.rejected += u64::from(rejected.is_some());
        summary.stopped = true;
        return Ok(false);
    }
    out.write_all(&part.out)?;
    summary.seen.merge(&part.seen);
    summary.read += part.read;
    summary.blank += part.blank;
    summary.scored += part.scored;
    summary.rejected += part.rejected;
    for (c, n) in stage_counts.iter_mut().zip(&part.stages) {
        *c += n;
    }
    for (error, rejected, _) in &part.errors {
        *summary.errors_by_kind.entry(error.kind.name()).or_default() += 1;
        if !sink.data_error(error, rejected.as_deref()) {
            summary.stopped = true;
        }
    }
    Ok(!summary.stopped)
}

/// Scores every record of `input`, writing one line per lead to `out`.
pub fn score_stream(
    model: &Model,
    input: Input,
    opts: &ScoreOptions<'_>,
    out: &mut dyn Write,
    sink: &mut dyn Sink,
) -> std::io::Result<Summary> {
    let ctx = Ctx {
        model,
        ev: Evaluator::new(model),
        names: Names::new(model),
        projection: Projection::for_scoring(model, &opts.key),
        opts,
    };
    let mut summary = Summary {
        seen: Seen::new(model),
        ..Summary::default()
    };
    let mut stage_counts = vec![0u64; model.stages.len() + 2];
    if opts.output == OutputFormat::Csv {
        let header: Vec<String> = output::csv_header(model);
        let mut line = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            push_csv_field(&mut line, h);
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    // JSON Lines are read in chunks on all threads, unless their events
    // were spilled: the join then reads them in order, as it reads CSV.
    match (opts.input, opts.events) {
        (Format::Jsonl, None | Some(Events::Held(_))) => {
            // Three stages overlap: a reader thread cuts the input into
            // chunks that end at a line break, a scoring thread scores each
            // chunk's segments on all threads, and this thread writes the
            // results of one chunk while the next is being scored.
            let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Chunk>>(2);
            // One receiver per chunk, in input order; the bound limits how
            // many chunks are in flight (and so the memory used).
            let (ptx, prx) = std::sync::mpsc::sync_channel::<Scored>(IN_FLIGHT);
            let pools = Pools::default();
            let (ctx, pools) = (&ctx, &pools);
            std::thread::scope(|scope| -> std::io::Result<()> {
                scope.spawn(move || match input.into_mapped() {
                    Ok(file) => map_chunks(&file, &tx, CHUNK),
                    Err(mut input) => read_chunks(&mut *input, &tx, &|| pools.chunk(), CHUNK),
                });
                scope.spawn(move || {
                    // Chunks are scored as tasks of one scope, so a thread
                    // that finishes its share of one chunk starts on the
                    // next rather than waiting for the slowest segment.
                    rayon::in_place_scope(|tasks| {
                        for chunk in rx {
                            let (done, result) = std::sync::mpsc::sync_channel(1);
                            let chunk = match chunk {
                                Ok(chunk) => chunk,
                                Err(e) => {
                                    let _ = done.send(Err(e));
                                    let _ = ptx.send(result);
                                    return;
                                }
                            };
                            let segments = segments(&chunk, SEGMENT);
                            // A closed channel means the writer stopped (strict mode).
                            if ptx.send(result).is_err() {
                                return;
                            }
                            tasks.spawn(move |_| {
                                let parts: Vec<Part> = segments
                                    .par_iter()
                                    .map(|&(start, end)| ctx.segment(pools, &chunk[start..end]))
                                    .collect();
                                let len = chunk.len() as u64;
                                if let Chunk::Read(bytes) = chunk {
                                    pools.give_back_chunk(bytes);
                                }
                                let _ = done.send(Ok((parts, len)));
                            });
                        }
                    });
                });
                let mut bytes = 0u64;
                // Lines before the next part: its errors are numbered from its start.
                let mut lines = 0u64;
                for result in prx {
                    // A scoring task that panicked drops its sender: stop.
                    let Ok(msg) = result.recv() else {
                        return Err(std::io::Error::other("a scoring task failed"));
                    };
                    let (parts, len) = msg?;
                    bytes += len;
                    for mut part in parts {
                        for (error, _, _) in &mut part.errors {
                            error.line += lines;
                        }
                        lines += part.read + part.blank;
                        let go_on = emit(ctx, &part, out, sink, &mut summary, &mut stage_counts)?;
                        pools.give_back(part.out);
                        if !go_on {
                            // Dropping the receiver stops the scorer, then the reader.
                            return Ok(());
                        }
                    }
                    sink.progress(summary.read, bytes);
                }
                Ok(())
            })?;
        }
        (Format::Jsonl, Some(Events::Spilled(spill))) => {
            // Lines are read in order with their lead's events; each is
            // read and joined on all threads.
            let lines = lines_to_join(input.into_reader(), spill, &opts.key).map_err(joining)?;
            let shortcut = ctx.ev.shortcut(opts.as_of);
            let score =
                |w: &mut Worker, part: &mut Part, (line, text, texts): LineWithEvents| match text {
                    Err((text, error)) => {
                        part.read += 1;
                        ctx.reject(part, &text, error)
                    }
                    Ok(text) if text.trim().is_empty() => part.blank += 1,
                    Ok(text) => {
                        part.read += 1;
                        ctx.read(w, part, line, &text, Joined::These(&texts), &shortcut);
                        ctx.flush(w, part);
                    }
                };
            in_batches(
                &ctx,
                lines,
                score,
                out,
                sink,
                &mut summary,
                &mut stage_counts,
            )?;
        }
        (Format::Csv, _) => {
            // Records are read in order; their events are attached on all
            // threads.
            let records = records_to_join(opts.input, input.into_reader(), opts.events, &opts.key)
                .map_err(joining)?;
            let models = [model];
            let score = |w: &mut Worker, part: &mut Part, (rec, join): (Record, Join<'_>)| match rec
            {
                Record::Lead { line, mut value } => {
                    part.read += 1;
                    if part.seen.wants_sample() {
                        part.seen.sample(value.to_string());
                    }
                    join.attach(&models, &mut value, &opts.key);
                    ctx.value(w, part, line, value);
                    ctx.flush(w, part);
                }
                Record::Rejected { text, error, .. } => {
                    part.read += 1;
                    ctx.reject(part, &text, error)
                }
                Record::Blank { .. } => part.blank += 1,
            };
            in_batches(
                &ctx,
                records,
                score,
                out,
                sink,
                &mut summary,
                &mut stage_counts,
            )?;
        }
    }
    out.flush()?;
    let mut names: Vec<String> = model.stages.iter().map(|s| s.name.clone()).collect();
    names.push(model.fallback_stage().to_string());
    names.push("disqualified".into());
    summary.stages = names
        .into_iter()
        .zip(stage_counts)
        .filter(|(_, n)| *n > 0)
        .collect();
    // A run stopped early has not seen the rest.
    if summary.scored > 0 && !summary.stopped {
        summary.unseen = summary.seen.unseen(model, &opts.key);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests;
