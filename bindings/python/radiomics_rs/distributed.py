"""Cohort extraction on a Dask cluster: the feature table of ``radiomics batch``, one task per case.

::

    from dask.distributed import Client, LocalCluster
    from radiomics_rs.distributed import extract_cohort

    client = Client(LocalCluster(n_workers=2, processes=True))   # or Client("tcp://scheduler:8786")
    table = extract_cohort("cohort/manifest.csv", {"t1c": "params/t1c.yaml", "adc": "params/adc.yaml"},
                           client, out="features.csv")

The manifest, the parameter files and the table are those of ``radiomics batch``: the returned
:class:`pandas.DataFrame` has its rows and columns, with the same values to the last bit, and a CSV ``out``
is byte for byte the table it writes (so either can resume the other's table).

- Only paths travel: each worker reads its case's images itself, so every worker must see the files under
  the same paths (a shared file system). Relative paths of a manifest file are taken from its folder, those
  of a DataFrame from the current directory; all are made absolute before they are sent. Parameter files
  are read here, and their text is sent.
- One graph of one task per case, submitted at once, the cases with the largest image files (as far as
  this process can see them) first, so that the run ends on short cases; each task carries its case's
  paths and the parameter files' text, which each worker parses once (cached by digest). Results are
  fetched in the background as tasks finish.
- Durable: with ``out``, finished cases are written as they arrive, those that arrived together in one
  write (CSV: appended to the table; Parquet: to a journal ``<out>.journal.csv`` beside it, merged at the
  end); at the end the table is rewritten in manifest order. A run started again with the same ``out``
  computes only the cases missing from it.
- A worker that dies mid-case has its case run again elsewhere by the scheduler (Dask's own rescheduling;
  after ``distributed.scheduler.allowed-failures`` deaths the case fails). A case whose extraction fails is
  not retried: it is reported with the library's error, and the other cases are kept.
- Workers need this package installed (it carries its library); with ``LocalCluster`` they share this
  Python environment.
- Threads: an extraction uses the library's thread pool of its worker process (one thread per core, or
  ``RAYON_NUM_THREADS``). With Dask's usual one worker thread per core, give the workers
  ``RAYON_NUM_THREADS=1`` (``LocalCluster(..., env={"RAYON_NUM_THREADS": "1"})``, or the environment of
  ``dask worker``) so that each case runs on its own core, as one ``radiomics batch`` job does; the
  values are the same either way. Dask's default ``MALLOC_TRIM_THRESHOLD_=65536`` for its workers costs
  an extraction a third more page faults; ``local_cluster`` of ``examples/python/dask_cohort.py`` leaves
  it out.
"""

import ctypes
import hashlib
import math
import os
import sys
import uuid

import radiomics_rs as _rr

__all__ = ["CohortError", "extract_cohort", "read_manifest"]

#: Columns of a manifest that are not modalities, and the first columns of the feature table.
ID_COLUMNS = ("case_id", "patient_id", "label", "split")


class CohortError(Exception):
    """Some cases failed. ``failed`` maps each failed case_id to its error message (in manifest order);
    ``table`` is the feature table of the cases that succeeded (also written to ``out``)."""

    def __init__(self, failed, table):
        self.failed = failed
        self.table = table
        lines = [f"{len(failed)} of {len(failed) + len(table)} cases failed; rerun to retry only those"]
        lines += [f"  {msg}" for msg in failed.values()]
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------------------------------------------------
# Manifest and parameters (read on the client)


def _valid_modality(name):
    return (
        bool(name)
        and "a" <= name[0] <= "z"
        and all("a" <= c <= "z" or "0" <= c <= "9" or c == "-" for c in name)
    )


def _check_cell(what, value):
    if any(c in value for c in ',"\n\r'):
        raise ValueError(f"{what} '{value}' contains a comma, quote or line break")


