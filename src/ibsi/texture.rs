//! IBSI 1 texture families: GLCM (`cm_`), GLRLM (`rlm_`), GLSZM (`szm_`), GLDZM (`dzm_`), NGTDM (`ngt_`)
//! and NGLDM (`ngl_`), each with the standard's aggregations.
//!
//! # Grey levels
//! Every family reads [`Grey`]: discretised levels 1..=Ng inside the intensity mask, 0 outside. Matrix row
//! `i − 1` holds grey level `i`, for every level of the discretisation whether present or not, so that
//! the level values that enter the features (joint average, grey level emphases) are the discretised
//! intensities themselves, and Ng (normalised inverse differences) is the number of discretisation levels.
//!
//! # Aggregations
//! Slices are planes of constant z (array axis 0). IBSI's methods (manual, "Aggregating features"):
//! ```text
//! GLCM, GLRLM   2D averaged (BTW3)         one matrix per slice and in-plane direction, features averaged
//!               2D slice-merged (SUJT)     per slice, the 4 direction matrices summed; features averaged over slices
//!               2.5D direction-merged (JJUI) per direction, matrices summed over slices; averaged over directions
//!               2.5D merged (ZW7Z)         every per-slice, per-direction matrix summed into one
//!               3D averaged (ITBB)         one matrix per 3D direction (13), features averaged
//!               3D merged (IAZD)           the 13 matrices summed into one
//! GLSZM, GLDZM, 2D (8QNN)                  one matrix per slice, features averaged over slices
//! NGTDM, NGLDM  2.5D (62GR)                the per-slice matrices summed into one
//!               3D (KOBO)                  one matrix of the volume
//! ```
//! A matrix with no entry (a slice without a neighbouring pair in some direction) is left out of an
//! average. Merging sums the voxel counts Nv along with the matrices (run and zone percentages).
//!
//! Neighbourhoods: Chebyshev distance 1 (8 in-plane neighbours in 2D, 26 in 3D); zones are linked the
//! same way. The GLDZM distance to the ROI edge counts steps between face neighbours (4-connected in 2D,
//! 6-connected in 3D) on the morphological mask, 1 on the edge, with everything beyond the image outside.

use std::collections::VecDeque;

use ndarray::{Array2, Array3, ArrayView3};

/// Discretised grey levels of the intensity mask.
#[derive(Debug, Clone)]
pub struct Grey {
    /// Levels 1..=`ng` inside the intensity mask, 0 outside; indexed `[z, y, x]`.
    pub levels: Array3<u32>,
    /// Number of discretisation levels.
    pub ng: usize,
}

/// How a texture family's matrices are combined; the suffix of the template tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// 2D, averaged (BTW3).
    D2Avg,
    /// 2D, slice-merged (SUJT).
    D2Comb,
    /// 2.5D, direction-merged (JJUI).
    D25Avg,
    /// 2.5D, merged (ZW7Z).
    D25Comb,
    /// 3D, averaged (ITBB).
    D3Avg,
    /// 3D, merged (IAZD).
    D3Comb,
}

impl Aggregation {
    /// The template-tag suffix (`2D_avg`, ...).
    pub fn suffix(self) -> &'static str {
        match self {
            Aggregation::D2Avg => "2D_avg",
            Aggregation::D2Comb => "2D_comb",
            Aggregation::D25Avg => "2_5D_avg",
            Aggregation::D25Comb => "2_5D_comb",
            Aggregation::D3Avg => "3D_avg",
            Aggregation::D3Comb => "3D_comb",
        }
    }
}

/// Aggregation of the zone and neighbourhood families (GLSZM, GLDZM, NGTDM, NGLDM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneAggregation {
    /// Per slice, features averaged (8QNN).
    D2,
    /// Per-slice matrices merged (62GR).
    D25,
    /// One 3D matrix (KOBO).
    D3,
}

impl ZoneAggregation {
    /// The template-tag suffix (`2D`, `2_5D`, `3D`).
    pub fn suffix(self) -> &'static str {
        match self {
            ZoneAggregation::D2 => "2D",
            ZoneAggregation::D25 => "2_5D",
            ZoneAggregation::D3 => "3D",
        }
    }
}

/// The 13 directions (dz, dy, dx) of 3D neighbours, one of each opposite pair; the first 4 lie in-plane.
const DIRECTIONS: [[isize; 3]; 13] = [
    [0, 0, 1],
    [0, 1, -1],
    [0, 1, 0],
    [0, 1, 1],
    [1, -1, -1],
    [1, -1, 0],
    [1, -1, 1],
    [1, 0, -1],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, -1],
    [1, 1, 0],
    [1, 1, 1],
];

