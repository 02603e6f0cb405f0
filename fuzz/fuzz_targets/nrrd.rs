//! The NRRD reader on arbitrary bytes (header and data in one file, raw or gzip encoding): any input
//! gives an image or an error, never a panic, and never more memory than the voxel limit allows. The
//! fields it does not implement (`kinds` other than spatial, unknown `endian`, a field twice) are refused,
//! and `byte skip` / `line skip` are honoured: a loaded image has exactly the voxels its header declares.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiomics::image::io::nrrd::read_nrrd_bytes_with;
use radiomics::image::io::ReadOptions;

fuzz_target!(|data: &[u8]| {
    // A small ceiling keeps each run fast; the code path is the same as with the default.
    let options = ReadOptions {
        max_voxels: 1 << 20,
    };
    if let Ok(image) = read_nrrd_bytes_with(data, &options) {
        let [x, y, z] = image.size();
        assert_eq!(image.data().len(), x * y * z);
        assert!(image.data().len() <= options.max_voxels);
        image
            .geometry()
            .validate()
            .expect("a loaded image has a valid geometry");
    }
});
