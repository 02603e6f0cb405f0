//! IBSI 1 mode: features as the Image Biomarker Standardisation Initiative defines them (Zwanenburg et
//! al., *Radiology* 2020; reference manual, chapters "Image processing" and "Image features"), named by
//! the standard's template tags (`morph_volume`, `cm_joint_entr_3D_avg`, `szm_sze_2_5D`, `ivh_v10`).
//!
//! PyRadiomics parity stays the default. A parameter file with an `ibsi` section selects this mode; the
//! PyRadiomics sections (`imageType`, `featureClass`, `setting`) must then be absent, since IBSI mode has
//! its own processing and feature set. `params/ibsi/` holds the standard's six configurations.
//!
//! ```yaml
//! ibsi:
//!   aggregations: [3D]            # texture aggregations: any of 2D, 2.5D, 3D (default all)
//!   interpolation:                # absent: none
//!     spacing: [2.0, 2.0, 2.0]    # x, y, z in mm; 0 keeps an axis as it is
//!     image: linear               # nearest | linear | cubic
//!     roundIntensities: true      # round to the nearest integer after interpolation
//!     roiThreshold: 0.5           # partial-volume threshold of the (linearly) interpolated ROI
//!   resegmentation:               # absent: none
//!     range: [-1000, 400]         # [lo, hi]; hi may be null for [lo, ∞)
//!     outliers: 3                 # remove intensities beyond mean ± 3 SD of the ROI (with a range: both)
//!   discretisation: {method: FBS, binWidth: 25}      # FBS (binWidth) | FBN (binCount) | none
//!   ivh: {method: FBS, binWidth: 2.5}                # none (integer intensities) | FBS | FBN
//!   families: [morph, loc, stat, ih, ivh, cm, rlm, szm, dzm, ngt, ngl]   # default all
//!   diagnostics: true             # also write the IBSI diagnostic rows (default false)
//! ```
//!
//! # Pipeline
//! The stages of [`stages`], in the manual's order: interpolation of the image to a grid centred on the
//! original one (boundary values padded beyond the edges), rounding, interpolation of the ROI with the
//! partial-volume threshold; the result is the *morphological mask*. Range re-segmentation and outlier
//! filtering then give the *intensity mask*. Discretisation of the intensity mask feeds the intensity
//! histogram and the texture families; the IVH has its own discretisation. Morphology reads the
//! morphological mask (and the intensity mask for integrated intensity, Moran's I, Geary's C and the
//! centre of mass shift); GLDZM takes its distances from the morphological mask; local intensity reads
//! every image voxel around the ROI.
//!
//! # Deliberate choices and differences
//! - FBS bins start at the lower bound of the re-segmentation range (the ROI minimum without one); Ng
//!   is the bin count for FBN and the largest level in the ROI for FBS.
//! - IVH with FBS uses bin centres as intensities and the range [lo + w/2, hi − w/2]; with FBN the
//!   levels 1..Ng; with `none`, the intensities over the re-segmentation range (or the ROI's range).
//! - Only the region of the interpolated grid around the ROI (its box plus the local-intensity sphere) is
//!   interpolated; the grid itself is the whole image's, so the values are those of interpolating the
//!   whole image (for the cubic spline, whose coefficients depend on the whole line, within 1e-10: the
//!   crop keeps 24 voxels of margin).
//! - Cubic spline coefficients use mirror boundaries; positions beyond the edge are clamped to it.
//! - Moran's I and Geary's C are exact (all pairs), not approximated by sub-sampling.
//! - MVEE and OMBB densities and the area under the IVH curve have no reference values and are not
//!   computed.

pub mod intensity;
pub mod morphology;
pub mod stages;
pub mod texture;

use ndarray::{s, Array3, ArrayView3};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::extract::Features;
use crate::image::{Image, Mask};
use crate::preprocess::roi::crop3;
use stages::{Discretisation, Interpolation};
use texture::{Aggregation, Grey, ZoneAggregation};

