//! The `leadscore` command line. Every subcommand uses the same exit codes:
//! see [`exit`].

mod backtest_cmd;
mod diff_cmd;
mod explain_cmd;
mod model_cmds;
mod out_file;
mod render;
mod score_cmd;
mod serve;
mod sql_cmd;
mod test_cmd;
mod unseen;
mod value_errors;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Exit codes, the same for every subcommand.
pub mod exit {
    /// Clean run (warnings allowed).
    pub const OK: i32 = 0;
    /// The model has errors, tests failed, or a gate was not met.
    pub const MODEL: i32 = 1;
    /// Bad usage, or a path that can't be read.
    pub const USAGE: i32 = 2;
    /// Lead data had errors (the output is still complete).
    pub const DATA: i32 = 3;
    /// The output's reader closed it before the run finished (128 plus
    /// `SIGPIPE`'s number, what a shell reports for a program it killed).
    pub const CLOSED_PIPE: i32 = 141;
}

#[derive(Parser)]
#[command(
    name = "leadscore",
    version,
    about = "Compile, check, test and run lead-qualification rules"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiagFormat {
    Human,
    Json,
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutFormat {
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum InFormat {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
enum Command {
    /// Check a model for errors and warnings.
    Check {
        /// A `.rules` file or a directory of them.
        model: PathBuf,
        #[arg(long, value_enum, default_value = "human")]
        format: DiagFormat,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Rewrite rule files in the canonical layout.
    Fmt {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write nothing; list the files that would change and exit 1 if any.
        #[arg(long, conflicts_with = "stdout")]
        check: bool,
        /// Print the formatted text instead of rewriting files.
        #[arg(long)]
        stdout: bool,
    },
    /// Print the compiled evaluation plan, each step with its source location.
    Plan {
        /// A `.rules` file or a directory of them.
        model: PathBuf,
    },
    /// Explain one lead's score and stage, rule by rule.
    Explain {
        /// A `.rules` file or a directory of them.
        model: PathBuf,
        /// JSON Lines or CSV file of leads; `-` reads standard input.
        leads: String,
        /// The lead's id (the `--key` field).
        #[arg(long, conflicts_with = "line")]
        id: Option<String>,
        /// The lead on this line (1-based).
        #[arg(long)]
        line: Option<u64>,
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, default_value = "id")]
        key: String,
        /// Also list the rules that did not fire, and why.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: explain_cmd::ExplainFormat,
        /// Events to join to the lead by `lead_id` (CSV or JSON Lines).
        #[arg(long)]
        events: Option<String>,
    },
    /// Print the model as one SQL query (DuckDB, Spark SQL or PostgreSQL).
    Sql(sql_cmd::SqlArgs),
    /// Write leads as the CSV tables the SQL query reads, with load scripts.
    Export(sql_cmd::ExportArgs),
    /// Serve scores over HTTP (POST /v1/score), reloading the model safely.
    Serve {
        /// A `.rules` file or a directory of them.
        model: PathBuf,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Reload the model when its files change (a broken model is never served).
        #[arg(long)]
        watch: bool,
        /// Largest request body in bytes; larger ones get 413.
        #[arg(long, default_value_t = 1 << 20)]
        max_body: usize,
    },
    /// Check the model against real outcomes: which stages and rules predict conversion.
    Backtest {
        /// A `.rules` file or a directory of them.
        model: PathBuf,
        /// JSON Lines or CSV file of leads.
        leads: String,
        /// CSV or JSON Lines with `lead_id`, `converted` (true/false, won/lost) and optional `scored_at`.
        #[arg(long)]
        outcomes: String,
        /// Score leads whose outcome has no `scored_at` as of this time.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, default_value = "id")]
        key: String,
        /// Also break conversion down by the values of this field (a path in the lead).
        #[arg(long, value_name = "FIELD")]
        by: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: backtest_cmd::BacktestFormat,
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// A rule that fired (or did not) for fewer leads than this is too rare to judge.
        #[arg(long, default_value_t = 20)]
        min_leads: u64,
        /// Events to join to the leads by `lead_id` (CSV or JSON Lines).
        #[arg(long)]
        events: Option<String>,
    },
    /// Compare two versions of a model on the same leads: who changes stage, and why.
    Diff {
        /// OLD NEW LEADS, or with `--base`: NEW LEADS.
        #[arg(required = true, num_args = 2..=3, value_name = "PATHS")]
        paths: Vec<String>,
        /// Read the old model from git at this revision (same path as NEW).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, default_value = "id")]
        key: String,
        #[arg(long, value_enum, default_value = "human")]
        format: diff_cmd::DiffFormat,
        /// How many of the biggest movers to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Exit 1 when more than this percentage of leads change stage.
        #[arg(long, value_name = "PERCENT")]
        fail_on_stage_change: Option<f64>,
        /// Events to join to the leads by `lead_id` (CSV or JSON Lines).
        #[arg(long)]
        events: Option<String>,
    },
    /// Run the model's `test` blocks and report rule coverage.
    Test {
        /// A `.rules` file or a directory of them.
        model: PathBuf,
        #[arg(long, value_enum, default_value = "human")]
        format: test_cmd::TestFormat,
        /// Fail when fewer than this percentage of rules fired in some test.
        #[arg(long, value_name = "PERCENT")]
        min_coverage: Option<f64>,
        /// Run only tests whose name contains this text.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Score leads: one JSON object (or CSV row) per lead, in input order.
    Score {
        /// A `.rules` file or a directory of them.
        model: PathBuf,
        /// JSON Lines or CSV file of leads; `-` reads standard input.
        leads: String,
        /// Score as of this time (RFC 3339, YYYY-MM-DD or a Unix time); default now.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: OutFormat,
        /// Input format; by default guessed from the file name (`.csv` or JSON Lines).
        #[arg(long, value_enum)]
        input_format: Option<InFormat>,
        /// Write results here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The field that identifies a lead.
        #[arg(long, default_value = "id")]
        key: String,
        /// Events to join to the leads by `lead_id` (CSV or JSON Lines).
        #[arg(long)]
        events: Option<String>,
        /// Write every skipped input line here, verbatim.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Write every data error here, one JSON object a line.
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Stop at the first data error (exit 3).
        #[arg(long)]
        strict: bool,
        /// Threads to score on (default, or 0: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Print no per-error lines and no summary.
        #[arg(long, short)]
        quiet: bool,
    },
}

pub fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// When whoever reads our output goes away (`leadscore plan m | head`),
/// printing fails; Rust's print macros then panic, which would end the run
/// with exit code 101 and a panic message. Instead such a panic is not
/// reported, and [`run_to_end`] ends the run quietly with
/// [`exit::CLOSED_PIPE`], as a program killed by `SIGPIPE` would, once the
/// panic has unwound (so temporary files, such as a spilled `--events`
/// join's, are removed). Every other panic is reported as usual.
pub fn quiet_on_closed_pipe() {
    let usual = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            PIPE_CLOSED.store(true, std::sync::atomic::Ordering::SeqCst);
            return;
        }
        usual(info);
    }));
}

