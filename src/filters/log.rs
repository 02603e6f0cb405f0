//! The Laplacian of Gaussian (LoG) image type, as PyRadiomics computes it (`imageoperations.getLoGImage`):
//! SimpleITK's `LaplacianRecursiveGaussianImageFilter` with `NormalizeAcrossScale` on, for each `sigma`
//! (mm) of the settings, giving images named `log-sigma-1-0-mm-3D` etc.
//!
//! # Definition
//! ```text
//! G_σ(x) = (σ√(2π))⁻³ · exp(−|x|² / 2σ²)                     (x in mm)
//! LoG_σ[f] = σ² · ∇²(G_σ ∗ f) = σ² · Σ_d ∂²/∂x_d² (G_σ ∗ f)
//! ```
//! The factor `σ²` is ITK's normalisation across scale (second order): responses at different σ are
//! comparable. For each axis `d`, the image is filtered along `d` with the second derivative of a 1-D
//! Gaussian and along the two other axes (in increasing order) with the Gaussian itself; the three
//! results, each divided by `spacing_d²` (the filters work in voxel units, `σ_d = σ / spacing_d`), are
//! summed.
//!
//! # The recursive Gaussian (ITK `RecursiveGaussianImageFilter`)
//! Each 1-D filter is Deriche's 4th-order recursive approximation (R. Deriche, "Recursively implementing
//! the Gaussian and its derivatives", INRIA RR-1893, 1993; the form of Farnebäck and Westin's note): a
//! causal pass and an anti-causal pass
//!
//! ```text
//! y⁺[i] = n0·x[i] + n1·x[i−1] + n2·x[i−2] + n3·x[i−3] − (d1·y⁺[i−1] + d2·y⁺[i−2] + d3·y⁺[i−3] + d4·y⁺[i−4])
//! y⁻[i] = m1·x[i+1] + m2·x[i+2] + m3·x[i+3] + m4·x[i+4] − (d1·y⁻[i+1] + … + d4·y⁻[i+4])
//! y = y⁺ + y⁻
//! ```
//! with the denominators from the poles `exp((λ_k ± iω_k)/σ_d)`, `(λ, ω) = (−1.3932, 0.6681)`,
//! `(−1.3732, 2.0787)`, and numerators from the fitted weights (`a, b`) of the Gaussian
//! (1.3530, 1.8151 / −0.3531, 0.0902) and of its second derivative (−1.3563, 5.2318 / 0.3446, −2.2355),
//! the latter corrected by a multiple of the former so that the response to a constant is 0. Each is
//! scaled so that the discrete kernel has the moments of the continuous one (sum 1 for the Gaussian,
//! second moment 2 for its second derivative). Beyond the row's ends the signal is taken to continue with
//! the end value (the `BN`, `BM` boundary coefficients), so a constant row gives a constant (or 0).
//! Rows need at least 4 voxels.
//!
//! # Precision
//! ITK stores every intermediate image (after each 1-D pass and after each sum) in 32-bit floats and
//! returns a 32-bit float image; each 1-D pass itself runs in `f64`. [`Precision::Itk`] (the default, used
//! by [`log`]) rounds at the same points, which reproduces SimpleITK's values to the last bit in most
//! voxels; [`Precision::Double`] keeps `f64` throughout (differences to ITK: a few f32 rounding errors,
//! ~1e-7 relative to the magnitude of the terms).
//!
//! # When PyRadiomics skips a sigma
//! No LoG image at all when the image is smaller than 4 voxels on an axis; a sigma is skipped (with a
//! warning) when it is not positive, or when `size_d < ⌈σ / spacing_d⌉ + 1` on some axis. See
//! [`log_skip_reason`].

use ndarray::Array3;

use crate::error::{Error, Result};
use crate::image::{BoundingBox, Image};

/// Where rounding happens in [`log_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// As ITK: every intermediate image and the result rounded to `f32` (PyRadiomics parity).
    #[default]
    Itk,
    /// `f64` throughout.
    Double,
}

/// The PyRadiomics image type name for a sigma, `log-sigma-<sigma>-mm-3D`, with `<sigma>` as Python's
/// `str(float)` writes it and `.` replaced by `-`: `1.0 → log-sigma-1-0-mm-3D`, `0.5 → log-sigma-0-5-mm-3D`.
///
/// A parameter file that gives sigma as an integer (`sigma: [1, 2]`) makes PyRadiomics write
/// `log-sigma-1-mm-3D`; the settings layer must pass that text through [`log_name_from_text`].
pub fn log_name(sigma: f64) -> String {
    log_name_from_text(&sigma_text(sigma))
}

/// A float sigma as Python's `str(float)` writes it for ordinary values: `1.0`, `0.5`, `2.25`.
pub fn sigma_text(sigma: f64) -> String {
    if sigma.is_finite() && sigma.fract() == 0.0 && sigma.abs() < 1e16 {
        format!("{sigma:.1}")
    } else {
        format!("{sigma}")
    }
}

/// The image type name for a sigma written as `text` in the settings (`"1"`, `"1.5"`).
pub fn log_name_from_text(text: &str) -> String {
    format!("log-sigma-{}-mm-3D", text.trim().replace('.', "-"))
}

