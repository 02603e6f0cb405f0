//! Neighbouring grey tone difference matrix (PyRadiomics `ngtdm`): how much each grey level differs from
//! the average of its neighbourhood.
//!
//! # Definition
//! The neighbourhood of a ROI voxel is the ROI voxels at one of the `distances` (Chebyshev norm; in the
//! slice plane with `force2D`), the centre excluded. With `W` of them, its average grey level is
//! `Ā = (1/W) Σ x(neighbour)`, and the voxel adds `|i − Ā|` to `s_i` of its grey level `i`. A voxel
//! without any ROI neighbour adds 0 to `s_i` but still counts in `n_i` (PyRadiomics' convention).
//! The matrix has one row per grey level: `[n_i, s_i, i]`.
//!
//! Worked example (PyRadiomics documentation; one slice, no voxel of level 4):
//!
//! ```text
//!        1 2 5 2            i   n_i   s_i
//!   I =  3 5 1 3            1   6     13.35
//!        1 3 5 5            2   2     2
//!        3 1 1 1            3   4     3.033
//!                           5   4     10.075
//! ```
//!
//! # Symbols
//! ```text
//! Nvp      Σ n_i, the number of ROI voxels
//! p_i      n_i / Nvp
//! Ngp      number of grey levels with p_i ≠ 0 (rows of absent levels are dropped before features)
//! ```
//!
//! # Degenerate regions (PyRadiomics' conventions)
//! Coarseness is 10⁶ when Σ p_i s_i = 0; Contrast is 0 when Ngp = 1; Busyness is 0 when
//! Σᵢⱼ |i p_i − j p_j| = 0; Strength is 0 when Σ s_i = 0.
//!
//! Pair sums run over the flattened `Ngp × Ngp` array in numpy's pairwise order ([`crate::numeric`]).

use ndarray::Array2;

use super::texture::{self, PaddedLevels};
use super::{FeatureInfo, TextureSettings};
use crate::numeric::pairwise_sum;
use crate::preprocess::GreyLevels;

/// The NGTDM features in PyRadiomics' output order.
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::new("Busyness", "NQ30"),
    FeatureInfo::new("Coarseness", "QCDE"),
    FeatureInfo::new("Complexity", "HDEZ"),
    FeatureInfo::new("Contrast", "65HE"),
    FeatureInfo::new("Strength", "1X9X"),
];

/// The NGTDM before absent grey levels are removed: shape `(Ng, 3)`, row `i − 1` holding
/// `[n_i, s_i, i]`. Voxels are visited in array order, so each `s_i` is accumulated in PyRadiomics' order.
pub fn matrix(grey: &GreyLevels, s: &TextureSettings) -> Array2<f64> {
    // Offsets longer than the box never reach another ROI voxel: leaving them out changes no sum, and
    // bounds the work and the padding by the box, whatever the distances.
    let (z, y, x) = grey.levels.dim();
    let offsets = texture::angles_within([z, y, x], &s.distances, s.plane(), true);
    let padded = PaddedLevels::new(grey.levels.view(), texture::reach(&offsets));
    let flat: Vec<isize> = offsets.iter().map(|o| padded.offset(o)).collect();
    let data = &padded.data;
    let ng = grey.max_level as usize;
    let mut p = Array2::<f64>::zeros((ng, 3));
    for i in 0..ng {
        p[[i, 2]] = (i + 1) as f64;
    }
    for row in padded.rows() {
        for i in row {
            let gl = data[i];
            if gl == 0 {
                continue;
            }
            // Integer counts and sums (exact, so the same as summing in f64), branch-free: outside
            // the box reads 0, outside the ROI, which adds nothing.
            let mut count = 0u32;
            let mut sum = 0u64;
            for &d in &flat {
                let other = data[i.wrapping_add_signed(d)];
                count += u32::from(other != 0);
                sum += u64::from(other);
            }
            let (count, sum) = (f64::from(count), sum as f64);
            let diff = if count == 0.0 {
                0.0
            } else {
                (f64::from(gl) - sum / count).abs()
            };
            let row = gl as usize - 1;
            p[[row, 0]] += 1.0;
            p[[row, 1]] += diff;
        }
    }
    p
}

