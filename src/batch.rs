//! Cohort extraction: a manifest of cases in, one feature table out; parallel over cases, rerunnable.
//!
//! # Manifest
//! A CSV with the columns `case_id`, `patient_id`, `label`, `split`, `mask`, and one column per modality
//! holding that image's path (any other column name is a modality: `t1c`, `adc`, `fa`, ...). Relative paths
//! are read from the manifest's folder.
//!
//! # Feature table
//! `case_id,patient_id,label,split,<features...>`, one row per case in manifest order, values in shortest
//! round-trip form. Running again with the same output keeps the rows already there and computes only the
//! missing ones; a failed case is reported with its error, the others are kept, and the run as a whole
//! reports failure. Rows of cases absent from the manifest are kept (after the manifest's), unless
//! [`BatchOptions::prune`] is set.
//!
//! # Durability
//! Each finished case is appended to a journal beside the table (`<out>.journal`) and flushed to disk
//! (`fsync`) as soon as it is computed, so a run killed at any moment (even `kill -9`) loses no finished
//! case: a rerun reads the journal, computes only the others, and writes the same table an uninterrupted
//! run would have. The table itself is replaced atomically (written beside it, flushed, renamed), then the
//! journal is removed. A lock (`<out>.lock`, held with `flock`, released by the system when the process
//! dies) refuses a second run on the same output; `<out>.inputs` records the settings and each case's
//! input files, so that a rerun with other settings, or a case whose files or labels changed, is refused
//! with what to do instead of mixing rows of two runs.
//!
//! # Settings file
//! Beside the table, `<table>.settings.json` ([`crate::study::table_settings_path`]) records the extraction
//! settings of its features; `radiomics train` stores them in the model, so that the model can predict
//! from images.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::case::{check_modality_name, Case, CaseExtractor};
use crate::error::{Error, ErrorKind, Result};
use crate::extract::format_value;
use crate::image::io::{read_image, read_label_image_for};

/// Columns of a manifest that are not modalities.
pub const ID_COLUMNS: [&str; 4] = ["case_id", "patient_id", "label", "split"];

/// One case of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRow {
    /// Unique case (lesion) identifier.
    pub case_id: String,
    /// Patient identifier (several lesions may share one).
    pub patient_id: String,
    /// Class label as written (`0`/`1`, or empty when unknown).
    pub label: String,
    /// Split as written (`train`, `test`, or empty).
    pub split: String,
    /// Image path per modality, in the manifest's column order.
    pub images: Vec<(String, PathBuf)>,
    /// The label image.
    pub mask: PathBuf,
}

/// Splits a simple CSV line (no quoted fields).
fn fields(line: &str) -> Vec<String> {
    line.split(',').map(|f| f.trim().to_string()).collect()
}

/// Checks that a value can be written to a CSV cell without quoting.
fn check_cell(what: &str, v: &str) -> Result<()> {
    if v.contains([',', '"', '\n', '\r']) {
        return Err(Error::format(format!(
            "{what} '{v}' contains a comma, quote or line break"
        )));
    }
    Ok(())
}

/// Reads a manifest (see the module docs).
pub fn read_manifest(path: &Path) -> Result<Vec<ManifestRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = fields(
        lines
            .next()
            .ok_or_else(|| Error::format(format!("manifest '{}' is empty", path.display())))?,
    );
    let col = |name: &str| header.iter().position(|h| h == name);
    let (ci, pi, li, si, mi) = (
        col("case_id"),
        col("patient_id"),
        col("label"),
        col("split"),
        col("mask"),
    );
    let ci = ci.ok_or_else(|| Error::format("manifest has no 'case_id' column"))?;
    let mi = mi.ok_or_else(|| Error::format("manifest has no 'mask' column"))?;
    let modalities: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| !ID_COLUMNS.contains(&h.as_str()) && h.as_str() != "mask")
        .map(|(i, h)| (i, h.clone()))
        .collect();
    if modalities.is_empty() {
        return Err(Error::format(
            "manifest has no image column (one column per modality, e.g. t1c, adc, fa)",
        ));
    }
    for (_, m) in &modalities {
        check_modality_name(m).map_err(|e| e.context("manifest column"))?;
    }
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (n, line) in lines.enumerate() {
        let f = fields(line);
        if f.len() != header.len() {
            return Err(Error::format(format!(
                "manifest row {} has {} fields, the header {}",
                n + 2,
                f.len(),
                header.len()
            )));
        }
        let get = |i: Option<usize>| i.map(|i| f[i].clone()).unwrap_or_default();
        let case_id = f[ci].clone();
        if case_id.is_empty() || !seen.insert(case_id.clone()) {
            return Err(Error::format(format!(
                "manifest row {}: case_id '{case_id}' is empty or repeated",
                n + 2
            )));
        }
        let resolve = |p: &str| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        };
        rows.push(ManifestRow {
            case_id,
            patient_id: get(pi),
            label: get(li),
            split: get(si),
            images: modalities
                .iter()
                .map(|(i, m)| (m.clone(), resolve(&f[*i])))
                .collect(),
            mask: resolve(&f[mi]),
        });
    }
    Ok(rows)
}

