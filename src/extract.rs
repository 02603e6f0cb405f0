//! The extraction pipeline: settings × image × mask → ordered, named features.
//!
//! The stages, in PyRadiomics' order (`featureextractor.execute`), each a plain function over plain data:
//!
//! 1. the label image becomes a [`Mask`] of `label`; it must lie on the image's grid within
//!    `geometryTolerance` (or is resampled onto it with `correctMask`);
//! 2. `normalize`: the whole image is z-scored (ITK's `Normalize`: sample SD), outliers clipped at
//!    ± `removeOutliers`, then scaled by `normalizeScale`;
//! 3. `resampledPixelSpacing`: image and mask resampled (or, with `preCrop`, only cropped);
//! 4. the ROI is checked (`minimumROIDimensions`, `minimumROISize`) and its bounding box found;
//! 5. `resegmentRange`: voxels outside the range leave the ROI (the bounding box is then the
//!    re-segmented ROI's);
//! 6. shape features on the mask (re-segmented only with `resegmentShape`), cropped to that bounding box —
//!    as PyRadiomics crops it, even where the box is the re-segmented ROI's;
//! 7. per enabled image type: the derived images, each cropped to the bounding box, discretised once, then
//!    every enabled class.
//!
//! Output order is PyRadiomics': shape, shape2D, then per image type (document order) first-order, GLCM,
//! GLDM, GLRLM, GLSZM, NGTDM; within a class, its registry order.
//!
//! # Deliberate differences from PyRadiomics
//! - A mask with non-integer values is an error (PyRadiomics truncates it to UInt32).
//! - NaN or infinite intensities inside the ROI are an error naming the first such voxel (PyRadiomics
//!   yields NaN for some features and fails in discretisation for others).
//! - Features of a class enabled by name come out in registry order, not in the order they were listed.

use ndarray::ArrayView3;
use rayon::prelude::*;

use crate::progress::Tracker;

use crate::error::{Error, Result};
use crate::features::{firstorder, glcm, gldm, glrlm, glszm, ngtdm, shape, shape2d, FeatureClass};
use crate::filters;
use crate::image::io::DataType;
use crate::image::{check_same_grid, BoundingBox, Image, Mask};
use crate::preprocess::discretise::{discretise_in, Precision};
use crate::preprocess::resample::{resample_grid, resample_image_and_mask, Interpolator};
use crate::preprocess::roi::{
    check_finite, check_texture_memory, check_volume, correct_mask, crop3, crop_mask, dim3,
};
use crate::settings::{ImageType, Params, Selection, Settings};

// The stages, where they have been public API.
pub use crate::preprocess::label::select_label;
pub use crate::preprocess::normalise::normalize;
pub use crate::preprocess::resegment::resegment;
pub use crate::preprocess::roi::check_roi;

/// An ordered list of named feature values, as PyRadiomics returns them, with the warnings raised while
/// computing them (a skipped LoG sigma, a NaN feature, an option that had no effect).
///
/// Warnings are part of the result, not a side channel: the command-line tool prints them on stderr and
/// the C API hands them to the caller's warning callback on the calling thread.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    names: Vec<String>,
    values: Vec<f64>,
    warnings: Vec<String>,
}

impl Features {
    /// An empty feature set.
    pub fn new() -> Features {
        Features::default()
    }

    /// Appends a feature.
    pub fn push(&mut self, name: impl Into<String>, value: f64) {
        self.names.push(name.into());
        self.values.push(value);
    }

    /// Appends every feature of `other`, each name prefixed with `prefix` (nothing added when empty),
    /// and its warnings, each prefixed with `prefix: `.
    pub fn extend_prefixed(&mut self, prefix: &str, other: &Features) {
        for (n, &v) in other.iter() {
            if prefix.is_empty() {
                self.push(n, v);
            } else {
                self.push(format!("{prefix}_{n}"), v);
            }
        }
        for w in &other.warnings {
            if prefix.is_empty() {
                self.warn(w.clone());
            } else {
                self.warn(format!("{prefix}: {w}"));
            }
        }
    }

