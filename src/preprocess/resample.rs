//! Resampling an image and its mask onto a new voxel spacing, as PyRadiomics does it
//! (`imageoperations.resampleImage`, settings `resampledPixelSpacing`, `interpolator`, `padDistance`), and
//! resampling one image onto another grid ([`resample_onto`]).
//!
//! # The new grid
//! PyRadiomics places the new grid from the *mask* alone, and only over the ROI's bounding box plus
//! `padDistance` voxels of the new spacing, so that the result is already cropped. With the mask's spacing
//! `s`, size `N` and the ROI bounding box given by its first index `L` and extent `S` (x, y, z; all
//! element-wise), the requested spacing `s'` (an entry of 0 keeps `s` on that axis, as does an axis on
//! which the ROI is one voxel thick) and `r = s / s'`:
//!
//! ```text
//! lower  = max(0,            ⌊(L − ½)·r − pad⌋)
//! upper  = min(⌈N·r⌉ − 1,    ⌈(L + S − ½)·r + pad⌉)
//! size'  = upper − lower + 1
//! origin' = mask.index_to_world(½·(s' − s)/s + lower/r)      (continuous index of the mask grid)
//! direction' = mask direction
//! ```
//!
//! The corner of voxel 0 of the new grid thus coincides with the corner of voxel 0 of the mask grid, and
//! the grid covers whole voxels of the new spacing. When the new spacing equals the image's spacing
//! (numpy `allclose`: `|s_image − s'| ≤ 1e-8 + 1e-5·|s'|` on every axis), PyRadiomics does not interpolate
//! the image: it resamples the mask onto the image grid (nearest neighbour) and crops both to the ROI's
//! bounding box grown by `padDistance` voxels. Before either, the ROI's bounding box (voxel corners) must
//! lie inside the image, within 1e-3 voxel, or it is an error.
//!
//! # Interpolation (ITK `ResampleImageFilter`)
//! Every output voxel centre is mapped to a continuous index `x` of the input grid. ITK walks each output
//! row from the mapped positions of its first voxel and of the voxel one past its end, and interpolates
//! linearly between them (`x_i = x_start + (i/n)·(x_end − x_start)`); this module does the same, in the
//! same order of operations, so that ties of the nearest-neighbour rule (frequent: brain1 at 2 mm maps
//! output voxels to input index 13.5 exactly) fall the same way. A voxel whose `x` lies outside `[−½, N − ½)` on some axis gets
//! the default pixel value, 0 (no extrapolation). Inside:
//!
//! - **Nearest neighbour**: the voxel at `⌊x + ½⌋` (halves round up).
//! - **Linear**: trilinear between the voxels at `⌊x⌋` and `⌊x⌋ + 1`; a neighbour beyond the last voxel is
//!   replaced by the last voxel, and below the first voxel the first voxel is used (edge replication).
//! - **B-spline**: cubic B-spline interpolation (Unser 1999). The image is first turned into spline
//!   coefficients `c` by the recursive prefilter of ITK's `BSplineDecompositionImageFilter` (pole
//!   `z = √3 − 2`, gain `(1 − z)(1 − 1/z) = 6`, mirror boundaries, causal initial value summed over
//!   `⌈ln 1e-10 / ln|z|⌉ = 18` samples when the row is longer than that, else exactly), axis by axis. Then
//!   `f(x) = Σ_k β³(x − k)·c_k` over the 4 coefficients per axis from `⌊x⌋ − 1`, indices outside the image
//!   mirrored about its first and last voxel (`−1 → 1`, `N → N − 2`), with the weights
//!
//! ```text
//!   w = x − ⌊x⌋
//!   β₃ = w³/6,  β₀ = 1/6 + w(w − 1)/2 − β₃,  β₂ = w + β₀ − 2β₃,  β₁ = 1 − β₀ − β₂ − β₃
//! ```
//!
//! - **Gaussian, label Gaussian, windowed sincs** (`sitkGaussian`, `sitkLabelGaussian`,
//!   `sitk*WindowedSinc`): kernels over a few voxels (Gaussian) or ten per axis (sinc), with SimpleITK's
//!   parameters; see [`super::kernels`].
//!
//! # Pixel type
//! PyRadiomics asks SimpleITK for an output of the input's pixel type, so a 16-bit image comes back as
//! 16-bit integers: the interpolated value is clamped to the type's range and truncated toward zero
//! (`static_cast`). [`resample_image_and_mask`] does the same when given the input's [`DataType`]; with
//! `None` it returns the interpolated values unrounded.
//!
//! # References
//! - PyRadiomics `radiomics/imageoperations.py`: `resampleImage`, `_checkROI`, `cropToTumorMask`.
//! - ITK `ResampleImageFilter`, `NearestNeighborInterpolateImageFunction`, `LinearInterpolateImageFunction`,
//!   `BSplineInterpolateImageFunction`, `BSplineDecompositionImageFilter`.
//! - M. Unser, "Splines: a perfect fit for signal and image processing", IEEE Signal Processing Magazine
//!   16(6), 1999.

