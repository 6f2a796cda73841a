//! Second pass: conditions resolved against the declarations and typed.

use super::decls::{rule_id, Declarations, GENERAL};
use super::{
    Disqualifier, EventTerm, Expr, ListValues, Model, ObjectMatch, Pred, PredTest, RuleDef, Stage,
    Type, ValueExpr,
};
use crate::ast::{self, CmpOp, Cond, Count, Item, ListRef, Literal, Node, Operand, TestOp};
use crate::diag::{did_you_mean, suggest, Code, Diagnostic};
use crate::num::Decimal;
use crate::source::{Sources, Span};
use crate::text::normalize;
use std::sync::Arc;

/// Where a condition stands, which decides what its names may refer to.
#[derive(Clone, Copy)]
struct Ctx {
    /// In a stage condition: `score` and group names are values.
    stage: bool,
    /// Inside `where`: names are the properties of this event type.
    event: Option<usize>,
}

struct Resolver<'a> {
    cx: &'a mut Declarations,
    sources: &'a Sources,
    terms: Vec<super::EventTerm>,
    patterns: super::patterns::Compiled,
}

pub(super) fn resolve(cx: &mut Declarations, sources: &Sources, files: &[ast::File]) -> Model {
    let mut r = Resolver {
        cx,
        sources,
        terms: Vec::new(),
        patterns: super::patterns::Compiled::new(files),
    };
    let mut rules = Vec::new();
    let mut stages = Vec::new();
    let mut disqualifiers = Vec::new();
    let top = Ctx {
        stage: false,
        event: None,
    };
    for file in files {
        for item in &file.items {
            match &item.node {
                Item::Group(g) => {
                    let group = r.cx.group_index[&g.name.node];
                    for rule in &g.rules {
                        if let Some(def) = r.rule(rule, group) {
                            rules.push(def);
                        }
                    }
                }
                Item::Rule(rule) => {
                    let group = r.cx.group_index[GENERAL];
                    if let Some(def) = r.rule(&Node::new(rule.clone(), item.span), group) {
                        rules.push(def);
                    }
                }
                Item::Stage(s) => {
                    let ctx = Ctx {
                        stage: true,
                        event: None,
                    };
                    if let Some(cond) = r.cond(&s.cond, ctx) {
                        stages.push(Stage {
                            name: s.name.node.clone(),
                            cond,
                            span: item.span,
                        });
                    }
                }
                Item::Disqualify(q) => {
                    if let Some(cond) = r.cond(&q.cond, top) {
                        disqualifiers.push(Disqualifier {
                            reason: q.reason.node.clone(),
                            cond,
                            span: item.span,
                        });
                    }
                }
                Item::Lead(_)
                | Item::Events(_)
                | Item::List(_)
                | Item::Score(_)
                | Item::Otherwise(_)
                | Item::Test(_) => {}
            }
        }
    }
    let mut groups = r.cx.groups.clone();
    for (i, rule) in rules.iter().enumerate() {
        groups[rule.group].rules.push(i);
    }
    Model {
        sources: Sources::default(),
        fields: r.cx.fields.clone(),
        event_sources: r.cx.event_sources.clone(),
        event_members: r.cx.event_members.iter().map(|(m, _)| m.clone()).collect(),
        event_types: r.cx.event_types.clone(),
        lists: r.cx.lists.clone(),
        groups,
        rules,
        terms: r.terms,
        score_max: r.cx.score_max,
        score_min: r.cx.score_min,
        stages,
        otherwise: r.cx.otherwise.as_ref().map(|(n, _)| n.clone()),
        disqualifiers,
        tests: Vec::new(),
    }
}

fn literal_kind(l: &Literal) -> &'static str {
    match l {
        Literal::Text(_) => "text",
        Literal::Number(_) => "a number",
        Literal::Time(_) => "a date",
        Literal::Bool(_) => "a bool",
    }
}

fn article(ty: Type) -> &'static str {
    match ty {
        Type::Text => "text",
        Type::Number => "a number",
        Type::Bool => "a bool",
        Type::Time => "a time",
        Type::TextList => "a list of text",
        Type::NumberList => "a list of numbers",
    }
}

