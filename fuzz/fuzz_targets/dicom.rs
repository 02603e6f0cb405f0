//! The DICOM reader on arbitrary bytes, written to a file alone in its folder: read as an image series
//! (one slice) and as a SEG / RTSTRUCT mask on a small fixed grid (that of the seeds, written by
//! `tests/make_dicom.py --fuzz-seeds`). Any input gives an image, a mask or an
//! error, never a panic, and never more memory than the voxel limit allows.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use radiomics::image::io::{dicom, read_image_with, read_mask_for, ReadOptions};
use radiomics::image::{Geometry, Image};

fn file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("radiomics-fuzz-dicom-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary folder");
        dir.join("input.dcm")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = file();
    std::fs::write(path, data).expect("write the input");
    // A small ceiling keeps each run fast; the code path is the same as with the default.
    let options = ReadOptions {
        max_voxels: 1 << 20,
    };
    if let Ok(image) = read_image_with(path, &options) {
        assert!(image.data().len() <= options.max_voxels);
        image
            .geometry()
            .validate()
            .expect("a loaded image has a valid geometry");
    }
    if dicom::is_dicom_mask(path) {
        let grid = Image::new(
            ndarray::Array3::zeros((2, 8, 8)),
            Geometry::new([0.5, 0.75, 2.0], [0.0, 0.0, 0.0]),
        )
        .expect("a valid grid");
        if let Ok(mask) = read_mask_for(path, 1, None, &grid) {
            assert_eq!(mask.size(), grid.size());
        }
    }
});
