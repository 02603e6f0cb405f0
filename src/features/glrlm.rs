//! Grey level run length matrix features (PyRadiomics `glrlm`).
//!
//! # Definition
//! A run is a maximal line of consecutive ROI voxels of one grey level along a direction. For each
//! direction ("angle", one of each opposite pair: 13 in 3D, 4 with `force2D`, always at distance 1),
//! `P(i, j | θ)` counts the runs of grey level i and length j. Features are computed per angle and averaged
//! over the angles (IBSI "3D, averaged"); with `weightingNorm` the angle matrices are first summed with a
//! weight per angle (IBSI "3D, merged" for `no_weighting`).
//!
//! # Worked example (PyRadiomics' documentation)
//! ```text
//!         5 2 5 4 4                                  1 0 1 0 0
//!         3 3 3 1 3      angle 0° (x),               3 0 1 0 0
//!     I = 2 1 1 1 3      rows: grey level 1…5,   P = 4 1 1 0 0
//!         4 2 2 2 3      columns: run length 1…5     1 1 0 0 0
//!         3 5 3 3 2                                  3 0 0 0 0
//! ```
//!
//! # Symbols
//! ```text
//! P(i,j)   run length matrix of one angle       i   grey levels present in the ROI (values)
//! j        run lengths that occur (1…Nr; lengths absent in every angle are dropped)
//! N_r      Σ P(i,j), the number of runs          N_p  Σ j P(i,j), the number of voxels in runs
//! p_g(i)   Σ_j P(i,j)                            p_r(j)  Σ_i P(i,j)
//! p(i,j)   P(i,j) / N_r                          ε   machine epsilon
//! ```
//!
//! # Settings (PyRadiomics names, defaults)
//! - `weightingNorm` none: `manhattan`, `euclidean`, `infinity` weight each angle's matrix by its offset's
//!   norm in mm (Σ|δ|·s, √Σ(|δ|·s)², max |δ|·s), and sum them; `no_weighting` sums them unweighted. Unlike
//!   the GLCM, the weight is the norm itself, not exp(−norm²): PyRadiomics' convention.
//! - `force2D`, `force2Ddimension`: in-plane directions only.
//!
//! # Conventions kept from PyRadiomics
//! - A direction along which no line crosses the ROI twice (e.g. across the slices of a single-slice ROI)
//!   counts no runs; such empty angles are dropped before averaging.
//! - When the matrices are merged, N_p is the merged total: IBSI's "N_v times the number of directions".
//! - Sums follow numpy's order: sequential over a stack of angles, pairwise over a merged matrix.
//!
//! # References
//! Galloway (1975), Texture analysis using gray level run lengths. PyRadiomics documentation, "Gray Level
//! Run Length Matrix (GLRLM) Features". IBSI 1, section 3.7.

use ndarray::Array3;

use super::texture::{
    self, angles_within, nanmean, offset_mm, Offset, PaddedLevels, PresentLevels,
};
use super::{FeatureInfo, TextureSettings, WeightingNorm};
use crate::numeric::pairwise_sum;
use crate::preprocess::discretise::GreyLevels;

/// The GLRLM features in PyRadiomics' output order (an ASCII sort of the method names).
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::new("GrayLevelNonUniformity", "R5YN"),
    FeatureInfo::new("GrayLevelNonUniformityNormalized", "OVBL"),
    FeatureInfo::new("GrayLevelVariance", "8CE5"),
    FeatureInfo::new("HighGrayLevelRunEmphasis", "G3QZ"),
    FeatureInfo::new("LongRunEmphasis", "W4KF"),
    FeatureInfo::new("LongRunHighGrayLevelEmphasis", "3KUM"),
    FeatureInfo::new("LongRunLowGrayLevelEmphasis", "IVPO"),
    FeatureInfo::new("LowGrayLevelRunEmphasis", "V3SW"),
    FeatureInfo::new("RunEntropy", "HJ9O"),
    FeatureInfo::new("RunLengthNonUniformity", "W92Y"),
    FeatureInfo::new("RunLengthNonUniformityNormalized", "IC23"),
    FeatureInfo::new("RunPercentage", "9ZK5"),
    FeatureInfo::new("RunVariance", "SXLW"),
    FeatureInfo::new("ShortRunEmphasis", "22OV"),
    FeatureInfo::new("ShortRunHighGrayLevelEmphasis", "GD3A"),
    FeatureInfo::new("ShortRunLowGrayLevelEmphasis", "HTZT"),
];

