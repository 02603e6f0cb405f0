//! Reading and writing volumes.
//!
//! [`read_image`] picks the reader by file name: `.nii` / `.nii.gz` (NIfTI-1), `.nrrd` (attached NRRD),
//! `.nhdr` (detached NRRD), `.mha` / `.mhd` (MetaImage); a folder, a DICOM file, or `FOLDER#UID` (the
//! series `UID` in a folder) is read as a DICOM image series ([`dicom`]).

mod bounded;
pub mod dicom;
pub mod metaimage;
pub mod nhdr;
pub mod nifti;
pub mod nrrd;

use std::path::Path;

use super::Image;
use crate::error::{Error, ErrorKind, Result};

/// Limits a reader enforces before it allocates, so that a malformed or hostile file gives
/// [`ErrorKind::LimitExceeded`] rather than an attempted huge allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// The most voxels a file may hold (all volumes of a 4D file together). Voxels are held as `f64`, so
    /// the memory of a volume is at most 8 bytes times this. Default [`nifti::MAX_VOXELS`] (2^31).
    pub max_voxels: usize,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            max_voxels: nifti::MAX_VOXELS,
        }
    }
}

impl ReadOptions {
    /// The most bytes a compressed file may inflate to: the largest voxel data the voxel limit allows
    /// (8 bytes per voxel) plus 1 MiB for the header and its extensions.
    pub fn max_inflated_bytes(&self) -> usize {
        self.max_voxels.saturating_mul(8).saturating_add(1 << 20)
    }

    /// The error for `what` holding `voxels` voxels when at most `self.max_voxels` are allowed.
    pub(crate) fn check_voxels(&self, voxels: Option<usize>, what: &str) -> Result<usize> {
        voxels.filter(|&v| v <= self.max_voxels).ok_or_else(|| {
            Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "{what} exceeds the limit of {} voxels (ReadOptions::max_voxels)",
                    self.max_voxels
                ),
            )
        })
    }
}

/// The ROI `label` of a label image file, read without holding the whole label image as `f64` for NIfTI
/// files (other formats are read whole, then selected). Errors as [`crate::preprocess::label::select_label`].
pub fn read_mask(path: impl AsRef<Path>, label: i64) -> Result<crate::image::Mask> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        nifti::read_nifti_mask(path, label)
    } else {
        crate::preprocess::label::select_label(&read_image(path)?, label)
    }
}

/// Reads a 3D scalar volume from a NIfTI-1 (`.nii`, `.nii.gz`), NRRD (`.nrrd`, `.nhdr`) or MetaImage
/// (`.mha`, `.mhd`) file, or a DICOM image series (a folder, or one file of the series).
pub fn read_image(path: impl AsRef<Path>) -> Result<Image> {
    read_image_with(path, &ReadOptions::default())
}

/// As [`read_image`], with the limits of `options`.
pub fn read_image_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Image> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    // Geometry a file cannot describe (a non-finite origin, a zero spacing) is a fault of the file.
    let of_file = |e: Error| {
        if e.kind() == ErrorKind::InvalidArgument {
            Error::format(e.message())
        } else {
            e
        }
    };
    if name.ends_with(".nrrd") {
        nrrd::read_nrrd_with(path, options).map_err(of_file)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        nifti::read_nifti_with(path, options).map_err(of_file)
    } else if name.ends_with(".nhdr") {
        nhdr::read_nhdr_with(path, options).map_err(of_file)
    } else if name.ends_with(".mha") || name.ends_with(".mhd") {
        metaimage::read_metaimage_with(path, options).map_err(of_file)
    } else if dicom::split_series_path(path).is_some() {
        // Not mapped by `of_file`: a series UID the folder does not hold is the caller's choice
        // (InvalidArgument), not the files' fault; the series' own geometry errors are Format already.
        dicom::read_series_with(path, options)
    } else if path.is_dir() || dicom::is_dicom_file(path) {
        dicom::read_series_with(path, options).map_err(of_file)
    } else {
        Err(Error::format(format!(
            "'{}': unknown image format (expected .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, or a DICOM \
             series folder)",
            path.display()
        )))
    }
}

/// A box of an image file: its voxels, and the whole volume's grid (see [`read_image_box`]).
#[derive(Debug, Clone)]
pub struct ImageBox {
    /// The voxels inside the box, on the box's grid (its origin is the box's first voxel).
    pub image: Image,
    /// The geometry of the whole volume in the file.
    pub geometry: super::Geometry,
    /// The size (x, y, z) of the whole volume in the file.
    pub size: [usize; 3],
    /// Where the box lies in the whole volume (array axes z, y, x, inclusive).
    pub bbox: super::BoundingBox,
}

/// Reads the voxels of an image file inside `bbox` (array axes z, y, x, inclusive), for a caller that
/// needs only the ROI's box: a NIfTI file is decoded box only (one `f64` per voxel of the box rather than
/// of the volume); other formats are read whole, then cropped. The values are those [`read_image_with`]
/// gives, cropped.
pub fn read_image_box(
    path: impl AsRef<Path>,
    bbox: &super::BoundingBox,
    options: &ReadOptions,
) -> Result<ImageBox> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        return nifti::read_nifti_box(path, bbox, options);
    }
    let whole = read_image_with(path, options)?;
    Ok(ImageBox {
        image: whole
            .crop(bbox)
            .map_err(|e| e.context(format!("'{}'", path.display())))?,
        geometry: *whole.geometry(),
        size: whole.size(),
        bbox: *bbox,
    })
}

