//! Gradient magnitude (PyRadiomics image type `Gradient`, `getGradientImage`, SimpleITK
//! `GradientMagnitudeImageFilter`).
//!
//! # Definition
//! Central differences along each axis, with the edge voxel repeated beyond the border (ITK's zero-flux
//! Neumann boundary condition), combined as a Euclidean norm:
//!
//! ```text
//! ∂_a x(i) = (½ / h_a) · x(i + e_a) − (½ / h_a) · x(i − e_a)      x(−1) = x(0), x(N) = x(N − 1)
//! f(i)     = √(Σ_a ∂_a x(i)²)                                      (a = x, y, z in that order)
//! ```
//!
//! `h_a` is the spacing along `a` when `gradientUseSpacing` is true (the default), else 1.
//!
//! # Output precision
//! SimpleITK gives this filter's output the real type of the input pixel type: `float` (32-bit) for integer
//! images (every image read from a medical file with integer voxels, as PyRadiomics' test cases are),
//! `double` for `double` images. [`gradient`] therefore rounds to `f32` as SimpleITK does for integer
//! input; [`gradient_f64`] keeps the double result (input of pixel type double, e.g. after normalisation).
//!
//! # Region of support
//! One voxel along each axis ([`GRADIENT_MARGIN`]). Repeating the edge voxel happens only at the true
//! image border, so a crop clipped there behaves as the whole image does.

use ndarray::Array3;

use crate::image::Image;

/// Voxels to keep around the ROI's bounding box, per array axis `[z, y, x]`.
pub const GRADIENT_MARGIN: [usize; 3] = [1, 1, 1];

/// Gradient magnitude as SimpleITK computes it: in double precision, stored as `f32` — for every input
/// type, float64 included (checked with SimpleITK 2.5).
pub fn gradient(image: &Image, use_spacing: bool) -> Image {
    let mut g = gradient_f64(image, use_spacing).into_data();
    g.mapv_inplace(|v| v as f32 as f64);
    Image::new(g, *image.geometry()).expect("same grid as a valid image")
}

/// Gradient magnitude in double precision (SimpleITK's result for a `double` image).
pub fn gradient_f64(image: &Image, use_spacing: bool) -> Image {
    let x = image.data();
    let (nz, ny, nx) = x.dim();
    let spacing = image.spacing();
    // Array axis of each ITK dimension (x, y, z) and the half-weight of its difference.
    let weights: [f64; 3] =
        std::array::from_fn(|d| if use_spacing { 0.5 / spacing[d] } else { 0.5 });
    let out = Array3::from_shape_fn((nz, ny, nx), |(k, j, i)| {
        let idx = [i, j, k];
        let n = [nx, ny, nz];
        let mut sum = 0.0;
        for d in 0..3 {
            let mut lo = idx;
            let mut hi = idx;
            lo[d] = idx[d].saturating_sub(1);
            hi[d] = (idx[d] + 1).min(n[d] - 1);
            let g = weights[d] * x[[hi[2], hi[1], hi[0]]] - weights[d] * x[[lo[2], lo[1], lo[0]]];
            sum += g * g;
        }
        sum.sqrt()
    });
    Image::new(out, *image.geometry()).expect("same grid as a valid image")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    #[test]
    fn linear_ramp_has_constant_slope() {
        // x(i, j, k) = 3i + 4j + 0k: interior gradient |(3, 4, 0)| = 5 per voxel; with spacing
        // (0.5, 2, 1) mm it is |(6, 2, 0)| = √40 per mm. At the x border the one-sided difference is halved.
        let data = Array3::from_shape_fn((3, 4, 5), |(_, j, i)| 3.0 * i as f64 + 4.0 * j as f64);
        let g = Geometry::new([0.5, 2.0, 1.0], [0.0; 3]);
        let img = Image::new(data, g).unwrap();
        let voxel = gradient(&img, false);
        let mm = gradient_f64(&img, true);
        assert_eq!(voxel.data()[[1, 1, 2]], 5.0);
        assert!((mm.data()[[1, 2, 3]] - 40f64.sqrt()).abs() < 1e-12);
        // At i = 0: ∂x = (x(1) − x(0)) / 2 = 1.5, ∂y = 4 → √(2.25 + 16).
        assert!((gradient_f64(&img, false).data()[[0, 1, 0]] - 18.25f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn output_is_rounded_to_single_precision() {
        let data = Array3::from_shape_fn((1, 1, 3), |(_, _, i)| (i * i) as f64);
        let img = Image::new(data, Geometry::new([0.3, 1.0, 1.0], [0.0; 3])).unwrap();
        let d = gradient_f64(&img, true).data()[[0, 0, 1]];
        let f = gradient(&img, true).data()[[0, 0, 1]];
        assert_eq!(f, d as f32 as f64);
        assert!((d - 4.0 / 0.6).abs() < 1e-12);
    }
}
