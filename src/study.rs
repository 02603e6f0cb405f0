//! The study workflow: per-modality extraction settings that travel inside a model file, prediction of a
//! case from its images with the model's own settings, and the ROC picture of an evaluation.
//!
//! A model trained on a multi-sequence feature table stores the extraction settings that made the table as
//! `{"default": <parameter document>, "modalities": {"t1c": <document>, ...}}`. Prediction from images
//! rebuilds the same [`CaseExtractor`] from it, so that the features the model reads are computed exactly
//! as in training.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::case::{Case, CaseExtractor};
use crate::error::{Error, ErrorKind, Result};
use crate::learn::metrics::RocPoint;
use crate::learn::Model;
use crate::settings::Settings;

/// The shipped parameter file for post-contrast T1 (`params/t1c.yaml`).
pub const T1C_PARAMS: &str = include_str!("../params/t1c.yaml");
/// The shipped parameter file for ADC maps (`params/adc.yaml`).
pub const ADC_PARAMS: &str = include_str!("../params/adc.yaml");
/// The shipped parameter file for FA maps (`params/fa.yaml`).
pub const FA_PARAMS: &str = include_str!("../params/fa.yaml");

/// The study's extractor: T1C, ADC and FA with the shipped per-modality parameter files.
pub fn study_extractor() -> CaseExtractor {
    let parse = |t: &str| Settings::from_yaml_str(t).expect("shipped parameter files are valid");
    CaseExtractor::new(parse(T1C_PARAMS))
        .with_modality("t1c", parse(T1C_PARAMS))
        .and_then(|e| e.with_modality("adc", parse(ADC_PARAMS)))
        .and_then(|e| e.with_modality("fa", parse(FA_PARAMS)))
        .expect("valid modality names")
}

/// The extraction settings of `extractor` as stored in a model file.
pub fn settings_to_json(extractor: &CaseExtractor) -> Value {
    let modalities: Map<String, Value> = extractor
        .modality_settings()
        .iter()
        .map(|(m, s)| (m.clone(), s.to_value()))
        .collect();
    serde_json::json!({
        "default": extractor.default_settings().to_value(),
        "modalities": modalities,
    })
}

/// The extractor described by a model's `extraction_settings`.
pub fn extractor_from_json(v: &Value) -> Result<CaseExtractor> {
    let mismatch = |what: &str| {
        Error::new(
            ErrorKind::ModelMismatch,
            format!("the model's extraction settings {what}"),
        )
    };
    let obj = v.as_object().ok_or_else(|| {
        mismatch("are missing: the model cannot compute its features from images")
    })?;
    let default = Settings::from_value(obj.get("default").cloned().unwrap_or(Value::Null))
        .map_err(|e| mismatch(&format!("are invalid: {e}")))?;
    let mut ex = CaseExtractor::new(default);
    if let Some(m) = obj.get("modalities").and_then(Value::as_object) {
        for (name, doc) in m {
            let s = Settings::from_value(doc.clone())
                .map_err(|e| mismatch(&format!("for '{name}' are invalid: {e}")))?;
            ex = ex.with_modality(name, s)?;
        }
    }
    Ok(ex)
}

/// The file beside a feature table that records the extraction settings of its features, so that a model
/// trained on the table can compute the same features from images: `features.csv` ->
/// `features.settings.json`. `radiomics batch` writes it; `radiomics train` reads it.
pub fn table_settings_path(table: &Path) -> PathBuf {
    table.with_extension("settings.json")
}

/// What identifies a table's settings file.
const TABLE_SETTINGS_FORMAT: &str = "radiomics-table-settings";

/// Writes the extraction settings of `extractor` beside the feature table `table`
/// ([`table_settings_path`]).
pub fn write_table_settings(table: &Path, extractor: &CaseExtractor) -> Result<()> {
    let path = table_settings_path(table);
    let doc = serde_json::json!({
        "format": TABLE_SETTINGS_FORMAT,
        "version": 1,
        "extraction_settings": settings_to_json(extractor),
    });
    let text = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::internal(format!("settings as JSON: {e}")))?;
    std::fs::write(&path, text + "\n").map_err(|e| Error::io(&path, "write", &e))
}

/// The extraction settings recorded beside the feature table `table` (in a model file's
/// `extraction_settings` form), or `None` when the table has no settings file. Errors when the file
/// exists but cannot be read or does not describe valid settings.
pub fn read_table_settings(table: &Path) -> Result<Option<Value>> {
    let path = table_settings_path(table);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, "read", &e)),
    };
    let bad = |what: String| {
        Error::new(
            ErrorKind::UnsupportedSetting,
            format!("'{}': {what}", path.display()),
        )
    };
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON ({e})")))?;
    if doc.get("format").and_then(Value::as_str) != Some(TABLE_SETTINGS_FORMAT) {
        return Err(bad(format!(
            "not a table settings file (no \"format\": \"{TABLE_SETTINGS_FORMAT}\")"
        )));
    }
    let settings = doc
        .get("extraction_settings")
        .cloned()
        .ok_or_else(|| bad("no \"extraction_settings\"".to_string()))?;
    // Refused here, rather than when a model made from it first predicts from images.
    extractor_from_json(&settings).map_err(|e| bad(e.message().to_string()))?;
    Ok(Some(settings))
}

/// The model's probability for a case given as images, its features extracted with the model's own
/// settings.
pub fn predict_case(model: &Model, case: &Case) -> Result<f64> {
    let extractor = extractor_from_json(&model.extraction_settings)?;
    let features = extractor.extract(case)?;
    model.predict_row(features.names(), features.values())
}

