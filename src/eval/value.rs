//! A lead as evaluation sees it: one value per declared field (in the
//! declared type, or missing), and its events.

/// A field or property value. Text is kept normalised (for every comparison)
/// and, where different, as written (for explanations).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Missing,
    /// `raw` is empty when the text as written is `norm` itself.
    Text {
        norm: String,
        raw: String,
    },
    Number(f64),
    Bool(bool),
    /// Microseconds since the epoch, UTC.
    Time(i64),
    /// Normalised entries.
    TextList(Vec<String>),
    NumberList(Vec<f64>),
}

impl Value {
    pub fn text(raw: &str) -> Value {
        let norm = crate::text::normalize(raw);
        if norm.is_empty() {
            Value::Missing
        } else {
            let raw = if norm == raw {
                String::new()
            } else {
                raw.to_string()
            };
            Value::Text { norm, raw }
        }
    }

    /// Text as it was written in the data.
    pub fn raw_text(&self) -> Option<&str> {
        match self {
            Value::Text { norm, raw } if raw.is_empty() => Some(norm),
            Value::Text { raw, .. } => Some(raw),
            Value::Missing
            | Value::Number(_)
            | Value::Bool(_)
            | Value::Time(_)
            | Value::TextList(_)
            | Value::NumberList(_) => None,
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Index into the model's event types.
    pub ty: usize,
    pub at: i64,
    /// One value per declared property of the event type.
    pub props: Vec<Value>,
    /// The matchers of its type the event passes, when the reader already
    /// knew them (bit `k` for matcher `k`, see
    /// [`crate::eval::Shortcut`]). Scoring then reads neither its
    /// properties, which may hold anything, nor its tests.
    pub known: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lead {
    /// The lead's key (`id`, or `--key PATH`), as it was in the input.
    pub id: serde_json::Value,
    /// One value per model field, in the model's field order.
    pub values: Vec<Value>,
    pub events: Vec<Event>,
    /// A second value kept as it was in the input, for a report that splits
    /// leads by it (`backtest --by PATH`); null when none was asked for.
    pub tag: serde_json::Value,
}
