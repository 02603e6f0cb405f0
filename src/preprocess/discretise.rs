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
//! A single edge (a flat ROI) becomes `[e − 0.5, e + 0.5]`. IBSI instead starts the bins at the lower bound of
//! the re-segmentation range; the PyRadiomics origin is the one used here.
//!
//! # Fixed bin count (`binCount`)
//! `numpy.histogram(values, n)` edges: `n + 1` evenly spaced from min to max (min ± 0.5 when flat), with the
//! last edge raised by 1 so that the maximum falls in the top bin.
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
            let low = min - min.rem_euclid(w);
            let high = max + 2.0 * w;
            // `as usize` saturates: an infinite or huge count is caught by the limit.
            let n = ((high - low) / w).ceil() as usize;
            if n > max_levels {
                return Err(Error::new(
                    crate::ErrorKind::LimitExceeded,
                    format!(
                        "binWidth {w:?} over the ROI range [{min:?}, {max:?}] gives {n} grey levels, more than the limit of {max_levels} (setting maxGreyLevels)"
                    ),
                ));
            }
            let mut edges: Vec<f64> = (0..n).map(|i| low + i as f64 * w).collect();
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
    let values: Vec<f64> = image
        .iter()
        .zip(roi.iter())
        .filter_map(|(&v, &m)| m.then_some(v))
        .collect();
    let edges = bin_edges_limited(&values, binning, max_levels)?;
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
