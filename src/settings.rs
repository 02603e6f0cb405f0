//! PyRadiomics parameter files (YAML or JSON) as typed, validated settings.
//!
//! A parameter file has three optional sections, as in PyRadiomics:
//!
//! ```yaml
//! imageType:            # which images features are computed on, with per-image-type overrides
//!   Original: {}
//!   LoG: {sigma: [1.0, 3.0]}
//! featureClass:         # null or [] = every non-deprecated feature of the class; a list = those features
//!   firstorder:
//!   glcm: [Contrast, Correlation]
//! setting:              # general settings (PyRadiomics' names, types and defaults)
//!   binWidth: 25
//!   label: 1
//! ```
//!
//! Settings are checked once, here: an unknown section, key, image type, class or feature name, or a value
//! of the wrong type or out of range, is an [`ErrorKind::UnsupportedSetting`](crate::ErrorKind) error naming
//! it. Absent sections take PyRadiomics' defaults: the `Original` image and every feature class (shape2D
//! included, as PyRadiomics enables it for a parameter file without `featureClass`).
//!
//! The document is kept as parsed, so that it can be written back (a model file carries the settings it
//! was trained with) and edited key by key ([`Settings::set`]).

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::features::{FeatureClass, TextureSettings, WeightingNorm};
use crate::preprocess::Binning;

/// One image type of PyRadiomics (`imageType` section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageType {
    /// The image as loaded (after normalisation and resampling).
    Original,
    /// Laplacian of Gaussian, one image per `sigma`.
    LoG,
    /// Stationary wavelet transform, 8 bands per level.
    Wavelet,
    /// x², scaled.
    Square,
    /// √|x|, scaled, signed.
    SquareRoot,
    /// log(|x| + 1), scaled, signed.
    Logarithm,
    /// exp(x), scaled.
    Exponential,
    /// Gradient magnitude.
    Gradient,
    /// Local binary pattern per slice.
    LBP2D,
    /// Local binary pattern in 3D (spherical harmonics).
    LBP3D,
}

impl ImageType {
    /// Every image type.
    pub const ALL: [ImageType; 10] = [
        ImageType::Original,
        ImageType::LoG,
        ImageType::Wavelet,
        ImageType::Square,
        ImageType::SquareRoot,
        ImageType::Logarithm,
        ImageType::Exponential,
        ImageType::Gradient,
        ImageType::LBP2D,
        ImageType::LBP3D,
    ];

