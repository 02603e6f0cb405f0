//! Local binary patterns (PyRadiomics image types `LBP2D`, `getLBP2DImage`, and `LBP3D`, `getLBP3DImage`).
//!
//! # LBP2D (scikit-image `local_binary_pattern`, slice by slice)
//! PyRadiomics cuts the volume into 2D slices normal to the array axis `force2Ddimension` (0 = z, the
//! default; 1 = y; 2 = x) and runs scikit-image's `local_binary_pattern(slice, P, R, method)` on each. A
//! slice's rows and columns are the two remaining axes in the order numpy's `swapaxes(0, d)` leaves them:
//! (y, x) for d = 0, (z, x) for d = 1, (y, z) for d = 2.
//!
//! For a pixel at (r, c) with value g_c, the P samples on a circle of radius R are
//!
//! ```text
//! r_p = r + round(−R·sin(2πp/P), 5),   c_p = c + round(R·cos(2πp/P), 5),   p = 0 … P − 1
//! g_p = bilinear interpolation at (r_p, c_p), pixels outside the slice read as 0:
//!       top = (1 − dc)·I(⌊r⌋, ⌊c⌋) + dc·I(⌊r⌋, ⌈c⌉),  bottom = (1 − dc)·I(⌈r⌉, ⌊c⌋) + dc·I(⌈r⌉, ⌈c⌉)
//!       g = (1 − dr)·top + dr·bottom,   dr = r − ⌊r⌋, dc = c − ⌊c⌋
//! s_p = 1 if g_p − g_c ≥ 0 else 0
//! U   = #{p < P − 1 : s_p ≠ s_{p+1}}        (scikit-image does not count the pair (P − 1, 0))
//! ```
//!
//! and the code by method:
//!
//! ```text
//! default      Σ s_p · 2^p
//! ror          the smallest value of the default code over the P circular bit rotations
//! uniform      Σ s_p if U ≤ 2, else P + 1                  (PyRadiomics' default)
//! nri_uniform  0 if no s_p is 1; P(P − 1) + 1 if all are; P(P − 1) + 2 if U > 2; else
//!              1 + (n − 1)·P + rot, with n = Σ s_p, rot = n − (first p with s_p = 0) when s_0 = 1,
//!              else P − (first p with s_p = 1)
//! var          (Σ g_p² − (Σ g_p)²/P) / P, NaN when it is 0
//! ```
//!
//! Interpolation and comparison are done in the same floating-point steps as scikit-image, so that samples
//! equal to the centre compare as scikit-image compares them (a flat region's interpolated samples may
//! differ from the centre by an ulp).
//!
//! PyRadiomics writes each slice's codes back into the input's array, so the stored image has the input's
//! pixel type: codes are integers for every method except `var`, whose values an integer-typed input
//! truncates. This function returns the `f64` codes; truncation of `var` is left to the caller that knows
//! the input pixel type.
//!
//! Region of support: ⌈R⌉ voxels along the two in-plane axes ([`lbp2d_margin`]); samples outside the image
//! read 0 only at the true image border. A region is filtered with [`lbp2d_at`], which places the samples
//! at the whole image's indices: `c + 0.70711` rounds differently for different integers `c`, and
//! scikit-image samples at the whole slice's indices.
//!
//! # LBP3D (spherical harmonics, Banerjee et al. 2013; PyRadiomics `getLBP3DImage`)
//! For each ROI voxel `c` (array index `[z, y, x]`) and each vertex `v` of an icosphere of radius R (trimesh's
//! `icosphere(subdivision, R)`: an icosahedron whose edges are split `subdivision` times, new vertices pushed
//! onto the sphere; 12, 42, 162, … vertices), with the vertex's components added to the array index in
//! the order (z, y, x):
//!
//! ```text
//! f_v   = cubic B-spline interpolation of the image at c + v (scipy map_coordinates, order 3, mode
//!         'constant': spline coefficients with mirror boundaries, points outside [0, n − 1] read 0),
//!         rounded to the nearest integer when the input pixel type is an integer type (map_coordinates
//!         writes into an array of the input's type)
//! K(c)  = m₄ / m₂² − 3 over the f_v (scipy.stats.kurtosis: Fisher, biased; NaN when m₂ = 0)  → lbp-3D-k
//! b_v   = 1 if f_v ≥ image(c) else 0
//! angles of v: α = arccos(v₂ / R), β = atan2(v₁, v₀)
//! Y_nm(v) = sph_harm(m, n, α, β) in SciPy's old argument order, i.e. α azimuthal and β polar:
//!         Y_nm = √((2n + 1)/(4π) · (n − m)!/(n + m)!) · P_n^m(cos β) · e^{i m α}   (Condon–Shortley phase)
//! c_nm  = Σ_v b_v · Y_nm(v)                       (complex; no conjugate, as PyRadiomics)
//! g_nv  = Σ_{m=−n}^{n} c_nm · Y_nm(v)
//! m_n   = Re √(Σ_v g_nv²)                        (complex square and principal square root)  → lbp-3D-m(n+1)
//! ```
//!
//! for n = 0 … levels − 1. PyRadiomics computes these only at ROI voxels; elsewhere [`lbp3d`] writes 0
//! (PyRadiomics leaves its output array uninitialised there).
//!
//! Region of support: the whole image. The spline prefilter is recursive and its initial values sum whole
//! lines, so a crop changes the coefficients' last bits; [`lbp3d_in_box`] filters the whole image and
//! samples it at the ROI voxels of a box, at whole-image indices. The arithmetic is SciPy's step for step
//! (pole constant, `pow` for z^(n−1), the anticausal initial value, the last weight as one minus the
//! others, each coefficient multiplied by the weights axis by axis and summed in index order), the kurtosis
//! scipy.stats' (pairwise sums, fourth power as a squared square) and the square root the C library's
//! `csqrt`: samples that equal the centre in PyRadiomics equal it here, which decides the bits b_v.
//!
//! The values follow PyRadiomics bit for bit (tests/filters.rs) where numpy runs its AVX2/FMA loops: trimesh's
//! icosphere (vertex order and arithmetic), SciPy 1.14's `sph_harm` (Zhang and Jin's `lpmv`, Cephes' `poch`)
//! and complex products with fused multiply-add as numpy's vectorised loops compute them. Two things make
//! PyRadiomics itself differ between CPUs in the last bit, which moves ties among the m_n values (and so
//! percentiles such as RobustMeanAbsoluteDeviation): numpy's complex products round twice on CPUs without
//! FMA, and its AVX-512 `arccos` is not the C library's. This library computes one answer on every CPU, the
//! AVX2/FMA one.

use ndarray::{Array2, Array3, ArrayView2, ArrayViewMut1, Axis};

use crate::error::{Error, Result};
use crate::image::io::DataType;
use crate::image::{BoundingBox, Image, Mask};
use crate::numeric::{pairwise_sum, pairwise_sum_f32};

/// How scikit-image turns the P sample bits into a code (`lbp2DMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbpMethod {
    /// `default`: Σ s_p 2^p, not rotation invariant.
    Default,
    /// `ror`: the rotation-invariant minimum of the default code.
    Ror,
    /// `uniform` (PyRadiomics' default): number of ones for uniform patterns, P + 1 otherwise.
    Uniform,
    /// `nri_uniform`: a distinct code per uniform pattern, not rotation invariant.
    NriUniform,
    /// `var`: variance of the samples.
    Var,
}

