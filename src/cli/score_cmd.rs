//! `leadscore score`: run a model over leads.

use super::{exit, model_cmds::load_model, out_file::OutFile};
use leadscore::check::Model;
use leadscore::io::input::Format;
use leadscore::io::join::{joined_records, read_events_within, Events, DEFAULT_BUDGET};
use leadscore::io::pipeline::{score_stream, Input, OutputFormat, ScoreOptions, Sink, Summary};
use leadscore::io::record::DataError;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// How many data errors are printed one by one before only counting.
pub const PRINTED_ERRORS: u64 = 50;

pub struct ScoreArgs {
    pub model: PathBuf,
    pub leads: String,
    pub as_of: Option<String>,
    pub format: OutputFormat,
    pub input_format: Option<Format>,
    pub output: Option<PathBuf>,
    pub key: String,
    pub events: Option<String>,
    pub rejects: Option<PathBuf>,
    pub errors: Option<PathBuf>,
    pub strict: bool,
    pub threads: Option<usize>,
    pub quiet: bool,
}

/// Parses `--as-of` (RFC 3339, YYYY-MM-DD or a Unix time), or now.
pub fn as_of(arg: Option<&str>) -> Result<i64, i32> {
    match arg {
        None => Ok(leadscore::time::now()),
        Some(s) => leadscore::time::parse_time(s).ok_or_else(|| {
            eprintln!("error: `--as-of {s}` is not a time; use RFC 3339 (`2026-11-01T09:30:00Z`), `YYYY-MM-DD` or a Unix time (`1793491200`)");
            exit::USAGE
        }),
    }
}

/// Reads `--events FILE` when it is given, printing the first lines it could
/// not read (and how many there were, when more): the events, and how many
/// lines were bad; with `quiet`, printing nothing. Past a budget of memory
/// (`LEADSCORE_EVENTS_MEMORY`, 64 MB unless set) the events are spilled to
/// temporary files.
pub fn load_events(path: Option<&str>, quiet: bool) -> Result<(Option<Events>, u64), i32> {
    load_events_noting(path, quiet, |_| {})
}

/// [`load_events`], also handing each line it could not read to `note`.
fn load_events_noting(
    path: Option<&str>,
    quiet: bool,
    mut note: impl FnMut(&DataError),
) -> Result<(Option<Events>, u64), i32> {
    let Some(path) = path else {
        return Ok((None, 0));
    };
    let budget = events_budget()?;
    let size = match path {
        "-" => None,
        _ if is_gzip(path) => None,
        _ => std::fs::metadata(path).ok().map(|m| m.len()),
    };
    let mut bad = 0;
    let events = read_events_within(path, open_input(path)?, budget, size, |e| {
        bad += 1;
        if bad <= PRINTED_ERRORS && !quiet {
            eprintln!("data error in `{path}`: {e}");
        }
        note(&e);
    })
    .map_err(|e| {
        eprintln!("error: can't write the events of `{path}` to temporary files: {e}");
        exit::USAGE
    })?;
    if bad > PRINTED_ERRORS && !quiet {
        eprintln!(
            "data errors in `{path}`: {bad} lines skipped (the first {PRINTED_ERRORS} above)"
        );
    }
    Ok((Some(events), bad))
}

/// The memory `--events` may use before it is spilled to temporary files.
fn events_budget() -> Result<usize, i32> {
    memory_budget("LEADSCORE_EVENTS_MEMORY", DEFAULT_BUDGET)
}

/// A memory budget set by the environment variable `var`, or `default`.
pub fn memory_budget(var: &str, default: usize) -> Result<usize, i32> {
    match std::env::var(var) {
        Err(_) => Ok(default),
        Ok(v) => parse_size(&v).ok_or_else(|| {
            eprintln!(
                "error: `{var}={v}` is not a size; give bytes, or a number and K, M or G (`64M`)"
            );
            exit::USAGE
        }),
    }
}