/// Interpolation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct InterpolationSettings {
    /// New spacing (x, y, z) in mm; 0 keeps an axis.
    pub spacing: [f64; 3],
    /// Image interpolator.
    pub image: Interpolation,
    /// Round intensities to integers after interpolation.
    pub round: bool,
    /// Partial-volume threshold of the linearly interpolated ROI.
    pub roi_threshold: f64,
}

/// The IBSI settings of a parameter file's `ibsi` section, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct IbsiSettings {
    /// Texture aggregations: 2D, 2.5D and/or 3D.
    pub aggregations: Vec<String>,
    /// Interpolation, if any.
    pub interpolation: Option<InterpolationSettings>,
    /// Re-segmentation range [lo, hi] (hi None: open).
    pub range: Option<(f64, Option<f64>)>,
    /// Outlier filtering at mean ± this many SD.
    pub outliers: Option<f64>,
    /// Discretisation for the intensity histogram and texture.
    pub discretisation: Discretisation,
    /// Discretisation for the IVH.
    pub ivh: Discretisation,
    /// Families to compute, by tag prefix.
    pub families: Vec<String>,
    /// Write the diagnostic rows.
    pub diagnostics: bool,
}

/// Every family, by template-tag prefix, in output order.
pub const FAMILIES: [&str; 11] = [
    "morph", "loc", "stat", "ih", "ivh", "cm", "rlm", "szm", "dzm", "ngt", "ngl",
];

fn bad(key: &str, what: impl std::fmt::Display) -> Error {
    Error::setting(format!("ibsi: '{key}' {what}"))
}

fn number(key: &str, v: &Value) -> Result<f64> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(key, format!("must be a number, got {v}")))
}

fn mapping<'a>(key: &str, v: &'a Value) -> Result<&'a serde_json::Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| bad(key, format!("must be a mapping, got {v}")))
}

