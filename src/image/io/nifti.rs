//! NIfTI-1 (`.nii`, `.nii.gz`) reading and writing.
//!
//! The header is parsed by the `nifti` crate and then checked here, field by field, before anything is
//! allocated or indexed: the crate panics on some malformed headers (a zero `pixdim[0]` on its qform path,
//! data shorter than the header says), and this reader must turn every malformed file into an [`Error`].
//! Voxels are decoded here from the raw bytes, every integer and float datatype of NIfTI-1, with
//! `scl_slope` / `scl_inter` applied in `f64`.
//!
//! # Geometry
//! As ITK reads NIfTI: spacing from `pixdim[1..=3]`; orientation and origin from the qform when
//! `qform_code > 0`, else from the sform when `sform_code > 0` (columns normalised), else identity with
//! zero origin. NIfTI's RAS world is turned into ITK's LPS by negating the first two rows of the direction
//! and the first two origin coordinates. Geometry is stored in the file as `f32` and widened to `f64`.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use ndarray::Array3;

use super::{decode, decode_into, decode_with, read_maybe_gzip, DataType, ImageBox, ReadOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{BoundingBox, Geometry, Image, Mask};

/// The default voxel limit of the readers ([`ReadOptions::max_voxels`]): volumes above this many voxels are
/// refused before allocation (about 16 GiB of f64).
pub const MAX_VOXELS: usize = 1 << 31;

/// Reads a 3D NIfTI-1 image. A 4D file with more than one volume is an error: use
/// [`read_nifti_volumes`].
pub fn read_nifti(path: impl AsRef<Path>) -> Result<Image> {
    read_nifti_with(path, &ReadOptions::default())
}

/// As [`read_nifti`], with the limits of `options`.
pub fn read_nifti_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Image> {
    let path = path.as_ref();
    let bytes = read_maybe_gzip(path, options.max_inflated_bytes())?;
    let parsed = parse(&bytes, options).map_err(|e| e.context(format!("'{}'", path.display())))?;
    if parsed.volumes.len() != 1 {
        return Err(Error::format(format!(
            "'{}' is a 4D image with {} volumes; a 3D image is needed here (4D diffusion data is read by `radiomics dti`)",
            path.display(),
            parsed.volumes.len()
        )));
    }
    let pixel_type = parsed.pixel_type;
    let data = parsed.volumes.into_iter().next().expect("one volume");
    Image::new(data, parsed.geometry)
        .map(|i| i.with_pixel_type(pixel_type))
        .map_err(|e| e.context(format!("'{}'", path.display())))
}

/// Reads every 3D volume of a NIfTI-1 file (one for a 3D file, `dim[4]` for a 4D file), with the shared
/// geometry.
pub fn read_nifti_volumes(path: impl AsRef<Path>) -> Result<(Geometry, Vec<Array3<f64>>)> {
    let path = path.as_ref();
    let options = ReadOptions::default();
    let bytes = read_maybe_gzip(path, options.max_inflated_bytes())?;
    let parsed = parse(&bytes, &options).map_err(|e| e.context(format!("'{}'", path.display())))?;
    parsed
        .geometry
        .validate()
        .map_err(|e| e.context(format!("'{}'", path.display())))?;
    Ok((parsed.geometry, parsed.volumes))
}

/// Parses a NIfTI-1 file held in memory (already inflated).
pub fn read_nifti_bytes(bytes: &[u8]) -> Result<Image> {
    read_nifti_bytes_with(bytes, &ReadOptions::default())
}

/// Parses a NIfTI-1 file held in memory, plain or gzip-compressed (`.nii.gz` content), with the limits of
/// `options`.
pub fn read_nifti_bytes_with(bytes: &[u8], options: &ReadOptions) -> Result<Image> {
    let inflated;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        inflated = super::bounded::read_nifti_stream(bytes, options.max_inflated_bytes())?;
        &inflated[..]
    } else {
        bytes
    };
    let parsed = parse(bytes, options)?;
    if parsed.volumes.len() != 1 {
        return Err(Error::format(format!(
            "4D image with {} volumes; a 3D image is needed here",
            parsed.volumes.len()
        )));
    }
    let pixel_type = parsed.pixel_type;
    let data = parsed.volumes.into_iter().next().expect("one volume");
    Image::new(data, parsed.geometry).map(|i| i.with_pixel_type(pixel_type))
}

