//! Compiling a checked model to one SQL query, for DuckDB, Spark SQL and
//! PostgreSQL, with the same results as the evaluator.
//!
//! The query reads two tables in a fixed contract (see [`Contract`] and
//! `docs/sql.md`): `leads`, one typed column per declared field, and
//! `events`, one row per event. It returns one row per lead with `id`,
//! `score`, `stage`, one column per group, `fired` and `disqualified`.
//!
//! What can't be stated exactly in a dialect is refused with a diagnostic
//! at the construct, never approximated.

pub mod dialect;
pub mod export;
mod query;
pub mod regex;

use crate::check::{Model, Type};
use crate::diag::{Code, Diagnostic};
pub use dialect::Dialect;

/// How to compile: the dialect, the as-of time and the table contract's
/// names.
#[derive(Debug, Clone)]
pub struct Options {
    pub dialect: Dialect,
    /// Microseconds since the epoch; `None` means the engine's current time.
    pub as_of: Option<i64>,
    pub leads_table: String,
    pub events_table: String,
    /// Column names chosen by the user: `PATH=NAME`, where PATH is a field's
    /// path, `id` (the lead's key), or `events.PROP` (an event property, or
    /// `events.lead_id`, `events.type`, `events.at`).
    pub columns: Vec<(String, String)>,
}

impl Options {
    pub fn new(dialect: Dialect) -> Self {
        Options {
            dialect,
            as_of: None,
            leads_table: "leads".into(),
            events_table: "events".into(),
            columns: Vec::new(),
        }
    }
}

/// Why a model can't be compiled.
#[derive(Debug, Clone)]
pub enum SqlError {
    /// Constructs of the model that can't be translated, at their place.
    Model(Vec<Diagnostic>),
    /// A `--column` override that names nothing in the model.
    UnknownColumn(String),
}

/// One event property's column.
#[derive(Debug, Clone)]
pub struct PropColumn {
    pub name: String,
    pub ty: Type,
    pub column: String,
}

/// The tables the query reads: every column's name and type.
#[derive(Debug, Clone)]
pub struct Contract {
    pub leads_table: String,
    pub events_table: String,
    /// The lead's key column.
    pub key: String,
    /// One column per model field, in field order.
    pub fields: Vec<String>,
    pub lead_id: String,
    pub event_type: String,
    pub event_at: String,
    pub props: Vec<PropColumn>,
    /// For each event type, for each of its properties: index into `props`.
    pub prop_of: Vec<Vec<usize>>,
}

