//! PyRadiomics' batch input and output: the CSV that `pyradiomics cases.csv -o out.csv -f csv` reads, and
//! the table it writes, so that an existing PyRadiomics batch job runs unchanged (`radiomics batch
//! --manifest cases.csv --params P.yaml --out out.csv`).
//!
//! # Input
//! A CSV (quoted fields allowed) whose header names the columns `Image` and `Mask`, and optionally `Label`
//! (the ROI's label for that case; empty: the parameter file's) and `Label_channel`; any other column is
//! passed through. Relative paths are read from the CSV's folder. A row without an image or mask is
//! skipped with a warning, as PyRadiomics skips it.
//!
//! # Output
//! PyRadiomics' rows: every input column in input order (`Image` and `Mask` as absolute paths), then the
//! `diagnostics_*` entries ([`crate::diagnostics`], unless `additionalInfo` is false), then the features;
//! numbers as Python writes them. The header is that of the first case that succeeded, with any column
//! only later cases have appended in sorted order (as PyRadiomics appends them). A case that fails keeps
//! its input columns and leaves the others empty; its error is reported.
//!
//! # Differences from PyRadiomics
//! - The table is written (atomically), not appended to an existing file.
//! - An empty `Label` cell means the parameter file's label (PyRadiomics fails that case).
//! - Cases are not resumed from an earlier run: each run computes every case.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::diagnostics::{csv_cell, python_float_repr, Diagnostics};
use crate::error::{Error, Result};
use crate::extract::{Extractor, Features};
use crate::image::io::{read_image, read_label_image_for};
use crate::settings::Settings;

/// One case of a PyRadiomics batch CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchCase {
    /// Every input column of the row, (header, value), in input order; `Image` and `Mask` hold the
    /// absolute paths.
    pub columns: Vec<(String, String)>,
    /// The image file.
    pub image: PathBuf,
    /// The label image (or DICOM SEG / RTSTRUCT) file.
    pub mask: PathBuf,
    /// The `Label` column, when it has a value.
    pub label: Option<i64>,
    /// The `Label_channel` column, when it has a value.
    pub label_channel: Option<i64>,
}

/// A PyRadiomics batch CSV: its header and its cases.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchInput {
    /// The input columns, in order.
    pub header: Vec<String>,
    /// The cases, in row order.
    pub cases: Vec<BatchCase>,
    /// Warnings about skipped rows (line number and why).
    pub warnings: Vec<String>,
}

/// Parses CSV text (RFC 4180: quoted fields with doubled quotes, line breaks inside quotes, `\n` or
/// `\r\n` line ends) into rows of fields. Blank lines are skipped.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                any = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if any || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                any = false;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err(Error::format("a quoted CSV field is not closed"));
    }
    if any || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// Whether the CSV at `path` is a PyRadiomics batch file: its header names `Image` and `Mask`.
pub fn is_pyradiomics_batch(path: &Path) -> Result<bool> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
    let first = parse_csv(text.lines().next().unwrap_or(""))?;
    Ok(first
        .first()
        .is_some_and(|h| h.iter().any(|c| c == "Image") && h.iter().any(|c| c == "Mask")))
}

