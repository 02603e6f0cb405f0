//! The training protocol: stratified, patient-grouped k-fold cross-validation, repeated with seeds, over the
//! grid of selectors × classifiers; the best pair refitted on every training row.
//!
//! ```text
//! folds:   every patient's rows go to one fold. Patients are shuffled (seeded), ordered by size (largest
//!          first, stable), and each is put in the fold that keeps the folds' class proportions most even
//!          (smallest Σ_class SD over folds of n_fold,class / n_class; ties: the fold with fewest rows, then
//!          the lowest index) — the greedy rule of scikit-learn's StratifiedGroupKFold
//! per fold: scaler and selector fitted on the training folds only, classifier fitted on their selected,
//!          standardised rows; probabilities for the held-out fold. Nothing of the held-out rows is seen.
//! grid:    AUC per (repeat, fold); mean and sample SD (ddof 1) over all of them; a fold whose held-out rows
//!          have one label only has no AUC and is left out (with a warning)
//! best:    the highest mean AUC (ties: the first in grid order, selectors outer, classifiers inner)
//! threshold: Youden's J on the best pair's out-of-fold probabilities (mean over repeats per row)
//! ```
//! Seeds: repeat r uses derive(seed, r) for its folds, and every fit derives its own seed from (seed, repeat,
//! fold, selector, classifier); folds run in parallel and are collected in order, so results are bit-identical
//! for any number of threads.

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::learn::classify::{Classifier, ClassifierKind, ClassifierSpec};
use crate::learn::metrics::{evaluate, roc_auc, youden_threshold, Evaluation};
use crate::learn::model::{Model, TrainingSummary};
use crate::learn::rng::{derive_seed, Rng};
use crate::learn::scale::Scaler;
use crate::learn::select::{select, Selection, SelectorKind, SelectorSpec};
use crate::learn::table::Table;

/// Assigns each row to one of `k` folds: no patient in two folds, classes as even as the patients allow.
pub fn stratified_group_folds(
    y: &[u8],
    groups: &[String],
    k: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    if k < 2 {
        return Err(Error::invalid(format!(
            "cross-validation needs at least 2 folds, got {k}"
        )));
    }
    let mut ids: Vec<&str> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut counts: Vec<[usize; 2]> = Vec::new();
    let mut row_group = Vec::with_capacity(y.len());
    for (g, &l) in groups.iter().zip(y) {
        let gi = *index.entry(g.as_str()).or_insert_with(|| {
            ids.push(g);
            counts.push([0, 0]);
            ids.len() - 1
        });
        counts[gi][l as usize] += 1;
        row_group.push(gi);
    }
    if ids.len() < k {
        return Err(Error::invalid(format!(
            "{k}-fold cross-validation needs at least {k} patients, the table has {}",
            ids.len()
        )));
    }
    let mut order: Vec<usize> = (0..ids.len()).collect();
    Rng::new(seed).shuffle(&mut order);
    order.sort_by_key(|&g| std::cmp::Reverse(counts[g][0] + counts[g][1]));
    let totals = [
        y.iter().filter(|&&l| l == 0).count().max(1) as f64,
        y.iter().filter(|&&l| l == 1).count().max(1) as f64,
    ];
    let mut fold_counts = vec![[0usize; 2]; k];
    let mut group_fold = vec![0usize; ids.len()];
    for &g in &order {
        let mut best = (f64::INFINITY, usize::MAX, 0usize);
        for f in 0..k {
            fold_counts[f][0] += counts[g][0];
            fold_counts[f][1] += counts[g][1];
            let spread: f64 = (0..2)
                .map(|c| {
                    let v: Vec<f64> = fold_counts
                        .iter()
                        .map(|fc| fc[c] as f64 / totals[c])
                        .collect();
                    let m = v.iter().sum::<f64>() / k as f64;
                    (v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / k as f64).sqrt()
                })
                .sum();
            fold_counts[f][0] -= counts[g][0];
            fold_counts[f][1] -= counts[g][1];
            let size = fold_counts[f][0] + fold_counts[f][1];
            if spread < best.0 - 1e-12 || (spread <= best.0 + 1e-12 && size < best.1) {
                best = (spread, size, f);
            }
        }
        group_fold[g] = best.2;
        fold_counts[best.2][0] += counts[g][0];
        fold_counts[best.2][1] += counts[g][1];
    }
    Ok(row_group.into_iter().map(|g| group_fold[g]).collect())
}

