#!/usr/bin/env bash
# The whole check of the C ABI and its bindings, as CI runs it:
#   1. configure and build the top-level CMake project (cargo builds libradiomics.so/.a and the CLI),
#      install it into a temporary prefix;
#   2. build the C/C++ examples and tests against the installed package (tests/c), run them with ctest
#      (output vs the CLI on brain1, model prediction vs the CLI on a `radiomics demo` case, error
#      paths, threads, valgrind, exported symbols);
#   3. install the Python binding into a virtual environment and run its pytest suite and example.
#
# Needs RADIOMICS_TEST_DATA (the reference data), cmake, a C/C++ compiler, python3, valgrind.
# RADIOMICS_CARGO_PROFILE picks the cargo profile (default dev: shares cargo test's build);
# RADIOMICS_C_WORK a folder to keep the build in (default a temporary one, removed at the end).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${RADIOMICS_TEST_DATA:?set RADIOMICS_TEST_DATA to the reference data folder}"
export RADIOMICS_TEST_DATA
profile="${RADIOMICS_CARGO_PROFILE:-dev}"
if [[ -n "${RADIOMICS_C_WORK:-}" ]]; then
  work="$RADIOMICS_C_WORK"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
prefix="$work/prefix"
jobs="${RADIOMICS_JOBS:-2}"

echo "== build and install into $prefix (cargo profile $profile)"
cmake -S "$root" -B "$work/build" -DRADIOMICS_CARGO_PROFILE="$profile" -DCMAKE_INSTALL_PREFIX="$prefix"
cmake --build "$work/build" -j "$jobs"
rm -rf "$prefix"
cmake --install "$work/build"

echo "== C and C++ against the installed package"
cmake -S "$root/tests/c" -B "$work/tests" -DCMAKE_PREFIX_PATH="$prefix" \
  -DRADIOMICS_TEST_DATA="$RADIOMICS_TEST_DATA"
cmake --build "$work/tests" -j "$jobs"
(cd "$work/tests" && ctest --output-on-failure -j "$jobs")

echo "== Python binding"
python3 -m venv --system-site-packages "$work/venv"
py="$work/venv/bin/python"
if ! "$py" -c "import numpy, pytest" 2>/dev/null; then
  "$py" -m pip install --quiet numpy pytest
fi
# The package builds its own copy of the library with cargo: same profile and target folder as the
# CMake build above, so cargo finds it up to date.
export SETUPTOOLS_RUST_CARGO_PROFILE="$profile"
"$py" -m pip install --quiet --no-build-isolation "$root/bindings/python" 2>/dev/null \
  || "$py" -m pip install --quiet "$root/bindings/python"
# Cohorts on Dask (test_distributed.py), required here rather than skipped.
"$py" -m pip install --quiet dask distributed pandas pyarrow
export RADIOMICS_REQUIRE_DASK=1
# No RADIOMICS_LIBRARY: the installed package must load the library it carries.
# Its version is the library's (the crate's).
(cd "$work" && "$py" -c 'import os, importlib.metadata as md, radiomics_rs as rr
assert os.path.dirname(rr.library_path) == os.path.dirname(rr.__file__), rr.library_path
assert rr.version() == md.version("radiomics-rs"), (rr.version(), md.version("radiomics-rs"))')
# The model tests reuse the model and cohort the CMake suite made with `radiomics demo`.
export RADIOMICS_CLI="$prefix/bin/radiomics"
export RADIOMICS_DEMO_DIR="$work/tests/scratch/demo"
cd "$work"
"$py" -m pytest -q "$root/bindings/python/tests"
image="$RADIOMICS_TEST_DATA/pyradiomics/nifti/brain1_image.nii.gz"
mask="$RADIOMICS_TEST_DATA/pyradiomics/nifti/brain1_label.nii.gz"
"$py" "$root/examples/python/extract.py" "$image" "$mask" "$root/tests/c/params.yaml" > "$work/python.csv"
"$prefix/bin/radiomics" extract --image "$image" --mask "$mask" --params "$root/tests/c/params.yaml" \
  --out "$work/cli.csv"
"$py" "$root/tests/c/compare_csv.py" "$work/cli.csv" "$work/python.csv"
echo "== C ABI checks passed"