struct Parsed {
    geometry: Geometry,
    volumes: Vec<Array3<f64>>,
    /// The stored type when values were not rescaled (ITK reads scaled data as float).
    pixel_type: Option<DataType>,
}

fn datatype(code: i16) -> Result<DataType> {
    Ok(match code {
        2 => DataType::U8,
        4 => DataType::I16,
        8 => DataType::I32,
        16 => DataType::F32,
        64 => DataType::F64,
        256 => DataType::I8,
        512 => DataType::U16,
        768 => DataType::U32,
        1024 => DataType::I64,
        1280 => DataType::U64,
        1 => return Err(Error::format("binary (1-bit) NIfTI data is not supported")),
        32 | 1792 | 2048 => {
            return Err(Error::format(format!(
                "complex NIfTI data (datatype {code}) is not supported; a scalar image is needed"
            )))
        }
        128 | 2304 => {
            return Err(Error::format(format!(
                "RGB NIfTI data (datatype {code}) is not supported; a scalar image is needed"
            )))
        }
        1536 => {
            return Err(Error::format(
                "128-bit float NIfTI data (datatype 1536) is not supported",
            ))
        }
        other => {
            return Err(Error::format(format!(
                "unknown NIfTI datatype code {other}"
            )))
        }
    })
}

/// What the header says about the voxel data, checked against the file.
struct Layout {
    dims: [usize; 4],
    per_volume: usize,
    total: usize,
    dtype: DataType,
    offset: usize,
    little: bool,
    /// `(scl_slope, scl_inter)` when they change values.
    scale: Option<(f64, f64)>,
    geometry: Geometry,
}

fn layout(bytes: &[u8], options: &ReadOptions) -> Result<Layout> {
    if bytes.len() < 348 {
        return Err(Error::format(format!(
            "file is {} bytes long, shorter than a NIfTI-1 header (348 bytes)",
            bytes.len()
        )));
    }
    // The crate's header parser is not known to panic, but it is third-party code on untrusted input:
    // contain it all the same.
    let header = catch_unwind(AssertUnwindSafe(|| nifti::NiftiHeader::from_reader(bytes)))
        .map_err(|_| Error::format("NIfTI header could not be parsed"))?
        .map_err(|e| Error::format(format!("not a valid NIfTI-1 file: {e}")))?;
    if &header.magic != b"n+1\0" {
        return Err(Error::format(
            "not a single-file NIfTI-1 image (magic is not 'n+1'); .hdr/.img pairs and NIfTI-2 are not supported",
        ));
    }
    let ndim = header.dim[0] as usize;
    if !(1..=7).contains(&ndim) {
        return Err(Error::format(format!(
            "impossible number of dimensions dim[0] = {}",
            header.dim[0] as i16
        )));
    }
    let mut dims = [1usize; 7];
    for (i, d) in dims.iter_mut().enumerate().take(ndim) {
        let v = header.dim[i + 1] as i16;
        if v < 1 {
            return Err(Error::format(format!(
                "impossible dimension dim[{}] = {v}; every dimension must be at least 1",
                i + 1
            )));
        }
        *d = v as usize;
    }
    if dims[4..].iter().any(|&d| d != 1) {
        return Err(Error::format(format!(
            "{ndim}D NIfTI with dim[5..7] = {:?}; only 3D and 4D scalar images are supported",
            &dims[4..ndim.max(4)]
        )));
    }
    let (nx, ny, nz, nt) = (dims[0], dims[1], dims[2], dims[3]);
    let per_volume = options.check_voxels(
        nx.checked_mul(ny).and_then(|v| v.checked_mul(nz)),
        &format!("volume of {nx}x{ny}x{nz} voxels"),
    )?;
    let total = options.check_voxels(
        per_volume.checked_mul(nt),
        &format!("{nt} volumes of {nx}x{ny}x{nz} voxels"),
    )?;
    let dtype = datatype(header.datatype)?;
    if header.bitpix as usize != dtype.size() * 8 {
        return Err(Error::format(format!(
            "bitpix {} does not match datatype {} ({} bits)",
            header.bitpix,
            header.datatype,
            dtype.size() * 8
        )));
    }
    let offset = header.vox_offset;
    if !(offset.is_finite() && offset >= 348.0 && offset.fract() == 0.0) {
        return Err(Error::format(format!(
            "impossible vox_offset {offset}; it must be a whole number of at least 348"
        )));
    }
    let offset = offset as usize;
    let needed = total * dtype.size();
    let available = bytes.len().saturating_sub(offset);
    if available < needed {
        return Err(Error::format(format!(
            "voxel data is truncated: the header describes {needed} bytes ({nx}x{ny}x{nz}x{nt} of {} bytes) but {available} follow the header",
            dtype.size()
        )));
    }
    let geometry = geometry(&header)?;

    let little = header.endianness == nifti::Endianness::Little;
    let (slope, inter) = (header.scl_slope as f64, header.scl_inter as f64);
    let scale =
        (slope != 0.0 && slope.is_finite() && inter.is_finite() && !(slope == 1.0 && inter == 0.0))
            .then_some((slope, inter));
    Ok(Layout {
        dims: [nx, ny, nz, nt],
        per_volume,
        total,
        dtype,
        offset,
        little,
        scale,
        geometry,
    })
}

