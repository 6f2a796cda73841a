//! JSON → [`Lead`]: only the fields and event properties the model declares
//! are read, each converted to its declared type. A value of the wrong type
//! becomes missing and is reported as a [`DataError`].

use crate::check::{Model, Type};
use crate::eval::{Event, Lead, Value};
use serde_json::Value as Json;

/// What was wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DataErrorKind {
    /// A value that is not of the field's type (it is treated as missing).
    WrongType {
        expected: &'static str,
        found: String,
    },
    /// An event without a readable `at` time (the event is ignored).
    EventTime,
    /// An event entry that is not an object with its type (ignored):
    /// `member` is what it lacks (`type`, or the name its source reads the
    /// type from).
    BadEvent { member: String },
    /// An event of an `--events` file without a `lead_id` (skipped).
    NoLeadId,
    /// The line is not valid JSON, or not a JSON object (the lead is skipped).
    InvalidJson { message: String },
}

impl DataErrorKind {
    /// A short, stable name for counting errors by kind.
    pub fn name(&self) -> &'static str {
        match self {
            DataErrorKind::WrongType { .. } => "wrong_type",
            DataErrorKind::EventTime => "bad_event_time",
            DataErrorKind::BadEvent { .. } => "bad_event",
            DataErrorKind::NoLeadId => "no_lead_id",
            DataErrorKind::InvalidJson { .. } => "invalid_json",
        }
    }
}

/// A problem with one value of one input line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DataError {
    /// 1-based line (or record) number in the input.
    pub line: u64,
    /// Where in the record: `company.employees`, `events[3].at`.
    pub path: String,
    #[serde(flatten)]
    pub kind: DataErrorKind,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            DataErrorKind::WrongType { expected, found } => write!(
                f,
                "line {}: `{}` should be {expected} but is {found}; treated as missing",
                self.line, self.path
            ),
            DataErrorKind::EventTime => write!(
                f,
                "line {}: `{}` is not a time (RFC 3339, YYYY-MM-DD or a Unix time); the event is ignored",
                self.line, self.path
            ),
            DataErrorKind::BadEvent { member } => write!(
                f,
                "line {}: `{}` is not an event (an object with a `{member}`); ignored",
                self.line, self.path
            ),
            DataErrorKind::NoLeadId => write!(
                f,
                "line {}: the event has no `{}`, so it can't be joined to a lead; skipped",
                self.line, self.path
            ),
            DataErrorKind::InvalidJson { message } => {
                write!(
                    f,
                    "line {}: not a JSON object: {message}; the line is skipped",
                    self.line
                )
            }
        }
    }
}

/// How a wrong value is named in a data error: `the text "abc"`.
pub fn describe(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the bool {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => {
            let short: String = s.chars().take(40).collect();
            format!("the text {:?}", short)
        }
        Json::Array(_) => "a list".into(),
        Json::Object(_) => "an object".into(),
    }
}

fn expected_name(ty: Type) -> &'static str {
    match ty {
        Type::Text => "text",
        Type::Number => "a number",
        Type::Bool => "true or false",
        Type::Time => "a time",
        Type::TextList => "a list of text",
        Type::NumberList => "a list of numbers",
    }
}

/// The data error for a value of the wrong type.
pub fn wrong_type(line: u64, path: String, ty: Type, raw: &Json) -> DataError {
    DataError {
        line,
        path,
        kind: DataErrorKind::WrongType {
            expected: expected_name(ty),
            found: describe(raw),
        },
    }
}

/// Reads a number from JSON: a number, or text holding a plain decimal.
pub fn number_from_text(s: &str) -> Option<f64> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub fn bool_from_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

/// A value that does not fit the declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

/// Converts a JSON value to a field's type. `Err` is a wrong type; missing
/// (null, empty text, empty list) is `Ok(Value::Missing)`.
pub fn convert(ty: Type, v: &Json) -> Result<Value, WrongType> {
    if v.is_null() {
        return Ok(Value::Missing);
    }
    if let Json::String(s) = v {
        if s.trim().is_empty() {
            return Ok(Value::Missing);
        }
    }
    match (ty, v) {
        (Type::Text, Json::String(s)) => Ok(Value::text(s)),
        (Type::Text, Json::Number(n)) => Ok(Value::text(&n.to_string())),
        (Type::Number, Json::Number(n)) => n.as_f64().map(Value::Number).ok_or(WrongType),
        (Type::Number, Json::String(s)) => number_from_text(s).map(Value::Number).ok_or(WrongType),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Bool, Json::String(s)) => bool_from_text(s).map(Value::Bool).ok_or(WrongType),
        (Type::Time, Json::String(_) | Json::Number(_)) => {
            crate::time::from_json(v).map(Value::Time).ok_or(WrongType)
        }
        (Type::TextList, Json::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                match convert(Type::Text, item)? {
                    Value::Text { norm, .. } => out.push(norm),
                    Value::Missing
                    | Value::Number(_)
                    | Value::Bool(_)
                    | Value::Time(_)
                    | Value::TextList(_)
                    | Value::NumberList(_) => continue,
                }
            }
            Ok(if out.is_empty() {
                Value::Missing
            } else {
                Value::TextList(out)
            })
        }
        (Type::TextList, Json::String(s)) => {
            let out: Vec<String> = s
                .split(';')
                .map(crate::text::normalize)
                .filter(|p| !p.is_empty())
                .collect();
            Ok(if out.is_empty() {
                Value::Missing
            } else {
                Value::TextList(out)
            })
        }
        (Type::NumberList, Json::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                if let Value::Number(n) = convert(Type::Number, item)? {
                    out.push(n);
                }
            }
            Ok(if out.is_empty() {
                Value::Missing
            } else {
                Value::NumberList(out)
            })
        }
        (Type::NumberList, Json::String(s)) => {
            let mut out = Vec::new();
            for part in s.split(';').filter(|p| !p.trim().is_empty()) {
                out.push(number_from_text(part).ok_or(WrongType)?);
            }
            Ok(if out.is_empty() {
                Value::Missing
            } else {
                Value::NumberList(out)
            })
        }
        _ => Err(WrongType),
    }
}

