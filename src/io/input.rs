//! Lead input: JSON Lines (one object a line) or CSV (a header of field
//! paths), optionally joined with an events file. Every record comes out as
//! a JSON object with its 1-based line number, or as a rejected line.

use crate::check::Model;
use crate::eval::Lead;
use crate::io::par::par_map;
use crate::io::project::EventList;
use crate::io::record::{read_event_members, DataError, DataErrorKind};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::io::BufRead;

/// One input record.
pub enum Record {
    Lead {
        line: u64,
        value: Json,
    },
    /// A line that could not be read as a lead: kept verbatim for `--rejects`.
    Rejected {
        line: u64,
        text: String,
        error: DataError,
    },
    /// An empty line of a JSON Lines file: not an error, but counted.
    Blank {
        line: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// By the file's extension; JSON Lines unless it ends in `.csv` or
    /// `.tsv` (the separator is read from the header, see [`separator`]),
    /// with or without `.gz` after it.
    pub fn guess(path: &str) -> Format {
        let path = path.to_ascii_lowercase();
        let path = path.strip_suffix(".gz").unwrap_or(&path);
        if path.ends_with(".csv") || path.ends_with(".tsv") {
            Format::Csv
        } else {
            Format::Jsonl
        }
    }
}

/// Parses one JSON Lines line into an object, or the error to report.
pub fn parse_json_line(text: &str, line: u64) -> Result<Json, DataError> {
    // A byte-order mark (written by some Windows tools) is not part of the lead.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let message = match serde_json::from_str::<Json>(text) {
        Ok(v @ Json::Object(_)) => return Ok(v),
        // A file that is one JSON array (an API dump, a `.json` export)
        // starts so; its leads are inside it, not one to a line.
        _ if line == 1 && text.trim_start().starts_with('[') => ARRAY_FILE.into(),
        Ok(_) => "the line is JSON but not an object".into(),
        Err(e) => format!("{e}"),
    };
    Err(DataError {
        line,
        path: String::new(),
        kind: DataErrorKind::InvalidJson { message },
    })
}

/// What a first line that opens a JSON array is told.
const ARRAY_FILE: &str = "the input starts with `[`, as one JSON array does; it is read as \
    JSON Lines, one object to a line (`jq -c '.[]' FILE` writes an array's objects so)";

/// Events to attach to leads, by lead id, from an `--events` file (or the
/// part of one that [`crate::io::join`] holds at a time). Each event is
/// kept as JSON text (about a tenth of the memory of a parsed object) and
/// parsed again when it is attached: a JSON Lines event as its line,
/// exactly as read (writing a parsed number out and reading it back can
/// change its last digit), a CSV event, whose values are all texts, as
/// compact JSON.
#[derive(Debug, Default)]
pub struct EventsById(HashMap<String, Vec<Box<str>>>);

impl EventsById {
    /// Keeps an event (with its `lead_id`) as text that parses to it.
    pub(crate) fn push(&mut self, id: String, text: String) {
        self.0.entry(id).or_default().push(text.into_boxed_str());
    }

    /// The ids that have events, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The events of the lead with this id, in file order, as kept.
    pub(crate) fn texts(&self, id: &str) -> &[Box<str>] {
        self.0.get(id).map_or(&[], Vec::as_slice)
    }

    /// Every id with its events, emptying the map.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (String, Vec<Box<str>>)> + '_ {
        self.0.drain()
    }

    /// The events of the lead with this id, in file order, without their
    /// `lead_id`.
    pub fn of<'a>(&'a self, id: &str) -> impl Iterator<Item = Json> + 'a {
        self.texts(id).iter().map(|text| event_of(text))
    }
}

/// An event kept as text, parsed again, without its `lead_id`.
fn event_of(text: &str) -> Json {
    // Texts that parsed when read: they parse the same way again.
    let mut event = parse_json_line(text, 0).unwrap_or_default();
    if let Some(o) = event.as_object_mut() {
        o.shift_remove("lead_id");
    }
    event
}

/// The id a lead's events are joined by: its value at `key`, as `score`
/// prints ids (empty when it has none).
pub fn lead_id(lead: &Json, key: &[String]) -> String {
    crate::io::record::lookup(lead, key)
        .map(crate::io::output::id_text)
        .unwrap_or_default()
}

