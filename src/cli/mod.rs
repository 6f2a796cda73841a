//! The `leadscore` command line. Every subcommand uses the same exit codes:
//! see [`exit`].

mod model_cmds;
mod render;

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
}

#[derive(Parser)]
#[command(name = "leadscore", version, about = "Compile, check, test and run lead-qualification rules")]
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
}

pub fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
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
    }
}
