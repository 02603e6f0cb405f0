//! # radiomics
//!
//! Quantitative features from medical images, computed as PyRadiomics 3.1.0 computes them, and models that
//! turn features into predictions; with a stable C ABI (see `include/radiomics.h`).
#![deny(missing_docs)]

pub mod batch;
pub mod capi;
pub mod case;
pub mod diagnostics;
pub mod dti;
pub mod error;
pub mod extract;
pub mod features;
pub mod filters;
pub mod ibsi;
pub mod ignored;
pub mod image;
pub mod learn;
pub mod limits;
mod linalg;
pub mod numeric;
pub mod preprocess;
pub mod progress;
pub mod pyradiomics_batch;
pub mod settings;
mod strict_value;
pub mod study;
pub mod synthetic;
pub mod voxel;

pub use error::{Error, ErrorKind, Result};
pub use extract::{Extractor, Features, Timings};
pub use image::{Geometry, Image, Mask};
pub use settings::Settings;