fn parse(bytes: &[u8], options: &ReadOptions) -> Result<Parsed> {
    let l = layout(bytes, options)?;
    let [nx, ny, nz, nt] = l.dims;
    let values = match l.scale {
        Some((slope, inter)) => decode_with(&bytes[l.offset..], l.dtype, l.little, l.total, |v| {
            v * slope + inter
        })?,
        None => decode(&bytes[l.offset..], l.dtype, l.little, l.total)?,
    };
    // ITK reads rescaled data as float: the stored type is kept only for unscaled values.
    let pixel_type = l.scale.is_none().then_some(l.dtype);
    // A 3D file moves its values into the array; only 4D files are split (and copied) per volume.
    let volumes = if nt == 1 {
        vec![Array3::from_shape_vec((nz, ny, nx), values).expect("shape matches length")]
    } else {
        values
            .chunks_exact(l.per_volume)
            .map(|c| {
                Array3::from_shape_vec((nz, ny, nx), c.to_vec()).expect("shape matches length")
            })
            .collect()
    };
    Ok(Parsed {
        geometry: l.geometry,
        volumes,
        pixel_type,
    })
}

/// The voxels inside `bbox` (array axes z, y, x) of a 3D NIfTI image, decoded without an `f64` copy of
/// the rest of the volume, with the whole volume's geometry and size. Values, scaling and pixel type are
/// those [`read_nifti_with`] gives, cropped.
pub fn read_nifti_box(
    path: impl AsRef<Path>,
    bbox: &BoundingBox,
    options: &ReadOptions,
) -> Result<ImageBox> {
    let path = path.as_ref();
    let at = |e: Error| e.context(format!("'{}'", path.display()));
    let bytes = read_maybe_gzip(path, options.max_inflated_bytes())?;
    let l = layout(&bytes, options).map_err(at)?;
    let [nx, ny, nz, nt] = l.dims;
    if nt != 1 {
        return Err(at(Error::format(format!(
            "a 4D image with {nt} volumes; a 3D image is needed here"
        ))));
    }
    bbox.check_inside([nz, ny, nx], "box").map_err(at)?;
    let width = l.dtype.size();
    let shape = bbox.shape();
    let run = shape[2];
    let mut values = Vec::new();
    values
        .try_reserve_exact(shape.iter().product())
        .map_err(|_| Error::new(ErrorKind::LimitExceeded, "out of memory for the image box"))?;
    let (slope, inter) = l.scale.unwrap_or((1.0, 0.0));
    let data = &bytes[l.offset..];
    for z in bbox.lower[0]..=bbox.upper[0] {
        for y in bbox.lower[1]..=bbox.upper[1] {
            let start = ((z * ny + y) * nx + bbox.lower[2]) * width;
            let row = data
                .get(start..start + run * width)
                .ok_or_else(|| at(Error::format("voxel data is shorter than the header says")))?;
            // Each row is decoded straight onto the end of the box's values.
            match l.scale {
                Some(_) => decode_into(
                    row,
                    l.dtype,
                    l.little,
                    run,
                    |v| v * slope + inter,
                    &mut values,
                ),
                None => decode_into(row, l.dtype, l.little, run, |v| v, &mut values),
            }
            .map_err(at)?;
        }
    }
    let pixel_type = l.scale.is_none().then_some(l.dtype);
    let data = Array3::from_shape_vec((shape[0], shape[1], shape[2]), values)
        .expect("shape matches length");
    let image = Image::new(data, l.geometry.cropped(bbox))
        .map(|i| i.with_pixel_type(pixel_type))
        .map_err(at)?;
    Ok(ImageBox {
        image,
        geometry: l.geometry,
        size: [nx, ny, nz],
        bbox: *bbox,
    })
}

