//! AST → checked model: every name resolved, every operator typed, literals
//! normalised and regular expressions compiled once. Errors and lints come
//! back as [`Diagnostic`]s, all of them, never just the first.

mod decls;
mod lint;
pub mod patterns;

pub use lint::never_holds as contradicts;
mod resolve;
mod tests;

use crate::ast::{self, CmpOp, Count, TextOp};
use crate::diag::{Diagnostic, Severity};
use crate::num::Decimal;
use crate::source::{Sources, Span};
use crate::text::TextSet;
use std::sync::Arc;

/// The types a field or event property can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Text,
    Number,
    Bool,
    Time,
    TextList,
    NumberList,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Text => "text",
            Type::Number => "number",
            Type::Bool => "bool",
            Type::Time => "time",
            Type::TextList => "list of text",
            Type::NumberList => "list of number",
        }
    }

    pub fn is_list(self) -> bool {
        matches!(self, Type::TextList | Type::NumberList)
    }

    /// The element type of a list type.
    pub fn element(self) -> Type {
        match self {
            Type::TextList => Type::Text,
            Type::NumberList => Type::Number,
            other => other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    /// Its name in rules (a path: `company.employees`).
    pub path: Vec<String>,
    pub ty: Type,
    pub span: Span,
    /// Where a lead keeps its value: `path`, unless the declaration says
    /// `from "…"`.
    pub data: Vec<String>,
    /// Where `data` is written: the `from` string, or the name.
    pub data_span: Span,
}

impl Field {
    pub fn name(&self) -> String {
        self.path.join(".")
    }

    /// Its path in the data, as data errors and warnings name it.
    pub fn data_name(&self) -> String {
        self.data.join(".")
    }
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub name: String,
    pub ty: Type,
    /// The event's member that holds it: its name unless read `from`
    /// another (`page from "url"`).
    pub data: String,
    /// Where that member is named: the `from` string, or the name.
    pub span: Span,
}

/// The members an event of one source keeps its type and its time in:
/// `type` and `at` unless the source says otherwise
/// (`events in activity (type from "event") { … }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMembers {
    pub ty: String,
    pub at: String,
}