/// Why PyRadiomics would not compute the LoG image of an image of `size` voxels and `spacing` mm (both
/// x, y, z) for `sigma`, or `None` when it would.
pub fn log_skip_reason(size: [usize; 3], spacing: [f64; 3], sigma: f64) -> Option<String> {
    if size.iter().any(|&n| n < 4) {
        return Some(format!(
            "image too small for the LoG filter (size {size:?}; at least 4 voxels per axis)"
        ));
    }
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Some(format!(
            "LoG sigma must be greater than 0 and finite, not {sigma}"
        ));
    }
    if (0..3).any(|a| (size[a] as f64) < (sigma / spacing[a]).ceil() + 1.0) {
        return Some(format!(
            "LoG sigma {sigma} mm is too large for an image of size {size:?} with spacing {spacing:?} mm \
             (needs size >= ceil(sigma / spacing) + 1 on every axis)"
        ));
    }
    None
}

/// The number of voxels per axis (x, y, z) to keep around the ROI's bounding box when filtering a crop
/// instead of the whole image, so that the values inside the box agree with whole-image filtering:
///
/// ```text
/// margin_d = ⌈16 · σ / spacing_d⌉ + 4
/// ```
///
/// The filter's response to a change at distance `n` voxels decays like `exp(−1.3732 · n / σ_d)` (its
/// slowest pole), so 1e-9 needs `n ≈ 15 σ_d`. The factor was chosen by measurement on brain1 (spacing
/// 0.78 × 0.78 × 6.5 mm), filtering the ROI's bounding box grown by `⌈k σ / spacing_d⌉ + 4` voxels in
/// [`Precision::Double`] and comparing the box with whole-image filtering (largest change over the largest
/// magnitude in the box):
///
/// ```text
///   k        4       8       12      14      16
///   σ = 1   8.9e-6  7.5e-8  5.7e-10 3.1e-11 3.0e-12
///   σ = 3   1.3e-3  2.4e-6  7.9e-9  1.0e-9  3.7e-11
///   σ = 5   7.9e-4  4.5e-6  9.3e-9  1.7e-9  8.6e-12
/// ```
///
/// so `k = 16` is the first that stays below 1e-9 for every sigma, with a factor ~100 to spare
/// (`log_margin_keeps_bbox_values` in `tests/resample_log.rs` re-measures it). In [`Precision::Itk`] the
/// f32 roundings of the intermediate images can still flip by one unit where a value lies next to a
/// rounding boundary: measured up to 5.5e-9 of the largest magnitude.
pub fn log_margin(sigma_mm: f64, spacing: [f64; 3]) -> [usize; 3] {
    std::array::from_fn(|a| (16.0 * sigma_mm / spacing[a]).ceil() as usize + 4)
}

/// The LoG image of `image` for `sigma_mm`, as SimpleITK computes it for PyRadiomics (f32 intermediates).
///
/// Errors when PyRadiomics would skip this sigma ([`log_skip_reason`]).
pub fn log(image: &Image, sigma_mm: f64) -> Result<Image> {
    log_with(image, sigma_mm, Precision::Itk)
}

/// The LoG image of `image` for `sigma_mm`, rounding as `precision` says.
pub fn log_with(image: &Image, sigma_mm: f64, precision: Precision) -> Result<Image> {
    let (z, y, x) = image.data().dim();
    let whole = BoundingBox {
        lower: [0; 3],
        upper: [z - 1, y - 1, x - 1],
    };
    let data = log_in_box(image, sigma_mm, &whole, precision)?;
    Image::new(data, *image.geometry())
}

/// The values inside `bbox` (array axes z, y, x, within the image) of the LoG image of `image` for
/// `sigma_mm`: bit for bit those of [`log_with`] cropped to the box, computed from only the rows that
/// reach the box (see `laplacian`).
///
/// Errors when PyRadiomics would skip this sigma ([`log_skip_reason`]) or when the box is not inside
/// the image.
pub fn log_in_box(
    image: &Image,
    sigma_mm: f64,
    bbox: &BoundingBox,
    precision: Precision,
) -> Result<Array3<f64>> {
    let (z, y, x) = image.data().dim();
    let whole = BoundingBox {
        lower: [0; 3],
        upper: [z - 1, y - 1, x - 1],
    };
    log_of_region_in_box(image, &whole, sigma_mm, bbox, precision)
}

/// As [`log_in_box`] for the sub-volume `region` of `image` taken as an image of its own (the LoG of a
/// crop), read in place; `bbox` is given within the region.
pub fn log_of_region_in_box(
    image: &Image,
    region: &BoundingBox,
    sigma_mm: f64,
    bbox: &BoundingBox,
    precision: Precision,
) -> Result<Array3<f64>> {
    let (z, y, x) = image.data().dim();
    let dim = [z, y, x];
    region.check_inside(dim, "LoG region")?;
    let shape = region.shape();
    let spacing = image.spacing();
    if let Some(reason) = log_skip_reason([shape[2], shape[1], shape[0]], spacing, sigma_mm) {
        return Err(Error::invalid(reason));
    }
    bbox.check_inside(shape, "LoG box")?;
    let data = image.data();
    let data = data.as_slice().expect("images are kept in standard layout");
    let strides = [y * x, x, 1];
    let first: usize = (0..3).map(|a| region.lower[a] * strides[a]).sum();
    let input = Volume {
        data: &data[first..],
        shape,
        strides,
    };
    Ok(match precision {
        // Intermediate images held as f32, as ITK holds them: the same values as rounding f64s, half the
        // memory traffic.
        Precision::Itk => laplacian::<f32>(input, spacing, sigma_mm, bbox),
        Precision::Double => laplacian::<f64>(input, spacing, sigma_mm, bbox),
    })
}

