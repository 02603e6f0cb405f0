//! Feature selectors. Each takes standardised training rows and returns the chosen columns (ascending) with
//! their scores; a selector is fitted inside every cross-validation fold, on that fold's training rows only.
//!
//! ```text
//! anova        F_j = [Σ_k n_k (μ_jk − μ_j)² / (K − 1)] / [Σ_k Σ_{i∈k} (x_ij − μ_jk)² / (n − K)]   (f_classif)
//!              keep the k largest F (default k = 10), or F ≥ threshold
//! mutual_info  Ross's nearest-neighbour estimate between a continuous feature and the label (n_neighbors 3):
//!              I = ψ(N) + ⟨ψ(k)⟩ − ⟨ψ(N_y)⟩ − ⟨ψ(m_i)⟩, m_i = #{j : |x_j − x_i| < d_i}, d_i the distance to the
//!              k-th nearest neighbour of the same label (mutual_info_classif); k largest (default 10) or ≥ threshold
//! lasso        L1 logistic regression; C from {10^−4, …, 10^4} (10 values, log-spaced) by the mean AUC of an
//!              inner stratified, patient-grouped 3-fold CV (ties: the smaller C); keep |w_j| > threshold
//!              (default 0), or the k largest |w_j| of those
//! tree         importances of 100 extremely randomised trees; keep importance ≥ threshold (default the mean
//!              importance, SelectFromModel's rule), or the k largest
//! rfe          recursive feature elimination with L2 logistic regression (C = 1): refit, drop the feature with
//!              the smallest |w_j| (ties: the first), until k remain (default ⌊p/2⌋); above 100 features 10 % are
//!              dropped per round to keep it affordable. Score: |w_j| in the last fit
//! ```
//! Ties in a top-k choice go to the lower column index. A selector never returns an empty set: if its rule
//! keeps nothing, the single best-scoring column is kept.
//! scikit-learn's `mutual_info_classif` adds noise of relative size 1e-10 to break ties; this estimate adds
//! none, so on features with repeated values the two differ slightly (see the parity test).

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::learn::cv::stratified_group_folds;
use crate::learn::logistic;
use crate::learn::metrics::roc_auc;
use crate::learn::tree;

/// The selector methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectorKind {
    /// ANOVA F-test (`f_classif`).
    Anova,
    /// Mutual information (`mutual_info_classif`).
    MutualInfo,
    /// L1-penalised logistic regression, strength by inner CV.
    Lasso,
    /// Extremely randomised trees' importances (`SelectFromModel(ExtraTreesClassifier)`).
    Tree,
    /// Recursive feature elimination with logistic regression.
    Rfe,
}

impl SelectorKind {
    /// Every selector, in grid order.
    pub const ALL: [SelectorKind; 5] = [
        SelectorKind::Anova,
        SelectorKind::MutualInfo,
        SelectorKind::Lasso,
        SelectorKind::Tree,
        SelectorKind::Rfe,
    ];

    /// The command-line and file name.
    pub fn name(self) -> &'static str {
        match self {
            SelectorKind::Anova => "anova",
            SelectorKind::MutualInfo => "mutual_info",
            SelectorKind::Lasso => "lasso",
            SelectorKind::Tree => "tree",
            SelectorKind::Rfe => "rfe",
        }
    }

    /// Parses a name of [`SelectorKind::name`].
    pub fn parse(name: &str) -> Result<SelectorKind> {
        SelectorKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown selector '{name}' (known: anova, mutual_info, lasso, tree, rfe)"
                ))
            })
    }
}

/// A selector and its size rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectorSpec {
    /// The method.
    pub kind: SelectorKind,
    /// Keep this many columns (at most p).
    pub k: Option<usize>,
    /// Keep columns whose score passes this threshold (see the module table); ignored by `rfe`.
    pub threshold: Option<f64>,
}

impl SelectorSpec {
    /// The method with its default rule.
    pub fn new(kind: SelectorKind) -> SelectorSpec {
        SelectorSpec {
            kind,
            k: None,
            threshold: None,
        }
    }
}