/// `p` made absolute against the current folder, with `.` and `..` resolved by name (Python's
/// `os.path.abspath`).
fn absolute_lexical(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if out.parent().is_some() {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Reads a PyRadiomics batch CSV (see the module documentation).
pub fn read_batch(path: &Path) -> Result<BatchInput> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
    let mut rows = parse_csv(&text)
        .map_err(|e| e.context(format!("batch file '{}'", path.display())))?
        .into_iter();
    let header = rows
        .next()
        .ok_or_else(|| Error::format(format!("batch file '{}' is empty", path.display())))?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(ii), Some(mi)) = (col("Image"), col("Mask")) else {
        return Err(Error::format(format!(
            "batch file '{}' has no 'Image' and 'Mask' columns",
            path.display()
        )));
    };
    let (li, ci) = (col("Label"), col("Label_channel"));
    let base = path.parent().unwrap_or(Path::new("."));
    let mut cases = Vec::new();
    let mut warnings = Vec::new();
    for (n, row) in rows.enumerate() {
        let line = n + 2;
        let (Some(image), Some(mask)) = (row.get(ii), row.get(mi)) else {
            warnings.push(format!(
                "batch row {line}: no Image or Mask; the row is skipped"
            ));
            continue;
        };
        let resolve = |p: &str| absolute_lexical(&base.join(p));
        let (image, mask) = (resolve(image), resolve(mask));
        let number = |i: Option<usize>, what: &str| -> Result<Option<i64>> {
            match i.and_then(|i| row.get(i)).map(|v| v.trim()) {
                None | Some("") => Ok(None),
                Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                    Error::format(format!("batch row {line}: {what} '{v}' is not an integer"))
                }),
            }
        };
        let label = number(li, "Label")?;
        let label_channel = number(ci, "Label_channel")?;
        let columns = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let v = if i == ii {
                    image.to_string_lossy().into_owned()
                } else if i == mi {
                    mask.to_string_lossy().into_owned()
                } else {
                    row.get(i)?.clone()
                };
                Some((h.clone(), v))
            })
            .collect();
        cases.push(BatchCase {
            columns,
            image,
            mask,
            label,
            label_channel,
        });
    }
    Ok(BatchInput {
        header,
        cases,
        warnings,
    })
}

/// The settings of one case: `settings` with the case's `Label` and `Label_channel`.
pub fn case_settings(case: &BatchCase, settings: &Settings) -> Result<Settings> {
    let mut s = settings.clone();
    if let Some(l) = case.label {
        s.set("label", l.into())?;
    }
    if let Some(c) = case.label_channel {
        s.set("label_channel", c.into())?;
    }
    Ok(s)
}

/// Extracts one case: its diagnostics (empty when `additionalInfo` is false) and features.
pub fn extract_case(case: &BatchCase, settings: &Settings) -> Result<(Diagnostics, Features)> {
    let s = case_settings(case, settings)?;
    let image = read_image(&case.image).map_err(|e| e.context("Image"))?;
    let labels = read_label_image_for(&case.mask, s.params().label, Some(&case.image), &image)
        .map_err(|e| e.context("Mask"))?;
    let features = Extractor::new(s.clone()).extract(&image, &labels)?;
    let diagnostics = if Diagnostics::wanted(&s) {
        Diagnostics::compute(&s, &image, &labels)?
    } else {
        Diagnostics::new()
    };
    Ok((diagnostics, features))
}

/// The order in which PyRadiomics gives `names` (this library's output order, see [`crate::extract`]):
/// indices into `names`. PyRadiomics computes the classes of each derived image in the order of the
/// parameter file's `featureClass` section (shape classes first), and the features of a class enabled by
/// name in the order listed; this library in a fixed order. Names are `<image>_<class>_<feature>`.
pub fn pyradiomics_order(settings: &Settings, names: &[String]) -> Vec<usize> {
    let doc = settings.to_value();
    let classes = doc.get("featureClass").and_then(|v| v.as_object());
    let rank = |name: &str| -> (usize, usize) {
        let mut parts = name.splitn(3, '_');
        let (_, class, feature) = (parts.next(), parts.next(), parts.next());
        let (Some(class), Some(feature), Some(classes)) = (class, feature, classes) else {
            return (0, 0);
        };
        let Some(pos) = classes.keys().position(|c| c == class) else {
            return (0, 0);
        };
        // Shape classes are computed before the others, whatever their place in the file.
        let class_rank = if class.starts_with("shape") {
            pos
        } else {
            classes.len() + pos
        };
        let feature_rank = classes[class]
            .as_array()
            .and_then(|list| list.iter().position(|f| f.as_str() == Some(feature)))
            .unwrap_or(0);
        (class_rank, feature_rank)
    };
    let image = |name: &str| name.split('_').next().unwrap_or("").to_string();
    let mut order: Vec<usize> = (0..names.len()).collect();
    // Within each run of features of one derived image, a stable sort by PyRadiomics' rank.
    let mut start = 0;
    while start < names.len() {
        let img = image(&names[start]);
        let mut end = start + 1;
        while end < names.len() && image(&names[end]) == img {
            end += 1;
        }
        order[start..end].sort_by_key(|&i| rank(&names[i]));
        start = end;
    }
    order
}