    /// Records a warning (a human-readable sentence that names what it concerns).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    /// The warnings raised while these features were computed, in the order they were raised.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no features.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Feature names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Feature values, in order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The value of the feature `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.values[i])
    }

    /// (name, value) pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &f64)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter())
    }

    /// CSV with the header `name,value`, one feature per row, values in shortest round-trip form.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("name,value\n");
        self.push_csv_rows(&mut out);
        out
    }

    /// Appends one `name,value` row per feature to `out`.
    pub(crate) fn push_csv_rows(&self, out: &mut String) {
        for (n, v) in self.iter() {
            out.push_str(n);
            out.push(',');
            out.push_str(&format_value(*v));
            out.push('\n');
        }
    }

    /// A JSON object `{name: value}` in order; non-finite values are written as `null`.
    pub fn to_json(&self) -> String {
        let mut m = serde_json::Map::new();
        for (n, &v) in self.iter() {
            m.insert(
                n.to_string(),
                serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
            );
        }
        serde_json::to_string_pretty(&serde_json::Value::Object(m)).expect("JSON of plain values")
    }
}

/// Shortest text that reads back to the same `f64` (`nan`, `inf`, `-inf` for non-finite values).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:?}")
    }
}

/// A progress report: the fraction done in [0, 1]. Returning `false` cancels the extraction.
pub type Progress<'a> = &'a mut dyn FnMut(f64) -> bool;

/// Wall-clock time spent per pipeline stage, in the order the stages ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// (stage, seconds): `normalize`, `resample`, `mask`, `shape`, `filter <image type>`,
    /// `discretise <image>`, `<image> <class>`.
    pub stages: Vec<(String, f64)>,
}

impl Timings {
    /// Runs `f`, recording its time under `stage`.
    pub fn time<T>(&mut self, stage: impl Into<String>, f: impl FnOnce() -> T) -> T {
        let t = std::time::Instant::now();
        let out = f();
        self.stages.push((stage.into(), t.elapsed().as_secs_f64()));
        out
    }

    /// Total seconds over all stages.
    pub fn total(&self) -> f64 {
        self.stages.iter().map(|(_, s)| s).sum()
    }
}

/// Computes features from an image and a label image with fixed settings. Immutable, so one extractor can
/// serve several threads.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    settings: Settings,
    /// A pool of `threads` workers when the settings bound them (the `threads` extension key).
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