/// The NGTDM without the rows of grey levels absent from the ROI (`n_i = 0`): PyRadiomics' `P_ngtdm`, the
/// form of the reference `.npy` matrices.
pub fn compact(full: &Array2<f64>) -> Array2<f64> {
    let rows: Vec<usize> = (0..full.nrows()).filter(|&r| full[[r, 0]] != 0.0).collect();
    Array2::from_shape_fn((rows.len(), 3), |(r, c)| full[[rows[r], c]])
}

/// Every NGTDM feature, in [`FEATURES`] order. `spacing` is unused; it is taken so that every texture
/// class has the same signature. An empty ROI gives NaN everywhere.
pub fn compute(grey: &GreyLevels, _spacing: [f64; 3], s: &TextureSettings) -> Vec<f64> {
    let p = compact(&matrix(grey, s));
    if p.nrows() == 0 {
        return vec![f64::NAN; FEATURES.len()];
    }
    let c = Coefficients::new(&p);
    vec![
        c.busyness(),
        c.coarseness(),
        c.complexity(),
        c.contrast(),
        c.strength(),
    ]
}

/// The NGTDM's columns and totals.
struct Coefficients {
    /// n_i / Nvp
    p: Vec<f64>,
    /// s_i
    s: Vec<f64>,
    /// i, the grey level of each row
    i: Vec<f64>,
    /// Nvp
    nvp: f64,
    /// Ngp
    ngp: f64,
}

impl Coefficients {
    fn new(m: &Array2<f64>) -> Coefficients {
        let n: Vec<f64> = m.column(0).to_vec();
        let nvp = pairwise_sum(&n);
        Coefficients {
            p: n.iter().map(|&v| v / nvp).collect(),
            s: m.column(1).to_vec(),
            i: m.column(2).to_vec(),
            nvp,
            ngp: n.iter().filter(|&&v| v > 0.0).count() as f64,
        }
    }

    /// Σ over all pairs (k, l) of rows of `f(k, l)`, in C order.
    fn sum_pairs(&self, f: impl Fn(usize, usize) -> f64) -> f64 {
        let n = self.p.len();
        let mut t = Vec::with_capacity(n * n);
        for k in 0..n {
            for l in 0..n {
                t.push(f(k, l));
            }
        }
        pairwise_sum(&t)
    }

    /// Σ p_i s_i
    fn sum_p_s(&self) -> f64 {
        let t: Vec<f64> = self.p.iter().zip(&self.s).map(|(p, s)| p * s).collect();
        pairwise_sum(&t)
    }

    /// 1. Coarseness = 1 / Σ p_i s_i (10⁶ when the sum is 0): large for coarse, slowly changing texture.
    fn coarseness(&self) -> f64 {
        let sum = self.sum_p_s();
        if sum != 0.0 {
            1.0 / sum
        } else {
            1e6
        }
    }

    /// 2. Contrast = [1 / (Ngp (Ngp − 1)) Σᵢⱼ p_i p_j (i − j)²] · [Σ s_i / Nvp]: large for wide, fast
    ///    changing intensity variation. 0 when Ngp = 1.
    fn contrast(&self) -> f64 {
        let div = self.ngp * (self.ngp - 1.0);
        if div == 0.0 {
            return 0.0;
        }
        let pairs = self.sum_pairs(|k, l| {
            let d = self.i[k] - self.i[l];
            self.p[k] * self.p[l] * (d * d)
        });
        pairs * pairwise_sum(&self.s) / self.nvp / div
    }

    /// 3. Busyness = Σ p_i s_i / Σᵢⱼ |i p_i − j p_j| (0 when the divisor is 0): large for rapid changes
    ///    between neighbouring voxels.
    fn busyness(&self) -> f64 {
        let ip: Vec<f64> = self.i.iter().zip(&self.p).map(|(i, p)| i * p).collect();
        let absdiff = self.sum_pairs(|k, l| (ip[k] - ip[l]).abs());
        if absdiff != 0.0 {
            self.sum_p_s() / absdiff
        } else {
            0.0
        }
    }

    /// 4. Complexity = (1 / Nvp) Σᵢⱼ |i − j| (p_i s_i + p_j s_j) / (p_i + p_j): large for non-uniform,
    ///    busy texture with many sharp edges.
    fn complexity(&self) -> f64 {
        let ps: Vec<f64> = self.p.iter().zip(&self.s).map(|(p, s)| p * s).collect();
        self.sum_pairs(|k, l| {
            let mut divisor = self.p[k] + self.p[l];
            if divisor == 0.0 {
                divisor = 1.0;
            }
            (self.i[k] - self.i[l]).abs() * (ps[k] + ps[l]) / divisor
        }) / self.nvp
    }

