//! PyRadiomics' provenance output: the `diagnostics_*` entries that `featureextractor.execute` puts
//! before the features when `additionalInfo` is true (its default).
//!
//! # Entries, in PyRadiomics' order
//! | entry | value |
//! | --- | --- |
//! | `Versions_PyRadiomics` | this library's version, `radiomics <version> (Rust)` |
//! | `Versions_Numpy`, `Versions_SimpleITK`, `Versions_PyWavelet`, `Versions_Python` | `n/a`: none of them computes anything here |
//! | `Configuration_Settings` | the general settings as PyRadiomics' `str(dict)`: its defaults, then the parameter file's `setting` and `voxelSetting` keys in file order |
//! | `Configuration_EnabledImageTypes` | the `imageType` section as `str(dict)` (`{'Original': {}}` without one) |
//! | `Image-original_Hash` | SHA-1 of the voxel buffer in the file's element type, little-endian: SimpleITK's `Hash` |
//! | `Image-original_Dimensionality` | `3D` |
//! | `Image-original_Spacing`, `_Size` | (x, y, z) |
//! | `Image-original_Mean`, `_Minimum`, `_Maximum` | over every voxel of the image |
//! | `Mask-original_Hash` | SHA-1 of the label image cast to `uint32` (PyRadiomics casts every mask so) |
//! | `Mask-original_Spacing`, `_Size`, `_BoundingBox` | the box as (x, y, z of its first voxel, then its size along x, y, z) |
//! | `Mask-original_VoxelNum`, `_VolumeNum` | ROI voxels; its 26-connected components |
//! | `Mask-original_CenterOfMassIndex`, `_CenterOfMass` | the mean voxel index (x, y, z) of the ROI, and that point in LPS mm |
//!
//! Then, when resampling applies (`resampledPixelSpacing`), `Image-interpolated_*` (spacing, size, mean,
//! minimum, maximum) and `Mask-interpolated_*` (as the original mask's without the hash, plus `Mean`,
//! `Minimum` and `Maximum` of the image inside the ROI); when `correctMask` resamples a mask that lies on
//! another grid, `Mask-corrected_*`; with `resegmentRange`, `Mask-resegmented_*` (the same items).
//!
//! Means are numpy's (pairwise summation, as `numpy.mean` sums a contiguous float64 array), and centres of
//! mass and world points are computed in ITK's order of operations, so that every value that describes
//! the input equals PyRadiomics' to the last digit; numbers are written as Python writes them (`repr`).
//!
//! # Differences
//! - PyRadiomics with numpy 2 writes the centre-of-mass index as `(np.float64(24.5), ...)`; here it is
//!   `(24.5, ...)`, as with numpy 1.
//! - A two-dimensional file is read as a volume of one slice: `3D`, and three spacings and sizes.
//! - A DICOM SEG or RTSTRUCT mask is hashed as the label image it becomes on the image's grid (`label` on
//!   the ROI, 0 elsewhere, `int32`); SimpleITK cannot read those files.
//! - IBSI mode (an `ibsi` section) has its own diagnostics ([`crate::ibsi`]); none of these.
//!
//! # Where they appear
//! Diagnostics are text: they are not part of [`Features`] (whose values are numbers: what models, the
//! C API and the study's feature tables read), but are written before them by `radiomics extract` (one
//! image; CSV and JSON) and in PyRadiomics-style batch tables ([`crate::pyradiomics_batch`]). They are
//! left out of multi-sequence extractions and of the manifest tables of [`crate::batch`] (PyRadiomics has
//! neither; those tables feed `radiomics train`), of voxel-based maps, and of the C API, whose feature
//! lists stay numeric (`rad_features_*` unchanged). `radiomics train` ignores `diagnostics_*` columns.
//!
//! The entries describe the whole image and label image, so `radiomics extract` reads both whole when
//! they are wanted; with `additionalInfo: false` it reads only the ROI's box of the image where the
//! settings allow it.

use std::fmt::Write as _;

use ndarray::ArrayView3;
use serde_json::Value;

use crate::error::Result;
use crate::extract::Features;
use crate::image::io::DataType;
use crate::image::{check_same_grid, Geometry, Image, Mask};
use crate::numeric::pairwise_sum;
use crate::preprocess::label::select_label;
use crate::preprocess::normalise::normalize;
use crate::preprocess::resample::{resample_image_and_mask, Interpolator};
use crate::preprocess::resegment::resegment;
use crate::preprocess::roi::correct_mask;
use crate::settings::Settings;