/// The element type intermediate images are stored in; every stored value is rounded to it.
trait Store: Copy + Default {
    fn get(self) -> f64;
    fn put(v: f64) -> Self;
}

impl Store for f32 {
    fn get(self) -> f64 {
        self as f64
    }
    fn put(v: f64) -> f32 {
        v as f32
    }
}

impl Store for f64 {
    fn get(self) -> f64 {
        self
    }
    fn put(v: f64) -> f64 {
        v
    }
}

/// Σ_d (second derivative along d, Gaussian along the other axes) / spacing_d² inside `bbox`,
/// intermediates stored as `T`.
///
/// Each term is three 1-D passes, the first over the input, each later one over its predecessor's
/// output. A value inside the box needs whole rows of the pass before it, but only the rows through the
/// box: the first pass (along `d`) filters every row of the image but keeps only the stretch of each
/// row that lies in the box's range along `d`; the second keeps, of the rows through that slab, the
/// stretch in the box's range along its axis; the third filters the rows through the box's cross-section
/// only. Every kept value is computed from the same whole rows in the same order as when filtering the
/// image whole, so the box holds the same values bit for bit, at a fraction of the work when the box is
/// small.
fn laplacian<T: Store>(
    input: Volume<'_, f64>,
    spacing: [f64; 3],
    sigma_mm: f64,
    bbox: &BoundingBox,
) -> Array3<f64> {
    let out_shape = bbox.shape();
    let mut cumulative = vec![T::default(); out_shape.iter().product()];
    // Array axes are [z, y, x]; image axis d (x, y, z) is array axis 2 - d.
    for d in 0..3 {
        let second = Coefficients::new(sigma_mm, spacing[d], Order::Second);
        // The first pass reads the input at full precision, as ITK's first filter reads its input.
        let (mut t, mut t_shape) = filter_axis::<f64, T>(input, 2 - d, bbox, &second);
        for other in (0..3).filter(|&o| o != d) {
            let zero = Coefficients::new(sigma_mm, spacing[other], Order::Zero);
            (t, t_shape) =
                filter_axis::<T, T>(Volume::contiguous(&t, t_shape), 2 - other, bbox, &zero);
        }
        debug_assert_eq!(t_shape, out_shape);
        let scale = 1.0 / (spacing[d] * spacing[d]);
        for (c, &v) in cumulative.iter_mut().zip(t.iter()) {
            *c = T::put(c.get() + v.get() * scale);
        }
    }
    Array3::from_shape_vec(
        (out_shape[0], out_shape[1], out_shape[2]),
        cumulative.into_iter().map(Store::get).collect(),
    )
    .expect("shape matches length")
}

/// A volume to filter: `shape` (z, y, x) voxels of `data`, voxel (z, y, x) at
/// `z · strides[0] + y · strides[1] + x` (x-runs contiguous), so that a region of a larger image is read
/// in place.
#[derive(Clone, Copy)]
struct Volume<'a, I> {
    data: &'a [I],
    shape: [usize; 3],
    strides: [usize; 3],
}

