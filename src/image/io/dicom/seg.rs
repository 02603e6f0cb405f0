//! DICOM Segmentation (SEG) objects as masks on an image's grid.
//!
//! One segment (by `SegmentNumber`) becomes the mask. Its frames are those whose
//! `SegmentIdentificationSequence` names the segment; each frame is placed on the image grid by its
//! `ImagePositionPatient` (per-frame `PlanePositionSequence`), with orientation and pixel spacing from
//! the per-frame or shared functional groups (`PlaneOrientationSequence`, `PixelMeasuresSequence`). A
//! frame must lie on an image slice, in the image's orientation and pixel spacing, and inside the image;
//! a SEG whose FrameOfReferenceUID differs from the image series' is refused.
//!
//! BINARY segmentations are 1 bit per pixel, packed across frames (a frame need not start on a byte
//! boundary); FRACTIONAL ones 8 bits, where a pixel is in the mask when its value is at least half of
//! `MaximumFractionalValue`.

use std::path::Path;

use dicom_dictionary_std::tags;
use ndarray::Array3;

use super::{
    first_item, integer, items, numbers, open, pixel_bytes, pixel_format, stored_values, text,
    DicomKind, Item,
};
use crate::error::{Error, Result};
use crate::image::io::ReadOptions;
use crate::image::{Geometry, Mask};

/// The segments of a SEG file: (SegmentNumber, SegmentLabel).
pub fn segments(path: &Path) -> Result<Vec<(i64, String)>> {
    let obj = open(path, &ReadOptions::default(), true)?;
    Ok(segment_list(&obj))
}

fn segment_list(obj: &Item) -> Vec<(i64, String)> {
    items(obj, tags::SEGMENT_SEQUENCE)
        .iter()
        .filter_map(|s| {
            Some((
                integer(s, tags::SEGMENT_NUMBER)?,
                text(s, tags::SEGMENT_LABEL).unwrap_or_default(),
            ))
        })
        .collect()
}

/// A functional group attribute of frame `f`: from its per-frame item, else the shared one.
fn group<'a>(obj: &'a Item, per_frame: Option<&'a Item>, seq: dicom_core::Tag) -> Option<&'a Item> {
    per_frame.and_then(|p| first_item(p, seq)).or_else(|| {
        first_item(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).and_then(|s| first_item(s, seq))
    })
}

/// The mask of segment `segment` of the SEG file at `path`, on the grid `geometry` of `size` voxels
/// (x, y, z). `frame_of_reference`, when known, must be the SEG's.
pub fn read_seg_mask(
    path: &Path,
    segment: i64,
    geometry: &Geometry,
    size: [usize; 3],
    frame_of_reference: Option<&str>,
    options: &ReadOptions,
) -> Result<Mask> {
    read(path, segment, geometry, size, frame_of_reference, options)
        .map_err(|e| e.context(format!("'{}'", path.display())))
}