impl LbpMethod {
    /// The method of a PyRadiomics `lbp2DMethod` value (case-insensitive, as scikit-image reads it).
    pub fn from_name(name: &str) -> Result<LbpMethod> {
        match name.to_ascii_lowercase().as_str() {
            "default" => Ok(LbpMethod::Default),
            "ror" => Ok(LbpMethod::Ror),
            "uniform" => Ok(LbpMethod::Uniform),
            "nri_uniform" => Ok(LbpMethod::NriUniform),
            "var" => Ok(LbpMethod::Var),
            _ => Err(Error::setting(format!(
                "lbp2DMethod '{name}' is not one of default, ror, uniform, nri_uniform, var"
            ))),
        }
    }
}

/// LBP2D of `image`, slice by slice normal to the array axis `force2d_dimension` (0 = z, 1 = y, 2 = x), with
/// `samples` points on a circle of `radius` pixels (PyRadiomics' `lbp2DRadius` 1, `lbp2DSamples` 8,
/// `lbp2DMethod` uniform by default).
pub fn lbp2d(
    image: &Image,
    radius: f64,
    samples: usize,
    method: LbpMethod,
    force2d_dimension: usize,
) -> Result<Image> {
    lbp2d_at(image, [0, 0, 0], radius, samples, method, force2d_dimension)
}

/// [`lbp2d`] of a region of a larger image whose first voxel is at index `origin` (`[z, y, x]`) of that
/// image: the samples are placed at the larger image's indices, as scikit-image places them on the whole
/// slice. The fractional part of `c + 0.70711` depends on the integer `c`, so the interpolation weights,
/// and with them which samples tie with the centre, change with the index the pixel has.
pub fn lbp2d_at(
    image: &Image,
    origin: [usize; 3],
    radius: f64,
    samples: usize,
    method: LbpMethod,
    force2d_dimension: usize,
) -> Result<Image> {
    if force2d_dimension > 2 {
        return Err(Error::setting(format!(
            "force2Ddimension must be 0, 1 or 2, got {force2d_dimension}"
        )));
    }
    if !(radius.is_finite() && radius > 0.0) {
        return Err(Error::setting(format!(
            "lbp2DRadius must be a positive number, got {radius}"
        )));
    }
    if samples == 0 || samples > 31 {
        return Err(Error::setting(format!(
            "lbp2DSamples must be between 1 and 31 (codes are 32-bit), got {samples}"
        )));
    }
    let mut data = image.data().to_owned();
    // numpy's swapaxes(0, d) for d = 1 or 2 leaves the other axes in place: slices are (z, x) or (y, z).
    let mut swapped = data.view_mut();
    swapped.swap_axes(0, force2d_dimension);
    let offsets = sample_offsets(radius, samples);
    // The slices' (row, column) axes: (y, x) for d = 0, (z, x) for d = 1, (y, z) for d = 2.
    let plane_origin = match force2d_dimension {
        0 => (origin[1], origin[2]),
        1 => (origin[0], origin[2]),
        _ => (origin[1], origin[0]),
    };
    for mut plane in swapped.axis_iter_mut(Axis(0)) {
        let slice = plane.as_standard_layout().into_owned();
        let codes = lbp_slice(slice.view(), plane_origin, &offsets, method);
        plane.assign(&codes);
    }
    // PyRadiomics writes the codes back into the image's own array (`im_arr[idx, ...] = ...`): numpy casts
    // them to the image's type, so an int16 image keeps wrapped, truncated codes.
    if let Some(t) = image.pixel_type() {
        data.mapv_inplace(|v| numpy_store(v, t));
    }
    Ok(Image::new(data, *image.geometry())?.with_pixel_type(image.pixel_type()))
}

/// A float64 value as numpy stores it in an array of type `t` (C's conversion on x86-64): truncation toward
/// zero through a 32-bit (64-bit for 32-bit unsigned and 64-bit types) integer, keeping the low bits, so
/// out-of-range values wrap; a value beyond that integer's range (or NaN) becomes its minimum before the low
/// bits are kept.
pub fn numpy_store(v: f64, t: DataType) -> f64 {
    let via_i32 = || {
        let t = v.trunc();
        if (-2147483648.0..2147483648.0).contains(&t) {
            t as i32
        } else {
            i32::MIN
        }
    };
    let via_i64 = || {
        let t = v.trunc();
        if (-9.223372036854776e18..9.223372036854776e18).contains(&t) {
            t as i64
        } else {
            i64::MIN
        }
    };
    match t {
        DataType::U8 => via_i32() as u8 as f64,
        DataType::I8 => via_i32() as i8 as f64,
        DataType::U16 => via_i32() as u16 as f64,
        DataType::I16 => via_i32() as i16 as f64,
        DataType::I32 => via_i32() as f64,
        DataType::U32 => via_i64() as u32 as f64,
        DataType::I64 => via_i64() as f64,
        DataType::U64 => via_i64() as u64 as f64,
        DataType::F32 => v as f32 as f64,
        DataType::F64 => v,
    }
}

/// Voxels to keep around the ROI's bounding box, per array axis `[z, y, x]`, for [`lbp2d`].
pub fn lbp2d_margin(radius: f64, force2d_dimension: usize) -> [usize; 3] {
    let r = radius.ceil().max(0.0) as usize;
    let mut m = [r; 3];
    if force2d_dimension < 3 {
        m[force2d_dimension] = 0;
    }
    m
}

/// numpy's `round(v, 5)`: scale, round half to even, unscale.
fn round5(v: f64) -> f64 {
    (v * 1e5).round_ties_even() / 1e5
}

/// `(row, column)` offsets of the samples, as scikit-image computes them.
fn sample_offsets(radius: f64, samples: usize) -> Vec<(f64, f64)> {
    (0..samples)
        .map(|p| {
            let angle = 2.0 * std::f64::consts::PI * p as f64 / samples as f64;
            (round5(-radius * angle.sin()), round5(radius * angle.cos()))
        })
        .collect()
}

/// Bilinear interpolation at (r, c) of a slice whose first pixel is at `(r0, c0)` of the whole slice
/// (coordinates are whole-slice ones); pixels outside the slice read 0 (scikit-image, mode 'C').
fn bilinear(img: ArrayView2<'_, f64>, (r0, c0): (usize, usize), r: f64, c: f64) -> f64 {
    let (rows, cols) = img.dim();
    let pixel = |r: f64, c: f64| -> f64 {
        let (r, c) = (r - r0 as f64, c - c0 as f64);
        if r < 0.0 || c < 0.0 || r >= rows as f64 || c >= cols as f64 {
            0.0
        } else {
            img[[r as usize, c as usize]]
        }
    };
    let (minr, minc, maxr, maxc) = (r.floor(), c.floor(), r.ceil(), c.ceil());
    let dr = r - minr;
    let dc = c - minc;
    let top = (1.0 - dc) * pixel(minr, minc) + dc * pixel(minr, maxc);
    let bottom = (1.0 - dc) * pixel(maxr, minc) + dc * pixel(maxr, maxc);
    (1.0 - dr) * top + dr * bottom
}

