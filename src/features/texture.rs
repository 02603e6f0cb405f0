//! Neighbourhoods shared by the texture classes: the offsets ("angles") between a voxel and the voxels it
//! is compared with.
//!
//! An angle is an offset `(dz, dy, dx)` in array order whose largest absolute component (Chebyshev norm) is
//! one of the `distances`. Angles are enumerated as PyRadiomics enumerates them (`generate_angles` in its C
//! extension): every offset of `{d…−d}³` in lexicographic order from the largest offset down (z slowest,
//! x fastest, each component counting down from `+d` to `−d`), skipping the zero offset. Without
//! `bidirectional`, only the first half is kept — the offsets that come before the zero offset, one of each
//! pair of opposite offsets, 13 for distance 1 in 3D, starting `(1, 1, 1)` and ending `(0, 0, 1)` — which
//! suffices for matrices that count both directions (GLCM made symmetric, GLRLM). With `force2D`, offsets
//! along the out-of-plane dimension (`force2Ddimension`, 0 = z) are dropped.
//!
//! [`angles_within`] also drops, as PyRadiomics does, offsets that reach further than the volume along any
//! dimension (a component larger than `size − 1`): a single-slice volume has only in-plane angles. Such
//! offsets never pair two voxels, so they change no feature, only the number of per-angle matrices.

use ndarray::{ArrayView3, Axis};

/// A neighbour offset in array order `(dz, dy, dx)`.
pub type Offset = [isize; 3];

/// The offsets for `distances` (Chebyshev norms), optionally restricted to the plane normal to array
/// dimension `force2d_dimension`, in PyRadiomics' order, for a volume of unlimited size.
pub fn angles(
    distances: &[usize],
    force2d_dimension: Option<usize>,
    bidirectional: bool,
) -> Vec<Offset> {
    angles_within([usize::MAX; 3], distances, force2d_dimension, bidirectional)
}

/// The offsets of [`angles`] that fit a volume of `size` voxels (array order `[z, y, x]`): a component's
/// magnitude is at most `size − 1` along its dimension, as in PyRadiomics.
pub fn angles_within(
    size: [usize; 3],
    distances: &[usize],
    force2d_dimension: Option<usize>,
    bidirectional: bool,
) -> Vec<Offset> {
    let max_d = distances.iter().copied().max().unwrap_or(1);
    // Reach per dimension: the largest distance, but no further than the volume extends.
    let reach = size.map(|s| max_d.min(s.saturating_sub(1)) as isize);
    let span = reach.map(|r| 2 * r + 1);
    let total = span[0] * span[1] * span[2];
    let mut out = Vec::new();
    for a in 0..total {
        // The zero offset sits exactly in the middle of the enumeration; the first half is one of each pair.
        if !bidirectional && a >= total / 2 {
            break;
        }
        let o = [
            reach[0] - a / (span[1] * span[2]),
            reach[1] - (a / span[2]) % span[1],
            reach[2] - a % span[2],
        ];
        let norm = o.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
        if norm == 0 || !distances.contains(&norm) {
            continue;
        }
        if let Some(dim) = force2d_dimension {
            if o[dim] != 0 {
                continue;
            }
        }
        out.push(o);
    }
    out
}

/// How many offsets [`angles_within`] gives, counted without enumerating them: per distance `d`, the
/// offsets of Chebyshev norm at most `d` within the reach, less those of norm at most `d − 1`; halved when
/// not `bidirectional`. Saturates instead of overflowing.
pub fn count_angles_within(
    size: [usize; 3],
    distances: &[usize],
    force2d_dimension: Option<usize>,
    bidirectional: bool,
) -> u128 {
    let within = |d: usize| -> u128 {
        (0..3)
            .map(|a| {
                let r = if force2d_dimension == Some(a) {
                    0
                } else {
                    d.min(size[a].saturating_sub(1))
                };
                2 * r as u128 + 1
            })
            .product()
    };
    let mut ds = distances.to_vec();
    ds.sort_unstable();
    ds.dedup();
    let total: u128 = ds
        .iter()
        .filter(|&&d| d > 0)
        .map(|&d| within(d) - within(d - 1))
        .sum();
    if bidirectional {
        total
    } else {
        total / 2
    }
}

