//! First pass: every declaration of every file, with duplicates reported at
//! both places.

use super::{DecaySpec, EventMembers, EventType, Field, Group, List, ListValues, Prop, Type};
use crate::ast::{self, Item, Literal, Node};
use crate::diag::{did_you_mean, suggest, Code, Diagnostic};
use crate::num::Decimal;
use crate::source::{Sources, Span};
use crate::text::normalize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub const GENERAL: &str = "general";
const TYPE_NAMES: &[&str] = &["text", "number", "bool", "time"];

/// The symbol tables, and the diagnostics found so far.
pub(super) struct Declarations {
    pub diagnostics: Vec<Diagnostic>,
    pub fields: Vec<Field>,
    pub field_index: HashMap<String, usize>,
    /// Fields declared with an unknown type: already reported, so uses of
    /// them are not reported again.
    pub poisoned_fields: HashSet<String>,
    pub event_sources: Vec<Vec<String>>,
    /// Per event source: its members, and where an `events` block named
    /// them (`None` while no block has).
    pub event_members: Vec<(EventMembers, Option<Span>)>,
    pub event_types: Vec<EventType>,
    pub event_index: HashMap<String, usize>,
    pub lists: Vec<List>,
    pub list_index: HashMap<String, usize>,
    pub list_used: Vec<bool>,
    /// Event objects written as a name that is not a list, so read as
    /// that text (`requested demo`): the name and where it is.
    pub text_objects: Vec<(String, Span)>,
    pub groups: Vec<Group>,
    pub group_index: HashMap<String, usize>,
    pub stages: Vec<(String, Span)>,
    pub otherwise: Option<(String, Span)>,
    pub score_max: Option<i64>,
    pub score_min: Option<i64>,
    pub reasons: Vec<(String, Span)>,
    /// Rule ids in model order with their rule's span.
    pub rule_ids: Vec<(String, Span)>,
}

/// Remembers where each name was first declared and reports a second one.
struct Seen {
    kind: &'static str,
    first: HashMap<String, Span>,
}

impl Seen {
    fn new(kind: &'static str) -> Self {
        Seen {
            kind,
            first: HashMap::new(),
        }
    }

    /// True when new; otherwise reports the duplicate.
    fn insert(&mut self, name: &str, span: Span, out: &mut Vec<Diagnostic>) -> bool {
        if let Some(first) = self.first.get(name) {
            out.push(
                Diagnostic::new(
                    Code::Duplicate,
                    format!("the {} `{name}` is declared twice", self.kind),
                    span,
                    "declared again here",
                )
                .also(*first, "first declared here")
                .help(format!(
                    "names are global across the model's files: rename or remove one of the two {}s",
                    self.kind
                )),
            );
            false
        } else {
            self.first.insert(name.to_string(), span);
            true
        }
    }
}

pub(super) fn resolve_type(ty: &Node<ast::TypeExpr>, out: &mut Vec<Diagnostic>) -> Option<Type> {
    let name = ty.name.node.as_str();
    let base = match name {
        "text" => Type::Text,
        "number" => Type::Number,
        "bool" => Type::Bool,
        "time" => Type::Time,
        _ => {
            out.push(
                Diagnostic::new(
                    Code::UnknownType,
                    format!("unknown type `{name}`"),
                    ty.name.span,
                    "not a type",
                )
                .help(did_you_mean(
                    suggest(name, TYPE_NAMES.iter().copied()),
                    "types are `text`, `number`, `bool`, `time`, `list of text` and `list of number`",
                )),
            );
            return None;
        }
    };
    if !ty.list_of {
        return Some(base);
    }
    match base {
        Type::Text => Some(Type::TextList),
        Type::Number => Some(Type::NumberList),
        Type::Bool | Type::Time | Type::TextList | Type::NumberList => {
            out.push(
                Diagnostic::new(
                    Code::UnknownType,
                    format!("unknown type `list of {name}`"),
                    ty.span,
                    "lists hold text or numbers",
                )
                .help("use `list of text` or `list of number`"),
            );
            None
        }
    }
}

/// A bound or threshold in hundredths, or an error when it has more decimals.
pub(super) fn cents(n: &Node<ast::Number>, out: &mut Vec<Diagnostic>) -> Option<i64> {
    match n.value.to_cents() {
        Some(c) => Some(c),
        None => {
            out.push(
                Diagnostic::new(
                    Code::BadNumber,
                    format!("`{}` has more than two decimals", n.raw),
                    n.span,
                    "too precise",
                )
                .help("scores are kept to the cent: use at most two decimals"),
            );
            None
        }
    }
}

