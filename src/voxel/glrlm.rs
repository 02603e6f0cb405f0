//! GLRLM features of one kernel from the non-zero cells of its run-length matrices.
//!
//! As [`super::glcm`]: the runs of each direction are found in the kernel's box, sorted into row-major
//! order (grey level, then run length) and only the non-zero cells are visited, so every sum of
//! [`crate::features::glrlm`] adds the same non-zero terms in the same order and the features are the
//! general route's, bit for bit (the unit test below checks it on random kernels). Where numpy sums
//! pairwise (one direction left with runs, or `weightingNorm`), the caller takes the general route.

use crate::features::glrlm::FEATURES;
use crate::features::texture::{nanmean, Offset};

use super::glcm::{append_counted_cells, KernelBox, PresentLevels};

const NF: usize = 16;
const _: () = assert!(FEATURES.len() == NF);

/// Buffers reused from kernel to kernel by one worker thread.
pub(super) struct Scratch {
    /// The kernel's present levels and each level's position among them.
    levels: PresentLevels,
    /// The kernel's voxels: local (z, y, x), level and present-level index.
    voxels: Vec<([isize; 3], u32, u32)>,
    /// The runs of one direction as `i · (longest + 1) + length`, sorted.
    keys: Vec<u64>,
    /// Non-zero cells `(i, length, count)` of every direction with runs, one after the other.
    cells: Vec<(u32, u32, u32)>,
    /// Per direction with runs: its cells' range in `cells` and its number of runs.
    angles: Vec<(usize, usize, u64)>,
    p_r: Vec<f64>,
    p_g: Vec<f64>,
    lengths: Vec<u32>,
    /// `log₂(c / N_r + ε)` per count `c` (NaN: not yet computed).
    log_count: Vec<f64>,
    per_angle: Vec<[f64; NF]>,
    column: Vec<f64>,
}

impl Scratch {
    /// Buffers for grey levels `1..=max_level`.
    pub(super) fn new(max_level: u32) -> Scratch {
        Scratch {
            levels: PresentLevels::new(max_level),
            voxels: Vec::new(),
            keys: Vec::new(),
            cells: Vec::new(),
            angles: Vec::new(),
            p_r: Vec::new(),
            p_g: Vec::new(),
            lengths: Vec::new(),
            log_count: Vec::new(),
            per_angle: Vec::new(),
            column: Vec::new(),
        }
    }
}

/// Whether the kernels may take this route: the run directions (those of the grid, distance 1) number
/// more than one and are not merged by `weightingNorm`.
pub(super) fn applies(directions: &[Offset], weighted: bool) -> bool {
    !weighted && directions.len() > 1
}

/// Every GLRLM feature of `kernel`, in [`FEATURES`] order, into `out`. Returns false, with `out`
/// untouched, where fewer than two directions have runs (the general route then sums pairwise).
pub(super) fn features(
    s: &mut Scratch,
    directions: &[Offset],
    kernel: &KernelBox<'_>,
    out: &mut [f64],
) -> bool {
    let [dz, dy, dx] = kernel.dims;
    s.levels.rank(kernel.levels);
    s.voxels.clear();
    for z in 0..dz {
        for y in 0..dy {
            for x in 0..dx {
                let l = kernel.levels[(z * dy + y) * dx + x];
                if l != 0 {
                    s.voxels.push((
                        [z as isize, y as isize, x as isize],
                        l,
                        s.levels.index[l as usize],
                    ));
                }
            }
        }
    }
    let handled = !s.levels.present.is_empty() && count(s, directions, kernel) >= 2;
    if handled {
        for a in 0..s.angles.len() {
            let f = angle_features(s, a);
            s.per_angle.push(f);
        }
        for (k, o) in out.iter_mut().enumerate().take(NF) {
            s.column.clear();
            s.column.extend(s.per_angle.iter().map(|f| f[k]));
            *o = nanmean(&s.column);
        }
    }
    s.levels.reset();
    handled
}

/// The runs of every direction, as the general route counts them (a direction along which no line holds
/// two of the kernel's voxels is emptied, as PyRadiomics does); returns the number of directions with runs.
fn count(s: &mut Scratch, directions: &[Offset], kernel: &KernelBox<'_>) -> usize {
    let dims = kernel.dims.map(|d| d as isize);
    let inside = |q: [isize; 3]| (0..3).all(|a| q[a] >= 0 && q[a] < dims[a]);
    let at = |q: [isize; 3]| kernel.levels[((q[0] * dims[1] + q[1]) * dims[2] + q[2]) as usize];
    let stride = dims.iter().copied().max().unwrap_or(1) as u64 + 1;
    s.cells.clear();
    s.angles.clear();
    s.per_angle.clear();
    for o in directions {
        s.keys.clear();
        let mut multi = false;
        for &(v, l, i) in &s.voxels {
            let before = [v[0] - o[0], v[1] - o[1], v[2] - o[2]];
            if inside(before) && at(before) == l {
                continue;
            }
            let mut len = 1u64;
            let mut q = [v[0] + o[0], v[1] + o[1], v[2] + o[2]];
            while inside(q) && at(q) == l {
                len += 1;
                q = [q[0] + o[0], q[1] + o[1], q[2] + o[2]];
            }
            multi |= len > 1;
            s.keys.push(i as u64 * stride + len);
        }
        if !multi {
            // Runs of length 1 only: kept if some line along the direction holds two voxels.
            multi = s.voxels.iter().any(|&(v, _, _)| {
                let mut q = [v[0] + o[0], v[1] + o[1], v[2] + o[2]];
                while inside(q) {
                    if at(q) != 0 {
                        return true;
                    }
                    q = [q[0] + o[0], q[1] + o[1], q[2] + o[2]];
                }
                false
            });
        }
        if !multi || s.keys.is_empty() {
            continue;
        }
        append_counted_cells(&mut s.keys, stride, &mut s.cells, &mut s.angles);
    }
    s.angles.len()
}

