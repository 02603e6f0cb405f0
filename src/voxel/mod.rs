//! Voxel-based extraction: feature maps, as PyRadiomics computes them with `voxelBased=True`.
//!
//! Every ROI voxel gets the features of its *kernel*: the voxels within Chebyshev distance `kernelRadius`
//! of it (in plane only with `force2D`), clipped to the image and, with `maskedKernel` (the default),
//! restricted to the ROI. The result is one map per feature, on the grid of the ROI's bounding box grown by
//! `kernelRadius` (PyRadiomics' `cropToTumorMask` with `padDistance = kernelRadius`), holding `initValue`
//! outside the ROI.
//!
//! # Settings (`voxelSetting` section, PyRadiomics' names and defaults)
//! - `kernelRadius` (1): the kernel's half width, in voxels.
//! - `maskedKernel` (true): only ROI voxels take part in a kernel. With false, every voxel of the grid
//!   within the kernel does, and grey levels are formed over the whole grid (the box grown by the radius),
//!   not just the ROI.
//! - `initValue` (0): the maps' value outside the ROI (any number, `nan` included).
//! - `voxelBatch` (all voxels): PyRadiomics computes the kernels this many at a time. Values do not depend
//!   on it, except where a feature fails for a batch (below).
//!
//! # PyRadiomics' semantics, kept
//! - Grey levels are formed once per image, over the ROI (over the grid with `maskedKernel: false`), not
//!   per kernel. A kernel's texture matrices keep every grey level of that ROI, and `Ng` is the ROI's
//!   largest level (GLCM's Idmn and Idn read it). Levels absent from a kernel change only GLCM's MCC: each
//!   adds an eigenvalue 0, so a kernel of one grey level has MCC 0 when the ROI has several.
//! - Texture neighbours are looked up only inside the kernel (a zone, run or neighbourhood stops at the
//!   kernel's edge).
//! - Classes are all but shape: first order, GLCM, GLDM, GLRLM, GLSZM, NGTDM, on every image type.
//! - A feature that raises in PyRadiomics leaves `initValue` in its map, for the whole batch of voxels it
//!   was computed with: the deprecated texture features (GLCM Dissimilarity, Homogeneity1, Homogeneity2,
//!   SumVariance; GLDM DependencePercentage, GrayLevelNonUniformityNormalized), and GLCM's MCC for every
//!   batch in which one kernel has no voxel pair at an angle where another kernel has one (numpy's
//!   eigenvalue routine refuses the NaN such an angle gives).
//! - Everything before the kernels (label, normalisation, resampling, re-segmentation, filters) is the
//!   segment-based pipeline's ([`crate::extract`]).
//!
//! # Known differences
//! - PyRadiomics decides once per batch whether MCC's eigenvalues are complex (numpy returns one array
//!   for all kernels); here each kernel decides for itself. This matters only for asymmetric GLCMs
//!   (`symmetricalGLCM: false`) whose `Q` has complex eigenvalues.
//! - Diagnostics (`diagnostics_*`) are not part of the maps.
//!
//! # Work and memory
//! Kernels are independent: they are computed in parallel (rayon, within the extractor's thread pool), in
//! chunks, with the progress callback called between chunks on the caller's thread (returning false
//! cancels). Each kernel runs the same class kernels as segment-based extraction, on a copy of its own
//! few voxels, never the whole pipeline. The maps of one derived image (one `f64` per feature per grid
//! voxel) are handed to the caller's sink before the next derived image is computed, so memory holds one
//! derived image's maps at a time; they must fit `maxMemoryMB`.

mod kernel;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::extract::{derive_images, Extractor, Progress};
use crate::image::{check_same_grid, Image, Mask};
use crate::preprocess::label::select_label;
use crate::preprocess::normalise::normalize;
use crate::preprocess::resample::{resample_grid, resample_image_and_mask, Interpolator};
use crate::preprocess::resegment::resegment;
use crate::preprocess::roi::{check_finite, check_roi, check_volume, correct_mask, dim3};

/// The largest `kernelRadius` accepted: a kernel wider than any image is of no use, and the bound keeps
/// every index computation far from overflow.
pub const MAX_KERNEL_RADIUS: usize = 1 << 12;

