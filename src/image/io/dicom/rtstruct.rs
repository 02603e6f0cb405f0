//! RT Structure Sets (RTSTRUCT): one ROI's closed planar contours rasterised onto an image's grid.
//!
//! Each contour (`ContourData`, LPS mm) must lie in one image slice: its points are mapped to continuous
//! voxel indices, and their slice index must be the same whole number for every point (within
//! [`SLICE_TOLERANCE`] voxels). In its slice, a voxel is in the ROI when its centre is inside the polygon
//! by the even–odd rule, counted over all the ROI's contours of that slice together (so a contour inside
//! another is a hole), or when its centre lies on an edge of a contour (within [`EDGE_TOLERANCE`]
//! voxels).
//!
//! Refused, naming the ROI and contour: open or point contours, fewer than three points, a contour not in
//! a slice plane, a contour reaching more than half a voxel beyond the image, and a structure set whose
//! frame of reference is not the image series'.

use std::path::Path;

use dicom_dictionary_std::tags;
use ndarray::Array3;

use super::{integer, items, numbers, open, text, DicomKind, Item};
use crate::error::{Error, Result};
use crate::image::io::ReadOptions;
use crate::image::{Geometry, Mask};

/// How far (in voxels) a contour point may lie from its slice's plane.
pub const SLICE_TOLERANCE: f64 = 1e-3;
/// How close (in voxels) a voxel centre must be to a contour edge to count as on it.
pub const EDGE_TOLERANCE: f64 = 1e-6;

/// The ROIs of a structure set: (ROINumber, ROIName).
pub fn rois(path: &Path) -> Result<Vec<(i64, String)>> {
    let obj = open(path, &ReadOptions::default(), false)?;
    Ok(roi_list(&obj))
}

fn roi_list(obj: &Item) -> Vec<(i64, String)> {
    items(obj, tags::STRUCTURE_SET_ROI_SEQUENCE)
        .iter()
        .filter_map(|r| {
            Some((
                integer(r, tags::ROI_NUMBER)?,
                text(r, tags::ROI_NAME).unwrap_or_default(),
            ))
        })
        .collect()
}

/// The mask of ROI `roi` (its ROINumber) of the structure set at `path`, on the grid `geometry` of `size`
/// voxels (x, y, z). `frame_of_reference`, when known, must be the structure set's.
pub fn read_rtstruct_mask(
    path: &Path,
    roi: i64,
    geometry: &Geometry,
    size: [usize; 3],
    frame_of_reference: Option<&str>,
    options: &ReadOptions,
) -> Result<Mask> {
    read(path, roi, geometry, size, frame_of_reference, options)
        .map_err(|e| e.context(format!("'{}'", path.display())))
}

