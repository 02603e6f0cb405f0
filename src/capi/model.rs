//! `rad_model`: a trained model file, and prediction from a feature set or from a case's images.

use std::ffi::{c_char, CString};
use std::path::Path;

use crate::case::Case;
use crate::error::{Error, ErrorKind, Result};
use crate::learn::Model;

use super::error::{boundary, null_arg, out_ptr, rad_status, str_arg, write_out};
use super::features::rad_features;
use super::handle::BoxHandle;
use super::image::rad_image;

/// A trained model (the versioned, checksummed JSON file written by `radiomics train` or
/// `radiomics demo`): its input feature names, selected features, scaler, classifier, decision threshold
/// and the extraction settings its features were computed with. Opaque; made by `rad_model_load` or
/// `rad_model_from_json`, freed by `rad_model_free`. Immutable: one model may be used by several threads
/// at once.
pub struct rad_model {
    _private: [u8; 0],
}

/// The Rust side of `rad_model`: the model and its feature names as C strings.
pub(crate) struct ModelHandle {
    model: Model,
    c_names: Vec<CString>,
}

impl BoxHandle for rad_model {
    type Inner = ModelHandle;
}

impl ModelHandle {
    fn new(model: Model) -> Result<ModelHandle> {
        let c_names = model
            .feature_names
            .iter()
            .map(|n| {
                CString::new(n.as_str()).map_err(|_| {
                    Error::new(
                        ErrorKind::ModelMismatch,
                        format!("the model's feature name {n:?} holds a NUL byte"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ModelHandle { model, c_names })
    }
}

fn give(out: *mut *mut rad_model, model: Model) -> Result<()> {
    write_out(out, rad_model::into_handle(ModelHandle::new(model)?));
    Ok(())
}

/// Reads a model file (JSON), checking its format version and checksum.
///
/// On success `*out` receives a new model, owned by the caller and freed with `rad_model_free`; on failure
/// `*out` is left as it was. Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument; `RAD_IO` when
/// the file cannot be read; `RAD_MODEL_MISMATCH` when it is not a model file (invalid JSON, unknown format
/// version, failed checksum: the file is damaged or was edited, inconsistent contents). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_model_load(path: *const c_char, out: *mut *mut rad_model) -> rad_status {
    boundary(|| {
        let path = str_arg(path, "path")?;
        let out = out_ptr(out, "out")?;
        give(out, Model::load(Path::new(path))?)
    })
}

/// Parses a model from the text of a model file (JSON), checking its format version and checksum. The
/// text is not kept.
///
/// On success `*out` receives a new model, owned by the caller and freed with `rad_model_free`; on failure
/// `*out` is left as it was. Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument;
/// `RAD_MODEL_MISMATCH` when the text is not a model (invalid JSON, unknown format version, failed
/// checksum, inconsistent contents). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_model_from_json(json: *const c_char, out: *mut *mut rad_model) -> rad_status {
    boundary(|| {
        let json = str_arg(json, "json")?;
        let out = out_ptr(out, "out")?;
        give(out, Model::from_json(json)?)
    })
}

/// Frees a model. NULL is ignored. Names obtained from it become invalid; the model must not be in use by
/// another thread.
#[no_mangle]
pub extern "C" fn rad_model_free(model: *mut rad_model) {
    super::boundary_or((), || rad_model::free(model))
}

/// Writes the number of features the model was trained on (its input columns, in training order) to
/// `*out`. Prediction reads the subset the model selected; a feature set holding all of these always
/// suffices.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument (then nothing is written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_model_feature_count(model: *const rad_model, out: *mut usize) -> rad_status {
    boundary(|| {
        let m = rad_model::borrow(model, "model")?;
        let out = out_ptr(out, "out")?;
        write_out(out, m.c_names.len());
        Ok(())
    })
}

/// Writes to `*out` the name of input feature `index` (0-based, below `rad_model_feature_count`),
/// NUL-terminated UTF-8, e.g. `"t1c_original_firstorder_Mean"`.
///
/// The string belongs to the model and stays valid until `rad_model_free`; do not free it. Returns
/// `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument or an index out of range (then nothing is
/// written). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_model_feature_name(
    model: *const rad_model,
    index: usize,
    out: *mut *const c_char,
) -> rad_status {
    boundary(|| {
        let m = rad_model::borrow(model, "model")?;
        let out = out_ptr(out, "out")?;
        let name = m.c_names.get(index).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "feature index {index} is out of range (the model has {} features)",
                    m.c_names.len()
                ),
            )
        })?;
        write_out(out, name.as_ptr());
        Ok(())
    })
}

