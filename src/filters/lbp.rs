//! Local binary patterns (PyRadiomics image types `LBP2D`, `getLBP2DImage`, and `LBP3D`, `getLBP3DImage`).
//!
//! # LBP2D (scikit-image `local_binary_pattern`, slice by slice)
//! PyRadiomics cuts the volume into 2D slices normal to the array axis `force2Ddimension` (0 = z, the
//! default; 1 = y; 2 = x) and runs scikit-image's `local_binary_pattern(slice, P, R, method)` on each. A
//! slice's rows and columns are the two remaining axes in the order numpy's `swapaxes(0, d)` leaves them:
//! (y, x) for d = 0, (z, x) for d = 1, (y, z) for d = 2.
//!
//! For a pixel at (r, c) with value g_c, the P samples on a circle of radius R are
//!
//! ```text
//! r_p = r + round(−R·sin(2πp/P), 5),   c_p = c + round(R·cos(2πp/P), 5),   p = 0 … P − 1
//! g_p = bilinear interpolation at (r_p, c_p), pixels outside the slice read as 0:
//!       top = (1 − dc)·I(⌊r⌋, ⌊c⌋) + dc·I(⌊r⌋, ⌈c⌉),  bottom = (1 − dc)·I(⌈r⌉, ⌊c⌋) + dc·I(⌈r⌉, ⌈c⌉)
//!       g = (1 − dr)·top + dr·bottom,   dr = r − ⌊r⌋, dc = c − ⌊c⌋
//! s_p = 1 if g_p − g_c ≥ 0 else 0
//! U   = #{p < P − 1 : s_p ≠ s_{p+1}}        (scikit-image does not count the pair (P − 1, 0))
//! ```
//!
//! and the code by method:
//!
//! ```text
//! default      Σ s_p · 2^p
//! ror          the smallest value of the default code over the P circular bit rotations
//! uniform      Σ s_p if U ≤ 2, else P + 1                  (PyRadiomics' default)
//! nri_uniform  0 if no s_p is 1; P(P − 1) + 1 if all are; P(P − 1) + 2 if U > 2; else
//!              1 + (n − 1)·P + rot, with n = Σ s_p, rot = n − (first p with s_p = 0) when s_0 = 1,
//!              else P − (first p with s_p = 1)
//! var          (Σ g_p² − (Σ g_p)²/P) / P, NaN when it is 0
//! ```
//!
//! Interpolation and comparison are done in the same floating-point steps as scikit-image, so that samples
//! equal to the centre compare as scikit-image compares them (a flat region's interpolated samples may
//! differ from the centre by an ulp).
//!
//! PyRadiomics writes each slice's codes back into the input's array, so the stored image has the input's
//! pixel type: codes are integers for every method except `var`, whose values an integer-typed input
//! truncates. This function returns the `f64` codes; truncation of `var` is left to the caller that knows
//! the input pixel type.
//!
//! Region of support: ⌈R⌉ voxels along the two in-plane axes ([`lbp2d_margin`]); samples outside the image
//! read 0 only at the true image border.
//!
//! # LBP3D (spherical harmonics, Banerjee et al. 2013)
//! See [`lbp3d`].

use ndarray::{s, Array2, Array3, ArrayView2, Axis};

use crate::error::{Error, Result};
use crate::image::Image;

/// How scikit-image turns the P sample bits into a code (`lbp2DMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbpMethod {
    /// `default`: Σ s_p 2^p, not rotation invariant.
    Default,
    /// `ror`: the rotation-invariant minimum of the default code.
    Ror,
    /// `uniform` (PyRadiomics' default): number of ones for uniform patterns, P + 1 otherwise.
    Uniform,
    /// `nri_uniform`: a distinct code per uniform pattern, not rotation invariant.
    NriUniform,
    /// `var`: variance of the samples.
    Var,
}

impl LbpMethod {
    /// The method of a PyRadiomics `lbp2DMethod` value (case-insensitive, as scikit-image reads it).
    pub fn from_name(name: &str) -> Result<LbpMethod> {
        match name.to_ascii_lowercase().as_str() {
            "default" => Ok(LbpMethod::Default),
            "ror" => Ok(LbpMethod::Ror),
            "uniform" => Ok(LbpMethod::Uniform),
            "nri_uniform" => Ok(LbpMethod::NriUniform),
            "var" => Ok(LbpMethod::Var),
            _ => Err(Error::setting(format!(
                "lbp2DMethod '{name}' is not one of default, ror, uniform, nri_uniform, var"
            ))),
        }
    }
}