fn example_for(ty: Type) -> &'static str {
    match ty {
        Type::Text | Type::TextList => "\"some text\"",
        Type::Number | Type::NumberList => "50",
        Type::Bool => "true",
        Type::Time => "2026-01-01",
    }
}

fn collect_terms(e: &Expr, out: &mut Vec<usize>) {
    match e {
        Expr::And(parts) | Expr::Or(parts) => parts.iter().for_each(|p| collect_terms(p, out)),
        Expr::Not(inner) => collect_terms(inner, out),
        Expr::Term(t) => out.push(*t),
        Expr::Pred(_) => {}
    }
}

impl Resolver<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.cx.diagnostics.push(d);
    }

    fn text(&self, span: Span) -> &str {
        self.sources.text(span)
    }

    fn rule(&mut self, rule: &Node<ast::Rule>, group: usize) -> Option<RuleDef> {
        let ctx = Ctx {
            stage: false,
            event: None,
        };
        let cond = self.cond(&rule.cond, ctx);
        let mut ok = cond.is_some();
        if let Some(cap) = &rule.max {
            if cap.value <= Decimal::ZERO {
                self.err(
                    Diagnostic::new(
                        Code::BadCap,
                        "a rule's `max` must be above zero",
                        cap.span,
                        "not above zero",
                    )
                    .help("`max N` caps how much the rule contributes: for negative points it caps at -N, so write N as a positive number"),
                );
                ok = false;
            }
        }
        let cond = cond?;
        let mut terms = Vec::new();
        collect_terms(&cond, &mut terms);
        if let Some(each) = &rule.each {
            if terms.len() != 1 {
                let found = if terms.is_empty() {
                    "none".to_string()
                } else {
                    terms.len().to_string()
                };
                self.err(
                    Diagnostic::new(
                        Code::EachNeedsOneEvent,
                        format!("`each` needs exactly one event condition in the rule; it has {found}"),
                        each.span,
                        "multiplies by which event count?",
                    )
                    .also(rule.cond.span, "the rule's condition")
                    .help("`each` multiplies the points by the number of events one event condition counted: split the rule, or remove `each`"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(RuleDef {
            id: rule_id(rule),
            labelled: rule.label.is_some(),
            group,
            cond,
            points: rule.points.value,
            each: rule.each.is_some(),
            cap: rule.max.as_ref().map(|m| m.value),
            terms,
            span: rule.span,
        })
    }

    fn cond(&mut self, c: &Node<Cond>, ctx: Ctx) -> Option<Expr> {
        match &c.node {
            Cond::And(parts) | Cond::Or(parts) => {
                let resolved: Vec<Option<Expr>> = parts.iter().map(|p| self.cond(p, ctx)).collect();
                let parts: Option<Vec<Expr>> = resolved.into_iter().collect();
                let parts = parts?;
                Some(if matches!(c.node, Cond::And(_)) {
                    Expr::And(parts)
                } else {
                    Expr::Or(parts)
                })
            }
            Cond::Not(inner) => Some(Expr::Not(Box::new(self.cond(inner, ctx)?))),
            Cond::Test(t) => self.test(t, c.span, ctx),
            Cond::Event(e) => self.event(e, c.span, ctx),
        }
    }

    /// Resolves a name or call to a value and its type.
    fn operand(&mut self, o: &Node<Operand>, ctx: Ctx) -> Option<(ValueExpr, Type)> {
        match &o.node {
            Operand::Call { func, arg } => {
                let (inner, ty) = self.operand(arg, ctx)?;
                let (want, result, make): (Type, Type, fn(Box<ValueExpr>) -> ValueExpr) =
                    match func.node.as_str() {
                        "domain" => (Type::Text, Type::Text, ValueExpr::Domain),
                        "days_since" => (Type::Time, Type::Number, ValueExpr::DaysSince),
                        other => {
                            self.err(
                                Diagnostic::new(
                                    Code::UnknownFunction,
                                    format!("unknown function `{other}`"),
                                    func.span,
                                    "not a function",
                                )
                                .help(did_you_mean(
                                    suggest(other, ["domain", "days_since"]),
                                    "the functions are `domain(text)` and `days_since(time)`",
                                )),
                            );
                            return None;
                        }
                    };
                if ty != want {
                    self.err(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`{}` takes {}, but `{}` is {}",
                                func.node,
                                article(want),
                                self.text(arg.span),
                                article(ty)
                            ),
                            arg.span,
                            format!("this is {}", article(ty)),
                        )
                        .help(match want {
                            Type::Time => "`days_since` counts whole days from a `time` field to the as-of time",
                            Type::Text
                            | Type::Number
                            | Type::Bool
                            | Type::TextList
                            | Type::NumberList => "`domain` takes an email address (`text`) and gives the part after the last `@`",
                        }),
                    );
                    return None;
                }
                Some((make(Box::new(inner)), result))
            }
            Operand::Path(path) => {
                let name = path.to_string();
                if let Some(event) = ctx.event {
                    let props = &self.cx.event_types[event].props;
                    if let Some(i) = props.iter().position(|p| p.name == name) {
                        return Some((ValueExpr::Prop(i), props[i].ty));
                    }
                    let event_name = self.cx.event_types[event].name.clone();
                    let names: Vec<String> = props.iter().map(|p| p.name.clone()).collect();
                    let help = if self.cx.field_index.contains_key(&name) {
                        format!("`{name}` is a lead field; `where` tests only the properties of the `{event_name}` event: move the test outside `where`")
                    } else {
                        did_you_mean(
                            suggest(&name, names.iter().map(String::as_str)),
                            format!(
                                "`{event_name}` has the properties {}",
                                if names.is_empty() {
                                    "(none)".to_string()
                                } else {
                                    names
                                        .iter()
                                        .map(|n| format!("`{n}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }
                            ),
                        )
                    };
                    self.err(
                        Diagnostic::new(
                            Code::UnknownProperty,
                            format!("the event `{event_name}` has no property `{name}`"),
                            o.span,
                            "not a property of this event",
                        )
                        .help(help),
                    );
                    return None;
                }
                if name == "score"
                    || (self.cx.group_index.contains_key(&name)
                        && !self.cx.field_index.contains_key(&name))
                {
                    if ctx.stage {
                        return Some(if name == "score" {
                            (ValueExpr::Score, Type::Number)
                        } else {
                            (ValueExpr::Group(self.cx.group_index[&name]), Type::Number)
                        });
                    }
                    let what = if name == "score" {
                        "the score".to_string()
                    } else {
                        format!("the group total `{name}`")
                    };
                    self.err(
                        Diagnostic::new(
                            Code::ScoreOutsideStage,
                            format!("{what} can only be used in stage conditions"),
                            o.span,
                            "not known while rules are scored",
                        )
                        .help(
                            "scores are the result of the rules: test them in `stage NAME when …`",
                        ),
                    );
                    return None;
                }
                if let Some(&i) = self.cx.field_index.get(&name) {
                    return Some((ValueExpr::Field(i), self.cx.fields[i].ty));
                }
                if self.cx.poisoned_fields.contains(&name) {
                    return None;
                }
                let mut candidates: Vec<&str> =
                    self.cx.field_index.keys().map(String::as_str).collect();
                if ctx.stage {
                    candidates.extend(self.cx.group_index.keys().map(String::as_str));
                }
                candidates.sort();
                let suggestion = suggest(&name, candidates);
                self.err(
                    Diagnostic::new(
                        Code::UnknownField,
                        format!("unknown field `{name}`"),
                        o.span,
                        "not declared in `lead { }`",
                    )
                    .help(did_you_mean(
                        suggestion,
                        format!("declare it in the model's `lead {{ }}` block, for example `{name}: text`"),
                    )),
                );
                None
            }
        }
    }

    fn mismatch(&mut self, operand: Span, ty: Type, lit: &Node<Literal>, what: &str) {
        let message = format!(
            "`{}` is {}, but {what} `{}` is {}",
            self.text(operand),
            article(ty),
            self.text(lit.span),
            literal_kind(&lit.node)
        );
        self.err(
            Diagnostic::new(
                Code::TypeMismatch,
                message,
                lit.span,
                format!("this is {}", literal_kind(&lit.node)),
            )
            .also(operand, format!("this is {}", article(ty)))
            .help(format!(
                "compare {} with {}, for example `{} {}`",
                article(ty),
                article(ty.element()),
                self.text(operand),
                match ty {
                    Type::Number => format!(">= {}", example_for(ty)),
                    Type::Time => format!("< {}", example_for(ty)),
                    Type::Text | Type::Bool | Type::TextList | Type::NumberList => {
                        format!("= {}", example_for(ty))
                    }
                }
            )),
        );
    }

    fn list_set(&mut self, list: &Node<ListRef>, ty: Type, operand: Span) -> Option<PredTest> {
        match &list.node {
            ListRef::Named(name) => {
                let Some(&i) = self.cx.list_index.get(name) else {
                    let names: Vec<&str> = self.cx.list_index.keys().map(String::as_str).collect();
                    let suggestion = suggest(name, names);
                    self.err(
                        Diagnostic::new(
                            Code::UnknownList,
                            format!("unknown list `{name}`"),
                            list.span,
                            "no list of this name",
                        )
                        .help(did_you_mean(
                            suggestion,
                            format!("declare it: `list {name} = [\"a\", \"b\"]`"),
                        )),
                    );
                    return None;
                };
                self.cx.list_used[i] = true;
                match (&self.cx.lists[i].values, ty) {
                    (ListValues::Text(set), Type::Text) => Some(PredTest::TextIn {
                        set: set.clone(),
                        list: Some(name.clone()),
                        negated: false,
                    }),
                    (ListValues::Number(values), Type::Number) => Some(PredTest::NumIn {
                        values: values.clone(),
                        list: Some(name.clone()),
                        negated: false,
                    }),
                    (values, _) => {
                        let kind = if matches!(values, ListValues::Text(_)) {
                            "text"
                        } else {
                            "numbers"
                        };
                        let message = format!(
                            "`{}` is {}, but the list `{name}` holds {kind}",
                            self.text(operand),
                            article(ty)
                        );
                        self.err(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                message,
                                list.span,
                                format!("a list of {kind}"),
                            )
                            .also(operand, format!("this is {}", article(ty)))
                            .also(self.cx.lists[i].span, "declared here")
                            .help("test text against text lists and numbers against number lists"),
                        );
                        None
                    }
                }
            }
            ListRef::Inline(items) => {
                let mut texts = Vec::new();
                let mut numbers = Vec::new();
                let mut ok = true;
                for item in items {
                    match (&item.node, ty) {
                        (Literal::Text(s), Type::Text) => texts.push(normalize(s)),
                        (Literal::Number(n), Type::Number) => numbers.push(n.value.to_f64()),
                        _ => {
                            self.mismatch(operand, ty, item, "the list entry");
                            ok = false;
                        }
                    }
                }
                if !ok {
                    return None;
                }
                Some(if ty == Type::Text {
                    PredTest::TextIn {
                        set: Arc::new(texts.into_iter().collect()),
                        list: None,
                        negated: false,
                    }
                } else {
                    PredTest::NumIn {
                        values: Arc::new(numbers),
                        list: None,
                        negated: false,
                    }
                })
            }
        }
    }

    fn test(&mut self, t: &ast::Test, span: Span, ctx: Ctx) -> Option<Expr> {
        let (value, ty) = self.operand(&t.operand, ctx)?;
        let operand = t.operand.span;
        let test = match &t.op.node {
            TestOp::Known => PredTest::Known,
            TestOp::Missing => PredTest::Missing,
            TestOp::Cmp(op, lit) => {
                if ty.is_list() {
                    self.err(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`{}` is {}, so it can't be compared with `{}`",
                                self.text(operand),
                                article(ty),
                                op.symbol()
                            ),
                            t.op.span,
                            "compares a whole list",
                        )
                        .help(format!(
                            "to test whether the list holds a value, write `{} includes {}`",
                            self.text(operand),
                            example_for(ty)
                        )),
                    );
                    return None;
                }
                if !literal_matches(ty, &lit.node) {
                    self.mismatch(operand, ty, lit, "the value");
                    return None;
                }
                match (&lit.node, op.is_ordering()) {
                    (Literal::Number(n), _) => PredTest::NumCmp(*op, n.value.to_f64()),
                    (Literal::Time(tl), _) => PredTest::TimeCmp(*op, tl.micros),
                    (Literal::Text(s), false) => PredTest::TextEq {
                        value: normalize(s),
                        negated: *op == CmpOp::Ne,
                    },
                    (Literal::Bool(b), false) => PredTest::BoolEq {
                        value: *b,
                        negated: *op == CmpOp::Ne,
                    },
                    (Literal::Text(_) | Literal::Bool(_), true) => {
                        self.err(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                format!("`{}` can't be ordered with `{}`: it is {}", self.text(operand), op.symbol(), article(ty)),
                                t.op.span,
                                "an ordering operator",
                            )
                            .help("`<`, `<=`, `>` and `>=` compare numbers and times; for text use `=`, `in`, `contains`, `starts with` or `matches`"),
                        );
                        return None;
                    }
                }
            }
            TestOp::In { negated, list } => {
                if ty.is_list() {
                    self.err(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`{}` is {}; `in` tests a single value",
                                self.text(operand),
                                article(ty)
                            ),
                            t.op.span,
                            "`in` needs a single value",
                        )
                        .help(format!(
                            "to test whether the list holds a value, write `{} includes {}`",
                            self.text(operand),
                            example_for(ty)
                        )),
                    );
                    return None;
                }
                if !matches!(ty, Type::Text | Type::Number) {
                    self.err(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`{}` is {}; `in` tests text or numbers",
                                self.text(operand),
                                article(ty)
                            ),
                            t.op.span,
                            "not for this type",
                        )
                        .help("lists hold text or numbers"),
                    );
                    return None;
                }
                match self.list_set(list, ty, operand)? {
                    PredTest::TextIn { set, list, .. } => PredTest::TextIn {
                        set,
                        list,
                        negated: *negated,
                    },
                    PredTest::NumIn { values, list, .. } => PredTest::NumIn {
                        values,
                        list,
                        negated: *negated,
                    },
                    other => other,
                }
            }
            TestOp::Between(lo, hi) => match (ty, &lo.node, &hi.node) {
                (Type::Number, Literal::Number(a), Literal::Number(b)) => {
                    PredTest::NumBetween(a.value.to_f64(), b.value.to_f64())
                }
                (Type::Time, Literal::Time(a), Literal::Time(b)) => {
                    PredTest::TimeBetween(a.micros, b.micros)
                }
                (Type::Number | Type::Time, _, _) => {
                    let bad = if !literal_matches(ty, &lo.node) {
                        lo
                    } else {
                        hi
                    };
                    self.mismatch(operand, ty, bad, "the bound");
                    return None;
                }
                _ => {
                    self.err(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`{}` is {}; `between` needs a number or a time",
                                self.text(operand),
                                article(ty)
                            ),
                            t.op.span,
                            "not for this type",
                        )
                        .help("`between A and B` tests numbers and times, both ends included"),
                    );
                    return None;
                }
            },
            TestOp::Includes(lit) => match (ty, &lit.node) {
                (Type::TextList, Literal::Text(s)) => PredTest::IncludesText(normalize(s)),
                (Type::NumberList, Literal::Number(n)) => {
                    PredTest::IncludesNumber(n.value.to_f64())
                }
                (Type::TextList | Type::NumberList, _) => {
                    self.mismatch(operand, ty, lit, "the value");
                    return None;
                }
                _ => {
                    let help = if ty == Type::Text {
                        format!("`includes` is for `list of …` fields; for text, `{} contains {}` tests a part of it", self.text(operand), self.text(lit.span))
                    } else {
                        "`includes` is for `list of text` and `list of number` fields".to_string()
                    };
                    self.err(
                        Diagnostic::new(
                            Code::IncludesNeedsList,
                            format!(
                                "`includes` needs a list, but `{}` is {}",
                                self.text(operand),
                                article(ty)
                            ),
                            t.op.span,
                            "needs a `list of …` field",
                        )
                        .also(operand, format!("this is {}", article(ty)))
                        .help(help),
                    );
                    return None;
                }
            },
            TestOp::Text(op, lit) => {
                let s = self.text_literal(ty, operand, &t.op, lit, op.words())?;
                PredTest::Text(*op, normalize(&s))
            }
            TestOp::Matches(lit) => {
                let s = self.text_literal(ty, operand, &t.op, lit, "matches")?;
                match self.patterns.get(&s) {
                    Ok(re) => PredTest::Matches(re),
                    Err(e) => {
                        let detail = e.to_string();
                        let last = detail
                            .lines()
                            .rfind(|l| !l.trim().is_empty())
                            .unwrap_or("")
                            .trim()
                            .trim_start_matches("error: ")
                            .to_string();
                        self.err(
                            Diagnostic::new(Code::InvalidRegex, format!("invalid regular expression: {last}"), lit.span, "this pattern")
                                .help("patterns use Rust regex syntax (no look-around or back-references); a literal `(` or `.` is written `\\(` or `\\.`"),
                        );
                        return None;
                    }
                }
            }
        };
        Some(Expr::Pred(Box::new(Pred { value, test, span })))
    }

    fn text_literal(
        &mut self,
        ty: Type,
        operand: Span,
        op: &Node<TestOp>,
        lit: &Node<Literal>,
        words: &str,
    ) -> Option<String> {
        if ty != Type::Text {
            let help = if ty == Type::TextList {
                format!(
                    "for a list, `{} includes {}` tests whether it holds a value",
                    self.text(operand),
                    self.text(lit.span)
                )
            } else {
                format!(
                    "`{words}` tests text; {} is compared with `=`, `<`, `>` or `between`",
                    article(ty)
                )
            };
            self.err(
                Diagnostic::new(
                    Code::TextTestNeedsText,
                    format!(
                        "`{words}` needs text, but `{}` is {}",
                        self.text(operand),
                        article(ty)
                    ),
                    op.span,
                    "a text test",
                )
                .also(operand, format!("this is {}", article(ty)))
                .help(help),
            );
            return None;
        }
        match &lit.node {
            Literal::Text(s) => Some(s.clone()),
            Literal::Number(_) | Literal::Time(_) | Literal::Bool(_) => {
                self.mismatch(operand, ty, lit, "the value");
                None
            }
        }
    }

    fn event(&mut self, e: &ast::EventCond, span: Span, ctx: Ctx) -> Option<Expr> {
        let name = e.verb.node.to_string();
        let bare =
            e.object.is_none() && e.filter.is_none() && e.count.is_none() && e.window.is_none();
        if ctx.event.is_none() {
            if let Some(&i) = self.cx.event_index.get(&name) {
                return self.event_term(e, i, span);
            }
        }
        // Not an event: a bare `bool` value.
        let operand = Node::new(Operand::Path(e.verb.node.clone()), e.verb.span);
        if self.cx.poisoned_fields.contains(&name) {
            return None;
        }
        let known = ctx
            .event
            .is_some_and(|ev| self.cx.event_types[ev].props.iter().any(|p| p.name == name))
            || self.cx.field_index.contains_key(&name)
            || (ctx.stage && (name == "score" || self.cx.group_index.contains_key(&name)));
        if !known {
            let mut candidates: Vec<&str> =
                self.cx.event_index.keys().map(String::as_str).collect();
            candidates.extend(
                self.cx
                    .fields
                    .iter()
                    .filter(|f| f.ty == Type::Bool)
                    .map(|f| f.path.last().map(String::as_str).unwrap_or("")),
            );
            let joined: Vec<String> = self
                .cx
                .fields
                .iter()
                .filter(|f| f.ty == Type::Bool)
                .map(|f| f.name())
                .collect();
            candidates.extend(joined.iter().map(String::as_str));
            candidates.sort();
            let suggestion = suggest(&name, candidates.clone());
            self.err(
                Diagnostic::new(
                    Code::UnknownName,
                    format!("`{name}` is neither an event type nor a field"),
                    e.verb.span,
                    "unknown name",
                )
                .help(did_you_mean(suggestion, format!("declare `{name}` as an event type in `events {{ }}` or as a `bool` field in `lead {{ }}`"))),
            );
            return None;
        }
        let (value, ty) = self.operand(&operand, ctx)?;
        if ty != Type::Bool {
            self.err(
                Diagnostic::new(
                    Code::NotABool,
                    format!("`{name}` is {}, not a condition", article(ty)),
                    e.verb.span,
                    format!("this is {}", article(ty)),
                )
                .help(format!(
                    "only a `bool` field stands alone as a condition; did you mean `{name} is known` or `{name} = {}`?",
                    example_for(ty)
                )),
            );
            return None;
        }
        if !bare {
            let extra = e
                .object
                .as_ref()
                .map(|o| o.span)
                .or(e.filter.as_ref().map(|f| f.span))
                .or(e.count.as_ref().map(|c| c.span))
                .or(e.window.as_ref().map(|w| w.span))
                .unwrap_or(span);
            self.err(
                Diagnostic::new(
                    Code::EventFormOnField,
                    format!("`{name}` is a field, not an event type"),
                    extra,
                    "only events take an object, `where`, a count or a window",
                )
                .also(e.verb.span, "a `bool` field")
                .help(format!("to test the field alone write `{name}`; to count events, declare an event type in `events {{ }}`")),
            );
            return None;
        }
        Some(Expr::Pred(Box::new(Pred {
            value,
            test: PredTest::IsTrue,
            span,
        })))
    }

    fn event_term(&mut self, e: &ast::EventCond, event: usize, span: Span) -> Option<Expr> {
        let mut ok = true;
        let object = match &e.object {
            None => None,
            Some(obj) => {
                if self.cx.event_types[event].props.is_empty() {
                    let name = self.cx.event_types[event].name.clone();
                    self.err(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!("the event `{name}` has no properties, so it takes no object"),
                            obj.span,
                            "an object",
                        )
                        .also(
                            self.cx.event_types[event].span,
                            "declared without properties",
                        )
                        .help(format!(
                            "declare its object property: `{name}(what)`, or remove the object"
                        )),
                    );
                    ok = false;
                    None
                } else {
                    match &obj.node {
                        ast::EventObject::Text(s) => Some(ObjectMatch::Text(normalize(s))),
                        ast::EventObject::Ident(id) => match self.cx.list_index.get(id) {
                            Some(&i) => {
                                self.cx.list_used[i] = true;
                                match &self.cx.lists[i].values {
                                    ListValues::Text(set) => Some(ObjectMatch::List {
                                        name: id.clone(),
                                        set: set.clone(),
                                    }),
                                    ListValues::Number(_) => {
                                        self.err(
                                            Diagnostic::new(Code::TypeMismatch, format!("the list `{id}` holds numbers; an event's object is text"), obj.span, "a list of numbers")
                                                .help("use a list of text as an event's object"),
                                        );
                                        ok = false;
                                        None
                                    }
                                }
                            }
                            None => {
                                self.cx.text_objects.push((id.clone(), obj.span));
                                Some(ObjectMatch::Text(normalize(id)))
                            }
                        },
                    }
                }
            }
        };
        let filter = match &e.filter {
            None => None,
            Some(f) => {
                let r = self.cond(
                    f,
                    Ctx {
                        stage: false,
                        event: Some(event),
                    },
                );
                ok &= r.is_some();
                r
            }
        };
        let window = match &e.window {
            None => None,
            Some(w) => {
                if w.amount == 0 {
                    self.err(
                        Diagnostic::new(Code::BadWindow, "a window of zero length counts nothing", w.span, "zero length")
                            .help("use a window of at least one hour, day, week or month: `in the last 30 days`"),
                    );
                    ok = false;
                }
                Some(w.micros())
            }
        };
        if !ok {
            return None;
        }
        let count = e
            .count
            .as_ref()
            .map(|c| c.node)
            .unwrap_or(Count::AtLeast(1));
        self.terms.push(EventTerm {
            event_type: event,
            object,
            filter,
            count,
            window,
            span,
        });
        Some(Expr::Term(self.terms.len() - 1))
    }
}

/// Does a literal have the type a value of `ty` is compared with?
fn literal_matches(ty: Type, lit: &Literal) -> bool {
    matches!(
        (ty, lit),
        (Type::Text | Type::TextList, Literal::Text(_))
            | (Type::Number | Type::NumberList, Literal::Number(_))
            | (Type::Time, Literal::Time(_))
            | (Type::Bool, Literal::Bool(_))
    )
}
