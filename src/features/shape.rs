//! 3D shape: size and form of the ROI, from the mask alone (PyRadiomics `shape`).
//!
//! # The mesh
//! Most features read a triangle mesh of the ROI surface built by marching cubes (Lorensen & Cline,
//! 1987) over the mask padded with one empty voxel on every side. A cube of 2×2×2 neighbouring voxel
//! centres is classified by which of its eight corners lie in the ROI; where an edge joins an ROI corner and
//! a background corner, the mesh has a vertex halfway along it. A table gives, per corner pattern, the
//! triangles joining those vertices. Only the 128 patterns with corner 7 outside are tabulated: a pattern
//! with corner 7 inside is complemented, which gives the same triangles with the opposite orientation, so
//! their signed volume is negated.
//!
//! The triangulation of a pattern is not unique (a pentagon or hexagon crossing a cube can be split along
//! different diagonals, and non-planar polygons then have different areas), so the table `TRIANGLES` follows
//! PyRadiomics' table triangle for triangle; that is what makes MeshVolume and SurfaceArea agree with
//! PyRadiomics to rounding.
//!
//! # Symbols
//! ```text
//! Nv         number of ROI voxels               Δ = (Δz, Δy, Δx)   voxel spacing in mm
//! a, b, c    vertices of a mesh triangle, in mm, from voxel (−1, −1, −1) of the mask (see The origin)
//! V          mesh volume      V = Σ a·(b × c) / 6   (signed tetrahedra with the origin; outward normals)
//! A          mesh surface     A = Σ ½ |(a − c) × (b − c)|
//! λ₁ ≥ λ₂ ≥ λ₃  eigenvalues of the covariance of the ROI voxel centres (in mm, divided by Nv, not Nv − 1)
//! ```
//! Diameters are the largest distances between mesh vertices: over all pairs (3D), or over pairs in the same
//! axial slice (equal z: Maximum2DDiameterSlice), the same row of the y axis (equal y: …Column) or the same
//! x (…Row), following PyRadiomics' names.
//!
//! Shape reads the spacing only; the direction cosines play no part (as in PyRadiomics).
//!
//! # Degenerate ROIs
//! Where all voxel centres lie on a plane (or a line), the smallest eigenvalue (or two) is exactly 0 here,
//! where PyRadiomics reports its eigen-solver's rounding noise: LeastAxisLength and Flatness (or also
//! MinorAxisLength and Elongation) are then 0 here and below about 1e-7·MajorAxisLength in PyRadiomics (see
//! `principal_variances`). A ratio of eigenvalues that are both 0 (a single voxel) is NaN, as in
//! PyRadiomics. An empty mask gives NaN for every feature.
//!
//! # PyRadiomics and IBSI
//! PyRadiomics divides the covariance of the voxel centres by Nv, IBSI 1 by Nv − 1; the axis lengths differ
//! by √(Nv / (Nv − 1)) (0.7 % for IBSI's 74-voxel digital phantom, enough to miss its Minor and Least axis
//! lengths). [`compute`] follows PyRadiomics; [`compute_with`] and [`Covariance::Sample`] give IBSI's.
//! Elongation and Flatness are ratios and do not change. Every other feature is the same in both.
//!
//! # The origin
//! Marching cubes leaves small gaps where a cube face has two diagonal corners in the ROI and two out: the
//! cube on one side of the face splits it one way, its complemented neighbour the other way. The signed
//! volume of a mesh with gaps depends on the apex of the tetrahedra. As in PyRadiomics, the apex is the voxel
//! (−1, −1, −1) of the mask as given; PyRadiomics' extractor gives its shape class the mask cropped to the ROI
//! bounding box grown by `padDistance` (default 5) voxels and clipped to the image, so a caller that crops
//! the same way gets PyRadiomics' MeshVolume for such masks too. (Masks without such faces, and every other
//! feature, do not depend on the crop beyond rounding.)
//!
//! # Summation order
//! Volume and area are summed triangle by triangle in array order (z slowest), as PyRadiomics sums them;
//! the volume's tetrahedra cancel to a degree that depends on where the origin lies, so the sum is exact to
//! about 1e-14 relative, not to the last bit.

use ndarray::{Array3, ArrayView3};

use super::FeatureInfo;
use crate::image::bounding_box;

/// The 3D shape features in PyRadiomics' output order.
pub const FEATURES: &[FeatureInfo] = &[
    FeatureInfo::deprecated("Compactness1", "SKGS"),
    FeatureInfo::deprecated("Compactness2", "BQWJ"),
    FeatureInfo::new("Elongation", "Q3CK"),
    FeatureInfo::new("Flatness", "N17B"),
    FeatureInfo::new("LeastAxisLength", "7J51"),
    FeatureInfo::new("MajorAxisLength", "TDIC"),
    FeatureInfo::new("Maximum2DDiameterColumn", ""),
    FeatureInfo::new("Maximum2DDiameterRow", ""),
    FeatureInfo::new("Maximum2DDiameterSlice", ""),
    FeatureInfo::new("Maximum3DDiameter", "L0JK"),
    FeatureInfo::new("MeshVolume", "RNU0"),
    FeatureInfo::new("MinorAxisLength", "P9VJ"),
    FeatureInfo::deprecated("SphericalDisproportion", "KRCK"),
    FeatureInfo::new("Sphericity", "QCFX"),
    FeatureInfo::new("SurfaceArea", "C0JK"),
    FeatureInfo::new("SurfaceVolumeRatio", "2PR5"),
    FeatureInfo::new("VoxelVolume", "YEKZ"),
];

/// How the covariance of the voxel centres, whose eigenvalues give the PCA axis lengths, is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Covariance {
    /// Divided by Nv, as PyRadiomics does (the default).
    #[default]
    Population,
    /// Divided by Nv − 1, as IBSI 1 does. A single voxel keeps eigenvalues 0.
    Sample,
}

/// Every 3D shape feature, in [`FEATURES`] order, as PyRadiomics computes them.
///
/// `mask` is indexed `[z, y, x]` and may be cropped to the ROI (it is cropped and padded here anyway);
/// `spacing` is the voxel size (x, y, z) in mm. An empty mask gives NaN everywhere.
pub fn compute(mask: ArrayView3<'_, bool>, spacing: [f64; 3]) -> Vec<f64> {
    compute_with(mask, spacing, Covariance::Population)
}

/// [`compute`] with a choice of covariance normalisation for the axis lengths (see the module doc).
pub fn compute_with(
    mask: ArrayView3<'_, bool>,
    spacing: [f64; 3],
    covariance: Covariance,
) -> Vec<f64> {
    let Some((roi, lower)) = padded_roi(mask) else {
        return vec![f64::NAN; FEATURES.len()];
    };
    // Array order from here on: (z, y, x).
    let delta = [spacing[2], spacing[1], spacing[0]];
    let mesh = Mesh::march(roi.view(), delta, lower);
    let d = mesh.diameters();
    let (n_v, mut lambda) = principal_moments(roi.view(), delta);
    if covariance == Covariance::Sample && n_v > 1 {
        let bessel = n_v as f64 / (n_v - 1) as f64;
        lambda = lambda.map(|l| l * bessel);
    }
    let (v, a) = (mesh.volume, mesh.area);

    vec![
        compactness1(v, a),
        compactness2(v, a),
        elongation(lambda),
        flatness(lambda),
        axis_length(lambda[2]),
        axis_length(lambda[0]),
        d.column,
        d.row,
        d.slice,
        d.max3d,
        v,
        axis_length(lambda[1]),
        spherical_disproportion(v, a),
        sphericity(v, a),
        a,
        a / v,
        voxel_volume(n_v, delta),
    ]
}

