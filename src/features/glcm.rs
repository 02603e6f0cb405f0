//! Grey level co-occurrence matrix features (PyRadiomics `glcm`).
//!
//! # Definition
//! For one offset ("angle") δ, `P(i, j | δ)` counts the ROI voxels of grey level i whose neighbour at δ is
//! an ROI voxel of grey level j. The angles are those of [`super::texture`] (one of each opposite pair: 13
//! in 3D, 4 with `force2D`, at every Chebyshev distance in `distances`). With `symmetricalGLCM` (the
//! default) the opposite direction is counted too, `P ← P + Pᵀ`. Each angle's matrix is normalised,
//! `p = P / ΣP`, features are computed per angle and averaged over the angles (IBSI "3D, averaged").
//! With `weightingNorm`, the angle matrices are first summed with a weight per angle into one matrix (IBSI
//! "3D, merged" for `no_weighting`).
//!
//! # Worked example (PyRadiomics' documentation)
//! ```text
//!         1 2 5 2 3                              6 4 3 0 0
//!         3 2 1 3 1     δ = 1, angle 0° (x),     4 0 2 1 3
//!     I = 1 3 5 5 2     symmetrical:         P = 3 2 0 1 2
//!         1 1 1 1 2                              0 1 1 0 0
//!         1 2 4 3 5                              0 3 2 0 2
//! ```
//!
//! # Symbols
//! ```text
//! p(i,j)    normalised co-occurrence matrix of one angle
//! i, j      grey levels present in the ROI (their values, gaps kept: the rows of absent levels are dropped)
//! Ng        the largest grey level in the ROI (not the number of present levels; used by Idn and Idmn)
//! p_x(i)    Σ_j p(i,j)               p_y(j)    Σ_i p(i,j)
//! μ_x       Σ p(i,j)·i               μ_y       Σ p(i,j)·j
//! σ_x       √Σ p(i,j)(i − μ_x)²      σ_y       √Σ p(i,j)(j − μ_y)²
//! p_{x+y}(k)  Σ_{i+j=k} p(i,j),  k = 2…2Ng
//! p_{x−y}(k)  Σ_{|i−j|=k} p(i,j), k = 0…Ng−1
//! HX  = −Σ p_x log₂(p_x + ε)      HY   = −Σ p_y log₂(p_y + ε)
//! HXY = −Σ p(i,j) log₂(p(i,j) + ε)
//! HXY1 = −Σ p(i,j) log₂(p_x(i) p_y(j) + ε)
//! HXY2 = −Σ p_x(i) p_y(j) log₂(p_x(i) p_y(j) + ε)
//! ε   machine epsilon, 2.220446e-16
//! ```
//!
//! # Settings (PyRadiomics names, defaults)
//! - `distances` `[1]`: Chebyshev distances of the neighbours.
//! - `symmetricalGLCM` `true`.
//! - `weightingNorm` none: `manhattan`, `euclidean`, `infinity` weight each angle's matrix by
//!   `exp(−‖d‖²)`, with ‖d‖ the offset's norm in mm (Manhattan: `(Σ|δ|·s)²`, Euclidean: `Σ(|δ|·s)²`,
//!   infinity: `max(|δ|·s)²` in the exponent), and sum them; `no_weighting` sums them unweighted.
//! - `force2D`, `force2Ddimension`: in-plane angles only.
//!
//! # Conventions kept from PyRadiomics
//! - Angles whose matrix is empty (no voxel pair at that offset) are dropped before averaging.
//! - Correlation is 1 where σ_x σ_y = 0 (a flat region); Imc1 is 0 where max(HX, HY) = 0; Imc2 is 0 where
//!   HXY2 = HXY; MCC is 1 when a single grey level is present.
//! - An ROI without any voxel pair (a single voxel) has no co-occurrences: every feature is NaN, as in
//!   PyRadiomics.
//! - The deprecated features (Dissimilarity = DifferenceAverage, Homogeneity1 = Id, Homogeneity2 = Idm,
//!   SumVariance = ClusterTendency) are NaN: PyRadiomics raises on them and reports NaN.
//! - Sums over a matrix follow numpy's order: sequential over (i, j) when there are several angles, and
//!   pairwise when the angles were merged into one matrix ([`crate::numeric`]).
//!
//! # References
//! Haralick, Shanmugam, Dinstein (1973), Textural features for image classification. PyRadiomics
//! documentation, "Gray Level Co-occurrence Matrix (GLCM) Features". IBSI 1, section 3.6.

use ndarray::Array3;

use super::texture::{
    self, angles_within, nanmean, offset_mm, Offset, PaddedLevels, PresentLevels,
};
use super::{FeatureInfo, TextureSettings, WeightingNorm};
use crate::linalg::{self, Eigenvalue};
use crate::numeric::pairwise_sum;
use crate::preprocess::discretise::GreyLevels;

/// The GLCM features in PyRadiomics' output order (an ASCII sort of the method names).
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::new("Autocorrelation", "QWB0"),
    FeatureInfo::new("ClusterProminence", "AE86"),
    FeatureInfo::new("ClusterShade", "7NFM"),
    FeatureInfo::new("ClusterTendency", "DG8W"),
    FeatureInfo::new("Contrast", "ACUI"),
    FeatureInfo::new("Correlation", "NI2N"),
    FeatureInfo::new("DifferenceAverage", "TF7R"),
    FeatureInfo::new("DifferenceEntropy", "NTRS"),
    FeatureInfo::new("DifferenceVariance", "D3YU"),
    FeatureInfo::deprecated("Dissimilarity", "8S9J"),
    FeatureInfo::deprecated("Homogeneity1", "IB1Z"),
    FeatureInfo::deprecated("Homogeneity2", "WF0Z"),
    FeatureInfo::new("Id", "IB1Z"),
    FeatureInfo::new("Idm", "WF0Z"),
    FeatureInfo::new("Idmn", "1QCO"),
    FeatureInfo::new("Idn", "NDRX"),
    FeatureInfo::new("Imc1", "R8DG"),
    FeatureInfo::new("Imc2", "JN9H"),
    FeatureInfo::new("InverseVariance", "E8JP"),
    FeatureInfo::new("JointAverage", "60VM"),
    FeatureInfo::new("JointEnergy", "8ZQL"),
    FeatureInfo::new("JointEntropy", "TU9B"),
    FeatureInfo::new("MCC", ""),
    FeatureInfo::new("MaximumProbability", "GYBY"),
    FeatureInfo::new("SumAverage", "ZGXS"),
    FeatureInfo::new("SumEntropy", "P6QZ"),
    FeatureInfo::new("SumSquares", "UR99"),
    FeatureInfo::deprecated("SumVariance", "OEEB"),
];

