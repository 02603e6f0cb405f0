#!/usr/bin/env bash
# IBSI mode against MIRP 2.7, side by side on one core each: the IBSI CT phantom's configuration C on a
# 512 x 512 x 100 CT-like volume with a 50 000-voxel ROI (benches/make_ibsi_ct.py).
#
#   MIRP_PYTHON=/path/to/python bash benches/ibsi_vs_mirp.sh [REPEAT]     (default 1)
#
# $MIRP_PYTHON must have mirp==2.7.0 (and its dependency itk). Runs, REPEAT times each, alternating:
#   - `radiomics extract --threads 1 --params params/ibsi/ct_config_C.yaml` (the whole process: read the
#     two .nii.gz files, extract, write the CSV);
#   - MIRP's `extract_features` with the same configuration and exact Moran's I / Geary's C
#     (benches/mirp_extract.py ... exact), in one process with BLAS/OpenMP/ITK limited to one thread;
#   - once, MIRP with its default Monte Carlo estimate of Moran's I and Geary's C (MIRP's default for
#     ROIs of 1 000 voxels or more).
# Reports the CPU seconds (user + system, GNU time) of each whole process, and for MIRP also the CPU
# seconds of the extraction call alone, the ratio MIRP / radiomics, and the agreement of the values
# (benches/compare_ibsi_mirp.py, IBSI's tolerances for configuration C). CPU time rather than wall time:
# on a shared machine wall clocks measure the contention.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-1}
data=${RADIOMICS_TEST_DATA:-../shared/data}
py=${MIRP_PYTHON:?set MIRP_PYTHON to a Python with mirp==2.7.0}
"$py" -c 'import mirp, itk' || { echo "mirp or itk not importable by $py" >&2; exit 1; }
cargo build --release --quiet --bin radiomics
bin=target/release/radiomics
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1
export ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1 RAYON_NUM_THREADS=1
echo "== generating the volume"
voxels=$("$py" benches/make_ibsi_ct.py "$work/ct")
echo "ROI: $voxels voxels of 512 x 512 x 100"
img="$work/ct/image.nii.gz"
msk="$work/ct/mask.nii.gz"

# CPU seconds (user + system) of a command's whole process; its standard output goes to $work/stdout.
cpu() {
  /usr/bin/time -f '%U %S' -o "$work/time" "$@" >"$work/stdout" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  awk '{ printf "%.3f\n", $1 + $2 }' "$work/time"
}

echo "| run | radiomics process CPU (s) | MIRP process CPU (s) | MIRP extraction CPU (s) | ratio (process) |"
echo "|---|---:|---:|---:|---:|"
for r in $(seq "$repeat"); do
  rs=$(cpu "$bin" extract --threads 1 --image "$img" --mask "$msk" --params params/ibsi/ct_config_C.yaml --out "$work/ours.csv")
  mp=$(cpu "$py" benches/mirp_extract.py "$img" "$msk" "$work/mirp.csv" exact)
  mp_call=$(tail -n 1 "$work/stdout")
  echo "| $r | $rs | $mp | $mp_call | $(awk -v a="$mp" -v b="$rs" 'BEGIN { printf "%.1f", a / b }') |"
done
echo
echo "== agreement with MIRP (exact Moran's I and Geary's C)"
python3 benches/compare_ibsi_mirp.py "$work/ours.csv" "$work/mirp.csv" "$data/ibsi/reference_values.csv" ct_config_C
echo
echo "== MIRP with its default estimate of Moran's I and Geary's C"
mp=$(cpu "$py" benches/mirp_extract.py "$img" "$msk" "$work/mirp_approx.csv")
echo "MIRP process CPU $mp s (extraction $(tail -n 1 "$work/stdout") s); ratio $(awk -v a="$mp" -v b="$rs" 'BEGIN { printf "%.1f", a / b }')"
python3 benches/compare_ibsi_mirp.py "$work/ours.csv" "$work/mirp_approx.csv" "$data/ibsi/reference_values.csv" ct_config_C