fn list_values(decl: &ast::ListDecl, out: &mut Vec<Diagnostic>) -> ListValues {
    let first_number = matches!(
        decl.items.first().map(|i| &i.node),
        Some(Literal::Number(_))
    );
    let mut texts = Vec::new();
    let mut numbers = Vec::new();
    for item in &decl.items {
        match (&item.node, first_number) {
            (Literal::Text(s), false) => texts.push(normalize(s)),
            (Literal::Number(n), true) => numbers.push(n.value.to_f64()),
            (other, _) => {
                let kind = match other {
                    Literal::Text(_) => "text",
                    Literal::Number(_) => "a number",
                    Literal::Time(_) => "a date",
                    Literal::Bool(_) => "a bool",
                };
                out.push(
                    Diagnostic::new(
                        Code::MixedList,
                        format!(
                            "the list `{}` mixes kinds of values: this entry is {kind}",
                            decl.name.node
                        ),
                        item.span,
                        format!(
                            "expected {}",
                            if first_number { "a number" } else { "text" }
                        ),
                    )
                    .also(decl.items[0].span, "the first entry sets the list's kind")
                    .help(
                        "a list holds only text or only numbers; quote every entry of a text list",
                    ),
                );
            }
        }
    }
    if first_number {
        ListValues::Number(Arc::new(numbers))
    } else {
        ListValues::Text(Arc::new(texts.into_iter().collect()))
    }
}

fn decay(d: &Node<ast::Decay>, out: &mut Vec<Diagnostic>) -> Option<DecaySpec> {
    let percent = d.percent.value;
    let mut ok = true;
    if percent < Decimal::ZERO || percent > Decimal::from_int(100) {
        out.push(
            Diagnostic::new(
                Code::DecayPercent,
                format!("decay of {}% is outside 0–100%", d.percent.raw),
                d.percent.span,
                "not a valid percentage",
            )
            .help("decay takes away a share of the points each period: use a percentage from 0% to 100%"),
        );
        ok = false;
    }
    let micros = d.every.micros();
    let day = crate::time::MICROS_PER_DAY;
    if micros <= 0 || micros % day != 0 {
        out.push(
            Diagnostic::new(
                Code::BadWindow,
                "the decay period must be a whole number of days, at least one",
                d.every.span,
                "not whole days",
            )
            .help("write the period in days, weeks or months, or a multiple of 24 hours: `every 30 days`"),
        );
        ok = false;
    }
    ok.then_some(DecaySpec {
        percent,
        every_days: micros / day,
    })
}

