//! Parity of the GLSZM, GLDM and NGTDM classes with PyRadiomics (matrices, whole-configuration output,
//! upstream baselines) and IBSI (digital phantom), plus invariance properties.

mod common;

use std::collections::HashMap;
use std::path::Path;

use ndarray::{s, Array2, Array3, Axis};
use proptest::prelude::*;
use radiomics::features::{gldm, glszm, ngtdm, FeatureInfo, TextureSettings};
use radiomics::image::io::read_image;
use radiomics::preprocess::{discretise, Binning, GreyLevels};
use radiomics::Mask;

const CASES: [&str; 3] = ["brain1", "breast1", "lung1"];

type Compute = fn(&GreyLevels, [f64; 3], &TextureSettings) -> Vec<f64>;

/// The three classes: PyRadiomics name, registry, kernel.
const CLASSES: [(&str, &[FeatureInfo], Compute); 3] = [
    ("glszm", glszm::FEATURES, glszm::compute),
    ("gldm", gldm::FEATURES, gldm::compute),
    ("ngtdm", ngtdm::FEATURES, ngtdm::compute),
];

/// Image and label of a case: NRRD where it exists (`lung1_image` only as NIfTI), or NIfTI throughout.
fn paths(data: &Path, case: &str, nifti: bool) -> (std::path::PathBuf, std::path::PathBuf) {
    let d = data.join("pyradiomics");
    if nifti {
        (
            d.join(format!("nifti/{case}_image.nii.gz")),
            d.join(format!("nifti/{case}_label.nii.gz")),
        )
    } else {
        let image = if case == "lung1" {
            d.join("nifti/lung1_image.nii.gz")
        } else {
            d.join(format!("nrrd/{case}_image.nrrd"))
        };
        (image, d.join(format!("nrrd/{case}_label.nrrd")))
    }
}

/// Grey levels of the ROI's bounding-box crop, and the voxel spacing.
fn load(image: &Path, label: &Path, binning: Binning) -> (GreyLevels, [f64; 3]) {
    let img = read_image(image).unwrap();
    let lab = read_image(label).unwrap();
    let mask = Mask::from_labels(&lab, 1).unwrap();
    let bb = mask.bounding_box().expect("non-empty ROI");
    let sl = s![
        bb.lower[0]..=bb.upper[0],
        bb.lower[1]..=bb.upper[1],
        bb.lower[2]..=bb.upper[2]
    ];
    let grey = discretise(img.data().slice(sl), mask.roi().slice(sl), binning).unwrap();
    (grey, img.spacing())
}

/// A reference matrix (upstream saved some in Fortran order; `common::npy` reads both).
fn npy_matrix(data: &Path, case: &str, class: &str) -> Array2<f64> {
    let path = data.join(format!("pyradiomics/baseline/matrices/{case}_{class}.npy"));
    let m = common::npy::read_npy(&path);
    assert_eq!(m.shape.len(), 2);
    Array2::from_shape_vec((m.shape[0], m.shape[1]), m.data).unwrap()
}

/// (1) The matrices, as PyRadiomics holds them after removing empty grey levels and sizes, equal the
/// upstream reference matrices exactly.
#[test]
fn matrices_equal_pyradiomics() {
    let data = require_data!();
    let s = TextureSettings::default();
    for case in CASES {
        let (im, lab) = paths(&data, case, false);
        let (grey, _) = load(&im, &lab, Binning::Width(25.0));
        let ng = grey.max_level as usize;

        let full = glszm::matrix(&grey, &s);
        assert_eq!(full.nrows(), ng);
        let c = glszm::SizeCoefficients::new(&full).unwrap();
        assert_eq!(c.p, npy_matrix(&data, case, "glszm"), "{case} glszm");

        let full = gldm::matrix(&grey, &s);
        assert_eq!(full.nrows(), ng);
        let c = glszm::SizeCoefficients::new(&full).unwrap();
        assert_eq!(c.p, npy_matrix(&data, case, "gldm"), "{case} gldm");

        let full = ngtdm::matrix(&grey, &s);
        assert_eq!(full.nrows(), ng);
        assert_eq!(
            ngtdm::compact(&full),
            npy_matrix(&data, case, "ngtdm"),
            "{case} ngtdm"
        );
    }
}

