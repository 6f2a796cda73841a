//! Pest pairs → AST nodes, one method per grammar rule.

use super::{unescape, Rule as R};
use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::num::Decimal;
use crate::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};

type P<'i> = Pair<'i, R>;

pub(super) struct Builder {
    file: FileId,
    /// Where the parsed text starts in its file (a part of a split file).
    offset: usize,
    pub errors: Vec<Diagnostic>,
}

/// Keyword tokens carry no information once the rule around them matched.
fn is_keyword(kind: R) -> bool {
    matches!(
        kind,
        R::kw_and
            | R::kw_or
            | R::kw_not
            | R::kw_in
            | R::kw_is
            | R::kw_when
            | R::kw_where
            | R::kw_between
            | R::kw_includes
            | R::kw_contains
            | R::kw_starts
            | R::kw_ends
            | R::kw_with
            | R::kw_matches
            | R::kw_known
            | R::kw_missing
            | R::kw_once
            | R::kw_twice
            | R::kw_thrice
            | R::kw_never
            | R::kw_times
            | R::kw_at
            | R::kw_least
            | R::kw_most
            | R::kw_more
            | R::kw_fewer
            | R::kw_than
            | R::kw_within
            | R::kw_the
            | R::kw_last
            | R::kw_each
            | R::kw_max
            | R::kw_min
            | R::kw_decay
            | R::kw_every
            | R::kw_lead
            | R::kw_events
            | R::kw_list
            | R::kw_of
            | R::kw_group
            | R::kw_score
            | R::kw_stage
            | R::kw_otherwise
            | R::kw_disqualify
            | R::kw_test
            | R::kw_as
            | R::kw_from
            | R::kw_expect
            | R::kw_fired
            | R::kw_disqualified
            | R::arrow
    )
}

/// Length of `text` once trailing white space and `#` comments are removed.
fn tight_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    if !text.as_bytes()[..end].contains(&b'#') {
        return end;
    }
    loop {
        let line_start = text[..end].rfind('\n').map(|i| i + 1).unwrap_or(0);
        match comment_start(&text[line_start..end]) {
            Some(c) => end = text[..line_start + c].trim_end().len(),
            None => return end,
        }
    }
}

/// Where a `#` comment starts on one line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '#' {
            return Some(i);
        }
    }
    None
}

/// The meaningful children of a pair.
fn parts(pair: P<'_>) -> Vec<P<'_>> {
    pair.into_inner()
        .filter(|p| !is_keyword(p.as_rule()))
        .collect()
}

/// Grammar invariant: the rule always has this child.
fn take<'i>(parts: &mut std::vec::IntoIter<P<'i>>) -> P<'i> {
    parts.next().expect("grammar guarantees this child")
}

impl Builder {
    pub fn new(file: FileId, offset: usize) -> Self {
        Builder {
            file,
            offset,
            errors: Vec::new(),
        }
    }

    /// The pair's span without the white space and comments pest lets a
    /// rule swallow after its last token.
    fn span(&self, pair: &P<'_>) -> Span {
        let s = pair.as_span();
        let start = self.offset + s.start();
        Span::new(self.file, start, start + tight_len(s.as_str()))
    }

    fn node<T>(&self, pair: &P<'_>, value: T) -> Node<T> {
        Node::new(value, self.span(pair))
    }