fn read(
    path: &Path,
    roi: i64,
    geometry: &Geometry,
    size: [usize; 3],
    frame_of_reference: Option<&str>,
    options: &ReadOptions,
) -> Result<Mask> {
    let obj = open(path, options, false)?;
    if super::kind_of(&obj) != DicomKind::StructureSet {
        return Err(Error::format("not a DICOM RT Structure Set"));
    }
    let list = roi_list(&obj);
    let Some((_, name)) = list.iter().find(|(n, _)| *n == roi) else {
        let l: Vec<String> = list.iter().map(|(n, l)| format!("{n} '{l}'")).collect();
        return Err(Error::invalid(format!(
            "ROI {roi} is not in the structure set; its ROIs: {}",
            l.join(", ")
        )));
    };
    if let Some(image_for) = frame_of_reference {
        let roi_item = items(&obj, tags::STRUCTURE_SET_ROI_SEQUENCE)
            .iter()
            .find(|r| integer(r, tags::ROI_NUMBER) == Some(roi));
        let set_for = roi_item
            .and_then(|r| text(r, tags::REFERENCED_FRAME_OF_REFERENCE_UID))
            .or_else(|| {
                items(&obj, tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE)
                    .first()
                    .and_then(|r| text(r, tags::FRAME_OF_REFERENCE_UID))
            });
        if let Some(set_for) = set_for {
            if set_for != image_for {
                return Err(Error::geometry(format!(
                    "ROI '{name}' is in frame of reference {set_for}, the image in {image_for}"
                )));
            }
        }
    }
    let contours = items(&obj, tags::ROI_CONTOUR_SEQUENCE)
        .iter()
        .find(|c| integer(c, tags::REFERENCED_ROI_NUMBER) == Some(roi))
        .map(|c| items(c, tags::CONTOUR_SEQUENCE))
        .unwrap_or(&[]);
    let mut polygons = Vec::new();
    for (i, c) in contours.iter().enumerate() {
        let what = format!("ROI '{name}' contour {}", i + 1);
        let kind = text(c, tags::CONTOUR_GEOMETRIC_TYPE).unwrap_or_default();
        if kind != "CLOSED_PLANAR" {
            return Err(Error::format(format!(
                "{what} is of type '{kind}'; only CLOSED_PLANAR contours enclose a region"
            )));
        }
        let data =
            numbers(c, tags::CONTOUR_DATA, &format!("{what} ContourData"), 0)?.unwrap_or_default();
        if data.len() % 3 != 0 || data.len() < 9 {
            return Err(Error::format(format!(
                "{what} has {} coordinates; a closed contour needs at least 3 points (x, y, z each)",
                data.len()
            )));
        }
        let polygon = index_polygon(&data, geometry, size).map_err(|e| e.context(&what))?;
        polygons.push(polygon);
    }
    let [nx, ny, nz] = size;
    let mut roi_mask = Array3::from_elem((nz, ny, nx), false);
    // Even-odd over all contours of a slice: each contour flips the voxels whose centres it encloses.
    let mut on_edge = Array3::from_elem((nz, ny, nx), false);
    for (z, pts) in &polygons {
        fill_polygon(pts, *z, &mut roi_mask, &mut on_edge);
    }
    roi_mask.zip_mut_with(&on_edge, |a, &b| *a |= b);
    Mask::from_array(roi_mask, *geometry)
}

/// The points of a contour as (x, y) voxel indices in slice `z`; errors when off the slice plane or the
/// image.
fn index_polygon(data: &[f64], g: &Geometry, size: [usize; 3]) -> Result<(usize, Vec<[f64; 2]>)> {
    let mut z_index = None;
    let mut pts = Vec::with_capacity(data.len() / 3);
    for p in data.chunks_exact(3) {
        let idx = g.world_to_index([p[0], p[1], p[2]]);
        let k = idx[2].round();
        if (idx[2] - k).abs() > SLICE_TOLERANCE {
            return Err(Error::format(format!(
                "point {p:?} lies between slices (slice index {:.4}): the contour is not in an image slice",
                idx[2]
            )));
        }
        if *z_index.get_or_insert(k) != k {
            return Err(Error::format(format!(
                "points lie in slices {} and {k}: the contour is not planar in an image slice",
                z_index.unwrap_or(k)
            )));
        }
        for (axis, n) in [(0, size[0]), (1, size[1])] {
            if idx[axis] < -1.0 || idx[axis] > n as f64 {
                return Err(Error::geometry(format!(
                    "point {p:?} lies outside the image (voxel index {:.3} along {} of 0..{n})",
                    idx[axis],
                    ["x", "y"][axis]
                )));
            }
        }
        pts.push([idx[0], idx[1]]);
    }
    let k = z_index.expect("at least 3 points");
    if k < 0.0 || k >= size[2] as f64 {
        return Err(Error::geometry(format!(
            "the contour lies in slice {k}, outside the image's {} slices",
            size[2]
        )));
    }
    Ok((k as usize, pts))
}

