//! Options without effect are warnings (on the feature set, and through the C API's warning channel),
//! never a change of numbers; settings PyRadiomics would accept for a surprising result are refused.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::null_mut;

use ndarray::Array3;
use radiomics::capi::*;
use radiomics::case::CaseExtractor;
use radiomics::{ErrorKind, Extractor, Features, Geometry, Image, Settings};

fn case() -> (Image, Image) {
    let g = Geometry::new([0.9, 0.9, 2.0], [0.0; 3]);
    let img = Array3::from_shape_fn((6, 10, 10), |(z, y, x)| {
        ((x * 7 + y * 3 + z * 5) % 37) as f64
    });
    let lab = Array3::from_shape_fn((6, 10, 10), |(z, y, x)| {
        f64::from(u8::from(
            (1..5).contains(&z) && (2..8).contains(&y) && (3..8).contains(&x),
        ))
    });
    (Image::new(img, g).unwrap(), Image::new(lab, g).unwrap())
}

fn extract(yaml: &str) -> Features {
    let (img, lab) = case();
    Extractor::new(Settings::from_yaml_str(yaml).unwrap())
        .extract(&img, &lab)
        .unwrap()
}

/// Each option with the document that lacks it, and a text its warning holds.
const PAIRS: &[(&str, &str, &str)] = &[
    ("setting: {binWidth: 5, binCount: 8}", "setting: {binCount: 8}", "binCount 8 takes precedence"),
    ("setting: {sigma: [1.0]}", "", "only the LoG image type"),
    ("setting: {wavelet: db2, level: 2}", "", "only the Wavelet image type"),
    ("imageType: {Original: {label: 2}}", "imageType: {Original: {}}", "read once for the whole case"),
    (
        "imageType: {Original: {resampledPixelSpacing: [2, 2, 2]}}",
        "imageType: {Original: {}}",
        "read once for the whole case",
    ),
    (
        "imageType: {Original: {sigma: [2.0]}, LoG: {sigma: [1.0]}}",
        "imageType: {Original: {}, LoG: {sigma: [1.0]}}",
        "only the LoG image type",
    ),
    ("setting: {interpolator: sitkLinear}", "", "resampledPixelSpacing is not set"),
    ("setting: {normalizeScale: 100, removeOutliers: 2}", "", "normalize is not true"),
    ("setting: {padDistance: 9}", "", "neither resampledPixelSpacing nor preCrop"),
    (
        "setting: {preCrop: true, correctMask: true, resampledPixelSpacing: [2, 2, 2]}",
        "setting: {resampledPixelSpacing: [2, 2, 2]}",
        "resampling crops",
    ),
    ("setting: {resegmentMode: sigma, resegmentShape: true}", "", "resegmentRange is not set"),
    ("setting: {force2Ddimension: 1}", "", "force2D is not true"),
    (
        "featureClass: {firstorder: }\nsetting: {distances: [2], gldm_a: 2, weightingNorm: euclidean}",
        "featureClass: {firstorder: }",
        "none is enabled",
    ),
    ("featureClass: {glcm: }\nsetting: {voxelArrayShift: 100}", "featureClass: {glcm: }", "firstorder"),
    ("featureClass: {shape: }\nsetting: {binWidth: 3}", "featureClass: {shape: }", "none is enabled"),
    (
        "featureClass: {shape2D: , firstorder: }",
        "featureClass: {firstorder: }",
        "force2D: true",
    ),
    ("voxelSetting: {kernelRadius: 2}", "", "voxel-based extraction only"),
    ("featureClass: {}", "", "every feature class is enabled"),
    ("imageType: {}", "", "original image alone"),
];

#[test]
fn options_without_effect_warn_and_change_no_feature() {
    for (with, without, needle) in PAIRS {
        let a = extract(with);
        let b = extract(without);
        assert_eq!(a.names(), b.names(), "{with}");
        for ((n, x), y) in a.iter().zip(b.values()) {
            assert_eq!(x.to_bits(), y.to_bits(), "{with}: {n}");
        }
        assert!(
            a.warnings().iter().any(|w| w.contains(needle)),
            "{with}: {:?}",
            a.warnings()
        );
        assert!(b.warnings().is_empty(), "{without}: {:?}", b.warnings());
    }
}

#[test]
fn multi_sequence_cases_prefix_the_warnings_with_the_modality() {
    let (img, lab) = case();
    let ex = CaseExtractor::new(Settings::from_yaml_str("featureClass: {firstorder: }").unwrap())
        .with_modality(
            "adc",
            Settings::from_yaml_str("featureClass: {firstorder: }\nsetting: {normalizeScale: 10}")
                .unwrap(),
        )
        .unwrap();
    let case = radiomics::case::Case {
        images: vec![("t1".into(), img.clone()), ("adc".into(), img)],
        mask: lab,
    };
    let f = ex.extract(&case).unwrap();
    assert_eq!(
        f.warnings(),
        ["adc: setting 'normalizeScale' has no effect: normalize is not true"]
    );
}

