//! Parity of resampling and the LoG image type with PyRadiomics 3.0.1 / SimpleITK 2.5 (ITK 5.4), on the
//! summaries written by `tests/make_resample_log_reference.py` into `tests/data/`, plus the choice of the
//! LoG margin around the ROI.
#![allow(clippy::needless_range_loop)]

mod common;

use std::path::Path;

use ndarray::{s, Array3};
use radiomics::filters::log::{log, log_margin, log_name, log_with, Precision};
use radiomics::image::io::{read_image, DataType};
use radiomics::preprocess::resample::{resample_image_and_mask, resample_onto, Interpolator};
use radiomics::{Geometry, Image, Mask};
use serde_json::Value;

fn reference(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("reference JSON")
}

fn load(data: &Path, case: &str) -> (Image, Mask) {
    let dir = data.join("pyradiomics/nifti");
    let image = read_image(dir.join(format!("{case}_image.nii.gz"))).unwrap();
    let labels = read_image(dir.join(format!("{case}_label.nii.gz"))).unwrap();
    let mask = Mask::from_labels(&labels, 1).unwrap();
    (image, mask)
}

fn f3(v: &Value) -> [f64; 3] {
    std::array::from_fn(|i| v[i].as_f64().unwrap())
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(1e-300)
    }
}

#[test]
fn resampling_matches_pyradiomics() {
    let data = require_data!();
    check_resampling(&data, "resample_reference.json");
}

/// SimpleITK's Gaussian, label Gaussian and windowed-sinc interpolators, to the same standard.
#[test]
fn kernel_resampling_matches_simpleitk() {
    let data = require_data!();
    check_resampling(&data, "resample_kernels_reference.json");
}

fn check_resampling(data: &Path, file: &str) {
    let refs = reference(file);
    let mut loaded: Option<(String, Image, Mask)> = None;
    let mut report = Vec::new();
    for case in refs["cases"].as_array().unwrap() {
        let name = case["case"].as_str().unwrap();
        if loaded.as_ref().map(|l| l.0.as_str()) != Some(name) {
            let (i, m) = load(data, name);
            loaded = Some((name.to_string(), i, m));
        }
        let (_, image, mask) = loaded.as_ref().unwrap();
        let what = format!("{name} {}", case["name"].as_str().unwrap());
        let spacing = f3(&case["spacing_setting"]);
        let interp = Interpolator::from_name(case["interpolator"].as_str().unwrap()).unwrap();
        let pad = case["pad_distance"].as_u64().unwrap() as usize;
        assert_eq!(case["pixel_type"], "16-bit signed integer");
        let (raw, raw_mask) =
            resample_image_and_mask(image, mask, spacing, interp, pad, None).unwrap();
        let (img, rmask) =
            resample_image_and_mask(image, mask, spacing, interp, pad, Some(DataType::I16))
                .unwrap();
        assert_eq!(raw_mask, rmask);

        // The grid: exactly equal.
        let grid = &case["grid"];
        let size: Vec<usize> = (0..3)
            .map(|i| grid["size"][i].as_u64().unwrap() as usize)
            .collect();
        assert_eq!(img.size().to_vec(), size, "{what}: size");
        assert_eq!(img.spacing(), f3(&grid["spacing"]), "{what}: spacing");
        assert_eq!(img.geometry().origin, f3(&grid["origin"]), "{what}: origin");
        let dir: Vec<f64> = (0..9)
            .map(|i| grid["direction"][i].as_f64().unwrap())
            .collect();
        assert_eq!(img.geometry().direction.to_vec(), dir, "{what}: direction");
        assert_eq!(rmask.geometry(), img.geometry());
        assert_eq!(
            rmask.count() as u64,
            case["mask_count"].as_u64().unwrap(),
            "{what}: mask count"
        );

        // Values: the interpolated value within 1e-9 relative, the cast value exactly.
        let mut worst: f64 = 0.0;
        let mut cast_diff = 0;
        let mut roi_agree = 0;
        let points = case["points"].as_array().unwrap();
        for p in points {
            let zyx: Vec<usize> = (0..3)
                .map(|i| p["zyx"][i].as_u64().unwrap() as usize)
                .collect();
            let at = [zyx[0], zyx[1], zyx[2]];
            let r = p["raw"].as_f64().unwrap();
            worst = worst.max(rel(raw.data()[at], r));
            if img.data()[at] != p["value"].as_f64().unwrap() {
                cast_diff += 1;
            }
            if rmask.roi()[at] == p["roi"].as_bool().unwrap() {
                roi_agree += 1;
            }
        }
        assert!(worst <= 1e-9, "{what}: worst relative error {worst:e}");
        assert_eq!(cast_diff, 0, "{what}: cast values differ");
        assert_eq!(roi_agree, points.len(), "{what}: ROI membership differs");
        let sum_raw: f64 = raw.data().sum();
        let sum: f64 = img.data().sum();
        let sum_roi: f64 = img
            .data()
            .iter()
            .zip(rmask.roi().iter())
            .filter(|(_, &b)| b)
            .map(|(v, _)| v)
            .sum();
        let sr = rel(sum_raw, case["sum_raw"].as_f64().unwrap());
        assert!(sr <= 1e-9, "{what}: raw sum differs by {sr:e}");
        assert_eq!(sum, case["sum"].as_f64().unwrap(), "{what}: sum");
        assert_eq!(
            sum_roi,
            case["sum_roi"].as_f64().unwrap(),
            "{what}: ROI sum"
        );
        report.push(format!(
            "{what}: size {:?}, {} ROI voxels, worst rel {worst:.1e} over {} voxels, raw sum rel {sr:.1e}",
            img.size(),
            rmask.count(),
            points.len()
        ));
    }
    for line in report {
        eprintln!("{line}");
    }
}

