//! Volumes on a physical grid: [`Geometry`], [`Image`], and the label [`Mask`].
//!
//! # Index order
//! Voxel arrays are `ndarray::Array3<f64>` indexed `[z, y, x]` in C order, the order of a numpy array from
//! `SimpleITK.GetArrayFromImage`, so that x varies fastest in memory, as in NIfTI and NRRD files. Geometry
//! (spacing, origin, sizes) is given in `(x, y, z)` order, as ITK gives it.
//!
//! # World coordinates
//! LPS millimetres (the ITK/DICOM convention). A voxel at index `(i, j, k)` (x, y, z) lies at
//! `origin + D · diag(spacing) · (i, j, k)`, where `D` is the direction matrix, stored row-major as ITK's
//! `GetDirection()` returns it: its column `c` is the world direction of axis `c`.

pub mod io;
mod mask;
pub mod overlap;

pub use mask::{bounding_box, check_same_grid, BoundingBox, Mask};

use ndarray::{Array3, ArrayView3};

use crate::error::{Error, Result};

/// Where a voxel grid lies in the world: spacing, origin and direction cosines, in LPS millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Distance between voxel centres along x, y, z, in mm. Always finite and positive.
    pub spacing: [f64; 3],
    /// World position of the centre of voxel (0, 0, 0), in LPS mm.
    pub origin: [f64; 3],
    /// Direction cosines, row-major; column `c` is the world direction of axis `c`.
    pub direction: [f64; 9],
}

/// The voxel spacings, in mm, that an image handed in from outside (a caller's buffer, a NRRD header) may
/// have: a nanometre to a kilometre. Beyond them products such as a voxel's volume leave the range where
/// features stay meaningful (1e-200 mm voxels have a volume of 0, 1e200 mm ones an infinite one).
pub const PLAUSIBLE_SPACING_MM: (f64, f64) = (1e-6, 1e6);

/// The identity direction matrix.
pub const IDENTITY_DIRECTION: [f64; 9] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];

impl Default for Geometry {
    fn default() -> Geometry {
        Geometry {
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: IDENTITY_DIRECTION,
        }
    }
}

impl Geometry {
    /// A geometry with identity direction.
    pub fn new(spacing: [f64; 3], origin: [f64; 3]) -> Geometry {
        Geometry {
            spacing,
            origin,
            direction: IDENTITY_DIRECTION,
        }
    }

    /// Checks that spacing is finite and positive, origin finite, and the direction matrix finite and
    /// invertible (its determinant at least 1e-6 in magnitude).
    pub fn validate(&self) -> Result<()> {
        for (axis, s) in ["x", "y", "z"].iter().zip(self.spacing) {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::invalid(format!(
                    "spacing along {axis} is {s}; it must be finite and positive"
                )));
            }
        }
        if self.origin.iter().any(|o| !o.is_finite()) {
            return Err(Error::invalid(format!(
                "origin {:?} is not finite",
                self.origin
            )));
        }
        if self.direction.iter().any(|d| !d.is_finite()) {
            return Err(Error::invalid("direction matrix has a non-finite entry"));
        }
        let det = det3(&self.direction);
        if det.abs() < 1e-6 {
            return Err(Error::invalid(format!(
                "direction matrix is singular (determinant {det:e})"
            )));
        }
        Ok(())
    }

    /// The geometry of the sub-grid that starts at voxel `bb.lower` (z, y, x): the same spacing and
    /// direction, the origin moved there.
    pub fn cropped(&self, bb: &BoundingBox) -> Geometry {
        let mut out = *self;
        out.origin =
            self.index_to_world([bb.lower[2] as f64, bb.lower[1] as f64, bb.lower[0] as f64]);
        out
    }

    /// World (LPS mm) position of the continuous index `(i, j, k)` (x, y, z).
    pub fn index_to_world(&self, index: [f64; 3]) -> [f64; 3] {
        let d = &self.direction;
        let s = [
            index[0] * self.spacing[0],
            index[1] * self.spacing[1],
            index[2] * self.spacing[2],
        ];
        [
            self.origin[0] + d[0] * s[0] + d[1] * s[1] + d[2] * s[2],
            self.origin[1] + d[3] * s[0] + d[4] * s[1] + d[5] * s[2],
            self.origin[2] + d[6] * s[0] + d[7] * s[1] + d[8] * s[2],
        ]
    }

    /// Continuous index (x, y, z) of a world (LPS mm) position.
    pub fn world_to_index(&self, point: [f64; 3]) -> [f64; 3] {
        let inv = inverse3(&self.direction);
        let p = [
            point[0] - self.origin[0],
            point[1] - self.origin[1],
            point[2] - self.origin[2],
        ];
        let mut out = [0.0; 3];
        for (r, o) in out.iter_mut().enumerate() {
            *o = (inv[3 * r] * p[0] + inv[3 * r + 1] * p[1] + inv[3 * r + 2] * p[2])
                / self.spacing[r];
        }
        out
    }
}