/// The angles of the GLCM of `grey` under `s`, in the order of the matrix's last axis.
pub fn angles(grey: &GreyLevels, s: &TextureSettings) -> Vec<Offset> {
    let (z, y, x) = grey.levels.dim();
    angles_within([z, y, x], &s.distances, s.plane(), false)
}

/// Co-occurrence counts on the present levels, one pass over the ROI's box for all angles at once.
struct Counts {
    levels: PresentLevels,
    angles: Vec<Offset>,
    /// `[a][i][j]`, `n × n` per angle, `n` present levels.
    data: Vec<f64>,
}

fn count(grey: &GreyLevels, s: &TextureSettings) -> Counts {
    let lv = grey.levels.as_standard_layout();
    let lv = lv.as_slice().expect("standard layout");
    let levels = PresentLevels::of(lv, grey.max_level);
    let angles = angles(grey, s);
    let n = levels.len();
    let mut data = vec![0.0; angles.len() * n * n];
    // Neighbours read from a zero-padded copy: beyond the box reads 0, outside the ROI.
    let padded = PaddedLevels::new(grey.levels.view(), texture::reach(&angles));
    let steps: Vec<isize> = angles.iter().map(|o| padded.offset(o)).collect();
    let pd = &padded.data;
    for row in padded.rows() {
        for i in row {
            let li = pd[i];
            if li == 0 {
                continue;
            }
            let ci = levels.index[li as usize] as usize;
            for (a, &step) in steps.iter().enumerate() {
                let lj = pd[i.wrapping_add_signed(step)];
                if lj != 0 {
                    let cj = levels.index[lj as usize] as usize;
                    data[(a * n + ci) * n + cj] += 1.0;
                }
            }
        }
    }
    Counts {
        levels,
        angles,
        data,
    }
}

/// PyRadiomics' raw `P_glcm`: the co-occurrence counts as `(Ng, Ng, n_angles)`, rows and columns for every
/// level `1..=Ng` (absent levels give empty rows), before symmetrisation, weighting and normalisation.
/// The angles are [`angles`]; entry `(i−1, j−1, a)` counts voxels of level i with a level-j neighbour at
/// offset `a`.
pub fn matrix(grey: &GreyLevels, s: &TextureSettings) -> Array3<f64> {
    let c = count(grey, s);
    let ng = grey.max_level as usize;
    let n = c.levels.len();
    let na = c.angles.len();
    let mut out = Array3::zeros((ng, ng, na));
    for a in 0..na {
        for i in 0..n {
            for j in 0..n {
                let (gi, gj) = (c.levels.values[i] as usize, c.levels.values[j] as usize);
                out[[gi - 1, gj - 1, a]] = c.data[(a * n + i) * n + j];
            }
        }
    }
    out
}

/// Normalised matrices on the present levels, as the features read them.
struct Probabilities {
    /// Present grey levels (values).
    g: Vec<f64>,
    /// `[a][i][j]`.
    p: Vec<f64>,
    n_angles: usize,
}

fn probabilities(grey: &GreyLevels, spacing: [f64; 3], s: &TextureSettings) -> Probabilities {
    let c = count(grey, s);
    let n = c.levels.len();
    if n == 0 {
        // An empty ROI: no matrix at all.
        return Probabilities {
            g: vec![],
            p: vec![],
            n_angles: 0,
        };
    }
    let nn = n * n;
    let mut p = c.data;
    let mut na = c.angles.len();
    if s.symmetrical_glcm {
        for m in p.chunks_exact_mut(nn) {
            for i in 0..n {
                for j in i..n {
                    let v = m[i * n + j] + m[j * n + i];
                    m[i * n + j] = v;
                    m[j * n + i] = v;
                }
            }
        }
    }
    if let Some(norm) = s.weighting_norm {
        let weights: Vec<f64> = c.angles.iter().map(|&o| weight(o, spacing, norm)).collect();
        // numpy.sum(P * w, axis=angles): a pairwise sum along the contiguous angle axis, per cell.
        let mut merged = vec![0.0; nn];
        let mut cell = vec![0.0; na];
        for (k, m) in merged.iter_mut().enumerate() {
            for (a, c) in cell.iter_mut().enumerate() {
                *c = p[a * nn + k] * weights[a];
            }
            *m = pairwise_sum(&cell);
        }
        p = merged;
        na = 1;
    }
    let pairwise = na == 1;
    let mut sums: Vec<f64> = p.chunks_exact(nn).map(|m| sum(pairwise, m)).collect();
    if na > 1 {
        // Drop the angles without any voxel pair.
        let keep: Vec<bool> = sums.iter().map(|&t| t != 0.0).collect();
        if keep.iter().any(|k| !k) {
            p = p
                .chunks_exact(nn)
                .zip(&keep)
                .filter(|(_, &k)| k)
                .flat_map(|(m, _)| m.iter().copied())
                .collect();
            sums.retain(|&t| t != 0.0);
            na = sums.len();
        }
    }
    for (m, &t) in p.chunks_exact_mut(nn).zip(&sums) {
        let t = if t == 0.0 { f64::NAN } else { t };
        for v in m {
            *v /= t;
        }
    }
    Probabilities {
        g: c.levels.values,
        p,
        n_angles: na,
    }
}

/// The weight of an angle's matrix under `weightingNorm` (PyRadiomics' formulas, term by term).
fn weight(o: Offset, spacing: [f64; 3], norm: WeightingNorm) -> f64 {
    let d = offset_mm(o, spacing);
    match norm {
        WeightingNorm::Infinity => {
            let m = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (-(m * m)).exp()
        }
        WeightingNorm::Euclidean => (-pairwise_sum(&d.map(|v| v * v))).exp(),
        WeightingNorm::Manhattan => {
            let m = pairwise_sum(&d);
            (-(m * m)).exp()
        }
        WeightingNorm::NoWeighting => 1.0,
    }
}