impl Extractor {
    /// An extractor with these settings. With the `threads` setting, it keeps a pool of that many worker
    /// threads for its extractions (falling back to the caller's pool if the threads cannot be started).
    pub fn new(settings: Settings) -> Extractor {
        let threads = settings.params().threads;
        let pool = (threads > 0)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .ok()
            })
            .flatten()
            .map(std::sync::Arc::new);
        Extractor { settings, pool }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Every enabled feature of the ROI `label` (from the settings) of `labels` in `image`.
    pub fn extract(&self, image: &Image, labels: &Image) -> Result<Features> {
        self.extract_with_progress(image, labels, &mut |_| true)
    }

    /// As [`extract`](Self::extract), reporting progress; stops with
    /// [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled) when `progress` returns false.
    pub fn extract_with_progress(
        &self,
        image: &Image,
        labels: &Image,
        progress: Progress<'_>,
    ) -> Result<Features> {
        self.extract_timed(image, labels, progress, &mut Timings::default())
    }

    /// As [`extract_with_progress`](Self::extract_with_progress), recording the time of each stage in
    /// `timings`.
    pub fn extract_timed(
        &self,
        image: &Image,
        labels: &Image,
        progress: Progress<'_>,
        timings: &mut Timings,
    ) -> Result<Features> {
        let p = self.settings.params();
        check_volume("the image", image.size(), p)?;
        check_volume("the mask", labels.size(), p)?;
        let mask = timings.time("mask", || select_label(labels, p.label))?;
        self.run_mask(image, mask, progress, timings)
    }

    /// Runs `f` (which may spread work over threads) in this extractor's pool, if it has one. Only the
    /// parallel parts go there: the progress callback is always called on the caller's thread.
    pub(crate) fn in_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// Whether these settings read no voxel of the image outside the ROI's bounding box (padded by
    /// `padDistance`): only the original image type, no normalisation, no resampling, no mask correction.
    /// Then a caller may read just that box of the image file ([`read_image_box`](crate::image::io::read_image_box))
    /// and call [`extract_box_timed`](Self::extract_box_timed), which gives the same features from a
    /// fraction of the memory.
    pub fn needs_only_roi_box(&self) -> bool {
        let p = self.settings.params();
        self.settings.ibsi().is_none()
            && self
                .settings
                .image_types()
                .iter()
                .all(|it| it.kind == ImageType::Original)
            && !p.normalize
            && p.resampled_pixel_spacing.is_none()
            && !p.correct_mask
    }

    /// The box of the image file that [`extract_box_timed`](Self::extract_box_timed) needs for `mask`: the
    /// ROI's bounding box padded by `padDistance` (within the grid), or an error for an empty ROI.
    pub fn roi_box(&self, mask: &Mask) -> Result<BoundingBox> {
        let p = self.settings.params();
        Ok(check_roi(mask, p)?.padded(p.pad_distance, dim3(mask.roi())))
    }

    /// As [`extract_mask_timed`](Self::extract_mask_timed) for an image of which only a box was read
    /// (one that holds [`roi_box`](Self::roi_box)): the whole file's grid is checked against the mask's,
    /// then the mask is cropped to the box. The features are those of the whole image. Errors (invalid
    /// argument) when the settings need more than the box ([`needs_only_roi_box`](Self::needs_only_roi_box)).
    pub fn extract_box_timed(
        &self,
        image: &crate::image::io::ImageBox,
        mask: Mask,
        progress: Progress<'_>,
        timings: &mut Timings,
    ) -> Result<Features> {
        if !self.needs_only_roi_box() {
            return Err(Error::invalid(
                "these settings need the whole image (filters, normalisation, resampling or mask correction)",
            ));
        }
        let p = self.settings.params();
        check_volume("the image", image.size, p)?;
        check_same_grid(
            (&image.geometry, image.size),
            (mask.geometry(), mask.size()),
            p.geometry_tolerance,
        )
        .map_err(|e| e.context("image and mask do not share a grid (or set correctMask)"))?;
        let needed = self.roi_box(&mask)?;
        let b = &image.bbox;
        if (0..3).any(|a| b.lower[a] > needed.lower[a] || b.upper[a] < needed.upper[a]) {
            return Err(Error::invalid(format!(
                "the image box {:?}..={:?} does not hold the ROI's box {:?}..={:?} (z, y, x)",
                b.lower, b.upper, needed.lower, needed.upper
            )));
        }
        let mask = crop_mask(&mask, b)?;
        self.run_mask(&image.image, mask, progress, timings)
    }

    /// As [`extract_timed`](Self::extract_timed), with the ROI already selected (e.g. by
    /// [`read_mask`](crate::image::io::read_mask), which reads a label file straight into a mask).
    pub fn extract_mask_timed(
        &self,
        image: &Image,
        mask: Mask,
        progress: Progress<'_>,
        timings: &mut Timings,
    ) -> Result<Features> {
        check_volume("the image", image.size(), self.settings.params())?;
        self.run_mask(image, mask, progress, timings)
    }

    /// Runs the pipeline in this extractor's pool (or the caller's), reporting progress on the calling
    /// thread by feature class and filter stage ([`crate::progress`]).
    fn run_mask(
        &self,
        image: &Image,
        mask: Mask,
        progress: Progress<'_>,
        timings: &mut Timings,
    ) -> Result<Features> {
        crate::progress::run_reporting(self.pool.as_deref(), progress, |tracker| {
            self.run_mask_tracked(image, mask, tracker, timings)
        })
    }

    fn run_mask_tracked(
        &self,
        image: &Image,
        mask: Mask,
        tracker: &Tracker,
        timings: &mut Timings,
    ) -> Result<Features> {
        if let Some(ibsi) = self.settings.ibsi() {
            // IBSI mode: its own pipeline (see `crate::ibsi`).
            let mut stages = Vec::new();
            let out = self.in_pool(|| crate::ibsi::extract_timed(image, &mask, ibsi, &mut stages));
            let named = stages.into_iter().map(|(s, t)| (format!("ibsi {s}"), t));
            timings.stages.extend(named);
            return out;
        }
        let p = self.settings.params();
        // PyRadiomics resamples before it compares the grids: the new grid is built from the mask's own
        // grid, and image and mask are both resampled onto it (a single-slice mask keeps one slice).
        let resampling = p.resampled_pixel_spacing.is_some();
        if let Err(e) = check_same_grid(
            (image.geometry(), image.size()),
            (mask.geometry(), mask.size()),
            p.geometry_tolerance,
        ) {
            if !p.correct_mask && !resampling {
                return Err(e.context("image and mask do not share a grid (or set correctMask)"));
            }
        }
        let mask = if p.correct_mask && !resampling {
            correct_mask(image, mask)?
        } else {
            mask
        };
        // The caller's image is only copied when a stage changes it.
        let mut image = std::borrow::Cow::Borrowed(image);
        if p.normalize {
            image = std::borrow::Cow::Owned(timings.time("normalize", || {
                normalize(&image, p.normalize_scale, p.remove_outliers)
            })?);
        }
        let mask = if let Some(spacing) = p.resampled_pixel_spacing {
            let (_, size) = resample_grid(&mask, spacing, p.pad_distance)?;
            check_volume("the resampled grid", size, p)?;
            crate::limits::check_peak_memory("the resampled grid", size.iter().product(), 0, p)?;
            let (resampled_image, resampled_mask) = timings.time("resample", || {
                resample_image_and_mask(
                    &image,
                    &mask,
                    spacing,
                    Interpolator::from(p.interpolator),
                    p.pad_distance,
                    image.pixel_type(),
                )
            })?;
            // ITK resamples in the input's pixel type; the values were rounded to it.
            image = std::borrow::Cow::Owned(resampled_image.with_pixel_type(image.pixel_type()));
            resampled_mask
        } else if p.pre_crop {
            let bb = self.roi_box(&mask)?;
            let cropped_image = image.crop(&bb)?;
            let cropped_mask = crop_mask(&mask, &bb)?;
            image = std::borrow::Cow::Owned(cropped_image);
            cropped_mask
        } else {
            mask
        };
        let mask_box = check_roi(&mask, p)?;
        let grid: usize = mask.size().iter().product();
        // Every ROI voxel lies in its box: count there, not over the whole grid.
        let count = crop3(mask.roi(), &mask_box).iter().filter(|&&b| b).count();
        crate::limits::check_peak_memory("the grid", grid, count, p)?;
        // Re-segmentation narrows the texture ROI; shape keeps the mask unless `resegmentShape`.
        let resegmented = match &p.resegment_range {
            Some(range) => {
                let reseg = resegment(&image, &mask, range, p.resegment_mode)?;
                let reseg_box = check_roi(&reseg, p)?;
                Some((reseg, reseg_box))
            }
            None => None,
        };
        let (roi_mask, bbox) = match &resegmented {
            Some((reseg, reseg_box)) => (reseg, *reseg_box),
            None => (&mask, mask_box),
        };
        // PyRadiomics crops the shape's mask to the re-segmented ROI's box even without
        // `resegmentShape`: followed, so shape keeps its values (docs/parity.md).
        let shape_mask = if p.resegment_shape { roi_mask } else { &mask };
        check_finite(&image, roi_mask, &bbox)?;

        let mut out = Features::new();
        for w in self.settings.ignored_options(false) {
            out.warn(w);
        }
        let classes = self.settings.feature_classes();
        // Progress units: one per shape class (at least one), and per image type one for its filter plus
        // one per feature class of each image it is expected to derive. The fraction snaps to the end of
        // each stage's share when the stage ends, whatever the estimate.
        let n_shape = classes.iter().filter(|(c, _)| c.is_shape()).count();
        let n_texture = (classes.len() - n_shape).max(1);
        let budgets: Vec<f64> = self
            .settings
            .image_types()
            .iter()
            .map(|it| 1.0 + (expected_outputs(it) * n_texture) as f64)
            .collect();
        let total = n_shape.max(1) as f64 + budgets.iter().sum::<f64>();
        let mut reached = n_shape.max(1) as f64 / total;
        tracker.check()?;

        // Shape: once, on the mask, in the original image's space.
        let shape_roi = crop3(shape_mask.roi(), &bbox);
        for (class, selection) in classes.iter().filter(|(c, _)| c.is_shape()) {
            let values = timings.time(class.name(), || {
                compute_shape(*class, shape_roi, image.spacing(), &bbox, p)
            })?;
            if let Some(values) = values {
                push_selected(&mut out, "original", *class, selection, &values)?;
            }
            tracker.advance(1.0 / total)?;
        }
        tracker.advance_to(reached)?;

        let roi = crop3(roi_mask.roi(), &bbox);
        // max |x| over the whole image scales the simple maps: one pass, shared by those image types.
        let max_abs = std::sync::OnceLock::new();
        for (it, budget) in self.settings.image_types().iter().zip(&budgets) {
            let derived = timings.time(format!("filter {}", it.kind.name()), || {
                self.in_pool(|| {
                    derive_images(it.kind, &image, roi_mask, &bbox, &it.params, &max_abs)
                })
            })?;
            if it.kind == ImageType::LoG {
                for &sigma in &it.params.sigma {
                    let why = filters::log::log_skip_reason(image.size(), image.spacing(), sigma);
                    if let Some(why) = why {
                        out.warn(format!("LoG sigma {sigma} skipped: {why}"));
                    }
                }
            }
            tracker.advance(1.0 / total)?;
            let unit = (budget - 1.0) / (derived.len() * n_texture).max(1) as f64 / total;
            let step = || tracker.advance(unit);
            // Derived images are independent: computed in parallel (within the caller's rayon pool), then
            // appended in order, so the output is the same whatever the number of threads.
            let parts: Vec<Result<(Features, Timings)>> = self.in_pool(|| {
                derived
                    .par_iter()
                    .map(|(type_name, derived_image)| {
                        let mut part = Features::new();
                        let mut part_timings = Timings::default();
                        let d = Derived {
                            name: type_name,
                            image: derived_image.data(),
                            roi,
                            spacing: derived_image.spacing(),
                            precision: if derived_image.pixel_type() == Some(DataType::F32) {
                                Precision::F32
                            } else {
                                Precision::F64
                            },
                        };
                        compute_classes(
                            &mut part,
                            d,
                            &it.params,
                            classes,
                            &mut part_timings,
                            &step,
                        )?;
                        Ok((part, part_timings))
                    })
                    .collect()
            });
            for part in parts {
                let (features, part_timings) = part?;
                out.extend_prefixed("", &features);
                timings.stages.extend(part_timings.stages);
            }
            reached += budget / total;
            tracker.advance_to(reached)?;
        }
        warn_of_nan_features(&mut out);
        Ok(out)
    }
}

