//! 2D shape: size and form of a single-slice ROI, from the mask alone (PyRadiomics `shape2D`).
//!
//! The class needs an ROI that lies in one plane: with `force2D`, the plane normal to array dimension
//! `force2Ddimension` (0 = z, an axial slice). An ROI spanning more than one slice along that dimension is an
//! error, as in PyRadiomics.
//!
//! # The contour
//! Most features read the ROI's outline built by marching squares over the slice padded with one empty pixel
//! on every side. A square of 2×2 neighbouring pixel centres is classified by which corners lie in the ROI;
//! where a side joins an ROI corner and a background corner, the contour has a vertex halfway along it, and a
//! table gives the segments joining those vertices. The two diagonal patterns are split into two separate
//! corners (the ROI is 4-connected within a square), as PyRadiomics does.
//!
//! # Symbols
//! ```text
//! Np        number of ROI pixels                     Δ = (Δa, Δb)   pixel spacing in mm, array order in the plane
//! a, b      ends of a contour segment, in mm          A = ½ Σ (a₀b₁ − b₀a₁)   mesh surface (signed, outline)
//! P         perimeter, P = Σ |a − b|
//! λ₁ ≥ λ₂   eigenvalues of the covariance of the ROI pixel centres (in mm, divided by Np)
//! ```
//! Degenerate ROIs, summation order and NaN follow [`super::shape`].

use ndarray::{Array2, ArrayView3, Axis};

use super::shape::{padded_roi, principal_variances, ratio_sqrt};
use super::FeatureInfo;
use crate::error::{Error, Result};

/// The 2D shape features in PyRadiomics' output order.
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::new("Elongation", ""),
    FeatureInfo::new("MajorAxisLength", ""),
    FeatureInfo::new("MaximumDiameter", ""),
    FeatureInfo::new("MeshSurface", ""),
    FeatureInfo::new("MinorAxisLength", ""),
    FeatureInfo::new("Perimeter", ""),
    FeatureInfo::new("PerimeterSurfaceRatio", ""),
    FeatureInfo::new("PixelSurface", ""),
    FeatureInfo::deprecated("SphericalDisproportion", ""),
    FeatureInfo::new("Sphericity", ""),
];

/// Every 2D shape feature, in [`FEATURES`] order.
///
/// `mask` is indexed `[z, y, x]` (possibly cropped to the ROI); `spacing` is (x, y, z) in mm;
/// `force2d_dimension` is the array dimension normal to the slice (0 = z). An empty mask gives NaN
/// everywhere.
///
/// # Errors
/// `force2d_dimension` above 2, or an ROI spanning more than one slice along it.
pub fn compute(
    mask: ArrayView3<'_, bool>,
    spacing: [f64; 3],
    force2d_dimension: usize,
) -> Result<Vec<f64>> {
    if force2d_dimension > 2 {
        return Err(Error::invalid(format!(
            "force2Ddimension must be 0, 1 or 2 (an array dimension), not {force2d_dimension}"
        )));
    }
    let Some((roi, lower)) = padded_roi(mask) else {
        return Ok(vec![f64::NAN; FEATURES.len()]);
    };
    // The padded ROI holds one empty slice on each side of the ROI along every dimension.
    let slices = roi.len_of(Axis(force2d_dimension)) - 2;
    if slices > 1 {
        return Err(Error::invalid(format!(
            "shape2D needs an ROI within one slice, but it spans {slices} slices along array dimension \
             {force2d_dimension} (force2Ddimension); use shape (3D) or choose the dimension normal to the slice"
        )));
    }
    let plane: Array2<bool> = roi.index_axis(Axis(force2d_dimension), 1).to_owned();
    let delta_zyx = [spacing[2], spacing[1], spacing[0]];
    let mut in_plane = delta_zyx
        .iter()
        .enumerate()
        .filter(|&(d, _)| d != force2d_dimension);
    let delta = [*in_plane.next().unwrap().1, *in_plane.next().unwrap().1];

    let mut in_plane = lower
        .iter()
        .enumerate()
        .filter(|&(d, _)| d != force2d_dimension);
    let origin = [*in_plane.next().unwrap().1, *in_plane.next().unwrap().1];
    let contour = Contour::march(&plane, delta, origin);
    let points: Vec<[i64; 2]> = plane
        .indexed_iter()
        .filter(|(_, &m)| m)
        .map(|((a, b), _)| [a as i64, b as i64])
        .collect();
    let lambda = principal_variances(&points, delta);
    let (s, p) = (contour.surface, contour.perimeter);
    let sph = sphericity(s, p);

    Ok(vec![
        ratio_sqrt(lambda[1], lambda[0]),
        axis_length(lambda[0]),
        contour.diameter(),
        s,
        axis_length(lambda[1]),
        p,
        p / s,
        pixel_surface(points.len(), delta),
        1.0 / sph,
        sph,
    ])
}

