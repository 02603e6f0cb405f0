//! Grey level size zone matrix (PyRadiomics `glszm`): how many connected zones of each grey level and size
//! the ROI holds.
//!
//! # Definition
//! A zone is a maximal set of ROI voxels of one grey level, connected through neighbours at Chebyshev
//! distance 1: 26-connected in 3D, 8-connected in the slice plane with `force2D` (one matrix for all
//! slices together, zones never crossing slices). `P(i, j)` counts the zones of grey level `i` and size
//! `j` voxels. Unlike GLCM and GLRLM there is one matrix for all directions, and the `distances` setting
//! does not apply: PyRadiomics always links zones at distance 1.
//!
//! Worked example (PyRadiomics documentation; one slice, so 26- and 8-connectivity agree):
//!
//! ```text
//!        5 2 5 4 4                   size: 1 2 3 4 5
//!        3 3 3 1 3           level 1:      0 0 0 1 0
//!   I =  2 1 1 1 3           level 2:      1 0 0 0 1
//!        4 2 2 2 3      P =  level 3:      1 0 1 0 1
//!        3 5 3 3 2           level 4:      1 1 0 0 0
//!                            level 5:      3 0 0 0 0
//! ```
//!
//! # Symbols
//! ```text
//! Ng       largest grey level in the ROI; levels absent from the ROI are dropped before features
//! Ns       largest zone size; sizes no zone has are dropped before features
//! Np       number of ROI voxels = Σⱼ j·pₛ(j)
//! Nz       number of zones = Σᵢⱼ P(i,j)   (taken as 1 when 0)
//! p(i,j)   P(i,j) / Nz
//! pₛ(j)    Σᵢ P(i,j), zones of size j      p_g(i)  Σⱼ P(i,j), zones of level i
//! i, j     the grey level and zone size a row and column stand for (not their indices)
//! ε        machine epsilon, 2.220446e-16
//! ```
//!
//! The same formulas serve the GLDM ([`super::gldm`]), with dependence counts for zone sizes; they are
//! written once here ([`SizeCoefficients`]).
//!
//! Sums are numpy's pairwise sums ([`crate::numeric`]), over the matrix rows or the flattened matrix as
//! PyRadiomics reduces them, so results agree with it to the last few ulps.

use ndarray::{Array2, ArrayView3};

use super::texture::{self, Offset, PaddedLevels};
use super::{FeatureInfo, TextureSettings};
use crate::numeric::pairwise_sum;
use crate::preprocess::GreyLevels;

/// The GLSZM features in PyRadiomics' output order.
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::new("GrayLevelNonUniformity", "JNSA"),
    FeatureInfo::new("GrayLevelNonUniformityNormalized", "Y1RO"),
    FeatureInfo::new("GrayLevelVariance", "BYLV"),
    FeatureInfo::new("HighGrayLevelZoneEmphasis", "5GN9"),
    FeatureInfo::new("LargeAreaEmphasis", "48P8"),
    FeatureInfo::new("LargeAreaHighGrayLevelEmphasis", "J17V"),
    FeatureInfo::new("LargeAreaLowGrayLevelEmphasis", "YH51"),
    FeatureInfo::new("LowGrayLevelZoneEmphasis", "XMSY"),
    FeatureInfo::new("SizeZoneNonUniformity", "4JP3"),
    FeatureInfo::new("SizeZoneNonUniformityNormalized", "VB3A"),
    FeatureInfo::new("SmallAreaEmphasis", "5QRC"),
    FeatureInfo::new("SmallAreaHighGrayLevelEmphasis", "HW1V"),
    FeatureInfo::new("SmallAreaLowGrayLevelEmphasis", "5RAI"),
    FeatureInfo::new("ZoneEntropy", "GU8N"),
    FeatureInfo::new("ZonePercentage", "P30P"),
    FeatureInfo::new("ZoneVariance", "3NSA"),
];

