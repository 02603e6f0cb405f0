//! Extraction and `rad_features`: the ordered, named feature values of one case.

use std::ffi::{c_char, c_int, c_void, CString};

use crate::error::{Error, ErrorKind, Result};
use crate::extract::{Extractor, Features};

use super::error::{boundary, boundary_or, fail, out_ptr, rad_status, str_arg, write_out};
use super::handle::BoxHandle;
use super::image::rad_image;
use super::settings::rad_settings;

/// The features of one extraction, in PyRadiomics' order: each has a name
/// (`original_firstorder_Mean`) and a double value (NaN where a feature is undefined). Opaque; made by
/// `rad_extract`, freed by `rad_features_free`. Immutable: may be read by several threads at once.
pub struct rad_features {
    _private: [u8; 0],
}

/// The Rust side of `rad_features`: the features and their names as C strings.
pub(crate) struct FeatureSet {
    features: Features,
    c_names: Vec<CString>,
}

impl BoxHandle for rad_features {
    type Inner = FeatureSet;
}

impl FeatureSet {
    pub(super) fn new(features: Features) -> Result<FeatureSet> {
        let c_names = features
            .names()
            .iter()
            .map(|n| {
                CString::new(n.as_str()).map_err(|_| {
                    Error::new(ErrorKind::Internal, format!("feature name {n:?} holds NUL"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(FeatureSet { features, c_names })
    }

    /// The features behind the handle.
    pub(crate) fn features(&self) -> &Features {
        &self.features
    }
}

/// A progress callback: `fraction` grows from 0 to 1 over an extraction; `user` is the pointer given to
/// `rad_extract_with_progress`. Return 0 to go on, non-zero to cancel (the extraction then returns
/// `RAD_CANCELLED`). Called on the thread that called `rad_extract_with_progress`; it must not call
/// `rad_*` functions on the same settings or images that would free them.
pub type rad_progress_fn = Option<unsafe extern "C" fn(user: *mut c_void, fraction: f64) -> c_int>;

fn extract(
    settings: *const rad_settings,
    image: *const rad_image,
    mask: *const rad_image,
    progress: rad_progress_fn,
    user: *mut c_void,
    out: *mut *mut rad_features,
) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow(settings, "settings")?;
        let image = rad_image::borrow(image, "image")?;
        let mask = rad_image::borrow(mask, "mask")?;
        let out = out_ptr(out, "out")?;
        let extractor = Extractor::new(settings.clone());
        let features = match progress {
            None => extractor.extract(image, mask)?,
            Some(f) => extractor.extract_with_progress(image, mask, &mut |fraction| {
                // SAFETY: a C function pointer given by the caller, called with the caller's own
                // `user` pointer, as documented.
                unsafe { f(user, fraction) == 0 }
            })?,
        };
        write_out(out, rad_features::into_handle(FeatureSet::new(features)?));
        Ok(())
    })
}

/// Extracts every feature the settings enable from the region of interest of `mask` (its voxels equal to
/// the `label` setting) in `image`.
///
/// `settings`, `image` and `mask` are only read: the same handles may be used by other threads at the same
/// time. The mask must lie on the image's grid (within `geometryTolerance`).
///
/// On success `*out` receives a new feature set, owned by the caller and freed with `rad_features_free`;
/// on failure `*out` is left as it was. Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument or
/// non-finite intensities in the ROI; `RAD_FORMAT` for a mask with non-integer values;
/// `RAD_GEOMETRY_MISMATCH` when image and mask grids differ; `RAD_EMPTY_ROI` when the label is absent or
/// the ROI too small; `RAD_UNSUPPORTED_SETTING` when the settings ask for something not provided.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_extract(
    settings: *const rad_settings,
    image: *const rad_image,
    mask: *const rad_image,
    out: *mut *mut rad_features,
) -> rad_status {
    extract(settings, image, mask, None, std::ptr::null_mut(), out)
}

/// As `rad_extract`, calling `progress(user, fraction)` as the work advances (from 0 to 1). When the
/// callback returns non-zero the extraction stops and returns `RAD_CANCELLED`, with `*out` left as it
/// was. `progress` may be NULL (no reports); `user` is passed through untouched and may be NULL.
/// Thread-safe (the callback runs on the calling thread).
#[no_mangle]
pub extern "C" fn rad_extract_with_progress(
    settings: *const rad_settings,
    image: *const rad_image,
    mask: *const rad_image,
    progress: rad_progress_fn,
    user: *mut c_void,
    out: *mut *mut rad_features,
) -> rad_status {
    extract(settings, image, mask, progress, user, out)
}

/// Frees a feature set. NULL is ignored. Names obtained from it become invalid.
#[no_mangle]
pub extern "C" fn rad_features_free(features: *mut rad_features) {
    boundary_or((), || rad_features::free(features))
}

/// Number of features in the set; 0 when `features` is NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_features_count(features: *const rad_features) -> usize {
    boundary_or(0, || {
        rad_features::borrow(features, "features").map_or(0, |f| f.features.len())
    })
}

/// The name of feature `index` (0-based), NUL-terminated UTF-8, e.g. `"original_firstorder_Mean"`.
///
/// The string belongs to the feature set and stays valid until `rad_features_free`; do not free it.
/// NULL when `features` is NULL or `index` is not below `rad_features_count` (with a message for
/// `rad_last_error_message`). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_features_name(features: *const rad_features, index: usize) -> *const c_char {
    boundary_or(std::ptr::null(), || {
        let name = rad_features::borrow(features, "features").and_then(|f| {
            f.c_names
                .get(index)
                .map(|n| n.as_ptr())
                .ok_or_else(|| out_of_range(index, f))
        });
        name.unwrap_or_else(|e| {
            fail(&e);
            std::ptr::null()
        })
    })
}