/// LBP2D of `image`, slice by slice normal to the array axis `force2d_dimension` (0 = z, 1 = y, 2 = x), with
/// `samples` points on a circle of `radius` pixels (PyRadiomics' `lbp2DRadius` 1, `lbp2DSamples` 8,
/// `lbp2DMethod` uniform by default).
pub fn lbp2d(
    image: &Image,
    radius: f64,
    samples: usize,
    method: LbpMethod,
    force2d_dimension: usize,
) -> Result<Image> {
    if force2d_dimension > 2 {
        return Err(Error::setting(format!(
            "force2Ddimension must be 0, 1 or 2, got {force2d_dimension}"
        )));
    }
    if !(radius.is_finite() && radius > 0.0) {
        return Err(Error::setting(format!(
            "lbp2DRadius must be a positive number, got {radius}"
        )));
    }
    if samples == 0 || samples > 31 {
        return Err(Error::setting(format!(
            "lbp2DSamples must be between 1 and 31 (codes are 32-bit), got {samples}"
        )));
    }
    let mut data = image.data().to_owned();
    // numpy's swapaxes(0, d) for d = 1 or 2 leaves the other axes in place: slices are (z, x) or (y, z).
    let mut swapped = data.view_mut();
    swapped.swap_axes(0, force2d_dimension);
    let offsets = sample_offsets(radius, samples);
    for mut plane in swapped.axis_iter_mut(Axis(0)) {
        let slice = plane.as_standard_layout().into_owned();
        let codes = lbp_slice(slice.view(), &offsets, method);
        plane.assign(&codes);
    }
    Image::new(data, *image.geometry())
}

/// Voxels to keep around the ROI's bounding box, per array axis `[z, y, x]`, for [`lbp2d`].
pub fn lbp2d_margin(radius: f64, force2d_dimension: usize) -> [usize; 3] {
    let r = radius.ceil().max(0.0) as usize;
    let mut m = [r; 3];
    if force2d_dimension < 3 {
        m[force2d_dimension] = 0;
    }
    m
}

/// numpy's `round(v, 5)`: scale, round half to even, unscale.
fn round5(v: f64) -> f64 {
    (v * 1e5).round_ties_even() / 1e5
}

/// `(row, column)` offsets of the samples, as scikit-image computes them.
fn sample_offsets(radius: f64, samples: usize) -> Vec<(f64, f64)> {
    (0..samples)
        .map(|p| {
            let angle = 2.0 * std::f64::consts::PI * p as f64 / samples as f64;
            (round5(-radius * angle.sin()), round5(radius * angle.cos()))
        })
        .collect()
}

/// Bilinear interpolation at (r, c), pixels outside the slice reading 0 (scikit-image, mode 'C').
fn bilinear(img: ArrayView2<'_, f64>, r: f64, c: f64) -> f64 {
    let (rows, cols) = img.dim();
    let pixel = |r: f64, c: f64| -> f64 {
        if r < 0.0 || c < 0.0 || r >= rows as f64 || c >= cols as f64 {
            0.0
        } else {
            img[[r as usize, c as usize]]
        }
    };
    let (minr, minc, maxr, maxc) = (r.floor(), c.floor(), r.ceil(), c.ceil());
    let dr = r - minr;
    let dc = c - minc;
    let top = (1.0 - dc) * pixel(minr, minc) + dc * pixel(minr, maxc);
    let bottom = (1.0 - dc) * pixel(maxr, minc) + dc * pixel(maxr, maxc);
    (1.0 - dr) * top + dr * bottom
}

/// LBP codes of one slice.
fn lbp_slice(img: ArrayView2<'_, f64>, offsets: &[(f64, f64)], method: LbpMethod) -> Array2<f64> {
    let p = offsets.len();
    let mut texture = vec![0.0; p];
    let mut signed = vec![0u32; p];
    Array2::from_shape_fn(img.dim(), |(r, c)| {
        let centre = img[[r, c]];
        for (i, &(dr, dc)) in offsets.iter().enumerate() {
            texture[i] = bilinear(img, r as f64 + dr, c as f64 + dc);
            signed[i] = u32::from(texture[i] - centre >= 0.0);
        }
        code(&texture, &signed, method)
    })
}