fn read(
    path: &Path,
    segment: i64,
    geometry: &Geometry,
    size: [usize; 3],
    frame_of_reference: Option<&str>,
    options: &ReadOptions,
) -> Result<Mask> {
    let obj = open(path, options, false)?;
    if super::kind_of(&obj) != DicomKind::Segmentation {
        return Err(Error::format("not a DICOM Segmentation object"));
    }
    let segs = segment_list(&obj);
    if !segs.iter().any(|(n, _)| *n == segment) {
        let list: Vec<String> = segs.iter().map(|(n, l)| format!("{n} '{l}'")).collect();
        return Err(Error::invalid(format!(
            "segment {segment} is not in the SEG; its segments: {}",
            list.join(", ")
        )));
    }
    if let (Some(image_for), Some(seg_for)) =
        (frame_of_reference, text(&obj, tags::FRAME_OF_REFERENCE_UID))
    {
        if image_for != seg_for {
            return Err(Error::geometry(format!(
                "the SEG's FrameOfReferenceUID {seg_for} is not the image's {image_for}"
            )));
        }
    }
    let seg_type = text(&obj, tags::SEGMENTATION_TYPE).unwrap_or_default();
    let f = pixel_format(&obj)?;
    let threshold = match (seg_type.as_str(), f.bits_allocated) {
        ("BINARY", 1) => 1.0,
        ("FRACTIONAL", 8) => {
            let max = integer(&obj, tags::MAXIMUM_FRACTIONAL_VALUE).unwrap_or(255);
            if max < 1 {
                return Err(Error::format(format!("MaximumFractionalValue {max}")));
            }
            max as f64 / 2.0
        }
        (t, b) => {
            return Err(Error::format(format!(
                "SegmentationType '{t}' with BitsAllocated {b}; BINARY (1 bit) or FRACTIONAL (8 bits) is needed"
            )))
        }
    };
    let rows = integer(&obj, tags::ROWS)
        .filter(|&r| r > 0)
        .ok_or_else(|| Error::format("no valid Rows"))? as usize;
    let cols = integer(&obj, tags::COLUMNS)
        .filter(|&c| c > 0)
        .ok_or_else(|| Error::format("no valid Columns"))? as usize;
    let frames = integer(&obj, tags::NUMBER_OF_FRAMES).unwrap_or(1);
    let frames =
        usize::try_from(frames).map_err(|_| Error::format(format!("NumberOfFrames {frames}")))?;
    options.check_voxels(
        rows.checked_mul(cols).and_then(|v| v.checked_mul(frames)),
        &format!("SEG of {frames} frames of {cols}x{rows}"),
    )?;
    let per_frame = items(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame.len() != frames {
        return Err(Error::format(format!(
            "{} per-frame functional group items for {frames} frames",
            per_frame.len()
        )));
    }
    let bytes = pixel_bytes(&obj)?;
    let [nx, ny, nz] = size;
    let mut roi = Array3::from_elem((nz, ny, nx), false);
    let inv_tol = 1e-3; // voxels: how far a frame may be from the image grid
    for (i, pf) in per_frame.iter().enumerate() {
        let which = group(&obj, Some(pf), tags::SEGMENT_IDENTIFICATION_SEQUENCE)
            .and_then(|s| integer(s, tags::REFERENCED_SEGMENT_NUMBER));
        if which != Some(segment) {
            continue;
        }
        let frame_err = |m: String| Error::format(format!("frame {}: {m}", i + 1));
        let ipp = group(&obj, Some(pf), tags::PLANE_POSITION_SEQUENCE)
            .map(|p| numbers(p, tags::IMAGE_POSITION_PATIENT, "ImagePositionPatient", 3))
            .transpose()?
            .flatten()
            .ok_or_else(|| frame_err("no ImagePositionPatient".into()))?;
        let iop = group(&obj, Some(pf), tags::PLANE_ORIENTATION_SEQUENCE)
            .map(|p| {
                numbers(
                    p,
                    tags::IMAGE_ORIENTATION_PATIENT,
                    "ImageOrientationPatient",
                    6,
                )
            })
            .transpose()?
            .flatten()
            .ok_or_else(|| frame_err("no ImageOrientationPatient".into()))?;
        let ps = group(&obj, Some(pf), tags::PIXEL_MEASURES_SEQUENCE)
            .map(|p| numbers(p, tags::PIXEL_SPACING, "PixelSpacing", 2))
            .transpose()?
            .flatten()
            .ok_or_else(|| frame_err("no PixelSpacing".into()))?;
        // The frame's row and column steps must be the image's x and y steps.
        let d = &geometry.direction;
        let (sx, sy) = (geometry.spacing[0], geometry.spacing[1]);
        let step_x = [iop[0] * ps[1], iop[1] * ps[1], iop[2] * ps[1]];
        let step_y = [iop[3] * ps[0], iop[4] * ps[0], iop[5] * ps[0]];
        let img_x = [d[0] * sx, d[3] * sx, d[6] * sx];
        let img_y = [d[1] * sy, d[4] * sy, d[7] * sy];
        let off =
            |a: [f64; 3], b: [f64; 3], s: f64| (0..3).any(|k| (a[k] - b[k]).abs() > inv_tol * s);
        if off(step_x, img_x, sx) || off(step_y, img_y, sy) {
            return Err(Error::geometry(format!(
                "frame {}: orientation {iop:?} and pixel spacing {ps:?} are not the image's",
                i + 1
            )));
        }
        let idx = geometry.world_to_index([ipp[0], ipp[1], ipp[2]]);
        let r = idx.map(|v| v.round());
        if (0..3).any(|k| (idx[k] - r[k]).abs() > inv_tol) {
            return Err(Error::geometry(format!(
                "frame {} at {ipp:?} does not lie on the image grid (index {idx:?})",
                i + 1
            )));
        }
        let (x0, y0, z) = (r[0] as i64, r[1] as i64, r[2] as i64);
        if z < 0
            || z >= nz as i64
            || x0 < 0
            || y0 < 0
            || x0 + cols as i64 > nx as i64
            || y0 + rows as i64 > ny as i64
        {
            return Err(Error::geometry(format!(
                "frame {} ({cols}x{rows} pixels at voxel {x0}, {y0}, {z}) is not inside the image of {nx}x{ny}x{nz} voxels",
                i + 1
            )));
        }
        let values = stored_values(&bytes, f, i * rows * cols, rows * cols)
            .map_err(|e| frame_err(e.message().to_string()))?;
        let (x0, y0, z) = (x0 as usize, y0 as usize, z as usize);
        for (p, v) in values.into_iter().enumerate() {
            if v as f64 >= threshold {
                roi[[z, y0 + p / cols, x0 + p % cols]] = true;
            }
        }
    }
    Mask::from_array(roi, *geometry)
}