/// Adds one warning naming the features whose value is NaN (at most ten names, then a count), so that a
/// NaN in the output never goes unremarked (docs/errors.md lists when each feature can be NaN).
fn warn_of_nan_features(features: &mut Features) {
    const SHOWN: usize = 10;
    let nan: Vec<&str> = features
        .iter()
        .filter(|(_, v)| v.is_nan())
        .map(|(n, _)| n)
        .collect();
    if nan.is_empty() {
        return;
    }
    let mut message = format!(
        "{} feature{} NaN: {}",
        nan.len(),
        if nan.len() == 1 { " is" } else { "s are" },
        nan[..nan.len().min(SHOWN)].join(", ")
    );
    if nan.len() > SHOWN {
        message.push_str(&format!(" and {} more", nan.len() - SHOWN));
    }
    features.warn(message);
}

/// Named derived images.
type DerivedImages = Vec<(String, Image)>;

/// A filter run on a region of the image (and of the mask).
type RegionFilter<'a> = &'a dyn Fn(&Image, &Mask) -> Result<DerivedImages>;

/// The derived images of one image type, with their PyRadiomics names (`original`, `log-sigma-1-0-mm-3D`,
/// `wavelet-LLH`, ...), each cropped to the ROI's bounding box `bbox`.
///
/// PyRadiomics filters the whole image and then crops. Here each filter runs on the smallest region that
/// gives the same values inside the box: the box grown by the filter's support (its margin, chosen and
/// tested in each filter's module), with whole-image quantities (the maximum |x| that scales the simple
/// maps) taken from the whole image. See `filters` for each margin; LoG, an IIR filter of unbounded
/// support, uses a margin measured to keep values within 1e-9 of whole-image filtering, and within that
/// region filters only the rows that reach the box (`filters::log::log_in_box`).
pub(crate) fn derive_images(
    kind: ImageType,
    image: &Image,
    mask: &Mask,
    bbox: &BoundingBox,
    p: &Params,
    max_abs: &std::sync::OnceLock<f64>,
) -> Result<Vec<(String, Image)>> {
    let dim = dim3(image.data());
    // Runs `f` on the region `margin` around the box (per array axis), then crops its outputs to the box.
    let on_region =
        |margin: [usize; 3], periodic: bool, f: RegionFilter<'_>| -> Result<DerivedImages> {
            let region = filters::filter_region(bbox, margin, dim, periodic);
            let sub = image.crop(&region)?;
            let sub_mask = crop_mask(mask, &region)?;
            let inner = bbox.relative_to(&region);
            f(&sub, &sub_mask)?
                .into_iter()
                .map(|(name, img)| Ok((name, img.crop(&inner)?)))
                .collect()
        };
    let integer_input = image
        .pixel_type()
        .is_some_and(|t| !matches!(t, DataType::F32 | DataType::F64));
    let plane = p.texture.plane();
    match kind {
        ImageType::Original => Ok(vec![("original".to_string(), image.crop(bbox)?)]),
        ImageType::LoG => {
            // One independent filter per sigma: in parallel, kept in the settings' order.
            let per_sigma: Vec<Result<DerivedImages>> = p
                .sigma
                .par_iter()
                .enumerate()
                .map(|(i, &sigma)| {
                    // PyRadiomics skips (with a warning) a sigma the image is too small for.
                    if filters::log::log_skip_reason(image.size(), image.spacing(), sigma).is_some()
                    {
                        return Ok(Vec::new());
                    }
                    let margin = filters::log::log_margin(sigma, image.spacing());
                    // log_margin is (x, y, z); regions are per array axis (z, y, x).
                    let margin = [margin[2], margin[1], margin[0]];
                    let region = filters::filter_region(bbox, margin, dim, false);
                    let inner = bbox.relative_to(&region);
                    // The region is read in place; only the rows through the box are filtered, and only
                    // the box is kept.
                    let values = filters::log::log_of_region_in_box(
                        image,
                        &region,
                        sigma,
                        &inner,
                        filters::log::Precision::Itk,
                    )?;
                    let geometry = image.geometry().cropped(bbox);
                    let name = p.sigma_text.get(i).map_or_else(
                        || filters::log::log_name(sigma),
                        |t| filters::log::log_name_from_text(t),
                    );
                    // SimpleITK's LoG output is float32, whatever the input.
                    Ok(vec![(
                        name,
                        Image::new(values, geometry)?.with_pixel_type(Some(DataType::F32)),
                    )])
                })
                .collect();
            let mut out = Vec::new();
            for images in per_sigma {
                out.extend(images?);
            }
            Ok(out)
        }
        ImageType::Wavelet => {
            let margin =
                filters::wavelet::wavelet_margin(&p.wavelet, p.start_level, p.level, plane)?;
            // pywt keeps a float32 input in float32; any other input is transformed in float64.
            let single = image.pixel_type() == Some(DataType::F32);
            let bands = on_region(margin, true, &|sub, _| {
                filters::wavelet::wavelet_in(sub, &p.wavelet, p.start_level, p.level, plane, single)
            })?;
            let pixel_type = single.then_some(DataType::F32);
            Ok(bands
                .into_iter()
                .map(|(n, im)| (n, im.with_pixel_type(pixel_type)))
                .collect())
        }
        ImageType::Square
        | ImageType::SquareRoot
        | ImageType::Logarithm
        | ImageType::Exponential => {
            let max = *max_abs.get_or_init(|| filters::simple::max_abs(image));
            let sub = image.crop(bbox)?;
            let (name, img) = match kind {
                ImageType::Square => ("square", filters::simple::square_with_max(&sub, max)),
                ImageType::SquareRoot => (
                    "squareroot",
                    filters::simple::square_root_with_max(&sub, max),
                ),
                ImageType::Logarithm => {
                    ("logarithm", filters::simple::logarithm_with_max(&sub, max))
                }
                _ => (
                    "exponential",
                    filters::simple::exponential_with_max(&sub, max),
                ),
            };
            Ok(vec![(name.to_string(), img)])
        }
        ImageType::Gradient => on_region(filters::gradient::GRADIENT_MARGIN, false, &|sub, _| {
            // SimpleITK's GradientMagnitude returns float32 whatever the input type (float64 included).
            let g = filters::gradient::gradient(sub, p.gradient_use_spacing)
                .with_pixel_type(Some(DataType::F32));
            Ok(vec![("gradient".to_string(), g)])
        }),
        ImageType::LBP2D => {
            let method = filters::lbp::LbpMethod::from_name(&p.lbp2d_method)?;
            let dimension = p.texture.force2d_dimension;
            let margin = filters::lbp::lbp2d_margin(p.lbp2d_radius, dimension);
            // scikit-image samples at the whole slice's indices: the region says where it starts.
            let region_origin = filters::filter_region(bbox, margin, dim, false).lower;
            on_region(margin, false, &|sub, _| {
                Ok(vec![(
                    "lbp-2D".to_string(),
                    filters::lbp::lbp2d_at(
                        sub,
                        region_origin,
                        p.lbp2d_radius,
                        p.lbp2d_samples,
                        method,
                        dimension,
                    )?,
                )])
            })
        }
        ImageType::LBP3D => {
            let settings = filters::lbp::Lbp3dSettings {
                levels: p.lbp3d_levels,
                icosphere_radius: p.lbp3d_icosphere_radius,
                icosphere_subdivision: p.lbp3d_icosphere_subdivision,
                integer_samples: integer_input,
            };
            // Sampled from the whole image's spline at whole-image indices, as PyRadiomics does, so that
            // samples tie with the centre exactly where PyRadiomics' do.
            filters::lbp::lbp3d_in_box(image, Some(mask), bbox, &settings)
        }
    }
}

