//! Grey level dependence matrix (PyRadiomics `gldm`; IBSI's neighbouring grey level dependence matrix,
//! NGLDM): how many voxels of each grey level have how many similar neighbours.
//!
//! # Definition
//! A neighbour of a ROI voxel is a ROI voxel at one of the `distances` (Chebyshev norm; in the slice plane
//! with `force2D`). It is *dependent* on the centre voxel when their grey levels differ by at most α
//! (`gldm_a`, default 0): `|i − j| ≤ α`. `P(i, j)` counts the voxels of grey level `i` with `j − 1`
//! dependent neighbours, so `j` counts the centre voxel too, as IBSI does. Every ROI voxel is counted
//! once, whence Nz = Np.
//!
//! Worked example (PyRadiomics documentation, α = 0, distance 1):
//!
//! ```text
//!        5 2 5 4 4                   j:    1 2 3 4
//!        3 3 3 1 3           level 1:      0 1 2 1
//!   I =  2 1 1 1 3           level 2:      1 2 3 0
//!        4 2 2 2 3      P =  level 3:      1 4 4 0
//!        3 5 3 3 2           level 4:      1 2 0 0
//!                            level 5:      3 0 0 0
//! ```
//!
//! # Symbols
//! ```text
//! Ng       largest grey level in the ROI; levels absent from the ROI are dropped before features
//! Nd       number of dependence sizes; sizes no voxel has are dropped before features
//! Nz       Σᵢⱼ P(i,j) = Np, the number of ROI voxels
//! p(i,j)   P(i,j) / Nz
//! p_d(j)   Σᵢ P(i,j)        p_g(i)  Σⱼ P(i,j)
//! ```
//!
//! The features are the GLSZM's formulas with dependence counts for zone sizes
//! ([`super::glszm::SizeCoefficients`]), under their GLDM names.
//!
//! # Deprecated features
//! PyRadiomics deprecates `DependencePercentage` (Nz / Np, always 1) and `GrayLevelNonUniformityNormalized`
//! (Σᵢ p_g(i)² / Nz², equal to first-order `Uniformity`); when named explicitly PyRadiomics 3.1 raises and
//! reports NaN. Here they are computed from their definitions, which are IBSI's dependence count
//! percentage (6XV8) and normalised grey level non-uniformity (5SPA).

use ndarray::Array2;

use super::glszm::SizeCoefficients;
use super::texture::{self, PaddedLevels};
use super::{FeatureInfo, TextureSettings};
use crate::preprocess::GreyLevels;

/// The GLDM features in PyRadiomics' output order.
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::new("DependenceEntropy", "FCBV"),
    FeatureInfo::new("DependenceNonUniformity", "Z87G"),
    FeatureInfo::new("DependenceNonUniformityNormalized", "OKJI"),
    FeatureInfo::deprecated("DependencePercentage", "6XV8"),
    FeatureInfo::new("DependenceVariance", "DNX2"),
    FeatureInfo::new("GrayLevelNonUniformity", "FP8K"),
    FeatureInfo::deprecated("GrayLevelNonUniformityNormalized", "5SPA"),
    FeatureInfo::new("GrayLevelVariance", "1PFV"),
    FeatureInfo::new("HighGrayLevelEmphasis", "OAE7"),
    FeatureInfo::new("LargeDependenceEmphasis", "IMOQ"),
    FeatureInfo::new("LargeDependenceHighGrayLevelEmphasis", "9QMG"),
    FeatureInfo::new("LargeDependenceLowGrayLevelEmphasis", "NBZI"),
    FeatureInfo::new("LowGrayLevelEmphasis", "TL9H"),
    FeatureInfo::new("SmallDependenceEmphasis", "SODN"),
    FeatureInfo::new("SmallDependenceHighGrayLevelEmphasis", "JA6D"),
    FeatureInfo::new("SmallDependenceLowGrayLevelEmphasis", "EQ3F"),
];

/// The GLDM before empty grey levels and dependence sizes are removed: shape `(Ng, Na + 1)` for `Na`
/// neighbour offsets, row `i − 1` for grey level `i`, column `k` for `k` dependent neighbours (`j = k + 1`).
///
/// PyRadiomics allocates `2·Na + 1` columns, of which those past `Na` are always empty; they are left out.
pub fn matrix(grey: &GreyLevels, s: &TextureSettings) -> Array2<f64> {
    // Offsets longer than the box never reach another ROI voxel: leaving them out changes no sum, and
    // bounds the work and the padding by the box, whatever the distances.
    let (z, y, x) = grey.levels.dim();
    let offsets = texture::angles_within([z, y, x], &s.distances, s.plane(), true);
    let padded = PaddedLevels::new(grey.levels.view(), texture::reach(&offsets));
    let flat: Vec<isize> = offsets.iter().map(|o| padded.offset(o)).collect();
    let data = &padded.data;
    let alpha = s.gldm_a;
    let mut p = Array2::<f64>::zeros((grey.max_level as usize, offsets.len() + 1));
    for row in padded.rows() {
        for i in row {
            let gl = data[i];
            if gl == 0 {
                continue;
            }
            let mut dependent = 0;
            for &d in &flat {
                // Outside the box reads 0, outside the ROI.
                let other = data[i.wrapping_add_signed(d)];
                // Levels are integers: |gl − other| is exact. Branch-free: the outcome is data-dependent.
                dependent += usize::from((other != 0) & (f64::from(gl.abs_diff(other)) <= alpha));
            }
            p[[gl as usize - 1, dependent]] += 1.0;
        }
    }
    p
}