/// The GLSZM before empty grey levels and sizes are removed: shape `(Ng, largest zone size)` (at least one
/// column), row `i − 1` for grey level `i`, column `j − 1` for zone size `j`.
///
/// Zones are grown from each unvisited ROI voxel in array order with an explicit stack (no recursion), so
/// memory beyond the output is one visited flag per voxel of `grey.levels` (the ROI's bounding box) and a
/// stack no larger than the ROI.
pub fn matrix(grey: &GreyLevels, s: &TextureSettings) -> Array2<f64> {
    let sizes = zone_sizes(grey.levels.view(), s.plane());
    let ng = grey.max_level as usize;
    let max_size = sizes.iter().map(|&(_, n)| n).max().unwrap_or(0).max(1);
    let mut p = Array2::<f64>::zeros((ng, max_size));
    for (level, size) in sizes {
        p[[level as usize - 1, size - 1]] += 1.0;
    }
    p
}

/// Every GLSZM feature, in [`FEATURES`] order. `spacing` is unused (the GLSZM counts voxels); it is taken
/// so that every texture class has the same signature. An empty ROI gives NaN everywhere.
pub fn compute(grey: &GreyLevels, _spacing: [f64; 3], s: &TextureSettings) -> Vec<f64> {
    let p = matrix(grey, s);
    let Some(c) = SizeCoefficients::new(&p) else {
        return vec![f64::NAN; FEATURES.len()];
    };
    vec![
        c.grey_level_non_uniformity(),
        c.grey_level_non_uniformity_normalized(),
        c.grey_level_variance(),
        c.high_grey_level_emphasis(),
        c.large_emphasis(),
        c.large_high_grey_level_emphasis(),
        c.large_low_grey_level_emphasis(),
        c.low_grey_level_emphasis(),
        c.size_non_uniformity(),
        c.size_non_uniformity_normalized(),
        c.small_emphasis(),
        c.small_high_grey_level_emphasis(),
        c.small_low_grey_level_emphasis(),
        c.entropy(),
        c.percentage(),
        c.size_variance(),
    ]
}

/// The (grey level, size) of every zone of `levels` (0 = outside the ROI), in the order zones are first
/// met scanning the array in C order.
fn zone_sizes(levels: ArrayView3<'_, u32>, plane: Option<usize>) -> Vec<(u32, usize)> {
    let offsets: Vec<Offset> = texture::angles(&[1], plane, true);
    // A padded copy whose voxels are set to 0 once they join a zone: the zero border and the claimed
    // voxels both stop the flood fill.
    let mut padded = PaddedLevels::new(levels, 1);
    let flat: Vec<isize> = offsets.iter().map(|o| padded.offset(o)).collect();
    let voxels: Vec<usize> = padded.rows().flatten().collect();
    let data = &mut padded.data;
    let mut stack: Vec<usize> = Vec::new();
    let mut zones = Vec::new();
    for i in voxels {
        let gl = data[i];
        if gl == 0 {
            continue;
        }
        data[i] = 0;
        stack.push(i);
        let mut size = 0usize;
        while let Some(v) = stack.pop() {
            size += 1;
            for &d in &flat {
                let n = v.wrapping_add_signed(d);
                if data[n] == gl {
                    data[n] = 0;
                    stack.push(n);
                }
            }
        }
        zones.push((gl, size));
    }
    zones
}

/// A (grey level × size) count matrix reduced as PyRadiomics reduces GLSZM and GLDM matrices, and the
/// features the two classes share. "Size" is the zone size for the GLSZM and the dependence count for the
/// GLDM.
#[derive(Debug, Clone)]
pub struct SizeCoefficients {
    /// The matrix without empty rows (grey levels absent from the ROI) and empty columns (sizes no zone
    /// has): PyRadiomics' `P_glszm` / `P_gldm`, the form of the reference `.npy` matrices.
    pub p: Array2<f64>,
    /// The grey level each row of `p` stands for.
    pub ivector: Vec<f64>,
    /// The size each column of `p` stands for.
    pub jvector: Vec<f64>,
    /// Zones per size, pₛ(j).
    pub ps: Vec<f64>,
    /// Zones per grey level, p_g(i).
    pub pg: Vec<f64>,
    /// Number of zones, Nz (1 when there are none).
    pub nz: f64,
    /// Number of voxels, Np = Σⱼ j·pₛ(j) (1 when there are none).
    pub np: f64,
}