/// Neighbour offsets within Chebyshev distance 1 (in-plane only with `planar`).
fn neighbours(planar: bool) -> Vec<[isize; 3]> {
    let mut out = Vec::new();
    for dz in -1isize..=1 {
        if planar && dz != 0 {
            continue;
        }
        for dy in -1isize..=1 {
            for dx in -1isize..=1 {
                if (dz, dy, dx) != (0, 0, 0) {
                    out.push([dz, dy, dx]);
                }
            }
        }
    }
    out
}

/// The voxel at `p + d`, if inside the array.
fn step(p: [usize; 3], d: [isize; 3], dim: [usize; 3]) -> Option<[usize; 3]> {
    let mut q = [0usize; 3];
    for a in 0..3 {
        let v = p[a] as isize + d[a];
        if v < 0 || v >= dim[a] as isize {
            return None;
        }
        q[a] = v as usize;
    }
    Some(q)
}

fn dim3<T>(a: ArrayView3<'_, T>) -> [usize; 3] {
    let (z, y, x) = a.dim();
    [z, y, x]
}

/// The z indices of slices holding at least one ROI voxel.
fn roi_slices(levels: ArrayView3<'_, u32>) -> Vec<usize> {
    (0..levels.dim().0)
        .filter(|&z| {
            levels
                .index_axis(ndarray::Axis(0), z)
                .iter()
                .any(|&l| l > 0)
        })
        .collect()
}

/// Mean of the feature vectors, each feature averaged over the vectors (NaN entries kept: they propagate).
fn average(rows: &[Vec<f64>], n_features: usize) -> Vec<f64> {
    if rows.is_empty() {
        return vec![f64::NAN; n_features];
    }
    (0..n_features)
        .map(|k| rows.iter().map(|r| r[k]).sum::<f64>() / rows.len() as f64)
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// GLCM

/// GLCM feature tags, in output order.
pub const CM_NAMES: [&str; 25] = [
    "joint_max",
    "joint_avg",
    "joint_var",
    "joint_entr",
    "diff_avg",
    "diff_var",
    "diff_entr",
    "sum_avg",
    "sum_var",
    "sum_entr",
    "energy",
    "contrast",
    "dissimilarity",
    "inv_diff",
    "inv_diff_norm",
    "inv_diff_mom",
    "inv_diff_mom_norm",
    "inv_var",
    "corr",
    "auto_corr",
    "clust_tend",
    "clust_shade",
    "clust_prom",
    "info_corr1",
    "info_corr2",
];

/// The symmetric co-occurrence counts of direction `d` (Ng × Ng), over the slice `z` only when given.
pub fn glcm_matrix(grey: &Grey, d: [isize; 3], slice: Option<usize>) -> Array2<f64> {
    let lv = grey.levels.view();
    let dim = dim3(lv);
    let mut m = Array2::<f64>::zeros((grey.ng, grey.ng));
    let zs: Vec<usize> = match slice {
        Some(z) => vec![z],
        None => (0..dim[0]).collect(),
    };
    for z in zs {
        for y in 0..dim[1] {
            for x in 0..dim[2] {
                let i = lv[[z, y, x]];
                if i == 0 {
                    continue;
                }
                if let Some(q) = step([z, y, x], d, dim) {
                    let j = lv[q];
                    if j > 0 {
                        m[[i as usize - 1, j as usize - 1]] += 1.0;
                        m[[j as usize - 1, i as usize - 1]] += 1.0;
                    }
                }
            }
        }
    }
    m
}

fn plog2(p: f64) -> f64 {
    if p > 0.0 {
        p * p.log2()
    } else {
        0.0
    }
}

/// The GLCM features of a count matrix, in [`CM_NAMES`] order; `None` for an empty matrix.
pub fn glcm_features(counts: &Array2<f64>) -> Option<Vec<f64>> {
    let total = counts.sum();
    if total <= 0.0 {
        return None;
    }
    let ng = counts.nrows();
    let p = counts / total;
    let lvl = |k: usize| (k + 1) as f64;
    let px: Vec<f64> = (0..ng).map(|i| p.row(i).sum()).collect();
    let py: Vec<f64> = (0..ng).map(|j| p.column(j).sum()).collect();
    let mut p_diff = vec![0.0; ng];
    let mut p_sum = vec![0.0; 2 * ng + 1];
    for ((i, j), &v) in p.indexed_iter() {
        p_diff[i.abs_diff(j)] += v;
        p_sum[i + j + 2] += v;
    }
    let mu_x: f64 = px.iter().enumerate().map(|(i, &v)| lvl(i) * v).sum();
    let mu_y: f64 = py.iter().enumerate().map(|(j, &v)| lvl(j) * v).sum();
    let var_x: f64 = px
        .iter()
        .enumerate()
        .map(|(i, &v)| (lvl(i) - mu_x).powi(2) * v)
        .sum();
    let var_y: f64 = py
        .iter()
        .enumerate()
        .map(|(j, &v)| (lvl(j) - mu_y).powi(2) * v)
        .sum();
    let ngf = ng as f64;

    let mut joint_max = 0.0f64;
    let (mut joint_avg, mut hxy, mut energy, mut contrast, mut dissim) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut idn, mut id, mut idm, mut idmn, mut inv_var) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut corr, mut auto, mut hxy1, mut hxy2) = (0.0, 0.0, 0.0, 0.0);
    let (mut tend, mut shade, mut prom) = (0.0, 0.0, 0.0);
    for ((a, b), &v) in p.indexed_iter() {
        let (i, j) = (lvl(a), lvl(b));
        let pxy = px[a] * py[b];
        hxy2 -= plog2(pxy);
        if v <= 0.0 {
            continue;
        }
        joint_max = joint_max.max(v);
        joint_avg += i * v;
        hxy -= plog2(v);
        energy += v * v;
        let d = (i - j).abs();
        contrast += d * d * v;
        dissim += d * v;
        id += v / (1.0 + d);
        idn += v / (1.0 + d / ngf);
        idm += v / (1.0 + d * d);
        idmn += v / (1.0 + d * d / (ngf * ngf));
        if a != b {
            inv_var += v / (d * d);
        }
        corr += (i - mu_x) * (j - mu_y) * v;
        auto += i * j * v;
        hxy1 -= v * pxy.log2();
        let c = i + j - mu_x - mu_y;
        tend += c * c * v;
        shade += c * c * c * v;
        prom += c * c * c * c * v;
    }
    let joint_var: f64 = p
        .indexed_iter()
        .map(|((a, _), &v)| (lvl(a) - joint_avg).powi(2) * v)
        .sum();
    let diff_avg: f64 = p_diff.iter().enumerate().map(|(k, &v)| k as f64 * v).sum();
    let diff_var: f64 = p_diff
        .iter()
        .enumerate()
        .map(|(k, &v)| (k as f64 - diff_avg).powi(2) * v)
        .sum();
    let diff_entr: f64 = -p_diff.iter().map(|&v| plog2(v)).sum::<f64>();
    let sum_avg: f64 = p_sum.iter().enumerate().map(|(k, &v)| k as f64 * v).sum();
    let sum_var: f64 = p_sum
        .iter()
        .enumerate()
        .map(|(k, &v)| (k as f64 - sum_avg).powi(2) * v)
        .sum();
    let sum_entr: f64 = -p_sum.iter().map(|&v| plog2(v)).sum::<f64>();
    let hx: f64 = -px.iter().map(|&v| plog2(v)).sum::<f64>();
    let hy: f64 = -py.iter().map(|&v| plog2(v)).sum::<f64>();
    let corr = corr / (var_x.sqrt() * var_y.sqrt());
    let info_corr1 = (hxy - hxy1) / hx.max(hy);
    let info_corr2 = (1.0 - (-2.0 * (hxy2 - hxy)).exp()).max(0.0).sqrt();
    Some(vec![
        joint_max, joint_avg, joint_var, hxy, diff_avg, diff_var, diff_entr, sum_avg, sum_var,
        sum_entr, energy, contrast, dissim, id, idn, idm, idmn, inv_var, corr, auto, tend, shade,
        prom, info_corr1, info_corr2,
    ])
}

