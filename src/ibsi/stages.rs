//! The image processing stages of IBSI 1 (manual, chapter "Image processing"), each a plain function:
//! interpolation to a centre-aligned grid, intensity rounding, ROI interpolation with a partial-volume
//! threshold, range re-segmentation, outlier filtering and discretisation (fixed bin number, fixed bin
//! size with its bin origin).
//!
//! Range re-segmentation and outlier filtering are the shared stages of [`crate::preprocess::resegment`],
//! re-exported here; the others are IBSI's own (see the table in [`crate::preprocess`]).

use ndarray::{Array3, ArrayView3, Axis};

use crate::error::{Error, Result};
use crate::preprocess::resample::bspline_coefficients;

/// One axis of an interpolation grid in the original grid's coordinates (original voxel k at k).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisGrid {
    /// Number of points n_b.
    pub n: usize,
    /// Position of the first point, x_b,g.
    pub first: f64,
    /// Distance between points, s_b / s_a.
    pub step: f64,
}

impl AxisGrid {
    /// Position of point `k` in original grid coordinates.
    pub fn at(&self, k: usize) -> f64 {
        self.first + k as f64 * self.step
    }
}

/// IBSI's "align grid centres" grid along one axis (manual: interpolation grid dimensions 026Q and
/// position QCY4): `n_b = ⌈n_a s_a / s_b⌉` points spaced `s_b / s_a` apart in grid coordinates, the first
/// at `x_b,g = ½ (n_a − 1 − (s_b / s_a)(n_b − 1))`, so that both grids share their centre.
pub fn centred_grid(n_a: usize, s_a: f64, s_b: f64) -> AxisGrid {
    // The ratio is rounded to 12 significant digits before the ceiling, so that 5 × 0.977 / 0.977 is 5
    // and not 5.000000000000001.
    let ratio = n_a as f64 * s_a / s_b;
    let n = ((ratio * 1e12).round() / 1e12).ceil().max(1.0) as usize;
    let step = s_b / s_a;
    AxisGrid {
        n,
        first: 0.5 * (n_a as f64 - 1.0 - step * (n as f64 - 1.0)),
        step,
    }
}

/// Image interpolators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// Nearest neighbour.
    Nearest,
    /// (Tri)linear.
    Linear,
    /// Cubic B-spline (tricubic spline), on the prefiltered coefficients.
    Cubic,
}

impl Interpolation {
    /// From a parameter-file name: `nearest`, `linear`, `cubic`.
    pub fn from_name(name: &str) -> Option<Interpolation> {
        match name {
            "nearest" => Some(Interpolation::Nearest),
            "linear" => Some(Interpolation::Linear),
            "cubic" => Some(Interpolation::Cubic),
            _ => None,
        }
    }
}

/// Weights and source indices of one output sample at position `c` along an axis of `n` samples, with
/// the position first clamped into [0, n − 1]: beyond the edge the grid is padded with its boundary
/// values (nearest-boundary extrapolation, as the manual recommends).
fn taps(c: f64, n: usize, method: Interpolation) -> Vec<(usize, f64)> {
    let c = c.clamp(0.0, (n - 1) as f64);
    match method {
        Interpolation::Nearest => vec![(((c + 0.5).floor() as usize).min(n - 1), 1.0)],
        Interpolation::Linear => {
            let i = (c.floor() as usize).min(n.saturating_sub(2));
            let t = c - i as f64;
            if n == 1 {
                vec![(0, 1.0)]
            } else {
                vec![(i, 1.0 - t), (i + 1, t)]
            }
        }
        Interpolation::Cubic => {
            if n == 1 {
                return vec![(0, 1.0)];
            }
            let first = c.floor() as i64 - 1;
            let t = c - (first + 1) as f64;
            let w3 = t * t * t / 6.0;
            let w0 = 1.0 / 6.0 + 0.5 * t * (t - 1.0) - w3;
            let w2 = t + w0 - 2.0 * w3;
            let w1 = 1.0 - w0 - w2 - w3;
            let mirror = |k: i64| -> usize {
                let period = 2 * n as i64 - 2;
                let mut k = k.rem_euclid(period);
                if k >= n as i64 {
                    k = period - k;
                }
                k as usize
            };
            [w0, w1, w2, w3]
                .iter()
                .enumerate()
                .map(|(k, &w)| (mirror(first + k as i64), w))
                .collect()
        }
    }
}

