//! A lead as evaluation sees it: one value per declared field (in the
//! declared type, or missing), and its events.

/// A field or property value. Text is kept twice: as written (for
/// explanations) and normalised (for every comparison).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Missing,
    Text {
        raw: String,
        norm: String,
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
            Value::Text {
                raw: raw.to_string(),
                norm,
            }
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// The lead's key (`id`, or `--key PATH`), as it was in the input.
    pub id: serde_json::Value,
    /// One value per model field, in the model's field order.
    pub values: Vec<Value>,
    pub events: Vec<Event>,
}
