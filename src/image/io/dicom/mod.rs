//! DICOM in: image series ([`read_series`]), Segmentation objects ([`seg`]) and RT Structure Sets
//! ([`rtstruct`]), parsed with the dicom-rs crates (`dicom-object`, and `dicom-pixeldata` for
//! compressed pixel data).
//!
//! # Image series
//! A folder holding one series, one file per slice (any file names; files that are not DICOM, or DICOM
//! objects that are not images, such as SEG or RTSTRUCT files, are skipped), becomes one 3D volume in LPS
//! world coordinates, as ITK's `ImageSeriesReader` builds it:
//! - slices are ordered by their position along the slice normal (`ImageOrientationPatient`'s row × column
//!   direction), not by `InstanceNumber` or file name;
//! - the origin is the first slice's `ImagePositionPatient`; the direction's columns are the row
//!   direction, the column direction and the slice normal, made orthonormal as ITK's `GDCMImageIO` makes
//!   them (the column direction kept, the normal = row × column, the row = column × normal, each of unit
//!   length); the spacing is `PixelSpacing` (column spacing along x, row spacing along y) and, along z,
//!   the distance from the first slice to the last divided by the number of gaps (1 mm for one slice);
//! - `RescaleSlope` / `RescaleIntercept` are applied; stored values honour `BitsStored` and
//!   `PixelRepresentation`;
//! - transfer syntaxes: implicit and explicit VR little endian, deflated explicit VR little endian,
//!   explicit VR big endian, and the compressed syntaxes `dicom-pixeldata` decodes in pure Rust (JPEG
//!   baseline, extended and lossless, RLE lossless). Others (JPEG 2000, JPEG-LS) are refused by name.
//!
//! Checked, each an error naming a file: slices of different size, orientation or pixel spacing, two
//! slices at one position, uneven gaps between slices (a missing slice), multi-frame or colour images.
//! A folder with several series is an error listing them. One is chosen by naming it after the folder,
//! `FOLDER#UID` (the folder, `#`, its SeriesInstanceUID; see [`series_path`]), wherever an image path is
//! accepted, or by the path of one file of the series rather than the folder.

mod parse;
pub mod rtstruct;
pub mod seg;

use std::path::{Path, PathBuf};

use dicom_core::header::HasLength;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use ndarray::Array3;

use super::{DataType, ReadOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{Geometry, Image};

/// A DICOM data set or sequence item.
pub(crate) type Item = InMemDicomObject;

/// SOP class of a Segmentation object.
pub(crate) const SEG_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.66.4";
/// SOP class of an RT Structure Set.
pub(crate) const RTSTRUCT_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.481.3";

/// Whether the file at `path` is a DICOM file (Part 10: `DICM` after a 128-byte preamble).
pub fn is_dicom_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 132];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head[128..] == b"DICM"
}

/// What separates a folder from the SeriesInstanceUID of the series chosen in it: `FOLDER#UID`.
pub const SERIES_SEPARATOR: char = '#';

/// The path that chooses the series `uid` in `folder`: `FOLDER#UID`, read by [`read_series`] and
/// [`read_image`](super::read_image) as that series.
pub fn series_path(folder: impl AsRef<Path>, uid: &str) -> PathBuf {
    let mut p = folder.as_ref().as_os_str().to_owned();
    p.push(SERIES_SEPARATOR.to_string());
    p.push(uid);
    PathBuf::from(p)
}

/// `(folder, uid)` when `path` chooses a series as `FOLDER#UID`: nothing exists at `path` itself, the part
/// before the last `#` is a folder, and the part after it is a UID (digits and dots, 1 to 64 characters).
pub fn split_series_path(path: &Path) -> Option<(PathBuf, String)> {
    if path.exists() {
        return None;
    }
    let text = path.to_str()?;
    let (folder, uid) = text.rsplit_once(SERIES_SEPARATOR)?;
    let is_uid =
        (1..=64).contains(&uid.len()) && uid.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let folder = PathBuf::from(folder);
    (is_uid && folder.is_dir()).then(|| (folder, uid.to_string()))
}

