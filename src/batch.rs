//! Cohort extraction: a manifest of cases in, one feature table out; parallel over cases, rerunnable.
//!
//! # Manifest
//! A CSV with the columns `case_id`, `patient_id`, `label`, `split`, `mask`, and one column per modality
//! holding that image's path (any other column name is a modality: `t1c`, `adc`, `fa`, ...). Relative paths
//! are read from the manifest's folder.
//!
//! # Feature table
//! `case_id,patient_id,label,split,<features...>`, one row per case in manifest order, values in shortest
//! round-trip form. Running again with the same output keeps the rows already there (for cases still in
//! the manifest) and computes only the missing ones; a failed case is reported with its error, the others
//! are kept, and the run as a whole reports failure.

use std::collections::BTreeMap;
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
    /// Cases kept from an earlier run.
    pub reused: usize,
    /// Cases that failed, with their errors, in manifest order.
    pub failed: Vec<(String, Error)>,
}

/// Runs a batch: extracts every case of `rows` not already in `out`, on `jobs` threads (0 = all cores),
/// and writes the table. `progress(done, total)` is called after each case.
pub fn run_batch(
    rows: &[ManifestRow],
    extractor: &CaseExtractor,
    out: &Path,
    jobs: usize,
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
    let (mut columns, mut done) = if out.exists() {
        read_table(out)?
    } else {
        (Vec::new(), BTreeMap::new())
    };
    let todo: Vec<&ManifestRow> = rows
        .iter()
        .filter(|r| !done.contains_key(&r.case_id))
        .collect();
    let mut outcome = BatchOutcome {
        reused: rows.len() - todo.len(),
        ..BatchOutcome::default()
    };
    let total = todo.len();
    let counter = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::internal(format!("cannot start {jobs} threads: {e}")))?;
    let results: Vec<Result<crate::Features>> = pool.install(|| {
        todo.par_iter()
            .map(|row| {
                let r = extract_row(row, extractor)
                    .map_err(|e| e.context(format!("case '{}'", row.case_id)));
                progress(counter.fetch_add(1, Ordering::SeqCst) + 1, total);
                r
            })
            .collect()
    });
    for (row, result) in todo.iter().zip(results) {
        match result {
            Ok(f) => {
                if columns.is_empty() {
                    columns = f.names().to_vec();
                } else if f.names() != columns.as_slice() {
                    outcome.failed.push((
                        row.case_id.clone(),
                        Error::new(
                            ErrorKind::InvalidArgument,
                            format!(
                                "case '{}': its {} features differ from the table's {} columns (were the settings changed since the table was written?)",
                                row.case_id,
                                f.len(),
                                columns.len()
                            ),
                        ),
                    ));
                    continue;
                }
                done.insert(
                    row.case_id.clone(),
                    f.values().iter().map(|&v| format_value(v)).collect(),
                );
                outcome.computed += 1;
            }
            Err(e) => outcome.failed.push((row.case_id.clone(), e)),
        }
    }
    write_table(out, rows, &columns, &done)?;
    Ok(outcome)
}

type Table = (Vec<String>, BTreeMap<String, Vec<String>>);

/// Reads a table written by [`run_batch`]: feature columns, and the feature cells by case.
fn read_table(path: &Path) -> Result<Table> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header = match lines.next() {
        Some(h) => fields(h),
        None => return Ok((Vec::new(), BTreeMap::new())),
    };
    if header.len() < 4 || header[..4] != ID_COLUMNS {
        return Err(Error::format(format!(
            "'{}' exists but is not a feature table of this tool (its header does not start with {})",
            path.display(),
            ID_COLUMNS.join(",")
        )));
    }
    let columns = header[4..].to_vec();
    let mut rows = BTreeMap::new();
    for line in lines {
        let f = fields(line);
        if f.len() == header.len() {
            rows.insert(f[0].clone(), f[4..].to_vec());
        }
    }
    Ok((columns, rows))
}

fn write_table(
    path: &Path,
    rows: &[ManifestRow],
    columns: &[String],
    done: &BTreeMap<String, Vec<String>>,
) -> Result<()> {
    let mut text = ID_COLUMNS.join(",");
    for c in columns {
        text.push(',');
        text.push_str(c);
    }
    text.push('\n');
    for r in rows {
        if let Some(values) = done.get(&r.case_id) {
            text.push_str(&format!(
                "{},{},{},{}",
                r.case_id, r.patient_id, r.label, r.split
            ));
            for v in values {
                text.push(',');
                text.push_str(v);
            }
            text.push('\n');
        }
    }
    // Write then rename, so that an interrupted run never leaves a half-written table.
    let tmp = path.with_extension("csv.partial");
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, "write", &e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, "write", &e))
}
