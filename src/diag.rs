//! Diagnostics as data: a stable code, a message, labelled spans and a help
//! line. The library only builds these; the CLI decides how to render them.
//!
//! Message style: lowercase, no final period, the user's own text in
//! backticks, never a Rust type name.

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Every kind of diagnostic, each with a stable code users can search for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    // reading and parsing
    Syntax,
    NestingTooDeep,
    BadNumber,
    BadTime,
    BadFrom,
    // names
    Duplicate,
    DuplicateRuleId,
    UnknownField,
    UnknownName,
    UnknownList,
    UnknownGroup,
    UnknownStage,
    UnknownRule,
    UnknownType,
    UnknownFunction,
    UnknownProperty,
    ReservedName,
    // types
    TypeMismatch,
    IncludesNeedsList,
    TextTestNeedsText,
    NotABool,
    EventFormOnField,
    MixedList,
    InvalidRegex,
    ScoreOutsideStage,
    // rules and groups
    EachNeedsOneEvent,
    DecayPercent,
    BadBounds,
    BadCap,
    BadWindow,
    // tests
    TestAsOf,
    TestLead,
    TestBadJson,
    // warnings
    UnusedList,
    UnreachableStage,
    NeverFires,
    UnreachableThreshold,
    DecayWithoutEvents,
    ObjectNotAList,
    VacuousCount,
    // compiling to SQL
    SqlRegex,
    SqlColumnClash,
    SqlPropertyType,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "leadscore::syntax",
            Code::NestingTooDeep => "leadscore::nesting_too_deep",
            Code::BadNumber => "leadscore::bad_number",
            Code::BadTime => "leadscore::bad_time",
            Code::BadFrom => "leadscore::bad_from",
            Code::Duplicate => "leadscore::duplicate",
            Code::DuplicateRuleId => "leadscore::duplicate_rule_id",
            Code::UnknownField => "leadscore::unknown_field",
            Code::UnknownName => "leadscore::unknown_name",
            Code::UnknownList => "leadscore::unknown_list",
            Code::UnknownGroup => "leadscore::unknown_group",
            Code::UnknownStage => "leadscore::unknown_stage",
            Code::UnknownRule => "leadscore::unknown_rule",
            Code::UnknownType => "leadscore::unknown_type",
            Code::UnknownFunction => "leadscore::unknown_function",
            Code::UnknownProperty => "leadscore::unknown_property",
            Code::ReservedName => "leadscore::reserved_name",
            Code::TypeMismatch => "leadscore::type_mismatch",
            Code::IncludesNeedsList => "leadscore::includes_needs_list",
            Code::TextTestNeedsText => "leadscore::text_test_needs_text",
            Code::NotABool => "leadscore::not_a_bool",
            Code::EventFormOnField => "leadscore::event_form_on_field",
            Code::MixedList => "leadscore::mixed_list",
            Code::InvalidRegex => "leadscore::invalid_regex",
            Code::ScoreOutsideStage => "leadscore::score_outside_stage",
            Code::EachNeedsOneEvent => "leadscore::each_needs_one_event",
            Code::DecayPercent => "leadscore::decay_percent",
            Code::BadBounds => "leadscore::bad_bounds",
            Code::BadCap => "leadscore::bad_cap",
            Code::BadWindow => "leadscore::bad_window",
            Code::TestAsOf => "leadscore::test_as_of",
            Code::TestLead => "leadscore::test_lead",
            Code::TestBadJson => "leadscore::test_bad_json",
            Code::UnusedList => "leadscore::unused_list",
            Code::UnreachableStage => "leadscore::unreachable_stage",
            Code::NeverFires => "leadscore::never_fires",
            Code::UnreachableThreshold => "leadscore::unreachable_threshold",
            Code::DecayWithoutEvents => "leadscore::decay_without_events",
            Code::ObjectNotAList => "leadscore::object_not_a_list",
            Code::VacuousCount => "leadscore::vacuous_count",
            Code::SqlRegex => "leadscore::sql_regex",
            Code::SqlColumnClash => "leadscore::sql_column_clash",
            Code::SqlPropertyType => "leadscore::sql_property_type",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::UnusedList
            | Code::UnreachableStage
            | Code::NeverFires
            | Code::UnreachableThreshold
            | Code::DecayWithoutEvents
            | Code::ObjectNotAList
            | Code::VacuousCount => Severity::Warning,
            Code::Syntax
            | Code::NestingTooDeep
            | Code::BadNumber
            | Code::BadTime
            | Code::BadFrom
            | Code::Duplicate
            | Code::DuplicateRuleId
            | Code::UnknownField
            | Code::UnknownName
            | Code::UnknownList
            | Code::UnknownGroup
            | Code::UnknownStage
            | Code::UnknownRule
            | Code::UnknownType
            | Code::UnknownFunction
            | Code::UnknownProperty
            | Code::ReservedName
            | Code::TypeMismatch
            | Code::IncludesNeedsList
            | Code::TextTestNeedsText
            | Code::NotABool
            | Code::EventFormOnField
            | Code::MixedList
            | Code::InvalidRegex
            | Code::ScoreOutsideStage
            | Code::EachNeedsOneEvent
            | Code::DecayPercent
            | Code::BadBounds
            | Code::BadCap
            | Code::BadWindow
            | Code::TestAsOf
            | Code::TestLead
            | Code::TestBadJson
            | Code::SqlRegex
            | Code::SqlColumnClash
            | Code::SqlPropertyType => Severity::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// The first label is the primary one: it points at the offending text.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            labels: vec![Label {
                span,
                message: label.into(),
            }],
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn primary_span(&self) -> Span {
        self.labels[0].span
    }
}

/// The closest of `candidates` to `name`, if any is close enough to be a
/// plausible typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| typo_distance(name, c).map(|d| (d, c)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// How far `candidate` is from `name` (edits, ignoring case) when it is
/// close enough to be a plausible typo of it: a third of the longer one's
/// length, at least one edit.
pub fn typo_distance(name: &str, candidate: &str) -> Option<usize> {
    let (a, b) = (name.to_lowercase(), candidate.to_lowercase());
    let d = strsim::damerau_levenshtein(&a, &b);
    (d <= (a.len().max(b.len()) / 3).max(1)).then_some(d)
}

/// "did you mean `x`?" or a fallback help line.
pub fn did_you_mean(suggestion: Option<String>, otherwise: impl Into<String>) -> String {
    match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => otherwise.into(),
    }
}