/// What a DICOM file holds, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DicomKind {
    /// An image (one slice of a series).
    Image,
    /// A Segmentation object.
    Segmentation,
    /// An RT Structure Set.
    StructureSet,
    /// Anything else.
    Other,
}

/// What the DICOM file at `path` holds (read from its header only).
pub fn dicom_kind(path: &Path) -> Result<DicomKind> {
    let obj = open(path, &ReadOptions::default(), true)?;
    Ok(kind_of(&obj))
}

fn kind_of(obj: &DefaultDicomObject) -> DicomKind {
    let class = text(obj, tags::SOP_CLASS_UID).unwrap_or_else(|| {
        obj.meta()
            .media_storage_sop_class_uid()
            .trim_end_matches('\0')
            .to_string()
    });
    let modality = text(obj, tags::MODALITY).unwrap_or_default();
    if class == SEG_SOP_CLASS || modality == "SEG" {
        DicomKind::Segmentation
    } else if class == RTSTRUCT_SOP_CLASS || modality == "RTSTRUCT" {
        DicomKind::StructureSet
    } else if obj.get(tags::ROWS).is_some() && obj.get(tags::COLUMNS).is_some() {
        DicomKind::Image
    } else {
        DicomKind::Other
    }
}

/// Opens a DICOM file: its header (all but the pixel data) when `header_only`, else all of it. The file
/// may be at most [`ReadOptions::max_inflated_bytes`] long, and is read into memory before it is parsed,
/// so that no declared length reaches past its end ([`parse`]); a malformed file is
/// [`ErrorKind::Format`] (a panic of the parser is caught and reported as one).
pub(crate) fn open(
    path: &Path,
    options: &ReadOptions,
    header_only: bool,
) -> Result<DefaultDicomObject> {
    use std::io::Read;
    let limit = options.max_inflated_bytes();
    let too_long = |len: u64| {
        Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "'{}' is {len} bytes, more than the {limit} bytes ReadOptions::max_voxels allows",
                path.display()
            ),
        )
    };
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, "read", &e))?
        .len();
    if len > limit as u64 {
        return Err(too_long(len));
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(len as usize)
        .map_err(|_| too_long(len))?;
    std::fs::File::open(path)
        .and_then(|f| f.take(limit as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, "read", &e))?;
    if bytes.len() > limit {
        return Err(too_long(bytes.len() as u64));
    }
    let parsed = std::panic::catch_unwind(|| parse::parse(&bytes, header_only, limit));
    match parsed {
        Ok(Ok(obj)) => Ok(obj),
        Ok(Err(e)) if e.kind() == ErrorKind::Format => Err(Error::format(format!(
            "'{}' is not a readable DICOM file ({})",
            path.display(),
            e.message()
        ))),
        Ok(Err(e)) => Err(e.context(format!("'{}'", path.display()))),
        Err(_) => Err(Error::format(format!(
            "'{}' is not a readable DICOM file (the parser failed)",
            path.display()
        ))),
    }
}

/// The text of `tag` in `item`, trimmed of DICOM padding; `None` when absent or empty.
pub(crate) fn text(item: &Item, tag: dicom_core::Tag) -> Option<String> {
    let v = item.get(tag)?.to_str().ok()?;
    let v = v.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!v.is_empty()).then(|| v.to_string())
}

/// The numbers of `tag` in `item` (decimal strings or binary), `None` when absent; an error naming `name`
/// when unreadable, not `n` values (unless `n` is 0: any count) or not finite.
pub(crate) fn numbers(
    item: &Item,
    tag: dicom_core::Tag,
    name: &str,
    n: usize,
) -> Result<Option<Vec<f64>>> {
    let Some(e) = item.get(tag) else {
        return Ok(None);
    };
    if e.value().primitive().is_some_and(|p| p.is_empty()) {
        return Ok(None);
    }
    let v = e
        .to_multi_float64()
        .map_err(|_| Error::format(format!("{name} is not a list of numbers")))?;
    if (n > 0 && v.len() != n) || v.iter().any(|x| !x.is_finite()) {
        return Err(Error::format(format!(
            "{name} {v:?} must hold {} finite numbers",
            if n > 0 { n.to_string() } else { "only".into() }
        )));
    }
    Ok(Some(v))
}

