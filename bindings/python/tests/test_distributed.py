"""radiomics_rs.distributed.extract_cohort on a LocalCluster of two worker processes gives the table of
``radiomics batch`` on the same manifest, byte for byte; resumes from its table; reports a failing case;
survives the death of a worker mid-run.

Needs dask, distributed and pandas (skipped without them unless ``RADIOMICS_REQUIRE_DASK`` is set),
``RADIOMICS_TEST_DATA`` (the reference cases brain1, breast1, lung1) and ``RADIOMICS_CLI`` (the
command-line tool, for the reference table). ``RADIOMICS_DEMO_DIR`` (the output of ``radiomics demo``)
adds a multi-modality check with resampling onto the mask's grid.
"""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

if os.environ.get("RADIOMICS_REQUIRE_DASK"):
    import dask  # noqa: F401
    import distributed  # noqa: F401
    import pandas as pd
else:
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    pd = pytest.importorskip("pandas")

from distributed import Client, LocalCluster  # noqa: E402

from radiomics_rs import distributed as rd  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
PARAMS = os.path.join(ROOT, "tests", "c", "params.yaml")


def data_dir():
    data = os.environ.get("RADIOMICS_TEST_DATA")
    if not data or not os.path.isdir(os.path.join(data, "pyradiomics")):
        pytest.skip("RADIOMICS_TEST_DATA is not set: the cohort checks need the reference cases")
    return os.path.join(data, "pyradiomics")


def cli():
    c = os.environ.get("RADIOMICS_CLI")
    if not c:
        pytest.skip("RADIOMICS_CLI is not set: the cohort checks compare with `radiomics batch`")
    return c


def write_manifest(folder, copies=1, broken=None, only=None):
    """A manifest of the reference cases (NIfTI and NRRD, `copies` times each; `only` those named) in
    `folder`; relative paths; `broken`: a case_id whose mask is missing."""
    base = data_dir()
    files = os.path.join(folder, "images")
    if not os.path.exists(files):
        os.makedirs(files)
        for sub in ("nifti", "nrrd"):
            for name in os.listdir(os.path.join(base, sub)):
                os.symlink(os.path.join(base, sub, name), os.path.join(files, f"{sub}_{name}"))
    cases = [
        ("brain1", "nifti_brain1_image.nii.gz", "nifti_brain1_label.nii.gz"),
        ("breast1", "nifti_breast1_image.nii.gz", "nifti_breast1_label.nii.gz"),
        ("lung1", "nifti_lung1_image.nii.gz", "nrrd_lung1_label.nrrd"),
        ("brain1n", "nrrd_brain1_image.nrrd", "nrrd_brain1_label.nrrd"),
        ("breast1n", "nrrd_breast1_image.nrrd", "nifti_breast1_label.nii.gz"),
    ]
    lines = ["case_id,patient_id,label,split,image,mask"]
    n = 0
    for c in range(copies):
        for name, image, mask in cases:
            if only is not None and name not in only:
                continue
            n += 1
            case_id = f"{name}-{c}"
            if case_id == broken:
                mask = "missing_label.nii.gz"
            lines.append(f"{case_id},P{n % 4},{n % 2},{'train' if n % 3 else 'test'},"
                         f"images/{image},images/{mask}")
    path = os.path.join(folder, "manifest.csv")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def batch(manifest, out, *params):
    args = [cli(), "batch", "--manifest", manifest, "--out", out, "--jobs", "2"]
    for p in params:
        args += ["--params", p]
    return subprocess.run(args, capture_output=True, text=True)