/// The chosen columns (ascending) and their scores, one per chosen column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Column indices into the input, ascending.
    pub columns: Vec<usize>,
    /// The selector's score of each chosen column.
    pub scores: Vec<f64>,
}

/// f_classif's F per column (∞ where the within-class spread is 0 and the means differ, 0 where both are 0).
pub fn anova_f(x: ArrayView2<f64>, y: &[u8]) -> Vec<f64> {
    let n = x.nrows() as f64;
    let n1 = y.iter().filter(|&&v| v == 1).count() as f64;
    let n0 = n - n1;
    x.columns()
        .into_iter()
        .map(|col| {
            let (mut s0, mut s1) = (0.0, 0.0);
            for (v, &l) in col.iter().zip(y) {
                if l == 1 {
                    s1 += v;
                } else {
                    s0 += v;
                }
            }
            let (m0, m1) = (s0 / n0, s1 / n1);
            let m = (s0 + s1) / n;
            let ssb = n0 * (m0 - m).powi(2) + n1 * (m1 - m).powi(2);
            let ssw: f64 = col
                .iter()
                .zip(y)
                .map(|(v, &l)| (v - if l == 1 { m1 } else { m0 }).powi(2))
                .sum();
            let f = (ssb / 1.0) / (ssw / (n - 2.0));
            if f.is_nan() {
                0.0
            } else {
                f
            }
        })
        .collect()
}

/// ψ(x), the digamma function, for x > 0 (recurrence up to 12, then the asymptotic series to x⁻¹⁰).
fn digamma(mut x: f64) -> f64 {
    let mut r = 0.0;
    while x < 12.0 {
        r -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    r + x.ln()
        - 0.5 / x
        - f * (1.0 / 12.0 - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f / 132.0))))
}

/// Ross's mutual information estimate between each column and the label, in nats (≥ 0).
pub fn mutual_info(x: ArrayView2<f64>, y: &[u8]) -> Vec<f64> {
    const NEIGHBOURS: usize = 3;
    let counts = [
        y.iter().filter(|&&v| v == 0).count(),
        y.iter().filter(|&&v| v == 1).count(),
    ];
    let keep: Vec<usize> = (0..y.len())
        .filter(|&i| counts[y[i] as usize] > 1)
        .collect();
    let n = keep.len();
    x.columns()
        .into_iter()
        .map(|col| {
            let mut radius = vec![0.0; n];
            let mut kk = vec![0.0; n];
            for class in [0u8, 1] {
                let idx: Vec<usize> = (0..n).filter(|&a| y[keep[a]] == class).collect();
                if idx.len() < 2 {
                    continue;
                }
                let k = NEIGHBOURS.min(idx.len() - 1);
                let mut vals: Vec<(f64, usize)> = idx.iter().map(|&a| (col[keep[a]], a)).collect();
                vals.sort_by(|a, b| a.0.total_cmp(&b.0));
                for s in 0..vals.len() {
                    let lo = s.saturating_sub(k);
                    let hi = (s + k).min(vals.len() - 1);
                    let mut d: Vec<f64> = (lo..=hi)
                        .filter(|&t| t != s)
                        .map(|t| (vals[t].0 - vals[s].0).abs())
                        .collect();
                    d.sort_by(f64::total_cmp);
                    // Strictly inside the k-th neighbour's distance: the next float below it.
                    let r = d[k - 1];
                    radius[vals[s].1] = if r > 0.0 {
                        f64::from_bits(r.to_bits() - 1)
                    } else {
                        0.0
                    };
                    kk[vals[s].1] = k as f64;
                }
            }
            let mut sorted: Vec<f64> = keep.iter().map(|&i| col[i]).collect();
            sorted.sort_by(f64::total_cmp);
            let mut sum_m = 0.0;
            for a in 0..n {
                let v = col[keep[a]];
                // Count |x_j − v| ≤ r by walking out from v: comparing v ± r instead would round.
                let start = sorted.partition_point(|&s| s < v);
                let mut m = 0usize;
                let mut t = start;
                while t < n && sorted[t] - v <= radius[a] {
                    m += 1;
                    t += 1;
                }
                let mut t = start;
                while t > 0 && v - sorted[t - 1] <= radius[a] {
                    m += 1;
                    t -= 1;
                }
                sum_m += digamma(m as f64);
            }
            let nf = n as f64;
            let mean_k = kk.iter().map(|&k| digamma(k)).sum::<f64>() / nf;
            let mean_ny = keep
                .iter()
                .map(|&i| digamma(counts[y[i] as usize] as f64))
                .sum::<f64>()
                / nf;
            (digamma(nf) + mean_k - mean_ny - sum_m / nf).max(0.0)
        })
        .collect()
}

