//! Multi-sequence cases and cohort batch extraction.

use std::path::Path;
use std::process::Command;

use radiomics::case::{Case, CaseExtractor};
use radiomics::image::io::nifti::{write_nifti, WriteType};
use radiomics::synthetic::{lesion_phantom, PhantomSpec};
use radiomics::{Extractor, Image, Settings};

const PARAMS: &str = "featureClass: {firstorder: , glszm: , ngtdm: }\n";

fn settings() -> Settings {
    Settings::from_yaml_str(PARAMS).unwrap()
}

fn scaled(image: &Image, f: impl Fn(f64) -> f64) -> Image {
    Image::new(image.data().mapv(f), *image.geometry()).unwrap()
}

#[test]
fn multi_sequence_equals_single_image_extraction_per_modality() {
    let (t1c, mask) = lesion_phantom(&PhantomSpec::default(), 3);
    let adc = scaled(&t1c, |v| 2e-3 - v * 1e-6);
    let mut adc_settings = settings();
    adc_settings.set("binWidth", 5e-5.into()).unwrap();
    let ex = CaseExtractor::new(settings())
        .with_modality("adc", adc_settings.clone())
        .unwrap();
    let case = Case {
        images: vec![("t1c".into(), t1c.clone()), ("adc".into(), adc.clone())],
        mask: mask.clone(),
    };
    let multi = ex.extract(&case).unwrap();
    let single_t1c = Extractor::new(settings()).extract(&t1c, &mask).unwrap();
    let single_adc = Extractor::new(adc_settings).extract(&adc, &mask).unwrap();
    assert_eq!(multi.len(), single_t1c.len() + single_adc.len());
    for (prefix, single) in [("t1c", &single_t1c), ("adc", &single_adc)] {
        for (name, v) in single.iter() {
            let got = multi.get(&format!("{prefix}_{name}")).unwrap();
            assert_eq!(got.to_bits(), v.to_bits(), "{prefix}_{name}");
        }
    }
    assert!(multi.names()[0].starts_with("t1c_original_"));
}

#[test]
fn bad_modality_names_and_duplicates_are_refused() {
    let (t1c, mask) = lesion_phantom(&PhantomSpec::default(), 3);
    let ex = CaseExtractor::new(settings());
    let case = Case {
        images: vec![("T1C".into(), t1c.clone())],
        mask: mask.clone(),
    };
    assert!(ex
        .extract(&case)
        .unwrap_err()
        .message()
        .contains("lower-case"));
    let case = Case {
        images: vec![("t1c".into(), t1c.clone()), ("t1c".into(), t1c)],
        mask,
    };
    assert!(ex.extract(&case).unwrap_err().message().contains("twice"));
}

fn write_case(dir: &Path, id: &str, seed: u64) {
    let (img, mask) = lesion_phantom(&PhantomSpec::default(), seed);
    write_nifti(dir.join(format!("{id}_t1c.nii.gz")), &img, WriteType::I16).unwrap();
    write_nifti(dir.join(format!("{id}_mask.nii.gz")), &mask, WriteType::I16).unwrap();
}