def read_table(path):
    """The CLI's table, each value parsed exactly (Python's float() reads the shortest round-trip form)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in df.columns[4:]:
        df[c] = np.array([float(v) for v in df[c]], dtype=np.float64)
    return df


def assert_same_table(got, want):
    assert list(got.columns) == list(want.columns)
    for k in rd.ID_COLUMNS:
        assert list(got[k]) == list(want[k].fillna(""))
    a = got.iloc[:, 4:].to_numpy(dtype=np.float64)
    b = want.iloc[:, 4:].to_numpy(dtype=np.float64)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(a.view(np.uint64)[~np.isnan(a)], b.view(np.uint64)[~np.isnan(b)])


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """A cohort of 10 cases and the table `radiomics batch` makes of it."""
    folder = str(tmp_path_factory.mktemp("cohort"))
    manifest = write_manifest(folder, copies=2)
    table = os.path.join(folder, "batch.csv")
    r = batch(manifest, table, PARAMS)
    assert r.returncode == 0, r.stderr
    with open(table) as f:
        text = f.read()
    return {"folder": folder, "manifest": manifest, "table": table, "text": text}


def test_equals_batch_byte_for_byte(client, cohort, tmp_path):
    out = str(tmp_path / "dask.csv")
    got = rd.extract_cohort(cohort["manifest"], PARAMS, client, out=out, progress=False)
    with open(out) as f:
        assert f.read() == cohort["text"]
    want = read_table(cohort["table"])
    assert len(want) == 10 and want.shape[1] > 100
    assert_same_table(got, want)
    assert got.iloc[:, 4:].dtypes.unique().tolist() == [np.dtype(np.float64)]


#: Cases that read fast: the checks that need no large cohort run on them.
SMALL = ("brain1-0", "breast1-0", "brain1n-0", "breast1n-0")


def sub_manifest(cohort, name, ids=SMALL, newline="\n"):
    """A manifest of some cases of the cohort, in its folder; and batch's table for them."""
    with open(cohort["manifest"]) as f:
        lines = f.read().splitlines()
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.split(",")[0] in ids]
    path = os.path.join(cohort["folder"], name)
    with open(path, "w", newline="") as f:
        f.write(newline.join(keep) + newline)
    want = read_table(cohort["table"])
    return path, want[want["case_id"].isin(ids)].reset_index(drop=True)


def test_without_out_and_with_every_params_form(client, cohort):
    manifest, want = sub_manifest(cohort, "forms.csv")
    for params in (PARAMS, {"image": PARAMS}, {None: PARAMS}, [PARAMS], [f"image={PARAMS}"]):
        got = rd.extract_cohort(manifest, params, client, progress=False)
        assert_same_table(got, want)


def _cached_settings():
    return {digest: id(s) for digest, s in rd._SETTINGS.items()}


def test_each_worker_parses_the_parameters_once(client, cohort):
    manifest, want = sub_manifest(cohort, "cache.csv")
    rd.extract_cohort(manifest, PARAMS, client, progress=False)
    before = client.run(_cached_settings)
    got = rd.extract_cohort(manifest, PARAMS, client, progress=False)
    assert_same_table(got, want)
    after = client.run(_cached_settings)
    (_, digest, _, _), = rd._task_spec(rd._params_spec(PARAMS))
    assert any(digest in cache for cache in after.values())
    for worker, cache in after.items():
        assert set(cache) <= {digest}
        if digest in before.get(worker, {}):
            assert cache[digest] == before[worker][digest]  # the same settings, not parsed again


EXAMPLES = os.path.join(ROOT, "examples", "python")

#: Prints what the workers of the example's local_cluster see of the two variables it sets or leaves out.
WORKER_ENV = f"""
import os, sys
sys.path.insert(0, {EXAMPLES!r})
from distributed import Client
from dask_cohort import local_cluster
if __name__ == "__main__":
    with local_cluster(2, dashboard_address=":0") as cluster, Client(cluster) as client:
        def env():
            return os.environ.get("RAYON_NUM_THREADS"), os.environ.get("MALLOC_TRIM_THRESHOLD_")
        print(sorted(set(client.run(env).values())))
"""