impl Declarations {
    pub fn collect(_sources: &Sources, files: &[ast::File]) -> Declarations {
        let mut d = Declarations {
            diagnostics: Vec::new(),
            fields: Vec::new(),
            field_index: HashMap::new(),
            poisoned_fields: HashSet::new(),
            event_sources: Vec::new(),
            event_members: Vec::new(),
            event_types: Vec::new(),
            event_index: HashMap::new(),
            lists: Vec::new(),
            list_index: HashMap::new(),
            list_used: Vec::new(),
            text_objects: Vec::new(),
            groups: Vec::new(),
            group_index: HashMap::new(),
            stages: Vec::new(),
            otherwise: None,
            score_max: None,
            score_min: None,
            reasons: Vec::new(),
            rule_ids: Vec::new(),
        };
        let mut seen_fields = Seen::new("field");
        let mut seen_events = Seen::new("event type");
        let mut seen_lists = Seen::new("list");
        let mut seen_groups = Seen::new("group");
        let mut seen_stages = Seen::new("stage");
        let mut seen_reasons = Seen::new("disqualification reason");
        let mut seen_tests = Seen::new("test");
        let mut score_span: Option<Span> = None;
        let out = &mut d.diagnostics;

        for file in files {
            for item in &file.items {
                match &item.node {
                    Item::Lead(fields) => {
                        for f in fields {
                            let name = f.path.node.to_string();
                            let ty = resolve_type(&f.ty, out);
                            if seen_fields.insert(&name, f.path.span, out) {
                                if ty.is_none() {
                                    d.poisoned_fields.insert(name.clone());
                                }
                                if let Some(ty) = ty {
                                    d.field_index.insert(name, d.fields.len());
                                    d.fields.push(Field {
                                        path: f.path.node.0.clone(),
                                        ty,
                                        span: f.path.span,
                                        data: f.node.data_path(),
                                        data_span: f
                                            .from
                                            .as_ref()
                                            .map_or(f.path.span, |from| from.span),
                                    });
                                }
                            }
                        }
                    }
                    Item::Events(ev) => {
                        let path = ev
                            .path
                            .as_ref()
                            .map(|p| p.node.0.clone())
                            .unwrap_or_else(|| vec!["events".to_string()]);
                        let source = match d.event_sources.iter().position(|s| *s == path) {
                            Some(i) => i,
                            None => {
                                d.event_sources.push(path);
                                d.event_members.push((EventMembers::default(), None));
                                d.event_sources.len() - 1
                            }
                        };
                        if let Some((members, span)) = event_members(ev, out) {
                            match &d.event_members[source] {
                                (_, None) => d.event_members[source] = (members, Some(span)),
                                (earlier, Some(_)) if *earlier == members => {}
                                (earlier, Some(first)) => out.push(
                                    Diagnostic::new(
                                        Code::Duplicate,
                                        format!(
                                            "the events at `{}` are read from other members in another `events` block (`type` from `{}`, `at` from `{}`)",
                                            d.event_sources[source].join("."),
                                            earlier.ty,
                                            earlier.at
                                        ),
                                        span,
                                        "other members here",
                                    )
                                    .also(*first, "first named here")
                                    .help("name an event source's members once, in one of its `events` blocks"),
                                ),
                            }
                        }
                        for t in &ev.types {
                            let mut props = Vec::new();
                            let mut seen_props = Seen::new("property");
                            for p in &t.props {
                                let ty = match &p.ty {
                                    Some(ty) => resolve_type(ty, out),
                                    None => Some(Type::Text),
                                };
                                if let Some(Type::TextList | Type::NumberList) = ty {
                                    out.push(
                                        Diagnostic::new(
                                            Code::UnknownType,
                                            "event properties can't be lists",
                                            p.span,
                                            "a list type",
                                        )
                                        .help("give the property a `text`, `number`, `bool` or `time` type"),
                                    );
                                }
                                let data = data_name(p.from.as_ref(), &p.name, true, out);
                                if seen_props.insert(&p.name.node, p.name.span, out) {
                                    props.push(Prop {
                                        name: p.name.node.clone(),
                                        ty: ty.unwrap_or(Type::Text),
                                        data: data.node,
                                        span: data.span,
                                    });
                                }
                            }
                            let data = data_name(t.from.as_ref(), &t.name, false, out);
                            if seen_events.insert(&t.name.node, t.name.span, out) {
                                d.event_index
                                    .insert(t.name.node.clone(), d.event_types.len());
                                d.event_types.push(EventType {
                                    name: t.name.node.clone(),
                                    data: data.node,
                                    source,
                                    props,
                                    span: t.name.span,
                                });
                            }
                        }
                    }
                    Item::List(l) => {
                        let values = list_values(l, out);
                        if seen_lists.insert(&l.name.node, l.name.span, out) {
                            d.list_index.insert(l.name.node.clone(), d.lists.len());
                            d.lists.push(List {
                                name: l.name.node.clone(),
                                values,
                                span: l.name.span,
                            });
                            d.list_used.push(false);
                        }
                    }
                    Item::Group(g) => {
                        let max = g.bounds.max.as_ref().and_then(|n| cents(n, out));
                        let min = g.bounds.min.as_ref().and_then(|n| cents(n, out));
                        check_bounds(g.bounds.min.as_ref(), g.bounds.max.as_ref(), out);
                        let decay = g.decay.as_ref().and_then(|dd| decay(dd, out));
                        let new = if g.name.node == GENERAL {
                            // Declaring `general` explicitly gives it bounds;
                            // top-level rules still join it.
                            match d.group_index.get(GENERAL) {
                                Some(&i) if d.groups[i].span != Span::default() => {
                                    seen_groups.insert(GENERAL, g.name.span, out)
                                }
                                Some(&i) => {
                                    let grp = &mut d.groups[i];
                                    grp.max = max;
                                    grp.min = min;
                                    grp.decay = decay;
                                    grp.span = g.name.span;
                                    seen_groups.insert(GENERAL, g.name.span, out);
                                    false
                                }
                                None => seen_groups.insert(GENERAL, g.name.span, out),
                            }
                        } else {
                            seen_groups.insert(&g.name.node, g.name.span, out)
                        };
                        if new {
                            d.group_index.insert(g.name.node.clone(), d.groups.len());
                            d.groups.push(Group {
                                name: g.name.node.clone(),
                                max,
                                min,
                                decay,
                                rules: Vec::new(),
                                span: g.name.span,
                            });
                        }
                        for r in &g.rules {
                            d.rule_ids.push((rule_id(r), r.span));
                        }
                    }
                    Item::Rule(r) => {
                        if !d.group_index.contains_key(GENERAL) {
                            d.group_index.insert(GENERAL.to_string(), d.groups.len());
                            d.groups.push(Group {
                                name: GENERAL.to_string(),
                                max: None,
                                min: None,
                                decay: None,
                                rules: Vec::new(),
                                span: Span::default(),
                            });
                        }
                        d.rule_ids.push((rule_id(r), item.span));
                    }
                    Item::Score(b) => {
                        if let Some(first) = score_span {
                            out.push(
                                Diagnostic::new(
                                    Code::Duplicate,
                                    "`score` bounds are declared twice",
                                    item.span,
                                    "declared again here",
                                )
                                .also(first, "first declared here")
                                .help("keep one `score max … min …` line for the model"),
                            );
                        } else {
                            score_span = Some(item.span);
                            d.score_max = b.max.as_ref().and_then(|n| cents(n, out));
                            d.score_min = b.min.as_ref().and_then(|n| cents(n, out));
                            check_bounds(b.min.as_ref(), b.max.as_ref(), out);
                        }
                    }
                    Item::Stage(s) => {
                        if seen_stages.insert(&s.name.node, s.name.span, out) {
                            d.stages.push((s.name.node.clone(), s.name.span));
                        }
                    }
                    Item::Otherwise(name) => {
                        if let Some((_, first)) = &d.otherwise {
                            out.push(
                                Diagnostic::new(
                                    Code::Duplicate,
                                    "`otherwise` is declared twice",
                                    name.span,
                                    "declared again here",
                                )
                                .also(*first, "first declared here")
                                .help("a model has one fallback stage: keep one `otherwise`"),
                            );
                        } else {
                            seen_stages.insert(&name.node, name.span, out);
                            d.otherwise = Some((name.node.clone(), name.span));
                        }
                    }
                    Item::Disqualify(q) => {
                        if seen_reasons.insert(&q.reason.node, q.reason.span, out) {
                            d.reasons.push((q.reason.node.clone(), q.reason.span));
                        }
                    }
                    Item::Test(t) => {
                        seen_tests.insert(&t.name.node, t.name.span, out);
                    }
                }
            }
        }

        // Rule ids are names too.
        let mut first: HashMap<&str, Span> = HashMap::new();
        for (id, span) in &d.rule_ids {
            if let Some(prev) = first.get(id.as_str()) {
                out.push(
                    Diagnostic::new(
                        Code::DuplicateRuleId,
                        format!("two rules have the id `{id}`"),
                        *span,
                        "this rule",
                    )
                    .also(*prev, "has the same id as this one")
                    .help("outputs and tests name rules by id: give one of them a label, `\"Some name\": CONDITION -> POINTS`"),
                );
            } else {
                first.insert(id, *span);
            }
        }

        // A group and a one-word field of the same name would be ambiguous in
        // stage conditions.
        for g in &d.groups {
            if let Some(&fi) = d.field_index.get(&g.name) {
                out.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        format!("`{}` is both a group and a field", g.name),
                        g.span,
                        "the group",
                    )
                    .also(d.fields[fi].span, "the field")
                    .help("stage conditions name groups and fields alike: rename one of them"),
                );
            }
        }
        for f in &d.fields {
            for len in 1..f.path.len() {
                let prefix = f.path[..len].join(".");
                if let Some(&pi) = d.field_index.get(&prefix) {
                    out.push(
                        Diagnostic::new(
                            Code::Duplicate,
                            format!(
                                "`{prefix}` is declared as a value and as an object holding `{}`",
                                f.name()
                            ),
                            f.span,
                            format!("needs `{prefix}` to be an object"),
                        )
                        .also(d.fields[pi].span, "declared as a value here")
                        .help("a path can't be both a value and an object: rename one of them"),
                    );
                }
            }
        }
        check_data_paths(&d.fields, out);
        let mut found = Vec::new();
        check_event_data_names(&d, &mut found);
        d.diagnostics.extend(found);
        d
    }
}

