//! Derived images (wavelet, square, square root, logarithm, exponential, gradient, LBP2D) against
//! PyRadiomics' own, on brain1; and filtering a crop against filtering the whole image.
//!
//! `tests/data/filters_brain1.json` is written by `tests/make_filters_brain1.py` with PyRadiomics'
//! `imageoperations.get<Type>Image`: per configuration and derived image, values at 50 fixed voxels inside
//! the ROI's bounding box, the sum over the box and the mean |value| over the box.
//!
//! Tolerance: |ours − theirs| ≤ 1e-9 · max(|theirs|, mean |value| over the box). The second term keeps
//! the comparison relative to the image's typical magnitude where a band crosses zero (wavelet details
//! sum dozens of terms that cancel; their absolute rounding error follows the terms, not the result).
#![allow(clippy::needless_range_loop)]

mod common;

use ndarray::s;
use radiomics::filters::{self, LbpMethod};
use radiomics::image::io::read_image;
use radiomics::image::BoundingBox;
use radiomics::{Image, Mask};
use serde_json::Value;

const REL: f64 = 1e-9;

fn load_brain1(data: &std::path::Path) -> (Image, Mask) {
    let dir = data.join("pyradiomics/nifti");
    let image = read_image(dir.join("brain1_image.nii.gz")).unwrap();
    let labels = read_image(dir.join("brain1_label.nii.gz")).unwrap();
    let mask = Mask::from_labels(&labels, 1).unwrap();
    (image, mask)
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/filters_brain1.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// Our derived images for one reference configuration.
fn run(image: &Image, image_type: &str, settings: &Value) -> Vec<(String, Image)> {
    let get_f = |k: &str, d: f64| settings.get(k).and_then(Value::as_f64).unwrap_or(d);
    let get_u = |k: &str, d: u64| settings.get(k).and_then(Value::as_u64).unwrap_or(d) as usize;
    let force2d = settings
        .get("force2D")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let dim2d = get_u("force2Ddimension", 0);
    match image_type {
        "Wavelet" => {
            let name = settings
                .get("wavelet")
                .and_then(Value::as_str)
                .unwrap_or("coif1");
            filters::wavelet_with_force2d(
                image,
                name,
                get_u("start_level", 0),
                get_u("level", 1),
                force2d.then_some(dim2d),
            )
            .unwrap()
        }
        "Square" => vec![("square".into(), filters::square(image))],
        "SquareRoot" => vec![("squareroot".into(), filters::square_root(image))],
        "Logarithm" => vec![("logarithm".into(), filters::logarithm(image))],
        "Exponential" => vec![("exponential".into(), filters::exponential(image))],
        "Gradient" => {
            let spacing = settings
                .get("gradientUseSpacing")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            vec![("gradient".into(), filters::gradient(image, spacing))]
        }
        "LBP2D" => {
            let method = settings
                .get("lbp2DMethod")
                .and_then(Value::as_str)
                .unwrap_or("uniform");
            let img = filters::lbp2d(
                image,
                get_f("lbp2DRadius", 1.0),
                get_u("lbp2DSamples", 8),
                LbpMethod::from_name(method).unwrap(),
                dim2d,
            )
            .unwrap();
            vec![("lbp-2D".into(), img)]
        }
        other => panic!("no filter for image type {other}"),
    }
}

#[test]
fn derived_images_match_pyradiomics_on_brain1() {
    let data = require_data!();
    let (image, _) = load_brain1(&data);
    let reference = reference();
    let voxels: Vec<Vec<usize>> = reference["voxels"]
        .as_array()
        .unwrap()
        .iter()
        .map(usizes)
        .collect();
    let lower = usizes(&reference["bbox_lower"]);
    let upper = usizes(&reference["bbox_upper"]);
    let (mut compared, mut failed, mut worst) = (0usize, Vec::new(), (0.0f64, String::new()));
    for config in reference["configs"].as_array().unwrap() {
        let key = config["key"].as_str().unwrap();
        let ours = run(
            &image,
            config["image_type"].as_str().unwrap(),
            &config["settings"],
        );
        let theirs = config["images"].as_array().unwrap();
        let mut config_worst = (0.0f64, String::new());
        let names: Vec<&str> = ours.iter().map(|(n, _)| n.as_str()).collect();
        let want: Vec<&str> = theirs.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, want, "{key}: names and order");
        for ((name, img), t) in ours.iter().zip(theirs) {
            let scale = t["bbox_mean_abs"].as_f64().unwrap();
            let mut check = |what: String, a: f64, b: f64, scale: f64| {
                compared += 1;
                let err = (a - b).abs() / b.abs().max(scale);
                if err > config_worst.0 {
                    config_worst = (err, format!("{key} {name} {what}"));
                }
                if err.is_nan() || err > REL {
                    failed.push(format!("{key} {name} {what}: ours {a}, PyRadiomics {b}"));
                }
            };
            let arr = img.data();
            for (v, b) in voxels.iter().zip(t["values"].as_array().unwrap()) {
                check(
                    format!("at {v:?}"),
                    arr[[v[0], v[1], v[2]]],
                    b.as_f64().unwrap(),
                    scale,
                );
            }
            let part = arr.slice(s![
                lower[0]..=upper[0],
                lower[1]..=upper[1],
                lower[2]..=upper[2]
            ]);
            check(
                "bbox sum".into(),
                part.sum(),
                t["bbox_sum"].as_f64().unwrap(),
                scale * part.len() as f64,
            );
        }
        eprintln!("{key}: worst relative error {:.3e}", config_worst.0);
        if config_worst.0 >= worst.0 {
            worst = config_worst;
        }
    }
    eprintln!(
        "filters: {compared} values compared, worst relative error {:.3e} ({})",
        worst.0, worst.1
    );
    assert!(
        failed.is_empty(),
        "{} mismatches:\n{}",
        failed.len(),
        failed.join("\n")
    );
    // 15 configurations, 49 derived images, 51 numbers each.
    assert_eq!(compared, 49 * 51);
}

