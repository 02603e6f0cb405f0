//! `radiomics demo`: the whole study on a synthetic cohort, no files needed.
//!
//! Generates a seeded cohort shaped like the study's (99 lesions of 51 patients, T1C + ADC + FA + mask,
//! patient-disjoint train/test split), extracts all three modalities, crosses five selectors with four
//! classifiers by patient-grouped cross-validation on the training split, refits the best pair, reports
//! its test metrics, saves the model, predicts one test case from its image files with the saved model,
//! and writes a ROC curve and a report.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use radiomics::batch::{read_manifest, run_batch};
use radiomics::case::Case;
use radiomics::image::io::read_image;
use radiomics::learn::{evaluate, train, Model, SelectorSpec, Table, TableOptions, TrainOptions};
use radiomics::study::{predict_case, roc_svg, settings_to_json, study_extractor};
use radiomics::synthetic::{cohort, write_cohort};
use radiomics::{Error, ErrorKind, Result};

/// Run the whole study on a SYNTHETIC cohort: extract, train the 5 x 4 grid, test, save, predict.
#[derive(Args)]
pub struct DemoArgs {
    /// Seed of the cohort and of every random step.
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Folder for the cohort, feature table, model, ROC curve and report.
    #[arg(long, default_value = "radiomics-demo")]
    pub out_dir: PathBuf,
    /// Cases extracted in parallel (0 = one per core).
    #[arg(long, default_value_t = 0, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub jobs: usize,
}

fn io_err(what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}"))
}