/// The name the data gives a property (`is_path`: a path into the event,
/// where dots nest) or an event type (a value): the `from` string when there
/// is one (an empty one is reported and the own name kept), else its own
/// name; with the span that names it.
fn data_name(
    from: Option<&Node<String>>,
    name: &Node<String>,
    is_path: bool,
    out: &mut Vec<Diagnostic>,
) -> Node<String> {
    let what = if is_path {
        "a property"
    } else {
        "an event type"
    };
    match from {
        Some(f) if f.node.trim().is_empty() || (is_path && empty_part(&f.node)) => {
            out.push(
                Diagnostic::new(
                    Code::BadFrom,
                    match is_path {
                        true => format!("{what} can't be read from an empty name or an empty part between dots"),
                        false => format!("{what} can't be read from an empty name"),
                    },
                    f.span,
                    empty_label(&f.node),
                )
                .help(match is_path {
                    true => "give the member's name as the events spell it: `page from \"url\"`; dots nest: `plan from \"properties.plan\"`",
                    false => "give the type's name as the events spell it: `visited from \"Visit Webpage\"`",
                }),
            );
            name.clone()
        }
        Some(f) => f.clone(),
        None => name.clone(),
    }
}

/// What a label says of a name [`empty_part`] refuses.
fn empty_label(name: &str) -> &'static str {
    match name.trim().is_empty() {
        true => "no name",
        false => "an empty part",
    }
}

