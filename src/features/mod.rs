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

    /// The class's registry, or `None` while the class is not implemented.
    pub fn features(self) -> Option<&'static [FeatureInfo]> {
        match self {
            FeatureClass::FirstOrder => Some(firstorder::FEATURES),
            _ => None,
        }
    }

    /// True for classes computed from the mask alone (computed once, not per image type).
    pub fn is_shape(self) -> bool {
        matches!(self, FeatureClass::Shape | FeatureClass::Shape2D)
    }
}