/// 2. Pixel surface: Np · Δa·Δb, the ROI area counted in pixels.
fn pixel_surface(n_p: usize, delta: [f64; 2]) -> f64 {
    let [y, x] = delta;
    n_p as f64 * (x * y)
}

/// 5. Sphericity = 2√(πA) / P: 1 for a circle, smaller for any other form (its inverse, spherical
///    disproportion, is deprecated).
fn sphericity(surface: f64, perimeter: f64) -> f64 {
    (2.0 * (std::f64::consts::PI * surface).sqrt()) / perimeter
}

/// 8–9. Major, minor axis length = 4√λ for λ₁, λ₂; NaN for a negative eigenvalue. (10. Elongation =
///    √(λ₂ / λ₁).)
fn axis_length(lambda: f64) -> f64 {
    if lambda < 0.0 {
        f64::NAN
    } else {
        lambda.sqrt() * 4.0
    }
}

/// The marching-squares outline of a padded single-slice ROI.
struct Contour {
    /// A, in mm².
    surface: f64,
    /// P, in mm.
    perimeter: f64,
    /// Each contour vertex once, in mm.
    vertices: Vec<[f64; 2]>,
}

/// Corners of a marching square, offsets (a, b) (array order) from its first pixel.
const CORNERS: [[usize; 2]; 4] = [[0, 0], [0, 1], [1, 1], [1, 0]];

/// Contour vertex on each side of the square, in half pixels: side 0 joins corners 0-1, side 1 joins 1-2,
/// side 2 joins 3-2 and side 3 joins 0-3.
const SIDE_VERTEX: [[usize; 2]; 4] = [[0, 1], [1, 2], [2, 1], [1, 0]];

/// The sides meeting at corner 3, each with its other corner: every side of the grid is the corner-3 side of
/// exactly one square, which is where its vertex (if any) is collected for the diameter.
const CORNER3_SIDES: [(usize, usize); 2] = [(3, 0), (2, 2)];

/// Segments of each corner pattern (bit k set = corner k in the ROI), as pairs of sides carrying their
/// vertices ([`SIDE_VERTEX`]), oriented so that the signed area of the outline is positive.
const SEGMENTS: [&[[u8; 2]]; 16] = [
    &[],
    &[[3, 0]],
    &[[0, 1]],
    &[[3, 1]],
    &[[1, 2]],
    &[[1, 2], [3, 0]],
    &[[0, 2]],
    &[[3, 2]],
    &[[2, 3]],
    &[[2, 0]],
    &[[0, 1], [2, 3]],
    &[[2, 1]],
    &[[1, 3]],
    &[[1, 0]],
    &[[0, 3]],
    &[],
];