/// PyRadiomics' processed `P_glcm` (after `_calculateMatrix`): empty grey levels removed, symmetrised,
/// weighted, empty angles removed, each angle normalised to sum 1. Shape `(n, n, n_angles)` with `n`
/// the number of grey levels present.
pub fn normalised_matrix(grey: &GreyLevels, spacing: [f64; 3], s: &TextureSettings) -> Array3<f64> {
    let pr = probabilities(grey, spacing, s);
    let n = pr.g.len();
    Array3::from_shape_fn((n, n, pr.n_angles), |(i, j, a)| pr.p[(a * n + i) * n + j])
}

/// A sum over one matrix or vector as numpy orders it: pairwise for a single (merged) matrix, sequential
/// for a stack of angles (numpy then adds element by element into the per-angle outputs).
fn sum(pairwise: bool, v: &[f64]) -> f64 {
    if pairwise {
        pairwise_sum(v)
    } else {
        let mut t = 0.0;
        for &x in v {
            t += x;
        }
        t
    }
}

/// Every GLCM feature, in [`FEATURES`] order. `spacing` (x, y, z, mm) matters only for a
/// `weightingNorm` other than `no_weighting`.
pub fn compute(grey: &GreyLevels, spacing: [f64; 3], s: &TextureSettings) -> Vec<f64> {
    compute_with_absent_levels(grey, spacing, s, 0, true)
}

/// [`compute`] for a region that is part of a larger ROI whose matrices have `absent` more grey levels
/// than the region (PyRadiomics' voxel-based kernels: their matrices keep every level of the whole ROI,
/// and `grey.max_level` is the whole ROI's `Ng`). Those levels give empty rows and columns, which change
/// only MCC: each is an eigenvalue 0 of `Q` (so a region of one level has MCC 0, not 1, when the ROI has
/// several). Without `with_mcc`, MCC (the costliest feature: eigenvalues per angle) is left NaN.
pub fn compute_with_absent_levels(
    grey: &GreyLevels,
    spacing: [f64; 3],
    s: &TextureSettings,
    absent: usize,
    with_mcc: bool,
) -> Vec<f64> {
    let pr = probabilities(grey, spacing, s);
    let n = pr.g.len();
    if n == 0 {
        return vec![f64::NAN; FEATURES.len()];
    }
    let ng = grey.max_level as usize;
    let pairwise = pr.n_angles == 1;
    let per_angle: Vec<AngleFeatures> = (0..pr.n_angles)
        .map(|a| angle_features(&pr.p[a * n * n..(a + 1) * n * n], &pr.g, ng, pairwise))
        .collect();
    let avg = |f: fn(&AngleFeatures) -> f64| nanmean(&per_angle.iter().map(f).collect::<Vec<_>>());
    // Joint average is a plain mean (NaN propagates), the rest are NaN-skipping means.
    let ux: Vec<f64> = per_angle.iter().map(|f| f.mu_x).collect();
    let joint_average = if ux.is_empty() {
        f64::NAN
    } else {
        pairwise_sum(&ux) / ux.len() as f64
    };
    vec![
        avg(|f| f.autocorrelation),
        avg(|f| f.cluster_prominence),
        avg(|f| f.cluster_shade),
        avg(|f| f.cluster_tendency),
        avg(|f| f.contrast),
        avg(|f| f.correlation),
        avg(|f| f.difference_average),
        avg(|f| f.difference_entropy),
        avg(|f| f.difference_variance),
        f64::NAN,
        f64::NAN,
        f64::NAN,
        avg(|f| f.id),
        avg(|f| f.idm),
        avg(|f| f.idmn),
        avg(|f| f.idn),
        avg(|f| f.imc1),
        avg(|f| f.imc2),
        avg(|f| f.inverse_variance),
        joint_average,
        avg(|f| f.joint_energy),
        avg(|f| f.joint_entropy),
        if with_mcc { mcc(&pr, absent) } else { f64::NAN },
        avg(|f| f.maximum_probability),
        avg(|f| f.sum_average),
        avg(|f| f.sum_entropy),
        avg(|f| f.sum_squares),
        f64::NAN,
    ]
}

/// The features of one angle's matrix (MCC apart: it needs all angles' eigenvalues together).
struct AngleFeatures {
    mu_x: f64,
    autocorrelation: f64,
    cluster_prominence: f64,
    cluster_shade: f64,
    cluster_tendency: f64,
    contrast: f64,
    correlation: f64,
    difference_average: f64,
    difference_entropy: f64,
    difference_variance: f64,
    id: f64,
    idm: f64,
    idmn: f64,
    idn: f64,
    imc1: f64,
    imc2: f64,
    inverse_variance: f64,
    joint_energy: f64,
    joint_entropy: f64,
    maximum_probability: f64,
    sum_average: f64,
    sum_entropy: f64,
    sum_squares: f64,
}

/// The coefficients of one angle (PyRadiomics `_calculateCoefficients`), computed once.
struct Coefficients<'a> {
    p: &'a [f64],
    g: &'a [f64],
    pairwise: bool,
    p_x: Vec<f64>,
    p_y: Vec<f64>,
    mu_x: f64,
    mu_y: f64,
    /// `p_{x+y}(k)`, k = 2…2Ng.
    p_xplusy: Vec<f64>,
    /// `p_{x−y}(k)`, k = 0…Ng−1.
    p_xminusy: Vec<f64>,
    hxy: f64,
    /// Scratch space for the terms of a sum over the matrix.
    terms: std::cell::RefCell<Vec<f64>>,
}