/// Loads and extracts one manifest case.
pub fn extract_row(row: &ManifestRow, extractor: &CaseExtractor) -> Result<crate::Features> {
    let mut images = Vec::new();
    for (m, p) in &row.images {
        images.push((
            m.clone(),
            read_image(p).map_err(|e| e.context(format!("modality '{m}'")))?,
        ));
    }
    // A DICOM SEG or RTSTRUCT mask is placed on the grid of the first image.
    let label = extractor.default_settings().params().label;
    let (first_path, first_image) = (&row.images[0].1, &images[0].1);
    let mask = read_label_image_for(&row.mask, label, Some(first_path), first_image)
        .map_err(|e| e.context("mask"))?;
    extractor.extract(&Case { images, mask })
}

/// What a batch run did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Cases computed in this run.
    pub computed: usize,
    /// Cases kept from an earlier run (its table or its journal).
    pub reused: usize,
    /// Cases that failed, with their errors, in manifest order.
    pub failed: Vec<(String, Error)>,
    /// Rows of cases absent from the manifest: kept, or removed with [`BatchOptions::prune`].
    pub others: usize,
}

/// How a batch runs.
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// Cases extracted in parallel (0 = one per core).
    pub jobs: usize,
    /// Remove rows of cases absent from the manifest (kept otherwise).
    pub prune: bool,
    /// Files the run reads besides the manifest's images (the manifest, parameter files): the output may
    /// be none of them.
    pub inputs: Vec<PathBuf>,
}

/// Runs a batch: extracts every case of `rows` not already in `out`, on `jobs` threads (0 = all cores),
/// and writes the table. `progress(done, total)` is called after each case. See [`run_batch_with`].
pub fn run_batch(
    rows: &[ManifestRow],
    extractor: &CaseExtractor,
    out: &Path,
    jobs: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BatchOutcome> {
    let options = BatchOptions {
        jobs,
        ..BatchOptions::default()
    };
    run_batch_with(rows, extractor, out, &options, progress)
}

/// One row of a table: id columns, then the feature cells.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    ids: [String; 4],
    values: Vec<String>,
}

impl Row {
    fn line(&self) -> String {
        let mut t = self.ids.join(",");
        for v in &self.values {
            t.push(',');
            t.push_str(v);
        }
        t.push('\n');
        t
    }
}

/// A path with `suffix` appended to its file name.
fn beside(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    out.with_file_name(name)
}

/// The absolute form of `p` (its folder resolved, so that a file not yet created compares too).
fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(p) {
        return c;
    }
    let parent = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(parent), p.file_name()) {
        (Ok(d), Some(n)) => d.join(n),
        _ => p.to_path_buf(),
    }
}

/// The lock on `<out>.lock`, held while the file stays open.
struct Lock {
    _file: std::fs::File,
}

fn lock(out: &Path) -> Result<Lock> {
    let path = beside(out, ".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, "create the lock file", &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor this function owns; no memory is passed.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "another batch run is writing '{}' (it holds '{}'); wait for it to finish, or choose another --out",
                    out.display(),
                    path.display()
                ),
            ));
        }
    }
    Ok(Lock { _file: file })
}