/// LBP codes of one slice whose first pixel is at `origin` (row, column) of the whole slice.
fn lbp_slice(
    img: ArrayView2<'_, f64>,
    origin: (usize, usize),
    offsets: &[(f64, f64)],
    method: LbpMethod,
) -> Array2<f64> {
    let p = offsets.len();
    let mut texture = vec![0.0; p];
    let mut signed = vec![0u32; p];
    Array2::from_shape_fn(img.dim(), |(r, c)| {
        let centre = img[[r, c]];
        let (ra, ca) = ((r + origin.0) as f64, (c + origin.1) as f64);
        for (i, &(dr, dc)) in offsets.iter().enumerate() {
            texture[i] = bilinear(img, origin, ra + dr, ca + dc);
            signed[i] = u32::from(texture[i] - centre >= 0.0);
        }
        code(&texture, &signed, method)
    })
}

/// The code of one pixel from its samples `texture` and bits `signed`.
fn code(texture: &[f64], signed: &[u32], method: LbpMethod) -> f64 {
    let p = signed.len();
    let changes = signed.windows(2).filter(|w| w[0] != w[1]).count();
    match method {
        LbpMethod::Var => {
            let (mut sum, mut sq) = (0.0, 0.0);
            for &t in texture {
                sum += t;
                sq += t * t;
            }
            let var = (sq - sum * sum / p as f64) / p as f64;
            if var != 0.0 {
                var
            } else {
                f64::NAN
            }
        }
        LbpMethod::Uniform => {
            if changes <= 2 {
                signed.iter().sum::<u32>() as f64
            } else {
                (p + 1) as f64
            }
        }
        LbpMethod::NriUniform => {
            if changes > 2 {
                return (p * (p - 1) + 2) as f64;
            }
            let n_ones = signed.iter().filter(|&&s| s == 1).count();
            if n_ones == 0 {
                0.0
            } else if n_ones == p {
                (p * (p - 1) + 1) as f64
            } else {
                let first_one = signed.iter().position(|&s| s == 1).unwrap_or(0);
                let first_zero = signed.iter().position(|&s| s == 0).unwrap_or(0);
                let rot = if first_one == 0 {
                    n_ones - first_zero
                } else {
                    p - first_one
                };
                (1 + (n_ones - 1) * p + rot) as f64
            }
        }
        LbpMethod::Default | LbpMethod::Ror => {
            let lbp: u32 = signed.iter().enumerate().map(|(i, &s)| s << i).sum();
            if method == LbpMethod::Default {
                lbp as f64
            } else {
                let mask = (1u32 << p) - 1;
                (0..p as u32)
                    .map(|k| ((lbp >> k) | (lbp << (p as u32 - k))) & mask)
                    .min()
                    .unwrap_or(lbp) as f64
            }
        }
    }
}

/// Settings of LBP3D (PyRadiomics' `lbp3DLevels`, `lbp3DIcosphereRadius`, `lbp3DIcosphereSubdivision`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lbp3dSettings {
    /// Number of spherical-harmonic levels, one image each (`lbp3DLevels`, default 2).
    pub levels: usize,
    /// Radius of the sampling sphere in voxels (`lbp3DIcosphereRadius`, default 1).
    pub icosphere_radius: f64,
    /// Subdivisions of the icosahedron (`lbp3DIcosphereSubdivision`, default 1: 42 samples).
    pub icosphere_subdivision: usize,
    /// Round interpolated samples to integers, as PyRadiomics does when the input has an integer pixel
    /// type (default true: images read from integer files).
    pub integer_samples: bool,
}

impl Default for Lbp3dSettings {
    fn default() -> Self {
        Lbp3dSettings {
            levels: 2,
            icosphere_radius: 1.0,
            icosphere_subdivision: 1,
            integer_samples: true,
        }
    }
}

/// LBP3D of `image` at the voxels of `mask` (every voxel when `None`): `lbp-3D-m1` … `lbp-3D-m<levels>`
/// and `lbp-3D-k` (definitions in the module docs).
pub fn lbp3d(
    image: &Image,
    mask: Option<&Mask>,
    settings: &Lbp3dSettings,
) -> Result<Vec<(String, Image)>> {
    let (z, y, x) = image.data().dim();
    if z == 0 || y == 0 || x == 0 {
        return Err(Error::invalid("LBP3D of an empty image"));
    }
    let whole = BoundingBox {
        lower: [0, 0, 0],
        upper: [z - 1, y - 1, x - 1],
    };
    lbp3d_in_box(image, mask, &whole, settings)
}

/// [`lbp3d`] at the ROI voxels inside `bbox` only, returned as images of the box's size and geometry.
///
/// The samples come from the spline of the whole image and are taken at whole-image indices, as SciPy's
/// `map_coordinates` takes them in PyRadiomics: the prefilter's initial values sum whole lines and the
/// fractional part of an index depends on its integer part, so a cropped image would change the last bits
/// of the samples, and with them which samples tie with the centre.
pub fn lbp3d_in_box(
    image: &Image,
    mask: Option<&Mask>,
    bbox: &BoundingBox,
    settings: &Lbp3dSettings,
) -> Result<Vec<(String, Image)>> {
    let Lbp3dSettings {
        levels,
        icosphere_radius: radius,
        icosphere_subdivision,
        integer_samples,
    } = *settings;
    // One level is refused as PyRadiomics fails on it (its spherical harmonics array loses an axis).
    if !(2..=10).contains(&levels) {
        return Err(Error::setting(format!(
            "lbp3DLevels must be between 2 and 10, got {levels}"
        )));
    }
    if !(radius.is_finite() && radius > 0.0) {
        return Err(Error::setting(format!(
            "lbp3DIcosphereRadius must be a positive number, got {radius}"
        )));
    }
    if icosphere_subdivision > 5 {
        return Err(Error::setting(format!(
            "lbp3DIcosphereSubdivision must be at most 5, got {icosphere_subdivision}"
        )));
    }
    if let Some(m) = mask {
        if m.size() != image.size() {
            return Err(Error::geometry(format!(
                "mask size {:?} differs from image size {:?}",
                m.size(),
                image.size()
            )));
        }
    }
    let vertices = icosphere(icosphere_subdivision, radius);
    // Spherical harmonics per (n, m), per vertex.
    let mut harmonics: Vec<(usize, Vec<(f64, f64)>)> = Vec::new();
    for n in 0..levels {
        for m in -(n as i64)..=(n as i64) {
            let y = vertices
                .iter()
                .map(|v| {
                    let alpha = (v[2] / radius).acos();
                    let beta = v[1].atan2(v[0]);
                    sph_harm(m, n, alpha, beta)
                })
                .collect();
            harmonics.push((n, y));
        }
    }
    // SciPy's map_coordinates returns the samples in the input's type: rounded for integer images,
    // float32 for float32 images (whose kurtosis is then computed in float32 too).
    let single = !integer_samples && image.pixel_type() == Some(crate::image::io::DataType::F32);
    let data = image.data();
    let (dz, dy, dx) = data.dim();
    bbox.check_inside([dz, dy, dx], "LBP3D box")?;
    // The samples reach ⌈R⌉ voxels from the box and their taps two more (mirrored at the edges).
    let reach = (radius.ceil() as usize).saturating_add(2);
    let dims = [dz, dy, dx];
    let lower: [usize; 3] = std::array::from_fn(|a| bbox.lower[a].saturating_sub(reach));
    let upper: [usize; 3] =
        std::array::from_fn(|a| bbox.upper[a].saturating_add(reach).min(dims[a] - 1));
    let coeffs = SplineCoefficients::of_region(data, lower, upper);
    let shape = bbox.shape();
    let mut out = vec![Array3::<f64>::zeros((shape[0], shape[1], shape[2])); levels + 1];
    let mut samples = vec![0.0; vertices.len()];
    let region = data.slice(ndarray::s![
        bbox.lower[0]..=bbox.upper[0],
        bbox.lower[1]..=bbox.upper[1],
        bbox.lower[2]..=bbox.upper[2]
    ]);
    for ((bz, by, bx), &centre) in region.indexed_iter() {
        let (z, y, x) = (bz + bbox.lower[0], by + bbox.lower[1], bx + bbox.lower[2]);
        if let Some(m) = mask {
            if !m.roi()[[z, y, x]] {
                continue;
            }
        }
        for (f, v) in samples.iter_mut().zip(&vertices) {
            let p = [z as f64 + v[0], y as f64 + v[1], x as f64 + v[2]];
            let s = spline_value(&coeffs, p);
            *f = if integer_samples {
                s.round()
            } else if single {
                s as f32 as f64
            } else {
                s
            };
        }
        out[levels][[bz, by, bx]] = if single {
            kurtosis_f32(&samples)
        } else {
            kurtosis(&samples)
        };
        let c: Vec<(f64, f64)> = harmonics
            .iter()
            .map(|(_, yk)| {
                let mut acc = (0.0, 0.0);
                for (f, y) in samples.iter().zip(yk) {
                    if *f >= centre {
                        acc.0 += y.0;
                        acc.1 += y.1;
                    }
                }
                acc
            })
            .collect();
        for (n, img) in out.iter_mut().enumerate().take(levels) {
            let mut total = (0.0, 0.0);
            for vi in 0..vertices.len() {
                // One term per m, added in order: the product array PyRadiomics sums is laid out with the
                // vertices fastest (numpy keeps the layout of Y's fancy-indexed columns), so numpy adds the
                // terms one after the other, not pairwise.
                let mut g = (0.0, 0.0);
                for (k, (kn, yk)) in harmonics.iter().enumerate() {
                    if *kn == n {
                        let t = complex_mul(c[k], yk[vi]);
                        g = (g.0 + t.0, g.1 + t.1);
                    }
                }
                let sq = complex_mul(g, g);
                total.0 += sq.0;
                total.1 += sq.1;
            }
            img[[bz, by, bx]] = csqrt_re(total.0, total.1);
        }
    }
    let mut named = Vec::with_capacity(levels + 1);
    for (i, arr) in out.into_iter().enumerate() {
        let name = if i < levels {
            format!("lbp-3D-m{}", i + 1)
        } else {
            "lbp-3D-k".to_string()
        };
        named.push((name, Image::new(arr, image.geometry().cropped(bbox))?));
    }
    Ok(named)
}

