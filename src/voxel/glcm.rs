//! GLCM features of one kernel from the non-zero cells of its co-occurrence matrices.
//!
//! A kernel holds a few voxels (27 at kernelRadius 1), so each angle's matrix has a handful of non-zero
//! cells. [`crate::features::glcm`] forms every angle's dense matrix on the present levels and sums over
//! every cell, in numpy's order; here the pairs of each angle are sorted into row-major order and only the
//! non-zero cells are visited. Each sum then adds the same non-zero terms in the same order (the cells left
//! out add exact zeros), so the features are the general route's, bit for bit; the unit tests below check
//! that on random kernels. Where numpy sums pairwise instead (one angle left with a pair, or the angles
//! merged by `weightingNorm`), the caller takes the general route.
//!
//! Nothing is allocated per kernel: the buffers live in a [`Scratch`] that a worker thread reuses.

use crate::features::glcm::{mcc_of, FEATURES};
use crate::features::texture::{nanmean, Offset};
use crate::numeric::pairwise_sum;

/// The number of GLCM features, and the positions in [`FEATURES`] that this module fills specially.
const NF: usize = 28;
const JOINT_AVERAGE: usize = 19;
const MCC: usize = 22;
const DEPRECATED: [usize; 4] = [9, 10, 11, 27];
const _: () = assert!(FEATURES.len() == NF);

/// Buffers reused from kernel to kernel by one worker thread.
pub(super) struct Scratch {
    /// The kernel's present levels and each level's position among them.
    levels: PresentLevels,
    /// The same, as numbers.
    g: Vec<f64>,
    /// The kernel's voxels: local (z, y, x) and the present-level index.
    voxels: Vec<([isize; 3], u32)>,
    /// The pairs of one angle as `i · n + j`, sorted into row-major order.
    keys: Vec<u64>,
    /// Non-zero cells `(i, j, count)` of every angle with a pair, one angle after the other.
    cells: Vec<(u32, u32, u32)>,
    /// Per angle with a pair: its cells' range in `cells` and its total count.
    angles: Vec<(usize, usize, u64)>,
    p_x: Vec<f64>,
    p_y: Vec<f64>,
    /// `p_{x+y}` and `p_{x−y}` over the ROI's levels, zero between kernels, and the entries made non-zero.
    plus: Vec<f64>,
    minus: Vec<f64>,
    plus_touched: Vec<u32>,
    minus_touched: Vec<u32>,
    /// `log₂(c / total + ε)` of the cell counts `c` met so far in one angle (NaN: not yet computed).
    log_count: Vec<f64>,
    /// The distinct values of `p_x` and `p_y` (as bits), each level's among them, and `log₂(x + ε)` of each.
    classes_x: Vec<u64>,
    classes_y: Vec<u64>,
    class_x: Vec<u32>,
    class_y: Vec<u32>,
    log_x: Vec<f64>,
    log_y: Vec<f64>,
    /// `log₂(p_x p_y + ε)` per pair of distinct values (NaN: not yet computed).
    log_xy: Vec<f64>,
    /// The features of every angle with a pair.
    per_angle: Vec<[f64; NF]>,
    column: Vec<f64>,
    /// Dense matrices for MCC.
    dense: Vec<f64>,
}

impl Scratch {
    /// Buffers for grey levels `1..=max_level`.
    pub(super) fn new(max_level: u32) -> Scratch {
        let ng = max_level as usize;
        Scratch {
            levels: PresentLevels::new(max_level),
            g: Vec::new(),
            voxels: Vec::new(),
            keys: Vec::new(),
            cells: Vec::new(),
            angles: Vec::new(),
            p_x: Vec::new(),
            p_y: Vec::new(),
            plus: vec![0.0; (2 * ng).saturating_sub(1)],
            minus: vec![0.0; ng],
            plus_touched: Vec::new(),
            minus_touched: Vec::new(),
            log_count: Vec::new(),
            classes_x: Vec::new(),
            classes_y: Vec::new(),
            class_x: Vec::new(),
            class_y: Vec::new(),
            log_x: Vec::new(),
            log_y: Vec::new(),
            log_xy: Vec::new(),
            per_angle: Vec::new(),
            column: Vec::new(),
            dense: Vec::new(),
        }
    }
}