/// Each mesh vertex once: (position in half voxels, position in mm), both in array order (z, y, x).
pub(crate) type MeshVertices = Vec<([i64; 3], [f64; 3])>;

/// The marching-cubes mesh that [`compute`] measures, for other feature sets (IBSI morphology): its
/// volume (mm³), area (mm²) and each vertex once, as (position in half voxels, position in mm), both in
/// array order (z, y, x) and from the same origin. `None` for an empty mask.
pub(crate) fn mesh_of(
    mask: ArrayView3<'_, bool>,
    spacing: [f64; 3],
) -> Option<(f64, f64, MeshVertices)> {
    let (roi, lower) = padded_roi(mask)?;
    let delta = [spacing[2], spacing[1], spacing[0]];
    let mesh = Mesh::march(roi.view(), delta, lower);
    let vertices = mesh.vertices.iter().map(|v| (v.half, v.mm)).collect();
    Some((mesh.volume, mesh.area, vertices))
}

/// The ROI's bounding box with one empty voxel added on every side, and the index in `mask` of the box's
/// first voxel; `None` for an empty mask.
pub(crate) fn padded_roi(mask: ArrayView3<'_, bool>) -> Option<(Array3<bool>, [usize; 3])> {
    let bb = bounding_box(mask)?;
    let [nz, ny, nx] = bb.shape();
    let mut out = Array3::from_elem((nz + 2, ny + 2, nx + 2), false);
    for ((z, y, x), &m) in mask
        .slice(ndarray::s![
            bb.lower[0]..=bb.upper[0],
            bb.lower[1]..=bb.upper[1],
            bb.lower[2]..=bb.upper[2]
        ])
        .indexed_iter()
    {
        out[[z + 1, y + 1, x + 1]] = m;
    }
    Some((out, bb.lower))
}

/// 2. Voxel volume: Nv · Δx·Δy·Δz, the volume of the ROI counted in voxels.
fn voxel_volume(n_v: usize, delta: [f64; 3]) -> f64 {
    let [z, y, x] = delta;
    n_v as f64 * (z * x * y)
}

/// 5. Sphericity = ∛(36π V²) / A: 1 for a sphere, smaller for any other form.
fn sphericity(v: f64, a: f64) -> f64 {
    (36.0 * std::f64::consts::PI * v * v).powf(1.0 / 3.0) / a
}

/// 6. Compactness 1 = V / (√π · A^{3/2}) (deprecated: a function of sphericity).
fn compactness1(v: f64, a: f64) -> f64 {
    v / (a.powf(1.5) * std::f64::consts::PI.sqrt())
}

/// 7. Compactness 2 = 36π V² / A³ (deprecated: sphericity³).
fn compactness2(v: f64, a: f64) -> f64 {
    (36.0 * std::f64::consts::PI) * v.powi(2) / a.powi(3)
}

/// 8. Spherical disproportion = A / ∛(36π V²) (deprecated: 1 / sphericity).
fn spherical_disproportion(v: f64, a: f64) -> f64 {
    a / (36.0 * std::f64::consts::PI * v * v).powf(1.0 / 3.0)
}

/// 13–15. Major, minor, least axis length = 4√λ for λ₁, λ₂, λ₃; NaN for a negative eigenvalue.
fn axis_length(lambda: f64) -> f64 {
    if lambda < 0.0 {
        f64::NAN
    } else {
        lambda.sqrt() * 4.0
    }
}

/// 16. Elongation = √(λ₂ / λ₁): 1 when the two largest principal axes are equal, towards 0 for a needle.
fn elongation(lambda: [f64; 3]) -> f64 {
    ratio_sqrt(lambda[1], lambda[0])
}

/// 17. Flatness = √(λ₃ / λ₁): 1 when the largest and smallest axes are equal, towards 0 for a disc.
fn flatness(lambda: [f64; 3]) -> f64 {
    ratio_sqrt(lambda[2], lambda[0])
}

/// √(num / den), NaN when either is negative (and for 0 / 0).
pub(crate) fn ratio_sqrt(num: f64, den: f64) -> f64 {
    if num < 0.0 || den < 0.0 {
        f64::NAN
    } else {
        (num / den).sqrt()
    }
}

/// The number of ROI voxels and the eigenvalues λ₁ ≥ λ₂ ≥ λ₃ of the covariance of their centres (in mm).
fn principal_moments(roi: ArrayView3<'_, bool>, delta: [f64; 3]) -> (usize, [f64; 3]) {
    let points: Vec<[i64; 3]> = roi
        .indexed_iter()
        .filter(|(_, &m)| m)
        .map(|((z, y, x), _)| [z as i64, y as i64, x as i64])
        .collect();
    (points.len(), principal_variances(&points, delta))
}

/// The eigenvalues, largest first, of the covariance (divided by N, not N − 1, as in PyRadiomics) of the
/// voxel centres `index · delta` (mm) of N ≥ 1 voxels given by their indices.
///
/// Where the centres lie on a plane or a line, the covariance is singular and its smallest eigenvalues are
/// exactly 0; an eigen-solver returns them as rounding noise of order ε·λ₁ instead, whose square root (an
/// axis length of order 1e-8·λ₁^½) is noise too, and differs between solvers. The affine dimension of the
/// voxels is therefore found exactly, in integers, and those eigenvalues set to 0. (PyRadiomics keeps the
/// solver's noise, so for flat ROIs it reports such lengths as small non-zero values.) Remaining eigenvalues
/// in (−1e-10, 0) are set to 0, as PyRadiomics does.
pub(crate) fn principal_variances<const D: usize>(
    points: &[[i64; D]],
    delta: [f64; D],
) -> [f64; D] {
    let mm: Vec<[f64; D]> = points
        .iter()
        .map(|p| std::array::from_fn(|d| p[d] as f64 * delta[d]))
        .collect();
    let cov = covariance(&mm);
    let rank = affine_rank(points);
    let mut ev = [0.0; D];
    if rank > 0 {
        let m = nalgebra::DMatrix::from_fn(D, D, |r, c| cov[r][c]);
        for (e, v) in ev.iter_mut().zip(m.symmetric_eigenvalues().iter()) {
            *e = *v;
        }
    }
    ev.sort_by(|a, b| b.total_cmp(a));
    for (k, e) in ev.iter_mut().enumerate() {
        if k >= rank || (*e < 0.0 && *e > -1e-10) {
            *e = 0.0;
        }
    }
    ev
}