impl<'a, I> Volume<'a, I> {
    /// A volume held whole, in C order.
    fn contiguous(data: &'a [I], shape: [usize; 3]) -> Volume<'a, I> {
        Volume {
            data,
            shape,
            strides: [shape[1] * shape[2], shape[2], 1],
        }
    }
}

/// Filters every row of `input` along array axis `axis`, keeping of each row the stretch
/// `bbox.lower[axis] ..= bbox.upper[axis]`; returns the kept values (stored as `O`, C order) and their
/// shape (`input.shape` with that axis shortened).
///
/// Rows are filtered many at a time, the recursion advancing along all of them together, through a small
/// buffer that holds a block of rows side by side: rows along y and z a block of at most 512 columns of
/// the x-runs (so the buffer stays in cache), rows along x sixteen at a time (transposed). Each value is
/// computed with the same operations in the same order as [`Coefficients::filter`] computes it for the
/// whole row, so the results are bit-identical (tested).
fn filter_axis<I: Store, O: Store>(
    input: Volume<'_, I>,
    axis: usize,
    bbox: &BoundingBox,
    c: &Coefficients,
) -> (Vec<O>, [usize; 3]) {
    let Volume {
        data: input,
        shape,
        strides,
    } = input;
    let n = shape[axis];
    let (lo, hi) = (bbox.lower[axis], bbox.upper[axis]);
    debug_assert!(hi < n && lo <= hi);
    let m = hi - lo + 1;
    let mut out_shape = shape;
    out_shape[axis] = m;
    let mut output = vec![O::default(); out_shape.iter().product()];
    // Rows along x are contiguous: block 16 of them. Otherwise block up to 512 columns.
    let width = if axis == 2 { 16 } else { 512 };
    let mut xb = vec![0.0; n * width];
    let mut y = vec![0.0; n * width];
    let mut s = vec![0.0; n * width];
    if axis == 2 {
        let rows = shape[0] * shape[1];
        let mut r0 = 0;
        while r0 < rows {
            let k = width.min(rows - r0);
            let (xb, y, s) = (&mut xb[..n * k], &mut y[..n * k], &mut s[..n * k]);
            for j in 0..k {
                let r = r0 + j;
                let start = (r / shape[1]) * strides[0] + (r % shape[1]) * strides[1];
                for (i, v) in input[start..start + n].iter().enumerate() {
                    xb[i * k + j] = v.get();
                }
            }
            c.filter_rows(xb, k, y, s, lo, hi);
            for j in 0..k {
                for (i, dst) in output[(r0 + j) * m..(r0 + j + 1) * m]
                    .iter_mut()
                    .enumerate()
                {
                    let at = (lo + i) * k + j;
                    *dst = O::put(y[at] + s[at]);
                }
            }
            r0 += k;
        }
        return (output, out_shape);
    }
    // Rows along y or z, in planes whose columns are one contiguous run in the input and the output:
    // (input start, input stride along the row, output start, output stride along the row, run length).
    let planes: Vec<(usize, usize, usize, usize, usize)> = if axis == 1 {
        (0..shape[0])
            .map(|z| {
                (
                    z * strides[0],
                    strides[1],
                    z * m * shape[2],
                    shape[2],
                    shape[2],
                )
            })
            .collect()
    } else if strides[1] == shape[2] {
        // Whole x-y planes are contiguous: one run of y·x columns.
        let plane = shape[1] * shape[2];
        vec![(0, strides[0], 0, plane, plane)]
    } else {
        let plane = shape[1] * shape[2];
        (0..shape[1])
            .map(|row| {
                (
                    row * strides[1],
                    strides[0],
                    row * shape[2],
                    plane,
                    shape[2],
                )
            })
            .collect()
    };
    for (in_base, in_stride, out_base, out_stride, run) in planes {
        let mut j0 = 0;
        while j0 < run {
            let k = width.min(run - j0);
            let (xb, y, s) = (&mut xb[..n * k], &mut y[..n * k], &mut s[..n * k]);
            for i in 0..n {
                let at = in_base + i * in_stride + j0;
                for (dst, v) in xb[i * k..(i + 1) * k].iter_mut().zip(&input[at..at + k]) {
                    *dst = v.get();
                }
            }
            c.filter_rows(xb, k, y, s, lo, hi);
            for i in lo..=hi {
                let at = out_base + (i - lo) * out_stride + j0;
                let (yi, si) = (&y[i * k..(i + 1) * k], &s[i * k..(i + 1) * k]);
                for ((dst, a), b) in output[at..at + k].iter_mut().zip(yi).zip(si) {
                    *dst = O::put(a + b);
                }
            }
            j0 += k;
        }
    }
    (output, out_shape)
}

/// Which derivative of the Gaussian a 1-D filter approximates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Zero,
    Second,
}

/// The recursive filter's coefficients for one axis (ITK's names).
#[derive(Debug, Clone, Copy)]
struct Coefficients {
    n: [f64; 4],
    d: [f64; 4],
    m: [f64; 4],
    bn: [f64; 4],
    bm: [f64; 4],
}

/// Deriche's fitted constants: weights of the Gaussian (order 0) and its second derivative (order 2).
const A1: [f64; 3] = [1.3530, -0.6724, -1.3563];
const B1: [f64; 3] = [1.8151, -3.4327, 5.2318];
const A2: [f64; 3] = [-0.3531, 0.6724, 0.3446];
const B2: [f64; 3] = [0.0902, 0.6100, -2.2355];
const W1: f64 = 0.6681;
const L1: f64 = -1.3932;
const W2: f64 = 2.0787;
const L2: f64 = -1.3732;

/// Numerator coefficients and their sums `SN = Σn`, `DN = Σk·n_k`, `EN = Σk²·n_k`.
struct Numerator {
    n: [f64; 4],
    sn: f64,
    dn: f64,
    en: f64,
}

fn numerator(sigmad: f64, a1: f64, b1: f64, a2: f64, b2: f64) -> Numerator {
    let (sin1, sin2) = ((W1 / sigmad).sin(), (W2 / sigmad).sin());
    let (cos1, cos2) = ((W1 / sigmad).cos(), (W2 / sigmad).cos());
    let (exp1, exp2) = ((L1 / sigmad).exp(), (L2 / sigmad).exp());
    let n0 = a1 + a2;
    let mut n1 = exp2 * (b2 * sin2 - (a2 + 2.0 * a1) * cos2);
    n1 += exp1 * (b1 * sin1 - (a1 + 2.0 * a2) * cos1);
    let mut n2 = (a1 + a2) * cos2 * cos1;
    n2 -= b1 * cos2 * sin1 + b2 * cos1 * sin2;
    n2 *= 2.0 * exp1 * exp2;
    n2 += a2 * exp1 * exp1 + a1 * exp2 * exp2;
    let mut n3 = exp2 * exp1 * exp1 * (b2 * sin2 - a2 * cos2);
    n3 += exp1 * exp2 * exp2 * (b1 * sin1 - a1 * cos1);
    Numerator {
        n: [n0, n1, n2, n3],
        sn: n0 + n1 + n2 + n3,
        dn: n1 + 2.0 * n2 + 3.0 * n3,
        en: n1 + 4.0 * n2 + 9.0 * n3,
    }
}