fn check_keys(section: &str, m: &serde_json::Map<String, Value>, known: &[&str]) -> Result<()> {
    for k in m.keys() {
        if !known.contains(&k.as_str()) {
            return Err(bad(
                section,
                format!("has no key '{k}' (keys: {})", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn discretisation(key: &str, v: &Value) -> Result<Discretisation> {
    let m = mapping(key, v)?;
    check_keys(key, m, &["method", "binWidth", "binCount"])?;
    let method = m
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(key, "needs a method: FBS, FBN or none"))?;
    match method {
        "FBS" => {
            let w = number(
                &format!("{key}.binWidth"),
                m.get("binWidth").unwrap_or(&Value::Null),
            )?;
            if w <= 0.0 {
                return Err(bad(key, format!("binWidth must be positive, got {w}")));
            }
            Ok(Discretisation::Width(w))
        }
        "FBN" => {
            let n = m
                .get("binCount")
                .and_then(Value::as_u64)
                .filter(|&n| (1..=65536).contains(&n))
                .ok_or_else(|| bad(key, "binCount must be an integer from 1 to 65536"))?;
            Ok(Discretisation::Count(n as usize))
        }
        "none" => Ok(Discretisation::None),
        other => Err(bad(
            key,
            format!("method '{other}' is not FBS, FBN or none"),
        )),
    }
}

impl IbsiSettings {
    /// Validates an `ibsi` section.
    pub fn from_value(v: &Value) -> Result<IbsiSettings> {
        let empty = serde_json::Map::new();
        let m = if v.is_null() {
            &empty
        } else {
            mapping("ibsi", v)?
        };
        check_keys(
            "ibsi",
            m,
            &[
                "aggregations",
                "interpolation",
                "resegmentation",
                "discretisation",
                "ivh",
                "families",
                "diagnostics",
            ],
        )?;
        let strings = |key: &str, allowed: &[&str]| -> Result<Option<Vec<String>>> {
            let Some(v) = m.get(key) else { return Ok(None) };
            let list = v
                .as_array()
                .ok_or_else(|| bad(key, format!("must be a list, got {v}")))?;
            let mut out = Vec::new();
            for item in list {
                // YAML reads 3D as a string but 2.5D might come as text only; numbers are refused.
                let s = item
                    .as_str()
                    .ok_or_else(|| bad(key, format!("entries must be strings, got {item}")))?;
                if !allowed.contains(&s) {
                    return Err(bad(
                        key,
                        format!("has '{s}', not one of {}", allowed.join(", ")),
                    ));
                }
                out.push(s.to_string());
            }
            Ok(Some(out))
        };
        let aggregations = strings("aggregations", &["2D", "2.5D", "3D"])?
            .unwrap_or_else(|| vec!["2D".into(), "2.5D".into(), "3D".into()]);
        let families =
            strings("families", &FAMILIES)?.unwrap_or_else(|| FAMILIES.map(String::from).to_vec());
        let interpolation = match m.get("interpolation") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let im = mapping("interpolation", v)?;
                check_keys(
                    "interpolation",
                    im,
                    &["spacing", "image", "roundIntensities", "roiThreshold"],
                )?;
                let sp = im
                    .get("spacing")
                    .and_then(Value::as_array)
                    .filter(|a| a.len() == 3)
                    .ok_or_else(|| bad("interpolation.spacing", "must be a list of 3 numbers"))?;
                let mut spacing = [0.0; 3];
                for (o, v) in spacing.iter_mut().zip(sp) {
                    *o = number("interpolation.spacing", v)?;
                    if *o < 0.0 {
                        return Err(bad("interpolation.spacing", "must not be negative"));
                    }
                }
                let image = match im.get("image") {
                    None => Interpolation::Linear,
                    Some(v) => v
                        .as_str()
                        .and_then(Interpolation::from_name)
                        .ok_or_else(|| {
                            bad(
                                "interpolation.image",
                                format!("{v} is not nearest, linear or cubic"),
                            )
                        })?,
                };
                let round = match im.get("roundIntensities") {
                    None => false,
                    Some(v) => v.as_bool().ok_or_else(|| {
                        bad("interpolation.roundIntensities", "must be true or false")
                    })?,
                };
                let roi_threshold = match im.get("roiThreshold") {
                    None => 0.5,
                    Some(v) => number("interpolation.roiThreshold", v)?,
                };
                if !(roi_threshold > 0.0 && roi_threshold <= 1.0) {
                    return Err(bad("interpolation.roiThreshold", "must lie in (0, 1]"));
                }
                Some(InterpolationSettings {
                    spacing,
                    image,
                    round,
                    roi_threshold,
                })
            }
        };
        let (mut range, mut outliers) = (None, None);
        if let Some(v) = m.get("resegmentation").filter(|v| !v.is_null()) {
            let rm = mapping("resegmentation", v)?;
            check_keys("resegmentation", rm, &["range", "outliers"])?;
            if let Some(r) = rm.get("range").filter(|v| !v.is_null()) {
                let r = r.as_array().filter(|a| a.len() == 2).ok_or_else(|| {
                    bad("resegmentation.range", "must be [lo, hi] (hi may be null)")
                })?;
                let lo = number("resegmentation.range", &r[0])?;
                let hi = if r[1].is_null() {
                    None
                } else {
                    Some(number("resegmentation.range", &r[1])?)
                };
                if hi.is_some_and(|h| h < lo) {
                    return Err(bad("resegmentation.range", "has hi below lo"));
                }
                range = Some((lo, hi));
            }
            if let Some(o) = rm.get("outliers").filter(|v| !v.is_null()) {
                let o = number("resegmentation.outliers", o)?;
                if o <= 0.0 {
                    return Err(bad("resegmentation.outliers", "must be positive"));
                }
                outliers = Some(o);
            }
        }
        let disc = match m.get("discretisation") {
            None => Discretisation::None,
            Some(v) => discretisation("discretisation", v)?,
        };
        let ivh = match m.get("ivh") {
            None => Discretisation::None,
            Some(v) => discretisation("ivh", v)?,
        };
        let diagnostics = match m.get("diagnostics") {
            None => false,
            Some(v) => v
                .as_bool()
                .ok_or_else(|| bad("diagnostics", "must be true or false"))?,
        };
        Ok(IbsiSettings {
            aggregations,
            interpolation,
            range,
            outliers,
            discretisation: disc,
            ivh,
            families,
            diagnostics,
        })
    }

    fn wants(&self, family: &str) -> bool {
        self.families.iter().any(|f| f == family)
    }
}

/// The image and masks after the processing stages, cropped to the region the features read.
struct Processed {
    image: Array3<f64>,
    morph: Array3<bool>,
    intensity: Array3<bool>,
    /// (x, y, z) mm.
    spacing: [f64; 3],
    diagnostics: Vec<(String, f64)>,
}

/// Mean, minimum, maximum and count of the intensities (within `roi` when given).
fn stats_of(
    image: ArrayView3<'_, f64>,
    roi: Option<ArrayView3<'_, bool>>,
) -> (f64, f64, f64, usize) {
    let (mut sum, mut min, mut max, mut n) = (0.0, f64::INFINITY, f64::NEG_INFINITY, 0usize);
    let mut add = |v: f64| {
        sum += v;
        min = min.min(v);
        max = max.max(v);
        n += 1;
    };
    match roi {
        Some(r) => image
            .iter()
            .zip(r.iter())
            .filter(|(_, &m)| m)
            .for_each(|(&v, _)| add(v)),
        None => image.iter().for_each(|&v| add(v)),
    }
    (sum / n as f64, min, max, n)
}

fn bbox_xyz(roi: ArrayView3<'_, bool>) -> [f64; 3] {
    match crate::image::bounding_box(roi) {
        Some(b) => {
            let s = b.shape();
            [s[2] as f64, s[1] as f64, s[0] as f64]
        }
        None => [0.0; 3],
    }
}

/// The diagnostic rows of one ROI stage: mask dimensions (`dims`, x, y, z: the whole grid's), bounding
/// boxes, voxel counts and the intensity mask's mean, minimum and maximum.
fn roi_diagnostics(
    out: &mut Vec<(String, f64)>,
    stage: &str,
    dims: [usize; 3],
    image: ArrayView3<'_, f64>,
    morph: ArrayView3<'_, bool>,
    intensity: ArrayView3<'_, bool>,
) {
    let (mean, min, max, n) = stats_of(image, Some(intensity));
    let ib = bbox_xyz(intensity);
    let mb = bbox_xyz(morph);
    for (axis, k) in ["x", "y", "z"].iter().zip(0..3) {
        out.push((format!("int_mask_dim_{axis}_{stage}"), dims[k] as f64));
        out.push((format!("int_mask_bb_dim_{axis}_{stage}"), ib[k]));
        out.push((format!("morph_mask_bb_dim_{axis}_{stage}"), mb[k]));
    }
    out.push((format!("int_mask_vox_count_{stage}"), n as f64));
    out.push((format!("int_mask_mean_int_{stage}"), mean));
    out.push((format!("int_mask_min_int_{stage}"), min));
    out.push((format!("int_mask_max_int_{stage}"), max));
    out.push((
        format!("morph_mask_vox_count_{stage}"),
        morph.iter().filter(|&&m| m).count() as f64,
    ));
}

fn process(image: &Image, mask: &Mask, s: &IbsiSettings) -> Result<Processed> {
    crate::image::check_same_grid(
        (image.geometry(), image.size()),
        (mask.geometry(), mask.size()),
        1e-6,
    )
    .map_err(|e| e.context("IBSI mode: image and mask do not share a grid"))?;
    let bb = mask
        .bounding_box()
        .ok_or_else(|| Error::empty_roi("the mask is empty"))?;
    let spacing = image.spacing();
    let mut diagnostics = Vec::new();
    let size = image.size();
    if s.diagnostics {
        let (mean, min, max, _) = stats_of(image.data(), None);
        for (k, axis) in ["x", "y", "z"].iter().enumerate() {
            diagnostics.push((format!("img_dim_{axis}_init_img"), size[k] as f64));
            diagnostics.push((format!("vox_dim_{axis}_init_img"), spacing[k]));
        }
        diagnostics.push(("mean_int_init_img".into(), mean));
        diagnostics.push(("min_int_init_img".into(), min));
        diagnostics.push(("max_int_init_img".into(), max));
        let roi = mask.roi();
        roi_diagnostics(&mut diagnostics, "init_roi", size, image.data(), roi, roi);
    }
    // Local intensity reads a sphere of radius ≈ 6.2 mm around ROI voxels: keep that much around the box.
    let radius = 10.0 * (3.0 / (4.0 * std::f64::consts::PI)).cbrt();
    let (data, roi, new_spacing, grid_size) = match &s.interpolation {
        None => {
            let margin: [usize; 3] =
                std::array::from_fn(|k| (radius / spacing[2 - k]).ceil() as usize + 1);
            let dim = [size[2], size[1], size[0]];
            let region = crate::filters::filter_region(&bb, margin, dim, false);
            (
                crop3(image.data(), &region).to_owned(),
                crop3(mask.roi(), &region).to_owned(),
                spacing,
                size,
            )
        }
        Some(ip) => {
            let new_spacing: [f64; 3] = std::array::from_fn(|k| {
                if ip.spacing[k] > 0.0 {
                    ip.spacing[k]
                } else {
                    spacing[k]
                }
            });
            let grids: [stages::AxisGrid; 3] =
                std::array::from_fn(|k| stages::centred_grid(size[k], spacing[k], new_spacing[k]));
            // Target points whose position lies within the ROI box (±1 source voxel), grown by the
            // local-intensity radius; the source region they read, with the interpolator's margin.
            let src_margin: i64 = match ip.image {
                Interpolation::Cubic => 24,
                _ => 2,
            };
            let mut pos: Vec<Vec<f64>> = Vec::new();
            let mut src_lo = [0usize; 3];
            let mut src_hi = [0usize; 3];
            for k in 0..3 {
                let a = 2 - k; // the array axis of axis k (x, y, z)
                let g = grids[k];
                let (blo, bhi) = (bb.lower[a] as f64 - 1.0, bb.upper[a] as f64 + 1.0);
                let extra = (radius / new_spacing[k]).ceil() as i64 + 1;
                let first_in = (0..g.n).find(|&t| g.at(t) >= blo).unwrap_or(0) as i64;
                let last_in = (0..g.n).rev().find(|&t| g.at(t) <= bhi).unwrap_or(g.n - 1) as i64;
                let t0 = (first_in - extra).max(0) as usize;
                let t1 = ((last_in + extra) as usize).min(g.n - 1);
                let last = size[k] as i64 - 1;
                let lo = (g.at(t0).floor() as i64 - src_margin).clamp(0, last) as usize;
                let hi = (g.at(t1).ceil() as i64 + src_margin).clamp(0, last) as usize;
                src_lo[a] = lo;
                src_hi[a] = hi;
                pos.push((t0..=t1).map(|t| g.at(t) - lo as f64).collect());
            }
            let cut = s![
                src_lo[0]..=src_hi[0],
                src_lo[1]..=src_hi[1],
                src_lo[2]..=src_hi[2]
            ];
            let sub = image.data().slice(cut).to_owned();
            let sub_mask = mask.roi().slice(cut).mapv(|b| if b { 1.0 } else { 0.0 });
            let p: [&[f64]; 3] = [&pos[0], &pos[1], &pos[2]];
            let mut data = stages::interpolate(sub.view(), p, ip.image);
            if ip.round {
                stages::round_intensities(&mut data);
            }
            let m = stages::interpolate(sub_mask.view(), p, Interpolation::Linear);
            let roi = stages::threshold_roi(m.view(), ip.roi_threshold);
            if s.diagnostics {
                for (k, axis) in ["x", "y", "z"].iter().enumerate() {
                    diagnostics.push((format!("img_dim_{axis}_interp_img"), grids[k].n as f64));
                    diagnostics.push((format!("vox_dim_{axis}_interp_img"), new_spacing[k]));
                }
            }
            (data, roi, new_spacing, grids.map(|g| g.n))
        }
    };
    if !roi.iter().any(|&m| m) {
        return Err(Error::empty_roi(
            "IBSI mode: the ROI is empty after interpolation (partial-volume threshold)",
        ));
    }
    if s.diagnostics && s.interpolation.is_some() {
        roi_diagnostics(
            &mut diagnostics,
            "interp_roi",
            grid_size,
            data.view(),
            roi.view(),
            roi.view(),
        );
    }
    // Both criteria read the morphological mask: the outlier bounds are the mean ± n SD of the whole
    // (interpolated) ROI, and the two masks are intersected (as the reference implementations do; the
    // bounds do not depend on the range).
    let mut intensity = roi.clone();
    if let Some((lo, hi)) = s.range {
        intensity = stages::resegment_range(data.view(), roi.view(), lo, hi);
    }
    if let Some(n) = s.outliers {
        let kept = stages::filter_outliers(data.view(), roi.view(), n);
        intensity.zip_mut_with(&kept, |a, &b| *a = *a && b);
    }
    if intensity.iter().filter(|&&m| m).count() < 2 {
        return Err(Error::empty_roi(
            "IBSI mode: fewer than 2 voxels are left in the intensity mask after re-segmentation",
        ));
    }
    if s.diagnostics {
        roi_diagnostics(
            &mut diagnostics,
            "reseg_roi",
            grid_size,
            data.view(),
            roi.view(),
            intensity.view(),
        );
    }
    Ok(Processed {
        image: data,
        morph: roi,
        intensity,
        spacing: new_spacing,
        diagnostics,
    })
}

/// The IVH's values, total range and interval for the intensity-mask values `x`.
fn ivh_input(x: &[f64], s: &IbsiSettings) -> (Vec<f64>, f64, f64, f64) {
    let min = x.iter().copied().fold(f64::INFINITY, f64::min);
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match s.ivh {
        Discretisation::None => match s.range {
            Some((lo, hi)) => (x.to_vec(), lo, hi.unwrap_or(max), 1.0),
            None => (x.to_vec(), min, max, 1.0),
        },
        Discretisation::Width(w) => {
            let (lo, hi) = match s.range {
                Some((lo, hi)) => (lo, hi.unwrap_or(max)),
                None => (min, max),
            };
            let centres = x
                .iter()
                .map(|&v| lo + (((v - lo) / w).floor() + 1.0 - 0.5) * w)
                .collect();
            (centres, lo + 0.5 * w, hi - 0.5 * w, w)
        }
        Discretisation::Count(n) => {
            let span = max - min;
            let levels = x
                .iter()
                .map(|&v| {
                    if span == 0.0 {
                        1.0
                    } else if v >= max {
                        n as f64
                    } else {
                        ((n as f64 * (v - min) / span).floor() + 1.0).min(n as f64)
                    }
                })
                .collect();
            (levels, 1.0, n as f64, 1.0)
        }
    }
}

/// Every IBSI feature the settings ask for, named by template tag, on `image` within `mask`.
pub fn extract(image: &Image, mask: &Mask, s: &IbsiSettings) -> Result<Features> {
    let p = process(image, mask, s)?;
    let mut out = Features::new();
    for (name, v) in &p.diagnostics {
        out.push(name.clone(), *v);
    }
    let push = |out: &mut Features, prefix: &str, names: &[&str], values: &[f64], suffix: &str| {
        for (n, v) in names.iter().zip(values) {
            if suffix.is_empty() {
                out.push(format!("{prefix}_{n}"), *v);
            } else {
                out.push(format!("{prefix}_{n}_{suffix}"), *v);
            }
        }
    };
    let values: Vec<f64> = p
        .image
        .iter()
        .zip(p.intensity.iter())
        .filter_map(|(&v, &m)| m.then_some(v))
        .collect();
    if s.wants("morph") {
        let f = morphology::morphology(
            p.morph.view(),
            p.intensity.view(),
            p.image.view(),
            p.spacing,
        );
        push(&mut out, "morph", &morphology::MORPH_NAMES, &f, "");
    }
    if s.wants("loc") {
        let f = intensity::local_intensity(p.image.view(), p.intensity.view(), p.spacing);
        push(&mut out, "loc", &intensity::LOC_NAMES, &f, "");
    }
    if s.wants("stat") {
        let f = intensity::statistics(&values);
        push(&mut out, "stat", &intensity::STAT_NAMES, &f, "");
    }
    let needs_grey = ["ih", "cm", "rlm", "szm", "dzm", "ngt", "ngl"]
        .iter()
        .any(|f| s.wants(f));
    let grey = if needs_grey {
        let origin = s.range.map(|(lo, _)| lo);
        let (levels, ng) =
            stages::discretise(p.image.view(), p.intensity.view(), s.discretisation, origin)?;
        Some(Grey { levels, ng })
    } else {
        None
    };
    if let (true, Some(g)) = (s.wants("ih"), &grey) {
        let levels: Vec<u32> = g.levels.iter().copied().filter(|&l| l > 0).collect();
        let f = intensity::histogram(&levels, g.ng);
        push(&mut out, "ih", &intensity::IH_NAMES, &f, "");
    }
    if s.wants("ivh") {
        let (x, lo, hi, w) = ivh_input(&values, s);
        let f = intensity::intensity_volume(&x, lo, hi, w);
        push(&mut out, "ivh", &intensity::IVH_NAMES, &f, "");
    }
    let Some(g) = grey else { return Ok(out) };
    let mut dir_aggs = Vec::new();
    let mut zone_aggs = Vec::new();
    for a in &s.aggregations {
        match a.as_str() {
            "2D" => {
                dir_aggs.extend([Aggregation::D2Avg, Aggregation::D2Comb]);
                zone_aggs.push(ZoneAggregation::D2);
            }
            "2.5D" => {
                dir_aggs.extend([Aggregation::D25Avg, Aggregation::D25Comb]);
                zone_aggs.push(ZoneAggregation::D25);
            }
            _ => {
                dir_aggs.extend([Aggregation::D3Avg, Aggregation::D3Comb]);
                zone_aggs.push(ZoneAggregation::D3);
            }
        }
    }
    if s.wants("cm") {
        for &a in &dir_aggs {
            push(
                &mut out,
                "cm",
                &texture::CM_NAMES,
                &texture::glcm(&g, a),
                a.suffix(),
            );
        }
    }
    if s.wants("rlm") {
        for &a in &dir_aggs {
            push(
                &mut out,
                "rlm",
                &texture::RLM_NAMES,
                &texture::glrlm(&g, a),
                a.suffix(),
            );
        }
    }
    if s.wants("szm") {
        for &a in &zone_aggs {
            push(
                &mut out,
                "szm",
                &texture::SZM_NAMES,
                &texture::glszm(&g, a),
                a.suffix(),
            );
        }
    }
    if s.wants("dzm") {
        for &a in &zone_aggs {
            let f = texture::gldzm(&g, p.morph.view(), a);
            push(&mut out, "dzm", &texture::DZM_NAMES, &f, a.suffix());
        }
    }
    if s.wants("ngt") {
        for &a in &zone_aggs {
            push(
                &mut out,
                "ngt",
                &texture::NGT_NAMES,
                &texture::ngtdm(&g, a),
                a.suffix(),
            );
        }
    }
    if s.wants("ngl") {
        for &a in &zone_aggs {
            push(
                &mut out,
                "ngl",
                &texture::NGL_NAMES,
                &texture::ngldm(&g, a),
                a.suffix(),
            );
        }
    }
    Ok(out)
}
