//! Probability trees and their ensembles: random forest (Breiman, 2001) and extremely randomised trees
//! (Geurts, Ernst & Wehenkel, 2006), as scikit-learn's `RandomForestClassifier` / `ExtraTreesClassifier` with
//! their defaults (Gini impurity, grown until pure, `max_features = ⌊√p⌋`, bootstrap for the forest only).
//!
//! ```text
//! Gini(t) = 1 − Σ_k p_k(t)²                       p_k(t): weighted class fractions in node t
//! split quality: N_t·Gini(t) − N_l·Gini(l) − N_r·Gini(r)   (the weighted impurity decrease)
//! random forest: best threshold (midpoint of neighbouring distinct values) over ⌊√p⌋ features drawn
//!                without replacement; rows drawn with replacement (counts act as weights)
//! extra trees:   one threshold per drawn feature, uniform in (min, max) of the node; the best of those
//! P(y = 1 | x) = mean over trees of the leaf's weighted fraction of label 1
//! importance_j = mean over trees of (Σ over nodes splitting on j of the decrease) / (Σ of all decreases)
//! ```
//! As in scikit-learn, features found constant in a node do not count towards `max_features` (the draw goes
//! on), and a node whose drawn features give no valid split becomes a leaf. Each tree has its own generator
//! derived from the seed and the tree's index, so the ensemble is the same for any number of threads; the
//! generator differs from numpy's, so trees agree with scikit-learn's in distribution, not one by one.

use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::learn::rng::{derive_seed, Rng};

/// One tree in flat arrays; node 0 is the root. A leaf has `feature = -1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Split feature per node, −1 for a leaf.
    pub feature: Vec<i32>,
    /// Split threshold per node: go left when x ≤ threshold.
    pub threshold: Vec<f64>,
    /// Left child per node (0 for a leaf).
    pub left: Vec<u32>,
    /// Right child per node (0 for a leaf).
    pub right: Vec<u32>,
    /// Weighted fraction of label 1 per node.
    pub value: Vec<f64>,
}

impl Tree {
    /// The leaf's fraction of label 1 for `x`.
    pub fn predict(&self, x: ArrayView1<f64>) -> f64 {
        let mut t = 0usize;
        while self.feature[t] >= 0 {
            t = if x[self.feature[t] as usize] <= self.threshold[t] {
                self.left[t] as usize
            } else {
                self.right[t] as usize
            };
        }
        self.value[t]
    }
}

/// How each tree is grown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    RandomForest,
    ExtraTrees,
}

struct Builder<'a> {
    x: ArrayView2<'a, f64>,
    y: &'a [u8],
    kind: Kind,
    max_features: usize,
    rng: Rng,
    tree: Tree,
    importance: Vec<f64>,
}

fn gini(w0: f64, w1: f64) -> f64 {
    let n = w0 + w1;
    if n == 0.0 {
        0.0
    } else {
        1.0 - (w0 / n).powi(2) - (w1 / n).powi(2)
    }
}

impl Builder<'_> {
    /// Grows the node over `rows` (with weights `w`) and returns its index.
    fn grow(&mut self, rows: &mut [(usize, f64)]) -> u32 {
        let (mut w0, mut w1) = (0.0, 0.0);
        for &(i, w) in rows.iter() {
            if self.y[i] == 1 {
                w1 += w;
            } else {
                w0 += w;
            }
        }
        let id = self.tree.feature.len() as u32;
        self.tree.feature.push(-1);
        self.tree.threshold.push(0.0);
        self.tree.left.push(0);
        self.tree.right.push(0);
        self.tree.value.push(w1 / (w0 + w1));
        if w0 == 0.0 || w1 == 0.0 || rows.len() < 2 {
            return id;
        }
        let parent = (w0 + w1) * gini(w0, w1);
        let p = self.x.ncols();
        let mut features: Vec<usize> = (0..p).collect();
        let mut best: Option<(f64, usize, f64)> = None; // (decrease, feature, threshold)
        let mut visited = 0;
        let mut drawn = 0;
        let mut vals: Vec<(f64, usize, f64)> = Vec::with_capacity(rows.len());
        while drawn < p && visited < self.max_features {
            let k = drawn + self.rng.below(p - drawn);
            features.swap(drawn, k);
            let f = features[drawn];
            drawn += 1;
            vals.clear();
            vals.extend(rows.iter().map(|&(i, w)| (self.x[[i, f]], i, w)));
            let (lo, hi) = vals
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v.0), b.max(v.0))
                });
            if lo >= hi {
                continue; // constant here: does not count towards max_features
            }
            visited += 1;
            match self.kind {
                Kind::ExtraTrees => {
                    let mut thr = lo + self.rng.uniform() * (hi - lo);
                    if thr >= hi {
                        thr = lo;
                    }
                    let (mut l0, mut l1) = (0.0, 0.0);
                    for &(v, i, w) in &vals {
                        if v <= thr {
                            if self.y[i] == 1 {
                                l1 += w;
                            } else {
                                l0 += w;
                            }
                        }
                    }
                    let (r0, r1) = (w0 - l0, w1 - l1);
                    let dec = parent - (l0 + l1) * gini(l0, l1) - (r0 + r1) * gini(r0, r1);
                    if best.is_none_or(|b| dec > b.0) {
                        best = Some((dec, f, thr));
                    }
                }
                Kind::RandomForest => {
                    vals.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let (mut l0, mut l1) = (0.0, 0.0);
                    for s in 0..vals.len() - 1 {
                        let (v, i, w) = vals[s];
                        if self.y[i] == 1 {
                            l1 += w;
                        } else {
                            l0 += w;
                        }
                        let next = vals[s + 1].0;
                        if next <= v {
                            continue;
                        }
                        let (r0, r1) = (w0 - l0, w1 - l1);
                        let dec = parent - (l0 + l1) * gini(l0, l1) - (r0 + r1) * gini(r0, r1);
                        if best.is_none_or(|b| dec > b.0) {
                            let mut thr = v / 2.0 + next / 2.0;
                            if thr >= next || thr.is_infinite() {
                                thr = v;
                            }
                            best = Some((dec, f, thr));
                        }
                    }
                }
            }
        }
        let Some((dec, f, thr)) = best else {
            return id;
        };
        // Partition rows: left (x ≤ thr) first.
        let mut split = 0;
        for s in 0..rows.len() {
            if self.x[[rows[s].0, f]] <= thr {
                rows.swap(s, split);
                split += 1;
            }
        }
        if split == 0 || split == rows.len() {
            return id;
        }
        self.importance[f] += dec.max(0.0);
        let (left_rows, right_rows) = rows.split_at_mut(split);
        let l = self.grow(left_rows);
        let r = self.grow(right_rows);
        let t = id as usize;
        self.tree.feature[t] = f as i32;
        self.tree.threshold[t] = thr;
        self.tree.left[t] = l;
        self.tree.right[t] = r;
        id
    }
}

