#!/usr/bin/env bash
# Side-by-side benchmark against PyRadiomics on the reference cases, on one core each.
#
#   bash benches/compare.sh [REPEAT]      (default 5)
#
# Needs the reference data ($RADIOMICS_TEST_DATA, else ../shared/data) and PyRadiomics in a Python given by
# $PYRADIOMICS_PYTHON (default: the venv made by ../shared/tools/install-pyradiomics.sh). Prints a Markdown
# table: extraction on loaded volumes (median of REPEAT), the whole process (read files, extract, write CSV;
# one run), peak resident memory of the whole process, and the ratios PyRadiomics / radiomics.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-5}
data=${RADIOMICS_TEST_DATA:-../shared/data}
py=${PYRADIOMICS_PYTHON:-$HOME/.cache/radiomics-reference/venv/bin/python}
if ! "$py" -c 'import radiomics' 2>/dev/null; then
  echo "PyRadiomics not found at $py (set PYRADIOMICS_PYTHON, or run ../shared/tools/install-pyradiomics.sh)" >&2
  exit 1
fi
cargo build --release --quiet
bin=target/release/radiomics
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

# wall seconds (bash's microsecond clock) and peak RSS (MiB, from GNU time) of a command
measure() {
  local t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  local t1=$EPOCHREALTIME
  read -r kib <"$tmp/time"
  awk -v a="$t0" -v b="$t1" -v k="$kib" 'BEGIN { printf "%.3f %d\n", b - a, k / 1024 }'
}

echo "| case | config | features | PyRadiomics execute (s) | radiomics (s) | ratio | PyRadiomics process (s) | radiomics process (s) | ratio | PyRadiomics peak (MiB) | radiomics peak (MiB) | ratio |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for case in brain1 breast1 lung1; do
  for config in default filters; do
    img="$data/pyradiomics/nifti/${case}_image.nii.gz"
    msk="$data/pyradiomics/nifti/${case}_label.nii.gz"
    params="$data/pyradiomics/reference/params/$config.yaml"
    py_out=$("$py" benches/pyradiomics_bench.py "$img" "$msk" "$params" "$repeat")
    py_exec=$(echo "$py_out" | tail -n 1)
    n=$(echo "$py_out" | head -n 1 | cut -d' ' -f1)
    rs_exec=$("$bin" bench --image "$img" --mask "$msk" --params "$params" --repeat "$repeat" --threads 1 2>/dev/null | tail -n 1)
    read -r py_proc py_mem < <(measure "$py" benches/pyradiomics_extract.py "$img" "$msk" "$params" "$tmp/py.csv")
    read -r rs_proc rs_mem < <(measure "$bin" extract --threads 1 --image "$img" --mask "$msk" --params "$params" --out "$tmp/rs.csv")
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
    echo "| $case | $config | $n | $py_exec | $rs_exec | $(ratio "$py_exec" "$rs_exec") | $py_proc | $rs_proc | $(ratio "$py_proc" "$rs_proc") | $py_mem | $rs_mem | $(ratio "$py_mem" "$rs_mem") |"
  done
done
