//! `leadscore serve`: score leads over HTTP, reload the model without ever
//! serving a broken one.

use super::exit;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leadscore::check::Model;
use leadscore::diag::Severity;
use leadscore::eval::{Evaluator, Memo, Outcome};
use leadscore::io::output::{Line, Names};
use leadscore::io::record::lead_from_json;
use leadscore::io::unseen::{Seen, Unseen};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

/// A checked model ready to serve.
struct Loaded {
    model: Model,
    /// Compiled once per model, not once per request.
    plan: leadscore::plan::Plan,
    names: Names,
    fingerprint: String,
    files: Vec<String>,
    loaded_at: String,
}

/// Latency buckets, in seconds.
const BUCKETS: [f64; 10] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0,
];

#[derive(Default)]
struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    buckets: [AtomicU64; 10],
    count: AtomicU64,
    sum_micros: AtomicU64,
    by_stage: Mutex<BTreeMap<String, u64>>,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

struct App {
    path: PathBuf,
    current: RwLock<Arc<Loaded>>,
    /// Diagnostics of the last failed reload, cleared by a good one.
    last_failure: Mutex<Option<Json>>,
    metrics: Metrics,
}

/// FNV-1a over the files' names and contents: changes when any file does.
fn fingerprint(sources: &leadscore::source::Sources) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &sources.files {
        for b in f.name().bytes().chain([0]).chain(f.text.bytes()).chain([0]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Reads and checks the model: the loaded model, or its diagnostics as JSON.
fn load(path: &Path) -> Result<Loaded, Json> {
    let sources =
        leadscore::load::read_sources(path).map_err(|e| json!([{"message": e.to_string()}]))?;
    let fingerprint = fingerprint(&sources);
    let files = sources.files.iter().map(|f| f.name()).collect();
    let checked = leadscore::load::check_sources(sources);
    match checked.model {
        Some(model) => Ok(Loaded {
            names: Names::new(&model),
            plan: leadscore::plan::compile(&model),
            model,
            fingerprint,
            files,
            loaded_at: leadscore::time::format_time(leadscore::time::now()),
        }),
        None => {
            let errors: Vec<Json> = checked
                .diagnostics
                .iter()
                .filter(|d| d.severity() == Severity::Error)
                .map(|d| {
                    let loc = checked.sources.locate(d.primary_span());
                    json!({"code": d.code.as_str(), "message": d.message, "help": d.help, "file": loc.file, "line": loc.line, "column": loc.column})
                })
                .collect();
            Err(Json::Array(errors))
        }
    }
}

impl App {
    fn model(&self) -> Arc<Loaded> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the model; only one that checks clean replaces the running one.
    fn reload(&self, why: &str) {
        match load(&self.path) {
            Ok(loaded) => {
                let changed = loaded.fingerprint != self.model().fingerprint;
                if changed {
                    eprintln!(
                        "reloaded `{}` ({why}): fingerprint {}",
                        self.path.display(),
                        loaded.fingerprint
                    );
                }
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
                self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
            }
            Err(diagnostics) => {
                self.metrics.reload_failures.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "reload of `{}` failed ({why}); still serving fingerprint {}: {}",
                    self.path.display(),
                    self.model().fingerprint,
                    diagnostics
                );
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(json!({
                    "at": leadscore::time::format_time(leadscore::time::now()),
                    "diagnostics": diagnostics,
                }));
            }
        }
    }
}

fn error(status: StatusCode, body: Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct ScoreQuery {
    as_of: Option<String>,
    #[serde(default)]
    explain: bool,
}

/// The leads in a body: one object, an array, or JSON Lines. On bad JSON,
/// the line and column of the problem.
fn leads_of(body: &[u8]) -> Result<(Vec<Json>, bool), (StatusCode, Json)> {
    let bad = |e: serde_json::Error, line: usize| {
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid JSON", "message": e.to_string(), "line": line, "column": e.column()}),
        )
    };
    match serde_json::from_slice::<Json>(body) {
        Ok(Json::Array(items)) => Ok((items, true)),
        Ok(v @ Json::Object(_)) => Ok((vec![v], false)),
        Ok(_) => Err((
            StatusCode::BAD_REQUEST,
            json!({"error": "the body must be a lead (a JSON object), an array of leads, or JSON Lines"}),
        )),
        Err(e) => {
            let text = std::str::from_utf8(body).map_err(|_| {
                (
                    StatusCode::BAD_REQUEST,
                    json!({"error": "the body is not UTF-8"}),
                )
            })?;
            let lines: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .collect();
            // JSON Lines when the first line is a whole value on its own;
            // otherwise one (multi-line) document with an error in it.
            let first_is_whole = lines
                .first()
                .is_some_and(|(_, l)| serde_json::from_str::<Json>(l).is_ok());
            if lines.len() < 2 || !first_is_whole {
                let line = e.line();
                return Err(bad(e, line));
            }
            let mut out = Vec::new();
            for (i, l) in lines {
                match serde_json::from_str::<Json>(l) {
                    Ok(v @ Json::Object(_)) => out.push(v),
                    Ok(_) => {
                        return Err((
                            StatusCode::BAD_REQUEST,
                            json!({"error": "each JSON Lines line must be a lead (a JSON object)", "line": i + 1}),
                        ))
                    }
                    Err(e) => return Err(bad(e, i + 1)),
                }
            }
            Ok((out, true))
        }
    }
}

async fn score(
    State(app): State<Arc<App>>,
    Query(q): Query<ScoreQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            return error(rejection.status(), json!({"error": rejection.body_text()}))
        }
    };
    let as_of = match &q.as_of {
        None => leadscore::time::now(),
        Some(t) => match leadscore::time::parse_time(t) {
            Some(t) => t,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({"error": format!("`as_of` {t:?} is not a time: use RFC 3339, YYYY-MM-DD or a Unix time")}),
                )
            }
        },
    };
    let (leads, batch) = match leads_of(&body) {
        Ok(l) => l,
        Err((status, body)) => return error(status, body),
    };
    let loaded = app.model();
    let model = &loaded.model;
    let ev = Evaluator::with_plan(model, &loaded.plan);
    let key = ["id".to_string()];
    let mut results = Vec::with_capacity(leads.len());
    let mut stages: BTreeMap<String, u64> = BTreeMap::new();
    // Every lead of the request read first, then evaluated as batches.
    let (read, errors): (Vec<_>, Vec<_>) = leads
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut errors = Vec::new();
            let lead = lead_from_json(model, v, &key, i as u64 + 1, &mut errors);
            (lead, errors)
        })
        .unzip();
    let mut outcomes = vec![Outcome::default(); read.len()];
    ev.evaluate_batch(&read, as_of, &mut outcomes, &mut Memo::default());
    // One line buffer for the whole request, as each scoring worker keeps.
    let mut out = Line::default();
    for (((lead, o), errors), v) in read.iter().zip(&outcomes).zip(&errors).zip(&leads) {
        out.clear();
        out.result(&loaded.names, &lead.id, o);
        let mut line = String::from_utf8_lossy(out.bytes()).into_owned();
        *stages.entry(o.stage_name(model).to_string()).or_default() += 1;
        if !errors.is_empty() || q.explain {
            let mut obj: Json = serde_json::from_str(&line).unwrap_or(Json::Null);
            if !errors.is_empty() {
                obj["warnings"] = errors.iter().map(|e| Json::String(e.to_string())).collect();
            }
            if q.explain {
                let notes = errors.iter().map(|e| e.to_string()).collect();
                let mut x = leadscore::explain::explain(&ev, lead, as_of, true, notes);
                // The key is always `id` here: no `--key` to suggest.
                let unseen: Vec<_> = Seen::in_one_lead(model, lead, v.to_string(), &key)
                    .into_iter()
                    .filter(|u| !matches!(u, Unseen::Key { .. }))
                    .collect();
                x.spelt_otherwise = super::unseen::for_one_lead(model, "id", &unseen);
                obj["explanation"] = serde_json::to_value(&x).unwrap_or(Json::Null);
            }
            line = obj.to_string();
        }
        results.push(line);
    }
    {
        let mut by_stage = app
            .metrics
            .by_stage
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (s, n) in stages {
            *by_stage.entry(s).or_default() += n;
        }
    }
    let body = if batch {
        format!("[{}]", results.join(","))
    } else {
        results.pop().unwrap_or_default()
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn model_info(State(app): State<Arc<App>>) -> Response {
    let loaded = app.model();
    let failure = app
        .last_failure
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let body = json!({
        "fingerprint": loaded.fingerprint,
        "files": loaded.files,
        "rules": loaded.model.rules.len(),
        "groups": loaded.model.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
        "stages": loaded.model.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "loaded_at": loaded.loaded_at,
        "last_reload_failure": failure,
    });
    error(StatusCode::OK, body)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    use std::fmt::Write;
    let m = &app.metrics;
    let mut out = String::from("# HELP leadscore_requests_total HTTP requests by route and status.\n# TYPE leadscore_requests_total counter\n");
    for ((route, status), n) in m.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(
            out,
            "leadscore_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    out.push_str("# HELP leadscore_request_duration_seconds Time to answer a request.\n# TYPE leadscore_request_duration_seconds histogram\n");
    for (i, le) in BUCKETS.iter().enumerate() {
        let _ = writeln!(
            out,
            "leadscore_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
            m.buckets[i].load(Ordering::Relaxed)
        );
    }
    let count = m.count.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "leadscore_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
    );
    let _ = writeln!(
        out,
        "leadscore_request_duration_seconds_sum {}",
        m.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    );
    let _ = writeln!(out, "leadscore_request_duration_seconds_count {count}");
    out.push_str("# HELP leadscore_leads_scored_total Leads scored, by the stage they reached.\n# TYPE leadscore_leads_scored_total counter\n");
    for (stage, n) in m.by_stage.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(out, "leadscore_leads_scored_total{{stage=\"{stage}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP leadscore_model_reloads_total Successful model reloads.\n# TYPE leadscore_model_reloads_total counter\nleadscore_model_reloads_total {}", m.reloads.load(Ordering::Relaxed));
    let _ = writeln!(out, "# HELP leadscore_model_reload_failures_total Reloads refused because the model had errors.\n# TYPE leadscore_model_reload_failures_total counter\nleadscore_model_reload_failures_total {}", m.reload_failures.load(Ordering::Relaxed));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// Counts every request and times it.
async fn observe(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = req.uri().path().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let m = &app.metrics;
    for (i, le) in BUCKETS.iter().enumerate() {
        if secs <= *le {
            m.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    m.count.fetch_add(1, Ordering::Relaxed);
    m.sum_micros
        .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    let route = if ["/v1/score", "/v1/model", "/healthz", "/metrics"].contains(&route.as_str()) {
        route
    } else {
        "other".into()
    };
    *m.requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((route, response.status().as_u16()))
        .or_default() += 1;
    response
}

/// What the model's files look like now: names, sizes, modification times.
fn snapshot(path: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    leadscore::load::rule_files(path)
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            let meta = std::fs::metadata(&f).ok();
            let len = meta.as_ref().map(|m| m.len()).unwrap_or(0);
            let modified = meta.and_then(|m| m.modified().ok());
            (f, len, modified)
        })
        .collect()
}

async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {},
    }
    eprintln!("shutting down: finishing requests in flight");
}