/// Sets `path` in a nested object, creating objects on the way.
fn set_path(obj: &mut Map<String, Json>, path: &[String], value: Json) {
    let Some((last, init)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for seg in init {
        let entry = cur
            .entry(seg.clone())
            .or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        cur = entry.as_object_mut().expect("just made an object");
    }
    cur.insert(last.clone(), value);
}

/// Adds events from `--events` to a lead, at each event type's source path.
pub fn attach_events(model: &Model, lead: &mut Json, key: &[String], events: &EventsById) {
    attach_events_for(&[model], lead, key, events);
}

/// [`attach_events`] for several models read from the same lead (`diff`):
/// each event goes to its type's source path in each model, once to a path
/// they share. A model reads only its own sources, and in them only its
/// own types, so an event at another model's path is not read twice.
pub fn attach_events_for(models: &[&Model], lead: &mut Json, key: &[String], events: &EventsById) {
    let id = lead_id(lead, key);
    attach_texts_for(models, lead, events.texts(&id));
}

/// [`attach_events`] for a lead the fast reader read (see
/// [`crate::io::project::project_for_scoring`]), where `list` is what its
/// line had at the model's event source: its events from `--events` are
/// read onto the end of its own, with their data errors, as the general
/// path would read them once attached. `false`, and the lead and `errors`
/// unchanged, in the cases left to the general path (more than one event
/// source, a source at a nested path the line lacks, `null` or something
/// else that is not a list there).
pub fn attach_to_read(
    model: &Model,
    lead: &mut Lead,
    list: EventList,
    events: &EventsById,
    line: u64,
    errors: &mut Vec<DataError>,
) -> bool {
    let texts = events.texts(&crate::io::output::id_text(&lead.id));
    attach_texts_to_read(model, lead, list, texts, line, errors)
}

/// [`attach_to_read`] given the lead's events, as kept.
pub fn attach_texts_to_read(
    model: &Model,
    lead: &mut Lead,
    list: EventList,
    texts: &[Box<str>],
    line: u64,
    errors: &mut Vec<DataError>,
) -> bool {
    let [path] = &model.event_sources[..] else {
        return false;
    };
    let own = match list {
        EventList::Items(n) => n,
        EventList::Absent if path.len() == 1 => 0,
        EventList::Absent | EventList::Null | EventList::Other => return false,
    };
    let at = path.join(".");
    for (i, text) in texts.iter().enumerate() {
        let at_path = || format!("{at}[{}]", own + i);
        // Kept texts are objects that parsed when read.
        let members = Members::of(text);
        let get = |name: &str| members.get(name);
        read_event_members(model, 0, &get, &at_path, line, errors, &mut lead.events);
    }
    true
}

/// An event's members in order, parsed from its kept text: what
/// [`event_of`] gives, read the same way (a name given twice reads as its
/// last value; `lead_id` is not one of them), without building a map.
struct Members(Vec<(String, Json)>);

impl Members {
    fn of(text: &str) -> Members {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        serde_json::from_str(text).unwrap_or(Members(Vec::new()))
    }

    fn get(&self, name: &str) -> Option<&Json> {
        if name == "lead_id" {
            return None;
        }
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Members, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Json>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// [`attach_events_for`] given the lead's events, as [`EventsById`] keeps them.
pub(crate) fn attach_texts_for(models: &[&Model], lead: &mut Json, texts: &[Box<str>]) {
    let Some(obj) = lead.as_object_mut() else {
        return;
    };
    // Where events go for a model that declares no event source.
    let default = ["events".to_string()];
    let mut paths: Vec<&[String]> = Vec::with_capacity(models.len());
    for event in texts.iter().map(|text| event_of(text)) {
        paths.clear();
        for model in models {
            // The type is where the type's source keeps it (`type`, unless
            // renamed).
            let source = model
                .event_types
                .iter()
                .find(|t| {
                    let key = model.event_members.get(t.source).map_or("type", |m| &m.ty);
                    crate::io::record::member_of(&event, key).and_then(Json::as_str)
                        == Some(&t.data)
                })
                .map(|t| t.source)
                .unwrap_or(0);
            let path = model
                .event_sources
                .get(source)
                .map_or(&default[..], |p| &p[..]);
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        let mut event = Some(event);
        for (i, path) in paths.iter().enumerate() {
            // The last path takes the event itself, any others a copy.
            let event = if i + 1 == paths.len() {
                event.take()
            } else {
                event.clone()
            }
            .unwrap_or_default();
            // Appended to the list there; a value there that is not a list
            // is left as it is; where there is nothing, a list is made.
            match path_mut(obj, path) {
                Some(Json::Array(items)) => items.push(event),
                Some(_) => {}
                None => set_path(obj, path, Json::Array(vec![event])),
            }
        }
    }
}

/// The value at `path` (through objects only), to change in place.
fn path_mut<'a>(obj: &'a mut Map<String, Json>, path: &[String]) -> Option<&'a mut Json> {
    let (first, rest) = path.split_first()?;
    rest.iter().try_fold(obj.get_mut(first)?, |v, seg| {
        v.as_object_mut()?.get_mut(seg)
    })
}

/// The lines of a JSON Lines file, numbered from 1: each line's text
/// without its line break (and carriage return), or, for a line that is
/// not UTF-8, its bytes made readable and the error. A read error ends the
/// lines after one last error.
pub fn lines_of<R: BufRead>(
    mut reader: R,
) -> impl Iterator<Item = (u64, Result<String, (String, DataError)>)> {
    let mut line = 0u64;
    let mut done = false;
    let mut buf = Vec::new();
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        buf.clear();
        line += 1;
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                let bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
                Some((
                    line,
                    match crate::io::pipeline::line_text(bytes, line) {
                        Ok(text) => Ok(text.to_string()),
                        Err(e) => Err((String::from_utf8_lossy(bytes).into_owned(), e)),
                    },
                ))
            }
            Err(e) => {
                done = true;
                let error = DataError {
                    line,
                    path: String::new(),
                    kind: DataErrorKind::InvalidJson {
                        message: format!("the file could not be read past this line: {e}"),
                    },
                };
                Some((line, Err((String::new(), error))))
            }
        }
    })
}

