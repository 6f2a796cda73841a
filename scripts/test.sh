#!/usr/bin/env bash
# The test command: installs what the tests need, then runs formatting,
# lint and the whole test suite. `.ci/run` calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

# Test-only tools: rustfmt and clippy come with the toolchain; make sure.
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

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
