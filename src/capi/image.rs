//! `rad_image`: volumes from files or from caller memory, and their geometry.

use std::ffi::{c_char, c_void};

use ndarray::Array3;

use crate::error::{Error, ErrorKind};
use crate::image::io::{decode, read_image, DataType, ReadOptions};
use crate::image::{Geometry, Image};

use super::error::{array_arg, boundary, out_ptr, rad_status, str_arg, write_out};
use super::handle::BoxHandle;

/// A 3D scalar volume on a physical grid (an image, or a label image used as a mask: masks are images
/// with integer values). Opaque; made by `rad_image_load` or `rad_image_from_buffer`, freed by
/// `rad_image_free`. Immutable: one image may be used by several threads at once.
pub struct rad_image {
    _private: [u8; 0],
}

impl BoxHandle for rad_image {
    type Inner = Image;
}

/// Element type of a caller's voxel buffer, in the machine's native byte order.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum rad_dtype {
    /// `uint8_t`
    RadUint8 = 1,
    /// `int8_t`
    RadInt8 = 2,
    /// `uint16_t`
    RadUint16 = 3,
    /// `int16_t`
    RadInt16 = 4,
    /// `uint32_t`
    RadUint32 = 5,
    /// `int32_t`
    RadInt32 = 6,
    /// `uint64_t` (values above 2^53 lose precision)
    RadUint64 = 7,
    /// `int64_t` (magnitudes above 2^53 lose precision)
    RadInt64 = 8,
    /// `float`
    RadFloat32 = 9,
    /// `double`
    RadFloat64 = 10,
}

fn data_type(code: i32) -> Option<DataType> {
    Some(match code {
        1 => DataType::U8,
        2 => DataType::I8,
        3 => DataType::U16,
        4 => DataType::I16,
        5 => DataType::U32,
        6 => DataType::I32,
        7 => DataType::U64,
        8 => DataType::I64,
        9 => DataType::F32,
        10 => DataType::F64,
        _ => return None,
    })
}

fn dtype_code(t: DataType) -> i32 {
    let d = match t {
        DataType::U8 => rad_dtype::RadUint8,
        DataType::I8 => rad_dtype::RadInt8,
        DataType::U16 => rad_dtype::RadUint16,
        DataType::I16 => rad_dtype::RadInt16,
        DataType::U32 => rad_dtype::RadUint32,
        DataType::I32 => rad_dtype::RadInt32,
        DataType::U64 => rad_dtype::RadUint64,
        DataType::I64 => rad_dtype::RadInt64,
        DataType::F32 => rad_dtype::RadFloat32,
        DataType::F64 => rad_dtype::RadFloat64,
    };
    d as i32
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// Reads a volume from a NIfTI-1 (`.nii`, `.nii.gz`), NRRD (`.nrrd`, `.nhdr`) or MetaImage (`.mha`,
/// `.mhd`) file, or a DICOM image series (a folder holding one series, or one file of the series wanted),
/// in LPS world coordinates.
///
/// `path` is a NUL-terminated UTF-8 path. On success `*out` receives a new image, owned by the caller and
/// freed with `rad_image_free`; on failure `*out` is left as it was.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument; `RAD_IO` when the file cannot be read;
/// `RAD_FORMAT` when it is not a readable image. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_load(path: *const c_char, out: *mut *mut rad_image) -> rad_status {
    boundary(|| {
        let path = str_arg(path, "path")?;
        let out = out_ptr(out, "out")?;
        let image = read_image(path)?;
        write_out(out, rad_image::into_handle(image));
        Ok(())
    })
}

