//! Wavelet decompositions (PyRadiomics image type `Wavelet`, `getWaveletImage`).
//!
//! # Definition
//! PyRadiomics applies PyWavelets' stationary (undecimated) wavelet transform, one level at a time:
//!
//! ```text
//! 1. pad every odd-sized axis with one voxel, wrapping around (numpy.pad(…, 'wrap'): x[n] = x[0]);
//! 2. repeat start_level + level times:
//!      along x, then y, then z, split every band into a low (a) and a high (d) band:
//!        a[o] = Σ_{j=0}^{F−1} dec_lo[j] · x[(o + ⌊F/2⌋ − j) mod N]
//!        d[o] = Σ_{j=0}^{F−1} dec_hi[j] · x[(o + ⌊F/2⌋ − j) mod N]
//!      (pywt.swtn(data, wavelet, level=1, start_level=0): periodic, no down-sampling);
//!      the all-low band (aaa) is the input of the next pass;
//! 3. crop every band back to the original size.
//! ```
//!
//! Every pass uses the same, undilated filters: PyRadiomics calls `swtn` with `level=1` on the previous
//! approximation, so its "level 2" is not the à-trous level 2 of `swtn(level=2)`.
//!
//! The passes before `start_level` only feed the next; each of the `level` passes after them yields seven
//! detail bands, named by the band of each axis in the order x, y, z with `a → L`, `d → H`
//! (`LLH` is low-pass along x and y, high-pass along z), and the last approximation is yielded at the end:
//!
//! ```text
//! wavelet-LLH, wavelet-LHL, wavelet-LHH, wavelet-HLL, wavelet-HLH, wavelet-HHL, wavelet-HHH,
//! wavelet2-LLH, …, wavelet2-HHH (level 2), …, wavelet<level>-LLL (wavelet-LLL when level = 1)
//! ```
//!
//! With `force2D`, the axis `force2Ddimension` (0 = z, 1 = y, 2 = x) is not filtered and names have two
//! letters (`wavelet-LH`). Level numbers in names count from the first yielded pass, not from `start_level`.
//!
//! # Filters
//! `dec_lo` and `dec_hi` of every discrete wavelet of PyWavelets (`haar`, `db1`–`db38`, `sym2`–`sym20`,
//! `coif1`–`coif17`, `bior*`, `rbio*`, `dmey`), generated into `wavelet_coeffs.rs` by
//! `tests/make_wavelet_coeffs.py`. Sums run over `j` ascending, as PyWavelets' C kernel does.
//!
//! # Region of support and margin
//! One pass reads, for output `o`, the inputs `o − (F − 1 − ⌊F/2⌋) … o + ⌊F/2⌋`; `n = start_level + level`
//! passes read at most `n · ⌊F/2⌋` voxels away on each side ([`wavelet_margin`]). Filtering a crop that
//! keeps this margin around the ROI's bounding box gives, inside the box, exactly the numbers of filtering
//! the whole image, **provided the margin lies inside the image**. The transform is periodic: where the
//! margin would cross the image border on an axis, values near the box depend on the far side of the image
//! (and on the odd-size padding), so the whole extent of that axis must be kept
//! ([`super::filter_region`] with `periodic = true` does this).

use ndarray::{s, Array3, ArrayView3, Axis, Zip};

use super::wavelet_coeffs::WAVELETS;
use super::wavelet_f32::F32_TAPS;
use crate::error::{Error, Result};
use crate::image::Image;

/// The names of the wavelets [`wavelet`] accepts, in PyWavelets' `wavelist(kind="discrete")` order.
pub fn wavelet_names() -> impl Iterator<Item = &'static str> {
    WAVELETS.iter().map(|(name, _, _)| *name)
}

/// `(dec_lo, dec_hi)` of the wavelet `name` (`haar`, `db4`, `coif1`, …).
pub fn decomposition_filters(name: &str) -> Result<(&'static [f64], &'static [f64])> {
    WAVELETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, lo, hi)| (*lo, *hi))
        .ok_or_else(|| {
            Error::setting(format!(
                "unknown wavelet '{name}'; expected one of haar, dmey, db1–db38, sym2–sym20, coif1–coif17, \
                 bior*/rbio* (1.1, 1.3, 1.5, 2.2, 2.4, 2.6, 2.8, 3.1, 3.3, 3.5, 3.7, 3.9, 4.4, 5.5, 6.8)"
            ))
        })
}