/// The run directions of `grey` under `s` (distance 1 whatever `distances` says, as PyRadiomics), in the
/// order of the matrix's last axis.
pub fn angles(grey: &GreyLevels, s: &TextureSettings) -> Vec<Offset> {
    let (z, y, x) = grey.levels.dim();
    angles_within([z, y, x], &[1], s.plane(), false)
}

/// Run counts on the present levels.
struct Counts {
    levels: PresentLevels,
    angles: Vec<Offset>,
    /// Longest possible run: the largest dimension of the box (PyRadiomics' `Nr` before trimming).
    nr: usize,
    /// `[a][i][j]`, `n × nr` per angle; column j − 1 holds runs of length j.
    data: Vec<f64>,
}

fn count(grey: &GreyLevels, s: &TextureSettings) -> Counts {
    let lv = grey.levels.as_standard_layout();
    let lv = lv.as_slice().expect("standard layout");
    let (sz, sy, sx) = grey.levels.dim();
    let dims = [sz as isize, sy as isize, sx as isize];
    let levels = PresentLevels::of(lv, grey.max_level);
    let angles = angles(grey, s);
    let n = levels.len();
    let nr = sz.max(sy).max(sx);
    let mut data = vec![0.0; angles.len() * n * nr];
    let mut multi = vec![false; angles.len()];
    let inside = |p: [isize; 3]| (0..3).all(|d| p[d] >= 0 && p[d] < dims[d]);
    let at = |p: [isize; 3]| lv[((p[0] * dims[1] + p[1]) * dims[2] + p[2]) as usize];
    // One pass: each ROI voxel that starts a run (its predecessor along the direction is not the same
    // level) walks its run forward, on a zero-padded copy where a run stops at the border by itself.
    let padded = PaddedLevels::new(grey.levels.view(), texture::reach(&angles));
    let flat: Vec<isize> = angles.iter().map(|o| padded.offset(o)).collect();
    let pd = &padded.data;
    for row in padded.rows() {
        for i in row {
            let li = pd[i];
            if li == 0 {
                continue;
            }
            let ci = levels.index[li as usize] as usize;
            for (a, &d) in flat.iter().enumerate() {
                if pd[i.wrapping_add_signed(-d)] == li {
                    continue;
                }
                let mut len = 1;
                let mut q = i.wrapping_add_signed(d);
                while pd[q] == li {
                    len += 1;
                    q = q.wrapping_add_signed(d);
                }
                data[(a * n + ci) * nr + len - 1] += 1.0;
                multi[a] |= len > 1;
            }
        }
    }
    // PyRadiomics empties a direction along which every line holds at most one ROI voxel (a "2D"
    // segmentation for that direction). Only directions without any run longer than 1 can be such.
    for (a, o) in angles.iter().enumerate() {
        if multi[a] {
            continue;
        }
        let mut i = 0usize;
        'search: for z in 0..dims[0] {
            for y in 0..dims[1] {
                for x in 0..dims[2] {
                    let li = lv[i];
                    i += 1;
                    if li == 0 {
                        continue;
                    }
                    let mut q = [z + o[0], y + o[1], x + o[2]];
                    while inside(q) {
                        if at(q) != 0 {
                            multi[a] = true;
                            break 'search;
                        }
                        q = [q[0] + o[0], q[1] + o[1], q[2] + o[2]];
                    }
                }
            }
        }
        if !multi[a] {
            data[a * n * nr..(a + 1) * n * nr].fill(0.0);
        }
    }
    Counts {
        levels,
        angles,
        nr,
        data,
    }
}

/// PyRadiomics' raw `P_glrlm`: run counts as `(Ng, Nr, n_angles)`, a row for every level `1..=Ng` (absent
/// levels give empty rows), column j − 1 for runs of length j up to `Nr`, the largest dimension of the box.
/// The angles are [`angles`].
pub fn matrix(grey: &GreyLevels, s: &TextureSettings) -> Array3<f64> {
    let c = count(grey, s);
    let ng = grey.max_level as usize;
    let n = c.levels.len();
    let na = c.angles.len();
    let mut out = Array3::zeros((ng, c.nr, na));
    for a in 0..na {
        for i in 0..n {
            let gi = c.levels.values[i] as usize;
            for j in 0..c.nr {
                out[[gi - 1, j, a]] = c.data[(a * n + i) * c.nr + j];
            }
        }
    }
    out
}

