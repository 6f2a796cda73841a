//! leadscore: a compiler and evaluator for a human-readable lead-qualification
//! language.
//!
//! The pipeline: [`syntax`] (text → [`ast`]) → [`check`] (names, types,
//! lints → a checked [`check::Model`]) → [`eval`] (scores leads) →
//! [`explain`] (says why). [`reference`](mod@reference) is a deliberately plain interpreter
//! over the AST that the evaluator is tested against. [`io`] reads and writes
//! lead data. Errors are data ([`diag::Diagnostic`]); only the CLI renders them.
// `unsafe` is denied everywhere but in `io::mapped`, which maps files (see there).
#![deny(unsafe_code)]
// The module docs are written for contributors and link the private items
// they describe; `cargo doc --document-private-items` renders those links.
#![allow(rustdoc::private_intra_doc_links)]

pub mod ast;
pub mod backtest;
pub mod check;
pub mod diag;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod io;
pub mod load;
pub mod num;
pub mod plan;
pub mod reference;
pub mod source;
pub mod sql;
pub mod syntax;
pub mod tally;
pub mod testing;
pub mod text;
pub mod time;
pub mod ways;
