//! `rad_image_from_buffer` + `rad_extract` through the C ABI, with arbitrary dims, spacing, direction,
//! dtype, voxel content, mask content and a few settings. Any input gives features or a status; a caught
//! panic (`RAD_INTERNAL`) is a failure, as is a panic anywhere (libFuzzer's hook aborts on it).
//!
//! Input layout (missing bytes read as 0): `[nx, ny, nz, dtype, flags, bin, label]`, then 24 bytes of
//! spacing (flags bit 0), 72 bytes of direction (flags bit 1), 24 bytes of origin (flags bit 2), then the
//! image's voxels and the mask's voxels (`u8`, or `f64` when flags bit 3: fractional labels), repeated
//! to fill the buffers. Bit 4 passes a buffer one byte short; bit 5 asks for 2D texture (`force2D`);
//! bit 6 uses `binCount` instead of `binWidth`; bit 7 turns on resampling to 2 mm.
#![no_main]

use std::ffi::CString;

use std::ptr::null_mut;

use libfuzzer_sys::fuzz_target;
use radiomics::capi::*;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn f64s<const N: usize>(&mut self) -> [f64; N] {
        std::array::from_fn(|_| f64::from_le_bytes(std::array::from_fn(|_| self.byte())))
    }
}

fn fill(pattern: &[u8], len: usize) -> Vec<u8> {
    if pattern.is_empty() {
        return vec![0; len];
    }
    pattern.iter().copied().cycle().take(len).collect()
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let dims = [
        (b.byte() % 7 + 1) as usize,
        (b.byte() % 7 + 1) as usize,
        (b.byte() % 5 + 1) as usize,
    ];
    let dtype = (b.byte() % 12) as i32; // 0 and 11 are not rad_dtype values
    let flags = b.byte();
    let bin = b.byte();
    let label = b.byte() % 4;
    let spacing = if flags & 1 != 0 {
        b.f64s::<3>()
    } else {
        [1.0; 3]
    };
    let direction = if flags & 2 != 0 {
        b.f64s::<9>()
    } else {
        [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    };
    let origin = if flags & 4 != 0 {
        b.f64s::<3>()
    } else {
        [0.0; 3]
    };
    let n = dims[0] * dims[1] * dims[2];
    let size = match dtype {
        1 | 2 => 1,
        3 | 4 => 2,
        5 | 6 | 9 => 4,
        _ => 8,
    };
    let rest = b.0;
    let split = rest.len() / 2;
    let mut voxels = fill(&rest[..split], n * size);
    if flags & 16 != 0 {
        voxels.pop();
    }
    let mask_pattern = &rest[split..];

    {
        let mut image = null_mut();
        let st = rad_image_from_buffer(
            voxels.as_ptr().cast(),
            voxels.len(),
            dtype,
            dims.as_ptr(),
            spacing.as_ptr(),
            origin.as_ptr(),
            direction.as_ptr(),
            &mut image,
        );
        assert_ne!(st, rad_status::RadInternal);
        if st != rad_status::RadOk {
            assert!(image.is_null());
            return;
        }
        let (mask_bytes, mask_dtype) = if flags & 8 != 0 {
            let m: Vec<u8> = fill(mask_pattern, n)
                .iter()
                .flat_map(|&v| (v as f64 / 64.0).to_le_bytes())
                .collect();
            (m, rad_dtype::RadFloat64)
        } else {
            let m: Vec<u8> = fill(mask_pattern, n).iter().map(|v| v % 4).collect();
            (m, rad_dtype::RadUint8)
        };
        let mut mask = null_mut();
        let st = rad_image_from_buffer(
            mask_bytes.as_ptr().cast(),
            mask_bytes.len(),
            mask_dtype as i32,
            dims.as_ptr(),
            spacing.as_ptr(),
            origin.as_ptr(),
            direction.as_ptr(),
            &mut mask,
        );
        assert_eq!(st, rad_status::RadOk, "the image's geometry was accepted");

        let mut settings = null_mut();
        assert_eq!(rad_settings_new(&mut settings), rad_status::RadOk);
        let set = |key: &str, value: &str| {
            let k = CString::new(key).unwrap();
            let v = CString::new(value).unwrap();
            rad_settings_set(settings, k.as_ptr(), v.as_ptr())
        };
        let st = if flags & 64 != 0 {
            rad_settings_set_bin_count(settings, bin as i32)
        } else {
            rad_settings_set_bin_width(settings, bin as f64 / 16.0)
        };
        assert_ne!(st, rad_status::RadInternal);
        // Label 0 is refused (RAD_UNSUPPORTED_SETTING); the default, 1, is kept.
        assert_ne!(
            rad_settings_set_label(settings, label as i64),
            rad_status::RadInternal
        );
        if flags & 32 != 0 {
            assert_eq!(set("force2D", "true"), rad_status::RadOk);
        }
        if flags & 128 != 0 {
            assert_eq!(set("resampledPixelSpacing", "[2, 2, 2]"), rad_status::RadOk);
        }
        // Small ceilings: texture matrices and volumes stay small whatever the input.
        assert_eq!(set("maxGreyLevels", "256"), rad_status::RadOk);
        assert_eq!(set("maxVoxels", "100000"), rad_status::RadOk);

        let mut features = null_mut();
        let st = rad_extract(settings, image, mask, &mut features);
        assert_ne!(
            st,
            rad_status::RadInternal,
            "extraction panicked or broke an invariant"
        );
        if st == rad_status::RadOk {
            assert!(rad_features_count(features) > 0);
            let mut csv = null_mut();
            assert_eq!(rad_features_to_csv(features, &mut csv), rad_status::RadOk);
            rad_string_free(csv);
        } else {
            assert!(features.is_null());
        }
        rad_features_free(features);
        rad_settings_free(settings);
        rad_image_free(mask);
        rad_image_free(image);
    }
});
