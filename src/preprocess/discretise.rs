//! Grey-level discretisation, as PyRadiomics' `imageoperations.getBinEdges` and `binImage` do it.
//!
//! # Fixed bin width (`binWidth`, the default, 25)
//! Edges are multiples of the width, starting at the multiple at or below the ROI minimum:
//!
//! ```text
//! low  = min − (min mod w)          (floored modulo, as Python's %)
//! high = max + 2w
//! edges = low, low + w, low + 2w, …  (numpy.arange(low, high, w): ⌈(high − low) / w⌉ edges)
//! ```
//!
//! The edges are numpy's, not exact multiples: `arange` counts ⌈(high − low) / w⌉ edges, takes the second as
//! `low + w` and every later one as `low + i·δ` with `δ = (low + w) − low`, all rounded; a voxel exactly on
//! a multiple of the width (an integer intensity with `binWidth: 0.7`, a value clipped by
//! `removeOutliers`) falls on whichever side numpy's rounded edge leaves it.
//!
//! A single edge (a flat ROI) becomes `[e − 0.5, e + 0.5]`. IBSI instead starts the bins at the lower bound of
//! the re-segmentation range; the PyRadiomics origin is the one used here.
//!
//! # Fixed bin count (`binCount`)
//! `numpy.histogram(values, n)` edges: `n + 1` evenly spaced from min to max (min ± 0.5 when flat), with the
//! last edge raised by 1 so that the maximum falls in the top bin.
//!
//! # float32 images ([`Precision::F32`])
//! Under numpy 2 an operation between a float32 array's scalar and a Python float stays float32. PyRadiomics
//! discretises float32 arrays (LoG and gradient images always; the original, wavelet and LBP2D images of a
//! float32 input), so there `low`, `high` and `arange`'s count and second edge are float32 values (the
//! later edges are float64 from those), and `binCount` edges are numpy's float32 `linspace` plus 1 in
//! float32. Values on or near an edge then fall in the bin numpy puts them in.
//!
//! # Levels
//! A value's level is `numpy.digitize(value, edges)`: the number of edges at or below it, so the lowest
//! level is 1. Levels absent from the ROI stay absent: texture classes see gaps, as in PyRadiomics.

use ndarray::{Array3, ArrayView3, Zip};

use crate::error::{Error, Result};

/// How grey levels are formed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binning {
    /// Bins of a fixed width, aligned to multiples of the width (PyRadiomics `binWidth`).
    Width(f64),
    /// A fixed number of bins spanning the ROI's range (PyRadiomics `binCount`).
    Count(usize),
}

/// Discretised grey levels of a (cropped) ROI.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyLevels {
    /// Level of each voxel, indexed `[z, y, x]`: `1..=max_level` inside the ROI, 0 outside.
    pub levels: Array3<u32>,
    /// The largest level in the ROI (PyRadiomics' `Ng`, the matrix size before empty levels are removed).
    pub max_level: u32,
    /// The bin edges used.
    pub edges: Vec<f64>,
}

impl GreyLevels {
    /// Grey levels given directly (0 = outside the ROI), without bin edges: for matrices worked out by
    /// hand and for tests.
    pub fn from_levels(levels: Array3<u32>) -> GreyLevels {
        let max_level = levels.iter().copied().max().unwrap_or(0);
        GreyLevels {
            levels,
            max_level,
            edges: Vec::new(),
        }
    }
}

/// Bin edges for the ROI values `values` (PyRadiomics `getBinEdges`). `values` must not be empty and must be
/// finite.
pub fn bin_edges(values: &[f64], binning: Binning) -> Result<Vec<f64>> {
    bin_edges_limited(values, binning, MAX_LEVELS)
}

/// As [`bin_edges`], refusing more than `max_levels` grey levels with a
/// [`LimitExceeded`](crate::ErrorKind::LimitExceeded) error (setting `maxGreyLevels`).
pub fn bin_edges_limited(values: &[f64], binning: Binning, max_levels: usize) -> Result<Vec<f64>> {
    bin_edges_in(values, binning, max_levels, Precision::F64)
}