impl Default for EventMembers {
    fn default() -> Self {
        EventMembers {
            ty: "type".to_string(),
            at: "at".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EventType {
    pub name: String,
    /// The type as the data writes it: its name unless read `from`
    /// another (`visited from "Visit Webpage"`).
    pub data: String,
    /// Index into [`Model::event_sources`]: which array field holds it.
    pub source: usize,
    pub props: Vec<Prop>,
    pub span: Span,
}

/// The values of a list, normalised.
#[derive(Debug, Clone)]
pub enum ListValues {
    Text(Arc<TextSet>),
    Number(Arc<Vec<f64>>),
}

#[derive(Debug, Clone)]
pub struct List {
    pub name: String,
    pub values: ListValues,
    pub span: Span,
}

#[derive(Debug, Clone, Copy)]
pub struct DecaySpec {
    pub percent: Decimal,
    pub every_days: i64,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    /// Bounds in hundredths.
    pub max: Option<i64>,
    pub min: Option<i64>,
    pub decay: Option<DecaySpec>,
    /// Indices into [`Model::rules`], in model order.
    pub rules: Vec<usize>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct RuleDef {
    /// The label, or else the condition as `leadscore fmt` prints it.
    pub id: String,
    pub labelled: bool,
    pub group: usize,
    pub cond: Expr,
    pub points: Decimal,
    pub each: bool,
    /// `max N`: the contribution's magnitude is capped at N.
    pub cap: Option<Decimal>,
    /// Event terms that occur in the condition, in order.
    pub terms: Vec<usize>,
    pub span: Span,
}

/// A resolved condition.
#[derive(Debug, Clone)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Pred(Box<Pred>),
    /// An event term: index into [`Model::terms`].
    Term(usize),
}

/// A test on one value.
#[derive(Debug, Clone)]
pub struct Pred {
    pub value: ValueExpr,
    pub test: PredTest,
    pub span: Span,
}

/// What a predicate looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueExpr {
    Field(usize),
    /// A property of the event under test (inside `where`).
    Prop(usize),
    Domain(Box<ValueExpr>),
    DaysSince(Box<ValueExpr>),
    /// The total score (stage conditions only).
    Score,
    /// A group's total (stage conditions only).
    Group(usize),
}

/// A typed, normalised test.
#[derive(Debug, Clone)]
pub enum PredTest {
    Known,
    Missing,
    /// A bare `bool` field: true when known and true.
    IsTrue,
    TextEq {
        value: String,
        negated: bool,
    },
    BoolEq {
        value: bool,
        negated: bool,
    },
    NumCmp(CmpOp, f64),
    TimeCmp(CmpOp, i64),
    NumBetween(f64, f64),
    TimeBetween(i64, i64),
    TextIn {
        set: Arc<TextSet>,
        list: Option<String>,
        negated: bool,
    },
    NumIn {
        values: Arc<Vec<f64>>,
        list: Option<String>,
        negated: bool,
    },
    IncludesText(String),
    IncludesNumber(f64),
    Text(TextOp, String),
    Matches(patterns::Pattern),
}

/// How an event term matches the event's first property.
#[derive(Debug, Clone)]
pub enum ObjectMatch {
    Text(String),
    List { name: String, set: Arc<TextSet> },
}

/// `VERB [OBJECT] [where …] [COUNT] [WINDOW]`, resolved.
#[derive(Debug, Clone)]
pub struct EventTerm {
    pub event_type: usize,
    pub object: Option<ObjectMatch>,
    pub filter: Option<Expr>,
    pub count: Count,
    /// The window's length in microseconds.
    pub window: Option<i64>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    pub cond: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Disqualifier {
    pub reason: String,
    pub cond: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub span: Span,
    pub as_of: i64,
    pub lead: serde_json::Value,
    pub expectations: Vec<ast::Node<ast::Expectation>>,
}

/// A model that passed the checker: what evaluation works from.
#[derive(Debug, Clone)]
pub struct Model {
    pub sources: Sources,
    pub fields: Vec<Field>,
    /// Array fields that hold events (`events`, or `events in PATH`).
    pub event_sources: Vec<Vec<String>>,
    /// Per event source: the members its events keep their type and time in.
    pub event_members: Vec<EventMembers>,
    pub event_types: Vec<EventType>,
    pub lists: Vec<List>,
    pub groups: Vec<Group>,
    pub rules: Vec<RuleDef>,
    pub terms: Vec<EventTerm>,
    /// Score bounds in hundredths.
    pub score_max: Option<i64>,
    pub score_min: Option<i64>,
    pub stages: Vec<Stage>,
    pub otherwise: Option<String>,
    pub disqualifiers: Vec<Disqualifier>,
    pub tests: Vec<TestCase>,
}

impl Model {
    pub fn rule_by_id(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }

    pub fn group_by_name(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }

    /// The stage a lead gets when no stage condition holds.
    pub fn fallback_stage(&self) -> &str {
        self.otherwise.as_deref().unwrap_or("none")
    }

    /// Per field: does a rule, stage, disqualifier or event filter read it?
    /// A score depends on no other field (explanations and tests quote
    /// the others).
    pub fn fields_read(&self) -> Vec<bool> {
        fn value(v: &ValueExpr, read: &mut [bool]) {
            match v {
                ValueExpr::Field(i) => read[*i] = true,
                ValueExpr::Domain(inner) | ValueExpr::DaysSince(inner) => value(inner, read),
                ValueExpr::Prop(_) | ValueExpr::Score | ValueExpr::Group(_) => {}
            }
        }
        fn expr(e: &Expr, read: &mut [bool]) {
            match e {
                Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| expr(e, read)),
                Expr::Not(e) => expr(e, read),
                Expr::Pred(p) => value(&p.value, read),
                // Its filter is walked with the model's terms.
                Expr::Term(_) => {}
            }
        }
        let mut read = vec![false; self.fields.len()];
        let conds = (self.rules.iter().map(|r| &r.cond))
            .chain(self.stages.iter().map(|s| &s.cond))
            .chain(self.disqualifiers.iter().map(|d| &d.cond))
            .chain(self.terms.iter().filter_map(|t| t.filter.as_ref()));
        for e in conds {
            expr(e, &mut read);
        }
        read
    }
}

/// The result of checking: the model when there are no errors, and every
/// diagnostic (errors and warnings) either way.
pub struct Checked {
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }
}

/// Checks parsed files (one per source, same order).
pub fn check(sources: Sources, files: &[ast::File]) -> Checked {
    let mut cx = decls::Declarations::collect(&sources, files);
    let mut model = resolve::resolve(&mut cx, &sources, files);
    model.tests = tests::check_tests(&mut cx, &model, files);
    model.sources = sources.clone();
    let clean = cx
        .diagnostics
        .iter()
        .all(|d| d.severity() != Severity::Error);
    let lints = if clean {
        lint::lint(&model, &cx, files)
    } else {
        Vec::new()
    };
    let mut diagnostics = cx.diagnostics;
    diagnostics.extend(lints);
    sort_diagnostics(&mut diagnostics);
    let has_errors = diagnostics.iter().any(|d| d.severity() == Severity::Error);
    Checked {
        model: if has_errors { None } else { Some(model) },
        diagnostics,
        sources,
    }
}

/// Diagnostics in reading order: by file, then position.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| {
        let s = d.primary_span();
        (s.file, s.start, s.end)
    });
}