/// Checks every feature of the three classes against `reference` (`<class>_<Name>` → value); returns the
/// number compared and the worst relative error.
fn check(
    label: &str,
    grey: &GreyLevels,
    spacing: [f64; 3],
    s: &TextureSettings,
    reference: &HashMap<String, f64>,
) -> (usize, f64) {
    let mut compared = 0;
    let mut worst = 0.0f64;
    let mut failures = Vec::new();
    for (class, features, compute) in CLASSES {
        let values = compute(grey, spacing, s);
        assert_eq!(values.len(), features.len());
        for (f, v) in features.iter().zip(values) {
            let Some(&r) = reference.get(&format!("{class}_{}", f.name)) else {
                assert!(f.deprecated, "{label}: no reference for {class}_{}", f.name);
                continue;
            };
            compared += 1;
            if r != 0.0 {
                worst = worst.max(((v - r) / r).abs());
            }
            if !common::close(v, r, 1e-6) {
                failures.push(format!("{class}_{}: {v} vs {r}", f.name));
            }
        }
    }
    assert!(failures.is_empty(), "{label}:\n{}", failures.join("\n"));
    (compared, worst)
}

/// (2) Every original glszm/gldm/ngtdm feature of PyRadiomics 3.1.0's default configuration.
#[test]
fn default_configuration_matches_pyradiomics() {
    let data = require_data!();
    for case in CASES {
        let rows = common::read_name_value_csv(
            &data.join(format!("pyradiomics/reference/{case}_default.csv")),
        );
        let reference: HashMap<String, f64> = rows
            .into_iter()
            .filter_map(|(n, v)| n.strip_prefix("original_").map(|n| (n.to_string(), v)))
            .filter(|(n, _)| {
                CLASSES
                    .iter()
                    .any(|(c, _, _)| n.starts_with(&format!("{c}_")))
            })
            .collect();
        assert_eq!(reference.len(), 16 + 14 + 5, "{case}");
        let (im, lab) = paths(&data, case, true);
        let (grey, spacing) = load(&im, &lab, Binning::Width(25.0));
        let (n, worst) = check(
            case,
            &grey,
            spacing,
            &TextureSettings::default(),
            &reference,
        );
        assert_eq!(n, 35);
        eprintln!("{case} default: {n} features, worst relative error {worst:.2e}");
    }
}

/// Splits one CSV line, honouring double quotes.
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

/// The value of `'key': value` in a PyRadiomics settings dictionary as printed by Python.
fn setting<'a>(settings: &'a str, key: &str) -> Option<&'a str> {
    let start = settings.find(&format!("'{key}': "))? + key.len() + 4;
    let rest = &settings[start..];
    let end = if rest.starts_with('[') {
        rest.find(']')? + 1
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim())
}

/// (3) The upstream baselines: plain settings, force2D and fixed bin count columns. The other columns
/// (flatRegion, normalization, resampling, resegmentation) need pipeline steps outside these kernels and
/// are checked where the pipeline is.
#[test]
fn upstream_baselines_match() {
    let data = require_data!();
    // column name -> (feature -> value), merged over the three class files.
    let mut columns: HashMap<String, HashMap<String, f64>> = HashMap::new();
    let mut settings: HashMap<String, String> = HashMap::new();
    for (class, _, _) in CLASSES {
        let text = std::fs::read_to_string(
            data.join(format!("pyradiomics/baseline/baseline_{class}.csv")),
        )
        .unwrap();
        let mut lines = text.lines();
        let header = csv_fields(lines.next().unwrap());
        for line in lines {
            let fields = csv_fields(line);
            if fields[0] == "diagnostics_Configuration_Settings" {
                for (h, v) in header.iter().zip(&fields).skip(1) {
                    settings.insert(h.clone(), v.clone());
                }
            }
            if let Some(name) = fields[0].strip_prefix("original_") {
                for (h, v) in header.iter().zip(&fields).skip(1) {
                    let v: f64 = v.parse().unwrap();
                    columns
                        .entry(h.clone())
                        .or_default()
                        .insert(name.to_string(), v);
                }
            }
        }
    }
    let mut checked = 0;
    for case in CASES {
        for suffix in ["", "_2d", "_FBN"] {
            let column = format!("{case}{suffix}");
            let cfg = &settings[&column];
            let binning = match setting(cfg, "binCount") {
                Some(n) => Binning::Count(n.parse().unwrap()),
                None => {
                    Binning::Width(setting(cfg, "binWidth").map_or(25.0, |w| w.parse().unwrap()))
                }
            };
            let s = TextureSettings {
                distances: vec![1],
                gldm_a: setting(cfg, "gldm_a").map_or(0.0, |a| a.parse().unwrap()),
                force2d: setting(cfg, "force2D") == Some("True"),
                force2d_dimension: setting(cfg, "force2Ddimension")
                    .map_or(0, |d| d.parse().unwrap()),
                ..TextureSettings::default()
            };
            assert_eq!(setting(cfg, "distances"), Some("[1]"));
            assert_eq!(setting(cfg, "resampledPixelSpacing"), Some("None"));
            let (im, lab) = paths(&data, case, false);
            let (grey, spacing) = load(&im, &lab, binning);
            let (n, worst) = check(&column, &grey, spacing, &s, &columns[&column]);
            assert_eq!(n, 35, "{column}");
            eprintln!("{column}: {n} features, worst relative error {worst:.2e}");
            checked += 1;
        }
    }
    assert_eq!(checked, 9);
}

