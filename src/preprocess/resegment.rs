//! Re-segmentation: ROI voxels whose intensity falls outside a range leave the ROI.

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
    let roi = ndarray::Zip::from(image.data())
        .and(mask.roi())
        .map_collect(|&v, &m| m && v >= lo && hi.is_none_or(|h| v <= h));
    let kept = roi.iter().filter(|&&b| b).count();
    if kept <= 1 {
        return Err(Error::empty_roi(format!(
            "re-segmentation to {thresholds:?} left {kept} voxel(s) in the ROI; at least 2 are needed"
        )));
    }
    Mask::from_array(roi, *mask.geometry())
}