// ---------------------------------------------------------------------------------------------------
// GLRLM

/// Run-length counts of direction `d` (Ng × longest possible run), over the slice `z` only when given,
/// and the number of ROI voxels looked at.
pub fn glrlm_matrix(grey: &Grey, d: [isize; 3], slice: Option<usize>) -> (Array2<f64>, f64) {
    let lv = grey.levels.view();
    let dim = dim3(lv);
    let longest = dim.iter().copied().max().unwrap_or(1);
    let mut m = Array2::<f64>::zeros((grey.ng, longest));
    let zs: Vec<usize> = match slice {
        Some(z) => vec![z],
        None => (0..dim[0]).collect(),
    };
    let back = [-d[0], -d[1], -d[2]];
    let mut nv = 0.0;
    for z in zs {
        for y in 0..dim[1] {
            for x in 0..dim[2] {
                let i = lv[[z, y, x]];
                if i == 0 {
                    continue;
                }
                nv += 1.0;
                // A run starts where the previous voxel along the direction is not of the same level.
                let starts = step([z, y, x], back, dim).is_none_or(|q| lv[q] != i);
                if !starts {
                    continue;
                }
                let mut len = 1usize;
                let mut p = [z, y, x];
                while let Some(q) = step(p, d, dim) {
                    if lv[q] != i {
                        break;
                    }
                    len += 1;
                    p = q;
                }
                m[[i as usize - 1, len - 1]] += 1.0;
            }
        }
    }
    (m, nv)
}