/// Indices of the `k` largest scores (ties: lower index), ascending (for checking selections).
#[doc(hidden)]
pub fn top_k_pub(scores: &[f64], k: usize) -> Vec<usize> {
    top_k(scores, k)
}

/// Indices of the `k` largest scores (ties: lower index), ascending.
fn top_k(scores: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = order.into_iter().take(k.max(1)).collect();
    chosen.sort_unstable();
    chosen
}

fn by_rule(scores: &[f64], k: Option<usize>, keep: impl Fn(f64) -> bool) -> Vec<usize> {
    if let Some(k) = k {
        return top_k(scores, k.min(scores.len()));
    }
    let chosen: Vec<usize> = (0..scores.len()).filter(|&j| keep(scores[j])).collect();
    if chosen.is_empty() {
        top_k(scores, 1)
    } else {
        chosen
    }
}

/// The inverse-regularisation grid of the lasso selector: 10^−4 … 10^4, 10 values.
pub const LASSO_CS: [f64; 10] = [
    1e-4,
    7.742636826811277e-4,
    5.994842503189409e-3,
    4.641588833612773e-2,
    0.3593813663804626,
    2.782559402207126,
    21.54434690031882,
    166.81005372000593,
    1291.5496650148827,
    1e4,
];

/// The C chosen by the lasso selector's inner cross-validation.
fn lasso_c(x: ArrayView2<f64>, y: &[u8], groups: &[String], seed: u64) -> Result<f64> {
    let folds = stratified_group_folds(y, groups, 3, seed)?;
    let mut best = (f64::NEG_INFINITY, LASSO_CS[0]);
    for &c in &LASSO_CS {
        let mut aucs = Vec::new();
        for f in 0..3 {
            let tr: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != f).collect();
            let te: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == f).collect();
            let ytr: Vec<u8> = tr.iter().map(|&i| y[i]).collect();
            let yte: Vec<u8> = te.iter().map(|&i| y[i]).collect();
            let xtr = x.select(ndarray::Axis(0), &tr);
            let (w, b) = logistic::fit_l1(xtr.view(), &ytr, c)?;
            let s: Vec<f64> = te
                .iter()
                .map(|&i| b + x.row(i).iter().zip(&w).map(|(a, c)| a * c).sum::<f64>())
                .collect();
            if let Ok(a) = roc_auc(&yte, &s) {
                aucs.push(a);
            }
        }
        let mean = aucs.iter().sum::<f64>() / aucs.len().max(1) as f64;
        if mean > best.0 {
            best = (mean, c);
        }
    }
    Ok(best.1)
}