impl<'a> Coefficients<'a> {
    fn new(p: &'a [f64], g: &'a [f64], ng: usize, pairwise: bool) -> Coefficients<'a> {
        let n = g.len();
        let mut p_x = vec![0.0; n];
        let mut p_y = vec![0.0; n];
        let mut p_xplusy = vec![0.0; (2 * ng).saturating_sub(1)];
        let mut p_xminusy = vec![0.0; ng];
        for i in 0..n {
            for j in 0..n {
                let v = p[i * n + j];
                p_x[i] += v;
                p_y[j] += v;
                let (gi, gj) = (g[i] as usize, g[j] as usize);
                p_xplusy[gi + gj - 2] += v;
                p_xminusy[gi.abs_diff(gj)] += v;
            }
        }
        let mut c = Coefficients {
            p,
            g,
            pairwise,
            p_x,
            p_y,
            mu_x: 0.0,
            mu_y: 0.0,
            p_xplusy,
            p_xminusy,
            hxy: 0.0,
            terms: std::cell::RefCell::new(Vec::with_capacity(n * n)),
        };
        c.mu_x = c.over_matrix(|v, i, _| i * v);
        c.mu_y = c.over_matrix(|v, _, j| j * v);
        // HXY = −Σ p log₂(p + ε)
        c.hxy = -c.over_matrix(|v, _, _| xlog2(v, v));
        c
    }

    /// Σ_{i,j} f(p(i,j), i, j) over the matrix, in numpy's order (the terms gathered in a reused
    /// buffer, then summed as numpy sums).
    fn over_matrix(&self, f: impl Fn(f64, f64, f64) -> f64) -> f64 {
        let mut t = self.terms.borrow_mut();
        t.clear();
        for (i, row) in self.p.chunks_exact(self.g.len()).enumerate() {
            let gi = self.g[i];
            t.extend(row.iter().zip(self.g).map(|(&v, &gj)| f(v, gi, gj)));
        }
        sum(self.pairwise, &t)
    }

    /// Σ_k f(v(k), k) over a vector indexed from `k0`, in numpy's order.
    fn over(&self, v: &[f64], k0: f64, f: impl Fn(f64, f64) -> f64) -> f64 {
        let t: Vec<f64> = v
            .iter()
            .enumerate()
            .map(|(k, &x)| f(x, k0 + k as f64))
            .collect();
        sum(self.pairwise, &t)
    }
}

/// `x · log₂(y + ε)`, the term of the entropies over a whole matrix or a marginal vector, skipping the
/// logarithm where `x` is 0 (most cells of a sparse matrix): the term is then a zero, which leaves the sum
/// unchanged (the sum of a probability matrix's or vector's terms is never made of zeros alone).
fn xlog2(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * (y + f64::EPSILON).log2()
    }
}

fn angle_features(p: &[f64], g: &[f64], ng: usize, pairwise: bool) -> AngleFeatures {
    let c = Coefficients::new(p, g, ng, pairwise);
    let (mu_x, mu_y) = (c.mu_x, c.mu_y);
    let eps = f64::EPSILON;
    let ngf = ng as f64;

    // 1. Autocorrelation = Σ p(i,j) i j
    let autocorrelation = c.over_matrix(|v, i, j| v * (i * j));
    // 3-5. Cluster prominence / shade / tendency = Σ (i + j − μ_x − μ_y)^{4,3,2} p(i,j)
    let cluster = |k: i32| c.over_matrix(|v, i, j| v * ((i + j) - mu_x - mu_y).powi(k));
    // 6. Contrast = Σ (i − j)² p(i,j)
    let contrast = c.over_matrix(|v, i, j| v * (i - j).abs().powi(2));
    // 7. Correlation = (Σ p(i,j)(i − μ_x)(j − μ_y)) / (σ_x σ_y + ε), 1 where σ_x σ_y = 0
    let sig_x = c.over_matrix(|v, i, _| v * (i - mu_x).powi(2)).sqrt();
    let sig_y = c.over_matrix(|v, _, j| v * (j - mu_y).powi(2)).sqrt();
    let corm = c.over_matrix(|v, i, j| v * (i - mu_x) * (j - mu_y));
    let correlation = if sig_x * sig_y == 0.0 {
        1.0
    } else {
        corm / (sig_x * sig_y + eps)
    };
    // 8. Difference average DA = Σ k p_{x−y}(k)
    let diff = &c.p_xminusy;
    let difference_average = c.over(diff, 0.0, |v, k| k * v);
    // 9. Difference entropy = −Σ p_{x−y}(k) log₂(p_{x−y}(k) + ε)
    let difference_entropy = -c.over(diff, 0.0, |v, _| xlog2(v, v));
    // 10. Difference variance = Σ (k − DA)² p_{x−y}(k)
    let difference_variance = c.over(diff, 0.0, |v, k| v * (k - difference_average).powi(2));
    // 11. Joint energy = Σ p(i,j)²
    let joint_energy = c.over_matrix(|v, _, _| v.powi(2));
    // 12. Joint entropy = HXY
    let joint_entropy = c.hxy;
    // 13-14. Informational measures of correlation.
    let hx = -c.over(&c.p_x, 0.0, |v, _| xlog2(v, v));
    let hy = -c.over(&c.p_y, 0.0, |v, _| xlog2(v, v));
    let n = g.len();
    let pxy: Vec<f64> = (0..n * n).map(|k| c.p_x[k / n] * c.p_y[k % n]).collect();
    let hxy1 = {
        let t: Vec<f64> = (0..n * n).map(|k| xlog2(p[k], pxy[k])).collect();
        -sum(pairwise, &t)
    };
    let hxy2 = {
        let t: Vec<f64> = pxy.iter().map(|&q| xlog2(q, q)).collect();
        -sum(pairwise, &t)
    };
    // Imc1 = (HXY − HXY1) / max(HX, HY), 0 where the maximum is 0
    let div = hx.max(hy);
    let imc1 = if div != 0.0 {
        (c.hxy - hxy1) / div
    } else {
        0.0
    };
    // Imc2 = √(1 − e^{−2 (HXY2 − HXY)}), 0 where HXY2 = HXY
    let imc2 = if hxy2 == c.hxy {
        0.0
    } else {
        (1.0 - std::f64::consts::E.powf(-2.0 * (hxy2 - c.hxy))).sqrt()
    };
    // 15. Inverse difference moment = Σ p_{x−y}(k) / (1 + k²)
    let idm = c.over(diff, 0.0, |v, k| v / (1.0 + k.powi(2)));
    // 17. Inverse difference moment normalised = Σ p_{x−y}(k) / (1 + k²/Ng²)
    let idmn = c.over(diff, 0.0, |v, k| v / (1.0 + k.powi(2) / ngf.powi(2)));
    // 18. Inverse difference = Σ p_{x−y}(k) / (1 + k)
    let id = c.over(diff, 0.0, |v, k| v / (1.0 + k));
    // 19. Inverse difference normalised = Σ p_{x−y}(k) / (1 + k/Ng)
    let idn = c.over(diff, 0.0, |v, k| v / (1.0 + k / ngf));
    // 20. Inverse variance = Σ_{k≥1} p_{x−y}(k) / k²
    let inverse_variance = c.over(diff.get(1..).unwrap_or(&[]), 1.0, |v, k| v / k.powi(2));
    // 21. Maximum probability = max p(i,j)
    let maximum_probability = p.iter().copied().fold(f64::NEG_INFINITY, |m, v| {
        if v.is_nan() || m.is_nan() {
            f64::NAN
        } else {
            m.max(v)
        }
    });
    // 22. Sum average = Σ k p_{x+y}(k)
    let sum_average = c.over(&c.p_xplusy, 2.0, |v, k| k * v);
    // 23. Sum entropy = −Σ p_{x+y}(k) log₂(p_{x+y}(k) + ε)
    let sum_entropy = -c.over(&c.p_xplusy, 2.0, |v, _| xlog2(v, v));
    // 24. Sum of squares = Σ (i − μ_x)² p(i,j)
    let sum_squares = c.over_matrix(|v, i, _| v * (i - mu_x).powi(2));

    AngleFeatures {
        mu_x,
        autocorrelation,
        cluster_prominence: cluster(4),
        cluster_shade: cluster(3),
        cluster_tendency: cluster(2),
        contrast,
        correlation,
        difference_average,
        difference_entropy,
        difference_variance,
        id,
        idm,
        idmn,
        idn,
        imc1,
        imc2,
        inverse_variance,
        joint_energy,
        joint_entropy,
        maximum_probability,
        sum_average,
        sum_entropy,
        sum_squares,
    }
}