/// IBSI's comparison: round to 3 significant digits, then within the tolerance.
fn ibsi_match(value: f64, reference: f64, tolerance: f64) -> bool {
    if value == 0.0 {
        return reference.abs() <= tolerance;
    }
    let digits = 2 - value.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    let rounded = (value * scale).round() / scale;
    (rounded - reference).abs() <= tolerance + 1e-12 * reference.abs()
}

/// (4) IBSI digital phantom, 3D aggregation: every feature with an IBSI code.
#[test]
fn ibsi_digital_phantom() {
    let data = require_data!();
    let ibsi = data.join("ibsi");
    let text = std::fs::read_to_string(ibsi.join("reference_values.csv")).unwrap();
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (c_cfg, c_tag, c_val, c_tol, c_agg) = (
        col("phantom_config"),
        col("ibsi_tag"),
        col("value"),
        col("tolerance"),
        col("aggregation"),
    );
    let mut reference = HashMap::new();
    for line in lines {
        let f = csv_fields(line);
        if f[c_cfg] == "digital_phantom" && f[c_agg] == "3D" {
            let v: f64 = f[c_val].parse().unwrap();
            let t: f64 = f[c_tol].parse().unwrap();
            reference.insert(f[c_tag].clone(), (v, t));
        }
    }
    let (grey, spacing) = load(
        &ibsi.join("digital_phantom/image.nii.gz"),
        &ibsi.join("digital_phantom/mask.nii.gz"),
        Binning::Width(1.0),
    );
    let s = TextureSettings::default();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (class, features, compute) in CLASSES {
        let values = compute(&grey, spacing, &s);
        for (f, v) in features.iter().zip(values) {
            if f.ibsi.is_empty() {
                continue;
            }
            let &(r, t) = reference
                .get(f.ibsi)
                .unwrap_or_else(|| panic!("no IBSI 3D value for {class}_{} ({})", f.name, f.ibsi));
            compared += 1;
            if !ibsi_match(v, r, t) {
                failures.push(format!("{class}_{} ({}): {v} vs {r}", f.name, f.ibsi));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(compared, 16 + 16 + 5);
}

/// A nested JSON list `[z][y][x]` as an array.
fn json_volume<T>(v: &serde_json::Value, f: impl Fn(&serde_json::Value) -> T) -> Array3<T> {
    let planes = v.as_array().unwrap();
    let rows = planes[0].as_array().unwrap();
    let shape = (planes.len(), rows.len(), rows[0].as_array().unwrap().len());
    let flat: Vec<T> = planes
        .iter()
        .flat_map(|p| p.as_array().unwrap().iter())
        .flat_map(|r| r.as_array().unwrap().iter())
        .map(f)
        .collect();
    Array3::from_shape_vec(shape, flat).unwrap()
}

/// PyRadiomics 3.1 on small synthetic volumes (`tools/zones_reference.py`): degenerate regions, absent
/// grey levels, other distances, gldm_a > 0 and force2D along each axis.
#[test]
fn synthetic_volumes_match_pyradiomics() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zones_reference.json"),
    )
    .unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 12);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let image = json_volume(&c["image"], |v| v.as_f64().unwrap());
        let roi = json_volume(&c["roi"], |v| v.as_i64().unwrap() != 0);
        let cfg = &c["settings"];
        let s = TextureSettings {
            distances: cfg["distances"].as_array().map_or(vec![1], |d| {
                d.iter().map(|v| v.as_u64().unwrap() as usize).collect()
            }),
            gldm_a: cfg["gldm_a"].as_f64().unwrap_or(0.0),
            force2d: cfg["force2D"].as_bool().unwrap_or(false),
            force2d_dimension: cfg["force2Ddimension"].as_u64().unwrap_or(0) as usize,
            ..TextureSettings::default()
        };
        let reference: HashMap<String, f64> = c["features"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
            .collect();
        let grey = discretise(image.view(), roi.view(), Binning::Width(1.0)).unwrap();
        let (n, _) = check(name, &grey, [1.0; 3], &s, &reference);
        assert_eq!(n, 35, "{name}");
    }
}