/// The integer of `tag` in `item`, `None` when absent or not an integer.
pub(crate) fn integer(item: &Item, tag: dicom_core::Tag) -> Option<i64> {
    item.get(tag)?.to_int::<i64>().ok()
}

/// The first item of the sequence `tag` in `item`.
pub(crate) fn first_item(item: &Item, tag: dicom_core::Tag) -> Option<&Item> {
    item.get(tag)?.items()?.first()
}

/// The items of the sequence `tag` in `item` (none when absent).
pub(crate) fn items(item: &Item, tag: dicom_core::Tag) -> &[Item] {
    item.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

/// Cross product.
pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// One slice file of a series, from its header.
#[derive(Debug, Clone)]
struct Slice {
    path: PathBuf,
    position: [f64; 3],
    orientation: [f64; 6],
    pixel_spacing: [f64; 2],
    rows: usize,
    columns: usize,
    frames: i64,
}

/// A series found in a folder.
#[derive(Debug, Clone)]
pub struct SeriesInfo {
    /// SeriesInstanceUID.
    pub uid: String,
    /// SeriesDescription (empty when absent).
    pub description: String,
    /// Modality (CT, MR, PT, ...).
    pub modality: String,
    /// FrameOfReferenceUID, when given.
    pub frame_of_reference: Option<String>,
    /// Number of image files of the series in the folder.
    pub files: usize,
    slices: Vec<Slice>,
}

/// The image series in the folder `dir` (or, when `path` is a file, the series of that file in its
/// folder; for `FOLDER#UID`, that series in the folder), from the files' headers. Files that are not DICOM
/// images are skipped.
pub fn list_series(path: &Path) -> Result<Vec<SeriesInfo>> {
    let options = ReadOptions::default();
    let (dir, only) = if let Some((dir, uid)) = split_series_path(path) {
        (dir, Some(uid))
    } else if path.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let obj = open(path, &options, true)?;
        if kind_of(&obj) != DicomKind::Image {
            return Err(Error::format(format!(
                "'{}' is a DICOM file but not an image",
                path.display()
            )));
        }
        let uid = text(&obj, tags::SERIES_INSTANCE_UID).unwrap_or_default();
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        (dir, Some(uid))
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, "list", &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    let mut series: Vec<SeriesInfo> = Vec::new();
    for p in entries {
        if !is_dicom_file(&p) {
            continue;
        }
        let obj = open(&p, &options, true)?;
        if kind_of(&obj) != DicomKind::Image {
            continue;
        }
        let uid = text(&obj, tags::SERIES_INSTANCE_UID).unwrap_or_default();
        if only.as_ref().is_some_and(|o| *o != uid) {
            continue;
        }
        let slice = slice_of(&obj, &p).map_err(|e| e.context(format!("'{}'", p.display())))?;
        match series.iter_mut().find(|s| s.uid == uid) {
            Some(s) => {
                s.files += 1;
                s.slices.push(slice);
            }
            None => series.push(SeriesInfo {
                uid,
                description: text(&obj, tags::SERIES_DESCRIPTION).unwrap_or_default(),
                modality: text(&obj, tags::MODALITY).unwrap_or_default(),
                frame_of_reference: text(&obj, tags::FRAME_OF_REFERENCE_UID),
                files: 1,
                slices: vec![slice],
            }),
        }
    }
    Ok(series)
}

fn slice_of(obj: &Item, path: &Path) -> Result<Slice> {
    let need = |v: Option<Vec<f64>>, name: &str| {
        v.ok_or_else(|| Error::format(format!("the image has no {name}")))
    };
    let position = need(
        numbers(obj, tags::IMAGE_POSITION_PATIENT, "ImagePositionPatient", 3)?,
        "ImagePositionPatient",
    )?;
    let orientation = need(
        numbers(
            obj,
            tags::IMAGE_ORIENTATION_PATIENT,
            "ImageOrientationPatient",
            6,
        )?,
        "ImageOrientationPatient",
    )?;
    let pixel_spacing = numbers(obj, tags::PIXEL_SPACING, "PixelSpacing", 2)?
        .or(numbers(
            obj,
            tags::IMAGER_PIXEL_SPACING,
            "ImagerPixelSpacing",
            2,
        )?)
        .unwrap_or(vec![1.0, 1.0]);
    let dim = |tag, name: &str| {
        integer(obj, tag)
            .filter(|&v| v > 0)
            .map(|v| v as usize)
            .ok_or_else(|| Error::format(format!("the image has no valid {name}")))
    };
    Ok(Slice {
        path: path.to_path_buf(),
        position: [position[0], position[1], position[2]],
        orientation: orientation.try_into().expect("6 values"),
        pixel_spacing: [pixel_spacing[0], pixel_spacing[1]],
        rows: dim(tags::ROWS, "Rows")?,
        columns: dim(tags::COLUMNS, "Columns")?,
        frames: integer(obj, tags::NUMBER_OF_FRAMES).unwrap_or(1),
    })
}

/// One line per series: UID, modality, description, number of files, one file's path.
fn describe(all: &[SeriesInfo]) -> String {
    let list: Vec<String> = all
        .iter()
        .map(|s| {
            format!(
                "{} ({}{}{}, {} files, e.g. '{}')",
                s.uid,
                s.modality,
                if s.description.is_empty() { "" } else { " " },
                s.description,
                s.files,
                s.slices[0].path.display()
            )
        })
        .collect();
    list.join("; ")
}

/// The one series of `path` (a folder, `FOLDER#UID`, or one file of the series): an error listing the
/// series when the folder holds several, or none. A UID the folder does not hold is
/// [`ErrorKind::InvalidArgument`], listing the series it holds.
pub fn find_series(path: &Path) -> Result<SeriesInfo> {
    let mut all = list_series(path)?;
    if let (Some((dir, uid)), true) = (split_series_path(path), all.is_empty()) {
        let held = list_series(&dir)?;
        return Err(Error::invalid(format!(
            "'{}' holds no DICOM image series {uid}; it holds {}",
            dir.display(),
            if held.is_empty() {
                "none".to_string()
            } else {
                describe(&held)
            }
        )));
    }
    match all.len() {
        0 => Err(Error::format(format!(
            "'{}' holds no DICOM image files",
            path.display()
        ))),
        1 => Ok(all.pop().expect("one series")),
        _ => Err(Error::format(format!(
            "'{}' holds {} DICOM series: {}; choose one as '{}' (the command line's --series UID), or \
             by the path of one of its files",
            path.display(),
            all.len(),
            describe(&all),
            series_path(path, "UID").display()
        ))),
    }
}

/// Reads the image series of `path` (a folder holding one series, `FOLDER#UID` for the series `UID` in a
/// folder, or one file of the series wanted) as one volume; see the module docs.
pub fn read_series(path: impl AsRef<Path>) -> Result<Image> {
    read_series_with(path, &ReadOptions::default())
}

/// As [`read_series`], with the limits of `options`.
pub fn read_series_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Image> {
    let path = path.as_ref();
    let series = find_series(path)?;
    load_series(&series, options)
}

/// Reads the series `uid` (its SeriesInstanceUID) of the folder `folder`: as [`read_series`] of
/// `FOLDER#UID`. Errors: `uid` not a UID (1 to 64 digits and dots) or not in the folder
/// ([`ErrorKind::InvalidArgument`]; the message lists the folder's series), `folder` not a folder
/// ([`ErrorKind::Io`]), and those of [`read_series`].
pub fn read_series_uid(folder: impl AsRef<Path>, uid: &str) -> Result<Image> {
    let folder = folder.as_ref();
    if uid.is_empty() || uid.len() > 64 || !uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(Error::invalid(format!(
            "series '{uid}': a SeriesInstanceUID is 1 to 64 digits and dots"
        )));
    }
    if !folder.is_dir() {
        return Err(Error::new(
            ErrorKind::Io,
            format!("'{}' is not a folder", folder.display()),
        ));
    }
    read_series(series_path(folder, uid))
}

