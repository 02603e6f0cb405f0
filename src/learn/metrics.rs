//! Metrics of a binary classifier: ROC AUC with DeLong's confidence interval, the ROC curve, Youden's
//! threshold and the confusion matrix at a threshold.
//!
//! ```text
//! AUC  = (1/(m·n)) Σ_i Σ_j ψ(X_i, Y_j),  ψ(x, y) = 1 if x > y, ½ if x = y, 0 otherwise
//!        X: scores of the m positives, Y: scores of the n negatives (ties count half)
//!      = (R_X − m(m+1)/2) / (m·n),  R_X the sum of the positives' midranks among all scores
//! DeLong et al. (1988) structural components, computed with midranks (Sun & Xu, 2014):
//!   V10_i = (1/n) Σ_j ψ(X_i, Y_j) = (T_Z(X_i) − T_X(X_i)) / n
//!   V01_j = (1/m) Σ_i ψ(X_i, Y_j) = 1 − (T_Z(Y_j) − T_Y(Y_j)) / m
//!   T_Z, T_X, T_Y: midranks among all scores, among positives, among negatives
//!   Var(AUC) = S10/m + S01/n,  S10, S01 the sample variances (ddof 1) of V10, V01
//!   CI = AUC ± z_{1−α/2} √Var, clipped to [0, 1]
//! Youden's J = sensitivity + specificity − 1, maximised over the thresholds of the ROC curve
//! ```
//! A case is predicted positive when its probability is ≥ the threshold.
//!
//! References: DeLong, DeLong & Clarke-Pearson, Biometrics 44 (1988) 837–845; Sun & Xu, IEEE Signal Process.
//! Lett. 21 (2014) 1389–1393; Youden, Cancer 3 (1950) 32–35.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// z_{0.975}, the two-sided 95 % normal quantile.
pub const Z_95: f64 = 1.959_963_984_540_054;

fn check(labels: &[u8], scores: &[f64]) -> Result<(usize, usize)> {
    if labels.len() != scores.len() {
        return Err(Error::invalid(format!(
            "{} labels but {} scores",
            labels.len(),
            scores.len()
        )));
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::invalid(format!("score {i} is not finite")));
    }
    let m = labels.iter().filter(|&&l| l == 1).count();
    let n = labels.len() - m;
    if m == 0 || n == 0 {
        return Err(Error::invalid(
            "the AUC needs at least one positive and one negative case",
        ));
    }
    Ok((m, n))
}

/// Midranks (1-based, ties share their mean rank) of `v`.
fn midranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = mid;
        }
        i = j + 1;
    }
    r
}

/// Area under the ROC curve (ties counted half), by midranks.
pub fn roc_auc(labels: &[u8], scores: &[f64]) -> Result<f64> {
    let (m, n) = check(labels, scores)?;
    let r = midranks(scores);
    let rx: f64 = labels
        .iter()
        .zip(&r)
        .filter(|(&l, _)| l == 1)
        .map(|(_, &r)| r)
        .sum();
    let m_f = m as f64;
    Ok((rx - m_f * (m_f + 1.0) / 2.0) / (m_f * n as f64))
}

/// An AUC with its DeLong standard error and confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AucCi {
    /// The AUC.
    pub auc: f64,
    /// DeLong's standard error √Var(AUC).
    pub se: f64,
    /// Lower bound of the interval (≥ 0).
    pub lower: f64,
    /// Upper bound of the interval (≤ 1).
    pub upper: f64,
}

/// The AUC and its two-sided interval at normal quantile `z` (use [`Z_95`] for 95 %), by DeLong's method.
pub fn delong_ci(labels: &[u8], scores: &[f64], z: f64) -> Result<AucCi> {
    let (m, n) = check(labels, scores)?;
    let pos: Vec<f64> = (0..labels.len())
        .filter(|&i| labels[i] == 1)
        .map(|i| scores[i])
        .collect();
    let neg: Vec<f64> = (0..labels.len())
        .filter(|&i| labels[i] == 0)
        .map(|i| scores[i])
        .collect();
    let all: Vec<f64> = pos.iter().chain(&neg).copied().collect();
    let tz = midranks(&all);
    let tx = midranks(&pos);
    let ty = midranks(&neg);
    let (m_f, n_f) = (m as f64, n as f64);
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / n_f).collect();
    let v01: Vec<f64> = (0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / m_f).collect();
    let auc = v10.iter().sum::<f64>() / m_f;
    let var = |v: &[f64]| {
        if v.len() < 2 {
            return 0.0;
        }
        let mu = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|a| (a - mu) * (a - mu)).sum::<f64>() / (v.len() - 1) as f64
    };
    let se = (var(&v10) / m_f + var(&v01) / n_f).sqrt();
    Ok(AucCi {
        auc,
        se,
        lower: (auc - z * se).max(0.0),
        upper: (auc + z * se).min(1.0),
    })
}

