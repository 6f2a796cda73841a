//! Criterion benchmarks: checking a 10,000-rule model, evaluating leads in
//! memory, and reading + scoring JSON lines. Run with `cargo bench`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use leadscore::eval::Evaluator;
use leadscore::io::record::lead_from_json;
use std::path::Path;

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

fn b2b() -> leadscore::check::Model {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/b2b");
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
    g.bench_function("b2b model, in memory, one core", |b| {
        b.iter(|| {
            leads
                .iter()
                .map(|l| ev.evaluate(l, as_of).score)
                .sum::<i64>()
        })
    });
    g.bench_function("b2b model, JSON line to output line", |b| {
        b.iter_batched(
            || text.lines().collect::<Vec<_>>(),
            |lines| {
                let mut n = 0;
                for l in lines {
                    let v = leadscore::io::input::parse_json_line(l, 1).unwrap();
                    let lead = lead_from_json(&model, &v, &key, 1, &mut Vec::new());
                    n += leadscore::io::output::json_line(
                        &model,
                        &lead.id,
                        &ev.evaluate(&lead, as_of),
                    )
                    .len();
                }
                n
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_check, bench_eval);
criterion_main!(benches);
