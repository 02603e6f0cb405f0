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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;
    use ndarray::Array3;

    fn labels(values: &[f64]) -> Image {
        let a = Array3::from_shape_vec((1, 1, values.len()), values.to_vec()).unwrap();
        Image::new(a, Geometry::new([1.0; 3], [0.0; 3])).unwrap()
    }

    #[test]
    fn selects_one_label() {
        let m = select_label(&labels(&[0.0, 2.0, 1.0, 2.0]), 2).unwrap();
        assert_eq!(
            m.roi().iter().copied().collect::<Vec<_>>(),
            [false, true, false, true]
        );
    }

    #[test]
    fn a_missing_label_lists_the_labels_present() {
        let e = select_label(&labels(&[0.0, 3.0, 1.0, 3.0]), 2).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::EmptyRoi);
        assert!(
            e.to_string()
                .contains("label 2 is not present in the mask; labels present: 1, 3"),
            "{e}"
        );
        let e = select_label(&labels(&[0.0; 4]), 1).unwrap_err();
        assert!(e.to_string().contains("nothing is segmented"), "{e}");
    }
}
