//! `leadscore sql` (a model as one SQL query) and `leadscore export` (leads
//! as the CSV tables that query reads).

use super::model_cmds::{load_model, print_diagnostics};
use super::score_cmd::{as_of, each_record, load_events, memory_budget, open_input, readable};
use super::{exit, DiagFormat};
use clap::{Args, ValueEnum};
use leadscore::io::input::{Format, Record};
use leadscore::io::join::joined_records;
use leadscore::io::record::lookup;
use leadscore::io::repeats::{RepeatLines, Repeats, DEFAULT_BUDGET};
use leadscore::sql::export::{key_text, load_script, Exporter};
use leadscore::sql::{Contract, Dialect, Options, SqlError};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum DialectArg {
    Duckdb,
    Spark,
    Postgres,
}

impl DialectArg {
    fn dialect(self) -> Dialect {
        match self {
            DialectArg::Duckdb => Dialect::DuckDb,
            DialectArg::Spark => Dialect::Spark,
            DialectArg::Postgres => Dialect::Postgres,
        }
    }
}

/// The table contract's names, shared by `sql` and `export`.
#[derive(Args)]
pub struct TableArgs {
    /// The leads table's name.
    #[arg(long, default_value = "leads")]
    leads_table: String,
    /// The events table's name.
    #[arg(long, default_value = "events")]
    events_table: String,
    /// Name a column yourself: a field's path, `id`, or `events.PROP`.
    #[arg(long = "column", value_name = "PATH=NAME")]
    columns: Vec<String>,
}

#[derive(Args)]
pub struct SqlArgs {
    /// A `.rules` file or a directory of them.
    model: PathBuf,
    #[arg(long, value_enum, default_value = "duckdb")]
    dialect: DialectArg,
    /// Score as of this time (RFC 3339, YYYY-MM-DD or a Unix time); default: the
    /// engine's current time when the query runs.
    #[arg(long)]
    as_of: Option<String>,
    /// Print the input tables' CREATE TABLE statements instead.
    #[arg(long)]
    emit_ddl: bool,
    #[command(flatten)]
    tables: TableArgs,
}

#[derive(Args)]
pub struct ExportArgs {
    /// A `.rules` file or a directory of them.
    model: PathBuf,
    /// JSON Lines or CSV file of leads; `-` reads standard input.
    leads: String,
    /// The directory to write `leads.csv`, `events.csv` and the load scripts to.
    #[arg(long)]
    to: PathBuf,
    /// The field that identifies a lead.
    #[arg(long, default_value = "id")]
    key: String,
    /// Events to join to the leads by `lead_id` (CSV or JSON Lines), as for `score`.
    #[arg(long)]
    events: Option<String>,
    #[command(flatten)]
    tables: TableArgs,
}

fn options(dialect: Dialect, t: &TableArgs) -> Result<Options, i32> {
    let mut o = Options::new(dialect);
    o.leads_table = t.leads_table.clone();
    o.events_table = t.events_table.clone();
    for c in &t.columns {
        match c.split_once('=') {
            Some((p, n)) if !p.trim().is_empty() && !n.trim().is_empty() => {
                o.columns.push((p.trim().to_string(), n.trim().to_string()))
            }
            _ => {
                eprintln!("error: `--column {c}` must be written PATH=NAME");
                return Err(exit::USAGE);
            }
        }
    }
    Ok(o)
}

fn report(e: SqlError, model: &leadscore::check::Model) -> i32 {
    match e {
        SqlError::Model(diagnostics) => {
            print_diagnostics(&diagnostics, &model.sources, DiagFormat::Human);
            exit::MODEL
        }
        SqlError::UnknownColumn(path) => {
            eprintln!(
                "error: `--column {path}=…` names no field, `id` or `events.PROP` of the model"
            );
            exit::USAGE
        }
    }
}