    /// 5. Strength = Σᵢⱼ (p_i + p_j)(i − j)² / Σ s_i (0 when Σ s_i = 0): large for coarse texture with
    ///    large differences between primitives.
    fn strength(&self) -> f64 {
        let sum_s = pairwise_sum(&self.s);
        if sum_s == 0.0 {
            return 0.0;
        }
        self.sum_pairs(|k, l| {
            let d = self.i[k] - self.i[l];
            (self.p[k] + self.p[l]) * (d * d)
        }) / sum_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::glszm::tests::slice;

    const DOC_IMAGE: [&[u32]; 4] = [&[1, 2, 5, 2], &[3, 5, 1, 3], &[1, 3, 5, 5], &[3, 1, 1, 1]];

    fn feature(values: &[f64], name: &str) -> f64 {
        values[FEATURES.iter().position(|f| f.name == name).unwrap()]
    }

    #[test]
    fn worked_example_matrix() {
        let full = matrix(&slice(&DOC_IMAGE), &TextureSettings::default());
        assert_eq!(full.dim(), (5, 3));
        assert_eq!(full.row(3).to_vec(), vec![0.0, 0.0, 4.0]);
        let p = compact(&full);
        assert_eq!(p.column(0).to_vec(), vec![6.0, 2.0, 4.0, 4.0]);
        assert_eq!(p.column(2).to_vec(), vec![1.0, 2.0, 3.0, 5.0]);
        // s_i worked by hand. The PyRadiomics documentation's totals agree except s_3 (its table says
        // 2.63, its own sum 3.03), and two of its written terms for s_5 are off though its total is right.
        let s1 = (1.0f64 - 10.0 / 3.0).abs()
            + (1.0f64 - 30.0 / 8.0).abs()
            + (1.0f64 - 15.0 / 5.0).abs()
            + (1.0f64 - 13.0 / 5.0).abs()
            + (1.0f64 - 15.0 / 5.0).abs()
            + (1.0f64 - 11.0 / 3.0).abs();
        let s2 = 1.0 + 1.0;
        let s3 = 0.6 + 0.6 + 0.5 + 4.0 / 3.0;
        let s5 = (5.0 - 13.0 / 5.0) + (5.0 - 21.0 / 8.0) + (5.0 - 20.0 / 8.0) + (5.0 - 11.0 / 5.0);
        for (got, want) in p.column(1).iter().zip([s1, s2, s3, s5]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn worked_example_features() {
        let f = compute(&slice(&DOC_IMAGE), [1.0; 3], &TextureSettings::default());
        let p = compact(&matrix(&slice(&DOC_IMAGE), &TextureSettings::default()));
        let (n, s) = (p.column(0), p.column(1));
        let pi: Vec<f64> = n.iter().map(|v| v / 16.0).collect();
        let sum_ps: f64 = pi.iter().zip(s.iter()).map(|(a, b)| a * b).sum();
        assert!((feature(&f, "Coarseness") - 1.0 / sum_ps).abs() < 1e-12);
        let i = [1.0, 2.0, 3.0, 5.0];
        let mut strength = 0.0;
        for k in 0..4 {
            for l in 0..4 {
                strength += (pi[k] + pi[l]) * (i[k] - i[l]) * (i[k] - i[l]);
            }
        }
        strength /= s.sum();
        assert!((feature(&f, "Strength") - strength).abs() < 1e-12);
    }

    #[test]
    fn flat_region_conventions() {
        let f = compute(
            &slice(&[&[2, 2], &[2, 2]]),
            [1.0; 3],
            &TextureSettings::default(),
        );
        assert_eq!(feature(&f, "Coarseness"), 1e6);
        assert_eq!(feature(&f, "Contrast"), 0.0);
        assert_eq!(feature(&f, "Busyness"), 0.0);
        assert_eq!(feature(&f, "Complexity"), 0.0);
        assert_eq!(feature(&f, "Strength"), 0.0);
        // A lone voxel has no neighbour: counted, with difference 0.
        let one = matrix(&slice(&[&[1]]), &TextureSettings::default());
        assert_eq!(one.row(0).to_vec(), vec![1.0, 0.0, 1.0]);
        let f = compute(&slice(&[&[1]]), [1.0; 3], &TextureSettings::default());
        assert_eq!(f, vec![0.0, 1e6, 0.0, 0.0, 0.0]);
    }
}
