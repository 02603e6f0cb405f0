"""Throughput of radiomics_rs.distributed.extract_cohort on LocalClusters of N worker processes (one thread
each), for benches/dask_throughput.sh.

    python dask_throughput.py MANIFEST --params FILE|MODALITY=FILE ... [--workers 1,2] [--repeats 3]
                              [--name NAME] [--keep DIR]

For each repeat, and within it for each worker count in turn (so that a change of load on a shared machine
falls on every side): a fresh cluster, a warm-up (every worker imports the package and loads the library;
``extract_cohort`` on as many cases as there are workers parses the settings and reads the first cases'
files; not timed), then the whole cohort into a new CSV table, timed. Each run prints cases per second
and the CPU time of the worker processes and of this process (client, scheduler and nannies) over the
run, also as a share of one core (what the run got of a loaded machine); the end prints the median cases
per second of each worker count and the ratio of the medians to the first count's.
``--keep DIR`` keeps the last table of each worker count as ``DIR/dask<N>.csv``.

The clusters are those of examples/python/dask_cohort.py (``local_cluster``: one thread per worker, each
extraction on one core, Dask's background work made lighter); ``--plain`` keeps Dask's default settings.
"""
import argparse
import importlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time

from distributed import Client, LocalCluster

from radiomics_rs.distributed import extract_cohort, read_manifest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "python"))
from dask_cohort import local_cluster  # noqa: E402


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _workers_cpu(client):
    return sum(client.run(_cpu_seconds).values())


def one_run(manifest, params, n, work, warm_manifest, plain):
    if plain:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                               env={"RAYON_NUM_THREADS": "1"})
    else:
        cluster = local_cluster(n, dashboard_address=":0")
    client = Client(cluster)
    try:
        client.wait_for_workers(n)
        client.run(importlib.import_module, "radiomics_rs.distributed")  # on every worker
        extract_cohort(warm_manifest, params, client, progress=False)
        out = os.path.join(work, f"dask{n}.csv")
        if os.path.exists(out):
            os.remove(out)
        w0, c0 = _workers_cpu(client), _cpu_seconds()
        start = time.perf_counter()
        table = extract_cohort(manifest, params, client, out=out, progress=False)
        seconds = time.perf_counter() - start
        w1, c1 = _workers_cpu(client), _cpu_seconds()
    finally:
        client.close()
        cluster.close()
    return len(table), seconds, w1 - w0, c1 - c0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("manifest")
    ap.add_argument("--params", action="append", default=[])
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated (default 1,2)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--name", default="cohort", help="what to call the cohort in the output")
    ap.add_argument("--keep", help="folder to keep the last table of each worker count in")
    ap.add_argument("--plain", action="store_true",
                    help="Dask's default settings rather than the example's lighter ones")
    args = ap.parse_args(argv[1:])
    counts = [int(n) for n in args.workers.split(",")]
    params = args.params or None

    work = tempfile.mkdtemp(prefix="dask-throughput-")
    try:
        # The warm-up manifest: the first max(counts) cases of the cohort.
        with open(args.manifest, encoding="utf-8") as f:
            lines = f.read().splitlines()
        warm = os.path.join(os.path.dirname(os.path.abspath(args.manifest)), ".warm-up-manifest.csv")
        with open(warm, "w", encoding="utf-8") as f:
            f.write("\n".join(lines[: 1 + max(counts)]) + "\n")
        total = len(read_manifest(args.manifest))
        rates = {n: [] for n in counts}
        for r in range(1, args.repeats + 1):
            for n in counts:
                run = one_run(args.manifest, params, n, work, warm, args.plain)
                cases, seconds, worker_cpu, client_cpu = run
                if cases != total:
                    sys.exit(f"dask_throughput: {cases} of {total} cases in the table")
                rates[n].append(cases / seconds)
                print(
                    f"{args.name}, {n} worker(s), run {r}: {cases} cases in {seconds:.2f} s = "
                    f"{cases / seconds:.2f} cases/s; CPU: workers {worker_cpu:.1f} s "
                    f"({worker_cpu / cases:.2f} s a case, {100 * worker_cpu / seconds:.0f}% of a core), "
                    f"client+scheduler {client_cpu:.1f} s ({100 * client_cpu / seconds:.0f}% of a core)",
                    flush=True,
                )
        os.remove(warm)
        base = statistics.median(rates[counts[0]])
        for n in counts:
            med = statistics.median(rates[n])
            print(
                f"{args.name}: {n} worker(s): median {med:.2f} cases/s over {len(rates[n])} runs "
                f"({', '.join(f'{x:.2f}' for x in rates[n])})",
                flush=True,
            )
        for n in counts[1:]:
            print(f"{args.name}: RATIO {n} workers / {counts[0]}: "
                  f"{statistics.median(rates[n]) / base:.2f}x (medians of {args.repeats} runs)", flush=True)
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for n in counts:
                shutil.copy(os.path.join(work, f"dask{n}.csv"), os.path.join(args.keep, f"dask{n}.csv"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