static PIPE_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs the command line: its exit code, [`exit::CLOSED_PIPE`] when the
/// output was closed under it. Any other panic goes on unwinding.
pub fn run_to_end() -> i32 {
    let result = std::panic::catch_unwind(run);
    // After Ctrl-C, the code is the signal's (see `io::scratch`).
    leadscore::io::scratch::wait_if_signalled();
    match result {
        Ok(code) => code,
        Err(_) if PIPE_CLOSED.load(std::sync::atomic::Ordering::SeqCst) => exit::CLOSED_PIPE,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

pub fn run() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            model,
            format,
            deny_warnings,
        } => model_cmds::check(&model, format, deny_warnings),
        Command::Fmt {
            paths,
            check,
            stdout,
        } => model_cmds::fmt(&paths, check, stdout),
        Command::Sql(a) => sql_cmd::sql(a),
        Command::Export(a) => sql_cmd::export(a),
        Command::Plan { model } => match model_cmds::load_model(&model) {
            Ok(m) => {
                let plan = leadscore::plan::compile(&m);
                print!("{}", leadscore::plan::print::print(&m, &plan));
                exit::OK
            }
            Err(code) => code,
        },
        Command::Explain {
            model,
            leads,
            id,
            line,
            as_of,
            key,
            all,
            format,
            events,
        } => explain_cmd::run(explain_cmd::ExplainArgs {
            model,
            leads,
            id,
            line,
            as_of,
            key,
            all,
            format,
            events,
        }),
        Command::Serve {
            model,
            addr,
            watch,
            max_body,
        } => serve::run(model, addr, watch, max_body),
        Command::Backtest {
            model,
            leads,
            outcomes,
            as_of,
            key,
            by,
            format,
            output,
            min_leads,
            events,
        } => backtest_cmd::run(backtest_cmd::BacktestArgs {
            model,
            leads,
            outcomes,
            as_of,
            key,
            by,
            format,
            output,
            min_leads,
            events,
        }),
        Command::Diff {
            paths,
            base,
            as_of,
            key,
            format,
            top,
            fail_on_stage_change,
            events,
        } => diff_cmd::run(diff_cmd::DiffArgs {
            paths,
            base,
            as_of,
            key,
            format,
            top,
            fail_on_stage_change,
            events,
        }),
        Command::Test {
            model,
            format,
            min_coverage,
            filter,
        } => test_cmd::run(&model, format, min_coverage, filter.as_deref()),
        Command::Score {
            model,
            leads,
            as_of,
            format,
            input_format,
            output,
            key,
            events,
            rejects,
            errors,
            strict,
            threads,
            quiet,
        } => score_cmd::run(score_cmd::ScoreArgs {
            model,
            leads,
            as_of,
            format: match format {
                OutFormat::Json => leadscore::io::pipeline::OutputFormat::Json,
                OutFormat::Csv => leadscore::io::pipeline::OutputFormat::Csv,
            },
            input_format: input_format.map(|f| match f {
                InFormat::Jsonl => leadscore::io::input::Format::Jsonl,
                InFormat::Csv => leadscore::io::input::Format::Csv,
            }),
            output,
            key,
            events,
            rejects,
            errors,
            strict,
            threads,
            quiet,
        }),
    }
}
