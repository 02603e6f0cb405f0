//! Checks on the ROI and the volumes (PyRadiomics' `checkMask`, finite intensities, the memory limits),
//! cropping to a bounding box and mask correction onto the image's grid.

use ndarray::{s, ArrayView3};

use crate::error::{Error, ErrorKind, Result};
use crate::features::FeatureClass;
use crate::image::{check_same_grid, BoundingBox, Image, Mask};
use crate::preprocess::discretise;
use crate::preprocess::resample::resample_mask;
use crate::settings::{Params, Selection};

/// PyRadiomics' `checkMask`: the ROI's bounding box, after checking that it extends over at least
/// `minimumROIDimensions` dimensions and has more than `minimumROISize` voxels.
pub fn check_roi(mask: &Mask, p: &Params) -> Result<BoundingBox> {
    let bb = mask
        .bounding_box()
        .ok_or_else(|| Error::empty_roi(format!("label {} is not present in the mask", p.label)))?;
    let ndims = bb.shape().iter().filter(|&&n| n > 1).count();
    if ndims == 0 {
        return Err(Error::empty_roi(
            "the ROI is a single voxel; features cannot be computed from one voxel",
        ));
    }
    if ndims < p.minimum_roi_dimensions {
        return Err(Error::empty_roi(format!(
            "the ROI extends over {ndims} dimension(s), fewer than minimumROIDimensions = {}",
            p.minimum_roi_dimensions
        )));
    }
    if let Some(min) = p.minimum_roi_size {
        let n = mask.count();
        if n <= min {
            return Err(Error::empty_roi(format!(
                "the ROI has {n} voxels; more than minimumROISize = {min} are needed"
            )));
        }
    }
    Ok(bb)
}

/// The shape of a 3-D array as [z, y, x].
pub(crate) fn dim3<T>(a: ArrayView3<'_, T>) -> [usize; 3] {
    let (z, y, x) = a.dim();
    [z, y, x]
}

/// The view of `a` within the box `bb` (inclusive bounds, array order z, y, x).
pub(crate) fn crop3<'a, T>(a: ArrayView3<'a, T>, bb: &BoundingBox) -> ArrayView3<'a, T> {
    a.slice_move(s![
        bb.lower[0]..=bb.upper[0],
        bb.lower[1]..=bb.upper[1],
        bb.lower[2]..=bb.upper[2]
    ])
}

/// The mask cropped to the box `bb`, its geometry's origin moved to the box's first voxel.
pub(crate) fn crop_mask(mask: &Mask, bb: &BoundingBox) -> Result<Mask> {
    Mask::from_array(
        crop3(mask.roi(), bb).to_owned(),
        mask.geometry().cropped(bb),
    )
}

/// The limits `maxVoxels` and `maxMemoryMB` on a volume of `size` voxels (x, y, z) held as `f64`.
pub(crate) fn check_volume(what: &str, size: [usize; 3], p: &Params) -> Result<()> {
    let voxels = size[0]
        .checked_mul(size[1])
        .and_then(|v| v.checked_mul(size[2]));
    let fits = voxels.is_some_and(|v| {
        v <= p.max_voxels && v.checked_mul(8).is_some_and(|b| b <= p.max_memory_bytes())
    });
    if fits {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "{what} of {}x{}x{} voxels exceeds the limits of {} voxels (setting maxVoxels) or {} MiB (setting maxMemoryMB)",
                size[0], size[1], size[2], p.max_voxels, p.max_memory_mb
            ),
        ))
    }
}

/// The limit `maxMemoryMB` on the texture matrices of the classes in `wanted`: levels × levels × angles
/// (GLCM), levels × longest run × angles (GLRLM) and levels × largest zone (GLSZM; a zone is at most as
/// large as its level's voxel count), each of `f64`. Checked before any is allocated.
pub(crate) fn check_texture_memory(
    grey: &discretise::GreyLevels,
    wanted: &[&(FeatureClass, Selection)],
    p: &Params,
) -> Result<()> {
    let mut counts = vec![0usize; grey.max_level as usize + 1];
    for &l in grey.levels.iter().filter(|&&l| l > 0) {
        counts[l as usize] += 1;
    }
    let n = counts.iter().filter(|&&c| c > 0).count();
    let largest_zone = counts.iter().copied().max().unwrap_or(0);
    let (sz, sy, sx) = grey.levels.dim();
    let t = &p.texture;
    let count = |bidirectional| {
        crate::features::texture::count_angles_within(
            [sz, sy, sx],
            &t.distances,
            t.plane(),
            bidirectional,
        )
    };
    crate::limits::check_texture_work(wanted, count(true), sz * sy * sx, &t.distances)?;
    let angles = usize::try_from(count(false)).unwrap_or(usize::MAX).max(1);
    let longest = sz.max(sy).max(sx);
    for (class, _) in wanted {
        let cells = match class {
            FeatureClass::Glcm => n.checked_mul(n).and_then(|c| c.checked_mul(angles)),
            FeatureClass::Glrlm => n.checked_mul(longest).and_then(|c| c.checked_mul(angles)),
            FeatureClass::Glszm => (grey.max_level as usize).checked_mul(largest_zone),
            _ => continue,
        };
        let bytes = cells.and_then(|c| c.checked_mul(8));
        if bytes.is_none_or(|b| b > p.max_memory_bytes()) {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the {} matrix of {n} grey levels would take {} MiB, more than the limit of {} MiB (setting maxMemoryMB; fewer levels with a larger binWidth or a smaller binCount)",
                    class.name(),
                    bytes.map_or("more than 2^64 bytes".into(), |b| (b >> 20).to_string()),
                    p.max_memory_mb
                ),
            ));
        }
    }
    Ok(())
}

