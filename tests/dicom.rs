//! DICOM series, SEG and RTSTRUCT masks, MetaImage and detached NRRD, checked against inputs written by
//! `tests/make_dicom.py` from the reference volumes: geometry and voxels against SimpleITK's
//! ImageSeriesReader, features against the equivalent NIfTI inputs, RTSTRUCT masks against
//! skimage.draw.polygon2mask, and broken inputs against their errors.
//!
//! The generated inputs come from `$RADIOMICS_DICOM_DATA` when set (a folder the script wrote), else the
//! script is run into the target folder with `$RADIOMICS_DICOM_PYTHON` (default `python3`), which needs
//! pydicom, highdicom, SimpleITK and scikit-image. Where that python lacks them the tests skip with a
//! notice, unless `$RADIOMICS_REQUIRE_DICOM` is set (as CI sets it): then they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use radiomics::image::io::{dicom, read_image, read_mask, read_mask_for, DataType};
use radiomics::{ErrorKind, Extractor, Features, Settings};

fn generate(data: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RADIOMICS_DICOM_DATA") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("itk_series.json").is_file(),
            "RADIOMICS_DICOM_DATA '{}' holds no generated inputs",
            dir.display()
        );
        return Some(dir);
    }
    let required = std::env::var_os("RADIOMICS_REQUIRE_DICOM").is_some();
    let python = std::env::var("RADIOMICS_DICOM_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_modules = Command::new(&python)
        .args(["-c", "import pydicom, highdicom, SimpleITK, skimage"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_modules {
        assert!(!required, "'{python}' lacks pydicom, highdicom, SimpleITK or scikit-image (RADIOMICS_REQUIRE_DICOM is set)");
        eprintln!("notice: '{python}' lacks pydicom/highdicom/SimpleITK/scikit-image (set RADIOMICS_DICOM_PYTHON); skipping");
        return None;
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dicom");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/make_dicom.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(data)
        .arg(&out)
        .status()
        .expect("run tests/make_dicom.py");
    assert!(status.success(), "tests/make_dicom.py failed");
    Some(out)
}

/// The generated inputs, made once per test run; `None` (with a notice) where they cannot be made.
fn generated() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| common::data_dir().and_then(|d| generate(&d)))
        .as_deref()
}

macro_rules! require_generated {
    () => {
        match generated() {
            Some(d) => d,
            None => return,
        }
    };
}

fn nifti(name: &str) -> PathBuf {
    common::data_dir()
        .expect("reference data")
        .join("pyradiomics/nifti")
        .join(name)
}

fn features(image: &Path, mask: &Path, label: i64) -> Features {
    let ex = Extractor::new(Settings::default());
    let img = read_image(image).unwrap_or_else(|e| panic!("{}: {e}", image.display()));
    let m = read_mask_for(mask, label, Some(image), &img)
        .unwrap_or_else(|e| panic!("{}: {e}", mask.display()));
    ex.extract_mask_timed(&img, m, &mut |_| true, &mut Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", image.display()))
}

fn assert_features_close(a: &Features, b: &Features, rel: f64, what: &str) {
    assert_eq!(a.names(), b.names(), "{what}");
    assert!(a.len() > 100, "{what}: {} features", a.len());
    for ((n, x), y) in a.iter().zip(b.values()) {
        assert!(
            common::close(*x, *y, rel),
            "{what} {n}: {x} vs {y} (tolerance {rel:e})"
        );
    }
}

#[test]
fn series_geometry_and_voxels_are_itks() {
    let dir = require_generated!();
    let text = std::fs::read_to_string(dir.join("itk_series.json")).unwrap();
    let itk: serde_json::Value = serde_json::from_str(&text).unwrap();
    for name in ["ct", "mr", "oblique"] {
        let r = &itk[name];
        let img = read_image(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let g = img.geometry();
        let nums = |k: &str| -> Vec<f64> {
            r[k].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        assert_eq!(
            img.size().map(|s| s as f64).to_vec(),
            nums("size"),
            "{name} size"
        );
        for (what, ours, theirs) in [
            ("spacing", g.spacing.to_vec(), nums("spacing")),
            ("origin", g.origin.to_vec(), nums("origin")),
            ("direction", g.direction.to_vec(), nums("direction")),
        ] {
            for (a, b) in ours.iter().zip(&theirs) {
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{name} {what}: {ours:?} vs ITK {theirs:?}"
                );
            }
        }
        let d = img.data();
        let sum: f64 = d.iter().sum();
        let sum_sq: f64 = d.iter().map(|v| v * v).sum();
        assert!(
            common::close(sum, r["sum"].as_f64().unwrap(), 1e-12),
            "{name} sum {sum}"
        );
        assert!(
            common::close(sum_sq, r["sum_sq"].as_f64().unwrap(), 1e-12),
            "{name} sum of squares {sum_sq}"
        );
        let itk_type = match r["pixel_type"].as_str().unwrap() {
            "8-bit unsigned integer" => DataType::U8,
            "16-bit signed integer" => DataType::I16,
            "16-bit unsigned integer" => DataType::U16,
            "32-bit signed integer" => DataType::I32,
            "64-bit float" | "32-bit float" => DataType::F64,
            other => panic!("{name}: ITK pixel type {other}"),
        };
        assert_eq!(img.pixel_type(), Some(itk_type), "{name} pixel type");
    }
}

#[test]
fn series_with_seg_masks_give_the_features_of_the_nifti_inputs() {
    let dir = require_generated!();
    let cases = [
        // CT: unsigned stored values and an intercept, InstanceNumbers against slice order, BINARY SEG.
        (
            "ct",
            dir.join("ct"),
            dir.join("ct_seg.dcm"),
            nifti("lung1_image.nii.gz"),
            nifti("lung1_label.nii.gz"),
        ),
        // MR: implicit VR, slice normal against the NIfTI's z axis, FRACTIONAL SEG.
        (
            "mr",
            dir.join("mr"),
            dir.join("mr_seg.dcm"),
            dir.join("mr_image.nii.gz"),
            dir.join("mr_label.nii.gz"),
        ),
        // Oblique, rescaled to non-integer steps, 1-bit frames off byte boundaries.
        (
            "oblique",
            dir.join("oblique"),
            dir.join("oblique_seg.dcm"),
            dir.join("oblique_image.nii.gz"),
            dir.join("oblique_label.nii.gz"),
        ),
    ];
    for (name, series, seg, image, label) in cases {
        let ours = features(&series, &seg, 1);
        let reference = features(&image, &label, 1);
        assert_features_close(&ours, &reference, 1e-9, name);
    }
}

#[test]
fn rtstruct_masks_are_the_reference_rasterisers() {
    let dir = require_generated!();
    let series = dir.join("ct");
    let image = read_image(&series).unwrap();
    let rt = dir.join("ct_rtstruct.dcm");
    assert_eq!(dicom::label_number(&rt, "GTV").unwrap(), 1);
    assert_eq!(dicom::label_number(&rt, "RING").unwrap(), 2);
    for roi in [1, 2] {
        let ours = read_mask_for(&rt, roi, Some(&series), &image).unwrap();
        let reference = read_mask(dir.join(format!("ct_rtstruct_ref_{roi}.nii.gz")), 1).unwrap();
        assert_eq!(ours.size(), reference.size());
        let both = ours
            .roi()
            .iter()
            .zip(reference.roi().iter())
            .filter(|(a, b)| **a && **b)
            .count();
        let dice = 2.0 * both as f64 / (ours.count() + reference.count()) as f64;
        assert!(
            reference.count() > 100,
            "ROI {roi}: {} voxels",
            reference.count()
        );
        assert_eq!(
            dice,
            1.0,
            "ROI {roi}: Dice {dice}, {} vs {} voxels",
            ours.count(),
            reference.count()
        );
    }
    // The ring has a hole: 41x41 outer minus 21x21 inner voxels.
    assert_eq!(
        read_mask_for(&rt, 2, Some(&series), &image)
            .unwrap()
            .count(),
        41 * 41 - 21 * 21
    );
    let ours = features(&series, &rt, 1);
    let reference = features(
        &nifti("lung1_image.nii.gz"),
        &nifti("lung1_label.nii.gz"),
        1,
    );
    assert_features_close(&ours, &reference, 1e-3, "RTSTRUCT GTV");
}

#[test]
fn metaimage_and_detached_nrrd_equal_nifti() {
    let dir = require_generated!();
    let reference_image = read_image(nifti("brain1_image.nii.gz")).unwrap();
    let label = nifti("brain1_label.nii.gz");
    let reference = features(&nifti("brain1_image.nii.gz"), &label, 1);
    for file in ["brain1.mha", "brain1.mhd", "brain1.nhdr"] {
        let img = read_image(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(img.data(), reference_image.data(), "{file}");
        assert_eq!(img.pixel_type(), reference_image.pixel_type(), "{file}");
        let (a, b) = (img.geometry(), reference_image.geometry());
        for (x, y) in a
            .spacing
            .iter()
            .chain(&a.origin)
            .chain(&a.direction)
            .zip(b.spacing.iter().chain(&b.origin).chain(&b.direction))
        {
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                "{file}: {a:?} vs {b:?}"
            );
        }
        assert_features_close(
            &features(&dir.join(file), &label, 1),
            &reference,
            1e-9,
            file,
        );
    }
}

#[test]
fn a_file_of_a_series_chooses_that_series() {
    let dir = require_generated!();
    let two = dir.join("bad/two_series");
    let err = read_image(&two).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Format);
    assert!(
        err.message().contains("holds 2 DICOM series") && err.message().contains("other series"),
        "{err}"
    );
    let first = std::fs::read_dir(&two)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("slice")
        })
        .unwrap();
    let chosen = read_image(&first).unwrap();
    assert_eq!(
        chosen.size(),
        read_image(dir.join("bad/small")).unwrap().size()
    );
    assert_eq!(chosen.size()[2], 21);
}

