//! Reading leads and writing results.

pub mod buckets;
pub mod fold;
pub mod input;
pub mod join;
pub mod mapped;
pub mod output;
pub mod par;
pub mod pipeline;
pub mod project;
pub mod record;
pub mod repeats;
pub mod scratch;
pub mod unseen;