/// All wavelet bands of `image` in 3D, as PyRadiomics' `getWaveletImage` yields them (names and order in
/// the module docs). `level` must be at least 1.
pub fn wavelet(
    image: &Image,
    wavelet: &str,
    start_level: usize,
    level: usize,
) -> Result<Vec<(String, Image)>> {
    wavelet_with_force2d(image, wavelet, start_level, level, None)
}

/// [`wavelet`], leaving the array axis `force2d_dimension` (0 = z, 1 = y, 2 = x) unfiltered when given
/// (PyRadiomics' `force2D` with `force2Ddimension`); names then have two letters.
pub fn wavelet_with_force2d(
    image: &Image,
    wavelet: &str,
    start_level: usize,
    level: usize,
    force2d_dimension: Option<usize>,
) -> Result<Vec<(String, Image)>> {
    wavelet_in(image, wavelet, start_level, level, force2d_dimension, false)
}

/// As [`wavelet_with_force2d`]; with `single`, in float32 arithmetic as PyWavelets transforms a float32
/// array (filters rounded to float32, every product and sum rounded to float32, in the same order), so
/// the bands are PyRadiomics' for a float32 image (an ADC or FA map, a float32 file).
pub fn wavelet_in(
    image: &Image,
    wavelet: &str,
    start_level: usize,
    level: usize,
    force2d_dimension: Option<usize>,
    single: bool,
) -> Result<Vec<(String, Image)>> {
    let (lo, hi) = decomposition_filters(wavelet)?;
    if level == 0 {
        return Err(Error::setting(
            "wavelet level must be at least 1 (number of decomposition levels yielded)",
        ));
    }
    let axes = filtered_axes(force2d_dimension)?;
    let (lo32, hi32) = (f32_taps(wavelet, 0, lo), f32_taps(wavelet, 1, hi));
    let original = image.data().dim();
    let original = [original.0, original.1, original.2];
    let mut data = pad_to_even(image.data());
    let crop = |a: &Array3<f64>| -> Result<Image> {
        let c = a
            .slice(s![..original[0], ..original[1], ..original[2]])
            .to_owned();
        Image::new(c, *image.geometry())
    };

    let mut out = Vec::with_capacity(level * ((1 << axes.len()) - 1) + 1);
    for pass in 0..start_level + level {
        let bands = swt_pass(data.view(), &axes, (lo, &lo32), (hi, &hi32), single);
        let mut bands = bands.into_iter();
        // The first band is the all-low one (keys start with "" and grow a-first).
        let (_, approx) = bands.next().expect("at least one band");
        if pass >= start_level {
            let idx = pass - start_level + 1;
            for (key, band) in bands {
                out.push((band_name(idx, &key), crop(&band)?));
            }
        }
        data = approx;
    }
    let low = "L".repeat(axes.len());
    let name = if level == 1 {
        format!("wavelet-{low}")
    } else {
        format!("wavelet{level}-{low}")
    };
    out.push((name, crop(&data)?));
    Ok(out)
}

/// Voxels to keep around the ROI's bounding box, per array axis `[z, y, x]`, so that wavelet bands inside
/// the box equal those of the whole image (see the module docs for the border condition).
pub fn wavelet_margin(
    wavelet: &str,
    start_level: usize,
    level: usize,
    force2d_dimension: Option<usize>,
) -> Result<[usize; 3]> {
    let (lo, _) = decomposition_filters(wavelet)?;
    let axes = filtered_axes(force2d_dimension)?;
    let per_pass = lo.len() / 2;
    let mut m = [0; 3];
    for a in axes {
        m[a] = (start_level + level) * per_pass;
    }
    Ok(m)
}

