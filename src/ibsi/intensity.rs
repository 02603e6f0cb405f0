//! IBSI 1 intensity families: local intensity (`loc_`), intensity-based statistics (`stat_`), the
//! intensity histogram (`ih_`) and the intensity-volume histogram (`ivh_`).
//!
//! Percentiles are numpy's default (linear between order statistics), as the reference implementations
//! compute them; the manual leaves the definition open and the CT tolerances cover the choice.

use ndarray::ArrayView3;

use crate::numeric::percentile_sorted;

/// Local intensity feature tags.
pub const LOC_NAMES: [&str; 2] = ["peak_loc", "peak_glob"];

/// Local and global intensity peak: the mean intensity of the image voxels whose centres lie within
/// r = ∛(3 / 4π) cm ≈ 6.2 mm of a voxel centre (the sphere of 1 cm³), for the voxel(s) of the largest
/// intensity in the ROI (local; the largest such mean when several voxels share the maximum) and for
/// every ROI voxel (global; the largest mean). The sphere reads every voxel of the image, in the ROI or
/// not; voxels beyond the image do not exist and do not count.
///
/// `spacing` is (x, y, z) in mm; `image` and `roi` are indexed `[z, y, x]`.
pub fn local_intensity(
    image: ArrayView3<'_, f64>,
    roi: ArrayView3<'_, bool>,
    spacing: [f64; 3],
) -> Vec<f64> {
    let r = 10.0 * (3.0 / (4.0 * std::f64::consts::PI)).cbrt();
    let (nz, ny, nx) = image.dim();
    let reach = [
        (r / spacing[2]).floor() as isize,
        (r / spacing[1]).floor() as isize,
        (r / spacing[0]).floor() as isize,
    ];
    let mut offsets = Vec::new();
    for dz in -reach[0]..=reach[0] {
        for dy in -reach[1]..=reach[1] {
            for dx in -reach[2]..=reach[2] {
                let d2 = (dz as f64 * spacing[2]).powi(2)
                    + (dy as f64 * spacing[1]).powi(2)
                    + (dx as f64 * spacing[0]).powi(2);
                // A small allowance so that centres exactly on the sphere count whatever the rounding.
                if d2 <= r * r * (1.0 + 1e-12) {
                    offsets.push([dz, dy, dx]);
                }
            }
        }
    }
    let mean_at = |z: usize, y: usize, x: usize| -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for o in &offsets {
            let (qz, qy, qx) = (z as isize + o[0], y as isize + o[1], x as isize + o[2]);
            if qz < 0
                || qy < 0
                || qx < 0
                || qz >= nz as isize
                || qy >= ny as isize
                || qx >= nx as isize
            {
                continue;
            }
            sum += image[[qz as usize, qy as usize, qx as usize]];
            n += 1;
        }
        sum / n as f64
    };
    let max = image
        .iter()
        .zip(roi.iter())
        .filter(|(_, &m)| m)
        .map(|(&v, _)| v)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut local, mut global) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for ((z, y, x), &m) in roi.indexed_iter() {
        if !m {
            continue;
        }
        let peak = mean_at(z, y, x);
        global = global.max(peak);
        if image[[z, y, x]] == max {
            local = local.max(peak);
        }
    }
    vec![local, global]
}

/// Intensity-based statistics tags.
pub const STAT_NAMES: [&str; 18] = [
    "mean", "var", "skew", "kurt", "median", "min", "p10", "p90", "max", "iqr", "range", "mad",
    "rmad", "medad", "cov", "qcod", "energy", "rms",
];

/// The statistics shared by `stat_` and `ih_` over values `x`, in [`STAT_NAMES`] order (energy and RMS
/// last); NaN for no values.
///
/// ```text
/// mean μ, variance σ² = mean (x − μ)² (not n − 1), skewness m₃ / σ³, excess kurtosis m₄ / σ⁴ − 3
/// iqr P75 − P25, mad mean |x − μ|, rmad: mad of the values within [P10, P90],
/// medad mean |x − median|, cov σ / μ, qcod (P75 − P25) / (P75 + P25), energy Σ x², rms √(mean x²)
/// ```
pub fn statistics(x: &[f64]) -> Vec<f64> {
    if x.is_empty() {
        return vec![f64::NAN; STAT_NAMES.len()];
    }
    let n = x.len() as f64;
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = x.iter().sum::<f64>() / n;
    let m = |k: i32| x.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
    let var = m(2);
    let skew = if var == 0.0 {
        0.0
    } else {
        m(3) / var.powf(1.5)
    };
    let kurt = if var == 0.0 {
        0.0
    } else {
        m(4) / (var * var) - 3.0
    };
    let p = |q: f64| percentile_sorted(&sorted, q);
    let (p10, p25, median, p75, p90) = (p(10.0), p(25.0), p(50.0), p(75.0), p(90.0));
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let mad = x.iter().map(|v| (v - mean).abs()).sum::<f64>() / n;
    let robust: Vec<f64> = x
        .iter()
        .copied()
        .filter(|&v| v >= p10 && v <= p90)
        .collect();
    let rmean = robust.iter().sum::<f64>() / robust.len() as f64;
    let rmad = robust.iter().map(|v| (v - rmean).abs()).sum::<f64>() / robust.len() as f64;
    let medad = x.iter().map(|v| (v - median).abs()).sum::<f64>() / n;
    let energy = x.iter().map(|v| v * v).sum::<f64>();
    vec![
        mean,
        var,
        skew,
        kurt,
        median,
        min,
        p10,
        p90,
        max,
        p75 - p25,
        max - min,
        mad,
        rmad,
        medad,
        var.sqrt() / mean,
        (p75 - p25) / (p75 + p25),
        energy,
        (energy / n).sqrt(),
    ]
}

