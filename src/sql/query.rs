//! The query itself, built as a chain of common table expressions that
//! mirrors the evaluator:
//!
//! - `l`: one row per lead, each field read and normalised (`f0`, `f1`, …);
//! - `e`: events up to the as-of time, properties normalised (`p0`, …);
//! - `t`: per lead, each event term's count (`n0`, …) and newest time (`w0`, …);
//! - `j`: leads joined to their term results;
//! - `a`: each decaying rule's periods (`k0`, …) and decayed value in double (`x0`, …);
//! - `r`: each rule's contribution in hundredths (`c0`, …);
//! - `g`: group totals, clamped (`g0`, …), and disqualifiers (`q0`, …);
//! - `s`: the score, clamped (`sc`);
//!
//! and the final SELECT names the output columns.

use super::dialect::Dialect;
use super::regex::{translate, Refusal};
use super::{Contract, Options, SqlError};
use crate::ast::{CmpOp, Count, TextOp};
use crate::check::{Expr, Model, ObjectMatch, PredTest, RuleDef, Type, ValueExpr};
use crate::diag::{Code, Diagnostic};
use crate::eval::points;
use crate::time::MICROS_PER_DAY;
use num_bigint::BigInt;

/// Where a condition is evaluated.
#[derive(Clone, Copy)]
enum Ctx {
    /// A lead's row (rules, disqualifiers, stages).
    Lead,
    /// An event's row, of this event type (inside `where`).
    Event(usize),
}

pub struct Query<'a> {
    model: &'a Model,
    c: &'a Contract,
    d: Dialect,
    /// The as-of time in microseconds, as SQL.
    as_of: String,
    errors: Vec<Diagnostic>,
}

/// Largest |value| (in the rule's own scale) the exact decay arithmetic is
/// sized for: 10^13.
const VALUE_DIGITS: u32 = 13;

impl<'a> Query<'a> {
    pub fn new(model: &'a Model, c: &'a Contract, opts: &Options) -> Self {
        let d = opts.dialect;
        Query {
            model,
            c,
            d,
            as_of: match opts.as_of {
                Some(t) => format!("CAST({t} AS BIGINT)"),
                None => d.now_us(),
            },
            errors: Vec::new(),
        }
    }