pub fn run(model: PathBuf, addr: String, watch: bool, max_body: usize) -> i32 {
    let loaded = match load(&model) {
        Ok(l) => l,
        Err(diagnostics) => {
            eprintln!("error: the model `{}` has errors: {diagnostics}\nrun `leadscore check {}` for details", model.display(), model.display());
            return exit::MODEL;
        }
    };
    let app = Arc::new(App {
        path: model,
        current: RwLock::new(Arc::new(loaded)),
        last_failure: Mutex::new(None),
        metrics: Metrics::default(),
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: can't start the server: {e}");
            return exit::USAGE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: can't listen on `{addr}`: {e}");
                return exit::USAGE;
            }
        };
        let local = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
        eprintln!(
            "listening on http://{local} (model fingerprint {})",
            app.model().fingerprint
        );
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            let app = app.clone();
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    let app = app.clone();
                    let _ = tokio::task::spawn_blocking(move || app.reload("SIGHUP")).await;
                }
            });
        }
        if watch {
            let app = app.clone();
            tokio::spawn(async move {
                let mut seen = snapshot(&app.path);
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    let now = snapshot(&app.path);
                    if now != seen {
                        seen = now;
                        let app = app.clone();
                        let _ =
                            tokio::task::spawn_blocking(move || app.reload("file changed")).await;
                    }
                }
            });
        }
        let router = Router::new()
            .route("/v1/score", post(score))
            .route("/v1/model", get(model_info))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .layer(middleware::from_fn_with_state(app.clone(), observe))
            .layer(DefaultBodyLimit::max(max_body))
            .with_state(app);
        match axum::serve(listener, router)
            .with_graceful_shutdown(shutdown())
            .await
        {
            Ok(()) => exit::OK,
            Err(e) => {
                eprintln!("error: {e}");
                exit::USAGE
            }
        }
    })
}