/// A kernel as a box of grey levels: `dims` (z, y, x), `levels` in row-major order, 0 where a voxel takes
/// no part (outside the ROI with `maskedKernel`).
pub(super) struct KernelBox<'a> {
    pub dims: [usize; 3],
    pub levels: &'a [u32],
}

/// One direction's sparse counts: `keys` (`row · stride + column`, one per pair or run, in any order)
/// sorted and counted into `(row, column, count)` cells appended to `cells`; the direction's range in
/// `cells` and its number of keys are pushed to `angles`.
pub(super) fn append_counted_cells(
    keys: &mut [u64],
    stride: u64,
    cells: &mut Vec<(u32, u32, u32)>,
    angles: &mut Vec<(usize, usize, u64)>,
) {
    keys.sort_unstable();
    let start = cells.len();
    for same in keys.chunk_by(|a, b| a == b) {
        let key = same[0];
        cells.push((
            (key / stride) as u32,
            (key % stride) as u32,
            same.len() as u32,
        ));
    }
    angles.push((start, cells.len(), keys.len() as u64));
}

/// The grey levels present in one kernel, ascending, and each level's position among them
/// (`u32::MAX`: absent). [`rank`](Self::rank) fills both; [`reset`](Self::reset) clears them again in
/// time proportional to the kernel's levels, not to the image's.
pub(super) struct PresentLevels {
    pub index: Vec<u32>,
    pub present: Vec<u32>,
}

impl PresentLevels {
    /// For grey levels `1..=max_level`.
    pub fn new(max_level: u32) -> PresentLevels {
        PresentLevels {
            index: vec![u32::MAX; max_level as usize + 1],
            present: Vec::new(),
        }
    }

    /// The levels of `levels` other than 0 (outside the ROI), ranked.
    pub fn rank(&mut self, levels: &[u32]) {
        self.present.clear();
        for &l in levels {
            if l != 0 && self.index[l as usize] == u32::MAX {
                self.index[l as usize] = 0;
                self.present.push(l);
            }
        }
        self.present.sort_unstable();
        for (k, &l) in self.present.iter().enumerate() {
            self.index[l as usize] = k as u32;
        }
    }

    /// Every level absent again.
    pub fn reset(&mut self) {
        for &l in &self.present {
            self.index[l as usize] = u32::MAX;
        }
    }
}

/// What every kernel's GLCM shares.
pub(super) struct GlcmSetup<'a> {
    /// The angles (those of the whole grid), in PyRadiomics' order.
    pub offsets: &'a [Offset],
    pub symmetric: bool,
    /// The ROI's largest grey level (`Ng`).
    pub ng: usize,
    /// How many grey levels the ROI has.
    pub roi_levels: usize,
}

impl GlcmSetup<'_> {
    /// Whether the kernels may take this route at all: numpy sums a merged matrix (`weightingNorm`) or a
    /// single angle's pairwise.
    pub(super) fn applies(offsets: &[Offset], weighted: bool) -> bool {
        !weighted && offsets.len() > 1
    }
}

/// `x · log₂(y + ε)`, 0 where `x` is 0 (as the general route).
fn xlog2(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * (y + f64::EPSILON).log2()
    }
}

