//! # radiomics
//!
//! Quantitative features from medical images, computed as PyRadiomics 3.1.0 computes them, and models that
//! turn features into predictions; with a stable C ABI (see `include/radiomics.h`).
#![deny(missing_docs)]

pub mod error;
pub mod image;

pub use error::{Error, ErrorKind, Result};
pub use image::{Geometry, Image, Mask};
pub mod features;
pub mod learn;
pub mod numeric;
pub mod preprocess;