/// Writes the model's decision threshold to `*out`: a case is predicted positive when its probability is
/// at least this value.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument (then nothing is written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_model_threshold(model: *const rad_model, out: *mut f64) -> rad_status {
    boundary(|| {
        let m = rad_model::borrow(model, "model")?;
        let out = out_ptr(out, "out")?;
        write_out(out, m.model.threshold);
        Ok(())
    })
}

/// The model's probability of the positive class (label 1) for a feature set, e.g. one from
/// `rad_extract`. The features the model selected are looked up by name; other features are ignored.
///
/// On success `*probability` receives a value in [0, 1]; on failure it is left as it was. Returns
/// `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument or a selected feature that is not finite;
/// `RAD_MODEL_MISMATCH` when the set lacks a feature the model needs (the message names it).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_model_predict(
    model: *const rad_model,
    features: *const rad_features,
    probability: *mut f64,
) -> rad_status {
    boundary(|| {
        let m = rad_model::borrow(model, "model")?;
        let f = rad_features::borrow(features, "features")?.features();
        let out = out_ptr(probability, "probability")?;
        let p = m.model.predict_row(f.names(), f.values())?;
        write_out(out, p);
        Ok(())
    })
}

/// A borrowed array argument of `n` elements; NULL is accepted only for `n == 0`.
pub(super) fn slice_arg<'a, T>(p: *const T, n: usize, name: &str) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: non-NULL, and by the C contract points to `n` readable elements that outlive the call.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// The model's probability of the positive class (label 1) for a case given as images: image `i`
/// (`images[i]`) is the sequence named `modalities[i]` (`"t1c"`, `"adc"`, ... as in training). Its
/// features are extracted with the extraction settings stored in the model (each modality's own), every
/// image brought onto the mask's grid, exactly as `radiomics predict --image MODALITY=PATH --mask PATH`.
///
/// `modalities` and `images` are arrays of `n_images` non-NULL entries (they may be NULL only when
/// `n_images` is 0, which the library then refuses as an empty case). The images and the mask are only
/// read: they may be used by other threads at the same time.
///
/// On success `*probability` receives a value in [0, 1]; on failure it is left as it was. Returns
/// `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument, no image, a modality given twice or not a valid
/// name; `RAD_MODEL_MISMATCH` when the model stores no usable extraction settings or a feature it needs
/// is not produced (a modality missing; the message names the feature); and the statuses of
/// `rad_extract` for the extraction itself (`RAD_GEOMETRY_MISMATCH`, `RAD_EMPTY_ROI`, ...). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_model_predict_case(
    model: *const rad_model,
    n_images: usize,
    modalities: *const *const c_char,
    images: *const *const rad_image,
    mask: *const rad_image,
    probability: *mut f64,
) -> rad_status {
    boundary(|| {
        let m = rad_model::borrow(model, "model")?;
        let names = slice_arg(modalities, n_images, "modalities")?;
        let imgs = slice_arg(images, n_images, "images")?;
        let mask = rad_image::borrow(mask, "mask")?;
        let out = out_ptr(probability, "probability")?;
        let mut case_images = Vec::with_capacity(n_images);
        for (i, (&name, &image)) in names.iter().zip(imgs).enumerate() {
            let name = str_arg(name, &format!("modalities[{i}]"))?;
            let image = rad_image::borrow(image, &format!("images[{i}]"))?;
            case_images.push((name.to_string(), image.clone()));
        }
        let case = Case {
            images: case_images,
            mask: mask.clone(),
        };
        let p = crate::study::predict_case(&m.model, &case)?;
        write_out(out, p);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::features::{rad_extract, rad_features_free};
    use crate::capi::image::{rad_image_free, rad_image_from_buffer};
    use crate::capi::settings::{rad_settings_free, rad_settings_from_yaml};
    use crate::capi::{rad_dtype, rad_last_error_message};
    use crate::learn::{
        Classifier, ClassifierKind, ClassifierSpec, Scaler, Selection, SelectorKind, SelectorSpec,
        TrainingSummary,
    };
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    const ID: [f64; 9] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    const PARAMS: &str = "featureClass: {firstorder: [Mean, Maximum]}\nsetting: {binWidth: 2}";
    // P = σ(0.5 · (Mean − 1) / 2 − 0.25 · Maximum + 0.1): the scaler and the LDA weights below.
    const COEF: [f64; 2] = [0.5, -0.25];

    fn last() -> String {
        // SAFETY: never NULL, NUL-terminated.
        unsafe { CStr::from_ptr(rad_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    /// A model on Mean and Maximum of the features prefixed `prefix` (`""` for a plain `rad_extract`).
    fn model_json(prefix: &str) -> String {
        let params: serde_json::Value = serde_yaml_ng::from_str(PARAMS).unwrap();
        let names: Vec<String> = ["original_firstorder_Mean", "original_firstorder_Maximum"]
            .iter()
            .map(|n| format!("{prefix}{n}"))
            .collect();
        let model = Model::new(
            serde_json::json!({"default": params, "modalities": {"t1c": params}}),
            names,
            Scaler {
                mean: vec![1.0, 0.0],
                scale: vec![2.0, 1.0],
            },
            SelectorSpec::new(SelectorKind::Anova),
            &Selection {
                columns: vec![0, 1],
                scores: vec![3.0, 2.0],
            },
            ClassifierSpec::new(ClassifierKind::Lda),
            Classifier::Lda {
                coef: COEF.to_vec(),
                intercept: 0.1,
            },
            0.375,
            TrainingSummary {
                rows: 4,
                positives: 2,
                patients: 4,
                folds: 2,
                repeats: 1,
                seed: 7,
                cv_auc_mean: 0.5,
                cv_auc_sd: 0.0,
                grid: vec![],
                warnings: vec![],
            },
        );
        model.to_json().unwrap()
    }

    fn from_json(text: &str) -> (rad_status, *mut rad_model) {
        let c = CString::new(text).unwrap();
        let mut m = null_mut();
        (rad_model_from_json(c.as_ptr(), &mut m), m)
    }

    fn image(values: &[f64]) -> *mut rad_image {
        let mut img = null_mut();
        let st = rad_image_from_buffer(
            values.as_ptr().cast(),
            std::mem::size_of_val(values),
            rad_dtype::RadFloat64 as i32,
            [3usize, 3, 3].as_ptr(),
            [1.0; 3].as_ptr(),
            [0.0; 3].as_ptr(),
            ID.as_ptr(),
            &mut img,
        );
        assert_eq!(st, rad_status::RadOk);
        img
    }

    /// Image values (i · 7) mod 11 over a 3×3×3 grid, mask the voxels 4..16: its Mean and Maximum.
    fn phantom() -> (*mut rad_image, *mut rad_image, f64, f64) {
        let values: Vec<f64> = (0..27).map(|i| (i * 7 % 11) as f64).collect();
        let labels: Vec<f64> = (0..27)
            .map(|i| f64::from(u8::from((4..16).contains(&i))))
            .collect();
        let roi = &values[4..16];
        let mean = roi.iter().sum::<f64>() / roi.len() as f64;
        let max = roi.iter().cloned().fold(f64::MIN, f64::max);
        (image(&values), image(&labels), mean, max)
    }

    fn by_hand(mean: f64, max: f64) -> f64 {
        let z = COEF[0] * (mean - 1.0) / 2.0 + COEF[1] * max + 0.1;
        1.0 / (1.0 + (-z).exp())
    }

    #[test]
    fn names_threshold_and_prediction_from_features() {
        let (st, m) = from_json(&model_json(""));
        assert_eq!(st, rad_status::RadOk, "{}", last());
        let mut n = 0;
        assert_eq!(rad_model_feature_count(m, &mut n), rad_status::RadOk);
        assert_eq!(n, 2);
        let mut name = null();
        assert_eq!(rad_model_feature_name(m, 1, &mut name), rad_status::RadOk);
        // SAFETY: valid while the model lives.
        let got = unsafe { CStr::from_ptr(name) }.to_str().unwrap();
        assert_eq!(got, "original_firstorder_Maximum");
        let before = name;
        assert_eq!(
            rad_model_feature_name(m, 2, &mut name),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("out of range"), "{}", last());
        assert_eq!(name, before);
        let mut t = 0.0;
        assert_eq!(rad_model_threshold(m, &mut t), rad_status::RadOk);
        assert_eq!(t, 0.375);

        let (img, msk, mean, max) = phantom();
        let mut settings = null_mut();
        let yaml = CString::new(PARAMS).unwrap();
        assert_eq!(
            rad_settings_from_yaml(yaml.as_ptr(), &mut settings),
            rad_status::RadOk
        );
        let mut f = null_mut();
        assert_eq!(rad_extract(settings, img, msk, &mut f), rad_status::RadOk);
        let mut p = -1.0;
        assert_eq!(rad_model_predict(m, f, &mut p), rad_status::RadOk);
        assert!((p - by_hand(mean, max)).abs() < 1e-15, "{p}");
        assert!(p > 0.0 && p < 1.0);
        rad_features_free(f);
        rad_settings_free(settings);
        rad_image_free(img);
        rad_image_free(msk);
        rad_model_free(m);
    }

    #[test]
    fn a_missing_feature_is_a_mismatch_naming_it() {
        let (_, m) = from_json(&model_json(""));
        let (img, msk, _, _) = phantom();
        let mut settings = null_mut();
        assert_eq!(
            rad_settings_from_yaml(
                c"featureClass: {firstorder: [Mean]}".as_ptr(),
                &mut settings
            ),
            rad_status::RadOk
        );
        let mut f = null_mut();
        assert_eq!(rad_extract(settings, img, msk, &mut f), rad_status::RadOk);
        let mut p = -1.0;
        assert_eq!(
            rad_model_predict(m, f, &mut p),
            rad_status::RadModelMismatch
        );
        let msg = last();
        assert!(msg.starts_with("RAD_MODEL_MISMATCH"), "{msg}");
        assert!(msg.contains("'original_firstorder_Maximum'"), "{msg}");
        assert_eq!(p, -1.0);
        rad_features_free(f);
        rad_settings_free(settings);
        rad_image_free(img);
        rad_image_free(msk);
        rad_model_free(m);
    }

    #[test]
    fn case_prediction_uses_the_stored_settings() {
        let (_, m) = from_json(&model_json("t1c_"));
        let (img, msk, mean, max) = phantom();
        let modalities = [c"t1c".as_ptr()];
        let images = [img.cast_const()];
        let mut p = -1.0;
        let st = rad_model_predict_case(m, 1, modalities.as_ptr(), images.as_ptr(), msk, &mut p);
        assert_eq!(st, rad_status::RadOk, "{}", last());
        assert!((p - by_hand(mean, max)).abs() < 1e-15, "{p}");
        let case = Case {
            images: vec![(
                "t1c".to_string(),
                rad_image::borrow(img, "i").unwrap().clone(),
            )],
            mask: rad_image::borrow(msk, "m").unwrap().clone(),
        };
        let model = &rad_model::borrow(m, "m").unwrap().model;
        assert_eq!(
            p.to_bits(),
            crate::study::predict_case(model, &case).unwrap().to_bits()
        );

        // The wrong modality: the model's features are not produced.
        let adc = [c"adc".as_ptr()];
        let mut q = -1.0;
        let st = rad_model_predict_case(m, 1, adc.as_ptr(), images.as_ptr(), msk, &mut q);
        assert_eq!(st, rad_status::RadModelMismatch);
        assert!(
            last().contains("'t1c_original_firstorder_Mean'"),
            "{}",
            last()
        );
        let twice = [c"t1c".as_ptr(), c"t1c".as_ptr()];
        let two = [img.cast_const(), img.cast_const()];
        let st = rad_model_predict_case(m, 2, twice.as_ptr(), two.as_ptr(), msk, &mut q);
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(last().contains("twice"), "{}", last());
        let st = rad_model_predict_case(m, 0, null(), null(), msk, &mut q);
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(last().contains("at least one image"), "{}", last());
        assert_eq!(q, -1.0);
        rad_image_free(img);
        rad_image_free(msk);
        rad_model_free(m);
    }

    #[test]
    fn nulls_are_refused_and_outputs_untouched() {
        let (_, m) = from_json(&model_json("t1c_"));
        let (img, msk, _, _) = phantom();
        let mut out = null_mut();
        let st = rad_model_load(null(), &mut out);
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(last().contains("'path'"));
        let st = rad_model_load(c"model.json".as_ptr(), null_mut());
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(last().contains("'out'"));
        let st = rad_model_from_json(null(), &mut out);
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(last().contains("'json'"));
        let st = rad_model_from_json(c"{}".as_ptr(), null_mut());
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(out.is_null());

        let mut n = 99usize;
        assert_eq!(
            rad_model_feature_count(null(), &mut n),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("'model'"));
        assert_eq!(
            rad_model_feature_count(m, null_mut()),
            rad_status::RadInvalidArgument
        );
        assert_eq!(n, 99);
        let mut name = null();
        assert_eq!(
            rad_model_feature_name(null(), 0, &mut name),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_model_feature_name(m, 0, null_mut()),
            rad_status::RadInvalidArgument
        );
        assert!(name.is_null());
        let mut v = -1.0;
        assert_eq!(
            rad_model_threshold(null(), &mut v),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_model_threshold(m, null_mut()),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_model_predict(null(), null(), &mut v),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("'model'"));
        assert_eq!(
            rad_model_predict(m, null(), &mut v),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("'features'"));

        let mods = [c"t1c".as_ptr()];
        let imgs = [img.cast_const()];
        let case =
            |model, mods, imgs, mask, out| rad_model_predict_case(model, 1, mods, imgs, mask, out);
        let refused = |st: rad_status, needle: &str| {
            assert_eq!(st, rad_status::RadInvalidArgument);
            assert!(last().contains(needle), "{} lacks {needle}", last());
        };
        refused(
            case(null(), mods.as_ptr(), imgs.as_ptr(), msk, &mut v),
            "'model'",
        );
        refused(case(m, null(), imgs.as_ptr(), msk, &mut v), "'modalities'");
        refused(case(m, mods.as_ptr(), null(), msk, &mut v), "'images'");
        refused(
            case(m, mods.as_ptr(), imgs.as_ptr(), null(), &mut v),
            "'mask'",
        );
        refused(
            case(m, mods.as_ptr(), imgs.as_ptr(), msk, null_mut()),
            "'probability'",
        );
        let null_name = [null()];
        assert_eq!(
            case(m, null_name.as_ptr(), imgs.as_ptr(), msk, &mut v),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("'modalities[0]'"), "{}", last());
        let null_image = [null()];
        assert_eq!(
            case(m, mods.as_ptr(), null_image.as_ptr(), msk, &mut v),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("'images[0]'"), "{}", last());
        assert_eq!(v, -1.0);
        rad_model_free(null_mut());
        rad_image_free(img);
        rad_image_free(msk);
        rad_model_free(m);
    }

    #[test]
    fn bad_files_corrupt_json_and_failed_checksums() {
        let mut out = null_mut();
        let st = rad_model_load(c"/nonexistent/dir/model.json".as_ptr(), &mut out);
        assert_eq!(st, rad_status::RadIo);
        assert!(last().contains("model.json"), "{}", last());

        let (st, m) = from_json("{\"format_version\": 1, ");
        assert_eq!(st, rad_status::RadModelMismatch);
        assert!(last().contains("invalid JSON"), "{}", last());
        assert!(m.is_null());

        // A saved model with one byte of a number changed: the checksum catches it.
        let dir = std::env::temp_dir().join(format!("rad_capi_model_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("model.json");
        let good = model_json("");
        let at = good.find("0.375").expect("the threshold is in the file");
        let mut bad = good.clone().into_bytes();
        bad[at + 4] = b'6';
        std::fs::write(&path, &bad).unwrap();
        let c = CString::new(path.to_str().unwrap()).unwrap();
        let st = rad_model_load(c.as_ptr(), &mut out);
        assert_eq!(st, rad_status::RadModelMismatch);
        assert!(last().contains("checksum"), "{}", last());
        assert!(out.is_null());
        std::fs::write(&path, &good).unwrap();
        assert_eq!(rad_model_load(c.as_ptr(), &mut out), rad_status::RadOk);
        let mut t = 0.0;
        assert_eq!(rad_model_threshold(out, &mut t), rad_status::RadOk);
        assert_eq!(t, 0.375);
        rad_model_free(out);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