/// Array axes filtered, in PyRadiomics' order (x, y, z = array axes 2, 1, 0), without the 2D axis.
fn filtered_axes(force2d_dimension: Option<usize>) -> Result<Vec<usize>> {
    let mut axes = vec![2, 1, 0];
    if let Some(d) = force2d_dimension {
        if d > 2 {
            return Err(Error::setting(format!(
                "force2Ddimension must be 0, 1 or 2, got {d}"
            )));
        }
        axes.retain(|&a| a != d);
    }
    Ok(axes)
}

/// `wavelet-<bands>` for the first yielded pass, `wavelet<idx>-<bands>` after it.
fn band_name(idx: usize, key: &str) -> String {
    let bands: String = key
        .chars()
        .map(|c| if c == 'a' { 'L' } else { 'H' })
        .collect();
    if idx == 1 {
        format!("wavelet-{bands}")
    } else {
        format!("wavelet{idx}-{bands}")
    }
}

/// The image with every odd-sized axis grown by one voxel, the first voxel of the axis wrapped to its end.
fn pad_to_even(data: ArrayView3<'_, f64>) -> Array3<f64> {
    let (nz, ny, nx) = data.dim();
    let p = |n: usize| n + n % 2;
    Array3::from_shape_fn((p(nz), p(ny), p(nx)), |(z, y, x)| {
        data[[z % nz, y % ny, x % nx]]
    })
}

/// One undecimated decomposition pass: every band split along each axis of `axes` in turn, bands keyed by
/// `a`/`d` per axis, in PyWavelets' order (all-low first).
fn swt_pass(
    data: ArrayView3<'_, f64>,
    axes: &[usize],
    lo: (&[f64], &[f32]),
    hi: (&[f64], &[f32]),
    single: bool,
) -> Vec<(String, Array3<f64>)> {
    let mut bands = vec![(String::new(), data.to_owned())];
    for &axis in axes {
        let mut next = Vec::with_capacity(bands.len() * 2);
        for (key, band) in bands {
            next.push((
                format!("{key}a"),
                periodic_filter(band.view(), axis, lo, single),
            ));
            next.push((
                format!("{key}d"),
                periodic_filter(band.view(), axis, hi, single),
            ));
        }
        bands = next;
    }
    bands
}

/// `out[o] = Σ_j f[j] · x[(o + ⌊F/2⌋ − j) mod N]` along `axis` (PyWavelets' `swt` at level 1).
///
/// Each lane is first copied into a buffer that continues it periodically on both sides
/// (`ext[k] = x[(k + ⌊F/2⌋ − (F − 1)) mod N]`), so the taps read `ext[o + F − 1 − j]` without a modulo;
/// the terms are summed in the same order.
/// PyWavelets' float32 taps of filter `kind` (0 = `dec_lo`, 1 = `dec_hi`) of `wavelet`: the float32
/// rounding of `f64_taps`, except where PyWavelets' own float32 table differs (the coiflets).
fn f32_taps(wavelet: &str, kind: u8, f64_taps: &[f64]) -> Vec<f32> {
    let mut taps: Vec<f32> = f64_taps.iter().map(|&c| c as f32).collect();
    for &(_, _, j, v) in F32_TAPS
        .iter()
        .filter(|(n, k, _, _)| *n == wavelet && *k == kind)
    {
        taps[j] = v;
    }
    taps
}

