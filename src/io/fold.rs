//! Reading a JSON Lines input on all threads for the commands that add leads
//! up into a report rather than write a line per lead (`diff`). The input is
//! cut into chunks and segments as `score` cuts it ([`super::pipeline`]);
//! each line is read once per model with the fast reader (the general path
//! where it declines), each segment is counted into its own accumulator on
//! whichever thread takes it, and the accumulators come back in input order,
//! each with the data errors of its lines, so reports and error listings are
//! those of reading the file line by line.

use crate::check::Model;
use crate::eval::{Lead, BATCH};
use crate::io::input::parse_json_line;
use crate::io::pipeline::{line_text, read_chunks, segments, Pieces};
use crate::io::project::{project, Projection, Scratch};
use crate::io::record::{add_new, lead_from_json, lookup, DataError};
use rayon::prelude::*;
use serde_json::Value as Json;
use std::io::BufRead;
use std::sync::Mutex;

/// Something a line gave besides its lead, in input order.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A value a model could not read (treated as missing); once per line
    /// when several models read it alike.
    Value(DataError),
    /// A line that is not a lead (not JSON, not UTF-8): skipped.
    Rejected(DataError),
}

/// A reader's buffers, kept from segment to segment.
struct Reader {
    scratch: Vec<Scratch>,
    /// Per model, a batch of leads: the first `pending` are read and not
    /// yet counted.
    leads: Vec<Vec<Lead>>,
    pending: usize,
    errors: Vec<DataError>,
    model_errors: Vec<DataError>,
}

/// Reads every lead of `input` (JSON Lines) for each of `models`, counting
/// segments of it into accumulators made by `init` with `each`, on all
/// threads of the current rayon pool. `each` is given leads a batch at a
/// time (up to [`BATCH`], so evaluators can score them together): for each
/// model, in the order of `models`, the same leads as read for it. With
/// `tag`, each lead also keeps the value at that path ([`Lead::tag`]).
/// `done` receives each segment's accumulator and notes in input order.
/// Memory is bounded by a few chunks of input.
pub fn fold_jsonl<T: Send>(
    input: Box<dyn BufRead + Send>,
    models: &[&Model],
    key: &[String],
    tag: Option<&[String]>,
    init: impl Fn() -> T + Sync,
    each: impl Fn(&mut T, &[&[Lead]]) + Sync,
    done: impl FnMut(T, Vec<Note>),
) -> std::io::Result<()> {
    fold_jsonl_in_pieces(Pieces::DEFAULT, input, models, key, tag, init, each, done)
}

/// [`fold_jsonl`] with the input cut into pieces of other sizes: for tests
/// and fuzz targets, which cut small inputs into many chunks and segments.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn fold_jsonl_in_pieces<T: Send>(
    pieces: Pieces,
    mut input: Box<dyn BufRead + Send>,
    models: &[&Model],
    key: &[String],
    tag: Option<&[String]>,
    init: impl Fn() -> T + Sync,
    each: impl Fn(&mut T, &[&[Lead]]) + Sync,
    mut done: impl FnMut(T, Vec<Note>),
) -> std::io::Result<()> {
    let projections: Vec<Projection> = models
        .iter()
        .map(|m| match tag {
            Some(tag) => Projection::with_tag(m, key, tag),
            None => Projection::for_scoring(m, key),
        })
        .collect();
    let readers: Mutex<Vec<Reader>> = Mutex::new(Vec::new());
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
    std::thread::scope(|scope| -> std::io::Result<()> {
        let fresh = || {
            spare
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop()
                .unwrap_or_default()
        };
        scope.spawn(move || read_chunks(&mut *input, &tx, &fresh, pieces.chunk));
        // Lines before the next segment: its notes are numbered from its start.
        let mut lines = 0u64;
        for chunk in rx {
            let chunk = chunk?;
            let parts = segments(&chunk, pieces.segment);
            let counted: Vec<(T, Vec<Note>, u64)> = parts
                .par_iter()
                .map(|&(start, end)| {
                    let mut r = readers
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .pop()
                        .unwrap_or_else(|| Reader {
                            scratch: models.iter().map(|_| Scratch::default()).collect(),
                            leads: models.iter().map(|_| Vec::new()).collect(),
                            pending: 0,
                            errors: Vec::new(),
                            model_errors: Vec::new(),
                        });
                    let mut acc = init();
                    let mut notes = Vec::new();
                    let seg = &chunk[start..end];
                    let seg = seg.strip_suffix(b"\n").unwrap_or(seg);
                    let mut line = 0;
                    for bytes in seg.split(|&b| b == b'\n') {
                        line += 1;
                        if r.pending == BATCH {
                            count(&mut r, &mut acc, &each);
                        }
                        let read = read_line(models, &projections, (key, tag), &mut r, line, bytes);
                        match read {
                            Ok(true) => r.pending += 1,
                            Ok(false) => {}
                            Err(e) => {
                                r.errors.clear();
                                notes.push(Note::Rejected(e));
                            }
                        }
                        notes.extend(r.errors.drain(..).map(Note::Value));
                    }
                    count(&mut r, &mut acc, &each);
                    readers.lock().unwrap_or_else(|e| e.into_inner()).push(r);
                    (acc, notes, line)
                })
                .collect();
            let mut chunk = chunk;
            chunk.clear();
            spare.lock().unwrap_or_else(|e| e.into_inner()).push(chunk);
            for (acc, mut notes, n) in counted {
                for note in &mut notes {
                    match note {
                        Note::Value(e) | Note::Rejected(e) => e.line += lines,
                    }
                }
                lines += n;
                done(acc, notes);
            }
        }
        Ok(())
    })
}

/// Hands the pending batch to `each`.
fn count<T>(r: &mut Reader, acc: &mut T, each: &impl Fn(&mut T, &[&[Lead]])) {
    if r.pending > 0 {
        let batch: Vec<&[Lead]> = r.leads.iter().map(|l| &l[..r.pending]).collect();
        each(acc, &batch);
        r.pending = 0;
    }
}

/// Reads one line into the next place of the batch (`r.pending`), one lead
/// per model, and the values the models could not read into `r.errors`:
/// `Ok(false)` for a blank line, `Err` for a line that is not a lead.
fn read_line(
    models: &[&Model],
    projections: &[Projection],
    (key, tag): (&[String], Option<&[String]>),
    r: &mut Reader,
    line: u64,
    bytes: &[u8],
) -> Result<bool, DataError> {
    r.errors.clear();
    let text = line_text(bytes, line)?;
    if text.trim().is_empty() {
        return Ok(false);
    }
    let at = r.pending;
    for leads in &mut r.leads {
        if leads.len() == at {
            leads.push(Lead::default());
        }
    }
    // Parsed only when the fast reader declines the line for some model.
    let mut json: Option<Json> = None;
    for (i, (model, projection)) in models.iter().zip(projections).enumerate() {
        r.model_errors.clear();
        let read = json.is_none()
            && project(
                projection,
                model,
                text,
                line,
                &mut r.scratch[i],
                &mut r.leads[i][at],
                &mut r.model_errors,
            );
        if !read {
            r.model_errors.clear();
            let value = match &json {
                Some(v) => v,
                None => json.insert(parse_json_line(text, line)?),
            };
            let lead = &mut r.leads[i][at];
            *lead = lead_from_json(model, value, key, line, &mut r.model_errors);
            if let Some(tag) = tag {
                lead.tag = lookup(value, tag).cloned().unwrap_or(Json::Null);
            }
        }
        add_new(&mut r.errors, 0, r.model_errors.drain(..));
    }
    Ok(true)
}
