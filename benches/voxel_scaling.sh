#!/usr/bin/env bash
# Voxel-based maps against the ROI's size: box ROIs of about 1 000, 2 000, 4 000, 8 000 and 16 000 voxels
# centred on brain1's lesion (on brain1's image), kernelRadius 1, maskedKernel true, binWidth 25, every
# class but shape (93 maps), one thread. Prints a Markdown table of CPU seconds (user + system, GNU time)
# of the whole process and of the maps alone (`--timing`: the kernels and writing the files), and the
# maps' CPU per ROI voxel, which is flat where the time is linear in the ROI.
#
#   bash benches/voxel_scaling.sh [PYRADIOMICS_SIZES]
#
# PYRADIOMICS_SIZES (default: "1000 2000"): the box sizes on which PyRadiomics' voxel mode
# (benches/pyradiomics_voxel.py) runs too, one core; it takes about 15 ms of CPU per ROI voxel and more
# per voxel as the ROI grows (it holds every kernel's matrices at once), so larger sizes take minutes and
# gigabytes. Needs the reference data ($RADIOMICS_TEST_DATA, else ../shared/data) and a Python with
# PyRadiomics and SimpleITK in $PYRADIOMICS_PYTHON (default: the venv of
# ../shared/tools/install-pyradiomics.sh), which also writes the box masks.
set -euo pipefail
cd "$(dirname "$0")/.."
py_sizes=${1:-1000 2000}
data=${RADIOMICS_TEST_DATA:-../shared/data}
py=${PYRADIOMICS_PYTHON:-$HOME/.cache/radiomics-reference/venv/bin/python}
if ! "$py" -c 'import radiomics, SimpleITK' 2>/dev/null; then
  echo "PyRadiomics not found at $py (set PYRADIOMICS_PYTHON, or run ../shared/tools/install-pyradiomics.sh)" >&2
  exit 1
fi
cargo build --release --quiet
bin=target/release/radiomics
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
img="$data/pyradiomics/nifti/brain1_image.nii.gz"
lab="$data/pyradiomics/nifti/brain1_label.nii.gz"
cat >"$tmp/params.yaml" <<'YAML'
imageType: {Original: {}}
featureClass: {firstorder: , glcm: , gldm: , glrlm: , glszm: , ngtdm: }
setting: {binWidth: 25, label: 1}
voxelSetting: {kernelRadius: 1, maskedKernel: true}
YAML

# Box masks (z, y, x extents) around the lesion's centre.
"$py" - "$lab" "$tmp" <<'PY'
import sys
import numpy as np
import SimpleITK as sitk
label = sitk.ReadImage(sys.argv[1])
arr = sitk.GetArrayFromImage(label)
centre = np.round(np.argwhere(arr == 1).mean(axis=0)).astype(int)
for size, ext in [(1000, (10, 10, 10)), (2000, (10, 10, 20)), (4000, (10, 20, 20)),
                  (8000, (20, 20, 20)), (16000, (20, 20, 40))]:
    box = np.zeros_like(arr)
    lo = [max(0, min(c - e // 2, s - e)) for c, e, s in zip(centre, ext, arr.shape)]
    box[lo[0]:lo[0] + ext[0], lo[1]:lo[1] + ext[1], lo[2]:lo[2] + ext[2]] = 1
    assert int(box.sum()) == size, (size, int(box.sum()))
    out = sitk.GetImageFromArray(box)
    out.CopyInformation(label)
    sitk.WriteImage(out, '%s/box%d.nii.gz' % (sys.argv[2], size))
PY

# "cpu wall" of a command
measure() {
  /usr/bin/time -f '%U %S %e' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  awk '{ printf "%.2f %.1f\n", $1 + $2, $3 }' "$tmp/time"
}

echo "| ROI voxels | radiomics process CPU (s) | radiomics maps CPU (s) | maps µs per ROI voxel | PyRadiomics CPU (s) | PyRadiomics ms per ROI voxel | ratio (process CPU) |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for size in 1000 2000 4000 8000 16000; do
  msk="$tmp/box$size.nii.gz"
  read -r rs_cpu _ < <(measure "$bin" extract --threads 1 --voxel --timing --image "$img" --mask "$msk" --params "$tmp/params.yaml" --out-dir "$tmp/maps")
  rs_maps=$(awk '/^maps/ { printf "%.3f", $5 / 1000 }' "$tmp/err")
  per=$(awk -v a="$rs_maps" -v r="$size" 'BEGIN { printf "%.0f", a / r * 1e6 }')
  rm -rf "$tmp/maps"
  py_cpu=""; py_per=""; ratio=""
  if [[ " $py_sizes " == *" $size "* ]]; then
    read -r py_cpu _ < <(measure "$py" benches/pyradiomics_voxel.py "$img" "$msk" "$tmp/params.yaml")
    py_per=$(awk -v a="$py_cpu" -v r="$size" 'BEGIN { printf "%.1f", a / r * 1e3 }')
    ratio=$(awk -v a="$py_cpu" -v b="$rs_cpu" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "n/a" }')
  fi
  echo "| $size | $rs_cpu | $rs_maps | $per | $py_cpu | $py_per | $ratio |"
done
