//! Options that a parameter file may give and that change nothing where they are given: PyRadiomics
//! accepts them silently, and so does this library (the features are exactly those without them), but
//! each is reported as a warning, so that a setting the user believes in never goes unremarked.
//!
//! What counts, in segment-based extraction (each only for a value other than the key's default, except
//! `binWidth` beside `binCount`, where any value is reported):
//!
//! | Given | Ignored because |
//! |---|---|
//! | `binWidth` where `binCount` applies | `binCount` takes precedence (PyRadiomics' rule) |
//! | `sigma`, `start_level`, `level`, `wavelet`, `gradientUseSpacing`, `lbp2D*`, `lbp3D*` | only their image type (LoG, Wavelet, Gradient, LBP2D, LBP3D) reads them, and it is not enabled (or the key is in another type's overrides) |
//! | `distances`, `symmetricalGLCM`, `weightingNorm`, `gldm_a`, `voxelArrayShift`, `binWidth`, `binCount` | no enabled feature class reads them |
//! | `label`, `resampledPixelSpacing`, `normalize`, `resegmentRange`, ... in an image type's overrides | read once for the whole case, before the image types (PyRadiomics passes an image type's overrides only to its filter and its feature classes) |
//! | a key in the `setting` section that every enabled image type overrides | the overrides replace it |
//! | `normalizeScale`, `removeOutliers` without `normalize: true` | nothing is normalised |
//! | `interpolator` without `resampledPixelSpacing` | nothing is resampled |
//! | `padDistance` without `resampledPixelSpacing` or `preCrop` | nothing is cropped with a margin |
//! | `preCrop`, `correctMask` with `resampledPixelSpacing` | resampling crops, and brings image and mask onto one grid |
//! | `resegmentMode`, `resegmentShape` without `resegmentRange` | nothing is re-segmented |
//! | `force2Ddimension` without `force2D` (and without LBP2D) | nothing is computed per slice |
//! | `force2D` with no texture class, no Wavelet image and no `shape2D` | nothing reads it |
//! | feature class `shape2D` without `force2D: true` | PyRadiomics computes 2D shape only with force2D (and warns) |
//! | `featureClass: {}` | an empty section enables every class, as in PyRadiomics |
//! | `imageType: {}` | an empty section enables the original image only, as in PyRadiomics |
//! | the `voxelSetting` section | it applies to voxel-based extraction only |
//!
//! In voxel-based extraction the `voxelSetting` section is read, and the shape classes are not computed.

use serde_json::{Map, Value};

use crate::features::FeatureClass;
use crate::settings::{ImageType, Params, Settings, SETTING_KEYS};

/// Keys read once for the whole case, with the general settings, before any image type: an image
/// type's override of one of them changes nothing.
const CASE_KEYS: &[&str] = &[
    "minimumROIDimensions",
    "minimumROISize",
    "geometryTolerance",
    "correctMask",
    "additionalInfo",
    "label",
    "label_channel",
    "normalize",
    "normalizeScale",
    "removeOutliers",
    "resampledPixelSpacing",
    "interpolator",
    "preCrop",
    "padDistance",
    "resegmentRange",
    "resegmentMode",
    "resegmentShape",
    "threads",
    "maxVoxels",
];

/// Keys only one image type reads.
const TYPE_KEYS: &[(&str, ImageType)] = &[
    ("sigma", ImageType::LoG),
    ("start_level", ImageType::Wavelet),
    ("level", ImageType::Wavelet),
    ("wavelet", ImageType::Wavelet),
    ("gradientUseSpacing", ImageType::Gradient),
    ("lbp2DRadius", ImageType::LBP2D),
    ("lbp2DSamples", ImageType::LBP2D),
    ("lbp2DMethod", ImageType::LBP2D),
    ("lbp3DLevels", ImageType::LBP3D),
    ("lbp3DIcosphereRadius", ImageType::LBP3D),
    ("lbp3DIcosphereSubdivision", ImageType::LBP3D),
];

/// The classes that discretise the image (every class but shape).
const BINNED: &[FeatureClass] = &[
    FeatureClass::FirstOrder,
    FeatureClass::Glcm,
    FeatureClass::Gldm,
    FeatureClass::Glrlm,
    FeatureClass::Glszm,
    FeatureClass::Ngtdm,
];

/// The texture classes (their matrices are built per slice with `force2D`).
const TEXTURE: &[FeatureClass] = &[
    FeatureClass::Glcm,
    FeatureClass::Gldm,
    FeatureClass::Glrlm,
    FeatureClass::Glszm,
    FeatureClass::Ngtdm,
];

