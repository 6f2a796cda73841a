//! `leadscore serve` against a real server on a loopback port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    start_with(&["--watch"])
}

fn start_with(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.rules");
    std::fs::write(&model, MODEL).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
        .args([
            "serve",
            model.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--max-body",
            "4096",
        ])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || for _ in stderr.lines() {});
    Server { child, addr, dir }
}

/// One HTTP/1.1 request; returns (status, body).
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

const MODEL: &str = "lead {\n  title: text\n  budget: number\n}\nevents {\n  visited(page)\n}\n\"Exec\": title = \"CEO\" -> +10\n\"Pricing\": visited pricing -> +5\nstage hot when score >= 10\notherwise cold\n";

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// A `POST` to `path` that must succeed, and its answer.
fn post_ok(addr: &str, path: &str, body: &str) -> serde_json::Value {
    let (status, answer) = http(addr, "POST", path, body);
    assert_eq!(status, 200, "{answer}");
    json(&answer)
}

#[test]
fn scores_batches_and_explains() {
    let srv = start();
    let v = post_ok(
        &srv.addr,
        "/v1/score?as_of=2026-11-01",
        r#"{"id": "a", "title": "ceo", "events": [{"type": "visited", "page": "pricing", "at": "2026-10-30"}]}"#,
    );
    assert_eq!(
        (v["id"].as_str(), v["score"].as_f64(), v["stage"].as_str()),
        (Some("a"), Some(15.0), Some("hot"))
    );
    assert_eq!(v["fired"], serde_json::json!(["Exec", "Pricing"]));

    let v = post_ok(
        &srv.addr,
        "/v1/score?as_of=2026-11-01",
        r#"[{"id": 1, "title": "CEO"}, {"id": 2}]"#,
    );
    assert_eq!(
        (v[0]["score"].as_f64(), v[1]["stage"].as_str()),
        (Some(10.0), Some("cold"))
    );

    let v = post_ok(
        &srv.addr,
        "/v1/score?as_of=2026-11-01",
        "{\"id\": 1, \"title\": \"CEO\"}\n{\"id\": 2, \"budget\": \"lots\"}\n",
    );
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(
        v[1]["warnings"][0],
        "line 2: `budget` should be a number but is the text \"lots\"; treated as missing"
    );

    let v = post_ok(
        &srv.addr,
        "/v1/score?as_of=2026-11-01&explain=true",
        r#"{"id": "a", "title": "CEO"}"#,
    );
    assert_eq!(
        v["explanation"]["groups"][0]["rules"][0]["because"][0],
        "title = \"CEO\" (title is \"CEO\")"
    );
    assert_eq!(v["explanation"]["stage_because"][0], "score >= 10 (has 10)");
    assert_eq!(v["explanation"]["spelt_otherwise"], serde_json::json!([]));

    // A lead that spells a field otherwise is told so; the key is always
    // `id` here, so a lead without one gets no `--key` advice.
    let v = post_ok(
        &srv.addr,
        "/v1/score?as_of=2026-11-01&explain=true",
        r#"{"lead_id": "a", "Title": "CEO"}"#,
    );
    assert_eq!(
        v["explanation"]["spelt_otherwise"],
        serde_json::json!([
            "no value for `title`, and the lead has `Title` (names match exactly, case included): `title: text from \"Title\"` reads it"
        ])
    );
}

#[test]
fn bad_requests_are_refused_cleanly() {
    let srv = start();
    let (status, body) = http(&srv.addr, "POST", "/v1/score", "{\"id\": 1,\n \"title\": }");
    assert_eq!(status, 400);
    let v = json(&body);
    assert_eq!(
        (v["line"].as_u64(), v["column"].as_u64()),
        (Some(2), Some(11))
    );
    let (status, body) = http(
        &srv.addr,
        "POST",
        "/v1/score",
        "{\"id\": 1}\n{\"id\": 2,}\n",
    );
    assert_eq!(status, 400);
    assert_eq!(json(&body)["line"], 2);
    let (status, _) = http(&srv.addr, "POST", "/v1/score", "42");
    assert_eq!(status, 400);
    let (status, _) = http(&srv.addr, "POST", "/v1/score?as_of=someday", "{}");
    assert_eq!(status, 400);
    let big = format!("{{\"id\": \"{}\"}}", "x".repeat(5000));
    let (status, _) = http(&srv.addr, "POST", "/v1/score", &big);
    assert_eq!(status, 413);
    // Still serving.
    assert_eq!(http(&srv.addr, "GET", "/healthz", "").0, 200);
}