impl SizeCoefficients {
    /// Reduces a full matrix (row `i − 1` for grey level `i`, column `j − 1` for size `j`). `None` when the
    /// matrix counts nothing (an empty ROI).
    pub fn new(full: &Array2<f64>) -> Option<SizeCoefficients> {
        let rows: Vec<usize> = (0..full.nrows())
            .filter(|&r| full.row(r).iter().any(|&v| v != 0.0))
            .collect();
        let cols: Vec<usize> = (0..full.ncols())
            .filter(|&c| full.column(c).iter().any(|&v| v != 0.0))
            .collect();
        if rows.is_empty() {
            return None;
        }
        let p = Array2::from_shape_fn((rows.len(), cols.len()), |(r, c)| full[[rows[r], cols[c]]]);
        let ivector: Vec<f64> = rows.iter().map(|&r| (r + 1) as f64).collect();
        let jvector: Vec<f64> = cols.iter().map(|&c| (c + 1) as f64).collect();
        // Column and row totals are sums of integer counts: exact in any order.
        let ps: Vec<f64> = p.columns().into_iter().map(|c| c.sum()).collect();
        let pg: Vec<f64> = p.rows().into_iter().map(|r| r.sum()).collect();
        let mut nz = pg.iter().sum::<f64>();
        if nz == 0.0 {
            nz = 1.0;
        }
        let mut np = ps.iter().zip(&jvector).map(|(a, j)| a * j).sum::<f64>();
        if np == 0.0 {
            np = 1.0;
        }
        Some(SizeCoefficients {
            p,
            ivector,
            jvector,
            ps,
            pg,
            nz,
            np,
        })
    }

    /// Σ over the flattened matrix of `f(P(i,j), i, j)`, as numpy sums a whole C-order array.
    fn sum_p(&self, f: impl Fn(f64, f64, f64) -> f64) -> f64 {
        let mut t = Vec::with_capacity(self.p.len());
        for (r, row) in self.p.rows().into_iter().enumerate() {
            let i = self.ivector[r];
            for (c, &v) in row.iter().enumerate() {
                t.push(f(v, i, self.jvector[c]));
            }
        }
        pairwise_sum(&t)
    }

    /// Σⱼ f(pₛ(j), j).
    fn sum_s(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        let t: Vec<f64> = self
            .ps
            .iter()
            .zip(&self.jvector)
            .map(|(&a, &j)| f(a, j))
            .collect();
        pairwise_sum(&t)
    }

    /// Σᵢ f(p_g(i), i).
    fn sum_g(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        let t: Vec<f64> = self
            .pg
            .iter()
            .zip(&self.ivector)
            .map(|(&a, &i)| f(a, i))
            .collect();
        pairwise_sum(&t)
    }

    /// Small area (dependence) emphasis: Σⱼ pₛ(j) / j² / Nz.
    pub fn small_emphasis(&self) -> f64 {
        self.sum_s(|a, j| a / (j * j)) / self.nz
    }

    /// Large area (dependence) emphasis: Σⱼ pₛ(j) j² / Nz.
    pub fn large_emphasis(&self) -> f64 {
        self.sum_s(|a, j| a * (j * j)) / self.nz
    }

    /// Grey level non-uniformity: Σᵢ p_g(i)² / Nz.
    pub fn grey_level_non_uniformity(&self) -> f64 {
        self.sum_g(|a, _| a * a) / self.nz
    }