/// What training does.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Selectors of the grid (default: all five with their default rules).
    pub selectors: Vec<SelectorSpec>,
    /// Classifiers of the grid (default: all four with scikit-learn's defaults).
    pub classifiers: Vec<ClassifierSpec>,
    /// Folds (default 5).
    pub folds: usize,
    /// Repeats of the cross-validation, each with its own fold assignment (default 1).
    pub repeats: usize,
    /// The seed of everything random (default 0).
    pub seed: u64,
    /// Extraction settings to store in the model (opaque here; default null).
    pub extraction_settings: serde_json::Value,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            selectors: SelectorKind::ALL
                .into_iter()
                .map(SelectorSpec::new)
                .collect(),
            classifiers: ClassifierKind::ALL
                .into_iter()
                .map(ClassifierSpec::new)
                .collect(),
            folds: 5,
            repeats: 1,
            seed: 0,
            extraction_settings: serde_json::Value::Null,
        }
    }
}

/// Cross-validated AUC of one selector × classifier pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridCell {
    /// The selector.
    pub selector: SelectorKind,
    /// The classifier.
    pub classifier: ClassifierKind,
    /// Mean AUC over the (repeat, fold) pairs that have one.
    pub auc_mean: f64,
    /// Sample SD of those AUCs (0 for a single fold).
    pub auc_sd: f64,
    /// The AUCs, repeat-major.
    pub fold_aucs: Vec<f64>,
}

/// The outcome of [`train`] beyond the model: the grid and the out-of-fold evaluation of the best pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Every pair, selectors outer, classifiers inner.
    pub grid: Vec<GridCell>,
    /// Index of the best pair in `grid`.
    pub best: usize,
    /// The best pair's out-of-fold probabilities (mean over repeats), evaluated at the Youden threshold and 0.5.
    pub out_of_fold: Evaluation,
    /// Warnings from the table and the folds.
    pub warnings: Vec<String>,
}

/// Fits scaler, selector and classifier on `rows` of `x`; returns them.
fn fit_pipeline(
    x: ArrayView2<f64>,
    y: &[u8],
    groups: &[String],
    rows: &[usize],
    selector: &SelectorSpec,
    classifier: &ClassifierSpec,
    seeds: (u64, u64),
) -> Result<(Scaler, Selection, Classifier)> {
    let xs = x.select(Axis(0), rows);
    let ys: Vec<u8> = rows.iter().map(|&i| y[i]).collect();
    let gs: Vec<String> = rows.iter().map(|&i| groups[i].clone()).collect();
    let scaler = Scaler::fit(xs.view());
    let z = scaler.transform(xs.view());
    let sel = select(selector, z.view(), &ys, &gs, seeds.0)?;
    let zs = z.select(Axis(1), &sel.columns);
    let clf = Classifier::fit(classifier, zs.view(), &ys, seeds.1)?;
    Ok((scaler, sel, clf))
}