/// The second largest eigenvalue of MCC's `Q` for a symmetric angle matrix `p` (`n × n`), or `None`
/// when it cannot be certified to 1e-12 of its value; then the general route decides.
///
/// With `p` symmetric, `p_x = p_y = q`, and without the `ε` of the denominator, `Q₀ = D⁻¹ P D⁻¹ P` is
/// similar to `A = M²`, `M = D^{−½} P D^{−½}` symmetric: its eigenvalues are the squares of `M`'s, found
/// by Householder tridiagonalisation and bisection (a few of them: the three largest and three smallest
/// of `M` hold the three largest squares). `Q` itself (with `ε`) is similar to `A − F`, `F ≥ 0` with
/// `F(i,j) ≤ δᵢ A(i,j)`, `δᵢ = max_k ε / (qᵢ q_k + ε)` over the levels `k` next to `i`, so
/// `‖F‖₂ ≤ ρ = max|s| · (Σᵢ δᵢ² ‖Mᵢ‖²)^½`. When the second largest `μ₂` of `A` lies more than `4ρ` from
/// its neighbours and from 0, exactly one eigenvalue of `Q` (real) lies within `ρ` of it (Bauer–Fike for
/// the symmetric `A`), and it is the second largest; it equals `μ₂ − zᵀ F z` (`z` the unit eigenvector)
/// up to `ρ² / gap`, which must be below `1e-12 μ₂`. Levels absent at this angle (`qᵢ = 0`) give zero
/// rows and columns of `Q` (eigenvalue 0) and are left out of `M`.
fn second_eigenvalue_symmetric(p: &[f64], n: usize) -> Option<f64> {
    for i in 0..n {
        for j in i + 1..n {
            if p[i * n + j] != p[j * n + i] {
                return None;
            }
        }
    }
    let eps = f64::EPSILON;
    let q: Vec<f64> = (0..n).map(|i| p[i * n..(i + 1) * n].iter().sum()).collect();
    let keep: Vec<usize> = (0..n).filter(|&i| q[i] > 0.0).collect();
    let m = keep.len();
    if m < 4 {
        return None;
    }
    let root: Vec<f64> = keep.iter().map(|&i| q[i].sqrt()).collect();
    let mut mat = vec![0.0; m * m];
    for (a, &i) in keep.iter().enumerate() {
        for (b, &j) in keep.iter().enumerate() {
            mat[a * m + b] = p[i * n + j] / (root[a] * root[b]);
        }
    }
    // ρ from the rows of M (before the reduction overwrites it).
    let mut rho2 = 0.0;
    for (a, &i) in keep.iter().enumerate() {
        let delta = keep
            .iter()
            .filter(|&&k| p[i * n + k] > 0.0)
            .map(|&k| eps / (q[i] * q[k] + eps))
            .fold(0.0f64, f64::max);
        let row: f64 = mat[a * m..(a + 1) * m].iter().map(|v| v * v).sum();
        rho2 += delta * delta * row;
    }
    let t = crate::linalg::Tridiagonal::new(&mut mat, m);
    // The three smallest and three largest (with m ≥ 4 they may overlap: duplicates are dropped).
    let picks = [0, 1, 2, m - 3, m - 2, m - 1];
    let values = t.eigenvalues_at(picks);
    let mut candidates: Vec<(f64, f64)> = Vec::with_capacity(6);
    for (r, &k) in picks.iter().enumerate() {
        if !picks[..r].contains(&k) {
            candidates.push((values[r] * values[r], values[r]));
        }
    }
    let s_max = candidates.iter().fold(0.0f64, |x, c| x.max(c.1.abs()));
    let rho = s_max * rho2.sqrt();
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0));
    let (mu1, mu2, mu3) = (candidates[0].0, candidates[1].0, candidates[2].0);
    let gap = (mu1 - mu2).min(mu2 - mu3).min(mu2);
    if !(rho.is_finite() && gap > 4.0 * rho && rho * rho <= 1e-12 * mu2 * gap) {
        return None;
    }
    let z = t.eigenvector(candidates[1].1)?;
    // zᵀ F z = Σ_k [Σ_i z_i √q_i p(i,k) ε / (q_i q_k (q_i q_k + ε))] [Σ_j z_j p(j,k) / √q_j].
    let mut correction = 0.0;
    for &k in &keep {
        let mut left = 0.0;
        let mut right = 0.0;
        for (a, &i) in keep.iter().enumerate() {
            let pik = p[i * n + k];
            if pik == 0.0 {
                continue;
            }
            let qq = q[i] * q[k];
            left += z[a] * root[a] * pik * eps / (qq * (qq + eps));
            right += z[a] * pik / root[a];
        }
        correction += left * right;
    }
    if correction.abs() > rho {
        return None;
    }
    Some(mu2 - correction)
}