/// The matrices the features read: present levels, weighted, without empty angles or run lengths.
struct Runs {
    /// Present grey levels (values), `n`.
    g: Vec<f64>,
    /// Occurring run lengths, `m`.
    j: Vec<f64>,
    /// `[a][i][k]`, `n × m` per angle.
    p: Vec<f64>,
    /// Runs per angle (NaN for an angle without runs).
    n_runs: Vec<f64>,
}

impl Runs {
    fn n_angles(&self) -> usize {
        self.n_runs.len()
    }
}

fn runs(grey: &GreyLevels, spacing: [f64; 3], s: &TextureSettings) -> Runs {
    let c = count(grey, s);
    let n = c.levels.len();
    let nr = c.nr;
    let size = n * nr;
    if size == 0 {
        return Runs {
            g: vec![],
            j: vec![],
            p: vec![],
            n_runs: vec![],
        };
    }
    let mut p = c.data;
    let mut na = c.angles.len();
    if let Some(norm) = s.weighting_norm {
        let weights: Vec<f64> = c.angles.iter().map(|&o| weight(o, spacing, norm)).collect();
        let mut merged = vec![0.0; size];
        let mut cell = vec![0.0; na];
        for (k, m) in merged.iter_mut().enumerate() {
            for (a, c) in cell.iter_mut().enumerate() {
                *c = p[a * size + k] * weights[a];
            }
            *m = pairwise_sum(&cell);
        }
        p = merged;
        na = 1;
    }
    let pairwise = na == 1;
    let mut n_runs: Vec<f64> = p.chunks_exact(size).map(|m| sum(pairwise, m)).collect();
    if na > 1 && n_runs.contains(&0.0) {
        p = p
            .chunks_exact(size)
            .zip(&n_runs)
            .filter(|(_, &t)| t != 0.0)
            .flat_map(|(m, _)| m.iter().copied())
            .collect();
        n_runs.retain(|&t| t != 0.0);
        na = n_runs.len();
    }
    for t in n_runs.iter_mut() {
        if *t == 0.0 {
            *t = f64::NAN;
        }
    }
    // Drop the run lengths that occur in no angle.
    let keep: Vec<usize> = (0..nr)
        .filter(|&k| (0..na).any(|a| (0..n).any(|i| p[(a * n + i) * nr + k] != 0.0)))
        .collect();
    let m = keep.len();
    let mut trimmed = Vec::with_capacity(na * n * m);
    for a in 0..na {
        for i in 0..n {
            trimmed.extend(keep.iter().map(|&k| p[(a * n + i) * nr + k]));
        }
    }
    Runs {
        g: c.levels.values,
        j: keep.iter().map(|&k| (k + 1) as f64).collect(),
        p: trimmed,
        n_runs,
    }
}

/// The weight of an angle's matrix under `weightingNorm`: the offset's norm in mm (PyRadiomics).
fn weight(o: Offset, spacing: [f64; 3], norm: WeightingNorm) -> f64 {
    let d = offset_mm(o, spacing);
    match norm {
        WeightingNorm::Infinity => d.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        WeightingNorm::Euclidean => pairwise_sum(&d.map(|v| v * v)).sqrt(),
        WeightingNorm::Manhattan => pairwise_sum(&d),
        WeightingNorm::NoWeighting => 1.0,
    }
}

/// A sum as numpy orders it: pairwise over a single (merged) matrix, sequential over a stack of angles.
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

/// PyRadiomics' processed `P_glrlm` (after `_initCalculation`): empty grey levels removed, weighted, empty
/// angles removed, run lengths that occur in no angle removed. Shape `(n, m, n_angles)`; counts, not
/// normalised.
pub fn run_matrix(grey: &GreyLevels, spacing: [f64; 3], s: &TextureSettings) -> Array3<f64> {
    let r = runs(grey, spacing, s);
    let (n, m) = (r.g.len(), r.j.len());
    Array3::from_shape_fn((n, m, r.n_angles()), |(i, k, a)| r.p[(a * n + i) * m + k])
}

/// Every GLRLM feature, in [`FEATURES`] order. `spacing` (x, y, z, mm) matters only for a
/// `weightingNorm` other than `no_weighting`.
pub fn compute(grey: &GreyLevels, spacing: [f64; 3], s: &TextureSettings) -> Vec<f64> {
    let r = runs(grey, spacing, s);
    if r.g.is_empty() {
        return vec![f64::NAN; FEATURES.len()];
    }
    let per_angle: Vec<[f64; 16]> = (0..r.n_angles()).map(|a| angle_features(&r, a)).collect();
    (0..FEATURES.len())
        .map(|k| nanmean(&per_angle.iter().map(|f| f[k]).collect::<Vec<_>>()))
        .collect()
}