/// All features of the three classes.
fn all_features(grey: &GreyLevels, s: &TextureSettings) -> Vec<f64> {
    CLASSES
        .iter()
        .flat_map(|(_, _, compute)| compute(grey, [1.0; 3], s))
        .collect()
}

fn same(a: &[f64], b: &[f64]) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        let ok =
            (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
        prop_assert!(ok, "{} vs {}\n{:?}\n{:?}", x, y, a, b);
    }
    Ok(())
}

/// Random small volumes: intensities 0..60 (integers) with a random ROI, at least one voxel in it.
fn volume() -> impl Strategy<Value = (Array3<f64>, Array3<bool>)> {
    (1usize..5, 1usize..6, 1usize..6).prop_flat_map(|(z, y, x)| {
        let n = z * y * x;
        (
            prop::collection::vec(0u32..60, n),
            prop::collection::vec(prop::bool::weighted(0.8), n),
            0..n,
        )
            .prop_map(move |(v, m, force)| {
                let img = Array3::from_shape_vec((z, y, x), v.into_iter().map(f64::from).collect())
                    .unwrap();
                let mut roi = Array3::from_shape_vec((z, y, x), m).unwrap();
                roi.as_slice_mut().unwrap()[force] = true;
                (img, roi)
            })
    })
}

fn settings() -> impl Strategy<Value = TextureSettings> {
    (
        any::<bool>(),
        0usize..3,
        prop::sample::select(vec![vec![1], vec![2], vec![1, 2]]),
        0u8..2,
    )
        .prop_map(|(force2d, dim, distances, a)| TextureSettings {
            distances,
            gldm_a: f64::from(a),
            force2d,
            force2d_dimension: dim,
            ..TextureSettings::default()
        })
}

proptest! {
    // A fixed seed, so that a failure replays; no failure file (integration tests have no lib.rs beside
    // them for proptest to place one).
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x7a0e5),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// (5a) Flipping the volume along any axis changes no feature.
    #[test]
    fn flip_invariant((img, roi) in volume(), s in settings(), axis in 0usize..3) {
        let grey = discretise(img.view(), roi.view(), Binning::Width(10.0)).unwrap();
        let mut flipped_img = img.clone();
        flipped_img.invert_axis(Axis(axis));
        let mut flipped_roi = roi.clone();
        flipped_roi.invert_axis(Axis(axis));
        let flipped = discretise(flipped_img.view(), flipped_roi.view(), Binning::Width(10.0)).unwrap();
        let a = all_features(&grey, &s);
        prop_assert!(a.iter().all(|v| v.is_finite()), "{:?}", a);
        same(&a, &all_features(&flipped, &s))?;
    }

    /// (5b) Adding a multiple of the bin width to every intensity changes no feature.
    #[test]
    fn shift_invariant((img, roi) in volume(), s in settings(), k in -50i32..50) {
        let w = 10.0;
        let grey = discretise(img.view(), roi.view(), Binning::Width(w)).unwrap();
        let shifted_img = img.mapv(|v| v + f64::from(k) * w);
        let shifted = discretise(shifted_img.view(), roi.view(), Binning::Width(w)).unwrap();
        prop_assert_eq!(&grey.levels, &shifted.levels);
        same(&all_features(&grey, &s), &all_features(&shifted, &s))?;
    }

    /// (5c) Any levels array, even an empty ROI, gives a value per feature without panicking, and finite
    /// values whenever the ROI has a voxel.
    #[test]
    fn no_panic(levels in prop::collection::vec(0u32..5, 1..40), s in settings()) {
        let n = levels.len();
        let max_level = levels.iter().copied().max().unwrap_or(0);
        let grey = GreyLevels {
            levels: Array3::from_shape_vec((1, 1, n), levels).unwrap(),
            max_level,
            edges: Vec::new(),
        };
        let f = all_features(&grey, &s);
        prop_assert_eq!(f.len(), 16 + 16 + 5);
        if max_level > 0 {
            prop_assert!(f.iter().all(|v| v.is_finite()), "{:?}", f);
        } else {
            prop_assert!(f.iter().all(|v| v.is_nan()));
        }
    }
}