/// The `voxelSetting` section of a parameter file, with PyRadiomics' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct VoxelParams {
    /// `kernelRadius` (default 1, at least 1): the kernel's half width in voxels.
    pub kernel_radius: usize,
    /// `maskedKernel` (default true): only ROI voxels take part in a kernel.
    pub masked_kernel: bool,
    /// `initValue` (default 0): the maps' value outside the ROI.
    pub init_value: f64,
    /// `voxelBatch` (default none: all voxels in one batch): kernels per batch, which decides where a
    /// failing feature leaves `initValue` (see the module documentation).
    pub voxel_batch: Option<usize>,
}

impl Default for VoxelParams {
    fn default() -> VoxelParams {
        VoxelParams {
            kernel_radius: 1,
            masked_kernel: true,
            init_value: 0.0,
            voxel_batch: None,
        }
    }
}

impl VoxelParams {
    /// Reads the `voxelSetting` section (absent or null: the defaults). An unknown key or a value of the
    /// wrong type is an error naming it.
    pub fn from_section(section: Option<&Value>) -> Result<VoxelParams> {
        let mut out = VoxelParams::default();
        let map = match section {
            None | Some(Value::Null) => return Ok(out),
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(Error::setting(format!(
                    "section 'voxelSetting' must be a mapping, got {other}"
                )))
            }
        };
        let bad = |key: &str, what: String| Error::setting(format!("voxelSetting '{key}': {what}"));
        for (key, v) in map {
            if v.is_null() {
                continue;
            }
            match key.as_str() {
                "kernelRadius" => {
                    let r = whole(v).ok_or_else(|| {
                        bad(key, format!("expected a whole number, got {v}"))
                    })?;
                    if r < 1 || r > MAX_KERNEL_RADIUS as i64 {
                        return Err(bad(
                            key,
                            format!("must be between 1 and {MAX_KERNEL_RADIUS}, got {r}"),
                        ));
                    }
                    out.kernel_radius = r as usize;
                }
                "maskedKernel" => {
                    out.masked_kernel = v
                        .as_bool()
                        .ok_or_else(|| bad(key, format!("expected true or false, got {v}")))?;
                }
                "initValue" => {
                    // YAML's `nan` arrives as a string; PyRadiomics reads it with float().
                    out.init_value = match v {
                        Value::String(s) => s.trim().parse::<f64>().ok(),
                        _ => v.as_f64(),
                    }
                    .ok_or_else(|| bad(key, format!("expected a number, got {v}")))?;
                }
                "voxelBatch" => {
                    let b = whole(v).ok_or_else(|| {
                        bad(key, format!("expected a whole number, got {v}"))
                    })?;
                    if b < 1 {
                        return Err(bad(key, format!("must be greater than 0, got {b}")));
                    }
                    out.voxel_batch = Some(b as usize);
                }
                other => {
                    return Err(Error::setting(format!(
                        "unknown voxelSetting '{other}' (known: kernelRadius, maskedKernel, initValue, voxelBatch)"
                    )))
                }
            }
        }
        Ok(out)
    }
}

/// An integer, or a float with no fractional part (YAML writes `2.0` for some integers).
fn whole(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|x| x.fract() == 0.0 && x.abs() < 9.0e15)
            .map(|x| x as i64)
    })
}

/// One feature map: PyRadiomics' feature name (`original_glcm_Contrast`) and the map as an image.
#[derive(Debug, Clone)]
pub struct FeatureMap {
    /// The feature's name, as in segment-based output.
    pub name: String,
    /// The map: feature values on ROI voxels, `initValue` elsewhere, with the grid's geometry.
    pub image: Image,
}

/// Every enabled feature map of the ROI (`label` from the settings) of `labels` in `image`, in output
/// order. Memory: every map at once; see [`extract_maps_with`] to receive them one derived image at a time.
pub fn extract_maps(
    extractor: &Extractor,
    image: &Image,
    labels: &Image,
) -> Result<Vec<FeatureMap>> {
    let mut out = Vec::new();
    extract_maps_with(extractor, image, labels, &mut |_| true, &mut |m| {
        out.push(m);
        Ok(())
    })?;
    Ok(out)
}

/// As [`extract_maps`], handing each map to `sink` as soon as the maps of its derived image are done (an
/// error from `sink` stops the extraction), and reporting progress in [0, 1] to `progress` (returning
/// false cancels with [`ErrorKind::Cancelled`]), both on the caller's thread.
pub fn extract_maps_with(
    extractor: &Extractor,
    image: &Image,
    labels: &Image,
    progress: Progress<'_>,
    sink: &mut dyn FnMut(FeatureMap) -> Result<()>,
) -> Result<()> {
    let p = extractor.settings().params();
    check_volume("the image", image.size(), p)?;
    check_volume("the mask", labels.size(), p)?;
    let mask = select_label(labels, p.label)?;
    extract_mask_maps_with(extractor, image, mask, progress, sink)
}