    pub fn build(mut self) -> Result<String, SqlError> {
        let m = self.model;
        let d = self.d;
        let mut ctes: Vec<(String, String)> = Vec::new();

        // l: leads.
        let mut cols = vec![format!(
            "CAST({} AS {}) AS k",
            d.ident(&self.c.key),
            d.text_type()
        )];
        for (i, f) in m.fields.iter().enumerate() {
            let col = d.ident(&self.c.fields[i]);
            cols.push(format!("{} AS f{i}", self.read(f.ty, &col)));
        }
        ctes.push((
            "l".into(),
            format!(
                "SELECT\n    {}\n  FROM {}",
                cols.join(",\n    "),
                self.c.leads_table
            ),
        ));

        // e and t: events and terms.
        let has_terms = !m.terms.is_empty();
        if has_terms {
            let mut cols = vec![
                format!(
                    "CAST({} AS {}) AS k",
                    d.ident(&self.c.lead_id),
                    d.text_type()
                ),
                format!("{} AS ty", d.ident(&self.c.event_type)),
                format!("{} AS at_us", d.epoch_us(&d.ident(&self.c.event_at))),
            ];
            for (i, p) in self.c.props.iter().enumerate() {
                cols.push(format!("{} AS p{i}", self.read(p.ty, &d.ident(&p.column))));
            }
            let types: Vec<String> = m.event_types.iter().map(|t| d.string(&t.name)).collect();
            ctes.push((
                "e".into(),
                format!(
                    "SELECT\n    {}\n  FROM {}\n  WHERE {} <= {} AND {} IN ({})",
                    cols.join(",\n    "),
                    self.c.events_table,
                    d.epoch_us(&d.ident(&self.c.event_at)),
                    self.as_of,
                    d.ident(&self.c.event_type),
                    types.join(", ")
                ),
            ));
            let mut cols = vec!["k".to_string()];
            for (i, _) in m.terms.iter().enumerate() {
                let cond = self.term_match(i);
                cols.push(format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS n{i}"));
                cols.push(format!("MAX(CASE WHEN {cond} THEN at_us END) AS w{i}"));
            }
            ctes.push((
                "t".into(),
                format!(
                    "SELECT\n    {}\n  FROM e\n  GROUP BY k",
                    cols.join(",\n    ")
                ),
            ));
            let mut cols = vec!["l.*".to_string()];
            for i in 0..m.terms.len() {
                cols.push(format!("COALESCE(t.n{i}, 0) AS n{i}"));
                cols.push(format!("t.w{i} AS w{i}"));
            }
            ctes.push((
                "j".into(),
                format!(
                    "SELECT\n    {}\n  FROM l LEFT JOIN t ON t.k = l.k",
                    cols.join(",\n    ")
                ),
            ));
        } else {
            ctes.push(("j".into(), "SELECT * FROM l".into()));
        }

        // a: decay periods and double-precision decayed values.
        let mut cols = vec!["j.*".to_string()];
        for (r, rule) in m.rules.iter().enumerate() {
            if let Some(keep) = self.decay_of(rule) {
                let newest = self.newest(rule);
                let age = d.int_div(
                    &format!("{} - {newest}", self.as_of),
                    &MICROS_PER_DAY.to_string(),
                );
                let every = m.groups[rule.group]
                    .decay
                    .map_or(1, |x| x.every_days.max(1));
                cols.push(format!("{} AS k{r}", d.int_div(&age, &every.to_string())));
                let (v, s) = self.value(rule);
                let x = format!(
                    "{} / {} * POWER({} / {}, {})",
                    d.to_double(&v),
                    10i128.pow(s - 2),
                    d.double(keep.0 as f64),
                    keep.1,
                    d.to_double(&d.int_div(&age, &every.to_string()))
                );
                cols.push(format!("{x} AS x{r}"));
                let kexpr = d.int_div(&age, &every.to_string());
                if let Some((pa, pb)) = self.exact_powers(rule, &kexpr) {
                    cols.push(format!("{pa} AS pa{r}"));
                    cols.push(format!("{pb} AS pb{r}"));
                }
            }
        }
        ctes.push((
            "a".into(),
            format!("SELECT\n    {}\n  FROM j", cols.join(",\n    ")),
        ));

        // r: contributions.
        let mut cols = vec!["a.*".to_string()];
        for (r, rule) in m.rules.iter().enumerate() {
            let cond = self.cond(&rule.cond, Ctx::Lead);
            let value = self.contribution(r, rule);
            cols.push(format!("CASE WHEN {cond} THEN {value} ELSE 0 END AS c{r}"));
        }
        ctes.push((
            "r".into(),
            format!("SELECT\n    {}\n  FROM a", cols.join(",\n    ")),
        ));

        // g: groups and disqualifiers.
        let mut cols = vec!["r.*".to_string()];
        for (gi, g) in m.groups.iter().enumerate() {
            let sum = if g.rules.is_empty() {
                "CAST(0 AS BIGINT)".to_string()
            } else {
                g.rules
                    .iter()
                    .map(|r| format!("c{r}"))
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            cols.push(format!("{} AS g{gi}", clamp(&sum, g.min, g.max)));
        }
        for (qi, q) in m.disqualifiers.iter().enumerate() {
            cols.push(format!("{} AS q{qi}", self.cond(&q.cond, Ctx::Lead)));
        }
        ctes.push((
            "g".into(),
            format!("SELECT\n    {}\n  FROM r", cols.join(",\n    ")),
        ));

        // s: the score.
        let total = if m.groups.is_empty() {
            "CAST(0 AS BIGINT)".to_string()
        } else {
            (0..m.groups.len())
                .map(|g| format!("g{g}"))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        ctes.push((
            "s".into(),
            format!(
                "SELECT g.*, {} AS sc FROM g",
                clamp(&total, m.score_min, m.score_max)
            ),
        ));

        // The output.
        let mut stage = String::from("CASE");
        if !m.disqualifiers.is_empty() {
            let any: Vec<String> = (0..m.disqualifiers.len())
                .map(|q| format!("q{q}"))
                .collect();
            stage.push_str(&format!(" WHEN {} THEN 'disqualified'", any.join(" OR ")));
        }
        for st in &m.stages {
            let cond = self.cond(&st.cond, Ctx::Lead);
            stage.push_str(&format!("\n    WHEN {cond} THEN {}", d.string(&st.name)));
        }
        if stage == "CASE" {
            stage = d.string(m.fallback_stage());
        } else {
            stage.push_str(&format!(" ELSE {} END", d.string(m.fallback_stage())));
        }
        let mut out = vec![
            format!("k AS {}", d.ident("id")),
            format!("{} AS {}", d.cents("sc"), d.ident("score")),
            format!("{stage} AS {}", d.ident("stage")),
        ];
        for (gi, g) in m.groups.iter().enumerate() {
            out.push(format!(
                "{} AS {}",
                d.cents(&format!("g{gi}")),
                d.ident(&g.name)
            ));
        }
        let fired: Vec<String> = m
            .rules
            .iter()
            .enumerate()
            .map(|(r, rule)| format!("CASE WHEN c{r} <> 0 THEN {} END", d.string(&rule.id)))
            .collect();
        out.push(format!(
            "{} AS {}",
            d.non_null_array(&fired),
            d.ident("fired")
        ));
        let reasons: Vec<String> = m
            .disqualifiers
            .iter()
            .enumerate()
            .map(|(q, dq)| format!("CASE WHEN q{q} THEN {} END", d.string(&dq.reason)))
            .collect();
        out.push(format!(
            "{} AS {}",
            d.non_null_array(&reasons),
            d.ident("disqualified")
        ));

        if !self.errors.is_empty() {
            return Err(SqlError::Model(self.errors));
        }
        let with: Vec<String> = ctes
            .iter()
            .map(|(name, body)| format!("{name} AS {}(\n  {body}\n)", d.cte_keyword()))
            .collect();
        Ok(format!(
            "WITH\n{}\nSELECT\n  {}\nFROM s\n",
            with.join(",\n"),
            out.join(",\n  ")
        ))
    }

    /// A column as evaluation reads it: text normalised, times as
    /// microseconds, lists cleaned.
    fn read(&self, ty: Type, col: &str) -> String {
        let d = self.d;
        match ty {
            Type::Text => d.normalise(col),
            Type::Number | Type::Bool => col.to_string(),
            Type::Time => d.epoch_us(col),
            Type::TextList => d.text_list(col),
            Type::NumberList => d.number_list(col),
        }
    }

    /// Does an event row count for term `i`?
    fn term_match(&mut self, i: usize) -> String {
        let m = self.model;
        let term = &m.terms[i];
        let et = &m.event_types[term.event_type];
        let mut parts = vec![format!("ty = {}", self.d.string(&et.name))];
        if let Some(w) = term.window {
            parts.push(format!("at_us >= {} - {w}", self.as_of));
        }
        if let Some(object) = &term.object {
            let first = et.props.first().filter(|p| p.ty == Type::Text);
            parts.push(match first {
                None => "FALSE".into(),
                Some(_) => {
                    let col = format!("p{}", self.c.prop_of[term.event_type][0]);
                    match object {
                        ObjectMatch::Text(t) => {
                            format!("COALESCE({col} = {}, FALSE)", self.d.string(t))
                        }
                        ObjectMatch::List { set, .. } => in_list(
                            &col,
                            &set.sorted()
                                .iter()
                                .map(|s| self.d.string(s))
                                .collect::<Vec<_>>(),
                            false,
                        ),
                    }
                }
            });
        }
        if let Some(filter) = &term.filter {
            parts.push(self.cond(filter, Ctx::Event(term.event_type)));
        }
        format!("({})", parts.join(" AND "))
    }

    /// A condition, as a SQL boolean that is never NULL.
    fn cond(&mut self, e: &Expr, ctx: Ctx) -> String {
        match e {
            Expr::And(parts) if parts.is_empty() => "TRUE".into(),
            Expr::Or(parts) if parts.is_empty() => "FALSE".into(),
            Expr::And(parts) => {
                let p: Vec<String> = parts.iter().map(|p| self.cond(p, ctx)).collect();
                format!("({})", p.join(" AND "))
            }
            Expr::Or(parts) => {
                let p: Vec<String> = parts.iter().map(|p| self.cond(p, ctx)).collect();
                format!("({})", p.join(" OR "))
            }
            Expr::Not(inner) => format!("(NOT {})", self.cond(inner, ctx)),
            Expr::Term(t) => {
                let n = format!("n{t}");
                match self.model.terms[*t].count {
                    Count::Times(k) | Count::AtLeast(k) => format!("({n} >= {k})"),
                    Count::AtMost(k) => format!("({n} <= {k})"),
                    Count::MoreThan(k) => format!("({n} > {k})"),
                    Count::FewerThan(k) => format!("({n} < {k})"),
                    Count::Never => format!("({n} = 0)"),
                }
            }
            Expr::Pred(p) => {
                let v = self.value_expr(&p.value, ctx);
                let d = self.d;
                let known = |test: String| format!("COALESCE({test}, FALSE)");
                match &p.test {
                    PredTest::Known => format!("({v} IS NOT NULL)"),
                    PredTest::Missing => format!("({v} IS NULL)"),
                    PredTest::IsTrue => known(v),
                    PredTest::TextEq { value, negated } => {
                        let op = if *negated { "<>" } else { "=" };
                        known(format!("{v} {op} {}", d.string(value)))
                    }
                    PredTest::BoolEq { value, negated } => {
                        let op = if *negated { "<>" } else { "=" };
                        known(format!(
                            "{v} {op} {}",
                            if *value { "TRUE" } else { "FALSE" }
                        ))
                    }
                    PredTest::NumCmp(op, x) => {
                        known(format!("{v} {} {}", sql_op(*op), d.double(*x)))
                    }
                    PredTest::TimeCmp(op, x) => known(format!("{v} {} {x}", sql_op(*op))),
                    PredTest::NumBetween(lo, hi) => known(format!(
                        "{v} >= {} AND {v} <= {}",
                        d.double(*lo),
                        d.double(*hi)
                    )),
                    PredTest::TimeBetween(lo, hi) => known(format!("{v} >= {lo} AND {v} <= {hi}")),
                    PredTest::TextIn { set, negated, .. } => {
                        let items: Vec<String> = set.sorted().iter().map(|s| d.string(s)).collect();
                        in_list(&v, &items, *negated)
                    }
                    PredTest::NumIn {
                        values, negated, ..
                    } => {
                        let items: Vec<String> = values.iter().map(|x| d.double(*x)).collect();
                        in_list(&v, &items, *negated)
                    }
                    PredTest::IncludesText(x) => known(d.list_contains(&v, &d.string(x))),
                    PredTest::IncludesNumber(x) => known(d.list_contains(&v, &d.double(*x))),
                    PredTest::Text(op, x) => known(match op {
                        TextOp::Contains => d.contains(&v, x),
                        TextOp::StartsWith => d.starts_with(&v, x),
                        TextOp::EndsWith => d.ends_with(&v, x),
                    }),
                    PredTest::Matches(re) => match translate(re.as_str(), d) {
                        Ok(pattern) => known(d.regex_match(&v, &pattern)),
                        Err(refusal) => {
                            self.refuse(&refusal, p.span);
                            "FALSE".into()
                        }
                    },
                }
            }
        }
    }

    fn refuse(&mut self, refusal: &Refusal, span: crate::source::Span) {
        self.errors.push(
            Diagnostic::new(
                Code::SqlRegex,
                refusal.message(self.d),
                span,
                format!("this pattern can't be compiled for {}", self.d.name()),
            )
            .help(refusal.help()),
        );
    }

    fn value_expr(&self, v: &ValueExpr, ctx: Ctx) -> String {
        let d = self.d;
        match v {
            ValueExpr::Field(i) => format!("f{i}"),
            ValueExpr::Prop(i) => match ctx {
                Ctx::Event(t) => format!("p{}", self.c.prop_of[t][*i]),
                Ctx::Lead => "NULL".into(),
            },
            ValueExpr::Domain(inner) => d.domain(&self.value_expr(inner, ctx)),
            ValueExpr::DaysSince(inner) => {
                let diff = format!("{} - {}", self.as_of, self.value_expr(inner, ctx));
                floor_div(d, &diff, MICROS_PER_DAY)
            }
            ValueExpr::Score => format!("({} / 100)", d.to_double("sc")),
            ValueExpr::Group(g) => format!("({} / 100)", d.to_double(&format!("g{g}"))),
        }
    }

    /// The group's decay factor as a reduced fraction `a / b`, when the
    /// rule decays at all.
    fn decay_of(&self, rule: &RuleDef) -> Option<(i128, i128)> {
        let decay = self.model.groups[rule.group].decay?;
        if rule.terms.is_empty() {
            return None;
        }
        let hundred = 100 * 10i128.pow(decay.percent.scale);
        let keep = hundred - decay.percent.mantissa;
        let g = gcd(keep.abs(), hundred);
        let (a, b) = (keep / g.max(1), hundred / g.max(1));
        (a != b).then_some((a, b))
    }

    fn newest(&self, rule: &RuleDef) -> String {
        let ws: Vec<String> = rule.terms.iter().map(|t| format!("w{t}")).collect();
        if ws.len() == 1 {
            ws[0].clone()
        } else {
            format!("GREATEST({})", ws.join(", "))
        }
    }

    /// Points × count, capped: SQL for an integer at scale `s` (≥ 2), and s.
    fn value(&self, rule: &RuleDef) -> (String, u32) {
        let s = rule
            .points
            .scale
            .max(rule.cap.map_or(0, |c| c.scale))
            .max(2);
        let p = rule.points.mantissa_at(s);
        if !rule.each {
            let v = points::capped(rule.points, None, rule.cap).mantissa_at(s);
            return (format!("CAST({v} AS BIGINT)"), s);
        }
        let raw = format!("(CAST({p} AS BIGINT) * n{})", rule.terms[0]);
        let v = match rule.cap {
            Some(cap) if p < 0 => format!("GREATEST({raw}, {})", -cap.mantissa_at(s)),
            Some(cap) => format!("LEAST({raw}, {})", cap.mantissa_at(s)),
            None => raw,
        };
        (v, s)
    }

    /// The rule's contribution in hundredths, when its condition holds.
    fn contribution(&self, r: usize, rule: &RuleDef) -> String {
        let d = self.d;
        let (v, s) = self.value(rule);
        let undecayed = if !rule.each {
            let value = points::capped(rule.points, None, rule.cap);
            points::contribution(value, None).to_string()
        } else if s == 2 {
            v.clone()
        } else {
            let div = 10i128.pow(s - 2);
            format!(
                "CASE WHEN {v} >= 0 THEN {} ELSE -{} END",
                d.int_div(&format!("2 * {v} + {div}"), &(2 * div).to_string()),
                d.int_div(&format!("-2 * {v} + {div}"), &(2 * div).to_string())
            )
        };
        let Some((a, _)) = self.decay_of(rule) else {
            return undecayed;
        };
        let newest = self.newest(rule);
        let k = format!("k{r}");
        if a == 0 {
            return format!("CASE WHEN {newest} IS NULL OR {k} = 0 THEN {undecayed} ELSE 0 END");
        }
        let x = format!("x{r}");
        let fast = format!("CAST(ROUND({x}) AS BIGINT)");
        let near = format!("ABS({x} - FLOOR({x}) - 0.5) <= 0.000001");
        let Some(last) = self.exact_steps(rule) else {
            return format!(
                "CASE WHEN {newest} IS NULL OR {k} = 0 THEN {undecayed} ELSE {fast} END"
            );
        };
        let wide = d.wide_int();
        let num = format!("(CAST({v} AS {wide}) * pa{r})");
        let den = format!("pb{r}");
        let exact = format!(
            "CASE WHEN {v} >= 0 THEN {} ELSE -{} END",
            d.wide_div(&format!("2 * {num} + {den}"), &format!("2 * {den}")),
            d.wide_div(&format!("-2 * {num} + {den}"), &format!("2 * {den}"))
        );
        format!(
            "CASE WHEN {newest} IS NULL OR {k} = 0 THEN {undecayed} WHEN {near} AND {k} <= {last} THEN {exact} ELSE {fast} END"
        )
    }
}

impl Query<'_> {
    /// For exact tie-breaking under decay: `a^k` and `10^(s-2)·b^k` for
    /// each number of periods k up to the last that keeps
    /// `N = V·a^k` and `D = 10^(s-2)·b^k` within the engine's exact
    /// integers (for |V| < 10^13). Beyond it no tie is possible.
    fn powers(&self, rule: &RuleDef) -> Vec<(u32, BigInt, BigInt)> {
        let Some((a, b)) = self.decay_of(rule) else {
            return Vec::new();
        };
        let (_, s) = self.value(rule);
        let budget = self.d.wide_digits().saturating_sub(VALUE_DIGITS + 1);
        let mut out = Vec::new();
        let mut bk = BigInt::from(10i128.pow(s - 2));
        let mut ak = BigInt::from(1);
        for step in 1..=2000u32 {
            bk *= b;
            ak *= a;
            if bk.to_string().len() as u32 > budget {
                break;
            }
            out.push((step, ak.clone(), bk.clone()));
        }
        out
    }

    fn exact_steps(&self, rule: &RuleDef) -> Option<usize> {
        let n = self.powers(rule).len();
        (n > 0).then_some(n)
    }

    /// The `CASE k …` expressions for `a^k` and `D`.
    fn exact_powers(&self, rule: &RuleDef, k: &str) -> Option<(String, String)> {
        let powers = self.powers(rule);
        if powers.is_empty() {
            return None;
        }
        let wide = self.d.wide_int();
        let pick = |which: &dyn Fn(&(u32, BigInt, BigInt)) -> String| {
            let arms: Vec<String> = powers
                .iter()
                .map(|p| format!("WHEN {} THEN CAST('{}' AS {wide})", p.0, which(p)))
                .collect();
            format!("CASE {k} {} END", arms.join(" "))
        };
        Some((pick(&|p| p.1.to_string()), pick(&|p| p.2.to_string())))
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// `v IN (…)` / `v NOT IN (…)`, false when `v` is missing.
fn in_list(v: &str, items: &[String], negated: bool) -> String {
    match (items.is_empty(), negated) {
        (true, false) => "FALSE".into(),
        (true, true) => format!("({v} IS NOT NULL)"),
        (false, false) => format!("COALESCE({v} IN ({}), FALSE)", items.join(", ")),
        (false, true) => format!("COALESCE({v} NOT IN ({}), FALSE)", items.join(", ")),
    }
}

/// Floor division of a 64-bit integer expression by a positive constant.
fn floor_div(d: Dialect, a: &str, by: i64) -> String {
    let a = format!("({a})");
    d.int_div(
        &format!("{a} - ((({a}) % {by}) + {by}) % {by}"),
        &by.to_string(),
    )
}

fn clamp(sum: &str, min: Option<i64>, max: Option<i64>) -> String {
    let v = match max {
        Some(m) => format!("LEAST({sum}, {m})"),
        None => format!("({sum})"),
    };
    match min {
        Some(m) => format!("GREATEST({v}, {m})"),
        None => v,
    }
}

fn sql_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}
