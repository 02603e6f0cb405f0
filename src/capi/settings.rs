//! `rad_settings`: extraction settings from defaults, parameter files and strings, with setters.

use std::ffi::c_char;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::settings::Settings;

use super::error::{boundary, out_ptr, rad_status, str_arg, write_out};
use super::handle::BoxHandle;

/// Extraction settings: PyRadiomics' parameter file (`imageType`, `featureClass`, `setting`), validated.
/// Opaque; made by `rad_settings_new` / `rad_settings_from_*`, freed by `rad_settings_free`.
///
/// Reading functions (`rad_extract`) may share one settings handle between threads; the setters change it
/// and must not run while any other thread uses the same handle.
pub struct rad_settings {
    _private: [u8; 0],
}

impl BoxHandle for rad_settings {
    type Inner = Settings;
}

fn give(out: *mut *mut rad_settings, settings: Result<Settings>) -> Result<()> {
    write_out(out, rad_settings::into_handle(settings?));
    Ok(())
}

/// Parses a YAML (or JSON) value given as text, for a setter.
fn parse_value(text: &str, what: &str) -> Result<Value> {
    serde_yaml_ng::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::UnsupportedSetting,
            format!("{what}: '{text}' is not a YAML or JSON value ({e})"),
        )
    })
}

/// Makes PyRadiomics' default settings: the original image, every feature class, `binWidth` 25, label 1.
///
/// On success `*out` receives new settings, owned by the caller and freed with `rad_settings_free`; on
/// failure `*out` is left as it was. Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` when `out` is NULL.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_settings_new(out: *mut *mut rad_settings) -> rad_status {
    boundary(|| {
        let out = out_ptr(out, "out")?;
        give(out, Ok(Settings::default()))
    })
}

/// Reads a PyRadiomics parameter file (YAML; JSON when the name ends in `.json`).
///
/// On success `*out` receives new settings, owned by the caller and freed with `rad_settings_free`; on
/// failure `*out` is left as it was. Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument;
/// `RAD_IO` when the file cannot be read; `RAD_UNSUPPORTED_SETTING` when it is not a valid parameter
/// file (the message names the key). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_settings_from_file(
    path: *const c_char,
    out: *mut *mut rad_settings,
) -> rad_status {
    boundary(|| {
        let path = str_arg(path, "path")?;
        let out = out_ptr(out, "out")?;
        give(out, Settings::from_file(path))
    })
}

/// Parses a PyRadiomics parameter document written in YAML (JSON, a subset of YAML, is accepted too).
/// The text is not kept.
///
/// On success `*out` receives new settings, owned by the caller and freed with `rad_settings_free`; on
/// failure `*out` is left as it was. Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument;
/// `RAD_UNSUPPORTED_SETTING` for an unparsable or invalid document (the message names the key).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_settings_from_yaml(
    text: *const c_char,
    out: *mut *mut rad_settings,
) -> rad_status {
    boundary(|| {
        let text = str_arg(text, "text")?;
        let out = out_ptr(out, "out")?;
        give(out, Settings::from_yaml_str(text))
    })
}

/// Parses a PyRadiomics parameter document written in JSON. The text is not kept.
///
/// On success `*out` receives new settings, owned by the caller and freed with `rad_settings_free`; on
/// failure `*out` is left as it was. Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument;
/// `RAD_UNSUPPORTED_SETTING` for an unparsable or invalid document (the message names the key).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_settings_from_json(
    text: *const c_char,
    out: *mut *mut rad_settings,
) -> rad_status {
    boundary(|| {
        let text = str_arg(text, "text")?;
        let out = out_ptr(out, "out")?;
        give(out, Settings::from_json_str(text))
    })
}

/// Frees settings. NULL is ignored. The settings must not be used afterwards, nor be in use by another
/// thread. Images and feature sets made with them are independent and stay valid.
#[no_mangle]
pub extern "C" fn rad_settings_free(settings: *mut rad_settings) {
    super::boundary_or((), || rad_settings::free(settings))
}

/// Sets one key of the `setting` section by its PyRadiomics name (`"binWidth"`, `"label"`,
/// `"resegmentRange"`, ...) to a value written in YAML or JSON (`"25"`, `"true"`, `"[-1000, 400]"`;
/// `"null"` restores the default). The whole document is validated again; on failure the settings are
/// unchanged.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument; `RAD_UNSUPPORTED_SETTING` for an unknown
/// key or a bad value (the message names it). Not thread-safe for this `settings`.
#[no_mangle]
pub extern "C" fn rad_settings_set(
    settings: *mut rad_settings,
    key: *const c_char,
    value: *const c_char,
) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow_mut(settings, "settings")?;
        let key = str_arg(key, "key")?;
        let text = str_arg(value, "value")?;
        let value = parse_value(text, &format!("setting '{key}'"))?;
        settings.set(key, value)
    })
}

/// Switches to a fixed bin width (`binWidth`, in intensity units) and clears any `binCount`.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` when `settings` is NULL; `RAD_UNSUPPORTED_SETTING` when the
/// width is not finite and positive (settings unchanged). Not thread-safe for this `settings`.
#[no_mangle]
pub extern "C" fn rad_settings_set_bin_width(
    settings: *mut rad_settings,
    width: f64,
) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow_mut(settings, "settings")?;
        let value = serde_json::Number::from_f64(width).ok_or_else(|| {
            Error::new(
                ErrorKind::UnsupportedSetting,
                format!("setting 'binWidth': must be finite, got {width}"),
            )
        })?;
        let mut next = settings.clone();
        next.set("binWidth", Value::Number(value))?;
        next.set("binCount", Value::Null)?;
        *settings = next;
        Ok(())
    })
}

