//! The training protocol, model files and the command line, end to end on small tables.
#![allow(clippy::needless_range_loop)]

mod common;

use radiomics::learn::{
    stratified_group_folds, train, ClassifierKind, ClassifierSpec, Model, SelectorKind,
    SelectorSpec, Table, TableOptions, TrainOptions,
};
use radiomics::ErrorKind;

/// A table where each patient has three cases, a random label, and a feature that identifies the patient
/// (a patient-level code) and nothing else. Any patient seen in training gives its label away.
fn leaky_table(patients: usize, seed: u64, grouped: bool) -> String {
    // SplitMix64 as a hash: independent uniforms for (seed, patient, slot).
    let uniform = |p: usize, slot: u64| {
        let mut z = seed ^ ((p as u64) << 8 | slot);
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut text = String::from("case_id,patient_id,label,patient_code\n");
    for p in 0..patients {
        let label = u8::from(uniform(p, 0) < 0.5);
        let code = uniform(p, 1) * 1000.0;
        for c in 0..3 {
            let patient = if grouped {
                format!("P{p}")
            } else {
                format!("C{p}_{c}")
            };
            text.push_str(&format!("C{p}_{c},{patient},{label},{code}\n"));
        }
    }
    text
}

fn forest_options(folds: usize) -> TrainOptions {
    TrainOptions {
        selectors: vec![SelectorSpec {
            kind: SelectorKind::Anova,
            k: Some(2),
            threshold: None,
        }],
        classifiers: vec![ClassifierSpec {
            n_trees: 30,
            ..ClassifierSpec::new(ClassifierKind::RandomForest)
        }],
        folds,
        repeats: 2,
        seed: 11,
        ..TrainOptions::default()
    }
}

#[test]
fn grouped_folds_never_split_a_patient_and_do_not_leak() {
    let grouped = Table::parse(&leaky_table(100, 5, true), &TableOptions::default()).unwrap();
    let y = grouped.labels().unwrap();
    for seed in 0..5 {
        let folds = stratified_group_folds(y, &grouped.patient_ids, 5, seed).unwrap();
        for i in 0..y.len() {
            for j in 0..y.len() {
                if grouped.patient_ids[i] == grouped.patient_ids[j] {
                    assert_eq!(
                        folds[i], folds[j],
                        "patient {} in two folds",
                        grouped.patient_ids[i]
                    );
                }
            }
        }
        // Stratified: every fold holds both labels.
        for f in 0..5 {
            let labels: Vec<u8> = (0..y.len())
                .filter(|&i| folds[i] == f)
                .map(|i| y[i])
                .collect();
            assert!(labels.contains(&0) && labels.contains(&1));
        }
    }
    let (_, report) = train(&grouped, &forest_options(5)).unwrap();
    let grouped_auc = report.grid[0].auc_mean;
    // The same rows with every case its own patient: the patient code now leaks the label across folds.
    let ungrouped = Table::parse(&leaky_table(100, 5, false), &TableOptions::default()).unwrap();
    let (_, report) = train(&ungrouped, &forest_options(5)).unwrap();
    let leaky_auc = report.grid[0].auc_mean;
    eprintln!("CV AUC grouped {grouped_auc:.3}, ungrouped {leaky_auc:.3}");
    assert!(
        grouped_auc < 0.7,
        "grouped CV AUC {grouped_auc} shows leakage"
    );
    assert!(
        leaky_auc > 0.9,
        "the leak this test guards against is not there ({leaky_auc})"
    );
}

fn wdbc_subset() -> Option<Table> {
    let dir = common::data_dir()?;
    let t = Table::read(&dir.join("ml/wdbc.csv"), &TableOptions::default()).unwrap();
    let rows: Vec<usize> = (0..t.len()).step_by(3).collect();
    Some(t.subset(&rows))
}

fn small_grid() -> TrainOptions {
    TrainOptions {
        selectors: vec![
            SelectorSpec {
                kind: SelectorKind::Anova,
                k: Some(5),
                threshold: None,
            },
            SelectorSpec::new(SelectorKind::Tree),
        ],
        classifiers: vec![
            ClassifierSpec::new(ClassifierKind::Lda),
            ClassifierSpec {
                n_trees: 20,
                ..ClassifierSpec::new(ClassifierKind::RandomForest)
            },
            ClassifierSpec::new(ClassifierKind::Svm),
        ],
        folds: 4,
        repeats: 2,
        seed: 3,
        ..TrainOptions::default()
    }
}

#[test]
fn models_are_bit_identical_for_a_seed_with_any_thread_count() {
    let Some(table) = wdbc_subset() else { return };
    let opts = small_grid();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| train(&table, &opts).unwrap().0.to_json().unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3));
    let (model, report) = train(&table, &opts).unwrap();
    assert_eq!(report.grid.len(), 6);
    assert!(report
        .grid
        .iter()
        .all(|g| g.fold_aucs.len() == 8 && g.auc_mean > 0.85));
    assert!(report.out_of_fold.auc.auc > 0.9);
    assert!(report.out_of_fold.auc.lower < report.out_of_fold.auc.auc);
    assert_eq!(
        model.training.cv_auc_mean,
        report.grid[report.best].auc_mean
    );
    let other = train(&table, &TrainOptions { seed: 4, ..opts })
        .unwrap()
        .0
        .to_json()
        .unwrap();
    assert_ne!(one, other);
}