/// Runs `radiomics extract` and returns (exit code, standard error).
fn cli(args: &[&Path], label: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .arg("extract")
        .arg("--image")
        .arg(args[0])
        .arg("--mask")
        .arg(args[1])
        .args(["--label", label])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn broken_inputs_are_errors_naming_the_file() {
    let dir = require_generated!();
    let bad = dir.join("bad");
    let seg = bad.join("small_seg.dcm");
    let small = bad.join("small");
    // The good series works through the command line.
    let (code, err) = cli(&[&small, &seg], "1");
    assert_eq!(code, 0, "{err}");
    let cases: [(PathBuf, PathBuf, &str, i32, &[&str]); 11] = [
        (
            bad.join("missing"),
            seg.clone(),
            "1",
            3,
            &["a slice is missing", "slice009.dcm", "slice011.dcm"],
        ),
        (
            bad.join("mixed_size"),
            seg.clone(),
            "1",
            3,
            &["mixes slice sizes", "slice005.dcm"],
        ),
        (
            bad.join("mixed_orientation"),
            seg.clone(),
            "1",
            3,
            &["mixes orientations", "slice005.dcm"],
        ),
        (
            bad.join("two_series"),
            seg.clone(),
            "1",
            3,
            &["holds 2 DICOM series", "other series"],
        ),
        (
            bad.join("unsupported_ts"),
            seg.clone(),
            "1",
            3,
            &["1.2.840.10008.1.2.4.90", "slice000.dcm"],
        ),
        (
            bad.join("truncated"),
            seg.clone(),
            "1",
            3,
            &["slice004.dcm"],
        ),
        (
            small.clone(),
            bad.join("seg_other_for.dcm"),
            "1",
            3,
            &["FrameOfReferenceUID", "seg_other_for.dcm"],
        ),
        (
            small.clone(),
            bad.join("rt_off_image.dcm"),
            "1",
            3,
            &["outside the image", "rt_off_image.dcm", "'OFF'"],
        ),
        (
            small.clone(),
            bad.join("rt_open.dcm"),
            "1",
            3,
            &["OPEN_PLANAR", "rt_open.dcm"],
        ),
        (
            small.clone(),
            bad.join("rt_between.dcm"),
            "BETWEEN",
            3,
            &["between slices", "rt_between.dcm"],
        ),
        (
            small.clone(),
            seg.clone(),
            "7",
            2,
            &["segment 7 is not in the SEG", "1 'ROI'"],
        ),
    ];
    for (image, mask, label, want, needles) in cases {
        let (code, err) = cli(&[&image, &mask], label);
        assert_eq!(
            code,
            want,
            "{} + {}: {err}",
            image.display(),
            mask.display()
        );
        for n in needles {
            assert!(
                err.contains(n),
                "{} + {}: '{n}' not in: {err}",
                image.display(),
                mask.display()
            );
        }
    }
}

#[test]
fn detached_data_files_stay_in_the_headers_folder() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nhdr-escape");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("data.raw"), [0u8; 8]).unwrap();
    std::fs::write(dir.join("sub/data.raw"), [1u8, 0, 2, 0, 3, 0, 4, 0]).unwrap();
    let header = |data_file: &str| {
        format!("NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 1\nencoding: raw\nendian: little\ndata file: {data_file}\n")
    };
    for (name, data_file) in [("up.nhdr", "../data.raw"), ("abs.nhdr", "/etc/passwd")] {
        std::fs::write(dir.join("sub").join(name), header(data_file)).unwrap();
        let err = read_image(dir.join("sub").join(name)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Format, "{err}");
        assert!(err.message().contains("not a plain relative path"), "{err}");
    }
    std::fs::write(dir.join("sub/ok.nhdr"), header("data.raw")).unwrap();
    let img = read_image(dir.join("sub/ok.nhdr")).unwrap();
    assert_eq!(
        img.data().iter().copied().collect::<Vec<_>>(),
        [1.0, 2.0, 3.0, 4.0]
    );
    // MetaImage: the same rule.
    std::fs::write(
        dir.join("sub/up.mhd"),
        "ObjectType = Image\nNDims = 3\nDimSize = 2 2 1\nElementType = MET_SHORT\nElementDataFile = ../data.raw\n",
    )
    .unwrap();
    let err = read_image(dir.join("sub/up.mhd")).unwrap_err();
    assert!(err.message().contains("not a plain relative path"), "{err}");
    std::fs::write(
        dir.join("sub/ok.mhd"),
        "ObjectType = Image\nNDims = 3\nDimSize = 2 2 1\nElementType = MET_SHORT\nElementSpacing = 1 2 3\nElementDataFile = data.raw\n",
    )
    .unwrap();
    let img = read_image(dir.join("sub/ok.mhd")).unwrap();
    assert_eq!(img.spacing(), [1.0, 2.0, 3.0]);
    assert_eq!(
        img.data().iter().copied().collect::<Vec<_>>(),
        [1.0, 2.0, 3.0, 4.0]
    );
}

