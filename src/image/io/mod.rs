//! Reading and writing volumes.
//!
//! [`read_image`] picks the reader by file name: `.nii` / `.nii.gz` (NIfTI-1) or `.nrrd` / `.nhdr`-less
//! attached NRRD.

pub mod nifti;
pub mod nrrd;

use std::path::Path;

use super::Image;
use crate::error::{Error, Result};

/// The ROI `label` of a label image file, read without holding the whole label image as `f64` for NIfTI
/// files (other formats are read whole, then selected). Errors as [`crate::extract::select_label`].
pub fn read_mask(path: impl AsRef<Path>, label: i64) -> Result<crate::image::Mask> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        nifti::read_nifti_mask(path, label)
    } else {
        crate::extract::select_label(&read_image(path)?, label)
    }
}

/// Reads a 3D scalar volume from a NIfTI-1 (`.nii`, `.nii.gz`) or NRRD (`.nrrd`) file.
pub fn read_image(path: impl AsRef<Path>) -> Result<Image> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nrrd") {
        nrrd::read_nrrd(path)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        nifti::read_nifti(path)
    } else {
        Err(Error::format(format!(
            "'{}': unknown image format (expected .nii, .nii.gz or .nrrd)",
            path.display()
        )))
    }
}

/// Reads a whole file, inflating it when it starts with the gzip magic bytes.
pub(crate) fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, "read", &e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        inflate(&raw).map_err(|e| {
            Error::format(format!(
                "'{}': gzip stream is corrupt or truncated ({e})",
                path.display()
            ))
        })
    } else {
        Ok(raw)
    }
}

/// Inflates a (possibly multi-member) gzip stream.
pub(crate) fn inflate(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(raw.len() * 4);
    flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out)?;
    Ok(out)
}

/// Element types of voxel data in files and caller buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// unsigned 8-bit
    U8,
    /// signed 8-bit
    I8,
    /// unsigned 16-bit
    U16,
    /// signed 16-bit
    I16,
    /// unsigned 32-bit
    U32,
    /// signed 32-bit
    I32,
    /// unsigned 64-bit
    U64,
    /// signed 64-bit
    I64,
    /// 32-bit float
    F32,
    /// 64-bit float
    F64,
}

impl DataType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 | DataType::I64 | DataType::F64 => 8,
        }
    }
}

/// Converts `n` packed elements of `dtype` to `f64`. `little` says the byte order. `bytes` must hold at
/// least `n * dtype.size()` bytes (checked by the callers).
pub(crate) fn decode(bytes: &[u8], dtype: DataType, little: bool, n: usize) -> Vec<f64> {
    decode_with(bytes, dtype, little, n, |v| v)
}

/// As [`decode`], passing each value through `f` (so that a label image can become a mask without an
/// `f64` copy of the whole volume).
pub(crate) fn decode_with<T>(
    bytes: &[u8],
    dtype: DataType,
    little: bool,
    n: usize,
    mut f: impl FnMut(f64) -> T,
) -> Vec<T> {
    macro_rules! conv {
        ($t:ty) => {{
            const W: usize = std::mem::size_of::<$t>();
            bytes[..n * W]
                .chunks_exact(W)
                .map(|c| {
                    let a: [u8; W] = c.try_into().expect("chunk of exact width");
                    f((if little {
                        <$t>::from_le_bytes(a)
                    } else {
                        <$t>::from_be_bytes(a)
                    }) as f64)
                })
                .collect()
        }};
    }
    match dtype {
        DataType::U8 => bytes[..n].iter().map(|&b| f(b as f64)).collect(),
        DataType::I8 => bytes[..n].iter().map(|&b| f(b as i8 as f64)).collect(),
        DataType::U16 => conv!(u16),
        DataType::I16 => conv!(i16),
        DataType::U32 => conv!(u32),
        DataType::I32 => conv!(i32),
        DataType::U64 => conv!(u64),
        DataType::I64 => conv!(i64),
        DataType::F32 => conv!(f32),
        DataType::F64 => conv!(f64),
    }
}