/// The floating-point type of the array PyRadiomics discretises, which sets the arithmetic of its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// float64 (or an integer type): edges in double precision.
    #[default]
    F64,
    /// float32: numpy computes the lowest and highest edge, the count and the step in single precision.
    F32,
}

/// As [`bin_edges_limited`], with numpy's arithmetic for an array of `precision` (the values must then be
/// representable in it).
pub fn bin_edges_in(
    values: &[f64],
    binning: Binning,
    max_levels: usize,
    precision: Precision,
) -> Result<Vec<f64>> {
    if values.is_empty() {
        return Err(Error::empty_roi("no voxel values to discretise"));
    }
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !(min.is_finite() && max.is_finite()) {
        return Err(Error::invalid(
            "the ROI holds non-finite intensities (NaN or infinity); they cannot be discretised",
        ));
    }
    match binning {
        Binning::Width(w) => {
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::setting(format!(
                    "binWidth must be a positive number, got {w}"
                )));
            }
            // low, high, the count and the second edge, as numpy.arange computes them.
            let (low, count, second) = match precision {
                Precision::F64 => {
                    let low = min - min.rem_euclid(w);
                    let high = max + 2.0 * w;
                    (low, (high - low) / w, low + w)
                }
                Precision::F32 => {
                    // A Python float meeting a float32 scalar is cast to float32 first (NEP 50).
                    let w32 = w as f32;
                    let low = min as f32 - (min as f32).rem_euclid(w32);
                    let high = max as f32 + (2.0 * w) as f32;
                    let count = (high - low) / w32;
                    (low as f64, count as f64, (low + w32) as f64)
                }
            };
            // `as usize` saturates: an infinite or huge count is caught by the limit.
            let n = count.ceil() as usize;
            if n > max_levels {
                return Err(Error::new(
                    crate::ErrorKind::LimitExceeded,
                    format!(
                        "binWidth {w:?} over the ROI range [{min:?}, {max:?}] gives {} grey levels, more than the limit of {max_levels} (setting maxGreyLevels)",
                        // The count itself, not its saturated integer.
                        if count.is_finite() { format!("{:.0}", count.ceil()) } else { "infinitely many".to_string() }
                    ),
                ));
            }
            // numpy's fill: edge i (i ≥ 2) is low + i·δ, δ = second − low, in float64.
            let delta = second - low;
            let mut edges: Vec<f64> = (0..n)
                .map(|i| match i {
                    0 => low,
                    1 => second,
                    _ => low + i as f64 * delta,
                })
                .collect();
            if edges.len() == 1 {
                let e = edges[0];
                edges = vec![e - 0.5, e + 0.5];
            }
            Ok(edges)
        }
        Binning::Count(n) => {
            if n == 0 {
                return Err(Error::setting("binCount must be at least 1"));
            }
            if n > max_levels {
                return Err(Error::new(
                    crate::ErrorKind::LimitExceeded,
                    format!(
                        "binCount {n} exceeds the limit of {max_levels} grey levels (setting maxGreyLevels)"
                    ),
                ));
            }
            if precision == Precision::F32 {
                // numpy.histogram of a float32 array: float32 linspace, then + 1 in float32.
                let (lo, hi) = if min == max {
                    (min as f32 - 0.5, max as f32 + 0.5)
                } else {
                    (min as f32, max as f32)
                };
                let step = (hi - lo) / n as f32;
                let mut edges: Vec<f64> = (0..=n).map(|i| (i as f32 * step + lo) as f64).collect();
                edges[n] = (hi + 1.0) as f64;
                return Ok(edges);
            }
            let (lo, hi) = if min == max {
                (min - 0.5, max + 0.5)
            } else {
                (min, max)
            };
            // numpy.linspace(lo, hi, n + 1): start + i * step, the last edge exactly `hi`.
            let step = (hi - lo) / n as f64;
            let mut edges: Vec<f64> = (0..=n).map(|i| i as f64 * step + lo).collect();
            edges[n] = hi + 1.0;
            Ok(edges)
        }
    }
}