pub fn sql(a: SqlArgs) -> i32 {
    let model = match load_model(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let mut opts = match options(a.dialect.dialect(), &a.tables) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if a.as_of.is_some() {
        opts.as_of = match as_of(a.as_of.as_deref()) {
            Ok(t) => Some(t),
            Err(code) => return code,
        };
    }
    let result = if a.emit_ddl {
        leadscore::sql::ddl(&model, &opts)
    } else {
        leadscore::sql::compile(&model, &opts)
    };
    match result {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err(e) => report(e, &model),
    }
}

pub fn export(a: ExportArgs) -> i32 {
    let model = match load_model(&a.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let opts = match options(Dialect::DuckDb, &a.tables) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let contract = match Contract::new(&model, &opts) {
        Ok(c) => c,
        Err(e) => return report(e, &model),
    };
    if let Err(e) = std::fs::create_dir_all(&a.to) {
        eprintln!("error: can't create `{}`: {e}", a.to.display());
        return exit::USAGE;
    }
    let create = |name: &str| {
        let path = a.to.join(name);
        std::fs::File::create(&path)
            .map(std::io::BufWriter::new)
            .map_err(|e| {
                eprintln!("error: can't write `{}`: {e}", path.display());
                exit::USAGE
            })
    };
    let (leads_file, events_file) = match (create("leads.csv"), create("events.csv")) {
        (Ok(l), Ok(e)) => (l, e),
        _ => return exit::USAGE,
    };
    let mut exporter = match Exporter::new(&model, &contract, leads_file, events_file) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let key: Vec<String> = a.key.split('.').map(str::to_string).collect();
    // The leads are read twice, so standard input is kept in a file.
    let (source, _spool) = match readable(&a.leads, true) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut repeats = match repeated_keys(&a.leads, &source, &key) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let input = match open_input(&source) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let (events, event_errors) = match load_events(a.events.as_deref(), false) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let (mut written, mut bad_leads, mut field_errors) = (0u64, 0u64, 0u64);
    let mut write_error = None;
    let mut spill_error = None;
    let models = [&model];
    let bad_lines = match each_record(
        &a.leads,
        input,
        events.as_ref(),
        &models,
        &key,
        |line, json| {
            let mut errors = Vec::new();
            let lead =
                leadscore::io::record::lead_from_json(&model, &json, &key, line, &mut errors);
            for e in &errors {
                eprintln!("data error in `{}`: {e}", a.leads);
            }
            field_errors += errors.len() as u64;
            let Some(k) = key_text(&lead.id) else {
                eprintln!(
                "data error in `{}`: line {line}: the lead has no `{}`, so its events can't be joined; skipped",
                a.leads, a.key
            );
                bad_leads += 1;
                return;
            };
            let repeat = repeats.is_repeat(line).unwrap_or_else(|e| {
                spill_error.get_or_insert(e);
                false
            });
            if repeat {
                eprintln!(
                "data error in `{}`: line {line}: `{}` {k:?} was seen before; keys must be unique in the tables; skipped",
                a.leads, a.key
            );
                bad_leads += 1;
                return;
            }
            if write_error.is_none() {
                match exporter.write(&k, &lead) {
                    Ok(()) => written += 1,
                    Err(e) => write_error = Some(e),
                }
            }
        },
    ) {
        Ok(n) => n,
        Err(code) => return code,
    };
    if let Some(e) = spill_error {
        eprintln!("error: can't read back the keys kept in temporary files: {e}");
        return exit::USAGE;
    }
    if let Some(e) = write_error {
        eprintln!("error: writing the export: {e}");
        return exit::USAGE;
    }
    if let Err(e) = exporter.finish() {
        eprintln!("error: writing the export: {e}");
        return exit::USAGE;
    }
    let dir = std::fs::canonicalize(&a.to).unwrap_or_else(|_| a.to.clone());
    let dir = dir.to_string_lossy();
    for d in Dialect::ALL {
        let script = load_script(&model, &contract, d, &dir);
        let path = a.to.join(format!("load-{}.sql", d.key()));
        if let Err(e) = std::fs::write(&path, script) {
            eprintln!("error: can't write `{}`: {e}", path.display());
            return exit::USAGE;
        }
    }
    eprintln!(
        "exported {written} leads to `{}` ({bad_lines} unreadable lines, {bad_leads} leads skipped, {field_errors} values of the wrong type left empty)",
        a.to.display()
    );
    if bad_lines + bad_leads + field_errors + event_errors > 0 {
        exit::DATA
    } else {
        exit::OK
    }
}

/// The first reading of `export`'s leads (`source`, named `name`): the
/// lines whose key an earlier lead had. Within `LEADSCORE_EXPORT_MEMORY`
/// (64 MB unless set) the keys are held; past it they go to temporary
/// files. Lines that can't be read are left to the second reading to
/// report.
fn repeated_keys(name: &str, source: &str, key: &[String]) -> Result<RepeatLines, i32> {
    let budget = memory_budget("LEADSCORE_EXPORT_MEMORY", DEFAULT_BUDGET)?;
    let size = std::fs::metadata(source).ok().map(|m| m.len());
    let mut repeats = Repeats::new(budget, size);
    let cant = |e: std::io::Error| {
        eprintln!("error: finding the repeated keys of `{name}`: {e}");
        exit::USAGE
    };
    let records =
        joined_records(Format::guess(name), open_input(source)?, None, &[], key).map_err(cant)?;
    for record in records {
        if let Record::Lead { line, value } = record.map_err(cant)? {
            if let Some(k) = lookup(&value, key).and_then(key_text) {
                repeats.add(line, &k).map_err(cant)?;
            }
        }
    }
    repeats.finish().map_err(cant)
}
