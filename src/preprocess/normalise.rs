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