/// The features of one angle, in [`FEATURES`] order.
fn angle_features(r: &Runs, a: usize) -> [f64; 16] {
    let (n, m) = (r.g.len(), r.j.len());
    let pairwise = r.n_angles() == 1;
    let p = &r.p[a * n * m..(a + 1) * n * m];
    let n_runs = r.n_runs[a];
    let (g, j) = (&r.g, &r.j);
    // p_r(j) = Σ_i P(i,j), p_g(i) = Σ_j P(i,j)
    let mut p_r = vec![0.0; m];
    let mut p_g = vec![0.0; n];
    for i in 0..n {
        for k in 0..m {
            p_r[k] += p[i * m + k];
            p_g[i] += p[i * m + k];
        }
    }
    let over = |v: &[f64], f: &dyn Fn(f64, usize) -> f64| {
        let t: Vec<f64> = v.iter().enumerate().map(|(k, &x)| f(x, k)).collect();
        sum(pairwise, &t)
    };
    let over_matrix = |f: &dyn Fn(f64, f64, f64) -> f64| {
        let t: Vec<f64> = (0..n * m).map(|k| f(p[k], g[k / m], j[k % m])).collect();
        sum(pairwise, &t)
    };

    // 1. Short run emphasis = Σ p_r(j) / j² / N_r
    let sre = over(&p_r, &|v, k| v / j[k].powi(2)) / n_runs;
    // 2. Long run emphasis = Σ p_r(j) j² / N_r
    let lre = over(&p_r, &|v, k| v * j[k].powi(2)) / n_runs;
    // 3. Grey level non-uniformity = Σ p_g(i)² / N_r
    let gln = over(&p_g, &|v, _| v.powi(2)) / n_runs;
    // 4. Its normalised form = Σ p_g(i)² / N_r²
    let glnn = over(&p_g, &|v, _| v.powi(2)) / n_runs.powi(2);
    // 5. Run length non-uniformity = Σ p_r(j)² / N_r
    let rln = over(&p_r, &|v, _| v.powi(2)) / n_runs;
    // 6. Its normalised form = Σ p_r(j)² / N_r²
    let rlnn = over(&p_r, &|v, _| v.powi(2)) / n_runs.powi(2);
    // 7. Run percentage = N_r / N_p, N_p = Σ p_r(j) j
    let n_p = over(&p_r, &|v, k| v * j[k]);
    let rp = n_runs / n_p;
    // 8. Grey level variance = Σ p_g(i)/N_r (i − μ)², μ = Σ p_g(i)/N_r i
    let pg_n: Vec<f64> = p_g.iter().map(|v| v / n_runs).collect();
    let mu_i = over(&pg_n, &|v, k| v * g[k]);
    let glv = over(&pg_n, &|v, k| v * (g[k] - mu_i).powi(2));
    // 9. Run variance = Σ p_r(j)/N_r (j − μ)², μ = Σ p_r(j)/N_r j
    let pr_n: Vec<f64> = p_r.iter().map(|v| v / n_runs).collect();
    let mu_j = over(&pr_n, &|v, k| v * j[k]);
    let rv = over(&pr_n, &|v, k| v * (j[k] - mu_j).powi(2));
    // 10. Run entropy = −Σ p(i,j) log₂(p(i,j) + ε)
    let re = -over_matrix(&|v, _, _| {
        let q = v / n_runs;
        q * (q + f64::EPSILON).log2()
    });
    // 11. Low grey level run emphasis = Σ p_g(i) / i² / N_r
    let lglre = over(&p_g, &|v, k| v / g[k].powi(2)) / n_runs;
    // 12. High grey level run emphasis = Σ p_g(i) i² / N_r
    let hglre = over(&p_g, &|v, k| v * g[k].powi(2)) / n_runs;
    // 13. Short run low grey level emphasis = Σ P(i,j) / (i² j²) / N_r
    let srlgle = over_matrix(&|v, gi, jk| v / (gi.powi(2) * jk.powi(2))) / n_runs;
    // 14. Short run high grey level emphasis = Σ P(i,j) i² / j² / N_r
    let srhgle = over_matrix(&|v, gi, jk| v * gi.powi(2) / jk.powi(2)) / n_runs;
    // 15. Long run low grey level emphasis = Σ P(i,j) j² / i² / N_r
    let lrlgle = over_matrix(&|v, gi, jk| v * jk.powi(2) / gi.powi(2)) / n_runs;
    // 16. Long run high grey level emphasis = Σ P(i,j) j² i² / N_r
    let lrhgle = over_matrix(&|v, gi, jk| v * (jk.powi(2) * gi.powi(2))) / n_runs;

    [
        gln, glnn, glv, hglre, lre, lrhgle, lrlgle, lglre, re, rln, rlnn, rp, rv, sre, srhgle,
        srlgle,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(levels: Array3<u32>) -> GreyLevels {
        GreyLevels::from_levels(levels)
    }

    /// PyRadiomics' documentation example, one slice.
    fn example() -> GreyLevels {
        let v = [
            5, 2, 5, 4, 4, //
            3, 3, 3, 1, 3, //
            2, 1, 1, 1, 3, //
            4, 2, 2, 2, 3, //
            3, 5, 3, 3, 2,
        ];
        grey(Array3::from_shape_vec((1, 5, 5), v.to_vec()).unwrap())
    }

    #[test]
    fn documentation_example_matrix() {
        let s = TextureSettings::default();
        let g = example();
        assert_eq!(
            angles(&g, &s),
            vec![[0, 1, 1], [0, 1, 0], [0, 1, -1], [0, 0, 1]]
        );
        let m = matrix(&g, &s);
        assert_eq!(m.dim(), (5, 5, 4));
        let expected = [
            [1, 0, 1, 0, 0],
            [3, 0, 1, 0, 0],
            [4, 1, 1, 0, 0],
            [1, 1, 0, 0, 0],
            [3, 0, 0, 0, 0],
        ];
        for i in 0..5 {
            for j in 0..5 {
                assert_eq!(m[[i, j, 3]], expected[i][j] as f64, "({i}, {j})");
            }
        }
        // Every voxel is in exactly one run per direction.
        for a in 0..4 {
            let voxels: f64 = (0..5)
                .flat_map(|i| (0..5).map(move |j| (i, j)))
                .map(|(i, j)| m[[i, j, a]] * (j + 1) as f64)
                .sum();
            assert_eq!(voxels, 25.0);
        }
    }

    #[test]
    fn documentation_example_features_by_hand() {
        let s = TextureSettings::default();
        let g = example();
        // The 0° direction (the fourth angle) alone.
        let r = runs(&g, [1.0; 3], &s);
        let f = angle_features(&r, 3);
        // N_r = 17 runs; p_r = (12, 2, 3), p_g = (2, 4, 6, 2, 3).
        let idx = |name: &str| FEATURES.iter().position(|f| f.name == name).unwrap();
        assert!((f[idx("ShortRunEmphasis")] - (12.0 + 2.0 / 4.0 + 3.0 / 9.0) / 17.0).abs() < 1e-15);
        assert!((f[idx("LongRunEmphasis")] - (12.0 + 8.0 + 27.0) / 17.0).abs() < 1e-15);
        assert!((f[idx("RunPercentage")] - 17.0 / 25.0).abs() < 1e-15);
        assert!(
            (f[idx("GrayLevelNonUniformity")] - (4.0 + 16.0 + 36.0 + 4.0 + 9.0) / 17.0).abs()
                < 1e-15
        );
        assert!((f[idx("RunLengthNonUniformity")] - (144.0 + 4.0 + 9.0) / 17.0).abs() < 1e-15);
    }

    #[test]
    fn runs_across_single_voxel_lines_are_dropped() {
        // Two voxels side by side in x only: along y and the diagonals every line holds one voxel.
        let mut l = Array3::zeros((1, 3, 3));
        l[[0, 1, 0]] = 1;
        l[[0, 1, 1]] = 2;
        let g = grey(l);
        let s = TextureSettings::default();
        let m = matrix(&g, &s);
        for a in 0..3 {
            assert_eq!(m.slice(ndarray::s![.., .., a]).sum(), 0.0, "angle {a}");
        }
        assert_eq!(m.slice(ndarray::s![.., .., 3]).sum(), 2.0);
        let r = run_matrix(&g, [1.0; 3], &s);
        assert_eq!(r.dim(), (2, 1, 1));
        let v = compute(&g, [1.0; 3], &s);
        assert!(v.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn single_voxel_has_no_runs_to_average() {
        let mut l = Array3::zeros((3, 3, 3));
        l[[1, 1, 1]] = 3;
        let v = compute(&grey(l), [1.0; 3], &TextureSettings::default());
        assert!(v.iter().all(|x| x.is_nan()));
    }
}
