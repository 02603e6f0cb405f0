//! Label masks: which voxels form the region of interest (ROI), and checks that a mask fits its image.

use ndarray::{Array3, ArrayView3, Axis};

use super::{size_xyz, Geometry, Image};
use crate::error::{Error, Result};

/// The voxels of one label of a label image, on the label image's grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    roi: Array3<bool>,
    geometry: Geometry,
}

/// The smallest box holding every ROI voxel, in array order `[z, y, x]`, bounds inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    /// First index along z, y, x.
    pub lower: [usize; 3],
    /// Last index (inclusive) along z, y, x.
    pub upper: [usize; 3],
}

impl BoundingBox {
    /// Extent along z, y, x.
    pub fn shape(&self) -> [usize; 3] {
        [
            self.upper[0] - self.lower[0] + 1,
            self.upper[1] - self.lower[1] + 1,
            self.upper[2] - self.lower[2] + 1,
        ]
    }

    /// An error (invalid argument) naming the box as `what` unless it is a box (lower ≤ upper) inside an
    /// array of shape `dim` (z, y, x).
    pub fn check_inside(&self, dim: [usize; 3], what: &str) -> Result<()> {
        if (0..3).all(|a| self.lower[a] <= self.upper[a] && self.upper[a] < dim[a]) {
            return Ok(());
        }
        Err(Error::invalid(format!(
            "{what} {:?}..={:?} (z, y, x) is not inside the image of {dim:?} voxels",
            self.lower, self.upper
        )))
    }

    /// The same voxels counted from the first voxel of `outer`, a box that holds this one.
    pub fn relative_to(&self, outer: &BoundingBox) -> BoundingBox {
        BoundingBox {
            lower: [0, 1, 2].map(|a| self.lower[a] - outer.lower[a]),
            upper: [0, 1, 2].map(|a| self.upper[a] - outer.lower[a]),
        }
    }

    /// The box grown by `pad` voxels on every side, clipped to an array of shape `dim` (z, y, x).
    #[allow(clippy::needless_range_loop)] // three axes, indexed in step
    pub fn padded(&self, pad: usize, dim: [usize; 3]) -> BoundingBox {
        let mut out = *self;
        for a in 0..3 {
            out.lower[a] = self.lower[a].saturating_sub(pad);
            out.upper[a] = (self.upper[a] + pad).min(dim[a] - 1);
        }
        out
    }
}

impl Mask {
    /// The voxels of `labels` equal to `label`.
    ///
    /// Label images hold integers: a voxel value that is not an integer (a probability map, a mask
    /// interpolated without nearest neighbour) is an error rather than a silent threshold.
    pub fn from_labels(labels: &Image, label: i64) -> Result<Mask> {
        Mask::from_labels_found(labels, label).map(|(mask, _)| mask)
    }

    /// As [`from_labels`](Self::from_labels), also saying whether any voxel has the label.
    pub(crate) fn from_labels_found(labels: &Image, label: i64) -> Result<(Mask, bool)> {
        let data = labels.data();
        let target = label as f64;
        // Values read from an integer datatype are integers: only membership to compute.
        let stored_as_integer = labels
            .pixel_type()
            .is_some_and(|t| !matches!(t, super::io::DataType::F32 | super::io::DataType::F64));
        if stored_as_integer {
            let roi = match data.as_slice() {
                // A plain loop over the contiguous values, which vectorises.
                Some(values) => Array3::from_shape_vec(
                    data.raw_dim(),
                    values.iter().map(|&v| v == target).collect(),
                )
                .expect("shape matches length"),
                None => data.mapv(|v| v == target),
            };
            let found = roi.as_slice().map_or_else(
                || roi.iter().any(|&b| b),
                |r| r.iter().fold(false, |a, &b| a | b),
            );
            return Ok((
                Mask {
                    roi,
                    geometry: *labels.geometry(),
                },
                found,
            ));
        }
        // One pass: membership, and the integer check (a NaN fails `v == v.trunc()` too).
        let mut all_integer = true;
        let roi = data.mapv(|v| {
            all_integer &= v == v.trunc() && v.is_finite();
            v == target
        });
        if !all_integer {
            let (idx, v) = data
                .indexed_iter()
                .find(|(_, v)| !(v.is_finite() && v.fract() == 0.0))
                .expect("a non-integer value exists");
            return Err(Error::format(format!(
                "mask holds the non-integer value {v} at voxel (x={}, y={}, z={}); masks must be integer label images",
                idx.2, idx.1, idx.0
            )));
        }
        let found = roi.iter().any(|&b| b);
        Ok((
            Mask {
                roi,
                geometry: *labels.geometry(),
            },
            found,
        ))
    }

    /// A mask from a boolean array indexed `[z, y, x]` and a geometry.
    pub fn from_array(roi: Array3<bool>, geometry: Geometry) -> Result<Mask> {
        geometry.validate()?;
        if roi.is_empty() {
            return Err(Error::invalid("mask has no voxels"));
        }
        Ok(Mask { roi, geometry })
    }