use ndarray::{s, Array3, ArrayView3};

use crate::error::{Error, Result};
use crate::image::io::DataType;
use crate::image::{inverse3, Geometry, Image, Mask};

use super::kernels::{self, SincWindow};

/// How voxel values are read between voxel centres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolator {
    /// The value of the nearest voxel (`sitkNearestNeighbor`).
    Nearest,
    /// Trilinear interpolation (`sitkLinear`).
    Linear,
    /// Cubic B-spline interpolation with prefiltering (`sitkBSpline`, PyRadiomics' default).
    BSpline,
    /// Gaussian-weighted mean, σ = 0.8 voxel, over 4σ (`sitkGaussian`; see [`super::kernels`]).
    Gaussian,
    /// The value of largest Gaussian weight, σ = 1 voxel (`sitkLabelGaussian`).
    LabelGaussian,
    /// Windowed sinc of radius 5 (`sitkHammingWindowedSinc` and the other windows).
    WindowedSinc(SincWindow),
}

impl Interpolator {
    /// The interpolator of a PyRadiomics `interpolator` setting: a SimpleITK name (`sitkNearestNeighbor`,
    /// `sitkLinear`, `sitkBSpline`, `sitkGaussian`, `sitkLabelGaussian`, `sitkHammingWindowedSinc`,
    /// `sitkCosineWindowedSinc`, `sitkWelchWindowedSinc`, `sitkLanczosWindowedSinc`,
    /// `sitkBlackmanWindowedSinc`) or an integer code (1, 2, 4–10 as SimpleITK numbers them; 3, SimpleITK
    /// 1.x's B-spline, and 23, SimpleITK 2.x's). Any other value is an invalid argument.
    pub fn from_name(name: &str) -> Result<Interpolator> {
        let name = name.trim();
        let sinc = Interpolator::WindowedSinc;
        match name {
            "sitkNearestNeighbor" | "1" => Ok(Interpolator::Nearest),
            "sitkLinear" | "2" => Ok(Interpolator::Linear),
            "sitkBSpline" | "3" | "23" => Ok(Interpolator::BSpline),
            "sitkGaussian" | "4" => Ok(Interpolator::Gaussian),
            "sitkLabelGaussian" | "5" => Ok(Interpolator::LabelGaussian),
            "sitkHammingWindowedSinc" | "6" => Ok(sinc(SincWindow::Hamming)),
            "sitkCosineWindowedSinc" | "7" => Ok(sinc(SincWindow::Cosine)),
            "sitkWelchWindowedSinc" | "8" => Ok(sinc(SincWindow::Welch)),
            "sitkLanczosWindowedSinc" | "9" => Ok(sinc(SincWindow::Lanczos)),
            "sitkBlackmanWindowedSinc" | "10" => Ok(sinc(SincWindow::Blackman)),
            _ => Err(Error::invalid(format!(
                "unknown interpolator '{name}'; expected a SimpleITK interpolator name (sitkNearestNeighbor, sitkLinear, sitkBSpline, sitkGaussian, sitkLabelGaussian or a sitk*WindowedSinc) or its code"
            ))),
        }
    }

    /// The SimpleITK name.
    pub fn name(self) -> &'static str {
        match self {
            Interpolator::Nearest => "sitkNearestNeighbor",
            Interpolator::Linear => "sitkLinear",
            Interpolator::BSpline => "sitkBSpline",
            Interpolator::Gaussian => "sitkGaussian",
            Interpolator::LabelGaussian => "sitkLabelGaussian",
            Interpolator::WindowedSinc(w) => match w {
                SincWindow::Hamming => "sitkHammingWindowedSinc",
                SincWindow::Cosine => "sitkCosineWindowedSinc",
                SincWindow::Welch => "sitkWelchWindowedSinc",
                SincWindow::Lanczos => "sitkLanczosWindowedSinc",
                SincWindow::Blackman => "sitkBlackmanWindowedSinc",
            },
        }
    }
}

/// The grid PyRadiomics resamples onto for `mask` at `spacing` (0 = keep the mask's spacing on that axis)
/// with `pad_distance` voxels of margin: its geometry and size (x, y, z). See the module docs.
///
/// Fails when the ROI is empty or a spacing is negative or not finite.
pub fn resample_grid(
    mask: &Mask,
    spacing: [f64; 3],
    pad_distance: usize,
) -> Result<(Geometry, [usize; 3])> {
    let (lower, extent) = roi_box_xyz(mask)?;
    let new_spacing = effective_spacing(mask, spacing, extent)?;
    Ok(new_grid(mask, new_spacing, lower, extent, pad_distance))
}