/// The slices of `series` ordered along the normal, and the volume's geometry.
fn series_geometry(series: &SeriesInfo) -> Result<(Vec<&Slice>, Geometry)> {
    let first = &series.slices[0];
    for s in &series.slices {
        let name = s.path.display();
        if s.frames > 1 {
            return Err(Error::format(format!(
                "'{name}' is a multi-frame image ({} frames); a series of single-frame files is needed",
                s.frames
            )));
        }
        if (s.rows, s.columns) != (first.rows, first.columns) {
            return Err(Error::format(format!(
                "'{name}' has {}x{} pixels, '{}' {}x{}: the series mixes slice sizes",
                s.columns,
                s.rows,
                first.path.display(),
                first.columns,
                first.rows
            )));
        }
        if s.orientation
            .iter()
            .zip(&first.orientation)
            .any(|(a, b)| (a - b).abs() > 1e-4)
        {
            return Err(Error::format(format!(
                "'{name}' has ImageOrientationPatient {:?}, '{}' {:?}: the series mixes orientations",
                s.orientation,
                first.path.display(),
                first.orientation
            )));
        }
        if s.pixel_spacing
            .iter()
            .zip(&first.pixel_spacing)
            .any(|(a, b)| (a - b).abs() > 1e-4 * b.abs())
        {
            return Err(Error::format(format!(
                "'{name}' has PixelSpacing {:?}, '{}' {:?}: the series mixes pixel spacings",
                s.pixel_spacing,
                first.path.display(),
                first.pixel_spacing
            )));
        }
    }
    let o = first.orientation;
    let row = [o[0], o[1], o[2]];
    let col = [o[3], o[4], o[5]];
    let unit = |v: [f64; 3]| {
        let n = dot(v, v).sqrt();
        [v[0] / n, v[1] / n, v[2] / n]
    };
    let normal = cross(row, col);
    if dot(normal, normal).sqrt() <= 0.5 || !normal.iter().all(|v| v.is_finite()) {
        return Err(Error::format(format!(
            "'{}': ImageOrientationPatient {o:?} does not give two independent directions",
            first.path.display()
        )));
    }
    // As ITK (GDCMImageIO) makes the direction orthonormal: the column direction is kept, the normal is
    // row x column, the row direction column x normal, each scaled to unit length.
    let normal = unit(normal);
    let col = unit(col);
    let row = unit(cross(col, normal));
    let mut slices: Vec<&Slice> = series.slices.iter().collect();
    slices.sort_by(|a, b| dot(a.position, normal).total_cmp(&dot(b.position, normal)));
    let n = slices.len();
    let mut g = Geometry {
        spacing: [first.pixel_spacing[1], first.pixel_spacing[0], 1.0],
        origin: slices[0].position,
        direction: [
            row[0], col[0], normal[0], row[1], col[1], normal[1], row[2], col[2], normal[2],
        ],
    };
    if n > 1 {
        let (p0, p1) = (slices[0].position, slices[n - 1].position);
        let d = [p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]];
        let len = dot(d, d).sqrt();
        let step = len / (n - 1) as f64;
        // Each gap must be the typical (median) one: a missing slice, two slices at one position or
        // uneven spacing is an error naming the two slices around the odd gap.
        let gaps: Vec<f64> = slices
            .windows(2)
            .map(|w| dot(w[1].position, normal) - dot(w[0].position, normal))
            .collect();
        let mut sorted = gaps.clone();
        sorted.sort_by(f64::total_cmp);
        let typical = sorted[sorted.len() / 2];
        for (w, gap) in slices.windows(2).zip(&gaps) {
            if typical.is_nan() || typical <= 0.0 || (gap - typical).abs() > 1e-3 * typical {
                return Err(Error::format(format!(
                    "slices '{}' and '{}' are {gap} mm apart along the normal, where the series' slices are \
                     {typical} mm apart: a slice is missing or repeated, or the spacing is uneven",
                    w[0].path.display(),
                    w[1].path.display()
                )));
            }
        }
        // Slices stacked askew (a gantry tilt) would need a sheared grid.
        let along = dot(d, normal) / len;
        if along < 1.0 - 1e-6 {
            return Err(Error::format(format!(
                "the slices from '{}' to '{}' are not stacked along their normal (angle {:.3} degrees, a \
                 gantry tilt?): a sheared volume is not supported",
                slices[0].path.display(),
                slices[n - 1].path.display(),
                along.min(1.0).acos().to_degrees()
            )));
        }
        g.spacing[2] = step;
    }
    Ok((slices, g))
}

