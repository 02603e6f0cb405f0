//! The processing stages that prepare an image and its ROI for the feature classes, each a plain function
//! over plain data. Two pipelines compose them: the PyRadiomics pipeline ([`crate::extract`], the default,
//! and [`crate::voxel`] for voxel maps) and the IBSI 1 pipeline ([`crate::ibsi`], whose own stages are in
//! [`crate::ibsi::stages`]).
//!
//! | Stage | Where | PyRadiomics | IBSI |
//! |---|---|---|---|
//! | label selection | [`label::select_label`] | yes | yes (shared entry) |
//! | volume limits (`maxVoxels`, `maxMemoryMB`) | `roi::check_volume` | yes | yes (input volumes) |
//! | grid check | [`crate::image::check_same_grid`] | yes | yes |
//! | mask correction onto the image grid | `roi::correct_mask` | `correctMask` | — |
//! | normalisation | [`normalise::normalize`] | `normalize` | — |
//! | resampling | [`resample`] | `resampledPixelSpacing` | — |
//! | interpolation to a centre-aligned grid | [`crate::ibsi::stages::interpolate`] | — | yes |
//! | intensity rounding | [`crate::ibsi::stages::round_intensities`] | — | yes |
//! | ROI interpolation, partial-volume threshold | [`crate::ibsi::stages::threshold_roi`] | — | yes |
//! | ROI checks and bounding box | [`roi::check_roi`] | `checkMask` | non-empty ROI only |
//! | cropping to the box (with a margin) | `roi::crop3`, `roi::crop_mask`, [`crate::filters::filter_region`] | yes | yes |
//! | range re-segmentation | [`resegment::in_range`] | `resegmentRange` via [`resegment::resegment`] (absolute, relative, sigma) | yes |
//! | outlier filtering (μ ± nσ) | [`resegment::filter_outliers`] | — | yes |
//! | finite intensities in the ROI | `roi::check_finite` | yes | — |
//! | discretisation | [`discretise`](mod@discretise) (PyRadiomics' bin edges) | yes | — |
//! | discretisation with IBSI's bin origin | [`crate::ibsi::stages::discretise`] | — | yes |
//! | texture matrix memory limit | `roi::check_texture_memory` | yes | — |

pub mod discretise;
pub mod label;
pub mod normalise;
pub mod resample;
pub mod resegment;
pub mod roi;

pub use discretise::{bin_edges, discretise, Binning, GreyLevels};
