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
//! The checksum is SHA-256 (FIPS 180-4) over the canonical JSON of the document without its `checksum`
//! field: object keys sorted by byte order, no whitespace, numbers as serde_json writes them (shortest
//! round-trip form). It detects corruption and hand edits; it is not a signature (whoever edits a file
//! can compute a new digest), so every structural invariant is checked on load as well: indices in
//! range, trees acyclic, parameters finite, dimensions consistent.
//!
//! Files written before SHA-256 (`fnv1a64:` checksums, a 64-bit hash that an edit can trivially re-forge)
//! are refused with a message asking to retrain; the training table gives the same model.

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

/// The checksum of a model document (its `checksum` field ignored): `sha256:` and 64 hex digits of the
/// SHA-256 digest of its canonical JSON (sorted keys, no whitespace).
pub fn checksum_of(doc: &Value) -> String {
    use sha2::Digest;
    let mut d = doc.clone();
    if let Value::Object(m) = &mut d {
        m.remove("checksum");
    }
    let mut s = String::new();
    canonical(&d, &mut s);
    let digest = sha2::Sha256::digest(s.as_bytes());
    let mut out = String::from("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `p` when it is a probability; NaN (parameters whose products overflow, or a non-finite input) is an
/// error naming `what`, never a silent result.
fn finite_probability(p: f64, what: &str) -> Result<f64> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(Error::invalid(format!(
            "the model gives no probability for {what} ({p}): its inputs or parameters overflow"
        )))
    }
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
        // Never write a file that no reader would load.
        crate::learn::validate::check_model(self)
            .map_err(|e| Error::invalid(format!("the model cannot be saved: {}", e.message())))?;
        let mut doc = serde_json::to_value(self).map_err(|e| Error::internal(e.to_string()))?;
        let sum = checksum_of(&doc);
        doc["checksum"] = Value::String(sum);
        serde_json::to_string_pretty(&doc).map_err(|e| Error::internal(e.to_string()))
    }

    /// Parses a model, refusing unknown format versions and failed checksums.
    pub fn from_json(text: &str) -> Result<Model> {
        let doc: Value = crate::strict_value::from_json(text)
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
        if stored.starts_with("fnv1a64:") {
            return Err(mismatch(
                "this model file was written by an earlier version with a 64-bit FNV-1a checksum, which does not protect it against edits; retrain it with `radiomics train` (the same table and options give the same model)",
            ));
        }
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

    /// Internal consistency of a parsed model (see [`crate::learn::validate`]).
    fn check(&self) -> Result<()> {
        crate::learn::validate::check_model(self)
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = self.to_json()?;
        std::fs::write(path, text).map_err(|e| Error::io(path, "write", &e))
    }

    /// Reads a model from `path`.
    pub fn load(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", &e))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            mismatch(format!(
                "{}: not a model file (not UTF-8 text)",
                path.display()
            ))
        })?;
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
        finite_probability(self.probability_of(&v), "the case")
    }

    /// P(label = 1) for every row of a table.
    pub fn predict_table(&self, table: &Table) -> Result<Vec<f64>> {
        let idx = self.locate(&table.names)?;
        table
            .x
            .rows()
            .into_iter()
            .zip(&table.case_ids)
            .map(|(r, id)| {
                let v: Vec<f64> = idx.iter().map(|&j| r[j]).collect();
                finite_probability(self.probability_of(&v), &format!("case '{id}'"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_test_vectors() {
        use sha2::Digest;
        // FIPS 180-2, appendix B.1 ("abc") and the empty message.
        let hex = |b: &[u8]| {
            sha2::Sha256::digest(b)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
        };
        assert_eq!(
            hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
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