/// One point of the ROC curve: predicting positive at score ≥ `threshold` gives (`fpr`, `tpr`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// The threshold (+∞ for the first point, which predicts no positive).
    pub threshold: f64,
    /// False-positive rate 1 − specificity.
    pub fpr: f64,
    /// True-positive rate, the sensitivity.
    pub tpr: f64,
}

/// The ROC curve: one point per distinct score (descending thresholds), starting at (0, 0).
pub fn roc_curve(labels: &[u8], scores: &[f64]) -> Result<Vec<RocPoint>> {
    let (m, n) = check(labels, scores)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![RocPoint {
        threshold: f64::INFINITY,
        fpr: 0.0,
        tpr: 0.0,
    }];
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < order.len() {
        let t = scores[order[i]];
        while i < order.len() && scores[order[i]] == t {
            if labels[order[i]] == 1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        points.push(RocPoint {
            threshold: t,
            fpr: fp as f64 / n as f64,
            tpr: tp as f64 / m as f64,
        });
    }
    Ok(points)
}

/// The threshold maximising Youden's J on the ROC curve; among equal J (within 1e-12) the highest threshold.
pub fn youden_threshold(labels: &[u8], scores: &[f64]) -> Result<f64> {
    let curve = roc_curve(labels, scores)?;
    let mut best = (f64::NEG_INFINITY, f64::INFINITY);
    for p in curve.iter().skip(1) {
        let j = p.tpr - p.fpr;
        if j > best.0 + 1e-12 {
            best = (j, p.threshold);
        }
    }
    Ok(best.1)
}

/// Counts at a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Positives predicted positive.
    pub tp: usize,
    /// Negatives predicted positive.
    pub fp: usize,
    /// Negatives predicted negative.
    pub tn: usize,
    /// Positives predicted negative (`"fn"` in JSON).
    #[serde(rename = "fn", alias = "fn_")]
    pub fn_: usize,
}

impl Confusion {
    /// Counts predictions `score ≥ threshold` against `labels`.
    pub fn at(labels: &[u8], scores: &[f64], threshold: f64) -> Confusion {
        let mut c = Confusion {
            tp: 0,
            fp: 0,
            tn: 0,
            fn_: 0,
        };
        for (&l, &s) in labels.iter().zip(scores) {
            match (l == 1, s >= threshold) {
                (true, true) => c.tp += 1,
                (true, false) => c.fn_ += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
            }
        }
        c
    }
}

/// The metrics at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdMetrics {
    /// The threshold (positive when probability ≥ threshold).
    pub threshold: f64,
    /// (tp + tn) / N.
    pub accuracy: f64,
    /// tp / (tp + fn).
    pub sensitivity: f64,
    /// tn / (tn + fp).
    pub specificity: f64,
    /// The counts.
    pub confusion: Confusion,
}

impl ThresholdMetrics {
    /// Metrics of `scores ≥ threshold` against `labels` (both classes present).
    pub fn at(labels: &[u8], scores: &[f64], threshold: f64) -> ThresholdMetrics {
        let c = Confusion::at(labels, scores, threshold);
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        ThresholdMetrics {
            threshold,
            accuracy: ratio(c.tp + c.tn, labels.len()),
            sensitivity: ratio(c.tp, c.tp + c.fn_),
            specificity: ratio(c.tn, c.tn + c.fp),
            confusion: c,
        }
    }
}

/// Everything `radiomics evaluate` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Number of cases.
    pub cases: usize,
    /// Number of positive cases.
    pub positives: usize,
    /// AUC with its 95 % DeLong interval.
    pub auc: AucCi,
    /// At the model's decision threshold.
    pub at_model_threshold: ThresholdMetrics,
    /// At 0.5.
    pub at_half: ThresholdMetrics,
    /// The ROC curve.
    pub roc: Vec<RocPoint>,
}