/// Emphasis-type feature tags shared by GLRLM, GLSZM, GLDZM and NGLDM (short/long = small/large index j).
pub const RLM_NAMES: [&str; 16] = [
    "sre",
    "lre",
    "lgre",
    "hgre",
    "srlge",
    "srhge",
    "lrlge",
    "lrhge",
    "glnu",
    "glnu_norm",
    "rlnu",
    "rlnu_norm",
    "r_perc",
    "gl_var",
    "rl_var",
    "rl_entr",
];
/// GLSZM feature tags.
pub const SZM_NAMES: [&str; 16] = [
    "sze",
    "lze",
    "lgze",
    "hgze",
    "szlge",
    "szhge",
    "lzlge",
    "lzhge",
    "glnu",
    "glnu_norm",
    "zsnu",
    "zsnu_norm",
    "z_perc",
    "gl_var",
    "zs_var",
    "zs_entr",
];
/// GLDZM feature tags.
pub const DZM_NAMES: [&str; 16] = [
    "sde",
    "lde",
    "lgze",
    "hgze",
    "sdlge",
    "sdhge",
    "ldlge",
    "ldhge",
    "glnu",
    "glnu_norm",
    "zdnu",
    "zdnu_norm",
    "z_perc",
    "gl_var",
    "zd_var",
    "zd_entr",
];
/// NGLDM feature tags (the 16 of the shared set, then dependence count energy).
pub const NGL_NAMES: [&str; 17] = [
    "lde",
    "hde",
    "lgce",
    "hgce",
    "ldlge",
    "ldhge",
    "hdlge",
    "hdhge",
    "glnu",
    "glnu_norm",
    "dcnu",
    "dcnu_norm",
    "dc_perc",
    "gl_var",
    "dc_var",
    "dc_entr",
    "dc_energy",
];

/// The shared features of a matrix `m` (row i − 1: grey level i; column j − 1: run length, zone size,
/// distance or dependence j) over `nv` voxels, in [`RLM_NAMES`] order, then the energy Σ p²; `None` for
/// an empty matrix.
///
/// ```text
/// Ns = Σ m    p = m / Ns
/// short/long emphasis   Σ m / j² / Ns,  Σ m j² / Ns        low/high grey   Σ m / i² / Ns,  Σ m i² / Ns
/// mixed emphases        Σ m i^±2 j^±2 / Ns
/// non-uniformity        Σ_i (Σ_j m)² / Ns  (normalised: / Ns²), the same over j
/// percentage            Ns / Nv
/// variances             Σ (i − μ_i)² p,  Σ (j − μ_j)² p     entropy  −Σ p log₂ p
/// ```
pub fn emphasis_features(m: &Array2<f64>, nv: f64) -> Option<Vec<f64>> {
    let ns = m.sum();
    if ns <= 0.0 {
        return None;
    }
    let mut f = [0.0f64; 8];
    let mut rows = vec![0.0; m.nrows()];
    let mut cols = vec![0.0; m.ncols()];
    let (mut mu_i, mut mu_j, mut entr, mut energy) = (0.0, 0.0, 0.0, 0.0);
    for ((a, b), &v) in m.indexed_iter() {
        if v == 0.0 {
            continue;
        }
        let (i2, j2) = (((a + 1) * (a + 1)) as f64, ((b + 1) * (b + 1)) as f64);
        f[0] += v / j2;
        f[1] += v * j2;
        f[2] += v / i2;
        f[3] += v * i2;
        f[4] += v / (i2 * j2);
        f[5] += v * i2 / j2;
        f[6] += v * j2 / i2;
        f[7] += v * i2 * j2;
        rows[a] += v;
        cols[b] += v;
        let p = v / ns;
        mu_i += (a + 1) as f64 * p;
        mu_j += (b + 1) as f64 * p;
        entr -= p * p.log2();
        energy += p * p;
    }
    let (mut var_i, mut var_j) = (0.0, 0.0);
    for ((a, b), &v) in m.indexed_iter() {
        if v != 0.0 {
            let p = v / ns;
            var_i += ((a + 1) as f64 - mu_i).powi(2) * p;
            var_j += ((b + 1) as f64 - mu_j).powi(2) * p;
        }
    }
    let glnu: f64 = rows.iter().map(|r| r * r).sum();
    let jnu: f64 = cols.iter().map(|c| c * c).sum();
    let mut out: Vec<f64> = f.iter().map(|v| v / ns).collect();
    out.extend([
        glnu / ns,
        glnu / (ns * ns),
        jnu / ns,
        jnu / (ns * ns),
        ns / nv,
        var_i,
        var_j,
        entr,
        energy,
    ]);
    Some(out)
}

/// Features of one matrix over its voxel count (`None` for an empty matrix).
type FeaturesOf = dyn Fn(&Array2<f64>, f64) -> Option<Vec<f64>>;

