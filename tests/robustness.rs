//! Bad input, each with a defined outcome (the catalogue of `docs/errors.md`: one test per row), and
//! property tests over random small volumes: no panic in the extraction path, features finite or NaN
//! where documented, invariances, and the same result with one thread or several.
#![allow(clippy::needless_range_loop)]

use std::io::Write;

mod common;

use ndarray::Array3;
use proptest::prelude::*;
use radiomics::image::io::nifti::{read_nifti_bytes, read_nifti_bytes_with};
use radiomics::image::io::ReadOptions;
use radiomics::learn::model::{checksum_of, Model};
use radiomics::learn::{train, ClassifierKind, ClassifierSpec, SelectorKind, SelectorSpec};
use radiomics::learn::{Table, TableOptions, TrainOptions};
use radiomics::{Error, ErrorKind, Extractor, Geometry, Image, Settings};

/// Asserts that `r` failed with `kind` and a message containing `text`.
#[track_caller]
fn refused<T: std::fmt::Debug>(r: Result<T, Error>, kind: ErrorKind, text: &str) {
    let e = r.expect_err("should have been refused");
    assert_eq!(e.kind(), kind, "{e}");
    assert!(e.message().contains(text), "'{e}' does not say '{text}'");
}

// ---------------------------------------------------------------------------------------------- NIfTI

/// A little-endian single-file NIfTI-1 image of `dims` (x, y, z[, t]) `int16` voxels, qform identity.
fn nifti(dims: &[i16], pixdim: [f32; 3], datatype: i16, bitpix: i16) -> Vec<u8> {
    let mut h = vec![0u8; 352];
    h[0..4].copy_from_slice(&348i32.to_le_bytes());
    let mut dim = [1i16; 8];
    dim[0] = dims.len() as i16;
    dim[1..=dims.len()].copy_from_slice(dims);
    for (i, d) in dim.iter().enumerate() {
        h[40 + 2 * i..42 + 2 * i].copy_from_slice(&d.to_le_bytes());
    }
    h[70..72].copy_from_slice(&datatype.to_le_bytes());
    h[72..74].copy_from_slice(&bitpix.to_le_bytes());
    h[76..80].copy_from_slice(&1f32.to_le_bytes());
    for a in 0..3 {
        h[80 + 4 * a..84 + 4 * a].copy_from_slice(&pixdim[a].to_le_bytes());
    }
    h[108..112].copy_from_slice(&352f32.to_le_bytes());
    h[252..254].copy_from_slice(&1i16.to_le_bytes());
    h[344..348].copy_from_slice(b"n+1\0");
    let n: usize = dims.iter().map(|&d| d.max(0) as usize).product();
    h.resize(352 + n * (bitpix as usize / 8), 0);
    h
}