/// The ROI `label` of a 3D NIfTI label image, decoded straight into a mask (one byte per voxel rather than
/// an `f64` copy of the label image). Errors as [`crate::preprocess::label::select_label`]: a non-integer value, an
/// empty label image, or a label that is absent (naming the labels present).
pub fn read_nifti_mask(path: impl AsRef<Path>, label: i64) -> Result<Mask> {
    let path = path.as_ref();
    let at = |e: Error| e.context(format!("'{}'", path.display()));
    let options = ReadOptions::default();
    let bytes = read_maybe_gzip(path, options.max_inflated_bytes())?;
    let l = layout(&bytes, &options).map_err(at)?;
    let [nx, ny, nz, nt] = l.dims;
    if nt != 1 {
        return Err(at(Error::format(format!(
            "a 4D image with {nt} volumes cannot be a mask"
        ))));
    }
    let (slope, inter) = l.scale.unwrap_or((1.0, 0.0));
    let target = label as f64;
    let mut first_bad = None;
    let mut present = std::collections::BTreeSet::new();
    let mut index = 0usize;
    // Unscaled integer data holds integers: only scaled or floating-point data needs the check.
    let integers = l.scale.is_none() && !matches!(l.dtype, DataType::F32 | DataType::F64);
    let roi = decode_with(&bytes[l.offset..], l.dtype, l.little, l.total, |v| {
        let v = if l.scale.is_some() {
            v * slope + inter
        } else {
            v
        };
        if !integers && first_bad.is_none() && !(v.is_finite() && v == v.trunc()) {
            first_bad = Some((index, v));
        }
        if v != 0.0 && present.len() <= 20 {
            present.insert(v as i64);
        }
        index += 1;
        v == target
    })
    .map_err(at)?;
    if let Some((i, v)) = first_bad {
        let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
        return Err(at(Error::format(format!(
            "mask holds the non-integer value {v} at voxel (x={x}, y={y}, z={z}); masks must be integer label images"
        ))));
    }
    if !roi.iter().any(|&b| b) {
        if present.is_empty() {
            return Err(at(Error::empty_roi(
                "the mask is empty: no voxel is labelled (nothing is segmented)",
            )));
        }
        let shown: Vec<String> = present.iter().take(20).map(i64::to_string).collect();
        return Err(at(Error::empty_roi(format!(
            "label {label} is not present in the mask; labels present: {}{}",
            shown.join(", "),
            if present.len() > 20 { ", ..." } else { "" }
        ))));
    }
    let roi = Array3::from_shape_vec((nz, ny, nx), roi).expect("shape matches length");
    Mask::from_array(roi, l.geometry).map_err(at)
}