def test_the_example_script_and_its_cluster(cohort, tmp_path):
    manifest, want = sub_manifest(cohort, "example.csv", ids=SMALL[:2])
    out = str(tmp_path / "example.csv")
    # A fresh environment: a LocalCluster started with Dask's defaults (the fixture's) leaves
    # MALLOC_TRIM_THRESHOLD_ in the environment of its process, which its children inherit.
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    r = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "dask_cohort.py"), manifest, out, "--params", PARAMS,
         "--workers", "2", "--timing"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "cases/s on 2 workers" in r.stderr
    assert_same_table(read_table(out), want)
    r = subprocess.run([sys.executable, "-c", WORKER_ENV], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[('1', None)]"


def test_a_dataframe_manifest(client, cohort, monkeypatch):
    manifest, want = sub_manifest(cohort, "frame.csv")
    df = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    monkeypatch.chdir(cohort["folder"])  # a DataFrame's relative paths are from the current directory
    got = rd.extract_cohort(df, PARAMS, client, progress=False)
    assert_same_table(got, want)


def test_a_manifest_with_crlf_line_ends(client, cohort):
    manifest, want = sub_manifest(cohort, "crlf.csv", ids=SMALL[:2], newline="\r\n")
    got = rd.extract_cohort(manifest, PARAMS, client, progress=False)
    assert_same_table(got, want)


def test_resume_computes_only_the_missing_cases(client, cohort, tmp_path):
    out = str(tmp_path / "resume.csv")
    lines = cohort["text"].splitlines(keepends=True)
    # Keep the header and three cases, one with a value nobody computes, and cut the last line short as
    # an interrupted run would leave it.
    kept = lines[1].split(",")
    kept[7] = "12345.5"
    with open(out, "w") as f:
        f.write(lines[0] + ",".join(kept) + lines[2] + lines[3] + lines[4][: len(lines[4]) // 2])
    got = rd.extract_cohort(cohort["manifest"], PARAMS, client, out=out, progress=False)
    with open(out) as f:
        text = f.read()
    assert text == lines[0] + ",".join(kept) + "".join(lines[2:])
    assert got.iloc[0, 7] == 12345.5  # kept, not computed again
    want = read_table(cohort["table"])
    assert_same_table(got.iloc[1:].reset_index(drop=True), want.iloc[1:].reset_index(drop=True))
    # The CLI resumes from the same table and keeps every row.
    r = batch(cohort["manifest"], out, PARAMS)
    assert r.returncode == 0, r.stderr
    assert "0 computed, 10 kept" in r.stderr
    with open(out) as f:
        assert f.read() == text


def test_parquet_out_and_resume(client, cohort, tmp_path):
    pytest.importorskip("pyarrow")
    manifest, want = sub_manifest(cohort, "parquet.csv")
    out = str(tmp_path / "table.parquet")
    got = rd.extract_cohort(manifest, PARAMS, client, out=out, progress=False)
    assert_same_table(got, want)
    back = pd.read_parquet(out)
    assert_same_table(back, want)
    assert not os.path.exists(out + ".journal.csv")
    # Resume: the Parquet rows are kept and their cells written back exactly as batch writes them.
    got = rd.extract_cohort(manifest, PARAMS, client, out=out, progress=False)
    assert_same_table(got, want)


def test_a_failing_case_is_reported_and_the_others_kept(client, tmp_path):
    folder = str(tmp_path)
    manifest = write_manifest(folder, copies=1, broken="breast1-0", only=("brain1", "breast1", "brain1n"))
    want_out = os.path.join(folder, "batch.csv")
    r = batch(manifest, want_out, PARAMS)
    assert r.returncode != 0
    out = os.path.join(folder, "dask.csv")
    with pytest.raises(rd.CohortError) as e:
        rd.extract_cohort(manifest, PARAMS, client, out=out, progress=False)
    assert list(e.value.failed) == ["breast1-0"]
    message = e.value.failed["breast1-0"]
    assert message.startswith("case 'breast1-0': ") and "missing_label.nii.gz" in message
    assert message in r.stderr  # the CLI's own words for the same failure
    assert len(e.value.table) == 2
    with open(out) as f, open(want_out) as g:
        assert f.read() == g.read()
    with pytest.warns(RuntimeWarning, match="breast1-0"):
        table = rd.extract_cohort(manifest, PARAMS, client, errors="warn", progress=False)
    assert list(table.attrs["failed"]) == ["breast1-0"]
    assert_same_table(table, read_table(want_out))


def test_bad_manifests_and_params_are_refused(client, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,patient_id,label,split,T1,mask\na,p,0,train,x.nii,m.nii\n")
    with pytest.raises(ValueError, match="modality name 'T1'"):
        rd.extract_cohort(str(bad), None, client)
    bad.write_text("case_id,label,image,mask\na,0,x.nii,m.nii\na,1,y.nii,n.nii\n")
    with pytest.raises(ValueError, match="'a' is empty or repeated"):
        rd.extract_cohort(str(bad), None, client)
    bad.write_text("case_id,label,image,mask\na,0,x.nii,m.nii\n")
    with pytest.raises(FileNotFoundError):
        rd.extract_cohort(str(bad), str(tmp_path / "none.yaml"), client)
    with pytest.raises(ValueError, match="modality name 'T1'"):
        rd.extract_cohort(str(bad), {"T1": PARAMS}, client)
    with pytest.raises(ValueError, match="errors must be"):
        rd.extract_cohort(str(bad), None, client, errors="ignore")
    with pytest.raises(TypeError):
        rd.extract_cohort(42, None, client)


def test_multi_modality_cases_with_resampling(client, tmp_path):
    demo = os.environ.get("RADIOMICS_DEMO_DIR")
    if not demo or not os.path.exists(os.path.join(demo, "cohort", "manifest.csv")):
        pytest.skip("RADIOMICS_DEMO_DIR is not set: no multi-modality cohort")
    with open(os.path.join(demo, "cohort", "manifest.csv")) as f:
        lines = f.read().splitlines()[:7]
    folder = str(tmp_path)
    for name in os.listdir(os.path.join(demo, "cohort")):
        if name.endswith(".nii.gz"):
            os.symlink(os.path.join(demo, "cohort", name), os.path.join(folder, name))
    manifest = os.path.join(folder, "manifest.csv")
    with open(manifest, "w") as f:
        f.write("\n".join(lines) + "\n")
    params = [f"{m}={os.path.join(ROOT, 'params', m + '.yaml')}" for m in ("t1c", "adc", "fa")]
    want_out = os.path.join(folder, "batch.csv")
    r = batch(manifest, want_out, *params)
    assert r.returncode == 0, r.stderr
    out = os.path.join(folder, "dask.csv")
    got = rd.extract_cohort(manifest, params, client, out=out, progress=False)
    with open(out) as f, open(want_out) as g:
        assert f.read() == g.read()
    assert any(c.startswith("adc_") for c in got.columns)
    assert_same_table(got, read_table(want_out))
    shutil.rmtree(folder, ignore_errors=True)


def test_a_worker_killed_mid_run_still_gives_the_whole_table(client, cohort, tmp_path):
    # Last: the nanny restarts the killed worker, but later tests would wait for it.
    manifest, want_out = cohort["manifest"], cohort["table"]
    out = str(tmp_path / "dask.csv")
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_when_started():
        # Once the first case is in the table both workers are busy with the others.
        deadline = time.time() + 120
        while time.time() < deadline:
            if os.path.exists(out):
                with open(out) as f:
                    if len(f.read().splitlines()) >= 2:
                        break
            time.sleep(0.02)
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    t = threading.Thread(target=kill_when_started)
    t.start()
    got = rd.extract_cohort(manifest, PARAMS, client, out=out, progress=False)
    t.join()
    assert killed
    assert pids[0] not in client.run(os.getpid).values()
    with open(out) as f, open(want_out) as g:
        assert f.read() == g.read()
    assert len(got) == 10
    assert_same_table(got, read_table(want_out))
