//! The study end to end: `radiomics demo` on the synthetic cohort, its report, determinism, and
//! prediction of a case from its images with the saved model.

use std::path::Path;
use std::process::Command;

fn demo(dir: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(["demo", "--jobs", "2", "--out-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SYNTHETIC"), "{stdout}");
    assert!(stdout.contains("<- best"), "{stdout}");
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn demo_runs_the_study_deterministically() {
    let base = std::env::temp_dir().join(format!("radiomics-study-{}", std::process::id()));
    let (a, b) = (base.join("a"), base.join("b"));
    let ra = demo(&a);
    let rb = demo(&b);
    assert_eq!(ra, rb, "two runs with the same seed give identical reports");
    assert_eq!(
        std::fs::read(a.join("model.json")).unwrap(),
        std::fs::read(b.join("model.json")).unwrap(),
        "and bit-identical models"
    );

    // The study's design, the 5 x 4 grid, the chosen pair and its test metrics.
    assert_eq!(ra["cohort"]["lesions"], 99);
    assert_eq!(ra["cohort"]["patients"], 51);
    assert_eq!(ra["cohort"]["train_lesions"], 57);
    assert_eq!(ra["cohort"]["test_lesions"], 42);
    assert_eq!(ra["grid"].as_array().unwrap().len(), 20);
    assert_eq!(ra["best"]["selected_features"].as_array().unwrap().len(), 5);
    let auc = ra["test"]["auc"]["auc"].as_f64().unwrap();
    let (lo, hi) = (
        ra["test"]["auc"]["lower"].as_f64().unwrap(),
        ra["test"]["auc"]["upper"].as_f64().unwrap(),
    );
    assert!(lo <= auc && auc <= hi);
    // Modest class differences: better than chance, well below perfect.
    assert!(auc > 0.6 && auc < 0.95, "test AUC {auc}");
    for key in ["accuracy", "sensitivity", "specificity"] {
        let v = ra["test"]["at_model_threshold"][key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} {v}");
    }
    assert!(std::fs::read_to_string(a.join("roc.svg"))
        .unwrap()
        .starts_with("<svg"));

    // The CLI predicts the same case from its images with the saved model, and gets the report's value.
    let case = ra["predicted_case"]["case_id"].as_str().unwrap();
    let expected = ra["predicted_case"]["probability"].as_f64().unwrap();
    assert_eq!(
        expected,
        ra["predicted_case"]["probability_from_table"]
            .as_f64()
            .unwrap()
    );
    let cohort = a.join("cohort");
    let image = |m: &str| {
        format!(
            "{m}={}",
            cohort.join(format!("{case}_{m}.nii.gz")).display()
        )
    };
    let out = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .arg("predict")
        .arg("--model")
        .arg(a.join("model.json"))
        .args([
            "--image",
            &image("t1c"),
            "--image",
            &image("adc"),
            "--image",
            &image("fa"),
        ])
        .arg("--mask")
        .arg(cohort.join(format!("{case}_mask.nii.gz")))
        .args(["--case-id", case])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout.lines().nth(1).unwrap();
    let p: f64 = line.split(',').nth(1).unwrap().parse().unwrap();
    assert_eq!(p, expected, "{line}");
    std::fs::remove_dir_all(&base).ok();
}
