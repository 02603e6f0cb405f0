//! Voxel-based extraction and `rad_maps`: one feature map per enabled feature.

use std::ffi::{c_char, c_void, CString};

use crate::error::{Error, ErrorKind, Result};
use crate::extract::Extractor;
use crate::voxel::{extract_maps_with, FeatureMap};

use super::error::{boundary, boundary_or, fail, out_ptr, rad_status, write_out};
use super::features::rad_progress_fn;
use super::handle::BoxHandle;
use super::image::rad_image;
use super::settings::rad_settings;

/// The feature maps of one voxel-based extraction: each has a name (`original_glcm_Contrast`) and a
/// volume of doubles on a grid shared by all maps (the ROI's bounding box grown by `kernelRadius`), with
/// `initValue` outside the ROI. Opaque; made by `rad_extract_maps`, freed by `rad_maps_free`. Immutable:
/// may be read by several threads at once.
pub struct rad_maps {
    _private: [u8; 0],
}

/// The Rust side of `rad_maps`: the maps, in C order of `[z][y][x]`, and their names as C strings.
pub(crate) struct MapSet {
    maps: Vec<FeatureMap>,
    c_names: Vec<CString>,
}

impl BoxHandle for rad_maps {
    type Inner = MapSet;
}

impl MapSet {
    fn new(maps: Vec<FeatureMap>) -> Result<MapSet> {
        let mut c_names = Vec::with_capacity(maps.len());
        for m in &maps {
            c_names.push(CString::new(m.name.as_str()).map_err(|_| {
                Error::new(
                    ErrorKind::Internal,
                    format!("feature name {:?} holds NUL", m.name),
                )
            })?);
        }
        Ok(MapSet { maps, c_names })
    }

    fn get(&self, index: usize) -> Result<&FeatureMap> {
        self.maps.get(index).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "map index {index} is out of range (the set has {} maps)",
                    self.maps.len()
                ),
            )
        })
    }
}

/// Voxel-based extraction (PyRadiomics' `voxelBased=True`): for every voxel of the region of interest of
/// `mask` (its voxels equal to the `label` setting) in `image`, the features of the kernel around it, as
/// the `voxelSetting` section of the settings defines it (`kernelRadius`, `maskedKernel`, `initValue`,
/// `voxelBatch`). Every class but shape, on every enabled image type.
///
/// `progress` may be NULL; otherwise it is called on the calling thread with the fraction done, and a
/// non-zero return cancels (`RAD_CANCELLED`, also mid-map). `user` is passed to it untouched.
///
/// On success `*out` receives a new map set, owned by the caller and freed with `rad_maps_free`; on
/// failure `*out` is left as it was. Returns `RAD_OK` or the codes of `rad_extract`, and
/// `RAD_LIMIT_EXCEEDED` when the maps would take more than the `maxMemoryMB` setting. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_extract_maps(
    settings: *const rad_settings,
    image: *const rad_image,
    mask: *const rad_image,
    progress: rad_progress_fn,
    user: *mut c_void,
    out: *mut *mut rad_maps,
) -> rad_status {
    boundary(|| {
        let settings = rad_settings::borrow(settings, "settings")?;
        let image = rad_image::borrow(image, "image")?;
        let mask = rad_image::borrow(mask, "mask")?;
        let out = out_ptr(out, "out")?;
        let extractor = Extractor::new(settings.clone());
        let mut maps = Vec::new();
        let mut report = |fraction: f64| match progress {
            None => true,
            // SAFETY: a C function pointer given by the caller, called with the caller's own `user`
            // pointer, as documented.
            Some(f) => unsafe { f(user, fraction) == 0 },
        };
        extract_maps_with(&extractor, image, mask, &mut report, &mut |m| {
            maps.push(m);
            Ok(())
        })?;
        write_out(out, rad_maps::into_handle(MapSet::new(maps)?));
        Ok(())
    })
}

