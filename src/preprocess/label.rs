//! Label selection: the ROI of one label of a label image.

use crate::error::{Error, Result};
use crate::image::{Image, Mask};

/// The mask of `label` in `labels`, with PyRadiomics' checks: something is segmented, and `label` is one
/// of the labels present (the error lists them).
pub fn select_label(labels: &Image, label: i64) -> Result<Mask> {
    let (mask, found) = Mask::from_labels_found(labels, label)?;
    if found {
        return Ok(mask);
    }
    let mut present: Vec<i64> = labels
        .data()
        .iter()
        .filter(|&&v| v != 0.0)
        .map(|&v| v as i64)
        .collect();
    present.sort_unstable();
    present.dedup();
    if present.is_empty() {
        return Err(Error::empty_roi(
            "the mask is empty: no voxel is labelled (nothing is segmented)",
        ));
    }
    let shown: Vec<String> = present.iter().take(20).map(i64::to_string).collect();
    Err(Error::empty_roi(format!(
        "label {label} is not present in the mask; labels present: {}{}",
        shown.join(", "),
        if present.len() > 20 { ", ..." } else { "" }
    )))
}