/// Evaluates probabilities against labels at `threshold` and at 0.5.
pub fn evaluate(labels: &[u8], probabilities: &[f64], threshold: f64) -> Result<Evaluation> {
    let auc = delong_ci(labels, probabilities, Z_95)?;
    Ok(Evaluation {
        cases: labels.len(),
        positives: labels.iter().filter(|&&l| l == 1).count(),
        auc,
        at_model_threshold: ThresholdMetrics::at(labels, probabilities, threshold),
        at_half: ThresholdMetrics::at(labels, probabilities, 0.5),
        roc: roc_curve(labels, probabilities)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hanley & McNeil (1982), Radiology 143:29–36, Table 1: CT ratings (1 = definitely normal ...
    /// 5 = definitely abnormal) of 58 normal and 51 abnormal cases. Published area 0.893 (their Table 2,
    /// from the trapezoid = Wilcoxon statistic) with standard error 0.032 by their exponential approximation.
    fn hanley_mcneil() -> (Vec<u8>, Vec<f64>) {
        let normal = [33, 6, 6, 11, 2];
        let abnormal = [3, 2, 2, 11, 33];
        let mut labels = Vec::new();
        let mut scores = Vec::new();
        for (r, (&a, &b)) in normal.iter().zip(&abnormal).enumerate() {
            for _ in 0..a {
                labels.push(0);
                scores.push(r as f64 + 1.0);
            }
            for _ in 0..b {
                labels.push(1);
                scores.push(r as f64 + 1.0);
            }
        }
        (labels, scores)
    }

    #[test]
    fn auc_of_the_hanley_mcneil_ct_ratings() {
        let (l, s) = hanley_mcneil();
        let auc = roc_auc(&l, &s).unwrap();
        assert!((auc - 0.893).abs() < 5e-4, "{auc}");
        let ci = delong_ci(&l, &s, Z_95).unwrap();
        assert!((ci.auc - auc).abs() < 1e-15);
        // DeLong's nonparametric SE and Hanley–McNeil's approximation agree to within a few thousandths here.
        assert!((ci.se - 0.032).abs() < 0.004, "{}", ci.se);
    }

    /// The direct O(m·n) definition, as a slow reference for the midrank formulas.
    fn delong_direct(labels: &[u8], scores: &[f64]) -> (f64, f64) {
        let pos: Vec<f64> = (0..labels.len())
            .filter(|&i| labels[i] == 1)
            .map(|i| scores[i])
            .collect();
        let neg: Vec<f64> = (0..labels.len())
            .filter(|&i| labels[i] == 0)
            .map(|i| scores[i])
            .collect();
        let psi = |x: f64, y: f64| {
            if x > y {
                1.0
            } else if x == y {
                0.5
            } else {
                0.0
            }
        };
        let v10: Vec<f64> = pos
            .iter()
            .map(|&x| neg.iter().map(|&y| psi(x, y)).sum::<f64>() / neg.len() as f64)
            .collect();
        let v01: Vec<f64> = neg
            .iter()
            .map(|&y| pos.iter().map(|&x| psi(x, y)).sum::<f64>() / pos.len() as f64)
            .collect();
        let auc = v10.iter().sum::<f64>() / pos.len() as f64;
        let var = |v: &[f64]| {
            let mu = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|a| (a - mu).powi(2)).sum::<f64>() / (v.len() - 1) as f64
        };
        (
            auc,
            var(&v10) / pos.len() as f64 + var(&v01) / neg.len() as f64,
        )
    }

    #[test]
    fn midrank_delong_equals_the_definition_with_ties() {
        let (l, s) = hanley_mcneil();
        let (auc, var) = delong_direct(&l, &s);
        let ci = delong_ci(&l, &s, Z_95).unwrap();
        assert!((ci.auc - auc).abs() < 1e-14);
        assert!((ci.se * ci.se - var).abs() < 1e-14);
        assert!((ci.lower - (auc - Z_95 * var.sqrt())).abs() < 1e-14);
    }

    #[test]
    fn roc_curve_youden_and_confusion() {
        let l = [0, 0, 1, 1, 0, 1];
        let s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9];
        let c = roc_curve(&l, &s).unwrap();
        assert_eq!(c.len(), 7);
        assert_eq!((c[1].fpr, c[1].tpr), (0.0, 1.0 / 3.0));
        assert_eq!((c[6].fpr, c[6].tpr), (1.0, 1.0));
        // AUC 8/9: one negative (0.4) outranks one positive (0.35).
        assert!((roc_auc(&l, &s).unwrap() - 8.0 / 9.0).abs() < 1e-15);
        assert_eq!(youden_threshold(&l, &s).unwrap(), 0.8);
        let m = ThresholdMetrics::at(&l, &s, 0.35);
        assert_eq!(
            m.confusion,
            Confusion {
                tp: 3,
                fp: 1,
                tn: 2,
                fn_: 0
            }
        );
        assert!((m.accuracy - 5.0 / 6.0).abs() < 1e-15);
        assert!(roc_auc(&[1, 1], &[0.2, 0.3]).is_err());
    }
}
