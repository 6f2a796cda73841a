//! Reading leads and writing results.

pub mod input;
pub mod output;
pub mod pipeline;
pub mod project;
pub mod record;