/// Grows `n_trees` trees of `kind`; returns the trees and the normalised importances.
pub(crate) fn fit_ensemble(
    x: ArrayView2<f64>,
    y: &[u8],
    kind: Kind,
    n_trees: usize,
    seed: u64,
) -> (Vec<Tree>, Vec<f64>) {
    let (n, p) = x.dim();
    let max_features = ((p as f64).sqrt().floor() as usize).max(1);
    let grown: Vec<(Tree, Vec<f64>)> = (0..n_trees)
        .into_par_iter()
        .map(|t| {
            let mut rng = Rng::new(derive_seed(seed, &[t as u64]));
            let mut rows: Vec<(usize, f64)> = match kind {
                Kind::ExtraTrees => (0..n).map(|i| (i, 1.0)).collect(),
                Kind::RandomForest => {
                    let mut counts = vec![0u32; n];
                    for _ in 0..n {
                        counts[rng.below(n)] += 1;
                    }
                    (0..n)
                        .filter(|&i| counts[i] > 0)
                        .map(|i| (i, counts[i] as f64))
                        .collect()
                }
            };
            let mut b = Builder {
                x,
                y,
                kind,
                max_features,
                rng,
                tree: Tree {
                    feature: Vec::new(),
                    threshold: Vec::new(),
                    left: Vec::new(),
                    right: Vec::new(),
                    value: Vec::new(),
                },
                importance: vec![0.0; p],
            };
            b.grow(&mut rows);
            (b.tree, b.importance)
        })
        .collect();
    let mut importance = vec![0.0; p];
    let mut counted = 0usize;
    for (_, imp) in &grown {
        let s: f64 = imp.iter().sum();
        if s > 0.0 {
            counted += 1;
            for (a, v) in importance.iter_mut().zip(imp) {
                *a += v / s;
            }
        }
    }
    if counted > 0 {
        let s: f64 = importance.iter().sum();
        importance.iter_mut().for_each(|v| *v /= s);
    }
    (grown.into_iter().map(|(t, _)| t).collect(), importance)
}

/// Mean of the trees' leaf fractions.
pub(crate) fn predict(trees: &[Tree], x: ArrayView1<f64>) -> f64 {
    trees.iter().map(|t| t.predict(x)).sum::<f64>() / trees.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn pure_split_on_the_informative_feature() {
        let x = array![
            [0.0, 5.0],
            [1.0, 3.0],
            [2.0, 4.0],
            [10.0, 3.0],
            [11.0, 5.0],
            [12.0, 4.0]
        ];
        let y = [0, 0, 0, 1, 1, 1];
        for kind in [Kind::RandomForest, Kind::ExtraTrees] {
            let (trees, imp) = fit_ensemble(x.view(), &y, kind, 20, 3);
            assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(imp[0] > imp[1], "{kind:?} {imp:?}");
            assert!(predict(&trees, x.row(5)) > 0.5 && predict(&trees, x.row(0)) < 0.5);
            let (again, _) = fit_ensemble(x.view(), &y, kind, 20, 3);
            assert_eq!(trees, again);
        }
    }
}