/// scipy.stats.kurtosis (Fisher, biased) in the samples' own float type, as SciPy computes it for an array
/// of that type: the mean and the moments by numpy's pairwise sums, the fourth power as the square of the
/// square, NaN when m₂ ≤ (ε · mean)².
macro_rules! scipy_kurtosis {
    ($name:ident, $t:ty, $sum:path) => {
        fn $name(x: &[$t]) -> $t {
            let n = x.len() as $t;
            let mean = $sum(x) / n;
            let s2: Vec<$t> = x
                .iter()
                .map(|&v| {
                    let d = v - mean;
                    d * d
                })
                .collect();
            let m2 = $sum(&s2) / n;
            let s4: Vec<$t> = s2.iter().map(|&v| v * v).collect();
            let m4 = $sum(&s4) / n;
            let floor = <$t>::EPSILON * mean;
            if m2 <= floor * floor {
                <$t>::NAN
            } else {
                m4 / (m2 * m2) - 3.0
            }
        }
    };
}

scipy_kurtosis!(kurtosis, f64, pairwise_sum);
scipy_kurtosis!(kurtosis_in_f32, f32, pairwise_sum_f32);

/// [`kurtosis`] of float32 samples (held as `f64`) computed in float32, as SciPy does for a float32 array.
fn kurtosis_f32(x: &[f64]) -> f64 {
    let a: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    kurtosis_in_f32(&a) as f64
}

/// A complex product as numpy's vectorised loops compute it on CPUs with fused multiply-add (x86-64 with
/// AVX2 or AVX-512, Arm64): re = fma(a.re, b.re, −(a.im·b.im)), im = fma(a.re, b.im, a.im·b.re). numpy's
/// plain loop (CPUs without FMA) rounds both products instead, so PyRadiomics' LBP3D differs in the last
/// bit between such CPUs; the FMA form is today's common case.
fn complex_mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0.mul_add(b.0, -(a.1 * b.1)), a.0.mul_add(b.1, a.1 * b.0))
}

/// The real part of the principal square root of `a + bi`, in the steps of the C library's `csqrt` (which
/// numpy's `sqrt` of a complex array calls): the branch for `a ≤ 0` goes through the imaginary part.
fn csqrt_re(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return if a < 0.0 { 0.0 } else { a.sqrt() };
    }
    let d = a.hypot(b);
    if a > 0.0 {
        (0.5 * (d + a)).sqrt()
    } else {
        let s = (0.5 * (d - a)).sqrt();
        (0.5 * (b / s)).abs()
    }
}

/// `sph_harm(m, n, azimuth, polar)` (SciPy's former argument order) as (re, im), in the steps of SciPy 1.14
/// (the last SciPy whose `sph_harm` PyRadiomics 3.0.1 can call without warnings):
///
/// ```text
/// Y = P_n^|m|(cos polar) [· (−1)^|m| · poch(n + |m| + 1, −2|m|) for m < 0]
///     · √((2n + 1) · poch(n + m + 1, −2m) / (4π)) · (cos(m · azimuth), sin(m · azimuth))
/// ```
///
/// with P from Zhang and Jin's `lpmv` ([`associated_legendre`]) and poch the Pochhammer symbol by
/// recurrence ([`pochhammer`]). Other algebraically equal forms differ in the last bit, which decides ties
/// among the LBP3D values (and so percentiles).
fn sph_harm(m: i64, n: usize, azimuth: f64, polar: f64) -> (f64, f64) {
    let mp = m.unsigned_abs() as usize;
    let mut re = associated_legendre(mp, n, polar.cos());
    let mut im = 0.0;
    if m < 0 {
        let sign = if mp % 2 == 0 { 1.0 } else { -1.0 };
        let prefactor = sign * pochhammer((n + mp + 1) as f64, -2.0 * mp as f64);
        re *= prefactor;
        im *= prefactor;
    }
    let norm = ((2 * n + 1) as f64 * pochhammer((n as i64 + m + 1) as f64, (-2 * m) as f64)
        / (4.0 * std::f64::consts::PI))
        .sqrt();
    re *= norm;
    im *= norm;
    let (s, c) = (m as f64 * azimuth).sin_cos();
    (re * c - im * s, re * s + im * c)
}

/// The Pochhammer symbol (a)_m = Γ(a + m)/Γ(a) for an integer m, as Cephes' `poch` reduces it: m steps of
/// the recurrence, multiplying by (a + m − 1), (a + m − 2), … or dividing by (a + m), (a + m + 1), ….
fn pochhammer(a: f64, mut m: f64) -> f64 {
    let mut r = 1.0;
    while m >= 1.0 {
        if a + m == 1.0 {
            break;
        }
        m -= 1.0;
        r *= a + m;
        if !r.is_finite() || r == 0.0 {
            break;
        }
    }
    while m <= -1.0 {
        if a + m == 0.0 {
            break;
        }
        r /= a + m;
        m += 1.0;
        if !r.is_finite() || r == 0.0 {
            break;
        }
    }
    r
}

