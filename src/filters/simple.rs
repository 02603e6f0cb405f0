//! Voxel-wise intensity maps (PyRadiomics image types `Square`, `SquareRoot`, `Logarithm`, `Exponential`).
//!
//! # Definitions
//! Each map is scaled by `M = max |x|` over the **whole** image, so that results stay on the range of the
//! original intensities; negative intensities keep their sign (except for the exponential):
//!
//! ```text
//! square       f(x) = (x / √M)²                                    (getSquareImage)
//! squareroot   f(x) = √(x·M)  for x > 0,  −√(−x·M)  for x < 0,  0 for x = 0   (getSquareRootImage)
//! logarithm    g(x) = ln(x + 1) for x > 0,  −ln(1 − x) for x < 0,  0 for x = 0
//!              f(x) = g(x) · M / max |g|,   max |g| = ln(M + 1)    (getLogarithmImage)
//! exponential  f(x) = exp(c·x),   c = ln(M) / M                    (getExponentialImage)
//! ```
//!
//! Arithmetic follows PyRadiomics' numpy expressions step by step (`(x · (1/√M))²`, `x · (M / ln(M + 1))`),
//! so results agree to the last bit or two. An all-zero image gives `M = 0` and, as in PyRadiomics, NaN or
//! infinite values.
//!
//! # Region of support
//! Each output voxel depends on its own input voxel and on `M`. Cropping is exact only when `M` is taken
//! from the whole image: the `*_with_max` variants take it as an argument (compute it once with
//! [`max_abs`] on the uncropped image); margin 0.

use crate::image::Image;

/// `max |x|` over every voxel of `image` (PyRadiomics' `numpy.max(numpy.abs(im))`).
pub fn max_abs(image: &Image) -> f64 {
    let data = image.data();
    let Some(values) = data.as_slice() else {
        return data.iter().fold(0.0f64, |m, &v| m.max(v.abs()));
    };
    // Eight running maxima, so the loop vectorises; a NaN never compares greater, so it is skipped, as
    // `f64::max` skips it.
    let mut lanes = [0.0f64; 8];
    let mut chunks = values.chunks_exact(8);
    for chunk in &mut chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            let a = v.abs();
            *m = if a > *m { a } else { *m };
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .fold(0.0f64, |m, &v| m.max(v.abs()));
    lanes.iter().fold(tail, |m, &v| m.max(v))
}

fn map(image: &Image, f: impl Fn(f64) -> f64) -> Image {
    Image::new(image.data().mapv(f), *image.geometry()).expect("same grid as a valid image")
}

/// `square`: `(x / √M)²` with `M = max |x|` of `image`.
pub fn square(image: &Image) -> Image {
    square_with_max(image, max_abs(image))
}

/// `square` with `M = max_abs` given (that of the uncropped image).
pub fn square_with_max(image: &Image, max_abs: f64) -> Image {
    let coeff = 1.0 / max_abs.sqrt();
    map(image, |x| {
        let v = coeff * x;
        v * v
    })
}

/// `squareroot`: `±√(|x|·M)` with the sign of `x`, `M = max |x|` of `image`.
pub fn square_root(image: &Image) -> Image {
    square_root_with_max(image, max_abs(image))
}

/// `squareroot` with `M = max_abs` given.
pub fn square_root_with_max(image: &Image, max_abs: f64) -> Image {
    map(image, |x| {
        if x > 0.0 {
            (x * max_abs).sqrt()
        } else if x < 0.0 {
            -(-x * max_abs).sqrt()
        } else {
            x
        }
    })
}

/// `logarithm`: `±ln(|x| + 1)` with the sign of `x`, rescaled so that `max |f| = M = max |x|` of `image`.
pub fn logarithm(image: &Image) -> Image {
    logarithm_with_max(image, max_abs(image))
}

/// `logarithm` with `M = max_abs` given.
pub fn logarithm_with_max(image: &Image, max_abs: f64) -> Image {
    // max |g| over the image is g(M) = ln(M + 1): ln is monotonic, and −(x − 1) = |x| + 1 exactly.
    let scale = max_abs / (max_abs + 1.0).ln();
    map(image, |x| {
        let g = if x > 0.0 {
            (x + 1.0).ln()
        } else if x < 0.0 {
            -(-(x - 1.0)).ln()
        } else {
            x
        };
        g * scale
    })
}

/// `exponential`: `exp(x · ln(M) / M)` with `M = max |x|` of `image`.
pub fn exponential(image: &Image) -> Image {
    exponential_with_max(image, max_abs(image))
}

/// `exponential` with `M = max_abs` given.
pub fn exponential_with_max(image: &Image, max_abs: f64) -> Image {
    let coeff = max_abs.ln() / max_abs;
    map(image, |x| (coeff * x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;
    use ndarray::Array3;

    fn image(v: &[f64]) -> Image {
        let data = Array3::from_shape_vec((1, 1, v.len()), v.to_vec()).unwrap();
        Image::new(data, Geometry::default()).unwrap()
    }

    fn values(img: &Image) -> Vec<f64> {
        img.data().iter().copied().collect()
    }

    #[test]
    fn max_abs_in_lanes_and_remainder_skips_nan() {
        let mut v: Vec<f64> = (0..19).map(|i| i as f64 - 9.0).collect();
        assert_eq!(max_abs(&image(&v)), 9.0);
        v[3] = f64::NAN;
        v[17] = -40.5; // in the remainder after two chunks of eight
        assert_eq!(max_abs(&image(&v)), 40.5);
        v[17] = 0.0;
        v[12] = -33.0;
        assert_eq!(max_abs(&image(&v)), 33.0);
    }

    fn assert_close(a: &[f64], b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn square_keeps_the_range() {
        // M = 4: f(x) = x²/4, so f(−4) = f(4) = 4, f(2) = 1.
        let img = image(&[-4.0, 0.0, 2.0, 4.0]);
        assert_close(&values(&square(&img)), &[4.0, 0.0, 1.0, 4.0]);
    }

    #[test]
    fn square_root_keeps_the_sign() {
        // M = 9: √(1·9) = 3, −√(4·9) = −6, √(9·9) = 9.
        let img = image(&[1.0, -4.0, 0.0, 9.0]);
        assert_close(&values(&square_root(&img)), &[3.0, -6.0, 0.0, 9.0]);
    }

    #[test]
    fn logarithm_maps_the_maximum_to_itself() {
        // M = e − 1 (so ln(M + 1) = 1, scale = M): f(x) = ±M·ln(|x| + 1).
        let m = std::f64::consts::E - 1.0;
        let img = image(&[-m, 0.0, 1.0, m]);
        let want = [-m, 0.0, m * 2f64.ln(), m];
        assert_close(&values(&logarithm(&img)), &want);
    }

    #[test]
    fn exponential_maps_the_maximum_to_itself() {
        // M = 100: c = ln(100)/100, f(100) = 100, f(0) = 1, f(−100) = 1/100, f(50) = 10.
        let img = image(&[-100.0, 0.0, 50.0, 100.0]);
        assert_close(&values(&exponential(&img)), &[0.01, 1.0, 10.0, 100.0]);
    }

    #[test]
    fn crop_with_the_global_maximum_matches() {
        let img = image(&[-8.0, 3.0, 1.0, 2.0]);
        let part = image(&[3.0, 1.0]);
        let m = max_abs(&img);
        assert_eq!(m, 8.0);
        assert_eq!(
            values(&square_with_max(&part, m)),
            values(&square(&img))[1..3]
        );
        assert_eq!(
            values(&logarithm_with_max(&part, m)),
            values(&logarithm(&img))[1..3]
        );
    }
}