/// The dimension of the affine hull of integer points (0 for a single point, 1 on a line, 2 on a plane),
/// computed exactly.
fn affine_rank<const D: usize>(points: &[[i64; D]]) -> usize {
    let widen = |p: &[i64; D]| -> [i128; 3] {
        std::array::from_fn(|d| if d < D { p[d] as i128 } else { 0 })
    };
    let Some(p0) = points.first().map(widen) else {
        return 0;
    };
    let rel = |p: &[i64; D]| -> [i128; 3] {
        let q = widen(p);
        [q[0] - p0[0], q[1] - p0[1], q[2] - p0[2]]
    };
    let Some(u) = points.iter().map(rel).find(|v| *v != [0; 3]) else {
        return 0;
    };
    let cross = |a: [i128; 3], b: [i128; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let Some(n) = points
        .iter()
        .map(|p| cross(u, rel(p)))
        .find(|v| *v != [0; 3])
    else {
        return 1;
    };
    let off_plane = points.iter().any(|p| {
        let v = rel(p);
        n[0] * v[0] + n[1] * v[1] + n[2] * v[2] != 0
    });
    if off_plane {
        3
    } else {
        2
    }
}

/// The D×D covariance (divided by N) of N points.
fn covariance<const D: usize>(points: &[[f64; D]]) -> [[f64; D]; D] {
    let n = points.len() as f64;
    let mut mean = [0.0; D];
    for p in points {
        for d in 0..D {
            mean[d] += p[d];
        }
    }
    for m in &mut mean {
        *m /= n;
    }
    let scale = n.sqrt();
    let mut cov = [[0.0; D]; D];
    for p in points {
        let mut q = [0.0; D];
        for d in 0..D {
            q[d] = (p[d] - mean[d]) / scale;
        }
        for r in 0..D {
            for c in 0..D {
                cov[r][c] += q[r] * q[c];
            }
        }
    }
    cov
}

/// The marching-cubes mesh of a padded ROI: volume, surface area and vertices.
struct Mesh {
    /// V, in mm³.
    volume: f64,
    /// A, in mm².
    area: f64,
    /// Each mesh vertex once: position in half voxels (array order) and in mm.
    vertices: Vec<Vertex>,
}

#[derive(Debug, Clone, Copy)]
struct Vertex {
    half: [i64; 3],
    mm: [f64; 3],
}

/// Corners of a marching cube, offsets (z, y, x) from its first voxel.
const CORNERS: [[usize; 3]; 8] = [
    [0, 0, 0],
    [0, 0, 1],
    [0, 1, 1],
    [0, 1, 0],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, 1],
    [1, 1, 0],
];

/// Mesh vertex on each cube edge, in half voxels (z, y, x) from the cube's first voxel. Edges 0–3 join
/// corners 0-1, 1-2, 2-3, 3-0 of the z = 0 face, edges 4–7 the same on the z = 1 face, 8–11 run along z
/// from corners 0, 1, 2, 3.
const EDGE_VERTEX: [[i64; 3]; 12] = [
    [0, 0, 1],
    [0, 1, 2],
    [0, 2, 1],
    [0, 1, 0],
    [2, 0, 1],
    [2, 1, 2],
    [2, 2, 1],
    [2, 1, 0],
    [1, 0, 0],
    [1, 0, 2],
    [1, 2, 2],
    [1, 2, 0],
];

/// The three edges that meet at corner 7, each with its other corner: every edge of the grid is the corner-7
/// edge of exactly one cube, which is where its vertex (if any) is collected for the diameters.
const CORNER7_EDGES: [(usize, usize); 3] = [(6, 6), (7, 4), (11, 3)];

impl Mesh {
    /// Marches over every cube of the padded ROI `roi` with spacing `delta` (z, y, x). Vertex coordinates
    /// count from `origin` voxels before `roi`'s first voxel (see the module doc on the origin).
    fn march(roi: ArrayView3<'_, bool>, delta: [f64; 3], origin: [usize; 3]) -> Mesh {
        let (nz, ny, nx) = roi.dim();
        let roi = roi.as_standard_layout();
        let m = roi.as_slice().expect("standard layout");
        let stride = [ny * nx, nx, 1];
        let offsets: [usize; 8] = std::array::from_fn(|k| {
            CORNERS[k][0] * stride[0] + CORNERS[k][1] * stride[1] + CORNERS[k][2]
        });
        let mut volume = 0.0;
        let mut area = 0.0;
        let mut vertices = Vec::new();
        let position = |base: [usize; 3], edge: usize| -> [f64; 3] {
            std::array::from_fn(|d| {
                ((base[d] + origin[d]) as f64 + EDGE_VERTEX[edge][d] as f64 * 0.5) * delta[d]
            })
        };
        for iz in 0..nz - 1 {
            for iy in 0..ny - 1 {
                for ix in 0..nx - 1 {
                    let first = iz * stride[0] + iy * stride[1] + ix;
                    let mut pattern = 0usize;
                    for (k, &o) in offsets.iter().enumerate() {
                        if m[first + o] {
                            pattern |= 1 << k;
                        }
                    }
                    let base = [iz, iy, ix];
                    // Vertices on the edges at corner 7 (each grid edge is visited once this way).
                    let c7 = pattern & 0x80 != 0;
                    for &(edge, other) in &CORNER7_EDGES {
                        if ((pattern >> other) & 1 != 0) != c7 {
                            let half =
                                std::array::from_fn(|d| 2 * base[d] as i64 + EDGE_VERTEX[edge][d]);
                            vertices.push(Vertex {
                                half,
                                mm: position(base, edge),
                            });
                        }
                    }
                    // Complement patterns with corner 7 inside: same triangles, reversed orientation.
                    let (pattern, sign) = if c7 {
                        (pattern ^ 0xff, -1.0)
                    } else {
                        (pattern, 1.0)
                    };
                    for t in TRIANGLES[pattern] {
                        let a = position(base, t[0] as usize);
                        let b = position(base, t[1] as usize);
                        let c = position(base, t[2] as usize);
                        // Signed volume of the tetrahedron (origin, a, b, c), times 6.
                        let ab = cross(a, b);
                        volume += sign * (ab[0] * c[0] + ab[1] * c[1] + ab[2] * c[2]);
                        // Triangle area, times 2.
                        let ac = [a[0] - c[0], a[1] - c[1], a[2] - c[2]];
                        let bc = [b[0] - c[0], b[1] - c[1], b[2] - c[2]];
                        let n = cross(ac, bc);
                        area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                    }
                }
            }
        }
        Mesh {
            volume: volume / 6.0,
            area,
            vertices,
        }
    }