#[allow(clippy::needless_range_loop)] // small fixed-size matrices read clearer by index
fn geometry(h: &nifti::NiftiHeader) -> Result<Geometry> {
    let mut spacing = [1.0f64; 3];
    for (a, s) in spacing.iter_mut().enumerate() {
        let p = h.pixdim[a + 1] as f64;
        if !(p.is_finite() && p != 0.0) {
            return Err(Error::format(format!(
                "impossible voxel size pixdim[{}] = {p}",
                a + 1
            )));
        }
        *s = p.abs();
    }
    // RAS rotation (row-major, columns = axes) and origin.
    let (rot, origin) = if h.qform_code > 0 {
        let (b, c, d) = (h.quatern_b as f64, h.quatern_c as f64, h.quatern_d as f64);
        let mut a = 1.0 - (b * b + c * c + d * d);
        let (mut b, mut c, mut d) = (b, c, d);
        if a < 1e-7 {
            // Numerically a 180-degree rotation: renormalise (b, c, d), as nifti1_io does.
            let n = 1.0 / (b * b + c * c + d * d).sqrt();
            b *= n;
            c *= n;
            d *= n;
            a = 0.0;
        } else {
            a = a.sqrt();
        }
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let r = [
            a * a + b * b - c * c - d * d,
            2.0 * (b * c - a * d),
            2.0 * (b * d + a * c) * qfac,
            2.0 * (b * c + a * d),
            a * a + c * c - b * b - d * d,
            2.0 * (c * d - a * b) * qfac,
            2.0 * (b * d - a * c),
            2.0 * (c * d + a * b),
            (a * a + d * d - c * c - b * b) * qfac,
        ];
        (
            r,
            [h.quatern_x as f64, h.quatern_y as f64, h.quatern_z as f64],
        )
    } else if h.sform_code > 0 {
        let rows = [h.srow_x, h.srow_y, h.srow_z];
        let mut r = [0.0; 9];
        for col in 0..3 {
            let v: Vec<f64> = rows.iter().map(|row| row[col] as f64).collect();
            let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            if !(n.is_finite() && n > 0.0) {
                return Err(Error::format(format!(
                    "sform column {col} is zero or not finite"
                )));
            }
            for row in 0..3 {
                r[3 * row + col] = v[row] / n;
            }
        }
        (r, [rows[0][3] as f64, rows[1][3] as f64, rows[2][3] as f64])
    } else {
        (crate::image::IDENTITY_DIRECTION, [0.0; 3])
    };
    let mut direction = rot;
    for v in direction.iter_mut().take(6) {
        *v = -*v;
    }
    let origin = [-origin[0], -origin[1], origin[2]];
    let g = Geometry {
        spacing,
        origin,
        direction,
    };
    g.validate()
        .map_err(|e| Error::format(format!("impossible geometry in header: {}", e.message())))?;
    Ok(g)
}

/// Element type used when writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteType {
    /// 16-bit signed integers (values rounded and clamped).
    I16,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

/// Writes a 3D image as NIfTI-1, gzip-compressed when the name ends in `.gz`. Geometry goes into both qform
/// and sform (code 1, scanner anatomical).
pub fn write_nifti(path: impl AsRef<Path>, image: &Image, dtype: WriteType) -> Result<()> {
    write_nifti_volumes(
        path,
        image.geometry(),
        std::slice::from_ref(&image.data().to_owned()),
        dtype,
    )
}