/// Reads JSON Lines records: a lead per line, blank lines as such, and
/// lines that are not a JSON object (or not UTF-8) rejected with their text.
/// Lines are parsed on all threads (see [`crate::io::par`]).
pub fn jsonl_records<R: BufRead + Send>(reader: R) -> impl Iterator<Item = Record> + Send {
    par_map(lines_of(reader), |(line, text)| match text {
        Ok(text) if text.trim().is_empty() => Record::Blank { line },
        Ok(text) => match parse_json_line(&text, line) {
            Ok(value) => Record::Lead { line, value },
            Err(error) => Record::Rejected { line, text, error },
        },
        Err((text, error)) => Record::Rejected { line, text, error },
    })
}

/// Reads CSV records (header = field paths) into JSON objects of text,
/// made on all threads (see [`crate::io::par`]).
pub fn csv_records<R: std::io::Read + Send>(reader: R) -> impl Iterator<Item = Record> + Send {
    let (header, rows) = csv_rows(reader);
    par_map(rows, move |row| csv_record(&header, row))
}

/// A CSV file's header: its columns as field paths, and how many lines
/// came before it (an Excel `sep=` line), so that rows keep the line
/// numbers of the file.
struct Header {
    paths: Vec<Vec<String>>,
    skipped: u64,
}

/// A CSV file's header and its rows, unconverted. The separator is the one
/// an Excel `sep=;` first line names ([`excel_separator`]), or else the one
/// the header line uses most ([`separator`]).
fn csv_rows<R: std::io::Read>(
    reader: R,
) -> (Header, csv::StringRecordsIntoIter<std::io::BufReader<R>>) {
    let mut reader = std::io::BufReader::with_capacity(64 << 10, reader);
    // A read error here is met again, and reported, by the CSV reader.
    let (sep, skipped) = match reader.fill_buf().map(excel_separator) {
        Ok(Some((sep, used))) => {
            reader.consume(used);
            (sep, 1)
        }
        Ok(None) => (reader.fill_buf().map(separator).unwrap_or(b','), 0),
        Err(_) => (b',', 0),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(sep)
        .from_reader(reader);
    let paths: Vec<Vec<String>> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim().split('.').map(str::to_string).collect())
            .collect(),
        Err(_) => Vec::new(),
    };
    (Header { paths, skipped }, rdr.into_records())
}