/// Resamples `image` and `mask` to `spacing` (mm, x, y, z) as PyRadiomics' `resampleImage` does: onto the
/// grid of [`resample_grid`], the image with `interpolator`, the mask with nearest neighbour. When the new
/// spacing equals the image's, the image is only cropped (see the module docs).
///
/// `pixel_type` is the data type the image was stored in: PyRadiomics' output keeps it, so integer types
/// clamp and truncate the interpolated values toward zero; `None` keeps them unrounded.
///
/// Errors: an empty ROI, a ROI reaching outside the image, a negative or non-finite spacing, or a mask
/// whose ROI vanishes on the image grid.
pub fn resample_image_and_mask(
    image: &Image,
    mask: &Mask,
    spacing: [f64; 3],
    interpolator: Interpolator,
    pad_distance: usize,
    pixel_type: Option<DataType>,
) -> Result<(Image, Mask)> {
    let (lower, extent) = roi_box_xyz(mask)?;
    check_roi_inside(image, mask, lower, extent)?;
    let new_spacing = effective_spacing(mask, spacing, extent)?;
    let image_spacing = image.spacing();
    let same = (0..3)
        .all(|a| (image_spacing[a] - new_spacing[a]).abs() <= 1e-8 + 1e-5 * new_spacing[a].abs());
    if same {
        return crop_on_image_grid(image, mask, pad_distance);
    }
    let (geometry, size) = new_grid(mask, new_spacing, lower, extent, pad_distance);
    let mut values = resample_values(
        image.data(),
        image.geometry(),
        &geometry,
        size,
        interpolator,
    );
    if let Some(t) = pixel_type {
        values.mapv_inplace(|v| cast_like_itk(v, t));
    }
    let roi = resample_mask(mask, &geometry, size);
    Ok((
        Image::new(values, geometry)?,
        Mask::from_array(roi, geometry)?,
    ))
}

/// Resamples `image` onto the grid `target` of `size` voxels (x, y, z) with `interpolator`; voxels that map
/// outside the image get 0. Values are not rounded. Used e.g. to bring one sequence onto another's grid.
pub fn resample_onto(
    image: &Image,
    target: &Geometry,
    size: [usize; 3],
    interpolator: Interpolator,
) -> Result<Image> {
    target.validate()?;
    if size.contains(&0) {
        return Err(Error::invalid(format!(
            "target size {size:?} has an empty axis"
        )));
    }
    let values = resample_values(image.data(), image.geometry(), target, size, interpolator);
    Image::new(values, *target)
}

/// Resamples a mask onto `target` (nearest neighbour; outside the mask is background).
pub fn resample_mask(mask: &Mask, target: &Geometry, size: [usize; 3]) -> Array3<bool> {
    let labels = mask.roi().mapv(|b| if b { 1.0 } else { 0.0 });
    resample_values(
        labels.view(),
        mask.geometry(),
        target,
        size,
        Interpolator::Nearest,
    )
    .mapv(|v| v == 1.0)
}

/// A value as ITK's `ResampleImageFilter` stores it in a pixel of type `t`: integers are clamped to the
/// type's range and truncated toward zero; `F32` rounds to single precision.
pub fn cast_like_itk(v: f64, t: DataType) -> f64 {
    let (lo, hi) = match t {
        DataType::U8 => (0.0, u8::MAX as f64),
        DataType::I8 => (i8::MIN as f64, i8::MAX as f64),
        DataType::U16 => (0.0, u16::MAX as f64),
        DataType::I16 => (i16::MIN as f64, i16::MAX as f64),
        DataType::U32 => (0.0, u32::MAX as f64),
        DataType::I32 => (i32::MIN as f64, i32::MAX as f64),
        DataType::U64 => (0.0, u64::MAX as f64),
        DataType::I64 => (i64::MIN as f64, i64::MAX as f64),
        DataType::F32 => return v as f32 as f64,
        DataType::F64 => return v,
    };
    if v < lo {
        lo
    } else if v > hi {
        hi
    } else {
        v.trunc()
    }
}

/// The ROI's bounding box as PyRadiomics' `LabelShapeStatisticsImageFilter` gives it: first index and
/// extent, x, y, z.
fn roi_box_xyz(mask: &Mask) -> Result<([usize; 3], [usize; 3])> {
    let bb = mask
        .bounding_box()
        .ok_or_else(|| Error::empty_roi("the mask holds no ROI voxel; nothing to resample"))?;
    let shape = bb.shape();
    Ok((
        [bb.lower[2], bb.lower[1], bb.lower[0]],
        [shape[2], shape[1], shape[0]],
    ))
}