fn compute_shape(
    class: FeatureClass,
    roi: ArrayView3<'_, bool>,
    spacing: [f64; 3],
    bbox: &BoundingBox,
    p: &Params,
) -> Result<Option<Vec<f64>>> {
    match class {
        FeatureClass::Shape => Ok(Some(shape::compute(roi, spacing))),
        FeatureClass::Shape2D => {
            // PyRadiomics computes 2D shape only with force2D, and only when the box's size along
            // force2Ddimension, read in ITK's (x, y, z) order, exceeds one voxel; otherwise it warns and
            // skips the class. Kept as it is for parity.
            let size_xyz = [bbox.shape()[2], bbox.shape()[1], bbox.shape()[0]];
            if !p.texture.force2d || size_xyz[p.texture.force2d_dimension] <= 1 {
                return Ok(None);
            }
            shape2d::compute(roi, spacing, p.texture.force2d_dimension).map(Some)
        }
        other => Err(Error::internal(format!(
            "'{}' is not a shape class",
            other.name()
        ))),
    }
}

/// One derived image, cropped to the ROI's bounding box.
struct Derived<'a> {
    /// `original`, `log-sigma-1-0-mm-3D`, ...
    name: &'a str,
    image: ArrayView3<'a, f64>,
    roi: ArrayView3<'a, bool>,
    spacing: [f64; 3],
    /// The type of PyRadiomics' array for this image, which sets the arithmetic of the bin edges.
    precision: Precision,
}