/// `image` cropped to `region` (same spacing; origin is irrelevant to the filters).
fn crop(image: &Image, region: &BoundingBox) -> Image {
    let (l, u) = (region.lower, region.upper);
    let part = image
        .data()
        .slice(s![l[0]..=u[0], l[1]..=u[1], l[2]..=u[2]])
        .to_owned();
    Image::new(part, *image.geometry()).unwrap()
}

/// Asserts that `cropped` (filtered on `region`) equals `whole` inside `bbox`, bit for bit.
fn assert_same_in_box(
    what: &str,
    whole: &Image,
    cropped: &Image,
    region: &BoundingBox,
    bbox: &BoundingBox,
) {
    let (w, c) = (whole.data(), cropped.data());
    let mut n = 0;
    for z in bbox.lower[0]..=bbox.upper[0] {
        for y in bbox.lower[1]..=bbox.upper[1] {
            for x in bbox.lower[2]..=bbox.upper[2] {
                let a = w[[z, y, x]];
                let b = c[[
                    z - region.lower[0],
                    y - region.lower[1],
                    x - region.lower[2],
                ]];
                assert!(
                    a == b || (a.is_nan() && b.is_nan()),
                    "{what}: at {:?} whole image gives {a}, crop gives {b}",
                    [z, y, x]
                );
                n += 1;
            }
        }
    }
    assert!(n > 0);
}

fn dim(image: &Image) -> [usize; 3] {
    let s = image.size();
    [s[2], s[1], s[0]]
}