impl Contract {
    /// Column names and types, checked for clashes.
    pub fn new(model: &Model, opts: &Options) -> Result<Contract, SqlError> {
        let mut overrides: Vec<(String, String, bool)> = opts
            .columns
            .iter()
            .map(|(p, n)| (p.clone(), n.clone(), false))
            .collect();
        let mut pick = |path: &str, default: String| -> String {
            match overrides.iter_mut().rev().find(|(p, _, _)| p == path) {
                Some((_, name, used)) => {
                    *used = true;
                    name.clone()
                }
                None => default,
            }
        };
        let key = pick("id", "id".into());
        let fields: Vec<String> = model
            .fields
            .iter()
            .map(|f| pick(&f.name(), f.path.join("_")))
            .collect();
        let lead_id = pick("events.lead_id", "lead_id".into());
        let event_type = pick("events.type", "type".into());
        let event_at = pick("events.at", "at".into());
        let mut diagnostics = Vec::new();
        let mut props: Vec<PropColumn> = Vec::new();
        let mut first_seen: Vec<usize> = Vec::new();
        let mut prop_of = Vec::new();
        for (ti, et) in model.event_types.iter().enumerate() {
            let mut of = Vec::new();
            for p in &et.props {
                match props.iter().position(|c| c.name == p.name) {
                    Some(i) => {
                        if props[i].ty != p.ty {
                            let other = &model.event_types[first_seen[i]];
                            diagnostics.push(
                                Diagnostic::new(
                                    Code::SqlPropertyType,
                                    format!(
                                        "the event property `{}` is {} here and {} in `{}`, but the events table has one column for it",
                                        p.name,
                                        p.ty.name(),
                                        props[i].ty.name(),
                                        other.name
                                    ),
                                    et.span,
                                    format!("`{}` is {} here", p.name, p.ty.name()),
                                )
                                .also(
                                    other.span,
                                    format!("`{}` is {} here", p.name, props[i].ty.name()),
                                )
                                .help("give the property the same type in both event types, or another name in one of them"),
                            );
                        }
                        of.push(i);
                    }
                    None => {
                        let column = pick(&format!("events.{}", p.name), p.name.clone());
                        props.push(PropColumn {
                            name: p.name.clone(),
                            ty: p.ty,
                            column,
                        });
                        first_seen.push(ti);
                        of.push(props.len() - 1);
                    }
                }
            }
            prop_of.push(of);
        }
        if let Some((path, _, _)) = overrides.iter().find(|(_, _, used)| !used) {
            return Err(SqlError::UnknownColumn(path.clone()));
        }
        // Column clashes: engines compare names without regard to case.
        let mut seen: Vec<(String, String)> = vec![(key.to_lowercase(), "the lead's key".into())];
        for (f, col) in model.fields.iter().zip(&fields) {
            if f.name() == "id" && col == &key {
                continue;
            }
            if let Some((_, what)) = seen.iter().find(|(c, _)| *c == col.to_lowercase()) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::SqlColumnClash,
                        format!(
                            "the field `{}` and {what} would both be the column `{col}`",
                            f.name()
                        ),
                        f.span,
                        format!("this field's column is `{col}`"),
                    )
                    .help(format!("name its column with `--column {}=NAME`", f.name())),
                );
            } else {
                seen.push((col.to_lowercase(), format!("the field `{}`", f.name())));
            }
        }
        let mut seen_ev: Vec<String> = vec![
            lead_id.to_lowercase(),
            event_type.to_lowercase(),
            event_at.to_lowercase(),
        ];
        for (i, p) in props.iter().enumerate() {
            if seen_ev.contains(&p.column.to_lowercase()) {
                let et = &model.event_types[first_seen[i]];
                diagnostics.push(
                    Diagnostic::new(
                        Code::SqlColumnClash,
                        format!(
                            "the event property `{}` would be the column `{}`, which the events table already has",
                            p.name, p.column
                        ),
                        et.span,
                        format!("`{}` is declared here", p.name),
                    )
                    .help(format!("name its column with `--column events.{}=NAME`", p.name)),
                );
            } else {
                seen_ev.push(p.column.to_lowercase());
            }
        }
        if !diagnostics.is_empty() {
            return Err(SqlError::Model(diagnostics));
        }
        Ok(Contract {
            leads_table: opts.leads_table.clone(),
            events_table: opts.events_table.clone(),
            key,
            fields,
            lead_id,
            event_type,
            event_at,
            props,
            prop_of,
        })
    }
}

/// The query: one SELECT (and nothing else) producing one row per lead.
pub fn compile(model: &Model, opts: &Options) -> Result<String, SqlError> {
    let contract = Contract::new(model, opts)?;
    query::Query::new(model, &contract, opts).build()
}

/// `CREATE TABLE` statements for the input contract.
pub fn ddl(model: &Model, opts: &Options) -> Result<String, SqlError> {
    let c = Contract::new(model, opts)?;
    let d = opts.dialect;
    let using = if d == Dialect::Spark {
        " USING parquet"
    } else {
        ""
    };
    let mut lead_cols = vec![(c.key.clone(), d.text_type())];
    for (f, col) in model.fields.iter().zip(&c.fields) {
        if f.name() == "id" && col == &c.key {
            continue;
        }
        lead_cols.push((col.clone(), d.column_type(f.ty)));
    }
    let mut event_cols = vec![
        (c.lead_id.clone(), d.text_type()),
        (c.event_type.clone(), d.text_type()),
        (c.event_at.clone(), d.column_type(Type::Time)),
    ];
    event_cols.extend(
        c.props
            .iter()
            .map(|p| (p.column.clone(), d.column_type(p.ty))),
    );
    let table = |name: &str, cols: &[(String, &str)]| {
        let body: Vec<String> = cols
            .iter()
            .map(|(n, t)| format!("  {} {t}", d.ident(n)))
            .collect();
        format!("CREATE TABLE {name} (\n{}\n){using};\n", body.join(",\n"))
    };
    Ok(format!(
        "{}{}",
        table(&c.leads_table, &lead_cols),
        table(&c.events_table, &event_cols)
    ))
}