/// The FrameOfReferenceUID of the series of `path` (a folder or one of its files), if it has one.
pub fn series_frame_of_reference(path: &Path) -> Result<Option<String>> {
    Ok(find_series(path)?.frame_of_reference)
}

fn load_series(series: &SeriesInfo, options: &ReadOptions) -> Result<Image> {
    let (slices, g) = series_geometry(series)?;
    let (nx, ny, nz) = (slices[0].columns, slices[0].rows, slices.len());
    let n = options.check_voxels(
        nx.checked_mul(ny).and_then(|v| v.checked_mul(nz)),
        &format!("DICOM series of {nz} slices of {nx}x{ny}"),
    )?;
    let mut values: Vec<f64> = Vec::new();
    values.try_reserve_exact(n).map_err(|_| {
        Error::new(
            ErrorKind::LimitExceeded,
            format!("cannot allocate {n} voxels"),
        )
    })?;
    let mut types = Vec::new();
    for s in &slices {
        let obj = open(&s.path, options, false)?;
        let (v, t) =
            slice_pixels(&obj, nx, ny).map_err(|e| e.context(format!("'{}'", s.path.display())))?;
        values.extend(v);
        types.push(t);
    }
    let pixel_type = types.iter().copied().reduce(wider);
    let arr = Array3::from_shape_vec((nz, ny, nx), values).expect("shape matches length");
    // Geometry the files cannot describe (a zero spacing) is a fault of the files.
    Image::new(arr, g)
        .map(|i| i.with_pixel_type(pixel_type))
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidArgument => Error::format(e.message()),
            _ => e,
        })
}

