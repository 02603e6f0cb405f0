//! Preparing an image for feature classes: cropping to the ROI, discretising grey levels.

pub mod discretise;
pub mod kernels;
pub mod resample;

pub use discretise::{bin_edges, discretise, Binning, GreyLevels};