/// As [`extract_maps_with`], with the ROI already selected.
pub fn extract_mask_maps_with(
    extractor: &Extractor,
    image: &Image,
    mask: Mask,
    progress: Progress<'_>,
    sink: &mut dyn FnMut(FeatureMap) -> Result<()>,
) -> Result<()> {
    let settings = extractor.settings();
    let p = settings.params();
    let vp = settings.voxel();
    check_volume("the image", image.size(), p)?;
    // The same preparation as segment-based extraction (`Extractor::run_mask`), step for step.
    if let Err(e) = check_same_grid(
        (image.geometry(), image.size()),
        (mask.geometry(), mask.size()),
        p.geometry_tolerance,
    ) {
        if !p.correct_mask {
            return Err(e.context("image and mask do not share a grid (or set correctMask)"));
        }
    }
    let mask = if p.correct_mask {
        correct_mask(image, mask)?
    } else {
        mask
    };
    let mut image = std::borrow::Cow::Borrowed(image);
    if p.normalize {
        image = std::borrow::Cow::Owned(normalize(&image, p.normalize_scale, p.remove_outliers)?);
    }
    let mask = if let Some(spacing) = p.resampled_pixel_spacing {
        let (_, size) = resample_grid(&mask, spacing, p.pad_distance)?;
        check_volume("the resampled grid", size, p)?;
        let (resampled_image, resampled_mask) = resample_image_and_mask(
            &image,
            &mask,
            spacing,
            Interpolator::from(p.interpolator),
            p.pad_distance,
            image.pixel_type(),
        )?;
        image = std::borrow::Cow::Owned(resampled_image.with_pixel_type(image.pixel_type()));
        resampled_mask
    } else if p.pre_crop {
        let bb = extractor.roi_box(&mask)?;
        let cropped_image = image.crop(&bb)?;
        let cropped_mask = crate::preprocess::roi::crop_mask(&mask, &bb)?;
        image = std::borrow::Cow::Owned(cropped_image);
        cropped_mask
    } else {
        mask
    };
    let mut bbox = check_roi(&mask, p)?;
    let mut roi_mask = mask;
    if let Some(range) = &p.resegment_range {
        let reseg = resegment(&image, &roi_mask, range, p.resegment_mode)?;
        bbox = check_roi(&reseg, p)?;
        roi_mask = reseg;
    }
    check_finite(&image, &roi_mask, &bbox)?;
    // The maps' grid: the ROI's box grown by the kernel radius, within the image.
    let grid = bbox.padded(vp.kernel_radius, dim3(image.data()));
    let roi = roi_mask
        .roi()
        .slice_move(ndarray::s![
            grid.lower[0]..=grid.upper[0],
            grid.lower[1]..=grid.upper[1],
            grid.lower[2]..=grid.upper[2]
        ])
        .to_owned();

    let classes: Vec<_> = settings
        .feature_classes()
        .iter()
        .filter(|(c, _)| !c.is_shape())
        .cloned()
        .collect();
    let types = settings.image_types();
    let max_abs = std::sync::OnceLock::new();
    let mut report = |fraction: f64| -> Result<()> {
        if progress(fraction.clamp(0.0, 1.0)) {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Cancelled,
                "voxel-based extraction cancelled by the caller",
            ))
        }
    };
    report(0.0)?;
    if classes.is_empty() {
        return Ok(());
    }
    for (t, it) in types.iter().enumerate() {
        let derived = extractor
            .in_pool(|| derive_images(it.kind, &image, &roi_mask, &grid, &it.params, &max_abs))?;
        let nd = derived.len().max(1);
        for (k, (type_name, derived_image)) in derived.into_iter().enumerate() {
            let job = kernel::Job {
                type_name: &type_name,
                image: &derived_image,
                roi: roi.view(),
                params: &it.params,
                voxel: vp,
                classes: &classes,
            };
            let base = t as f64 + k as f64 / nd as f64;
            let maps = kernel::feature_maps(extractor, &job, &mut |f| {
                report((base + f / nd as f64) / types.len() as f64)
            })?;
            for m in maps {
                sink(m)?;
            }
        }
        report((t + 1) as f64 / types.len() as f64)?;
    }
    Ok(())
}