/// A member name that is empty, or has an empty part between its dots.
fn empty_part(name: &str) -> bool {
    name.split('.').any(|part| part.trim().is_empty())
}

/// What events are read by: in one source, no two event types may read the
/// same type as written; in one event type, no two properties the same
/// member, and none the member its source keeps the type or the time in.
fn check_event_data_names(d: &Declarations, out: &mut Vec<Diagnostic>) {
    for (i, t) in d.event_types.iter().enumerate() {
        let source = &d.event_sources[t.source];
        if let Some(first) = d.event_types[..i]
            .iter()
            .find(|e| e.source == t.source && e.data == t.data)
        {
            out.push(
                Diagnostic::new(
                    Code::Duplicate,
                    format!(
                        "the event types `{}` and `{}` both read the events at `{}` of type `{}`",
                        first.name,
                        t.name,
                        source.join("."),
                        t.data
                    ),
                    t.span,
                    format!("`{}` reads them here", t.name),
                )
                .also(first.span, format!("`{}` reads them here", first.name))
                .help("an event is of one event type: remove one of the two, or read it `from` another type name"),
            );
        }
        let members = &d.event_members[t.source].0;
        for (j, p) in t.props.iter().enumerate() {
            if let Some(q) = t.props[..j].iter().find(|q| q.data == p.data) {
                out.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        format!(
                            "the properties `{}` and `{}` of `{}` both read the member `{}`",
                            q.name, p.name, t.name, p.data
                        ),
                        p.span,
                        format!("`{}` reads it here", p.name),
                    )
                    .also(q.span, format!("`{}` reads it here", q.name))
                    .help("each property reads its own member of the event: remove one, or read it `from` another member"),
                );
            }
            let keeps = if p.data == members.ty {
                "type"
            } else if p.data == members.at {
                "time"
            } else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    Code::Duplicate,
                    format!(
                        "the property `{}` of `{}` would read `{}`, the member the events keep their {keeps} in",
                        p.name, t.name, p.data
                    ),
                    p.span,
                    format!("the event's {keeps}"),
                )
                .help(format!(
                    "read the property `from` the member that holds it: `{} from \"…\"`",
                    p.name
                )),
            );
        }
    }
}

