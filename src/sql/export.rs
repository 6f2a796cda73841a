//! Writing leads in the SQL input contract: `leads.csv` and `events.csv`,
//! with a load script per engine. Values are written as leadscore read
//! them (the same coercions as `score`), text as it was written, so the
//! query's own normalisation is what the engine runs.

use super::{Contract, Dialect};
use crate::check::{Model, Type};
use crate::eval::{Lead, Value};
use std::io::Write;

/// Writes the two CSV files, one lead at a time.
pub struct Exporter<'m, W: Write> {
    model: &'m Model,
    contract: &'m Contract,
    leads: csv::Writer<W>,
    events: csv::Writer<W>,
}

/// The lead's key as text: missing for null, objects and arrays.
pub fn key_text(id: &serde_json::Value) -> Option<String> {
    match id {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A time in RFC 3339, UTC, with microseconds.
pub fn time_text(micros: i64) -> String {
    use chrono::{SecondsFormat, TimeZone, Utc};
    match Utc.timestamp_micros(micros).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Micros, true),
        None => String::new(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Missing => String::new(),
        Value::Text { .. } => v.raw_text().unwrap_or_default().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Time(t) => time_text(*t),
        Value::TextList(items) => serde_json::to_string(items).unwrap_or_default(),
        Value::NumberList(items) => serde_json::to_string(items).unwrap_or_default(),
    }
}

impl<'m, W: Write> Exporter<'m, W> {
    /// Starts both files with their header rows.
    pub fn new(model: &'m Model, contract: &'m Contract, leads: W, events: W) -> csv::Result<Self> {
        let mut leads = csv::Writer::from_writer(leads);
        let mut events = csv::Writer::from_writer(events);
        leads.write_record(lead_columns(model, contract).iter().map(|(c, _)| c))?;
        let mut header = vec![
            contract.lead_id.clone(),
            contract.event_type.clone(),
            contract.event_at.clone(),
        ];
        header.extend(contract.props.iter().map(|p| p.column.clone()));
        events.write_record(&header)?;
        Ok(Exporter {
            model,
            contract,
            leads,
            events,
        })
    }

    /// One lead and its events, under `key`.
    pub fn write(&mut self, key: &str, lead: &Lead) -> csv::Result<()> {
        let mut row = vec![key.to_string()];
        for (i, f) in self.model.fields.iter().enumerate() {
            if is_key_field(f.name().as_str(), &self.contract.fields[i], self.contract) {
                continue;
            }
            row.push(value_text(&lead.values[i]));
        }
        self.leads.write_record(&row)?;
        for e in &lead.events {
            let mut row = vec![
                key.to_string(),
                self.model.event_types[e.ty].name.clone(),
                time_text(e.at),
            ];
            let mut props = vec![String::new(); self.contract.props.len()];
            for (pi, v) in e.props.iter().enumerate() {
                props[self.contract.prop_of[e.ty][pi]] = value_text(v);
            }
            row.extend(props);
            self.events.write_record(&row)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.leads.flush()?;
        self.events.flush()
    }
}

fn is_key_field(path: &str, column: &str, c: &Contract) -> bool {
    path == "id" && column == c.key
}

/// The leads table's columns: the key, then one per field, with types.
fn lead_columns(model: &Model, c: &Contract) -> Vec<(String, Type)> {
    let mut cols = vec![(c.key.clone(), Type::Text)];
    for (f, col) in model.fields.iter().zip(&c.fields) {
        if !is_key_field(&f.name(), col, c) {
            cols.push((col.clone(), f.ty));
        }
    }
    cols
}

fn event_columns(c: &Contract) -> Vec<(String, Type)> {
    let mut cols = vec![
        (c.lead_id.clone(), Type::Text),
        (c.event_type.clone(), Type::Text),
        (c.event_at.clone(), Type::Time),
    ];
    cols.extend(c.props.iter().map(|p| (p.column.clone(), p.ty)));
    cols
}

/// A script that loads `DIR/leads.csv` and `DIR/events.csv` into the
/// contract's tables.
pub fn load_script(model: &Model, c: &Contract, d: Dialect, dir: &str) -> String {
    let tables = [
        (
            &c.leads_table,
            lead_columns(model, c),
            format!("{dir}/leads.csv"),
        ),
        (
            &c.events_table,
            event_columns(c),
            format!("{dir}/events.csv"),
        ),
    ];
    let mut out = format!("-- Loads leadscore's export into {}.\n", d.name());
    if d == Dialect::Postgres {
        out.push_str("SET client_min_messages = warning;\n");
    }
    for (table, cols, file) in tables {
        let select: Vec<String> = cols
            .iter()
            .map(|(name, ty)| format!("{} AS {}", convert(d, &d.ident(name), *ty), d.ident(name)))
            .collect();
        match d {
            Dialect::DuckDb => {
                let types: Vec<String> = cols
                    .iter()
                    .map(|(n, _)| format!("{}: 'VARCHAR'", d.string(n)))
                    .collect();
                out.push_str(&format!(
                    "CREATE OR REPLACE TABLE {table} AS\nSELECT\n  {}\nFROM read_csv({}, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {{{}}});\n",
                    select.join(",\n  "),
                    d.string(&file),
                    types.join(", ")
                ));
            }
            Dialect::Postgres => {
                let raw: Vec<String> = cols
                    .iter()
                    .map(|(n, _)| format!("{} text", d.ident(n)))
                    .collect();
                let typed: Vec<String> = cols
                    .iter()
                    .map(|(n, t)| format!("{} {}", d.ident(n), d.column_type(*t)))
                    .collect();
                out.push_str(&format!(
                    "DROP TABLE IF EXISTS {table};\nCREATE TABLE {table} ({});\nCREATE TEMP TABLE {table}_csv ({});\n\\copy {table}_csv FROM {} WITH (FORMAT csv, HEADER true)\nINSERT INTO {table}\nSELECT\n  {}\nFROM {table}_csv;\nDROP TABLE {table}_csv;\n",
                    typed.join(", "),
                    raw.join(", "),
                    d.string(&file),
                    select.join(",\n  ")
                ));
            }
            Dialect::Spark => {
                out.push_str(&format!(
                    "CREATE OR REPLACE TEMPORARY VIEW {table}_csv USING csv OPTIONS (path {}, header 'true', multiLine 'true', escape '\"');\nCREATE OR REPLACE TEMPORARY VIEW {table} AS\nSELECT\n  {}\nFROM {table}_csv;\n",
                    d.string(&file),
                    select.join(",\n  ")
                ));
            }
        }
    }
    out
}

/// A CSV text column read as its contract type.
fn convert(d: Dialect, col: &str, ty: Type) -> String {
    let json_list = |elem: &str| {
        match d {
        Dialect::DuckDb => format!("CAST(from_json({col}, '[\"{elem}\"]') AS {elem}[])"),
        Dialect::Spark => format!(
            "from_json({col}, 'array<{}>')",
            if elem == "VARCHAR" { "string" } else { "double" }
        ),
        Dialect::Postgres => format!(
            "CASE WHEN {col} IS NOT NULL THEN ARRAY(SELECT CAST(x AS {}) FROM json_array_elements_text(CAST({col} AS json)) AS u(x)) END",
            if elem == "VARCHAR" { "text" } else { "double precision" }
        ),
    }
    };
    match ty {
        Type::Text => col.to_string(),
        Type::TextList => json_list("VARCHAR"),
        Type::NumberList => json_list("DOUBLE"),
        Type::Number | Type::Bool | Type::Time => {
            format!("CAST({col} AS {})", d.column_type(ty))
        }
    }
}