/// The code of one pixel from its samples `texture` and bits `signed`.
fn code(texture: &[f64], signed: &[u32], method: LbpMethod) -> f64 {
    let p = signed.len();
    let changes = signed.windows(2).filter(|w| w[0] != w[1]).count();
    match method {
        LbpMethod::Var => {
            let (mut sum, mut sq) = (0.0, 0.0);
            for &t in texture {
                sum += t;
                sq += t * t;
            }
            let var = (sq - sum * sum / p as f64) / p as f64;
            if var != 0.0 {
                var
            } else {
                f64::NAN
            }
        }
        LbpMethod::Uniform => {
            if changes <= 2 {
                signed.iter().sum::<u32>() as f64
            } else {
                (p + 1) as f64
            }
        }
        LbpMethod::NriUniform => {
            if changes > 2 {
                return (p * (p - 1) + 2) as f64;
            }
            let n_ones = signed.iter().filter(|&&s| s == 1).count();
            if n_ones == 0 {
                0.0
            } else if n_ones == p {
                (p * (p - 1) + 1) as f64
            } else {
                let first_one = signed.iter().position(|&s| s == 1).unwrap_or(0);
                let first_zero = signed.iter().position(|&s| s == 0).unwrap_or(0);
                let rot = if first_one == 0 {
                    n_ones - first_zero
                } else {
                    p - first_one
                };
                (1 + (n_ones - 1) * p + rot) as f64
            }
        }
        LbpMethod::Default | LbpMethod::Ror => {
            let lbp: u32 = signed.iter().enumerate().map(|(i, &s)| s << i).sum();
            if method == LbpMethod::Default {
                lbp as f64
            } else {
                let mask = (1u32 << p) - 1;
                (0..p as u32)
                    .map(|k| ((lbp >> k) | (lbp << (p as u32 - k))) & mask)
                    .min()
                    .unwrap_or(lbp) as f64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    fn image(data: Array3<f64>) -> Image {
        Image::new(data, Geometry::default()).unwrap()
    }

    #[test]
    fn flat_interior_and_zero_border() {
        // A flat positive slice: interior samples equal the centre (all bits 1: uniform code P = 8,
        // default 255). Border pixels sample zeros outside the slice (bits 0 there).
        let img = image(Array3::from_elem((1, 5, 5), 10.0));
        let u = lbp2d(&img, 1.0, 8, LbpMethod::Uniform, 0).unwrap();
        assert_eq!(u.data()[[0, 2, 2]], 8.0);
        let d = lbp2d(&img, 1.0, 8, LbpMethod::Default, 0).unwrap();
        assert_eq!(d.data()[[0, 2, 2]], 255.0);
        // Corner (0, 0): samples p = 0 (right), 6 (down), 7 (down-right, diagonal interpolated from in-slice
        // pixels only: (1 − dr)·top + dr·bottom with dr = dc = 0.70711 all inside) are ≥ 10 only where every
        // read pixel is inside. Right (0, 1) and down (1, 0) are inside; diagonal reads (0,0),(0,1),(1,0),(1,1)
        // at (0.70711, 0.70711): inside. Up-side samples p = 1..5 read row −1 → below 10.
        // bits: p0 = 1, p1..p5 = 0, p6 = 1, p7 = 1: default = 1 + 64 + 128 = 193.
        assert_eq!(d.data()[[0, 0, 0]], 193.0);
        // uniform: changes (1→0, 0→1) = 2 → count of ones = 3.
        assert_eq!(u.data()[[0, 0, 0]], 3.0);
    }

    #[test]
    fn isolated_bright_and_dark_pixels() {
        // A bright pixel: every neighbour is darker → all bits 0 → uniform 0, default 0; each of its
        // 4-neighbours sees the bright pixel (and interpolations towards it) as ≥ itself.
        let mut data = Array3::zeros((1, 7, 7));
        data[[0, 3, 3]] = 100.0;
        data.slice_mut(s![.., .., ..]).mapv_inplace(|v| v + 1.0);
        let img = image(data.clone());
        let u = lbp2d(&img, 1.0, 8, LbpMethod::Uniform, 0).unwrap();
        assert_eq!(u.data()[[0, 3, 3]], 0.0);
        // The pixel left of it, (3, 2): p = 0 points right onto the bright pixel; p = 1 and 7 interpolate
        // between 1 and 100 (> 1); the rest equal the flat value 1 (≥ 1 → 1 as well). All ones → 8.
        assert_eq!(u.data()[[0, 3, 2]], 8.0);
        // A dark pixel in a flat field: all neighbours brighter → all ones → uniform 8, default 255, and
        // ror 255; its left neighbour sees p = 0 (dark) as 0 and p = 1, 7 (interpolated, < flat) as 0,
        // others 1: bits 0 0 1 1 1 1 1 0 → default 124, ror 31, uniform 5, nri_uniform 1 + 4·8 + (8 − 2) = 39.
        let mut dark = Array3::from_elem((1, 7, 7), 50.0);
        dark[[0, 3, 3]] = 0.0;
        let img = image(dark);
        let get = |m| lbp2d(&img, 1.0, 8, m, 0).unwrap().data()[[0, 3, 2]];
        assert_eq!(
            lbp2d(&img, 1.0, 8, LbpMethod::Default, 0).unwrap().data()[[0, 3, 3]],
            255.0
        );
        assert_eq!(get(LbpMethod::Default), 124.0);
        assert_eq!(get(LbpMethod::Ror), 31.0);
        assert_eq!(get(LbpMethod::Uniform), 5.0);
        assert_eq!(get(LbpMethod::NriUniform), 39.0);
    }

    #[test]
    fn slices_follow_force2d_dimension() {
        // A volume varying only along z: axial slices (d = 0) are flat; slices normal to x (d = 2) see the
        // variation along their columns (z).
        let data = Array3::from_shape_fn((5, 5, 5), |(z, _, _)| z as f64 + 1.0);
        let img = image(data);
        let axial = lbp2d(&img, 1.0, 8, LbpMethod::Uniform, 0).unwrap();
        assert_eq!(axial.data()[[2, 2, 2]], 8.0);
        let sagittal = lbp2d(&img, 1.0, 8, LbpMethod::Default, 2).unwrap();
        // Slice (y, z): columns are z. Samples with a column offset ≥ 0 (p = 0, 1, 2, 6, 7) are ≥ centre.
        assert_eq!(sagittal.data()[[2, 2, 2]], (1 + 2 + 4 + 64 + 128) as f64);
        assert_eq!(lbp2d_margin(1.5, 0), [0, 2, 2]);
        assert!(LbpMethod::from_name("bogus").is_err());
    }
}
