//! Property tests over settings, extraction and batch resumption (fixed seeds: a failure replays):
//!
//! - any parameter document the parser accepts round-trips (its JSON form, and that text read as YAML,
//!   give the same settings and the same warnings);
//! - any such settings on any small image and mask give features or an error of a documented kind, never
//!   a panic; and an option reported as having no effect changes nothing: the document without it gives
//!   bit-identical features;
//! - a batch's files as they are on disk when its k-th case finishes (what a kill then leaves), the
//!   journal cut at any byte (a kill in the middle of a write), then rerun, give the uninterrupted run's
//!   table byte for byte, computing only the cases the journal does not hold whole.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;

use ndarray::Array3;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use radiomics::batch::{read_manifest, run_batch_with, BatchOptions};
use radiomics::case::CaseExtractor;
use radiomics::image::io::nifti::{write_nifti, WriteType};
use radiomics::{ErrorKind, Extractor, Features, Geometry, Image, Settings};
use serde_json::{json, Map, Value};

// ------------------------------------------------------------------------------------------ settings

/// Candidate values per key, ordinary ones and defaults; then values the parser must refuse.
fn key_values(invalid: bool) -> Vec<(&'static str, Vec<Value>)> {
    let mut pool = vec![
        ("binWidth", vec![json!(5), json!(25), json!(0.5)]),
        ("binCount", vec![json!(8), json!(16)]),
        ("label", vec![json!(1)]),
        (
            "interpolator",
            vec![json!("sitkLinear"), json!("sitkBSpline")],
        ),
        (
            "resampledPixelSpacing",
            vec![json!([2, 2, 2]), json!([0, 0, 1.5])],
        ),
        ("padDistance", vec![json!(2), json!(5)]),
        ("preCrop", vec![json!(true), json!(false)]),
        ("correctMask", vec![json!(true)]),
        ("normalize", vec![json!(true), json!(false)]),
        ("normalizeScale", vec![json!(100), json!(1)]),
        ("removeOutliers", vec![json!(2)]),
        ("resegmentRange", vec![json!([-2, 4]), json!([0])]),
        ("resegmentMode", vec![json!("relative"), json!("sigma")]),
        ("resegmentShape", vec![json!(true)]),
        ("force2D", vec![json!(true), json!(false)]),
        ("force2Ddimension", vec![json!(1), json!(0)]),
        ("distances", vec![json!([1, 2])]),
        ("symmetricalGLCM", vec![json!(false)]),
        ("weightingNorm", vec![json!("euclidean")]),
        ("gldm_a", vec![json!(1)]),
        ("voxelArrayShift", vec![json!(100)]),
        ("sigma", vec![json!([1.0]), json!([2, 1.5])]),
        ("wavelet", vec![json!("haar"), json!("coif1")]),
        ("level", vec![json!(2)]),
        ("start_level", vec![json!(1)]),
        ("gradientUseSpacing", vec![json!(false)]),
        ("lbp2DRadius", vec![json!(2)]),
        ("lbp2DSamples", vec![json!(4)]),
        ("minimumROIDimensions", vec![json!(1)]),
        ("maxGreyLevels", vec![json!(4)]),
    ];
    if invalid {
        pool.extend([
            ("binWidth", vec![json!(-1), json!(0)]),
            ("binCount", vec![json!(0)]),
            ("label", vec![json!(0), json!(9007199254740992u64)]),
            ("distances", vec![json!([]), json!([0])]),
            ("weightingNorm", vec![json!("bogus")]),
            ("sigma", vec![json!([]), json!([0]), json!("1")]),
            ("binWidht", vec![json!(1)]),
        ]);
    }
    pool
}

const IMAGE_TYPES: [&str; 6] = ["Original", "LoG", "Square", "Gradient", "Wavelet", "LBP2D"];
const CLASSES: [&str; 8] = [
    "shape",
    "shape2D",
    "firstorder",
    "glcm",
    "gldm",
    "glrlm",
    "glszm",
    "ngtdm",
];

/// A settings map of up to `n` keys of the pool.
fn settings_map(n: usize, invalid: bool) -> impl Strategy<Value = Map<String, Value>> {
    let pool = key_values(invalid);
    proptest::collection::vec((0..pool.len(), 0usize..4), 0..=n).prop_map(move |picks| {
        let mut m = Map::new();
        for (k, v) in picks {
            let (key, values) = &pool[k];
            m.insert(key.to_string(), values[v % values.len()].clone());
        }
        m
    })
}