fn periodic_filter(
    data: ArrayView3<'_, f64>,
    axis: usize,
    (f, f32_taps): (&[f64], &[f32]),
    single: bool,
) -> Array3<f64> {
    let mut out = Array3::<f64>::zeros(data.raw_dim());
    let n = data.len_of(Axis(axis));
    let m = f.len();
    let shift = m / 2;
    // A multiple of n that keeps every index below non-negative.
    let wrap = n * (m / n + 1);
    let source: Vec<usize> = (0..n + m - 1)
        .map(|k| (k + wrap + shift - (m - 1)) % n)
        .collect();
    let mut ext = vec![0.0; n + m - 1];
    Zip::from(data.lanes(Axis(axis)))
        .and(out.lanes_mut(Axis(axis)))
        .for_each(|src, mut dst| {
            for (e, &i) in ext.iter_mut().zip(&source) {
                *e = src[i];
            }
            for (o, d) in dst.iter_mut().enumerate() {
                let window = &ext[o..o + m];
                // PyWavelets' kernel sums the taps in ascending order, except for the outputs whose
                // window wraps past the end (input index i = o + ⌊F/2⌋ ≥ N): there it first takes taps
                // i − N down to 0, then i − N + 1 up to F − 1. The order decides the rounding, which is
                // all there is in a band that is high-pass along a constant axis (a single slice).
                let split = (o + shift).checked_sub(n).map(|s| s + 1);
                let order = match split {
                    None => Order::Ascending,
                    Some(s) => Order::Wrapped(s.min(m)),
                };
                *d = if single {
                    order.sum(f32_taps, |j| window[m - 1 - j] as f32, 0.0f32) as f64
                } else {
                    order.sum(f, |j| window[m - 1 - j], 0.0)
                };
            }
        });
    out
}

/// The order in which PyWavelets adds the taps of one output.
#[derive(Clone, Copy)]
enum Order {
    /// Taps 0, 1, …, F − 1.
    Ascending,
    /// Taps s − 1, s − 2, …, 0, then s, s + 1, …, F − 1.
    Wrapped(usize),
}

