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
    let bytes = read_bounded(path, options.max_inflated_bytes())?;
    parse(&bytes, options).map_err(|e| e.context(format!("'{}'", path.display())))
}

/// As [`read_nrrd_with`], from the bytes of a whole NRRD file (header and data in one; a detached
/// `data file` has no folder to be found in and is refused).
pub fn read_nrrd_bytes_with(bytes: &[u8], options: &ReadOptions) -> Result<Image> {
    if bytes.len() > options.max_inflated_bytes() {
        return Err(Error::new(
            crate::error::ErrorKind::LimitExceeded,
            format!(
                "{} bytes is longer than {}, the limit for a file",
                bytes.len(),
                options.max_inflated_bytes()
            ),
        ));
    }
    parse(bytes, options)
}

/// The bytes of a NRRD file: its magic checked first (so that a device such as `/dev/zero` is refused
/// after 8 bytes), then at most `limit` bytes in all.
fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::io(path, "read", &e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    (&mut file).take(8).read_to_end(&mut bytes).map_err(io)?;
    if !bytes.starts_with(b"NRRD000") {
        return Err(Error::format(format!(
            "'{}': not a NRRD file (no NRRD000x magic)",
            path.display()
        )));
    }
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > limit {
        return Err(Error::new(
            crate::error::ErrorKind::LimitExceeded,
            format!(
                "'{}' is longer than {limit} bytes, the limit for a file",
                path.display()
            ),
        ));
    }
    Ok(bytes)
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Refuses header fields whose meaning this reader does not implement, so that they never give wrong
/// voxels silently: non-scalar `kinds`, and sizes of more than one sample per voxel.
fn check_fields(fields: &[(String, String)]) -> Result<()> {
    if let Some(kinds) = field(fields, "kinds") {
        for k in kinds.split_whitespace() {
            let spatial = ["domain", "space", "none", "???"];
            if !spatial.iter().any(|s| k.eq_ignore_ascii_case(s)) {
                return Err(Error::format(format!(
                    "NRRD kinds '{kinds}': axis kind '{k}' is not spatial; only scalar 3D volumes are supported"
                )));
            }
        }
    }
    Ok(())
}

/// The whole number of a `line skip` / `byte skip` field (0 when absent), at least `min`.
fn skip_count(fields: &[(String, String)], key: &str, min: i64) -> Result<i64> {
    let Some(v) = field(fields, key) else {
        return Ok(0);
    };
    match v.parse::<i64>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(Error::format(format!(
            "NRRD '{key}: {v}' is not a whole number of at least {min}"
        ))),
    }
}