/// A parameter document: a setting section, maybe an imageType section (possibly empty, each type with
/// overrides; LoG mostly with a sigma), maybe a featureClass section (possibly empty), maybe a
/// voxelSetting section. With `invalid`, some values the parser must refuse.
fn document(invalid: bool) -> impl Strategy<Value = Value> {
    (
        settings_map(6, invalid),
        prop_oneof![
            Just(None),
            proptest::collection::vec(
                (
                    0..IMAGE_TYPES.len(),
                    settings_map(2, invalid),
                    any::<bool>()
                ),
                0..3
            )
            .prop_map(Some)
        ],
        prop_oneof![
            Just(None),
            proptest::collection::vec(0..CLASSES.len(), 0..3).prop_map(Some)
        ],
        any::<bool>(),
    )
        .prop_map(|(setting, types, classes, voxel)| {
            let mut doc = Map::new();
            doc.insert("setting".into(), Value::Object(setting));
            if let Some(types) = types {
                let mut m = Map::new();
                for (t, mut overrides, sigma) in types {
                    if IMAGE_TYPES[t] == "LoG" && sigma {
                        overrides.entry("sigma").or_insert(json!([1.0]));
                    }
                    m.insert(IMAGE_TYPES[t].into(), Value::Object(overrides));
                }
                doc.insert("imageType".into(), Value::Object(m));
            }
            if let Some(classes) = classes {
                let mut m = Map::new();
                for c in classes {
                    m.insert(CLASSES[c].into(), Value::Null);
                }
                doc.insert("featureClass".into(), Value::Object(m));
            }
            if voxel {
                doc.insert("voxelSetting".into(), json!({"kernelRadius": 1}));
            }
            Value::Object(doc)
        })
}

/// A random small case (see `common::small_case`).
fn small_case() -> impl Strategy<Value = (Array3<f64>, Array3<f64>)> {
    common::small_case(2..5, 4..8)
}

fn extract(
    settings: &Settings,
    img: &Array3<f64>,
    lab: &Array3<f64>,
) -> radiomics::Result<Features> {
    let g = Geometry::new([0.8, 0.8, 1.5], [0.0; 3]);
    Extractor::new(settings.clone())
        .extract(&Image::new(img.clone(), g)?, &Image::new(lab.clone(), g)?)
}

/// The document without the option a warning of `Settings::ignored_options` names; None when the
/// warning names no single option (or its removal would change what the section means).
fn without(doc: &Value, warning: &str) -> Option<Value> {
    let mut doc = doc.clone();
    let quoted = |s: &str, after: &str| -> Option<String> {
        let rest = &s[s.find(after)? + after.len()..];
        Some(rest[..rest.find('\'')?].to_string())
    };
    let root = doc.as_object_mut()?;
    if warning.starts_with("featureClass is empty") {
        root.remove("featureClass");
    } else if warning.starts_with("imageType is empty") {
        root.remove("imageType");
    } else if warning.starts_with("the voxelSetting section") {
        root.remove("voxelSetting");
    } else if warning.starts_with("feature class '") {
        let class = quoted(warning, "feature class '")?;
        let classes = root.get_mut("featureClass")?.as_object_mut()?;
        classes.remove(&class);
        if classes.is_empty() {
            return None; // an empty section enables every class
        }
    } else if warning.starts_with("image type '") {
        let kind = quoted(warning, "image type '")?;
        let key = quoted(warning, "setting '")?;
        root.get_mut("imageType")?
            .get_mut(&kind)?
            .as_object_mut()?
            .remove(&key)?;
    } else if warning.starts_with("setting '") {
        let key = quoted(warning, "setting '")?;
        root.get_mut("setting")?.as_object_mut()?.remove(&key)?;
    } else {
        return None;
    }
    Some(doc)
}