/// The row and column sums `p_x`, `p_y` of an `n × n` matrix, each summed in index order.
fn marginals(p: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut p_x = vec![0.0; n];
    let mut p_y = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            p_x[i] += p[i * n + j];
            p_y[j] += p[i * n + j];
        }
    }
    (p_x, p_y)
}

/// The eigenvalues of MCC's `Q` for one angle's `n × n` matrix `p` when the general QR route fails: without
/// the `ε` of its denominator, `Q = D_x⁻¹ P D_y⁻¹ Pᵀ` is similar to the symmetric `C = B Bᵀ`,
/// `B = D_x^{−½} P D_y^{−½}` over the levels present in rows and columns, so its eigenvalues are real and
/// non-negative; the two largest of `C` (by bisection) and zeros for the rest. `ε` moves them by about
/// 1e-16 relative, far below what LAPACK's own rounding leaves on such matrices (1e-13).
fn top_eigenvalues_of_gram(p: &[f64], n: usize) -> Option<Vec<Eigenvalue>> {
    let (p_x, p_y) = marginals(p, n);
    let rows: Vec<usize> = (0..n).filter(|&i| p_x[i] > 0.0).collect();
    let cols: Vec<usize> = (0..n).filter(|&j| p_y[j] > 0.0).collect();
    let m = rows.len();
    let mut values = vec![Eigenvalue { re: 0.0, im: 0.0 }; n];
    if m == 0 {
        return Some(values);
    }
    let w = cols.len();
    let mut b = Vec::with_capacity(m * w);
    for &i in &rows {
        for &j in &cols {
            b.push(p[i * n + j] / (p_x[i].sqrt() * p_y[j].sqrt()));
        }
    }
    let mut c = vec![0.0; m * m];
    for r in 0..m {
        for s in 0..m {
            c[r * m + s] = (0..w).map(|k| b[r * w + k] * b[s * w + k]).sum();
        }
    }
    let t = linalg::Tridiagonal::new(&mut c, m);
    let top = t.eigenvalues_at([m.saturating_sub(2), m - 1]);
    if !top.iter().all(|v| v.is_finite()) {
        return None;
    }
    values[n - 1].re = top[1].max(0.0);
    if m >= 2 {
        values[n - 2].re = top[0].max(0.0);
    }
    Some(values)
}

/// 16. Maximal correlation coefficient = √(second largest eigenvalue of Q), averaged over the angles, with
///
/// ```text
/// Q(i,j) = Σ_k p(i,k) p(j,k) / (p_x(i) p_y(k) + ε)
/// ```
///
/// 1 when a single grey level is present (Q is 1×1). As numpy's `eigvals`, the eigenvalues are real unless
/// some angle's Q has a complex pair; a negative real eigenvalue then has a NaN root (left out of the mean),
/// while among complex ones only the real part of the root counts.
fn mcc(pr: &Probabilities, absent: usize) -> f64 {
    mcc_of(&pr.p, pr.g.len(), pr.n_angles, absent)
}

