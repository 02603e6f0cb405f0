//! Reading only the ROI's box of an image file gives the features of the whole image.

mod common;

use radiomics::image::io::{read_image, read_image_box, read_mask, ReadOptions};
use radiomics::image::BoundingBox;
use radiomics::{Extractor, Settings};

#[test]
fn box_read_gives_the_features_of_the_whole_image_bit_for_bit() {
    let data = require_data!();
    let dir = data.join("pyradiomics");
    for case in ["brain1", "breast1", "lung1"] {
        for params in ["default.yaml", "mr_linear.yaml"] {
            let settings = Settings::from_file(dir.join("reference/params").join(params)).unwrap();
            let ex = Extractor::new(settings);
            let image_path = dir.join(format!("nifti/{case}_image.nii.gz"));
            let label_path = dir.join(format!("nifti/{case}_label.nii.gz"));
            let label = ex.settings().params().label;
            let whole = ex
                .extract(
                    &read_image(&image_path).unwrap(),
                    &read_image(&label_path).unwrap(),
                )
                .unwrap();
            if !ex.needs_only_roi_box() {
                // Resampling reads around the ROI: these settings need the whole image.
                assert_eq!(params, "mr_linear.yaml");
                continue;
            }
            let mask = read_mask(&label_path, label).unwrap();
            let bbox = ex.roi_box(&mask).unwrap();
            let image = read_image_box(&image_path, &bbox, &ReadOptions::default()).unwrap();
            assert_eq!(image.image.data().dim(), {
                let s = bbox.shape();
                (s[0], s[1], s[2])
            });
            let boxed = ex
                .extract_box_timed(&image, mask, &mut |_| true, &mut Default::default())
                .unwrap();
            assert_eq!(whole.names(), boxed.names(), "{case}");
            for ((n, x), y) in whole.iter().zip(boxed.values()) {
                assert_eq!(x.to_bits(), y.to_bits(), "{case} {n}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn box_read_checks_the_whole_grid_the_box_and_the_settings() {
    let data = require_data!();
    let dir = data.join("pyradiomics/nifti");
    let ex = Extractor::new(Settings::default());
    let mask = read_mask(dir.join("brain1_label.nii.gz"), 1).unwrap();
    let bbox = ex.roi_box(&mask).unwrap();
    // Another case's image: its grid differs from the mask's.
    let other = read_image_box(
        dir.join("breast1_image.nii.gz"),
        &BoundingBox {
            lower: [0; 3],
            upper: [1, 1, 1],
        },
        &ReadOptions::default(),
    )
    .unwrap();
    let err = ex
        .extract_box_timed(&other, mask.clone(), &mut |_| true, &mut Default::default())
        .unwrap_err();
    assert!(err.to_string().contains("grid"), "{err}");
    // A box that misses part of the ROI.
    let mut small = bbox;
    small.upper[2] -= 1;
    let part = read_image_box(
        dir.join("brain1_image.nii.gz"),
        &small,
        &ReadOptions::default(),
    )
    .unwrap();
    let err = ex
        .extract_box_timed(&part, mask.clone(), &mut |_| true, &mut Default::default())
        .unwrap_err();
    assert!(err.to_string().contains("does not hold"), "{err}");
    // A box outside the volume.
    let mut outside = bbox;
    outside.upper[0] = 10_000;
    let err = read_image_box(
        dir.join("brain1_image.nii.gz"),
        &outside,
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not inside"), "{err}");
    // Settings with filters need the whole image.
    let ex = Extractor::new(
        Settings::from_yaml_str("imageType:\n  Original: {}\n  LoG:\n    sigma: [1.0]\n").unwrap(),
    );
    assert!(!ex.needs_only_roi_box());
    let whole_box = read_image_box(
        dir.join("brain1_image.nii.gz"),
        &bbox,
        &ReadOptions::default(),
    )
    .unwrap();
    let err = ex
        .extract_box_timed(&whole_box, mask, &mut |_| true, &mut Default::default())
        .unwrap_err();
    assert!(err.to_string().contains("whole image"), "{err}");
}
