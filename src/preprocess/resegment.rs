//! Re-segmentation: ROI voxels whose intensity falls outside a range leave the ROI.
//!
//! [`in_range`] is the core both pipelines share; [`resegment`] reads PyRadiomics' `resegmentRange` in its
//! three modes, [`filter_outliers`] is IBSI's outlier filtering (mean ± n SD of the ROI).

use ndarray::{Array3, ArrayView3};

use crate::error::{Error, Result};
use crate::image::io::DataType;
use crate::image::{Image, Mask};
use crate::settings::ResegmentMode;

/// PyRadiomics' `resegmentMask`: keeps the ROI voxels whose intensity lies in the range (read according to
/// `mode`); fewer than two voxels left is an error.
pub fn resegment(image: &Image, mask: &Mask, range: &[f64], mode: ResegmentMode) -> Result<Mask> {
    let values: Vec<f64> = image
        .data()
        .iter()
        .zip(mask.roi().iter())
        .filter_map(|(&v, &m)| m.then_some(v))
        .collect();
    let mut sorted = range.to_vec();
    sorted.sort_by(f64::total_cmp);
    // On a float32 image numpy keeps the thresholds in float32 (a Python float meeting a float32 scalar
    // or array is cast to it), and the mean and SD of sigma mode are float32 reductions.
    let single = image.pixel_type() == Some(DataType::F32);
    let thresholds: Vec<f64> = if single {
        let v32: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        match mode {
            ResegmentMode::Absolute => sorted.iter().map(|&t| t as f32 as f64).collect(),
            ResegmentMode::Relative => {
                let max = v32.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                sorted.iter().map(|&t| (max * t as f32) as f64).collect()
            }
            ResegmentMode::Sigma => {
                let (mean, sd) = crate::numeric::mean_std_f32(&v32);
                sorted
                    .iter()
                    .map(|&t| (mean + sd * t as f32) as f64)
                    .collect()
            }
        }
    } else {
        match mode {
            ResegmentMode::Absolute => sorted,
            ResegmentMode::Relative => {
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                sorted.iter().map(|t| max * t).collect()
            }
            ResegmentMode::Sigma => {
                let mean = crate::numeric::mean(&values);
                let sd = crate::numeric::central_moment(&values, 2).sqrt();
                sorted.iter().map(|t| mean + sd * t).collect()
            }
        }
    };
    let lo = thresholds[0];
    let hi = thresholds.get(1).copied();
    let roi = in_range(image.data(), mask.roi(), lo, hi);
    let kept = roi.iter().filter(|&&b| b).count();
    if kept <= 1 {
        return Err(Error::empty_roi(format!(
            "re-segmentation to {thresholds:?} left {kept} voxel(s) in the ROI; at least 2 are needed"
        )));
    }
    Mask::from_array(roi, *mask.geometry())
}

/// The voxels of `roi` whose intensity lies in [lo, hi] (`hi` None: [lo, ∞)); IBSI's range
/// re-segmentation (manual USB3), and the mask step of PyRadiomics' `resegmentMask`.
pub fn in_range(
    image: ArrayView3<'_, f64>,
    roi: ArrayView3<'_, bool>,
    lo: f64,
    hi: Option<f64>,
) -> Array3<bool> {
    ndarray::Zip::from(image)
        .and(roi)
        .map_collect(|&v, &m| m && v >= lo && hi.is_none_or(|h| v <= h))
}

/// Intensity outlier filtering (IBSI manual 7ACA): keeps the voxels of `roi` within μ ± nσ of the ROI's
/// own mean and population standard deviation (plain sums, in voxel order).
pub fn filter_outliers(
    image: ArrayView3<'_, f64>,
    roi: ArrayView3<'_, bool>,
    n: f64,
) -> Array3<bool> {
    let values: Vec<f64> = image
        .iter()
        .zip(roi.iter())
        .filter_map(|(&v, &m)| m.then_some(v))
        .collect();
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
    in_range(image, roi, mean - n * sd, Some(mean + n * sd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    fn line(values: &[f64]) -> (Image, Mask) {
        let n = values.len();
        let g = Geometry::new([1.0; 3], [0.0; 3]);
        let image = Image::new(
            Array3::from_shape_vec((1, 1, n), values.to_vec()).unwrap(),
            g,
        );
        let mask = Mask::from_array(Array3::from_elem((1, 1, n), true), g).unwrap();
        (image.unwrap(), mask)
    }

    fn kept(m: &Mask) -> Vec<bool> {
        m.roi().iter().copied().collect()
    }

    #[test]
    fn absolute_range_is_inclusive_and_sorted() {
        let (image, mask) = line(&[-1.0, 0.0, 5.0, 10.0, 11.0]);
        // The range is read in either order; both ends are kept.
        let r = resegment(&image, &mask, &[10.0, 0.0], ResegmentMode::Absolute).unwrap();
        assert_eq!(kept(&r), [false, true, true, true, false]);
        // One bound: [lo, ∞).
        let r = resegment(&image, &mask, &[5.0], ResegmentMode::Absolute).unwrap();
        assert_eq!(kept(&r), [false, false, true, true, true]);
    }

    #[test]
    fn relative_and_sigma_modes_scale_the_range() {
        let (image, mask) = line(&[0.0, 2.0, 4.0, 6.0, 8.0]);
        // Relative: fractions of the ROI maximum 8: [2, 6].
        let r = resegment(&image, &mask, &[0.25, 0.75], ResegmentMode::Relative).unwrap();
        assert_eq!(kept(&r), [false, true, true, true, false]);
        // Sigma: mean 4, population SD √8 ≈ 2.83: [4 − 2.83, 4 + 2.83] keeps 2, 4, 6.
        let r = resegment(&image, &mask, &[-1.0, 1.0], ResegmentMode::Sigma).unwrap();
        assert_eq!(kept(&r), [false, true, true, true, false]);
    }

    #[test]
    fn fewer_than_two_voxels_left_is_an_error() {
        let (image, mask) = line(&[0.0, 1.0, 2.0]);
        let e = resegment(&image, &mask, &[2.0, 3.0], ResegmentMode::Absolute).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::EmptyRoi);
        assert!(e.to_string().contains("left 1 voxel(s)"), "{e}");
    }

    #[test]
    fn in_range_keeps_only_roi_voxels() {
        let img = Array3::from_shape_vec((1, 1, 4), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let roi = Array3::from_shape_vec((1, 1, 4), vec![true, false, true, true]).unwrap();
        let r = in_range(img.view(), roi.view(), 2.0, Some(3.0));
        assert_eq!(r.as_slice().unwrap(), &[false, false, true, false]);
    }
}
