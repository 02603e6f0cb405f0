//! Model files forged to be well-formed JSON with a valid checksum but impossible contents: each is
//! refused on load with a message naming what is wrong (never a panic, a loop or a NaN probability), and
//! `train` never writes a file that would be refused.

use radiomics::learn::model::{checksum_of, Model};
use radiomics::learn::{train, ClassifierKind, ClassifierSpec, SelectorKind, SelectorSpec};
use radiomics::learn::{Table, TableOptions, TrainOptions};
use radiomics::ErrorKind;
use serde_json::{json, Value};

/// A table of 30 rows and the given columns (`a` informative), and a model trained on it.
fn trained(kind: ClassifierKind, big: Option<f64>) -> (Value, Table) {
    let mut csv = String::from("case_id,label,a,b,c\n");
    for i in 0..30 {
        let y = i % 2;
        let c = match big {
            Some(v) if i % 2 == 0 => v,
            Some(v) => -v,
            None => (i % 3) as f64,
        };
        csv.push_str(&format!(
            "c{i},{y},{},{},{c}\n",
            y as f64 * 2.0 + (i % 7) as f64 * 0.3,
            (i * 13 % 5) as f64,
        ));
    }
    let table = Table::parse(
        &csv,
        &TableOptions {
            patient_column: String::new(),
            ..TableOptions::default()
        },
    )
    .unwrap();
    let opts = TrainOptions {
        selectors: vec![SelectorSpec {
            kind: SelectorKind::Anova,
            k: Some(2),
            threshold: None,
        }],
        classifiers: vec![ClassifierSpec::new(kind)],
        folds: 3,
        ..TrainOptions::default()
    };
    let (model, _) = train(&table, &opts).unwrap();
    let doc = serde_json::from_str(&model.to_json().unwrap()).unwrap();
    (doc, table)
}

/// `doc` with `edit` applied and its checksum recomputed must be refused with `text` in the message.
#[track_caller]
fn forged(doc: &Value, edit: impl FnOnce(&mut Value), text: &str) {
    let mut d = doc.clone();
    edit(&mut d);
    d["checksum"] = json!(checksum_of(&d));
    let e = Model::from_json(&d.to_string()).expect_err("a forged model must be refused");
    assert_eq!(e.kind(), ErrorKind::ModelMismatch, "{e}");
    assert!(e.message().contains(text), "'{e}' does not say '{text}'");
}

#[test]
fn checksum_is_sha256_and_old_fnv_files_are_refused_with_advice() {
    let (doc, _) = trained(ClassifierKind::Logistic, None);
    let sum = doc["checksum"].as_str().unwrap();
    assert!(sum.starts_with("sha256:") && sum.len() == 7 + 64, "{sum}");
    let mut old = doc.clone();
    old["checksum"] = json!("fnv1a64:0123456789abcdef");
    let e = Model::from_json(&old.to_string()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ModelMismatch);
    assert!(e.message().contains("retrain"), "{e}");
}