/// The grey levels present in a discretised ROI, and a map from level to its index among them.
///
/// Texture matrices are built directly on the present levels (PyRadiomics builds them on `1..=Ng` and then
/// deletes the empty rows and columns: the result is the same), so that their size follows the ROI, not
/// the largest level.
#[derive(Debug, Clone)]
pub(crate) struct PresentLevels {
    /// The present levels, ascending, as numbers (PyRadiomics' `grayLevels`).
    pub values: Vec<f64>,
    /// `index[level]`: the position of `level` in `values`, or `u32::MAX` for an absent level.
    pub index: Vec<u32>,
}

impl PresentLevels {
    /// The levels present among the non-zero entries of `levels` (`max_level` bounds them).
    pub fn of(levels: &[u32], max_level: u32) -> PresentLevels {
        let mut index = vec![u32::MAX; max_level as usize + 1];
        for &l in levels {
            if l != 0 {
                index[l as usize] = 0;
            }
        }
        let mut values = Vec::new();
        for (l, slot) in index.iter_mut().enumerate().skip(1) {
            if *slot == 0 {
                *slot = values.len() as u32;
                values.push(l as f64);
            }
        }
        PresentLevels { values, index }
    }

    /// How many levels are present.
    pub fn len(&self) -> usize {
        self.values.len()
    }
}

/// `numpy.nanmean` of per-angle values: NaNs are left out; NaN when every value is NaN (or none is given).
///
/// numpy replaces the NaNs by zeros and sums the row pairwise, then divides by the count of the others.
pub(crate) fn nanmean(values: &[f64]) -> f64 {
    let count = values.iter().filter(|v| !v.is_nan()).count();
    if count == 0 {
        return f64::NAN;
    }
    let zeroed: Vec<f64> = values
        .iter()
        .map(|&v| if v.is_nan() { 0.0 } else { v })
        .collect();
    crate::numeric::pairwise_sum(&zeroed) / count as f64
}

/// The voxel offset of `o` scaled by the voxel size: `|o| · spacing` per array dimension, in mm.
/// `spacing` is in (x, y, z) order, `o` in array order (z, y, x).
pub(crate) fn offset_mm(o: Offset, spacing: [f64; 3]) -> [f64; 3] {
    [
        o[0].unsigned_abs() as f64 * spacing[2],
        o[1].unsigned_abs() as f64 * spacing[1],
        o[2].unsigned_abs() as f64 * spacing[0],
    ]
}

/// Grey levels copied into a flat array with `pad` voxels of level 0 on every side, so that a neighbour
/// at any offset of at most `pad` voxels per axis is read at a fixed flat distance, without bounds
/// tests: a neighbour beyond the box reads 0, as a voxel outside the ROI does.
pub(crate) struct PaddedLevels {
    /// Levels, C order, padded shape.
    pub data: Vec<u32>,
    /// The unpadded shape (z, y, x).
    shape: [usize; 3],
    /// The padded shape (z, y, x).
    padded: [usize; 3],
    pad: usize,
}

impl PaddedLevels {
    /// `levels` padded by `pad` voxels (at least the largest offset component the caller will read).
    pub fn new(levels: ArrayView3<'_, u32>, pad: usize) -> PaddedLevels {
        let (nz, ny, nx) = levels.dim();
        let padded = [nz + 2 * pad, ny + 2 * pad, nx + 2 * pad];
        let mut data = vec![0u32; padded.iter().product()];
        for ((z, y), row) in levels
            .lanes(Axis(2))
            .into_iter()
            .enumerate()
            .map(|(k, row)| ((k / ny, k % ny), row))
        {
            let start = ((z + pad) * padded[1] + y + pad) * padded[2] + pad;
            for (d, &v) in data[start..start + nx].iter_mut().zip(row.iter()) {
                *d = v;
            }
        }
        PaddedLevels {
            data,
            shape: [nz, ny, nx],
            padded,
            pad,
        }
    }

    /// The flat distance of offset `o` (z, y, x).
    pub fn offset(&self, o: &Offset) -> isize {
        debug_assert!(o.iter().all(|c| c.unsigned_abs() <= self.pad));
        (o[0] * self.padded[1] as isize + o[1]) * self.padded[2] as isize + o[2]
    }

