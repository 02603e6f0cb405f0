//! IBSI 1 morphology (`morph_`): always 3D, on the morphological mask; integrated intensity, Moran's I,
//! Geary's C and the centre of mass shift also read the intensity mask.
//!
//! The mesh is the marching-cubes mesh of the shape class ([`crate::features::shape`]); the PCA axes use
//! the covariance of the voxel centres divided by N − 1, as IBSI does. Positions are in mm along the grid
//! axes (index × spacing): distances do not depend on the direction cosines.
//!
//! MVEE and OMBB densities have no reference values in the standard and are not computed.

use ndarray::ArrayView3;

use crate::features::shape::{self, Covariance};

/// Morphology tags, in output order.
pub const MORPH_NAMES: [&str; 25] = [
    "volume",
    "vol_approx",
    "area_mesh",
    "av",
    "comp_1",
    "comp_2",
    "sph_dispr",
    "sphericity",
    "asphericity",
    "com",
    "diam",
    "pca_maj_axis",
    "pca_min_axis",
    "pca_least_axis",
    "pca_elongation",
    "pca_flatness",
    "vol_dens_aabb",
    "area_dens_aabb",
    "vol_dens_aee",
    "area_dens_aee",
    "vol_dens_conv_hull",
    "area_dens_conv_hull",
    "integ_int",
    "moran_i",
    "geary_c",
];