/// `123`, `64K`, `64M`, `2G` (powers of 1024; a trailing `B` or `iB` is allowed).
fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(&t);
    let (digits, shift) = match t.char_indices().last()? {
        (i, 'K') => (&t[..i], 10),
        (i, 'M') => (&t[..i], 20),
        (i, 'G') => (&t[..i], 30),
        _ => (t, 0),
    };
    let n: usize = digits.trim().parse().ok()?;
    n.checked_mul(1 << shift)
}

/// The buffer in front of an input. The chunked reader asks for more than
/// this at a time, and a `BufReader` hands a read at least as large as its
/// buffer straight to the file, so the input lands in the chunk without
/// being copied through the buffer on the way (with a 1 MB buffer nearly
/// all of it was, which cost about 4% of `score`'s wall time). Readers
/// that go line by line copy out of the buffer whatever its size.
const INPUT_BUFFER: usize = 64 << 10;

/// Opens a path for reading; `-` is standard input.
pub fn open_input(path: &str) -> Result<Box<dyn BufRead + Send>, i32> {
    if path == "-" {
        return Ok(gunzipped(
            "standard input",
            Box::new(BufReader::with_capacity(INPUT_BUFFER, std::io::stdin())),
        ));
    }
    Ok(gunzipped(
        &format!("`{path}`"),
        Box::new(BufReader::with_capacity(INPUT_BUFFER, open_file(path)?)),
    ))
}

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `input`, decompressed when it is gzip (it starts with gzip's magic
/// bytes, whatever the file is called): exports and archives are often
/// `.jsonl.gz`. Streams written one after another (`cat a.gz b.gz`) read
/// as one. `name` says what it is in errors (`\`leads.jsonl.gz\``).
fn gunzipped(name: &str, input: Box<dyn BufRead + Send>) -> Box<dyn BufRead + Send> {
    Box::new(Sniffing {
        name: name.to_string(),
        pending: Some(input),
        input: Box::new(std::io::empty()),
    })
}

/// An input that looks at its first bytes when it is first read, not when
/// it is opened: a run whose leads come from a pipe that has not written
/// yet loads its model and its `--events` meanwhile.
struct Sniffing {
    name: String,
    /// The input, until it is first read.
    pending: Option<Box<dyn BufRead + Send>>,
    /// Then the input, or its decompressed bytes.
    input: Box<dyn BufRead + Send>,
}

impl Sniffing {
    fn decided(&mut self) -> &mut (dyn BufRead + Send) {
        if let Some(mut input) = self.pending.take() {
            // A read error here is met again, and reported, by the reader.
            let gzip = matches!(input.fill_buf(), Ok(head) if head.starts_with(&GZIP_MAGIC));
            self.input = if gzip {
                Box::new(BufReader::with_capacity(
                    INPUT_BUFFER,
                    Gunzip {
                        name: std::mem::take(&mut self.name),
                        inner: flate2::bufread::MultiGzDecoder::new(input),
                    },
                ))
            } else {
                input
            };
        }
        &mut *self.input
    }
}

impl std::io::Read for Sniffing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.decided().read(buf)
    }
}

impl BufRead for Sniffing {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.decided().fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.decided().consume(amount)
    }
}

/// A gzip stream being decompressed, whose errors (a file cut short, a
/// corrupt block) name the input they come from.
struct Gunzip {
    name: String,
    inner: flate2::bufread::MultiGzDecoder<Box<dyn BufRead + Send>>,
}

impl std::io::Read for Gunzip {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("can't decompress {} (gzip): {e}", self.name),
            )
        })
    }
}

/// Is the file at `path` a regular file, and gzip? Its size then says
/// nothing of what it holds. Anything else is not opened here: a named pipe
/// opened twice would lose its writer (and the bytes read to look).
fn is_gzip(path: &str) -> bool {
    use std::io::Read;
    let mut head = [0u8; 2];
    is_regular(path)
        && std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
        && head == GZIP_MAGIC
}