/// Keys only some feature classes read.
fn classes_reading(key: &str) -> Option<&'static [FeatureClass]> {
    Some(match key {
        "distances" => &[FeatureClass::Glcm, FeatureClass::Gldm, FeatureClass::Ngtdm],
        "symmetricalGLCM" => &[FeatureClass::Glcm],
        "weightingNorm" => &[FeatureClass::Glcm, FeatureClass::Glrlm],
        "gldm_a" => &[FeatureClass::Gldm],
        "voxelArrayShift" => &[FeatureClass::FirstOrder],
        "binWidth" | "binCount" | "maxGreyLevels" => BINNED,
        _ => return None,
    })
}

/// Whether `value` for `key` is the key's default (then giving it changes nothing wherever it is given).
fn is_default(key: &str, value: &Value) -> bool {
    let mut one = Map::new();
    one.insert(key.to_string(), value.clone());
    let mut p = Params::default();
    p.apply(&one).is_ok() && p == Params::default()
}

/// The keys of a settings map that are given a value (an explicit `null` restores the default: not given).
fn given(map: Option<&Value>) -> Vec<(&str, &Value)> {
    match map {
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(k, v)| !v.is_null() && SETTING_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v))
            .collect(),
        _ => Vec::new(),
    }
}

fn names(classes: &[FeatureClass]) -> String {
    classes
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Settings {
    /// Warnings for the options of these settings that are accepted but have no effect in segment-based
    /// extraction (`voxel_based` false) or voxel-based extraction (true): see [`crate::ignored`]. Empty
    /// for settings where every option given takes part. The features never depend on them.
    pub fn ignored_options(&self, voxel_based: bool) -> Vec<String> {
        if self.ibsi().is_some() {
            return Vec::new();
        }
        let doc = self.to_value();
        let mut out = Vec::new();
        let classes: Vec<FeatureClass> = self.feature_classes().iter().map(|(c, _)| *c).collect();
        // Classes that are computed at all: no shape class in voxel-based extraction, no shape2D
        // without force2D.
        let general = self.params();
        let computed: Vec<FeatureClass> = classes
            .iter()
            .copied()
            .filter(|c| !(voxel_based && c.is_shape()))
            .filter(|c| *c != FeatureClass::Shape2D || general.texture.force2d)
            .collect();
        let setting = doc.get("setting");
        let image_types = doc.get("imageType").and_then(Value::as_object);

        // Sections that enable a default set when empty.
        if doc
            .get("featureClass")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            out.push(
                "featureClass is empty: every feature class is enabled, as PyRadiomics does (list the \
                 classes wanted, or leave the section out)"
                    .to_string(),
            );
        }
        if image_types.is_some_and(Map::is_empty) {
            out.push(
                "imageType is empty: the original image alone is used, as PyRadiomics does (list the \
                 image types wanted, or leave the section out)"
                    .to_string(),
            );
        }
        if let Some(Value::Object(m)) = doc.get("featureClass") {
            for shape in [FeatureClass::Shape, FeatureClass::Shape2D] {
                if !m.contains_key(shape.name()) {
                    continue;
                }
                if voxel_based {
                    out.push(format!(
                        "feature class '{}' is not computed in voxel-based extraction (as in PyRadiomics)",
                        shape.name()
                    ));
                } else if shape == FeatureClass::Shape2D && !general.texture.force2d {
                    out.push(
                        "feature class 'shape2D' is computed only with force2D: true (PyRadiomics skips \
                         it too)"
                            .to_string(),
                    );
                }
            }
        }
        if !voxel_based
            && doc
                .get("voxelSetting")
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
        {
            out.push(
                "the voxelSetting section has no effect here: it applies to voxel-based extraction only"
                    .to_string(),
            );
        }

        // Why `key` changes nothing for image type `kind` with effective parameters `p` (None: it is
        // read). Keys read once per case are not judged here.
        let reason = |key: &str, kind: ImageType, p: &Params| -> Option<String> {
            if let Some((_, reader)) = TYPE_KEYS.iter().find(|(k, _)| *k == key) {
                if *reader != kind {
                    return Some(format!("only the {} image type reads it", reader.name()));
                }
                return None;
            }
            if let Some(readers) = classes_reading(key) {
                if !readers.iter().any(|c| computed.contains(c)) {
                    return Some(format!(
                        "only the feature classes {} read it, and none is enabled",
                        names(readers)
                    ));
                }
            }
            match key {
                "binWidth" => p
                    .bin_count
                    .map(|n| format!("binCount {n} takes precedence, as in PyRadiomics")),
                "force2D"
                    if kind != ImageType::Wavelet
                        && !TEXTURE.iter().any(|c| computed.contains(c)) =>
                {
                    Some("no texture class is enabled and the image is no wavelet".to_string())
                }
                "force2Ddimension" if !p.texture.force2d && kind != ImageType::LBP2D => {
                    Some("force2D is not true".to_string())
                }
                _ => None,
            }
        };

        let enabled = self.image_types();
        // The `setting` section: ignored when every enabled image type ignores it or overrides it, and
        // the case-wide stages do not read it.
        for (key, value) in given(setting) {
            let conflict = key == "binWidth" && general.bin_count.is_some();
            if is_default(key, value) && !conflict {
                continue;
            }
            if let Some(why) = case_key_ignored(key, general) {
                out.push(format!("setting '{key}' has no effect: {why}"));
                continue;
            }
            if CASE_KEYS.contains(&key) {
                continue;
            }
            // shape2D reads force2D and force2Ddimension from the general settings.
            let shape2d = computed.contains(&FeatureClass::Shape2D);
            if shape2d && (key == "force2D" || key == "force2Ddimension") {
                continue;
            }
            let mut why: Vec<String> = Vec::new();
            let mut read = false;
            for it in enabled {
                let overridden = image_types
                    .and_then(|m| m.get(it.kind.name()))
                    .and_then(Value::as_object)
                    .is_some_and(|o| o.get(key).is_some_and(|v| !v.is_null()));
                let r = if overridden {
                    Some(format!("image type '{}' overrides it", it.kind.name()))
                } else {
                    reason(key, it.kind, &it.params)
                };
                match r {
                    Some(r) if !why.contains(&r) => why.push(r),
                    Some(_) => {}
                    None => read = true,
                }
            }
            if !read {
                if enabled.is_empty() {
                    why.push("no image type is enabled".to_string());
                }
                out.push(format!("setting '{key}' has no effect: {}", why.join("; ")));
            }
        }

        // Each image type's overrides.
        for it in enabled {
            let overrides = image_types.and_then(|m| m.get(it.kind.name()));
            for (key, value) in given(overrides) {
                let conflict = key == "binWidth" && it.params.bin_count.is_some();
                if is_default(key, value) && !conflict {
                    continue;
                }
                let why = if CASE_KEYS.contains(&key) {
                    Some(
                        "it is read once for the whole case, before the image types (give it in the \
                         setting section)"
                            .to_string(),
                    )
                } else {
                    reason(key, it.kind, &it.params)
                };
                if let Some(why) = why {
                    out.push(format!(
                        "image type '{}': setting '{key}' has no effect: {why}",
                        it.kind.name()
                    ));
                }
            }
        }
        out
    }
}