/// The spacing PyRadiomics resamples to: 0 keeps the mask's spacing, as does an axis on which the ROI
/// is one voxel thick.
fn effective_spacing(mask: &Mask, spacing: [f64; 3], extent: [usize; 3]) -> Result<[f64; 3]> {
    let mut out = [0.0; 3];
    for (a, axis) in ["x", "y", "z"].iter().enumerate() {
        let s = spacing[a];
        if !(s.is_finite() && s >= 0.0) {
            return Err(Error::invalid(format!(
                "resampledPixelSpacing along {axis} is {s}; it must be finite and not negative (0 keeps the original)"
            )));
        }
        out[a] = if s == 0.0 || extent[a] == 1 {
            mask.geometry().spacing[a]
        } else {
            s
        };
    }
    Ok(out)
}

/// PyRadiomics' grid arithmetic (module docs), in its order of operations.
fn new_grid(
    mask: &Mask,
    new_spacing: [f64; 3],
    lower: [usize; 3],
    extent: [usize; 3],
    pad: usize,
) -> (Geometry, [usize; 3]) {
    let mg = mask.geometry();
    let mask_size = mask.size();
    let pad = pad as f64;
    let mut size = [0usize; 3];
    let mut origin_index = [0.0; 3];
    for a in 0..3 {
        let ratio = mg.spacing[a] / new_spacing[a];
        let l = lower[a] as f64;
        let mut lb = ((l - 0.5) * ratio - pad).floor();
        let mut ub = (((lower[a] + extent[a]) as f64 - 0.5) * ratio + pad).ceil();
        let max_ub = (mask_size[a] as f64 * ratio).ceil() - 1.0;
        if lb < 0.0 {
            lb = 0.0;
        }
        if ub > max_ub {
            ub = max_ub;
        }
        size[a] = (ub - lb + 1.0) as usize;
        let original_lb = lb / ratio;
        let new_origin_index = 0.5 * (new_spacing[a] - mg.spacing[a]) / mg.spacing[a];
        origin_index[a] = new_origin_index + original_lb;
    }
    let geometry = Geometry {
        spacing: new_spacing,
        origin: itk_index_to_world(mg, origin_index),
        direction: mg.direction,
    };
    (geometry, size)
}

/// ITK's `TransformContinuousIndexToPhysicalPoint`: `(D·diag(s))·i + origin`, with `D·diag(s)` formed
/// first, so that origins come out bit-identical to SimpleITK's.
fn itk_index_to_world(g: &Geometry, index: [f64; 3]) -> [f64; 3] {
    let m = index_to_physical(g);
    let mut p = [0.0; 3];
    for (r, pr) in p.iter_mut().enumerate() {
        let mut sum = 0.0;
        for (c, ic) in index.iter().enumerate() {
            sum += m[3 * r + c] * ic;
        }
        *pr = sum + g.origin[r];
    }
    p
}

/// `D·diag(spacing)`, row-major.
fn index_to_physical(g: &Geometry) -> [f64; 9] {
    let mut m = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[3 * r + c] = g.direction[3 * r + c] * g.spacing[c];
        }
    }
    m
}

/// PyRadiomics' `_checkROI`: the corners of the ROI's bounding box, in the image's continuous index,
/// must lie within `[−½ − 1e-3, N − ½ + 1e-3]`.
fn check_roi_inside(
    image: &Image,
    mask: &Mask,
    lower: [usize; 3],
    extent: [usize; 3],
) -> Result<()> {
    let mg = mask.geometry();
    let ig = image.geometry();
    let lo: [f64; 3] = std::array::from_fn(|a| lower[a] as f64 - 0.5);
    let hi: [f64; 3] = std::array::from_fn(|a| (lower[a] + extent[a]) as f64 - 0.5);
    let inv = inverse3(&index_to_physical(ig));
    let to_image = |i: [f64; 3]| {
        let p = itk_index_to_world(mg, i);
        let d: [f64; 3] = std::array::from_fn(|r| p[r] - ig.origin[r]);
        let out: [f64; 3] = std::array::from_fn(|r| {
            inv[3 * r] * d[0] + inv[3 * r + 1] * d[1] + inv[3 * r + 2] * d[2]
        });
        out
    };
    let (a, b) = (to_image(lo), to_image(hi));
    let size = image.size();
    for ax in 0..3 {
        let (mn, mx) = (a[ax].min(b[ax]), a[ax].max(b[ax]));
        if mn < -0.5 - 1e-3 || mx > size[ax] as f64 - 0.5 + 1e-3 {
            return Err(Error::geometry(format!(
                "the ROI's bounding box reaches outside the image: along {} it spans image indices {mn:.3} to {mx:.3}, the image {} voxels",
                ["x", "y", "z"][ax],
                size[ax]
            )));
        }
    }
    Ok(())
}