/// Intensity histogram tags.
pub const IH_NAMES: [&str; 23] = [
    "mean",
    "var",
    "skew",
    "kurt",
    "median",
    "min",
    "p10",
    "p90",
    "max",
    "mode",
    "iqr",
    "range",
    "mad",
    "rmad",
    "medad",
    "cov",
    "qcod",
    "entropy",
    "uniformity",
    "max_grad",
    "max_grad_g",
    "min_grad",
    "min_grad_g",
];

/// Intensity histogram features ([`IH_NAMES`]) of discretised levels 1..=`ng`.
///
/// The histogram counts n_i over every level 1..=Ng (absent levels included). Mode: the most frequent
/// level (the lowest of ties). Gradient H′: n₂ − n₁ at the first level, (n_{i+1} − n_{i−1}) / 2 inside,
/// n_Ng − n_{Ng−1} at the last; its extremes and the (first) level where each lies.
pub fn histogram(levels: &[u32], ng: usize) -> Vec<f64> {
    let x: Vec<f64> = levels.iter().map(|&l| l as f64).collect();
    let s = statistics(&x);
    let ng = ng.max(levels.iter().copied().max().unwrap_or(1) as usize);
    let mut counts = vec![0.0f64; ng];
    for &l in levels {
        counts[l as usize - 1] += 1.0;
    }
    let n = levels.len() as f64;
    let mut mode = 1usize;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[mode - 1] {
            mode = i + 1;
        }
    }
    let entropy = -counts
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| (c / n) * (c / n).log2())
        .sum::<f64>();
    let uniformity = counts.iter().map(|&c| (c / n) * (c / n)).sum::<f64>();
    let grad: Vec<f64> = (0..ng)
        .map(|i| {
            if ng == 1 {
                0.0
            } else if i == 0 {
                counts[1] - counts[0]
            } else if i == ng - 1 {
                counts[ng - 1] - counts[ng - 2]
            } else {
                (counts[i + 1] - counts[i - 1]) / 2.0
            }
        })
        .collect();
    let (mut gmax, mut gmin) = (0usize, 0usize);
    for (i, &g) in grad.iter().enumerate() {
        if g > grad[gmax] {
            gmax = i;
        }
        if g < grad[gmin] {
            gmin = i;
        }
    }
    vec![
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5],
        s[6],
        s[7],
        s[8],
        mode as f64,
        s[9],
        s[10],
        s[11],
        s[12],
        s[13],
        s[14],
        s[15],
        entropy,
        uniformity,
        grad[gmax],
        (gmax + 1) as f64,
        grad[gmin],
        (gmin + 1) as f64,
    ]
}

/// Intensity-volume histogram tags.
pub const IVH_NAMES: [&str; 6] = ["v10", "v90", "i10", "i90", "diff_v10_v90", "diff_i10_i90"];

/// Intensity-volume histogram features ([`IVH_NAMES`]) of the values `x` (already discretised as the
/// configuration asks), over the intensities `lo, lo + w, ..., hi` of the total range G = [lo, hi].
///
/// ```text
/// ν_i = fraction of voxels with value ≥ i      γ_i = (i − min G) / (max G − min G)
/// V_x = ν at the smallest i with γ_i ≥ x        (the largest volume fraction with at least x intensity)
/// I_x = the smallest i with ν_i ≤ x             (none: max G + w)
/// ```
pub fn intensity_volume(x: &[f64], lo: f64, hi: f64, w: f64) -> Vec<f64> {
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let steps = ((hi - lo) / w).round().max(0.0) as usize;
    let grid: Vec<f64> = (0..=steps).map(|k| lo + k as f64 * w).collect();
    // Volume fraction with value ≥ i: the values below i are a prefix of the sorted list. A small
    // allowance absorbs the rounding of lo + k·w.
    let nu = |i: f64| {
        let below = sorted.partition_point(|&v| v < i - 1e-9 * w.abs());
        1.0 - below as f64 / n
    };
    let span = hi - lo;
    let v_at = |frac: f64| -> f64 {
        grid.iter()
            .find(|&&i| (i - lo) / span >= frac - 1e-12)
            .map_or(0.0, |&i| nu(i))
    };
    let i_at = |frac: f64| -> f64 {
        grid.iter()
            .copied()
            .find(|&i| nu(i) <= frac)
            .unwrap_or(hi + w)
    };
    let (v10, v90, i10, i90) = (v_at(0.1), v_at(0.9), i_at(0.1), i_at(0.9));
    vec![v10, v90, i10, i90, v10 - v90, i10 - i90]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_a_small_set() {
        let s = statistics(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s[0], 2.5);
        assert_eq!(s[1], 1.25);
        assert_eq!(s[2], 0.0);
        assert_eq!(s[4], 2.5);
        assert_eq!(s[16], 30.0);
    }

    #[test]
    fn ivh_of_a_ramp() {
        // Values 1..=10, G = [1, 10], w = 1.
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let f = intensity_volume(&x, 1.0, 10.0, 1.0);
        // γ ≥ 0.1 first at i = 2 (γ = 1/9): ν = 0.9. γ ≥ 0.9 at i = 10 (γ = 1): ν = 0.1.
        assert!((f[0] - 0.9).abs() < 1e-12);
        assert!((f[1] - 0.1).abs() < 1e-12);
        // ν ≤ 0.1 first at i = 10; ν ≤ 0.9 first at i = 2.
        assert_eq!(f[2], 10.0);
        assert_eq!(f[3], 2.0);
    }
}