/// Resamples `data` (indexed `[z, y, x]`) at the positions `grid` gives per axis (x, y, z order, in the
/// data's grid coordinates), separably: along x, then y, then z. Linear and nearest interpolation are
/// exactly separable; the cubic B-spline is applied to its coefficients, which are separable too.
pub fn interpolate(
    data: ArrayView3<'_, f64>,
    positions: [&[f64]; 3],
    method: Interpolation,
) -> Array3<f64> {
    let mut cur = match method {
        Interpolation::Cubic => bspline_coefficients(data),
        _ => data.to_owned(),
    };
    for (axis_xyz, pos) in positions.iter().enumerate() {
        let axis = 2 - axis_xyz;
        let n = cur.len_of(Axis(axis));
        let taps: Vec<Vec<(usize, f64)>> = pos.iter().map(|&c| taps(c, n, method)).collect();
        let mut shape = [cur.dim().0, cur.dim().1, cur.dim().2];
        shape[axis] = pos.len();
        let mut out = Array3::<f64>::zeros(shape);
        for (src, mut dst) in cur
            .lanes(Axis(axis))
            .into_iter()
            .zip(out.lanes_mut(Axis(axis)))
        {
            for (o, t) in dst.iter_mut().zip(&taps) {
                *o = t.iter().map(|&(i, w)| w * src[i]).sum();
            }
        }
        cur = out;
    }
    cur
}

/// Rounds every intensity to the nearest integer (manual 68QD; halves away from zero).
pub fn round_intensities(data: &mut Array3<f64>) {
    data.mapv_inplace(f64::round);
}

/// Binarises an interpolated ROI mask at the partial-volume threshold δ (manual E8H9): a voxel is in the
/// ROI when its interpolated value is at least δ. Values within 1e-9 below δ count as δ, so that a
/// fraction that is exactly δ in exact arithmetic is not lost to rounding.
pub fn threshold_roi(interpolated: ArrayView3<'_, f64>, delta: f64) -> Array3<bool> {
    interpolated.mapv(|v| v >= delta - 1e-9)
}

// Range re-segmentation (manual USB3) and outlier filtering (manual 7ACA) are the shared stages.
pub use crate::preprocess::resegment::{filter_outliers, in_range as resegment_range};

/// A discretisation of the intensity mask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discretisation {
    /// Fixed bin number (K15C): Ng bins between the ROI minimum and maximum.
    Count(usize),
    /// Fixed bin size (Q3RU): bins of this width from the bin origin.
    Width(f64),
    /// No discretisation: the intensities are the levels (they must be positive integers).
    None,
}