#[test]
fn batch_keeps_going_reports_failures_and_reruns_only_what_is_missing() {
    let dir = std::env::temp_dir().join(format!("radiomics-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, id) in ["A", "B", "C"].iter().enumerate() {
        if *id != "B" {
            write_case(&dir, id, i as u64);
        }
    }
    std::fs::write(dir.join("p.yaml"), PARAMS).unwrap();
    std::fs::write(
        dir.join("cases.csv"),
        "case_id,patient_id,label,split,t1c,mask\n\
         A,P1,0,train,A_t1c.nii.gz,A_mask.nii.gz\n\
         B,P1,0,train,B_t1c.nii.gz,B_mask.nii.gz\n\
         C,P2,1,test,C_t1c.nii.gz,C_mask.nii.gz\n",
    )
    .unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_radiomics"))
            .arg("batch")
            .arg("--manifest")
            .arg(dir.join("cases.csv"))
            .arg("--params")
            .arg(dir.join("p.yaml"))
            .arg("--out")
            .arg(dir.join("features.csv"))
            .args(["--jobs", "2"])
            .output()
            .unwrap()
    };
    let first = run();
    let err = String::from_utf8_lossy(&first.stderr).to_string();
    assert!(!first.status.success(), "one case is broken: {err}");
    assert!(err.contains("case 'B' failed"), "{err}");
    assert!(err.contains("B_t1c.nii.gz"), "{err}");
    assert!(err.contains("2 computed"), "{err}");
    let table = std::fs::read_to_string(dir.join("features.csv")).unwrap();
    let ids: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["A", "C"]);
    assert!(table.starts_with("case_id,patient_id,label,split,t1c_original_firstorder_"));

    // Fix B and run again: only B is computed, the others are kept.
    write_case(&dir, "B", 1);
    let second = run();
    let err = String::from_utf8_lossy(&second.stderr).to_string();
    assert!(second.status.success(), "{err}");
    assert!(err.contains("1 computed, 2 kept"), "{err}");
    let table2 = std::fs::read_to_string(dir.join("features.csv")).unwrap();
    let lines: Vec<&str> = table2.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[2].starts_with("B,P1,0,train,"));
    // Rows kept from the first run are unchanged.
    assert_eq!(lines[1], table.lines().nth(1).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

/// An ADC map on a grid twice as coarse as the mask's is resampled onto the mask's grid (linear
/// interpolation in world coordinates): a linear ramp in world space is reproduced exactly at the fine
/// voxels inside the coarse grid, so the first-order features equal those of the ramp sampled finely.
#[test]
fn coarse_adc_is_resampled_onto_the_mask_grid() {
    use ndarray::Array3;
    use radiomics::Geometry;
    // Incommensurate slopes, so that no two voxels tie and no order statistic sits on a tie.
    let ramp = |p: [f64; 3]| {
        1e-3 + 2.1e-5 * p[0] - 1.3e-5 * std::f64::consts::SQRT_2 * p[1] + 3.7e-5 * p[2]
    };
    // Fine grid: 24 x 24 x 12 voxels of 1 x 1 x 2 mm at the origin. Coarse grid: 2 x 2 x 4 mm, its
    // voxel centres at fine positions 0.5, 2.5, ... (the same extent, centres shifted by half a fine voxel).
    let fine = Geometry::new([1.0, 1.0, 2.0], [0.0; 3]);
    let coarse = Geometry::new([2.0, 2.0, 4.0], [0.5, 0.5, 1.0]);
    let sample = |g: &Geometry, n: [usize; 3]| {
        Array3::from_shape_fn((n[2], n[1], n[0]), |(z, y, x)| {
            ramp(g.index_to_world([x as f64, y as f64, z as f64]))
        })
    };
    let adc_coarse = Image::new(sample(&coarse, [12, 12, 6]), coarse).unwrap();
    let adc_fine = Image::new(sample(&fine, [24, 24, 12]), fine).unwrap();
    // A box ROI well inside the coarse grid's voxel centres (no extrapolation).
    let mask = Image::new(
        Array3::from_shape_fn((12, 24, 24), |(z, y, x)| {
            f64::from((4..20).contains(&x) && (4..20).contains(&y) && (3..9).contains(&z))
        }),
        fine,
    )
    .unwrap();
    let mut s = Settings::from_yaml_str("featureClass: {firstorder: }").unwrap();
    s.set("binWidth", 5e-5.into()).unwrap();
    s.set("interpolator", "sitkLinear".into()).unwrap();
    let ex = CaseExtractor::new(s.clone());
    let resampled = ex
        .extract(&Case {
            images: vec![("adc".into(), adc_coarse)],
            mask: mask.clone(),
        })
        .unwrap();
    let direct = Extractor::new(s).extract(&adc_fine, &mask).unwrap();
    for (name, v) in direct.iter() {
        // Entropy and Uniformity read discretised levels: interpolated values equal the ramp only to the
        // last bits, which moves values lying exactly on a bin edge of this ramp into the next bin.
        if name.ends_with("_Entropy") || name.ends_with("_Uniformity") {
            continue;
        }
        let got = resampled.get(&format!("adc_{name}")).unwrap();
        // Skewness of the symmetric box is 0 up to rounding: compared absolutely.
        let ok = if v.abs() < 1e-12 {
            got.abs() < 1e-12
        } else {
            (got - v).abs() <= 1e-9 * v.abs()
        };
        assert!(ok, "{name}: resampled {got} vs fine {v}");
    }
    // And at known points: the mean of a linear ramp over the box is its value at the box centre.
    let centre = fine.index_to_world([11.5, 11.5, 5.5]);
    let mean = resampled.get("adc_original_firstorder_Mean").unwrap();
    assert!(
        (mean - ramp(centre)).abs() < 1e-15,
        "{mean} vs {}",
        ramp(centre)
    );
}