/// Writes one or more volumes of equal shape as a 3D or 4D NIfTI-1 file.
pub fn write_nifti_volumes(
    path: impl AsRef<Path>,
    geometry: &Geometry,
    volumes: &[Array3<f64>],
    dtype: WriteType,
) -> Result<()> {
    let path = path.as_ref();
    let first = volumes
        .first()
        .ok_or_else(|| Error::invalid("no volume to write"))?;
    let (nz, ny, nx) = first.dim();
    if volumes.iter().any(|v| v.dim() != first.dim()) {
        return Err(Error::invalid("volumes to write differ in shape"));
    }
    if [nx, ny, nz, volumes.len()]
        .iter()
        .any(|&d| d > i16::MAX as usize)
    {
        return Err(Error::invalid(format!(
            "size {nx}x{ny}x{nz}x{} exceeds NIfTI-1's 32767 per dimension",
            volumes.len()
        )));
    }
    let mut buf = header_bytes(geometry, [nx, ny, nz, volumes.len()], dtype);
    for v in volumes {
        for &x in v.iter() {
            match dtype {
                WriteType::I16 => buf.extend_from_slice(
                    &(x.round().clamp(i16::MIN as f64, i16::MAX as f64) as i16).to_le_bytes(),
                ),
                WriteType::F32 => buf.extend_from_slice(&(x as f32).to_le_bytes()),
                WriteType::F64 => buf.extend_from_slice(&x.to_le_bytes()),
            }
        }
    }
    let gz = path.to_string_lossy().ends_with(".gz");
    let write = |bytes: &[u8]| -> std::io::Result<()> {
        let file = std::fs::File::create(path)?;
        if gz {
            let mut enc = flate2::write::GzEncoder::new(
                std::io::BufWriter::new(file),
                flate2::Compression::new(6),
            );
            enc.write_all(bytes)?;
            enc.finish()?.flush()
        } else {
            let mut w = std::io::BufWriter::new(file);
            w.write_all(bytes)?;
            w.flush()
        }
    };
    write(&buf).map_err(|e| Error::io(path, "write", &e))
}

/// A little-endian NIfTI-1 header (348 bytes) plus the 4-byte empty extension flag.
#[allow(clippy::needless_range_loop)] // small fixed-size matrices read clearer by index
fn header_bytes(g: &Geometry, dims: [usize; 4], dtype: WriteType) -> Vec<u8> {
    let mut h = vec![0u8; 352];
    let put_i16 =
        |h: &mut Vec<u8>, off: usize, v: i16| h[off..off + 2].copy_from_slice(&v.to_le_bytes());
    let put_f32 =
        |h: &mut Vec<u8>, off: usize, v: f32| h[off..off + 4].copy_from_slice(&v.to_le_bytes());
    h[0..4].copy_from_slice(&348i32.to_le_bytes());
    h[38] = b'r'; // regular
    let ndim = if dims[3] > 1 { 4 } else { 3 };
    put_i16(&mut h, 40, ndim);
    for (i, &d) in dims.iter().enumerate() {
        put_i16(&mut h, 42 + 2 * i, d as i16);
    }
    for i in 4..7 {
        put_i16(&mut h, 42 + 2 * (i + 1), 1);
    }
    let (code, bits) = match dtype {
        WriteType::I16 => (4i16, 16i16),
        WriteType::F32 => (16, 32),
        WriteType::F64 => (64, 64),
    };
    put_i16(&mut h, 70, code);
    put_i16(&mut h, 72, bits);
    // RAS affine columns: direction (LPS -> RAS) x spacing.
    let d = &g.direction;
    let ras = [
        [-d[0], -d[1], -d[2]],
        [-d[3], -d[4], -d[5]],
        [d[6], d[7], d[8]],
    ];
    let org = [-g.origin[0], -g.origin[1], g.origin[2]];
    // qform: quaternion of the proper rotation, qfac for reflections.
    let det = crate::image::det3(&[
        ras[0][0], ras[0][1], ras[0][2], ras[1][0], ras[1][1], ras[1][2], ras[2][0], ras[2][1],
        ras[2][2],
    ]);
    let qfac = if det < 0.0 { -1.0 } else { 1.0 };
    let mut r = ras;
    for row in &mut r {
        row[2] *= qfac;
    }
    let (b, c, dq) = quaternion(&r);
    put_f32(&mut h, 76, qfac as f32);
    for a in 0..3 {
        put_f32(&mut h, 80 + 4 * a, g.spacing[a] as f32);
    }
    put_f32(&mut h, 80 + 12, 1.0);
    put_f32(&mut h, 108, 352.0); // vox_offset
    put_f32(&mut h, 112, 1.0); // scl_slope
    h[123] = 2 | 8; // xyzt_units: mm, s
    put_i16(&mut h, 252, 1); // qform_code
    put_i16(&mut h, 254, 1); // sform_code
    put_f32(&mut h, 256, b as f32);
    put_f32(&mut h, 260, c as f32);
    put_f32(&mut h, 264, dq as f32);
    for a in 0..3 {
        put_f32(&mut h, 268 + 4 * a, org[a] as f32);
    }
    for row in 0..3 {
        for col in 0..3 {
            put_f32(
                &mut h,
                280 + 16 * row + 4 * col,
                (ras[row][col] * g.spacing[col]) as f32,
            );
        }
        put_f32(&mut h, 280 + 16 * row + 12, org[row] as f32);
    }
    h[344..348].copy_from_slice(b"n+1\0");
    h
}