impl Coefficients {
    /// Coefficients for `sigma` (mm) on an axis of `spacing` (mm), normalised across scale.
    fn new(sigma: f64, spacing: f64, order: Order) -> Coefficients {
        let sigmad = sigma / spacing;
        let (cos1, cos2) = ((W1 / sigmad).cos(), (W2 / sigmad).cos());
        let (exp1, exp2) = ((L1 / sigmad).exp(), (L2 / sigmad).exp());
        let d4 = exp1 * exp1 * exp2 * exp2;
        let mut d3 = -2.0 * cos1 * exp1 * exp2 * exp2;
        d3 += -2.0 * cos2 * exp2 * exp1 * exp1;
        let mut d2 = 4.0 * cos2 * cos1 * exp1 * exp2;
        d2 += exp1 * exp1 + exp2 * exp2;
        let d1 = -2.0 * (exp2 * cos2 + exp1 * cos1);
        let sd = 1.0 + d1 + d2 + d3 + d4;
        let dd = d1 + 2.0 * d2 + 3.0 * d3 + 4.0 * d4;
        let ed = d1 + 4.0 * d2 + 9.0 * d3 + 16.0 * d4;
        let n = match order {
            Order::Zero => {
                let z = numerator(sigmad, A1[0], B1[0], A2[0], B2[0]);
                let alpha0 = 2.0 * z.sn / sd - z.n[0];
                z.n.map(|v| v * (1.0 / alpha0))
            }
            Order::Second => {
                let norm = sigma * sigma;
                let z = numerator(sigmad, A1[0], B1[0], A2[0], B2[0]);
                let s = numerator(sigmad, A1[2], B1[2], A2[2], B2[2]);
                let beta = -(2.0 * s.sn - sd * s.n[0]) / (2.0 * z.sn - sd * z.n[0]);
                let n: [f64; 4] = std::array::from_fn(|k| s.n[k] + beta * z.n[k]);
                let sn = s.sn + beta * z.sn;
                let dn = s.dn + beta * z.dn;
                let en = s.en + beta * z.en;
                let mut alpha2 =
                    en * sd * sd - ed * sn * sd - 2.0 * dn * dd * sd + 2.0 * dd * dd * sn;
                alpha2 /= sd * sd * sd;
                n.map(|v| v * (norm / alpha2))
            }
        };
        let d = [d1, d2, d3, d4];
        // Symmetric kernels (orders 0 and 2): the anti-causal numerators mirror the causal ones.
        let m = [
            n[1] - d1 * n[0],
            n[2] - d2 * n[0],
            n[3] - d3 * n[0],
            -d4 * n[0],
        ];
        let sn = n[0] + n[1] + n[2] + n[3];
        let sm = m[0] + m[1] + m[2] + m[3];
        let sd = 1.0 + d1 + d2 + d3 + d4;
        Coefficients {
            n,
            d,
            m,
            bn: d.map(|dk| dk * sn / sd),
            bm: d.map(|dk| dk * sm / sd),
        }
    }

    /// The reference one-row form of [`filter_rows`](Self::filter_rows), kept for the tests that pin the
    /// batched form to it.
    ///
    /// Filters one row (at least 4 samples): causal plus anti-causal pass, the signal continued with its
    /// end values beyond the row (ITK `RecursiveSeparableImageFilter::FilterDataArray`, same order of
    /// operations).
    #[cfg(test)]
    fn filter(&self, outs: &mut [f64], data: &[f64], scratch: &mut [f64]) {
        let ln = data.len();
        debug_assert!(ln >= 4 && outs.len() == ln && scratch.len() == ln);
        let [n0, n1, n2, n3] = self.n;
        let [d1, d2, d3, d4] = self.d;
        let [m1, m2, m3, m4] = self.m;
        let [bn1, bn2, bn3, bn4] = self.bn;
        let [bm1, bm2, bm3, bm4] = self.bm;
        let ema = |a1: f64, b1: f64, a2: f64, b2: f64, a3: f64, b3: f64, a4: f64, b4: f64| {
            a1 * b1 + a2 * b2 + a3 * b3 + a4 * b4
        };
        // Causal pass.
        let v1 = data[0];
        let y = outs;
        y[0] = ema(v1, n0, v1, n1, v1, n2, v1, n3);
        y[1] = ema(data[1], n0, v1, n1, v1, n2, v1, n3);
        y[2] = ema(data[2], n0, data[1], n1, v1, n2, v1, n3);
        y[3] = ema(data[3], n0, data[2], n1, data[1], n2, v1, n3);
        y[0] -= ema(v1, bn1, v1, bn2, v1, bn3, v1, bn4);
        y[1] -= ema(y[0], d1, v1, bn2, v1, bn3, v1, bn4);
        y[2] -= ema(y[1], d1, y[0], d2, v1, bn3, v1, bn4);
        y[3] -= ema(y[2], d1, y[1], d2, y[0], d3, v1, bn4);
        for i in 4..ln {
            y[i] = ema(
                data[i],
                n0,
                data[i - 1],
                n1,
                data[i - 2],
                n2,
                data[i - 3],
                n3,
            );
            y[i] -= ema(y[i - 1], d1, y[i - 2], d2, y[i - 3], d3, y[i - 4], d4);
        }
        // Anti-causal pass.
        let v2 = data[ln - 1];
        let s = scratch;
        s[ln - 1] = ema(v2, m1, v2, m2, v2, m3, v2, m4);
        s[ln - 2] = ema(data[ln - 1], m1, v2, m2, v2, m3, v2, m4);
        s[ln - 3] = ema(data[ln - 2], m1, data[ln - 1], m2, v2, m3, v2, m4);
        s[ln - 4] = ema(data[ln - 3], m1, data[ln - 2], m2, data[ln - 1], m3, v2, m4);
        s[ln - 1] -= ema(v2, bm1, v2, bm2, v2, bm3, v2, bm4);
        s[ln - 2] -= ema(s[ln - 1], d1, v2, bm2, v2, bm3, v2, bm4);
        s[ln - 3] -= ema(s[ln - 2], d1, s[ln - 1], d2, v2, bm3, v2, bm4);
        s[ln - 4] -= ema(s[ln - 3], d1, s[ln - 2], d2, s[ln - 1], d3, v2, bm4);
        for i in (1..=ln - 4).rev() {
            s[i - 1] = ema(
                data[i],
                m1,
                data[i + 1],
                m2,
                data[i + 2],
                m3,
                data[i + 3],
                m4,
            );
            s[i - 1] -= ema(s[i], d1, s[i + 1], d2, s[i + 2], d3, s[i + 3], d4);
        }
        for (o, a) in y.iter_mut().zip(s.iter()) {
            *o += a;
        }
    }