def _rows_from_table(header, records, base, where):
    """Manifest rows from a header and records of strings, as ``radiomics batch`` reads them."""
    if "case_id" not in header:
        raise ValueError(f"{where} has no 'case_id' column")
    if "mask" not in header:
        raise ValueError(f"{where} has no 'mask' column")
    modalities = [h for h in header if h not in ID_COLUMNS and h != "mask"]
    if not modalities:
        raise ValueError(f"{where} has no image column (one column per modality, e.g. t1c, adc, fa)")
    for m in modalities:
        if not _valid_modality(m):
            raise ValueError(
                f"{where} column: modality name '{m}' must be lower-case letters, digits or '-', "
                "starting with a letter (e.g. t1c, adc, fa)"
            )
    col = {h: i for i, h in enumerate(header)}

    base = os.path.abspath(base)

    def resolve(p):
        return p if os.path.isabs(p) else os.path.join(base, p)

    rows, seen = [], set()
    for n, f in enumerate(records):
        if len(f) != len(header):
            raise ValueError(f"{where} row {n + 2} has {len(f)} fields, the header {len(header)}")
        case_id = f[col["case_id"]]
        if not case_id or case_id in seen:
            raise ValueError(f"{where} row {n + 2}: case_id '{case_id}' is empty or repeated")
        seen.add(case_id)
        row = {k: (f[col[k]] if k in col else "") for k in ID_COLUMNS}
        for k in ID_COLUMNS:
            _check_cell(k, row[k])
        row["images"] = [(m, resolve(f[col[m]])) for m in modalities]
        row["mask"] = resolve(f[col["mask"]])
        rows.append(row)
    return rows