pub fn run(args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    let dir = &args.out_dir;
    std::fs::create_dir_all(dir).map_err(|e| io_err(&dir.display().to_string(), e))?;
    println!(
        "radiomics demo — SYNTHETIC data, not patients (seed {})",
        args.seed
    );

    eprintln!("[1/6] generating the synthetic cohort ...");
    let cases = cohort(args.seed);
    let manifest = write_cohort(&cases, &dir.join("cohort"))?;

    eprintln!(
        "[2/6] extracting T1C, ADC and FA features of {} lesions ...",
        cases.len()
    );
    let extractor = study_extractor();
    let rows = read_manifest(&manifest)?;
    let table_path = dir.join("features.csv");
    let _ = std::fs::remove_file(&table_path);
    let progress = |done: usize, total: usize| {
        if done % 10 == 0 || done == total {
            eprintln!("      {done}/{total} cases");
        }
    };
    let outcome = run_batch(&rows, &extractor, &table_path, args.jobs, &progress)?;
    if let Some((case, e)) = outcome.failed.first() {
        return Err(e.clone().context(format!("demo case '{case}'")));
    }
    let table = Table::read(&table_path, &TableOptions::default())?;
    let train_table = table.subset(&table.rows_in_split("train"));
    let test_table = table.subset(&table.rows_in_split("test"));
    println!(
        "cohort: {} lesions / {} patients; train {} lesions, test {} lesions; {} features per lesion",
        table.len(),
        distinct(&table.patient_ids),
        train_table.len(),
        test_table.len(),
        table.names.len()
    );

    eprintln!("[3/6] cross-validating 5 selectors x 4 classifiers on the training split ...");
    // As in the study, every selector keeps 5 features.
    let defaults = TrainOptions::default();
    let options = TrainOptions {
        selectors: defaults
            .selectors
            .iter()
            .map(|s| SelectorSpec {
                k: Some(5),
                ..s.clone()
            })
            .collect(),
        seed: args.seed,
        extraction_settings: settings_to_json(&extractor),
        ..defaults
    };
    let (model, report) = train(&train_table, &options)?;
    println!("\ncross-validated AUC on the training split (patient-grouped 5-fold):");
    println!(
        "{:<12} {:<14} {:>8} {:>8}",
        "selector", "classifier", "mean", "sd"
    );
    for (i, cell) in report.grid.iter().enumerate() {
        println!(
            "{:<12} {:<14} {:>8.3} {:>8.3}{}",
            cell.selector.name(),
            cell.classifier.name(),
            cell.auc_mean,
            cell.auc_sd,
            if i == report.best { "  <- best" } else { "" }
        );
    }
    let best = &report.grid[report.best];

    eprintln!("[4/6] testing the refitted best pair on unseen patients ...");
    let probabilities = model.predict_table(&test_table)?;
    let e = evaluate(test_table.labels()?, &probabilities, model.threshold)?;
    let t = &e.at_model_threshold;
    println!(
        "\nbest pair: {} + {} ({} features: {})",
        best.selector.name(),
        best.classifier.name(),
        model.selected_features.len(),
        model.selected_features.join(", ")
    );
    println!(
        "test set ({} lesions, {} positive): AUC {:.3} (95% CI {:.3}–{:.3}), threshold {:.3}: \
         accuracy {:.1} %, sensitivity {:.1} %, specificity {:.1} %",
        e.cases,
        e.positives,
        e.auc.auc,
        e.auc.lower,
        e.auc.upper,
        t.threshold,
        100.0 * t.accuracy,
        100.0 * t.sensitivity,
        100.0 * t.specificity
    );

    eprintln!("[5/6] saving the model and predicting one case from its images ...");
    let model_path = dir.join("model.json");
    model.save(&model_path)?;
    let reloaded = Model::load(&model_path)?;
    let row = rows
        .iter()
        .find(|r| r.split == "test")
        .ok_or_else(|| Error::new(ErrorKind::Internal, "the cohort has no test case"))?;
    let mut images = Vec::new();
    for (m, p) in &row.images {
        images.push((m.clone(), read_image(p)?));
    }
    let case = Case {
        images,
        mask: read_image(&row.mask)?,
    };
    let p_case = predict_case(&reloaded, &case)?;
    let i_case = test_table
        .case_ids
        .iter()
        .position(|c| c == &row.case_id)
        .ok_or_else(|| Error::new(ErrorKind::Internal, "the test case is not in the table"))?;
    println!(
        "case {} predicted from its image files with the saved model: probability {:.4} (table: {:.4}), label {}",
        row.case_id, p_case, probabilities[i_case], row.label
    );

    eprintln!("[6/6] writing the ROC curve and the report ...");
    let svg = roc_svg(
        &e.roc,
        e.auc.auc,
        e.auc.lower,
        e.auc.upper,
        &format!(
            "Test ROC, {} + {} (synthetic cohort)",
            best.selector.name(),
            best.classifier.name()
        ),
        Some(model.threshold),
    );
    std::fs::write(dir.join("roc.svg"), svg).map_err(|e| io_err("roc.svg", e))?;
    let report_json = serde_json::json!({
        "data": "SYNTHETIC cohort generated by radiomics demo; not patient data",
        "seed": args.seed,
        "cohort": {
            "lesions": table.len(),
            "patients": distinct(&table.patient_ids),
            "train_lesions": train_table.len(),
            "test_lesions": test_table.len(),
            "features": table.names.len(),
        },
        "grid": report.grid,
        "best": { "selector": best.selector.name(), "classifier": best.classifier.name(),
                  "cv_auc_mean": best.auc_mean, "cv_auc_sd": best.auc_sd,
                  "selected_features": model.selected_features },
        "threshold": model.threshold,
        "test": e,
        "predicted_case": { "case_id": row.case_id, "probability": p_case,
                            "probability_from_table": probabilities[i_case] },
    });
    let text = serde_json::to_string_pretty(&report_json)
        .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
    std::fs::write(dir.join("report.json"), text + "\n").map_err(|e| io_err("report.json", e))?;
    println!(
        "\nwrote {}/{{features.csv, model.json, roc.svg, report.json}} in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn distinct(ids: &[String]) -> usize {
    ids.iter().collect::<std::collections::BTreeSet<_>>().len()
}