    /// The flat indices of the unpadded box, one x-row at a time, in C order of the box: every voxel is
    /// `for row in rows() { for i in row { … } }`.
    pub fn rows(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let [nz, ny, nx] = self.shape;
        let (p, [_, py, px]) = (self.pad, self.padded);
        (0..nz * ny).map(move |k| {
            let (z, y) = (k / ny, k % ny);
            let start = ((z + p) * py + y + p) * px + p;
            start..start + nx
        })
    }
}

/// The largest offset component of `offsets` (the padding they need).
pub(crate) fn reach(offsets: &[Offset]) -> usize {
    offsets
        .iter()
        .flat_map(|o| o.iter().map(|c| c.unsigned_abs()))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_angles_in_3d_four_in_2d() {
        let a = angles(&[1], None, false);
        assert_eq!(a.len(), 13);
        assert_eq!(a[0], [1, 1, 1]);
        assert_eq!(a[4], [1, 0, 0]);
        assert_eq!(a[12], [0, 0, 1]);
        assert_eq!(angles(&[1], None, true).len(), 26);
        assert_eq!(angles(&[1], None, true)[13], [0, 0, -1]);
        assert_eq!(
            angles(&[1], Some(0), false),
            vec![[0, 1, 1], [0, 1, 0], [0, 1, -1], [0, 0, 1]]
        );
        assert_eq!(
            angles(&[1], Some(2), false),
            vec![[1, 1, 0], [1, 0, 0], [1, -1, 0], [0, 1, 0]]
        );
        assert_eq!(angles(&[1], Some(0), true).len(), 8);
        assert_eq!(angles(&[1, 2], None, true).len(), 124);
        assert_eq!(angles(&[2], None, true).len(), 98);
        assert_eq!(angles(&[1, 2], None, false).len(), 62);
    }

    #[test]
    fn offsets_are_counted_without_enumerating_them() {
        for size in [[1, 5, 7], [3, 3, 3], [9, 2, 40], [usize::MAX; 3]] {
            for dists in [vec![1], vec![2], vec![1, 3], vec![5, 2, 5], vec![7]] {
                for plane in [None, Some(0), Some(2)] {
                    for bi in [false, true] {
                        if size[0] == usize::MAX && dists.contains(&7) {
                            continue;
                        }
                        let n = angles_within(size, &dists, plane, bi).len() as u128;
                        assert_eq!(count_angles_within(size, &dists, plane, bi), n);
                    }
                }
            }
        }
    }

    #[test]
    fn offsets_are_limited_by_the_volume() {
        // One slice: only in-plane angles, as if force2D were set.
        assert_eq!(
            angles_within([1, 5, 5], &[1], None, false),
            angles(&[1], Some(0), false)
        );
        // Two slices and distance 2: |dz| ≤ 1, and the norm must still be 2.
        let a = angles_within([2, 5, 5], &[2], None, false);
        assert_eq!(a.len(), 24);
        assert_eq!(a[0], [1, 2, 2]);
        assert_eq!(a[5], [1, 1, 2]);
        assert_eq!(a[23], [0, 0, 2]);
        assert!(angles_within([1, 1, 1], &[1], None, true).is_empty());
    }

    #[test]
    fn padded_levels_read_neighbours_and_zero_beyond_the_box() {
        let levels =
            ndarray::Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (z * 12 + y * 4 + x + 1) as u32);
        let p = PaddedLevels::new(levels.view(), 1);
        let voxels: Vec<usize> = p.rows().flatten().collect();
        assert_eq!(voxels.len(), 24);
        // In C order of the box, every voxel reads its own level.
        for (k, &i) in voxels.iter().enumerate() {
            assert_eq!(p.data[i], k as u32 + 1);
        }
        // (0, 1, 3) + (1, 0, -1) = (1, 1, 2); (0, 0, 0) + (-1, 0, 0) is beyond the box.
        let i = voxels[7];
        assert_eq!(
            p.data[i.wrapping_add_signed(p.offset(&[1, 0, -1]))],
            levels[[1, 1, 2]]
        );
        assert_eq!(
            p.data[voxels[0].wrapping_add_signed(p.offset(&[-1, 0, 0]))],
            0
        );
        assert_eq!(
            p.data[voxels[3].wrapping_add_signed(p.offset(&[0, 0, 1]))],
            0
        );
        assert_eq!(reach(&[[1, -2, 0], [0, 0, 1]]), 2);
    }
}