#[test]
fn filtering_a_crop_with_its_margin_equals_filtering_the_whole_image() {
    let data = require_data!();
    let (image, mask) = load_brain1(&data);
    let bbox = mask.bounding_box().unwrap();
    let dim = dim(&image);

    for (name, start, level, force2d) in [
        ("coif1", 0, 1, None),
        ("haar", 0, 2, None),
        ("db3", 1, 1, None),
        ("sym4", 0, 1, Some(0)),
    ] {
        let margin = filters::wavelet_margin(name, start, level, force2d).unwrap();
        let region = filters::filter_region(&bbox, margin, dim, true);
        // brain1's box with these margins stays inside the image: a true crop on every axis.
        assert!(
            region.shape().iter().zip(dim).all(|(a, b)| *a < b),
            "{name}"
        );
        let whole = filters::wavelet_with_force2d(&image, name, start, level, force2d).unwrap();
        let part =
            filters::wavelet_with_force2d(&crop(&image, &region), name, start, level, force2d)
                .unwrap();
        for ((n, w), (_, p)) in whole.iter().zip(&part) {
            assert_same_in_box(&format!("{name} {n}"), w, p, &region, &bbox);
        }
    }

    let max = filters::max_abs(&image);
    let region = filters::filter_region(&bbox, [0; 3], dim, false);
    let part = crop(&image, &region);
    assert_same_in_box(
        "square",
        &filters::square(&image),
        &filters::square_with_max(&part, max),
        &region,
        &bbox,
    );
    assert_same_in_box(
        "squareroot",
        &filters::square_root(&image),
        &filters::square_root_with_max(&part, max),
        &region,
        &bbox,
    );
    assert_same_in_box(
        "logarithm",
        &filters::logarithm(&image),
        &filters::logarithm_with_max(&part, max),
        &region,
        &bbox,
    );
    assert_same_in_box(
        "exponential",
        &filters::exponential(&image),
        &filters::exponential_with_max(&part, max),
        &region,
        &bbox,
    );

    let region = filters::filter_region(&bbox, filters::GRADIENT_MARGIN, dim, false);
    assert_same_in_box(
        "gradient",
        &filters::gradient(&image, true),
        &filters::gradient(&crop(&image, &region), true),
        &region,
        &bbox,
    );

    for (radius, d) in [(1.0, 0), (2.0, 1), (1.5, 2)] {
        let region = filters::filter_region(&bbox, filters::lbp2d_margin(radius, d), dim, false);
        let lbp = |img: &Image| filters::lbp2d(img, radius, 8, LbpMethod::Default, d).unwrap();
        assert_same_in_box(
            &format!("lbp2d R={radius} d={d}"),
            &lbp(&image),
            &lbp(&crop(&image, &region)),
            &region,
            &bbox,
        );
    }
}

#[test]
fn a_crop_without_enough_margin_differs() {
    // The margins are not generous by accident: one voxel less changes values inside the box.
    let data = require_data!();
    let (image, mask) = load_brain1(&data);
    let bbox = mask.bounding_box().unwrap();
    let dim = dim(&image);
    let mut margin = filters::wavelet_margin("coif1", 0, 1, None).unwrap();
    margin[2] -= 1;
    let region = filters::filter_region(&bbox, margin, dim, true);
    let whole = filters::wavelet(&image, "coif1", 0, 1).unwrap();
    let part = filters::wavelet(&crop(&image, &region), "coif1", 0, 1).unwrap();
    let differs = whole.iter().zip(&part).any(|((_, w), (_, p))| {
        let (l, u) = (bbox.lower, bbox.upper);
        (l[1]..=u[1]).any(|y| {
            [l[2], u[2]].iter().any(|&x| {
                let z = (l[0] + u[0]) / 2;
                w.data()[[z, y, x]]
                    != p.data()[[
                        z - region.lower[0],
                        y - region.lower[1],
                        x - region.lower[2],
                    ]]
            })
        })
    });
    assert!(
        differs,
        "a margin one voxel short along x should change the box's edge values"
    );
}