/// Every GLCM feature of `kernel`, in [`FEATURES`] order, into `out` (MCC only `with_mcc`, else NaN).
/// Returns false, with `out` untouched, where the kernel has a pair at fewer than two angles: numpy then
/// sums the single angle's matrix pairwise, which the general route reproduces.
pub(super) fn features(
    s: &mut Scratch,
    setup: &GlcmSetup<'_>,
    kernel: &KernelBox<'_>,
    with_mcc: bool,
    out: &mut [f64],
) -> bool {
    let [dz, dy, dx] = kernel.dims;
    // The present levels and each voxel's index among them.
    s.levels.rank(kernel.levels);
    s.voxels.clear();
    for z in 0..dz {
        for y in 0..dy {
            for x in 0..dx {
                let l = kernel.levels[(z * dy + y) * dx + x];
                if l != 0 {
                    s.voxels.push((
                        [z as isize, y as isize, x as isize],
                        s.levels.index[l as usize],
                    ));
                }
            }
        }
    }
    let n = s.levels.present.len();
    let handled = n > 0 && count(s, setup, kernel) >= 2;
    if handled {
        evaluate(s, setup, with_mcc, out);
    }
    s.levels.reset();
    handled
}

/// The non-zero cells of every angle's matrix (symmetrised as set), in row-major order; returns the
/// number of angles with a pair.
fn count(s: &mut Scratch, setup: &GlcmSetup<'_>, kernel: &KernelBox<'_>) -> usize {
    let n = s.levels.present.len() as u64;
    let dims = kernel.dims.map(|d| d as isize);
    s.cells.clear();
    s.angles.clear();
    for o in setup.offsets {
        s.keys.clear();
        for &(v, i) in &s.voxels {
            let q = [v[0] + o[0], v[1] + o[1], v[2] + o[2]];
            if (0..3).any(|a| q[a] < 0 || q[a] >= dims[a]) {
                continue;
            }
            let l = kernel.levels[((q[0] * dims[1] + q[1]) * dims[2] + q[2]) as usize];
            if l == 0 {
                continue;
            }
            let j = s.levels.index[l as usize] as u64;
            s.keys.push(i as u64 * n + j);
            if setup.symmetric {
                s.keys.push(j * n + i as u64);
            }
        }
        if s.keys.is_empty() {
            // No pair at this angle: PyRadiomics drops the angle.
            continue;
        }
        append_counted_cells(&mut s.keys, n, &mut s.cells, &mut s.angles);
    }
    s.angles.len()
}

/// The features of the counted angles, averaged as the general route averages them.
fn evaluate(s: &mut Scratch, setup: &GlcmSetup<'_>, with_mcc: bool, out: &mut [f64]) {
    let n = s.levels.present.len();
    s.g.clear();
    s.g.extend(s.levels.present.iter().map(|&l| l as f64));
    s.per_angle.clear();
    for a in 0..s.angles.len() {
        let f = angle_features(s, a, setup.ng);
        s.per_angle.push(f);
    }
    for (k, o) in out.iter_mut().enumerate().take(NF) {
        s.column.clear();
        s.column.extend(s.per_angle.iter().map(|f| f[k]));
        *o = if k == JOINT_AVERAGE {
            // A plain mean (NaN propagates), as the general route.
            pairwise_sum(&s.column) / s.column.len() as f64
        } else if DEPRECATED.contains(&k) || k == MCC {
            f64::NAN
        } else {
            nanmean(&s.column)
        };
    }
    if with_mcc {
        let na = s.angles.len();
        s.dense.clear();
        s.dense.resize(na * n * n, 0.0);
        for (a, &(start, end, total)) in s.angles.iter().enumerate() {
            let t = total as f64;
            for &(i, j, c) in &s.cells[start..end] {
                s.dense[(a * n + i as usize) * n + j as usize] = c as f64 / t;
            }
        }
        out[MCC] = mcc_of(&s.dense, n, na, setup.roi_levels.saturating_sub(n));
    }
}

