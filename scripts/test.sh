#!/usr/bin/env bash
# The test command: installs what the tests need, then runs formatting,
# lint and the whole test suite. `.ci/run` calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

# Test-only tools: rustfmt and clippy come with the toolchain; make sure.
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

# The SQL tests run the generated queries on DuckDB (its Python package),
# on a throwaway PostgreSQL server ...
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q "duckdb==2.0.0"
# ... and on Spark, in local mode (pyspark needs a Java runtime).
command -v java >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null)
python3 -c "import pyspark" 2>/dev/null || python3 -m pip install -q "pyspark==3.5.3"
source scripts/pg.sh
trap stop_pg EXIT

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet

log=$(mktemp)
set +e
cargo test --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
