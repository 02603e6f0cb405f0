//! Whole-image intensity normalisation (PyRadiomics' `normalize`).

use crate::error::{Error, Result};
use crate::image::Image;

/// ITK's `Normalize` (mean and sample SD of the whole image, sums compensated), then clipping at
/// ± `outliers` and scaling, as PyRadiomics' `normalizeImage`.
pub fn normalize(image: &Image, scale: f64, outliers: Option<f64>) -> Result<Image> {
    let data = image.data();
    let n = data.len() as f64;
    let (mut sum, mut c1) = (0.0f64, 0.0f64);
    let (mut sq, mut c2) = (0.0f64, 0.0f64);
    for &v in data.iter() {
        // Kahan summation, as ITK's CompensatedSummation.
        let y = v - c1;
        let t = sum + y;
        c1 = (t - sum) - y;
        sum = t;
        let y = v * v - c2;
        let t = sq + y;
        c2 = (t - sq) - y;
        sq = t;
    }
    let mean = sum / n;
    let var = (sq - sum * sum / n) / (n - 1.0);
    let sd = var.sqrt();
    if !(sd.is_finite() && sd > 0.0) {
        return Err(Error::invalid(
            "normalize: the image is constant (or not finite); it cannot be z-scored",
        ));
    }
    // ITK applies (v + shift) · scale with scale = 1/σ: a product with the reciprocal, not a division,
    // which decides on which side of a bin edge a value falls.
    let scale_sd = 1.0 / sd;
    let out = data.mapv(|v| {
        let mut z = (v - mean) * scale_sd;
        if let Some(o) = outliers {
            z = z.clamp(-o, o);
        }
        z * scale
    });
    Image::new(out, *image.geometry())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;
    use ndarray::Array3;

    fn image(values: &[f64]) -> Image {
        let a = Array3::from_shape_vec((1, 1, values.len()), values.to_vec()).unwrap();
        Image::new(a, Geometry::new([1.0; 3], [0.0; 3])).unwrap()
    }

    #[test]
    fn z_scores_with_the_sample_sd_then_clips_and_scales() {
        // Mean 2.5, sample SD √(5/3) ≈ 1.291 of 1, 2, 3, 4.
        let sd = (5.0f64 / 3.0).sqrt();
        let out = normalize(&image(&[1.0, 2.0, 3.0, 4.0]), 1.0, None).unwrap();
        for (o, v) in out.data().iter().zip([1.0, 2.0, 3.0, 4.0]) {
            assert!((o - (v - 2.5) / sd).abs() < 1e-12, "{o}");
        }
        // Clipped at ±1 (z of 1 and 4 is ∓1.16), then scaled by 100.
        let out = normalize(&image(&[1.0, 2.0, 3.0, 4.0]), 100.0, Some(1.0)).unwrap();
        let v: Vec<f64> = out.data().iter().copied().collect();
        assert_eq!(v[0], -100.0);
        assert_eq!(v[3], 100.0);
        assert!((v[1] - 100.0 * (-0.5 / sd)).abs() < 1e-9);
    }

    #[test]
    fn a_constant_image_is_an_error() {
        let e = normalize(&image(&[7.0; 5]), 1.0, None).unwrap_err();
        assert!(e.to_string().contains("constant"), "{e}");
    }
}