fn wait_for(mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(10), "timed out");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn reload_never_serves_a_broken_model() {
    let srv = start();
    let model_path = srv.dir.path().join("model.rules");
    let first = json(&http(&srv.addr, "GET", "/v1/model", "").1)["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let score = || {
        json(
            &http(
                &srv.addr,
                "POST",
                "/v1/score?as_of=2026-11-01",
                r#"{"title": "CEO"}"#,
            )
            .1,
        )["score"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(score(), 10.0);

    // A good change is picked up.
    std::fs::write(&model_path, MODEL.replace("-> +10", "-> +12")).unwrap();
    wait_for(|| score() == 12.0);
    let second = json(&http(&srv.addr, "GET", "/v1/model", "").1);
    assert_ne!(second["fingerprint"].as_str().unwrap(), first);
    assert!(second["last_reload_failure"].is_null());

    // A broken one is refused: callers see no change.
    std::fs::write(
        &model_path,
        MODEL
            .replace("-> +10", "-> ")
            .replace("title = \"CEO\"", "titel = \"CEO\""),
    )
    .unwrap();
    wait_for(|| !json(&http(&srv.addr, "GET", "/v1/model", "").1)["last_reload_failure"].is_null());
    assert_eq!(score(), 12.0);
    let info = json(&http(&srv.addr, "GET", "/v1/model", "").1);
    assert_eq!(info["fingerprint"], second["fingerprint"]);
    assert_eq!(
        info["last_reload_failure"]["diagnostics"][0]["code"],
        "leadscore::syntax"
    );
    let metrics = http(&srv.addr, "GET", "/metrics", "").1;
    assert!(
        metrics.contains("leadscore_model_reload_failures_total 1"),
        "{metrics}"
    );

    // Fixed again: served, and the failure is cleared.
    std::fs::write(&model_path, MODEL.replace("-> +10", "-> +7")).unwrap();
    wait_for(|| score() == 7.0);
    assert!(json(&http(&srv.addr, "GET", "/v1/model", "").1)["last_reload_failure"].is_null());
}

#[test]
fn sighup_reloads_without_watch() {
    let srv = start_with(&[]);
    let score = || {
        json(
            &http(
                &srv.addr,
                "POST",
                "/v1/score?as_of=2026-11-01",
                r#"{"title": "CEO"}"#,
            )
            .1,
        )["score"]
            .as_f64()
            .unwrap()
    };
    std::fs::write(
        srv.dir.path().join("model.rules"),
        MODEL.replace("-> +10", "-> +4"),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(score(), 10.0, "no --watch: nothing changes by itself");
    let pid = srv.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    wait_for(|| score() == 4.0);
}

#[test]
fn concurrent_requests_all_succeed_and_metrics_count_them() {
    let srv = start();
    let addr = srv.addr.clone();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let body = format!(
                        r#"{{"id": "{t}-{i}", "title": "{}"}}"#,
                        if i % 2 == 0 { "CEO" } else { "Intern" }
                    );
                    let (status, out) = http(&addr, "POST", "/v1/score?as_of=2026-11-01", &body);
                    assert_eq!(status, 200);
                    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                    assert_eq!(v["id"], format!("{t}-{i}"));
                    assert_eq!(
                        v["score"].as_f64().unwrap(),
                        if i % 2 == 0 { 10.0 } else { 0.0 }
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let metrics = http(&srv.addr, "GET", "/metrics", "").1;
    assert!(
        metrics.contains("leadscore_requests_total{route=\"/v1/score\",status=\"200\"} 200"),
        "{metrics}"
    );
    // 8 threads × 13 even and 12 odd requests.
    assert!(
        metrics.contains("leadscore_leads_scored_total{stage=\"hot\"} 104"),
        "{metrics}"
    );
    assert!(
        metrics.contains("leadscore_leads_scored_total{stage=\"cold\"} 96"),
        "{metrics}"
    );
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut srv = start();
    assert_eq!(http(&srv.addr, "GET", "/healthz", "").0, 200);
    let pid = srv.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    loop {
        if let Some(status) = srv.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A request of more leads than one evaluation batch (64) holds: every
/// result in input order, each lead scored as on its own.
#[test]
fn many_leads_in_one_request_keep_their_order() {
    let srv = start();
    let n = 130;
    let body: String = (0..n)
        .map(|i| {
            if i % 3 == 0 {
                format!("{{\"id\":{i},\"title\":\"CEO\"}}\n")
            } else {
                format!("{{\"id\":{i}}}\n")
            }
        })
        .collect();
    let (status, out) = http(&srv.addr, "POST", "/v1/score?as_of=2026-11-01", &body);
    assert_eq!(status, 200, "{out}");
    let v = json(&out);
    let got: Vec<(i64, f64, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["score"].as_f64().unwrap(),
                r["stage"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(i64, f64, &str)> = (0..n)
        .map(|i| {
            if i % 3 == 0 {
                (i, 10.0, "hot")
            } else {
                (i, 0.0, "cold")
            }
        })
        .collect();
    assert_eq!(got, want);
}
