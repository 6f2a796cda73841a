//! The reference interpreter: the spec, read as directly as possible.
//!
//! It walks the AST and the raw JSON of a lead every time, with exact
//! rational arithmetic and none of the evaluator's machinery (no checker
//! model, no projection, no term table). It is slow on purpose and exists to
//! be compared with [`crate::eval`]: property tests run both on generated
//! models and messy leads and require identical outcomes. Only the printing
//! of rule ids (which defines them) is shared.

use crate::ast::{self, Cond, Count, EventObject, Item, ListRef, Literal, Operand, TestOp};
use num_bigint::BigInt;
use serde_json::Value as Json;
use std::collections::HashMap;

/// The contract's output for one lead (amounts in hundredths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefOutcome {
    pub score: i64,
    pub groups: Vec<(String, i64)>,
    pub stage: String,
    pub fired: Vec<String>,
    pub disqualified: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum V {
    Missing,
    Text(String),
    Num(f64),
    Bool(bool),
    Time(i64),
    Texts(Vec<String>),
    Nums(Vec<f64>),
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// An event's member by the name the model reads it from: dots nest.
fn in_event<'a>(event: &'a Json, name: &str) -> Option<&'a Json> {
    name.split('.').try_fold(event, |cur, seg| cur.get(seg))
}

fn json_at<'a>(v: &'a Json, path: &[String]) -> Option<&'a Json> {
    path.iter()
        .try_fold(v, |cur, seg| cur.as_object().and_then(|o| o.get(seg)))
}

