#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for SECONDS_PER_TARGET seconds (default 30), one after the other, on one
# core, starting from the committed seed corpus (fuzz/seeds/<target>) plus what earlier runs found
# (fuzz/corpus/<target>, not committed). Fails on the first crash, leak, timeout or out-of-memory; the
# input that caused it is left in fuzz/artifacts/<target>/. Prints executions per second and corpus size
# per target. Installs cargo-fuzz when missing; builds with RUSTC_BOOTSTRAP=1 on a stable toolchain.
#
#   tools/fuzz.sh            # 30 s per target (CI runs `tools/fuzz.sh 10`)
#   tools/fuzz.sh 600        # a long run: 10 minutes per target
#   TARGETS="nifti model" tools/fuzz.sh 60
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-30}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=${TARGETS:-$(cargo fuzz list)}

# -a: debug assertions on, so that integer overflow is a crash too.
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} cargo fuzz build -a

summary=()
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log=$(mktemp)
  echo "== fuzz $t for ${seconds}s"
  # -rss_limit_mb / -malloc_limit_mb: an attempted huge allocation is a failure, not a slow run.
  # -jobs=1 -workers=1: one fuzzing process on one core; libFuzzer then writes its output to fuzz-0.log.
  rm -f fuzz-*.log
  status=0
  cargo fuzz run -a "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$seconds" -jobs=1 -workers=1 -timeout=20 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/" >"$log" 2>&1 || status=$?
  cat fuzz-*.log >>"$log" 2>/dev/null || true
  rm -f fuzz-*.log
  if [ "$status" -ne 0 ] || grep -q "^==[0-9]*==ERROR\|^SUMMARY: \|deadly signal\|panicked at" "$log"; then
    tail -n 60 "$log"
    echo "fuzz target '$t' FAILED; the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(ls "corpus/$t" | wc -l)
  summary+=("$(printf '%-14s %4ss %10s runs %7s exec/s %6s corpus files' "$t" "$seconds" "$runs" "$speed" "$corpus")")
  rm -f "$log"
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
