//! Shared helpers for integration tests: where the reference data lives, and reading its tables.
#![allow(dead_code)]

pub mod npy;

use std::path::PathBuf;

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

/// Reads a `name,value` CSV into ordered pairs.
pub fn read_name_value_csv(path: &std::path::Path) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
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