/// [`mcc`] of `n_angles` normalised `n × n` matrices stored one after the other in `p_all` (present levels
/// only; `absent` more levels of the ROI give empty rows and columns): the route voxel-based kernels take
/// with matrices they formed themselves.
pub(crate) fn mcc_of(p_all: &[f64], n: usize, n_angles: usize, absent: usize) -> f64 {
    if n + absent < 2 {
        return 1.0;
    }
    if n < 2 {
        // Q is one non-negative value and `absent` zeros: the second largest eigenvalue is 0.
        let roots: Vec<f64> = (0..n_angles)
            .map(|a| {
                let p = &p_all[a * n * n..(a + 1) * n * n];
                if p.iter().any(|v| v.is_nan()) {
                    f64::NAN
                } else {
                    0.0
                }
            })
            .collect();
        return nanmean(&roots);
    }
    // Symmetric matrices first take the certified shortcut; any angle it cannot certify sends every
    // angle through the general eigenvalue route (whose real/complex outcome is shared by the angles).
    let shortcut: Option<Vec<f64>> = (0..n_angles)
        .map(|a| {
            let p = &p_all[a * n * n..(a + 1) * n * n];
            if p.iter().any(|v| v.is_nan()) {
                Some(f64::NAN)
            } else {
                // Absent levels add eigenvalues 0: the second largest is then at least 0.
                second_eigenvalue_symmetric(p, n)
                    .map(|v| if absent > 0 { v.max(0.0) } else { v })
                    .map(f64::sqrt)
            }
        })
        .collect();
    if let Some(roots) = shortcut {
        return nanmean(&roots);
    }
    let mut eigen: Vec<Option<Vec<Eigenvalue>>> = Vec::with_capacity(n_angles);
    let mut r = vec![0.0; n * n];
    let mut pt = vec![0.0; n * n];
    for a in 0..n_angles {
        let p = &p_all[a * n * n..(a + 1) * n * n];
        if p.iter().any(|v| v.is_nan()) {
            eigen.push(None);
            continue;
        }
        let (p_x, p_y) = marginals(p, n);
        // Q = R Pᵀ with R(i,k) = p(i,k) / (p_x(i) p_y(k) + ε): one division per cell instead of one per
        // term, and an inner loop along contiguous rows of R and Pᵀ; the terms are summed over k in order,
        // as PyRadiomics' sum does.
        for i in 0..n {
            for k in 0..n {
                r[i * n + k] = p[i * n + k] / (p_x[i] * p_y[k] + f64::EPSILON);
                pt[k * n + i] = p[i * n + k];
            }
        }
        let mut q = vec![0.0; n * n];
        for i in 0..n {
            let q_row = &mut q[i * n..(i + 1) * n];
            for k in 0..n {
                let rik = r[i * n + k];
                if rik == 0.0 {
                    continue;
                }
                for (qij, &pjk) in q_row.iter_mut().zip(&pt[k * n..(k + 1) * n]) {
                    *qij += rik * pjk;
                }
            }
        }
        // Where the QR iteration does not converge (LAPACK's does, on matrices with several eigenvalues
        // equal to rounding), the top of Q's spectrum comes from the symmetric B Bᵀ Q is similar to.
        let ev = linalg::eigenvalues(&mut q, n).or_else(|| top_eigenvalues_of_gram(p, n));
        eigen.push(ev.map(|mut ev| {
            ev.extend(std::iter::repeat_n(Eigenvalue { re: 0.0, im: 0.0 }, absent));
            // Sorted as numpy sorts complex numbers: real part, then imaginary part.
            ev.sort_by(|x, y| x.re.total_cmp(&y.re).then(x.im.total_cmp(&y.im)));
            ev
        }));
    }
    let all_real = eigen
        .iter()
        .flatten()
        .all(|ev| ev.iter().all(|z| z.im == 0.0));
    let roots: Vec<f64> = eigen
        .iter()
        .map(|ev| match ev {
            None => f64::NAN,
            Some(ev) => {
                let second = ev[ev.len() - 2];
                if all_real {
                    second.re.sqrt()
                } else {
                    // The principal square root's real part: √((|z| + re) / 2).
                    let modulus = second.re.hypot(second.im);
                    ((modulus + second.re) / 2.0).sqrt()
                }
            }
        })
        .collect();
    nanmean(&roots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn grey(levels: Array3<u32>) -> GreyLevels {
        GreyLevels::from_levels(levels)
    }

    /// PyRadiomics' documentation example, one slice.
    fn example() -> GreyLevels {
        let v = [
            1, 2, 5, 2, 3, //
            3, 2, 1, 3, 1, //
            1, 3, 5, 5, 2, //
            1, 1, 1, 1, 2, //
            1, 2, 4, 3, 5,
        ];
        grey(Array3::from_shape_vec((1, 5, 5), v.to_vec()).unwrap())
    }

    #[test]
    fn documentation_example_matrix() {
        let s = TextureSettings::default();
        let g = example();
        // One slice: only the 4 in-plane angles; (0, 0, 1) is the 0° angle of the documentation.
        assert_eq!(
            angles(&g, &s),
            vec![[0, 1, 1], [0, 1, 0], [0, 1, -1], [0, 0, 1]]
        );
        let m = matrix(&g, &s);
        assert_eq!(m.dim(), (5, 5, 4));
        let expected = [
            [6, 4, 3, 0, 0],
            [4, 0, 2, 1, 3],
            [3, 2, 0, 1, 2],
            [0, 1, 1, 0, 0],
            [0, 3, 2, 0, 2],
        ];
        for i in 0..5 {
            for j in 0..5 {
                assert_eq!(
                    m[[i, j, 3]] + m[[j, i, 3]],
                    expected[i][j] as f64,
                    "({i}, {j})"
                );
            }
        }
        let p = normalised_matrix(&g, [1.0; 3], &s);
        assert_eq!(p[[0, 0, 3]], 6.0 / 40.0);
        assert_eq!(p[[4, 1, 3]], 3.0 / 40.0);
    }

    /// The documentation's 0° matrix, features by hand.
    #[test]
    fn documentation_example_features_by_hand() {
        let m = [
            [6, 4, 3, 0, 0],
            [4, 0, 2, 1, 3],
            [3, 2, 0, 1, 2],
            [0, 1, 1, 0, 0],
            [0, 3, 2, 0, 2],
        ];
        let p: Vec<f64> = m.iter().flatten().map(|&v| v as f64 / 40.0).collect();
        let g = [1.0, 2.0, 3.0, 4.0, 5.0];
        let f = angle_features(&p, &g, 5, false);
        // p_{x−y} = (8, 14, 12, 6, 0) / 40, p_x = (13, 10, 8, 2, 7) / 40, Σ P² = 128.
        assert!((f.contrast - (14.0 + 12.0 * 4.0 + 6.0 * 9.0) / 40.0).abs() < 1e-15);
        assert!((f.difference_average - (14.0 + 24.0 + 18.0) / 40.0).abs() < 1e-15);
        assert!((f.joint_energy - 128.0 / 1600.0).abs() < 1e-15);
        assert_eq!(f.maximum_probability, 6.0 / 40.0);
        assert!((f.mu_x - (13.0 + 20.0 + 24.0 + 8.0 + 35.0) / 40.0).abs() < 1e-15);
        // Symmetric: Sum average = 2 μ_x.
        assert!((f.sum_average - 2.0 * f.mu_x).abs() < 1e-14);
        let id = (8.0 + 14.0 / 2.0 + 12.0 / 3.0 + 6.0 / 4.0) / 40.0;
        assert!((f.id - id).abs() < 1e-15);
        let idn = (8.0 + 14.0 / 1.2 + 12.0 / 1.4 + 6.0 / 1.6) / 40.0;
        assert!((f.idn - idn).abs() < 1e-15);
        let inverse_variance = (14.0 + 12.0 / 4.0 + 6.0 / 9.0) / 40.0;
        assert!((f.inverse_variance - inverse_variance).abs() < 1e-15);
    }

    #[test]
    fn flat_region_follows_pyradiomics_conventions() {
        let g = grey(Array3::from_elem((3, 3, 3), 2));
        let v = compute(&g, [1.0; 3], &TextureSettings::default());
        let get = |name: &str| v[FEATURES.iter().position(|f| f.name == name).unwrap()];
        assert_eq!(get("Correlation"), 1.0);
        assert_eq!(get("Imc2"), 0.0);
        assert_eq!(get("MCC"), 1.0);
        assert_eq!(get("JointEnergy"), 1.0);
        assert_eq!(get("Contrast"), 0.0);
        assert_eq!(get("JointAverage"), 2.0);
        assert!(get("Imc1").abs() <= 1e-15);
        assert!(get("Dissimilarity").is_nan());
        for (f, x) in FEATURES.iter().zip(&v) {
            assert!(f.deprecated || !x.is_nan(), "{} is NaN", f.name);
        }
    }

    /// The certified shortcut agrees with the general eigenvalues of Q (ε included) where it answers,
    /// and declines where the second eigenvalue is not isolated.
    #[test]
    fn symmetric_shortcut_matches_the_general_route() {
        let mut rng = crate::synthetic::Rng::new(17);
        let mut answered = 0;
        for trial in 0..40 {
            let n = 4 + trial % 30;
            // Banded symmetric counts (neighbouring levels co-occur), some levels rare.
            let mut p = vec![0.0; n * n];
            for i in 0..n {
                for j in i..(i + 3).min(n) {
                    let rare = if i % 7 == 3 { 0.01 } else { 1.0 };
                    let v = ((rng.uniform() * 50.0).floor() + 1.0) * rare;
                    p[i * n + j] = v;
                    p[j * n + i] = v;
                }
            }
            let total: f64 = p.iter().sum();
            p.iter_mut().for_each(|v| *v /= total);
            let mut full = q_of_symmetric(&p, n);
            let mut ev = linalg::eigenvalues(&mut full, n).unwrap();
            ev.sort_by(|x, y| x.re.total_cmp(&y.re));
            if let Some(second) = second_eigenvalue_symmetric(&p, n) {
                answered += 1;
                let want = ev[n - 2].re;
                assert!(
                    ((second - want) / want).abs() < 1e-12,
                    "n {n}: {second} vs {want}"
                );
            }
        }
        assert!(answered > 30, "the shortcut answered only {answered} of 40");
        // Two groups that never touch: eigenvalue 1 twice, nothing to certify.
        let mut p = vec![0.0; 36];
        for (i, j) in [(0, 1), (1, 2), (3, 4), (4, 5)] {
            p[i * 6 + j] = 0.05;
            p[j * 6 + i] = 0.05;
        }
        for i in 0..6 {
            p[i * 6 + i] = 0.1;
        }
        let total: f64 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= total);
        assert_eq!(second_eigenvalue_symmetric(&p, 6), None);
        // Not symmetric: declined.
        p[1] += 0.01;
        assert_eq!(second_eigenvalue_symmetric(&p, 6), None);
    }

    /// MCC's `Q` of a symmetric normalised `n × n` matrix `p` (`p_x = p_y`), term by term.
    fn q_of_symmetric(p: &[f64], n: usize) -> Vec<f64> {
        let q: Vec<f64> = (0..n).map(|i| p[i * n..(i + 1) * n].iter().sum()).collect();
        let mut full = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                full[i * n + j] = (0..n)
                    .map(|k| p[i * n + k] * p[j * n + k] / (q[i] * q[k] + f64::EPSILON))
                    .sum();
            }
        }
        full
    }

    #[test]
    fn gram_route_gives_the_top_of_q_spectrum() {
        // Levels {0, 1} and {2, 3} never co-occur: Q has eigenvalue 1 twice, then smaller ones.
        let n = 4;
        let mut p = vec![0.0; n * n];
        for (i, j, v) in [
            (0, 0, 3.0),
            (0, 1, 1.0),
            (1, 0, 1.0),
            (1, 1, 2.0),
            (2, 3, 2.0),
            (3, 2, 2.0),
            (2, 2, 1.0),
        ] {
            p[i * n + j] = v;
        }
        let total: f64 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= total);
        let ev = top_eigenvalues_of_gram(&p, n).unwrap();
        assert!(
            (ev[n - 1].re - 1.0).abs() < 1e-12 && (ev[n - 2].re - 1.0).abs() < 1e-12,
            "{ev:?}"
        );
        // The general route agrees on the same matrix.
        let mut q = q_of_symmetric(&p, n);
        let mut general = linalg::eigenvalues(&mut q, n).unwrap();
        general.sort_by(|x, y| x.re.total_cmp(&y.re));
        assert!((general[n - 2].re - ev[n - 2].re).abs() < 1e-12);
    }

    #[test]
    fn mcc_of_disconnected_levels_is_one() {
        // Levels {1, 2} and {3, 4} never touch: Q has eigenvalue 1 twice, so MCC = 1.
        let mut l = Array3::zeros((1, 4, 8));
        for y in 0..4 {
            for x in 0..8 {
                l[[0, y, x]] = if x < 3 {
                    1 + ((x + y) % 2) as u32
                } else if x > 4 {
                    3 + ((x + y) % 2) as u32
                } else {
                    0
                };
            }
        }
        let v = compute(&grey(l), [1.0; 3], &TextureSettings::default());
        let mcc = v[FEATURES.iter().position(|f| f.name == "MCC").unwrap()];
        assert!((mcc - 1.0).abs() < 1e-9, "{mcc}");
    }

    #[test]
    fn single_voxel_has_no_pairs() {
        let mut l = Array3::zeros((3, 3, 3));
        l[[1, 1, 1]] = 1;
        let v = compute(&grey(l), [1.0; 3], &TextureSettings::default());
        assert!(v
            .iter()
            .enumerate()
            .all(|(k, x)| x.is_nan() || FEATURES[k].name == "MCC"));
    }

    #[test]
    fn weighting_merges_angles() {
        let g = example();
        let s = TextureSettings {
            weighting_norm: Some(WeightingNorm::NoWeighting),
            ..TextureSettings::default()
        };
        let p = normalised_matrix(&g, [1.0; 3], &s);
        assert_eq!(p.dim(), (5, 5, 1));
        assert!((p.sum() - 1.0).abs() < 1e-15);
        // The merged counts are the sum of the per-angle symmetric counts.
        let m = matrix(&g, &TextureSettings::default());
        let total: f64 = 2.0 * m.sum();
        let pairs_11 = m.slice(ndarray::s![0, 0, ..]).sum() * 2.0;
        assert!((p[[0, 0, 0]] - pairs_11 / total).abs() < 1e-15);
    }
}
