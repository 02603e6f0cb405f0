//! # radiomics
//!
//! Quantitative features from medical images, computed as PyRadiomics 3.1.0 computes them, and models that
//! turn features into predictions; with a stable C ABI (see `include/radiomics.h`).
#![deny(missing_docs)]

pub mod capi;
pub mod error;
pub mod extract;
pub mod features;
pub mod image;
pub mod numeric;
pub mod preprocess;
pub mod settings;
pub mod synthetic;

pub use error::{Error, ErrorKind, Result};
pub use extract::{Extractor, Features};
pub use image::{Geometry, Image, Mask};
pub use settings::Settings;