/// The associated Legendre function P_n^m(x), 0 ≤ m, integer degree n, with the Condon–Shortley phase, as
/// Zhang and Jin's `LPMV` computes it (SciPy's `lpmv`): the hypergeometric series in (1 + x) for degrees up
/// to 2 or up to m, otherwise that series at degrees m and m + 1 and the upward recurrence in the degree.
fn associated_legendre(m: usize, n: usize, x: f64) -> f64 {
    if m > n {
        return 0.0;
    }
    if n > 2 && n > m {
        let v0 = m as f64;
        let mf = m as f64;
        let (mut p0, mut p1) = (legendre_series(m, m, x), legendre_series(m + 1, m, x));
        let mut p = p1;
        for j in 1..(n - m) {
            let j = j as f64;
            p = ((2.0 * (v0 + j) + 1.0) * x * p1 - (v0 + j + mf) * p0) / (v0 + j + 1.0 - mf);
            p0 = p1;
            p1 = p;
        }
        p
    } else {
        legendre_series(n, m, x)
    }
}

/// Zhang and Jin's `LPMV0` for an integer degree: (−1)^n · c₀ · Σ_k r_k, c₀ = (1 − x²)^{m/2} n(n + m)
/// Π_{j<m}(n² − j²) / (2^m m!), r_k = r_{k−1} · (k − 1 − n + m)(n + m + k) / (2k(k + m)) · (1 + x).
fn legendre_series(n: usize, m: usize, x: f64) -> f64 {
    let v = n as f64;
    let mf = m as f64;
    let mut c0 = 1.0;
    if m != 0 {
        let mut rg = v * (v + mf);
        for j in 1..m {
            let j = j as f64;
            rg *= v * v - j * j;
        }
        let xq = (1.0 - x * x).sqrt();
        let mut r0 = 1.0;
        for j in 1..=m {
            r0 = 0.5 * r0 * xq / j as f64;
        }
        c0 = r0 * rg;
    }
    let (mut sum, mut r) = (1.0, 1.0);
    for k in 1..=(n - m) {
        let kf = k as f64;
        r = 0.5 * r * (-v + mf + kf - 1.0) * (n + m + k) as f64 / (k * (k + m)) as f64 * (1.0 + x);
        sum += r;
    }
    let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
    sign * c0 * sum
}

/// Vertices of trimesh's `icosphere(subdivision, radius)`, in its order and with its arithmetic: the
/// icosahedron's 12 vertices (±a, ±b, 0) and their cyclic permutations, a and b as trimesh stores them;
/// each subdivision appends the midpoint of every edge, edges taken in the order of (larger, smaller)
/// vertex index (trimesh's unique rows), then moves every vertex v radially to the radius as
/// `v + (v / |v|) · (radius − |v|)`; without subdivision that move is made once. The order sets the order of
/// the sums over vertices (kurtosis, c_nm), and so their last bits.
fn icosphere(subdivision: usize, radius: f64) -> Vec<[f64; 3]> {
    #[allow(clippy::excessive_precision)]
    let (a, b) = (0.5257311121191336_f64, 0.85065080835204_f64);
    let mut v: Vec<[f64; 3]> = Vec::with_capacity(10 * 4usize.pow(subdivision as u32) + 2);
    for &(p, q) in &[(-a, b), (a, b), (-a, -b), (a, -b)] {
        v.push([p, q, 0.0]);
    }
    for &(p, q) in &[(-a, b), (a, b), (-a, -b), (a, -b)] {
        v.push([0.0, p, q]);
    }
    for &(p, q) in &[(b, -a), (b, a), (-b, -a), (-b, a)] {
        v.push([p, 0.0, q]);
    }
    // Faces: triples of mutually adjacent vertices (adjacent = at the edge length, the smallest distance).
    // Only the edges they hold matter: vertices are numbered from the sorted edge list.
    let d2 = |p: [f64; 3], q: [f64; 3]| (0..3).map(|i| (p[i] - q[i]).powi(2)).sum::<f64>();
    let edge = d2(v[0], v[1]).min(d2(v[0], v[4])).min(d2(v[0], v[8]));
    let adjacent = |p: [f64; 3], q: [f64; 3]| (d2(p, q) - edge).abs() < 1e-9;
    let mut faces = Vec::new();
    for i in 0..12 {
        for j in i + 1..12 {
            for k in j + 1..12 {
                if adjacent(v[i], v[j]) && adjacent(v[j], v[k]) && adjacent(v[i], v[k]) {
                    faces.push([i, j, k]);
                }
            }
        }
    }
    let to_radius = |v: &mut Vec<[f64; 3]>| {
        for p in v.iter_mut() {
            let norm = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            let step = radius - norm;
            for c in p.iter_mut() {
                *c += *c / norm * step;
            }
        }
    };
    if subdivision == 0 {
        to_radius(&mut v);
    }
    for _ in 0..subdivision {
        let key = |p: usize, q: usize| (p.max(q), p.min(q));
        let mut edges: Vec<(usize, usize)> = faces
            .iter()
            .flat_map(|f: &[usize; 3]| [key(f[0], f[1]), key(f[1], f[2]), key(f[2], f[0])])
            .collect();
        edges.sort_unstable();
        edges.dedup();
        let first = v.len();
        for &(hi, lo) in &edges {
            let (p, q) = (v[lo], v[hi]);
            // numpy's mean of the pair: a sum from 0.0, then halved.
            v.push([
                (0.0 + p[0] + q[0]) / 2.0,
                (0.0 + p[1] + q[1]) / 2.0,
                (0.0 + p[2] + q[2]) / 2.0,
            ]);
        }
        let mid = |p: usize, q: usize| {
            first
                + edges
                    .binary_search(&key(p, q))
                    .expect("every edge of a face is in the edge list")
        };
        let mut next_faces = Vec::with_capacity(faces.len() * 4);
        for f in &faces {
            let (m01, m12, m20) = (mid(f[0], f[1]), mid(f[1], f[2]), mid(f[2], f[0]));
            next_faces.push([f[0], m01, m20]);
            next_faces.push([m01, f[1], m12]);
            next_faces.push([m20, m12, f[2]]);
            next_faces.push([m01, m12, m20]);
        }
        faces = next_faces;
        to_radius(&mut v);
    }
    v
}

/// Cubic B-spline coefficients (scipy `spline_filter`, order 3, mirror boundaries) of a volume, kept for a
/// region of it: what [`spline_value`] needs to sample the volume's spline inside that region.
struct SplineCoefficients {
    /// The coefficients over the region.
    c: Array3<f64>,
    /// The region's first index in the volume.
    origin: [usize; 3],
    /// The volume's size.
    dim: [usize; 3],
}

