//! The check that an image brought onto a mask's grid covers the mask's ROI: resampling an image that lies
//! elsewhere (another patient's scan, a wrong origin) would give plausible-looking features of padding.

use super::{BoundingBox, Geometry};
use crate::error::{Error, Result};

/// Tolerance, in voxels of the image, for a ROI corner just outside the image's extent (rounding of
/// geometry written as `f32`).
const SLACK: f64 = 0.01;

/// Errors (geometry mismatch) unless every corner of the ROI's box `roi` (array axes z, y, x, on the
/// grid `mask`) lies within the extent of an image of `size` voxels (x, y, z) on `image`: the voxel
/// centres, widened by half a voxel, as a resampler reads them.
pub fn check_roi_inside(
    image: &Geometry,
    size: [usize; 3],
    mask: &Geometry,
    roi: &BoundingBox,
) -> Result<()> {
    for corner in 0..8 {
        // Corner of the box in mask index space (x, y, z).
        let pick = |axis_xyz: usize| {
            let a = 2 - axis_xyz;
            if corner >> axis_xyz & 1 == 0 {
                roi.lower[a] as f64
            } else {
                roi.upper[a] as f64
            }
        };
        let index = [pick(0), pick(1), pick(2)];
        let world = mask.index_to_world(index);
        let at = image.world_to_index(world);
        let inside = (0..3).all(|a| {
            at[a].is_finite() && at[a] >= -0.5 - SLACK && at[a] <= size[a] as f64 - 0.5 + SLACK
        });
        if !inside {
            return Err(Error::geometry(format!(
                "the image does not cover the ROI: the ROI's voxel (x={}, y={}, z={}) at ({:.1}, {:.1}, {:.1}) mm lies outside the image's {}x{}x{} voxels (it falls at image index ({:.1}, {:.1}, {:.1})); is it another scan, or its origin wrong?",
                index[0], index[1], index[2], world[0], world[1], world[2], size[0], size[1], size[2], at[0], at[1], at[2]
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_image_no_longer_covers_the_roi() {
        let g = Geometry::new([1.0; 3], [0.0; 3]);
        let roi = BoundingBox {
            lower: [1, 1, 1],
            upper: [3, 3, 8],
        };
        assert!(check_roi_inside(&g, [10, 10, 10], &g, &roi).is_ok());
        // Half a voxel off is still inside; a metre away is not.
        let near = Geometry::new([1.0; 3], [1.4, 0.0, 0.0]);
        assert!(check_roi_inside(&near, [10, 10, 10], &g, &roi).is_ok());
        let far = Geometry::new([1.0; 3], [1000.0, 0.0, 0.0]);
        let e = check_roi_inside(&far, [10, 10, 10], &g, &roi).unwrap_err();
        assert!(e.message().contains("does not cover the ROI"), "{e}");
        // The ROI's last column (x = 8) beyond a 5-voxel-wide image.
        assert!(check_roi_inside(&g, [5, 10, 10], &g, &roi).is_err());
    }
}