fn out_of_range(index: usize, f: &FeatureSet) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "feature index {index} is out of range (the set has {} features)",
            f.features.len()
        ),
    )
}

/// Writes the value of feature `index` (0-based) to `*value`.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument or an index not below
/// `rad_features_count` (then nothing is written). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_features_value(
    features: *const rad_features,
    index: usize,
    value: *mut f64,
) -> rad_status {
    boundary(|| {
        let f = rad_features::borrow(features, "features")?;
        let value = out_ptr(value, "value")?;
        let v = f
            .features
            .values()
            .get(index)
            .ok_or_else(|| out_of_range(index, f))?;
        write_out(value, *v);
        Ok(())
    })
}

/// Writes the value of the feature called `name` (e.g. `"original_firstorder_Mean"`) to `*value`.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument or a name not in the set (then nothing
/// is written). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_features_find(
    features: *const rad_features,
    name: *const c_char,
    value: *mut f64,
) -> rad_status {
    boundary(|| {
        let f = rad_features::borrow(features, "features")?;
        let name = str_arg(name, "name")?;
        let value = out_ptr(value, "value")?;
        let v = f.features.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("no feature named '{name}' in the set"),
            )
        })?;
        write_out(value, v);
        Ok(())
    })
}

fn give_string(out: *mut *mut c_char, text: String) -> Result<()> {
    let c =
        CString::new(text).map_err(|_| Error::new(ErrorKind::Internal, "text holds a NUL byte"))?;
    write_out(out, c.into_raw());
    Ok(())
}

fn write_file(path: &str, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write '{path}': {e}")))
}

/// The feature set as CSV: a `name,value` header, then one feature per line, values in the shortest form
/// that reads back to the same double (`nan`, `inf`, `-inf` for non-finite values) — the CLI's format.
///
/// On success `*out` receives a new NUL-terminated string owned by the caller, to be freed with
/// `rad_string_free` (not `free`). Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_features_to_csv(
    features: *const rad_features,
    out: *mut *mut c_char,
) -> rad_status {
    boundary(|| {
        let f = rad_features::borrow(features, "features")?;
        let out = out_ptr(out, "out")?;
        give_string(out, f.features.to_csv())
    })
}

