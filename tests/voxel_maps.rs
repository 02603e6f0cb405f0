//! Voxel-based extraction through the command line and the library: files, geometry, initValue, threads,
//! cancellation and bad settings.

mod common;

use std::process::Command;

use radiomics::image::io::read_image;
use radiomics::voxel::{extract_maps, extract_maps_with};
use radiomics::{ErrorKind, Extractor, Settings};

const PARAMS: &str = "imageType: {Original: {}}\n\
featureClass: {firstorder: [Mean, Entropy], glcm: [Contrast, MCC], glszm: [ZoneEntropy]}\n\
setting: {binWidth: 25, label: 1}\n\
voxelSetting: {kernelRadius: 1, initValue: nan}\n";

fn breast1(data: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = data.join("pyradiomics/nifti");
    (
        dir.join("breast1_image.nii.gz"),
        dir.join("breast1_label.nii.gz"),
    )
}

#[test]
fn cli_writes_one_map_per_feature_in_both_formats() {
    let data = require_data!();
    let (image, label) = breast1(&data);
    let tmp = std::env::temp_dir().join(format!("radiomics-voxel-cli-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let params = tmp.join("voxel.yaml");
    std::fs::write(&params, PARAMS).unwrap();
    let settings = Settings::from_yaml_str(PARAMS).unwrap();
    let expected = extract_maps(
        &Extractor::new(settings),
        &read_image(&image).unwrap(),
        &read_image(&label).unwrap(),
    )
    .unwrap();
    assert_eq!(expected.len(), 5);
    for (format, ext) in [("nifti", "nii.gz"), ("nrrd", "nrrd")] {
        let out = tmp.join(format);
        let status = Command::new(env!("CARGO_BIN_EXE_radiomics"))
            .args(["extract", "--voxel", "--map-format", format])
            .arg("--image")
            .arg(&image)
            .arg("--mask")
            .arg(&label)
            .arg("--params")
            .arg(&params)
            .arg("--out-dir")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        let mut files: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let mut names: Vec<String> = expected
            .iter()
            .map(|m| format!("{}.{ext}", m.name))
            .collect();
        names.sort();
        assert_eq!(files, names);
        for m in &expected {
            let back = read_image(out.join(format!("{}.{ext}", m.name))).unwrap();
            assert_eq!(back.size(), m.image.size(), "{}", m.name);
            let (g, h) = (back.geometry(), m.image.geometry());
            for a in 0..3 {
                // NIfTI stores the geometry in float32.
                assert!((g.origin[a] - h.origin[a]).abs() < 1e-4, "{}", m.name);
                assert!((g.spacing[a] - h.spacing[a]).abs() < 1e-5, "{}", m.name);
            }
            for (x, y) in back.data().iter().zip(m.image.data().iter()) {
                assert!(x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
            }
        }
    }
    // Without --out-dir, --voxel is a usage error (exit code 2).
    let status = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(["extract", "--voxel"])
        .arg("--image")
        .arg(&image)
        .arg("--mask")
        .arg(&label)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn maps_lie_on_the_roi_box_grown_by_the_radius_with_init_value_outside() {
    let data = require_data!();
    let (image, label) = breast1(&data);
    let labels = read_image(&label).unwrap();
    let image = read_image(&image).unwrap();
    for radius in [1usize, 3] {
        let settings = Settings::from_yaml_str(
            &PARAMS.replace("kernelRadius: 1", &format!("kernelRadius: {radius}")),
        )
        .unwrap();
        let maps = extract_maps(&Extractor::new(settings), &image, &labels).unwrap();
        let mask = radiomics::Mask::from_labels(&labels, 1).unwrap();
        let bb = mask.bounding_box().unwrap();
        let grid = bb.padded(radius, {
            let s = labels.size();
            [s[2], s[1], s[0]]
        });
        let shape = grid.shape();
        for m in &maps {
            assert_eq!(m.image.size(), [shape[2], shape[1], shape[0]]);
            assert_eq!(
                m.image.geometry().origin,
                labels.geometry().cropped(&grid).origin
            );
            let roi = mask.roi().slice_move(ndarray::s![
                grid.lower[0]..=grid.upper[0],
                grid.lower[1]..=grid.upper[1],
                grid.lower[2]..=grid.upper[2]
            ]);
            for (&v, &inside) in m.image.data().iter().zip(roi.iter()) {
                // MCC keeps initValue where PyRadiomics' MCC fails (see the voxel module).
                if inside && !m.name.ends_with("MCC") {
                    assert!(v.is_finite(), "{} has {v} inside the ROI", m.name);
                } else if !inside {
                    assert!(v.is_nan(), "{}: initValue nan outside the ROI", m.name);
                }
            }
        }
    }
}

#[test]
fn threads_do_not_change_a_bit_and_cancellation_stops_mid_map() {
    let data = require_data!();
    let (image, label) = breast1(&data);
    let (image, labels) = (read_image(&image).unwrap(), read_image(&label).unwrap());
    let doc = "setting: {label: 1, threads: THREADS}\nvoxelSetting: {kernelRadius: 2}\n";
    let run = |threads: usize| {
        let s = Settings::from_yaml_str(&doc.replace("THREADS", &threads.to_string())).unwrap();
        extract_maps(&Extractor::new(s), &image, &labels).unwrap()
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one.len(), four.len());
    // Every non-shape class: 18 + 24 + 14 + 16 + 16 + 5 maps.
    assert_eq!(one.len(), 93);
    for (a, b) in one.iter().zip(&four) {
        assert_eq!(a.name, b.name);
        assert!(a
            .image
            .data()
            .iter()
            .zip(b.image.data().iter())
            .all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    // Cancelling at the first report after the start stops before any map is handed over.
    let s = Settings::from_yaml_str(&doc.replace("THREADS", "1")).unwrap();
    let mut reports = Vec::new();
    let mut handed = 0;
    let err = extract_maps_with(
        &Extractor::new(s),
        &image,
        &labels,
        &mut |f| {
            reports.push(f);
            reports.len() < 2
        },
        &mut |_| {
            handed += 1;
            Ok(())
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(handed, 0);
    assert_eq!(reports.len(), 2);
    assert!(reports[1] > 0.0 && reports[1] < 1.0, "{reports:?}");
}

#[test]
fn bad_voxel_settings_name_the_key() {
    for (doc, key) in [
        ("voxelSetting: {kernelRadius: 0}", "kernelRadius"),
        ("voxelSetting: {kernelRadius: 1.5}", "kernelRadius"),
        ("voxelSetting: {maskedKernel: 1}", "maskedKernel"),
        ("voxelSetting: {initValue: abc}", "initValue"),
        ("voxelSetting: {voxelBatch: 0}", "voxelBatch"),
        ("voxelSetting: {kernelRadiuss: 1}", "kernelRadiuss"),
        ("voxelSetting: 3", "voxelSetting"),
        ("setting: {kernelRadius: 1}", "voxelSetting"),
    ] {
        let e = Settings::from_yaml_str(doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedSetting, "{doc}");
        assert!(e.message().contains(key), "{doc}: {e}");
    }
    let s = Settings::from_yaml_str(
        "voxelSetting: {kernelRadius: 2, maskedKernel: false, initValue: nan, voxelBatch: 100}",
    )
    .unwrap();
    let v = s.voxel();
    assert_eq!(v.kernel_radius, 2);
    assert!(!v.masked_kernel);
    assert!(v.init_value.is_nan());
    assert_eq!(v.voxel_batch, Some(100));
}

#[test]
fn memory_limit_is_checked_before_the_maps_are_allocated() {
    let data = require_data!();
    let (image, label) = breast1(&data);
    let s = Settings::from_yaml_str(
        "setting: {label: 1, maxMemoryMB: 1}\nvoxelSetting: {kernelRadius: 40}",
    )
    .unwrap();
    let err = extract_maps(
        &Extractor::new(s),
        &read_image(&image).unwrap(),
        &read_image(&label).unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.message().contains("maxMemoryMB"), "{err}");
}

#[test]
fn non_finite_voxels_in_a_kernel_are_an_error_only_where_they_take_part() {
    use radiomics::{Geometry, Image};
    // A 5 x 5 x 5 image, the ROI its central 3 x 3 x 3 cube, a NaN just outside the ROI (in the grid).
    let mut data =
        ndarray::Array3::from_shape_fn((5, 5, 5), |(z, y, x)| ((z * 7 + y * 3 + x) % 5) as f64);
    data[[0, 2, 2]] = f64::NAN;
    let labels = ndarray::Array3::from_shape_fn((5, 5, 5), |(z, y, x)| {
        [z, y, x].iter().all(|&c| (1..4).contains(&c)) as u8 as f64
    });
    let g = Geometry::new([1.0; 3], [0.0; 3]);
    let image = Image::new(data, g).unwrap();
    let labels = Image::new(labels, g).unwrap();
    let masked = Settings::from_yaml_str("featureClass: {firstorder: [Mean]}").unwrap();
    let maps = extract_maps(&Extractor::new(masked), &image, &labels).unwrap();
    assert!(maps[0].image.data()[[1, 1, 1]].is_finite());
    let unmasked = Settings::from_yaml_str(
        "featureClass: {firstorder: [Mean]}\nvoxelSetting: {maskedKernel: false}",
    )
    .unwrap();
    let err = extract_maps(&Extractor::new(unmasked), &image, &labels).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("inside a kernel"), "{err}");
}

#[test]
fn maps_are_handed_over_per_derived_image_and_cancellation_works_in_a_later_one() {
    let data = require_data!();
    let (image, label) = breast1(&data);
    let (image, labels) = (read_image(&image).unwrap(), read_image(&label).unwrap());
    // Two derived images (Original, LoG), four maps each.
    let doc = "imageType: {Original: {}, LoG: {sigma: [2.0]}}\n\
               featureClass: {firstorder: [Mean, Entropy], glcm: [Contrast], glrlm: [RunEntropy]}\n\
               setting: {binWidth: 25, label: 1, threads: 1}\n\
               voxelSetting: {kernelRadius: 1}\n";
    let per_image = 4;
    // Uncancelled: every report is in [0, 1] and does not go back; the first image's maps are all handed
    // over before the second image's kernels report any progress (memory holds one image's maps).
    let handed = std::cell::Cell::new(0usize);
    let mut seen: Vec<(f64, usize)> = Vec::new();
    let mut names = Vec::new();
    extract_maps_with(
        &Extractor::new(Settings::from_yaml_str(doc).unwrap()),
        &image,
        &labels,
        &mut |f| {
            seen.push((f, handed.get()));
            true
        },
        &mut |m| {
            handed.set(handed.get() + 1);
            names.push(m.name);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(handed.get(), 2 * per_image, "{names:?}");
    assert!(names[..per_image]
        .iter()
        .all(|n| n.starts_with("original_")));
    assert!(names[per_image..]
        .iter()
        .all(|n| n.starts_with("log-sigma-2-0-mm-3D_")));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert_eq!(seen.first().unwrap().0, 0.0);
    assert_eq!(seen.last().unwrap().0, 1.0);
    let inside_second: Vec<_> = seen.iter().filter(|(f, _)| *f > 0.5 && *f < 1.0).collect();
    assert!(!inside_second.is_empty(), "{seen:?}");
    assert!(
        inside_second.iter().all(|&&(_, h)| h == per_image),
        "{seen:?}"
    );

    // Cancelled in the middle of the second image's kernels: the first image's maps were delivered,
    // none of the second's, and the error says so.
    let handed = std::cell::Cell::new(0usize);
    let err = extract_maps_with(
        &Extractor::new(Settings::from_yaml_str(doc).unwrap()),
        &image,
        &labels,
        &mut |f| !(f > 0.5 && f < 1.0),
        &mut |_| {
            handed.set(handed.get() + 1);
            Ok(())
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(err.message().contains("cancelled"), "{err}");
    assert_eq!(handed.get(), per_image);
}
