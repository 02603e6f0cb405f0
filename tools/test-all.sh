#!/usr/bin/env bash
# Runs every test of the project: the Rust suites (unit, integration, parity, property), then the C, C++ and
# Python checks of the C ABI when their script is present. Reference data: $RADIOMICS_TEST_DATA, else
# ../shared/data beside the repository (tests that need it skip with a notice where neither exists).
set -euo pipefail
cd "$(dirname "$0")/.."

# PyRadiomics' voxel-based maps (the reference of tests/voxel_parity.rs) are generated, not kept: with
# PyRadiomics at $PYRADIOMICS_PYTHON (default: the venv of ../shared/tools/install-pyradiomics.sh) they are
# written to target/voxel-reference (a few seconds); without it those tests skip with a notice.
if [ -z "${RADIOMICS_VOXEL_REFERENCE:-}" ]; then
  py=${PYRADIOMICS_PYTHON:-$HOME/.cache/radiomics-reference/venv/bin/python}
  data=${RADIOMICS_TEST_DATA:-../shared/data}
  if [ -d "$data/pyradiomics" ] && "$py" -c 'import radiomics' 2>/dev/null; then
    echo "== PyRadiomics voxel-based reference"
    "$py" tests/make_voxel_reference.py "$data" target/voxel-reference
    export RADIOMICS_VOXEL_REFERENCE=$PWD/target/voxel-reference
  fi
fi

echo "== cargo test"
cargo test --release --all-targets

if [ -f tests/c/run.sh ]; then
  echo "== C ABI: C, C++ and Python"
  RADIOMICS_CARGO_PROFILE=${RADIOMICS_CARGO_PROFILE:-release} bash tests/c/run.sh
fi
echo "== all tests passed"