    /// Normalised grey level non-uniformity: Σᵢ p_g(i)² / Nz².
    pub fn grey_level_non_uniformity_normalized(&self) -> f64 {
        self.sum_g(|a, _| a * a) / (self.nz * self.nz)
    }

    /// Size-zone (dependence) non-uniformity: Σⱼ pₛ(j)² / Nz.
    pub fn size_non_uniformity(&self) -> f64 {
        self.sum_s(|a, _| a * a) / self.nz
    }

    /// Normalised size-zone (dependence) non-uniformity: Σⱼ pₛ(j)² / Nz².
    pub fn size_non_uniformity_normalized(&self) -> f64 {
        self.sum_s(|a, _| a * a) / (self.nz * self.nz)
    }

    /// Zone percentage (GLDM: dependence percentage, always 1): Nz / Np.
    pub fn percentage(&self) -> f64 {
        self.nz / self.np
    }

    /// Grey level variance: Σᵢ p_g(i)/Nz · (i − μ)², μ = Σᵢ p_g(i)/Nz · i.
    pub fn grey_level_variance(&self) -> f64 {
        let nz = self.nz;
        let mu = self.sum_g(|a, i| a / nz * i);
        self.sum_g(|a, i| a / nz * ((i - mu) * (i - mu)))
    }

    /// Zone size (dependence) variance: Σⱼ pₛ(j)/Nz · (j − μ)², μ = Σⱼ pₛ(j)/Nz · j.
    pub fn size_variance(&self) -> f64 {
        let nz = self.nz;
        let mu = self.sum_s(|a, j| a / nz * j);
        self.sum_s(|a, j| a / nz * ((j - mu) * (j - mu)))
    }

    /// Zone (dependence) entropy: −Σᵢⱼ p(i,j) log₂(p(i,j) + ε).
    pub fn entropy(&self) -> f64 {
        let nz = self.nz;
        -self.sum_p(|v, _, _| {
            let q = v / nz;
            q * (q + f64::EPSILON).log2()
        })
    }

    /// Low grey level (zone) emphasis: Σᵢ p_g(i) / i² / Nz.
    pub fn low_grey_level_emphasis(&self) -> f64 {
        self.sum_g(|a, i| a / (i * i)) / self.nz
    }

    /// High grey level (zone) emphasis: Σᵢ p_g(i) i² / Nz.
    pub fn high_grey_level_emphasis(&self) -> f64 {
        self.sum_g(|a, i| a * (i * i)) / self.nz
    }

    /// Small area (dependence) low grey level emphasis: Σᵢⱼ P(i,j) / (i² j²) / Nz.
    pub fn small_low_grey_level_emphasis(&self) -> f64 {
        self.sum_p(|v, i, j| v / ((i * i) * (j * j))) / self.nz
    }

    /// Small area (dependence) high grey level emphasis: Σᵢⱼ P(i,j) i² / j² / Nz.
    pub fn small_high_grey_level_emphasis(&self) -> f64 {
        self.sum_p(|v, i, j| v * (i * i) / (j * j)) / self.nz
    }

    /// Large area (dependence) low grey level emphasis: Σᵢⱼ P(i,j) j² / i² / Nz.
    pub fn large_low_grey_level_emphasis(&self) -> f64 {
        self.sum_p(|v, i, j| v * (j * j) / (i * i)) / self.nz
    }