/// What a run did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Cases computed.
    pub computed: usize,
    /// Cases that failed, (row number from 1, error), in row order.
    pub failed: Vec<(usize, Error)>,
}

/// Extracts every case on `jobs` threads (0 = one per core) and writes PyRadiomics' table to `out`
/// (see the module documentation). `progress(done, total)` is called after each case.
pub fn run_batch(
    input: &BatchInput,
    settings: &Settings,
    out: &Path,
    jobs: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BatchOutcome> {
    if jobs > crate::settings::MAX_THREADS {
        return Err(Error::invalid(format!(
            "{jobs} parallel cases; at most {} are allowed",
            crate::settings::MAX_THREADS
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::internal(format!("cannot start {jobs} threads: {e}")))?;
    let total = input.cases.len();
    let counter = AtomicUsize::new(0);
    let results: Vec<Result<Vec<(String, String)>>> = pool.install(|| {
        input
            .cases
            .par_iter()
            .map(|case| {
                let r = extract_case(case, settings).map(|(d, f)| {
                    let mut cells: Vec<(String, String)> = d
                        .entries()
                        .iter()
                        .map(|(n, v)| (n.clone(), v.to_python_str()))
                        .collect();
                    let (names, values) = (f.names(), f.values());
                    cells.extend(
                        pyradiomics_order(settings, names)
                            .into_iter()
                            .map(|i| (names[i].clone(), python_float_repr(values[i]))),
                    );
                    cells
                });
                progress(counter.fetch_add(1, Ordering::SeqCst) + 1, total);
                r
            })
            .collect()
    });
    let mut outcome = BatchOutcome::default();
    // The header: input columns, then the first successful case's outputs, then (sorted) any others.
    let mut header: Vec<String> = input.header.clone();
    let mut extra = std::collections::BTreeSet::new();
    let mut first = true;
    for cells in results.iter().flatten() {
        for (n, _) in cells {
            if header.contains(n) {
                continue;
            }
            if first {
                header.push(n.clone());
            } else {
                extra.insert(n.clone());
            }
        }
        first = false;
    }
    header.extend(extra);
    let mut text = header
        .iter()
        .map(|h| csv_cell(h))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for (i, (case, result)) in input.cases.iter().zip(results).enumerate() {
        let mut row: std::collections::HashMap<&str, String> = case
            .columns
            .iter()
            .map(|(h, v)| (h.as_str(), v.clone()))
            .collect();
        match result {
            Ok(cells) => {
                outcome.computed += 1;
                for (n, v) in cells {
                    let key = header.iter().find(|h| **h == n).map(String::as_str);
                    if let Some(k) = key {
                        row.insert(k, v);
                    }
                }
            }
            Err(e) => outcome.failed.push((i + 1, e)),
        }
        let line: Vec<String> = header
            .iter()
            .map(|h| csv_cell(row.get(h.as_str()).map_or("", String::as_str)))
            .collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    crate::batch::write_atomic(out, &text)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_may_be_quoted() {
        let rows =
            parse_csv("Image,Mask,Note\r\na.nii,\"b,1.nii\",\"say \"\"hi\"\"\"\n\nc,d,\n").unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["Image", "Mask", "Note"],
                vec!["a.nii", "b,1.nii", "say \"hi\""],
                vec!["c", "d", ""],
            ]
        );
        assert!(parse_csv("a,\"b\n").is_err());
    }

    #[test]
    fn paths_are_made_absolute_by_name() {
        let p = absolute_lexical(Path::new("/data/cases/../img/./a.nii"));
        assert_eq!(p, PathBuf::from("/data/img/a.nii"));
        assert!(absolute_lexical(Path::new("x.nii")).is_absolute());
    }
}
