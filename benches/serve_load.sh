#!/usr/bin/env bash
# Load benchmark for `leadscore serve` (loopback only, bounded in time):
# single-lead POST /v1/score requests on the bundled B2B model.
#   bash benches/serve_load.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns="${2:-4}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
port=18181
./target/release/leadscore serve rules/b2b --addr "127.0.0.1:$port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
lead=$(head -1 data/b2b-leads.jsonl | sed 's/\\/\\\\/g; s/"/\\"/g')
script=$(mktemp --suffix .lua)
cat > "$script" <<LUA
wrk.method = "POST"
wrk.body = "$lead"
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$script" "http://127.0.0.1:$port/v1/score?as_of=2026-11-01"