/// The features of direction `a` (its slot in `Scratch::angles`), in [`FEATURES`] order; the sums run
/// over the non-zero entries in the general route's order.
fn angle_features(s: &mut Scratch, a: usize) -> [f64; NF] {
    let n = s.levels.present.len();
    let (start, end, total) = s.angles[a];
    let n_runs = total as f64;
    let cells = &s.cells[start..end];
    let longest = cells.iter().map(|c| c.1).max().unwrap_or(0) as usize;
    s.p_r.clear();
    s.p_r.resize(longest + 1, 0.0);
    s.p_g.clear();
    s.p_g.resize(n, 0.0);
    for &(i, len, c) in cells {
        s.p_r[len as usize] += c as f64;
        s.p_g[i as usize] += c as f64;
    }
    s.lengths.clear();
    s.lengths
        .extend((1..=longest as u32).filter(|&l| s.p_r[l as usize] != 0.0));
    let g = |i: usize| s.levels.present[i] as f64;

    let (mut sre, mut lre, mut rl2, mut n_p) = (0.0, 0.0, 0.0, 0.0);
    for &l in &s.lengths {
        let v = s.p_r[l as usize];
        let j = l as f64;
        sre += v / (j * j);
        lre += v * (j * j);
        rl2 += v * v;
        n_p += v * j;
    }
    let (mut gl2, mut lglre, mut hglre) = (0.0, 0.0, 0.0);
    for (i, &v) in s.p_g.iter().enumerate() {
        if v == 0.0 {
            continue;
        }
        let gi = g(i);
        gl2 += v * v;
        lglre += v / (gi * gi);
        hglre += v * (gi * gi);
    }
    let mut mu_i = 0.0;
    for (i, &v) in s.p_g.iter().enumerate() {
        if v != 0.0 {
            mu_i += v / n_runs * g(i);
        }
    }
    let mut glv = 0.0;
    for (i, &v) in s.p_g.iter().enumerate() {
        if v != 0.0 {
            let d = g(i) - mu_i;
            glv += v / n_runs * (d * d);
        }
    }
    let mut mu_j = 0.0;
    for &l in &s.lengths {
        mu_j += s.p_r[l as usize] / n_runs * l as f64;
    }
    let mut rv = 0.0;
    for &l in &s.lengths {
        let d = l as f64 - mu_j;
        rv += s.p_r[l as usize] / n_runs * (d * d);
    }
    s.log_count.clear();
    s.log_count.resize(total as usize + 1, f64::NAN);
    let (mut re, mut srlgle, mut srhgle, mut lrlgle, mut lrhgle) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(i, len, c) in cells {
        let v = c as f64;
        let q = v / n_runs;
        let lc = &mut s.log_count[c as usize];
        if lc.is_nan() {
            *lc = (q + f64::EPSILON).log2();
        }
        re += q * *lc;
        let (gi, j) = (g(i as usize), len as f64);
        let (g2, j2) = (gi * gi, j * j);
        srlgle += v / (g2 * j2);
        srhgle += v * g2 / j2;
        lrlgle += v * j2 / g2;
        lrhgle += v * (j2 * g2);
    }
    let nr2 = n_runs * n_runs;
    [
        gl2 / n_runs,
        gl2 / nr2,
        glv,
        hglre / n_runs,
        lre / n_runs,
        lrhgle / n_runs,
        lrlgle / n_runs,
        lglre / n_runs,
        -re,
        rl2 / n_runs,
        rl2 / nr2,
        n_runs / n_p,
        rv,
        sre / n_runs,
        srhgle / n_runs,
        srlgle / n_runs,
    ]
}

#[cfg(test)]
mod tests {
    use super::super::glcm::random_kernel;
    use super::*;
    use crate::features::glrlm;
    use crate::features::texture::angles_within;
    use crate::features::TextureSettings;
    use crate::preprocess::discretise::GreyLevels;
    use ndarray::Array3;

    /// Random kernels (few levels so that runs form, holes, flat and thin boxes) give the general
    /// route's features bit for bit.
    #[test]
    fn matches_the_general_route_bit_for_bit() {
        let mut rng = crate::synthetic::Rng::new(11);
        let mut handled = 0;
        for trial in 0..400 {
            let dims = [1 + trial % 3, 1 + trial % 4, 2 + trial % 5];
            let ng = 1 + trial % 4;
            let holes = (trial % 5) as f64 / 6.0;
            let levels = random_kernel(&mut rng, dims, ng as u32, holes);
            let max_level = levels.iter().copied().max().unwrap_or(0).max(1);
            let directions = angles_within(dims, &[1], None, false);
            if !applies(&directions, false) {
                continue;
            }
            let mut s = Scratch::new(max_level);
            let mut out = vec![0.0; NF];
            let kernel = KernelBox {
                dims,
                levels: &levels,
            };
            if !features(&mut s, &directions, &kernel, &mut out) {
                continue;
            }
            handled += 1;
            let grey = GreyLevels {
                levels: Array3::from_shape_vec((dims[0], dims[1], dims[2]), levels.clone())
                    .unwrap(),
                max_level,
                edges: Vec::new(),
            };
            let want = glrlm::compute(&grey, [1.0; 3], &TextureSettings::default());
            for (k, (x, y)) in out.iter().zip(&want).enumerate() {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "trial {trial} {dims:?} {levels:?}, {}: {x} vs {y}",
                    FEATURES[k].name
                );
            }
            assert!(s.levels.index.iter().all(|&i| i == u32::MAX));
        }
        assert!(handled > 250, "only {handled} kernels took this route");
    }
}