def read_manifest(manifest):
    """The cases of a manifest (a path to a CSV file, or a :class:`pandas.DataFrame` with its columns) as
    dicts ``{case_id, patient_id, label, split, images: [(modality, path)], mask}``, paths absolute."""
    if isinstance(manifest, (str, os.PathLike)):
        path = os.fspath(manifest)
        with open(path, encoding="utf-8", newline="") as fh:
            # As batch reads it: lines end at "\n" (a "\r" before it dropped), blank lines skipped.
            text = fh.read()
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
        lines = [ln for ln in lines if ln.strip()]
        if not lines:
            raise ValueError(f"manifest '{path}' is empty")
        split = [[c.strip() for c in ln.split(",")] for ln in lines]
        return _rows_from_table(split[0], split[1:], os.path.dirname(path), "manifest")
    try:
        columns = [str(c).strip() for c in manifest.columns]
    except AttributeError:
        raise TypeError(
            f"manifest must be a path or a pandas DataFrame, not {type(manifest).__name__}"
        ) from None

    def cell(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return str(v).strip()

    records = [[cell(v) for v in r] for r in manifest.itertuples(index=False, name=None)]
    return _rows_from_table(columns, records, os.getcwd(), "manifest")


def _read_params_file(path):
    """(text, is_json) of a parameter file, checked by parsing it here."""
    path = os.path.abspath(os.fspath(path))
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    is_json = path.lower().endswith(".json")
    _rr.Settings.from_file(path).close()  # fails early, naming the file, if the library refuses it
    return text, is_json


def _params_spec(params):
    """``{None: default, modality: ...}`` of (text, is_json) from ``radiomics batch``'s ``--params``
    forms: a path (every modality), a dict ``{modality: path}`` (key ``None``: every other modality), or
    a list of ``FILE`` / ``MODALITY=FILE`` strings."""
    if params is None:
        return {}
    if isinstance(params, (str, os.PathLike)):
        return {None: _read_params_file(params)}
    if isinstance(params, dict):
        items = list(params.items())
    elif isinstance(params, (list, tuple)):
        items = []
        for p in params:
            p = os.fspath(p)
            m, eq, f = p.partition("=")
            items.append((m, f) if eq else (None, p))
    else:
        raise TypeError(
            "params must be a path, a {modality: path} dict or a list of 'FILE' / 'MODALITY=FILE', not "
            f"{type(params).__name__}"
        )
    spec = {}
    for modality, path in items:
        if modality is not None and not _valid_modality(modality):
            raise ValueError(
                f"modality name '{modality}' must be lower-case letters, digits or '-', starting with a "
                "letter (e.g. t1c, adc, fa)"
            )
        spec[modality] = _read_params_file(path)
    return spec


# ---------------------------------------------------------------------------------------------------------
# The task (runs on a worker)


def _task_spec(spec):
    """The parameters as they travel with each task: ``((modality, digest, text, is_json), ...)``, the
    digest naming the parsed settings in each worker's cache."""
    out = []
    for modality, (text, is_json) in spec.items():
        digest = hashlib.sha256(f"{int(is_json)}{text}".encode()).hexdigest()
        out.append((modality, digest, text, is_json))
    return tuple(out)


#: Parsed settings of this process, by digest: each worker parses a parameter file once.
_SETTINGS = {}


def _settings(digest, text, is_json):
    s = _SETTINGS.get(digest)
    if s is None:
        s = _rr.Settings.from_json(text) if is_json else _rr.Settings.from_yaml(text)
        if len(_SETTINGS) >= 64:
            _SETTINGS.clear()
        _SETTINGS[digest] = s
    return s


def _run_case(case, spec):
    """One task: ``case`` is ``(case_id, ((modality, path), ...), mask)``, ``spec`` from
    :func:`_task_spec`. Returns ``(names, cells)``, the feature names joined by line breaks and the values
    as the table writes them joined by commas, or ``(None, message)`` when the library refuses the case."""
    case_id, images, mask = case
    by_modality = {m: _settings(d, t, j) for m, d, t, j in spec}
    n = len(images)
    default = by_modality.get(None)
    names = (ctypes.c_char_p * n)(*[m.encode() for m, _ in images])
    paths = (ctypes.c_char_p * n)(*[os.fsencode(p) for _, p in images])
    own = (ctypes.c_void_p * n)(
        *[by_modality[m]._as_parameter_ if m in by_modality else None for m, _ in images]
    )
    out = ctypes.c_void_p()
    status = _rr._lib.rad_extract_case_files(
        default, n, names, paths, own, os.fsencode(mask), ctypes.byref(out)
    )
    if status != 0:
        message = _rr._lib.rad_last_error_message().decode("utf-8", "replace")
        prefix = _rr._lib.rad_status_name(status).decode() + ": "  # batch's messages have no status name
        if message.startswith(prefix):
            message = message[len(prefix):]
        return None, f"case '{case_id}': {message}"
    try:
        text = ctypes.c_char_p()
        _rr._check(_rr._lib.rad_features_to_csv(out, ctypes.byref(text)))
        try:
            csv = ctypes.string_at(text).decode()
        finally:
            _rr._lib.rad_string_free(text)
    finally:
        _rr._lib.rad_features_free(out)
    # "name,value" lines after the header; names never contain a comma.
    pairs = [ln.rsplit(",", 1) for ln in csv.split("\n")[1:] if ln]
    return "\n".join([p[0] for p in pairs]), ",".join([p[1] for p in pairs])


def _size(row):
    """The bytes of a case's image files as this process sees them (0 for those it cannot see): how
    long the case will take, roughly."""
    total = 0
    for _, path in row["images"]:
        try:
            total += os.stat(path).st_size
        except OSError:
            pass
    return total


def _case(row):
    return (row["case_id"], tuple(row["images"]), row["mask"])


def extract_case(row, spec):
    """Extracts one manifest row (from :func:`read_manifest`) on this process, as ``radiomics batch``
    does, with ``spec`` the parameters as :func:`_params_spec` reads them. Returns ``(names, cells)``
    (the feature names and the values written as the table writes them), or ``(None, message)`` when the
    library refuses the case."""
    names, cells = _run_case(_case(row), _task_spec(spec))
    if names is None:
        return None, cells
    return _split(names, "\n"), _split(cells, ",")


def _bind():
    lib = _rr._lib
    if not hasattr(lib, "rad_extract_case_files"):
        raise ImportError(
            f"radiomics_rs.distributed: {_rr.library_path} lacks rad_extract_case_files (ABI 3); "
            "install a newer radiomics library"
        )
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    lib.rad_extract_case_files.restype = ctypes.c_int32
    lib.rad_extract_case_files.argtypes = [vp, ctypes.c_size_t, ctypes.POINTER(cp), ctypes.POINTER(cp),
                                           ctypes.POINTER(vp), cp, ctypes.POINTER(vp)]
    lib.rad_features_to_csv.restype = ctypes.c_int32
    lib.rad_features_to_csv.argtypes = [vp, ctypes.POINTER(cp)]
    lib.rad_string_free.restype = None
    lib.rad_string_free.argtypes = [cp]


_bind()


# ---------------------------------------------------------------------------------------------------------
# The table (batch's format)
#
# A finished case is kept as one string, its cells joined by commas as the table writes them: the form the
# workers send and the table's lines take, so that nothing is split or parsed per case on the way.


def _fields(line):
    return [c.strip() for c in line.split(",")]


def _read_csv_table(path, columns, done):
    """Adds the rows of a table in batch's format to ``done`` (case_id -> cells joined by commas);
    returns its feature columns (or ``columns`` when the file has no header). A last line without its
    line break (cut short by an interruption) is ignored."""
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    lines = text.split("\n")
    if lines and lines[-1] != "":
        lines = lines[:-1]  # incomplete last line
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    lines = [ln for ln in lines if ln]
    if not lines:
        return columns
    header = _fields(lines[0])
    if tuple(header[:4]) != ID_COLUMNS:
        raise ValueError(
            f"'{path}' exists but is not a feature table of this tool (its header does not start with "
            f"{','.join(ID_COLUMNS)})"
        )
    if columns and header[4:] != columns:
        raise ValueError(f"'{path}' has other feature columns than its table")
    for ln in lines[1:]:
        f = _fields(ln)
        if len(f) == len(header):
            done[f[0]] = ",".join(f[4:])
    return header[4:]


def _read_parquet_table(path, done):
    import pandas as pd

    df = pd.read_parquet(path)
    if tuple(df.columns[:4]) != ID_COLUMNS:
        raise ValueError(f"'{path}' exists but is not a feature table of this tool")
    columns = [str(c) for c in df.columns[4:]]
    for rec in df.itertuples(index=False, name=None):
        # Cells that read back to the same doubles (they only make the returned table and the Parquet
        # file again, never a CSV table).
        done[str(rec[0])] = ",".join([repr(float(v)) for v in rec[4:]])
    return columns


def _split(text, sep):
    return text.split(sep) if text else []


def _line(row, cells):
    ids = ",".join([row[k] for k in ID_COLUMNS])
    return f"{ids},{cells}\n" if cells else f"{ids}\n"


def _table_text(rows, columns, done):
    out = [",".join(list(ID_COLUMNS) + list(columns)) + "\n"]
    for r in rows:
        cells = done.get(r["case_id"])
        if cells is not None:
            out.append(_line(r, cells))
    return "".join(out)


def _frame(rows, columns, done):
    import numpy as np
    import pandas as pd

    kept = [r for r in rows if r["case_id"] in done]
    data = {k: pd.Series([r[k] for r in kept], dtype=object) for k in ID_COLUMNS}
    # Each cell is the shortest text that reads back to its double: float() gives that double.
    values = np.array([[float(c) for c in _split(done[r["case_id"]], ",")] for r in kept], dtype=np.float64)
    values = values.reshape(len(kept), len(columns))
    for j, c in enumerate(columns):
        data[c] = values[:, j]
    return pd.DataFrame(data)


def _replace(path, write):
    """Writes through a temporary file then renames it, so that the table is never half written."""
    tmp = path + ".partial"
    write(tmp)
    os.replace(tmp, path)


def _write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


class _Journal:
    """Appends finished cases to a table file in batch's format, whole lines at a time."""

    def __init__(self, path, columns):
        self.path = path
        self.columns = list(columns)
        self.fd = None

    def add(self, lines):
        """Appends ``lines`` (each ending in a line break) with one write."""
        if not lines:
            return
        if self.fd is None:
            new = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if not new:
                self._drop_partial_line()
                new = os.path.getsize(self.path) == 0
            if new:
                os.write(self.fd, (",".join(list(ID_COLUMNS) + self.columns) + "\n").encode())
        data = "".join(lines).encode()
        while data:  # os.write may write less than asked
            data = data[os.write(self.fd, data):]

    def _drop_partial_line(self):
        # An interrupted run may have left its last line cut short (the readers ignore it): cut it off.
        with open(self.path, "rb") as fh:
            data = fh.read()
        if not data.endswith(b"\n"):
            os.truncate(self.path, data.rfind(b"\n") + 1)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# ---------------------------------------------------------------------------------------------------------
# Progress


class _Progress:
    """tqdm when it is installed, else a text bar on stderr."""

    def __init__(self, total, enabled):
        self.total, self.done, self.bar = total, 0, None
        self.enabled = enabled and total > 0
        if not self.enabled:
            return
        try:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="case", desc="radiomics")
        except ImportError:
            self._draw()

    def _draw(self):
        width = 30
        filled = self.done * width // max(self.total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {self.done}/{self.total} cases")
        if self.done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def step(self, n=1):
        self.done += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
        else:
            self._draw()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _interactive():
    if hasattr(sys, "ps1") or "IPython" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------------------


