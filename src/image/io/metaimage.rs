//! MetaImage reading (`.mha`, header and data in one file; `.mhd`, a text header naming its data file):
//! scalar 3D volumes, raw or zlib-compressed, in the LPS world coordinates ITK writes.
//!
//! # Header
//! `Key = Value` lines, up to and including `ElementDataFile`, which must come last. Used here:
//! `ObjectType` (`Image`), `NDims` (3), `DimSize`, `ElementType` (`MET_UCHAR` … `MET_DOUBLE`),
//! `ElementSpacing` (else `ElementSize`), `Offset` (or `Position`, `Origin`), `TransformMatrix` (or
//! `Rotation`, `Orientation`), `ElementNumberOfChannels` (1), `BinaryDataByteOrderMSB` (or
//! `ElementByteOrderMSB`), `CompressedData`, `HeaderSize` and `ElementDataFile` (`LOCAL`, or a file in the
//! header's folder).
//!
//! `TransformMatrix` lists the direction of axis 0, then of axis 1, then of axis 2 (ITK's `MetaImageIO`
//! reads it so): it is the transpose of the row-major direction matrix of [`Geometry`].

use std::path::Path;

use ndarray::Array3;

use super::nhdr::data_file_beside;
use super::{decode, DataType, ReadOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{Geometry, Image};

/// Reads a 3D scalar MetaImage file (`.mha` or `.mhd`).
pub fn read_metaimage(path: impl AsRef<Path>) -> Result<Image> {
    read_metaimage_with(path, &ReadOptions::default())
}

/// As [`read_metaimage`], with the limits of `options`.
pub fn read_metaimage_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Image> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", &e))?;
    parse(&bytes, path, options).map_err(|e| e.context(format!("'{}'", path.display())))
}

/// The value of `key` (case-insensitive), the first of several spellings that is present.
fn field<'a>(fields: &'a [(String, String)], keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|key| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    })
}