fn same(a: &radiomics::Result<Features>, b: &radiomics::Result<Features>) -> Result<(), String> {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            if a.names() != b.names() {
                return Err(format!("names differ: {:?} vs {:?}", a.names(), b.names()));
            }
            for ((n, x), y) in a.iter().zip(b.values()) {
                if x.to_bits() != y.to_bits() {
                    return Err(format!("{n}: {x} vs {y}"));
                }
            }
            Ok(())
        }
        (Err(a), Err(b)) if a.kind() == b.kind() => Ok(()),
        (a, b) => Err(format!(
            "{:?} vs {:?}",
            a.as_ref().map(|_| ()),
            b.as_ref().map(|_| ())
        )),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, rng_seed: proptest::test_runner::RngSeed::Fixed(14), failure_persistence: None, ..ProptestConfig::default() })]

    /// A document the parser accepts round-trips through its JSON form and through that text read as
    /// YAML (JSON is YAML): the same settings, the same warnings. A refused one names a key or section.
    #[test]
    fn accepted_settings_round_trip(doc in document(true)) {
        match Settings::from_value(doc.clone()) {
            Ok(s) => {
                let again = Settings::from_value(s.to_value()).unwrap();
                prop_assert_eq!(&again, &s);
                let text = serde_json::to_string(&s.to_value()).unwrap();
                let yaml = Settings::from_yaml_str(&text).unwrap();
                prop_assert_eq!(&yaml, &s);
                let json = Settings::from_json_str(&text).unwrap();
                prop_assert_eq!(&json, &s);
                prop_assert_eq!(yaml.ignored_options(false), s.ignored_options(false));
                prop_assert_eq!(yaml.ignored_options(true), s.ignored_options(true));
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::UnsupportedSetting, "{}", e);
                prop_assert!(e.message().contains('\''), "{}", e);
            }
        }
    }
}