    /// [`filter`](Self::filter) applied to `inner` rows at once, for the stretch `lo ..= hi` of each row:
    /// `x` holds the rows interleaved (row element `i` of row `j` at `x[i * inner + j]`, at least 4
    /// elements per row). Writes the causal pass to `y` (elements `0 ..= max(hi, 3)`) and the anti-causal
    /// pass to `s` (elements `min(lo, len − 4) ..`); the caller adds them over `lo ..= hi`. Same
    /// operations, in the same order, as `filter` for each row.
    ///
    /// The loops run across the rows, so they vectorise; where the processor has AVX2 a copy compiled for
    /// it is used (separate multiplies and adds, never fused, so the rounding is the same).
    fn filter_rows(
        &self,
        x: &[f64],
        inner: usize,
        y: &mut [f64],
        s: &mut [f64],
        lo: usize,
        hi: usize,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2 (checked just above), the only requirement of
            // `filter_rows_avx2`.
            unsafe { self.filter_rows_avx2(x, inner, y, s, lo, hi) };
            return;
        }
        self.filter_rows_portable(x, inner, y, s, lo, hi);
    }

    /// [`filter_rows_portable`](Self::filter_rows_portable) compiled for AVX2.
    ///
    /// # Safety
    /// The processor must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn filter_rows_avx2(
        &self,
        x: &[f64],
        inner: usize,
        y: &mut [f64],
        s: &mut [f64],
        lo: usize,
        hi: usize,
    ) {
        self.filter_rows_portable(x, inner, y, s, lo, hi);
    }

    #[inline(always)]
    fn filter_rows_portable(
        &self,
        x: &[f64],
        inner: usize,
        y: &mut [f64],
        s: &mut [f64],
        lo: usize,
        hi: usize,
    ) {
        let ln = x.len() / inner;
        assert!(ln >= 4 && y.len() == x.len() && s.len() == x.len() && lo <= hi && hi < ln);
        let [n0, n1, n2, n3] = self.n;
        let [d1, d2, d3, d4] = self.d;
        let [m1, m2, m3, m4] = self.m;
        let [bn1, bn2, bn3, bn4] = self.bn;
        let [bm1, bm2, bm3, bm4] = self.bm;
        let ema = |a1: f64, b1: f64, a2: f64, b2: f64, a3: f64, b3: f64, a4: f64, b4: f64| {
            a1 * b1 + a2 * b2 + a3 * b3 + a4 * b4
        };
        let at = |i: usize, j: usize| i * inner + j;
        // Causal pass, as far as `hi`.
        for j in 0..inner {
            let v1 = x[at(0, j)];
            let (x1, x2, x3) = (x[at(1, j)], x[at(2, j)], x[at(3, j)]);
            let y0 = ema(v1, n0, v1, n1, v1, n2, v1, n3) - ema(v1, bn1, v1, bn2, v1, bn3, v1, bn4);
            let y1 = ema(x1, n0, v1, n1, v1, n2, v1, n3) - ema(y0, d1, v1, bn2, v1, bn3, v1, bn4);
            let y2 = ema(x2, n0, x1, n1, v1, n2, v1, n3) - ema(y1, d1, y0, d2, v1, bn3, v1, bn4);
            let y3 = ema(x3, n0, x2, n1, x1, n2, v1, n3) - ema(y2, d1, y1, d2, y0, d3, v1, bn4);
            y[at(0, j)] = y0;
            y[at(1, j)] = y1;
            y[at(2, j)] = y2;
            y[at(3, j)] = y3;
        }
        for i in 4..=hi {
            let (head, tail) = y.split_at_mut(i * inner);
            let row = &mut tail[..inner];
            let p1 = &head[(i - 1) * inner..][..inner];
            let p2 = &head[(i - 2) * inner..][..inner];
            let p3 = &head[(i - 3) * inner..][..inner];
            let p4 = &head[(i - 4) * inner..][..inner];
            let x0 = &x[i * inner..][..inner];
            let x1 = &x[(i - 1) * inner..][..inner];
            let x2 = &x[(i - 2) * inner..][..inner];
            let x3 = &x[(i - 3) * inner..][..inner];
            for j in 0..inner {
                row[j] = ema(x0[j], n0, x1[j], n1, x2[j], n2, x3[j], n3)
                    - ema(p1[j], d1, p2[j], d2, p3[j], d3, p4[j], d4);
            }
        }
        // Anti-causal pass, back to `lo`.
        let last = ln - 1;
        for j in 0..inner {
            let v2 = x[at(last, j)];
            let (xa, xb, xc) = (x[at(last, j)], x[at(last - 1, j)], x[at(last - 2, j)]);
            let s0 = ema(v2, m1, v2, m2, v2, m3, v2, m4) - ema(v2, bm1, v2, bm2, v2, bm3, v2, bm4);
            let s1 = ema(xa, m1, v2, m2, v2, m3, v2, m4) - ema(s0, d1, v2, bm2, v2, bm3, v2, bm4);
            let s2 = ema(xb, m1, xa, m2, v2, m3, v2, m4) - ema(s1, d1, s0, d2, v2, bm3, v2, bm4);
            let s3 = ema(xc, m1, xb, m2, xa, m3, v2, m4) - ema(s2, d1, s1, d2, s0, d3, v2, bm4);
            s[at(last, j)] = s0;
            s[at(last - 1, j)] = s1;
            s[at(last - 2, j)] = s2;
            s[at(last - 3, j)] = s3;
        }
        for i in (lo + 1..=ln - 4).rev() {
            let (head, tail) = s.split_at_mut(i * inner);
            let row = &mut head[(i - 1) * inner..][..inner];
            let q1 = &tail[..inner];
            let q2 = &tail[inner..][..inner];
            let q3 = &tail[2 * inner..][..inner];
            let q4 = &tail[3 * inner..][..inner];
            let x0 = &x[i * inner..][..inner];
            let x1 = &x[(i + 1) * inner..][..inner];
            let x2 = &x[(i + 2) * inner..][..inner];
            let x3 = &x[(i + 3) * inner..][..inner];
            for j in 0..inner {
                row[j] = ema(x0[j], m1, x1[j], m2, x2[j], m3, x3[j], m4)
                    - ema(q1[j], d1, q2[j], d2, q3[j], d3, q4[j], d4);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    #[test]
    fn batched_rows_equal_row_by_row_bit_for_bit() {
        let mut rng = crate::synthetic::Rng::new(5);
        for (order, len, inner) in [
            (Order::Zero, 4, 3),
            (Order::Second, 9, 8),
            (Order::Zero, 37, 5),
        ] {
            let c = Coefficients::new(2.5, 0.8, order);
            let rows: Vec<Vec<f64>> = (0..inner)
                .map(|_| (0..len).map(|_| rng.normal() * 100.0).collect())
                .collect();
            let mut x = vec![0.0; len * inner];
            for (j, row) in rows.iter().enumerate() {
                for (i, &v) in row.iter().enumerate() {
                    x[i * inner + j] = v;
                }
            }
            let (mut y, mut s) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            c.filter_rows(&x, inner, &mut y, &mut s, 0, len - 1);
            for (j, row) in rows.iter().enumerate() {
                let one = run(&c, row);
                for i in 0..len {
                    let batched = y[i * inner + j] + s[i * inner + j];
                    assert_eq!(batched.to_bits(), one[i].to_bits(), "row {j}, element {i}");
                }
            }
        }
    }

    #[test]
    fn box_values_equal_whole_image_values_bit_for_bit() {
        let mut rng = crate::synthetic::Rng::new(11);
        let g = Geometry::new([0.7, 0.9, 2.5], [0.0; 3]);
        let data = Array3::from_shape_fn((9, 23, 31), |_| rng.normal() * 50.0 + 200.0);
        let image = Image::new(data, g).unwrap();
        let boxes = [
            ([0, 0, 0], [8, 22, 30]),
            ([3, 5, 7], [5, 12, 20]),
            ([0, 0, 0], [0, 0, 0]),
            ([8, 22, 30], [8, 22, 30]),
            ([4, 1, 27], [8, 2, 30]),
        ];
        for precision in [Precision::Itk, Precision::Double] {
            for sigma in [0.8, 2.0, 4.5] {
                let whole = log_with(&image, sigma, precision).unwrap();
                let whole = whole.data();
                for (lower, upper) in boxes {
                    let bbox = BoundingBox { lower, upper };
                    let part = log_in_box(&image, sigma, &bbox, precision).unwrap();
                    let crop = whole.slice(ndarray::s![
                        lower[0]..=upper[0],
                        lower[1]..=upper[1],
                        lower[2]..=upper[2]
                    ]);
                    assert_eq!(part.dim(), crop.dim());
                    for (a, b) in part.iter().zip(crop.iter()) {
                        assert_eq!(
                            a.to_bits(),
                            b.to_bits(),
                            "{precision:?} σ {sigma} box {bbox:?}"
                        );
                    }
                }
            }
        }
        // A region read in place equals the same region cropped first.
        let region = BoundingBox {
            lower: [1, 4, 6],
            upper: [8, 20, 29],
        };
        let cropped = image
            .data()
            .slice(ndarray::s![1..=8, 4..=20, 6..=29])
            .to_owned();
        let cropped = Image::new(cropped, g).unwrap();
        let bbox = BoundingBox {
            lower: [2, 3, 4],
            upper: [5, 9, 15],
        };
        for precision in [Precision::Itk, Precision::Double] {
            let a = log_of_region_in_box(&image, &region, 1.5, &bbox, precision).unwrap();
            let b = log_in_box(&cropped, 1.5, &bbox, precision).unwrap();
            assert!(a
                .iter()
                .zip(b.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits()));
        }
        let outside = BoundingBox {
            lower: [0, 0, 0],
            upper: [9, 0, 0],
        };
        assert!(log_of_region_in_box(&image, &outside, 1.0, &bbox, Precision::Itk).is_err());
        assert!(log_in_box(&image, 1.0, &outside, Precision::Itk).is_err());
    }

    fn run(c: &Coefficients, data: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; data.len()];
        let mut scratch = vec![0.0; data.len()];
        c.filter(&mut out, data, &mut scratch);
        out
    }

    #[test]
    fn names_follow_python_str() {
        assert_eq!(log_name(1.0), "log-sigma-1-0-mm-3D");
        assert_eq!(log_name(0.5), "log-sigma-0-5-mm-3D");
        assert_eq!(log_name(2.25), "log-sigma-2-25-mm-3D");
        assert_eq!(log_name_from_text("3"), "log-sigma-3-mm-3D");
    }

    #[test]
    fn skip_rules() {
        assert!(log_skip_reason([3, 10, 10], [1.0; 3], 1.0)
            .unwrap()
            .contains("too small"));
        assert!(log_skip_reason([10; 3], [1.0; 3], 0.0)
            .unwrap()
            .contains("greater than 0"));
        // ceil(5 / 1) + 1 = 6 > 5 voxels.
        assert!(log_skip_reason([10, 10, 5], [1.0; 3], 5.0).is_some());
        assert!(log_skip_reason([10, 10, 6], [1.0; 3], 5.0).is_none());
    }

    #[test]
    fn gaussian_impulse_response_has_unit_sum_and_sigma() {
        // Order 0 on an impulse: sum 1, variance sigma_d^2 (to the fit's accuracy), symmetric.
        let sigmad = 3.0;
        let c = Coefficients::new(sigmad, 1.0, Order::Zero);
        let mut data = vec![0.0; 201];
        data[100] = 1.0;
        let y = run(&c, &data);
        let sum: f64 = y.iter().sum();
        let var: f64 = y
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64 - 100.0).powi(2) * v)
            .sum();
        assert!((sum - 1.0).abs() < 1e-9, "sum {sum}");
        // Deriche's 4th-order fit is not exactly a sampled Gaussian: its variance is 6 % short at this
        // sigma. SimpleITK's RecursiveGaussianImageFilter gives 8.4421376 for the same impulse.
        assert!((var - 8.442_137_6).abs() < 1e-6, "variance {var}");
        assert!((y[90] - y[110]).abs() < 1e-12);
        // Order 2, normalised: on x^2/2 the response is sigma^2 (the curvature is 1) away from the ends.
        let c2 = Coefficients::new(sigmad, 1.0, Order::Second);
        let q: Vec<f64> = (0..201)
            .map(|i| ((i as f64 - 100.0).powi(2)) / 2.0)
            .collect();
        let y2 = run(&c2, &q);
        assert!(
            (y2[100] / (sigmad * sigmad) - 1.0).abs() < 1e-6,
            "{}",
            y2[100]
        );
    }

    #[test]
    fn log_of_constant_is_zero_and_of_ramp_vanishes_inside() {
        let g = Geometry::new([0.8, 1.1, 2.0], [0.0; 3]);
        let constant = Image::new(Array3::from_elem((16, 48, 48), 250.0), g).unwrap();
        for p in [Precision::Itk, Precision::Double] {
            let out = log_with(&constant, 2.0, p).unwrap();
            let worst = out.data().iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(worst < 1e-9, "{p:?}: {worst}");
        }
        let ramp = Array3::from_shape_fn((16, 48, 48), |(z, y, x)| {
            100.0 + 3.0 * x as f64 - 2.0 * y as f64 + 5.0 * z as f64
        });
        let out = log_with(&Image::new(ramp, g).unwrap(), 1.0, Precision::Double).unwrap();
        // The ends continue the row with a constant, which bends the ramp; inside it is linear.
        let inner = out
            .data()
            .slice(ndarray::s![7..9, 20..28, 20..28])
            .to_owned();
        let worst = inner.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(worst < 1e-6, "{worst}");
        assert!(out.data()[[0, 0, 0]].abs() > 1e-3);
    }
}