/// Runs a selector on standardised rows `x` with labels `y` and patient ids `groups` (for inner CV).
pub fn select(
    spec: &SelectorSpec,
    x: ArrayView2<f64>,
    y: &[u8],
    groups: &[String],
    seed: u64,
) -> Result<Selection> {
    let p = x.ncols();
    if p == 0 {
        return Err(Error::invalid("no feature to select from"));
    }
    let (columns, scores) = match spec.kind {
        SelectorKind::Anova | SelectorKind::MutualInfo => {
            let s = if spec.kind == SelectorKind::Anova {
                anova_f(x, y)
            } else {
                mutual_info(x, y)
            };
            let k = if spec.threshold.is_some() {
                spec.k
            } else {
                Some(spec.k.unwrap_or(10))
            };
            let t = spec.threshold.unwrap_or(f64::NEG_INFINITY);
            (by_rule(&s, k, |v| v >= t), s)
        }
        SelectorKind::Lasso => {
            let c = lasso_c(x, y, groups, seed)?;
            let (w, _) = logistic::fit_l1(x, y, c)?;
            let s: Vec<f64> = w.iter().map(|v| v.abs()).collect();
            let t = spec.threshold.unwrap_or(0.0);
            let mut cols = by_rule(&s, None, |v| v > t);
            if let Some(k) = spec.k {
                let sub: Vec<f64> = cols.iter().map(|&j| s[j]).collect();
                cols = top_k(&sub, k.min(sub.len()))
                    .into_iter()
                    .map(|a| cols[a])
                    .collect();
            }
            (cols, s)
        }
        SelectorKind::Tree => {
            let (_, imp) = tree::fit_ensemble(x, y, tree::Kind::ExtraTrees, 100, seed);
            let t = spec.threshold.unwrap_or(imp.iter().sum::<f64>() / p as f64);
            (by_rule(&imp, spec.k, |v| v >= t), imp)
        }
        SelectorKind::Rfe => {
            let target = spec.k.unwrap_or(p / 2).clamp(1, p);
            let mut remaining: Vec<usize> = (0..p).collect();
            let mut w;
            loop {
                let sub = x.select(ndarray::Axis(1), &remaining);
                w = logistic::fit_l2(sub.view(), y, 1.0)?.0;
                if remaining.len() <= target {
                    break;
                }
                let step = if remaining.len() > 100 {
                    remaining.len() / 10
                } else {
                    1
                };
                let drop = step.min(remaining.len() - target);
                let mut order: Vec<usize> = (0..remaining.len()).collect();
                order.sort_by(|&a, &b| w[a].abs().total_cmp(&w[b].abs()).then(a.cmp(&b)));
                let mut gone: Vec<usize> = order[..drop].to_vec();
                gone.sort_unstable();
                for g in gone.into_iter().rev() {
                    remaining.remove(g);
                }
            }
            let mut s = vec![0.0; p];
            for (a, &j) in remaining.iter().enumerate() {
                s[j] = w[a].abs();
            }
            (remaining, s)
        }
    };
    let scores = columns.iter().map(|&j| scores[j]).collect();
    Ok(Selection { columns, scores })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn anova_f_worked_example() {
        // Class 0: 1, 2, 3 (mean 2), class 1: 5, 6, 7 (mean 6); SSB = 3·4 + 3·4 = 24, SSW = 4, F = 24 / (4/4).
        let x = array![[1.0], [2.0], [3.0], [5.0], [6.0], [7.0]];
        let y = [0, 0, 0, 1, 1, 1];
        assert_eq!(anova_f(x.view(), &y), vec![24.0]);
    }

    #[test]
    fn digamma_known_values() {
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-14);
        assert!((digamma(0.5) + 1.963_510_026_021_423_5).abs() < 1e-13);
        assert!((digamma(100.0) - 4.600_161_852_738_087).abs() < 1e-14);
    }

    #[test]
    fn mutual_info_small_example() {
        // scikit-learn's _compute_mi_cd(c, d, 3) on the same data (no noise) gives 0.5339682539682538.
        let x = array![
            [0.0],
            [1.0],
            [2.0],
            [3.0],
            [4.0],
            [5.0],
            [6.0],
            [7.0],
            [10.0],
            [11.0]
        ];
        let y = [0u8, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        assert!((mutual_info(x.view(), &y)[0] - 0.533_968_253_968_253_8).abs() < 1e-14);
    }

    #[test]
    fn top_k_and_threshold_rules() {
        assert_eq!(top_k(&[1.0, 3.0, 3.0, 2.0], 2), vec![1, 2]);
        assert_eq!(by_rule(&[1.0, 3.0, 2.0], None, |v| v > 5.0), vec![1]);
        assert_eq!(by_rule(&[1.0, 3.0, 2.0], None, |v| v >= 2.0), vec![1, 2]);
        assert!(SelectorKind::parse("pca")
            .unwrap_err()
            .message()
            .contains("'pca'"));
    }
}
