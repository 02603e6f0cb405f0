//! The stable C ABI: the only `extern "C"` and the only `unsafe` code of the crate.
//!
//! This layer translates; the library decides. Every export
//! - runs inside a panic boundary (`boundary`, `boundary_or`): no panic, abort or exit crosses into C;
//!   a caught panic is reported as `RAD_INTERNAL` (or the function's documented default);
//! - checks every pointer argument, returning `RAD_INVALID_ARGUMENT` for a NULL one;
//! - writes its outputs only on success;
//! - leaves a message for `rad_last_error_message()` on failure (thread-local).
//!
//! Handles (`rad_image`, `rad_settings`, `rad_features`, `rad_model`) are opaque, each freed by its
//! `rad_*_free` (which accepts NULL). A handle is immutable once made, except `rad_settings` through its
//! setters, so one handle may be read by several threads at once; a setter must not run while another
//! thread uses the same settings.
//!
//! The header `include/radiomics.h` is generated from this module by cbindgen (`cbindgen.toml`); the doc
//! comment of each export is its C documentation.
//!
//! ABI rules: the ABI only grows. Functions and enum values are appended, never changed or removed; retired
//! status numbers stay reserved.
#![allow(unsafe_code)]
// C names: `rad_image`, not `RadImage`.
#![allow(non_camel_case_types)]
// The exports take raw pointers from C; the C caller's contract (documented per function) is what makes
// dereferencing them sound, as it is for any C function.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

// Declared in the header's order: errors, images, settings, extraction, models, logging.
mod error;

mod handle;

mod image;

mod settings;

mod features;

mod model;

mod case;

mod log;
mod voxel;

use std::ffi::{c_char, CStr};

pub use case::rad_extract_case_files;
pub use error::{rad_last_error_message, rad_status, rad_status_name};
pub use features::{
    rad_extract, rad_extract_case, rad_extract_with_progress, rad_features, rad_features_count,
    rad_features_find, rad_features_free, rad_features_name, rad_features_to_csv,
    rad_features_to_json, rad_features_value, rad_features_warning, rad_features_warning_count,
    rad_features_write_csv, rad_features_write_json, rad_progress_fn, rad_string_free,
};
pub use image::{
    rad_dtype, rad_image, rad_image_copy_voxels, rad_image_direction, rad_image_free,
    rad_image_from_buffer, rad_image_load, rad_image_load_series, rad_image_origin,
    rad_image_pixel_type, rad_image_size, rad_image_spacing,
};
pub use log::{rad_log_fn, rad_log_level, rad_set_log_callback};
pub use model::{
    rad_model, rad_model_feature_count, rad_model_feature_name, rad_model_free,
    rad_model_from_json, rad_model_load, rad_model_predict, rad_model_predict_case,
    rad_model_threshold,
};
pub use settings::{
    rad_settings, rad_settings_free, rad_settings_from_file, rad_settings_from_json,
    rad_settings_from_yaml, rad_settings_new, rad_settings_set, rad_settings_set_bin_count,
    rad_settings_set_bin_width, rad_settings_set_image_types, rad_settings_set_label,
    rad_settings_set_threads,
};

pub(crate) use error::boundary_or;
pub use voxel::{
    rad_extract_maps, rad_maps, rad_maps_count, rad_maps_data, rad_maps_free, rad_maps_image,
    rad_maps_name,
};

/// Major version of the library this header belongs to (the `x` of `x.y.z`).
pub const RAD_VERSION_MAJOR: u32 = 0;
/// Minor version of the library this header belongs to (the `y` of `x.y.z`).
pub const RAD_VERSION_MINOR: u32 = 1;
/// Patch version of the library this header belongs to (the `z` of `x.y.z`).
pub const RAD_VERSION_PATCH: u32 = 0;
/// ABI version of this header. It grows by one whenever functions or enum values are appended; nothing is
/// ever removed or changed. A program built against ABI `n` runs with any library whose
/// `rad_abi_version()` is at least `n`.
pub const RAD_ABI_VERSION: u32 = 6;

/// The library's version, `"MAJOR.MINOR.PATCH"`, as a NUL-terminated string.
///
/// Static storage: never free it. Thread-safe. Never NULL.
#[no_mangle]
pub extern "C" fn rad_version_string() -> *const c_char {
    static VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => panic!("the version holds no NUL"),
        };
    VERSION.as_ptr()
}

/// Writes the library's version numbers (those of the library loaded at run time, which may be newer than
/// the `RAD_VERSION_*` macros a program was compiled with). Any of the pointers may be NULL; only the
/// others are written. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_version(major: *mut u32, minor: *mut u32, patch: *mut u32) {
    boundary_or((), || {
        for (p, v) in [
            (major, RAD_VERSION_MAJOR),
            (minor, RAD_VERSION_MINOR),
            (patch, RAD_VERSION_PATCH),
        ] {
            if !p.is_null() {
                // SAFETY: the caller passes NULL or a pointer to a writable uint32_t.
                unsafe { p.write(v) };
            }
        }
    })
}

/// The ABI version of the library loaded at run time. A program compiled against `RAD_ABI_VERSION` `n`
/// can use it when `rad_abi_version() >= n`. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_abi_version() -> u32 {
    RAD_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_the_package() {
        let want = |v: &str| v.parse::<u32>().unwrap();
        assert_eq!(RAD_VERSION_MAJOR, want(env!("CARGO_PKG_VERSION_MAJOR")));
        assert_eq!(RAD_VERSION_MINOR, want(env!("CARGO_PKG_VERSION_MINOR")));
        assert_eq!(RAD_VERSION_PATCH, want(env!("CARGO_PKG_VERSION_PATCH")));
        // SAFETY: a static NUL-terminated string.
        let s = unsafe { CStr::from_ptr(rad_version_string()) };
        assert_eq!(s.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn version_accepts_null_outputs() {
        let mut minor = 99u32;
        rad_version(std::ptr::null_mut(), &mut minor, std::ptr::null_mut());
        assert_eq!(minor, RAD_VERSION_MINOR);
        assert_eq!(rad_abi_version(), RAD_ABI_VERSION);
    }
}