    /// The largest vertex-to-vertex distances: in 3D, and within planes of constant z, y and x.
    fn diameters(&self) -> Diameters {
        let mm: Vec<[f64; 3]> = self.vertices.iter().map(|v| v.mm).collect();
        let plane = |axis: usize| -> f64 {
            // Compare vertices of equal coordinate along `axis` only, and of those only the points on
            // each plane's convex hull, where the longest distance ends. Only the first and last vertex
            // of each row (equal u) can be hull vertices: they are found in one pass, bucketed by plane
            // and u, which also leaves them sorted by (u, v) for the hull.
            let (u, v) = match axis {
                0 => (1, 2),
                1 => (0, 2),
                _ => (0, 1),
            };
            let range = |d: usize| {
                self.vertices
                    .iter()
                    .fold((i64::MAX, i64::MIN), |(lo, hi), x| {
                        (lo.min(x.half[d]), hi.max(x.half[d]))
                    })
            };
            let ((a0, a1), (u0, u1)) = (range(axis), range(u));
            let (planes, rows) = ((a1 - a0 + 1) as usize, (u1 - u0 + 1) as usize);
            // Per (plane, row): the vertices of smallest and largest v.
            let mut ends = vec![(usize::MAX, usize::MAX); planes * rows];
            for (i, x) in self.vertices.iter().enumerate() {
                let cell = (x.half[axis] - a0) as usize * rows + (x.half[u] - u0) as usize;
                let (first, last) = &mut ends[cell];
                if *first == usize::MAX || x.half[v] < self.vertices[*first].half[v] {
                    *first = i;
                }
                if *last == usize::MAX || x.half[v] > self.vertices[*last].half[v] {
                    *last = i;
                }
            }
            let uv = |i: usize| {
                let h = self.vertices[i].half;
                (h[u], h[v])
            };
            let mut best = 0.0f64;
            let mut sorted = Vec::new();
            let mut hull = Vec::new();
            let mut candidates: Vec<[f64; 3]> = Vec::new();
            for plane in ends.chunks_exact(rows) {
                sorted.clear();
                for &(first, last) in plane {
                    if first != usize::MAX {
                        sorted.push(first);
                        if last != first {
                            sorted.push(last);
                        }
                    }
                }
                if sorted.len() < 2 {
                    continue;
                }
                hull_boundary(&sorted, uv, &mut hull);
                candidates.clear();
                candidates.extend(hull.iter().map(|&i| mm[i]));
                best = best.max(max_squared_distance_brute(&candidates));
            }
            best.sqrt()
        };
        Diameters {
            slice: plane(0),
            column: plane(1),
            row: plane(2),
            max3d: max_squared_distance(&mm).sqrt(),
        }
    }
}

/// Largest distances between mesh vertices, in mm.
struct Diameters {
    /// Between vertices of equal z.
    slice: f64,
    /// Between vertices of equal y.
    column: f64,
    /// Between vertices of equal x.
    row: f64,
    /// Between any two vertices.
    max3d: f64,
}

/// The largest squared distance between two of `points` (0 for fewer than two).
///
/// Exact, and equal to the plain O(n²) search ([`max_squared_distance_brute`]): a branch and bound over a
/// k-d tree of the points. A pair of boxes is skipped only when the largest distance any two of their
/// points could have — computed from the boxes' corners, which are point coordinates, with the same
/// operations, so rounding cannot make it smaller than a real pair's distance — does not exceed the best
/// distance found. Mesh vertices lie on a surface, and most box pairs near each other are pruned at once.
/// Before the tree is built, points too close to the centroid to end a pair longer than a first bound are
/// set aside.
fn max_squared_distance(points: &[[f64; 3]]) -> f64 {
    const LEAF: usize = 32;
    if points.len() <= 16 {
        return max_squared_distance_brute(points);
    }
    // A good first bound: the extreme points along each axis, against every point.
    let mut best = 0.0f64;
    for d in 0..3 {
        for pick in [
            points
                .iter()
                .copied()
                .fold(points[0], |m, p| if p[d] < m[d] { p } else { m }),
            points
                .iter()
                .copied()
                .fold(points[0], |m, p| if p[d] > m[d] { p } else { m }),
        ] {
            for p in points {
                best = best.max(squared_distance(&pick, p));
            }
        }
    }
    // Only points that can still end a longer pair: with c the centroid and R the largest distance from
    // it, no point lies farther than |pc| + R from p, so p with |pc| + R below the bound is dropped (with a
    // relative allowance of 1e-9, far above the rounding of these sums, so no candidate is lost).
    let n = points.len() as f64;
    let c = points.iter().fold([0.0; 3], |acc, p| {
        [acc[0] + p[0] / n, acc[1] + p[1] / n, acc[2] + p[2] / n]
    });
    let radius: Vec<f64> = points
        .iter()
        .map(|p| squared_distance(p, &c).sqrt())
        .collect();
    let r_max = radius.iter().fold(0.0f64, |m, &r| m.max(r));
    let threshold = best.sqrt() * (1.0 - 1e-9) - r_max;
    let kept: Vec<[f64; 3]> = points
        .iter()
        .zip(&radius)
        .filter(|(_, &r)| r >= threshold)
        .map(|(p, _)| *p)
        .collect();
    if kept.len() <= 4 * LEAF {
        return best.max(max_squared_distance_brute(&kept));
    }
    let tree = KdTree::new(&kept, LEAF);
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let (a, b) = (&tree.nodes[i], &tree.nodes[j]);
        if box_bound(a, b) <= best {
            continue;
        }
        match (a.children, b.children) {
            (None, None) => {
                let pa = &tree.points[a.start..a.end];
                let pb = &tree.points[b.start..b.end];
                if i == j {
                    best = best.max(max_squared_distance_brute(pa));
                } else {
                    for p in pa {
                        for q in pb {
                            best = best.max(squared_distance(p, q));
                        }
                    }
                }
            }
            _ if i == j => {
                let (l, r) = a.children.expect("an inner node");
                stack.extend([(l, l), (r, r), (l, r)]);
            }
            _ => {
                // Split the larger box (or the one that can be split).
                let split_a = match (a.children, b.children) {
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    _ => a.end - a.start >= b.end - b.start,
                };
                if split_a {
                    let (l, r) = a.children.expect("an inner node");
                    stack.extend([(l, j), (r, j)]);
                } else {
                    let (l, r) = b.children.expect("an inner node");
                    stack.extend([(i, l), (i, r)]);
                }
            }
        }
    }
    best
}

/// The points of `sorted` (ids, sorted by their integer plane coordinates `uv`) on the boundary of their
/// convex hull, collinear boundary points included, into `out` (Andrew's monotone chain; exact, in
/// integers). The two ends of a longest segment between the points are hull vertices, and the hull's
/// vertices in voxel coordinates are those in mm (a scaling per axis keeps a point extreme), so searching
/// `out` gives the same largest distance as searching every point.
fn hull_boundary(sorted: &[usize], uv: impl Fn(usize) -> (i64, i64), out: &mut Vec<usize>) {
    out.clear();
    if sorted.len() <= 3 {
        out.extend_from_slice(sorted);
        return;
    }
    // Turn of o → a → b: > 0 counter-clockwise, 0 collinear.
    let cross = |o: usize, a: usize, b: usize| {
        let (o, a, b) = (uv(o), uv(a), uv(b));
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut chain: Vec<usize> = Vec::with_capacity(sorted.len());
    for pass in [true, false] {
        chain.clear();
        let mut push = |p: usize| {
            while chain.len() >= 2 && cross(chain[chain.len() - 2], chain[chain.len() - 1], p) < 0 {
                chain.pop();
            }
            chain.push(p);
        };
        if pass {
            sorted.iter().for_each(|&p| push(p));
        } else {
            sorted.iter().rev().for_each(|&p| push(p));
        }
        out.extend_from_slice(&chain);
    }
    out.sort_unstable();
    out.dedup();
}

fn squared_distance(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let dz = a[0] - b[0];
    let dy = a[1] - b[1];
    let dx = a[2] - b[2];
    dz * dz + dy * dy + dx * dx
}

/// The plain O(n²) search, the reference for [`max_squared_distance`].
fn max_squared_distance_brute(points: &[[f64; 3]]) -> f64 {
    let mut best = 0.0f64;
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            best = best.max(squared_distance(a, b));
        }
    }
    best
}