/// Every morphology feature ([`MORPH_NAMES`]).
///
/// `morph` and `intensity` are the two masks and `image` the intensities, indexed `[z, y, x]` on one grid
/// of `spacing` (x, y, z) mm.
pub fn morphology(
    morph: ArrayView3<'_, bool>,
    intensity: ArrayView3<'_, bool>,
    image: ArrayView3<'_, f64>,
    spacing: [f64; 3],
) -> Vec<f64> {
    let pi = std::f64::consts::PI;
    let shape_values = shape::compute_with(morph, spacing, Covariance::Sample);
    let named = |name: &str| -> f64 {
        shape::FEATURES
            .iter()
            .position(|f| f.name == name)
            .map_or(f64::NAN, |k| shape_values[k])
    };
    let Some((v, a, vertices)) = shape::mesh_of(morph, spacing) else {
        return vec![f64::NAN; MORPH_NAMES.len()];
    };
    let n_morph = morph.iter().filter(|&&m| m).count() as f64;
    let voxel = spacing[0] * spacing[1] * spacing[2];
    let sph = (36.0 * pi * v * v).cbrt() / a;

    // Centre of mass shift.
    let delta = [spacing[2], spacing[1], spacing[0]];
    let mut com_geom = [0.0; 3];
    for ((z, y, x), &m) in morph.indexed_iter() {
        if m {
            for (c, i) in com_geom.iter_mut().zip([z, y, x]) {
                *c += i as f64;
            }
        }
    }
    let mut com_gl = [0.0; 3];
    let mut weight = 0.0;
    let mut values = Vec::new();
    for (((z, y, x), &m), &g) in intensity.indexed_iter().zip(image.iter()) {
        if m {
            for (c, i) in com_gl.iter_mut().zip([z, y, x]) {
                *c += g * i as f64;
            }
            weight += g;
            values.push(g);
        }
    }
    let com = (0..3)
        .map(|k| (com_geom[k] / n_morph - com_gl[k] / weight) * delta[k])
        .map(|d| d * d)
        .sum::<f64>()
        .sqrt();

    let major = named("MajorAxisLength");
    let minor = named("MinorAxisLength");
    let least = named("LeastAxisLength");

    // Axis-aligned bounding box of the mesh vertices.
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for (_, p) in &vertices {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let e: Vec<f64> = (0..3).map(|k| hi[k] - lo[k]).collect();
    let v_aabb = e[0] * e[1] * e[2];
    let a_aabb = 2.0 * (e[0] * e[1] + e[1] * e[2] + e[0] * e[2]);

    // Approximate enclosing ellipsoid: semi-axes are half the PCA axis lengths (2√λ).
    let (sa, sb, sc) = (major / 2.0, minor / 2.0, least / 2.0);
    let v_aee = 4.0 * pi * sa * sb * sc / 3.0;
    let a_aee = ellipsoid_area(sa, sb, sc);

    let half: Vec<[i64; 3]> = vertices.iter().map(|(h, _)| *h).collect();
    let (v_hull, a_hull) =
        convex_hull_volume_area(&half, [delta[0] / 2.0, delta[1] / 2.0, delta[2] / 2.0])
            .unwrap_or((f64::NAN, f64::NAN));

    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let (moran, geary) = moran_geary_grid(intensity, image, spacing);

    vec![
        v,
        n_morph * voxel,
        a,
        a / v,
        v / (pi.sqrt() * a.powf(1.5)),
        36.0 * pi * v * v / a.powi(3),
        1.0 / sph,
        sph,
        1.0 / sph - 1.0,
        com,
        named("Maximum3DDiameter"),
        major,
        minor,
        least,
        named("Elongation"),
        named("Flatness"),
        v / v_aabb,
        a / a_aabb,
        v / v_aee,
        a / a_aee,
        v / v_hull,
        a / a_hull,
        v * mean,
        moran,
        geary,
    ]
}

/// The manual's A_aee for semi-axes a ≥ b ≥ c, its Legendre series stopped after ν = 20 (the definition
/// the reference values follow; for strongly eccentric ellipsoids it is not their exact area):
/// `4π a b Σ_ν (αβ)^ν / (1 − 4ν²) P_ν((α² + β²) / (2αβ))`, with α = √(1 − b²/a²), β = √(1 − c²/a²).
pub fn ellipsoid_area(a: f64, b: f64, c: f64) -> f64 {
    let alpha = (1.0 - b * b / (a * a)).max(0.0).sqrt();
    let beta = (1.0 - c * c / (a * a)).max(0.0).sqrt();
    let ab = alpha * beta;
    let x = if ab > 0.0 {
        (alpha * alpha + beta * beta) / (2.0 * ab)
    } else {
        0.0
    };
    // Legendre polynomials by the three-term recurrence; (αβ)^ν P_ν(x) stays finite as αβ → 0.
    let (mut p_prev, mut p) = (1.0, x);
    let mut sum = 1.0; // ν = 0
    let mut power = 1.0;
    for nu in 1..=20 {
        power *= ab;
        let p_nu = if nu == 1 {
            p
        } else {
            let next = ((2 * nu - 1) as f64 * x * p - (nu - 1) as f64 * p_prev) / nu as f64;
            p_prev = p;
            p = next;
            next
        };
        sum += power / (1.0 - 4.0 * (nu * nu) as f64) * p_nu;
    }
    4.0 * std::f64::consts::PI * a * b * sum
}

/// Moran's I and Geary's C of `values` at `points` (mm), with weights 1 / Euclidean distance, over all
/// ordered pairs of distinct voxels (exact: O(n²)).
///
/// ```text
/// I = N / W · Σ w (x₁ − μ)(x₂ − μ) / Σ (x − μ)²
/// C = (N − 1) / (2W) · Σ w (x₁ − x₂)² / Σ (x − μ)²          W = Σ w
/// ```
pub fn moran_geary(points: &[[f64; 3]], values: &[f64]) -> (f64, f64) {
    use rayon::prelude::*;
    let n = values.len();
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let dev: Vec<f64> = values.iter().map(|v| v - mean).collect();
    let ss: f64 = dev.iter().map(|d| d * d).sum();
    // Each unordered pair once (weights are symmetric), summed per first voxel in parallel; the
    // per-voxel partial sums are then added in index order, so the result does not depend on threads.
    let partial: Vec<[f64; 3]> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (mut w, mut m, mut g) = (0.0, 0.0, 0.0);
            let p = points[i];
            for j in i + 1..n {
                let q = points[j];
                let d =
                    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
                let wij = 1.0 / d;
                w += wij;
                m += wij * dev[i] * dev[j];
                g += wij * (values[i] - values[j]).powi(2);
            }
            [w, m, g]
        })
        .collect();
    // Ordered pairs: every sum doubles, which cancels in I and in C.
    moran_geary_from_sums(&partial, n, ss)
}