/// Frees a map set. NULL is ignored. Names and data pointers obtained from it become invalid.
#[no_mangle]
pub extern "C" fn rad_maps_free(maps: *mut rad_maps) {
    boundary_or((), || rad_maps::free(maps))
}

/// Number of maps in the set; 0 when `maps` is NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_maps_count(maps: *const rad_maps) -> usize {
    boundary_or(0, || {
        rad_maps::borrow(maps, "maps").map_or(0, |m| m.maps.len())
    })
}

/// The feature name of map `index` (0-based), NUL-terminated UTF-8, e.g. `"original_glcm_Contrast"`.
///
/// The string belongs to the map set and stays valid until `rad_maps_free`; do not free it. NULL when
/// `maps` is NULL or `index` is not below `rad_maps_count` (with a message for `rad_last_error_message`).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_maps_name(maps: *const rad_maps, index: usize) -> *const c_char {
    boundary_or(std::ptr::null(), || {
        let name = rad_maps::borrow(maps, "maps")
            .and_then(|m| m.get(index).map(|_| m.c_names[index].as_ptr()));
        name.unwrap_or_else(|e| {
            fail(&e);
            std::ptr::null()
        })
    })
}

/// The values of map `index` (0-based): `nx·ny·nz` doubles (the sizes of `rad_maps_image`'s image), x
/// varying fastest, then y, then z.
///
/// The buffer belongs to the map set and stays valid until `rad_maps_free`; do not free or write it.
/// NULL when `maps` is NULL or `index` is not below `rad_maps_count` (with a message for
/// `rad_last_error_message`). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_maps_data(maps: *const rad_maps, index: usize) -> *const f64 {
    boundary_or(std::ptr::null(), || {
        let data = rad_maps::borrow(maps, "maps").and_then(|m| {
            let map = m.get(index)?;
            map.image
                .data()
                .as_slice()
                .map(<[f64]>::as_ptr)
                .ok_or_else(|| Error::new(ErrorKind::Internal, "a map is not stored contiguously"))
        });
        data.unwrap_or_else(|e| {
            fail(&e);
            std::ptr::null()
        })
    })
}