/// The most grey levels a discretisation may produce by default (setting `maxGreyLevels`); more is an
/// error, not an attempted allocation.
pub const MAX_LEVELS: usize = 1 << 16;

/// `numpy.digitize(value, edges)` for ascending edges: how many edges are at or below `value`.
pub fn digitize(value: f64, edges: &[f64]) -> u32 {
    edges.partition_point(|&e| e <= value) as u32
}

/// Discretises the ROI voxels of `image` (PyRadiomics `binImage` with ROI coordinates).
pub fn discretise(
    image: ArrayView3<'_, f64>,
    roi: ArrayView3<'_, bool>,
    binning: Binning,
) -> Result<GreyLevels> {
    discretise_limited(image, roi, binning, MAX_LEVELS)
}

/// As [`discretise`], with at most `max_levels` grey levels (see [`bin_edges_limited`]).
pub fn discretise_limited(
    image: ArrayView3<'_, f64>,
    roi: ArrayView3<'_, bool>,
    binning: Binning,
    max_levels: usize,
) -> Result<GreyLevels> {
    discretise_in(image, roi, binning, max_levels, Precision::F64)
}

/// As [`discretise_limited`], with the edges numpy computes for an array of `precision`.
pub fn discretise_in(
    image: ArrayView3<'_, f64>,
    roi: ArrayView3<'_, bool>,
    binning: Binning,
    max_levels: usize,
    precision: Precision,
) -> Result<GreyLevels> {
    let values: Vec<f64> = image
        .iter()
        .zip(roi.iter())
        .filter_map(|(&v, &m)| m.then_some(v))
        .collect();
    let edges = bin_edges_in(&values, binning, max_levels, precision)?;
    let mut levels = Array3::<u32>::zeros(image.raw_dim());
    let mut max_level = 0;
    Zip::from(&mut levels)
        .and(image)
        .and(roi)
        .for_each(|l, &v, &m| {
            if m {
                *l = digitize(v, &edges);
                max_level = max_level.max(*l);
            }
        });
    Ok(GreyLevels {
        levels,
        max_level,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_edges_start_at_a_multiple_below_the_minimum() {
        let e = bin_edges(&[-7.0, 3.0, 51.0], Binning::Width(25.0)).unwrap();
        assert_eq!(e, vec![-25.0, 0.0, 25.0, 50.0, 75.0, 100.0]);
        assert_eq!(digitize(-7.0, &e), 1);
        assert_eq!(digitize(0.0, &e), 2);
        assert_eq!(digitize(51.0, &e), 4);
    }

    #[test]
    fn flat_roi_gets_one_level() {
        let e = bin_edges(&[10.0, 10.0], Binning::Width(25.0)).unwrap();
        // low = 0, high = 60: edges 0, 25, 50 -> 10 is level 1.
        assert_eq!(digitize(10.0, &e), 1);
        let e = bin_edges(&[4.0, 4.0], Binning::Count(8)).unwrap();
        assert_eq!(e.len(), 9);
        assert_eq!(digitize(4.0, &e), 5);
    }

    #[test]
    fn count_edges_put_the_maximum_in_the_top_bin() {
        let e = bin_edges(&[0.0, 1.0, 2.0, 3.0], Binning::Count(3)).unwrap();
        assert_eq!(digitize(0.0, &e), 1);
        assert_eq!(digitize(3.0, &e), 3);
    }

    #[test]
    fn bad_binning_is_an_error() {
        assert!(bin_edges(&[1.0], Binning::Width(0.0)).is_err());
        assert!(bin_edges(&[1.0], Binning::Count(0)).is_err());
        assert!(bin_edges(&[f64::NAN], Binning::Count(2)).is_err());
        let err = bin_edges(&[0.0, 1e9], Binning::Width(1.0)).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded);
    }
}