    pub fn file(&mut self, mut pairs: Pairs<'_, R>) -> File {
        let file_pair = pairs.next().expect("file rule");
        let mut items = Vec::new();
        for pair in file_pair.into_inner() {
            let span = self.span(&pair);
            let item = match pair.as_rule() {
                R::lead_decl => Item::Lead(
                    parts(pair)
                        .into_iter()
                        .map(|p| self.field_decl(p))
                        .collect(),
                ),
                R::events_decl => Item::Events(self.events_decl(pair)),
                R::list_decl => Item::List(self.list_decl(pair)),
                R::group_decl => Item::Group(self.group_decl(pair)),
                R::rule => Item::Rule(self.rule(pair)),
                R::score_decl => Item::Score(self.bounds(parts(pair))),
                R::stage_decl => {
                    let mut it = parts(pair).into_iter();
                    let name = self.ident(take(&mut it));
                    let cond = self.condition(take(&mut it));
                    Item::Stage(StageDecl { name, cond })
                }
                R::otherwise_decl => {
                    let mut it = parts(pair).into_iter();
                    Item::Otherwise(self.ident(take(&mut it)))
                }
                R::disqualify_decl => {
                    let mut it = parts(pair).into_iter();
                    let reason = self.string(take(&mut it));
                    let cond = self.condition(take(&mut it));
                    Item::Disqualify(DisqualifyDecl { reason, cond })
                }
                R::test_decl => Item::Test(self.test_decl(pair)),
                R::EOI => continue,
                other => unreachable!("not an item: {other:?}"),
            };
            items.push(Node::new(item, span));
        }
        File { items }
    }

    fn ident(&self, pair: P<'_>) -> Node<String> {
        self.node(&pair, pair.as_str().to_string())
    }

    fn path(&self, pair: P<'_>) -> Node<Path> {
        let segments = pair.as_str().split('.').map(str::to_string).collect();
        self.node(&pair, Path(segments))
    }

    fn string(&self, pair: P<'_>) -> Node<String> {
        let span = self.span(&pair);
        let body = pair.into_inner().next().map(|b| b.as_str()).unwrap_or("");
        Node::new(unescape(body), span)
    }

    fn number(&mut self, pair: P<'_>) -> Node<Number> {
        let text = pair.as_str();
        let raw = text.trim_start_matches(['+', '-']).to_string();
        let value = match Decimal::parse(text) {
            Some(v) => v,
            None => {
                self.errors.push(
                    Diagnostic::new(
                        Code::BadNumber,
                        format!("the number `{text}` is too large or too precise"),
                        self.span(&pair),
                        "this number",
                    )
                    .help("numbers may have at most 12 decimals and 30 digits"),
                );
                Decimal::ZERO
            }
        };
        self.node(&pair, Number { value, raw })
    }

    fn whole_number(&mut self, pair: P<'_>) -> Node<u64> {
        let n = self.number(pair);
        match n.value.to_u64() {
            Some(v) => Node::new(v, n.span),
            None => {
                self.errors.push(
                    Diagnostic::new(
                        Code::BadNumber,
                        format!("`{}` is not a whole number", n.raw),
                        n.span,
                        "a whole number is needed here",
                    )
                    .help("counts and durations are whole numbers: `3 times`, `30 days`"),
                );
                Node::new(0, n.span)
            }
        }
    }

    fn time(&mut self, pair: P<'_>) -> Node<TimeLit> {
        let raw = pair.as_str().to_string();
        let micros = match crate::time::parse_time(&raw) {
            Some(m) => m,
            None => {
                self.errors.push(
                    Diagnostic::new(
                        Code::BadTime,
                        format!("`{raw}` is not a valid date or time"),
                        self.span(&pair),
                        "no such date",
                    )
                    .help("write dates as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`, for example `2026-11-01`"),
                );
                0
            }
        };
        self.node(&pair, TimeLit { micros, raw })
    }

    fn literal(&mut self, pair: P<'_>) -> Node<Literal> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("literal has a child");
        let lit = match inner.as_rule() {
            R::time => Literal::Time(self.time(inner).node),
            R::signed_number => Literal::Number(self.number(inner).node),
            R::string => Literal::Text(self.string(inner).node),
            R::kw_true => Literal::Bool(true),
            R::kw_false => Literal::Bool(false),
            other => unreachable!("not a literal: {other:?}"),
        };
        Node::new(lit, span)
    }

