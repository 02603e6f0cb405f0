//! Neighbourhoods shared by the texture classes: the offsets ("angles") between a voxel and the voxels it
//! is compared with.
//!
//! An angle is an offset `(dz, dy, dx)` in array order whose largest absolute component (Chebyshev norm) is
//! one of the `distances`. Angles are enumerated as PyRadiomics enumerates them: every offset of
//! `{−d…d}³` in lexicographic order (z slowest, x fastest), skipping the zero offset. Without
//! `bidirectional`, only the first half is kept — one of each pair of opposite offsets, 13 for distance 1 in
//! 3D — which suffices for matrices that count both directions (GLCM made symmetric, GLRLM). With
//! `force2D`, offsets along the out-of-plane dimension (`force2Ddimension`, 0 = z) are dropped.

/// A neighbour offset in array order `(dz, dy, dx)`.
pub type Offset = [isize; 3];

/// The offsets for `distances` (Chebyshev norms), optionally restricted to the plane normal to array
/// dimension `force2d_dimension`, in PyRadiomics' order.
pub fn angles(
    distances: &[usize],
    force2d_dimension: Option<usize>,
    bidirectional: bool,
) -> Vec<Offset> {
    let max_d = distances.iter().copied().max().unwrap_or(1) as isize;
    let span = 2 * max_d + 1;
    let total = span * span * span;
    let mut out = Vec::new();
    for a in 0..total {
        if !bidirectional && a >= total / 2 {
            break;
        }
        let o = [
            a / (span * span) - max_d,
            (a / span) % span - max_d,
            a % span - max_d,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_angles_in_3d_four_in_2d() {
        let a = angles(&[1], None, false);
        assert_eq!(a.len(), 13);
        assert_eq!(a[0], [-1, -1, -1]);
        assert_eq!(a[12], [0, 0, -1]);
        assert_eq!(angles(&[1], None, true).len(), 26);
        assert_eq!(angles(&[1], Some(0), false).len(), 4);
        assert_eq!(angles(&[1], Some(0), true).len(), 8);
        assert_eq!(angles(&[1, 2], None, true).len(), 124);
        assert_eq!(angles(&[2], None, true).len(), 98);
    }
}