/// PyRadiomics' branch for a spacing equal to the image's: the mask onto the image grid (nearest
/// neighbour), then both cropped to the ROI's bounding box grown by `pad` voxels (`cropToTumorMask`).
fn crop_on_image_grid(image: &Image, mask: &Mask, pad: usize) -> Result<(Image, Mask)> {
    let ig = *image.geometry();
    let size = image.size();
    let roi = resample_mask(mask, &ig, size);
    let bb = crate::image::bounding_box(roi.view()).ok_or_else(|| {
        Error::empty_roi("the ROI holds no voxel once the mask is put onto the image grid")
    })?;
    let dim = [size[2], size[1], size[0]];
    let bb = bb.padded(pad, dim);
    let (l, u) = (bb.lower, bb.upper);
    let cut = s![l[0]..=u[0], l[1]..=u[1], l[2]..=u[2]];
    let geometry = Geometry {
        origin: itk_index_to_world(&ig, [l[2] as f64, l[1] as f64, l[0] as f64]),
        ..ig
    };
    let data = image.data().slice(cut).to_owned();
    let roi = roi.slice(cut).to_owned();
    Ok((
        Image::new(data, geometry)?,
        Mask::from_array(roi, geometry)?,
    ))
}

/// Resamples `data` (on `src`) onto `target` of `size` voxels: ITK's `ResampleImageFilter` with an
/// identity transform, default value 0.
fn resample_values(
    data: ArrayView3<'_, f64>,
    src: &Geometry,
    target: &Geometry,
    size: [usize; 3],
    interpolator: Interpolator,
) -> Array3<f64> {
    let (nz, ny, nx) = data.dim();
    let src_size = [nx, ny, nz];
    let coefficients;
    let sampler = match interpolator {
        Interpolator::Nearest => Sampler::Nearest(data),
        Interpolator::Linear => Sampler::Linear(data),
        Interpolator::BSpline => {
            coefficients = bspline_coefficients(data);
            Sampler::BSpline(coefficients.view())
        }
        Interpolator::Gaussian => {
            Sampler::Gaussian(data, kernels::gauss_params(src.spacing, 0.8, 4.0))
        }
        Interpolator::LabelGaussian => {
            Sampler::LabelGaussian(data, kernels::gauss_params(src.spacing, 1.0, 1.0))
        }
        Interpolator::WindowedSinc(w) => Sampler::WindowedSinc(data, w),
    };
    let to_src = inverse3(&index_to_physical(src));
    let map = |i: [f64; 3]| -> [f64; 3] {
        let p = itk_index_to_world(target, i);
        let d: [f64; 3] = std::array::from_fn(|r| p[r] - src.origin[r]);
        std::array::from_fn(|r| {
            to_src[3 * r] * d[0] + to_src[3 * r + 1] * d[1] + to_src[3 * r + 2] * d[2]
        })
    };
    let mut out = Array3::<f64>::zeros((size[2], size[1], size[0]));
    let n = size[0] as f64;
    for z in 0..size[2] {
        for y in 0..size[1] {
            let start = map([0.0, y as f64, z as f64]);
            let end = map([n, y as f64, z as f64]);
            for x in 0..size[0] {
                let alpha = x as f64 / n;
                let c: [f64; 3] = std::array::from_fn(|a| start[a] + alpha * (end[a] - start[a]));
                let inside = (0..3).all(|a| c[a] >= -0.5 && c[a] < src_size[a] as f64 - 0.5);
                if inside {
                    out[[z, y, x]] = sampler.eval(c);
                }
            }
        }
    }
    out
}

