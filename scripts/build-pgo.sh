#!/usr/bin/env bash
# Builds leadscore with profile-guided optimisation (PGO), for teams that
# re-score millions of leads and want to try it on their machine: an instrumented
# build scores freshly generated leads of both example models (other seeds
# than the benchmark's files), and the release build is then optimised with
# the profile it recorded, with whole-program (fat) link-time optimisation
# and one codegen unit. `cargo build --release` stays the ordinary build.
# It gained about 6% in round sixteen (docs/benchmarks-history.md); by round
# twenty-eight the ordinary build had caught up (docs/benchmarks-history.md).
#
#   bash scripts/build-pgo.sh            # prints the binary's path at the end
#
# Needs rustup (for the llvm-tools component) and python3. Takes about three
# times as long as a release build (two builds, each with fat LTO). Work files go to target/pgo (or $PGO_DIR).
set -euo pipefail
export CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
cd "$(dirname "$0")/.."
root=$PWD
work=${PGO_DIR:-$root/target/pgo}
rustup component add llvm-tools >/dev/null 2>&1 || true
profdata=$(find "$(rustc --print sysroot)" -name llvm-profdata -type f | head -n 1)
if [ -z "$profdata" ]; then
    echo "error: llvm-profdata not found; run \`rustup component add llvm-tools\`" >&2
    exit 1
fi
mkdir -p "$work"
rm -rf "$work/profiles"

echo "== instrumented build" >&2
RUSTFLAGS="-Cprofile-generate=$work/profiles" cargo build --release --target-dir "$work/gen"

echo "== training on generated leads" >&2
python3 benches/gen_leads.py --n 100000 --seed 11 --messy 0.01 >"$work/b2b.jsonl"
python3 benches/gen_plg.py --n 100000 --seed 11 >"$work/plg.jsonl"
train() {
    # Exit 3 (data errors: the messy leads have some) is expected.
    "$work/gen/release/leadscore" score "$@" --as-of 2026-11-01 -o /dev/null -q || [ $? -eq 3 ]
}
train benches/model "$work/b2b.jsonl"
train rules/plg.rules "$work/plg.jsonl"
train rules/b2b data/b2b-leads.jsonl
"$profdata" merge -o "$work/leadscore.profdata" "$work/profiles"

echo "== optimised build" >&2
RUSTFLAGS="-Cprofile-use=$work/leadscore.profdata" cargo build --release --target-dir "$work/use"
echo "$work/use/release/leadscore"