/// `data` after `skip` bytes (-1: the last `need` bytes).
fn skip_bytes(data: &[u8], skip: i64, need: usize) -> Result<&[u8]> {
    let start = if skip < 0 {
        data.len().checked_sub(need)
    } else {
        usize::try_from(skip).ok().filter(|&s| s <= data.len())
    };
    start.map(|s| &data[s..]).ok_or_else(|| {
        Error::format(format!(
            "NRRD 'byte skip: {skip}' skips past the end of the data ({} bytes)",
            data.len()
        ))
    })
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
            let k = k.trim().to_ascii_lowercase();
            if field(&fields, &k).is_some() {
                return Err(Error::format(format!(
                    "NRRD field '{k}' appears twice in the header"
                )));
            }
            fields.push((k, v.trim().to_string()));
        } else if let Some((k, v)) = line.split_once(":=") {
            fields.push((format!("{}:=", k.trim()), v.trim().to_string()));
        }
    }
    check_fields(&fields)?;
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
    let little = match field(&fields, "endian") {
        None | Some("little") => true,
        Some("big") => false,
        Some(other) => {
            return Err(Error::format(format!(
                "NRRD endian '{other}' is neither 'little' nor 'big'"
            )))
        }
    };
    let mut payload = &bytes[pos..];
    let encoding = field(&fields, "encoding").unwrap_or("raw");
    let line_skip = skip_count(&fields, "line skip", 0)?;
    for _ in 0..line_skip {
        let end = payload.iter().position(|&b| b == b'\n').ok_or_else(|| {
            Error::format(format!(
                "NRRD 'line skip: {line_skip}' skips past the end of the data"
            ))
        })?;
        payload = &payload[end + 1..];
    }
    let byte_skip = skip_count(&fields, "byte skip", -1)?;
    let need = n.saturating_mul(dtype.size());
    // Raw data: `byte skip` bytes are skipped before the voxels; -1 means the voxels are the file's last
    // bytes. Compressed data: the skip applies to the inflated bytes (below).
    if encoding == "raw" {
        payload = skip_bytes(payload, byte_skip, need)?;
    }
    let data = match encoding {
        "raw" => payload.to_vec(),
        "gzip" | "gz" => {
            if byte_skip < 0 {
                return Err(Error::format(
                    "NRRD 'byte skip: -1' is only defined for raw data",
                ));
            }
            let inflated = inflate(
                payload,
                need.saturating_add(byte_skip as usize)
                    .saturating_add(1 << 20),
            )
            .map_err(|e| e.context("NRRD data"))?;
            skip_bytes(&inflated, byte_skip, need)?.to_vec()
        }
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
            let text = v.map(|x| format!("{x:e}")).join(",");
            // The length without overflow or underflow of the squares.
            let big = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let norm = big * v.iter().map(|x| (x / big).powi(2)).sum::<f64>().sqrt();
            if !(norm.is_finite() && norm > 0.0) {
                return Err(Error::format(format!(
                    "NRRD space direction of axis {axis} ({text}) is zero or not finite"
                )));
            }
            let (lo, hi) = crate::image::PLAUSIBLE_SPACING_MM;
            if !(lo..=hi).contains(&norm) {
                return Err(Error::format(format!(
                    "NRRD space direction of axis {axis} ({text}) gives a voxel spacing of {norm:e} mm, outside [{lo:e}, {hi:e}] mm"
                )));
            }
            g.spacing[axis] = norm;
            for row in 0..3 {
                g.direction[3 * row + axis] = v[row] / norm;
            }
        }
    } else if let Some(sp) = field(&fields, "spacings") {
        for (axis, s) in sp.split_whitespace().take(3).enumerate() {
            let (lo, hi) = crate::image::PLAUSIBLE_SPACING_MM;
            g.spacing[axis] = s
                .parse()
                .ok()
                .filter(|x: &f64| (lo..=hi).contains(x))
                .ok_or_else(|| {
                    Error::format(format!(
                        "bad NRRD spacing '{s}' (a finite number within [{lo:e}, {hi:e}] mm)"
                    ))
                })?;
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

/// Writes a 3D image as NRRD (`double` voxels, little endian, gzip-compressed, LPS space with
/// `space directions` and `space origin`), the form SimpleITK reads back with the same geometry.
pub fn write_nrrd(path: impl AsRef<Path>, image: &Image) -> Result<()> {
    use std::io::Write;
    let path = path.as_ref();
    let g = image.geometry();
    let [nx, ny, nz] = image.size();
    let mut header = String::from("NRRD0004\n# written by radiomics\ntype: double\ndimension: 3\n");
    header.push_str("space: left-posterior-superior\n");
    header.push_str(&format!("sizes: {nx} {ny} {nz}\n"));
    let axis = |a: usize| {
        let v: Vec<String> = (0..3)
            .map(|row| format!("{:?}", g.direction[3 * row + a] * g.spacing[a]))
            .collect();
        format!("({})", v.join(","))
    };
    header.push_str(&format!(
        "space directions: {} {} {}\n",
        axis(0),
        axis(1),
        axis(2)
    ));
    header.push_str("kinds: domain domain domain\nendian: little\nencoding: gzip\n");
    header.push_str(&format!(
        "space origin: ({:?},{:?},{:?})\n\n",
        g.origin[0], g.origin[1], g.origin[2]
    ));
    let data = image.data();
    let mut raw = Vec::with_capacity(data.len() * 8);
    for v in data.iter() {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    let io = |e: std::io::Error| Error::io(path, "write", &e);
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    out.write_all(header.as_bytes()).map_err(io)?;
    let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::new(6));
    enc.write_all(&raw).map_err(io)?;
    enc.finish().map_err(io)?.flush().map_err(io)?;
    Ok(())
}