#[test]
fn model_file_round_trip_and_refusals() {
    let Some(table) = wdbc_subset() else { return };
    let opts = TrainOptions {
        selectors: vec![SelectorSpec {
            kind: SelectorKind::Anova,
            k: Some(4),
            threshold: None,
        }],
        classifiers: vec![ClassifierSpec::new(ClassifierKind::Logistic)],
        folds: 3,
        ..TrainOptions::default()
    };
    let (model, _) = train(&table, &opts).unwrap();
    let text = model.to_json().unwrap();
    let back = Model::from_json(&text).unwrap();
    let p0 = model.predict_table(&table).unwrap();
    assert_eq!(back.predict_table(&table).unwrap(), p0);
    assert_eq!(back.to_json().unwrap(), text);
    assert_eq!(back.extraction_settings, serde_json::Value::Null);
    assert!(back.checksum.starts_with("sha256:"));

    // predict_row from a named vector, in any order, equals the table prediction.
    let mut names: Vec<String> = table.names.clone();
    let mut values: Vec<f64> = table.x.row(7).to_vec();
    names.reverse();
    values.reverse();
    assert_eq!(back.predict_row(&names, &values).unwrap(), p0[7]);

    // A damaged file.
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["threshold"] = serde_json::json!(0.123);
    let edited = serde_json::to_string(&doc).unwrap();
    let e = Model::from_json(&edited).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ModelMismatch);
    assert!(
        e.message().starts_with("model checksum failed"),
        "{}",
        e.message()
    );
    // An unknown format version.
    let newer = text.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    let e = Model::from_json(&newer).unwrap_err();
    assert_eq!(
        e.message(),
        "unknown model format version 2 (this library reads version 1)"
    );
    // A table without a needed feature.
    let needed = model.selected_features[0].clone();
    let keep: Vec<usize> = (0..table.names.len())
        .filter(|&j| table.names[j] != needed)
        .collect();
    let mut short = table.clone();
    short.x = table.x.select(ndarray::Axis(1), &keep);
    short.names = keep.iter().map(|&j| table.names[j].clone()).collect();
    let e = model.predict_table(&short).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ModelMismatch);
    assert_eq!(
        e.message(),
        format!("the model needs feature '{needed}', which the input lacks")
    );
}

#[test]
fn command_line_train_predict_evaluate() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let out = std::env::temp_dir().join(format!("radiomics-learn-cli-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let table = dir.join("ml/wdbc.csv");
    let exe = env!("CARGO_BIN_EXE_radiomics");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(exe).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let model = out.join("model.json");
    let report = out.join("report.json");
    let printed = run(&[
        "train",
        "--table",
        table.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--selector",
        "anova",
        "--classifier",
        "lda",
        "logistic",
        "--k",
        "5",
        "--folds",
        "3",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        printed.contains("anova") && printed.contains("<- best"),
        "{printed}"
    );
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("\"grid\""));
    let pred = out.join("pred.csv");
    run(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--table",
        table.to_str().unwrap(),
        "--out",
        pred.to_str().unwrap(),
    ]);
    let pred_text = std::fs::read_to_string(&pred).unwrap();
    assert!(pred_text.starts_with("case_id,probability,prediction\nC000,"));
    assert_eq!(pred_text.lines().count(), 570);
    let printed = run(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--table",
        table.to_str().unwrap(),
    ]);
    assert!(
        printed.contains("AUC") && printed.contains("DeLong"),
        "{printed}"
    );
    std::fs::remove_dir_all(&out).ok();
}