/// Fields read `from` another name: the name must be a path, and no two
/// fields may read the same place, or one read inside the other's value.
/// (Fields read by their own names are checked as names above.)
fn check_data_paths(fields: &[Field], out: &mut Vec<Diagnostic>) {
    let mut at: HashMap<String, usize> = HashMap::new();
    for (i, f) in fields.iter().enumerate() {
        let data = f.data_name();
        if f.data.iter().any(String::is_empty) {
            out.push(
                Diagnostic::new(
                    Code::BadFrom,
                    format!("`{data}` is not a name a field can be read from"),
                    f.data_span,
                    "not a member's name",
                )
                .help("give the member's name as the data spells it, with dots between nested names: `from \"Job Title\"`, `from \"properties.jobtitle\"`"),
            );
            continue;
        }
        match at.get(&data) {
            Some(&j) if f.data != f.path || fields[j].data != fields[j].path => out.push(
                Diagnostic::new(
                    Code::Duplicate,
                    format!(
                        "`{data}` is read by two fields, `{}` and `{}`",
                        fields[j].name(),
                        f.name()
                    ),
                    f.data_span,
                    "read again here",
                )
                .also(fields[j].data_span, "first read here")
                .help("read it once, and use that field's name in every rule"),
            ),
            Some(_) => {}
            None => {
                at.insert(data, i);
            }
        }
    }
    for f in fields {
        for len in 1..f.data.len() {
            let prefix = f.data[..len].join(".");
            let Some(&j) = at.get(&prefix) else { continue };
            if f.data == f.path && fields[j].data == fields[j].path {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::Duplicate,
                    format!(
                        "`{}` reads `{prefix}` as a value, and `{}` reads inside it",
                        fields[j].name(),
                        f.name()
                    ),
                    f.data_span,
                    format!("needs `{prefix}` to be an object"),
                )
                .also(fields[j].data_span, "reads it as a value")
                .help("a path can't be both a value and an object: read one of them from another name"),
            );
        }
    }
}

fn check_bounds(
    min: Option<&Node<ast::Number>>,
    max: Option<&Node<ast::Number>>,
    out: &mut Vec<Diagnostic>,
) {
    if let (Some(min), Some(max)) = (min, max) {
        if min.value > max.value {
            out.push(
                Diagnostic::new(
                    Code::BadBounds,
                    format!("`min {}` is above `max {}`", min.raw, max.raw),
                    min.span,
                    "the lower bound",
                )
                .also(max.span, "the upper bound")
                .help("swap the two bounds"),
            );
        }
    }
}

/// A rule's id: its label, or its condition as the formatter prints it.
pub fn rule_id(rule: &ast::Rule) -> String {
    match &rule.label {
        Some(label) => label.node.clone(),
        None => ast::print_condition(&rule.cond),
    }
}

/// The members an `events` block names (`(type from "event", at from
/// "ts")`), with the list's span; `None` when it names none, or when one is
/// wrong (reported).
fn event_members(ev: &ast::EventsDecl, out: &mut Vec<Diagnostic>) -> Option<(EventMembers, Span)> {
    let (first, last) = (ev.members.first()?, ev.members.last()?);
    let span = first.span.to(last.span);
    let mut members = EventMembers::default();
    let mut seen = Seen::new("member");
    let mut ok = true;
    for m in &ev.members {
        let name = m.member.node.as_str();
        let slot = match name {
            "type" => &mut members.ty,
            "at" => &mut members.at,
            _ => {
                let mut d = Diagnostic::new(
                    Code::BadFrom,
                    format!("`{name}` is not a member an event can read from another name"),
                    m.member.span,
                    "not `type` or `at`",
                )
                .help("an event's type and time can be read from other members: `(type from \"event\", at from \"timestamp\")`; its properties are read under their own names");
                if let Some(near) = ["type", "at"]
                    .into_iter()
                    .find(|w| crate::diag::typo_distance(name, w).is_some())
                {
                    d = d.help(format!("did you mean `{near}`?"));
                }
                out.push(d);
                ok = false;
                continue;
            }
        };
        if !seen.insert(name, m.member.span, out) {
            ok = false;
            continue;
        }
        let from = m.from.node.as_str();
        if empty_part(from) {
            out.push(
                Diagnostic::new(
                    Code::BadFrom,
                    format!("an event's `{name}` can't be read from an empty name or an empty part between dots"),
                    m.from.span,
                    empty_label(from),
                )
                .help("give the member's name as the events spell it: `type from \"event\"`; dots nest: `at from \"properties.time\"`"),
            );
            ok = false;
            continue;
        }
        *slot = from.to_string();
    }
    if ok && members.ty == members.at {
        out.push(
            Diagnostic::new(
                Code::Duplicate,
                format!(
                    "an event's `type` and `at` are both read from `{}`",
                    members.ty
                ),
                span,
                "one member for both",
            )
            .help("an event keeps its type and its time in two different members"),
        );
        ok = false;
    }
    ok.then_some((members, span))
}