/// Features of a co-occurrence or run-length family under one aggregation: `matrix(d, slice)` builds
/// one matrix (with its voxel count) and `features(m, nv)` its features.
fn directional(
    grey: &Grey,
    agg: Aggregation,
    n_features: usize,
    matrix: &dyn Fn([isize; 3], Option<usize>) -> (Array2<f64>, f64),
    features: &FeaturesOf,
) -> Vec<f64> {
    let slices = roi_slices(grey.levels.view());
    let in_plane = &DIRECTIONS[..4];
    let mut rows = Vec::new();
    let sum = |parts: &[(Array2<f64>, f64)]| -> (Array2<f64>, f64) {
        let mut m = parts[0].0.clone();
        let mut nv = parts[0].1;
        for (p, n) in &parts[1..] {
            m += p;
            nv += n;
        }
        (m, nv)
    };
    match agg {
        Aggregation::D2Avg => {
            for &z in &slices {
                for &d in in_plane {
                    let (m, nv) = matrix(d, Some(z));
                    rows.extend(features(&m, nv));
                }
            }
        }
        Aggregation::D2Comb => {
            for &z in &slices {
                let parts: Vec<_> = in_plane.iter().map(|&d| matrix(d, Some(z))).collect();
                let (m, nv) = sum(&parts);
                rows.extend(features(&m, nv));
            }
        }
        Aggregation::D25Avg => {
            for &d in in_plane {
                let parts: Vec<_> = slices.iter().map(|&z| matrix(d, Some(z))).collect();
                if parts.is_empty() {
                    continue;
                }
                let (m, nv) = sum(&parts);
                rows.extend(features(&m, nv));
            }
        }
        Aggregation::D25Comb => {
            let parts: Vec<_> = in_plane
                .iter()
                .flat_map(|&d| slices.iter().map(move |&z| (d, z)))
                .map(|(d, z)| matrix(d, Some(z)))
                .collect();
            if !parts.is_empty() {
                let (m, nv) = sum(&parts);
                rows.extend(features(&m, nv));
            }
        }
        Aggregation::D3Avg => {
            for &d in &DIRECTIONS {
                let (m, nv) = matrix(d, None);
                rows.extend(features(&m, nv));
            }
        }
        Aggregation::D3Comb => {
            let parts: Vec<_> = DIRECTIONS.iter().map(|&d| matrix(d, None)).collect();
            let (m, nv) = sum(&parts);
            rows.extend(features(&m, nv));
        }
    }
    average(&rows, n_features)
}

/// GLCM features ([`CM_NAMES`]) under `agg`.
pub fn glcm(grey: &Grey, agg: Aggregation) -> Vec<f64> {
    directional(
        grey,
        agg,
        CM_NAMES.len(),
        &|d, z| (glcm_matrix(grey, d, z), 0.0),
        &|m, _| glcm_features(m),
    )
}