#[test]
fn forged_trees_are_refused() {
    let (doc, table) = trained(ClassifierKind::RandomForest, None);
    assert!(Model::from_json(&doc.to_string()).is_ok());
    // A root pointing to itself (a cycle): refused instead of looping forever.
    forged(
        &doc,
        |d| {
            let t = &mut d["classifier"]["trees"][0];
            t["feature"][0] = json!(0);
            t["left"][0] = json!(0);
        },
        "not a later node",
    );
    // A child past the end.
    forged(
        &doc,
        |d| {
            let t = &mut d["classifier"]["trees"][0];
            t["feature"][0] = json!(0);
            t["right"][0] = json!(100000);
        },
        "out of range",
    );
    // A split on a feature the model does not select.
    forged(
        &doc,
        |d| {
            let t = &mut d["classifier"]["trees"][0];
            t["feature"][0] = json!(7);
        },
        "splits on feature 7",
    );
    // Node arrays of different lengths.
    forged(
        &doc,
        |d| {
            let t = &mut d["classifier"]["trees"][0];
            t["value"].as_array_mut().unwrap().pop();
        },
        "differ in length",
    );
    // A leaf value that is no probability.
    forged(
        &doc,
        |d| {
            let t = &mut d["classifier"]["trees"][0];
            let n = t["value"].as_array().unwrap().len();
            t["value"][n - 1] = json!(7.5);
        },
        "not a fraction",
    );
    forged(
        &doc,
        |d| d["classifier"]["trees"] = json!([]),
        "has no tree",
    );
    // The real model still predicts probabilities.
    let m = Model::from_json(&doc.to_string()).unwrap();
    assert!(m
        .predict_table(&table)
        .unwrap()
        .iter()
        .all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn degenerate_scalers_and_linear_models_are_refused() {
    let (doc, _) = trained(ClassifierKind::Logistic, None);
    forged(&doc, |d| d["scaler"]["scale"][0] = json!(0.0), "scale[0]");
    forged(
        &doc,
        |d| d["scaler"]["scale"][1] = json!(-2.0),
        "finite and positive",
    );
    forged(
        &doc,
        |d| {
            d["scaler"]["mean"].as_array_mut().unwrap().pop();
        },
        "2 means and 3 scales",
    );
    forged(
        &doc,
        |d| {
            d["classifier"]["coef"]
                .as_array_mut()
                .unwrap()
                .push(json!(1.0));
        },
        "3 coefficients for 2 selected features",
    );
    forged(&doc, |d| d["threshold"] = json!(1.5), "threshold 1.5");
    forged(
        &doc,
        |d| d["selected_features"] = json!([]),
        "selects no feature",
    );
    forged(
        &doc,
        |d| d["selected_features"] = json!(["a", "a"]),
        "appears twice",
    );
    forged(
        &doc,
        |d| d["feature_names"] = json!(["a", "a", "c"]),
        "appears twice",
    );
    // A NaN cannot be written in JSON; null in its place is malformed.
    forged(
        &doc,
        |d| d["classifier"]["intercept"] = Value::Null,
        "malformed",
    );
}

#[test]
fn degenerate_svms_are_refused() {
    let (doc, _) = trained(ClassifierKind::Svm, None);
    assert!(Model::from_json(&doc.to_string()).is_ok());
    forged(&doc, |d| d["classifier"]["gamma"] = json!(0.0), "gamma 0");
    forged(&doc, |d| d["classifier"]["gamma"] = json!(-1.0), "gamma -1");
    forged(
        &doc,
        |d| {
            d["classifier"]["dual_coef"].as_array_mut().unwrap().pop();
        },
        "dual coefficients for",
    );
    forged(
        &doc,
        |d| d["classifier"]["support_vectors"] = json!([]),
        "no support vector",
    );
    forged(
        &doc,
        |d| d["classifier"]["support_vectors"][0] = json!([1.0]),
        "1 coefficients for 2 selected",
    );
}

#[test]
fn overflowing_parameters_give_an_error_not_nan() {
    let (doc, table) = trained(ClassifierKind::Logistic, None);
    let mut d = doc.clone();
    // Finite, but w·x overflows to +inf and -inf: their sum is NaN.
    d["classifier"]["coef"] = json!([1e308, -1e308]);
    d["scaler"]["scale"] = json!([1e-300, 1e-300, 1e-300]);
    d["checksum"] = json!(checksum_of(&d));
    let m = Model::from_json(&d.to_string()).unwrap();
    let e = m.predict_table(&table).unwrap_err();
    assert!(e.message().contains("no probability"), "{e}");
}

#[test]
fn train_never_writes_a_model_that_does_not_load() {
    // A column of ±1e308: its variance overflows, so no finite scaler exists.
    let mut csv = String::from("case_id,label,a,b\n");
    for i in 0..30 {
        let y = i % 2;
        let b = if i % 2 == 0 { 1e308 } else { -1e308 };
        csv.push_str(&format!("c{i},{y},{},{b}\n", y as f64 + (i % 5) as f64));
    }
    let table = Table::parse(
        &csv,
        &TableOptions {
            patient_column: String::new(),
            ..TableOptions::default()
        },
    )
    .unwrap();
    let opts = TrainOptions {
        classifiers: vec![ClassifierSpec::new(ClassifierKind::Lda)],
        selectors: vec![SelectorSpec {
            kind: SelectorKind::Anova,
            k: Some(2),
            threshold: None,
        }],
        folds: 3,
        ..TrainOptions::default()
    };
    let e = train(&table, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    assert!(e.message().contains("column 'b' holds 1e308"), "{e}");
}
