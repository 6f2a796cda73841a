//! The typed syntax tree of a model.
//!
//! Every node carries its [`Span`] (file and byte range). Equality of a
//! [`Node`] ignores the span, so two parses of differently laid-out text
//! compare equal when they say the same thing — the formatter's round-trip
//! tests rely on that.

mod print;

pub use print::{escape_string, print_condition, print_literal, print_number_signed};

use crate::num::Decimal;
use crate::source::Span;

/// A value with the place in the source it came from.
#[derive(Debug, Clone)]
pub struct Node<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Node<T> {
    pub fn new(node: T, span: Span) -> Self {
        Node { node, span }
    }
}

impl<T: PartialEq> PartialEq for Node<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T> std::ops::Deref for Node<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.node
    }
}

/// A dotted field path: `company.employees`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<String>);

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// A number as written (`10k`, `2.5`) together with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: Decimal,
    /// The digits as written, without a sign: `10_000`, `10k`.
    pub raw: String,
}

/// An instant written in the source (`2026-11-01`), with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeLit {
    /// Microseconds since the Unix epoch, UTC.
    pub micros: i64,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Number(Number),
    Time(TimeLit),
    Bool(bool),
}

/// One `.rules` file, parsed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Node<Item>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Lead(Vec<Node<FieldDecl>>),
    Events(EventsDecl),
    List(ListDecl),
    Group(GroupDecl),
    /// A rule outside any group: it belongs to `general`.
    Rule(Rule),
    Score(Bounds),
    Stage(StageDecl),
    Otherwise(Node<String>),
    Disqualify(DisqualifyDecl),
    Test(TestDecl),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub path: Node<Path>,
    pub ty: Node<TypeExpr>,
    /// Where the data keeps it, when that is not `path` (`from "Job Title"`).
    pub from: Option<Node<String>>,
}

impl FieldDecl {
    /// The path of its value in a lead: `from`'s, split at its dots, or
    /// its own.
    pub fn data_path(&self) -> Vec<String> {
        match &self.from {
            Some(from) => from.node.split('.').map(str::to_string).collect(),
            None => self.path.node.0.clone(),
        }
    }
}

/// A type as written; the checker resolves the name (`text`, `number`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub list_of: bool,
    pub name: Node<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventsDecl {
    /// `events in PATH { … }`; `None` means the field `events`.
    pub path: Option<Node<Path>>,
    /// `(type from "event", at from "timestamp")`: each member renamed
    /// (`type` or `at` if well formed) and the name the data gives it.
    pub members: Vec<Node<EventMember>>,
    pub types: Vec<Node<EventTypeDecl>>,
}

