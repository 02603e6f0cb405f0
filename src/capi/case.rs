//! One case of a cohort from its files, exactly as `radiomics batch` extracts a manifest row: for callers
//! that spread a manifest over processes or machines themselves (the Python package's Dask front end).

use std::ffi::c_char;
use std::path::PathBuf;

use crate::batch::{extract_row, ManifestRow};
use crate::case::{check_modality_name, CaseExtractor};
use crate::error::Error;
use crate::settings::Settings;

use super::error::{boundary, out_ptr, rad_status, str_arg, write_out};
use super::features::{rad_features, FeatureSet};
use super::handle::BoxHandle;
use super::model::slice_arg;
use super::settings::rad_settings;

/// Extracts one case from its files as `radiomics batch` extracts one row of its manifest: image `i` is
/// read from `image_paths[i]` and is the sequence named `modalities[i]` (`"t1c"`, `"adc"`, ...); the
/// mask is read from `mask_path`. Each image not on the mask's grid is resampled onto it; the features of
/// each modality are extracted with its own settings and prefixed with its name
/// (`t1c_original_firstorder_Mean`), modalities in the order given.
///
/// `settings` are those of every modality without its own (NULL: PyRadiomics' defaults).
/// `modality_settings` is NULL (every modality uses `settings`) or an array of `n_images` entries, entry
/// `i` being the settings of modality `i`, or NULL for `settings`. `modalities` and `image_paths` are
/// arrays of `n_images` non-NULL strings (NULL only when `n_images` is 0, which the library refuses as an
/// empty case). Paths are read as given (relative ones from the current directory). Every handle is only
/// read: the same handles may be used by other threads at the same time.
///
/// On success `*out` receives a new feature set, owned by the caller and freed with `rad_features_free`
/// (`rad_features_to_csv` writes its values as the batch table does); on failure `*out` is left as it was.
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument, no image, a modality given twice or not a
/// valid name; `RAD_IO` and `RAD_FORMAT` for a file that cannot be read (the message names the modality
/// or the mask, and the path); and the statuses of `rad_extract` for the extraction itself
/// (`RAD_GEOMETRY_MISMATCH`, `RAD_EMPTY_ROI`, ...). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_extract_case_files(
    settings: *const rad_settings,
    n_images: usize,
    modalities: *const *const c_char,
    image_paths: *const *const c_char,
    modality_settings: *const *const rad_settings,
    mask_path: *const c_char,
    out: *mut *mut rad_features,
) -> rad_status {
    boundary(|| {
        let default = if settings.is_null() {
            Settings::default()
        } else {
            rad_settings::borrow(settings, "settings")?.clone()
        };
        let names = slice_arg(modalities, n_images, "modalities")?;
        let paths = slice_arg(image_paths, n_images, "image_paths")?;
        let own = if modality_settings.is_null() {
            &[]
        } else {
            slice_arg(modality_settings, n_images, "modality_settings")?
        };
        let mask = str_arg(mask_path, "mask_path")?;
        let out = out_ptr(out, "out")?;
        if n_images == 0 {
            return Err(Error::invalid("a case needs at least one image"));
        }
        let mut extractor = CaseExtractor::new(default);
        let mut images = Vec::with_capacity(n_images);
        for (i, (&name, &path)) in names.iter().zip(paths).enumerate() {
            let name = str_arg(name, &format!("modalities[{i}]"))?;
            check_modality_name(name)?;
            let path = str_arg(path, &format!("image_paths[{i}]"))?;
            if let Some(&s) = own.get(i).filter(|s| !s.is_null()) {
                let s = rad_settings::borrow(s, &format!("modality_settings[{i}]"))?;
                extractor = extractor.with_modality(name, s.clone())?;
            }
            images.push((name.to_string(), PathBuf::from(path)));
        }
        let row = ManifestRow {
            case_id: String::new(),
            patient_id: String::new(),
            label: String::new(),
            split: String::new(),
            images,
            mask: PathBuf::from(mask),
        };
        let features = extract_row(&row, &extractor)?;
        write_out(out, rad_features::into_handle(FeatureSet::new(features)?));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::read_manifest;
    use crate::capi::error::rad_last_error_message;
    use crate::capi::features::{rad_features_free, rad_features_to_csv, rad_string_free};
    use crate::capi::settings::{rad_settings_free, rad_settings_from_yaml};
    use crate::synthetic::{cohort, write_cohort};
    use std::ffi::{CStr, CString};
    use std::ptr::{null, null_mut};

    fn last() -> String {
        // SAFETY: never NULL, NUL-terminated.
        unsafe { CStr::from_ptr(rad_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    fn settings(yaml: &CStr) -> *mut rad_settings {
        let mut s = null_mut();
        assert_eq!(
            rad_settings_from_yaml(yaml.as_ptr(), &mut s),
            rad_status::RadOk
        );
        s
    }

    fn csv(f: *const rad_features) -> String {
        let mut text = null_mut();
        assert_eq!(rad_features_to_csv(f, &mut text), rad_status::RadOk);
        // SAFETY: a NUL-terminated string from the library.
        let s = unsafe { CStr::from_ptr(text) }
            .to_str()
            .unwrap()
            .to_string();
        rad_string_free(text);
        s
    }

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    /// Two synthetic cases on disk (T1C, and ADC on a coarser grid) and their manifest rows.
    fn two_cases(dir: &std::path::Path) -> Vec<ManifestRow> {
        let cases: Vec<_> = cohort(5).into_iter().take(2).collect();
        read_manifest(&write_cohort(&cases, dir).unwrap()).unwrap()
    }

    #[test]
    fn a_case_from_its_files_is_the_batch_row() {
        let dir = std::env::temp_dir().join(format!("radiomics-capi-case-{}", std::process::id()));
        let rows = two_cases(&dir);
        let t1c_yaml = c"featureClass: {firstorder: [Mean, Maximum], glcm: [Contrast]}\nsetting: {binWidth: 25}";
        let adc_yaml = c"featureClass: {firstorder: [Median]}\nsetting: {binCount: 16}";
        let (t1c, adc) = (settings(t1c_yaml), settings(adc_yaml));
        let mut extractor = CaseExtractor::new(Settings::default());
        for (m, y) in [("t1c", t1c_yaml), ("adc", adc_yaml)] {
            let s = Settings::from_yaml_str(y.to_str().unwrap()).unwrap();
            extractor = extractor.with_modality(m, s).unwrap();
        }
        for row in &rows {
            let mods = [c("t1c"), c("adc")];
            let paths = [
                c(row.images[0].1.to_str().unwrap()),
                c(row.images[1].1.to_str().unwrap()),
            ];
            let mask = c(row.mask.to_str().unwrap());
            let names = [mods[0].as_ptr(), mods[1].as_ptr()];
            let files = [paths[0].as_ptr(), paths[1].as_ptr()];
            let own = [t1c.cast_const(), adc.cast_const()];
            let mut f = null_mut();
            let st = rad_extract_case_files(
                null(),
                2,
                names.as_ptr(),
                files.as_ptr(),
                own.as_ptr(),
                mask.as_ptr(),
                &mut f,
            );
            assert_eq!(st, rad_status::RadOk, "{}", last());
            let mut want_row = row.clone();
            want_row.images.truncate(2);
            let want = extract_row(&want_row, &extractor).unwrap();
            assert_eq!(csv(f), want.to_csv());
            assert!(csv(f).contains("\nadc_original_firstorder_Median,"));
            assert_eq!(want.len(), 4);
            rad_features_free(f);

            // Without per-modality settings every modality gets the default ones.
            let only = [null::<rad_settings>(), null()];
            let mut g = null_mut();
            let st = rad_extract_case_files(
                t1c,
                2,
                names.as_ptr(),
                files.as_ptr(),
                only.as_ptr(),
                mask.as_ptr(),
                &mut g,
            );
            assert_eq!(st, rad_status::RadOk, "{}", last());
            assert!(csv(g).contains("\nadc_original_glcm_Contrast,"));
            rad_features_free(g);
        }
        rad_settings_free(t1c);
        rad_settings_free(adc);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_arguments_and_files_are_errors_naming_them() {
        let (m, p, mask) = (
            c("t1c"),
            c("/nonexistent/t1c.nii.gz"),
            c("/nonexistent/mask.nii.gz"),
        );
        let names = [m.as_ptr()];
        let files = [p.as_ptr()];
        let mut f = null_mut();
        let call = |names: *const *const c_char,
                    files: *const *const c_char,
                    mask: *const c_char,
                    out: *mut *mut rad_features| {
            rad_extract_case_files(null(), 1, names, files, null(), mask, out)
        };
        assert_eq!(
            call(null(), files.as_ptr(), mask.as_ptr(), &mut f),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("modalities"), "{}", last());
        assert_eq!(
            call(names.as_ptr(), null(), mask.as_ptr(), &mut f),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("image_paths"), "{}", last());
        assert_eq!(
            call(names.as_ptr(), files.as_ptr(), null(), &mut f),
            rad_status::RadInvalidArgument
        );
        assert!(last().contains("mask_path"), "{}", last());
        assert_eq!(
            call(names.as_ptr(), files.as_ptr(), mask.as_ptr(), null_mut()),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            call(names.as_ptr(), files.as_ptr(), mask.as_ptr(), &mut f),
            rad_status::RadIo
        );
        assert!(
            last().contains("modality 't1c'") && last().contains("/nonexistent/t1c.nii.gz"),
            "{}",
            last()
        );
        let st = rad_extract_case_files(null(), 0, null(), null(), null(), mask.as_ptr(), &mut f);
        assert_eq!(st, rad_status::RadInvalidArgument);
        let bad = c("T1");
        let st = rad_extract_case_files(
            null(),
            1,
            [bad.as_ptr()].as_ptr(),
            files.as_ptr(),
            null(),
            mask.as_ptr(),
            &mut f,
        );
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(last().contains("'T1'"), "{}", last());
        assert!(f.is_null(), "no output on failure");
    }
}