fn open_file(path: &str) -> Result<std::fs::File, i32> {
    let file = std::fs::File::open(path).map_err(|e| {
        eprintln!("error: can't read `{path}`: {e}");
        exit::USAGE
    })?;
    // A directory opens, and fails only at the first read, with no name.
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        eprintln!("error: can't read `{path}`: it is a directory");
        eprintln!("help: give the path of a file in it");
        return Err(exit::USAGE);
    }
    Ok(file)
}

/// Opens the leads `score` reads, once (a named pipe opened twice would
/// lose its writer): a file is handed over as one, and the pipeline maps
/// it when it is a regular file.
fn open_leads(path: &str) -> Result<Input, i32> {
    if !is_regular(path) || is_gzip(path) {
        return open_input(path).map(Input::Reader);
    }
    open_file(path).map(Input::File)
}

/// Is `path` a regular file (not `-`, a pipe, a device or a directory)?
fn is_regular(path: &str) -> bool {
    path != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// The file to read for `path`. When `path` is `-` (standard input) and
/// `copy` is set (input read more than once, or whose size must be known),
/// standard input is first copied to a file in a temporary directory: its
/// path, and the directory, removed when dropped.
pub fn readable(
    path: &str,
    copy: bool,
) -> Result<(String, Option<leadscore::io::scratch::Scratch>), i32> {
    if path != "-" || !copy {
        return Ok((path.to_string(), None));
    }
    let spool = || -> std::io::Result<(String, Option<leadscore::io::scratch::Scratch>)> {
        let dir = leadscore::io::scratch::Scratch::new("leadscore-stdin-")?;
        let file = dir.path().join("input");
        let mut out = leadscore::io::scratch::making(|| std::fs::File::create(&file))?;
        std::io::copy(&mut std::io::stdin().lock(), &mut out)?;
        Ok((file.to_string_lossy().into_owned(), Some(dir)))
    };
    spool().map_err(|e| {
        eprintln!("error: can't keep standard input in a temporary file: {e}");
        exit::USAGE
    })
}

/// Calls `f` with every record of a JSON Lines or CSV file (by its name),
/// each lead joined to its events for `models` when there are events;
/// reports each bad line and returns how many there were.
pub fn each_record(
    path: &str,
    input: Box<dyn BufRead + Send>,
    events: Option<&Events>,
    models: &[&Model],
    key: &[String],
    f: impl FnMut(u64, serde_json::Value),
) -> Result<u64, i32> {
    each_record_reporting(path, input, events, models, key, true, f)
}

/// [`each_record`], printing the bad lines only with `report` (they are
/// counted either way).
pub fn each_record_reporting(
    path: &str,
    input: Box<dyn BufRead + Send>,
    events: Option<&Events>,
    models: &[&Model],
    key: &[String],
    report: bool,
    mut f: impl FnMut(u64, serde_json::Value),
) -> Result<u64, i32> {
    use leadscore::io::input::Record;
    let cant_read = |e: std::io::Error| {
        eprintln!("error: can't join the leads of `{path}` to their events: {e}");
        exit::USAGE
    };
    let mut bad = 0;
    for r in joined_records(Format::guess(path), input, events, models, key).map_err(cant_read)? {
        match r.map_err(cant_read)? {
            Record::Lead { line, value } => f(line, value),
            Record::Rejected { error, .. } => {
                bad += 1;
                if report {
                    eprintln!("data error in `{path}`: {error}");
                }
            }
            Record::Blank { .. } => {}
        }
    }
    Ok(bad)
}

/// Says that `path` could not be written; the exit code for it.
fn cant_write(path: &Path, e: std::io::Error) -> i32 {
    eprintln!("error: can't write `{}`: {e}", path.display());
    exit::USAGE
}

/// A report file (`--rejects`, `--errors`): written beside its name and put
/// in its place when the run ends, as `-o` is, so it never holds half of
/// one run and half of another.
struct Report {
    file: OutFile,
    /// The first write that failed: reported when the run ends, never
    /// dropped.
    failed: Option<std::io::Error>,
}

impl Report {
    fn create(path: &Path) -> Result<Report, i32> {
        let file = OutFile::create(path).map_err(|e| cant_write(path, e))?;
        Ok(Report { file, failed: None })
    }

    fn line(&mut self, text: &str) {
        if self.failed.is_none() {
            if let Err(e) = writeln!(self.file, "{text}") {
                self.failed = Some(e);
            }
        }
    }

    /// Puts the file in its place; `false` (after saying why) when any of
    /// it could not be written.
    fn finish(self) -> bool {
        let path = self.file.path().to_path_buf();
        let done = match self.failed {
            Some(e) => Err(e),
            None => self.file.finish(),
        };
        done.map_err(|e| cant_write(&path, e)).is_ok()
    }
}

struct Reporter {
    printed: u64,
    quiet: bool,
    rejects: Option<Report>,
    errors: Option<Report>,
    /// Shown only when standard error is a terminal.
    progress: Option<indicatif::ProgressBar>,
}

/// A progress bar over the input's bytes (or leads, for standard input),
/// when standard error is a terminal and `--quiet` is off.
fn progress_bar(leads: &str, quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let size = (is_regular(leads) && !is_gzip(leads))
        .then(|| std::fs::metadata(leads).ok().map(|m| m.len()))
        .flatten();
    let bar = match size {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    };
    Some(bar)
}

impl Sink for Reporter {
    fn data_error(&mut self, error: &DataError, rejected: Option<&str>) -> bool {
        if !self.quiet && self.printed < PRINTED_ERRORS {
            match &self.progress {
                Some(bar) => bar.suspend(|| eprintln!("data error: {error}")),
                None => eprintln!("data error: {error}"),
            }
        }
        self.printed += 1;
        if let (Some(w), Some(text)) = (&mut self.rejects, rejected) {
            w.line(text);
        }
        if let Some(w) = &mut self.errors {
            w.line(&serde_json::to_string(error).unwrap_or_default());
        }
        true
    }

    fn progress(&mut self, read: u64, bytes: u64) {
        if let Some(bar) = &self.progress {
            if bar.length().is_some() {
                bar.set_position(bytes);
            }
            bar.set_message(format!("{read} leads"));
        }
    }
}

/// `threads`: how many threads scored the leads.
pub fn print_summary(summary: &Summary, printed_all: bool, threads: usize) {
    let mut parts = vec![
        format!("{} read", summary.read),
        format!("{} scored", summary.scored),
    ];
    if summary.rejected > 0 {
        parts.push(format!("{} skipped", summary.rejected));
    }
    if summary.blank > 0 {
        parts.push(format!(
            "{} blank line{} ignored",
            summary.blank,
            if summary.blank == 1 { "" } else { "s" }
        ));
    }
    let plural = if threads == 1 { "" } else { "s" };
    eprintln!("leads: {} ({threads} thread{plural})", parts.join(", "));
    if !summary.stages.is_empty() {
        let stages: Vec<String> = summary
            .stages
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        eprintln!("stages: {}", stages.join(", "));
    }
    super::value_errors::print_count(
        &summary.errors_by_kind,
        printed_all,
        "`--errors FILE` writes them all",
    );
    if summary.stopped {
        eprintln!("stopped at the first data error (--strict)");
    }
}

pub fn run(a: ScoreArgs) -> i32 {
    match run_inner(a) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(a: ScoreArgs) -> Result<i32, i32> {
    // Before anything else uses the thread pool (checking a large model
    // does), or the pool starts with one thread per core.
    // `--threads 0` is all cores, as rayon (and `xz -T0`) take it.
    if let Some(n) = a.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let model = load_model(&a.model)?;
    let as_of = as_of(a.as_of.as_deref())?;
    let input = open_leads(&a.leads)?;
    // The events' errors go to `--errors` too, each naming its file.
    let mut errors = a.errors.as_deref().map(Report::create).transpose()?;
    let (events, bad_events) = load_events_noting(a.events.as_deref(), a.quiet, |e| {
        if let (Some(w), Ok(serde_json::Value::Object(mut o))) =
            (&mut errors, serde_json::to_value(e))
        {
            o.insert(
                "file".into(),
                a.events.as_deref().unwrap_or_default().into(),
            );
            w.line(&serde_json::Value::Object(o).to_string());
        }
    })?;
    if bad_events > 0 && a.strict {
        if !a.quiet {
            eprintln!("stopped at the first data error (--strict)");
        }
        return match errors.is_none_or(Report::finish) {
            true => Err(exit::DATA),
            false => Err(exit::USAGE),
        };
    }
    let opts = ScoreOptions {
        as_of,
        key: a.key.split('.').map(str::to_string).collect(),
        input: a.input_format.unwrap_or_else(|| Format::guess(&a.leads)),
        output: a.format,
        events: events.as_ref(),
        strict: a.strict,
        batch: 2048,
    };
    let mut reporter = Reporter {
        printed: 0,
        quiet: a.quiet,
        rejects: a.rejects.as_deref().map(Report::create).transpose()?,
        errors,
        progress: progress_bar(&a.leads, a.quiet),
    };
    // To a file: written beside it and put in its place when the run ends.
    let mut file = match &a.output {
        Some(p) => Some(OutFile::create(p).map_err(|e| cant_write(p, e))?),
        None => None,
    };
    let mut stdout;
    let out: &mut dyn Write = match &mut file {
        Some(f) => f,
        None => {
            // Smaller than a part of the results (about 100 KB), which is
            // then written straight through rather than copied into it.
            stdout = BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
            &mut stdout
        }
    };
    let summary = match score_stream(&model, input, &opts, out, &mut reporter) {
        Ok(s) => s,
        // Whoever read the results went away (`leadscore score … | head`):
        // ended quietly, as the other commands end.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe && a.output.is_none() => {
            return Err(exit::CLOSED_PIPE);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Err(exit::USAGE);
        }
    };
    // Dropped unfinished (strict mode stopped the run), the file keeps the
    // previous results.
    let mut left_as_it_was = None;
    if let (Some(f), Some(p)) = (file, &a.output) {
        if summary.stopped {
            left_as_it_was = Some(p);
        } else {
            f.finish().map_err(|e| cant_write(p, e))?;
        }
    }
    if let Some(bar) = &reporter.progress {
        bar.finish_and_clear();
    }
    // What was found is complete for the lines read, even when `--strict`
    // stopped the run.
    let mut reports_written = true;
    for w in [reporter.rejects.take(), reporter.errors.take()]
        .into_iter()
        .flatten()
    {
        reports_written &= w.finish();
    }
    if !a.quiet {
        print_summary(
            &summary,
            reporter.printed <= PRINTED_ERRORS,
            rayon::current_num_threads(),
        );
        if bad_events > 0 {
            let path = a.events.as_deref().unwrap_or_default();
            let plural = if bad_events == 1 { "" } else { "s" };
            eprintln!("events: {bad_events} line{plural} of `{path}` skipped");
        }
        let csv_alone = opts.input == Format::Csv && a.events.is_none();
        for line in super::unseen::lines(&model, &a.key, &summary.unseen, csv_alone) {
            eprintln!("{line}");
        }
        if let Some(p) = left_as_it_was {
            eprintln!("`{}` was left as it was", p.display());
        }
    }
    if !reports_written {
        return Err(exit::USAGE);
    }
    Ok(if summary.data_errors() > 0 || bad_events > 0 {
        exit::DATA
    } else {
        exit::OK
    })
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_as_bytes() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("64K"), Some(64 << 10));
        assert_eq!(parse_size(" 64m "), Some(64 << 20));
        assert_eq!(parse_size("2GB"), Some(2 << 30));
        assert_eq!(parse_size("1MiB"), Some(1 << 20));
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("99999999999999999999G"), None);
    }
}