/// `n` numbers of the field `name`.
fn numbers(value: &str, name: &str, n: usize) -> Result<Vec<f64>> {
    let v: Vec<f64> = value
        .split_whitespace()
        .map(|t| t.parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            Error::format(format!(
                "MetaImage {name} '{value}' is not a list of numbers"
            ))
        })?;
    if v.len() != n || v.iter().any(|x| !x.is_finite()) {
        return Err(Error::format(format!(
            "MetaImage {name} '{value}' must hold {n} finite numbers"
        )));
    }
    Ok(v)
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn parse(bytes: &[u8], path: &Path, options: &ReadOptions) -> Result<Image> {
    // Header: `Key = Value` lines up to ElementDataFile.
    let mut pos = 0;
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        if pos >= bytes.len() || fields.len() > 1000 {
            return Err(Error::format(
                "MetaImage header ends without an ElementDataFile line",
            ));
        }
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |e| pos + e);
        let line = String::from_utf8_lossy(&bytes[pos..end]);
        let line = line.trim();
        pos = (end + 1).min(bytes.len());
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            Error::format(format!(
                "not a MetaImage header: line '{}' is not 'Key = Value'",
                line.chars().take(60).collect::<String>()
            ))
        })?;
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        let last = k.eq_ignore_ascii_case("ElementDataFile");
        fields.push((k, v));
        if last {
            break;
        }
    }
    if let Some(t) = field(&fields, &["ObjectType"]) {
        if !t.eq_ignore_ascii_case("Image") {
            return Err(Error::format(format!(
                "MetaImage ObjectType '{t}'; an Image is needed"
            )));
        }
    }
    let ndims = field(&fields, &["NDims"]).unwrap_or("");
    if ndims != "3" {
        return Err(Error::format(format!(
            "MetaImage NDims '{ndims}'; a 3D scalar image is needed"
        )));
    }
    let channels = field(&fields, &["ElementNumberOfChannels"]).unwrap_or("1");
    if channels != "1" {
        return Err(Error::format(format!(
            "MetaImage with {channels} channels per voxel; a scalar image is needed"
        )));
    }
    let sizes: Vec<usize> = field(&fields, &["DimSize"])
        .unwrap_or("")
        .split_whitespace()
        .map(|s| s.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::format("MetaImage DimSize is not a list of whole numbers"))?;
    if sizes.len() != 3 || sizes.contains(&0) {
        return Err(Error::format(format!(
            "impossible MetaImage DimSize {sizes:?}"
        )));
    }
    let n = options.check_voxels(
        sizes[0]
            .checked_mul(sizes[1])
            .and_then(|v| v.checked_mul(sizes[2])),
        &format!("MetaImage DimSize {sizes:?}"),
    )?;
    let dtype = match field(&fields, &["ElementType"]).unwrap_or("") {
        "MET_UCHAR" => DataType::U8,
        "MET_CHAR" => DataType::I8,
        "MET_USHORT" => DataType::U16,
        "MET_SHORT" => DataType::I16,
        "MET_UINT" | "MET_ULONG" => DataType::U32,
        "MET_INT" | "MET_LONG" => DataType::I32,
        "MET_ULONG_LONG" => DataType::U64,
        "MET_LONG_LONG" => DataType::I64,
        "MET_FLOAT" => DataType::F32,
        "MET_DOUBLE" => DataType::F64,
        other => {
            return Err(Error::format(format!(
                "unsupported MetaImage ElementType '{other}'"
            )))
        }
    };
    let little = !is_true(field(
        &fields,
        &["BinaryDataByteOrderMSB", "ElementByteOrderMSB"],
    ));
    let needed = n * dtype.size();

    // The voxel bytes: after the header, or in the named file beside it.
    let data_file = field(&fields, &["ElementDataFile"]).unwrap_or("");
    let external;
    let mut raw: &[u8] = if data_file.eq_ignore_ascii_case("LOCAL") {
        &bytes[pos..]
    } else {
        if data_file.eq_ignore_ascii_case("LIST") || data_file.contains(char::is_whitespace) {
            return Err(Error::format(format!(
                "MetaImage ElementDataFile '{data_file}': data split over several files is not supported"
            )));
        }
        let data_path = data_file_beside(path, data_file, "MetaImage ElementDataFile")?;
        external = std::fs::read(&data_path).map_err(|e| Error::io(&data_path, "read", &e))?;
        &external
    };
    let compressed = is_true(field(&fields, &["CompressedData"]));
    match field(&fields, &["HeaderSize"]) {
        None | Some("0") => {}
        Some("-1") if !compressed => {
            // The data are the last bytes of the file.
            if raw.len() >= needed {
                raw = &raw[raw.len() - needed..];
            }
        }
        Some(h) => {
            let skip: usize = h
                .parse()
                .map_err(|_| Error::format(format!("bad MetaImage HeaderSize '{h}'")))?;
            raw = raw.get(skip..).ok_or_else(|| {
                Error::format(format!(
                    "MetaImage HeaderSize {skip} is beyond the data's {} bytes",
                    raw.len()
                ))
            })?;
        }
    }
    let inflated;
    if compressed {
        inflated = inflate_zlib(raw, needed)?;
        raw = &inflated;
    }
    if raw.len() < needed {
        return Err(Error::format(format!(
            "MetaImage voxel data is truncated: {} bytes for {n} voxels of {} bytes",
            raw.len(),
            dtype.size()
        )));
    }
    let values = decode(raw, dtype, little, n)?;

    let mut g = Geometry::default();
    if let Some(s) = field(&fields, &["ElementSpacing", "ElementSize"]) {
        let s = numbers(s, "ElementSpacing", 3)?;
        g.spacing = [s[0], s[1], s[2]];
    }
    if let Some(o) = field(&fields, &["Offset", "Position", "Origin"]) {
        let o = numbers(o, "Offset", 3)?;
        g.origin = [o[0], o[1], o[2]];
    }
    if let Some(m) = field(&fields, &["TransformMatrix", "Rotation", "Orientation"]) {
        let m = numbers(m, "TransformMatrix", 9)?;
        for axis in 0..3 {
            for row in 0..3 {
                g.direction[3 * row + axis] = m[3 * axis + row];
            }
        }
    }
    let arr = Array3::from_shape_vec((sizes[2], sizes[1], sizes[0]), values)
        .expect("shape matches length");
    Image::new(arr, g).map(|i| i.with_pixel_type(Some(dtype)))
}

/// Inflates a zlib stream to at most `limit` bytes (more is [`ErrorKind::LimitExceeded`]).
fn inflate_zlib(raw: &[u8], limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    out.try_reserve(limit)
        .map_err(|_| Error::new(ErrorKind::LimitExceeded, "out of memory for inflated data"))?;
    flate2::read::ZlibDecoder::new(raw)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::format(format!("MetaImage zlib data is corrupt or truncated ({e})")))?;
    if out.len() > limit {
        return Err(Error::format(format!(
            "MetaImage compressed data inflates to more than the {limit} bytes its DimSize and ElementType give"
        )));
    }
    Ok(out)
}