/// Most documents of `ignored_options_change_nothing` must be accepted, or it tests little.
#[test]
fn most_generated_documents_are_accepted() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut accepted, mut warned) = (0, 0);
    for _ in 0..200 {
        let doc = document(false).new_tree(&mut runner).unwrap().current();
        if let Ok(s) = Settings::from_value(doc) {
            accepted += 1;
            warned += usize::from(!s.ignored_options(false).is_empty());
        }
    }
    assert!(accepted >= 120, "{accepted} of 200 accepted");
    // And many have an option without effect, whose removal the property compares.
    assert!(
        warned >= 40,
        "{warned} of {accepted} with an option without effect"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, rng_seed: proptest::test_runner::RngSeed::Fixed(1402), failure_persistence: None, ..ProptestConfig::default() })]

    /// Random settings on a random small case: features or an error of a documented kind, never a panic;
    /// the warnings of the result include every option without effect, and removing any one of them
    /// changes no feature (not a bit).
    #[test]
    fn ignored_options_change_nothing(doc in document(false), (img, lab) in small_case()) {
        let Ok(settings) = Settings::from_value(doc.clone()) else {
            return Ok(());
        };
        let got = extract(&settings, &img, &lab);
        let ignored = settings.ignored_options(false);
        match &got {
            Ok(f) => {
                for w in &ignored {
                    prop_assert!(f.warnings().contains(w), "{} not in {:?}", w, f.warnings());
                }
            }
            Err(e) => prop_assert!(
                matches!(e.kind(), ErrorKind::EmptyRoi | ErrorKind::LimitExceeded | ErrorKind::InvalidArgument),
                "{:?}: {}", e.kind(), e
            ),
        }
        for w in &ignored {
            let Some(stripped) = without(&doc, w) else {
                continue;
            };
            let other = Settings::from_value(stripped.clone());
            prop_assert!(other.is_ok(), "{} without the option of '{}' is refused: {:?}", doc, w, other);
            let other = extract(&other.unwrap(), &img, &lab);
            if let Err(why) = same(&got, &other) {
                prop_assert!(false, "'{}': {} vs {}: {}", w, doc, stripped, why);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------- batch

/// A manifest of five small cases (NIfTI files written once per test process) and the table of one
/// uninterrupted run over it.
struct Cohort {
    dir: PathBuf,
    manifest: PathBuf,
    table: String,
}

const CASES: usize = 5;

fn settings() -> CaseExtractor {
    CaseExtractor::new(
        Settings::from_yaml_str("featureClass: {firstorder: , glcm: }\nsetting: {binCount: 8}")
            .unwrap(),
    )
}

fn cohort() -> &'static Cohort {
    static COHORT: OnceLock<Cohort> = OnceLock::new();
    COHORT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("radiomics-properties-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let g = Geometry::new([1.0, 1.0, 2.0], [0.0; 3]);
        let mut manifest = String::from("case_id,patient_id,label,split,t1,mask\n");
        for c in 0..CASES {
            let img = Array3::from_shape_fn((5, 9, 9), |(z, y, x)| {
                ((x * 7 + y * 3 + z * 5 + c * 11) % 40) as f64
            });
            let lab = Array3::from_shape_fn((5, 9, 9), |(z, y, x)| {
                f64::from(u8::from(
                    (1..4).contains(&z) && (2..7 - c % 3).contains(&y) && (2..8).contains(&x),
                ))
            });
            write_nifti(
                dir.join(format!("i{c}.nii")),
                &Image::new(img, g).unwrap(),
                WriteType::I16,
            )
            .unwrap();
            write_nifti(
                dir.join(format!("m{c}.nii")),
                &Image::new(lab, g).unwrap(),
                WriteType::I16,
            )
            .unwrap();
            manifest.push_str(&format!("c{c},p{c},{},train,i{c}.nii,m{c}.nii\n", c % 2));
        }
        let path = dir.join("manifest.csv");
        std::fs::write(&path, manifest).unwrap();
        let out = dir.join("whole.csv");
        let rows = read_manifest(&path).unwrap();
        let outcome = run_batch_with(&rows, &settings(), &out, &options(), &|_, _| {}).unwrap();
        assert_eq!(outcome.computed, CASES);
        let table = std::fs::read_to_string(&out).unwrap();
        Cohort {
            dir,
            manifest: path,
            table,
        }
    })
}

fn options() -> BatchOptions {
    BatchOptions {
        jobs: 1,
        ..BatchOptions::default()
    }
}

fn journal(out: &Path) -> PathBuf {
    out.with_file_name(format!(
        "{}.journal",
        out.file_name().unwrap().to_string_lossy()
    ))
}

/// The files of a batch's output `out` (the table and what lies beside it, the lock aside).
fn state_of(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&name) && !n.ends_with(".lock")
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, rng_seed: proptest::test_runner::RngSeed::Fixed(53), failure_persistence: None, ..ProptestConfig::default() })]

    /// The files a batch leaves on disk at the moment its `k`-th case is finished (what a `kill -9` then
    /// would leave: the journal holds that case, flushed), the journal then cut at a random byte (a kill
    /// in the middle of a write), and a rerun: the uninterrupted run's table byte for byte, the cases whose
    /// journal line survived whole kept, only the others computed.
    #[test]
    fn batch_resumes_to_the_uninterrupted_table(k in 1usize..CASES, cut in 0.0f64..1.0, run in 0u32..1_000_000) {
        let c = cohort();
        let out = c.dir.join(format!("resume-{run}-{k}.csv"));
        let rows = read_manifest(&c.manifest).unwrap();
        // One worker: the cases finish in manifest order.
        let at_k = std::sync::Mutex::new(None);
        run_batch_with(&rows, &settings(), &out, &options(), &|done, _| {
            if done == k {
                *at_k.lock().unwrap() = Some(state_of(&out));
            }
        })
        .unwrap();
        prop_assert_eq!(std::fs::read_to_string(&out).unwrap(), c.table.clone());
        // Back to the moment of the kill.
        let snapshot = at_k.into_inner().unwrap().unwrap();
        for (p, _) in state_of(&out) {
            std::fs::remove_file(p).unwrap();
        }
        for (p, bytes) in &snapshot {
            std::fs::write(p, bytes).unwrap();
        }
        prop_assert!(!out.exists(), "the table exists before the run ends");
        let j = journal(&out);
        let text = std::fs::read(&j).unwrap();
        let whole = |t: &[u8]| {
            String::from_utf8_lossy(t)
                .split_inclusive('\n')
                .filter(|l| l.ends_with(",ok\n"))
                .count()
        };
        prop_assert_eq!(whole(&text), k);
        // Cut anywhere after the header line.
        let header = text.iter().position(|&b| b == b'\n').unwrap() + 1;
        let at = header + ((text.len() - header) as f64 * cut) as usize;
        std::fs::write(&j, &text[..at]).unwrap();
        let kept = whole(&text[..at]);
        let outcome = run_batch_with(&rows, &settings(), &out, &options(), &|_, _| {}).unwrap();
        prop_assert_eq!(outcome.reused, kept);
        prop_assert_eq!(outcome.computed, CASES - kept);
        prop_assert_eq!(std::fs::read_to_string(&out).unwrap(), c.table.clone());
        prop_assert!(!j.exists(), "the journal is removed once the table is written");
        // Once more: nothing left to compute, the same table.
        let again = run_batch_with(&rows, &settings(), &out, &options(), &|_, _| {}).unwrap();
        prop_assert_eq!((again.computed, again.reused), (0, CASES));
        prop_assert_eq!(std::fs::read_to_string(&out).unwrap(), c.table.clone());
    }
}