/// `type from "event"`: an event's member, read under another name.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMember {
    pub member: Node<String>,
    pub from: Node<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventTypeDecl {
    pub name: Node<String>,
    pub props: Vec<Node<PropDecl>>,
    /// `from "Visit Webpage"`: the type's name as the data writes it.
    pub from: Option<Node<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropDecl {
    pub name: Node<String>,
    /// Properties are text unless annotated: `visited(page, seconds: number)`.
    pub ty: Option<Node<TypeExpr>>,
    /// `page from "url"`: the member of the event that holds it.
    pub from: Option<Node<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListDecl {
    pub name: Node<String>,
    pub items: Vec<Node<Literal>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bounds {
    pub max: Option<Node<Number>>,
    pub min: Option<Node<Number>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupDecl {
    pub name: Node<String>,
    pub bounds: Bounds,
    pub decay: Option<Node<Decay>>,
    pub rules: Vec<Node<Rule>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decay {
    pub percent: Node<Number>,
    pub every: Node<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Hours,
    Days,
    Weeks,
    Months,
}

impl Unit {
    pub fn seconds(self) -> i64 {
        match self {
            Unit::Hours => 3_600,
            Unit::Days => 86_400,
            Unit::Weeks => 7 * 86_400,
            Unit::Months => 30 * 86_400,
        }
    }

    pub fn name(self, amount: u64) -> &'static str {
        let one = amount == 1;
        match self {
            Unit::Hours if one => "hour",
            Unit::Hours => "hours",
            Unit::Days if one => "day",
            Unit::Days => "days",
            Unit::Weeks if one => "week",
            Unit::Weeks => "weeks",
            Unit::Months if one => "month",
            Unit::Months => "months",
        }
    }
}

/// `N days`, `2 weeks`: an amount of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Duration {
    pub amount: u64,
    pub unit: Unit,
}

impl Duration {
    pub fn micros(&self) -> i64 {
        (self.amount as i64)
            .saturating_mul(self.unit.seconds())
            .saturating_mul(1_000_000)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub label: Option<Node<String>>,
    pub cond: Node<Cond>,
    pub points: Node<Number>,
    /// `each`, with where it was written.
    pub each: Option<Node<()>>,
    pub max: Option<Node<Number>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageDecl {
    pub name: Node<String>,
    pub cond: Node<Cond>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DisqualifyDecl {
    pub reason: Node<String>,
    pub cond: Node<Cond>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: Node<String>,
    pub stmts: Vec<Node<TestStmt>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestStmt {
    AsOf(TimeLit),
    /// The lead's JSON text as written, with its own span (all of it: the
    /// statement's span stops before anything that looks like a trailing
    /// comment); parsed by the checker, which reports bad JSON at its place.
    Lead(Node<String>),
    Expect(Expectation),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Stage(Node<String>),
    Score(Node<Number>),
    Group(Node<String>, Node<Number>),
    Fired(Node<String>),
    NotFired(Node<String>),
    Disqualified(Option<Node<String>>),
    NotDisqualified,
}

/// A condition. `and`/`or` chains are flat: `a and (b and c)` is one `And`
/// with three parts, which is how the formatter prints it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Or(Vec<Node<Cond>>),
    And(Vec<Node<Cond>>),
    Not(Box<Node<Cond>>),
    Test(Test),
    /// `VERB [OBJECT] [where …] [COUNT] [WINDOW]`. A bare name with nothing
    /// after it (`authority`) may also be a `bool` field: the checker decides.
    Event(EventCond),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub operand: Node<Operand>,
    pub op: Node<TestOp>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Call {
        func: Node<String>,
        arg: Box<Node<Operand>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Does `ordering` (of the value against the literal) satisfy the operator?
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ordering == Equal,
            CmpOp::Ne => ordering != Equal,
            CmpOp::Lt => ordering == Less,
            CmpOp::Le => ordering != Greater,
            CmpOp::Gt => ordering == Greater,
            CmpOp::Ge => ordering != Less,
        }
    }

    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

impl TextOp {
    pub fn words(self) -> &'static str {
        match self {
            TextOp::Contains => "contains",
            TextOp::StartsWith => "starts with",
            TextOp::EndsWith => "ends with",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestOp {
    Known,
    Missing,
    Cmp(CmpOp, Node<Literal>),
    In { negated: bool, list: Node<ListRef> },
    Between(Node<Literal>, Node<Literal>),
    Includes(Node<Literal>),
    Text(TextOp, Node<Literal>),
    Matches(Node<Literal>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ListRef {
    Named(String),
    Inline(Vec<Node<Literal>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventCond {
    pub verb: Node<Path>,
    pub object: Option<Node<EventObject>>,
    pub filter: Option<Box<Node<Cond>>>,
    pub count: Option<Node<Count>>,
    pub window: Option<Node<Duration>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventObject {
    /// An identifier: a list's name, or else literal text.
    Ident(String),
    Text(String),
}

/// How many matching events an event condition needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// `once`, `twice`, `thrice`, `N times`: at least N.
    Times(u64),
    AtLeast(u64),
    AtMost(u64),
    MoreThan(u64),
    FewerThan(u64),
    Never,
}

impl Count {
    pub fn holds(self, n: u64) -> bool {
        match self {
            Count::Times(k) | Count::AtLeast(k) => n >= k,
            Count::AtMost(k) => n <= k,
            Count::MoreThan(k) => n > k,
            Count::FewerThan(k) => n < k,
            Count::Never => n == 0,
        }
    }
}