/// Moran's I and Geary's C of the intensities `image` within `roi` (both indexed `[z, y, x]` on one grid
/// of `spacing` (x, y, z) mm), exactly as [`moran_geary`] over every pair of ROI voxels, up to the order
/// of the floating-point sums.
///
/// On a grid the weight of a pair depends only on its index offset, so the weights come from a table
/// and, for a voxel and a later row of the ROI's box, the pairs with that row are a dot product of a
/// stretch of the table with the row's deviations (zero outside the ROI): still O(n²) pairs, but without
/// a square root or a division per pair, and in a form that vectorises.
pub fn moran_geary_grid(
    roi: ArrayView3<'_, bool>,
    image: ArrayView3<'_, f64>,
    spacing: [f64; 3],
) -> (f64, f64) {
    use rayon::prelude::*;
    let values: Vec<f64> = image
        .iter()
        .zip(roi.iter())
        .filter_map(|(&v, &m)| m.then_some(v))
        .collect();
    let n = values.len();
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let (nz, ny, nx) = roi.dim();
    // Rows (z, y) holding ROI voxels, each kept from its first to its last ROI voxel: deviations and
    // the indicator (0 at the voxels between that are not in the ROI).
    struct Row {
        z: usize,
        y: usize,
        x0: usize,
        start: usize,
        len: usize,
    }
    let mut rows = Vec::new();
    let (mut dev, mut ind) = (Vec::new(), Vec::new());
    for z in 0..nz {
        for y in 0..ny {
            let r = roi.slice(ndarray::s![z, y, ..]);
            let Some(x0) = r.iter().position(|&m| m) else {
                continue;
            };
            let x1 = r.iter().rposition(|&m| m).expect("a ROI voxel exists");
            let start = dev.len();
            for x in x0..=x1 {
                let inside = roi[[z, y, x]];
                dev.push(if inside { image[[z, y, x]] - mean } else { 0.0 });
                ind.push(if inside { 1.0 } else { 0.0 });
            }
            rows.push(Row {
                z,
                y,
                x0,
                start,
                len: x1 - x0 + 1,
            });
        }
    }
    // 1 / distance for offsets (dz ≥ 0, |dy|, dx + nx − 1), 0 at the zero offset.
    let width = 2 * nx - 1;
    let mut table = vec![0.0; nz * ny * width];
    for dz in 0..nz {
        for dy in 0..ny {
            for k in 0..width {
                let dx = k as f64 - (nx - 1) as f64;
                let (a, b, c) = (
                    dz as f64 * spacing[2],
                    dy as f64 * spacing[1],
                    dx * spacing[0],
                );
                let d2 = a * a + b * b + c * c;
                table[(dz * ny + dy) * width + k] = if d2 > 0.0 { 1.0 / d2.sqrt() } else { 0.0 };
            }
        }
    }
    // Each unordered pair once: a voxel with the later voxels of its row and with every later row.
    // Partial sums per row of the first voxel, added in row order: independent of the thread count.
    let partial: Vec<[f64; 3]> = (0..rows.len())
        .into_par_iter()
        .map(|ri| {
            let r = &rows[ri];
            let mut acc = [0.0; 3];
            for k in 0..r.len {
                if ind[r.start + k] == 0.0 {
                    continue;
                }
                let di = dev[r.start + k];
                let x = r.x0 + k;
                let mut add = |s: [f64; 3]| {
                    for (a, b) in acc.iter_mut().zip(s) {
                        *a += b;
                    }
                };
                // The rest of its own row.
                let base = (nx - 1) - x; // the table column of x_j = 0 (offset −x)
                let same = r.start + k + 1..r.start + r.len;
                // Offsets (0, 0, 1..): table columns from nx on.
                add(pair_sums(
                    &table[nx..nx + same.len()],
                    &dev[same.clone()],
                    &ind[same],
                    di,
                ));
                for q in &rows[ri + 1..] {
                    let row = (q.z - r.z) * ny + q.y.abs_diff(r.y);
                    let t0 = row * width + base + q.x0;
                    let js = q.start..q.start + q.len;
                    add(pair_sums(
                        &table[t0..t0 + q.len],
                        &dev[js.clone()],
                        &ind[js],
                        di,
                    ));
                }
            }
            acc
        })
        .collect();
    moran_geary_from_sums(&partial, n, ss)
}