/// The digest of one case's inputs: its image paths, mask path and id columns.
fn case_fingerprint(r: &ManifestRow) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for (m, p) in &r.images {
        h.update(m.as_bytes());
        h.update([0]);
        h.update(p.to_string_lossy().as_bytes());
        h.update([0]);
    }
    h.update(r.mask.to_string_lossy().as_bytes());
    h.update([0]);
    for v in [&r.patient_id, &r.label, &r.split] {
        h.update(v.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `text` to `path` atomically: beside it, flushed to disk, renamed over it.
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = beside(path, ".partial");
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, "write", &e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&tmp, "write", &e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, "write", &e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Runs a batch as [`run_batch`], with `options` (see the module documentation for durability, the lock
/// and the checks of settings and inputs).
pub fn run_batch_with(
    rows: &[ManifestRow],
    extractor: &CaseExtractor,
    out: &Path,
    options: &BatchOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BatchOutcome> {
    for r in rows {
        for (what, v) in [
            ("case_id", &r.case_id),
            ("patient_id", &r.patient_id),
            ("label", &r.label),
            ("split", &r.split),
        ] {
            check_cell(what, v)?;
        }
    }
    if options.jobs > crate::settings::MAX_THREADS {
        return Err(Error::invalid(format!(
            "{} parallel cases; at most {} are allowed",
            options.jobs,
            crate::settings::MAX_THREADS
        )));
    }
    // The output must not be one of the inputs.
    let target = absolute(out);
    let inputs = options
        .inputs
        .iter()
        .cloned()
        .chain(rows.iter().flat_map(|r| {
            r.images
                .iter()
                .map(|(_, p)| p.clone())
                .chain([r.mask.clone()])
        }));
    for input in inputs {
        if absolute(&input) == target {
            return Err(Error::invalid(format!(
                "--out '{}' is one of the inputs ('{}'); choose another output file",
                out.display(),
                input.display()
            )));
        }
    }
    let _lock = lock(out)?;

    // What an earlier run recorded: settings and each case's inputs.
    let record_path = beside(out, ".inputs");
    let settings = extractor.settings_fingerprint();
    let mut record: BTreeMap<String, String> = BTreeMap::new();
    if record_path.exists() {
        let text = std::fs::read_to_string(&record_path)
            .map_err(|e| Error::io(&record_path, "read", &e))?;
        let mut lines = text.lines();
        let recorded = lines.next().unwrap_or("").strip_prefix("settings ");
        if recorded != Some(settings.as_str()) {
            return Err(Error::new(
                ErrorKind::UnsupportedSetting,
                format!(
                    "'{}' was computed with other settings; rows of two settings cannot share a table: write to another --out, or delete '{}' and '{}' to recompute every case",
                    out.display(),
                    out.display(),
                    record_path.display()
                ),
            ));
        }
        for l in lines {
            if let Some((fp, id)) = l.split_once(' ') {
                record.insert(id.to_string(), fp.to_string());
            }
        }
    }

    // Rows of the table, then those the journal of an interrupted run holds.
    let journal_path = beside(out, ".journal");
    let (mut columns, mut done) = if out.exists() {
        read_rows(out, false)?
    } else {
        (Vec::new(), Vec::new())
    };
    if journal_path.exists() {
        let (jcols, jrows) = read_rows(&journal_path, true)?;
        if jcols.is_empty() {
            // Killed before its header was complete: nothing in it.
            std::fs::remove_file(&journal_path)
                .map_err(|e| Error::io(&journal_path, "remove", &e))?;
        } else {
            if columns.is_empty() {
                columns = jcols;
            } else if columns != jcols {
                return Err(Error::format(format!(
                    "the journal '{}' of an interrupted run has other columns than '{}'; delete the journal to recompute its cases",
                    journal_path.display(),
                    out.display()
                )));
            }
        }
        for r in jrows {
            if !done.iter().any(|d: &Row| d.ids[0] == r.ids[0]) {
                done.push(r);
            }
        }
    }
    let by_id: BTreeMap<&str, usize> = done
        .iter()
        .enumerate()
        .map(|(i, r)| (r.ids[0].as_str(), i))
        .collect();

    // A kept row must come from the same inputs as the manifest's case.
    for r in rows {
        if let Some(&i) = by_id.get(r.case_id.as_str()) {
            let fp = case_fingerprint(r);
            let same_ids =
                done[i].ids[1..] == [r.patient_id.clone(), r.label.clone(), r.split.clone()];
            let same_files = record.get(&r.case_id).is_none_or(|f| *f == fp);
            if !(same_ids && same_files) {
                return Err(Error::format(format!(
                    "case '{}' in '{}' was computed from other inputs than the manifest now gives ({}); write to another --out, or delete '{}' to recompute every case",
                    r.case_id,
                    out.display(),
                    if same_ids {
                        "other image or mask files"
                    } else {
                        "another patient_id, label or split"
                    },
                    out.display()
                )));
            }
        }
    }
    for r in rows {
        record.insert(r.case_id.clone(), case_fingerprint(r));
    }
    let mut text = format!("settings {settings}\n");
    for (id, fp) in &record {
        text.push_str(&format!("{fp} {id}\n"));
    }
    write_atomic(&record_path, &text)?;

    let todo: Vec<&ManifestRow> = rows
        .iter()
        .filter(|r| !by_id.contains_key(r.case_id.as_str()))
        .collect();
    let mut outcome = BatchOutcome {
        reused: rows.len() - todo.len(),
        ..BatchOutcome::default()
    };
    let total = todo.len();
    let counter = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs)
        .build()
        .map_err(|e| Error::internal(format!("cannot start {} threads: {e}", options.jobs)))?;
    // The journal: each finished case appended and flushed to disk at once.
    struct Journal {
        file: Option<std::fs::File>,
        columns: Vec<String>,
    }
    let journal = std::sync::Mutex::new(Journal {
        file: None,
        columns: columns.clone(),
    });
    let record_case = |row: &ManifestRow, f: &crate::Features| -> Result<Option<Row>> {
        let mut j = journal
            .lock()
            .map_err(|_| Error::internal("journal lock poisoned"))?;
        if j.columns.is_empty() {
            j.columns = f.names().to_vec();
        }
        if f.names() != j.columns.as_slice() {
            return Ok(None);
        }
        let r = Row {
            ids: [
                row.case_id.clone(),
                row.patient_id.clone(),
                row.label.clone(),
                row.split.clone(),
            ],
            values: f.values().iter().map(|&v| format_value(v)).collect(),
        };
        if j.file.is_none() {
            let fresh = !journal_path.exists();
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&journal_path)
                .map_err(|e| Error::io(&journal_path, "write", &e))?;
            // A line cut by a kill is completed by a line break, so that it is ignored, not merged.
            let mut head = String::from("\n");
            if fresh {
                head = ID_COLUMNS.join(",");
                for c in &j.columns {
                    head.push(',');
                    head.push_str(c);
                }
                head.push_str(",journal_end\n");
            }
            file.write_all(head.as_bytes())
                .map_err(|e| Error::io(&journal_path, "write", &e))?;
            j.file = Some(file);
        }
        let file = j.file.as_mut().expect("opened above");
        // Each journal line ends with a field `ok`: a line cut anywhere before it is not taken.
        let mut line = r.line();
        line.pop();
        line.push_str(",ok\n");
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&journal_path, "write", &e))?;
        Ok(Some(r))
    };
    let results: Vec<Result<Option<Row>>> = pool.install(|| {
        todo.par_iter()
            .map(|row| {
                let r = extract_row(row, extractor)
                    .map_err(|e| e.context(format!("case '{}'", row.case_id)))
                    .and_then(|f| record_case(row, &f));
                progress(counter.fetch_add(1, Ordering::SeqCst) + 1, total);
                r
            })
            .collect()
    });
    let journal = journal
        .into_inner()
        .map_err(|_| Error::internal("journal lock poisoned"))?;
    columns = journal.columns;
    drop(journal.file);
    for (row, result) in todo.iter().zip(results) {
        match result {
            Ok(Some(r)) => {
                done.push(r);
                outcome.computed += 1;
            }
            Ok(None) => outcome.failed.push((
                row.case_id.clone(),
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "case '{}': its features differ from the table's {} columns (were the settings changed since the table was written?)",
                        row.case_id,
                        columns.len()
                    ),
                ),
            )),
            Err(e) => outcome.failed.push((row.case_id.clone(), e)),
        }
    }
    // The table: the manifest's cases in its order, then (unless pruned) the other rows as they were.
    let in_manifest: BTreeSet<&str> = rows.iter().map(|r| r.case_id.as_str()).collect();
    let by_id: BTreeMap<&str, &Row> = done.iter().map(|r| (r.ids[0].as_str(), r)).collect();
    let mut text = ID_COLUMNS.join(",");
    for c in &columns {
        text.push(',');
        text.push_str(c);
    }
    text.push('\n');
    for r in rows {
        if let Some(d) = by_id.get(r.case_id.as_str()) {
            text.push_str(&d.line());
        }
    }
    for d in &done {
        if !in_manifest.contains(d.ids[0].as_str()) {
            outcome.others += 1;
            if !options.prune {
                text.push_str(&d.line());
            }
        }
    }
    write_atomic(out, &text)?;
    crate::study::write_table_settings(out, extractor)?;
    if journal_path.exists() {
        std::fs::remove_file(&journal_path).map_err(|e| Error::io(&journal_path, "remove", &e))?;
    }
    Ok(outcome)
}