impl Contour {
    /// Marches over every square of the padded slice `roi` with spacing `delta` (array order).
    /// Vertex coordinates count from `origin` pixels before `roi`'s first pixel, as in [`super::shape`]
    /// (the outline is closed, so only rounding depends on it).
    fn march(roi: &Array2<bool>, delta: [f64; 2], origin: [usize; 2]) -> Contour {
        let (na, nb) = roi.dim();
        let mut surface = 0.0;
        let mut perimeter = 0.0;
        let mut vertices = Vec::new();
        let position = |base: [usize; 2], side: u8| -> [f64; 2] {
            std::array::from_fn(|d| {
                ((base[d] + origin[d]) as f64 + SIDE_VERTEX[side as usize][d] as f64 * 0.5)
                    * delta[d]
            })
        };
        for ia in 0..na - 1 {
            for ib in 0..nb - 1 {
                let mut pattern = 0usize;
                for (k, c) in CORNERS.iter().enumerate() {
                    if roi[[ia + c[0], ib + c[1]]] {
                        pattern |= 1 << k;
                    }
                }
                let base = [ia, ib];
                for s in SEGMENTS[pattern] {
                    let a = position(base, s[0]);
                    let b = position(base, s[1]);
                    // Twice the signed area of the triangle (origin, a, b).
                    surface += a[0] * b[1] - b[0] * a[1];
                    let d0 = a[0] - b[0];
                    let d1 = a[1] - b[1];
                    perimeter += (d0 * d0 + d1 * d1).sqrt();
                }
                let c3 = pattern & 0b1000 != 0;
                for &(side, other) in &CORNER3_SIDES {
                    if ((pattern >> other) & 1 != 0) != c3 {
                        vertices.push(position(base, side as u8));
                    }
                }
            }
        }
        Contour {
            surface: surface / 2.0,
            perimeter,
            vertices,
        }
    }

    /// 7. Maximum diameter: the largest distance between two contour vertices.
    fn diameter(&self) -> f64 {
        let mut best = 0.0f64;
        for (i, a) in self.vertices.iter().enumerate() {
            for b in &self.vertices[i + 1..] {
                let d0 = a[0] - b[0];
                let d1 = a[1] - b[1];
                let d = d0 * d0 + d1 * d1;
                if d > best {
                    best = d;
                }
            }
        }
        best.sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn feature(values: &[f64], name: &str) -> f64 {
        values[FEATURES.iter().position(|f| f.name == name).unwrap()]
    }

    /// A single pixel outlines a diamond through its side midpoints: surface ½, perimeter 2√2 (unit spacing).
    #[test]
    fn single_pixel_is_a_diamond() {
        let roi = Array3::from_elem((1, 1, 1), true);
        let f = compute(roi.view(), [1.0; 3], 0).unwrap();
        assert!((feature(&f, "MeshSurface") - 0.5).abs() < 1e-15);
        assert!((feature(&f, "Perimeter") - 2.0 * 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(feature(&f, "PixelSurface"), 1.0);
        assert_eq!(feature(&f, "MaximumDiameter"), 1.0);
        assert!(feature(&f, "Elongation").is_nan());
    }

    /// A 3×4 rectangle in the plane x = const (force2Ddimension 2) reads the y and z spacing.
    #[test]
    fn plane_normal_to_x_uses_z_and_y_spacing() {
        let roi = Array3::from_elem((3, 4, 1), true);
        let f = compute(roi.view(), [5.0, 1.0, 2.0], 2).unwrap();
        assert_eq!(feature(&f, "PixelSurface"), 12.0 * 2.0);
        // Outline: the 4 mm × 3 mm rectangle of pixel centres, grown by half a pixel, corners cut.
        let expected = 6.0 * 4.0 - 4.0 * 0.5 * 1.0 * 0.5;
        assert!((feature(&f, "MeshSurface") - expected).abs() < 1e-12);
    }

    #[test]
    fn more_than_one_slice_is_an_error() {
        let roi = Array3::from_elem((2, 3, 3), true);
        let err = compute(roi.view(), [1.0; 3], 0).unwrap_err();
        assert!(err.message().contains("2 slices"), "{err}");
        assert!(compute(roi.view(), [1.0; 3], 3).is_err());
        // The same ROI is a single slice along neither y nor x, but an axial slab of one slice is fine.
        assert!(compute(roi.view(), [1.0; 3], 1).is_err());
        let slab = Array3::from_elem((3, 1, 3), true);
        assert!(compute(slab.view(), [1.0; 3], 1).is_ok());
    }
}