/// Moran's I and Geary's C from per-chunk sums `[Σ w, Σ w·dᵢ·dⱼ, Σ w·(xᵢ − xⱼ)²]` (added in chunk order),
/// `n` voxels and the sum of squared deviations `ss`.
fn moran_geary_from_sums(partial: &[[f64; 3]], n: usize, ss: f64) -> (f64, f64) {
    let (mut w, mut m, mut g) = (0.0, 0.0, 0.0);
    for &[a, b, c] in partial {
        w += a;
        m += b;
        g += c;
    }
    let moran = n as f64 / w * m / ss;
    let geary = (n - 1) as f64 / (2.0 * w) * g / ss;
    (moran, geary)
}

/// Σ w·m, Σ w·d·dᵢ and Σ w·m·(dᵢ − d)² over a row stretch (weights `w`, deviations `d`, indicator `m`),
/// in four lanes.
fn pair_sums(w: &[f64], d: &[f64], m: &[f64], di: f64) -> [f64; 3] {
    let (mut sw, mut sm, mut sg) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    let chunks = w.len() / 4;
    for c in 0..chunks {
        let k = 4 * c;
        for l in 0..4 {
            let wm = w[k + l] * m[k + l];
            let e = di - d[k + l];
            sw[l] += wm;
            sm[l] += w[k + l] * d[k + l];
            sg[l] += wm * e * e;
        }
    }
    for k in 4 * chunks..w.len() {
        let wm = w[k] * m[k];
        let e = di - d[k];
        sw[0] += wm;
        sm[0] += w[k] * d[k];
        sg[0] += wm * e * e;
    }
    let total = |a: [f64; 4]| (a[0] + a[1]) + (a[2] + a[3]);
    [total(sw), total(sm) * di, total(sg)]
}

/// Volume and area of the convex hull of integer points `p` (positions `p · scale` in mm, per axis), by
/// an incremental hull with exact integer orientation tests. `None` when the points span no volume.
pub fn convex_hull_volume_area(p: &[[i64; 3]], scale: [f64; 3]) -> Option<(f64, f64)> {
    let faces = convex_hull(p)?;
    let mm = |k: usize| -> [f64; 3] { std::array::from_fn(|a| p[k][a] as f64 * scale[a]) };
    let (mut vol, mut area) = (0.0, 0.0);
    for f in faces {
        let (a, b, c) = (mm(f[0]), mm(f[1]), mm(f[2]));
        let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let ac = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        let n = cross(ab, ac);
        area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        vol += (a[0] * n[0] + a[1] * n[1] + a[2] * n[2]) / 6.0;
    }
    Some((vol.abs(), area))
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// det[b − a, c − a, d − a]: positive when `d` lies on the side the normal (b − a) × (c − a) points to.
fn orient(a: [i64; 3], b: [i64; 3], c: [i64; 3], d: [i64; 3]) -> i128 {
    let u: [i128; 3] = std::array::from_fn(|k| (b[k] - a[k]) as i128);
    let v: [i128; 3] = std::array::from_fn(|k| (c[k] - a[k]) as i128);
    let w: [i128; 3] = std::array::from_fn(|k| (d[k] - a[k]) as i128);
    u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0])
        + u[2] * (v[0] * w[1] - v[1] * w[0])
}