/// The feature set as one JSON object `{"name": value, ...}` in order (`null` for non-finite values).
///
/// On success `*out` receives a new NUL-terminated string owned by the caller, to be freed with
/// `rad_string_free` (not `free`). Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_features_to_json(
    features: *const rad_features,
    out: *mut *mut c_char,
) -> rad_status {
    boundary(|| {
        let f = rad_features::borrow(features, "features")?;
        let out = out_ptr(out, "out")?;
        give_string(out, f.features.to_json())
    })
}

/// Writes the feature set as CSV (the format of `rad_features_to_csv`) to the file `path`, replacing it.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument; `RAD_IO` when the file cannot be
/// written. Thread-safe (for distinct paths).
#[no_mangle]
pub extern "C" fn rad_features_write_csv(
    features: *const rad_features,
    path: *const c_char,
) -> rad_status {
    boundary(|| {
        let f = rad_features::borrow(features, "features")?;
        let path = str_arg(path, "path")?;
        write_file(path, &f.features.to_csv())
    })
}

/// Writes the feature set as JSON (the format of `rad_features_to_json`) to the file `path`, replacing
/// it.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument; `RAD_IO` when the file cannot be
/// written. Thread-safe (for distinct paths).
#[no_mangle]
pub extern "C" fn rad_features_write_json(
    features: *const rad_features,
    path: *const c_char,
) -> rad_status {
    boundary(|| {
        let f = rad_features::borrow(features, "features")?;
        let path = str_arg(path, "path")?;
        write_file(path, &(f.features.to_json() + "\n"))
    })
}

