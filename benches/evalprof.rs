//! The in-memory evaluation loop alone, for instruction counts (the figure
//! `docs/benchmarks.md` gives as "instructions a lead in memory"): the 40
//! bundled leads, read once, evaluated in one batch `ROUNDS` times with the
//! benchmark model, as `score` evaluates them. Run it under callgrind, then
//! divide the instructions of `evaluate_batch` (inclusive) by 40 × ROUNDS:
//!
//! ```sh
//! cargo bench --bench evalprof --no-run   # prints the binary's path
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.eval target/release/deps/evalprof-…
//! callgrind_annotate --inclusive=yes /tmp/cg.eval | grep evaluate_batch
//! ```
//!
//! Run directly (`cargo bench --bench evalprof`), it prints leads per second
//! for a quick wall-clock look; criterion's `engine` bench is the careful one.

use leadscore::eval::{Evaluator, Memo, Outcome};
use leadscore::io::record::lead_from_json;
use std::path::Path;

// The allocator the `leadscore` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 20_000;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = leadscore::load::load(&root.join("benches/model"))
        .expect("the benchmark model loads")
        .model
        .expect("the benchmark model checks");
    let text = std::fs::read_to_string(root.join("data/b2b-leads.jsonl"))
        .expect("the bundled leads are readable");
    let key = vec!["id".to_string()];
    let leads: Vec<_> = text
        .lines()
        .map(|l| {
            let json = serde_json::from_str(l).expect("the bundled leads are JSON");
            lead_from_json(&model, &json, &key, 1, &mut Vec::new())
        })
        .collect();
    let as_of = leadscore::time::parse_time("2026-11-01").expect("a valid time");
    let ev = Evaluator::new(&model);
    let mut outs = vec![Outcome::default(); leads.len()];
    let mut memo = Memo::default();
    let start = std::time::Instant::now();
    let mut total = 0i64;
    for _ in 0..ROUNDS {
        ev.evaluate_batch(&leads, as_of, &mut outs, &mut memo);
        total = total.wrapping_add(outs.iter().map(|o| o.score).sum::<i64>());
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (leads.len() * ROUNDS) as f64;
    println!(
        "{} leads in {secs:.3} s: {:.2}M leads/s (checksum {total})",
        n,
        n / secs / 1e6
    );
}