/// A node of [`KdTree`]: the bounding box of `points[start..end]` and its two halves.
struct KdNode {
    lo: [f64; 3],
    hi: [f64; 3],
    start: usize,
    end: usize,
    children: Option<(usize, usize)>,
}

/// Points split recursively at the median of the box's longest side.
struct KdTree {
    points: Vec<[f64; 3]>,
    nodes: Vec<KdNode>,
}

impl KdTree {
    fn new(points: &[[f64; 3]], leaf: usize) -> KdTree {
        let mut tree = KdTree {
            points: points.to_vec(),
            nodes: Vec::new(),
        };
        tree.build(0, points.len(), leaf);
        tree
    }

    fn build(&mut self, start: usize, end: usize, leaf: usize) -> usize {
        let slice = &mut self.points[start..end];
        let mut lo = slice[0];
        let mut hi = slice[0];
        for p in slice.iter() {
            for d in 0..3 {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        let id = self.nodes.len();
        self.nodes.push(KdNode {
            lo,
            hi,
            start,
            end,
            children: None,
        });
        if end - start > leaf {
            let axis = (0..3)
                .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])))
                .expect("three axes");
            let mid = (end - start) / 2;
            slice.select_nth_unstable_by(mid, |p, q| p[axis].total_cmp(&q[axis]));
            let l = self.build(start, start + mid, leaf);
            let r = self.build(start + mid, end, leaf);
            self.nodes[id].children = Some((l, r));
        }
        id
    }
}

/// The largest squared distance two points of boxes `a` and `b` can have.
fn box_bound(a: &KdNode, b: &KdNode) -> f64 {
    let mut sum = 0.0;
    for d in 0..3 {
        let g = (a.hi[d] - b.lo[d]).abs().max((b.hi[d] - a.lo[d]).abs());
        sum += g * g;
    }
    sum
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - b[1] * a[2],
        a[2] * b[0] - b[2] * a[0],
        a[0] * b[1] - b[0] * a[1],
    ]
}