    /// ROI membership, indexed `[z, y, x]`.
    pub fn roi(&self) -> ArrayView3<'_, bool> {
        self.roi.view()
    }

    /// The grid's geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Size along x, y, z.
    pub fn size(&self) -> [usize; 3] {
        size_xyz(self.roi.dim())
    }

    /// Number of ROI voxels.
    pub fn count(&self) -> usize {
        self.roi.iter().filter(|&&b| b).count()
    }

    /// The ROI's bounding box, or `None` when the ROI is empty.
    pub fn bounding_box(&self) -> Option<BoundingBox> {
        bounding_box(self.roi.view())
    }
}

/// The bounding box of the `true` voxels of `roi`, or `None` when there are none. One pass over the
/// x-rows: a branch-free test of each row (it vectorises), and only in rows holding ROI voxels a search
/// for the first and last.
pub fn bounding_box(roi: ArrayView3<'_, bool>) -> Option<BoundingBox> {
    let mut lower = [usize::MAX; 3];
    let mut upper = [0usize; 3];
    let mut any = false;
    let ny = roi.dim().1;
    for (k, row) in roi.lanes(Axis(2)).into_iter().enumerate() {
        let hit = match row.as_slice() {
            Some(r) => r.iter().fold(false, |a, &b| a | b),
            None => row.iter().any(|&b| b),
        };
        if !hit {
            continue;
        }
        let first = row.iter().position(|&b| b).expect("a true voxel exists");
        let last = row.iter().rposition(|&b| b).expect("a true voxel exists");
        any = true;
        for (a, v) in [(0, k / ny), (1, k % ny)] {
            lower[a] = lower[a].min(v);
            upper[a] = upper[a].max(v);
        }
        lower[2] = lower[2].min(first);
        upper[2] = upper[2].max(last);
    }
    any.then_some(BoundingBox { lower, upper })
}

/// Checks that a mask lies on the image's grid, as ITK does before a filter reads both: the same size, and
/// spacing and origin equal within `tolerance x spacing_x` (element-wise), direction within `tolerance`.
///
/// This is PyRadiomics' `geometryTolerance` (ITK's coordinate and direction tolerances, default 1e-6). The
/// error names what differs and by how much.
pub fn check_same_grid(
    image: (&Geometry, [usize; 3]),
    mask: (&Geometry, [usize; 3]),
    tolerance: f64,
) -> Result<()> {
    let (ig, isize) = image;
    let (mg, msize) = mask;
    if isize != msize {
        return Err(Error::geometry(format!(
            "mask size {msize:?} differs from image size {isize:?} (x, y, z)"
        )));
    }
    let coord_tol = tolerance * ig.spacing[0];
    let worst = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f64, f64::max)
    };
    let ds = worst(&ig.spacing, &mg.spacing);
    if ds > coord_tol {
        return Err(Error::geometry(format!(
            "mask spacing {:?} differs from image spacing {:?} by up to {ds:e} mm (tolerance {coord_tol:e}; see geometryTolerance)",
            mg.spacing, ig.spacing
        )));
    }
    let dor = worst(&ig.origin, &mg.origin);
    if dor > coord_tol {
        return Err(Error::geometry(format!(
            "mask origin {:?} differs from image origin {:?} by up to {dor:e} mm (tolerance {coord_tol:e}; see geometryTolerance)",
            mg.origin, ig.origin
        )));
    }
    let dd = worst(&ig.direction, &mg.direction);
    if dd > tolerance {
        return Err(Error::geometry(format!(
            "mask direction {:?} differs from image direction {:?} by up to {dd:e} (tolerance {tolerance:e}; see geometryTolerance)",
            mg.direction, ig.direction
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounding_box_of_a_block() {
        let mut roi = Array3::from_elem((4, 5, 6), false);
        roi[[1, 2, 3]] = true;
        roi[[2, 4, 1]] = true;
        let bb = bounding_box(roi.view()).unwrap();
        assert_eq!(bb.lower, [1, 2, 1]);
        assert_eq!(bb.upper, [2, 4, 3]);
        assert_eq!(bb.shape(), [2, 3, 3]);
        assert_eq!(bb.padded(1, [4, 5, 6]).upper, [3, 4, 4]);
        assert!(bounding_box(Array3::from_elem((2, 2, 2), false).view()).is_none());
    }

    #[test]
    fn grid_check_names_what_differs() {
        let g = Geometry::new([1.0, 1.0, 2.0], [0.0; 3]);
        let mut m = g;
        m.origin[2] = 0.5;
        let err = check_same_grid((&g, [3, 3, 3]), (&m, [3, 3, 3]), 1e-6).unwrap_err();
        assert!(err.message().contains("origin"), "{err}");
        assert!(check_same_grid((&g, [3, 3, 3]), (&m, [3, 3, 3]), 1.0).is_ok());
        let err = check_same_grid((&g, [3, 3, 3]), (&g, [3, 3, 4]), 1e-6).unwrap_err();
        assert!(err.message().contains("size"), "{err}");
    }
}