/// Triangles of the convex hull of `p` (indices, normals outward), or `None` when all points are coplanar.
/// Only points that are extreme along x within their (z, y) row can be hull vertices; the others are
/// skipped before the incremental construction.
fn convex_hull(p: &[[i64; 3]]) -> Option<Vec<[usize; 3]>> {
    use std::collections::{HashMap, HashSet};
    // Row extremes.
    let mut rows: HashMap<(i64, i64), (usize, usize)> = HashMap::new();
    for (k, q) in p.iter().enumerate() {
        let e = rows.entry((q[0], q[1])).or_insert((k, k));
        if q[2] < p[e.0][2] {
            e.0 = k;
        }
        if q[2] > p[e.1][2] {
            e.1 = k;
        }
    }
    let mut cand: Vec<usize> = rows.values().flat_map(|&(a, b)| [a, b]).collect();
    cand.sort_unstable();
    cand.dedup();
    // A non-degenerate tetrahedron.
    let a = cand[0];
    let b = *cand.iter().find(|&&k| p[k] != p[a])?;
    let c = *cand.iter().find(|&&k| {
        let u: [i64; 3] = std::array::from_fn(|i| p[b][i] - p[a][i]);
        let v: [i64; 3] = std::array::from_fn(|i| p[k][i] - p[a][i]);
        u[0] * v[1] - u[1] * v[0] != 0
            || u[1] * v[2] - u[2] * v[1] != 0
            || u[0] * v[2] - u[2] * v[0] != 0
    })?;
    let d = *cand
        .iter()
        .find(|&&k| orient(p[a], p[b], p[c], p[k]) != 0)?;
    let mut faces: Vec<[usize; 3]> = if orient(p[a], p[b], p[c], p[d]) < 0 {
        vec![[a, b, c], [a, d, b], [b, d, c], [a, c, d]]
    } else {
        vec![[a, c, b], [a, b, d], [b, c, d], [a, d, c]]
    };
    for &k in &cand {
        if k == a || k == b || k == c || k == d {
            continue;
        }
        let visible: Vec<bool> = faces
            .iter()
            .map(|f| orient(p[f[0]], p[f[1]], p[f[2]], p[k]) > 0)
            .collect();
        if !visible.iter().any(|&v| v) {
            continue;
        }
        // The visible faces' edges, in face order (a set for the look-ups, a list for a fixed order of
        // the new faces, so that the sums over faces do not depend on hashing).
        let mut edges: HashSet<(usize, usize)> = HashSet::new();
        let mut edge_list = Vec::new();
        for (f, _) in faces.iter().zip(&visible).filter(|(_, &v)| v) {
            for e in [(f[0], f[1]), (f[1], f[2]), (f[2], f[0])] {
                if edges.insert(e) {
                    edge_list.push(e);
                }
            }
        }
        let mut next: Vec<[usize; 3]> = faces
            .iter()
            .zip(&visible)
            .filter(|(_, &v)| !v)
            .map(|(f, _)| *f)
            .collect();
        for &(u, v) in &edge_list {
            if !edges.contains(&(v, u)) {
                next.push([u, v, k]);
            }
        }
        faces = next;
    }
    Some(faces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_of_a_cube_with_inner_points() {
        let mut pts = Vec::new();
        for z in 0..3 {
            for y in 0..3 {
                for x in 0..3 {
                    pts.push([z * 2, y * 2, x * 2]);
                }
            }
        }
        let (v, a) = convex_hull_volume_area(&pts, [0.5, 0.5, 0.5]).unwrap();
        assert!((v - 8.0).abs() < 1e-12, "{v}");
        assert!((a - 24.0).abs() < 1e-12, "{a}");
    }

    #[test]
    fn sphere_area_by_the_series() {
        let a = ellipsoid_area(2.0, 2.0, 2.0);
        assert!((a - 4.0 * std::f64::consts::PI * 4.0).abs() < 1e-9);
        // a = 2, b = c = 1: α = β = √0.75, the Legendre argument is 1 and P_ν(1) = 1, so the manual's
        // series is 8π Σ_{ν ≤ 20} 0.75^ν / (1 − 4ν²). (The series is the manual's definition of A_aee; it
        // is not the exact area of the spheroid.)
        let expected = 8.0
            * std::f64::consts::PI
            * (0..=20)
                .map(|nu: i32| 0.75f64.powi(nu) / (1.0 - 4.0 * f64::from(nu * nu)))
                .sum::<f64>();
        let series = ellipsoid_area(2.0, 1.0, 1.0);
        assert!(
            (series - expected).abs() < 1e-12 * expected,
            "{series} vs {expected}"
        );
    }

    #[test]
    fn moran_and_geary_on_the_grid_equal_all_pairs() {
        // A ROI with holes and ragged rows, anisotropic spacing, a textured image.
        let (nz, ny, nx) = (5, 7, 9);
        let spacing = [0.8, 1.3, 2.5];
        let mut roi = ndarray::Array3::from_elem((nz, ny, nx), false);
        let mut image = ndarray::Array3::<f64>::zeros((nz, ny, nx));
        let (mut points, mut values) = (Vec::new(), Vec::new());
        for ((z, y, x), m) in roi.indexed_iter_mut() {
            let h = (x * 73856093) ^ (y * 19349663) ^ (z * 83492791);
            let v = (h % 97) as f64 - 30.0 + 2.0 * x as f64;
            image[[z, y, x]] = v;
            *m = h % 5 != 0 && (x + y + z) % 7 != 3 && !(z == 2 && y == 3);
            if *m {
                points.push([
                    z as f64 * spacing[2],
                    y as f64 * spacing[1],
                    x as f64 * spacing[0],
                ]);
                values.push(v);
            }
        }
        assert!(values.len() > 150);
        let (i0, c0) = moran_geary(&points, &values);
        let (i1, c1) = moran_geary_grid(roi.view(), image.view(), spacing);
        assert!((i1 - i0).abs() <= 1e-12 * i0.abs(), "{i1} vs {i0}");
        assert!((c1 - c0).abs() <= 1e-12 * c0.abs(), "{c1} vs {c0}");
        // A single ROI row (no later rows) and a single voxel.
        let line = ndarray::Array3::from_elem((1, 1, 6), true);
        let vals = ndarray::Array3::from_shape_fn(
            (1, 1, 6),
            |(_, _, x)| if x % 2 == 0 { 1.0 } else { -1.0 },
        );
        let pts: Vec<[f64; 3]> = (0..6).map(|i| [0.0, 0.0, i as f64 * 0.5]).collect();
        let (a, b) = moran_geary(&pts, vals.as_slice().unwrap());
        let (c, d) = moran_geary_grid(line.view(), vals.view(), [0.5, 1.0, 1.0]);
        assert!(
            (a - c).abs() < 1e-14 && (b - d).abs() < 1e-14,
            "{a} {b} vs {c} {d}"
        );
        let one = ndarray::Array3::from_elem((1, 1, 1), true);
        assert!(
            moran_geary_grid(one.view(), vals.slice(ndarray::s![.., .., ..1]), [1.0; 3])
                .0
                .is_nan()
        );
    }

    #[test]
    fn moran_and_geary_of_a_checkerboard_line() {
        // Alternating values on a line: strong negative autocorrelation.
        let pts: Vec<[f64; 3]> = (0..6).map(|i| [0.0, 0.0, i as f64]).collect();
        let vals = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
        let (i, c) = moran_geary(&pts, &vals);
        assert!(i < 0.0);
        assert!(c > 1.0);
    }
}