impl Order {
    /// Σ taps[j] · x(j) in this order, starting from `zero`.
    fn sum<T>(self, taps: &[T], x: impl Fn(usize) -> T, zero: T) -> T
    where
        T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
    {
        let mut sum = zero;
        match self {
            Order::Ascending => {
                for (j, &c) in taps.iter().enumerate() {
                    sum = sum + c * x(j);
                }
            }
            Order::Wrapped(s) => {
                for j in (0..s).rev() {
                    sum = sum + taps[j] * x(j);
                }
                for (j, &c) in taps.iter().enumerate().skip(s) {
                    sum = sum + c * x(j);
                }
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    fn image(data: Array3<f64>) -> Image {
        Image::new(data, Geometry::default()).unwrap()
    }

    #[test]
    fn names_and_order_match_pyradiomics() {
        let img = image(Array3::from_elem((3, 4, 5), 1.0));
        let names: Vec<String> = wavelet(&img, "haar", 0, 2)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let mut expected = Vec::new();
        for prefix in ["wavelet-", "wavelet2-"] {
            for b in ["LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH"] {
                expected.push(format!("{prefix}{b}"));
            }
        }
        expected.push("wavelet2-LLL".into());
        assert_eq!(names, expected);
        let names2d: Vec<String> = wavelet_with_force2d(&img, "haar", 0, 1, Some(0))
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names2d,
            ["wavelet-LH", "wavelet-HL", "wavelet-HH", "wavelet-LL"]
        );
    }

    #[test]
    fn constant_image_has_only_an_approximation() {
        // Filtering a constant c along an axis multiplies it by the filter's sum: S_lo = Σ dec_lo = √2 and
        // S_hi = Σ dec_hi = 0 (to the precision of the tabulated coefficients, ~1e-12 for sym/coif). So
        // band LLH = c·S_lo·S_lo·S_hi ≈ 0, …, LLL = c·S_lo³ = c·2√2, and two passes give LLL = 8c.
        let c = 7.0;
        let img = image(Array3::from_elem((5, 6, 7), c));
        for name in ["haar", "coif1", "db4", "sym3", "bior2.2", "dmey"] {
            let (lo, hi) = decomposition_filters(name).unwrap();
            let s_lo: f64 = lo.iter().sum();
            let s_hi: f64 = hi.iter().sum();
            // dmey is a 62-tap truncation of Meyer's wavelet: its sums miss √2 and 0 by ~1e-3, but the
            // bands still follow the products of the sums.
            let exact = name != "dmey";
            if exact {
                assert!(
                    (s_lo - 2f64.sqrt()).abs() < 1e-9,
                    "{name}: Σ dec_lo = {s_lo}"
                );
                assert!(s_hi.abs() < 1e-9, "{name}: Σ dec_hi = {s_hi}");
            }
            let bands = wavelet(&img, name, 0, 1).unwrap();
            for (n, b) in &bands {
                // Letters are the bands along x, y, z.
                let want = n["wavelet-".len()..]
                    .chars()
                    .fold(c, |v, l| v * if l == 'L' { s_lo } else { s_hi });
                let worst = b.data().iter().fold(0.0f64, |m, v| m.max((v - want).abs()));
                assert!(worst <= 1e-13 * c * 3.0, "{name} {n}: off by {worst}");
            }
            let two = wavelet(&img, name, 1, 1).unwrap();
            let want = c * s_lo.powi(6);
            if exact {
                assert!((want - 8.0 * c).abs() < 1e-8);
            }
            assert!(two[7]
                .1
                .data()
                .iter()
                .all(|v| (v - want).abs() < 1e-12 * want));
        }
    }

    #[test]
    fn haar_on_a_step_along_x() {
        // Haar: dec_lo = (1, 1)/√2, dec_hi = (−1, 1)/√2, F/2 = 1, so
        // a[o] = (x[o+1] + x[o]) / √2 and d[o] = (x[o] − x[o+1]) / √2 (indices mod N).
        // x = 0 0 0 1 1 1 along x; constant along y and z, whose low pass multiplies by √2 each.
        let mut data = Array3::zeros((2, 2, 6));
        data.slice_mut(s![.., .., 3..]).fill(1.0);
        let bands = wavelet(&image(data), "haar", 0, 1).unwrap();
        let get = |name: &str| {
            bands
                .iter()
                .find(|(n, _)| n == name)
                .unwrap()
                .1
                .data()
                .to_owned()
        };
        let r2 = 2f64.sqrt();
        // HLL: high along x, low along y and z: d(x)·2/√2 ... = d(x) · √2 · √2.
        let hll = get("wavelet-HLL");
        let want_d = [0.0, 0.0, -1.0 / r2, 0.0, 0.0, 1.0 / r2];
        for (x, w) in want_d.iter().enumerate() {
            assert!((hll[[0, 0, x]] - w * 2.0).abs() < 1e-12, "x={x}");
        }
        let lll = get("wavelet-LLL");
        let want_a = [0.0, 0.0, 1.0 / r2, 2.0 / r2, 2.0 / r2, 1.0 / r2];
        for (x, w) in want_a.iter().enumerate() {
            assert!((lll[[1, 1, x]] - w * 2.0).abs() < 1e-12, "x={x}");
        }
        for name in ["wavelet-LHL", "wavelet-LLH", "wavelet-HHH"] {
            assert!(get(name).iter().all(|v| v.abs() < 1e-12), "{name}");
        }
    }

    #[test]
    fn odd_axes_wrap_their_first_voxel() {
        // x = 1 2 4 (odd) is padded to 1 2 4 1; Haar d[2] = (x[2] − x[3]) / √2 = 3/√2 (times 2 from the
        // low passes along the two constant axes, each of size 1 padded to 2).
        let data = Array3::from_shape_vec((1, 1, 3), vec![1.0, 2.0, 4.0]).unwrap();
        let bands = wavelet(&image(data), "haar", 0, 1).unwrap();
        let hll = &bands.iter().find(|(n, _)| n == "wavelet-HLL").unwrap().1;
        let want = [-1.0, -2.0, 3.0].map(|v: f64| v / 2f64.sqrt() * 2.0);
        for (x, w) in want.iter().enumerate() {
            assert!((hll.data()[[0, 0, x]] - w).abs() < 1e-12);
        }
    }

    #[test]
    fn unknown_wavelet_and_margin() {
        let img = image(Array3::zeros((2, 2, 2)));
        let err = wavelet(&img, "db99", 0, 1).unwrap_err();
        assert!(err.message().contains("db99"));
        assert_eq!(wavelet_margin("coif1", 0, 1, None).unwrap(), [3, 3, 3]);
        assert_eq!(wavelet_margin("haar", 1, 2, Some(0)).unwrap(), [0, 3, 3]);
        assert_eq!(wavelet_names().count(), 106);
    }
}