fn num_text(s: &str) -> Option<f64> {
    let t = s.trim();
    let digits = t.trim_start_matches(['+', '-']);
    if digits.is_empty() || digits.chars().any(|c| !(c.is_ascii_digit() || c == '.')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Reads a JSON value as the declared type: the documented coercions, and
/// missing for null, blank text, empty lists and anything of the wrong type.
fn coerce(ty: &str, list: bool, v: Option<&Json>) -> V {
    let Some(v) = v else { return V::Missing };
    if list {
        let items: Vec<Json> = match v {
            Json::Array(a) => a.clone(),
            Json::String(s) => s.split(';').map(|p| Json::String(p.to_string())).collect(),
            _ => return V::Missing,
        };
        let mut texts = Vec::new();
        let mut nums = Vec::new();
        for item in &items {
            match coerce(ty, false, Some(item)) {
                V::Text(t) => texts.push(t),
                V::Num(n) => nums.push(n),
                V::Missing
                    if item.is_null() || item.as_str().is_some_and(|s| s.trim().is_empty()) => {}
                V::Missing | V::Bool(_) | V::Time(_) | V::Texts(_) | V::Nums(_) => {
                    return V::Missing
                }
            }
        }
        return match ty {
            "text" if !texts.is_empty() => V::Texts(texts),
            "number" if !nums.is_empty() => V::Nums(nums),
            _ => V::Missing,
        };
    }
    match (ty, v) {
        (_, Json::String(s)) if s.trim().is_empty() => V::Missing,
        ("text", Json::String(s)) => V::Text(norm(s)),
        ("text", Json::Number(n)) => V::Text(norm(&n.to_string())),
        ("number", Json::Number(n)) => n.as_f64().map(V::Num).unwrap_or(V::Missing),
        ("number", Json::String(s)) => num_text(s).map(V::Num).unwrap_or(V::Missing),
        ("bool", Json::Bool(b)) => V::Bool(*b),
        ("bool", Json::String(s)) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" => V::Bool(true),
            "false" | "no" => V::Bool(false),
            _ => V::Missing,
        },
        ("time", Json::String(_) | Json::Number(_)) => {
            crate::time::from_json(v).map(V::Time).unwrap_or(V::Missing)
        }
        _ => V::Missing,
    }
}

struct EventDecl {
    source: Vec<String>,
    /// The members holding its type and its time.
    ty: String,
    at: String,
    /// The type as the data writes it.
    data: String,
    /// Per property: its name, its type and the member holding it.
    props: Vec<(String, String, String)>,
}

struct Decls<'a> {
    /// Per field name: its type, whether a list, and its path in the data.
    fields: HashMap<String, (&'a str, bool, Vec<String>)>,
    events: HashMap<String, EventDecl>,
    lists: HashMap<String, &'a [ast::Node<Literal>]>,
}

struct Env<'a> {
    d: &'a Decls<'a>,
    lead: &'a Json,
    as_of: i64,
    /// The event whose properties `where` reads, and its declaration.
    event: Option<(&'a Json, &'a EventDecl)>,
    /// Score and group totals, in stage conditions.
    totals: Option<(i64, &'a [(String, i64)])>,
}

/// An event condition's matching events: how many, and the newest time.
fn count_events(env: &Env<'_>, e: &ast::EventCond) -> (u64, Option<i64>) {
    let verb = e.verb.node.to_string();
    let decl = &env.d.events[&verb];
    let Some(Json::Array(items)) = json_at(env.lead, &decl.source) else {
        return (0, None);
    };
    let mut n = 0;
    let mut newest: Option<i64> = None;
    for item in items {
        if in_event(item, &decl.ty).and_then(Json::as_str) != Some(decl.data.as_str()) {
            continue;
        }
        let Some(at) = in_event(item, &decl.at).and_then(crate::time::from_json) else {
            continue;
        };
        if at > env.as_of {
            continue;
        }
        if let Some(w) = &e.window {
            if at < env.as_of - w.micros() {
                continue;
            }
        }
        if let Some(obj) = &e.object {
            let first = decl
                .props
                .first()
                .map(|(_, ty, data)| coerce(ty, false, in_event(item, data)));
            let Some(V::Text(value)) = first else {
                continue;
            };
            let ok = match &obj.node {
                EventObject::Text(t) => norm(t) == value,
                EventObject::Ident(id) => match env.d.lists.get(id) {
                    Some(items) => items
                        .iter()
                        .any(|l| matches!(&l.node, Literal::Text(t) if norm(t) == value)),
                    None => norm(id) == value,
                },
            };
            if !ok {
                continue;
            }
        }
        if let Some(filter) = &e.filter {
            let inner = Env {
                event: Some((item, decl)),
                totals: None,
                ..*env
            };
            if !holds(&inner, filter) {
                continue;
            }
        }
        n += 1;
        newest = Some(newest.map_or(at, |x: i64| x.max(at)));
    }
    (n, newest)
}

fn operand(env: &Env<'_>, o: &Operand) -> V {
    match o {
        Operand::Call { func, arg } => {
            let inner = operand(env, &arg.node);
            match (func.node.as_str(), inner) {
                ("domain", V::Text(t)) => match t.rfind('@') {
                    Some(i) if !t[i + 1..].trim().is_empty() => {
                        V::Text(t[i + 1..].trim().to_string())
                    }
                    _ => V::Missing,
                },
                ("days_since", V::Time(t)) => {
                    V::Num(((env.as_of as i128 - t as i128).div_euclid(86_400_000_000)) as f64)
                }
                _ => V::Missing,
            }
        }
        Operand::Path(p) => {
            let name = p.to_string();
            if let Some((ev, decl)) = env.event {
                return match decl.props.iter().find(|(n, _, _)| *n == name) {
                    Some((_, ty, data)) => coerce(ty, false, in_event(ev, data)),
                    None => V::Missing,
                };
            }
            if let Some((score, groups)) = env.totals {
                if name == "score" {
                    return V::Num(score as f64 / 100.0);
                }
                if let Some((_, g)) = groups.iter().find(|(n, _)| *n == name) {
                    return V::Num(*g as f64 / 100.0);
                }
            }
            match env.d.fields.get(&name) {
                Some((ty, list, data)) => coerce(ty, *list, json_at(env.lead, data)),
                None => V::Missing,
            }
        }
    }
}

fn lit(l: &Literal) -> V {
    match l {
        Literal::Text(s) => V::Text(norm(s)),
        Literal::Number(n) => V::Num(n.value.to_f64()),
        Literal::Time(t) => V::Time(t.micros),
        Literal::Bool(b) => V::Bool(*b),
    }
}

fn order(a: &V, b: &V) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (V::Num(x), V::Num(y)) => x.partial_cmp(y),
        (V::Time(x), V::Time(y)) => Some(x.cmp(y)),
        (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn test(env: &Env<'_>, t: &ast::Test) -> bool {
    let v = operand(env, &t.operand.node);
    if v == V::Missing {
        return matches!(t.op.node, TestOp::Missing);
    }
    use std::cmp::Ordering::*;
    match &t.op.node {
        TestOp::Known => true,
        TestOp::Missing => false,
        TestOp::Cmp(op, l) => {
            let o = order(&v, &lit(&l.node));
            match op {
                ast::CmpOp::Eq => o == Some(Equal),
                ast::CmpOp::Ne => o != Some(Equal),
                ast::CmpOp::Lt => o == Some(Less),
                ast::CmpOp::Le => matches!(o, Some(Less | Equal)),
                ast::CmpOp::Gt => o == Some(Greater),
                ast::CmpOp::Ge => matches!(o, Some(Greater | Equal)),
            }
        }
        TestOp::In { negated, list } => {
            let items: Vec<V> = match &list.node {
                ListRef::Inline(items) => items.iter().map(|l| lit(&l.node)).collect(),
                ListRef::Named(n) => env
                    .d
                    .lists
                    .get(n)
                    .map(|items| items.iter().map(|l| lit(&l.node)).collect())
                    .unwrap_or_default(),
            };
            items.contains(&v) != *negated
        }
        TestOp::Between(lo, hi) => {
            matches!(order(&v, &lit(&lo.node)), Some(Greater | Equal))
                && matches!(order(&v, &lit(&hi.node)), Some(Less | Equal))
        }
        TestOp::Includes(l) => match (&v, lit(&l.node)) {
            (V::Texts(items), V::Text(x)) => items.contains(&x),
            (V::Nums(items), V::Num(x)) => items.contains(&x),
            _ => false,
        },
        TestOp::Text(op, l) => match (&v, lit(&l.node)) {
            (V::Text(s), V::Text(x)) => match op {
                ast::TextOp::Contains => s.contains(&x),
                ast::TextOp::StartsWith => s.starts_with(&x),
                ast::TextOp::EndsWith => s.ends_with(&x),
            },
            _ => false,
        },
        TestOp::Matches(l) => match (&v, &l.node) {
            (V::Text(s), Literal::Text(p)) => regex::RegexBuilder::new(p)
                .case_insensitive(true)
                .build()
                .is_ok_and(|re| re.is_match(s)),
            _ => false,
        },
    }
}

fn count_holds(c: Count, n: u64) -> bool {
    match c {
        Count::Times(k) | Count::AtLeast(k) => n >= k,
        Count::AtMost(k) => n <= k,
        Count::MoreThan(k) => n > k,
        Count::FewerThan(k) => n < k,
        Count::Never => n == 0,
    }
}

fn holds(env: &Env<'_>, c: &ast::Node<Cond>) -> bool {
    match &c.node {
        Cond::And(parts) => parts.iter().all(|p| holds(env, p)),
        Cond::Or(parts) => parts.iter().any(|p| holds(env, p)),
        Cond::Not(inner) => !holds(env, inner),
        Cond::Test(t) => test(env, t),
        Cond::Event(e) => {
            let name = e.verb.node.to_string();
            if env.event.is_none() && env.d.events.contains_key(&name) {
                let (n, _) = count_events(env, e);
                count_holds(
                    e.count
                        .as_ref()
                        .map(|c| c.node)
                        .unwrap_or(Count::AtLeast(1)),
                    n,
                )
            } else {
                operand(env, &Operand::Path(e.verb.node.clone())) == V::Bool(true)
            }
        }
    }
}

/// Every event condition in a rule's condition.
fn event_conds<'a>(c: &'a ast::Node<Cond>, d: &Decls<'_>, out: &mut Vec<&'a ast::EventCond>) {
    match &c.node {
        Cond::And(parts) | Cond::Or(parts) => parts.iter().for_each(|p| event_conds(p, d, out)),
        Cond::Not(inner) => event_conds(inner, d, out),
        Cond::Test(_) => {}
        Cond::Event(e) => {
            if d.events.contains_key(&e.verb.node.to_string()) {
                out.push(e);
            }
        }
    }
}

fn big(d: crate::num::Decimal) -> (BigInt, BigInt) {
    (BigInt::from(d.mantissa), BigInt::from(10).pow(d.scale))
}

/// num/den rounded half away from zero.
fn round_half_away(num: BigInt, den: BigInt) -> i64 {
    let zero = BigInt::from(0);
    let neg = (num < zero) != (den < zero);
    let (n, d) = (
        if num < zero { -num } else { num },
        if den < zero { -den } else { den },
    );
    let q: BigInt = (BigInt::from(2) * n + &d) / (BigInt::from(2) * d);
    let q = i64::try_from(q).unwrap_or(i64::MAX);
    if neg {
        -q
    } else {
        q
    }
}

fn clamp(v: i64, b: &ast::Bounds) -> i64 {
    let cents = |n: &ast::Node<ast::Number>| (n.value.to_f64() * 100.0).round() as i64;
    let mut v = v;
    if let Some(m) = &b.max {
        v = v.min(cents(m));
    }
    if let Some(m) = &b.min {
        v = v.max(cents(m));
    }
    v
}

/// Scores one lead. The model must have passed the checker.
pub fn evaluate(files: &[ast::File], lead: &Json, as_of: i64) -> RefOutcome {
    let mut d = Decls {
        fields: HashMap::new(),
        events: HashMap::new(),
        lists: HashMap::new(),
    };
    // (group name, bounds, decay, rules)
    let mut groups: Vec<(String, ast::Bounds, Option<&ast::Decay>, Vec<&ast::Rule>)> = Vec::new();
    let mut score_bounds = ast::Bounds::default();
    let mut stages = Vec::new();
    let mut otherwise = "none".to_string();
    let mut disq = Vec::new();
    let mut order = Vec::new();
    let source_of = |ev: &ast::EventsDecl| -> Vec<String> {
        ev.path
            .as_ref()
            .map(|p| p.node.0.clone())
            .unwrap_or_else(|| vec!["events".into()])
    };
    // Members named in any block of a source hold for all its blocks.
    let mut members: HashMap<Vec<String>, (String, String)> = HashMap::new();
    for item in files.iter().flat_map(|f| &f.items) {
        if let Item::Events(ev) = &item.node {
            let named = members
                .entry(source_of(ev))
                .or_insert_with(|| ("type".into(), "at".into()));
            for m in &ev.members {
                match m.member.node.as_str() {
                    "type" => named.0 = m.from.node.clone(),
                    _ => named.1 = m.from.node.clone(),
                }
            }
        }
    }
    for f in files {
        for item in &f.items {
            match &item.node {
                Item::Lead(fields) => {
                    for fd in fields {
                        d.fields.insert(
                            fd.path.node.to_string(),
                            (fd.ty.name.node.as_str(), fd.ty.list_of, fd.data_path()),
                        );
                    }
                }
                Item::Events(ev) => {
                    let source = source_of(ev);
                    let (ty, at) = members.get(&source).cloned().unwrap_or_default();
                    for t in &ev.types {
                        let props = t
                            .props
                            .iter()
                            .map(|p| {
                                (
                                    p.name.node.clone(),
                                    p.ty.as_ref()
                                        .map(|t| t.name.node.clone())
                                        .unwrap_or_else(|| "text".into()),
                                    p.from.as_ref().unwrap_or(&p.name).node.clone(),
                                )
                            })
                            .collect();
                        d.events.insert(
                            t.name.node.clone(),
                            EventDecl {
                                source: source.clone(),
                                ty: ty.clone(),
                                at: at.clone(),
                                data: t.from.as_ref().unwrap_or(&t.name).node.clone(),
                                props,
                            },
                        );
                    }
                }
                Item::List(l) => {
                    d.lists.insert(l.name.node.clone(), &l.items);
                }
                Item::Group(g) => {
                    let rules: Vec<&ast::Rule> = g.rules.iter().map(|r| &r.node).collect();
                    order.extend(rules.iter().copied());
                    match groups.iter_mut().find(|x| x.0 == g.name.node) {
                        Some(x) => {
                            x.1 = g.bounds.clone();
                            x.2 = g.decay.as_ref().map(|d| &d.node);
                            x.3.extend(rules);
                        }
                        None => groups.push((
                            g.name.node.clone(),
                            g.bounds.clone(),
                            g.decay.as_ref().map(|d| &d.node),
                            rules,
                        )),
                    }
                }
                Item::Rule(r) => {
                    order.push(r);
                    match groups.iter_mut().find(|x| x.0 == "general") {
                        Some(x) => x.3.push(r),
                        None => {
                            groups.push(("general".into(), ast::Bounds::default(), None, vec![r]))
                        }
                    }
                }
                Item::Score(b) => score_bounds = b.clone(),
                Item::Stage(s) => stages.push(s),
                Item::Otherwise(o) => otherwise = o.node.clone(),
                Item::Disqualify(q) => disq.push(q),
                Item::Test(_) => {}
            }
        }
    }
    let env = Env {
        d: &d,
        lead,
        as_of,
        event: None,
        totals: None,
    };
    let mut contribution: HashMap<*const ast::Rule, i64> = HashMap::new();
    let mut totals: Vec<(String, i64)> = Vec::new();
    for (name, bounds, decay, rules) in &groups {
        let mut sum = 0i64;
        for rule in rules {
            let mut c = 0;
            if holds(&env, &rule.cond) {
                let mut conds = Vec::new();
                event_conds(&rule.cond, &d, &mut conds);
                let counted: Vec<(u64, Option<i64>)> =
                    conds.iter().map(|e| count_events(&env, e)).collect();
                let (mut num, mut den) = big(rule.points.value);
                if rule.each.is_some() {
                    num *= BigInt::from(counted[0].0);
                }
                if let Some(cap) = &rule.max {
                    let (cn, cd) = big(cap.value);
                    let value_times_cd = &num * &cd;
                    let cap_times_den = &cn * &den;
                    if rule.points.value.is_negative() {
                        if value_times_cd < -cap_times_den.clone() {
                            num = -cn;
                            den = cd;
                        }
                    } else if value_times_cd > cap_times_den {
                        num = cn;
                        den = cd;
                    }
                }
                if let (Some(dec), Some(newest)) = (decay, counted.iter().filter_map(|x| x.1).max())
                {
                    let age = (as_of as i128 - newest as i128).div_euclid(86_400_000_000) as i64;
                    let k = (age / (dec.every.micros() / 86_400_000_000)) as u32;
                    let (pn, pd) = big(dec.percent.value);
                    num *= (BigInt::from(100) * &pd - pn).pow(k);
                    den *= (BigInt::from(100) * pd).pow(k);
                }
                c = round_half_away(num * BigInt::from(100), den);
            }
            contribution.insert(*rule as *const ast::Rule, c);
            sum += c;
        }
        totals.push((name.clone(), clamp(sum, bounds)));
    }
    let score = clamp(totals.iter().map(|(_, v)| v).sum(), &score_bounds);
    let fired = order
        .iter()
        .filter(|r| {
            contribution
                .get(&(**r as *const ast::Rule))
                .copied()
                .unwrap_or(0)
                != 0
        })
        .map(|r| {
            r.label
                .as_ref()
                .map(|l| l.node.clone())
                .unwrap_or_else(|| ast::print_condition(&r.cond))
        })
        .collect();
    let disqualified: Vec<String> = disq
        .iter()
        .filter(|q| holds(&env, &q.cond))
        .map(|q| q.reason.node.clone())
        .collect();
    let stage_env = Env {
        totals: Some((score, &totals)),
        ..env
    };
    let stage = if !disqualified.is_empty() {
        "disqualified".to_string()
    } else {
        stages
            .iter()
            .find(|s| holds(&stage_env, &s.cond))
            .map(|s| s.name.node.clone())
            .unwrap_or(otherwise)
    };
    RefOutcome {
        score,
        groups: totals,
        stage,
        fired,
        disqualified,
    }
}