/// Map `index` (0-based) as a new image, with the maps' grid: size, spacing, origin and direction
/// (`rad_image_size`, `rad_image_spacing`, `rad_image_origin`, `rad_image_direction`) and its values
/// (`rad_image_copy_voxels`).
///
/// On success `*out` receives a new image, owned by the caller and freed with `rad_image_free`; on
/// failure `*out` is left as it was. Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument or an
/// index not below `rad_maps_count`. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_maps_image(
    maps: *const rad_maps,
    index: usize,
    out: *mut *mut rad_image,
) -> rad_status {
    boundary(|| {
        let m = rad_maps::borrow(maps, "maps")?;
        let out = out_ptr(out, "out")?;
        let image = m.get(index)?.image.clone();
        write_out(out, rad_image::into_handle(image));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::{
        rad_image_free, rad_image_from_buffer, rad_image_size, rad_settings_free,
        rad_settings_from_yaml,
    };

    unsafe extern "C" fn cancel_at_half(user: *mut c_void, fraction: f64) -> std::ffi::c_int {
        // SAFETY: the test passes a pointer to its own counter.
        let calls = unsafe { &mut *user.cast::<usize>() };
        *calls += 1;
        (fraction >= 0.5) as std::ffi::c_int
    }

    #[test]
    fn maps_through_the_c_abi() {
        // A 6 x 6 x 6 image, the ROI its central 4 x 4 x 4 cube.
        let values: Vec<f64> = (0..216).map(|i| ((i * 37) % 11) as f64 * 10.0).collect();
        let labels: Vec<f64> = (0..216)
            .map(|i| {
                let (z, y, x) = (i / 36, (i / 6) % 6, i % 6);
                ([z, y, x].iter().all(|&c| (1..5).contains(&c))) as u8 as f64
            })
            .collect();
        let size = [6usize, 6, 6];
        let spacing = [1.0, 1.0, 2.0];
        let origin = [0.0; 3];
        let direction = crate::image::IDENTITY_DIRECTION;
        let mut image = std::ptr::null_mut();
        let mut mask = std::ptr::null_mut();
        for (buf, out) in [(&values, &mut image), (&labels, &mut mask)] {
            let st = rad_image_from_buffer(
                buf.as_ptr().cast(),
                buf.len() * 8,
                crate::capi::rad_dtype::RadFloat64 as i32,
                size.as_ptr(),
                spacing.as_ptr(),
                origin.as_ptr(),
                direction.as_ptr(),
                out,
            );
            assert_eq!(st, rad_status::RadOk);
        }
        let yaml = CString::new(
            "featureClass: {firstorder: [Mean], glcm: [Contrast]}\nvoxelSetting: {kernelRadius: 1, initValue: -5}",
        )
        .unwrap();
        let mut settings = std::ptr::null_mut();
        assert_eq!(
            rad_settings_from_yaml(yaml.as_ptr(), &mut settings),
            rad_status::RadOk
        );
        let mut maps = std::ptr::null_mut();
        let st = rad_extract_maps(settings, image, mask, None, std::ptr::null_mut(), &mut maps);
        assert_eq!(st, rad_status::RadOk);
        assert_eq!(rad_maps_count(maps), 2);
        // SAFETY: a valid name pointer of a live map set.
        let name = unsafe { std::ffi::CStr::from_ptr(rad_maps_name(maps, 0)) };
        assert_eq!(name.to_str().unwrap(), "original_firstorder_Mean");
        assert!(rad_maps_name(maps, 2).is_null());
        assert!(rad_maps_data(maps, 2).is_null());
        let mut map_image = std::ptr::null_mut();
        assert_eq!(rad_maps_image(maps, 0, &mut map_image), rad_status::RadOk);
        let mut grid = [0usize; 3];
        assert_eq!(
            rad_image_size(map_image, grid.as_mut_ptr()),
            rad_status::RadOk
        );
        // The ROI's box (4 voxels) grown by the radius on each side.
        assert_eq!(grid, [6, 6, 6]);
        let data = rad_maps_data(maps, 0);
        assert!(!data.is_null());
        // SAFETY: 216 doubles owned by the live map set.
        let mean = unsafe { std::slice::from_raw_parts(data, 216) };
        assert_eq!(mean[0], -5.0);
        // The kernel of the ROI's corner voxel (1, 1, 1) holds the ROI voxels of {1, 2}³.
        let at = |z: usize, y: usize, x: usize| values[z * 36 + y * 6 + x];
        let mut corner = Vec::new();
        for z in 1..3 {
            for y in 1..3 {
                for x in 1..3 {
                    corner.push(at(z, y, x));
                }
            }
        }
        let expected = corner.iter().sum::<f64>() / corner.len() as f64;
        assert!((mean[36 + 6 + 1] - expected).abs() < 1e-12);
        rad_image_free(map_image);
        rad_maps_free(maps);

        // Cancellation from the callback.
        let mut calls = 0usize;
        let mut maps = std::ptr::null_mut();
        let st = rad_extract_maps(
            settings,
            image,
            mask,
            Some(cancel_at_half),
            (&mut calls as *mut usize).cast(),
            &mut maps,
        );
        assert_eq!(st, rad_status::RadCancelled);
        assert!(maps.is_null());
        assert!(calls >= 2);
        // NULL arguments.
        assert_eq!(
            rad_extract_maps(
                std::ptr::null(),
                image,
                mask,
                None,
                std::ptr::null_mut(),
                &mut maps
            ),
            rad_status::RadInvalidArgument
        );
        assert_eq!(rad_maps_count(std::ptr::null()), 0);
        rad_maps_free(std::ptr::null_mut());
        rad_settings_free(settings);
        rad_image_free(image);
        rad_image_free(mask);
    }
}