impl SplineCoefficients {
    /// The coefficients at `lower..=upper` (per array axis) of the volume's spline. Each axis is filtered
    /// in turn over whole lines, as SciPy filters them (the initial values sum whole lines), but only the
    /// lines that reach the region: every line along z, then along y within the region's slices, then along
    /// x within its rows; the result equals the whole volume's coefficients there bit for bit.
    fn of_region(data: ndarray::ArrayView3<'_, f64>, lower: [usize; 3], upper: [usize; 3]) -> Self {
        let (nz, ny, nx) = data.dim();
        let (rz, ry, rx) = (
            upper[0] - lower[0] + 1,
            upper[1] - lower[1] + 1,
            upper[2] - lower[2] + 1,
        );
        // Along z, one (z, x) plane per y, every x at once; kept for the region's slices.
        let mut slab = Array3::<f64>::zeros((rz, ny, nx));
        let mut plane = vec![0.0; nz * nx];
        for y in 0..ny {
            for (z, row) in plane.chunks_exact_mut(nx).enumerate() {
                for (v, &d) in row.iter_mut().zip(data.slice(ndarray::s![z, y, ..])) {
                    *v = d;
                }
            }
            prefilter_columns(&mut plane, nz, nx);
            for z in 0..rz {
                let row = &plane[(z + lower[0]) * nx..(z + lower[0] + 1) * nx];
                slab.slice_mut(ndarray::s![z, y, ..])
                    .iter_mut()
                    .zip(row)
                    .for_each(|(c, &v)| *c = v);
            }
        }
        // Along y, each slice's (y, x) plane at once; then along x, the region's rows.
        let mut c = Array3::<f64>::zeros((rz, ry, rx));
        for z in 0..rz {
            let mut sheet = slab.slice(ndarray::s![z, .., ..]).to_owned();
            prefilter_columns(
                sheet.as_slice_mut().expect("an owned array is contiguous"),
                ny,
                nx,
            );
            for y in 0..ry {
                let mut row = sheet.slice_mut(ndarray::s![y + lower[1], ..]);
                if nx >= 2 {
                    cubic_prefilter(row.view_mut());
                }
                c.slice_mut(ndarray::s![z, y, ..])
                    .assign(&row.slice(ndarray::s![lower[2]..=upper[2]]));
            }
        }
        SplineCoefficients {
            c,
            origin: lower,
            dim: [nz, ny, nx],
        }
    }

    /// The coefficients of the whole volume.
    #[cfg(test)]
    fn whole(data: ndarray::ArrayView3<'_, f64>) -> Self {
        let (nz, ny, nx) = data.dim();
        Self::of_region(data, [0, 0, 0], [nz - 1, ny - 1, nx - 1])
    }
}

/// [`cubic_prefilter`] of the `width` columns of a row-major `n × width` block at once: the same steps on
/// every element, in the same order, so each column's result is that of its own line.
fn prefilter_columns(block: &mut [f64], n: usize, width: usize) {
    if n < 2 {
        return;
    }
    let z = SPLINE_POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    block.iter_mut().for_each(|v| *v *= gain);
    let z_n_1 = z.powf((n - 1) as f64);
    let row = |i: usize| i * width..(i + 1) * width;
    // Causal initial values, into a separate row so that the sums read the unchanged first row.
    let mut c0: Vec<f64> = block[row(0)]
        .iter()
        .zip(&block[row(n - 1)])
        .map(|(&a, &b)| a + z_n_1 * b)
        .collect();
    let mut z_i = z;
    for i in 1..n - 1 {
        let (lo, hi) = (row(i), row(n - 1 - i));
        for ((acc, &a), &b) in c0.iter_mut().zip(&block[lo]).zip(&block[hi]) {
            *acc += z_i * (a + z_n_1 * b);
        }
        z_i *= z;
    }
    let denominator = 1.0 - z_n_1 * z_n_1;
    for (v, acc) in block[row(0)].iter_mut().zip(&c0) {
        *v = acc / denominator;
    }
    for i in 1..n {
        let (before, rest) = block.split_at_mut(i * width);
        let previous = &before[(i - 1) * width..];
        for (v, &p) in rest[..width].iter_mut().zip(previous) {
            *v += z * p;
        }
    }
    let (before, last) = block.split_at_mut((n - 1) * width);
    for (v, &p) in last.iter_mut().zip(&before[(n - 2) * width..]) {
        *v = (z * p + *v) * z / (z * z - 1.0);
    }
    for i in (0..n - 1).rev() {
        let (before, after) = block.split_at_mut((i + 1) * width);
        for (v, &next) in before[i * width..].iter_mut().zip(&after[..width]) {
            *v = z * (next - *v);
        }
    }
}

/// The pole of the cubic B-spline prefilter, √3 − 2, as SciPy writes it.
#[allow(clippy::excessive_precision)]
const SPLINE_POLE: f64 = -0.267949192431122706472553658494127633;

/// In-place cubic B-spline prefilter of one line: gain 6, causal and anti-causal passes with pole
/// z = √3 − 2, mirror-symmetric initial values (Unser's recursive filtering, as scipy's `ni_splines.c`).
fn cubic_prefilter(mut line: ArrayViewMut1<'_, f64>) {
    let n = line.len();
    // SciPy's constant for √3 − 2 (one ulp from the double computed as `3f64.sqrt() - 2.0`).
    let z = SPLINE_POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    line.mapv_inplace(|v| v * gain);
    // Causal initial value: c[0] = Σ_k z^k x[k] over the mirrored signal, computed exactly.
    let z_n_1 = z.powf((n - 1) as f64);
    let mut c0 = line[0] + z_n_1 * line[n - 1];
    let mut z_i = z;
    for i in 1..n - 1 {
        c0 += z_i * (line[i] + z_n_1 * line[n - 1 - i]);
        z_i *= z;
    }
    line[0] = c0 / (1.0 - z_n_1 * z_n_1);
    for i in 1..n {
        line[i] += z * line[i - 1];
    }
    line[n - 1] = (z * line[n - 2] + line[n - 1]) * z / (z * z - 1.0);
    for i in (0..n - 1).rev() {
        line[i] = z * (line[i + 1] - line[i]);
    }
}

/// Cubic B-spline interpolation at the continuous index `p` ([z, y, x]) of the volume; 0 outside
/// `[0, n − 1]` on any axis. The taps (mirrored at the volume's edges) must lie in the coefficients' region.
fn spline_value(coeffs: &SplineCoefficients, p: [f64; 3]) -> f64 {
    let mut idx = [[0usize; 4]; 3];
    let mut w = [[0.0f64; 4]; 3];
    for a in 0..3 {
        let n = coeffs.dim[a];
        if p[a] < 0.0 || p[a] > (n - 1) as f64 {
            return 0.0;
        }
        let fl = p[a].floor();
        let t = p[a] - fl;
        let u = 1.0 - t;
        // SciPy's weights: the last is one minus the others.
        let w0 = u * u * u / 6.0;
        let w1 = (t * t * (t - 2.0) * 3.0 + 4.0) / 6.0;
        let w2 = (u * u * (u - 2.0) * 3.0 + 4.0) / 6.0;
        w[a] = [w0, w1, w2, 1.0 - w0 - w1 - w2];
        for (k, slot) in idx[a].iter_mut().enumerate() {
            *slot = mirror(fl as i64 - 1 + k as i64, n) - coeffs.origin[a];
        }
    }
    // Each coefficient times the weights axis by axis, summed in index order (SciPy's order).
    let c = &coeffs.c;
    let mut sum = 0.0;
    for i in 0..4 {
        for j in 0..4 {
            for k in 0..4 {
                sum += c[[idx[0][i], idx[1][j], idx[2][k]]] * w[0][i] * w[1][j] * w[2][k];
            }
        }
    }
    sum
}