/// Discretised levels (1..=Ng inside the ROI, 0 outside) and Ng.
///
/// ```text
/// FBN   X_d = ⌊Ng (X − X_min) / (X_max − X_min)⌋ + 1, and Ng at X = X_max      (ROI minimum and maximum)
/// FBS   X_d = ⌊(X − X_min) / w⌋ + 1, X_min the lower bound of the re-segmentation range if there is
///       one, else the ROI minimum; Ng = the largest level in the ROI
/// ```
pub fn discretise(
    image: ArrayView3<'_, f64>,
    roi: ArrayView3<'_, bool>,
    method: Discretisation,
    origin: Option<f64>,
) -> Result<(Array3<u32>, usize)> {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for (&v, &m) in image.iter().zip(roi.iter()) {
        if m {
            min = min.min(v);
            max = max.max(v);
        }
    }
    if !min.is_finite() {
        return Err(Error::empty_roi("the intensity mask is empty"));
    }
    let levels = match method {
        Discretisation::Count(ng) => {
            let span = max - min;
            ndarray::Zip::from(image).and(roi).map_collect(|&v, &m| {
                if !m {
                    0
                } else if v >= max || span == 0.0 {
                    if span == 0.0 {
                        1
                    } else {
                        ng as u32
                    }
                } else {
                    ((ng as f64 * (v - min) / span).floor() as u32 + 1).min(ng as u32)
                }
            })
        }
        Discretisation::Width(w) => {
            let origin = origin.unwrap_or(min);
            if min < origin {
                return Err(Error::invalid(format!(
                    "fixed bin size: an ROI intensity ({min}) lies below the bin origin {origin}"
                )));
            }
            ndarray::Zip::from(image).and(roi).map_collect(|&v, &m| {
                if m {
                    ((v - origin) / w).floor() as u32 + 1
                } else {
                    0
                }
            })
        }
        Discretisation::None => {
            if min < 1.0
                || image
                    .iter()
                    .zip(roi.iter())
                    .any(|(&v, &m)| m && v.fract() != 0.0)
            {
                return Err(Error::invalid(
                    "discretisation 'none' needs positive integer intensities in the ROI",
                ));
            }
            ndarray::Zip::from(image)
                .and(roi)
                .map_collect(|&v, &m| if m { v as u32 } else { 0 })
        }
    };
    let top = levels.iter().copied().max().unwrap_or(0) as usize;
    let ng = match method {
        Discretisation::Count(ng) => ng,
        _ => top,
    };
    if ng > (1 << 16) {
        return Err(Error::new(
            crate::ErrorKind::LimitExceeded,
            format!("the discretisation gives {ng} grey levels; at most 65536 are allowed"),
        ));
    }
    Ok((levels, ng))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_grid_matches_the_manual_example() {
        // Manual: a 4-voxel axis of 3 mm resampled to 2 mm gives 6 points, centred.
        let g = centred_grid(4, 3.0, 2.0);
        assert_eq!(g.n, 6);
        // Centre of the original grid: 1.5; of the new one: first + 2.5 · (2/3).
        assert!((g.first + 2.5 * g.step - 1.5).abs() < 1e-12);
        assert!((g.first - (0.5 * (3.0 - 2.0 / 3.0 * 5.0))).abs() < 1e-12);
        // In world terms the new origin is x_a + (s_a (n_a − 1) − s_b (n_b − 1)) / 2 = −0.5 mm.
        assert!((g.first * 3.0 - (3.0 * 3.0 - 2.0 * 5.0) / 2.0).abs() < 1e-12);
        // The CT phantom in-plane: 204 voxels of 0.977 mm to 2 mm: ⌈99.65⌉ = 100 points.
        assert_eq!(centred_grid(204, 0.977, 2.0).n, 100);
        // Same spacing: the same grid.
        let same = centred_grid(60, 3.0, 3.0);
        assert_eq!((same.n, same.first, same.step), (60, 0.0, 1.0));
    }

    #[test]
    fn linear_interpolation_is_exact_on_ramps_and_pads_with_edges() {
        let data = Array3::from_shape_fn((1, 1, 4), |(_, _, x)| 10.0 * x as f64);
        let out = interpolate(
            data.view(),
            [&[-0.5, 0.25, 1.5, 3.0, 3.7], &[0.0], &[0.0]],
            Interpolation::Linear,
        );
        assert_eq!(out.as_slice().unwrap(), &[0.0, 2.5, 15.0, 30.0, 30.0]);
    }

    #[test]
    fn cubic_interpolation_reproduces_samples_and_ramps() {
        // A cubic B-spline reproduces its samples everywhere and a ramp away from the mirrored edges
        // (where the mirror image of a ramp is not a ramp, the coefficients differ by ~0.27^distance).
        let data = Array3::from_shape_fn((1, 1, 40), |(_, _, x)| {
            3.0 * x as f64 - 1.0 + (x % 3) as f64
        });
        let samples: Vec<f64> = (0..40).map(f64::from).collect();
        let out = interpolate(
            data.view(),
            [&samples, &[0.0], &[0.0]],
            Interpolation::Cubic,
        );
        // The prefilter's causal start is truncated at a 1e-10 tail (as ITK's): samples come back to ~1e-9.
        for (o, d) in out.iter().zip(data.iter()) {
            assert!((o - d).abs() < 1e-8, "{o} vs {d}");
        }
        let ramp = Array3::from_shape_fn((1, 1, 40), |(_, _, x)| 3.0 * x as f64 - 1.0);
        let pos = [15.0, 17.5, 20.25, 24.9];
        let out = interpolate(ramp.view(), [&pos, &[0.0], &[0.0]], Interpolation::Cubic);
        for (o, p) in out.iter().zip(&pos) {
            assert!((o - (3.0 * p - 1.0)).abs() < 1e-8, "{o} at {p}");
        }
    }

    #[test]
    fn roi_threshold_and_resegmentation() {
        let m = Array3::from_shape_vec((1, 1, 4), vec![0.2, 0.5, 0.4999999999999, 0.9]).unwrap();
        let r = threshold_roi(m.view(), 0.5);
        assert_eq!(r.as_slice().unwrap(), &[false, true, true, true]);
        let img = Array3::from_shape_vec((1, 1, 4), vec![-600.0, -500.0, 400.0, 401.0]).unwrap();
        let all = Array3::from_elem((1, 1, 4), true);
        let kept = resegment_range(img.view(), all.view(), -500.0, Some(400.0));
        assert_eq!(kept.as_slice().unwrap(), &[false, true, true, false]);
        let open = resegment_range(img.view(), all.view(), -500.0, None);
        assert_eq!(open.as_slice().unwrap(), &[false, true, true, true]);
    }

    #[test]
    fn outliers_beyond_three_sd_leave_the_mask() {
        let mut v = vec![0.0; 99];
        v.push(1000.0);
        let img = Array3::from_shape_vec((1, 1, 100), v).unwrap();
        let all = Array3::from_elem((1, 1, 100), true);
        let kept = filter_outliers(img.view(), all.view(), 3.0);
        assert_eq!(kept.iter().filter(|&&k| k).count(), 99);
        assert!(!kept[[0, 0, 99]]);
    }

    #[test]
    fn fixed_bin_number_and_size_follow_the_manual() {
        let img =
            Array3::from_shape_vec((1, 1, 5), vec![-500.0, -476.0, -475.0, 0.0, 400.0]).unwrap();
        let all = Array3::from_elem((1, 1, 5), true);
        // FBS 25 from the re-segmentation bound −500: ⌊(X + 500) / 25⌋ + 1.
        let (l, ng) = discretise(
            img.view(),
            all.view(),
            Discretisation::Width(25.0),
            Some(-500.0),
        )
        .unwrap();
        assert_eq!(l.as_slice().unwrap(), &[1, 1, 2, 21, 37]);
        assert_eq!(ng, 37);
        // FBN 32 between −500 and 400; the maximum takes the last bin.
        let (l, ng) = discretise(img.view(), all.view(), Discretisation::Count(32), None).unwrap();
        assert_eq!(ng, 32);
        assert_eq!(l[[0, 0, 0]], 1);
        assert_eq!(l[[0, 0, 3]], (32.0f64 * 500.0 / 900.0).floor() as u32 + 1);
        assert_eq!(l[[0, 0, 4]], 32);
        // An intensity below the origin is an error.
        assert!(discretise(
            img.view(),
            all.view(),
            Discretisation::Width(25.0),
            Some(-400.0)
        )
        .is_err());
    }
}