/// Switches to a fixed number of bins (`binCount`), which takes precedence over `binWidth`.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` when `settings` is NULL; `RAD_UNSUPPORTED_SETTING` when
/// `count` is below 1 (settings unchanged). Not thread-safe for this `settings`.
#[no_mangle]
pub extern "C" fn rad_settings_set_bin_count(
    settings: *mut rad_settings,
    count: i32,
) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow_mut(settings, "settings")?;
        settings.set("binCount", Value::from(count))
    })
}

/// Sets the label value of the region of interest in the mask (`label`, default 1).
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` when `settings` is NULL; `RAD_UNSUPPORTED_SETTING` for a value
/// the settings refuse (settings unchanged). Not thread-safe for this `settings`.
#[no_mangle]
pub extern "C" fn rad_settings_set_label(settings: *mut rad_settings, label: i64) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow_mut(settings, "settings")?;
        settings.set("label", Value::from(label))
    })
}

/// Sets how many worker threads each extraction with these settings may use (the `threads` setting, an
/// extension of this library): `threads` >= 1 runs the extraction's parallel parts in a pool of that many
/// threads made for the call (at most 1024); 0 (the default) uses the pool of the
/// calling thread — rayon's global pool, one thread per core, or `RAYON_NUM_THREADS` when set. Features
/// are bit-identical for any number of threads; progress and log callbacks still run on the calling
/// thread.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` when `settings` is NULL; `RAD_UNSUPPORTED_SETTING` for more
/// than 1024 threads (settings unchanged). Not thread-safe for this `settings`.
#[no_mangle]
pub extern "C" fn rad_settings_set_threads(
    settings: *mut rad_settings,
    threads: u32,
) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow_mut(settings, "settings")?;
        settings.set("threads", Value::from(threads))
    })
}

/// Replaces the enabled image types (the `imageType` section) with a YAML or JSON mapping from image type
/// to its own settings, e.g. `"{Original: {}, LoG: {sigma: [1.0, 3.0]}}"`.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument; `RAD_UNSUPPORTED_SETTING` for an unknown
/// image type or a bad value (settings unchanged). Not thread-safe for this `settings`.
#[no_mangle]
pub extern "C" fn rad_settings_set_image_types(
    settings: *mut rad_settings,
    image_types: *const c_char,
) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow_mut(settings, "settings")?;
        let text = str_arg(image_types, "image_types")?;
        let value = parse_value(text, "imageType")?;
        settings.set_image_types(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::Binning;
    use std::ptr::{null, null_mut};

    fn make(yaml: &std::ffi::CStr) -> *mut rad_settings {
        let mut s = null_mut();
        assert_eq!(
            rad_settings_from_yaml(yaml.as_ptr(), &mut s),
            rad_status::RadOk
        );
        s
    }

    #[test]
    fn setters_change_the_settings() {
        let s = make(c"featureClass: {firstorder: }");
        assert_eq!(rad_settings_set_bin_count(s, 16), rad_status::RadOk);
        let inner = rad_settings::borrow(s, "s").unwrap();
        assert_eq!(inner.params().binning(), Binning::Count(16));
        assert_eq!(rad_settings_set_bin_width(s, 5.0), rad_status::RadOk);
        let inner = rad_settings::borrow(s, "s").unwrap();
        assert_eq!(inner.params().binning(), Binning::Width(5.0));
        assert_eq!(rad_settings_set_label(s, 2), rad_status::RadOk);
        assert_eq!(rad_settings::borrow(s, "s").unwrap().params().label, 2);
        assert_eq!(
            rad_settings_set(s, c"resegmentRange".as_ptr(), c"[-10, 10]".as_ptr()),
            rad_status::RadOk
        );
        assert_eq!(
            rad_settings_set_image_types(s, c"{Original: {}}".as_ptr()),
            rad_status::RadOk
        );
        rad_settings_free(s);
    }

    #[test]
    fn bad_settings_are_refused_and_kept() {
        let s = make(c"setting: {binWidth: 3}");
        assert_eq!(
            rad_settings_set(s, c"binWidht".as_ptr(), c"5".as_ptr()),
            rad_status::RadUnsupportedSetting
        );
        assert_eq!(
            rad_settings_set_bin_width(s, -1.0),
            rad_status::RadUnsupportedSetting
        );
        assert_eq!(
            rad_settings_set_bin_width(s, f64::NAN),
            rad_status::RadUnsupportedSetting
        );
        assert_eq!(
            rad_settings_set_bin_count(s, 0),
            rad_status::RadUnsupportedSetting
        );
        assert_eq!(
            rad_settings_set_image_types(s, c"{Foo: {}}".as_ptr()),
            rad_status::RadUnsupportedSetting
        );
        let inner = rad_settings::borrow(s, "s").unwrap();
        assert_eq!(inner.params().binning(), Binning::Width(3.0));
        rad_settings_free(s);
        let mut out = null_mut();
        assert_eq!(
            rad_settings_from_json(c"{not json".as_ptr(), &mut out),
            rad_status::RadUnsupportedSetting
        );
        assert!(out.is_null());
    }

    #[test]
    fn nulls_are_refused() {
        assert_eq!(rad_settings_new(null_mut()), rad_status::RadInvalidArgument);
        assert_eq!(
            rad_settings_from_file(null(), &mut null_mut()),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_settings_from_yaml(c"{}".as_ptr(), null_mut()),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_settings_set_label(null_mut(), 1),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_settings_set(null_mut(), c"label".as_ptr(), c"1".as_ptr()),
            rad_status::RadInvalidArgument
        );
        rad_settings_free(null_mut());
    }
}