/// The fuzz target's check on deterministic mutations of its seeds (truncations and byte changes), so
/// that every test run covers the parser's error paths: an image, a mask or an error, never a panic.
#[test]
fn mutated_dicom_files_give_errors_not_panics() {
    use radiomics::image::io::{read_image_with, ReadOptions};
    use radiomics::image::{Geometry, Image};
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/dicom");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dicom-mutations");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("input.dcm");
    let options = ReadOptions {
        max_voxels: 1 << 20,
    };
    let grid = Image::new(
        ndarray::Array3::zeros((2, 8, 8)),
        Geometry::new([0.5, 0.75, 2.0], [0.0; 3]),
    )
    .unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "seeds in {}", seeds.display());
    let (mut images, mut masks, mut errors) = (0, 0, 0);
    for seed in files {
        let original = std::fs::read(&seed).unwrap();
        let mut inputs: Vec<Vec<u8>> = (0..original.len())
            .step_by(53)
            .map(|n| original[..n].to_vec())
            .collect();
        for _ in 0..10 {
            let mut m = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % m.len();
                m[at] = match next() % 3 {
                    0 => next() as u8,
                    1 => 0xff,
                    _ => 0,
                };
            }
            inputs.push(m);
        }
        inputs.push(original);
        for input in inputs {
            std::fs::write(&path, &input).unwrap();
            match read_image_with(&path, &options) {
                Ok(image) => {
                    images += 1;
                    assert!(image.data().len() <= options.max_voxels);
                }
                Err(e) => {
                    errors += 1;
                    assert_ne!(e.kind(), ErrorKind::Internal, "{e}");
                }
            }
            if dicom::is_dicom_mask(&path) {
                match read_mask_for(&path, 1, None, &grid) {
                    Ok(mask) => {
                        masks += 1;
                        assert_eq!(mask.size(), grid.size());
                    }
                    Err(e) => assert_ne!(e.kind(), ErrorKind::Internal, "{e}"),
                }
            }
        }
    }
    // The unmutated seeds load: two images and three masks at least.
    assert!(
        images >= 2 && masks >= 3 && errors > 20,
        "{images} images, {masks} masks, {errors} errors"
    );
}

