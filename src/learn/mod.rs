//! Learning: from a table of radiomics features to a validated, saved model, and from a model to
//! predictions.
//!
//! ```text
//! Table (CSV) ──► drop constant columns ──► repeated, stratified, patient-grouped k-fold CV
//!                                              per fold: Scaler → selector → classifier  (training folds only)
//!             ──► grid of selector × classifier: mean ± SD of CV AUC
//!             ──► best pair refitted on every training row, threshold by Youden's J ──► Model (JSON file)
//! Model + Table ──► probabilities ──► metrics (AUC with DeLong CI, accuracy, sensitivity, specificity)
//! ```
//! Every step is checked against scikit-learn (see `tests/learn_sklearn.rs`). Everything random is seeded
//! by [`TrainOptions::seed`] and independent of the number of threads.
//!
//! ```no_run
//! use radiomics::learn::{train, Model, Table, TableOptions, TrainOptions};
//! # fn main() -> radiomics::Result<()> {
//! let table = Table::read("train.csv".as_ref(), &TableOptions::default())?;
//! let (model, report) = train(&table, &TrainOptions::default())?;
//! model.save("model.json".as_ref())?;
//! let p = Model::load("model.json".as_ref())?.predict_table(&table)?;
//! # let _ = (report, p); Ok(()) }
//! ```

pub mod classify;
pub mod cv;
pub mod lda;
pub mod logistic;
pub mod metrics;
pub mod model;
mod rng;
pub mod scale;
pub mod select;
pub mod svm;
pub mod table;
pub mod tree;
pub(crate) mod validate;

pub use classify::{Classifier, ClassifierKind, ClassifierSpec};
pub use cv::{stratified_group_folds, train, GridCell, TrainOptions, TrainReport};
pub use metrics::{delong_ci, evaluate, roc_auc, roc_curve, youden_threshold, AucCi, Evaluation};
pub use model::{Model, TrainingSummary, FORMAT_VERSION};
pub use scale::Scaler;
pub use select::{anova_f, mutual_info, select, Selection, SelectorKind, SelectorSpec};
pub use table::{Table, TableOptions};
