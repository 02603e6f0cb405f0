//! `radiomics train`, `predict` and `evaluate`: argument parsing and printing around `radiomics::learn`.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use radiomics::learn::{
    evaluate, train, ClassifierKind, ClassifierSpec, Model, SelectorKind, SelectorSpec, Table,
    TableOptions, TrainOptions,
};
use radiomics::{Error, ErrorKind, Result};

/// Column names of the feature table.
#[derive(Args, Debug, Clone)]
pub struct ColumnArgs {
    /// Name of the case identifier column.
    #[arg(long, default_value = "case_id")]
    case_column: String,
    /// Name of the patient identifier column ("" for one patient per case).
    #[arg(long, default_value = "patient_id")]
    patient_column: String,
    /// Name of the label column (values 0/1).
    #[arg(long, default_value = "label")]
    label_column: String,
    /// Name of the split column (text, never a feature).
    #[arg(long, default_value = "split")]
    split_column: String,
    /// Use only the rows whose split column holds this value (e.g. `train`, `test`).
    #[arg(long)]
    split: Option<String>,
}

impl ColumnArgs {
    fn options(&self, require_label: bool) -> TableOptions {
        TableOptions {
            case_column: self.case_column.clone(),
            patient_column: self.patient_column.clone(),
            label_column: self.label_column.clone(),
            require_label,
            split_column: self.split_column.clone(),
        }
    }

    /// Reads a table, keeping only the rows of `--split` when given.
    fn read(&self, path: &std::path::Path, require_label: bool) -> Result<Table> {
        let table = Table::read(path, &self.options(require_label))?;
        match &self.split {
            None => Ok(table),
            Some(split) => {
                let rows = table.rows_in_split(split);
                if rows.is_empty() {
                    return Err(radiomics::Error::new(
                        radiomics::ErrorKind::InvalidArgument,
                        format!(
                            "--split {split}: no row of '{}' has that value in column '{}'",
                            path.display(),
                            self.split_column
                        ),
                    ));
                }
                Ok(table.subset(&rows))
            }
        }
    }
}

/// Train models by cross-validation over selectors × classifiers and save the best.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training feature table (CSV).
    #[arg(long)]
    table: PathBuf,
    /// Where to write the model (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Selectors to try: anova, mutual_info, lasso, tree, rfe (default: all).
    #[arg(long = "selector", num_args = 1..)]
    selectors: Vec<String>,
    /// Classifiers to try: lda, svm, random_forest, logistic (default: all).
    #[arg(long = "classifier", num_args = 1..)]
    classifiers: Vec<String>,
    /// Number of features each selector keeps (default: the selector's own rule).
    #[arg(long)]
    k: Option<usize>,
    /// Score threshold of the selectors (instead of k).
    #[arg(long)]
    threshold: Option<f64>,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Cross-validation repeats, each with new folds.
    #[arg(long, default_value_t = 1)]
    repeats: usize,
    /// Seed of everything random.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to write the training report (JSON).
    #[arg(long)]
    report: Option<PathBuf>,
    /// The parameter files the table's features were extracted with, as for `batch` (`FILE` or
    /// `MODALITY=FILE`, repeatable), stored in the model so that it can predict from images. Default: the
    /// settings `batch` recorded beside the table (`<table>.settings.json`).
    #[arg(long)]
    params: Vec<String>,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// Predict probabilities for a feature table with a saved model.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model (JSON).
    #[arg(long)]
    model: PathBuf,
    /// Feature table (CSV); a label column is not needed. Or give the case's images instead.
    #[arg(long, required_unless_present = "image", conflicts_with = "image")]
    table: Option<PathBuf>,
    /// One case from its images, `MODALITY=PATH` each (features computed with the model's own settings).
    #[arg(long, requires = "mask")]
    image: Vec<String>,
    /// The case's label image (with --image), or a DICOM SEG / RTSTRUCT file placed on the first image's
    /// grid (the ROI numbered as the model's `label` setting).
    #[arg(long)]
    mask: Option<PathBuf>,
    /// The case id written for a case given by --image.
    #[arg(long, default_value = "case")]
    case_id: String,
    /// Where to write `case_id,probability,prediction` (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// Evaluate a saved model on a labelled feature table.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The model (JSON).
    #[arg(long)]
    model: PathBuf,
    /// Labelled feature table (CSV).
    #[arg(long)]
    table: PathBuf,
    /// Where to write the metrics (JSON).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    columns: ColumnArgs,
}

fn write_file(path: &PathBuf, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot write '{}': {e}", path.display()),
        )
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))
}