/// Flips `inside` for each voxel centre of slice `z` strictly inside the closed polygon `pts` (x, y voxel
/// indices), and sets `on_edge` for centres on an edge.
pub(crate) fn fill_polygon(
    pts: &[[f64; 2]],
    z: usize,
    inside: &mut Array3<bool>,
    on_edge: &mut Array3<bool>,
) {
    let (_, ny, nx) = inside.dim();
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in pts {
        x_min = x_min.min(p[0]);
        x_max = x_max.max(p[0]);
        y_min = y_min.min(p[1]);
        y_max = y_max.max(p[1]);
    }
    let clamp = |v: f64, n: usize| v.max(0.0).min(n as f64 - 1.0) as usize;
    let (i0, i1) = (clamp(x_min.floor(), nx), clamp(x_max.ceil(), nx));
    let (j0, j1) = (clamp(y_min.floor(), ny), clamp(y_max.ceil(), ny));
    let n = pts.len();
    for j in j0..=j1 {
        let y = j as f64;
        // Crossings of the row y with the edges, by the half-open rule (an edge counts when one end is
        // above y and the other at or below), so that a vertex on the row is counted once.
        let mut xs: Vec<f64> = Vec::new();
        for e in 0..n {
            let (a, b) = (pts[e], pts[(e + 1) % n]);
            if (a[1] > y) != (b[1] > y) {
                xs.push(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
            }
        }
        xs.sort_by(f64::total_cmp);
        let mut passed = 0;
        for i in i0..=i1 {
            let x = i as f64;
            while passed < xs.len() && xs[passed] < x {
                passed += 1;
            }
            if passed % 2 == 1 {
                inside[[z, j, i]] ^= true;
            }
        }
    }
    // Centres on an edge: only those in the edge's own bounding box can be.
    for e in 0..n {
        let (a, b) = (pts[e], pts[(e + 1) % n]);
        let t = EDGE_TOLERANCE;
        let lo = |u: f64, v: f64| (u.min(v) - t).ceil().max(0.0);
        let hi = |u: f64, v: f64, n: usize| (u.max(v) + t).floor().min(n as f64 - 1.0);
        let (x0, x1) = (lo(a[0], b[0]), hi(a[0], b[0], nx));
        let (y0, y1) = (lo(a[1], b[1]), hi(a[1], b[1], ny));
        if x0 > x1 || y0 > y1 {
            continue;
        }
        for j in y0 as usize..=y1 as usize {
            for i in x0 as usize..=x1 as usize {
                if near_segment([i as f64, j as f64], a, b) {
                    on_edge[[z, j, i]] = true;
                }
            }
        }
    }
}

/// Whether `p` lies within [`EDGE_TOLERANCE`] of the segment `a`–`b`.
fn near_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> bool {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    qx * qx + qy * qy <= EDGE_TOLERANCE * EDGE_TOLERANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rasterise(polys: &[Vec<[f64; 2]>], n: usize) -> Array3<bool> {
        let mut inside = Array3::from_elem((1, n, n), false);
        let mut edge = Array3::from_elem((1, n, n), false);
        for p in polys {
            fill_polygon(p, 0, &mut inside, &mut edge);
        }
        inside.zip_mut_with(&edge, |a, &b| *a |= b);
        inside
    }

    #[test]
    fn square_with_a_hole_and_edges() {
        // Outer square with corners on voxel centres (its edges pass through centres: those are in),
        // a hole strictly between centres.
        let outer = vec![[1.0, 1.0], [7.0, 1.0], [7.0, 7.0], [1.0, 7.0]];
        let hole = vec![[2.5, 2.5], [5.5, 2.5], [5.5, 5.5], [2.5, 5.5]];
        let m = rasterise(&[outer, hole], 9);
        let count = m.iter().filter(|&&b| b).count();
        // 7x7 outer (edges included) minus the 3x3 hole.
        assert_eq!(count, 49 - 9);
        assert!(m[[0, 1, 1]] && m[[0, 7, 4]] && !m[[0, 4, 4]] && !m[[0, 0, 0]] && m[[0, 2, 2]]);
    }

    #[test]
    fn triangle_by_even_odd() {
        let tri = vec![[0.5, 0.5], [6.5, 0.5], [0.5, 6.5]];
        let m = rasterise(&[tri], 8);
        // Centres (i, j) with i, j >= 1 and i + j <= 7 (those with i + j = 7 lie on the hypotenuse).
        for j in 0..8 {
            for i in 0..8 {
                let expect = i >= 1 && j >= 1 && i + j <= 7;
                assert_eq!(m[[0, j, i]], expect, "voxel {i},{j}");
            }
        }
    }
}