/// The features of angle `a` (its slot in `Scratch::angles`), at their [`FEATURES`] positions (μ_x at
/// JointAverage's); the sums run over the non-zero cells in row-major order.
fn angle_features(s: &mut Scratch, a: usize, ng: usize) -> [f64; NF] {
    let n = s.levels.present.len();
    let (start, end, total) = s.angles[a];
    let t = total as f64;
    let cells = &s.cells[start..end];
    let g = &s.g;
    s.p_x.clear();
    s.p_x.resize(n, 0.0);
    s.p_y.clear();
    s.p_y.resize(n, 0.0);
    s.plus_touched.clear();
    s.minus_touched.clear();
    let (mut mu_x, mut mu_y, mut hxy, mut max_p) = (0.0, 0.0, 0.0, f64::NEG_INFINITY);
    // The cells hold a few distinct counts: one logarithm each.
    s.log_count.clear();
    s.log_count.resize(total as usize + 1, f64::NAN);
    for &(i, j, c) in cells {
        let v = c as f64 / t;
        let (i, j) = (i as usize, j as usize);
        let (gi, gj) = (g[i], g[j]);
        s.p_x[i] += v;
        s.p_y[j] += v;
        let kp = (gi + gj) as usize - 2;
        if s.plus[kp] == 0.0 {
            s.plus_touched.push(kp as u32);
        }
        s.plus[kp] += v;
        let km = (gi - gj).abs() as usize;
        if s.minus[km] == 0.0 {
            s.minus_touched.push(km as u32);
        }
        s.minus[km] += v;
        mu_x += gi * v;
        mu_y += gj * v;
        let lc = &mut s.log_count[c as usize];
        if lc.is_nan() {
            *lc = (v + f64::EPSILON).log2();
        }
        hxy += v * *lc;
        max_p = f64::max(max_p, v);
    }
    let hxy = -hxy;
    // The marginals hold a few distinct values: the logarithms of HX, HY, HXY1 and HXY2 are taken once
    // per distinct value (pair), then reused (the same operands give the same value).
    classify(&s.p_x, &mut s.classes_x, &mut s.class_x, &mut s.log_x);
    classify(&s.p_y, &mut s.classes_y, &mut s.class_y, &mut s.log_y);
    let (nx, ny) = (s.classes_x.len(), s.classes_y.len());
    s.log_xy.clear();
    s.log_xy.resize(nx * ny, f64::NAN);
    let mut log_xy = |i: usize, j: usize, q: f64| -> f64 {
        let l = &mut s.log_xy[s.class_x[i] as usize * ny + s.class_y[j] as usize];
        if l.is_nan() {
            *l = (q + f64::EPSILON).log2();
        }
        *l
    };
    let (mut autocorrelation, mut prominence, mut shade, mut tendency) = (0.0, 0.0, 0.0, 0.0);
    let (mut contrast, mut ss_x, mut ss_y, mut corm, mut energy, mut hxy1) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(i, j, c) in cells {
        let v = c as f64 / t;
        let (i, j) = (i as usize, j as usize);
        let (gi, gj) = (g[i], g[j]);
        autocorrelation += v * (gi * gj);
        let d = (gi + gj) - mu_x - mu_y;
        let d2 = d * d;
        prominence += v * (d2 * d2);
        shade += v * (d * d2);
        tendency += v * d2;
        let e = (gi - gj).abs();
        contrast += v * (e * e);
        let (ex, ey) = (gi - mu_x, gj - mu_y);
        ss_x += v * (ex * ex);
        ss_y += v * (ey * ey);
        corm += v * ex * ey;
        energy += v * v;
        hxy1 += v * log_xy(i, j, s.p_x[i] * s.p_y[j]);
    }
    let hxy1 = -hxy1;
    let (sig_x, sig_y) = (ss_x.sqrt(), ss_y.sqrt());
    let correlation = if sig_x * sig_y == 0.0 {
        1.0
    } else {
        corm / (sig_x * sig_y + f64::EPSILON)
    };
    let mut hx = 0.0;
    let mut hy = 0.0;
    for k in 0..n {
        if s.p_x[k] != 0.0 {
            hx += s.p_x[k] * s.log_x[s.class_x[k] as usize];
        }
        if s.p_y[k] != 0.0 {
            hy += s.p_y[k] * s.log_y[s.class_y[k] as usize];
        }
    }
    let (hx, hy) = (-hx, -hy);
    // HXY2 over every cell of p_x p_yᵀ (the zero cells add nothing).
    let mut hxy2 = 0.0;
    for i in 0..n {
        if s.p_x[i] == 0.0 {
            continue;
        }
        for j in 0..n {
            if s.p_y[j] != 0.0 {
                let q = s.p_x[i] * s.p_y[j];
                hxy2 += q * log_xy(i, j, q);
            }
        }
    }
    let hxy2 = -hxy2;
    let div = hx.max(hy);
    let imc1 = if div != 0.0 { (hxy - hxy1) / div } else { 0.0 };
    let imc2 = if hxy2 == hxy {
        0.0
    } else {
        (1.0 - std::f64::consts::E.powf(-2.0 * (hxy2 - hxy))).sqrt()
    };

    // p_{x−y}: its non-zero entries in ascending k, then cleared for the next angle.
    s.minus_touched.sort_unstable();
    let ngf = ng as f64;
    let (mut da, mut dent, mut idm, mut idmn, mut id, mut idn, mut iv) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &k in &s.minus_touched {
        let v = s.minus[k as usize];
        let kf = k as f64;
        da += kf * v;
        dent += xlog2(v, v);
        idm += v / (1.0 + kf * kf);
        idmn += v / (1.0 + (kf * kf) / (ngf * ngf));
        id += v / (1.0 + kf);
        idn += v / (1.0 + kf / ngf);
        if k >= 1 {
            iv += v / (kf * kf);
        }
    }
    let mut dv = 0.0;
    for &k in &s.minus_touched {
        let v = s.minus[k as usize];
        let e = k as f64 - da;
        dv += v * (e * e);
        s.minus[k as usize] = 0.0;
    }
    s.plus_touched.sort_unstable();
    let (mut sa, mut sent) = (0.0, 0.0);
    for &k in &s.plus_touched {
        let v = s.plus[k as usize];
        sa += (k as f64 + 2.0) * v;
        sent += xlog2(v, v);
        s.plus[k as usize] = 0.0;
    }

    let mut f = [f64::NAN; NF];
    f[0] = autocorrelation;
    f[1] = prominence;
    f[2] = shade;
    f[3] = tendency;
    f[4] = contrast;
    f[5] = correlation;
    f[6] = da;
    f[7] = -dent;
    f[8] = dv;
    f[12] = id;
    f[13] = idm;
    f[14] = idmn;
    f[15] = idn;
    f[16] = imc1;
    f[17] = imc2;
    f[18] = iv;
    f[JOINT_AVERAGE] = mu_x;
    f[20] = energy;
    f[21] = hxy;
    f[23] = max_p;
    f[24] = sa;
    f[25] = -sent;
    f[26] = ss_x;
    f
}

