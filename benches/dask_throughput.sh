#!/usr/bin/env bash
# Throughput of radiomics_rs.distributed.extract_cohort on a LocalCluster of 2 worker processes against 1
# (one thread each), on a cohort of 40 realistic cases; prints the ratio of the medians of REPEATS runs
# (default 3), then, as a control of what the machine gives two workers, `radiomics batch --jobs 1` and
# `--jobs 2` once each on the same cohort, whose table every Dask table must equal byte for byte.
#
#   PYTHON=/path/to/venv/bin/python bash benches/dask_throughput.sh [REPEATS]
#
# The cohort: the reference volumes lung1 (CT, 12 MB) and brain1 (MR) of $RADIOMICS_TEST_DATA/pyradiomics
# (else ../shared/data beside the repository), 20 cases each, alternating, their images and masks read
# from NIfTI and NRRD files in turn, all with PyRadiomics' CT example parameters (params/exampleCT.yaml of
# the reference data: B-spline resampling to 1 mm, LoG sigma 1-5 mm, eight wavelet bands; 1,218 features
# per case). A case costs about 0.3 s (brain1) to 0.8 s (lung1) of one core, as real scans do.
# With SMALL=1, the first 40 cases of the synthetic cohort of `radiomics demo` (T1C, ADC, FA with
# params/*.yaml; about 25 ms a case, where Dask's per-task cost shows) are measured too.
#
# Each Dask run: a fresh cluster (start-up not timed), a warm-up on the first cases (not timed), then the
# whole cohort, timed; runs alternate between 1 and 2 workers so that a change of load falls on both. The
# clusters are those of examples/python/dask_cohort.py. About 3-4 minutes on an idle 2-core machine.
#
# PYTHON: a Python with the package and Dask (`pip install ./bindings/python dask distributed pandas`).
# RADIOMICS_CLI: the command-line tool (default target/release/radiomics). CASES: the size of both
# cohorts (default 40; even), to try the script out quickly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${PYTHON:-python3}"
cli="${RADIOMICS_CLI:-$root/target/release/radiomics}"
repeats="${1:-3}"
cases="${CASES:-40}"
data="${RADIOMICS_TEST_DATA:-$root/../shared/data}/pyradiomics"
if [[ ! -f "$data/params/exampleCT.yaml" ]]; then
  echo "dask_throughput: no reference data at '$data' (set RADIOMICS_TEST_DATA)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

# The realistic cohort.
mkdir -p "$work/real"
{
  echo "case_id,patient_id,label,split,image,mask"
  for i in $(seq 1 $((cases / 2))); do
    n=$((i % 2))
    if [[ $n == 0 ]]; then
      lmask="$data/nifti/lung1_label.nii.gz" bimg="$data/nifti/brain1_image.nii.gz"
      bmask="$data/nrrd/brain1_label.nrrd"
    else
      lmask="$data/nrrd/lung1_label.nrrd" bimg="$data/nrrd/brain1_image.nrrd"
      bmask="$data/nifti/brain1_label.nii.gz"
    fi
    printf 'lung1-%02d,L%02d,%d,train,%s,%s\n' "$i" "$i" "$n" "$data/nifti/lung1_image.nii.gz" "$lmask"
    printf 'brain1-%02d,B%02d,%d,train,%s,%s\n' "$i" "$i" "$n" "$bimg" "$bmask"
  done
} > "$work/real/manifest.csv"

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" "$root/benches/dask_throughput.py" "$work/real/manifest.csv" --params "$data/params/exampleCT.yaml" \
  --repeats "$repeats" --name "$cases realistic cases" --keep "$work/real"
for n in 1 2; do
  start=$(date +%s.%N)
  "$cli" batch --manifest "$work/real/manifest.csv" --params "$data/params/exampleCT.yaml" \
    --out "$work/real/batch$n.csv" --jobs "$n" 2> /dev/null
  end=$(date +%s.%N)
  rate=$("$py" -c "print(f'{$cases / ($end - $start):.2f}')")
  echo "$cases realistic cases: radiomics batch --jobs $n: $rate cases/s (control, one run)"
done
for f in dask1 dask2 batch2; do cmp "$work/real/batch1.csv" "$work/real/$f.csv"; done
echo "$cases realistic cases: every table equal to batch's"

if [[ "${SMALL:-0}" == 1 ]]; then
  "$cli" demo --out-dir "$work/demo" > /dev/null 2>&1
  mkdir -p "$work/small"
  for f in "$work/demo"/cohort/*.nii.gz; do ln -s "$f" "$work/small/"; done
  head -n $((cases + 1)) "$work/demo/cohort/manifest.csv" > "$work/small/manifest.csv"
  params=()
  for m in t1c adc fa; do params+=(--params "$m=$root/params/$m.yaml"); done
  "$py" "$root/benches/dask_throughput.py" "$work/small/manifest.csv" "${params[@]}" \
    --repeats "$repeats" --name "$cases small cases" --keep "$work/small"
  (cd "$work/small" && "$cli" batch --manifest manifest.csv "${params[@]}" --out batch.csv --jobs 2 \
    2> /dev/null)
  for f in dask1 dask2; do cmp "$work/small/batch.csv" "$work/small/$f.csv"; done
  echo "$cases small cases: every table equal to batch's"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $(($(date +%s) - started)) s in all"
