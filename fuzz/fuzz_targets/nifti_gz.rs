//! The NIfTI-1 reader on gzip streams (a `.nii.gz`): corrupt, truncated and inflating-too-far streams are
//! errors. Inputs that do not start with the gzip magic get it prepended, so that every run inflates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiomics::image::io::nifti::read_nifti_bytes_with;
use radiomics::image::io::ReadOptions;

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        max_voxels: 1 << 16,
    };
    let owned;
    let data = if data.starts_with(&[0x1f, 0x8b]) {
        data
    } else {
        owned = [&[0x1f, 0x8b][..], data].concat();
        &owned[..]
    };
    if let Ok(image) = read_nifti_bytes_with(data, &options) {
        assert!(image.data().len() <= options.max_voxels);
    }
});