/// The distinct non-zero values of `v` (as bits) into `classes`, each entry's position among them into
/// `class` (0 for zeros, never read), and `log₂(x + ε)` of each distinct value into `logs`.
fn classify(v: &[f64], classes: &mut Vec<u64>, class: &mut Vec<u32>, logs: &mut Vec<f64>) {
    classes.clear();
    class.clear();
    logs.clear();
    for &x in v {
        if x == 0.0 {
            class.push(0);
            continue;
        }
        let bits = x.to_bits();
        let k = match classes.iter().position(|&b| b == bits) {
            Some(k) => k,
            None => {
                classes.push(bits);
                logs.push((x + f64::EPSILON).log2());
                classes.len() - 1
            }
        };
        class.push(k as u32);
    }
}

/// A random kernel box for the tests: levels `1..=ng`, a fraction `holes` of voxels 0 (no part).
#[cfg(test)]
pub(super) fn random_kernel(
    rng: &mut crate::synthetic::Rng,
    dims: [usize; 3],
    ng: u32,
    holes: f64,
) -> Vec<u32> {
    (0..dims.iter().product::<usize>())
        .map(|_| {
            if rng.uniform() < holes {
                0
            } else {
                1 + (rng.uniform() * ng as f64).floor() as u32
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::glcm;
    use crate::features::texture::angles_within;
    use crate::features::TextureSettings;
    use crate::preprocess::discretise::GreyLevels;
    use ndarray::Array3;

    /// Random kernels (sparse levels, holes, several radii and distances, symmetric or not) give the
    /// general route's features bit for bit, MCC included.
    #[test]
    fn matches_the_general_route_bit_for_bit() {
        let mut rng = crate::synthetic::Rng::new(5);
        let mut handled = 0;
        for trial in 0..400 {
            let dims = [1 + trial % 3, 2 + trial % 4, 3 + trial % 2];
            let ng = 1 + (trial % 7) * 5;
            let holes = (trial % 5) as f64 / 6.0;
            let levels = random_kernel(&mut rng, dims, ng as u32, holes);
            let max_level = levels.iter().copied().max().unwrap_or(0).max(1);
            let distances = if trial % 4 == 3 { vec![1, 2] } else { vec![1] };
            let symmetric = trial % 6 != 5;
            let settings = TextureSettings {
                distances: distances.clone(),
                symmetrical_glcm: symmetric,
                ..TextureSettings::default()
            };
            let offsets = angles_within(dims, &distances, None, false);
            if !GlcmSetup::applies(&offsets, false) {
                continue;
            }
            let present = {
                let mut p: Vec<u32> = levels.iter().copied().filter(|&l| l != 0).collect();
                p.sort_unstable();
                p.dedup();
                p.len()
            };
            let roi_levels = present + trial % 3;
            let setup = GlcmSetup {
                offsets: &offsets,
                symmetric,
                ng: max_level as usize,
                roi_levels,
            };
            let mut s = Scratch::new(max_level);
            let mut out = vec![0.0; NF];
            let kernel = KernelBox {
                dims,
                levels: &levels,
            };
            if !features(&mut s, &setup, &kernel, true, &mut out) {
                continue;
            }
            handled += 1;
            let grey = GreyLevels {
                levels: Array3::from_shape_vec((dims[0], dims[1], dims[2]), levels.clone())
                    .unwrap(),
                max_level,
                edges: Vec::new(),
            };
            let want = glcm::compute_with_absent_levels(
                &grey,
                [1.0; 3],
                &settings,
                roi_levels - present,
                true,
            );
            for (k, (x, y)) in out.iter().zip(&want).enumerate() {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "trial {trial}, {}: {x} vs {y}",
                    FEATURES[k].name
                );
            }
            // The scratch is clean for the next kernel.
            assert!(s.levels.index.iter().all(|&i| i == u32::MAX));
            assert!(s.plus.iter().chain(&s.minus).all(|&v| v == 0.0));
        }
        assert!(handled > 250, "only {handled} kernels took this route");
    }

    #[test]
    fn fewer_than_two_angles_with_a_pair_go_to_the_general_route() {
        let offsets = angles_within([1, 1, 3], &[1], None, false);
        assert!(!GlcmSetup::applies(&offsets, false));
        let offsets = angles_within([3, 3, 3], &[1], None, false);
        assert!(!GlcmSetup::applies(&offsets, true));
        let setup = GlcmSetup {
            offsets: &offsets,
            symmetric: true,
            ng: 4,
            roi_levels: 4,
        };
        let mut s = Scratch::new(4);
        // Two voxels side by side along x: one angle has a pair.
        let mut levels = vec![0u32; 27];
        levels[13] = 2;
        levels[14] = 4;
        let mut out = vec![7.0; NF];
        let kernel = KernelBox {
            dims: [3, 3, 3],
            levels: &levels,
        };
        assert!(!features(&mut s, &setup, &kernel, true, &mut out));
        assert!(out.iter().all(|&v| v == 7.0));
        // A third voxel diagonal to them: more angles.
        levels[4] = 1;
        let kernel = KernelBox {
            dims: [3, 3, 3],
            levels: &levels,
        };
        assert!(features(&mut s, &setup, &kernel, true, &mut out));
        assert!(out[4] > 0.0, "contrast {}", out[4]);
    }
}