/// An interpolator bound to its data (the B-spline to its coefficients).
enum Sampler<'a> {
    Nearest(ArrayView3<'a, f64>),
    Linear(ArrayView3<'a, f64>),
    BSpline(ArrayView3<'a, f64>),
    Gaussian(ArrayView3<'a, f64>, [(f64, f64); 3]),
    LabelGaussian(ArrayView3<'a, f64>, [(f64, f64); 3]),
    WindowedSinc(ArrayView3<'a, f64>, SincWindow),
}

impl Sampler<'_> {
    /// The value at continuous index `c` (x, y, z), which lies inside `[−½, N − ½)` on every axis.
    fn eval(&self, c: [f64; 3]) -> f64 {
        match self {
            Sampler::Nearest(d) => {
                let i: [usize; 3] = std::array::from_fn(|a| (c[a] + 0.5).floor().max(0.0) as usize);
                d[[i[2], i[1], i[0]]]
            }
            Sampler::Linear(d) => linear(d, c),
            Sampler::BSpline(coef) => bspline(coef, c),
            Sampler::Gaussian(d, p) => kernels::gaussian(d, p, c, false),
            Sampler::LabelGaussian(d, p) => kernels::gaussian(d, p, c, true),
            Sampler::WindowedSinc(d, w) => kernels::windowed_sinc(d, *w, c),
        }
    }
}

/// Trilinear interpolation with edge replication (ITK `LinearInterpolateImageFunction`).
fn linear(d: &ArrayView3<'_, f64>, c: [f64; 3]) -> f64 {
    let (nz, ny, nx) = d.dim();
    let n = [nx, ny, nz];
    let mut base = [0usize; 3];
    let mut next = [0usize; 3];
    let mut dist = [0.0; 3];
    for a in 0..3 {
        let f = c[a].floor();
        let b = if f < 0.0 { 0 } else { f as usize };
        base[a] = b;
        dist[a] = c[a] - b as f64;
        // A negative distance (index below 0) or a neighbour past the end reads the edge voxel only.
        next[a] = if dist[a] > 0.0 && b + 1 < n[a] {
            b + 1
        } else {
            b
        };
        if dist[a] < 0.0 {
            dist[a] = 0.0;
        }
    }
    let v = |x: usize, y: usize, z: usize| d[[z, y, x]];
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    let plane = |z: usize| {
        let r0 = lerp(v(base[0], base[1], z), v(next[0], base[1], z), dist[0]);
        let r1 = lerp(v(base[0], next[1], z), v(next[0], next[1], z), dist[0]);
        lerp(r0, r1, dist[1])
    };
    lerp(plane(base[2]), plane(next[2]), dist[2])
}

/// The cubic B-spline pole.
fn pole() -> f64 {
    3.0f64.sqrt() - 2.0
}

/// Cubic B-spline coefficients of `data` (ITK `BSplineDecompositionImageFilter`, order 3): the 1-D
/// prefilter along x, then y, then z.
pub(crate) fn bspline_coefficients(data: ArrayView3<'_, f64>) -> Array3<f64> {
    let mut c = data.to_owned();
    let mut scratch = Vec::new();
    for axis in [2usize, 1, 0] {
        for mut lane in c.lanes_mut(ndarray::Axis(axis)) {
            scratch.clear();
            scratch.extend(lane.iter().copied());
            prefilter_1d(&mut scratch);
            for (dst, &src) in lane.iter_mut().zip(scratch.iter()) {
                *dst = src;
            }
        }
    }
    c
}

/// In-place cubic B-spline prefilter of one row, mirror boundaries (Unser 1999, Box 2, with ITK's
/// truncated causal initialisation).
fn prefilter_1d(s: &mut [f64]) {
    let len = s.len();
    if len == 1 {
        return;
    }
    let z = pole();
    let c0 = (1.0 - z) * (1.0 - 1.0 / z);
    for v in s.iter_mut() {
        *v *= c0;
    }
    // Causal initialisation.
    let tolerance: f64 = 1e-10;
    let horizon = (tolerance.ln() / z.abs().ln()).ceil() as usize;
    let mut zn = z;
    if horizon < len {
        let mut sum = s[0];
        for v in s.iter().take(horizon).skip(1) {
            sum += zn * v;
            zn *= z;
        }
        s[0] = sum;
    } else {
        let iz = 1.0 / z;
        let mut z2n = z.powf((len - 1) as f64);
        let mut sum = s[0] + z2n * s[len - 1];
        z2n = z2n * (z2n * iz);
        for v in s.iter().take(len - 1).skip(1) {
            sum += (zn + z2n) * v;
            zn *= z;
            z2n *= iz;
        }
        s[0] = sum / (1.0 - zn * zn);
    }
    for n in 1..len {
        s[n] += z * s[n - 1];
    }
    // Anti-causal initialisation and recursion.
    s[len - 1] = (z / (z * z - 1.0)) * (z * s[len - 2] + s[len - 1]);
    for n in (0..len - 1).rev() {
        s[n] = z * (s[n + 1] - s[n]);
    }
}

/// Mirrors index `k` into `[0, n)` about the first and last voxel (period `2n − 2`).
fn mirror(k: i64, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * n as i64 - 2;
    let mut k = k.rem_euclid(period);
    if k >= n as i64 {
        k = period - k;
    }
    k as usize
}

/// Cubic B-spline interpolation from coefficients (ITK `BSplineInterpolateImageFunction`, order 3); the
/// 64 terms are summed with x varying fastest, as ITK sums them.
fn bspline(coef: &ArrayView3<'_, f64>, c: [f64; 3]) -> f64 {
    let (nz, ny, nx) = coef.dim();
    let n = [nx, ny, nz];
    let mut idx = [[0usize; 4]; 3];
    let mut w = [[0.0f64; 4]; 3];
    for a in 0..3 {
        let first = c[a].floor() as i64 - 1;
        let t = c[a] - (first + 1) as f64;
        let w3 = (1.0 / 6.0) * t * t * t;
        let w0 = (1.0 / 6.0) + 0.5 * t * (t - 1.0) - w3;
        let w2 = t + w0 - 2.0 * w3;
        let w1 = 1.0 - w0 - w2 - w3;
        w[a] = [w0, w1, w2, w3];
        for (k, slot) in idx[a].iter_mut().enumerate() {
            *slot = mirror(first + k as i64, n[a]);
        }
    }
    let mut sum = 0.0;
    for k in 0..4 {
        for j in 0..4 {
            for i in 0..4 {
                let mut wt = 1.0;
                wt *= w[0][i];
                wt *= w[1][j];
                wt *= w[2][k];
                sum += wt * coef[[idx[2][k], idx[1][j], idx[0][i]]];
            }
        }
    }
    sum
}

impl From<crate::settings::InterpolatorName> for Interpolator {
    fn from(name: crate::settings::InterpolatorName) -> Interpolator {
        use crate::settings::InterpolatorName as N;
        match name {
            N::NearestNeighbor => Interpolator::Nearest,
            N::Linear => Interpolator::Linear,
            N::BSpline => Interpolator::BSpline,
            N::Gaussian => Interpolator::Gaussian,
            N::LabelGaussian => Interpolator::LabelGaussian,
            N::HammingWindowedSinc => Interpolator::WindowedSinc(SincWindow::Hamming),
            N::CosineWindowedSinc => Interpolator::WindowedSinc(SincWindow::Cosine),
            N::WelchWindowedSinc => Interpolator::WindowedSinc(SincWindow::Welch),
            N::LanczosWindowedSinc => Interpolator::WindowedSinc(SincWindow::Lanczos),
            N::BlackmanWindowedSinc => Interpolator::WindowedSinc(SincWindow::Blackman),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: [usize; 3], g: [f64; 3], offset: f64) -> Array3<f64> {
        Array3::from_shape_fn((n[2], n[1], n[0]), |(z, y, x)| {
            offset + g[0] * x as f64 + g[1] * y as f64 + g[2] * z as f64
        })
    }

    #[test]
    fn names_and_codes() {
        assert_eq!(
            Interpolator::from_name("sitkBSpline").unwrap(),
            Interpolator::BSpline
        );
        assert_eq!(Interpolator::from_name("2").unwrap(), Interpolator::Linear);
        assert_eq!(Interpolator::from_name("1").unwrap(), Interpolator::Nearest);
        assert_eq!(
            Interpolator::from_name("sitkGaussian").unwrap(),
            Interpolator::Gaussian
        );
        for code in 4..=10 {
            let i = Interpolator::from_name(&code.to_string()).unwrap();
            assert_eq!(Interpolator::from_name(i.name()).unwrap(), i);
        }
        let e = Interpolator::from_name("cubic").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(Interpolator::from_name("11").is_err());
    }

    #[test]
    fn itk_cast_truncates_and_clamps() {
        assert_eq!(cast_like_itk(739.76, DataType::I16), 739.0);
        assert_eq!(cast_like_itk(-146.7, DataType::I16), -146.0);
        assert_eq!(cast_like_itk(1e6, DataType::I16), 32767.0);
        assert_eq!(cast_like_itk(-3.0, DataType::U8), 0.0);
        assert_eq!(cast_like_itk(0.1, DataType::F64), 0.1);
    }

    #[test]
    fn prefilter_reproduces_samples() {
        // The spline through the coefficients passes through the samples: c_{k-1}/6 + 2c_k/3 + c_{k+1}/6.
        let data: Vec<f64> = (0..30).map(|i| ((i * 7) % 11) as f64 - 3.0).collect();
        for len in [5usize, 17, 30] {
            let mut c = data[..len].to_vec();
            prefilter_1d(&mut c);
            for k in 0..len {
                let l = c[mirror(k as i64 - 1, len)];
                let r = c[mirror(k as i64 + 1, len)];
                let back = l / 6.0 + 2.0 * c[k] / 3.0 + r / 6.0;
                assert!(
                    (back - data[k]).abs() < 1e-8,
                    "len {len} k {k}: {back} vs {}",
                    data[k]
                );
            }
        }
    }

    #[test]
    fn nearest_and_linear_are_exact_on_a_ramp() {
        let n = [9, 8, 7];
        let g = [1.0, -2.0, 0.5];
        let src = Geometry::new([1.0, 1.0, 2.0], [0.0, 0.0, 0.0]);
        let img = Image::new(ramp(n, g, 10.0), src).unwrap();
        // Half-voxel shifted grid at half the spacing.
        let target = Geometry::new([0.5, 0.5, 1.0], [0.25, 0.25, 0.5]);
        let lin = resample_onto(&img, &target, [14, 12, 10], Interpolator::Linear).unwrap();
        for ((z, y, x), v) in lin.data().indexed_iter() {
            let c = [
                0.25 + 0.5 * x as f64,
                0.25 + 0.5 * y as f64,
                (0.5 + z as f64) / 2.0,
            ];
            let expect = 10.0 + g[0] * c[0] + g[1] * c[1] + g[2] * c[2];
            assert!((v - expect).abs() < 1e-12, "({x},{y},{z}): {v} vs {expect}");
        }
        let nn = resample_onto(&img, &target, [14, 12, 10], Interpolator::Nearest).unwrap();
        // (x=1: 0.75 -> 1; y=2: 1.25 -> 1; z=3: index 1.75 -> 2).
        let expect = 10.0 + g[0] * 1.0 + g[1] * 1.0 + g[2] * 2.0;
        assert_eq!(nn.data()[[3, 2, 1]], expect);
        // Outside the image: the default value 0.
        let far = Geometry::new([1.0; 3], [100.0, 0.0, 0.0]);
        let out = resample_onto(&img, &far, [2, 2, 2], Interpolator::Linear).unwrap();
        assert!(out.data().iter().all(|&v| v == 0.0));
    }

    #[test]
    fn bspline_reproduces_constant_and_ramp_away_from_borders() {
        // Mirror boundaries bend a ramp near the ends; the bend decays like |z|^n = 0.268^n, so the test
        // stays 16 voxels away from every border.
        let n = [44, 44, 44];
        let src = Geometry::new([1.0; 3], [0.0; 3]);
        let constant = Image::new(Array3::from_elem((44, 44, 44), 42.0), src).unwrap();
        let g = [0.7, -1.3, 2.1];
        let img = Image::new(ramp(n, g, 5.0), src).unwrap();
        let target = Geometry::new([0.7; 3], [16.1, 16.2, 16.3]);
        let size = [12, 11, 10];
        let c = resample_onto(&constant, &target, size, Interpolator::BSpline).unwrap();
        assert!(c.data().iter().all(|v| (v - 42.0).abs() < 1e-9));
        let r = resample_onto(&img, &target, size, Interpolator::BSpline).unwrap();
        for ((z, y, x), v) in r.data().indexed_iter() {
            let p = [
                16.1 + 0.7 * x as f64,
                16.2 + 0.7 * y as f64,
                16.3 + 0.7 * z as f64,
            ];
            let expect = 5.0 + g[0] * p[0] + g[1] * p[1] + g[2] * p[2];
            assert!((v - expect).abs() < 1e-7, "({x},{y},{z}): {v} vs {expect}");
        }
        // Near the border the mirrored ramp is not reproduced: the bend is visible.
        let edge = Geometry::new([1.0; 3], [0.5, 20.0, 20.0]);
        let e = resample_onto(&img, &edge, [1, 1, 1], Interpolator::BSpline).unwrap();
        let expect = 5.0 + g[0] * 0.5 + g[1] * 20.0 + g[2] * 20.0;
        assert!((e.data()[[0, 0, 0]] - expect).abs() > 1e-3);
    }

    #[test]
    fn mask_keeps_its_labels_and_grid_follows_pyradiomics() {
        let src = Geometry::new([1.0, 1.0, 3.0], [-4.0, 2.0, 7.0]);
        let mut roi = Array3::from_elem((10, 20, 20), false);
        roi.slice_mut(s![3..6, 5..12, 6..10]).fill(true);
        let mask = Mask::from_array(roi, src).unwrap();
        let img = Image::new(ramp([20, 20, 10], [1.0, 2.0, 3.0], 0.0), src).unwrap();
        let (ri, rm) =
            resample_image_and_mask(&img, &mask, [2.0, 2.0, 0.0], Interpolator::Linear, 1, None)
                .unwrap();
        // z keeps 3 mm (spacing 0). x: L=6, S=4, r=0.5: lb = floor(5.5*0.5-1) = 1, ub = ceil(9.5*0.5+1) = 6.
        assert_eq!(rm.geometry().spacing, [2.0, 2.0, 3.0]);
        assert_eq!(ri.size()[0], 6);
        // Origin x: -4 + (0.5*(2-1)/1 + 1/0.5) * 1 = -1.5.
        assert_eq!(ri.geometry().origin[0], -1.5);
        assert!(rm.count() > 0);
        assert!(rm.roi().iter().zip(rm.roi().iter()).all(|(a, b)| a == b));
        // Every resampled ROI voxel centre lies in an original ROI voxel.
        for ((z, y, x), &b) in rm.roi().indexed_iter() {
            if b {
                let w = rm.geometry().index_to_world([x as f64, y as f64, z as f64]);
                let i = mask.geometry().world_to_index(w);
                let k: [usize; 3] = std::array::from_fn(|a| (i[a] + 0.5).floor() as usize);
                assert!(mask.roi()[[k[2], k[1], k[0]]]);
            }
        }
        // Same spacing as the image: only cropped, with pad 1.
        let (ci, cm) =
            resample_image_and_mask(&img, &mask, [1.0, 1.0, 3.0], Interpolator::BSpline, 1, None)
                .unwrap();
        assert_eq!(ci.size(), [6, 9, 5]);
        assert_eq!(cm.count(), mask.count());
        assert_eq!(ci.data()[[0, 0, 0]], img.data()[[2, 4, 5]]);
    }
}