/// A value as PyRadiomics holds it (a Python object), so that it can be written as Python's `str()` writes
/// it (CSV) or as `json.dump` writes it (JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`
    None,
    /// `True` / `False`
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `tuple`.
    Tuple(Vec<PyValue>),
    /// A `list`.
    List(Vec<PyValue>),
    /// A `dict`, in insertion order.
    Dict(Vec<(String, PyValue)>),
}

impl PyValue {
    /// The value as a parameter document gives it (JSON types to Python types: arrays are lists).
    pub fn from_json(v: &Value) -> PyValue {
        match v {
            Value::Null => PyValue::None,
            Value::Bool(b) => PyValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => PyValue::Int(i),
                None => match n.as_u64() {
                    Some(u) => PyValue::Float(u as f64),
                    None => PyValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
            },
            Value::String(s) => PyValue::Str(s.clone()),
            Value::Array(a) => PyValue::List(a.iter().map(PyValue::from_json).collect()),
            Value::Object(m) => PyValue::Dict(
                m.iter()
                    .map(|(k, v)| (k.clone(), PyValue::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Python's `str()`: a string as it is, anything else as its `repr()`.
    pub fn to_python_str(&self) -> String {
        match self {
            PyValue::Str(s) => s.clone(),
            other => other.to_python_repr(),
        }
    }

    /// Python's `repr()`.
    pub fn to_python_repr(&self) -> String {
        match self {
            PyValue::None => "None".into(),
            PyValue::Bool(true) => "True".into(),
            PyValue::Bool(false) => "False".into(),
            PyValue::Int(i) => i.to_string(),
            PyValue::Float(f) => python_float_repr(*f),
            PyValue::Str(s) => python_str_repr(s),
            PyValue::Tuple(items) => {
                let inner: Vec<String> = items.iter().map(PyValue::to_python_repr).collect();
                if inner.len() == 1 {
                    format!("({},)", inner[0])
                } else {
                    format!("({})", inner.join(", "))
                }
            }
            PyValue::List(items) => {
                let inner: Vec<String> = items.iter().map(PyValue::to_python_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            PyValue::Dict(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", python_str_repr(k), v.to_python_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// The value as `json.dump` writes it: tuples and lists as arrays, dicts as objects; a non-finite
    /// float becomes `null` (JSON has no NaN).
    pub fn to_json(&self) -> Value {
        match self {
            PyValue::None => Value::Null,
            PyValue::Bool(b) => Value::Bool(*b),
            PyValue::Int(i) => Value::from(*i),
            PyValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            PyValue::Str(s) => Value::String(s.clone()),
            PyValue::Tuple(items) | PyValue::List(items) => {
                Value::Array(items.iter().map(PyValue::to_json).collect())
            }
            PyValue::Dict(items) => Value::Object(
                items
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Python's `repr()` of a float (also numpy's `str()` of a float64): the shortest digits that read back
/// to the same value, in positional notation for decimal exponents from -4 to 15, else as `1.5e-05`,
/// `1e+16`.
pub fn python_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddddde<exp>`.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("LowerExp exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let n = digits.len() as i32;
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    } else if n > exp + 1 {
        let (int, frac) = digits.split_at((exp + 1) as usize);
        format!("{sign}{int}.{frac}")
    } else {
        let zeros = "0".repeat((exp + 1 - n) as usize);
        format!("{sign}{digits}{zeros}.0")
    }
}

/// Python's `repr()` of a string: single quotes, unless the text holds a single quote and no double one.
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// PyRadiomics' `diagnostics_*` entries of one extraction, in order (names without the `diagnostics_`
/// prefix are never used: every name carries it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics {
    entries: Vec<(String, PyValue)>,
}

/// PyRadiomics' general defaults (`featureextractor._getDefaultSettings`), in its order: the settings dict
/// starts from these.
fn default_settings() -> Vec<(String, PyValue)> {
    vec![
        ("minimumROIDimensions".into(), PyValue::Int(2)),
        ("minimumROISize".into(), PyValue::None),
        ("normalize".into(), PyValue::Bool(false)),
        ("normalizeScale".into(), PyValue::Int(1)),
        ("removeOutliers".into(), PyValue::None),
        ("resampledPixelSpacing".into(), PyValue::None),
        ("interpolator".into(), PyValue::Str("sitkBSpline".into())),
        ("preCrop".into(), PyValue::Bool(false)),
        ("padDistance".into(), PyValue::Int(5)),
        ("distances".into(), PyValue::List(vec![PyValue::Int(1)])),
        ("force2D".into(), PyValue::Bool(false)),
        ("force2Ddimension".into(), PyValue::Int(0)),
        ("resegmentRange".into(), PyValue::None),
        ("label".into(), PyValue::Int(1)),
        ("additionalInfo".into(), PyValue::Bool(true)),
    ]
}

/// Sets `key` in an ordered dict: in place when present, appended otherwise (as a Python dict does).
fn dict_set(dict: &mut Vec<(String, PyValue)>, key: &str, value: PyValue) {
    match dict.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => dict.push((key.to_string(), value)),
    }
}

impl Diagnostics {
    /// No entries.
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    /// Whether these settings ask for diagnostics: `additionalInfo` (default true), outside IBSI mode.
    pub fn wanted(settings: &Settings) -> bool {
        settings.params().additional_info && settings.ibsi().is_none()
    }

    /// Every entry PyRadiomics gives for `image` and the label image `labels` under `settings` (see the
    /// module documentation). The preprocessing stages that change the image or the ROI (normalisation,
    /// resampling, mask correction, re-segmentation) are run again here, as the extraction runs them, to
    /// describe their results. Errors as the extraction would (no ROI of `label`, an ROI outside the image).
    pub fn compute(settings: &Settings, image: &Image, labels: &Image) -> Result<Diagnostics> {
        let p = settings.params();
        let mut d = Diagnostics::new();
        d.add_versions();
        d.add_configuration(settings);
        d.add_image("original", image, true);
        let mask = select_label(labels, p.label)?;
        d.push("Mask-original_Hash", PyValue::Str(label_hash(labels)));
        d.add_mask("original", None, &mask);

        let mut image = std::borrow::Cow::Borrowed(image);
        if p.normalize {
            image =
                std::borrow::Cow::Owned(normalize(&image, p.normalize_scale, p.remove_outliers)?);
        }
        let resampling = p.resampled_pixel_spacing.is_some();
        let mask = if let Some(spacing) = p.resampled_pixel_spacing {
            let (resampled, mask) = resample_image_and_mask(
                &image,
                &mask,
                spacing,
                Interpolator::from(p.interpolator),
                p.pad_distance,
                image.pixel_type(),
            )?;
            image = std::borrow::Cow::Owned(resampled);
            d.add_image("interpolated", &image, false);
            d.add_mask("interpolated", Some(&image), &mask);
            mask
        } else {
            mask
        };
        // `checkMask` corrects a mask on another grid (with `preCrop`, PyRadiomics corrects it silently
        // while cropping, and reports nothing).
        let mask = if p.correct_mask
            && !resampling
            && check_same_grid(
                (image.geometry(), image.size()),
                (mask.geometry(), mask.size()),
                p.geometry_tolerance,
            )
            .is_err()
        {
            let corrected = correct_mask(&image, mask)?;
            if !p.pre_crop {
                d.add_mask("corrected", Some(&image), &corrected);
            }
            corrected
        } else {
            mask
        };
        if let Some(range) = &p.resegment_range {
            let reseg = resegment(&image, &mask, range, p.resegment_mode)?;
            d.add_mask("resegmented", Some(&image), &reseg);
        }
        Ok(d)
    }

    /// Appends `diagnostics_<name>`.
    pub fn push(&mut self, name: &str, value: PyValue) {
        self.entries.push((format!("diagnostics_{name}"), value));
    }

    /// The entries, (full name, value), in order.
    pub fn entries(&self) -> &[(String, PyValue)] {
        &self.entries
    }

    /// The value of the entry `name` (the full name, `diagnostics_...`).
    pub fn get(&self, name: &str) -> Option<&PyValue> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `Versions_*`.
    pub fn add_versions(&mut self) {
        self.push(
            "Versions_PyRadiomics",
            PyValue::Str(format!("radiomics {} (Rust)", env!("CARGO_PKG_VERSION"))),
        );
        for lib in ["Numpy", "SimpleITK", "PyWavelet", "Python"] {
            self.push(&format!("Versions_{lib}"), PyValue::Str("n/a".into()));
        }
    }

    /// `Configuration_Settings` and `Configuration_EnabledImageTypes`.
    pub fn add_configuration(&mut self, settings: &Settings) {
        let doc = settings.to_value();
        let mut dict = default_settings();
        for section in ["setting", "voxelSetting"] {
            if let Some(Value::Object(m)) = doc.get(section) {
                for (k, v) in m {
                    dict_set(&mut dict, k, PyValue::from_json(v));
                }
            }
        }
        self.push("Configuration_Settings", PyValue::Dict(dict));
        let types = match doc.get("imageType") {
            Some(Value::Object(m)) if !m.is_empty() => {
                PyValue::from_json(&Value::Object(m.clone()))
            }
            _ => PyValue::Dict(vec![("Original".into(), PyValue::Dict(Vec::new()))]),
        };
        self.push("Configuration_EnabledImageTypes", types);
    }

    /// `Image-<prefix>_*`: hash and dimensionality only for the original image.
    pub fn add_image(&mut self, prefix: &str, image: &Image, original: bool) {
        if original {
            self.push(
                &format!("Image-{prefix}_Hash"),
                PyValue::Str(image_hash(image)),
            );
            self.push(
                &format!("Image-{prefix}_Dimensionality"),
                PyValue::Str("3D".into()),
            );
        }
        self.push(&format!("Image-{prefix}_Spacing"), floats(image.spacing()));
        self.push(&format!("Image-{prefix}_Size"), ints(image.size()));
        let data = image.data();
        let (min, max) = min_max(data.iter().copied());
        self.push(
            &format!("Image-{prefix}_Mean"),
            PyValue::Float(numpy_mean(data)),
        );
        self.push(&format!("Image-{prefix}_Minimum"), PyValue::Float(min));
        self.push(&format!("Image-{prefix}_Maximum"), PyValue::Float(max));
    }

    /// `Mask-<prefix>_*` (without the hash), with the image's statistics inside the ROI when `image` is
    /// given (on the mask's grid).
    pub fn add_mask(&mut self, prefix: &str, image: Option<&Image>, mask: &Mask) {
        let name = |item: &str| format!("Mask-{prefix}_{item}");
        self.push(&name("Spacing"), floats(mask.geometry().spacing));
        self.push(&name("Size"), ints(mask.size()));
        let roi = mask.roi();
        if let Some(bb) = mask.bounding_box() {
            let shape = bb.shape();
            self.push(
                &name("BoundingBox"),
                ints([
                    bb.lower[2],
                    bb.lower[1],
                    bb.lower[0],
                    shape[2],
                    shape[1],
                    shape[0],
                ]),
            );
        }
        let count = mask.count();
        self.push(&name("VoxelNum"), PyValue::Int(count as i64));
        self.push(&name("VolumeNum"), PyValue::Int(volume_count(roi) as i64));
        // Integer coordinates sum exactly in f64 (below 2^53), whatever numpy's order of summation.
        let mut sum = [0.0f64; 3];
        for ((z, y, x), &m) in roi.indexed_iter() {
            if m {
                sum[0] += x as f64;
                sum[1] += y as f64;
                sum[2] += z as f64;
            }
        }
        let n = count as f64;
        let centre = [sum[0] / n, sum[1] / n, sum[2] / n];
        self.push(&name("CenterOfMassIndex"), floats(centre));
        self.push(
            &name("CenterOfMass"),
            floats(itk_index_to_physical(mask.geometry(), centre)),
        );
        if let Some(image) = image {
            let values: Vec<f64> = image
                .data()
                .iter()
                .zip(roi.iter())
                .filter_map(|(&v, &m)| m.then_some(v))
                .collect();
            let (min, max) = min_max(values.iter().copied());
            self.push(&name("Mean"), PyValue::Float(pairwise_sum(&values) / n));
            self.push(&name("Minimum"), PyValue::Float(min));
            self.push(&name("Maximum"), PyValue::Float(max));
        }
    }
}

fn floats(v: [f64; 3]) -> PyValue {
    PyValue::Tuple(v.iter().map(|&x| PyValue::Float(x)).collect())
}

fn ints<const N: usize>(v: [usize; N]) -> PyValue {
    PyValue::Tuple(v.iter().map(|&x| PyValue::Int(x as i64)).collect())
}

/// numpy's `min` and `max`: NaN when any value is NaN.
fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut nan = false;
    let mut any = false;
    for v in values {
        any = true;
        if v.is_nan() {
            nan = true;
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if nan || !any {
        (f64::NAN, f64::NAN)
    } else {
        (lo, hi)
    }
}

/// numpy's `mean` of a C-contiguous float64 array: its pairwise sum over all elements, divided by their
/// number.
pub fn numpy_mean(data: ArrayView3<'_, f64>) -> f64 {
    let n = data.len() as f64;
    match data.as_slice() {
        Some(s) => pairwise_sum(s) / n,
        None => pairwise_sum(&data.iter().copied().collect::<Vec<_>>()) / n,
    }
}

/// ITK's `TransformContinuousIndexToPhysicalPoint`: the matrix direction · diag(spacing) formed first,
/// each row's products summed, then the origin added.
fn itk_index_to_physical(g: &Geometry, index: [f64; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (r, o) in out.iter_mut().enumerate() {
        let mut sum = 0.0;
        for (c, &i) in index.iter().enumerate() {
            sum += g.direction[3 * r + c] * g.spacing[c] * i;
        }
        *o = sum + g.origin[r];
    }
    out
}

/// The number of 26-connected components of the ROI (ITK's `ConnectedComponentImageFilter`, fully
/// connected).
pub fn volume_count(roi: ArrayView3<'_, bool>) -> usize {
    let (nz, ny, nx) = roi.dim();
    let mut seen = ndarray::Array3::<bool>::from_elem((nz, ny, nx), false);
    let mut stack = Vec::new();
    let mut count = 0;
    for ((z, y, x), &m) in roi.indexed_iter() {
        if !m || seen[(z, y, x)] {
            continue;
        }
        count += 1;
        seen[(z, y, x)] = true;
        stack.push((z, y, x));
        while let Some((z, y, x)) = stack.pop() {
            for dz in -1i64..=1 {
                for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        let (zz, yy, xx) = (z as i64 + dz, y as i64 + dy, x as i64 + dx);
                        if zz < 0 || yy < 0 || xx < 0 {
                            continue;
                        }
                        let q = (zz as usize, yy as usize, xx as usize);
                        if q.0 >= nz || q.1 >= ny || q.2 >= nx {
                            continue;
                        }
                        if roi[q] && !seen[q] {
                            seen[q] = true;
                            stack.push(q);
                        }
                    }
                }
            }
        }
    }
    count
}

/// Feeds `values`, each written as `bytes_of` gives it, to SHA-1 in blocks, and returns the hex digest.
fn sha1_of(
    values: impl Iterator<Item = f64>,
    width: usize,
    bytes_of: impl Fn(f64, &mut Vec<u8>),
) -> String {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    let mut buf = Vec::with_capacity(width * 8192);
    for v in values {
        bytes_of(v, &mut buf);
        if buf.len() >= width * 8192 {
            h.update(&buf);
            buf.clear();
        }
    }
    h.update(&buf);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// SimpleITK's `Hash` of an image as read: SHA-1 of its voxels in their element type (the file's; `f64`
/// for computed images and scaled NIfTI), little-endian, x fastest.
pub fn image_hash(image: &Image) -> String {
    let data = image.data();
    let values = data.iter().copied();
    let dtype = image.pixel_type().unwrap_or(DataType::F64);
    macro_rules! hash_as {
        ($t:ty) => {
            sha1_of(values, std::mem::size_of::<$t>(), |v, b| {
                b.extend_from_slice(&(v as $t).to_le_bytes())
            })
        };
    }
    match dtype {
        DataType::U8 => hash_as!(u8),
        DataType::I8 => hash_as!(i8),
        DataType::U16 => hash_as!(u16),
        DataType::I16 => hash_as!(i16),
        DataType::U32 => hash_as!(u32),
        DataType::I32 => hash_as!(i32),
        DataType::U64 => hash_as!(u64),
        DataType::I64 => hash_as!(i64),
        DataType::F32 => hash_as!(f32),
        DataType::F64 => hash_as!(f64),
    }
}

/// SimpleITK's `Hash` of a label image after PyRadiomics' `sitk.Cast(mask, sitkUInt32)`: integer labels
/// wrap modulo 2^32 (C's conversion), fractional ones are truncated toward zero.
pub fn label_hash(labels: &Image) -> String {
    let data = labels.data();
    sha1_of(data.iter().copied(), 4, |v, b| {
        b.extend_from_slice(&((v.trunc() as i64) as u32).to_le_bytes())
    })
}

/// Quotes a CSV cell when it holds a comma, a quote or a line break (as Python's `csv` module does).
pub fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// `name,value` CSV: the diagnostics (as Python's `str()` writes them, quoted where needed), then the
/// features (shortest round-trip form).
pub fn to_csv(diagnostics: &Diagnostics, features: &Features) -> String {
    let mut out = String::from("name,value\n");
    for (n, v) in diagnostics.entries() {
        out.push_str(n);
        out.push(',');
        out.push_str(&csv_cell(&v.to_python_str()));
        out.push('\n');
    }
    features.push_csv_rows(&mut out);
    out
}

/// One JSON object: the diagnostics (as `json.dump` writes PyRadiomics' values), then the features
/// (non-finite values as `null`).
pub fn to_json(diagnostics: &Diagnostics, features: &Features) -> String {
    let mut m = serde_json::Map::new();
    for (n, v) in diagnostics.entries() {
        m.insert(n.clone(), v.to_json());
    }
    for (n, &v) in features.iter() {
        m.insert(
            n.to_string(),
            serde_json::Number::from_f64(v).map_or(Value::Null, Into::into),
        );
    }
    serde_json::to_string_pretty(&Value::Object(m)).expect("JSON of plain values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_python_writes_them() {
        for (v, text) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (3057.0, "3057.0"),
            (0.7812499999999999, "0.7812499999999999"),
            (385.6564080810547, "385.6564080810547"),
            (1e-4, "0.0001"),
            (1.5e-5, "1.5e-05"),
            (1e-5, "1e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.25e16, "1.25e+16"),
            (123456789.125, "123456789.125"),
            (-140.93105883233156, "-140.93105883233156"),
            (1e100, "1e+100"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(python_float_repr(v), text, "{v:e}");
        }
    }

    #[test]
    fn values_are_written_as_python_str_writes_them() {
        let d = PyValue::Dict(vec![
            ("a".into(), PyValue::None),
            (
                "b".into(),
                PyValue::List(vec![PyValue::Int(1), PyValue::Float(2.0)]),
            ),
            ("c".into(), PyValue::Str("it's".into())),
            ("d".into(), PyValue::Bool(true)),
            ("e".into(), PyValue::Tuple(vec![PyValue::Int(3)])),
            ("f".into(), PyValue::Dict(Vec::new())),
        ]);
        assert_eq!(
            d.to_python_str(),
            "{'a': None, 'b': [1, 2.0], 'c': \"it's\", 'd': True, 'e': (3,), 'f': {}}"
        );
        assert_eq!(PyValue::Str("3D".into()).to_python_str(), "3D");
        assert_eq!(csv_cell("(1, 2)"), "\"(1, 2)\"");
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn pairwise_sum_follows_numpy_blocks() {
        // 1e16 + 1 + ... loses the ones when summed left to right; numpy's blocks keep some of them.
        let mut a = vec![1.0; 300];
        a[0] = 1e16;
        let naive: f64 = a.iter().sum();
        assert_eq!(naive, 1e16);
        // First block of 144 (n2 = 150 - 150 % 8 = 144, split again at 72): the eight accumulators of
        // each 72-block sum their ones exactly.
        assert!(pairwise_sum(&a) > 1e16);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
    }

    #[test]
    fn components_are_26_connected() {
        let mut roi = ndarray::Array3::from_elem((4, 4, 4), false);
        roi[(0, 0, 0)] = true;
        roi[(1, 1, 1)] = true; // touches (0,0,0) by a corner only
        roi[(3, 3, 3)] = true; // two voxels away from (1,1,1)
        assert_eq!(volume_count(roi.view()), 2);
        roi[(2, 2, 2)] = true; // joins both by corners
        assert_eq!(volume_count(roi.view()), 1);
        roi[(0, 3, 0)] = true;
        roi[(3, 0, 3)] = true;
        assert_eq!(volume_count(roi.view()), 3);
        assert_eq!(
            volume_count(ndarray::Array3::from_elem((2, 2, 2), false).view()),
            0
        );
    }
}