/// GLRLM features ([`RLM_NAMES`]) under `agg`.
pub fn glrlm(grey: &Grey, agg: Aggregation) -> Vec<f64> {
    directional(
        grey,
        agg,
        RLM_NAMES.len(),
        &|d, z| glrlm_matrix(grey, d, z),
        &|m, nv| {
            emphasis_features(m, nv).map(|mut f| {
                f.truncate(16);
                f
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------------
// Zones: GLSZM and GLDZM

/// One zone: its grey level, size (voxels) and smallest distance to the ROI edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// Grey level (1..=Ng).
    pub level: u32,
    /// Number of voxels.
    pub size: usize,
    /// Smallest edge distance of its voxels (1 on the edge).
    pub distance: u32,
}

/// Distance to the edge of `roi` for every ROI voxel (0 outside): the number of face-neighbour steps to
/// the nearest voxel outside the ROI or beyond the array, so 1 on the edge. In-plane (4-connected) with
/// `planar`, else 6-connected.
pub fn edge_distance(roi: ArrayView3<'_, bool>, planar: bool) -> Array3<u32> {
    let dim = dim3(roi);
    let faces: Vec<[isize; 3]> = [
        [0, 0, 1],
        [0, 0, -1],
        [0, 1, 0],
        [0, -1, 0],
        [1, 0, 0],
        [-1, 0, 0],
    ]
    .into_iter()
    .filter(|d| !(planar && d[0] != 0))
    .collect();
    let mut dist = Array3::<u32>::zeros(roi.raw_dim());
    let mut queue = VecDeque::new();
    for ((z, y, x), &m) in roi.indexed_iter() {
        if !m {
            continue;
        }
        let edge = faces
            .iter()
            .any(|&d| step([z, y, x], d, dim).is_none_or(|q| !roi[q]));
        if edge {
            dist[[z, y, x]] = 1;
            queue.push_back([z, y, x]);
        }
    }
    while let Some(p) = queue.pop_front() {
        let next = dist[p] + 1;
        for &d in &faces {
            if let Some(q) = step(p, d, dim) {
                if roi[q] && dist[q] == 0 {
                    dist[q] = next;
                    queue.push_back(q);
                }
            }
        }
    }
    dist
}

/// The zones of `grey` (linked by Chebyshev distance 1, in-plane with `slice`), over the slice `z` only
/// when given, each with its smallest value of `distance`.
pub fn zones(grey: &Grey, distance: ArrayView3<'_, u32>, slice: Option<usize>) -> Vec<Zone> {
    let lv = grey.levels.view();
    let dim = dim3(lv);
    let offsets = neighbours(slice.is_some());
    let mut seen = Array3::<bool>::from_elem(lv.raw_dim(), false);
    let zs: Vec<usize> = match slice {
        Some(z) => vec![z],
        None => (0..dim[0]).collect(),
    };
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for z in zs {
        for y in 0..dim[1] {
            for x in 0..dim[2] {
                let level = lv[[z, y, x]];
                if level == 0 || seen[[z, y, x]] {
                    continue;
                }
                seen[[z, y, x]] = true;
                stack.push([z, y, x]);
                let mut size = 0usize;
                let mut dmin = u32::MAX;
                while let Some(p) = stack.pop() {
                    size += 1;
                    dmin = dmin.min(distance[p]);
                    for &d in &offsets {
                        if let Some(q) = step(p, d, dim) {
                            if lv[q] == level && !seen[q] {
                                seen[q] = true;
                                stack.push(q);
                            }
                        }
                    }
                }
                out.push(Zone {
                    level,
                    size,
                    distance: dmin,
                });
            }
        }
    }
    out
}

fn zone_matrix(zones: &[Zone], ng: usize, by_distance: bool) -> Array2<f64> {
    let width = zones
        .iter()
        .map(|z| {
            if by_distance {
                z.distance as usize
            } else {
                z.size
            }
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let mut m = Array2::<f64>::zeros((ng, width));
    for z in zones {
        let j = if by_distance {
            z.distance as usize
        } else {
            z.size
        };
        m[[z.level as usize - 1, j - 1]] += 1.0;
    }
    m
}

fn add_padded(acc: &mut Array2<f64>, m: &Array2<f64>) {
    if m.ncols() > acc.ncols() {
        let mut wider = Array2::<f64>::zeros((acc.nrows(), m.ncols()));
        wider.slice_mut(ndarray::s![.., ..acc.ncols()]).assign(acc);
        *acc = wider;
    }
    let cols = m.ncols();
    let mut part = acc.slice_mut(ndarray::s![.., ..cols]);
    part += m;
}

/// Per-slice (or whole-volume) matrices with voxel counts, aggregated as `agg` and turned into features.
fn zone_like(
    slices: &[usize],
    agg: ZoneAggregation,
    n_features: usize,
    matrix: &dyn Fn(Option<usize>) -> (Array2<f64>, f64),
    features: &FeaturesOf,
) -> Vec<f64> {
    let mut rows = Vec::new();
    match agg {
        ZoneAggregation::D2 => {
            for &z in slices {
                let (m, nv) = matrix(Some(z));
                rows.extend(features(&m, nv));
            }
        }
        ZoneAggregation::D25 => {
            let mut acc: Option<(Array2<f64>, f64)> = None;
            for &z in slices {
                let (m, nv) = matrix(Some(z));
                match &mut acc {
                    None => acc = Some((m, nv)),
                    Some((a, n)) => {
                        add_padded(a, &m);
                        *n += nv;
                    }
                }
            }
            if let Some((m, nv)) = acc {
                rows.extend(features(&m, nv));
            }
        }
        ZoneAggregation::D3 => {
            let (m, nv) = matrix(None);
            rows.extend(features(&m, nv));
        }
    }
    average(&rows, n_features)
}

fn count_roi(grey: &Grey, slice: Option<usize>) -> f64 {
    match slice {
        Some(z) => grey
            .levels
            .index_axis(ndarray::Axis(0), z)
            .iter()
            .filter(|&&l| l > 0)
            .count() as f64,
        None => grey.levels.iter().filter(|&&l| l > 0).count() as f64,
    }
}

/// GLSZM features ([`SZM_NAMES`]) under `agg`.
pub fn glszm(grey: &Grey, agg: ZoneAggregation) -> Vec<f64> {
    let slices = roi_slices(grey.levels.view());
    let none = Array3::<u32>::zeros(grey.levels.raw_dim());
    zone_like(
        &slices,
        agg,
        16,
        &|z| {
            let zs = zones(grey, none.view(), z);
            (zone_matrix(&zs, grey.ng, false), count_roi(grey, z))
        },
        &|m, nv| {
            emphasis_features(m, nv).map(|mut f| {
                f.truncate(16);
                f
            })
        },
    )
}

/// GLDZM features ([`DZM_NAMES`]) under `agg`; distances from the morphological mask `morph`.
pub fn gldzm(grey: &Grey, morph: ArrayView3<'_, bool>, agg: ZoneAggregation) -> Vec<f64> {
    let slices = roi_slices(grey.levels.view());
    let planar = agg != ZoneAggregation::D3;
    let dist = edge_distance(morph, planar);
    zone_like(
        &slices,
        agg,
        16,
        &|z| {
            let zs = zones(grey, dist.view(), z);
            (zone_matrix(&zs, grey.ng, true), count_roi(grey, z))
        },
        &|m, nv| {
            emphasis_features(m, nv).map(|mut f| {
                f.truncate(16);
                f
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------------
// NGTDM

/// NGTDM feature tags.
pub const NGT_NAMES: [&str; 5] = [
    "coarseness",
    "contrast",
    "busyness",
    "complexity",
    "strength",
];

/// The NGTDM of `grey` as an Ng × 2 matrix: column 0 the count n_i of voxels of level i with at least
/// one ROI neighbour, column 1 the sum s_i of |i − mean of those neighbours|. In-plane over slice `z`
/// when given.
pub fn ngtdm_matrix(grey: &Grey, slice: Option<usize>) -> Array2<f64> {
    let lv = grey.levels.view();
    let dim = dim3(lv);
    let offsets = neighbours(slice.is_some());
    let mut m = Array2::<f64>::zeros((grey.ng, 2));
    let zs: Vec<usize> = match slice {
        Some(z) => vec![z],
        None => (0..dim[0]).collect(),
    };
    for z in zs {
        for y in 0..dim[1] {
            for x in 0..dim[2] {
                let i = lv[[z, y, x]];
                if i == 0 {
                    continue;
                }
                let (mut sum, mut w) = (0.0, 0.0);
                for &d in &offsets {
                    if let Some(q) = step([z, y, x], d, dim) {
                        if lv[q] > 0 {
                            sum += lv[q] as f64;
                            w += 1.0;
                        }
                    }
                }
                if w > 0.0 {
                    m[[i as usize - 1, 0]] += 1.0;
                    m[[i as usize - 1, 1]] += (i as f64 - sum / w).abs();
                }
            }
        }
    }
    m
}

/// The NGTDM features ([`NGT_NAMES`]) of an Ng × 2 matrix (n_i, s_i); `None` when no voxel has a
/// neighbour.
///
/// ```text
/// Nvc = Σ n    p = n / Nvc    Ngp = #{p > 0}; sums over pairs run over levels with p > 0
/// coarseness  1 / Σ p s  (10⁶ when Σ p s = 0)
/// contrast    [Σ Σ p₁ p₂ (i₁ − i₂)² / (Ngp (Ngp − 1))] · Σ s / Nvc      (0 when Ngp = 1)
/// busyness    Σ p s / Σ Σ |i₁ p₁ − i₂ p₂|                               (0 when Ngp = 1)
/// complexity  Σ Σ |i₁ − i₂| (p₁ s₁ + p₂ s₂) / (p₁ + p₂) / Nvc
/// strength    Σ Σ (p₁ + p₂)(i₁ − i₂)² / Σ s                              (0 when Σ s = 0)
/// ```
pub fn ngtdm_features(m: &Array2<f64>) -> Option<Vec<f64>> {
    let nvc = m.column(0).sum();
    if nvc <= 0.0 {
        return None;
    }
    let levels: Vec<(f64, f64, f64)> = (0..m.nrows())
        .filter(|&k| m[[k, 0]] > 0.0)
        .map(|k| ((k + 1) as f64, m[[k, 0]] / nvc, m[[k, 1]]))
        .collect();
    let ngp = levels.len() as f64;
    let s_total: f64 = levels.iter().map(|l| l.2).sum();
    let ps: f64 = levels.iter().map(|l| l.1 * l.2).sum();
    let coarseness = if ps == 0.0 { 1e6 } else { 1.0 / ps };
    let (mut c_sum, mut b_den, mut complexity, mut s_num) = (0.0, 0.0, 0.0, 0.0);
    for &(i1, p1, s1) in &levels {
        for &(i2, p2, s2) in &levels {
            let d = i1 - i2;
            c_sum += p1 * p2 * d * d;
            b_den += (i1 * p1 - i2 * p2).abs();
            complexity += d.abs() * (p1 * s1 + p2 * s2) / (p1 + p2);
            s_num += (p1 + p2) * d * d;
        }
    }
    let contrast = if ngp > 1.0 {
        c_sum / (ngp * (ngp - 1.0)) * s_total / nvc
    } else {
        0.0
    };
    let busyness = if ngp > 1.0 && b_den > 0.0 {
        ps / b_den
    } else {
        0.0
    };
    let strength = if s_total > 0.0 { s_num / s_total } else { 0.0 };
    Some(vec![
        coarseness,
        contrast,
        busyness,
        complexity / nvc,
        strength,
    ])
}

/// NGTDM features under `agg`.
pub fn ngtdm(grey: &Grey, agg: ZoneAggregation) -> Vec<f64> {
    let slices = roi_slices(grey.levels.view());
    zone_like(
        &slices,
        agg,
        NGT_NAMES.len(),
        &|z| (ngtdm_matrix(grey, z), 0.0),
        &|m, _| ngtdm_features(m),
    )
}

// ---------------------------------------------------------------------------------------------------
// NGLDM

/// The NGLDM of `grey` (coarseness α = 0, Chebyshev distance 1): row i − 1 level i, column j − 1
/// dependence j = 1 + the number of ROI neighbours of the same level. In-plane over slice `z` when given.
pub fn ngldm_matrix(grey: &Grey, slice: Option<usize>) -> (Array2<f64>, f64) {
    let lv = grey.levels.view();
    let dim = dim3(lv);
    let offsets = neighbours(slice.is_some());
    let mut m = Array2::<f64>::zeros((grey.ng, offsets.len() + 1));
    let zs: Vec<usize> = match slice {
        Some(z) => vec![z],
        None => (0..dim[0]).collect(),
    };
    let mut nv = 0.0;
    for z in zs {
        for y in 0..dim[1] {
            for x in 0..dim[2] {
                let i = lv[[z, y, x]];
                if i == 0 {
                    continue;
                }
                nv += 1.0;
                let same = offsets
                    .iter()
                    .filter(|&&d| step([z, y, x], d, dim).is_some_and(|q| lv[q] == i))
                    .count();
                m[[i as usize - 1, same]] += 1.0;
            }
        }
    }
    (m, nv)
}

/// NGLDM features ([`NGL_NAMES`]) under `agg`.
pub fn ngldm(grey: &Grey, agg: ZoneAggregation) -> Vec<f64> {
    let slices = roi_slices(grey.levels.view());
    zone_like(
        &slices,
        agg,
        NGL_NAMES.len(),
        &|z| ngldm_matrix(grey, z),
        &|m, nv| emphasis_features(m, nv),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey_2d(rows: &[&[u32]], ng: usize) -> Grey {
        let ny = rows.len();
        let nx = rows[0].len();
        let mut levels = Array3::<u32>::zeros((1, ny, nx));
        for (y, r) in rows.iter().enumerate() {
            for (x, &v) in r.iter().enumerate() {
                levels[[0, y, x]] = v;
            }
        }
        Grey { levels, ng }
    }

    #[test]
    fn edge_distance_counts_face_steps() {
        let roi = Array3::from_elem((1, 5, 5), true);
        let d = edge_distance(roi.view(), true);
        assert_eq!(d[[0, 0, 0]], 1);
        assert_eq!(d[[0, 1, 1]], 2);
        assert_eq!(d[[0, 2, 2]], 3);
        assert_eq!(d[[0, 1, 2]], 2);
    }

    #[test]
    fn runs_and_zones_of_a_small_image() {
        // Manual example layout (rows of a 4x4 image, levels 1..4).
        let g = grey_2d(
            &[&[1, 2, 2, 3], &[1, 2, 3, 3], &[4, 2, 4, 1], &[4, 1, 2, 3]],
            4,
        );
        let (m, nv) = glrlm_matrix(&g, [0, 0, 1], Some(0));
        assert_eq!(nv, 16.0);
        // Runs along x: row 0: 1,22,3; row 1: 1,2,33; row 2: 4,2,4,1; row 3: 4,1,2,3.
        assert_eq!(m.sum(), 14.0);
        assert_eq!(m[[1, 1]], 1.0); // one run "22"
        assert_eq!(m[[2, 1]], 1.0); // one run "33"
        let zs = zones(&g, Array3::<u32>::zeros((1, 4, 4)).view(), Some(0));
        // 8-connected zones: level 2 forms one zone of 5 voxels? (0,1),(0,2),(1,1),(2,1) linked; (3,2) is
        // diagonal to (2,1): linked too.
        let two: Vec<_> = zs.iter().filter(|z| z.level == 2).collect();
        assert_eq!(two.len(), 1);
        assert_eq!(two[0].size, 5);
        assert_eq!(zs.iter().map(|z| z.size).sum::<usize>(), 16);
    }

    #[test]
    fn glcm_symmetric_counts() {
        let g = grey_2d(&[&[1, 2], &[2, 1]], 2);
        let m = glcm_matrix(&g, [0, 0, 1], Some(0));
        assert_eq!(m, ndarray::array![[0.0, 2.0], [2.0, 0.0]]);
        let f = glcm_features(&m).unwrap();
        assert_eq!(f[0], 0.5); // joint maximum
        assert_eq!(f[11], 1.0); // contrast
    }
}
