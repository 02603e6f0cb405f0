//! PyRadiomics' `diagnostics_*` entries and PyRadiomics' batch CSV, against PyRadiomics' own batch tables
//! (`tests/data/diagnostics/<config>.csv`, written by `tests/make_diagnostics_reference.py` with
//! PyRadiomics' command line): the same columns in the same order, every entry that describes the input
//! equal as text (hashes, sizes, spacings, means, bounding boxes, centres of mass), the intensity
//! statistics of the resampled image within 1e-12 relative (B-spline resampling agrees with ITK's to a few
//! ulps, not bit for bit), and features within the parity tolerance (1e-6).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use radiomics::pyradiomics_batch::parse_csv;

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/diagnostics")
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("radiomics-diag-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A CSV as (header, rows of header -> cell).
fn read_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = parse_csv(&text).unwrap().into_iter();
    let header = rows.next().unwrap();
    (header, rows.collect())
}

/// PyRadiomics under numpy 2 writes a tuple of numpy floats as `(np.float64(1.5), ...)`; numpy 1 wrote
/// `(1.5, ...)`, as this library does.
fn strip_numpy(text: &str) -> String {
    text.replace("np.float64(", "")
        .replace("))", ")")
        .replace("), ", ", ")
}

/// Entries computed from the resampled image's intensities.
fn of_resampled_intensities(name: &str) -> bool {
    ["Image-interpolated_", "Mask-interpolated_"]
        .iter()
        .any(|p| name.contains(p))
        && ["_Mean", "_Minimum", "_Maximum"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Runs `radiomics batch` on the configuration's cases and compares its table with PyRadiomics'.
fn check_config(data: &Path, config: &str) {
    let dir = temp(config);
    let cases = std::fs::read_to_string(here().join(format!("{config}_cases.csv")))
        .unwrap()
        .replace("{data}", data.to_str().unwrap())
        .replace("{here}", here().to_str().unwrap());
    std::fs::write(dir.join("cases.csv"), cases).unwrap();
    let out = dir.join("out.csv");
    let run = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(["batch", "--jobs", "1", "--manifest"])
        .arg(dir.join("cases.csv"))
        .arg("--params")
        .arg(here().join(format!("{config}.yaml")))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{config}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (ref_header, ref_rows) = read_table(&here().join(format!("{config}.csv")));
    let (header, rows) = read_table(&out);
    assert_eq!(
        header, ref_header,
        "{config}: columns and their order are PyRadiomics'"
    );
    assert_eq!(rows.len(), ref_rows.len(), "{config}");
    let (mut exact, mut numeric) = (0, 0);
    for (r, (row, reference)) in rows.iter().zip(&ref_rows).enumerate() {
        assert_eq!(row.len(), header.len(), "{config} row {r}");
        for ((name, ours), theirs) in header.iter().zip(row).zip(reference) {
            let what = format!("{config} row {r} {name}");
            if name == "Image" || name == "Mask" {
                // PyRadiomics wrote base names (--format-path basename); ours are absolute.
                assert!(Path::new(ours).is_absolute(), "{what}: {ours}");
                assert_eq!(
                    Path::new(ours).file_name().unwrap().to_str().unwrap(),
                    theirs,
                    "{what}"
                );
            } else if name == "diagnostics_Versions_PyRadiomics" {
                assert_eq!(
                    ours,
                    &format!("radiomics {} (Rust)", env!("CARGO_PKG_VERSION")),
                    "{what}"
                );
            } else if name.starts_with("diagnostics_Versions_") {
                assert_eq!(ours, "n/a", "{what}");
            } else if of_resampled_intensities(name) {
                let (a, b) = (ours.parse::<f64>().unwrap(), theirs.parse::<f64>().unwrap());
                assert!(((a - b) / b).abs() <= 1e-12, "{what}: {a} vs {b}");
                numeric += 1;
            } else if name.starts_with("diagnostics_") || !name.contains('_') {
                assert_eq!(ours, &strip_numpy(theirs), "{what}");
                exact += 1;
            } else {
                let (a, b) = (ours.parse::<f64>().unwrap(), theirs.parse::<f64>().unwrap());
                assert!(common::close(a, b, 1e-6), "{what}: {a} vs {b}");
            }
        }
    }
    eprintln!(
        "{config}: {} rows, {} columns, {exact} cells equal as text, {numeric} within 1e-12",
        rows.len(),
        header.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn batch_of_the_reference_cases_equals_pyradiomics() {
    let data = require_data!();
    check_config(&data, "default");
}

#[test]
fn resampled_batch_equals_pyradiomics_in_its_order() {
    let data = require_data!();
    check_config(&data, "resampled");
}

#[test]
fn corrected_and_resegmented_masks_are_described_as_pyradiomics_does() {
    let data = require_data!();
    check_config(&data, "corrected");
}

#[test]
fn additional_info_false_gives_no_diagnostics() {
    let data = require_data!();
    check_config(&data, "no_info");
    let (header, _) = read_table(&here().join("no_info.csv"));
    assert!(!header.iter().any(|h| h.starts_with("diagnostics_")));
}

/// `radiomics extract` writes the same entries as the batch, before the features, in CSV and JSON.
#[test]
fn extract_writes_the_diagnostics_before_the_features() {
    let data = require_data!();
    let dir = temp("extract");
    let nrrd = data.join("pyradiomics/nrrd");
    let run = |format: &str, out: &Path| {
        let s = Command::new(env!("CARGO_BIN_EXE_radiomics"))
            .args(["extract", "--image"])
            .arg(nrrd.join("brain1_image.nrrd"))
            .arg("--mask")
            .arg(nrrd.join("brain1_label.nrrd"))
            .arg("--params")
            .arg(here().join("default.yaml"))
            .args(["--format", format, "--out"])
            .arg(out)
            .output()
            .unwrap();
        assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    };
    run("csv", &dir.join("f.csv"));
    run("json", &dir.join("f.json"));
    let (ref_header, ref_rows) = read_table(&here().join("default.csv"));
    // brain1 is the first case; its input columns (Image, Mask, Label, Note) come first.
    let reference: Vec<(&String, &String)> = ref_header.iter().zip(&ref_rows[0]).skip(4).collect();
    let (header, rows) = read_table(&dir.join("f.csv"));
    assert_eq!(header, ["name", "value"]);
    assert_eq!(rows.len(), reference.len());
    let n_diag = reference
        .iter()
        .filter(|(n, _)| n.starts_with("diagnostics_"))
        .count();
    assert_eq!(n_diag, 22);
    for (row, (name, theirs)) in rows.iter().zip(&reference) {
        assert_eq!(&&row[0], name);
        if name.starts_with("diagnostics_Versions") {
            continue;
        }
        if name.starts_with("diagnostics_") {
            assert_eq!(row[1], strip_numpy(theirs), "{name}");
        } else {
            let (a, b) = (
                row[1].parse::<f64>().unwrap(),
                theirs.parse::<f64>().unwrap(),
            );
            assert!(common::close(a, b, 1e-6), "{name}: {a} vs {b}");
        }
    }
    // JSON: PyRadiomics' values as json.dump writes them (tuples as arrays, settings as an object).
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("f.json")).unwrap()).unwrap();
    let obj = json.as_object().unwrap();
    assert_eq!(obj.len(), reference.len());
    assert_eq!(
        obj.keys().next().unwrap(),
        "diagnostics_Versions_PyRadiomics"
    );
    assert_eq!(
        obj["diagnostics_Image-original_Size"],
        serde_json::json!([256, 256, 25])
    );
    assert_eq!(obj["diagnostics_Mask-original_VoxelNum"], 4137);
    assert_eq!(
        obj["diagnostics_Configuration_Settings"]["binWidth"],
        serde_json::json!(25)
    );
    assert_eq!(
        obj["diagnostics_Configuration_Settings"]["resampledPixelSpacing"],
        serde_json::Value::Null
    );
    assert!(obj["original_firstorder_Mean"].is_f64());
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `additionalInfo: false`, `radiomics extract` writes the features alone.
#[test]
fn extract_without_additional_info_writes_features_only() {
    let data = require_data!();
    let dir = temp("noinfo");
    let nrrd = data.join("pyradiomics/nrrd");
    let s = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(["extract", "--image"])
        .arg(nrrd.join("breast1_image.nrrd"))
        .arg("--mask")
        .arg(nrrd.join("breast1_label.nrrd"))
        .arg("--params")
        .arg(here().join("no_info.yaml"))
        .output()
        .unwrap();
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let text = String::from_utf8(s.stdout).unwrap();
    assert!(!text.contains("diagnostics_"), "{text}");
    assert_eq!(
        text.lines().count(),
        1 + 18,
        "header and the 18 first-order features"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