/// Determinant of a row-major 3x3 matrix.
pub(crate) fn det3(m: &[f64; 9]) -> f64 {
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6])
}

/// Inverse of a row-major 3x3 matrix (the caller has checked it is invertible).
pub(crate) fn inverse3(m: &[f64; 9]) -> [f64; 9] {
    let det = det3(m);
    let c = |a: usize, b: usize, c: usize, d: usize| m[a] * m[d] - m[b] * m[c];
    [
        c(4, 5, 7, 8) / det,
        -c(1, 2, 7, 8) / det,
        c(1, 2, 4, 5) / det,
        -c(3, 5, 6, 8) / det,
        c(0, 2, 6, 8) / det,
        -c(0, 2, 3, 5) / det,
        c(3, 4, 6, 7) / det,
        -c(0, 1, 6, 7) / det,
        c(0, 1, 3, 4) / det,
    ]
}

/// A scalar 3D volume on a physical grid. Voxel values are `f64`; see the module docs for index order.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    data: Array3<f64>,
    geometry: Geometry,
    pixel_type: Option<io::DataType>,
}

impl Image {
    /// An image from voxels indexed `[z, y, x]` and a geometry. Fails when the geometry is invalid or the
    /// array is empty.
    pub fn new(data: Array3<f64>, geometry: Geometry) -> Result<Image> {
        geometry.validate()?;
        if data.is_empty() {
            return Err(Error::invalid(format!(
                "image has no voxels (size {:?})",
                size_xyz(data.dim())
            )));
        }
        let data = if data.is_standard_layout() {
            data
        } else {
            data.as_standard_layout().into_owned()
        };
        Ok(Image {
            data,
            geometry,
            pixel_type: None,
        })
    }

    /// The same image, noting the element type its values were stored in (a file's datatype, a caller's
    /// buffer type). Resampling rounds to it, as ITK resamples in the input's pixel type.
    pub fn with_pixel_type(mut self, pixel_type: Option<io::DataType>) -> Image {
        self.pixel_type = pixel_type;
        self
    }

    /// The voxels inside `bb` (z, y, x, inclusive) as an image of their own, on the cropped grid, with
    /// the same pixel type. Errors when the box is not inside the image.
    pub fn crop(&self, bb: &BoundingBox) -> Result<Image> {
        let (z, y, x) = self.data.dim();
        bb.check_inside([z, y, x], "box")?;
        let data = self
            .data
            .slice(ndarray::s![
                bb.lower[0]..=bb.upper[0],
                bb.lower[1]..=bb.upper[1],
                bb.lower[2]..=bb.upper[2]
            ])
            .to_owned();
        Ok(Image::new(data, self.geometry.cropped(bb))?.with_pixel_type(self.pixel_type))
    }

    /// The element type the values were stored in, or `None` for computed (floating-point) images.
    pub fn pixel_type(&self) -> Option<io::DataType> {
        self.pixel_type
    }

    /// Voxels, indexed `[z, y, x]`.
    pub fn data(&self) -> ArrayView3<'_, f64> {
        self.data.view()
    }

    /// Voxels by value, indexed `[z, y, x]`.
    pub fn into_data(self) -> Array3<f64> {
        self.data
    }

    /// The grid's geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Size along x, y, z.
    pub fn size(&self) -> [usize; 3] {
        size_xyz(self.data.dim())
    }

    /// Spacing along x, y, z in mm.
    pub fn spacing(&self) -> [f64; 3] {
        self.geometry.spacing
    }
}

/// `(nz, ny, nx)` as `[nx, ny, nz]`.
pub(crate) fn size_xyz(dim: (usize, usize, usize)) -> [usize; 3] {
    [dim.2, dim.1, dim.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_and_index_round_trip_with_rotation() {
        // 90 degrees about z: axis x points along world y, axis y along world -x.
        let g = Geometry {
            spacing: [0.5, 2.0, 3.0],
            origin: [10.0, -5.0, 1.0],
            direction: [0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        };
        let w = g.index_to_world([2.0, 1.0, 1.0]);
        assert_eq!(w, [10.0 - 2.0, -5.0 + 1.0, 4.0]);
        let i = g.world_to_index(w);
        for (a, b) in i.iter().zip([2.0, 1.0, 1.0]) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn invalid_geometry_is_refused() {
        let data = Array3::zeros((1, 1, 1));
        let mut g = Geometry::default();
        g.spacing[1] = 0.0;
        let err = Image::new(data.clone(), g).unwrap_err();
        assert!(err.message().contains("spacing along y"), "{err}");
        let g = Geometry {
            direction: [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            ..Geometry::default()
        };
        let err = Image::new(data, g).unwrap_err();
        assert!(err.message().contains("singular"), "{err}");
    }
}