fn compute_classes(
    out: &mut Features,
    d: Derived<'_>,
    p: &Params,
    classes: &[(FeatureClass, Selection)],
    timings: &mut Timings,
    step: &(dyn Fn() -> Result<()> + Sync),
) -> Result<()> {
    let Derived {
        name: type_name,
        image,
        roi,
        spacing,
        precision,
    } = d;
    let wanted: Vec<&(FeatureClass, Selection)> =
        classes.iter().filter(|(c, _)| !c.is_shape()).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let grey = timings.time(format!("discretise {type_name}"), || {
        discretise_in(image, roi, p.binning(), p.max_grey_levels, precision)
    })?;
    check_texture_memory(&grey, &wanted, p)?;
    for (class, selection) in wanted {
        let started = std::time::Instant::now();
        let values = match class {
            FeatureClass::FirstOrder => {
                let mut values = Vec::new();
                let mut levels = Vec::new();
                for ((&v, &m), &l) in image.iter().zip(roi.iter()).zip(grey.levels.iter()) {
                    if m {
                        values.push(v);
                        levels.push(l);
                    }
                }
                firstorder::compute(&values, &levels, spacing, p.voxel_array_shift)
            }
            FeatureClass::Glcm => glcm::compute(&grey, spacing, &p.texture),
            FeatureClass::Gldm => gldm::compute(&grey, spacing, &p.texture),
            FeatureClass::Glrlm => glrlm::compute(&grey, spacing, &p.texture),
            FeatureClass::Glszm => glszm::compute(&grey, spacing, &p.texture),
            FeatureClass::Ngtdm => ngtdm::compute(&grey, spacing, &p.texture),
            other => {
                return Err(Error::setting(format!(
                    "feature class '{}' is not implemented yet",
                    other.name()
                )))
            }
        };
        timings.stages.push((
            format!("{type_name} {}", class.name()),
            started.elapsed().as_secs_f64(),
        ));
        push_selected(out, type_name, *class, selection, &values)?;
        step()?;
    }
    Ok(())
}

