//! First-order statistics: the distribution of intensities inside the ROI, without regard to where the
//! voxels lie (PyRadiomics `firstorder`).
//!
//! # Symbols
//! ```text
//! X      the Np ROI intensities           c      voxelArrayShift (default 0), added for Energy, TotalEnergy, RMS
//! X̄      mean of X                        V      voxel volume, spacing_x · spacing_y · spacing_z (mm³)
//! p(i)   fraction of ROI voxels in grey level i after discretisation (binWidth / binCount)
//! ε      machine epsilon, 2.220446e-16
//! ```
//! Every feature but Entropy and Uniformity reads the raw intensities; those two read the discretised
//! histogram p(i) (IBSI's intensity-histogram entropy and uniformity).
//!
//! Flat regions: skewness and kurtosis are 0 when the variance is 0 (PyRadiomics' convention; IBSI leaves
//! them undefined). PyRadiomics' kurtosis is m₄/m₂², not the excess kurtosis IBSI reports (IBSI = ours − 3).
//!
//! Sums follow numpy's pairwise order ([`crate::numeric`]); see there why.

use super::FeatureInfo;
use crate::numeric::{central_moment, mean, percentile_sorted, sum_map};

/// The first-order features in PyRadiomics' output order.
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::new("10Percentile", "QG58"),
    FeatureInfo::new("90Percentile", "8DWT"),
    FeatureInfo::new("Energy", "N8CA"),
    FeatureInfo::new("Entropy", "TLU2"),
    FeatureInfo::new("InterquartileRange", "SALO"),
    FeatureInfo::new("Kurtosis", "IPH6"),
    FeatureInfo::new("Maximum", "84IY"),
    FeatureInfo::new("MeanAbsoluteDeviation", "4FUA"),
    FeatureInfo::new("Mean", "Q4LE"),
    FeatureInfo::new("Median", "Y12H"),
    FeatureInfo::new("Minimum", "1GSF"),
    FeatureInfo::new("Range", "2OJQ"),
    FeatureInfo::new("RobustMeanAbsoluteDeviation", "1128"),
    FeatureInfo::new("RootMeanSquared", "5ZWQ"),
    FeatureInfo::new("Skewness", "KE2A"),
    FeatureInfo::deprecated("StandardDeviation", ""),
    FeatureInfo::new("TotalEnergy", ""),
    FeatureInfo::new("Uniformity", "BJ5W"),
    FeatureInfo::new("Variance", "ECT3"),
];

/// Every first-order feature, in [`FEATURES`] order.
///
/// `values` are the ROI intensities in array order, `levels` their discretised grey levels (same order),
/// `spacing` the voxel size in mm, `shift` the `voxelArrayShift`. An empty ROI gives NaN everywhere.
pub fn compute(values: &[f64], levels: &[u32], spacing: [f64; 3], shift: f64) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return vec![f64::NAN; FEATURES.len()];
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let p10 = percentile_sorted(&sorted, 10.0);
    let p90 = percentile_sorted(&sorted, 90.0);
    let min = sorted[0];
    let max = sorted[n - 1];
    let mu = mean(values);

    // 2. Energy = Σ (X + c)²
    let energy = sum_map(values, |x| (x + shift) * (x + shift));
    // 3. Total energy = V · Energy
    let voxel_volume = spacing[0] * spacing[1] * spacing[2];
    let total_energy = voxel_volume * energy;

    // p(i): fraction of voxels per occurring grey level (numpy.unique counts, ascending level).
    let p = level_fractions(levels);
    // 4. Entropy = −Σ p(i) log₂(p(i) + ε)
    let entropy = -sum_map(&p, |pi| pi * (pi + f64::EPSILON).log2());
    // 18. Uniformity = Σ p(i)²
    let uniformity = sum_map(&p, |pi| pi * pi);

    // 8. Interquartile range = P75 − P25
    let iqr = percentile_sorted(&sorted, 75.0) - percentile_sorted(&sorted, 25.0);
    // 11. Mean absolute deviation = mean |X − X̄|
    let mad = sum_map(values, |x| (x - mu).abs()) / n as f64;
    // 12. Robust MAD: the same over the voxels between P10 and P90 (inclusive).
    let robust: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&x| x >= p10 && x <= p90)
        .collect();
    let robust_mu = mean(&robust);
    let rmad = sum_map(&robust, |x| (x - robust_mu).abs()) / robust.len() as f64;
    // 13. RMS = √(Energy / Np)
    let rms = (energy / n as f64).sqrt();
    // 14-16. moments; a flat ROI has skewness and kurtosis 0.
    let m2 = central_moment(values, 2);
    let (skewness, kurtosis) = if m2 == 0.0 {
        (0.0, 0.0)
    } else {
        (
            central_moment(values, 3) / m2.powf(1.5),
            central_moment(values, 4) / (m2 * m2),
        )
    };
    // numpy.std(X) ** 2, as PyRadiomics computes the variance.
    let std = m2.sqrt();
    let variance = std * std;
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };

    vec![
        p10,
        p90,
        energy,
        entropy,
        iqr,
        kurtosis,
        max,
        mad,
        mu,
        median,
        min,
        max - min,
        rmad,
        rms,
        skewness,
        std,
        total_energy,
        uniformity,
        variance,
    ]
}

/// Fractions of the voxels in each occurring grey level, by ascending level.
fn level_fractions(levels: &[u32]) -> Vec<f64> {
    let top = levels.iter().copied().max().unwrap_or(0) as usize;
    let mut counts = vec![0usize; top + 1];
    for &l in levels {
        counts[l as usize] += 1;
    }
    let total = levels.len().max(1) as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64 / total)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(values: &[f64], name: &str) -> f64 {
        let idx = FEATURES.iter().position(|f| f.name == name).unwrap();
        compute(values, &vec![1; values.len()], [1.0, 1.0, 2.0], 0.0)[idx]
    }

    #[test]
    fn worked_example() {
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(get(&x, "Mean"), 4.0);
        assert_eq!(get(&x, "Median"), 3.0);
        assert_eq!(get(&x, "Range"), 9.0);
        assert_eq!(get(&x, "Energy"), 130.0);
        assert_eq!(get(&x, "TotalEnergy"), 260.0);
        assert!((get(&x, "Variance") - 10.0).abs() < 1e-12);
        assert_eq!(get(&x, "MeanAbsoluteDeviation"), 2.4);
        assert!((get(&x, "10Percentile") - 1.4).abs() < 1e-12);
        // One grey level: entropy 0 (up to ε), uniformity 1.
        assert!(get(&x, "Entropy").abs() < 1e-15);
        assert_eq!(get(&x, "Uniformity"), 1.0);
    }

    #[test]
    fn flat_region_has_zero_skewness_and_kurtosis() {
        let x = [5.0; 7];
        assert_eq!(get(&x, "Skewness"), 0.0);
        assert_eq!(get(&x, "Kurtosis"), 0.0);
        assert_eq!(get(&x, "Variance"), 0.0);
    }
}