/// Reads the DICOM image series `series_uid` (its SeriesInstanceUID) from the folder `folder`, for a folder
/// holding several series (`rad_image_load` refuses such a folder, listing its series). The volume is
/// built as `rad_image_load` builds a series (LPS world coordinates). Passing the path `FOLDER#UID` to
/// `rad_image_load` (or as an image path of `rad_extract_case_files`) chooses the same series.
///
/// `folder` and `series_uid` are NUL-terminated UTF-8 strings; `series_uid` is 1 to 64 digits and dots.
/// On success `*out` receives a new image, owned by the caller and freed with `rad_image_free`; on failure
/// `*out` is left as it was.
///
/// Returns `RAD_OK`; `RAD_INVALID_ARGUMENT` for a NULL argument, a `series_uid` that is not a UID, or a
/// UID the folder does not hold (the message lists the series it holds); `RAD_IO` when `folder` is not a
/// folder that can be read; `RAD_FORMAT` when the series is not a readable image. Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_load_series(
    folder: *const c_char,
    series_uid: *const c_char,
    out: *mut *mut rad_image,
) -> rad_status {
    boundary(|| {
        let folder = str_arg(folder, "folder")?;
        let uid = str_arg(series_uid, "series_uid")?;
        let out = out_ptr(out, "out")?;
        let image = crate::image::io::dicom::read_series_uid(folder, uid)?;
        write_out(out, rad_image::into_handle(image));
        Ok(())
    })
}

/// Makes an image from voxels in the caller's memory. The voxels are **copied** (converted to double):
/// the buffer may be freed or changed as soon as the call returns. The element type is kept with the
/// image, exactly as the file loaders keep a file's datatype: resampling (`resampledPixelSpacing`) rounds
/// interpolated values back to it (integer types clamp and truncate toward zero, `RAD_FLOAT32` rounds to
/// float), as PyRadiomics/ITK do. So int16 voxels passed as `RAD_INT16` give the features of the same
/// voxels read from an int16 file, bit for bit; pass `RAD_FLOAT64` for values that must not be rounded.
///
/// - `data`, `data_size`: the voxel buffer and its size in bytes; it must hold exactly
///   `dims[0] * dims[1] * dims[2]` elements of `dtype`, x varying fastest, then y, then z (C order of
///   an array indexed `[z][y][x]`, as numpy's `SimpleITK.GetArrayFromImage`). Any alignment.
/// - `dtype`: a `rad_dtype` value, native byte order.
/// - `dims`: number of voxels along x, y, z (each at least 1).
/// - `spacing`: voxel spacing along x, y, z in mm, each within [1e-6, 1e6] (a nanometre to a kilometre:
///   beyond, products such as a voxel's volume leave the range where features stay meaningful).
/// - `origin`: world position (LPS mm) of the centre of the first voxel, each coordinate finite and at
///   most 1e9 in magnitude.
/// - `direction`: direction cosines, row-major 3x3 (ITK's `GetDirection()` order: column `c` is the world
///   direction of axis `c`); must be orthonormal (each entry of DᵀD within 1e-4 of the identity's, so
///   that single-precision cosines pass). Pass the identity for an axis-aligned grid.
///
/// On success `*out` receives a new image, owned by the caller and freed with `rad_image_free`; on
/// failure `*out` is left as it was. Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL pointer, an
/// unknown dtype, zero dims, a `data_size` that disagrees with the dims, or an invalid geometry;
/// `RAD_LIMIT_EXCEEDED` for more than 2^31 voxels or when the memory for the copy cannot be allocated.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_from_buffer(
    data: *const c_void,
    data_size: usize,
    dtype: i32,
    dims: *const usize,
    spacing: *const f64,
    origin: *const f64,
    direction: *const f64,
    out: *mut *mut rad_image,
) -> rad_status {
    boundary(|| {
        if data.is_null() {
            return Err(super::error::null_arg("data"));
        }
        let dims: [usize; 3] = array_arg(dims, "dims")?;
        let spacing: [f64; 3] = array_arg(spacing, "spacing")?;
        let origin: [f64; 3] = array_arg(origin, "origin")?;
        let direction: [f64; 9] = array_arg(direction, "direction")?;
        let out = out_ptr(out, "out")?;
        let dtype = data_type(dtype).ok_or_else(|| {
            invalid(format!(
                "dtype {dtype} is not a rad_dtype (RAD_UINT8 = 1 ... RAD_FLOAT64 = 10)"
            ))
        })?;
        if dims.contains(&0) {
            return Err(invalid(format!(
                "dims {dims:?} (x, y, z): every dimension must be at least 1"
            )));
        }
        let n = dims[0]
            .checked_mul(dims[1])
            .and_then(|n| n.checked_mul(dims[2]));
        let bytes = n.and_then(|n| n.checked_mul(dtype.size()));
        let (Some(n), Some(bytes)) = (n, bytes) else {
            return Err(invalid(format!("dims {dims:?} overflow the address space")));
        };
        ReadOptions::default().check_voxels(Some(n), &format!("dims {dims:?} (x, y, z)"))?;
        if bytes != data_size {
            return Err(invalid(format!(
                "dims {dims:?} (x, y, z) of {} byte(s) per voxel need {bytes} bytes, but data_size is {data_size}",
                dtype.size()
            )));
        }
        // SAFETY: non-NULL, and by the C contract `data` points to `data_size` readable bytes, which we
        // have just checked equals the size the dims need.
        let raw = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), data_size) };
        // The copy is allocated fallibly (`RAD_LIMIT_EXCEEDED` when the memory cannot be had).
        let values = decode(raw, dtype, cfg!(target_endian = "little"), n)?;
        let array = Array3::from_shape_vec((dims[2], dims[1], dims[0]), values)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("voxel array: {e}")))?;
        let geometry = Geometry {
            spacing,
            origin,
            direction,
        };
        check_buffer_geometry(&geometry)?;
        // The buffer's element type is kept, as the file loaders keep theirs: resampling rounds back to it
        // (ITK resamples in the input's pixel type), so that int16 voxels give the same features whether
        // they come from a file or from memory.
        let image = Image::new(array, geometry)?.with_pixel_type(Some(dtype));
        write_out(out, rad_image::into_handle(image));
        Ok(())
    })
}