/// The smaller type that holds both (as ITK reads a series in one pixel type).
fn wider(a: DataType, b: DataType) -> DataType {
    if a == b {
        return a;
    }
    let rank = |t: DataType| match t {
        DataType::U8 => 0,
        DataType::I8 => 1,
        DataType::U16 => 2,
        DataType::I16 => 3,
        DataType::U32 => 4,
        DataType::I32 => 5,
        _ => 9,
    };
    let (lo, hi) = if rank(a) < rank(b) { (a, b) } else { (b, a) };
    match (lo, hi) {
        (DataType::U8, DataType::I8) => DataType::I16,
        (DataType::U16, DataType::I16) | (DataType::I8, DataType::U16) => DataType::I32,
        (_, DataType::U32) if matches!(lo, DataType::I8 | DataType::I16) => DataType::F64,
        (_, hi) if rank(hi) < 9 => hi,
        _ => DataType::F64,
    }
}

/// How the stored values of an image are laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PixelFormat {
    pub bits_allocated: usize,
    pub bits_stored: usize,
    pub signed: bool,
}

pub(crate) fn pixel_format(obj: &Item) -> Result<PixelFormat> {
    let bits_allocated = integer(obj, tags::BITS_ALLOCATED).unwrap_or(0);
    let bits_stored = integer(obj, tags::BITS_STORED).unwrap_or(bits_allocated);
    if !matches!(bits_allocated, 1 | 8 | 16 | 32) || bits_stored < 1 || bits_stored > bits_allocated
    {
        return Err(Error::format(format!(
            "unsupported BitsAllocated {bits_allocated} / BitsStored {bits_stored}"
        )));
    }
    let spp = integer(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    if spp != 1 {
        return Err(Error::format(format!(
            "{spp} samples per pixel (colour); a greyscale image is needed"
        )));
    }
    Ok(PixelFormat {
        bits_allocated: bits_allocated as usize,
        bits_stored: bits_stored as usize,
        signed: integer(obj, tags::PIXEL_REPRESENTATION) == Some(1),
    })
}

/// The pixel data bytes of `obj`, native byte order, frames one after another: the stored bytes for the
/// native transfer syntaxes, decoded by `dicom-pixeldata` for the compressed ones.
pub(crate) fn pixel_bytes(obj: &DefaultDicomObject) -> Result<Vec<u8>> {
    let e = obj
        .get(tags::PIXEL_DATA)
        .ok_or_else(|| Error::format("the file has no PixelData"))?;
    if e.fragments().is_none() {
        return e
            .to_bytes()
            .map(|b| b.into_owned())
            .map_err(|_| Error::format("PixelData is not readable as bytes"));
    }
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    use dicom_pixeldata::PixelDecoder;
    let decoded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| obj.decode_pixel_data()));
    match decoded {
        Ok(Ok(d)) => Ok(d.data().to_vec()),
        Ok(Err(e)) => Err(Error::format(format!(
            "cannot decode PixelData of transfer syntax {ts} ({e})"
        ))),
        Err(_) => Err(Error::format(format!(
            "cannot decode PixelData of transfer syntax {ts} (the decoder failed)"
        ))),
    }
}

