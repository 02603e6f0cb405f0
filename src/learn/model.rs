//! Model files: a versioned, self-describing JSON document.
//!
//! ```text
//! {
//!   "format_version": 1,               files of another version are refused
//!   "library_version": "0.1.0",
//!   "extraction_settings": null,       the settings the features were extracted with (opaque here)
//!   "feature_names": [...],            the training table's feature columns, in order
//!   "scaler": {"mean": [...], "scale": [...]},   one entry per feature name
//!   "selector": {...}, "selected_features": [...], "selected_scores": [...],
//!   "classifier_spec": {...}, "classifier": {"kind": "lda", ...},
//!   "threshold": 0.42,                 Youden's threshold on the training data's out-of-fold probabilities
//!   "training": {...},                 rows, folds, seed, the CV grid, warnings
//!   "checksum": "fnv1a64:0123456789abcdef"
//! }
//! ```
//! The checksum is 64-bit FNV-1a over the canonical JSON of the document without its `checksum` field:
//! object keys sorted by byte order, no whitespace, numbers as serde_json writes them (shortest round-trip
//! form). It detects corruption and hand edits, not tampering: it is not a cryptographic signature.

use std::path::Path;

use ndarray::Array1;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::learn::classify::{Classifier, ClassifierSpec};
use crate::learn::cv::GridCell;
use crate::learn::scale::Scaler;
use crate::learn::select::{Selection, SelectorSpec};
use crate::learn::table::Table;

/// The model file format this library writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// How the model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Training rows.
    pub rows: usize,
    /// Rows with label 1.
    pub positives: usize,
    /// Distinct patients.
    pub patients: usize,
    /// Cross-validation folds.
    pub folds: usize,
    /// Cross-validation repeats.
    pub repeats: usize,
    /// The seed.
    pub seed: u64,
    /// Mean CV AUC of the chosen pair.
    pub cv_auc_mean: f64,
    /// SD of the CV AUC of the chosen pair.
    pub cv_auc_sd: f64,
    /// The whole grid.
    pub grid: Vec<GridCell>,
    /// Warnings from the table and the folds.
    pub warnings: Vec<String>,
}

/// A trained pipeline: scaler → selected features → classifier → threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The version of this library that wrote the file.
    pub library_version: String,
    /// Extraction settings, stored as given.
    #[serde(default)]
    pub extraction_settings: Value,
    /// Feature names of the training table, in order.
    pub feature_names: Vec<String>,
    /// Scaler over `feature_names`.
    pub scaler: Scaler,
    /// The selector used.
    pub selector: SelectorSpec,
    /// The selected features, in the classifier's input order.
    pub selected_features: Vec<String>,
    /// The selector's score of each selected feature.
    pub selected_scores: Vec<f64>,
    /// The classifier's hyper-parameters.
    pub classifier_spec: ClassifierSpec,
    /// The fitted classifier.
    pub classifier: Classifier,
    /// Decision threshold: predict 1 when P ≥ threshold.
    pub threshold: f64,
    /// How the model was trained.
    pub training: TrainingSummary,
    /// `fnv1a64:` and 16 hex digits (see the module documentation).
    #[serde(default)]
    pub checksum: String,
}

/// 64-bit FNV-1a.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Canonical JSON: sorted keys, no whitespace.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(e, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The checksum of a model document (its `checksum` field ignored): `fnv1a64:` and 16 hex digits of the
/// FNV-1a hash of its canonical JSON (sorted keys, no whitespace).
pub fn checksum_of(doc: &Value) -> String {
    let mut d = doc.clone();
    if let Value::Object(m) = &mut d {
        m.remove("checksum");
    }
    let mut s = String::new();
    canonical(&d, &mut s);
    format!("fnv1a64:{:016x}", fnv1a64(s.as_bytes()))
}

fn mismatch(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::ModelMismatch, message)
}