/// The largest magnitude of an origin coordinate `rad_image_from_buffer` accepts, in mm.
const MAX_ORIGIN: f64 = 1e9;
/// How far DᵀD may be from the identity, entry by entry, for a direction matrix `D` to count as
/// orthonormal.
const ORTHONORMAL_TOLERANCE: f64 = 1e-4;

/// The checks of a caller's geometry beyond [`Geometry::validate`] (finite, positive, invertible): a
/// spacing or origin no scanner gives (1e-200 mm voxels have a volume of 0, 1e200 mm ones an infinite
/// one) and a direction that is not a rotation (possibly with reflection), which ITK never produces.
fn check_buffer_geometry(g: &Geometry) -> Result<(), Error> {
    g.validate()?;
    let (lo, hi) = crate::image::PLAUSIBLE_SPACING_MM;
    for (axis, s) in ["x", "y", "z"].iter().zip(g.spacing) {
        if !(lo..=hi).contains(&s) {
            return Err(invalid(format!(
                "spacing along {axis} is {s:e} mm; it must lie within [{lo:e}, {hi:e}] mm"
            )));
        }
    }
    if g.origin.iter().any(|o| o.abs() > MAX_ORIGIN) {
        return Err(invalid(format!(
            "origin {:?} lies more than {MAX_ORIGIN:e} mm from 0",
            g.origin
        )));
    }
    let d = &g.direction;
    for i in 0..3 {
        for j in 0..3 {
            // Entry (i, j) of DᵀD: the dot product of columns i and j.
            let dot: f64 = (0..3).map(|r| d[3 * r + i] * d[3 * r + j]).sum();
            let want = if i == j { 1.0 } else { 0.0 };
            if (dot - want).abs() > ORTHONORMAL_TOLERANCE {
                return Err(invalid(format!(
                    "direction {d:?} is not orthonormal (columns {i} and {j} have dot product {dot}, not {want})"
                )));
            }
        }
    }
    Ok(())
}