/// An error naming the first ROI voxel within `bb` (in voxel order) whose intensity is NaN or infinite.
pub(crate) fn check_finite(image: &Image, mask: &Mask, bb: &BoundingBox) -> Result<()> {
    let img = crop3(image.data(), bb);
    let roi = crop3(mask.roi(), bb);
    let bad = ndarray::Zip::indexed(img)
        .and(roi)
        .fold(None, |found, idx, &v, &m| {
            found.or_else(|| (m && !v.is_finite()).then_some((idx, v)))
        });
    if let Some(((z, y, x), v)) = bad {
        return Err(Error::invalid(format!(
            "the image holds {v} inside the ROI at voxel (x={}, y={}, z={}); intensities must be finite",
            x + bb.lower[2],
            y + bb.lower[1],
            z + bb.lower[0]
        )));
    }
    Ok(())
}

/// PyRadiomics' `correctMask`: a mask on another grid is resampled onto the image's (nearest neighbour).
/// A mask that already fits is returned as it is.
pub(crate) fn correct_mask(image: &Image, mask: Mask) -> Result<Mask> {
    if check_same_grid(
        (image.geometry(), image.size()),
        (mask.geometry(), mask.size()),
        1e-6,
    )
    .is_ok()
    {
        return Ok(mask);
    }
    if let Some(bb) = mask.bounding_box() {
        crate::image::overlap::check_roi_inside(
            image.geometry(),
            image.size(),
            mask.geometry(),
            &bb,
        )
        .map_err(|e| e.context("correctMask"))?;
    }
    let roi = resample_mask(&mask, image.geometry(), image.size());
    if !roi.iter().any(|&b| b) {
        return Err(Error::empty_roi(
            "correctMask: the ROI does not overlap the image once resampled onto its grid",
        ));
    }
    Mask::from_array(roi, *image.geometry())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;
    use ndarray::Array3;

    fn mask_of(voxels: &[[usize; 3]]) -> Mask {
        let mut roi = Array3::from_elem((4, 5, 6), false);
        for &v in voxels {
            roi[v] = true;
        }
        Mask::from_array(roi, Geometry::new([1.0; 3], [0.0; 3])).unwrap()
    }

    #[test]
    fn check_roi_gives_the_box_and_applies_the_minimums() {
        let p = Params::default();
        let m = mask_of(&[[1, 1, 1], [1, 2, 3], [2, 2, 2]]);
        let bb = check_roi(&m, &p).unwrap();
        assert_eq!((bb.lower, bb.upper), ([1, 1, 1], [2, 2, 3]));
        // One voxel, and a 1-D ROI against minimumROIDimensions = 2.
        let e = check_roi(&mask_of(&[[1, 1, 1]]), &p).unwrap_err();
        assert!(e.to_string().contains("single voxel"), "{e}");
        let e = check_roi(&mask_of(&[[1, 1, 1], [1, 1, 2]]), &p).unwrap_err();
        assert!(e.to_string().contains("1 dimension(s)"), "{e}");
        // minimumROISize: more than that many voxels are needed.
        let p3 = Params {
            minimum_roi_size: Some(3),
            ..Params::default()
        };
        let e = check_roi(&m, &p3).unwrap_err();
        assert!(e.to_string().contains("has 3 voxels"), "{e}");
        let e = check_roi(&mask_of(&[]), &p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::EmptyRoi);
    }

    #[test]
    fn crop_mask_keeps_the_box_and_moves_the_origin() {
        let m = mask_of(&[[1, 1, 1], [2, 2, 3]]);
        let bb = m.bounding_box().unwrap();
        let c = crop_mask(&m, &bb).unwrap();
        assert_eq!(c.roi().dim(), (2, 2, 3));
        assert_eq!(c.count(), 2);
        assert_eq!(c.geometry().origin, [1.0, 1.0, 1.0]);
    }

    #[test]
    fn check_volume_applies_max_voxels() {
        let p = Params {
            max_voxels: 100,
            ..Params::default()
        };
        assert!(check_volume("the image", [10, 10, 1], &p).is_ok());
        let e = check_volume("the image", [10, 10, 2], &p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        assert!(
            e.to_string().starts_with("the image of 10x10x2 voxels"),
            "{e}"
        );
        // A size whose product overflows is refused, not wrapped.
        assert!(check_volume("the mask", [usize::MAX, 2, 1], &p).is_err());
    }

    #[test]
    fn check_finite_names_the_first_bad_voxel() {
        let m = mask_of(&[[1, 1, 1], [2, 3, 4]]);
        let mut data = Array3::<f64>::zeros((4, 5, 6));
        data[[2, 3, 4]] = f64::NAN;
        // A NaN outside the ROI does not count.
        data[[0, 0, 0]] = f64::INFINITY;
        let image = Image::new(data, *m.geometry()).unwrap();
        let bb = m.bounding_box().unwrap();
        let e = check_finite(&image, &m, &bb).unwrap_err();
        assert!(
            e.to_string()
                .contains("NaN inside the ROI at voxel (x=4, y=3, z=2)"),
            "{e}"
        );
        let ok = mask_of(&[[1, 1, 1], [1, 1, 2]]);
        assert!(check_finite(&image, &ok, &ok.bounding_box().unwrap()).is_ok());
    }
}