/// Looks a dotted path up in nested objects.
/// An event's member at `name`, where dots nest (`properties.plan` is
/// `plan` inside `properties`), given a lookup of its top-level members.
pub(crate) fn member<'a>(obj: &dyn Fn(&str) -> Option<&'a Json>, name: &str) -> Option<&'a Json> {
    let mut parts = name.split('.');
    let mut cur = obj(parts.next()?)?;
    for seg in parts {
        cur = cur.as_object()?.get(seg)?;
    }
    Some(cur)
}

/// [`member`] of an event object.
pub(crate) fn member_of<'a>(event: &'a Json, name: &str) -> Option<&'a Json> {
    member(&|first| event.get(first), name)
}

pub fn lookup<'a>(v: &'a Json, path: &[String]) -> Option<&'a Json> {
    let mut cur = v;
    for seg in path {
        cur = cur.as_object()?.get(seg)?;
    }
    Some(cur)
}

/// Appends each of `more` that `errors[since..]` does not hold yet: the
/// errors of one line read for several models, each value once.
pub fn add_new(
    errors: &mut Vec<DataError>,
    since: usize,
    more: impl IntoIterator<Item = DataError>,
) {
    for e in more {
        if !errors[since..].contains(&e) {
            errors.push(e);
        }
    }
}

/// Builds a [`Lead`] from one JSON object.
pub fn lead_from_json(
    model: &Model,
    v: &Json,
    key: &[String],
    line: u64,
    errors: &mut Vec<DataError>,
) -> Lead {
    let id = lookup(v, key).cloned().unwrap_or(Json::Null);
    let values = model
        .fields
        .iter()
        .map(|f| match lookup(v, &f.data) {
            None => Value::Missing,
            Some(raw) => convert(f.ty, raw).unwrap_or_else(|WrongType| {
                errors.push(DataError {
                    line,
                    path: f.data_name(),
                    kind: DataErrorKind::WrongType {
                        expected: expected_name(f.ty),
                        found: describe(raw),
                    },
                });
                Value::Missing
            }),
        })
        .collect();
    let mut events = Vec::new();
    for (source, path) in model.event_sources.iter().enumerate() {
        let name = path.join(".");
        match lookup(v, path) {
            None | Some(Json::Null) => {}
            Some(Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    // The path (`events[3]`) is only spelled out for an error.
                    let at_path = || format!("{name}[{i}]");
                    read_event(model, source, item, &at_path, line, errors, &mut events);
                }
            }
            Some(other) => errors.push(DataError {
                line,
                path: name,
                kind: DataErrorKind::WrongType {
                    expected: "a list of events",
                    found: describe(other),
                },
            }),
        }
    }
    Lead {
        id,
        values,
        events,
        tag: Json::Null,
    }
}

fn read_event(
    model: &Model,
    source: usize,
    item: &Json,
    at_path: &dyn Fn() -> String,
    line: u64,
    errors: &mut Vec<DataError>,
    events: &mut Vec<Event>,
) {
    let Some(obj) = item.as_object() else {
        errors.push(DataError {
            line,
            path: at_path(),
            kind: DataErrorKind::BadEvent {
                member: model.event_members[source].ty.clone(),
            },
        });
        return;
    };
    read_event_members(
        model,
        source,
        &|name| obj.get(name),
        at_path,
        line,
        errors,
        events,
    );
}

/// [`read_event`] for an event object given by a lookup of its members.
pub(crate) fn read_event_members<'a>(
    model: &Model,
    source: usize,
    obj: &dyn Fn(&str) -> Option<&'a Json>,
    at_path: &dyn Fn() -> String,
    line: u64,
    errors: &mut Vec<DataError>,
    events: &mut Vec<Event>,
) {
    let members = &model.event_members[source];
    let Some(type_name) = member(obj, &members.ty).and_then(Json::as_str) else {
        errors.push(DataError {
            line,
            path: at_path(),
            kind: DataErrorKind::BadEvent {
                member: members.ty.clone(),
            },
        });
        return;
    };
    // Event types the model doesn't declare are not its business.
    let Some(ty) = model
        .event_types
        .iter()
        .position(|t| t.source == source && t.data == type_name)
    else {
        return;
    };
    let at = member(obj, &members.at).and_then(crate::time::from_json);
    let Some(at) = at else {
        errors.push(DataError {
            line,
            path: format!("{}.{}", at_path(), members.at),
            kind: DataErrorKind::EventTime,
        });
        return;
    };
    let props = model.event_types[ty]
        .props
        .iter()
        .map(|p| match member(obj, &p.data) {
            None => Value::Missing,
            Some(raw) => convert(p.ty, raw).unwrap_or_else(|WrongType| {
                errors.push(DataError {
                    line,
                    path: format!("{}.{}", at_path(), p.data),
                    kind: DataErrorKind::WrongType {
                        expected: expected_name(p.ty),
                        found: describe(raw),
                    },
                });
                Value::Missing
            }),
        })
        .collect();
    events.push(Event {
        ty,
        at,
        props,
        known: None,
    });
}