def extract_cohort(manifest, params, client, out=None, *, progress=None, errors="raise"):
    """The feature table of a cohort, computed on a Dask cluster, one task per case.

    ``manifest``: a path to a manifest CSV (``case_id,patient_id,label,split,mask`` and one image column
    per modality), or a :class:`pandas.DataFrame` with those columns. ``params``: as ``radiomics batch
    --params``: a parameter file for every modality, a dict ``{modality: path}`` (a ``None`` key for every
    other modality; modalities without one get PyRadiomics' defaults), or a list of ``FILE`` and
    ``MODALITY=FILE`` strings; ``None`` for PyRadiomics' defaults. ``client``: a
    :class:`dask.distributed.Client`. ``out``: ``None``, or a ``.csv`` / ``.parquet`` table written as
    cases finish, and reused (only missing cases are computed) when it exists.

    Returns a :class:`pandas.DataFrame`: ``case_id, patient_id, label, split`` (strings) then the
    features (float64), one row per case in manifest order. ``progress``: show a progress bar (``None``:
    when interactive). ``errors``: ``"raise"`` raises :class:`CohortError` (with the table of the other
    cases and each failure's message) when a case fails; ``"warn"`` warns and returns the table without
    the failed cases, listing them in ``table.attrs["failed"]``.
    """
    if errors not in ("raise", "warn"):
        raise ValueError(f"errors must be 'raise' or 'warn', not {errors!r}")
    from distributed import as_completed

    rows = read_manifest(manifest)
    spec = _params_spec(params)
    columns, done = [], {}
    out_path, journal_path, parquet = None, None, False
    if out is not None:
        out_path = os.path.abspath(os.fspath(out))
        parquet = out_path.lower().endswith((".parquet", ".pq"))
        journal_path = out_path + ".journal.csv" if parquet else out_path
        if parquet and os.path.exists(out_path):
            columns = _read_parquet_table(out_path, done)
        if os.path.exists(journal_path):
            columns = _read_csv_table(journal_path, columns, done)
    # Largest cases first, so that the last tasks of the run are short ones and no worker idles long at
    # the end waiting for one big case; the table is written in manifest order all the same.
    todo = sorted((r for r in rows if r["case_id"] not in done), key=_size, reverse=True)
    failed = {}
    bar = _Progress(len(todo), _interactive() if progress is None else progress)
    journal = _Journal(journal_path, columns) if journal_path else None
    run = uuid.uuid4().hex[:8]
    pending = {}
    try:
        if todo:
            # One graph for the whole cohort, one task per case; the parameters travel as text (parsed
            # once per worker), the case as its paths.
            keys = [f"radiomics-case-{r['case_id']}-{run}" for r in todo]
            futures = client.map(
                _run_case, [_case(r) for r in todo], spec=_task_spec(spec), key=keys, pure=False,
                retries=0,
            )
            by_key = {k: r for k, r in zip(keys, todo)}
            pending = {f.key: f for f in futures}
            joined = "\n".join(columns)
            # Results are fetched in the background as tasks finish and handed over in batches: one
            # write of the journal per batch.
            for finished in as_completed(futures, with_results=True, raise_errors=False).batches():
                lines = []
                for fut, result in finished:
                    r = by_key[fut.key]
                    pending.pop(fut.key, None)
                    if fut.status == "finished":
                        names, cells = result
                    else:  # the task raised, its workers kept dying (KilledWorker), or it was cancelled
                        e = result[1] if isinstance(result, tuple) else result
                        names, cells = None, f"case '{r['case_id']}': {type(e).__name__}: {e}"
                    fut.release()
                    if names is None:
                        failed[r["case_id"]] = cells
                    elif not columns or names == joined:
                        if not columns:
                            columns, joined = _split(names, "\n"), names
                            if journal is not None:
                                journal.columns = list(columns)
                        done[r["case_id"]] = cells
                        lines.append(_line(r, cells))
                    else:
                        failed[r["case_id"]] = (
                            f"case '{r['case_id']}': its {len(_split(names, chr(10)))} features differ from "
                            f"the table's {len(columns)} columns (were the settings changed since the "
                            "table was written?)"
                        )
                if journal is not None:
                    journal.add(lines)
                bar.step(len(finished))
    finally:
        if pending:
            client.cancel(list(pending.values()))
        bar.close()
        if journal is not None:
            journal.close()
    table = _frame(rows, columns, done)
    if out_path is not None:
        if parquet:
            _replace(out_path, lambda p: table.to_parquet(p, index=False))
            if os.path.exists(journal_path):
                os.remove(journal_path)
        else:
            text = _table_text(rows, columns, done)
            _replace(out_path, lambda p: _write_text(p, text))
    failed = {r["case_id"]: failed[r["case_id"]] for r in rows if r["case_id"] in failed}
    if failed:
        if errors == "raise":
            raise CohortError(failed, table)
        import warnings

        warnings.warn(str(CohortError(failed, table)), RuntimeWarning, stacklevel=2)
        table.attrs["failed"] = failed
    return table