impl Model {
    /// Assembles a model (the checksum is filled in when written).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        extraction_settings: Value,
        feature_names: Vec<String>,
        scaler: Scaler,
        selector: SelectorSpec,
        selection: &Selection,
        classifier_spec: ClassifierSpec,
        classifier: Classifier,
        threshold: f64,
        training: TrainingSummary,
    ) -> Model {
        Model {
            format_version: FORMAT_VERSION,
            library_version: env!("CARGO_PKG_VERSION").to_string(),
            extraction_settings,
            selected_features: selection
                .columns
                .iter()
                .map(|&j| feature_names[j].clone())
                .collect(),
            selected_scores: selection.scores.clone(),
            feature_names,
            scaler,
            selector,
            classifier_spec,
            classifier,
            threshold,
            training,
            checksum: String::new(),
        }
    }

    /// The model as pretty JSON text with its checksum.
    pub fn to_json(&self) -> Result<String> {
        let mut doc = serde_json::to_value(self).map_err(|e| Error::internal(e.to_string()))?;
        let sum = checksum_of(&doc);
        doc["checksum"] = Value::String(sum);
        serde_json::to_string_pretty(&doc).map_err(|e| Error::internal(e.to_string()))
    }

    /// Parses a model, refusing unknown format versions and failed checksums.
    pub fn from_json(text: &str) -> Result<Model> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| mismatch(format!("not a model file (invalid JSON: {e})")))?;
        let version = doc
            .get("format_version")
            .and_then(Value::as_u64)
            .ok_or_else(|| mismatch("not a model file (no format_version)"))?;
        if version != FORMAT_VERSION as u64 {
            return Err(mismatch(format!(
                "unknown model format version {version} (this library reads version {FORMAT_VERSION})"
            )));
        }
        let stored = doc
            .get("checksum")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let actual = checksum_of(&doc);
        if stored != actual {
            return Err(mismatch(format!(
                "model checksum failed (file says '{stored}', content gives '{actual}'): the file is damaged or was edited"
            )));
        }
        let model: Model = serde_json::from_value(doc)
            .map_err(|e| mismatch(format!("malformed model file: {e}")))?;
        model.check()?;
        Ok(model)
    }

    /// Internal consistency of a parsed model.
    fn check(&self) -> Result<()> {
        let p = self.feature_names.len();
        if self.scaler.mean.len() != p || self.scaler.scale.len() != p {
            return Err(mismatch("model scaler does not match its feature names"));
        }
        for f in &self.selected_features {
            if !self.feature_names.contains(f) {
                return Err(mismatch(format!(
                    "selected feature '{f}' is not among the model's features"
                )));
            }
        }
        if let Some(k) = self.classifier.n_features() {
            if k != self.selected_features.len() {
                return Err(mismatch(
                    "model classifier does not match its selected features",
                ));
            }
        }
        Ok(())
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = self.to_json()?;
        std::fs::write(path, text).map_err(|e| Error::io(path, "write", &e))
    }

    /// Reads a model from `path`.
    pub fn load(path: &Path) -> Result<Model> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
        Model::from_json(&text).map_err(|e| e.context(path.display()))
    }

    /// For each selected feature, its index in `names`; a missing one is an error naming it.
    fn locate<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<usize>> {
        self.selected_features
            .iter()
            .map(|f| {
                names.iter().position(|n| n.as_ref() == f).ok_or_else(|| {
                    mismatch(format!(
                        "the model needs feature '{f}', which the input lacks"
                    ))
                })
            })
            .collect()
    }

    /// Standardises the selected values (already in selected order) and returns P(label = 1).
    fn probability_of(&self, selected: &[f64]) -> f64 {
        let z: Array1<f64> = self
            .selected_features
            .iter()
            .zip(selected)
            .map(|(f, &v)| {
                let j = self.feature_names.iter().position(|n| n == f).unwrap_or(0);
                (v - self.scaler.mean[j]) / self.scaler.scale[j]
            })
            .collect();
        self.classifier.probability(z.view())
    }

    /// P(label = 1) from a named feature vector (extra names are ignored).
    pub fn predict_row<S: AsRef<str>>(&self, names: &[S], values: &[f64]) -> Result<f64> {
        if names.len() != values.len() {
            return Err(Error::invalid(format!(
                "{} feature names but {} values",
                names.len(),
                values.len()
            )));
        }
        let idx = self.locate(names)?;
        let mut v = Vec::with_capacity(idx.len());
        for (&i, f) in idx.iter().zip(&self.selected_features) {
            if !values[i].is_finite() {
                return Err(Error::invalid(format!(
                    "feature '{f}' is not finite ({})",
                    values[i]
                )));
            }
            v.push(values[i]);
        }
        Ok(self.probability_of(&v))
    }

    /// P(label = 1) for every row of a table.
    pub fn predict_table(&self, table: &Table) -> Result<Vec<f64>> {
        let idx = self.locate(&table.names)?;
        Ok(table
            .x
            .rows()
            .into_iter()
            .map(|r| {
                let v: Vec<f64> = idx.iter().map(|&j| r[j]).collect();
                self.probability_of(&v)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_test_vectors() {
        // From the FNV reference test suite (Fowler, Noll, Vo).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"d": [1.5, "x"], "c": null}}"#).unwrap();
        let mut s = String::new();
        canonical(&v, &mut s);
        assert_eq!(s, r#"{"a":{"c":null,"d":[1.5,"x"]},"b":1}"#);
    }
}