/// Writes to `*dtype` the element type the image's voxels were stored in: the `rad_dtype` of the file's
/// datatype or of the caller's buffer, or 0 when the values have no stored type (a NIfTI file whose
/// `scl_slope`/`scl_inter` scale them: the scaled values are floating point, and behave as `RAD_FLOAT64`).
///
/// Copying the voxels with `rad_image_copy_voxels`, converting them to this type and passing them back to
/// `rad_image_from_buffer` (with the same geometry) gives an image whose features are bit-identical to
/// this one's. Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument (then nothing is written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_pixel_type(image: *const rad_image, dtype: *mut i32) -> rad_status {
    boundary(|| {
        let image = rad_image::borrow(image, "image")?;
        let out = out_ptr(dtype, "dtype")?;
        write_out(out, image.pixel_type().map_or(0, dtype_code));
        Ok(())
    })
}

/// Frees an image. NULL is ignored. The image must not be used afterwards, nor be in use by another
/// thread.
#[no_mangle]
pub extern "C" fn rad_image_free(image: *mut rad_image) {
    super::boundary_or((), || rad_image::free(image))
}

/// Writes the number of voxels along x, y, z to `size[0..3]`.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument (then nothing is written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_size(image: *const rad_image, size: *mut usize) -> rad_status {
    boundary(|| {
        let image = rad_image::borrow(image, "image")?;
        let out = out_ptr(size, "size")?;
        write_out(out.cast::<[usize; 3]>(), image.size());
        Ok(())
    })
}

/// Writes the voxel spacing along x, y, z, in mm, to `spacing[0..3]`.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument (then nothing is written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_spacing(image: *const rad_image, spacing: *mut f64) -> rad_status {
    boundary(|| {
        let image = rad_image::borrow(image, "image")?;
        let out = out_ptr(spacing, "spacing")?;
        write_out(out.cast::<[f64; 3]>(), image.geometry().spacing);
        Ok(())
    })
}

/// Writes the world position (LPS mm) of the centre of the first voxel to `origin[0..3]`.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument (then nothing is written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_origin(image: *const rad_image, origin: *mut f64) -> rad_status {
    boundary(|| {
        let image = rad_image::borrow(image, "image")?;
        let out = out_ptr(origin, "origin")?;
        write_out(out.cast::<[f64; 3]>(), image.geometry().origin);
        Ok(())
    })
}

/// Writes the direction cosines, row-major 3x3 (column `c` is the world direction of axis `c`), to
/// `direction[0..9]`.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument (then nothing is written).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_direction(image: *const rad_image, direction: *mut f64) -> rad_status {
    boundary(|| {
        let image = rad_image::borrow(image, "image")?;
        let out = out_ptr(direction, "direction")?;
        write_out(out.cast::<[f64; 9]>(), image.geometry().direction);
        Ok(())
    })
}

