#!/usr/bin/env bash
# Voxel-based extraction side by side with PyRadiomics' (voxelBased=True), one core each: kernelRadius 1,
# maskedKernel true, every class but shape, binWidth 25, on the reference cases' whole lesions.
#
#   bash benches/compare_voxel.sh [CASES]        (default: "breast1 lung1 brain1")
#
# Needs the reference data ($RADIOMICS_TEST_DATA, else ../shared/data) and PyRadiomics in a Python given by
# $PYRADIOMICS_PYTHON (default: the venv made by ../shared/tools/install-pyradiomics.sh). PyRadiomics takes
# minutes on brain1. Prints a Markdown table of CPU seconds (user + system, from GNU time) of the whole
# process, which on a busy machine is steadier than the wall clock, with the wall clock beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-breast1 lung1 brain1}
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
cat >"$tmp/params.yaml" <<'YAML'
imageType: {Original: {}}
featureClass: {firstorder: , glcm: , gldm: , glrlm: , glszm: , ngtdm: }
setting: {binWidth: 25, label: 1}
voxelSetting: {kernelRadius: 1, maskedKernel: true}
YAML

# "cpu wall peak_MiB" of a command
measure() {
  /usr/bin/time -f '%U %S %e %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  awk '{ printf "%.2f %.2f %d\n", $1 + $2, $3, $4 / 1024 }' "$tmp/time"
}

echo "| case | ROI voxels | maps | PyRadiomics CPU (s) | radiomics CPU (s) | ratio | radiomics maps CPU (s) | maps µs per ROI voxel | PyRadiomics wall (s) | radiomics wall (s) | PyRadiomics peak (MiB) | radiomics peak (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for case in $cases; do
  img="$data/pyradiomics/nifti/${case}_image.nii.gz"
  msk="$data/pyradiomics/nifti/${case}_label.nii.gz"
  read -r py_cpu py_wall py_mem < <(measure "$py" benches/pyradiomics_voxel.py "$img" "$msk" "$tmp/params.yaml")
  roi=$("$py" -c "
import SimpleITK as s; print(int((s.GetArrayFromImage(s.ReadImage('$msk')) == 1).sum()))")
  read -r rs_cpu rs_wall rs_mem < <(measure "$bin" extract --threads 1 --voxel --timing --image "$img" --mask "$msk" --params "$tmp/params.yaml" --out-dir "$tmp/maps")
  # CPU of the maps alone (kernels and writing the files; not reading the image).
  rs_maps=$(awk '/^maps/ { printf "%.3f", $5 / 1000 }' "$tmp/err")
  maps=$(ls "$tmp/maps" | wc -l)
  ratio=$(awk -v a="$py_cpu" -v b="$rs_cpu" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "n/a" }')
  per=$(awk -v a="$rs_maps" -v r="$roi" 'BEGIN { printf "%.0f", a / r * 1e6 }')
  echo "| $case | $roi | $maps | $py_cpu | $rs_cpu | $ratio | $rs_maps | $per | $py_wall | $rs_wall | $py_mem | $rs_mem |"
  rm -rf "$tmp/maps"
done