#[test]
fn settings_refusals() {
    for yaml in [
        "imageType: {LoG: {}}",
        "imageType: {LoG: {sigma: []}}",
        "imageType: {Original: {}, LoG: }",
        "setting: {sigma: []}\nimageType: {LoG: {}}",
        "setting: {sigma: [1.0]}\nimageType: {LoG: {sigma: }}",
    ] {
        let e = Settings::from_yaml_str(yaml).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedSetting, "{yaml}");
        assert!(
            e.message().contains("image type 'LoG' has no sigma"),
            "{yaml}: {e}"
        );
    }
    for yaml in [
        "imageType: {LoG: {sigma: [0]}}",
        "imageType: {LoG: {sigma: [-1.0]}}",
    ] {
        let e = Settings::from_yaml_str(yaml).unwrap_err();
        assert!(e.message().contains("setting 'sigma'"), "{yaml}: {e}");
    }
    // 2^53 - 1 is the largest label; above it neighbouring labels compare equal as doubles.
    assert_eq!(
        Settings::from_yaml_str("setting: {label: 9007199254740991}")
            .unwrap()
            .params()
            .label,
        (1 << 53) - 1
    );
    for label in [
        "9007199254740992",
        "4611686018427387904",
        "9223372036854775807",
    ] {
        let e = Settings::from_yaml_str(&format!("setting: {{label: {label}}}")).unwrap_err();
        assert!(e.message().contains("not exactly representable"), "{e}");
    }
    let e = CaseExtractor::new(Settings::default())
        .with_label(1 << 62)
        .unwrap_err();
    assert!(e.message().contains("setting 'label'"), "{e}");
    let mut s = null_mut();
    assert_eq!(rad_settings_new(&mut s), rad_status::RadOk);
    assert_eq!(
        rad_settings_set_label(s, (1 << 53) + 1),
        rad_status::RadUnsupportedSetting
    );
    rad_settings_free(s);
}

unsafe extern "C" fn collect(user: *mut c_void, level: i32, text: *const c_char) {
    // SAFETY: `user` is the Vec passed below; `text` is a NUL-terminated string for this call.
    let seen = unsafe { &mut *user.cast::<Vec<(i32, String)>>() };
    seen.push((
        level,
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned(),
    ));
}

fn handle(image: &Image) -> *mut rad_image {
    let data: Vec<f64> = image.data().iter().copied().collect();
    let [x, y, z] = image.size();
    let g = image.geometry();
    let mut out = null_mut();
    let st = rad_image_from_buffer(
        data.as_ptr().cast(),
        data.len() * 8,
        rad_dtype::RadFloat64 as i32,
        [x, y, z].as_ptr(),
        g.spacing.as_ptr(),
        g.origin.as_ptr(),
        g.direction.as_ptr(),
        &mut out,
    );
    assert_eq!(st, rad_status::RadOk);
    out
}

#[test]
fn the_c_api_passes_the_warnings_to_the_log_callback_and_keeps_them() {
    let (img, lab) = case();
    let (image, mask) = (handle(&img), handle(&lab));
    let yaml =
        CString::new("featureClass: {firstorder: [Mean]}\nsetting: {binWidth: 5, binCount: 8}")
            .unwrap();
    let mut s = null_mut();
    assert_eq!(
        rad_settings_from_yaml(yaml.as_ptr(), &mut s),
        rad_status::RadOk
    );
    let mut seen: Vec<(i32, String)> = Vec::new();
    let user = (&mut seen as *mut Vec<(i32, String)>).cast();
    assert_eq!(
        rad_set_log_callback(Some(collect), user, 30),
        rad_status::RadOk
    );
    let mut f = null_mut();
    assert_eq!(rad_extract(s, image, mask, &mut f), rad_status::RadOk);
    rad_set_log_callback(None, null_mut(), 10);
    let want = "setting 'binWidth' has no effect: binCount 8 takes precedence, as in PyRadiomics";
    assert_eq!(seen, [(30, want.to_string())]);
    assert_eq!(rad_features_warning_count(f), 1);
    // SAFETY: index 0 is below the count; the text lives as long as `f`.
    assert_eq!(
        unsafe { CStr::from_ptr(rad_features_warning(f, 0)) }
            .to_str()
            .unwrap(),
        want
    );
    rad_features_free(f);
    // The same settings set through the C API's setters: the setter for binWidth clears binCount.
    assert_eq!(rad_settings_set_bin_width(s, 5.0), rad_status::RadOk);
    let mut f = null_mut();
    assert_eq!(rad_extract(s, image, mask, &mut f), rad_status::RadOk);
    assert_eq!(rad_features_warning_count(f), 0);
    rad_features_free(f);
    rad_settings_free(s);
    rad_image_free(image);
    rad_image_free(mask);
}