/// The stored values of `count` pixels starting at pixel `first` of `bytes`, as integers.
pub(crate) fn stored_values(
    bytes: &[u8],
    f: PixelFormat,
    first: usize,
    count: usize,
) -> Result<Vec<i64>> {
    let end_bit = (first + count)
        .checked_mul(f.bits_allocated)
        .ok_or_else(|| Error::format("pixel data size overflows"))?;
    if bytes.len() * 8 < end_bit {
        return Err(Error::format(format!(
            "PixelData is truncated: {} bytes, {} needed",
            bytes.len(),
            end_bit.div_ceil(8)
        )));
    }
    let mask: u64 = if f.bits_stored >= 64 {
        u64::MAX
    } else {
        (1u64 << f.bits_stored) - 1
    };
    let widen = |raw: u64| -> i64 {
        let v = raw & mask;
        if f.signed && f.bits_stored < 64 && v >> (f.bits_stored - 1) & 1 == 1 {
            (v | !mask) as i64
        } else {
            v as i64
        }
    };
    let ne = cfg!(target_endian = "little");
    let mut out = Vec::with_capacity(count);
    match f.bits_allocated {
        1 => {
            // Bits packed across frames, least significant bit first.
            for p in first..first + count {
                out.push(((bytes[p / 8] >> (p % 8)) & 1) as i64);
            }
        }
        8 => out.extend(bytes[first..first + count].iter().map(|&b| widen(b as u64))),
        16 => out.extend(
            bytes[2 * first..2 * (first + count)]
                .chunks_exact(2)
                .map(|c| {
                    let a = [c[0], c[1]];
                    widen(if ne {
                        u16::from_le_bytes(a)
                    } else {
                        u16::from_be_bytes(a)
                    } as u64)
                }),
        ),
        _ => out.extend(
            bytes[4 * first..4 * (first + count)]
                .chunks_exact(4)
                .map(|c| {
                    let a = [c[0], c[1], c[2], c[3]];
                    widen(if ne {
                        u32::from_le_bytes(a)
                    } else {
                        u32::from_be_bytes(a)
                    } as u64)
                }),
        ),
    }
    Ok(out)
}