#[test]
fn periodic_wavelet_near_the_border_keeps_the_whole_axis() {
    // A ROI touching the x border: the wavelet wraps around, so the region takes the whole x axis (and only
    // it), and the crop then matches the whole image inside the box.
    let data = ndarray::Array3::from_shape_fn((9, 10, 11), |(z, y, x)| {
        ((z * 31 + y * 17 + x * 7) % 13) as f64 - 4.0
    });
    let image = Image::new(data, radiomics::Geometry::default()).unwrap();
    let bbox = BoundingBox {
        lower: [3, 4, 0],
        upper: [5, 5, 2],
    };
    let margin = filters::wavelet_margin("coif1", 0, 1, None).unwrap();
    let region = filters::filter_region(&bbox, margin, [9, 10, 11], true);
    assert_eq!(region.lower, [0, 1, 0]);
    assert_eq!(region.upper, [8, 8, 10]);
    let whole = filters::wavelet(&image, "coif1", 0, 1).unwrap();
    let part = filters::wavelet(&crop(&image, &region), "coif1", 0, 1).unwrap();
    for ((n, w), (_, p)) in whole.iter().zip(&part) {
        assert_same_in_box(n, w, p, &region, &bbox);
    }
    // Clipping at the border instead (a non-periodic crop) would not match.
    let clipped = filters::filter_region(&bbox, margin, [9, 10, 11], false);
    assert_eq!(clipped.upper[2], 5);
    let part = filters::wavelet(&crop(&image, &clipped), "coif1", 0, 1).unwrap();
    let (w, p) = (whole[0].1.data(), part[0].1.data());
    assert_ne!(
        w[[4, 4, 0]],
        p[[4 - clipped.lower[0], 4 - clipped.lower[1], 0]]
    );
}

#[test]
fn lbp3d_matches_pyradiomics_on_brain1() {
    // tests/data/lbp3d_brain1.json: PyRadiomics' getLBP3DImage (see tests/make_lbp3d_brain1.py), values at
    // 50 ROI voxels, which must be equal bit for bit, and the sum over the ROI (NaN written as null).
    let data = require_data!();
    let (image, mask) = load_brain1(&data);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/lbp3d_brain1.json");
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let voxels: Vec<Vec<usize>> = reference["voxels"]
        .as_array()
        .unwrap()
        .iter()
        .map(usizes)
        .collect();
    let roi = mask.roi();
    let mut worst = 0.0f64;
    let mut compared = 0;
    for config in reference["configs"].as_array().unwrap() {
        let s = &config["settings"];
        let settings = filters::Lbp3dSettings {
            levels: s.get("lbp3DLevels").and_then(Value::as_u64).unwrap_or(2) as usize,
            icosphere_radius: s
                .get("lbp3DIcosphereRadius")
                .and_then(Value::as_f64)
                .unwrap_or(1.0),
            icosphere_subdivision: s
                .get("lbp3DIcosphereSubdivision")
                .and_then(Value::as_u64)
                .unwrap_or(1) as usize,
            integer_samples: true, // brain1 is int16
        };
        let ours = filters::lbp3d(&image, Some(&mask), &settings).unwrap();
        let theirs = config["images"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len());
        for ((name, img), t) in ours.iter().zip(theirs) {
            assert_eq!(name, t["name"].as_str().unwrap());
            let scale = t["roi_mean_abs"].as_f64().unwrap();
            let arr = img.data();
            for (v, b) in voxels.iter().zip(t["values"].as_array().unwrap()) {
                let a = arr[[v[0], v[1], v[2]]];
                match b.as_f64() {
                    None => assert!(a.is_nan(), "{name} at {v:?}: ours {a}, PyRadiomics NaN"),
                    Some(b) => assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "{name} at {v:?}: ours {a:e}, PyRadiomics {b:e}"
                    ),
                }
                compared += 1;
            }
            let inside: Vec<f64> = arr
                .iter()
                .zip(roi.iter())
                .filter(|(_, &r)| r)
                .map(|(&v, _)| v)
                .collect();
            let nan = inside.iter().filter(|v| v.is_nan()).count();
            assert_eq!(
                nan as u64,
                t["roi_nan"].as_u64().unwrap(),
                "{name}: NaN count"
            );
            // The sum over the ROI (numpy's pairwise nansum against a plain sum here): equal to rounding.
            let sum: f64 = inside.iter().filter(|v| !v.is_nan()).sum();
            let want = t["roi_sum"].as_f64().unwrap();
            let err = (sum - want).abs() / want.abs().max(scale * inside.len() as f64);
            worst = worst.max(err);
            assert!(err <= REL, "{name} roi sum: ours {sum}, PyRadiomics {want}");
            compared += 1;
        }
    }
    eprintln!("lbp3d: {compared} values compared, worst relative error {worst:.3e}");
    assert_eq!(compared, 7 * 51);
}
