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
cargo test --locked
