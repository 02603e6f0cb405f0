//! Classifiers: each gives P(label = 1 | x) for standardised, selected features.
//!
//! | name            | model                                                   | scikit-learn counterpart            |
//! |-----------------|---------------------------------------------------------|-------------------------------------|
//! | `lda`           | linear discriminant analysis ([`super::lda`])      | `LinearDiscriminantAnalysis()`      |
//! | `svm`           | RBF SVM, Platt probabilities ([`super::svm`])      | `SVC(C, gamma, probability=True)`   |
//! | `random_forest` | probability forest ([`super::tree`])              | `RandomForestClassifier(n)`         |
//! | `logistic`      | L2 logistic regression ([`super::logistic`])  | `LogisticRegression(C)`             |

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::learn::logistic::sigmoid;
use crate::learn::svm::Svm;
use crate::learn::tree::{self, Tree};
use crate::learn::{lda, logistic, svm};

/// The classifier methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassifierKind {
    /// Linear discriminant analysis.
    Lda,
    /// RBF support vector machine with Platt probabilities.
    Svm,
    /// Random forest of probability trees.
    RandomForest,
    /// L2-penalised logistic regression.
    Logistic,
}

impl ClassifierKind {
    /// Every classifier, in grid order.
    pub const ALL: [ClassifierKind; 4] = [
        ClassifierKind::Lda,
        ClassifierKind::Svm,
        ClassifierKind::RandomForest,
        ClassifierKind::Logistic,
    ];

    /// The command-line and file name.
    pub fn name(self) -> &'static str {
        match self {
            ClassifierKind::Lda => "lda",
            ClassifierKind::Svm => "svm",
            ClassifierKind::RandomForest => "random_forest",
            ClassifierKind::Logistic => "logistic",
        }
    }

    /// Parses a name of [`ClassifierKind::name`].
    pub fn parse(name: &str) -> Result<ClassifierKind> {
        ClassifierKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown classifier '{name}' (known: lda, svm, random_forest, logistic)"
                ))
            })
    }
}

/// A classifier and its hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierSpec {
    /// The method.
    pub kind: ClassifierKind,
    /// Inverse regularisation C of `svm` and `logistic` (scikit-learn's meaning; default 1).
    pub c: f64,
    /// RBF γ of `svm`; `None` is scikit-learn's `"scale"`, 1 / (p · Var(X)).
    pub gamma: Option<f64>,
    /// Trees of `random_forest` (default 100, scikit-learn's).
    pub n_trees: usize,
}

impl ClassifierSpec {
    /// The method with scikit-learn's default hyper-parameters.
    pub fn new(kind: ClassifierKind) -> ClassifierSpec {
        ClassifierSpec {
            kind,
            c: 1.0,
            gamma: None,
            n_trees: 100,
        }
    }
}

/// A fitted classifier, with everything needed to predict (serialised into model files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Classifier {
    /// P = σ(wᵀx + b).
    Lda {
        /// w.
        coef: Vec<f64>,
        /// b.
        intercept: f64,
    },
    /// Support vectors, dual coefficients, ρ and Platt's A, B.
    Svm(Svm),
    /// P = mean of the trees' leaf fractions.
    RandomForest {
        /// The trees.
        trees: Vec<Tree>,
    },
    /// P = σ(wᵀx + b).
    Logistic {
        /// w.
        coef: Vec<f64>,
        /// b.
        intercept: f64,
    },
}

impl Classifier {
    /// Fits `spec` on rows `x` with labels `y`; `seed` drives the forest and Platt's inner folds.
    pub fn fit(
        spec: &ClassifierSpec,
        x: ArrayView2<f64>,
        y: &[u8],
        seed: u64,
    ) -> Result<Classifier> {
        let n1 = y.iter().filter(|&&v| v == 1).count();
        if n1 == 0 || n1 == y.len() {
            return Err(Error::invalid(
                "a classifier needs both labels among its training rows",
            ));
        }
        Ok(match spec.kind {
            ClassifierKind::Lda => {
                let (coef, intercept) = lda::fit(x, y)?;
                Classifier::Lda { coef, intercept }
            }
            ClassifierKind::Logistic => {
                let (coef, intercept) = logistic::fit_l2(x, y, spec.c)?;
                Classifier::Logistic { coef, intercept }
            }
            ClassifierKind::Svm => Classifier::Svm(svm::fit(x, y, spec.c, spec.gamma, seed)?),
            ClassifierKind::RandomForest => {
                if spec.n_trees == 0 {
                    return Err(Error::invalid("random_forest needs at least one tree"));
                }
                let (trees, _) =
                    tree::fit_ensemble(x, y, tree::Kind::RandomForest, spec.n_trees, seed);
                Classifier::RandomForest { trees }
            }
        })
    }

    /// The method of this classifier.
    pub fn kind(&self) -> ClassifierKind {
        match self {
            Classifier::Lda { .. } => ClassifierKind::Lda,
            Classifier::Svm(_) => ClassifierKind::Svm,
            Classifier::RandomForest { .. } => ClassifierKind::RandomForest,
            Classifier::Logistic { .. } => ClassifierKind::Logistic,
        }
    }

    /// Number of input features the classifier expects, where it records it.
    pub fn n_features(&self) -> Option<usize> {
        match self {
            Classifier::Lda { coef, .. } | Classifier::Logistic { coef, .. } => Some(coef.len()),
            Classifier::Svm(s) => s.support_vectors.first().map(|v| v.len()),
            Classifier::RandomForest { .. } => None,
        }
    }

    /// The decision value: wᵀx + b (linear), f(x) (svm), the probability (forest).
    pub fn decision(&self, x: ArrayView1<f64>) -> f64 {
        match self {
            Classifier::Lda { coef, intercept } | Classifier::Logistic { coef, intercept } => {
                intercept + x.iter().zip(coef).map(|(a, b)| a * b).sum::<f64>()
            }
            Classifier::Svm(s) => s.decision(x),
            Classifier::RandomForest { trees } => tree::predict(trees, x),
        }
    }

    /// P(label = 1 | x).
    pub fn probability(&self, x: ArrayView1<f64>) -> f64 {
        match self {
            Classifier::Lda { .. } | Classifier::Logistic { .. } => sigmoid(self.decision(x)),
            Classifier::Svm(s) => s.probability(x),
            Classifier::RandomForest { trees } => tree::predict(trees, x),
        }
    }

    /// P(label = 1 | x) for every row.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Vec<f64> {
        x.rows().into_iter().map(|r| self.probability(r)).collect()
    }
}