    /// PyRadiomics' name (`Original`, `LoG`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ImageType::Original => "Original",
            ImageType::LoG => "LoG",
            ImageType::Wavelet => "Wavelet",
            ImageType::Square => "Square",
            ImageType::SquareRoot => "SquareRoot",
            ImageType::Logarithm => "Logarithm",
            ImageType::Exponential => "Exponential",
            ImageType::Gradient => "Gradient",
            ImageType::LBP2D => "LBP2D",
            ImageType::LBP3D => "LBP3D",
        }
    }

    /// The image type of a PyRadiomics name.
    pub fn from_name(name: &str) -> Option<ImageType> {
        ImageType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Resampling interpolators PyRadiomics accepts by name (`interpolator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpolatorName {
    /// `sitkNearestNeighbor` (1)
    NearestNeighbor,
    /// `sitkLinear` (2)
    Linear,
    /// `sitkBSpline` (23 in SimpleITK 2), the default
    BSpline,
    /// `sitkGaussian` (4)
    Gaussian,
    /// `sitkLabelGaussian` (5)
    LabelGaussian,
    /// `sitkHammingWindowedSinc` (6)
    HammingWindowedSinc,
    /// `sitkCosineWindowedSinc` (7)
    CosineWindowedSinc,
    /// `sitkWelchWindowedSinc` (8)
    WelchWindowedSinc,
    /// `sitkLanczosWindowedSinc` (9)
    LanczosWindowedSinc,
    /// `sitkBlackmanWindowedSinc` (10)
    BlackmanWindowedSinc,
}

/// How `resegmentRange` is read (`resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResegmentMode {
    /// The range is in intensity units.
    Absolute,
    /// The range is a fraction of the ROI maximum.
    Relative,
    /// The range is in standard deviations around the ROI mean.
    Sigma,
}

/// The general settings (`setting` section, and per-image-type overrides), with PyRadiomics' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// `minimumROIDimensions` (1–3, default 2): the ROI must extend over more than one voxel in at least this
    /// many dimensions.
    pub minimum_roi_dimensions: usize,
    /// `minimumROISize` (default none): the ROI must have more voxels than this.
    pub minimum_roi_size: Option<usize>,
    /// `geometryTolerance` (default 1e-6, ITK's): how far the mask's grid may be from the image's.
    pub geometry_tolerance: f64,
    /// `correctMask` (default false): resample a mask on another grid onto the image's.
    pub correct_mask: bool,
    /// `additionalInfo` (default true): PyRadiomics' `diagnostics_*` entries ([`crate::diagnostics`]) before the
    /// features of `radiomics extract` and of PyRadiomics-style batch tables.
    pub additional_info: bool,
    /// `label` (default 1): the mask value of the ROI.
    pub label: i64,
    /// `binWidth` (default 25).
    pub bin_width: f64,
    /// `binCount` (default none); when given it takes precedence over `binWidth`, wherever each was set.
    pub bin_count: Option<usize>,
    /// `normalize` (default false): z-score the whole image before anything else.
    pub normalize: bool,
    /// `normalizeScale` (default 1): factor applied after normalising.
    pub normalize_scale: f64,
    /// `removeOutliers` (default none): clip normalised values to ± this many SDs.
    pub remove_outliers: Option<f64>,
    /// `resampledPixelSpacing` (default none): resample to this spacing (x, y, z; 0 keeps an axis).
    pub resampled_pixel_spacing: Option<[f64; 3]>,
    /// `interpolator` (default `sitkBSpline`).
    pub interpolator: InterpolatorName,
    /// `preCrop` (default false): crop to the ROI before resampling or filtering.
    pub pre_crop: bool,
    /// `padDistance` (default 5): voxels kept around the ROI when cropping before resampling.
    pub pad_distance: usize,
    /// Texture settings: `distances`, `symmetricalGLCM`, `weightingNorm`, `gldm_a`, `force2D`,
    /// `force2Ddimension`.
    pub texture: TextureSettings,
    /// `resegmentRange` (one or two values, default none).
    pub resegment_range: Option<Vec<f64>>,
    /// `resegmentMode` (default absolute).
    pub resegment_mode: ResegmentMode,
    /// `resegmentShape` (default false): compute shape on the re-segmented mask.
    pub resegment_shape: bool,
    /// `sigma` for LoG, in mm (default none).
    pub sigma: Vec<f64>,
    /// Each sigma as PyRadiomics writes it into the image type name (`str()` of the parsed value): `2` for
    /// `sigma: [2]`, `2.0` for `sigma: [2.0]`; parallel to `sigma`.
    pub sigma_text: Vec<String>,
    /// `start_level` for Wavelet (default 0).
    pub start_level: usize,
    /// `level` for Wavelet (default 1).
    pub level: usize,
    /// `wavelet` (default `coif1`).
    pub wavelet: String,
    /// `gradientUseSpacing` (default true).
    pub gradient_use_spacing: bool,
    /// `lbp2DRadius` (default 1).
    pub lbp2d_radius: f64,
    /// `lbp2DSamples` (default 8).
    pub lbp2d_samples: usize,
    /// `lbp2DMethod` (default `uniform`).
    pub lbp2d_method: String,
    /// `lbp3DLevels` (default 2).
    pub lbp3d_levels: usize,
    /// `lbp3DIcosphereRadius` (default 1).
    pub lbp3d_icosphere_radius: f64,
    /// `lbp3DIcosphereSubdivision` (default 1).
    pub lbp3d_icosphere_subdivision: usize,
    /// `voxelArrayShift` (default 0): added to intensities for Energy, TotalEnergy and RootMeanSquared.
    pub voxel_array_shift: f64,
    /// `threads` — an extension of this library, not a PyRadiomics key: the most worker threads one
    /// extraction uses (default 0: those of the caller's thread pool, one per core unless the caller
    /// installed a smaller pool). Features are identical for any value. At most [`MAX_THREADS`].
    pub threads: usize,
    /// `maxVoxels` (extension of this library, default 2^31): the most voxels an image, a mask or a
    /// resampled grid may have; more is a [`LimitExceeded`](crate::ErrorKind::LimitExceeded) error.
    pub max_voxels: usize,
    /// `maxGreyLevels` (extension, default 65536): the most grey levels a discretisation may produce.
    pub max_grey_levels: usize,
    /// `maxMemoryMB` (extension, default 8192): the most memory, in MiB, one volume of `f64` or one texture
    /// matrix (GLCM, GLRLM, GLSZM: levels × levels, runs or zone sizes × angles, of `f64`) may take.
    pub max_memory_mb: usize,
}

/// The default of `maxVoxels`.
pub const DEFAULT_MAX_VOXELS: usize = 1 << 31;
/// The most worker threads the `threads` setting (and the command line's `--threads`, `--jobs`) may ask
/// for: more would only exhaust the system's threads.
pub const MAX_THREADS: usize = 1024;

/// The largest texture distance accepted (`distances`): the offsets grow with its square, their work with
/// the ROI's size; no ROI of a medical image is this far across.
pub const MAX_DISTANCE: usize = 1000;

/// The largest value `maxGreyLevels` may be raised to (2^24): its bin edges alone are allocated in full.
pub const MAX_GREY_LEVELS_CEILING: usize = 1 << 24;

/// The largest `label` accepted, 2^53 - 1: every whole number up to it is exactly representable as an
/// `f64`, as mask values are held; above it, neighbouring labels would compare equal.
pub const MAX_LABEL: i64 = (1 << 53) - 1;

/// The default of `maxGreyLevels`.
pub const DEFAULT_MAX_GREY_LEVELS: usize = 1 << 16;
/// The default of `maxMemoryMB`.
pub const DEFAULT_MAX_MEMORY_MB: usize = 8192;

impl Default for Params {
    fn default() -> Params {
        Params {
            minimum_roi_dimensions: 2,
            minimum_roi_size: None,
            geometry_tolerance: 1e-6,
            correct_mask: false,
            additional_info: true,
            label: 1,
            bin_width: 25.0,
            bin_count: None,
            normalize: false,
            normalize_scale: 1.0,
            remove_outliers: None,
            resampled_pixel_spacing: None,
            interpolator: InterpolatorName::BSpline,
            pre_crop: false,
            pad_distance: 5,
            texture: TextureSettings::default(),
            resegment_range: None,
            resegment_mode: ResegmentMode::Absolute,
            resegment_shape: false,
            sigma: Vec::new(),
            sigma_text: Vec::new(),
            start_level: 0,
            level: 1,
            wavelet: "coif1".to_string(),
            gradient_use_spacing: true,
            lbp2d_radius: 1.0,
            lbp2d_samples: 8,
            lbp2d_method: "uniform".to_string(),
            lbp3d_levels: 2,
            lbp3d_icosphere_radius: 1.0,
            lbp3d_icosphere_subdivision: 1,
            voxel_array_shift: 0.0,
            threads: 0,
            max_voxels: DEFAULT_MAX_VOXELS,
            max_grey_levels: DEFAULT_MAX_GREY_LEVELS,
            max_memory_mb: DEFAULT_MAX_MEMORY_MB,
        }
    }
}

/// Keys of the `setting` section (and of image-type overrides) that this library knows.
pub const SETTING_KEYS: &[&str] = &[
    "minimumROIDimensions",
    "minimumROISize",
    "geometryTolerance",
    "correctMask",
    "additionalInfo",
    "label",
    "label_channel",
    "binWidth",
    "binCount",
    "normalize",
    "normalizeScale",
    "removeOutliers",
    "resampledPixelSpacing",
    "interpolator",
    "preCrop",
    "padDistance",
    "distances",
    "force2D",
    "force2Ddimension",
    "resegmentRange",
    "resegmentMode",
    "resegmentShape",
    "sigma",
    "start_level",
    "level",
    "wavelet",
    "gradientUseSpacing",
    "lbp2DRadius",
    "lbp2DSamples",
    "lbp2DMethod",
    "lbp3DLevels",
    "lbp3DIcosphereRadius",
    "lbp3DIcosphereSubdivision",
    "voxelArrayShift",
    "symmetricalGLCM",
    "weightingNorm",
    "gldm_a",
    "threads",
    // Extensions of this library (PyRadiomics has no such limits).
    "maxVoxels",
    "maxGreyLevels",
    "maxMemoryMB",
];

/// Keys PyRadiomics knows whose behaviour this library does not provide: naming one is an error, never
/// silently ignored.
const UNSUPPORTED_KEYS: &[(&str, &str)] = &[
    ("kernelRadius", "belongs in the voxelSetting section"),
    ("maskedKernel", "belongs in the voxelSetting section"),
    ("initValue", "belongs in the voxelSetting section"),
    ("voxelBatch", "belongs in the voxelSetting section"),
];

fn bad(key: &str, what: impl std::fmt::Display) -> Error {
    Error::setting(format!("setting '{key}': {what}"))
}

fn as_bool(key: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| bad(key, format!("expected true or false, got {v}")))
}