#[test]
fn log_matches_simpleitk() {
    let data = require_data!();
    let refs = reference("log_reference.json");
    let (image, mask) = load(&data, "brain1");
    for case in refs["cases"].as_array().unwrap() {
        let sigma = case["sigma"].as_f64().unwrap();
        assert_eq!(log_name(sigma), case["name"].as_str().unwrap());
        let out = log(&image, sigma).unwrap();
        let dbl = log_with(&image, sigma, Precision::Double).unwrap();
        let mut worst: f64 = 0.0;
        let mut worst_dbl: f64 = 0.0;
        let mut exact = 0;
        let points = case["points"].as_array().unwrap();
        for p in points {
            let at: [usize; 3] = std::array::from_fn(|i| p["zyx"][i].as_u64().unwrap() as usize);
            let r = p["value"].as_f64().unwrap();
            worst = worst.max(rel(out.data()[at], r));
            worst_dbl = worst_dbl.max(rel(dbl.data()[at], r));
            if out.data()[at] == r {
                exact += 1;
            }
        }
        let sum: f64 = out.data().sum();
        let sum_abs: f64 = out.data().iter().map(|v| v.abs()).sum();
        let sum_roi: f64 = out
            .data()
            .iter()
            .zip(mask.roi().iter())
            .filter(|(_, &b)| b)
            .map(|(v, _)| v)
            .sum();
        let (rs, ra, rr) = (
            rel(sum, case["sum"].as_f64().unwrap()),
            rel(sum_abs, case["sum_abs"].as_f64().unwrap()),
            rel(sum_roi, case["sum_roi"].as_f64().unwrap()),
        );
        eprintln!(
            "{}: {exact}/{} voxels bit-equal, worst rel {worst:.1e} (f64 intermediates {worst_dbl:.1e}); sums rel {rs:.1e}, |.| {ra:.1e}, ROI {rr:.1e}",
            case["name"].as_str().unwrap(),
            points.len()
        );
        assert!(
            worst <= 1e-6,
            "sigma {sigma}: worst relative error {worst:e}"
        );
        assert!(
            rs <= 1e-6 && ra <= 1e-6 && rr <= 1e-6,
            "sigma {sigma}: sums {rs:e} {ra:e} {rr:e}"
        );
    }
}

/// How much the values inside the ROI's bounding box change when the LoG is computed on a crop (bounding
/// box grown by `margin` voxels per axis) instead of the whole image: max |crop − whole| / max |whole|
/// over the box.
fn crop_change(
    image: &Image,
    whole: &Image,
    mask: &Mask,
    sigma: f64,
    margin: [usize; 3],
    p: Precision,
) -> f64 {
    let bb = mask.bounding_box().unwrap();
    let size = image.size();
    let dim = [size[2], size[1], size[0]];
    let mut lo = [0usize; 3];
    let mut hi = [0usize; 3];
    for a in 0..3 {
        let m = margin[2 - a];
        lo[a] = bb.lower[a].saturating_sub(m);
        hi[a] = (bb.upper[a] + m).min(dim[a] - 1);
    }
    let crop = image
        .data()
        .slice(s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]])
        .to_owned();
    let geometry = Geometry {
        origin: image
            .geometry()
            .index_to_world([lo[2] as f64, lo[1] as f64, lo[0] as f64]),
        ..*image.geometry()
    };
    let cropped = log_with(&Image::new(crop, geometry).unwrap(), sigma, p).unwrap();
    let mut diff: f64 = 0.0;
    let mut scale: f64 = 0.0;
    for z in bb.lower[0]..=bb.upper[0] {
        for y in bb.lower[1]..=bb.upper[1] {
            for x in bb.lower[2]..=bb.upper[2] {
                let w = whole.data()[[z, y, x]];
                let c = cropped.data()[[z - lo[0], y - lo[1], x - lo[2]]];
                diff = diff.max((w - c).abs());
                scale = scale.max(w.abs());
            }
        }
    }
    diff / scale
}