/// Runs the protocol on a training table (constant columns are dropped first) and refits the best pair.
pub fn train(table: &Table, options: &TrainOptions) -> Result<(Model, TrainReport)> {
    let mut table = table.clone();
    table.drop_constant_columns();
    table.check_trainable()?;
    if options.selectors.is_empty() || options.classifiers.is_empty() {
        return Err(Error::invalid(
            "training needs at least one selector and one classifier",
        ));
    }
    if options.repeats == 0 {
        return Err(Error::invalid("training needs at least one repeat"));
    }
    let y = table.labels()?.to_vec();
    let x = table.x.view();
    let groups = &table.patient_ids;
    let n = y.len();
    let (ns, nc) = (options.selectors.len(), options.classifiers.len());
    let mut warnings = table.warnings.clone();

    let assignments: Vec<Vec<usize>> = (0..options.repeats)
        .map(|r| {
            stratified_group_folds(
                &y,
                groups,
                options.folds,
                derive_seed(options.seed, &[r as u64]),
            )
        })
        .collect::<Result<_>>()?;
    let tasks: Vec<(usize, usize)> = (0..options.repeats)
        .flat_map(|r| (0..options.folds).map(move |f| (r, f)))
        .collect();
    // Per task: for every (selector, classifier), the held-out rows' probabilities.
    type FoldOut = (Vec<usize>, Vec<Vec<f64>>);
    let outputs: Vec<FoldOut> = tasks
        .par_iter()
        .map(|&(r, f)| -> Result<FoldOut> {
            let folds = &assignments[r];
            let train_rows: Vec<usize> = (0..n).filter(|&i| folds[i] != f).collect();
            let test_rows: Vec<usize> = (0..n).filter(|&i| folds[i] == f).collect();
            let xs = x.select(Axis(0), &train_rows);
            let ys: Vec<u8> = train_rows.iter().map(|&i| y[i]).collect();
            let gs: Vec<String> = train_rows.iter().map(|&i| groups[i].clone()).collect();
            let scaler = Scaler::fit(xs.view());
            let z = scaler.transform(xs.view());
            let zt = scaler.transform(x.select(Axis(0), &test_rows).view());
            let mut probs = Vec::with_capacity(ns * nc);
            for (s, sspec) in options.selectors.iter().enumerate() {
                let base = [r as u64, f as u64, s as u64];
                let sel = select(sspec, z.view(), &ys, &gs, derive_seed(options.seed, &base))?;
                let zs = z.select(Axis(1), &sel.columns);
                let zts = zt.select(Axis(1), &sel.columns);
                for (c, cspec) in options.classifiers.iter().enumerate() {
                    let seed = derive_seed(options.seed, &[r as u64, f as u64, s as u64, c as u64]);
                    let clf = Classifier::fit(cspec, zs.view(), &ys, seed)?;
                    probs.push(clf.predict_proba(zts.view()));
                }
            }
            Ok((test_rows, probs))
        })
        .collect::<Result<_>>()?;

    let mut grid = Vec::with_capacity(ns * nc);
    let mut oof_sum = vec![vec![0.0; n]; ns * nc];
    for (t, (test_rows, probs)) in outputs.iter().enumerate() {
        let yt: Vec<u8> = test_rows.iter().map(|&i| y[i]).collect();
        if roc_auc(&yt, &probs[0]).is_err() {
            let (r, f) = tasks[t];
            warnings.push(format!(
                "repeat {r}, fold {f}: the held-out rows have one label only; no AUC for this fold"
            ));
        }
        for (cell, p) in probs.iter().enumerate() {
            for (a, &i) in test_rows.iter().enumerate() {
                oof_sum[cell][i] += p[a];
            }
        }
    }
    for s in 0..ns {
        for c in 0..nc {
            let cell = s * nc + c;
            let aucs: Vec<f64> = outputs
                .iter()
                .filter_map(|(rows, probs)| {
                    let yt: Vec<u8> = rows.iter().map(|&i| y[i]).collect();
                    roc_auc(&yt, &probs[cell]).ok()
                })
                .collect();
            if aucs.is_empty() {
                return Err(Error::invalid(
                    "cross-validation gave no fold with both labels held out; use fewer folds",
                ));
            }
            let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
            let sd = if aucs.len() > 1 {
                (aucs.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>()
                    / (aucs.len() - 1) as f64)
                    .sqrt()
            } else {
                0.0
            };
            grid.push(GridCell {
                selector: options.selectors[s].kind,
                classifier: options.classifiers[c].kind,
                auc_mean: mean,
                auc_sd: sd,
                fold_aucs: aucs,
            });
        }
    }
    let mut best = 0;
    for (i, g) in grid.iter().enumerate() {
        if g.auc_mean > grid[best].auc_mean {
            best = i;
        }
    }
    let oof: Vec<f64> = oof_sum[best]
        .iter()
        .map(|v| v / options.repeats as f64)
        .collect();
    let threshold = youden_threshold(&y, &oof)?;
    let out_of_fold = evaluate(&y, &oof, threshold)?;

    let (s, c) = (best / nc, best % nc);
    let all: Vec<usize> = (0..n).collect();
    let seeds = (
        derive_seed(options.seed, &[u64::MAX, s as u64]),
        derive_seed(options.seed, &[u64::MAX, s as u64, c as u64]),
    );
    let (scaler, sel, clf) = fit_pipeline(
        x,
        &y,
        groups,
        &all,
        &options.selectors[s],
        &options.classifiers[c],
        seeds,
    )?;
    let summary = TrainingSummary {
        rows: n,
        positives: y.iter().filter(|&&l| l == 1).count(),
        patients: {
            let mut p: Vec<&String> = groups.iter().collect();
            p.sort();
            p.dedup();
            p.len()
        },
        folds: options.folds,
        repeats: options.repeats,
        seed: options.seed,
        cv_auc_mean: grid[best].auc_mean,
        cv_auc_sd: grid[best].auc_sd,
        grid: grid.clone(),
        warnings: warnings.clone(),
    };
    let model = Model::new(
        options.extraction_settings.clone(),
        table.names.clone(),
        scaler,
        options.selectors[s].clone(),
        &sel,
        options.classifiers[c].clone(),
        clf,
        threshold,
        summary,
    );
    Ok((
        model,
        TrainReport {
            grid,
            best,
            out_of_fold,
            warnings,
        },
    ))
}