fn as_f64(key: &str, v: &Value) -> Result<f64> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(key, format!("expected a number, got {v}")))
}

fn as_positive(key: &str, v: &Value) -> Result<f64> {
    let x = as_f64(key, v)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(bad(key, format!("must be greater than 0, got {x}")))
    }
}

fn as_int(key: &str, v: &Value) -> Result<i64> {
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    // YAML writes 2.0 for some integers; accept whole floats.
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
        _ => Err(bad(key, format!("expected a whole number, got {v}"))),
    }
}

fn as_usize(key: &str, v: &Value, min: i64) -> Result<usize> {
    let i = as_int(key, v)?;
    if i < min {
        return Err(bad(key, format!("must be at least {min}, got {i}")));
    }
    Ok(i as usize)
}

fn as_list<'a>(key: &str, v: &'a Value) -> Result<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| bad(key, format!("expected a list, got {v}")))
}

fn as_str<'a>(key: &str, v: &'a Value) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| bad(key, format!("expected a string, got {v}")))
}

impl Params {
    /// Applies the keys of a `setting` map (or an image type's overrides) on top of `self`.
    pub fn apply(&mut self, map: &Map<String, Value>) -> Result<()> {
        for (key, v) in map {
            let k = key.as_str();
            if let Some((_, why)) = UNSUPPORTED_KEYS.iter().find(|(u, _)| *u == k) {
                return Err(bad(k, why));
            }
            if !SETTING_KEYS.contains(&k) {
                return Err(Error::setting(format!(
                    "unknown setting '{k}' (known settings: {})",
                    SETTING_KEYS.join(", ")
                )));
            }
            // PyRadiomics treats an explicit null as "not set" (its default).
            if v.is_null() {
                self.reset(k);
                continue;
            }
            match k {
                "minimumROIDimensions" => {
                    let d = as_usize(k, v, 1)?;
                    if d > 3 {
                        return Err(bad(k, format!("must be 1, 2 or 3, got {d}")));
                    }
                    self.minimum_roi_dimensions = d;
                }
                "minimumROISize" => self.minimum_roi_size = Some(as_usize(k, v, 1)?),
                "geometryTolerance" => self.geometry_tolerance = as_positive(k, v)?,
                "correctMask" => self.correct_mask = as_bool(k, v)?,
                "additionalInfo" => self.additional_info = as_bool(k, v)?,
                "label" => {
                    let l = as_int(k, v)?;
                    if l <= 0 {
                        return Err(bad(k, format!("must be greater than 0, got {l}")));
                    }
                    if l > MAX_LABEL {
                        return Err(bad(
                            k,
                            format!("{l} is above 2^53 - 1 = {MAX_LABEL}: larger labels are not exactly representable as the mask's floating-point values (a label of 2^62 would also select 2^62 + 1)"),
                        ));
                    }
                    self.label = l;
                }
                "label_channel" => {
                    if as_int(k, v)? != 0 {
                        return Err(bad(
                            k,
                            "only channel 0 exists: vector-valued (multi-channel) masks are not supported",
                        ));
                    }
                }
                "maxVoxels" => self.max_voxels = as_usize(k, v, 1)?,
                "maxGreyLevels" => {
                    self.max_grey_levels = as_usize(k, v, 1)?;
                    if self.max_grey_levels > MAX_GREY_LEVELS_CEILING {
                        return Err(bad(
                            k,
                            format!(
                                "must be at most {MAX_GREY_LEVELS_CEILING}, got {}",
                                self.max_grey_levels
                            ),
                        ));
                    }
                }
                "maxMemoryMB" => self.max_memory_mb = as_usize(k, v, 1)?,
                "binWidth" => self.bin_width = as_positive(k, v)?,
                "binCount" => self.bin_count = Some(as_usize(k, v, 1)?),
                "normalize" => self.normalize = as_bool(k, v)?,
                "normalizeScale" => self.normalize_scale = as_positive(k, v)?,
                "removeOutliers" => self.remove_outliers = Some(as_positive(k, v)?),
                "resampledPixelSpacing" => {
                    let l = as_list(k, v)?;
                    if l.len() != 3 {
                        return Err(bad(
                            k,
                            format!("expected 3 values (x, y, z), got {}", l.len()),
                        ));
                    }
                    let mut s = [0.0; 3];
                    for (o, x) in s.iter_mut().zip(l) {
                        *o = as_f64(k, x)?;
                        if *o < 0.0 {
                            return Err(bad(k, format!("spacing must not be negative, got {o}")));
                        }
                    }
                    self.resampled_pixel_spacing = Some(s);
                }
                "interpolator" => {
                    self.interpolator = match v {
                        Value::String(s) => match s.as_str() {
                            "sitkNearestNeighbor" => InterpolatorName::NearestNeighbor,
                            "sitkLinear" => InterpolatorName::Linear,
                            "sitkBSpline" => InterpolatorName::BSpline,
                            "sitkGaussian" => InterpolatorName::Gaussian,
                            "sitkLabelGaussian" => InterpolatorName::LabelGaussian,
                            "sitkHammingWindowedSinc" => InterpolatorName::HammingWindowedSinc,
                            "sitkCosineWindowedSinc" => InterpolatorName::CosineWindowedSinc,
                            "sitkWelchWindowedSinc" => InterpolatorName::WelchWindowedSinc,
                            "sitkLanczosWindowedSinc" => InterpolatorName::LanczosWindowedSinc,
                            "sitkBlackmanWindowedSinc" => InterpolatorName::BlackmanWindowedSinc,
                            other => {
                                return Err(bad(
                                    k,
                                    format!("'{other}' is not supported (use sitkNearestNeighbor, sitkLinear, sitkBSpline, sitkGaussian, sitkLabelGaussian or sitk{{Hamming,Cosine,Welch,Lanczos,Blackman}}WindowedSinc)"),
                                ))
                            }
                        },
                        // SimpleITK 2's codes: 1, 2 and 4-10 as before; B-spline is 23 now, and 3 names
                        // no interpolator (PyRadiomics then fails in ResampleImageFilter).
                        _ => match as_int(k, v)? {
                            1 => InterpolatorName::NearestNeighbor,
                            2 => InterpolatorName::Linear,
                            4 => InterpolatorName::Gaussian,
                            5 => InterpolatorName::LabelGaussian,
                            6 => InterpolatorName::HammingWindowedSinc,
                            7 => InterpolatorName::CosineWindowedSinc,
                            8 => InterpolatorName::WelchWindowedSinc,
                            9 => InterpolatorName::LanczosWindowedSinc,
                            10 => InterpolatorName::BlackmanWindowedSinc,
                            23 => InterpolatorName::BSpline,
                            other => {
                                return Err(bad(
                                    k,
                                    format!("code {other} is not supported (SimpleITK codes: 1 nearest neighbour, 2 linear, 4 Gaussian, 5 label Gaussian, 6-10 windowed sincs, 23 B-spline; or give the name)"),
                                ))
                            }
                        },
                    }
                }
                "preCrop" => self.pre_crop = as_bool(k, v)?,
                "padDistance" => self.pad_distance = as_usize(k, v, 0)?,
                "distances" => {
                    let l = as_list(k, v)?;
                    if l.is_empty() {
                        return Err(bad(k, "needs at least one distance"));
                    }
                    self.texture.distances = l
                        .iter()
                        .map(|x| {
                            let d = as_usize(k, x, 1)?;
                            if d > MAX_DISTANCE {
                                return Err(bad(
                                    k,
                                    format!("a distance must be at most {MAX_DISTANCE}, got {d}"),
                                ));
                            }
                            Ok(d)
                        })
                        .collect::<Result<_>>()?;
                }
                "force2D" => self.texture.force2d = as_bool(k, v)?,
                "force2Ddimension" => {
                    let d = as_usize(k, v, 0)?;
                    if d > 2 {
                        return Err(bad(k, format!("must be 0, 1 or 2, got {d}")));
                    }
                    self.texture.force2d_dimension = d;
                }
                "resegmentRange" => {
                    let l = as_list(k, v)?;
                    if l.is_empty() || l.len() > 2 {
                        return Err(bad(k, format!("expected 1 or 2 values, got {}", l.len())));
                    }
                    self.resegment_range =
                        Some(l.iter().map(|x| as_f64(k, x)).collect::<Result<_>>()?);
                }
                "resegmentMode" => {
                    self.resegment_mode = match as_str(k, v)? {
                        "absolute" => ResegmentMode::Absolute,
                        "relative" => ResegmentMode::Relative,
                        "sigma" => ResegmentMode::Sigma,
                        other => {
                            return Err(bad(
                                k,
                                format!("'{other}' is not one of absolute, relative, sigma"),
                            ))
                        }
                    }
                }
                "resegmentShape" => self.resegment_shape = as_bool(k, v)?,
                "sigma" => {
                    let l = as_list(k, v)?;
                    self.sigma = l.iter().map(|x| as_positive(k, x)).collect::<Result<_>>()?;
                    // PyRadiomics names the image after the value as parsed: an integer stays one.
                    self.sigma_text = l
                        .iter()
                        .zip(&self.sigma)
                        .map(|(x, &s)| match x.as_i64() {
                            Some(i) => i.to_string(),
                            None => crate::filters::log::sigma_text(s),
                        })
                        .collect();
                }
                "start_level" => self.start_level = as_usize(k, v, 0)?,
                "level" => self.level = as_usize(k, v, 1)?,
                "wavelet" => {
                    let w = as_str(k, v)?;
                    // Checked here, where the parameter file is read, rather than when a wavelet image
                    // is first computed.
                    crate::filters::wavelet::decomposition_filters(w).map_err(|e| bad(k, e))?;
                    self.wavelet = w.to_string();
                }
                "gradientUseSpacing" => self.gradient_use_spacing = as_bool(k, v)?,
                "lbp2DRadius" => self.lbp2d_radius = as_positive(k, v)?,
                "lbp2DSamples" => self.lbp2d_samples = as_usize(k, v, 1)?,
                "lbp2DMethod" => {
                    let m = as_str(k, v)?;
                    if !["default", "ror", "uniform", "var"].contains(&m) {
                        return Err(bad(
                            k,
                            format!("'{m}' is not one of default, ror, uniform, var"),
                        ));
                    }
                    self.lbp2d_method = m.to_string();
                }
                "lbp3DLevels" => self.lbp3d_levels = as_usize(k, v, 1)?,
                "lbp3DIcosphereRadius" => self.lbp3d_icosphere_radius = as_positive(k, v)?,
                "lbp3DIcosphereSubdivision" => {
                    self.lbp3d_icosphere_subdivision = as_usize(k, v, 0)?
                }
                "voxelArrayShift" => self.voxel_array_shift = as_int(k, v)? as f64,
                "symmetricalGLCM" => self.texture.symmetrical_glcm = as_bool(k, v)?,
                "weightingNorm" => {
                    let s = as_str(k, v)?;
                    self.texture.weighting_norm = Some(WeightingNorm::from_name(s).ok_or_else(|| {
                        bad(
                            k,
                            format!("'{s}' is not one of manhattan, euclidean, infinity, no_weighting"),
                        )
                    })?);
                }
                "gldm_a" => self.texture.gldm_a = as_usize(k, v, 0)? as f64,
                "threads" => {
                    self.threads = as_usize(k, v, 0)?;
                    if self.threads > MAX_THREADS {
                        return Err(bad(
                            k,
                            format!("must be at most {MAX_THREADS}, got {}", self.threads),
                        ));
                    }
                }
                _ => unreachable!("every key of SETTING_KEYS is handled"),
            }
        }
        Ok(())
    }

