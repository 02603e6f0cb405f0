//! Structural checks of a model read from a file, or about to be written: every index in range, trees
//! acyclic, every parameter finite, dimensions consistent. A file that passes them cannot make prediction
//! panic, loop or return NaN for finite input.

use std::collections::HashSet;

use crate::error::{Error, ErrorKind, Result};
use crate::learn::classify::Classifier;
use crate::learn::model::Model;
use crate::learn::tree::Tree;

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::ModelMismatch, message.into())
}

/// Every value of `values` finite, else an error naming `what` and the first bad index.
fn all_finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(bad(format!(
            "model {what}[{i}] is {}, not a finite number",
            values[i]
        ))),
    }
}

/// Checks every invariant of `m` (see the module documentation).
pub(crate) fn check_model(m: &Model) -> Result<()> {
    let p = m.feature_names.len();
    let mut names = HashSet::new();
    for f in &m.feature_names {
        if !names.insert(f.as_str()) {
            return Err(bad(format!("model feature name '{f}' appears twice")));
        }
    }
    if m.scaler.mean.len() != p || m.scaler.scale.len() != p {
        return Err(bad(format!(
            "model scaler has {} means and {} scales for {p} feature names",
            m.scaler.mean.len(),
            m.scaler.scale.len()
        )));
    }
    if let Some(i) = m.scaler.mean.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!(
            "model scaler mean[{i}] (feature '{}') is {}, not a finite number",
            m.feature_names[i], m.scaler.mean[i]
        )));
    }
    if let Some(i) = m
        .scaler
        .scale
        .iter()
        .position(|s| !(s.is_finite() && *s > 0.0))
    {
        return Err(bad(format!(
            "model scaler scale[{i}] (feature '{}') is {}; a scale must be finite and positive",
            m.feature_names[i], m.scaler.scale[i]
        )));
    }
    let k = m.selected_features.len();
    if k == 0 {
        return Err(bad("model selects no feature"));
    }
    let mut selected = HashSet::new();
    for f in &m.selected_features {
        if !names.contains(f.as_str()) {
            return Err(bad(format!(
                "selected feature '{f}' is not among the model's features"
            )));
        }
        if !selected.insert(f.as_str()) {
            return Err(bad(format!("selected feature '{f}' appears twice")));
        }
    }
    if !(m.threshold.is_finite() && (0.0..=1.0).contains(&m.threshold)) {
        return Err(bad(format!(
            "model threshold {} is not a probability in [0, 1]",
            m.threshold
        )));
    }
    check_classifier(&m.classifier, k)
}

fn check_classifier(c: &Classifier, k: usize) -> Result<()> {
    let dims = |n: usize| {
        if n == k {
            Ok(())
        } else {
            Err(bad(format!(
                "model classifier has {n} coefficients for {k} selected features"
            )))
        }
    };
    match c {
        Classifier::Lda { coef, intercept } | Classifier::Logistic { coef, intercept } => {
            dims(coef.len())?;
            all_finite("classifier coef", coef)?;
            all_finite("classifier intercept", &[*intercept])
        }
        Classifier::Svm(s) => {
            if s.support_vectors.is_empty() {
                return Err(bad("model svm has no support vector"));
            }
            if s.dual_coef.len() != s.support_vectors.len() {
                return Err(bad(format!(
                    "model svm has {} dual coefficients for {} support vectors",
                    s.dual_coef.len(),
                    s.support_vectors.len()
                )));
            }
            for (i, v) in s.support_vectors.iter().enumerate() {
                dims(v.len())?;
                all_finite(&format!("svm support_vectors[{i}]"), v)?;
            }
            all_finite("svm dual_coef", &s.dual_coef)?;
            all_finite("svm rho, platt_a, platt_b", &[s.rho, s.platt_a, s.platt_b])?;
            if !(s.gamma.is_finite() && s.gamma > 0.0) {
                return Err(bad(format!(
                    "model svm gamma {} must be finite and positive",
                    s.gamma
                )));
            }
            Ok(())
        }
        Classifier::RandomForest { trees } => {
            if trees.is_empty() {
                return Err(bad("model random forest has no tree"));
            }
            for (i, t) in trees.iter().enumerate() {
                check_tree(t, k).map_err(|e| e.context(format!("model tree {i}")))?;
            }
            Ok(())
        }
    }
}

/// A tree's arrays have one length, its split features are selected features, and each child comes after
/// its parent (as trees are grown): then every descent ends at a leaf within `len` steps.
fn check_tree(t: &Tree, k: usize) -> Result<()> {
    let n = t.feature.len();
    if n == 0 {
        return Err(Error::new(ErrorKind::ModelMismatch, "has no node"));
    }
    if [
        t.threshold.len(),
        t.left.len(),
        t.right.len(),
        t.value.len(),
    ] != [n; 4]
    {
        return Err(Error::new(
            ErrorKind::ModelMismatch,
            "node arrays (feature, threshold, left, right, value) differ in length",
        ));
    }
    for i in 0..n {
        let v = t.value[i];
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(bad(format!(
                "node {i} value {v} is not a fraction in [0, 1]"
            )));
        }
        let f = t.feature[i];
        if f < 0 {
            continue;
        }
        if f as usize >= k {
            return Err(bad(format!(
                "node {i} splits on feature {f}, but {k} features are selected"
            )));
        }
        if t.threshold[i].is_nan() {
            return Err(bad(format!("node {i} threshold is NaN")));
        }
        for (side, c) in [("left", t.left[i]), ("right", t.right[i])] {
            let c = c as usize;
            if c <= i || c >= n {
                return Err(bad(format!(
                    "node {i} {side} child {c} is not a later node of the {n} (a cycle or out of range)"
                )));
            }
        }
    }
    Ok(())
}
