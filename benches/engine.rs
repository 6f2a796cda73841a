//! Criterion benchmarks: checking a 10,000-rule model, evaluating leads in
//! memory, and reading + scoring JSON lines. Run with `cargo bench`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leadscore::eval::Evaluator;
use leadscore::io::record::lead_from_json;
use std::path::Path;

// The allocator the `leadscore` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A model of `n` rules over a realistic schema, in groups of 50.
pub fn big_model(n: usize) -> String {
    let mut out = String::from(
        "lead {\n  title: text\n  email: text\n  company.employees: number\n  company.tech: list of text\n  budget: number\n  authority: bool\n}\nevents {\n  visited(page)\n  downloaded(asset)\n}\nlist execs = [\"CEO\", \"CFO\", \"VP Sales\"]\n",
    );
    for g in 0..n.div_ceil(50) {
        out.push_str(&format!("group g{g} max 100 decay 10% every 30 days {{\n"));
        for i in 0..50.min(n - g * 50) {
            let k = g * 50 + i;
            let cond = match k % 6 {
                0 => format!("title in execs and company.employees > {k}"),
                1 => format!("visited \"/page/{k}\" at least twice in the last 30 days"),
                2 => format!("company.tech includes \"tool{k}\" or budget >= {k}"),
                3 => format!("title matches \"^(vp|head) {k}\""),
                4 => format!("downloaded where asset starts with \"a{k}\" within 2 weeks"),
                _ => format!("not authority and domain(email) = \"d{k}.com\""),
            };
            out.push_str(&format!("  \"r{k}\": {cond} -> +{}\n", 1 + k % 7));
        }
        out.push_str("}\n");
    }
    out.push_str("stage hot when score >= 50\notherwise cold\n");
    out
}

fn bench_check(c: &mut Criterion) {
    let text = big_model(10_000);
    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    g.bench_function("10000 rules", |b| {
        b.iter(|| {
            let checked = leadscore::load::check_text("big.rules", &text);
            assert!(checked.model.is_some());
        })
    });
    g.finish();
}

/// The 44-rule benchmark model (the B2B schema with more rules).
fn b2b() -> leadscore::check::Model {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/model");
    leadscore::load::load(&dir).unwrap().model.unwrap()
}

fn bench_eval(c: &mut Criterion) {
    let model = b2b();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/b2b-leads.jsonl"))
            .unwrap();
    let key = vec!["id".to_string()];
    let leads: Vec<_> = text
        .lines()
        .map(|l| {
            lead_from_json(
                &model,
                &serde_json::from_str(l).unwrap(),
                &key,
                1,
                &mut Vec::new(),
            )
        })
        .collect();
    let as_of = leadscore::time::parse_time("2026-11-01").unwrap();
    let ev = Evaluator::new(&model);
    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(leads.len() as u64));
    // Scored as the pipeline scores them: in batches (all 40 leads in one).
    let mut outs = vec![leadscore::eval::Outcome::default(); leads.len()];
    let mut memo = leadscore::eval::Memo::default();
    g.bench_function("44-rule model, in memory, one core", |b| {
        b.iter(|| {
            ev.evaluate_batch(&leads, as_of, &mut outs, &mut memo);
            outs.iter().map(|o| o.score).sum::<i64>()
        })
    });
    let projection = leadscore::io::project::Projection::for_scoring(&model, &key);
    let names = leadscore::io::output::Names::new(&model);
    let mut scratch = leadscore::io::project::Scratch::default();
    let mut slots: Vec<leadscore::eval::Lead> = (0..leads.len())
        .map(|_| leadscore::eval::Lead::default())
        .collect();
    let mut errors = Vec::new();
    let mut out = String::new();
    let lines: Vec<&str> = text.lines().collect();
    g.bench_function("44-rule model, JSON line to output line, one core", |b| {
        b.iter(|| {
            out.clear();
            for (l, lead) in lines.iter().zip(&mut slots) {
                errors.clear();
                let ok = leadscore::io::project::project(
                    &projection,
                    &model,
                    l,
                    1,
                    &mut scratch,
                    lead,
                    &mut errors,
                );
                assert!(ok);
            }
            ev.evaluate_batch(&slots, as_of, &mut outs, &mut memo);
            for (lead, o) in slots.iter().zip(&outs) {
                leadscore::io::output::write_json_line(&names, &lead.id, o, &mut out);
            }
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_check, bench_eval);
criterion_main!(benches);
