//! The NIfTI-1 reader on arbitrary bytes (a plain `.nii`): any input gives an image or an error, never a
//! panic, and never more memory than the voxel limit allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiomics::image::io::nifti::read_nifti_bytes_with;
use radiomics::image::io::ReadOptions;

fuzz_target!(|data: &[u8]| {
    // A small ceiling keeps each run fast; the code path is the same as with the default.
    let options = ReadOptions {
        max_voxels: 1 << 20,
    };
    if let Ok(image) = read_nifti_bytes_with(data, &options) {
        assert!(image.data().len() <= options.max_voxels);
        image
            .geometry()
            .validate()
            .expect("a loaded image has a valid geometry");
    }
});
