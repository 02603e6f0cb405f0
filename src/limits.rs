//! Limits on what one extraction may cost, checked before the work or the allocation happens, on what is
//! actually computed or allocated (not per setting): a hostile or mistaken parameter file gives
//! [`LimitExceeded`](crate::ErrorKind::LimitExceeded), never a hang or an out-of-memory abort.

use crate::error::{Error, ErrorKind, Result};
use crate::features::FeatureClass;
use crate::settings::{Params, Selection};

/// The most neighbour visits (offsets × voxels of the ROI's box) one texture class may make: about a
/// minute of work. Ordinary settings (distance 1: 13 or 26 offsets) stay orders of magnitude below.
pub const MAX_TEXTURE_WORK: u128 = 1 << 34;

/// The texture classes in `wanted` that visit neighbours at the `distances` (GLCM, GLDM, NGTDM) against
/// [`MAX_TEXTURE_WORK`]: `offsets` neighbour offsets (both directions) over a box of `box_voxels`.
pub(crate) fn check_texture_work(
    wanted: &[&(FeatureClass, Selection)],
    offsets: u128,
    box_voxels: usize,
    distances: &[usize],
) -> Result<()> {
    let uses_distances = wanted.iter().any(|(c, _)| {
        matches!(
            c,
            FeatureClass::Glcm | FeatureClass::Gldm | FeatureClass::Ngtdm
        )
    });
    let work = offsets.saturating_mul(box_voxels as u128);
    if uses_distances && work > MAX_TEXTURE_WORK {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "distances {distances:?} give {offsets} neighbour offsets over the ROI's box of {box_voxels} voxels: {work} visits, more than the limit of {MAX_TEXTURE_WORK} (use smaller distances)"
            ),
        ));
    }
    Ok(())
}

/// Bytes per voxel of a grid that one extraction holds at its peak besides the image (`f64`): the ROI mask
/// and the shape mask (1 byte each), the grey levels and their zero-padded copy (4 bytes each), and one
/// derived image (`f64`).
const GRID_BYTES_PER_VOXEL: u128 = 1 + 1 + 4 + 4 + 8;

/// Bytes per ROI voxel of shape's principal component analysis (integer and millimetre coordinates).
const ROI_BYTES_PER_VOXEL: u128 = 48;

/// The limit `maxMemoryMB` on the peak of one extraction on a grid of `grid_voxels` (the image itself
/// included, as `f64`) with `roi_voxels` in the ROI: what the image, masks, grey levels, a derived image
/// and shape's coordinates take together. `what` names the grid (`the image`, `the resampled grid`).
pub(crate) fn check_peak_memory(
    what: &str,
    grid_voxels: usize,
    roi_voxels: usize,
    p: &Params,
) -> Result<()> {
    let bytes = (grid_voxels as u128) * (8 + GRID_BYTES_PER_VOXEL)
        + (roi_voxels as u128) * ROI_BYTES_PER_VOXEL;
    let limit = (p.max_memory_mb as u128) << 20;
    if bytes > limit {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "{what} of {grid_voxels} voxels with {roi_voxels} in the ROI would take about {} MiB at the peak of one extraction, more than the limit of {} MiB (setting maxMemoryMB; a coarser resampledPixelSpacing or a smaller image)",
                bytes >> 20,
                p.max_memory_mb
            ),
        ));
    }
    Ok(())
}