#[test]
fn log_margin_keeps_bbox_values() {
    let data = require_data!();
    let (image, mask) = load(&data, "brain1");
    let spacing = image.spacing();
    for sigma in [1.0, 3.0, 5.0] {
        let whole = log_with(&image, sigma, Precision::Double).unwrap();
        let whole_itk = log_with(&image, sigma, Precision::Itk).unwrap();
        // The curve: margin k * sigma / spacing + 4 voxels per axis.
        let mut line = format!("sigma {sigma}:");
        for k in [4.0, 8.0, 12.0, 14.0, 16.0] {
            let m: [usize; 3] =
                std::array::from_fn(|a| (k * sigma / spacing[a]).ceil() as usize + 4);
            let change = crop_change(&image, &whole, &mask, sigma, m, Precision::Double);
            line += &format!(" k={k}: {change:.1e}");
        }
        let chosen = log_margin(sigma, spacing);
        let change = crop_change(&image, &whole, &mask, sigma, chosen, Precision::Double);
        let itk = crop_change(&image, &whole_itk, &mask, sigma, chosen, Precision::Itk);
        eprintln!("{line}; chosen {chosen:?}: {change:.1e} (f32 intermediates {itk:.1e})");
        assert!(
            change <= 1e-9,
            "sigma {sigma}: margin {chosen:?} changes the box by {change:e}"
        );
        assert!(itk <= 1e-6, "sigma {sigma}: f32 crop change {itk:e}");
    }
}

#[test]
fn resampling_a_label_mask_keeps_labels_and_onto_is_exact_on_ramps() {
    // A two-label image: resampling each label's mask gives disjoint masks that cover what the
    // nearest-neighbour resampling of the label image gives.
    let g = Geometry {
        spacing: [0.7, 0.9, 2.5],
        origin: [3.0, -4.0, 10.0],
        direction: [0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    };
    let labels = Array3::from_shape_fn((10, 24, 20), |(z, y, x)| {
        if (2..8).contains(&z) && (4..12).contains(&y) && (3..9).contains(&x) {
            1.0
        } else if (3..7).contains(&z) && (14..20).contains(&y) && (10..17).contains(&x) {
            2.0
        } else {
            0.0
        }
    });
    let label_img = Image::new(labels, g).unwrap();
    let m1 = Mask::from_labels(&label_img, 1).unwrap();
    let m2 = Mask::from_labels(&label_img, 2).unwrap();
    let target = Geometry {
        spacing: [1.1, 1.3, 1.7],
        ..g
    };
    let size = [14, 18, 16];
    let nn = resample_onto(&label_img, &target, size, Interpolator::Nearest).unwrap();
    let r1 = radiomics::preprocess::resample::resample_mask(&m1, &target, size);
    let r2 = radiomics::preprocess::resample::resample_mask(&m2, &target, size);
    let mut seen = [0usize; 3];
    for ((z, y, x), &v) in nn.data().indexed_iter() {
        assert!(v == 0.0 || v == 1.0 || v == 2.0, "label {v}");
        assert_eq!(r1[[z, y, x]], v == 1.0);
        assert_eq!(r2[[z, y, x]], v == 2.0);
        seen[v as usize] += 1;
    }
    assert!(seen[1] > 0 && seen[2] > 0, "{seen:?}");

    // Linear resampling of a ramp onto a rotated grid is exact at every voxel inside the source.
    let ramp = Array3::from_shape_fn((10, 24, 20), |(z, y, x)| {
        1.5 * x as f64 - 0.5 * y as f64 + 4.0 * z as f64
    });
    let img = Image::new(ramp, g).unwrap();
    let out = resample_onto(&img, &target, size, Interpolator::Linear).unwrap();
    let mut checked = 0;
    for ((z, y, x), &v) in out.data().indexed_iter() {
        let w = target.index_to_world([x as f64, y as f64, z as f64]);
        let i = g.world_to_index(w);
        if (0..3).all(|a| i[a] >= 0.0 && i[a] <= [19.0, 23.0, 9.0][a]) {
            let expect = 1.5 * i[0] - 0.5 * i[1] + 4.0 * i[2];
            assert!((v - expect).abs() < 1e-9, "({x},{y},{z}): {v} vs {expect}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}