/// `radiomics train`.
pub fn run_train(args: TrainArgs) -> Result<()> {
    let table = args.columns.read(&args.table, true)?;
    for w in &table.warnings {
        eprintln!("radiomics: warning: {w}");
    }
    let spec = |kind| SelectorSpec {
        kind,
        k: args.k,
        threshold: args.threshold,
    };
    let selectors = if args.selectors.is_empty() {
        SelectorKind::ALL.into_iter().map(spec).collect()
    } else {
        args.selectors
            .iter()
            .map(|s| SelectorKind::parse(s).map(spec))
            .collect::<Result<_>>()?
    };
    let classifiers = if args.classifiers.is_empty() {
        ClassifierKind::ALL
            .into_iter()
            .map(ClassifierSpec::new)
            .collect()
    } else {
        args.classifiers
            .iter()
            .map(|c| ClassifierKind::parse(c).map(ClassifierSpec::new))
            .collect::<Result<_>>()?
    };
    let extraction_settings = if args.params.is_empty() {
        radiomics::study::read_table_settings(&args.table)?.unwrap_or_else(|| {
            eprintln!(
                "radiomics: warning: '{}' has no settings file ('{}') and no --params was given: the model \
                 predicts from feature tables only, not from images",
                args.table.display(),
                radiomics::study::table_settings_path(&args.table).display()
            );
            serde_json::Value::Null
        })
    } else {
        radiomics::study::settings_to_json(&crate::batch::case_extractor(&args.params)?)
    };
    let options = TrainOptions {
        selectors,
        classifiers,
        folds: args.folds,
        repeats: args.repeats,
        seed: args.seed,
        extraction_settings,
    };
    let (model, report) = train(&table, &options)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:<14} {:>8} {:>8}",
        "selector", "classifier", "AUC", "SD"
    );
    for (i, g) in report.grid.iter().enumerate() {
        let mark = if i == report.best { "  <- best" } else { "" };
        let _ = writeln!(
            out,
            "{:<12} {:<14} {:>8.4} {:>8.4}{mark}",
            g.selector.name(),
            g.classifier.name(),
            g.auc_mean,
            g.auc_sd
        );
    }
    let oof = &report.out_of_fold;
    let _ = writeln!(
        out,
        "out-of-fold AUC {:.4} (95% CI {:.4}-{:.4}); threshold {:.4} (Youden), sensitivity {:.3}, specificity {:.3}; at 0.5: sensitivity {:.3}, specificity {:.3}",
        oof.auc.auc,
        oof.auc.lower,
        oof.auc.upper,
        model.threshold,
        oof.at_model_threshold.sensitivity,
        oof.at_model_threshold.specificity,
        oof.at_half.sensitivity,
        oof.at_half.specificity
    );
    let _ = writeln!(
        out,
        "selected features: {}",
        model.selected_features.join(", ")
    );
    crate::extract::write_output(None, &out)?;
    for w in report.warnings.iter().skip(table.warnings.len()) {
        eprintln!("radiomics: warning: {w}");
    }
    model.save(&args.out)?;
    if let Some(path) = &args.report {
        write_file(path, &to_json(&report)?)?;
    }
    Ok(())
}

/// `radiomics predict`.
pub fn run_predict(args: PredictArgs) -> Result<()> {
    let model = Model::load(&args.model)?;
    let (ids, p) = match &args.table {
        Some(path) => {
            let table = args.columns.read(path, false)?;
            for w in &table.warnings {
                eprintln!("radiomics: warning: {w}");
            }
            let p = model
                .predict_table(&table)
                .map_err(|e| e.context(format!("model '{}'", args.model.display())))?;
            (table.case_ids, p)
        }
        None => {
            let mut images = Vec::new();
            for arg in &args.image {
                let (m, path) = arg.split_once('=').ok_or_else(|| {
                    radiomics::Error::new(
                        radiomics::ErrorKind::InvalidArgument,
                        format!("--image {arg}: expected MODALITY=PATH"),
                    )
                })?;
                let img = radiomics::image::io::read_image(path)
                    .map_err(|e| e.context(format!("--image {m}")))?;
                images.push((m.to_string(), img));
            }
            let mask_path = args
                .mask
                .as_ref()
                .expect("clap requires --mask with --image");
            // A DICOM SEG or RTSTRUCT mask is placed on the first image's grid, its ROI numbered as the
            // model's `label` setting.
            let label = radiomics::study::extractor_from_json(&model.extraction_settings)
                .map_or(1, |e| e.default_settings().params().label);
            let (first_path, first) = match (args.image.first(), images.first()) {
                (Some(a), Some((_, img))) => (a.split_once('=').map(|(_, p)| p), img),
                _ => {
                    return Err(radiomics::Error::new(
                        radiomics::ErrorKind::InvalidArgument,
                        "--image: give at least one MODALITY=PATH",
                    ))
                }
            };
            let mask = radiomics::image::io::read_label_image_for(
                mask_path,
                label,
                first_path.map(std::path::Path::new),
                first,
            )
            .map_err(|e| e.context("--mask"))?;
            let case = radiomics::case::Case { images, mask };
            let p = radiomics::study::predict_case(&model, &case)
                .map_err(crate::extract::as_input_error)?;
            (vec![args.case_id.clone()], vec![p])
        }
    };
    let mut out = String::from("case_id,probability,prediction\n");
    for (id, &v) in ids.iter().zip(&p) {
        let _ = writeln!(out, "{id},{v},{}", u8::from(v >= model.threshold));
    }
    match &args.out {
        Some(path) => write_file(path, &out),
        None => crate::extract::write_output(None, &out),
    }
}

/// `radiomics evaluate`.
pub fn run_evaluate(args: EvaluateArgs) -> Result<()> {
    let model = Model::load(&args.model)?;
    let table = args.columns.read(&args.table, true)?;
    for w in &table.warnings {
        eprintln!("radiomics: warning: {w}");
    }
    let p = model.predict_table(&table)?;
    let e = evaluate(table.labels()?, &p, model.threshold)?;
    let mut text = format!(
        "cases {} (positive {}); AUC {:.4} (95% CI {:.4}-{:.4}, DeLong)\n",
        e.cases, e.positives, e.auc.auc, e.auc.lower, e.auc.upper
    );
    for (name, m) in [
        ("model threshold", &e.at_model_threshold),
        ("0.5", &e.at_half),
    ] {
        let c = m.confusion;
        let _ = writeln!(
            text,
            "at {name} ({:.4}): accuracy {:.4}, sensitivity {:.4}, specificity {:.4}; TP {} FP {} TN {} FN {}",
            m.threshold, m.accuracy, m.sensitivity, m.specificity, c.tp, c.fp, c.tn, c.fn_
        );
    }
    crate::extract::write_output(None, &text)?;
    if let Some(path) = &args.out {
        write_file(path, &to_json(&e)?)?;
    }
    Ok(())
}