    fn type_expr(&self, pair: P<'_>) -> Node<TypeExpr> {
        let span = self.span(&pair);
        let mut list_of = false;
        let mut name = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::kw_list => list_of = true,
                R::ident => name = Some(self.ident(p)),
                _ => {}
            }
        }
        let name = name.expect("type has a name");
        Node::new(TypeExpr { list_of, name }, span)
    }

    fn field_decl(&self, pair: P<'_>) -> Node<FieldDecl> {
        let span = self.span(&pair);
        let mut it = parts(pair).into_iter();
        let path = self.path(take(&mut it));
        let ty = self.type_expr(take(&mut it));
        let from = it
            .find(|p| p.as_rule() == R::string)
            .map(|p| self.string(p));
        Node::new(FieldDecl { path, ty, from }, span)
    }

    fn events_decl(&self, pair: P<'_>) -> EventsDecl {
        let mut path = None;
        let mut members = Vec::new();
        let mut types = Vec::new();
        for p in parts(pair) {
            match p.as_rule() {
                R::path => path = Some(self.path(p)),
                R::event_members => {
                    for m in parts(p)
                        .into_iter()
                        .filter(|m| m.as_rule() == R::event_member)
                    {
                        let span = self.span(&m);
                        // `at` is a keyword, which `parts` leaves out.
                        let mut it = m.into_inner().collect::<Vec<_>>().into_iter();
                        let member = self.ident(take(&mut it));
                        let from = match it.find(|p| p.as_rule() == R::string) {
                            Some(s) => self.string(s),
                            None => Node::new(String::new(), span),
                        };
                        members.push(Node::new(EventMember { member, from }, span));
                    }
                }
                R::event_type_decl => {
                    let span = self.span(&p);
                    let mut it = parts(p).into_iter();
                    let name = self.ident(take(&mut it));
                    let mut props = Vec::new();
                    let mut from = None;
                    for q in it {
                        match q.as_rule() {
                            R::prop_decl => props.push(self.prop_decl(q)),
                            R::string => from = Some(self.string(q)),
                            other => unreachable!("in an event type: {other:?}"),
                        }
                    }
                    types.push(Node::new(EventTypeDecl { name, props, from }, span));
                }
                other => unreachable!("in events: {other:?}"),
            }
        }
        EventsDecl {
            path,
            members,
            types,
        }
    }

    fn prop_decl(&self, pair: P<'_>) -> Node<PropDecl> {
        let span = self.span(&pair);
        let mut it = parts(pair).into_iter();
        let name = self.ident(take(&mut it));
        let mut ty = None;
        let mut from = None;
        for q in it {
            match q.as_rule() {
                R::type_expr => ty = Some(self.type_expr(q)),
                R::string => from = Some(self.string(q)),
                other => unreachable!("in a property: {other:?}"),
            }
        }
        Node::new(PropDecl { name, ty, from }, span)
    }

    fn list_literal(&mut self, pair: P<'_>) -> Vec<Node<Literal>> {
        parts(pair).into_iter().map(|p| self.literal(p)).collect()
    }

    fn list_decl(&mut self, pair: P<'_>) -> ListDecl {
        let mut it = parts(pair).into_iter();
        let name = self.ident(take(&mut it));
        let items = self.list_literal(take(&mut it));
        ListDecl { name, items }
    }

    fn bounds(&mut self, pairs: Vec<P<'_>>) -> Bounds {
        let mut bounds = Bounds::default();
        for p in pairs {
            let is_max = matches!(p.as_rule(), R::score_max | R::group_max);
            let span = self.span(&p);
            let mut it = parts(p).into_iter();
            let value = self.number(take(&mut it));
            let slot = if is_max {
                &mut bounds.max
            } else {
                &mut bounds.min
            };
            if let Some(previous) = slot {
                let word = if is_max { "max" } else { "min" };
                self.errors.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        format!("`{word}` is given twice"),
                        span,
                        "given again here",
                    )
                    .also(previous.span, "first given here")
                    .help(format!("keep one `{word}`")),
                );
            }
            *slot = Some(value);
        }
        bounds
    }

    fn duration(&mut self, amount: Option<P<'_>>, unit: P<'_>, span: Span) -> Node<Duration> {
        let amount = match amount {
            Some(p) => self.whole_number(p).node,
            None => 1,
        };
        let unit = match unit.as_str() {
            "hour" | "hours" => Unit::Hours,
            "day" | "days" => Unit::Days,
            "week" | "weeks" => Unit::Weeks,
            _ => Unit::Months,
        };
        Node::new(Duration { amount, unit }, span)
    }

    fn group_decl(&mut self, pair: P<'_>) -> GroupDecl {
        let mut it = parts(pair).into_iter();
        let name = self.ident(take(&mut it));
        let mut bound_pairs = Vec::new();
        let mut decay = None;
        let mut rules = Vec::new();
        for p in it {
            match p.as_rule() {
                R::group_max | R::group_min => bound_pairs.push(p),
                R::decay => {
                    let span = self.span(&p);
                    let mut amount = None;
                    let mut percent = None;
                    let mut unit = None;
                    let mut every_start = None;
                    for d in p.into_inner() {
                        match d.as_rule() {
                            R::percent => {
                                let span = self.span(&d);
                                let text = d.as_str().trim_end_matches('%');
                                let value = Decimal::parse(text).unwrap_or(Decimal::ZERO);
                                percent = Some(Node::new(
                                    Number {
                                        value,
                                        raw: text.to_string(),
                                    },
                                    span,
                                ));
                            }
                            R::kw_every => every_start = Some(self.span(&d)),
                            R::number => amount = Some(d),
                            R::unit => unit = Some(d),
                            _ => {}
                        }
                    }
                    let unit = unit.expect("decay has a unit");
                    let every_span = every_start.map(|s| s.to(self.span(&unit))).unwrap_or(span);
                    let every = self.duration(amount, unit, every_span);
                    let percent = percent.expect("decay has a percent");
                    decay = Some(Node::new(Decay { percent, every }, span));
                }
                R::rule => {
                    let span = self.span(&p);
                    rules.push(Node::new(self.rule(p), span));
                }
                other => unreachable!("in group: {other:?}"),
            }
        }
        let bounds = self.bounds(bound_pairs);
        GroupDecl {
            name,
            bounds,
            decay,
            rules,
        }
    }

    fn rule(&mut self, pair: P<'_>) -> Rule {
        let mut label = None;
        let mut cond = None;
        let mut points = None;
        let mut each = None;
        let mut max = None;
        for p in parts(pair) {
            match p.as_rule() {
                R::string => label = Some(self.string(p)),
                R::condition => cond = Some(self.condition(p)),
                R::signed_number => points = Some(self.number(p)),
                R::each => each = Some(self.node(&p, ())),
                R::rule_max => {
                    let mut it = parts(p).into_iter();
                    max = Some(self.number(take(&mut it)));
                }
                other => unreachable!("in rule: {other:?}"),
            }
        }
        Rule {
            label,
            cond: cond.expect("rule has a condition"),
            points: points.expect("rule has points"),
            each,
            max,
        }
    }

    fn test_decl(&mut self, pair: P<'_>) -> TestDecl {
        let mut it = parts(pair).into_iter();
        let name = self.string(take(&mut it));
        let mut stmts = Vec::new();
        for p in it {
            let span = self.span(&p);
            let stmt = match p.as_rule() {
                R::as_of => {
                    let mut pit = parts(p).into_iter();
                    TestStmt::AsOf(self.time(take(&mut pit)).node)
                }
                R::test_lead => {
                    let mut pit = parts(p).into_iter();
                    // The JSON's own place in the file, every byte of it: a
                    // statement's span stops before what looks like a
                    // trailing comment, which JSON text may hold.
                    let json = take(&mut pit);
                    let s = json.as_span();
                    let at = self.offset + s.start();
                    let span = Span::new(self.file, at, at + s.as_str().len());
                    TestStmt::Lead(Node::new(json.as_str().to_string(), span))
                }
                R::expect => {
                    let mut pit = parts(p).into_iter();
                    TestStmt::Expect(self.expectation(take(&mut pit)))
                }
                other => unreachable!("in test: {other:?}"),
            };
            stmts.push(Node::new(stmt, span));
        }
        TestDecl { name, stmts }
    }

    fn expectation(&mut self, pair: P<'_>) -> Expectation {
        let kind = pair.as_rule();
        let mut it = parts(pair).into_iter();
        match kind {
            R::expect_stage => Expectation::Stage(self.ident(take(&mut it))),
            R::expect_score => Expectation::Score(self.number(take(&mut it))),
            R::expect_group => {
                let name = self.ident(take(&mut it));
                Expectation::Group(name, self.number(take(&mut it)))
            }
            R::expect_fired => Expectation::Fired(self.string(take(&mut it))),
            R::expect_not_fired => Expectation::NotFired(self.string(take(&mut it))),
            R::expect_disqualified => Expectation::Disqualified(it.next().map(|p| self.string(p))),
            R::expect_not_disqualified => Expectation::NotDisqualified,
            other => unreachable!("not an expectation: {other:?}"),
        }
    }

    // ------------------------------------------------------------ conditions

    /// `condition` and `cond_and`: flat lists joined by `or` / `and`.
    pub fn condition(&mut self, pair: P<'_>) -> Node<Cond> {
        let span = self.span(&pair);
        let is_or = pair.as_rule() == R::condition;
        let mut items: Vec<Node<Cond>> = Vec::new();
        for p in parts(pair) {
            let child = match p.as_rule() {
                R::cond_and => self.condition(p),
                R::cond_not => self.cond_not(p),
                other => unreachable!("in condition: {other:?}"),
            };
            match child.node {
                Cond::Or(inner) if is_or => items.extend(inner),
                Cond::And(inner) if !is_or => items.extend(inner),
                node => items.push(Node::new(node, child.span)),
            }
        }
        if items.len() == 1 {
            return items.pop().expect("one item");
        }
        Node::new(
            if is_or {
                Cond::Or(items)
            } else {
                Cond::And(items)
            },
            span,
        )
    }

    fn cond_not(&mut self, pair: P<'_>) -> Node<Cond> {
        let span = self.span(&pair);
        let mut nots = 0usize;
        let mut atom = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::kw_not => nots += 1,
                R::condition => atom = Some(self.condition(p)),
                R::test => atom = Some(self.test_node(p)),
                R::event_cond => atom = Some(self.event_cond(p)),
                other => unreachable!("in not: {other:?}"),
            }
        }
        let mut cond = atom.expect("an atom after the nots");
        if nots > super::MAX_NESTING {
            self.errors.push(
                Diagnostic::new(
                    Code::NestingTooDeep,
                    format!("{nots} `not`s in a row"),
                    span,
                    "too many `not`s",
                )
                .help("two `not`s cancel out: remove them in pairs"),
            );
            return cond;
        }
        for _ in 0..nots {
            cond = Node::new(Cond::Not(Box::new(cond)), span);
        }
        cond
    }

    fn test_node(&mut self, pair: P<'_>) -> Node<Cond> {
        let span = self.span(&pair);
        Node::new(Cond::Test(self.test(pair)), span)
    }

    fn operand(&self, pair: P<'_>) -> Node<Operand> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("operand has a child");
        let operand = match inner.as_rule() {
            R::path => Operand::Path(self.path(inner).node),
            R::score_ref => Operand::Path(Path(vec!["score".to_string()])),
            R::call => {
                let mut it = parts(inner).into_iter();
                let func = self.ident(take(&mut it));
                let arg = Box::new(self.operand(take(&mut it)));
                Operand::Call { func, arg }
            }
            other => unreachable!("not an operand: {other:?}"),
        };
        Node::new(operand, span)
    }

    fn test(&mut self, pair: P<'_>) -> Test {
        let mut it = parts(pair).into_iter();
        let operand = self.operand(take(&mut it));
        let op_pair = take(&mut it);
        let op_span = self.span(&op_pair);
        let kind = op_pair.as_rule();
        let mut args = parts(op_pair).into_iter();
        let op = match kind {
            R::op_known => TestOp::Known,
            R::op_missing => TestOp::Missing,
            R::op_is => TestOp::Cmp(CmpOp::Eq, self.literal(take(&mut args))),
            R::op_is_not => TestOp::Cmp(CmpOp::Ne, self.literal(take(&mut args))),
            R::op_cmp => {
                let op = match take(&mut args).as_str() {
                    "=" | "==" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                TestOp::Cmp(op, self.literal(take(&mut args)))
            }
            R::op_in | R::op_not_in => {
                let list_pair = take(&mut args);
                let span = self.span(&list_pair);
                let inner = list_pair.into_inner().next().expect("list ref");
                let list = match inner.as_rule() {
                    R::ident => ListRef::Named(inner.as_str().to_string()),
                    _ => ListRef::Inline(self.list_literal(inner)),
                };
                TestOp::In {
                    negated: kind == R::op_not_in,
                    list: Node::new(list, span),
                }
            }
            R::op_between => {
                let lo = self.literal(take(&mut args));
                TestOp::Between(lo, self.literal(take(&mut args)))
            }
            R::op_includes => TestOp::Includes(self.literal(take(&mut args))),
            R::op_contains => TestOp::Text(TextOp::Contains, self.literal(take(&mut args))),
            R::op_starts => TestOp::Text(TextOp::StartsWith, self.literal(take(&mut args))),
            R::op_ends => TestOp::Text(TextOp::EndsWith, self.literal(take(&mut args))),
            R::op_matches => TestOp::Matches(self.literal(take(&mut args))),
            other => unreachable!("not an operator: {other:?}"),
        };
        Test {
            operand,
            op: Node::new(op, op_span),
        }
    }

    fn event_cond(&mut self, pair: P<'_>) -> Node<Cond> {
        let span = self.span(&pair);
        let mut it = parts(pair).into_iter();
        let mut head = take(&mut it).into_inner();
        let verb = self.path(head.next().expect("event verb"));
        let object = head.next().map(|obj| {
            let span = self.span(&obj);
            let inner = obj.into_inner().next().expect("object");
            let value = match inner.as_rule() {
                R::string => EventObject::Text(self.string(inner).node),
                _ => EventObject::Ident(inner.as_str().to_string()),
            };
            Node::new(value, span)
        });
        let mut filter = None;
        let mut count = None;
        let mut window = None;
        for p in it {
            match p.as_rule() {
                R::where_clause => {
                    let inner = take(&mut parts(p).into_iter());
                    let cond = match inner.as_rule() {
                        R::condition => self.condition(inner),
                        _ => self.test_node(inner),
                    };
                    filter = Some(Box::new(cond));
                }
                R::count => count = Some(self.count(p)),
                R::window => {
                    let span = self.span(&p);
                    let mut amount = None;
                    let mut unit = None;
                    for w in parts(p) {
                        match w.as_rule() {
                            R::number => amount = Some(w),
                            _ => unit = Some(w),
                        }
                    }
                    window = Some(self.duration(amount, unit.expect("window unit"), span));
                }
                other => unreachable!("in event condition: {other:?}"),
            }
        }
        Node::new(
            Cond::Event(EventCond {
                verb,
                object,
                filter,
                count,
                window,
            }),
            span,
        )
    }

    fn count_n(&mut self, pair: P<'_>) -> u64 {
        let inner = pair.into_inner().next().expect("count");
        match inner.as_rule() {
            R::number => self.whole_number(inner).node,
            R::kw_once => 1,
            R::kw_twice => 2,
            _ => 3,
        }
    }

    fn count(&mut self, pair: P<'_>) -> Node<Count> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("count form");
        let kind = inner.as_rule();
        if kind == R::count_n {
            return Node::new(Count::Times(self.count_n(inner)), span);
        }
        if kind == R::count_never {
            return Node::new(Count::Never, span);
        }
        let n = self.count_n(take(&mut parts(inner).into_iter()));
        let count = match kind {
            R::count_at_least => Count::AtLeast(n),
            R::count_at_most => Count::AtMost(n),
            R::count_more_than => Count::MoreThan(n),
            R::count_fewer_than => Count::FewerThan(n),
            other => unreachable!("not a count: {other:?}"),
        };
        Node::new(count, span)
    }
}