/// The rescaled values of one slice, and the pixel type ITK (GDCM) would read them in: the smallest
/// integer type holding the rescaled range of the stored type when slope and intercept are integers,
/// else `f64`.
fn slice_pixels(obj: &DefaultDicomObject, nx: usize, ny: usize) -> Result<(Vec<f64>, DataType)> {
    let f = pixel_format(obj)?;
    if f.bits_allocated == 1 {
        return Err(Error::format(
            "1-bit image pixels are only supported in SEG objects",
        ));
    }
    let bytes = pixel_bytes(obj)?;
    let raw = stored_values(&bytes, f, 0, nx * ny)?;
    let slope = numbers(obj, tags::RESCALE_SLOPE, "RescaleSlope", 1)?.map_or(1.0, |v| v[0]);
    let intercept =
        numbers(obj, tags::RESCALE_INTERCEPT, "RescaleIntercept", 1)?.map_or(0.0, |v| v[0]);
    let (lo, hi) = if f.signed {
        (
            -(1i64 << (f.bits_stored - 1)) as f64,
            ((1i64 << (f.bits_stored - 1)) - 1) as f64,
        )
    } else {
        (0.0, ((1u64 << f.bits_stored) - 1) as f64)
    };
    let ty = if slope.fract() == 0.0 && intercept.fract() == 0.0 {
        let (a, b) = (lo * slope + intercept, hi * slope + intercept);
        let (min, max) = (a.min(b), a.max(b));
        [
            (DataType::U8, 0.0, 255.0),
            (DataType::I8, -128.0, 127.0),
            (DataType::U16, 0.0, 65535.0),
            (DataType::I16, -32768.0, 32767.0),
            (DataType::U32, 0.0, 4294967295.0),
            (DataType::I32, -2147483648.0, 2147483647.0),
        ]
        .iter()
        .find(|(_, l, h)| min >= *l && max <= *h)
        .map_or(DataType::F64, |t| t.0)
    } else {
        DataType::F64
    };
    Ok((
        raw.into_iter()
            .map(|v| v as f64 * slope + intercept)
            .collect(),
        ty,
    ))
}

/// Whether `path` is a DICOM SEG or RT Structure Set file: a mask placed on an image's grid.
pub fn is_dicom_mask(path: &Path) -> bool {
    path.is_file()
        && is_dicom_file(path)
        && matches!(
            dicom_kind(path),
            Ok(DicomKind::Segmentation | DicomKind::StructureSet)
        )
}

/// The number of the segment (SEG) or ROI (RTSTRUCT) named `name` in the file at `path`.
pub fn label_number(path: &Path, name: &str) -> Result<i64> {
    let (what, list) = match dicom_kind(path)? {
        DicomKind::Segmentation => ("segment", seg::segments(path)?),
        DicomKind::StructureSet => ("ROI", rtstruct::rois(path)?),
        _ => {
            return Err(Error::invalid(format!(
            "'{}' is not a DICOM SEG or RTSTRUCT file: a label name needs one; give a label number",
            path.display()
        )))
        }
    };
    list.iter()
        .find(|(_, l)| l == name)
        .map(|(n, _)| *n)
        .ok_or_else(|| {
            let names: Vec<String> = list.iter().map(|(n, l)| format!("{n} '{l}'")).collect();
            Error::invalid(format!(
                "'{}' has no {what} named '{name}'; it has: {}",
                path.display(),
                names.join(", ")
            ))
        })
}

/// The mask of segment / ROI number `label` of the SEG or RTSTRUCT file at `mask_path`, on the grid of
/// `image`. When `image_path` is a DICOM series, its FrameOfReferenceUID must be the mask's; for an image
/// from another format the mask is placed by world coordinates alone.
pub fn read_mask_on(
    mask_path: &Path,
    label: i64,
    image_path: Option<&Path>,
    image: &Image,
) -> Result<crate::image::Mask> {
    let options = ReadOptions::default();
    let frame_of_reference = match image_path {
        Some(p) if p.is_dir() || is_dicom_file(p) || split_series_path(p).is_some() => {
            series_frame_of_reference(p)?
        }
        _ => None,
    };
    let (g, size) = (image.geometry(), image.size());
    match dicom_kind(mask_path)? {
        DicomKind::Segmentation => seg::read_seg_mask(
            mask_path,
            label,
            g,
            size,
            frame_of_reference.as_deref(),
            &options,
        ),
        DicomKind::StructureSet => rtstruct::read_rtstruct_mask(
            mask_path,
            label,
            g,
            size,
            frame_of_reference.as_deref(),
            &options,
        ),
        _ => Err(Error::format(format!(
            "'{}' is not a DICOM SEG or RTSTRUCT file",
            mask_path.display()
        ))),
    }
}