/// Frees a string returned by this library (`rad_features_to_csv`, `rad_features_to_json`). NULL is
/// ignored. Never pass it a string from elsewhere, nor one of the library's borrowed strings
/// (`rad_features_name`, `rad_last_error_message`, `rad_version_string`).
#[no_mangle]
pub extern "C" fn rad_string_free(text: *mut c_char) {
    boundary_or((), || {
        if !text.is_null() {
            // SAFETY: made by `CString::into_raw` in this library and freed once (the C contract).
            drop(unsafe { CString::from_raw(text) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::image::rad_image_from_buffer;
    use crate::capi::settings::{rad_settings_free, rad_settings_from_yaml};
    use crate::capi::{rad_dtype, rad_image_free};
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    const ID: [f64; 9] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];

    fn image(values: &[f64], dims: [usize; 3]) -> *mut rad_image {
        let mut img = null_mut();
        let st = rad_image_from_buffer(
            values.as_ptr().cast(),
            std::mem::size_of_val(values),
            rad_dtype::RadFloat64 as i32,
            dims.as_ptr(),
            [1.0; 3].as_ptr(),
            [0.0; 3].as_ptr(),
            ID.as_ptr(),
            &mut img,
        );
        assert_eq!(st, rad_status::RadOk);
        img
    }

    struct Case {
        settings: *mut rad_settings,
        image: *mut rad_image,
        mask: *mut rad_image,
    }

    impl Case {
        fn new() -> Case {
            let values: Vec<f64> = (0..27).map(|i| (i * 7 % 11) as f64).collect();
            let mut labels = vec![0.0; 27];
            for l in labels.iter_mut().skip(4).take(12) {
                *l = 1.0;
            }
            let mut settings = null_mut();
            let st = rad_settings_from_yaml(
                c"featureClass: {firstorder: }\nsetting: {binWidth: 2}".as_ptr(),
                &mut settings,
            );
            assert_eq!(st, rad_status::RadOk);
            Case {
                settings,
                image: image(&values, [3, 3, 3]),
                mask: image(&labels, [3, 3, 3]),
            }
        }
    }

    impl Drop for Case {
        fn drop(&mut self) {
            rad_settings_free(self.settings);
            rad_image_free(self.image);
            rad_image_free(self.mask);
        }
    }

    #[test]
    fn extraction_matches_the_library() {
        let c = Case::new();
        let mut f = null_mut();
        assert_eq!(
            rad_extract(c.settings, c.image, c.mask, &mut f),
            rad_status::RadOk
        );
        let settings = rad_settings::borrow(c.settings, "s").unwrap();
        let want = Extractor::new(settings.clone())
            .extract(
                rad_image::borrow(c.image, "i").unwrap(),
                rad_image::borrow(c.mask, "m").unwrap(),
            )
            .unwrap();
        assert!(want.len() > 10);
        assert_eq!(rad_features_count(f), want.len());
        for (i, (name, v)) in want.iter().enumerate() {
            // SAFETY: valid until rad_features_free.
            let got = unsafe { CStr::from_ptr(rad_features_name(f, i)) };
            assert_eq!(got.to_str().unwrap(), name);
            let mut value = 0.0;
            assert_eq!(rad_features_value(f, i, &mut value), rad_status::RadOk);
            assert_eq!(value.to_bits(), v.to_bits());
        }
        let mut mean = 0.0;
        let st = rad_features_find(f, c"original_firstorder_Mean".as_ptr(), &mut mean);
        assert_eq!(st, rad_status::RadOk);
        assert_eq!(Some(mean), want.get("original_firstorder_Mean"));
        let mut csv = null_mut();
        assert_eq!(rad_features_to_csv(f, &mut csv), rad_status::RadOk);
        // SAFETY: a string from rad_features_to_csv.
        assert_eq!(
            unsafe { CStr::from_ptr(csv) }.to_str().unwrap(),
            want.to_csv()
        );
        rad_string_free(csv);
        assert!(rad_features_name(f, want.len()).is_null());
        let mut v = 1.5;
        assert_eq!(
            rad_features_value(f, want.len(), &mut v),
            rad_status::RadInvalidArgument
        );
        assert_eq!(v, 1.5);
        assert_eq!(
            rad_features_find(f, c"nope".as_ptr(), &mut v),
            rad_status::RadInvalidArgument
        );
        rad_features_free(f);
    }

    unsafe extern "C" fn cancel_at_half(user: *mut c_void, fraction: f64) -> c_int {
        // SAFETY: the test passes a pointer to a Vec<f64>.
        let seen = unsafe { &mut *user.cast::<Vec<f64>>() };
        seen.push(fraction);
        c_int::from(fraction >= 0.5)
    }

    #[test]
    fn progress_reports_and_cancels() {
        let c = Case::new();
        let mut seen: Vec<f64> = Vec::new();
        let mut f = null_mut();
        let st = rad_extract_with_progress(
            c.settings,
            c.image,
            c.mask,
            Some(cancel_at_half),
            (&mut seen as *mut Vec<f64>).cast(),
            &mut f,
        );
        assert_eq!(st, rad_status::RadCancelled);
        assert!(f.is_null());
        assert_eq!(seen.first(), Some(&0.0));
        assert!(*seen.last().unwrap() >= 0.5);
        let st = rad_extract_with_progress(c.settings, c.image, c.mask, None, null_mut(), &mut f);
        assert_eq!(st, rad_status::RadOk);
        rad_features_free(f);
    }

    #[test]
    fn nulls_and_bad_masks_are_refused() {
        let c = Case::new();
        let mut f = null_mut();
        for (s, i, m) in [
            (null(), c.image as *const _, c.mask as *const _),
            (c.settings as *const _, null(), c.mask as *const _),
            (c.settings as *const _, c.image as *const _, null()),
        ] {
            assert_eq!(rad_extract(s, i, m, &mut f), rad_status::RadInvalidArgument);
        }
        assert_eq!(
            rad_extract(c.settings, c.image, c.mask, null_mut()),
            rad_status::RadInvalidArgument
        );
        let small = image(&[1.0; 8], [2, 2, 2]);
        assert_eq!(
            rad_extract(c.settings, c.image, small, &mut f),
            rad_status::RadGeometryMismatch
        );
        let empty = image(&[0.0; 27], [3, 3, 3]);
        assert_eq!(
            rad_extract(c.settings, c.image, empty, &mut f),
            rad_status::RadEmptyRoi
        );
        assert!(f.is_null());
        rad_image_free(small);
        rad_image_free(empty);
        assert_eq!(rad_features_count(null()), 0);
        assert!(rad_features_name(null(), 0).is_null());
        rad_features_free(null_mut());
        rad_string_free(null_mut());
    }
}
