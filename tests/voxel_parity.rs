//! Voxel-based feature maps against PyRadiomics' own (`voxelBased=True`), written by
//! tests/make_voxel_reference.py into the folder named by `RADIOMICS_VOXEL_REFERENCE` (tools/test-all.sh
//! generates it where PyRadiomics is installed; without it these tests print a notice and skip, except
//! where `RADIOMICS_REQUIRE_VOXEL_REFERENCE` is set, as in CI).
//!
//! Per configuration: the same features, the same grid (size, origin, spacing), every ROI voxel's value
//! within 1e-6 (relative; 1e-9 absolute near 0), and initValue everywhere else.

mod common;

use std::path::PathBuf;

use radiomics::image::io::read_image;
use radiomics::voxel::extract_maps;
use radiomics::{Extractor, Settings};

fn reference_dir() -> Option<PathBuf> {
    match std::env::var_os("RADIOMICS_VOXEL_REFERENCE") {
        Some(p) if PathBuf::from(&p).is_dir() => Some(PathBuf::from(p)),
        other => {
            assert!(
                std::env::var_os("RADIOMICS_REQUIRE_VOXEL_REFERENCE").is_none(),
                "RADIOMICS_REQUIRE_VOXEL_REFERENCE is set but there is no reference at {other:?}"
            );
            eprintln!(
                "notice: no voxel-based reference at {other:?} (set RADIOMICS_VOXEL_REFERENCE to the folder tests/make_voxel_reference.py writes); skipping"
            );
            None
        }
    }
}

fn same_value(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn check_config(data: &std::path::Path, refdir: &std::path::Path, name: &str) -> usize {
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(refdir.join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    let values = common::npy::read_npy(&refdir.join(format!("{name}.npy")));
    let settings = Settings::from_value(meta["params"].clone()).unwrap();
    let init = settings.voxel().init_value;
    let ex = Extractor::new(settings);
    let image = read_image(data.join(meta["image"].as_str().unwrap())).unwrap();
    let label_path = match meta["label"].as_str() {
        Some(l) => refdir.join(l),
        None => data.join(
            meta["image"]
                .as_str()
                .unwrap()
                .replace("_image.", "_label."),
        ),
    };
    let labels = read_image(&label_path).unwrap();
    let maps = extract_maps(&ex, &image, &labels).unwrap();

    let names: Vec<&str> = meta["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let ours: Vec<&str> = maps.iter().map(|m| m.name.as_str()).collect();
    let mut a = names.clone();
    let mut b = ours.clone();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "{name}: feature maps differ");

    let size: Vec<usize> = meta["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let f = |k: &str| -> Vec<f64> {
        meta[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (origin, spacing) = (f("origin"), f("spacing"));
    let voxels: Vec<[usize; 3]> = meta["voxels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let v = v.as_array().unwrap();
            [0, 1, 2].map(|a| v[a].as_u64().unwrap() as usize)
        })
        .collect();
    assert_eq!(values.shape, vec![voxels.len(), names.len()]);
    let mut checked = 0;
    let mut failures = Vec::new();
    for (c, n) in names.iter().enumerate() {
        let map = maps.iter().find(|m| m.name == *n).unwrap();
        assert_eq!(map.image.size().to_vec(), size, "{name} {n}: grid size");
        for a in 0..3 {
            assert!(
                (map.image.geometry().origin[a] - origin[a]).abs() < 1e-4,
                "{name} {n}: origin {:?} vs {origin:?}",
                map.image.geometry().origin
            );
            assert!((map.image.spacing()[a] - spacing[a]).abs() < 1e-6);
        }
        let data = map.image.data();
        let mut inside = ndarray::Array3::from_elem(data.raw_dim(), false);
        for (k, v) in voxels.iter().enumerate() {
            inside[*v] = true;
            let (ours, theirs) = (data[*v], values.data[k * names.len() + c]);
            if !common::close(ours, theirs, 1e-6) {
                failures.push(format!("{n} at {v:?}: {ours} vs PyRadiomics {theirs}"));
            }
            checked += 1;
        }
        for (&x, &m) in data.iter().zip(inside.iter()) {
            assert!(m || same_value(x, init), "{name} {n}: {x} outside the ROI");
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {checked} values differ, e.g.\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    checked
}

macro_rules! config_test {
    ($test:ident, $name:literal) => {
        #[test]
        fn $test() {
            let data = require_data!();
            let Some(refdir) = reference_dir() else {
                return;
            };
            let n = check_config(&data, &refdir, $name);
            assert!(n > 10_000, "{n} values checked");
        }
    };
}

config_test!(breast1_radius1_masked, "breast1_r1_masked");
config_test!(breast1_radius1_unmasked, "breast1_r1_unmasked");
config_test!(breast1_radius2_masked, "breast1_r2_masked");
config_test!(breast1_radius2_unmasked, "breast1_r2_unmasked");
config_test!(brain1_box_log_bincount_batches, "brain1box_r1_log_batch");
config_test!(brain1_box_force2d_weighted, "brain1box_r2_force2d");
