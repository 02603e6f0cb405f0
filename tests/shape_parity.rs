//! Parity of the `shape` and `shape2D` classes with PyRadiomics and with the IBSI digital phantom.
//!
//! References: `pyradiomics/reference/<case>_default.csv` (PyRadiomics 3.1.0 on the NIfTI cases),
//! `pyradiomics/baseline/baseline_shape*.csv` (upstream baselines on the NRRD cases), IBSI 1 consensus values,
//! and `tests/data/*.csv`, written by `tests/data/make_shape_reference.py` with PyRadiomics (fresh brain1 mesh
//! values, small random masks with every feature including the deprecated ones).

mod common;

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array3;
use proptest::prelude::*;
use radiomics::features::{shape, shape2d};
use radiomics::image::io::read_image;
use radiomics::Mask;

const REL: f64 = 1e-6;

fn load_mask(path: &Path) -> Mask {
    let img = read_image(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Mask::from_labels(&img, 1).unwrap()
}

/// `name -> value` of the 3D shape features of `mask`, named as PyRadiomics names them.
fn shape_features(mask: &Mask) -> HashMap<String, f64> {
    let values = shape::compute(mask.roi(), mask.geometry().spacing);
    assert_eq!(values.len(), shape::FEATURES.len());
    shape::FEATURES
        .iter()
        .zip(values)
        .map(|(f, v)| (format!("original_shape_{}", f.name), v))
        .collect()
}

/// Compares every entry of `reference` with `actual`; returns how many were compared.
fn compare(
    case: &str,
    actual: &HashMap<String, f64>,
    reference: &[(String, f64)],
    failures: &mut Vec<String>,
) -> usize {
    let mut n = 0;
    let mut worst = (0.0f64, "");
    for (name, want) in reference {
        let got = *actual
            .get(name)
            .unwrap_or_else(|| panic!("{case}: no feature {name}"));
        n += 1;
        let rel = if *want == 0.0 {
            (got - want).abs()
        } else {
            ((got - want) / want).abs()
        };
        if rel > worst.0 {
            worst = (rel, name);
        }
        if !common::close(got, *want, REL) {
            failures.push(format!(
                "{case} {name}: {got} vs {want} (rel {:.2e})",
                ((got - want) / want).abs()
            ));
        }
    }
    eprintln!(
        "{case}: {n} values, worst relative difference {:.1e} ({})",
        worst.0, worst.1
    );
    n
}

#[test]
fn reference_default_3d() {
    let data = require_data!();
    let mut failures = Vec::new();
    for case in ["brain1", "breast1", "lung1"] {
        let mask = load_mask(&data.join(format!("pyradiomics/nifti/{case}_label.nii.gz")));
        let actual = shape_features(&mask);
        let reference: Vec<(String, f64)> = common::read_name_value_csv(
            &data.join(format!("pyradiomics/reference/{case}_default.csv")),
        )
        .into_iter()
        .filter(|(n, _)| n.starts_with("original_shape_"))
        .collect();
        // Every non-deprecated shape feature, and nothing else, is in the reference.
        let enabled = shape::FEATURES.iter().filter(|f| !f.deprecated).count();
        assert_eq!(reference.len(), enabled, "{case}");
        let label = format!("default {case}");
        assert_eq!(compare(&label, &actual, &reference, &mut failures), enabled);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// brain1's MeshVolume, SurfaceArea, SurfaceVolumeRatio and Sphericity in the upstream baseline predate
/// PyRadiomics 3 (see the data README); they are compared with a fresh PyRadiomics run instead.
const BRAIN1_STALE: [&str; 4] = [
    "original_shape_MeshVolume",
    "original_shape_SurfaceArea",
    "original_shape_SurfaceVolumeRatio",
    "original_shape_Sphericity",
];

#[test]
fn baseline_3d() {
    let data = require_data!();
    let table = common::read_baseline(&data.join("pyradiomics/baseline/baseline_shape.csv"));
    let fresh = common::read_name_value_csv(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shape_brain1_nrrd.csv"),
    );
    let mut failures = Vec::new();
    // The `<case>_resampling` columns need the mask resampled first (preprocessing, not shape); they are
    // left to the resampling tests.
    for case in ["brain1", "breast1", "lung1"] {
        let mask = load_mask(&data.join(format!("pyradiomics/nrrd/{case}_label.nrrd")));
        let actual = shape_features(&mask);
        let mut reference: Vec<(String, f64)> = table[case]
            .iter()
            .filter(|(n, _)| n.starts_with("original_shape_"))
            .filter(|(n, _)| !(case == "brain1" && BRAIN1_STALE.contains(&n.as_str())))
            .map(|(n, v)| (n.clone(), v.parse().unwrap()))
            .collect();
        if case == "brain1" {
            // The fresh run holds every feature, the deprecated ones too.
            assert_eq!(fresh.len(), shape::FEATURES.len());
            reference.extend(fresh.iter().cloned());
        }
        let n = compare(
            &format!("baseline {case}"),
            &actual,
            &reference,
            &mut failures,
        );
        assert!(n >= 14, "{case}: only {n} values compared");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn baseline_2d() {
    let data = require_data!();
    let table = common::read_baseline(&data.join("pyradiomics/baseline/baseline_shape2D.csv"));
    let mut failures = Vec::new();
    for case in ["brain1", "breast1", "lung1"] {
        let column = &table[&format!("{case}_shape2D")];
        // The baseline's settings: force2D with the normal along force2Ddimension.
        let settings = &column["diagnostics_Configuration_Settings"];
        assert!(settings.contains("'force2D': True"), "{settings}");
        let dim: usize = settings
            .split("'force2Ddimension': ")
            .nth(1)
            .and_then(|s| s.split([',', '}']).next())
            .and_then(|s| s.trim().parse().ok())
            .expect("force2Ddimension in the settings");
        let mask = load_mask(&data.join(format!("pyradiomics/nrrd/{case}_label_2D.nrrd")));
        let values = shape2d::compute(mask.roi(), mask.geometry().spacing, dim).unwrap();
        let actual: HashMap<String, f64> = shape2d::FEATURES
            .iter()
            .zip(values)
            .map(|(f, v)| (format!("original_shape2D_{}", f.name), v))
            .collect();
        let reference: Vec<(String, f64)> = column
            .iter()
            .filter(|(n, _)| n.starts_with("original_shape2D_"))
            .map(|(n, v)| (n.clone(), v.parse().unwrap()))
            .collect();
        let enabled = shape2d::FEATURES.iter().filter(|f| !f.deprecated).count();
        let label = format!("baseline 2D {case}");
        assert_eq!(compare(&label, &actual, &reference, &mut failures), enabled);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The 3D masks of `shape_random.csv` / `shape2d_random.csv`: (force2Ddimension, mask, spacing, features).
/// One random mask with its reference values: (id, mask, spacing, values).
type RandomCase = (usize, Array3<bool>, [f64; 3], Vec<f64>);

fn random_cases(file: &str) -> (Vec<String>, Vec<RandomCase>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let with_dim = header[0] == "dim";
    let skip = if with_dim { 1 } else { 0 };
    let names = header[skip + 7..].to_vec();
    let cases = lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let dim = if with_dim { c[0].parse().unwrap() } else { 0 };
            let c = &c[skip..];
            let shape: Vec<usize> = c[0..3].iter().map(|v| v.parse().unwrap()).collect();
            let spacing = [
                c[3].parse().unwrap(),
                c[4].parse().unwrap(),
                c[5].parse().unwrap(),
            ];
            let bits: Vec<bool> = c[6].bytes().map(|b| b == b'1').collect();
            let mask = Array3::from_shape_vec((shape[0], shape[1], shape[2]), bits).unwrap();
            let values = c[7..]
                .iter()
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect();
            (dim, mask, spacing, values)
        })
        .collect();
    (names, cases)
}

/// Where the ROI's voxels lie on a plane or a line, a PCA axis is 0 and PyRadiomics reports its eigen-solver's
/// rounding noise instead (below 1e-6·MajorAxisLength); ours is exactly 0 (a documented convention, see
/// `shape::principal_variances`). For each (axis, ratio) pair with such a reference, checks that both of ours
/// are 0 and the reference ratio is noise too, and returns the names so checked.
fn degenerate_axes(
    names: &[String],
    got: &[f64],
    want: &[f64],
    pairs: &[(&str, &str)],
    failures: &mut Vec<String>,
    case: &str,
) -> Vec<String> {
    let at = |n: &str| names.iter().position(|m| m == n).unwrap();
    let major = want[at("MajorAxisLength")];
    let mut checked = Vec::new();
    for &(axis, ratio) in pairs {
        let (a, r) = (at(axis), at(ratio));
        if major > 0.0 && want[a] <= 1e-6 * major {
            if got[a] != 0.0 || got[r] != 0.0 || want[r] > 1e-6 {
                failures.push(format!(
                    "{case}: flat ROI, {axis} {} vs {}, {ratio} {} vs {}",
                    got[a], want[a], got[r], want[r]
                ));
            }
            checked.push(axis.to_string());
            checked.push(ratio.to_string());
        }
    }
    checked
}

#[test]
fn random_masks_match_pyradiomics() {
    let (names, cases) = random_cases("shape_random.csv");
    assert_eq!(
        names,
        shape::FEATURES
            .iter()
            .map(|f| f.name.to_string())
            .collect::<Vec<_>>()
    );
    let mut failures = Vec::new();
    let mut flat_cases = 0;
    for (k, (_, mask, spacing, want)) in cases.iter().enumerate() {
        let got = shape::compute(mask.view(), *spacing);
        let pairs = [
            ("LeastAxisLength", "Flatness"),
            ("MinorAxisLength", "Elongation"),
        ];
        let case = format!("case {k}");
        let flat = degenerate_axes(&names, &got, want, &pairs, &mut failures, &case);
        flat_cases += usize::from(!flat.is_empty());
        for ((name, g), w) in names.iter().zip(&got).zip(want) {
            if !flat.contains(name) && !common::close(*g, *w, REL) {
                failures.push(format!("case {k} {name}: {g} vs {w}"));
            }
        }
    }
    eprintln!("3D random: {} masks, {flat_cases} flat", cases.len());
    assert!(cases.len() >= 60);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn random_slices_match_pyradiomics() {
    let (names, cases) = random_cases("shape2d_random.csv");
    assert_eq!(
        names,
        shape2d::FEATURES
            .iter()
            .map(|f| f.name.to_string())
            .collect::<Vec<_>>()
    );
    let mut failures = Vec::new();
    let mut flat_cases = 0;
    for (k, (dim, mask, spacing, want)) in cases.iter().enumerate() {
        let got = shape2d::compute(mask.view(), *spacing, *dim).unwrap();
        let pairs = [("MinorAxisLength", "Elongation")];
        let case = format!("case {k}");
        let flat = degenerate_axes(&names, &got, want, &pairs, &mut failures, &case);
        flat_cases += usize::from(!flat.is_empty());
        for ((name, g), w) in names.iter().zip(&got).zip(want) {
            if !flat.contains(name) && !common::close(*g, *w, REL) {
                failures.push(format!("case {k} (dim {dim}) {name}: {g} vs {w}"));
            }
        }
    }
    eprintln!("2D random: {} masks, {flat_cases} flat", cases.len());
    assert!(cases.len() >= 36);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Rounds to 3 significant digits, as IBSI compares.
fn round3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let e = v.abs().log10().floor() as i32;
    let scale = 10f64.powi(2 - e);
    (v * scale).round() / scale
}

/// IBSI's morphology, which differs from PyRadiomics' only in the covariance normalisation of the PCA axis
/// lengths (Nv − 1 instead of Nv, see the `shape` module doc).
#[test]
fn ibsi_digital_phantom_morphology() {
    let data = require_data!();
    let mask = load_mask(&data.join("ibsi/digital_phantom/mask.nii.gz"));
    let values = shape::compute_with(
        mask.roi(),
        mask.geometry().spacing,
        shape::Covariance::Sample,
    );
    let actual: HashMap<String, f64> = shape::FEATURES
        .iter()
        .zip(values)
        .map(|(f, v)| (format!("original_shape_{}", f.name), v))
        .collect();
    let pyradiomics = shape_features(&mask);
    for (name, v) in &pyradiomics {
        let axis = name.ends_with("AxisLength");
        assert_eq!(
            axis,
            actual[name] != *v,
            "{name}: only the axis lengths differ"
        );
    }

    let map = std::fs::read_to_string(data.join("ibsi/pyradiomics_name_map.csv")).unwrap();
    let mut map_lines = map.lines();
    let header = common::split_csv(map_lines.next().unwrap());
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (c_family, c_class, c_feature, c_tag) = (
        col("family"),
        col("pyradiomics_class"),
        col("pyradiomics_feature"),
        col("template_tag"),
    );
    let mut wanted: Vec<(String, String)> = map_lines
        .map(common::split_csv)
        .filter(|r| {
            r[c_family] == "morphology" && r[c_class] == "shape" && !r[c_feature].is_empty()
        })
        .map(|r| (r[c_tag].clone(), r[c_feature].clone()))
        .collect();
    wanted.sort();
    wanted.dedup();

    let refs = std::fs::read_to_string(data.join("ibsi/reference_values.csv")).unwrap();
    let mut ref_lines = refs.lines();
    let header = common::split_csv(ref_lines.next().unwrap());
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (c_config, c_tag, c_value, c_tol) = (
        col("phantom_config"),
        col("template_tag"),
        col("value"),
        col("tolerance"),
    );
    let reference: HashMap<String, (f64, f64)> = ref_lines
        .map(common::split_csv)
        .filter(|r| r[c_config] == "digital_phantom")
        .map(|r| {
            (
                r[c_tag].clone(),
                (r[c_value].parse().unwrap(), r[c_tol].parse().unwrap()),
            )
        })
        .collect();

    let mut failures = Vec::new();
    for (tag, feature) in &wanted {
        let (value, tol) = reference[tag];
        let got = actual[&format!("original_shape_{feature}")];
        if (round3(got) - value).abs() > tol {
            failures.push(format!("{feature} ({tag}): {got} vs {value} ± {tol}"));
        }
    }
    // Mesh and voxel volume, area, A/V, compactness 1 and 2, spherical disproportion, sphericity, maximum 3D
    // diameter, three axis lengths, elongation, flatness.
    assert_eq!(wanted.len(), 14);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn feature(values: &[f64], name: &str) -> f64 {
    values[shape::FEATURES.iter().position(|f| f.name == name).unwrap()]
}

/// A random mask of at most 6×6×6 voxels and a random spacing, (x, y, z).
fn mask_and_spacing() -> impl Strategy<Value = (Array3<bool>, [f64; 3])> {
    (1usize..=6, 1usize..=6, 1usize..=6)
        .prop_flat_map(|(z, y, x)| {
            (
                proptest::collection::vec(any::<bool>(), z * y * x),
                Just((z, y, x)),
                [0.3f64..3.0, 0.3f64..3.0, 0.3f64..3.0],
            )
        })
        .prop_map(|(bits, dim, spacing)| (Array3::from_shape_vec(dim, bits).unwrap(), spacing))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, rng_seed: proptest::test_runner::RngSeed::Fixed(2021), failure_persistence: None, ..ProptestConfig::default() })]

    /// Scaling the voxels by k scales both volumes by k³; non-empty masks give finite features, except the
    /// eigenvalue ratios of a single voxel (0 / 0, NaN as in PyRadiomics).
    #[test]
    fn volumes_scale_with_the_cube_of_the_spacing(
        (mask, spacing) in mask_and_spacing(),
        k in 0.25f64..4.0,
    ) {
        let f1 = shape::compute(mask.view(), spacing);
        let f2 = shape::compute(mask.view(), spacing.map(|s| s * k));
        let n = mask.iter().filter(|&&b| b).count();
        if n == 0 {
            prop_assert!(f1.iter().all(|v| v.is_nan()));
            return Ok(());
        }
        for name in ["MeshVolume", "VoxelVolume"] {
            let (a, b) = (feature(&f1, name), feature(&f2, name));
            prop_assert!(((b - k.powi(3) * a) / b).abs() < 1e-12, "{} {} {}", name, a, b);
        }
        for (info, v) in shape::FEATURES.iter().zip(&f1) {
            let ratio = matches!(info.name, "Elongation" | "Flatness");
            if n == 1 && ratio {
                prop_assert!(v.is_nan());
            } else {
                prop_assert!(v.is_finite(), "{} = {}", info.name, v);
            }
        }
        // Every slice of the same random mask along x works as a 2D ROI as well.
        let slab = mask.slice(ndarray::s![.., .., 0..1]);
        let f2d = shape2d::compute(slab, spacing, 2).unwrap();
        prop_assert_eq!(f2d.len(), shape2d::FEATURES.len());
    }
}