/// Runs the command line with `args`: (exit code, standard output, standard error).
fn run_cli(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `FOLDER#UID`, `--series UID` and `rad_image_load_series` choose one series of a folder holding two;
/// the error for the folder alone lists both and says how to choose.
#[test]
fn a_series_uid_chooses_a_series_in_a_folder() {
    use radiomics::capi::{rad_image_free, rad_image_load_series, rad_image_size, rad_status};
    use std::ffi::{CString, OsStr};
    let dir = require_generated!();
    let two = dir.join("bad/two_series");
    let small = dir.join("bad/small");
    let seg = dir.join("bad/small_seg.dcm");
    let all = dicom::list_series(&two).unwrap();
    assert_eq!(all.len(), 2);
    let wanted = all.iter().find(|s| s.files == 21).unwrap().uid.clone();
    let other = all.iter().find(|s| s.files == 3).unwrap().uid.clone();
    let err = read_image(&two).unwrap_err();
    for needle in [wanted.as_str(), other.as_str(), "#UID", "--series UID"] {
        assert!(err.message().contains(needle), "'{needle}' not in: {err}");
    }
    // The series chosen is the series alone in its folder, voxel for voxel.
    let reference = read_image(&small).unwrap();
    for chosen in [
        read_image(dicom::series_path(&two, &wanted)).unwrap(),
        dicom::read_series_uid(&two, &wanted).unwrap(),
    ] {
        assert_eq!(chosen.data(), reference.data());
        assert_eq!(chosen.geometry(), reference.geometry());
    }
    assert_eq!(
        read_image(dicom::series_path(&two, &other)).unwrap().size()[2],
        3
    );
    // A UID the folder does not hold: the caller's mistake, listing what it holds.
    for e in [
        read_image(dicom::series_path(&two, "1.2.3")).unwrap_err(),
        dicom::read_series_uid(&two, "1.2.3").unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(
            e.message().contains("no DICOM image series 1.2.3") && e.message().contains(&wanted),
            "{e}"
        );
    }
    let e = dicom::read_series_uid(&two, "x1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    // The command line: --series and FOLDER#UID give the features of the series alone.
    let os = |p: &Path| p.as_os_str().to_owned();
    let extract = |image: &OsStr, extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> =
            vec!["extract".into(), "--image".into(), image.into()];
        args.extend(extra.iter().map(|a| a.into()));
        args.extend(["--mask".into(), os(&seg), "--label".into(), "1".into()]);
        let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        run_cli(&refs)
    };
    let (code, want, err) = extract(small.as_os_str(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(want.lines().count() > 100, "{want}");
    let (code, got, err) = extract(two.as_os_str(), &["--series", &wanted]);
    assert_eq!((code, got.as_str()), (0, want.as_str()), "{err}");
    let (code, got, err) = extract(dicom::series_path(&two, &wanted).as_os_str(), &[]);
    assert_eq!((code, got.as_str()), (0, want.as_str()), "{err}");
    let (code, _, err) = extract(two.as_os_str(), &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--series UID"), "{err}");
    for (series, needle) in [
        ("1.2.3", "no DICOM image series 1.2.3"),
        ("abc", "digits and dots"),
    ] {
        let (code, _, err) = extract(two.as_os_str(), &["--series", series]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let (code, _, err) = extract(seg.as_os_str(), &["--series", &wanted]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a folder"), "{err}");

    // The C API.
    let folder = CString::new(two.to_str().unwrap()).unwrap();
    let uid = CString::new(wanted.as_str()).unwrap();
    let mut img = std::ptr::null_mut();
    assert_eq!(
        rad_image_load_series(folder.as_ptr(), uid.as_ptr(), &mut img),
        rad_status::RadOk
    );
    let mut size = [0usize; 3];
    assert_eq!(rad_image_size(img, size.as_mut_ptr()), rad_status::RadOk);
    assert_eq!(size, reference.size());
    rad_image_free(img);
    let unknown = CString::new("1.2.3").unwrap();
    let mut none = std::ptr::null_mut();
    assert_eq!(
        rad_image_load_series(folder.as_ptr(), unknown.as_ptr(), &mut none),
        rad_status::RadInvalidArgument
    );
    assert_eq!(
        rad_image_load_series(folder.as_ptr(), std::ptr::null(), &mut none),
        rad_status::RadInvalidArgument
    );
    assert!(none.is_null());
}

/// `predict`, `bench` and the C API's case function read a DICOM series with a SEG mask: the same
/// probability and features as from the equivalent NIfTI files.
#[test]
fn predict_bench_and_the_c_api_read_a_series_with_a_seg_mask() {
    use radiomics::capi::{
        rad_extract_case_files, rad_features_free, rad_features_to_csv, rad_status, rad_string_free,
    };
    use std::ffi::{CStr, CString, OsStr};
    let dir = require_generated!();
    let (series, seg) = (dir.join("ct"), dir.join("ct_seg.dcm"));
    let (image, label) = (nifti("lung1_image.nii.gz"), nifti("lung1_label.nii.gz"));
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dicom-predict");
    std::fs::create_dir_all(&work).unwrap();

    // A model over three first-order features of a `ct` modality, trained on a small made-up table.
    let params = work.join("params.yaml");
    std::fs::write(
        &params,
        "featureClass:\n  firstorder: [Mean, Energy, Variance]\n",
    )
    .unwrap();
    let mut table = String::from(
        "case_id,label,ct_original_firstorder_Mean,ct_original_firstorder_Energy,ct_original_firstorder_Variance\n",
    );
    for i in 0..24 {
        let y = i % 2;
        let t = i as f64;
        table += &format!(
            "c{i},{y},{},{},{}\n",
            -400.0 + 300.0 * y as f64 + 37.0 * (t * 0.7).sin(),
            1.0e9 + 2.0e8 * (t * 1.3).cos(),
            5.0e4 + 1.0e4 * y as f64 + 3.0e3 * (t * 0.9).sin()
        );
    }
    let table_path = work.join("table.csv");
    std::fs::write(&table_path, table).unwrap();
    let model = work.join("model.json");
    let s = |p: &Path| p.as_os_str().to_owned();
    let train: Vec<std::ffi::OsString> = vec![
        "train".into(),
        "--table".into(),
        s(&table_path),
        "--patient-column".into(),
        "".into(),
        "--params".into(),
        format!("ct={}", params.display()).into(),
        "--selector".into(),
        "anova".into(),
        "--classifier".into(),
        "logistic".into(),
        "--k".into(),
        "2".into(),
        "--folds".into(),
        "3".into(),
        "--out".into(),
        s(&model),
    ];
    let (code, _, err) = run_cli(&train.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
    assert_eq!(code, 0, "train: {err}");
    let predict = |img: &Path, mask: &Path| {
        let args: Vec<std::ffi::OsString> = vec![
            "predict".into(),
            "--model".into(),
            s(&model),
            "--image".into(),
            format!("ct={}", img.display()).into(),
            "--mask".into(),
            s(mask),
        ];
        let (code, out, err) = run_cli(&args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
        assert_eq!(code, 0, "predict {}: {err}", img.display());
        let line = out.lines().nth(1).unwrap().to_string();
        line.split(',').nth(1).unwrap().parse::<f64>().unwrap()
    };
    let (p_dicom, p_nifti) = (predict(&series, &seg), predict(&image, &label));
    assert!(
        (p_dicom - p_nifti).abs() <= 1e-9 && p_nifti > 0.0 && p_nifti < 1.0,
        "{p_dicom} vs {p_nifti}"
    );

    // bench reads the same inputs.
    let (code, out, err) = run_cli(&[
        OsStr::new("bench"),
        OsStr::new("--image"),
        series.as_os_str(),
        OsStr::new("--mask"),
        seg.as_os_str(),
        OsStr::new("--params"),
        params.as_os_str(),
        OsStr::new("--repeat"),
        OsStr::new("1"),
    ]);
    assert_eq!(code, 0, "bench: {err}");
    assert!(err.contains("3 features"), "{err}");
    assert!(out.trim().parse::<f64>().is_ok(), "{out}");

    // The C API's case function: the features of the NIfTI files.
    let case_csv = |img: &Path, mask: &Path| {
        let name = CString::new("ct").unwrap();
        let path = CString::new(img.to_str().unwrap()).unwrap();
        let mask = CString::new(mask.to_str().unwrap()).unwrap();
        let mut f = std::ptr::null_mut();
        let st = rad_extract_case_files(
            std::ptr::null(),
            1,
            [name.as_ptr()].as_ptr(),
            [path.as_ptr()].as_ptr(),
            std::ptr::null(),
            mask.as_ptr(),
            &mut f,
        );
        assert_eq!(st, rad_status::RadOk, "{}", img.display());
        let mut text = std::ptr::null_mut();
        assert_eq!(rad_features_to_csv(f, &mut text), rad_status::RadOk);
        // SAFETY: a NUL-terminated string from the library, freed below.
        let csv = unsafe { CStr::from_ptr(text) }
            .to_str()
            .unwrap()
            .to_string();
        rad_string_free(text);
        rad_features_free(f);
        csv
    };
    let parse = |csv: &str| -> Vec<(String, f64)> {
        csv.lines()
            .skip(1)
            .map(|l| {
                let (n, v) = l.rsplit_once(',').unwrap();
                (n.to_string(), v.parse().unwrap_or(f64::NAN))
            })
            .collect()
    };
    let (ours, theirs) = (
        parse(&case_csv(&series, &seg)),
        parse(&case_csv(&image, &label)),
    );
    assert!(ours.len() > 100, "{} features", ours.len());
    assert_eq!(ours.len(), theirs.len());
    for ((n, a), (m, b)) in ours.iter().zip(&theirs) {
        assert_eq!(n, m);
        assert!(n.starts_with("ct_"), "{n}");
        assert!(common::close(*a, *b, 1e-9), "{n}: {a} vs {b}");
    }
}

/// A DICOM file (preamble, `DICM`, a file meta group of transfer syntax `ts`) around the data set `ds`.
fn dicom_file(ts: &str, ds: &[u8]) -> Vec<u8> {
    let uid = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        if v.len() % 2 == 1 {
            v.push(0);
        }
        v
    };
    let mut meta = Vec::new();
    for (element, value) in [
        (0x0002u16, uid("1.2.840.10008.5.1.4.1.1.2")),
        (0x0010, uid(ts)),
    ] {
        meta.extend_from_slice(&0x0002u16.to_le_bytes());
        meta.extend_from_slice(&element.to_le_bytes());
        meta.extend_from_slice(b"UI");
        meta.extend_from_slice(&(value.len() as u16).to_le_bytes());
        meta.extend_from_slice(&value);
    }
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    out.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(ds);
    out
}

/// An explicit VR little endian element with a 2-byte length.
fn short_element(group: u16, element: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut e = group.to_le_bytes().to_vec();
    e.extend_from_slice(&element.to_le_bytes());
    e.extend_from_slice(vr);
    e.extend_from_slice(&(value.len() as u16).to_le_bytes());
    e.extend_from_slice(value);
    e
}

/// The fuzz target's finding: a file of a few hundred bytes whose elements declare values of gigabytes
/// (an OB value, a sequence item, a pixel data fragment, a string) is a format error naming the element,
/// refused before the parser reserves the declared length.
#[test]
fn declared_lengths_past_the_end_of_the_file_are_errors_not_allocations() {
    use radiomics::image::io::{read_image_with, ReadOptions};
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dicom-declared-lengths");
    std::fs::create_dir_all(&dir).unwrap();
    let explicit = "1.2.840.10008.1.2.1";
    let mut head = short_element(0x0008, 0x0060, b"CS", b"CT");
    head.extend(short_element(0x0028, 0x0010, b"US", &4u16.to_le_bytes()));
    head.extend(short_element(0x0028, 0x0011, b"US", &4u16.to_le_bytes()));
    let with = |tail: &[u8]| {
        let mut ds = head.clone();
        ds.extend_from_slice(tail);
        ds.extend_from_slice(&[0u8; 64]);
        ds
    };
    let long = |group: u16, element: u16, vr: &[u8; 2], len: u32| {
        let mut e = group.to_le_bytes().to_vec();
        e.extend_from_slice(&element.to_le_bytes());
        e.extend_from_slice(vr);
        e.extend_from_slice(&[0, 0]);
        e.extend_from_slice(&len.to_le_bytes());
        e
    };
    let item = |len: u32| {
        let mut e = vec![0xfe, 0xff, 0x00, 0xe0];
        e.extend_from_slice(&len.to_le_bytes());
        e
    };
    let ob = long(0x0009, 0x1010, b"OB", 1_200_000_000);
    let mut in_item = long(0x0008, 0x1115, b"SQ", u32::MAX);
    in_item.extend(item(3_000_000_000));
    let mut fragment = long(0x7fe0, 0x0010, b"OB", u32::MAX);
    fragment.extend(item(0));
    fragment.extend(item(2_000_000_000));
    let text = long(0x0008, 0x0119, b"UC", 4_000_000_000);
    let cases: [(&str, &str, Vec<u8>, &str); 4] = [
        ("ob.dcm", explicit, with(&ob), "element (0009,1010)"),
        ("item.dcm", explicit, with(&in_item), "an item"),
        (
            "fragment.dcm",
            "1.2.840.10008.1.2.4.50",
            with(&fragment),
            "an item",
        ),
        ("text.dcm", explicit, with(&text), "element (0008,0119)"),
    ];
    let options = ReadOptions {
        max_voxels: 1 << 20,
    };
    for (name, ts, ds, needle) in cases {
        let file = dir.join(name);
        std::fs::write(&file, dicom_file(ts, &ds)).unwrap();
        assert!(std::fs::metadata(&file).unwrap().len() < 1024);
        let e = read_image_with(&file, &options).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format, "{name}: {e}");
        for n in [needle, "are left in the file", name] {
            assert!(e.message().contains(n), "{name}: '{n}' not in: {e}");
        }
        // Listing a folder that holds it names it too.
        let folder = dir.join(format!("{name}.d"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(&file, folder.join(name)).unwrap();
        let e = read_image(&folder).unwrap_err();
        assert!(e.message().contains("are left in the file"), "{name}: {e}");
        assert!(!dicom::is_dicom_mask(&file));
    }
    // The unmodified head parses: only the declared lengths were at fault.
    let file = dir.join("head.dcm");
    std::fs::write(&file, dicom_file(explicit, &head)).unwrap();
    assert_eq!(dicom::dicom_kind(&file).unwrap(), dicom::DicomKind::Image);
}
