//! Parameter files on which this library once disagreed with PyRadiomics (found by `tools/parity-fuzz.py`),
//! each reduced to a minimal file in `tests/data/paramfuzz/` with PyRadiomics' output beside it (written by
//! `tests/make_paramfuzz_reference.py`). Each must give PyRadiomics' feature names and values, or be refused
//! where PyRadiomics refuses it.
//!
//! Tolerance as the fuzzer's: 1e-6 relative (1e-4 where LoG or resampling is involved), 1e-9 absolute below
//! 1e-9; NaN only against NaN.

mod common;

use std::path::{Path, PathBuf};

use radiomics::image::io::{read_image, DataType};
use radiomics::{Extractor, Image, Settings};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/paramfuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data/paramfuzz")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The image of a `# case: CASE VARIANT MASK` line: as stored, as float32, or as float32 times
/// float32(1e-6), as the reference script builds them.
fn load_case(data: &Path, params: &Path) -> (Image, Image) {
    let text = std::fs::read_to_string(params).unwrap();
    let first = text.lines().next().unwrap_or_default();
    let fields: Vec<&str> = first.split_whitespace().collect();
    assert!(
        fields.len() == 5 && fields[1] == "case:",
        "{}: the first line must be '# case: CASE VARIANT MASK'",
        params.display()
    );
    let (case, variant, mask) = (fields[2], fields[3], fields[4]);
    let nifti = data.join("pyradiomics/nifti");
    let image = read_image(nifti.join(format!("{case}_image.nii.gz"))).unwrap();
    let image = match variant {
        "native" => image,
        "f32" | "f32map" => {
            let scale = if variant == "f32map" { 1e-6f32 } else { 1.0 };
            let values = image.data().mapv(|v| {
                let x = v as f32;
                (if variant == "f32map" { x * scale } else { x }) as f64
            });
            Image::new(values, *image.geometry())
                .unwrap()
                .with_pixel_type(Some(DataType::F32))
        }
        other => panic!("unknown variant {other}"),
    };
    let labels = read_image(nifti.join(format!("{case}_{mask}.nii.gz"))).unwrap();
    (image, labels)
}

#[test]
fn reduced_parameter_files_match_pyradiomics() {
    let data = require_data!();
    let mut failures = Vec::new();
    let files = cases();
    assert!(files.len() >= 20, "the reduced parameter files are missing");
    for params in &files {
        let name = params.file_stem().unwrap().to_string_lossy().to_string();
        let reference = common::read_name_value_csv(&params.with_extension("csv"));
        let text = std::fs::read_to_string(params).unwrap();
        let rel = if text.contains("LoG") || text.contains("resampledPixelSpacing") {
            1e-4
        } else {
            1e-6
        };
        let (image, labels) = load_case(&data, params);
        let ours =
            Settings::from_file(params).and_then(|s| Extractor::new(s).extract(&image, &labels));
        let refused = reference.first().is_some_and(|(n, _)| n == "refused");
        match (ours, refused) {
            (Err(_), true) => {}
            (Err(e), false) => {
                failures.push(format!("{name}: PyRadiomics succeeds, we refuse: {e}"))
            }
            (Ok(_), true) => failures.push(format!("{name}: PyRadiomics refuses, we succeed")),
            (Ok(features), false) => {
                let ours: Vec<&str> = features.names().iter().map(String::as_str).collect();
                let mut theirs: Vec<&str> = reference.iter().map(|(n, _)| n.as_str()).collect();
                let mut sorted = ours.clone();
                sorted.sort_unstable();
                theirs.sort_unstable();
                if sorted != theirs {
                    failures.push(format!(
                        "{name}: names differ: ours {ours:?}, PyRadiomics {theirs:?}"
                    ));
                    continue;
                }
                for (n, r) in &reference {
                    let v = features.get(n).unwrap();
                    if !common::close(v, *r, rel) {
                        failures.push(format!("{name}: {n} = {v}, PyRadiomics {r}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