/// An SVG picture of a ROC curve with its AUC and 95 % CI in the title, and, when `threshold` is given,
/// a marker on the operating point of that decision threshold (predictions `score ≥ threshold`: the point
/// of the smallest ROC threshold not below it).
pub fn roc_svg(
    points: &[RocPoint],
    auc: f64,
    lower: f64,
    upper: f64,
    title: &str,
    threshold: Option<f64>,
) -> String {
    let (w, h, m) = (420.0, 440.0, 50.0);
    let side = w - 2.0 * m;
    let x = |fpr: f64| m + fpr * side;
    let y = |tpr: f64| m + 20.0 + (1.0 - tpr) * side;
    let mut path = String::new();
    for (i, p) in points.iter().enumerate() {
        path.push_str(&format!(
            "{}{:.2},{:.2} ",
            if i == 0 { "M" } else { "L" },
            x(p.fpr),
            y(p.tpr)
        ));
    }
    let mut marker = String::new();
    let operating = threshold.and_then(|t| {
        points
            .iter()
            .filter(|p| p.threshold >= t)
            .min_by(|a, b| a.threshold.total_cmp(&b.threshold))
            .map(|p| (t, p))
    });
    if let Some((t, p)) = operating {
        marker = format!(
            "<circle cx=\"{cx:.2}\" cy=\"{cy:.2}\" r=\"5\" fill=\"#2c3e50\"/>\
             <text x=\"{tx:.2}\" y=\"{ty:.2}\" font-size=\"11\">threshold {t:.3} \
             (sens. {sens:.2}, spec. {spec:.2})</text>",
            cx = x(p.fpr),
            cy = y(p.tpr),
            tx = x(p.fpr) + 8.0,
            ty = y(p.tpr) + 14.0,
            sens = p.tpr,
            spec = 1.0 - p.fpr
        );
    }
    let mut ticks = String::new();
    for k in 0..=5 {
        let t = k as f64 / 5.0;
        ticks.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{t:.1}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{t:.1}</text>",
            x(t),
            y(0.0) + 16.0,
            m - 6.0,
            y(t) + 4.0
        ));
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\">\
<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
<text x=\"{cx}\" y=\"24\" font-size=\"14\" text-anchor=\"middle\">{title}</text>\
<text x=\"{cx}\" y=\"42\" font-size=\"12\" text-anchor=\"middle\">AUC {auc:.3} (95% CI {lower:.3}–{upper:.3})</text>\
<rect x=\"{m}\" y=\"{top}\" width=\"{side}\" height=\"{side}\" fill=\"none\" stroke=\"black\"/>\
<line x1=\"{m}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{top}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\
<path d=\"{path}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>{marker}{ticks}\
<text x=\"{cx}\" y=\"{xl}\" font-size=\"12\" text-anchor=\"middle\">1 − specificity</text>\
<text x=\"14\" y=\"{cy}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 {cy})\">sensitivity</text>\
</svg>\n",
        cx = w / 2.0,
        top = m + 20.0,
        bottom = m + 20.0 + side,
        right = m + side,
        xl = m + 20.0 + side + 34.0,
        cy = m + 20.0 + side / 2.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_the_model_file() {
        let ex = study_extractor();
        let json = settings_to_json(&ex);
        let back = extractor_from_json(&json).unwrap();
        for m in ["t1c", "adc", "fa"] {
            assert_eq!(back.settings_for(m), ex.settings_for(m));
        }
        assert_eq!(
            extractor_from_json(&Value::Null).unwrap_err().kind(),
            ErrorKind::ModelMismatch
        );
    }

    #[test]
    fn roc_picture_is_an_svg_with_the_auc() {
        let pts = [
            RocPoint {
                threshold: f64::INFINITY,
                fpr: 0.0,
                tpr: 0.0,
            },
            RocPoint {
                threshold: 0.5,
                fpr: 0.25,
                tpr: 0.75,
            },
            RocPoint {
                threshold: 0.0,
                fpr: 1.0,
                tpr: 1.0,
            },
        ];
        let svg = roc_svg(&pts, 0.75, 0.6, 0.9, "test", None);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("AUC 0.750 (95% CI 0.600–0.900)"));
        assert_eq!(svg.matches(" L").count(), 2);
        assert!(!svg.contains("<circle"));
        // A threshold of 0.4 operates at the 0.5 point: sensitivity 0.75, specificity 0.75.
        let svg = roc_svg(&pts, 0.75, 0.6, 0.9, "test", Some(0.4));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(
            svg.contains("threshold 0.400 (sens. 0.75, spec. 0.75)"),
            "{svg}"
        );
    }

    #[test]
    fn table_settings_round_trip_and_bad_files() {
        let dir =
            std::env::temp_dir().join(format!("radiomics-table-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let table = dir.join("features.csv");
        assert_eq!(
            table_settings_path(&table),
            dir.join("features.settings.json")
        );
        assert_eq!(read_table_settings(&table).unwrap(), None);
        let extractor = study_extractor();
        write_table_settings(&table, &extractor).unwrap();
        let stored = read_table_settings(&table).unwrap().unwrap();
        // What batch compares on a rerun, and what train stores in the model.
        assert_eq!(stored, settings_to_json(&extractor));
        assert_ne!(
            stored,
            settings_to_json(&CaseExtractor::new(Settings::default()))
        );
        let rebuilt = extractor_from_json(&stored).unwrap();
        assert_eq!(settings_to_json(&rebuilt), stored);
        let path = table_settings_path(&table);
        for (text, needle) in [
            ("{", "not valid JSON"),
            ("{\"version\": 1}", "not a table settings file"),
            (
                "{\"format\": \"radiomics-table-settings\", \"extraction_settings\": {\"default\": {\"setting\": {\"binWidht\": 1}}}}",
                "binWidht",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = read_table_settings(&table).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnsupportedSetting);
            assert!(e.message().contains(needle), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