/// Quaternion (b, c, d) of a proper rotation matrix, with a >= 0 (nifti1_io's mat44_to_quatern).
fn quaternion(r: &[[f64; 3]; 3]) -> (f64, f64, f64) {
    let (r11, r12, r13) = (r[0][0], r[0][1], r[0][2]);
    let (r21, r22, r23) = (r[1][0], r[1][1], r[1][2]);
    let (r31, r32, r33) = (r[2][0], r[2][1], r[2][2]);
    let trace = r11 + r22 + r33 + 1.0;
    let (a, mut b, mut c, mut d): (f64, f64, f64, f64);
    if trace > 0.5 {
        a = 0.5 * trace.sqrt();
        b = 0.25 * (r32 - r23) / a;
        c = 0.25 * (r13 - r31) / a;
        d = 0.25 * (r21 - r12) / a;
    } else {
        let xd = 1.0 + r11 - (r22 + r33);
        let yd = 1.0 + r22 - (r11 + r33);
        let zd = 1.0 + r33 - (r11 + r22);
        if xd > 1.0 {
            b = 0.5 * xd.sqrt();
            c = 0.25 * (r12 + r21) / b;
            d = 0.25 * (r13 + r31) / b;
            a = 0.25 * (r32 - r23) / b;
        } else if yd > 1.0 {
            c = 0.5 * yd.sqrt();
            b = 0.25 * (r12 + r21) / c;
            d = 0.25 * (r23 + r32) / c;
            a = 0.25 * (r13 - r31) / c;
        } else {
            d = 0.5 * zd.sqrt();
            b = 0.25 * (r13 + r31) / d;
            c = 0.25 * (r23 + r32) / d;
            a = 0.25 * (r21 - r12) / d;
        }
        if a < 0.0 {
            b = -b;
            c = -c;
            d = -d;
        }
    }
    (b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_keeps_voxels_and_geometry() {
        let dir = std::env::temp_dir().join(format!("radiomics-nifti-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let g = Geometry {
            spacing: [0.5, 0.75, 2.0],
            origin: [-10.0, 20.0, 5.0],
            // axis y flipped, axes x and z swapped: an improper rotation, so qfac = -1 on writing.
            direction: [0.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0],
        };
        let data =
            Array3::from_shape_fn((3, 4, 5), |(z, y, x)| (x + 10 * y + 100 * z) as f64 - 50.0);
        let img = Image::new(data, g).unwrap();
        for (name, t) in [("a.nii", WriteType::I16), ("b.nii.gz", WriteType::F32)] {
            let p = dir.join(name);
            write_nifti(&p, &img, t).unwrap();
            let back = read_nifti(&p).unwrap();
            assert_eq!(back.data(), img.data());
            for i in 0..9 {
                assert!((back.geometry().direction[i] - g.direction[i]).abs() < 1e-6);
            }
            assert_eq!(back.geometry().spacing, g.spacing);
            assert_eq!(back.geometry().origin, g.origin);
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
