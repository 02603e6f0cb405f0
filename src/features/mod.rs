//! Feature classes, as PyRadiomics defines them, and the registry of their names and order.
//!
//! Every class module has the same shape:
//! - `FEATURES`: the class's features in PyRadiomics' output order (an ASCII sort of the method names, not
//!   the documentation's numbering), each with its IBSI code where one exists and whether it is deprecated;
//! - `compute(...) -> Vec<f64>`: every feature of `FEATURES`, in that order.
//!
//! Kernels take plain arrays (indexed `[z, y, x]`, cropped to the ROI's bounding box) and plain settings;
//! they read no files and parse no settings.

pub mod firstorder;
pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
pub mod ngtdm;
pub mod shape;
pub mod shape2d;
pub mod texture;

/// How the texture classes look at the ROI (PyRadiomics' texture settings).
#[derive(Debug, Clone, PartialEq)]
pub struct TextureSettings {
    /// Chebyshev distances of the neighbours compared (`distances`, default `[1]`).
    pub distances: Vec<usize>,
    /// Count each GLCM pair in both directions (`symmetricalGLCM`, default true).
    pub symmetrical_glcm: bool,
    /// How GLCM/GLRLM matrices of different angles are combined (`weightingNorm`, default none: features
    /// are computed per angle and averaged).
    pub weighting_norm: Option<WeightingNorm>,
    /// Coarseness of the dependence criterion |i − j| ≤ α (`gldm_a`, default 0).
    pub gldm_a: f64,
    /// Compute texture slice by slice (`force2D`, default false).
    pub force2d: bool,
    /// The array dimension normal to the slices when `force2d` (`force2Ddimension`, 0 = z, the default).
    pub force2d_dimension: usize,
}

impl Default for TextureSettings {
    fn default() -> TextureSettings {
        TextureSettings {
            distances: vec![1],
            symmetrical_glcm: true,
            weighting_norm: None,
            gldm_a: 0.0,
            force2d: false,
            force2d_dimension: 0,
        }
    }
}

impl TextureSettings {
    /// The plane restriction for [`texture::angles`].
    pub fn plane(&self) -> Option<usize> {
        self.force2d.then_some(self.force2d_dimension)
    }
}

/// PyRadiomics' `weightingNorm`: angle matrices are weighted by the norm of their offset (in mm) and summed
/// into one matrix before features are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingNorm {
    /// weight exp(−‖d‖₁²)
    Manhattan,
    /// weight exp(−‖d‖₂²)
    Euclidean,
    /// weight exp(−‖d‖∞²)
    Infinity,
    /// weight 1: the matrices are summed
    NoWeighting,
}

impl WeightingNorm {
    /// The norm of a PyRadiomics `weightingNorm` value.
    pub fn from_name(name: &str) -> Option<WeightingNorm> {
        Some(match name {
            "manhattan" => WeightingNorm::Manhattan,
            "euclidean" => WeightingNorm::Euclidean,
            "infinity" => WeightingNorm::Infinity,
            "no_weighting" => WeightingNorm::NoWeighting,
            _ => return None,
        })
    }
}

/// A feature's name and properties, one row of a class's registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureInfo {
    /// PyRadiomics' name within its class (`Contrast` for `original_glcm_Contrast`).
    pub name: &'static str,
    /// The IBSI permanent identifier, or `""` when the feature has no IBSI counterpart.
    pub ibsi: &'static str,
    /// Deprecated features are off when a class is enabled as a whole, but may be named explicitly.
    pub deprecated: bool,
}

impl FeatureInfo {
    /// A feature that is not deprecated.
    pub const fn new(name: &'static str, ibsi: &'static str) -> FeatureInfo {
        FeatureInfo {
            name,
            ibsi,
            deprecated: false,
        }
    }

    /// A deprecated feature.
    pub const fn deprecated(name: &'static str, ibsi: &'static str) -> FeatureInfo {
        FeatureInfo {
            name,
            ibsi,
            deprecated: true,
        }
    }
}

/// The feature classes, in the order PyRadiomics emits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeatureClass {
    /// 3D shape (mesh- and voxel-based), on the mask only.
    Shape,
    /// 2D shape, for single-slice masks.
    Shape2D,
    /// First-order intensity statistics.
    FirstOrder,
    /// Grey level co-occurrence matrix.
    Glcm,
    /// Grey level dependence matrix.
    Gldm,
    /// Grey level run length matrix.
    Glrlm,
    /// Grey level size zone matrix.
    Glszm,
    /// Neighbouring grey tone difference matrix.
    Ngtdm,
}

impl FeatureClass {
    /// Every class, in output order.
    pub const ALL: [FeatureClass; 8] = [
        FeatureClass::Shape,
        FeatureClass::Shape2D,
        FeatureClass::FirstOrder,
        FeatureClass::Glcm,
        FeatureClass::Gldm,
        FeatureClass::Glrlm,
        FeatureClass::Glszm,
        FeatureClass::Ngtdm,
    ];

    /// PyRadiomics' name of the class (`firstorder`, `glcm`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FeatureClass::Shape => "shape",
            FeatureClass::Shape2D => "shape2D",
            FeatureClass::FirstOrder => "firstorder",
            FeatureClass::Glcm => "glcm",
            FeatureClass::Gldm => "gldm",
            FeatureClass::Glrlm => "glrlm",
            FeatureClass::Glszm => "glszm",
            FeatureClass::Ngtdm => "ngtdm",
        }
    }

    /// The class of a PyRadiomics class name.
    pub fn from_name(name: &str) -> Option<FeatureClass> {
        FeatureClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The class's registry: its features in output order.
    pub fn features(self) -> &'static [FeatureInfo] {
        match self {
            FeatureClass::Shape => shape::FEATURES,
            FeatureClass::Shape2D => shape2d::FEATURES,
            FeatureClass::FirstOrder => firstorder::FEATURES,
            FeatureClass::Gldm => gldm::FEATURES,
            FeatureClass::Glszm => glszm::FEATURES,
            FeatureClass::Ngtdm => ngtdm::FEATURES,
            FeatureClass::Glcm => glcm::FEATURES,
            FeatureClass::Glrlm => glrlm::FEATURES,
        }
    }

    /// True for classes computed from the mask alone (computed once, not per image type).
    pub fn is_shape(self) -> bool {
        matches!(self, FeatureClass::Shape | FeatureClass::Shape2D)
    }
}
