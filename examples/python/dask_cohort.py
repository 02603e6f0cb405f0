"""dask_cohort: a cohort's feature table on a Dask cluster, one task per case (Python binding).

    python dask_cohort.py MANIFEST OUT [--params FILE | --params MODALITY=FILE ...]
                          [--scheduler ADDRESS | --workers N] [--timing]

MANIFEST and the parameter files are those of `radiomics batch` (`case_id,patient_id,label,split,mask` and
one image column per modality); OUT is the table, `.csv` (byte for byte batch's) or `.parquet`. Cases
already in OUT are kept and only the missing ones computed, so an interrupted run is resumed by running it
again.

Without --scheduler, a LocalCluster of N worker processes (default 2, one thread each) runs on this machine;
each extraction uses one thread (RAYON_NUM_THREADS=1 in the workers), and Dask's own background work is
made lighter (see local_cluster below).
With --scheduler tcp://HOST:8786 the same code runs on an existing cluster: its workers need this package
installed (`pip install` of a wheel from `pip wheel ./bindings/python`) and must see the manifest's image
files under the same paths.

Try it on the synthetic cohort of `radiomics demo` (it writes radiomics-demo/cohort/manifest.csv):

    radiomics demo
    python dask_cohort.py radiomics-demo/cohort/manifest.csv features.csv \\
        --params t1c=params/t1c.yaml --params adc=params/adc.yaml --params fa=params/fa.yaml
"""
import argparse
import sys
import time

import dask
from dask.distributed import Client, LocalCluster

from radiomics_rs.distributed import CohortError, extract_cohort


#: Dask settings for a cluster of processes that each run one long task at a time: no statistical profiler
#: sampling each worker's stack every 10 ms, event-loop health checks every second instead of every
#: 20 ms, and system monitoring every 5 s instead of 0.5 s (on two cores these cost up to 7% of the
#: machine when idle); and glibc's malloc left to its own trimming in the workers: Dask's default
#: MALLOC_TRIM_THRESHOLD_=65536 also pins the size above which malloc maps fresh memory, so more of an
#: extraction's large buffers are mapped, faulted in and unmapped again (a third more page faults, 5-10%
#: more CPU time per case). None of them changes what is computed.
LIGHT = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


def local_cluster(n_workers, **kwargs):
    """A LocalCluster of `n_workers` processes of one thread each, each extraction on one core."""
    with dask.config.set(LIGHT):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                            env={"RAYON_NUM_THREADS": "1"}, **kwargs)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("manifest")
    ap.add_argument("out")
    ap.add_argument("--params", action="append", default=[],
                    help="FILE for every modality, or MODALITY=FILE (repeatable), as radiomics batch")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    ap.add_argument("--workers", type=int, default=2, help="local worker processes (without --scheduler)")
    ap.add_argument("--timing", action="store_true", help="print cases per second")
    args = ap.parse_args(argv[1:])

    if args.scheduler:
        client, cluster = Client(args.scheduler), None
    else:
        cluster = local_cluster(args.workers)
        client = Client(cluster)
    try:
        started = time.perf_counter()
        try:
            table = extract_cohort(args.manifest, args.params or None, client, out=args.out)
        except CohortError as e:
            print(f"dask_cohort: {e}", file=sys.stderr)
            return 1
        seconds = time.perf_counter() - started
        print(f"dask_cohort: {len(table)} cases, {table.shape[1] - 4} features per case; table '{args.out}'",
              file=sys.stderr)
        if args.timing:
            print(f"dask_cohort: {seconds:.2f} s, {len(table) / seconds:.2f} cases/s on "
                  f"{len(client.scheduler_info()['workers'])} workers", file=sys.stderr)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