/// Mirror an index into `0..n` (…, 2, 1 | 0, 1, …, n − 1 | n − 2, …).
fn mirror(i: i64, n: usize) -> usize {
    let n = n as i64;
    if n == 1 {
        return 0;
    }
    let period = 2 * (n - 1);
    let mut i = i.rem_euclid(period);
    if i >= n {
        i = period - i;
    }
    i as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;
    use ndarray::s;

    fn image(data: Array3<f64>) -> Image {
        Image::new(data, Geometry::default()).unwrap()
    }

    #[test]
    fn flat_interior_and_zero_border() {
        // A flat positive slice: interior samples equal the centre (all bits 1: uniform code P = 8,
        // default 255). Border pixels sample zeros outside the slice (bits 0 there).
        let img = image(Array3::from_elem((1, 5, 5), 10.0));
        let u = lbp2d(&img, 1.0, 8, LbpMethod::Uniform, 0).unwrap();
        assert_eq!(u.data()[[0, 2, 2]], 8.0);
        let d = lbp2d(&img, 1.0, 8, LbpMethod::Default, 0).unwrap();
        assert_eq!(d.data()[[0, 2, 2]], 255.0);
        // Corner (0, 0): samples p = 0 (right), 6 (down), 7 (down-right, diagonal interpolated from in-slice
        // pixels only: (1 − dr)·top + dr·bottom with dr = dc = 0.70711 all inside) are ≥ 10 only where every
        // read pixel is inside. Right (0, 1) and down (1, 0) are inside; diagonal reads (0,0),(0,1),(1,0),(1,1)
        // at (0.70711, 0.70711): inside. Up-side samples p = 1..5 read row −1 → below 10.
        // bits: p0 = 1, p1..p5 = 0, p6 = 1, p7 = 1: default = 1 + 64 + 128 = 193.
        assert_eq!(d.data()[[0, 0, 0]], 193.0);
        // uniform: changes (1→0, 0→1) = 2 → count of ones = 3.
        assert_eq!(u.data()[[0, 0, 0]], 3.0);
    }

    #[test]
    fn isolated_bright_and_dark_pixels() {
        // A bright pixel: every neighbour is darker → all bits 0 → uniform 0, default 0; each of its
        // 4-neighbours sees the bright pixel (and interpolations towards it) as ≥ itself.
        let mut data = Array3::zeros((1, 7, 7));
        data[[0, 3, 3]] = 100.0;
        data.slice_mut(s![.., .., ..]).mapv_inplace(|v| v + 1.0);
        let img = image(data.clone());
        let u = lbp2d(&img, 1.0, 8, LbpMethod::Uniform, 0).unwrap();
        assert_eq!(u.data()[[0, 3, 3]], 0.0);
        // The pixel left of it, (3, 2): p = 0 points right onto the bright pixel; p = 1 and 7 interpolate
        // between 1 and 100 (> 1); the rest equal the flat value 1 (≥ 1 → 1 as well). All ones → 8.
        assert_eq!(u.data()[[0, 3, 2]], 8.0);
        // A dark pixel in a flat field: all neighbours brighter → all ones → uniform 8, default 255, and
        // ror 255; its left neighbour sees p = 0 (dark) as 0 and p = 1, 7 (interpolated, < flat) as 0,
        // others 1: bits 0 0 1 1 1 1 1 0 → default 124, ror 31, uniform 5, nri_uniform 1 + 4·8 + (8 − 2) = 39.
        let mut dark = Array3::from_elem((1, 7, 7), 50.0);
        dark[[0, 3, 3]] = 0.0;
        let img = image(dark);
        let get = |m| lbp2d(&img, 1.0, 8, m, 0).unwrap().data()[[0, 3, 2]];
        assert_eq!(
            lbp2d(&img, 1.0, 8, LbpMethod::Default, 0).unwrap().data()[[0, 3, 3]],
            255.0
        );
        assert_eq!(get(LbpMethod::Default), 124.0);
        assert_eq!(get(LbpMethod::Ror), 31.0);
        assert_eq!(get(LbpMethod::Uniform), 5.0);
        assert_eq!(get(LbpMethod::NriUniform), 39.0);
    }

    #[test]
    fn icosphere_vertex_counts_and_radius() {
        for (sub, count) in [(0, 12), (1, 42), (2, 162)] {
            let v = icosphere(sub, 2.0);
            assert_eq!(v.len(), count);
            for p in &v {
                let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
                assert!((r - 2.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn icosphere_numbers_midpoints_by_sorted_edge() {
        // trimesh appends one midpoint per edge in the order of (larger, smaller) vertex index: the first
        // is the edge (1, 0), whose midpoint lies on the y axis before being moved to the radius.
        let v = icosphere(1, 1.0);
        assert_eq!(v[12][0], 0.0);
        assert!(v[12][1] > 0.99 && v[12][2] == 0.0, "{:?}", v[12]);
        // The base vertices are moved too (radius 3, not subdivided: once).
        let v = icosphere(0, 3.0);
        let r = (v[0][0] * v[0][0] + v[0][1] * v[0][1] + v[0][2] * v[0][2]).sqrt();
        assert!((r - 3.0).abs() < 1e-15);
        // A midpoint of two vertices with a zero coordinate keeps +0.0, as numpy's mean gives.
        assert!(icosphere(1, 1.0)
            .iter()
            .flatten()
            .all(|c| *c != 0.0 || c.is_sign_positive()));
    }

    #[test]
    fn complex_square_root_takes_the_csqrt_branches() {
        assert_eq!(csqrt_re(4.0, 0.0), 2.0);
        assert_eq!(csqrt_re(-4.0, 0.0), 0.0);
        // √(−3 + 4i) = 1 + 2i, √(3 + 4i) = 2 + i.
        assert!((csqrt_re(-3.0, 4.0) - 1.0).abs() < 1e-15);
        assert!((csqrt_re(3.0, 4.0) - 2.0).abs() < 1e-15);
    }

    /// A float image with flat patches (so that samples tie with the centre) and a ramp.
    fn patchy(dim: (usize, usize, usize)) -> Array3<f64> {
        Array3::from_shape_fn(dim, |(z, y, x)| {
            if (y / 4 + x / 3) % 2 == 0 {
                0.1 * (z % 3) as f64 + 7.3
            } else {
                0.37 * (x * y) as f64 + 0.011 * z as f64
            }
        })
    }

    #[test]
    fn lbp2d_of_a_crop_at_its_origin_equals_the_whole_slice() {
        let whole = image(patchy((3, 40, 37)));
        for radius in [1.0, 2.0, 2.5] {
            let all = lbp2d(&whole, radius, 8, LbpMethod::Uniform, 0).unwrap();
            let (y0, x0) = (23, 29);
            let part = whole.data().slice(s![.., y0.., x0..]).to_owned();
            let got =
                lbp2d_at(&image(part), [0, y0, x0], radius, 8, LbpMethod::Uniform, 0).unwrap();
            let r = radius.ceil() as usize;
            // Away from the crop's own lower edges, every code is the whole slice's, bit for bit.
            let want = all.data().slice(s![.., y0 + r.., x0 + r..]).to_owned();
            let have = got.data().slice(s![.., r.., r..]).to_owned();
            assert_eq!(want, have, "radius {radius}");
        }
    }

    #[test]
    fn lbp3d_in_a_box_equals_the_whole_image() {
        // The box sits inside: the coefficients' region is a part of the volume along every axis.
        let mut data = patchy((16, 17, 15));
        data.mapv_inplace(|v| v as f32 as f64);
        let img = image(data).with_pixel_type(Some(DataType::F32));
        let settings = Lbp3dSettings {
            integer_samples: false,
            ..Lbp3dSettings::default()
        };
        let all = lbp3d(&img, None, &settings).unwrap();
        let bbox = BoundingBox {
            lower: [5, 4, 6],
            upper: [9, 11, 8],
        };
        let part = lbp3d_in_box(&img, None, &bbox, &settings).unwrap();
        for ((name, a), (_, b)) in all.iter().zip(&part) {
            let want = a.data().slice(s![5..=9, 4..=11, 6..=8]).to_owned();
            let have = b.data().to_owned();
            let same = want
                .iter()
                .zip(have.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "{name}");
        }
    }

    #[test]
    fn legendre_functions_and_pochhammer_symbols() {
        for x in [-0.9f64, -0.31, 0.0, 0.47, 1.0] {
            let s = (1.0 - x * x).sqrt();
            assert!((associated_legendre(1, 2, x) + 3.0 * x * s).abs() < 1e-14);
            // Degree 3 > 2 goes through the upward recurrence.
            assert!(
                (associated_legendre(0, 3, x) - (5.0 * x * x * x - 3.0 * x) / 2.0).abs() < 1e-14
            );
            assert!(
                (associated_legendre(2, 4, x) - 7.5 * (7.0 * x * x - 1.0) * s * s).abs() < 1e-13
            );
        }
        assert_eq!(pochhammer(3.0, -2.0), 0.5);
        assert_eq!(pochhammer(1.0, 2.0), 2.0);
        assert_eq!(pochhammer(4.0, 0.0), 1.0);
    }

    #[test]
    fn spherical_harmonics_of_low_degree() {
        // Y_00 = 1/(2√π); Y_10 = √(3/4π)·cos(polar); Y_11 = −√(3/8π)·sin(polar)·e^{i·azimuth};
        // Y_1,−1 = √(3/8π)·sin(polar)·e^{−i·azimuth}.
        let pi = std::f64::consts::PI;
        let (az, pol) = (0.3, 0.5);
        let y00 = sph_harm(0, 0, az, pol);
        assert!((y00.0 - 0.5 / pi.sqrt()).abs() < 1e-15 && y00.1 == 0.0);
        let y10 = sph_harm(0, 1, az, pol);
        assert!((y10.0 - (3.0 / (4.0 * pi)).sqrt() * pol.cos()).abs() < 1e-15);
        let k = (3.0 / (8.0 * pi)).sqrt() * pol.sin();
        let y11 = sph_harm(1, 1, az, pol);
        assert!((y11.0 + k * az.cos()).abs() < 1e-15 && (y11.1 + k * az.sin()).abs() < 1e-15);
        let y1m1 = sph_harm(-1, 1, az, pol);
        assert!((y1m1.0 - k * az.cos()).abs() < 1e-15 && (y1m1.1 + k * az.sin()).abs() < 1e-15);
    }

    #[test]
    fn column_prefilter_equals_the_line_prefilter() {
        let (n, width) = (9, 5);
        let block: Vec<f64> = (0..n * width)
            .map(|i| ((i * 37) % 23) as f64 * 0.3 - 2.0)
            .collect();
        let mut columns = block.clone();
        prefilter_columns(&mut columns, n, width);
        for x in 0..width {
            let mut line: Vec<f64> = (0..n).map(|i| block[i * width + x]).collect();
            cubic_prefilter(ndarray::ArrayViewMut1::from(&mut line[..]));
            for i in 0..n {
                assert_eq!(line[i].to_bits(), columns[i * width + x].to_bits());
            }
        }
    }

    #[test]
    fn cubic_spline_interpolates_the_samples() {
        let data =
            Array3::from_shape_fn((5, 6, 7), |(z, y, x)| ((z * 7 + y * 3 + x * x) % 11) as f64);
        let c = SplineCoefficients::whole(data.view());
        for ((z, y, x), v) in data.indexed_iter() {
            let got = spline_value(&c, [z as f64, y as f64, x as f64]);
            assert!((got - v).abs() < 1e-12, "{got} vs {v}");
        }
        assert_eq!(spline_value(&c, [-0.01, 2.0, 2.0]), 0.0);
        assert_eq!(mirror(-1, 5), 1);
        assert_eq!(mirror(5, 5), 3);
    }

    #[test]
    fn lbp3d_of_dark_bright_and_flat_voxels() {
        // A dark voxel in a flat field: every sample ≥ centre, b_v = 1 for all 42 vertices, so
        // c_00 = 42·Y_00 and m1 = √(Σ_v (42·Y_00²)²) = √42 · 42/(4π). A bright voxel: every b_v = 0, all
        // m_n = 0. A flat region: all samples equal, kurtosis NaN.
        let mut data = Array3::from_elem((7, 7, 7), 50.0);
        data[[3, 3, 3]] = 0.0;
        data[[3, 3, 5]] = 0.0;
        data[[3, 3, 5]] = 100.0;
        let img = image(data);
        let out = lbp3d(&img, None, &Lbp3dSettings::default()).unwrap();
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["lbp-3D-m1", "lbp-3D-m2", "lbp-3D-k"]);
        let m1 = out[0].1.data();
        let want = 42f64.sqrt() * 42.0 / (4.0 * std::f64::consts::PI);
        assert!((m1[[3, 3, 3]] - want).abs() < 1e-12, "{}", m1[[3, 3, 3]]);
        assert_eq!(m1[[3, 3, 5]], 0.0);
        assert_eq!(out[1].1.data()[[3, 3, 5]], 0.0);
        assert!(out[2].1.data()[[0, 0, 0]].is_finite()); // the border reads zeros outside
        let mut flat = Array3::from_elem((9, 9, 9), 5.0);
        flat[[0, 0, 0]] = 6.0;
        let out = lbp3d(&image(flat), None, &Lbp3dSettings::default()).unwrap();
        assert!(out[2].1.data()[[4, 4, 4]].is_nan());
        assert!((out[0].1.data()[[4, 4, 4]] - want).abs() < 1e-12);
    }

    #[test]
    fn slices_follow_force2d_dimension() {
        // A volume varying only along z: axial slices (d = 0) are flat; slices normal to x (d = 2) see the
        // variation along their columns (z).
        let data = Array3::from_shape_fn((5, 5, 5), |(z, _, _)| z as f64 + 1.0);
        let img = image(data);
        let axial = lbp2d(&img, 1.0, 8, LbpMethod::Uniform, 0).unwrap();
        assert_eq!(axial.data()[[2, 2, 2]], 8.0);
        let sagittal = lbp2d(&img, 1.0, 8, LbpMethod::Default, 2).unwrap();
        // Slice (y, z): columns are z. Samples with a column offset ≥ 0 (p = 0, 1, 2, 6, 7) are ≥ centre.
        assert_eq!(sagittal.data()[[2, 2, 2]], (1 + 2 + 4 + 64 + 128) as f64);
        assert_eq!(lbp2d_margin(1.5, 0), [0, 2, 2]);
        assert!(LbpMethod::from_name("bogus").is_err());
    }
}