    /// Large area (dependence) high grey level emphasis: Σᵢⱼ P(i,j) i² j² / Nz.
    pub fn large_high_grey_level_emphasis(&self) -> f64 {
        self.sum_p(|v, i, j| v * ((j * j) * (i * i))) / self.nz
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ndarray::Array3;

    /// A 2D worked example as a one-slice volume (`[1, rows, cols]`).
    pub(crate) fn slice(rows: &[&[u32]]) -> GreyLevels {
        let (h, w) = (rows.len(), rows[0].len());
        let levels = Array3::from_shape_fn((1, h, w), |(_, y, x)| rows[y][x]);
        let max_level = levels.iter().copied().max().unwrap_or(0);
        GreyLevels {
            levels,
            max_level,
            edges: Vec::new(),
        }
    }

    pub(crate) const DOC_IMAGE: [&[u32]; 5] = [
        &[5, 2, 5, 4, 4],
        &[3, 3, 3, 1, 3],
        &[2, 1, 1, 1, 3],
        &[4, 2, 2, 2, 3],
        &[3, 5, 3, 3, 2],
    ];

    fn feature(values: &[f64], name: &str) -> f64 {
        values[FEATURES.iter().position(|f| f.name == name).unwrap()]
    }

    #[test]
    fn worked_example_matrix() {
        let p = matrix(&slice(&DOC_IMAGE), &TextureSettings::default());
        let expected = ndarray::arr2(&[
            [0., 0., 0., 1., 0.],
            [1., 0., 0., 0., 1.],
            [1., 0., 1., 0., 1.],
            [1., 1., 0., 0., 0.],
            [3., 0., 0., 0., 0.],
        ]);
        assert_eq!(p, expected);
        // force2D in the only plane there is gives the same zones.
        let s2 = TextureSettings {
            force2d: true,
            ..TextureSettings::default()
        };
        assert_eq!(matrix(&slice(&DOC_IMAGE), &s2), expected);
    }

    #[test]
    fn worked_example_features() {
        let f = compute(&slice(&DOC_IMAGE), [1.0; 3], &TextureSettings::default());
        // 11 zones over 25 voxels; sizes 1 (x6), 2, 3, 4, 5 (x2).
        assert_eq!(feature(&f, "ZonePercentage"), 11.0 / 25.0);
        let sae = (6.0 + 1.0 / 4.0 + 1.0 / 9.0 + 1.0 / 16.0 + 2.0 / 25.0) / 11.0;
        assert!((feature(&f, "SmallAreaEmphasis") - sae).abs() < 1e-15);
        let lae = (6.0 + 4.0 + 9.0 + 16.0 + 2.0 * 25.0) / 11.0;
        assert!((feature(&f, "LargeAreaEmphasis") - lae).abs() < 1e-13);
        // Zones per level: 1, 2, 3, 2, 3.
        let gln = (1.0 + 4.0 + 9.0 + 4.0 + 9.0) / 11.0;
        assert!((feature(&f, "GrayLevelNonUniformity") - gln).abs() < 1e-14);
        let szn = (36.0 + 1.0 + 1.0 + 1.0 + 4.0) / 11.0;
        assert!((feature(&f, "SizeZoneNonUniformity") - szn).abs() < 1e-14);
    }

    #[test]
    fn diagonal_voxels_join_in_3d() {
        // Two voxels touching only at a corner across slices form one zone.
        let mut levels = Array3::<u32>::zeros((2, 2, 2));
        levels[[0, 0, 0]] = 1;
        levels[[1, 1, 1]] = 1;
        let g = GreyLevels {
            levels,
            max_level: 1,
            edges: Vec::new(),
        };
        assert_eq!(
            matrix(&g, &TextureSettings::default()),
            ndarray::arr2(&[[0., 1.]])
        );
        let s2 = TextureSettings {
            force2d: true,
            ..TextureSettings::default()
        };
        assert_eq!(matrix(&g, &s2), ndarray::arr2(&[[2.]]));
    }

    #[test]
    fn one_voxel_and_empty_roi() {
        let f = compute(&slice(&[&[3]]), [1.0; 3], &TextureSettings::default());
        assert!(f.iter().all(|v| v.is_finite()), "{f:?}");
        assert_eq!(feature(&f, "ZonePercentage"), 1.0);
        assert_eq!(feature(&f, "GrayLevelVariance"), 0.0);
        assert_eq!(feature(&f, "HighGrayLevelZoneEmphasis"), 9.0);
        let empty = compute(&slice(&[&[0, 0]]), [1.0; 3], &TextureSettings::default());
        assert!(empty.iter().all(|v| v.is_nan()));
    }
}