fn int16(dims: &[i16]) -> Vec<u8> {
    nifti(dims, [1.0, 1.0, 1.0], 4, 16)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn nifti_shorter_than_a_header() {
    refused(
        read_nifti_bytes(&[0u8; 100]),
        ErrorKind::Format,
        "shorter than a NIfTI-1 header",
    );
}

#[test]
fn nifti_wrong_magic() {
    let mut b = int16(&[2, 2, 2]);
    b[344..348].copy_from_slice(b"ni1\0");
    refused(
        read_nifti_bytes(&b),
        ErrorKind::Format,
        "magic is not 'n+1'",
    );
}

#[test]
fn nifti_zero_or_negative_dimension() {
    refused(
        read_nifti_bytes(&int16(&[2, 0, 2])),
        ErrorKind::Format,
        "impossible dimension dim[2] = 0",
    );
    refused(
        read_nifti_bytes(&int16(&[2, 2, -3])),
        ErrorKind::Format,
        "impossible dimension dim[3] = -3",
    );
}

#[test]
fn nifti_truncated_voxel_data() {
    let b = int16(&[4, 4, 4]);
    refused(
        read_nifti_bytes(&b[..b.len() - 1]),
        ErrorKind::Format,
        "voxel data is truncated",
    );
}

#[test]
fn nifti_header_claims_more_voxels_than_the_limit() {
    // 32767^3 voxels in a 352-byte file: refused before any allocation.
    let mut b = int16(&[1, 1, 1]);
    for i in 1..=3 {
        b[40 + 2 * i..42 + 2 * i].copy_from_slice(&i16::MAX.to_le_bytes());
    }
    refused(
        read_nifti_bytes(&b),
        ErrorKind::LimitExceeded,
        "exceeds the limit of 2147483648 voxels",
    );
    let small = ReadOptions { max_voxels: 63 };
    refused(
        read_nifti_bytes_with(&int16(&[4, 4, 4]), &small),
        ErrorKind::LimitExceeded,
        "volume of 4x4x4 voxels exceeds the limit of 63 voxels",
    );
    assert!(read_nifti_bytes_with(&int16(&[4, 4, 4]), &ReadOptions { max_voxels: 64 }).is_ok());
}

#[test]
fn nifti_gzip_corrupt_or_truncated() {
    let gz = gzip(&int16(&[4, 4, 4]));
    assert_eq!(
        read_nifti_bytes_with(&gz, &ReadOptions::default())
            .unwrap()
            .size(),
        [4, 4, 4]
    );
    refused(
        read_nifti_bytes_with(&gz[..gz.len() / 2], &ReadOptions::default()),
        ErrorKind::Format,
        "gzip stream is corrupt or truncated",
    );
    let mut bad = gz.clone();
    let n = bad.len();
    bad[n - 6] ^= 0xff; // the CRC
    refused(
        read_nifti_bytes_with(&bad, &ReadOptions::default()),
        ErrorKind::Format,
        "corrupt",
    );
}

#[test]
fn nifti_gzip_bomb_stops_at_the_limit() {
    // 64 MiB of zeros after a valid 8x8x8 header: compresses to ~64 KB; inflating is capped by the voxel
    // limit (512 voxels -> 512 * 8 bytes + 1 MiB), not by memory.
    let mut b = int16(&[8, 8, 8]);
    b.resize(64 << 20, 0);
    let gz = gzip(&b);
    assert!(gz.len() < 1 << 20);
    // Inflating stops 1 MiB past what the header declares: a file at odds with its own header.
    refused(
        read_nifti_bytes_with(&gz, &ReadOptions { max_voxels: 512 }),
        ErrorKind::Format,
        "its header declares",
    );
}

#[test]
fn nifti_zero_nan_or_negative_voxel_size() {
    refused(
        read_nifti_bytes(&nifti(&[2, 2, 2], [1.0, 0.0, 1.0], 4, 16)),
        ErrorKind::Format,
        "impossible voxel size pixdim[2] = 0",
    );
    refused(
        read_nifti_bytes(&nifti(&[2, 2, 2], [f32::NAN, 1.0, 1.0], 4, 16)),
        ErrorKind::Format,
        "impossible voxel size pixdim[1] = NaN",
    );
    // A negative pixdim is read as its magnitude, as ITK does.
    let img = read_nifti_bytes(&nifti(&[2, 2, 2], [-2.0, 1.0, 1.0], 4, 16)).unwrap();
    assert_eq!(img.spacing(), [2.0, 1.0, 1.0]);
}

#[test]
fn nifti_singular_sform() {
    let mut b = int16(&[2, 2, 2]);
    b[252..254].copy_from_slice(&0i16.to_le_bytes()); // no qform
    b[254..256].copy_from_slice(&1i16.to_le_bytes()); // sform, all rows zero
    refused(
        read_nifti_bytes(&b),
        ErrorKind::Format,
        "sform column 0 is zero",
    );
    // Two equal columns: normalised, but singular.
    for (row, v) in [
        (0usize, [1f32, 1.0, 0.0]),
        (1, [0.0, 0.0, 0.0]),
        (2, [0.0, 0.0, 1.0]),
    ] {
        for c in 0..3 {
            b[280 + 16 * row + 4 * c..284 + 16 * row + 4 * c].copy_from_slice(&v[c].to_le_bytes());
        }
    }
    refused(
        read_nifti_bytes(&b),
        ErrorKind::Format,
        "direction matrix is singular",
    );
}

#[test]
fn nifti_unsupported_datatypes() {
    refused(
        read_nifti_bytes(&nifti(&[2, 2, 2], [1.0; 3], 32, 64)),
        ErrorKind::Format,
        "complex NIfTI data",
    );
    refused(
        read_nifti_bytes(&nifti(&[2, 2, 2], [1.0; 3], 4, 8)),
        ErrorKind::Format,
        "bitpix 8 does not match datatype 4",
    );
    refused(
        read_nifti_bytes(&nifti(&[2, 2, 2], [1.0; 3], 77, 16)),
        ErrorKind::Format,
        "unknown NIfTI datatype code 77",
    );
}

// ---------------------------------------------------------------------------------- images in memory

fn geometry() -> Geometry {
    Geometry::new([1.0, 1.0, 1.0], [0.0; 3])
}

#[test]
fn image_with_invalid_geometry() {
    let data = || Array3::<f64>::zeros((2, 2, 2));
    let with = |f: &dyn Fn(&mut Geometry)| {
        let mut g = geometry();
        f(&mut g);
        Image::new(data(), g)
    };
    refused(
        with(&|g| g.spacing[0] = 0.0),
        ErrorKind::InvalidArgument,
        "spacing along x is 0",
    );
    refused(
        with(&|g| g.spacing[1] = -1.0),
        ErrorKind::InvalidArgument,
        "spacing along y is -1",
    );
    refused(
        with(&|g| g.spacing[2] = f64::NAN),
        ErrorKind::InvalidArgument,
        "spacing along z is NaN",
    );
    refused(
        with(&|g| g.origin[0] = f64::INFINITY),
        ErrorKind::InvalidArgument,
        "origin",
    );
    refused(
        with(&|g| g.direction = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
        ErrorKind::InvalidArgument,
        "direction matrix is singular",
    );
    refused(
        with(&|g| g.direction[4] = f64::NAN),
        ErrorKind::InvalidArgument,
        "non-finite entry",
    );
}

// ----------------------------------------------------------------------------------------- extraction

/// A 6x6x4 image with a textured ROI (a 4x4x2 block, label 1) and its label image.
fn case() -> (Image, Image) {
    let img = Array3::from_shape_fn((4, 6, 6), |(z, y, x)| {
        ((x * 7 + y * 3 + z * 5) % 11) as f64 * 10.0
    });
    let lab = Array3::from_shape_fn((4, 6, 6), |(z, y, x)| {
        f64::from((1..5).contains(&x) && (1..5).contains(&y) && (1..3).contains(&z))
    });
    (
        Image::new(img, geometry()).unwrap(),
        Image::new(lab, geometry()).unwrap(),
    )
}

fn settings(yaml: &str) -> Extractor {
    Extractor::new(Settings::from_yaml_str(yaml).unwrap())
}

#[test]
fn nan_or_infinity_in_the_roi() {
    let (image, labels) = case();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut d = image.data().to_owned();
        d[[1, 2, 3]] = bad;
        let img = Image::new(d, geometry()).unwrap();
        refused(
            Extractor::new(Settings::default()).extract(&img, &labels),
            ErrorKind::InvalidArgument,
            "inside the ROI at voxel (x=3, y=2, z=1); intensities must be finite",
        );
    }
}

#[test]
fn nan_outside_the_roi_is_ignored() {
    let (image, labels) = case();
    let mut d = image.data().to_owned();
    d[[3, 5, 5]] = f64::NAN;
    let with_nan = Extractor::new(Settings::default())
        .extract(&Image::new(d, geometry()).unwrap(), &labels)
        .unwrap();
    let clean = Extractor::new(Settings::default())
        .extract(&image, &labels)
        .unwrap();
    assert_eq!(with_nan, clean);
}

#[test]
fn roi_of_one_voxel() {
    let (image, _) = case();
    let mut lab = Array3::<f64>::zeros((4, 6, 6));
    lab[[1, 1, 1]] = 1.0;
    refused(
        Extractor::new(Settings::default()).extract(&image, &Image::new(lab, geometry()).unwrap()),
        ErrorKind::EmptyRoi,
        "the ROI is a single voxel",
    );
}

#[test]
fn roi_of_one_grey_level() {
    // A flat ROI: one grey level. Every feature is finite, or NaN where its formula divides by a zero
    // variance or a zero count (listed in docs/errors.md).
    let (_, labels) = case();
    let image = Image::new(Array3::from_elem((4, 6, 6), 100.0), geometry()).unwrap();
    let f = Extractor::new(Settings::default())
        .extract(&image, &labels)
        .unwrap();
    let nan: Vec<&str> = f
        .iter()
        .filter(|(_, v)| v.is_nan())
        .map(|(n, _)| n)
        .collect();
    assert!(f.iter().all(|(_, v)| !v.is_infinite()));
    assert_eq!(nan, FLAT_NAN, "features NaN on a flat ROI");
    // -log2(1 + eps), as PyRadiomics computes it.
    assert!(f.get("original_firstorder_Entropy").unwrap().abs() < 1e-15);
    assert_eq!(f.get("original_glcm_JointEnergy"), Some(1.0));
}

/// The features that are NaN on an ROI of a single grey level.
const FLAT_NAN: &[&str] = &[];

#[test]
fn mask_with_fractional_values() {
    let (image, labels) = case();
    let mut lab = labels.data().to_owned();
    lab[[0, 0, 0]] = 0.5;
    refused(
        Extractor::new(Settings::default()).extract(&image, &Image::new(lab, geometry()).unwrap()),
        ErrorKind::Format,
        "mask holds the non-integer value 0.5 at voxel (x=0, y=0, z=0)",
    );
}

#[test]
fn labels_above_255() {
    let (image, labels) = case();
    let lab = labels.data().mapv(|v| v * 1000.0);
    let lab = Image::new(lab, geometry()).unwrap();
    let want = Extractor::new(Settings::default())
        .extract(&image, &labels)
        .unwrap();
    assert_eq!(
        settings("setting: {label: 1000}")
            .extract(&image, &lab)
            .unwrap(),
        want
    );
    refused(
        Extractor::new(Settings::default()).extract(&image, &lab),
        ErrorKind::EmptyRoi,
        "label 1 is not present in the mask; labels present: 1000",
    );
}

#[test]
fn empty_mask() {
    let (image, _) = case();
    let lab = Image::new(Array3::zeros((4, 6, 6)), geometry()).unwrap();
    refused(
        Extractor::new(Settings::default()).extract(&image, &lab),
        ErrorKind::EmptyRoi,
        "the mask is empty",
    );
}

#[test]
fn mask_on_another_grid() {
    let (image, labels) = case();
    let moved = Image::new(
        labels.data().to_owned(),
        Geometry::new([1.0; 3], [0.5, 0.0, 0.0]),
    )
    .unwrap();
    refused(
        Extractor::new(Settings::default()).extract(&image, &moved),
        ErrorKind::GeometryMismatch,
        "do not share a grid",
    );
}

#[test]
fn grey_level_limit() {
    let (image, labels) = case();
    refused(
        settings("setting: {binCount: 100, maxGreyLevels: 64}").extract(&image, &labels),
        ErrorKind::LimitExceeded,
        "binCount 100 exceeds the limit of 64 grey levels (setting maxGreyLevels)",
    );
    refused(
        settings("setting: {binWidth: 1.0e-9}").extract(&image, &labels),
        ErrorKind::LimitExceeded,
        "grey levels, more than the limit of 65536 (setting maxGreyLevels)",
    );
    assert!(settings("setting: {binCount: 64, maxGreyLevels: 64}")
        .extract(&image, &labels)
        .is_ok());
}

#[test]
fn voxel_and_memory_limits_on_volumes() {
    let (image, labels) = case();
    refused(
        settings("setting: {maxVoxels: 100}").extract(&image, &labels),
        ErrorKind::LimitExceeded,
        "the image of 6x6x4 voxels exceeds the limits of 100 voxels (setting maxVoxels)",
    );
    // Resampling to 1 µm would make a grid of 4000 x 4000 x 2000 voxels: refused before allocation.
    refused(
        settings("setting: {resampledPixelSpacing: [0.001, 0.001, 0.001]}")
            .extract(&image, &labels),
        ErrorKind::LimitExceeded,
        "the resampled grid of",
    );
}

#[test]
fn memory_limit_on_texture_matrices() {
    // 4096 voxels of distinct values: 4096 grey levels, a GLCM of 4096 x 4096 x 13 doubles (1.6 GiB).
    let img = Array3::from_shape_fn((16, 16, 16), |(z, y, x)| (z * 256 + y * 16 + x) as f64);
    let lab = Array3::from_elem((16, 16, 16), 1.0);
    let (img, lab) = (
        Image::new(img, geometry()).unwrap(),
        Image::new(lab, geometry()).unwrap(),
    );
    refused(
        settings("featureClass: {glcm: }\nsetting: {binWidth: 1, maxMemoryMB: 1024}")
            .extract(&img, &lab),
        ErrorKind::LimitExceeded,
        "the glcm matrix of 4096 grey levels would take 1664 MiB, more than the limit of 1024 MiB",
    );
    // GLRLM: 4096 levels x 16 runs x 13 angles is 6.5 MiB: within the limit.
    assert!(
        settings("featureClass: {glrlm: }\nsetting: {binWidth: 1, maxMemoryMB: 1024}")
            .extract(&img, &lab)
            .is_ok()
    );
}

// ------------------------------------------------------------------------------------------ settings

#[test]
fn bad_parameter_files() {
    refused(
        Settings::from_yaml_str("setting: {binWidht: 5}"),
        ErrorKind::UnsupportedSetting,
        "unknown setting 'binWidht'",
    );
    refused(
        Settings::from_yaml_str("setting: {kernelRadius: 2}"),
        ErrorKind::UnsupportedSetting,
        "belongs in the voxelSetting section",
    );
    refused(
        Settings::from_yaml_str("setting: {maxVoxels: 0}"),
        ErrorKind::UnsupportedSetting,
        "setting 'maxVoxels': must be at least 1, got 0",
    );
    refused(
        Settings::from_yaml_str("setting: {binWidth: -1}"),
        ErrorKind::UnsupportedSetting,
        "setting 'binWidth': must be greater than 0",
    );
    refused(
        Settings::from_yaml_str("setting: [binWidth"),
        ErrorKind::UnsupportedSetting,
        "",
    );
    refused(
        Settings::from_yaml_str("featureClass: {glcm: [Contrst]}"),
        ErrorKind::UnsupportedSetting,
        "Contrst",
    );
}

// -------------------------------------------------------------------------------------------- models

fn model_text() -> (String, Table) {
    let mut csv = String::from("case_id,label,a,b,c\n");
    for i in 0..30 {
        let y = i % 2;
        csv.push_str(&format!(
            "c{i},{y},{},{},{}\n",
            y as f64 * 2.0 + (i % 7) as f64 * 0.3,
            (i * 13 % 5) as f64,
            (i % 3) as f64
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
        classifiers: vec![ClassifierSpec::new(ClassifierKind::Logistic)],
        folds: 3,
        ..TrainOptions::default()
    };
    let (model, _) = train(&table, &opts).unwrap();
    (model.to_json().unwrap(), table)
}

#[test]
fn model_truncated() {
    let (text, _) = model_text();
    assert!(Model::from_json(&text).is_ok());
    refused(
        Model::from_json(&text[..text.len() / 2]),
        ErrorKind::ModelMismatch,
        "not a model file (invalid JSON",
    );
}

#[test]
fn model_edited() {
    let (text, _) = model_text();
    let edited = text.replacen("\"rows\": 30", "\"rows\": 31", 1);
    assert_ne!(edited, text);
    refused(
        Model::from_json(&edited),
        ErrorKind::ModelMismatch,
        "model checksum failed",
    );
}

#[test]
fn model_from_a_future_format_version() {
    let (text, _) = model_text();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["format_version"] = serde_json::json!(99);
    doc["checksum"] = serde_json::json!(checksum_of(&doc));
    refused(
        Model::from_json(&doc.to_string()),
        ErrorKind::ModelMismatch,
        "unknown model format version 99",
    );
}

#[test]
fn model_trained_with_other_settings() {
    let (text, table) = model_text();
    // Settings this library does not have (a newer library's, or PyRadiomics' voxel-based ones).
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["extraction_settings"] = serde_json::json!({"default": {"setting": {"kernelRadius": 2}}});
    doc["checksum"] = serde_json::json!(checksum_of(&doc));
    let model = Model::from_json(&doc.to_string()).unwrap();
    refused(
        radiomics::study::extractor_from_json(&model.extraction_settings),
        ErrorKind::ModelMismatch,
        "the model's extraction settings are invalid",
    );
    // Features the model needs and the table lacks.
    let mut other = table.clone();
    for n in &mut other.names {
        n.push_str("_other");
    }
    let e = model.predict_table(&other).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ModelMismatch, "{e}");
    assert!(e.message().contains(&model.selected_features[0]), "{e}");
}

// -------------------------------------------------------------------------------------------- tables

#[test]
fn bad_feature_tables() {
    let o = TableOptions::default();
    refused(
        Table::parse("", &o),
        ErrorKind::Format,
        "the table is empty",
    );
    refused(
        Table::parse("id,label,a\n1,0,2\n", &o),
        ErrorKind::Format,
        "no case id column 'case_id'",
    );
    refused(
        Table::parse("case_id,patient_id,label,a,a\n1,1,0,2,2\n", &o),
        ErrorKind::Format,
        "column 'a' appears twice",
    );
    refused(
        Table::parse("case_id,patient_id,label\n1,1,0\n", &o),
        ErrorKind::Format,
        "no feature columns",
    );
}

// ---------------------------------------------------------------------------------- property tests

/// A random small case (see `common::small_case`), single slices included.
fn small_case() -> impl Strategy<Value = (Array3<f64>, Array3<f64>)> {
    common::small_case(1..4, 3..7)
}

/// Features that are NaN on some valid ROIs, each because its formula divides by zero there (a zero
/// variance, or no pair of neighbours in the ROI); PyRadiomics gives NaN for them too. Every other feature is
/// finite on every valid ROI.
const MAY_BE_NAN: &[&str] = &[];

fn run(
    extractor: &Extractor,
    img: &Array3<f64>,
    lab: &Array3<f64>,
) -> Result<radiomics::Features, Error> {
    let g = Geometry::new([0.8, 0.8, 1.5], [0.0; 3]);
    extractor.extract(&Image::new(img.clone(), g)?, &Image::new(lab.clone(), g)?)
}

#[track_caller]
fn same(a: &radiomics::Features, b: &radiomics::Features, what: &str) {
    assert_eq!(a.names(), b.names(), "{what}");
    for ((n, &x), &y) in a.iter().zip(b.values()) {
        let close =
            (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) + 1e-12;
        assert!(close, "{what}: {n} is {x} and {y}");
    }
}

/// Shape features computed on the marching-cubes mesh.
const MESH: &[&str] = &[
    "_MeshVolume",
    "_SurfaceArea",
    "_SurfaceVolumeRatio",
    "_Sphericity",
];

fn texture_settings(force2d: bool) -> Extractor {
    settings(&format!(
        "setting: {{binCount: 6, minimumROIDimensions: 1, force2D: {force2d}}}"
    ))
}

proptest! {
    // A fixed seed: a failure can be replayed.
    #![proptest_config(ProptestConfig { cases: 40, rng_seed: proptest::test_runner::RngSeed::Fixed(2021), failure_persistence: None, ..ProptestConfig::default() })]

    /// Any small case gives features or a clear error about the ROI; never a panic. Features are finite,
    /// or NaN only where documented.
    #[test]
    fn extraction_never_panics_and_features_are_finite((img, lab) in small_case()) {
        match run(&texture_settings(false), &img, &lab) {
            Ok(f) => {
                for (n, v) in f.iter() {
                    let short = n.rsplit_once('_').map_or(n, |(_, s)| s);
                    let class_feature = n.trim_start_matches("original_");
                    prop_assert!(v.is_finite() || (v.is_nan() && (MAY_BE_NAN.contains(&class_feature) || MAY_BE_NAN.contains(&short))), "{n} = {v}");
                }
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::EmptyRoi, "{}", e),
        }
    }

    /// Flipping the volume along any axis changes no feature.
    #[test]
    fn features_are_invariant_under_flips((img, lab) in small_case(), axis in 0usize..3) {
        let ex = texture_settings(false);
        if let Ok(want) = run(&ex, &img, &lab) {
            let flip = |a: &Array3<f64>| { let mut a = a.clone(); a.invert_axis(ndarray::Axis(axis)); a };
            // The marching-cubes mesh resolves ambiguous cube configurations by a fixed table, which a
            // mirror image does not map onto itself: PyRadiomics 3.0.1's MeshVolume changes under a flip
            // along x too (e.g. 38.60 vs 40.44 mm³ on a random 5x5x3 mask), and ours equals it on both
            // sides. Features of the mesh are left out here.
            let strip = |f: radiomics::Features| {
                let mut out = radiomics::Features::new();
                for (n, &v) in f.iter().filter(|(n, _)| !MESH.iter().any(|m| n.ends_with(m))) {
                    out.push(n, v);
                }
                out
            };
            same(&strip(run(&ex, &flip(&img), &flip(&lab)).unwrap()), &strip(want), &format!("flip axis {axis}"));
        }
    }

    /// Rotating every slice by 90° (the in-plane spacing is isotropic) changes no 2D texture feature.
    #[test]
    fn features_2d_are_invariant_under_in_plane_rotation((img, lab) in small_case()) {
        let ex = texture_settings(true);
        if let Ok(want) = run(&ex, &img, &lab) {
            // new[z, y, x] = old[z, ny - 1 - x, y]
            let rot = |a: &Array3<f64>| {
                let (nz, ny, nx) = a.dim();
                Array3::from_shape_fn((nz, nx, ny), |(z, y, x)| a[[z, ny - 1 - x, y]])
            };
            // Shape features name their axes (Maximum2DDiameterRow, ...): rotation swaps them.
            let strip = |f: radiomics::Features| {
                let mut out = radiomics::Features::new();
                for (n, &v) in f.iter().filter(|(n, _)| !n.contains("_shape_")) {
                    out.push(n, v);
                }
                out
            };
            same(&strip(run(&ex, &rot(&img), &rot(&lab)).unwrap()), &strip(want), "rotation");
        }
    }

    /// Moving the ROI (with its image) inside a larger image, whatever lies around it, changes nothing.
    #[test]
    fn features_are_invariant_under_translation((img, lab) in small_case(), shift in [0usize..3, 0usize..3, 0usize..3], fill in -50.0f64..50.0) {
        let ex = texture_settings(false);
        if let Ok(want) = run(&ex, &img, &lab) {
            let (nz, ny, nx) = img.dim();
            let dim = (nz + shift[0] + 2, ny + shift[1] + 2, nx + shift[2] + 2);
            let mut big_img = Array3::from_elem(dim, fill);
            let mut big_lab = Array3::zeros(dim);
            let at = ndarray::s![shift[0]..shift[0] + nz, shift[1]..shift[1] + ny, shift[2]..shift[2] + nx];
            big_img.slice_mut(at).assign(&img);
            big_lab.slice_mut(at).assign(&lab);
            same(&run(&ex, &big_img, &big_lab).unwrap(), &want, "translation");
        }
    }

    /// One thread or three: bit-identical features.
    #[test]
    fn threads_do_not_change_features((img, lab) in small_case()) {
        let ex = settings("imageType: {Original: {}, LoG: {sigma: [1.0]}, Square: {}}\nsetting: {binCount: 6, minimumROIDimensions: 1}");
        let in_pool = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| run(&ex, &img, &lab))
        };
        match (in_pool(1), in_pool(3)) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.names(), b.names());
                for ((n, x), y) in a.iter().zip(b.values()) {
                    prop_assert!(x.to_bits() == y.to_bits(), "{} {} {}", n, x, y);
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }
}