/// The separator an Excel `sep=;` first line names (after a byte order
/// mark, if any), and the bytes that line takes, line break included. Excel
/// writes it, and reads it, so that a file opens the same in any language
/// setting; it is not a header. `None` when the first line is not one.
pub fn excel_separator(head: &[u8]) -> Option<(u8, usize)> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let bom = if head.starts_with(BOM) { BOM.len() } else { 0 };
    let rest = head[bom..].strip_prefix(b"sep=")?;
    let (&sep, after) = rest.split_first()?;
    let brk = match after {
        [b'\n', ..] => 1,
        [b'\r', b'\n', ..] => 2,
        _ => return None,
    };
    let usable = sep.is_ascii() && !matches!(sep, b'"' | b'\n' | b'\r');
    usable.then_some((sep, bom + 4 + 1 + brk))
}

/// The separator of a CSV file, from its header line (the start of `head`):
/// the one of `,`, `;` and tab that it holds most often outside quotes, so
/// that files saved by spreadsheets set to a language that writes decimal
/// commas (`;`) and tab-separated exports read as they are; `,` when none is
/// there or on a tie with it.
pub fn separator(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let seps = [b',', b';', b'\t'];
    let mut best = 0;
    for k in 1..3 {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    seps[best]
}

/// One CSV row as a record: an object of its non-empty cells at their
/// columns' paths.
fn csv_record(header: &Header, row: csv::Result<csv::StringRecord>) -> Record {
    match row {
        Ok(rec) => {
            let line = rec.position().map(|p| p.line()).unwrap_or(0) + header.skipped;
            let mut obj = Map::new();
            for (h, cell) in header.paths.iter().zip(rec.iter()) {
                if !cell.is_empty() {
                    set_path(&mut obj, h, Json::String(cell.to_string()));
                }
            }
            Record::Lead {
                line,
                value: Json::Object(obj),
            }
        }
        Err(e) => {
            let line = e.position().map(|p| p.line()).unwrap_or(0) + header.skipped;
            Record::Rejected {
                line,
                text: String::new(),
                error: DataError {
                    line,
                    path: String::new(),
                    kind: DataErrorKind::InvalidJson {
                        message: format!("bad CSV record: {e}"),
                    },
                },
            }
        }
    }
}

/// Reads an events file (CSV or JSON Lines with `lead_id`, `type`, `at` and
/// property columns) into events by lead id. Bad lines are returned as errors.
pub fn read_events(path: &str, reader: Box<dyn BufRead + Send>) -> (EventsById, Vec<DataError>) {
    let mut by_id = EventsById::default();
    let mut errors = Vec::new();
    each_event(
        path,
        reader,
        |id, text| {
            by_id.push(id, text);
            true
        },
        |e| errors.push(e),
    );
    (by_id, errors)
}

/// Calls `f(lead id, text)` for each event of an events file (see
/// [`read_events`]) in file order, with text that parses to the event, and
/// `bad` for each line that is not one; stops reading when `f` returns
/// false.
pub fn each_event(
    path: &str,
    reader: Box<dyn BufRead + Send>,
    mut f: impl FnMut(String, String) -> bool,
    mut bad: impl FnMut(DataError),
) {
    // Lines are parsed, and ids found, on all threads (blank lines give
    // `None`); `f` and `bad` are called below, in file order.
    type Event = Option<Result<(String, String), DataError>>;
    let events: Box<dyn Iterator<Item = Event>> = match Format::guess(path) {
        Format::Csv => {
            let (header, rows) = csv_rows(reader);
            Box::new(par_map(rows, move |row| match csv_record(&header, row) {
                Record::Lead { line, value } => {
                    Some(event_id(&value, line).map(|id| (id, value.to_string())))
                }
                Record::Rejected { error, .. } => Some(Err(error)),
                Record::Blank { .. } => None,
            }))
        }
        Format::Jsonl => Box::new(par_map(lines_of(reader), |(line, text)| match text {
            Ok(text) if text.trim().is_empty() => None,
            // The line itself is kept: it parses to the event.
            Ok(text) => Some(
                parse_json_line(&text, line)
                    .and_then(|v| event_id(&v, line))
                    .map(|id| (id, text)),
            ),
            Err((_, e)) => Some(Err(e)),
        })),
    };
    for event in events {
        let go_on = match event {
            Some(Ok((id, text))) => f(id, text),
            Some(Err(e)) => {
                bad(e);
                true
            }
            None => true,
        };
        if !go_on {
            return;
        }
    }
}

/// An event's lead id, or the error of an event without one.
fn event_id(v: &Json, line: u64) -> Result<String, DataError> {
    let id = v
        .get("lead_id")
        .map(crate::io::output::id_text)
        .unwrap_or_default();
    if id.is_empty() {
        return Err(DataError {
            line,
            path: "lead_id".into(),
            kind: DataErrorKind::NoLeadId,
        });
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::{attach_events, excel_separator, read_events, separator};
    use serde_json::json;

    #[test]
    fn an_excel_sep_line_names_the_separator() {
        assert_eq!(excel_separator(b"sep=;\nid;title\n"), Some((b';', 6)));
        assert_eq!(
            excel_separator(b"\xEF\xBB\xBFsep=\t\r\nid\n"),
            Some((b'\t', 10))
        );
        assert_eq!(excel_separator(b"sep=,\n"), Some((b',', 6)));
        // A header that starts with `sep`, a line cut short, a quote.
        assert_eq!(excel_separator(b"sep=;,id\n"), None);
        assert_eq!(excel_separator(b"sepal,id\n"), None);
        assert_eq!(excel_separator(b"sep=;"), None);
        assert_eq!(excel_separator(b"sep=\"\n"), None);
        assert_eq!(excel_separator(b""), None);
    }

    #[test]
    fn the_header_line_tells_the_separator() {
        assert_eq!(separator(b"id,title,company.tech\nL1;x;y;z"), b',');
        assert_eq!(separator(b"id;title;\"a,b,c\"\n"), b';');
        assert_eq!(separator(b"id\ttitle\tnote;s\n"), b'\t');
        assert_eq!(
            separator(b"id;title,company\n"),
            b',',
            "a tie goes to the comma"
        );
        assert_eq!(separator(b"id\n"), b',');
        assert_eq!(separator(b""), b',');
    }

    /// Events go to their type's list, after any the lead already has; a
    /// lead with something else there keeps it; values come back exactly.
    #[test]
    fn events_join_at_their_source_path() {
        let model = crate::load::check_text(
            "m.rules",
            "lead {\n  x: number\n}\nevents {\n  seen(n: number)\n}\nevents in app.activity {\n  used(what)\n}\n\"r\": seen -> +1\n",
        )
        .model
        .unwrap();
        let file = concat!(
            "{\"lead_id\": \"a\", \"type\": \"seen\", \"n\": 0.1, \"at\": \"2026-01-01\"}\n",
            "{\"lead_id\": \"a\", \"type\": \"used\", \"what\": \"caf\\u00e9 \\\"x\\\"\", \"at\": \"2026-01-02\"}\n",
            "{\"lead_id\": \"b\", \"type\": \"seen\", \"n\": 12345678901234567, \"at\": \"2026-01-03\"}\n",
            // Without its `float_roundtrip` feature, serde_json read this
            // number to an f64 whose shortest text it read back one unit
            // off in the last digit (found by the `join_events` fuzz
            // target). The feature is on now; the line itself is kept too.
            "{\"lead_id\": \"d\", \"type\": \"seen\", \"n\": 500222222222222222222222222222222222220}\n",
            "{\"type\": \"seen\"}\n",
        );
        let (events, errors) = read_events("e.jsonl", Box::new(file.as_bytes()));
        assert_eq!(errors.len(), 1, "{errors:?}");
        let key = ["id".to_string()];
        let mut a = json!({"id": "a", "events": [{"type": "seen", "n": 2}], "app": "web"});
        attach_events(&model, &mut a, &key, &events);
        assert_eq!(
            a,
            json!({"id": "a",
                "events": [{"type": "seen", "n": 2}, {"type": "seen", "n": 0.1, "at": "2026-01-01"}],
                "app": {"activity": [{"type": "used", "what": "café \"x\"", "at": "2026-01-02"}]}})
        );
        let mut b = json!({"id": "b", "events": "none"});
        attach_events(&model, &mut b, &key, &events);
        assert_eq!(b, json!({"id": "b", "events": "none"}));
        let mut d = json!({"id": "d"});
        attach_events(&model, &mut d, &key, &events);
        let direct: serde_json::Value =
            serde_json::from_str("500222222222222222222222222222222222220").unwrap();
        assert_eq!(d["events"][0]["n"], direct);
        let mut c = json!({"id": "c"});
        attach_events(&model, &mut c, &key, &events);
        assert_eq!(c, json!({"id": "c"}));
    }
}
