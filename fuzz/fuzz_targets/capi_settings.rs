//! Settings through the C ABI: a parameter document (YAML or JSON) to `rad_settings_from_yaml` /
//! `rad_settings_from_json`, then a sequence of setter calls (`rad_settings_set` with any key and JSON
//! text, `rad_settings_set_bin_width`, `_bin_count`, `_label`, `_threads`, `_image_types`) with arbitrary
//! arguments, then, when the settings hold, an extraction on a small fixed image. Any input gives a
//! status, never `RAD_INTERNAL` (a caught panic) and never a panic; a failing setter leaves the settings
//! as they were; warnings (an option without effect) come with the features.
//!
//! Input: `flags`, then the document up to a 0 byte, then calls: an opcode byte and its operands (text
//! operands end at a 0 byte; numbers are 8 little-endian bytes).
#![no_main]

use std::ffi::{CStr, CString};
use std::ptr::null_mut;

use libfuzzer_sys::fuzz_target;
use radiomics::capi::*;

struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn text(&mut self) -> CString {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        let t = CString::new(&self.0[..end]).expect("no interior NUL");
        self.0 = &self.0[(end + 1).min(self.0.len())..];
        t
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(std::array::from_fn(|_| self.byte().unwrap_or(0)))
    }
}

const KEYS: [&CStr; 12] = [
    c"binWidth",
    c"binCount",
    c"label",
    c"sigma",
    c"resampledPixelSpacing",
    c"distances",
    c"maxGreyLevels",
    c"force2D",
    c"normalize",
    c"resegmentRange",
    c"threads",
    c"maxMemoryMB",
];

fn check(st: rad_status) {
    assert_ne!(st, rad_status::RadInternal, "RAD_INTERNAL: {:?}", unsafe {
        CStr::from_ptr(rad_last_error_message())
    });
}

/// Fingerprint of the settings: the features of a fixed extraction (or its status).
fn extract(settings: *mut rad_settings) -> Result<(Vec<u64>, usize), rad_status> {
    // A 6x5x4 ramp with a 3x3x2 ROI of label 1: every class has something to compute.
    let dims = [6usize, 5, 4];
    let voxels: Vec<f64> = (0..120).map(|i| ((i * 37) % 23) as f64).collect();
    let labels: Vec<u8> = (0..120)
        .map(|i| {
            let (x, y, z) = (i % 6, (i / 6) % 5, i / 30);
            u8::from((1..4).contains(&x) && (1..4).contains(&y) && (1..3).contains(&z))
        })
        .collect();
    let spacing = [1.0, 1.0, 2.0];
    let origin = [0.0; 3];
    let id = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let (mut image, mut mask) = (null_mut(), null_mut());
    let st = rad_image_from_buffer(
        voxels.as_ptr().cast(),
        voxels.len() * 8,
        rad_dtype::RadFloat64 as i32,
        dims.as_ptr(),
        spacing.as_ptr(),
        origin.as_ptr(),
        id.as_ptr(),
        &mut image,
    );
    assert_eq!(st, rad_status::RadOk);
    let st = rad_image_from_buffer(
        labels.as_ptr().cast(),
        labels.len(),
        rad_dtype::RadUint8 as i32,
        dims.as_ptr(),
        spacing.as_ptr(),
        origin.as_ptr(),
        id.as_ptr(),
        &mut mask,
    );
    assert_eq!(st, rad_status::RadOk);
    let mut f = null_mut();
    let st = rad_extract(settings, image, mask, &mut f);
    check(st);
    rad_image_free(image);
    rad_image_free(mask);
    if st != rad_status::RadOk {
        assert!(f.is_null(), "an output written on failure");
        return Err(st);
    }
    let n = rad_features_count(f);
    let values = (0..n)
        .map(|i| {
            let mut v = 0.0;
            assert_eq!(rad_features_value(f, i, &mut v), rad_status::RadOk);
            v.to_bits()
        })
        .collect();
    let warnings = rad_features_warning_count(f);
    for i in 0..warnings {
        assert!(!rad_features_warning(f, i).is_null());
    }
    rad_features_free(f);
    Ok((values, warnings))
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let Some(flags) = b.byte() else {
        return;
    };
    let doc = b.text();
    let mut settings = null_mut();
    let st = if flags & 1 == 0 {
        rad_settings_from_yaml(doc.as_ptr(), &mut settings)
    } else {
        rad_settings_from_json(doc.as_ptr(), &mut settings)
    };
    check(st);
    if st != rad_status::RadOk {
        assert!(settings.is_null(), "an output written on failure");
        let st = rad_settings_new(&mut settings);
        assert_eq!(st, rad_status::RadOk);
    }
    let mut calls = 0;
    while let Some(op) = b.byte() {
        calls += 1;
        if calls > 16 {
            break;
        }
        let st = match op % 7 {
            0 => {
                let key = if op & 0x80 != 0 {
                    b.text()
                } else {
                    KEYS[(op as usize >> 3) % KEYS.len()].to_owned()
                };
                let value = b.text();
                rad_settings_set(settings, key.as_ptr(), value.as_ptr())
            }
            1 => rad_settings_set_bin_width(settings, f64::from_bits(b.u64())),
            2 => rad_settings_set_bin_count(settings, b.u64() as i32),
            3 => rad_settings_set_label(settings, b.u64() as i64),
            4 => rad_settings_set_threads(settings, (b.u64() % 4) as u32),
            5 => {
                let t = b.text();
                rad_settings_set_image_types(settings, t.as_ptr())
            }
            _ => rad_settings_set(settings, c"binWidth".as_ptr(), c"nan".as_ptr()),
        };
        check(st);
    }
    // Limits small enough for the fuzzer's memory and time bounds, one thread (the code paths are the
    // same, and threads change no feature).
    let limited = [(c"maxVoxels", c"65536"), (c"maxMemoryMB", c"64"), (c"threads", c"1")]
        .iter()
        .all(|(k, v)| rad_settings_set(settings, k.as_ptr(), v.as_ptr()) == rad_status::RadOk);
    if limited && flags & 2 != 0 {
        // The same settings give the same features twice (no state leaks between extractions).
        let first = extract(settings);
        if flags & 4 != 0 {
            assert_eq!(first, extract(settings));
        }
    }
    rad_settings_free(settings);
});