    /// `maxMemoryMB` in bytes.
    pub fn max_memory_bytes(&self) -> usize {
        self.max_memory_mb.saturating_mul(1 << 20)
    }

    /// The discretisation: `binCount` when set, else `binWidth` (PyRadiomics' precedence).
    pub fn binning(&self) -> Binning {
        match self.bin_count {
            Some(n) => Binning::Count(n),
            None => Binning::Width(self.bin_width),
        }
    }

    /// Restores the default of one key (an explicit `null` in a parameter file).
    fn reset(&mut self, key: &str) {
        let d = Params::default();
        match key {
            "minimumROIDimensions" => self.minimum_roi_dimensions = d.minimum_roi_dimensions,
            "minimumROISize" => self.minimum_roi_size = None,
            "geometryTolerance" => self.geometry_tolerance = d.geometry_tolerance,
            "binCount" => self.bin_count = None,
            "binWidth" => self.bin_width = d.bin_width,
            "removeOutliers" => self.remove_outliers = None,
            "resampledPixelSpacing" => self.resampled_pixel_spacing = None,
            "interpolator" => self.interpolator = d.interpolator,
            "resegmentRange" => self.resegment_range = None,
            "weightingNorm" => self.texture.weighting_norm = None,
            "sigma" => {
                self.sigma.clear();
                self.sigma_text.clear();
            }
            "maxVoxels" => self.max_voxels = d.max_voxels,
            "maxGreyLevels" => self.max_grey_levels = d.max_grey_levels,
            "maxMemoryMB" => self.max_memory_mb = d.max_memory_mb,
            _ => {}
        }
    }
}