/// Reads a NIfTI-1 file, inflating it when it starts with the gzip magic bytes, no further than its header
/// declares and never past `limit` bytes (a device such as `/dev/zero`, or a "gzip bomb", stops there).
pub(crate) fn read_maybe_gzip(path: &Path, limit: usize) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "read", &e))?;
    bounded::read_nifti_stream(std::io::BufReader::new(file), limit)
        .map_err(|e| e.context(format!("'{}'", path.display())))
}

/// Inflates a (possibly multi-member) gzip stream. More than `limit` bytes of output is
/// [`ErrorKind::LimitExceeded`] (a "gzip bomb" stops there instead of exhausting memory); a corrupt or
/// truncated stream is [`ErrorKind::Format`].
pub(crate) fn inflate(raw: &[u8], limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    // A typical ratio of 4, but never reserve more than the limit allows.
    out.try_reserve(raw.len().saturating_mul(4).min(limit))
        .map_err(|_| Error::new(ErrorKind::LimitExceeded, "out of memory for inflated data"))?;
    flate2::read::MultiGzDecoder::new(raw)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::format(format!("gzip stream is corrupt or truncated ({e})")))?;
    if out.len() > limit {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("gzip data inflates to more than {limit} bytes, the limit for this file"),
        ));
    }
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
/// least `n * dtype.size()` bytes (checked by the callers). The output is allocated fallibly: when the
/// memory for `n` values cannot be had, the error is [`ErrorKind::LimitExceeded`], not an abort.
pub(crate) fn decode(bytes: &[u8], dtype: DataType, little: bool, n: usize) -> Result<Vec<f64>> {
    decode_with(bytes, dtype, little, n, |v| v)
}

/// As [`decode`], passing each value through `f` (so that a label image can become a mask without an
/// `f64` copy of the whole volume).
pub(crate) fn decode_with<T>(
    bytes: &[u8],
    dtype: DataType,
    little: bool,
    n: usize,
    f: impl FnMut(f64) -> T,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    decode_into(bytes, dtype, little, n, f, &mut out)?;
    Ok(out)
}

/// As [`decode_with`], appending to `out` (reserved fallibly for `n` more values).
pub(crate) fn decode_into<T>(
    bytes: &[u8],
    dtype: DataType,
    little: bool,
    n: usize,
    mut f: impl FnMut(f64) -> T,
    out: &mut Vec<T>,
) -> Result<()> {
    out.try_reserve_exact(n).map_err(|_| {
        Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "cannot allocate {n} voxels ({} bytes)",
                n.saturating_mul(std::mem::size_of::<T>())
            ),
        )
    })?;
    macro_rules! conv {
        ($t:ty) => {{
            const W: usize = std::mem::size_of::<$t>();
            out.extend(bytes[..n * W].chunks_exact(W).map(|c| {
                let a: [u8; W] = c.try_into().expect("chunk of exact width");
                f((if little {
                    <$t>::from_le_bytes(a)
                } else {
                    <$t>::from_be_bytes(a)
                }) as f64)
            }))
        }};
    }
    match dtype {
        DataType::U8 => out.extend(bytes[..n].iter().map(|&b| f(b as f64))),
        DataType::I8 => out.extend(bytes[..n].iter().map(|&b| f(b as i8 as f64))),
        DataType::U16 => conv!(u16),
        DataType::I16 => conv!(i16),
        DataType::U32 => conv!(u32),
        DataType::I32 => conv!(i32),
        DataType::U64 => conv!(u64),
        DataType::I64 => conv!(i64),
        DataType::F32 => conv!(f32),
        DataType::F64 => conv!(f64),
    }
    Ok(())
}

/// The ROI `label` of the mask file at `path` for the image `image` (read from `image_path`): a DICOM SEG
/// or RTSTRUCT file is placed on the image's grid ([`dicom::read_mask_on`]); any other file is a label
/// image, read as [`read_mask`] reads it.
pub fn read_mask_for(
    path: impl AsRef<Path>,
    label: i64,
    image_path: Option<&Path>,
    image: &Image,
) -> Result<crate::image::Mask> {
    let path = path.as_ref();
    if dicom::is_dicom_mask(path) {
        dicom::read_mask_on(path, label, image_path, image)
    } else {
        read_mask(path, label)
    }
}

/// As [`read_mask_for`], as a label image: for a DICOM SEG or RTSTRUCT file, `label` on the ROI's voxels
/// and 0 elsewhere, on the image's grid; any other file is read as it is ([`read_image`]).
pub fn read_label_image_for(
    path: impl AsRef<Path>,
    label: i64,
    image_path: Option<&Path>,
    image: &Image,
) -> Result<Image> {
    let path = path.as_ref();
    if !dicom::is_dicom_mask(path) {
        return read_image(path);
    }
    let mask = dicom::read_mask_on(path, label, image_path, image)?;
    let labels = mask.roi().mapv(|b| if b { label as f64 } else { 0.0 });
    Image::new(labels, *mask.geometry()).map(|i| i.with_pixel_type(Some(DataType::I32)))
}
