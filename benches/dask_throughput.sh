#!/usr/bin/env bash
# Throughput of radiomics_rs.distributed.extract_cohort on a LocalCluster of 1 and of 2 worker processes (one
# thread each), on the first 40 cases of the synthetic cohort (T1C, ADC, FA; params/*.yaml), beside
# `radiomics batch --jobs 1` and `--jobs 2` on the same cases, which show what the machine gives two workers.
#
#   PYTHON=/path/to/venv/bin/python bash benches/dask_throughput.sh [REPEATS]
#
# PYTHON: a Python with the package and Dask (`pip install ./bindings/python dask distributed pandas`).
# RADIOMICS_CLI: the command-line tool (default target/release/radiomics). RADIOMICS_DEMO_DIR: the output of
# `radiomics demo` (made in a temporary folder when unset). Runs alternate, so that a change of load on a
# shared machine falls on both sides; each prints cases per second (cluster start-up not included).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${PYTHON:-python3}"
cli="${RADIOMICS_CLI:-$root/target/release/radiomics}"
repeats="${1:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

demo="${RADIOMICS_DEMO_DIR:-}"
if [[ -z "$demo" ]]; then
  demo="$work/demo"
  "$cli" demo --out-dir "$demo" > /dev/null
fi
for f in "$demo"/cohort/*.nii.gz; do ln -s "$f" "$work/"; done
head -n 41 "$demo/cohort/manifest.csv" > "$work/manifest.csv"
params=()
for m in t1c adc fa; do params+=(--params "$m=$root/params/$m.yaml"); done

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$repeats"); do
  for n in 1 2; do
    rm -f "$work/dask$n.csv"
    RAYON_NUM_THREADS=1 "$py" "$root/examples/python/dask_cohort.py" "$work/manifest.csv" "$work/dask$n.csv" \
      "${params[@]}" --workers "$n" --timing 2>&1 | grep 'cases/s' | sed "s/^/run $r: /"
    rm -f "$work/batch$n.csv"
    start=$(date +%s.%N)
    "$cli" batch --manifest "$work/manifest.csv" "${params[@]}" --out "$work/batch$n.csv" --jobs "$n" 2> /dev/null
    end=$(date +%s.%N)
    echo "run $r: radiomics batch --jobs $n: $("$py" -c "print(f'{40 / ($end - $start):.2f}')") cases/s"
    cmp "$work/dask$n.csv" "$work/batch$n.csv"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
