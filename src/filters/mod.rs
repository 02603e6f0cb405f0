//! Image filters: the derived image types of PyRadiomics (`imageType` in a parameter file).
//!
//! Each image type is a function from an [`Image`](crate::Image) to one or more derived images, named as
//! PyRadiomics names them (the prefix of every feature computed on it):
//!
//! ```text
//! imageType     function                        derived images
//! LoG           log::log                        log-sigma-1-0-mm-3D, … (one per sigma)
//! Wavelet       wavelet::wavelet                wavelet-LLH … wavelet-HHH, wavelet-LLL (wavelet<k>- for level k)
//! Square        simple::square                  square
//! SquareRoot    simple::square_root             squareroot
//! Logarithm     simple::logarithm               logarithm
//! Exponential   simple::exponential             exponential
//! Gradient      gradient::gradient              gradient
//! LBP2D         lbp::lbp2d                      lbp-2D
//! LBP3D         lbp::lbp3d (at mask voxels)     lbp-3D-m1, lbp-3D-m2, …, lbp-3D-k
//! ```
//!
//! # Filtering a crop
//! Feature classes only read voxels inside the ROI's bounding box, so a filter need only run on the box
//! grown by the filter's support. Each module states the margin (per array axis `[z, y, x]`) that makes
//! values inside the box identical to filtering the whole image, and what else the result depends on:
//!
//! ```text
//! wavelet        wavelet_margin(): (start_level + level) · ⌊F/2⌋ on filtered axes; periodic: an axis whose
//!                margin crosses the image border must be kept whole (filter_region(…, periodic = true))
//! simple maps    margin 0, but scaled by max |x| of the whole image: pass it to the *_with_max variants
//! log            log_margin(): ⌈16σ/spacing⌉ + 4, chosen by measurement (within 1e-9 of the whole image);
//!                inside that region log_in_box() filters only the rows through the box (bit for bit)
//! gradient       GRADIENT_MARGIN = 1
//! lbp2d          lbp2d_margin(): ⌈R⌉ in-plane, 0 across slices; lbp2d_at() samples at whole-image indices
//! lbp3d          the whole image (the spline prefilter's initial values sum whole lines); lbp3d_in_box()
//!                filters it whole and samples only the box's ROI voxels
//! ```

pub mod gradient;
pub mod lbp;
pub mod log;
pub mod simple;
pub mod wavelet;
mod wavelet_coeffs;
mod wavelet_f32;

pub use gradient::{gradient, gradient_f64, GRADIENT_MARGIN};
pub use lbp::{lbp2d, lbp2d_at, lbp2d_margin, lbp3d, lbp3d_in_box, Lbp3dSettings, LbpMethod};
pub use simple::{
    exponential, exponential_with_max, logarithm, logarithm_with_max, max_abs, square, square_root,
    square_root_with_max, square_with_max,
};
pub use wavelet::{wavelet, wavelet_margin, wavelet_names, wavelet_with_force2d};

use crate::image::BoundingBox;

/// The box to filter: `bbox` grown by `margin` voxels per array axis `[z, y, x]`, clipped to an image of
/// shape `dim` (z, y, x).
///
/// For a `periodic` filter (the wavelet transform wraps around the image), an axis whose grown extent
/// would cross the image border is taken whole, because values near the box then depend on the far side
/// of the image.
pub fn filter_region(
    bbox: &BoundingBox,
    margin: [usize; 3],
    dim: [usize; 3],
    periodic: bool,
) -> BoundingBox {
    let mut out = *bbox;
    for a in 0..3 {
        let crosses = bbox.lower[a] < margin[a] || bbox.upper[a] + margin[a] >= dim[a];
        if periodic && crosses {
            out.lower[a] = 0;
            out.upper[a] = dim[a] - 1;
        } else {
            out.lower[a] = bbox.lower[a].saturating_sub(margin[a]);
            out.upper[a] = (bbox.upper[a] + margin[a]).min(dim[a] - 1);
        }
    }
    out
}

/// The PyRadiomics image types this module provides, by their `imageType` key.
pub fn image_type_names() -> &'static [&'static str] {
    &[
        "Wavelet",
        "Square",
        "SquareRoot",
        "Logarithm",
        "Exponential",
        "Gradient",
        "LBP2D",
        "LBP3D",
    ]
}
