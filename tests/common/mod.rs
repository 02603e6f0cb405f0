//! Shared helpers for integration tests: where the reference data lives, and reading its tables.
#![allow(dead_code)]

pub mod npy;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The reference data folder: `$RADIOMICS_TEST_DATA`, else `../shared/data` beside the repository.
/// `None` (with a printed notice) where neither exists, so that tests skip on a user's fresh machine;
/// CI refuses to run without the data, so it can never skip silently.
pub fn data_dir() -> Option<PathBuf> {
    let candidate = match std::env::var_os("RADIOMICS_TEST_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    if candidate.is_dir() {
        Some(candidate)
    } else {
        eprintln!(
            "notice: reference data not found at '{}' (set RADIOMICS_TEST_DATA); skipping",
            candidate.display()
        );
        None
    }
}

/// Skips the calling test (returns early) when the reference data is absent.
#[macro_export]
macro_rules! require_data {
    () => {
        match common::data_dir() {
            Some(d) => d,
            None => return,
        }
    };
}

/// Reads a `name,value` CSV into ordered pairs: the features, without PyRadiomics' `diagnostics_*` rows.
pub fn read_name_value_csv(path: &std::path::Path) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with("diagnostics_"))
        .map(|l| {
            let (n, v) = l.rsplit_once(',').expect("name,value");
            (n.to_string(), v.trim().parse::<f64>().unwrap_or(f64::NAN))
        })
        .collect()
}

/// PyRadiomics parity rule: within 1e-6 relative, or 1e-9 absolute where the reference is below 1e-9.
pub fn close(actual: f64, reference: f64, rel: f64) -> bool {
    if reference.is_nan() {
        return actual.is_nan();
    }
    if reference.abs() < 1e-9 {
        return (actual - reference).abs() <= 1e-9;
    }
    ((actual - reference) / reference).abs() <= rel
}

/// Splits one CSV line, honouring double-quoted fields (commas inside quotes stay in the field).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A PyRadiomics baseline table (`baseline_<class>.csv`): column name → (row name → cell).
pub fn read_baseline(path: &Path) -> HashMap<String, HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = split_csv(lines.next().expect("a header line"));
    let mut cols: HashMap<String, HashMap<String, String>> = HashMap::new();
    for line in lines {
        let cells = split_csv(line);
        for (h, c) in header.iter().zip(&cells).skip(1) {
            cols.entry(h.clone())
                .or_default()
                .insert(cells[0].clone(), c.clone());
        }
    }
    cols
}

/// A random small case for property tests: `slices` × `side` × `side` voxels (z, y, x), integer intensities
/// in a narrow range (so that textures repeat), and a label image of random ROI voxels (label 1).
pub fn small_case(
    slices: std::ops::Range<usize>,
    side: std::ops::Range<usize>,
) -> impl proptest::strategy::Strategy<Value = (ndarray::Array3<f64>, ndarray::Array3<f64>)> {
    use proptest::prelude::*;
    (slices, side.clone(), side).prop_flat_map(|(z, y, x)| {
        (
            proptest::collection::vec(-3i32..6, z * y * x),
            proptest::collection::vec(0u8..3, z * y * x),
        )
            .prop_map(move |(v, m)| {
                let img = ndarray::Array3::from_shape_vec(
                    (z, y, x),
                    v.into_iter().map(f64::from).collect(),
                )
                .unwrap();
                let lab = ndarray::Array3::from_shape_vec(
                    (z, y, x),
                    m.into_iter().map(|b| f64::from(b.min(1))).collect(),
                )
                .unwrap();
                (img, lab)
            })
    })
}
