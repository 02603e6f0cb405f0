//! Filtered image types (PyRadiomics `imageType`): each derives an image from the original.

pub mod log;