/// Why a key of the general settings that the case-wide stages read changes nothing (None: it does).
fn case_key_ignored(key: &str, p: &Params) -> Option<&'static str> {
    let resampling = p.resampled_pixel_spacing.is_some();
    match key {
        "normalizeScale" | "removeOutliers" if !p.normalize => Some("normalize is not true"),
        "interpolator" if !resampling => Some("resampledPixelSpacing is not set"),
        "padDistance" if !resampling && !p.pre_crop => {
            Some("neither resampledPixelSpacing nor preCrop is set")
        }
        "preCrop" if resampling => {
            Some("resampledPixelSpacing is set, and resampling crops to the ROI itself")
        }
        "correctMask" if resampling => Some(
            "resampledPixelSpacing is set, and resampling brings image and mask onto one grid itself",
        ),
        "resegmentMode" | "resegmentShape" if p.resegment_range.is_none() => {
            Some("resegmentRange is not set")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(yaml: &str) -> Vec<String> {
        Settings::from_yaml_str(yaml)
            .unwrap()
            .ignored_options(false)
    }

    fn one(yaml: &str, needle: &str) {
        let w = warnings(yaml);
        assert_eq!(w.len(), 1, "{yaml}: {w:?}");
        assert!(w[0].contains(needle), "{yaml}: {w:?}");
    }

    #[test]
    fn ordinary_settings_warn_of_nothing() {
        for yaml in [
            "",
            "setting: {binWidth: 25, label: 1, interpolator: sitkBSpline, resampledPixelSpacing: , weightingNorm: }",
            "imageType: {Original: {}, LoG: {sigma: [1.0, 2.0]}, Wavelet: {}}\nsetting: {binCount: 32}",
            "imageType: {Original: {}, LoG: {sigma: [1.0], binWidth: 5}}\nsetting: {binWidth: 10}",
            "setting: {resampledPixelSpacing: [2, 2, 2], interpolator: sitkLinear, padDistance: 3}",
            "setting: {normalize: true, normalizeScale: 100, removeOutliers: 3}",
            "setting: {force2D: true, force2Ddimension: 1}",
            "setting: {resegmentRange: [-100, 200], resegmentMode: relative, resegmentShape: true}",
            "featureClass: {glcm: [Contrast]}\nsetting: {distances: [1, 2], symmetricalGLCM: false, weightingNorm: euclidean}",
            "setting: {sigma: [1.0]}\nimageType: {LoG: {}}",
            "setting: {preCrop: true, padDistance: 2}",
            "featureClass: {shape2D: }\nsetting: {force2D: true}",
            "ibsi: {}",
        ] {
            let s = Settings::from_yaml_str(yaml);
            if let Ok(s) = s {
                assert_eq!(s.ignored_options(false), Vec::<String>::new(), "{yaml}");
            }
        }
    }

    #[test]
    fn bin_width_beside_bin_count_is_reported() {
        one(
            "setting: {binWidth: 25, binCount: 16}",
            "binCount 16 takes precedence",
        );
        one(
            "setting: {binCount: 16}\nimageType: {Original: {binWidth: 3}}",
            "image type 'Original': setting 'binWidth'",
        );
        // binCount only for LoG: the general binWidth still serves the original image.
        assert!(warnings(
            "setting: {binWidth: 5}\nimageType: {Original: {}, LoG: {sigma: [1.0], binCount: 8}}"
        )
        .is_empty());
    }

    #[test]
    fn keys_of_image_types_not_enabled_are_reported() {
        one("setting: {sigma: [1.0, 3.0]}", "only the LoG image type");
        one("setting: {wavelet: db2}", "only the Wavelet image type");
        one("setting: {lbp2DRadius: 2}", "only the LBP2D image type");
        one(
            "setting: {gradientUseSpacing: false}",
            "only the Gradient image type",
        );
        one(
            "imageType: {Original: {sigma: [2.0]}, LoG: {sigma: [1.0]}}",
            "image type 'Original': setting 'sigma'",
        );
    }

    #[test]
    fn case_wide_keys_in_an_override_are_reported() {
        one(
            "imageType: {LoG: {sigma: [1.0], label: 2}}",
            "read once for the whole case",
        );
        one(
            "imageType: {Original: {resampledPixelSpacing: [2, 2, 2]}}",
            "image type 'Original': setting 'resampledPixelSpacing'",
        );
    }

    #[test]
    fn dependent_keys_without_their_switch_are_reported() {
        one("setting: {normalizeScale: 100}", "normalize is not true");
        one("setting: {removeOutliers: 3}", "normalize is not true");
        one(
            "setting: {interpolator: sitkLinear}",
            "resampledPixelSpacing is not set",
        );
        one(
            "setting: {padDistance: 10}",
            "neither resampledPixelSpacing nor preCrop",
        );
        one(
            "setting: {preCrop: true, resampledPixelSpacing: [1, 1, 1]}",
            "resampling crops",
        );
        one(
            "setting: {correctMask: true, resampledPixelSpacing: [1, 1, 1]}",
            "one grid",
        );
        one(
            "setting: {resegmentMode: sigma}",
            "resegmentRange is not set",
        );
        one("setting: {force2Ddimension: 2}", "force2D is not true");
    }

    #[test]
    fn class_keys_without_their_class_are_reported() {
        one(
            "featureClass: {firstorder: }\nsetting: {distances: [2]}",
            "glcm, gldm, ngtdm",
        );
        one("featureClass: {glcm: }\nsetting: {gldm_a: 2}", "gldm");
        one(
            "featureClass: {glcm: }\nsetting: {voxelArrayShift: 1000}",
            "firstorder",
        );
        one(
            "featureClass: {shape: }\nsetting: {binWidth: 5}",
            "none is enabled",
        );
        one(
            "featureClass: {firstorder: }\nsetting: {force2D: true}",
            "no texture class",
        );
    }

    #[test]
    fn sections_and_classes_that_do_nothing_are_reported() {
        one("featureClass: {}", "every feature class is enabled");
        one("imageType: {}", "original image alone");
        one("featureClass: {shape2D: }", "force2D: true");
        one(
            "voxelSetting: {kernelRadius: 2}",
            "voxel-based extraction only",
        );
        let s = Settings::from_yaml_str(
            "voxelSetting: {kernelRadius: 2}\nfeatureClass: {shape: , glcm: }",
        )
        .unwrap();
        let w = s.ignored_options(true);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("'shape' is not computed in voxel-based"),
            "{w:?}"
        );
    }

    #[test]
    fn a_setting_every_image_type_overrides_is_reported() {
        one(
            "setting: {binWidth: 5}\nimageType: {Original: {binWidth: 10}, LoG: {sigma: [1.0], binWidth: 20}}",
            "overrides it",
        );
    }
}