/// Copies the voxels, converted to double, into `out`, x varying fastest, then y, then z (C order of an
/// array indexed `[z][y][x]`). `count` is the number of doubles `out` holds; it must equal the number of
/// voxels (the product of `rad_image_size`).
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a NULL argument or a wrong `count` (then nothing is
/// written). Thread-safe.
#[no_mangle]
pub extern "C" fn rad_image_copy_voxels(
    image: *const rad_image,
    out: *mut f64,
    count: usize,
) -> rad_status {
    boundary(|| {
        let image = rad_image::borrow(image, "image")?;
        let out = out_ptr(out, "out")?;
        let data = image.data();
        if count != data.len() {
            return Err(invalid(format!(
                "count is {count}, but the image has {} voxels (size {:?})",
                data.len(),
                image.size()
            )));
        }
        // SAFETY: non-NULL, and by the C contract `out` holds `count` writable doubles; `count` is the
        // number of voxels.
        let dst = unsafe { std::slice::from_raw_parts_mut(out, count) };
        for (d, v) in dst.iter_mut().zip(data.iter()) {
            *d = *v;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    const ID: [f64; 9] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];

    fn from_buffer<T>(
        data: &[T],
        dtype: rad_dtype,
        dims: [usize; 3],
    ) -> (rad_status, *mut rad_image) {
        let mut img = null_mut();
        let st = rad_image_from_buffer(
            data.as_ptr().cast(),
            std::mem::size_of_val(data),
            dtype as i32,
            dims.as_ptr(),
            [0.5, 1.0, 2.0].as_ptr(),
            [1.0, 2.0, 3.0].as_ptr(),
            ID.as_ptr(),
            &mut img,
        );
        (st, img)
    }

    #[test]
    fn buffer_is_read_x_fastest_for_every_dtype() {
        let (st, img) = from_buffer(&[1i16, 2, 3, 4, 5, 6], rad_dtype::RadInt16, [3, 2, 1]);
        assert_eq!(st, rad_status::RadOk);
        let inner = rad_image::borrow(img, "img").unwrap();
        assert_eq!(inner.data()[[0, 1, 0]], 4.0);
        assert_eq!(inner.data()[[0, 0, 2]], 3.0);
        let mut size = [0usize; 3];
        assert_eq!(rad_image_size(img, size.as_mut_ptr()), rad_status::RadOk);
        assert_eq!(size, [3, 2, 1]);
        let mut spacing = [0.0; 3];
        assert_eq!(
            rad_image_spacing(img, spacing.as_mut_ptr()),
            rad_status::RadOk
        );
        assert_eq!(spacing, [0.5, 1.0, 2.0]);
        let mut voxels = [0.0; 6];
        assert_eq!(
            rad_image_copy_voxels(img, voxels.as_mut_ptr(), 6),
            rad_status::RadOk
        );
        assert_eq!(voxels, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            rad_image_copy_voxels(img, voxels.as_mut_ptr(), 5),
            rad_status::RadInvalidArgument
        );
        rad_image_free(img);

        let (st, img) = from_buffer(&[-1.5f32, 2.25], rad_dtype::RadFloat32, [1, 1, 2]);
        assert_eq!(st, rad_status::RadOk);
        assert_eq!(
            rad_image::borrow(img, "img").unwrap().data()[[1, 0, 0]],
            2.25
        );
        rad_image_free(img);
        let (st, img) = from_buffer(&[200u8, 7], rad_dtype::RadUint8, [2, 1, 1]);
        assert_eq!(st, rad_status::RadOk);
        assert_eq!(
            rad_image::borrow(img, "img").unwrap().data()[[0, 0, 0]],
            200.0
        );
        rad_image_free(img);
        let (st, img) = from_buffer(&[-7i64, 9], rad_dtype::RadInt64, [2, 1, 1]);
        assert_eq!(st, rad_status::RadOk);
        assert_eq!(
            rad_image::borrow(img, "img").unwrap().data()[[0, 0, 0]],
            -7.0
        );
        rad_image_free(img);
    }

    #[test]
    fn bad_buffers_are_refused_and_out_untouched() {
        let (st, img) = from_buffer(&[1u16, 2, 3], rad_dtype::RadUint16, [2, 2, 1]);
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(img.is_null());
        let (st, _) = from_buffer(&[1u16], rad_dtype::RadUint16, [1, 0, 1]);
        assert_eq!(st, rad_status::RadInvalidArgument);
        let mut img = null_mut();
        let st = rad_image_from_buffer(
            [1u8].as_ptr().cast(),
            1,
            42,
            [1usize, 1, 1].as_ptr(),
            [1.0; 3].as_ptr(),
            [0.0; 3].as_ptr(),
            ID.as_ptr(),
            &mut img,
        );
        assert_eq!(st, rad_status::RadInvalidArgument);
        let st = rad_image_from_buffer(
            [1u8].as_ptr().cast(),
            1,
            1,
            [1usize, 1, 1].as_ptr(),
            null(),
            [0.0; 3].as_ptr(),
            ID.as_ptr(),
            &mut img,
        );
        assert_eq!(st, rad_status::RadInvalidArgument);
        assert!(img.is_null());
    }

    #[test]
    fn absurd_geometry_is_refused_naming_it() {
        let make = |spacing: [f64; 3], origin: [f64; 3], direction: [f64; 9]| {
            let mut img = null_mut();
            let st = rad_image_from_buffer(
                [1u8; 8].as_ptr().cast(),
                8,
                rad_dtype::RadUint8 as i32,
                [2usize, 2, 2].as_ptr(),
                spacing.as_ptr(),
                origin.as_ptr(),
                direction.as_ptr(),
                &mut img,
            );
            // SAFETY: the message is a NUL-terminated string owned by this thread.
            let msg = unsafe { std::ffi::CStr::from_ptr(crate::capi::rad_last_error_message()) }
                .to_string_lossy()
                .into_owned();
            if !img.is_null() {
                rad_image_free(img);
            }
            (st, msg)
        };
        let o = [0.0; 3];
        for (spacing, origin, direction, needle) in [
            ([1e-200, 1.0, 1.0], o, ID, "spacing along x"),
            ([1.0, 1e200, 1.0], o, ID, "spacing along y"),
            ([1.0, 1.0, 0.0], o, ID, "spacing along z"),
            ([1.0, 1.0, f64::NAN], o, ID, "spacing along z"),
            ([1.0; 3], [1e300, 0.0, 0.0], ID, "origin"),
            ([1.0; 3], [0.0, f64::INFINITY, 0.0], ID, "origin"),
            (
                [1.0; 3],
                o,
                [2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                "not orthonormal",
            ),
            (
                [1.0; 3],
                o,
                [1.0, 0.5, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                "not orthonormal",
            ),
        ] {
            let (st, msg) = make(spacing, origin, direction);
            assert_eq!(st, rad_status::RadInvalidArgument, "{spacing:?} {origin:?}");
            assert!(msg.contains(needle), "{msg}");
        }
        // A rotation, a reflection and single-precision cosines are orthonormal.
        let c = (0.5f32.sqrt()) as f64;
        for direction in [
            [0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            [-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            [c, -c, 0.0, c, c, 0.0, 0.0, 0.0, 1.0],
        ] {
            let (st, msg) = make([0.5, 0.5, 3.0], [-120.0, 80.5, 1e6], direction);
            assert_eq!(st, rad_status::RadOk, "{direction:?}: {msg}");
        }
    }

    #[test]
    fn more_voxels_than_the_limit_is_limit_exceeded_before_reading() {
        // 2^33 one-byte voxels claimed for a one-byte buffer: refused before the buffer is read.
        let dims = [1usize << 16, 1 << 16, 2];
        let mut img = null_mut();
        let st = rad_image_from_buffer(
            [1u8].as_ptr().cast(),
            1 << 33,
            rad_dtype::RadUint8 as i32,
            dims.as_ptr(),
            [1.0; 3].as_ptr(),
            [0.0; 3].as_ptr(),
            ID.as_ptr(),
            &mut img,
        );
        assert_eq!(st, rad_status::RadLimitExceeded);
        assert!(img.is_null());
        // SAFETY: the message is a NUL-terminated string owned by this thread.
        let msg = unsafe { std::ffi::CStr::from_ptr(crate::capi::rad_last_error_message()) };
        assert!(msg
            .to_string_lossy()
            .contains("exceeds the limit of 2147483648 voxels"));
    }

    #[test]
    fn nulls_are_refused() {
        assert_eq!(
            rad_image_load(null(), &mut null_mut()),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_image_load(c"x.nii".as_ptr(), null_mut()),
            rad_status::RadInvalidArgument
        );
        assert_eq!(
            rad_image_size(null(), [0usize; 3].as_mut_ptr()),
            rad_status::RadInvalidArgument
        );
        rad_image_free(null_mut());
    }

    #[test]
    fn missing_file_is_io() {
        let mut img = null_mut();
        let st = rad_image_load(c"/nonexistent/none.nii.gz".as_ptr(), &mut img);
        assert_eq!(st, rad_status::RadIo);
        assert!(img.is_null());
    }
}