/// Triangles of each corner pattern with corner 7 outside (bit k set = corner k in the ROI), as triples of
/// edges carrying their vertices ([`EDGE_VERTEX`]). Vertices run so that (b − a) × (c − a) points out of
/// the ROI. Triangle for triangle PyRadiomics' triangulation (see the module doc).
#[rustfmt::skip]
const TRIANGLES: [&[[u8; 3]]; 128] = [
    /*   0 */ &[],
    /*   1 */ &[[0, 8, 3]],
    /*   2 */ &[[1, 9, 0]],
    /*   3 */ &[[1, 8, 3], [1, 9, 8]],
    /*   4 */ &[[1, 2, 10]],
    /*   5 */ &[[0, 8, 3], [1, 2, 10]],
    /*   6 */ &[[9, 2, 10], [0, 2, 9]],
    /*   7 */ &[[2, 8, 3], [2, 10, 8], [10, 9, 8]],
    /*   8 */ &[[11, 2, 3]],
    /*   9 */ &[[11, 2, 0], [0, 8, 11]],
    /*  10 */ &[[1, 9, 0], [11, 2, 3]],
    /*  11 */ &[[11, 2, 1], [1, 9, 11], [9, 8, 11]],
    /*  12 */ &[[3, 10, 1], [11, 10, 3]],
    /*  13 */ &[[10, 1, 0], [0, 8, 10], [8, 11, 10]],
    /*  14 */ &[[9, 0, 3], [3, 11, 9], [11, 10, 9]],
    /*  15 */ &[[9, 8, 10], [11, 10, 8]],
    /*  16 */ &[[4, 7, 8]],
    /*  17 */ &[[0, 4, 3], [4, 7, 3]],
    /*  18 */ &[[1, 9, 0], [4, 7, 8]],
    /*  19 */ &[[1, 9, 4], [1, 4, 7], [1, 7, 3]],
    /*  20 */ &[[1, 2, 10], [4, 7, 8]],
    /*  21 */ &[[3, 4, 7], [3, 0, 4], [1, 2, 10]],
    /*  22 */ &[[9, 2, 10], [9, 0, 2], [4, 7, 8]],
    /*  23 */ &[[2, 10, 9], [2, 9, 7], [2, 7, 3], [4, 7, 9]],
    /*  24 */ &[[4, 7, 8], [11, 2, 3]],
    /*  25 */ &[[11, 4, 7], [11, 2, 4], [2, 0, 4]],
    /*  26 */ &[[1, 9, 0], [4, 7, 8], [11, 2, 3]],
    /*  27 */ &[[4, 7, 11], [9, 4, 11], [11, 2, 9], [1, 9, 2]],
    /*  28 */ &[[3, 10, 1], [11, 10, 3], [4, 7, 8]],
    /*  29 */ &[[11, 10, 1], [1, 4, 11], [1, 0, 4], [4, 7, 11]],
    /*  30 */ &[[4, 7, 8], [9, 0, 3], [3, 11, 9], [11, 10, 9]],
    /*  31 */ &[[4, 7, 11], [4, 11, 9], [9, 11, 10]],
    /*  32 */ &[[9, 5, 4]],
    /*  33 */ &[[9, 5, 4], [0, 8, 3]],
    /*  34 */ &[[0, 5, 4], [0, 1, 5]],
    /*  35 */ &[[8, 5, 4], [8, 3, 5], [3, 1, 5]],
    /*  36 */ &[[1, 2, 10], [9, 5, 4]],
    /*  37 */ &[[0, 8, 3], [1, 2, 10], [9, 5, 4]],
    /*  38 */ &[[2, 10, 5], [5, 4, 2], [2, 4, 0]],
    /*  39 */ &[[2, 10, 5], [3, 2, 5], [3, 5, 4], [8, 3, 4]],
    /*  40 */ &[[9, 5, 4], [11, 2, 3]],
    /*  41 */ &[[11, 2, 0], [0, 8, 11], [9, 5, 4]],
    /*  42 */ &[[0, 5, 4], [0, 1, 5], [11, 2, 3]],
    /*  43 */ &[[2, 1, 5], [2, 5, 8], [11, 2, 8], [5, 4, 8]],
    /*  44 */ &[[3, 10, 1], [11, 10, 3], [9, 5, 4]],
    /*  45 */ &[[5, 4, 9], [10, 1, 0], [0, 8, 10], [8, 11, 10]],
    /*  46 */ &[[5, 4, 0], [5, 0, 11], [10, 5, 11], [11, 0, 3]],
    /*  47 */ &[[5, 4, 8], [10, 5, 8], [11, 10, 8]],
    /*  48 */ &[[7, 8, 9], [5, 7, 9]],
    /*  49 */ &[[3, 0, 9], [5, 3, 9], [3, 5, 7]],
    /*  50 */ &[[7, 8, 0], [0, 1, 7], [7, 1, 5]],
    /*  51 */ &[[1, 5, 7], [1, 7, 3]],
    /*  52 */ &[[7, 8, 9], [5, 7, 9], [1, 2, 10]],
    /*  53 */ &[[1, 2, 10], [3, 0, 9], [3, 9, 5], [3, 5, 7]],
    /*  54 */ &[[0, 2, 8], [8, 2, 5], [8, 5, 7], [2, 10, 5]],
    /*  55 */ &[[2, 10, 5], [2, 5, 3], [3, 5, 7]],
    /*  56 */ &[[5, 7, 9], [7, 8, 9], [11, 2, 3]],
    /*  57 */ &[[5, 7, 9], [9, 7, 2], [2, 0, 9], [11, 2, 7]],
    /*  58 */ &[[11, 2, 3], [0, 1, 8], [1, 7, 8], [1, 5, 7]],
    /*  59 */ &[[2, 1, 11], [1, 7, 11], [1, 5, 7]],
    /*  60 */ &[[7, 8, 9], [5, 7, 9], [3, 10, 1], [11, 10, 3]],
    /*  61 */ &[[5, 7, 0], [5, 0, 9], [7, 11, 0], [10, 1, 0], [11, 10, 0]],
    /*  62 */ &[[11, 10, 0], [0, 3, 11], [10, 5, 0], [0, 7, 8], [5, 7, 0]],
    /*  63 */ &[[11, 10, 5], [5, 7, 11]],
    /*  64 */ &[[6, 5, 10]],
    /*  65 */ &[[0, 8, 3], [6, 5, 10]],
    /*  66 */ &[[1, 9, 0], [6, 5, 10]],
    /*  67 */ &[[1, 8, 3], [1, 9, 8], [6, 5, 10]],
    /*  68 */ &[[1, 6, 5], [1, 2, 6]],
    /*  69 */ &[[1, 6, 5], [1, 2, 6], [0, 8, 3]],
    /*  70 */ &[[9, 6, 5], [9, 0, 6], [0, 2, 6]],
    /*  71 */ &[[5, 9, 8], [5, 8, 2], [5, 2, 6], [8, 3, 2]],
    /*  72 */ &[[11, 2, 3], [6, 5, 10]],
    /*  73 */ &[[11, 2, 0], [0, 8, 11], [6, 5, 10]],
    /*  74 */ &[[1, 9, 0], [11, 2, 3], [6, 5, 10]],
    /*  75 */ &[[11, 2, 1], [1, 9, 11], [9, 8, 11], [6, 5, 10]],
    /*  76 */ &[[6, 3, 11], [6, 5, 3], [5, 1, 3]],
    /*  77 */ &[[0, 8, 11], [0, 11, 5], [0, 5, 1], [5, 11, 6]],
    /*  78 */ &[[6, 3, 11], [0, 3, 6], [0, 6, 5], [0, 5, 9]],
    /*  79 */ &[[6, 5, 9], [6, 9, 11], [11, 9, 8]],
    /*  80 */ &[[4, 7, 8], [6, 5, 10]],
    /*  81 */ &[[0, 4, 3], [4, 7, 3], [6, 5, 10]],
    /*  82 */ &[[1, 9, 0], [4, 7, 8], [6, 5, 10]],
    /*  83 */ &[[1, 9, 4], [1, 4, 7], [1, 7, 3], [6, 5, 10]],
    /*  84 */ &[[4, 7, 8], [1, 6, 5], [1, 2, 6]],
    /*  85 */ &[[0, 4, 3], [4, 7, 3], [1, 6, 5], [1, 2, 6]],
    /*  86 */ &[[4, 7, 8], [9, 6, 5], [9, 0, 6], [0, 2, 6]],
    /*  87 */ &[[7, 3, 9], [4, 7, 9], [3, 2, 9], [5, 9, 6], [2, 6, 9]],
    /*  88 */ &[[11, 2, 3], [4, 7, 8], [6, 5, 10]],
    /*  89 */ &[[11, 4, 7], [11, 2, 4], [2, 0, 4], [6, 5, 10]],
    /*  90 */ &[[1, 9, 0], [11, 2, 3], [4, 7, 8], [6, 5, 10]],
    /*  91 */ &[[4, 7, 11], [9, 4, 11], [11, 2, 9], [1, 9, 2], [6, 5, 10]],
    /*  92 */ &[[4, 7, 8], [6, 3, 11], [6, 5, 3], [5, 1, 3]],
    /*  93 */ &[[5, 1, 11], [5, 11, 6], [1, 0, 11], [4, 7, 11], [0, 4, 11]],
    /*  94 */ &[[4, 7, 8], [6, 3, 11], [0, 3, 6], [0, 6, 5], [0, 5, 9]],
    /*  95 */ &[[6, 5, 9], [6, 9, 11], [4, 7, 9], [7, 11, 9]],
    /*  96 */ &[[10, 4, 9], [6, 4, 10]],
    /*  97 */ &[[10, 4, 9], [6, 4, 10], [0, 8, 3]],
    /*  98 */ &[[0, 1, 10], [10, 6, 0], [6, 4, 0]],
    /*  99 */ &[[1, 8, 3], [1, 6, 8], [8, 6, 4], [6, 1, 10]],
    /* 100 */ &[[1, 4, 9], [1, 2, 4], [2, 6, 4]],
    /* 101 */ &[[1, 4, 9], [1, 2, 4], [2, 6, 4], [0, 8, 3]],
    /* 102 */ &[[0, 2, 4], [4, 2, 6]],
    /* 103 */ &[[8, 3, 2], [8, 2, 4], [4, 2, 6]],
    /* 104 */ &[[11, 2, 3], [10, 4, 9], [6, 4, 10]],
    /* 105 */ &[[11, 2, 0], [0, 8, 11], [10, 4, 9], [6, 4, 10]],
    /* 106 */ &[[11, 2, 3], [0, 1, 10], [10, 6, 0], [6, 4, 0]],
    /* 107 */ &[[6, 4, 1], [6, 1, 10], [1, 4, 8], [11, 2, 1], [1, 8, 11]],
    /* 108 */ &[[9, 6, 4], [3, 6, 9], [1, 3, 9], [11, 6, 3]],
    /* 109 */ &[[1, 8, 11], [0, 8, 1], [11, 6, 1], [1, 4, 9], [6, 4, 1]],
    /* 110 */ &[[6, 3, 11], [0, 3, 6], [6, 4, 0]],
    /* 111 */ &[[8, 6, 4], [6, 8, 11]],
    /* 112 */ &[[6, 7, 10], [7, 8, 10], [8, 9, 10]],
    /* 113 */ &[[6, 7, 10], [0, 10, 7], [0, 9, 10], [0, 7, 3]],
    /* 114 */ &[[6, 7, 10], [1, 10, 7], [1, 7, 8], [0, 1, 8]],
    /* 115 */ &[[6, 7, 10], [1, 10, 7], [1, 7, 3]],
    /* 116 */ &[[1, 2, 6], [1, 6, 8], [1, 8, 9], [6, 7, 8]],
    /* 117 */ &[[2, 6, 9], [1, 2, 9], [6, 7, 9], [3, 0, 9], [7, 3, 9]],
    /* 118 */ &[[0, 7, 8], [7, 0, 6], [6, 0, 2]],
    /* 119 */ &[[2, 7, 3], [2, 6, 7]],
    /* 120 */ &[[11, 2, 3], [6, 7, 10], [7, 8, 10], [8, 9, 10]],
    /* 121 */ &[[2, 0, 7], [11, 2, 7], [0, 9, 7], [6, 7, 10], [9, 10, 7]],
    /* 122 */ &[[6, 7, 10], [1, 10, 7], [1, 7, 8], [0, 1, 8], [11, 2, 3]],
    /* 123 */ &[[11, 2, 1], [1, 7, 11], [10, 6, 1], [1, 6, 7]],
    /* 124 */ &[[8, 9, 6], [6, 7, 8], [1, 6, 9], [11, 6, 3], [1, 3, 6]],
    /* 125 */ &[[0, 9, 1], [6, 7, 11]],
    /* 126 */ &[[0, 7, 8], [7, 0, 6], [0, 3, 11], [11, 6, 0]],
    /* 127 */ &[[6, 7, 11]],
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The plane diameters (row ends, convex hulls) equal the all-pairs search over the mesh vertices
    /// of each plane, bit for bit, on random blobs with anisotropic spacing.
    #[test]
    fn plane_diameters_equal_all_pairs_within_planes() {
        let mut rng = crate::synthetic::Rng::new(9);
        for _ in 0..12 {
            let mut size = |lo: f64, span: f64| (lo + (rng.uniform() * span).floor()) as usize;
            let (nz, ny, nx) = (size(5.0, 6.0), size(6.0, 10.0), size(6.0, 10.0));
            let c = [nz as f64 / 2.0, ny as f64 / 2.0, nx as f64 / 2.0];
            let roi = ndarray::Array3::from_shape_fn((nz + 2, ny + 2, nx + 2), |(z, y, x)| {
                let (z, y, x) = (z as f64 - 1.0, y as f64 - 1.0, x as f64 - 1.0);
                let r = ((z - c[0]) / c[0]).powi(2)
                    + ((y - c[1]) / c[1]).powi(2)
                    + ((x - c[2]) / c[2]).powi(2);
                z >= 0.0 && y >= 0.0 && x >= 0.0 && r < 0.8 + 0.4 * rng.uniform()
            });
            let mesh = Mesh::march(roi.view(), [2.5, 0.7, 0.9], [0; 3]);
            let d = mesh.diameters();
            let brute = |axis: usize| {
                let mut best = 0.0f64;
                for (i, a) in mesh.vertices.iter().enumerate() {
                    for b in &mesh.vertices[i + 1..] {
                        if a.half[axis] == b.half[axis] {
                            best = best.max(squared_distance(&a.mm, &b.mm));
                        }
                    }
                }
                best.sqrt()
            };
            assert_eq!(d.slice.to_bits(), brute(0).to_bits());
            assert_eq!(d.column.to_bits(), brute(1).to_bits());
            assert_eq!(d.row.to_bits(), brute(2).to_bits());
        }
    }

    #[test]
    fn hull_boundary_keeps_the_longest_distance() {
        let mut rng = crate::synthetic::Rng::new(21);
        for n in [1, 2, 3, 4, 10, 60, 400] {
            for _ in 0..20 {
                // Integer points in a disc-like blob (many collinear and interior points), scaled per axis.
                let pts: Vec<(i64, i64)> = (0..n)
                    .map(|_| {
                        let (a, r) = (rng.uniform() * std::f64::consts::TAU, rng.uniform().sqrt());
                        (
                            (9.0 * r * a.cos()).round() as i64,
                            (5.0 * r * a.sin()).round() as i64,
                        )
                    })
                    .collect();
                let mut ids: Vec<usize> = (0..n).collect();
                ids.sort_by_key(|&i| pts[i]);
                let mut hull = Vec::new();
                hull_boundary(&ids, |i| pts[i], &mut hull);
                let mm = |i: usize| [0.0, pts[i].0 as f64 * 0.7, pts[i].1 as f64 * 2.3];
                let all: Vec<[f64; 3]> = (0..n).map(mm).collect();
                let on_hull: Vec<[f64; 3]> = hull.iter().map(|&i| mm(i)).collect();
                assert_eq!(
                    max_squared_distance_brute(&on_hull).to_bits(),
                    max_squared_distance_brute(&all).to_bits(),
                    "{n} points"
                );
            }
        }
    }

    #[test]
    fn branch_and_bound_diameter_equals_brute_force() {
        let mut rng = crate::synthetic::Rng::new(3);
        for n in [0, 1, 2, 50, 129, 700, 3000] {
            // Points on a noisy ellipsoid surface, like mesh vertices, plus a few inside.
            let pts: Vec<[f64; 3]> = (0..n)
                .map(|i| {
                    let (u, v) = (
                        rng.uniform() * std::f64::consts::TAU,
                        rng.uniform() * 2.0 - 1.0,
                    );
                    let r = if i % 10 == 0 { rng.uniform() } else { 1.0 };
                    let w = (1.0 - v * v).sqrt();
                    [r * 3.0 * v, r * 7.0 * w * u.sin(), r * 5.0 * w * u.cos()]
                })
                .collect();
            assert_eq!(
                max_squared_distance(&pts).to_bits(),
                max_squared_distance_brute(&pts).to_bits(),
                "{n} points"
            );
        }
    }
    use std::collections::HashMap;

    fn feature(values: &[f64], name: &str) -> f64 {
        values[FEATURES.iter().position(|f| f.name == name).unwrap()]
    }

    /// A pattern's triangles, oriented as in the mesh, make a closed, consistently oriented surface with
    /// those of its neighbours: each directed edge between two vertices is matched by its reverse. Checked on
    /// every single cube pattern embedded in a padded 4×4×4 mask, except patterns with an ambiguous face
    /// (two diagonal corners in the ROI, the other two not): there the complemented neighbour splits the face
    /// the other way and the mesh has a hole, in PyRadiomics as here.
    #[test]
    fn unambiguous_patterns_give_a_closed_oriented_surface() {
        const FACES: [[usize; 4]; 6] = [
            [0, 1, 2, 3],
            [4, 5, 6, 7],
            [0, 1, 5, 4],
            [3, 2, 6, 7],
            [0, 3, 7, 4],
            [1, 2, 6, 5],
        ];
        let bit = |p: usize, k: usize| p >> k & 1 != 0;
        let mut checked = 0;
        for pattern in 1..255usize {
            let ambiguous = FACES.iter().any(|f| {
                bit(pattern, f[0]) == bit(pattern, f[2])
                    && bit(pattern, f[1]) == bit(pattern, f[3])
                    && bit(pattern, f[0]) != bit(pattern, f[1])
            });
            if ambiguous {
                continue;
            }
            checked += 1;
            let mut roi = Array3::from_elem((4, 4, 4), false);
            for (k, c) in CORNERS.iter().enumerate() {
                roi[[c[0] + 1, c[1] + 1, c[2] + 1]] = pattern >> k & 1 != 0;
            }
            let mut edges: HashMap<([i64; 3], [i64; 3]), i32> = HashMap::new();
            let (nz, ny, nx) = roi.dim();
            for iz in 0..nz - 1 {
                for iy in 0..ny - 1 {
                    for ix in 0..nx - 1 {
                        let mut p = 0usize;
                        for (k, c) in CORNERS.iter().enumerate() {
                            if roi[[iz + c[0], iy + c[1], ix + c[2]]] {
                                p |= 1 << k;
                            }
                        }
                        let flip = p & 0x80 != 0;
                        let p = if flip { p ^ 0xff } else { p };
                        let at = |e: u8| -> [i64; 3] {
                            let b = [iz as i64, iy as i64, ix as i64];
                            std::array::from_fn(|d| 2 * b[d] + EDGE_VERTEX[e as usize][d])
                        };
                        for t in TRIANGLES[p] {
                            let mut v = [at(t[0]), at(t[1]), at(t[2])];
                            if flip {
                                v.swap(1, 2);
                            }
                            for k in 0..3 {
                                *edges.entry((v[k], v[(k + 1) % 3])).or_default() += 1;
                            }
                        }
                    }
                }
            }
            for (&(a, b), &n) in &edges {
                assert_eq!(n, 1, "pattern {pattern}: edge {a:?}->{b:?} used {n} times");
                assert_eq!(
                    edges.get(&(b, a)),
                    Some(&1),
                    "pattern {pattern}: edge {a:?}->{b:?} unmatched"
                );
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// A single voxel meshes to an octahedron with vertices at the face centres: V = 1/6, A = √3 (unit
    /// spacing); PCA is degenerate, so the ratios are NaN as in PyRadiomics.
    #[test]
    fn single_voxel_is_an_octahedron() {
        let mut roi = Array3::from_elem((1, 1, 1), false);
        roi[[0, 0, 0]] = true;
        let f = compute(roi.view(), [1.0, 1.0, 1.0]);
        assert!((feature(&f, "MeshVolume") - 1.0 / 6.0).abs() < 1e-15);
        assert!((feature(&f, "SurfaceArea") - 3f64.sqrt()).abs() < 1e-15);
        assert_eq!(feature(&f, "VoxelVolume"), 1.0);
        assert_eq!(feature(&f, "Maximum3DDiameter"), 1.0);
        assert_eq!(feature(&f, "MajorAxisLength"), 0.0);
        assert!(feature(&f, "Elongation").is_nan());
        assert!(feature(&f, "Flatness").is_nan());
    }

    /// A 2×2×2 block scaled by 2 mm: the volume is 8× the unit block's, the area 4×, the diameters 2×.
    #[test]
    fn block_scales_with_spacing() {
        let roi = Array3::from_elem((2, 2, 2), true);
        let f1 = compute(roi.view(), [1.0; 3]);
        let f2 = compute(roi.view(), [2.0; 3]);
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(rel(feature(&f2, "MeshVolume"), 8.0 * feature(&f1, "MeshVolume")) < 1e-14);
        assert!(
            rel(
                feature(&f2, "SurfaceArea"),
                4.0 * feature(&f1, "SurfaceArea")
            ) < 1e-14
        );
        assert!(
            rel(
                feature(&f2, "Maximum3DDiameter"),
                2.0 * feature(&f1, "Maximum3DDiameter")
            ) < 1e-14
        );
        // A cube is as round as a cube: elongation and flatness 1.
        assert!((feature(&f1, "Elongation") - 1.0).abs() < 1e-12);
        assert!((feature(&f1, "Flatness") - 1.0).abs() < 1e-12);
    }

    /// Voxels on a diagonal line: the two smaller eigenvalues are exactly 0, not rounding noise.
    #[test]
    fn diagonal_line_has_zero_minor_axes() {
        let mut roi = Array3::from_elem((4, 4, 4), false);
        for k in 0..4 {
            roi[[k, k, 3 - k]] = true;
        }
        let f = compute(roi.view(), [0.7, 1.3, 2.9]);
        assert_eq!(feature(&f, "MinorAxisLength"), 0.0);
        assert_eq!(feature(&f, "LeastAxisLength"), 0.0);
        assert_eq!(feature(&f, "Elongation"), 0.0);
        // λ₁ = Σ of the coordinate variances along the line: 4 points spaced 1 apart, variance 1.25 per unit².
        let l1 = 1.25 * (0.7f64 * 0.7 + 1.3 * 1.3 + 2.9 * 2.9);
        assert!((feature(&f, "MajorAxisLength") - 4.0 * l1.sqrt()).abs() < 1e-12);
        let mut plane = roi.clone();
        plane[[0, 1, 3]] = true;
        let f = compute(plane.view(), [0.7, 1.3, 2.9]);
        assert!(feature(&f, "MinorAxisLength") > 0.0);
        assert_eq!(feature(&f, "LeastAxisLength"), 0.0);
    }

    #[test]
    fn sample_covariance_scales_axes_by_bessel() {
        let roi = Array3::from_elem((2, 3, 4), true);
        let pop = compute(roi.view(), [1.0, 2.0, 3.0]);
        let sample = compute_with(roi.view(), [1.0, 2.0, 3.0], Covariance::Sample);
        let k = (24.0f64 / 23.0).sqrt();
        for name in ["MajorAxisLength", "MinorAxisLength", "LeastAxisLength"] {
            assert!(
                (feature(&sample, name) / feature(&pop, name) - k).abs() < 1e-12,
                "{name}"
            );
        }
        assert_eq!(feature(&sample, "MeshVolume"), feature(&pop, "MeshVolume"));
    }

    /// The signed volume of a closed mesh does not depend on the origin; with gaps at ambiguous faces it
    /// does, and the apex is then the given array's voxel (−1, −1, −1).
    #[test]
    fn mesh_volume_and_the_origin() {
        let ball = Array3::from_shape_fn((7, 7, 7), |(z, y, x)| {
            let r2 = (z as i64 - 3).pow(2) + (y as i64 - 3).pow(2) + (x as i64 - 3).pow(2);
            r2 <= 9
        });
        let delta = [2.5, 0.7, 1.1];
        let near = Mesh::march(ball.view(), delta, [0; 3]);
        let far = Mesh::march(ball.view(), delta, [20, 10, 5]);
        assert!(((near.volume - far.volume) / near.volume).abs() < 1e-13);
        assert_eq!(near.area, far.area);

        // A fixed pseudo-random 5×5×5 mask (padded to 7³) with many ambiguous faces.
        let mut state = 12345u64;
        let rnd = Array3::from_shape_fn((7, 7, 7), |(z, y, x)| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let inner = (1..6).contains(&z) && (1..6).contains(&y) && (1..6).contains(&x);
            inner && state >> 62 != 0
        });
        let near = Mesh::march(rnd.view(), delta, [0; 3]);
        let far = Mesh::march(rnd.view(), delta, [20, 10, 5]);
        assert!((near.volume - far.volume).abs() > 1e-3 * near.volume);
        // compute() keeps the given array's origin: the same ROI further into the array, or the array
        // cropped closer to the ROI, gives another volume.
        let mut big = Array3::from_elem((12, 12, 12), false);
        big.slice_mut(ndarray::s![2..9, 2..9, 2..9]).assign(&rnd);
        let mut moved = Array3::from_elem((12, 12, 12), false);
        moved.slice_mut(ndarray::s![2..9, 4..11, 2..9]).assign(&rnd);
        let v = |m: ArrayView3<'_, bool>| feature(&compute(m, delta), "MeshVolume");
        assert!((v(big.view()) - v(moved.view())).abs() > 1e-3);
        assert!((v(big.view()) - v(big.slice(ndarray::s![.., 2.., ..]))).abs() > 1e-3);
    }

    #[test]
    fn empty_mask_is_nan() {
        let roi = Array3::from_elem((3, 3, 3), false);
        assert!(compute(roi.view(), [1.0; 3]).iter().all(|v| v.is_nan()));
    }
}