/// How many images an image type is expected to derive (for progress only: LoG one per sigma, wavelet
/// eight bands, the others one).
fn expected_outputs(it: &crate::settings::ImageTypeSettings) -> usize {
    match it.kind {
        ImageType::LoG => it.params.sigma.len().max(1),
        ImageType::Wavelet => 8,
        _ => 1,
    }
}

fn push_selected(
    out: &mut Features,
    type_name: &str,
    class: FeatureClass,
    selection: &Selection,
    values: &[f64],
) -> Result<()> {
    let registry = class.features();
    for (info, &v) in registry.iter().zip(values) {
        let on = match selection {
            Selection::All => !info.deprecated,
            // PyRadiomics' deprecated GLCM and GLDM features raise a DeprecationWarning instead of a value,
            // and are left out of its result even when named; those of firstorder and shape still compute.
            Selection::Names(names) => {
                names.iter().any(|n| n == info.name)
                    && !(info.deprecated
                        && matches!(class, FeatureClass::Glcm | FeatureClass::Gldm))
            }
        };
        if on {
            out.push(format!("{type_name}_{}_{}", class.name(), info.name), v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_features_are_named_in_one_warning() {
        let mut f = Features::new();
        f.push("a", 1.0);
        f.push("b", f64::NAN);
        warn_of_nan_features(&mut f);
        assert_eq!(f.warnings(), ["1 feature is NaN: b"]);

        let mut many = Features::new();
        for i in 0..12 {
            many.push(format!("f{i}"), f64::NAN);
        }
        warn_of_nan_features(&mut many);
        assert_eq!(many.warnings().len(), 1);
        assert!(many.warnings()[0].starts_with("12 features are NaN: f0, f1,"));
        assert!(many.warnings()[0].ends_with("f9 and 2 more"));

        let mut none = Features::new();
        none.push("a", 0.0);
        warn_of_nan_features(&mut none);
        assert!(none.warnings().is_empty());
    }

    #[test]
    fn shape_without_resegment_shape_is_cropped_to_the_resegmented_box() {
        // A 1x4x4 ROI whose last column and one inner voxel lie outside the re-segmentation range:
        // PyRadiomics computes shape on the original mask cropped to the re-segmented ROI's box (12
        // voxels, not 16), and on the re-segmented mask itself (11) with `resegmentShape`.
        let mut data = ndarray::Array3::<f64>::from_elem((3, 6, 6), 10.0);
        let mut labels = ndarray::Array3::<f64>::zeros((3, 6, 6));
        for y in 1..5 {
            for x in 1..5 {
                labels[[1, y, x]] = 1.0;
                data[[1, y, x]] = if x == 4 { 100.0 } else { 10.0 + (x + y) as f64 };
            }
        }
        data[[1, 1, 1]] = 50.0;
        data[[1, 2, 2]] = 100.0;
        let geometry = crate::image::Geometry::new([1.0; 3], [0.0; 3]);
        let image = Image::new(data, geometry).unwrap();
        let mask = Image::new(labels, geometry).unwrap();
        let volume = |reseg_shape: bool| {
            let yaml = format!(
                "setting: {{resegmentRange: [0, 60], resegmentShape: {reseg_shape}, minimumROIDimensions: 1}}\n\
                 featureClass: {{shape: [VoxelVolume], firstorder: [Maximum]}}\n"
            );
            let f = Extractor::new(Settings::from_yaml_str(&yaml).unwrap())
                .extract(&image, &mask)
                .unwrap();
            assert_eq!(f.get("original_firstorder_Maximum"), Some(50.0));
            f.get("original_shape_VoxelVolume").unwrap()
        };
        assert_eq!(volume(false), 12.0);
        assert_eq!(volume(true), 11.0);
    }

    #[test]
    fn two_voxel_roi_warns_of_its_nan_features() {
        let mut data = ndarray::Array3::<f64>::zeros((3, 3, 3));
        data[[1, 1, 1]] = 5.0;
        data[[1, 2, 2]] = 7.0;
        let mut labels = ndarray::Array3::<f64>::zeros((3, 3, 3));
        labels[[1, 1, 1]] = 1.0;
        labels[[1, 2, 2]] = 1.0;
        let geometry = crate::image::Geometry::new([1.0; 3], [0.0; 3]);
        let image = Image::new(data, geometry).unwrap();
        let mask = Image::new(labels, geometry).unwrap();
        let features = Extractor::new(Settings::default())
            .extract(&image, &mask)
            .unwrap();
        let nan = features.values().iter().filter(|v| v.is_nan()).count();
        assert!(nan > 0, "a 2-voxel ROI has NaN features");
        let w = features
            .warnings()
            .iter()
            .find(|w| w.contains("NaN"))
            .expect("a NaN warning");
        let verb = if nan == 1 {
            "feature is"
        } else {
            "features are"
        };
        assert!(w.starts_with(&format!("{nan} {verb} NaN: ")), "{w}");
    }
}
