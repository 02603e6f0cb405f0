//! NRRD (`.nrrd`, header and data in one file) reading: scalar 3D volumes, raw or gzip encoding, with
//! `space directions` and `space origin`. The geometry is kept in `f64` as written, which NIfTI's `f32`
//! fields cannot hold exactly.

use std::path::Path;

use ndarray::Array3;

use super::{decode, inflate, DataType, ReadOptions};
use crate::error::{Error, Result};
use crate::image::{Geometry, Image};

/// Reads a 3D scalar NRRD file.
pub fn read_nrrd(path: impl AsRef<Path>) -> Result<Image> {
    read_nrrd_with(path, &ReadOptions::default())
}

/// As [`read_nrrd`], with the limits of `options`.
pub fn read_nrrd_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Image> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", &e))?;
    parse(&bytes, options).map_err(|e| e.context(format!("'{}'", path.display())))
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn parse_vector(s: &str) -> Result<[f64; 3]> {
    let inner = s.trim().trim_start_matches('(').trim_end_matches(')');
    let v: Vec<f64> = inner
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::format(format!("bad NRRD vector '{s}'")))?;
    <[f64; 3]>::try_from(v).map_err(|_| Error::format(format!("NRRD vector '{s}' is not 3D")))
}

#[allow(clippy::needless_range_loop)] // small fixed-size matrices read clearer by index
pub(crate) fn parse(bytes: &[u8], options: &ReadOptions) -> Result<Image> {
    if !bytes.starts_with(b"NRRD000") {
        return Err(Error::format("not a NRRD file (no NRRD000x magic)"));
    }
    // Header: lines up to the first empty line.
    let mut pos = 0;
    let mut fields = Vec::new();
    let mut first = true;
    loop {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| Error::format("NRRD header does not end"))?;
        let line = String::from_utf8_lossy(&bytes[pos..pos + end])
            .trim_end_matches('\r')
            .to_string();
        pos += end + 1;
        if first {
            first = false;
            continue;
        }
        if line.is_empty() {
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once(": ") {
            fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        } else if let Some((k, v)) = line.split_once(":=") {
            fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if field(&fields, "data file").is_some() || field(&fields, "datafile").is_some() {
        return Err(Error::format("detached NRRD data files are not supported"));
    }
    let dtype = match field(&fields, "type").unwrap_or("") {
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => DataType::U8,
        "signed char" | "int8" | "int8_t" => DataType::I8,
        "short" | "short int" | "signed short" | "int16" | "int16_t" => DataType::I16,
        "ushort" | "unsigned short" | "uint16" | "uint16_t" => DataType::U16,
        "int" | "signed int" | "int32" | "int32_t" => DataType::I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => DataType::U32,
        "longlong" | "long long" | "int64" | "int64_t" => DataType::I64,
        "ulonglong" | "unsigned long long" | "uint64" | "uint64_t" => DataType::U64,
        "float" => DataType::F32,
        "double" => DataType::F64,
        other => return Err(Error::format(format!("unsupported NRRD type '{other}'"))),
    };
    let dim: usize = field(&fields, "dimension")
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| Error::format("NRRD header lacks a valid 'dimension'"))?;
    if dim != 3 {
        return Err(Error::format(format!(
            "NRRD of dimension {dim}; a 3D scalar image is needed"
        )));
    }
    let sizes: Vec<usize> = field(&fields, "sizes")
        .unwrap_or("")
        .split_whitespace()
        .map(|s| s.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::format("NRRD 'sizes' is not a list of whole numbers"))?;
    if sizes.len() != 3 || sizes.contains(&0) {
        return Err(Error::format(format!("impossible NRRD sizes {sizes:?}")));
    }
    let n = options.check_voxels(
        sizes[0]
            .checked_mul(sizes[1])
            .and_then(|v| v.checked_mul(sizes[2])),
        &format!("NRRD sizes {sizes:?}"),
    )?;
    let little = field(&fields, "endian") != Some("big");
    let payload = &bytes[pos..];
    let data = match field(&fields, "encoding").unwrap_or("raw") {
        "raw" => payload.to_vec(),
        "gzip" | "gz" => inflate(
            payload,
            n.saturating_mul(dtype.size()).saturating_add(1 << 20),
        )
        .map_err(|e| e.context("NRRD data"))?,
        other => {
            return Err(Error::format(format!(
                "unsupported NRRD encoding '{other}'"
            )))
        }
    };
    if data.len() < n * dtype.size() {
        return Err(Error::format(format!(
            "NRRD voxel data is truncated: {} bytes for {n} voxels of {} bytes",
            data.len(),
            dtype.size()
        )));
    }
    let values = decode(&data, dtype, little, n)?;

    let mut g = Geometry::default();
    if let Some(dirs) = field(&fields, "space directions") {
        let vecs: Vec<&str> = dirs.split(')').filter(|s| !s.trim().is_empty()).collect();
        if vecs.len() != 3 {
            return Err(Error::format(format!("bad NRRD space directions '{dirs}'")));
        }
        for (axis, v) in vecs.iter().enumerate() {
            let v = parse_vector(v)?;
            let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            if !(norm.is_finite() && norm > 0.0) {
                return Err(Error::format(format!(
                    "zero NRRD space direction for axis {axis}"
                )));
            }
            g.spacing[axis] = norm;
            for row in 0..3 {
                g.direction[3 * row + axis] = v[row] / norm;
            }
        }
    } else if let Some(sp) = field(&fields, "spacings") {
        for (axis, s) in sp.split_whitespace().take(3).enumerate() {
            g.spacing[axis] = s
                .parse()
                .map_err(|_| Error::format(format!("bad NRRD spacing '{s}'")))?;
        }
    }
    if let Some(o) = field(&fields, "space origin") {
        g.origin = parse_vector(o)?;
    }
    let space = field(&fields, "space").unwrap_or("left-posterior-superior");
    match space {
        "left-posterior-superior" | "LPS" => {}
        "right-anterior-superior" | "RAS" => {
            for v in g.direction.iter_mut().take(6) {
                *v = -*v;
            }
            g.origin[0] = -g.origin[0];
            g.origin[1] = -g.origin[1];
        }
        other => return Err(Error::format(format!("unsupported NRRD space '{other}'"))),
    }
    let arr = Array3::from_shape_vec((sizes[2], sizes[1], sizes[0]), values)
        .expect("shape matches length");
    Image::new(arr, g).map(|i| i.with_pixel_type(Some(dtype)))
}
