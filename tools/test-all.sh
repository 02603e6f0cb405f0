#!/usr/bin/env bash
# Runs every test of the project: the Rust suites (unit, integration, parity, property), then the C, C++ and
# Python checks of the C ABI when their script is present. Reference data: $RADIOMICS_TEST_DATA, else
# ../shared/data beside the repository (tests that need it skip with a notice where neither exists).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test"
cargo test --release --all-targets

if [ -f tests/c/run.sh ]; then
  echo "== C ABI: C, C++ and Python"
  RADIOMICS_CARGO_PROFILE=${RADIOMICS_CARGO_PROFILE:-release} bash tests/c/run.sh
fi
echo "== all tests passed"