/// Which features of a class are enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every feature that is not deprecated.
    All,
    /// These features (deprecated ones allowed), in registry order on output.
    Names(Vec<String>),
}

/// An enabled image type with its effective parameters (general settings plus its overrides).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageTypeSettings {
    /// The image type.
    pub kind: ImageType,
    /// General settings with this image type's overrides applied.
    pub params: Params,
}

/// Validated extraction settings: general parameters, enabled image types and enabled features.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    doc: Map<String, Value>,
    params: Params,
    voxel: crate::voxel::VoxelParams,
    image_types: Vec<ImageTypeSettings>,
    classes: Vec<(FeatureClass, Selection)>,
    /// IBSI mode: the validated `ibsi` section, when the document has one.
    ibsi: Option<crate::ibsi::IbsiSettings>,
}

impl Default for Settings {
    /// PyRadiomics' defaults: the original image, every feature class, `binWidth` 25.
    fn default() -> Settings {
        Settings::from_value(Value::Object(Map::new())).expect("the empty document is valid")
    }
}

impl Settings {
    /// Reads a parameter file, YAML (`.yaml`, `.yml`) or JSON (`.json`; other names are read as YAML, of
    /// which JSON is a subset).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Settings> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            Settings::from_json_str(&text)
        } else {
            Settings::from_yaml_str(&text)
        };
        parsed.map_err(|e| e.context(format!("parameter file '{}'", path.display())))
    }

    /// Parses a YAML parameter document.
    pub fn from_yaml_str(text: &str) -> Result<Settings> {
        let v: Value = if text.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            crate::strict_value::from_yaml(text)
                .map_err(|e| Error::setting(format!("not a valid YAML parameter file: {e}")))?
        };
        Settings::from_value(v)
    }

    /// Parses a JSON parameter document.
    pub fn from_json_str(text: &str) -> Result<Settings> {
        let v: Value = crate::strict_value::from_json(text)
            .map_err(|e| Error::setting(format!("not a valid JSON parameter file: {e}")))?;
        Settings::from_value(v)
    }

    /// Validates a parameter document already parsed into JSON values.
    pub fn from_value(doc: Value) -> Result<Settings> {
        let doc = match doc {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => {
                return Err(Error::setting(format!(
                    "a parameter file is a mapping with imageType, featureClass and setting; got {other}"
                )))
            }
        };
        for key in doc.keys() {
            if ![
                "imageType",
                "featureClass",
                "setting",
                "voxelSetting",
                "ibsi",
            ]
            .contains(&key.as_str())
            {
                return Err(Error::setting(format!(
                    "unknown section '{key}' (sections: imageType, featureClass, setting, voxelSetting, ibsi)"
                )));
            }
        }
        let voxel = crate::voxel::VoxelParams::from_section(doc.get("voxelSetting"))?;
        let ibsi = match doc.get("ibsi") {
            None => None,
            Some(v) => {
                if let Some(other) = ["imageType", "featureClass", "setting", "voxelSetting"]
                    .iter()
                    .find(|k| doc.contains_key(**k))
                {
                    return Err(Error::setting(format!(
                        "section '{other}' cannot be combined with 'ibsi': IBSI mode has its own processing and features"
                    )));
                }
                Some(crate::ibsi::IbsiSettings::from_value(v)?)
            }
        };
        let mut params = Params::default();
        match doc.get("setting") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => params.apply(m)?,
            Some(other) => {
                return Err(Error::setting(format!(
                    "section 'setting' must be a mapping, got {other}"
                )))
            }
        }

        let mut image_types = Vec::new();
        // PyRadiomics uses the original image when the section is absent or empty.
        match doc.get("imageType") {
            None => image_types.push(ImageTypeSettings {
                kind: ImageType::Original,
                params: params.clone(),
            }),
            Some(Value::Object(m)) if m.is_empty() => image_types.push(ImageTypeSettings {
                kind: ImageType::Original,
                params: params.clone(),
            }),
            Some(Value::Object(m)) => {
                for (name, overrides) in m {
                    let kind = ImageType::from_name(name).ok_or_else(|| {
                        Error::setting(format!(
                            "unknown image type '{name}' (image types: {})",
                            ImageType::ALL.map(|t| t.name()).join(", ")
                        ))
                    })?;
                    let mut p = params.clone();
                    match overrides {
                        Value::Null => {}
                        Value::Object(o) => p
                            .apply(o)
                            .map_err(|e| e.context(format!("image type '{name}'")))?,
                        other => {
                            return Err(Error::setting(format!(
                                "image type '{name}': settings must be a mapping, got {other}"
                            )))
                        }
                    }
                    image_types.push(ImageTypeSettings { kind, params: p });
                }
            }
            Some(other) => {
                return Err(Error::setting(format!(
                    "section 'imageType' must be a mapping, got {other}"
                )))
            }
        }

        // PyRadiomics computes no LoG image at all without a sigma, silently; here that is refused.
        if image_types
            .iter()
            .any(|it| it.kind == ImageType::LoG && it.params.sigma.is_empty())
        {
            return Err(Error::setting(
                "image type 'LoG' has no sigma: give the filter widths in mm (e.g. sigma: [1.0, 3.0]) in its \
                 settings or the setting section; without one PyRadiomics computes no LoG feature",
            ));
        }

        let mut classes = Vec::new();
        // PyRadiomics enables every class, shape2D included, when the section is absent or empty.
        match doc.get("featureClass") {
            Some(Value::Object(m)) if m.is_empty() => {
                classes.extend(FeatureClass::ALL.map(|c| (c, Selection::All)));
            }
            None => {
                classes.extend(FeatureClass::ALL.map(|c| (c, Selection::All)));
            }
            Some(Value::Object(m)) => {
                for (name, sel) in m {
                    let class = FeatureClass::from_name(name).ok_or_else(|| {
                        Error::setting(format!(
                            "unknown feature class '{name}' (classes: {})",
                            FeatureClass::ALL.map(|c| c.name()).join(", ")
                        ))
                    })?;
                    let selection = match sel {
                        Value::Null => Selection::All,
                        Value::Array(a) if a.is_empty() => Selection::All,
                        Value::Array(a) => {
                            let mut names = Vec::new();
                            for f in a {
                                let f = f.as_str().ok_or_else(|| {
                                    Error::setting(format!(
                                        "feature class '{name}': feature names must be strings, got {f}"
                                    ))
                                })?;
                                names.push(f.to_string());
                            }
                            Selection::Names(names)
                        }
                        other => {
                            return Err(Error::setting(format!(
                                "feature class '{name}': expected a list of feature names or null, got {other}"
                            )))
                        }
                    };
                    classes.push((class, selection));
                }
                classes.sort_by_key(|(c, _)| *c);
            }
            Some(other) => {
                return Err(Error::setting(format!(
                    "section 'featureClass' must be a mapping, got {other}"
                )))
            }
        }
        for (class, sel) in &classes {
            if let Selection::Names(names) = sel {
                let registry = class.features();
                for n in names {
                    if !registry.iter().any(|f| f.name == n) {
                        return Err(Error::setting(format!(
                            "feature class '{}' has no feature '{n}' (features: {})",
                            class.name(),
                            registry
                                .iter()
                                .map(|f| f.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
        }
        Ok(Settings {
            doc,
            params,
            voxel,
            image_types,
            classes,
            ibsi,
        })
    }

    /// The IBSI settings when the document selects IBSI mode (an `ibsi` section), else `None`.
    pub fn ibsi(&self) -> Option<&crate::ibsi::IbsiSettings> {
        self.ibsi.as_ref()
    }

    /// The general settings.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The `voxelSetting` section: how voxel-based extraction ([`crate::voxel`]) forms its kernels.
    pub fn voxel(&self) -> &crate::voxel::VoxelParams {
        &self.voxel
    }

    /// The enabled image types, in the document's order, each with its effective settings.
    pub fn image_types(&self) -> &[ImageTypeSettings] {
        &self.image_types
    }

    /// The enabled feature classes in output order, with their feature selections.
    pub fn feature_classes(&self) -> &[(FeatureClass, Selection)] {
        &self.classes
    }

    /// The parameter document, as parsed (sections absent from the input stay absent).
    pub fn to_value(&self) -> Value {
        Value::Object(self.doc.clone())
    }

    /// Sets one key of the `setting` section (PyRadiomics name and JSON value) and re-validates the whole
    /// document; on error the settings are unchanged.
    pub fn set(&mut self, key: &str, value: Value) -> Result<()> {
        let mut doc = self.doc.clone();
        let section = doc
            .entry("setting")
            .or_insert_with(|| Value::Object(Map::new()));
        if !section.is_object() {
            *section = Value::Object(Map::new());
        }
        section
            .as_object_mut()
            .expect("setting is a mapping")
            .insert(key.to_string(), value);
        *self = Settings::from_value(Value::Object(doc))?;
        Ok(())
    }

    /// Replaces the `imageType` section (PyRadiomics form: name -> overrides) and re-validates.
    pub fn set_image_types(&mut self, image_types: Value) -> Result<()> {
        let mut doc = self.doc.clone();
        doc.insert("imageType".to_string(), image_types);
        *self = Settings::from_value(Value::Object(doc))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_pyradiomics_defaults() {
        let s = Settings::default();
        assert_eq!(s.params().binning(), Binning::Width(25.0));
        assert_eq!(s.params().label, 1);
        assert_eq!(s.params().pad_distance, 5);
        assert_eq!(s.image_types().len(), 1);
        assert_eq!(s.image_types()[0].kind, ImageType::Original);
        // No featureClass section: every class, shape2D included (computed only with force2D).
        assert_eq!(s.feature_classes().len(), 8);
    }

    #[test]
    fn an_unknown_wavelet_is_refused_when_the_settings_are_read() {
        for doc in [
            "setting: {wavelet: coif99}",
            "imageType: {Wavelet: {wavelet: haar2}}",
        ] {
            let e = Settings::from_yaml_str(doc).unwrap_err();
            assert_eq!(
                e.kind(),
                crate::error::ErrorKind::UnsupportedSetting,
                "{doc}"
            );
            assert!(e.message().contains("setting 'wavelet'"), "{e}");
            assert!(e.message().contains("unknown wavelet"), "{e}");
        }
        let s = Settings::from_yaml_str("imageType: {Wavelet: {wavelet: db2}}").unwrap();
        assert_eq!(s.image_types()[0].params.wavelet, "db2");
    }

    #[test]
    fn yaml_parameter_file() {
        let s = Settings::from_yaml_str(
            "imageType:\n  Original: {}\n  LoG: {sigma: [1.0, 2.0], binWidth: 10}\n\
             featureClass:\n  glcm: [Contrast]\n  firstorder:\n\
             setting:\n  binCount: 32\n  binWidth: 5\n  label: 2\n  weightingNorm:\n",
        )
        .unwrap();
        assert_eq!(s.params().binning(), Binning::Count(32));
        assert_eq!(s.params().label, 2);
        let log = &s.image_types()[1];
        assert_eq!(log.kind, ImageType::LoG);
        assert_eq!(log.params.sigma, vec![1.0, 2.0]);
        // binCount from the general section still wins over an image type's binWidth.
        assert_eq!(log.params.binning(), Binning::Count(32));
        assert_eq!(s.feature_classes()[0].0, FeatureClass::FirstOrder);
        assert_eq!(
            s.feature_classes()[1],
            (
                FeatureClass::Glcm,
                Selection::Names(vec!["Contrast".into()])
            )
        );
    }

    #[test]
    fn errors_name_the_key() {
        let e = Settings::from_yaml_str("setting: {binWidht: 3}").unwrap_err();
        assert!(e.message().contains("binWidht"), "{e}");
        let e = Settings::from_yaml_str("setting: {binWidth: -3}").unwrap_err();
        assert!(e.message().contains("binWidth"), "{e}");
        let e = Settings::from_yaml_str("setting: {label: abc}").unwrap_err();
        assert!(e.message().contains("label"), "{e}");
        let e = Settings::from_yaml_str("imageType: {Foo: {}}").unwrap_err();
        assert!(e.message().contains("Foo"), "{e}");
        let e = Settings::from_yaml_str("featureClass: {firstorder: [Meen]}").unwrap_err();
        assert!(e.message().contains("Meen"), "{e}");
        let e = Settings::from_yaml_str("setting: {kernelRadius: 2}").unwrap_err();
        assert!(e.message().contains("voxelSetting"), "{e}");
        let e = Settings::from_json_str("{\"setting\": {\"force2D\": 1}}").unwrap_err();
        assert!(e.message().contains("force2D"), "{e}");
    }

    #[test]
    fn set_revalidates() {
        let mut s = Settings::default();
        s.set("binWidth", Value::from(10.0)).unwrap();
        assert_eq!(s.params().binning(), Binning::Width(10.0));
        assert!(s.set("binWidth", Value::from("ten")).is_err());
        assert_eq!(s.params().binning(), Binning::Width(10.0));
    }
}
