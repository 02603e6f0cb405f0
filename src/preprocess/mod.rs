//! Preparing an image for feature classes: cropping to the ROI, discretising grey levels.

pub mod discretise;
pub mod label;
pub mod normalise;
pub mod resample;
pub mod resegment;
pub mod roi;

pub use discretise::{bin_edges, discretise, Binning, GreyLevels};