type Rows = (Vec<String>, Vec<Row>);

/// Reads a table (or, with `journal`, a journal) written by [`run_batch`]: feature columns, and the
/// complete rows in file order (a line cut short by an interrupted write, or of another width, is
/// skipped; a journal line counts only when it ends with its `ok` field).
fn read_rows(path: &Path, journal: bool) -> Result<Rows> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
    // Only lines ended by a line break are complete.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut lines = complete.lines().filter(|l| !l.is_empty());
    let mut header = match lines.next() {
        Some(h) => fields(h),
        None => return Ok((Vec::new(), Vec::new())),
    };
    if journal && header.pop().as_deref() != Some("journal_end") {
        return Ok((Vec::new(), Vec::new()));
    }
    if header.len() < 4 || header[..4] != ID_COLUMNS {
        return Err(Error::format(format!(
            "'{}' exists but is not a feature table of this tool (its header does not start with {})",
            path.display(),
            ID_COLUMNS.join(",")
        )));
    }
    let columns = header[4..].to_vec();
    let mut rows = Vec::new();
    for line in lines {
        let mut f = fields(line);
        if journal && f.pop().as_deref() != Some("ok") {
            continue;
        }
        if f.len() == header.len() {
            rows.push(Row {
                ids: [f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone()],
                values: f[4..].to_vec(),
            });
        }
    }
    Ok((columns, rows))
}