/// Every GLDM feature, in [`FEATURES`] order. `spacing` is unused (the GLDM counts voxels); it is taken
/// so that every texture class has the same signature. An empty ROI gives NaN everywhere.
pub fn compute(grey: &GreyLevels, _spacing: [f64; 3], s: &TextureSettings) -> Vec<f64> {
    let p = matrix(grey, s);
    let Some(c) = SizeCoefficients::new(&p) else {
        return vec![f64::NAN; FEATURES.len()];
    };
    // Every ROI voxel is counted once: Np = Nz.
    let dependence_percentage = c.nz / c.pg.iter().sum::<f64>();
    vec![
        c.entropy(),
        c.size_non_uniformity(),
        c.size_non_uniformity_normalized(),
        dependence_percentage,
        c.size_variance(),
        c.grey_level_non_uniformity(),
        c.grey_level_non_uniformity_normalized(),
        c.grey_level_variance(),
        c.high_grey_level_emphasis(),
        c.large_emphasis(),
        c.large_high_grey_level_emphasis(),
        c.large_low_grey_level_emphasis(),
        c.low_grey_level_emphasis(),
        c.small_emphasis(),
        c.small_high_grey_level_emphasis(),
        c.small_low_grey_level_emphasis(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::glszm::tests::{slice, DOC_IMAGE};

    fn feature(values: &[f64], name: &str) -> f64 {
        values[FEATURES.iter().position(|f| f.name == name).unwrap()]
    }

    #[test]
    fn worked_example_matrix() {
        let p = matrix(&slice(&DOC_IMAGE), &TextureSettings::default());
        // One slice: the 8 in-plane offsets reach other voxels, the 18 leaving the plane are left out.
        assert_eq!(p.dim(), (5, 9));
        let c = SizeCoefficients::new(&p).unwrap();
        let expected = ndarray::arr2(&[
            [0., 1., 2., 1.],
            [1., 2., 3., 0.],
            [1., 4., 4., 0.],
            [1., 2., 0., 0.],
            [3., 0., 0., 0.],
        ]);
        assert_eq!(c.p, expected);
        assert_eq!(c.jvector, vec![1., 2., 3., 4.]);
    }

    #[test]
    fn worked_example_features() {
        let f = compute(&slice(&DOC_IMAGE), [1.0; 3], &TextureSettings::default());
        // p_d = 6, 9, 9, 1 over Nz = 25 voxels.
        let sde = (6.0 + 9.0 / 4.0 + 9.0 / 9.0 + 1.0 / 16.0) / 25.0;
        assert!((feature(&f, "SmallDependenceEmphasis") - sde).abs() < 1e-15);
        let lde = (6.0 + 9.0 * 4.0 + 9.0 * 9.0 + 16.0) / 25.0;
        assert!((feature(&f, "LargeDependenceEmphasis") - lde).abs() < 1e-14);
        assert_eq!(feature(&f, "DependencePercentage"), 1.0);
        // Levels hold 4, 6, 9, 3, 3 voxels.
        let glnn = (16.0 + 36.0 + 81.0 + 9.0 + 9.0) / 625.0;
        assert!((feature(&f, "GrayLevelNonUniformityNormalized") - glnn).abs() < 1e-15);
    }

    #[test]
    fn alpha_widens_dependence() {
        let g = slice(&[&[1, 2, 3]]);
        let s = TextureSettings {
            gldm_a: 1.0,
            ..TextureSettings::default()
        };
        let c = SizeCoefficients::new(&matrix(&g, &s)).unwrap();
        // 1 and 3 each depend on 2; 2 depends on both.
        assert_eq!(c.p, ndarray::arr2(&[[1., 0.], [0., 1.], [1., 0.]]));
    }

    #[test]
    fn one_voxel_is_finite() {
        let f = compute(&slice(&[&[2]]), [1.0; 3], &TextureSettings::default());
        assert!(f.iter().all(|v| v.is_finite()), "{f:?}");
        assert_eq!(feature(&f, "DependenceVariance"), 0.0);
        assert_eq!(feature(&f, "SmallDependenceEmphasis"), 1.0);
    }
}
