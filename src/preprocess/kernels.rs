//! The kernel interpolators of SimpleITK's `ResampleImageFilter` that PyRadiomics accepts besides nearest
//! neighbour, linear and B-spline: `sitkGaussian`, `sitkLabelGaussian` and the windowed sincs
//! (`sitkHammingWindowedSinc`, `sitkCosineWindowedSinc`, `sitkWelchWindowedSinc`,
//! `sitkLanczosWindowedSinc`, `sitkBlackmanWindowedSinc`), with the parameters SimpleITK 2 gives them.
//!
//! Every formula below is in continuous index units of the input grid: `c` is the position of the output
//! voxel on one axis, `N` the number of input voxels on that axis.
//!
//! # Gaussian (`sitkGaussian`, ITK `GaussianInterpolateImageFunction`)
//! SimpleITK 2.5 sets `σ = 0.8 · spacing` per axis and `α = 4`, so in index units the kernel has
//! standard deviation `σ / spacing` (0.8) and reaches `α σ / spacing` (3.2) voxels beyond the voxel's own
//! half-width. Each voxel `i` of the window `max(0, ⌊c + ½ − 3.2⌋) ≤ i < min(N, ⌈c + ½ + 3.2⌉)` weighs
//! the Gaussian's mass over its own extent `[i − ½, i + ½]`:
//!
//! ```text
//! w(i) = erf((i + ½ − c) / (√2 σ')) − erf((i − ½ − c) / (√2 σ')),   σ' = σ / spacing
//! f(c) = Σ V(i) Πₐ wₐ(iₐ) / Σ Πₐ wₐ(iₐ)
//! ```
//!
//! Voxels outside the image are not part of the window (the weights are renormalised over what remains).
//! ITK steps the erf argument by repeated addition of `1 / (√2 σ')` from the window's lower edge, and its
//! erf is VNL's (`vnl_erf`: the regularised incomplete gamma function `P(½, x²)` by a series or a continued
//! fraction stopped at a relative change of 3e-7, with a Lanczos-type log-gamma), accurate to about 1e-7;
//! both are reproduced here so the weights are ITK's, not exact ones.
//!
//! # Label Gaussian (`sitkLabelGaussian`, ITK `LabelImageGaussianInterpolateImageFunction`)
//! The same window and weights with `σ = spacing` and `α = 1` (σ' = 1, reach 1 voxel), but instead of a weighted mean
//! the result is the voxel value whose summed weight is largest: values are accumulated in the window's
//! order (x fastest), and the value whose running total first exceeds the largest total so far wins (an
//! exact tie keeps the earlier value).
//!
//! # Windowed sinc (ITK `WindowedSincInterpolateImageFunction`, radius m = 5)
//! With `b = ⌊c⌋` and `d = c − b`, the voxels `b + k`, `k = −4 … 5` (ten per axis; the offset −5 has a
//! zero weight and is skipped) weigh `K(d − k)` with `K(x) = w(x) · sin(πx) / (πx)` (`K(0) = 1`); when
//! `d = 0` the weights are exactly 1 at `k = 0` and 0 elsewhere. Indices beyond the image read the nearest
//! edge voxel (ITK's zero-flux Neumann condition). The weights are not renormalised. The windows:
//!
//! ```text
//! Hamming   0.54 + 0.46 cos(πx / m)
//! Cosine    cos(πx / (2m))
//! Welch     1 − x² / m²
//! Lanczos   sin(πx / m) / (πx / m)       (1 at x = 0)
//! Blackman  0.42 + 0.5 cos(πx / m) + 0.08 cos(2πx / m)
//! ```
//!
//! The terms are summed over the 10 × 10 × 10 neighbourhood with x fastest, each as
//! `V · w_x · w_y · w_z` in that order, as ITK does.
//!
//! # References
//! - SimpleITK `Code/Common/src/sitkCreateInterpolator.hxx` (the parameters above).
//! - ITK 5.4 `GaussianInterpolateImageFunction`, `LabelImageGaussianInterpolateImageFunction`,
//!   `WindowedSincInterpolateImageFunction`; VNL `vnl_erf.h`, `vnl_gamma.cxx`.
//! - E. H. W. Meijering, W. J. Niessen, M. A. Viergever, "Quantitative comparison of sinc-approximating
//!   kernels for medical image interpolation", MICCAI 1999.

use std::f64::consts::{PI, SQRT_2};

use ndarray::ArrayView3;

/// The window of a windowed-sinc interpolator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SincWindow {
    /// `sitkHammingWindowedSinc`
    Hamming,
    /// `sitkCosineWindowedSinc`
    Cosine,
    /// `sitkWelchWindowedSinc`
    Welch,
    /// `sitkLanczosWindowedSinc`
    Lanczos,
    /// `sitkBlackmanWindowedSinc`
    Blackman,
}

/// SimpleITK's windowing radius `m`.
const RADIUS: i64 = 5;
/// Taps per axis: offsets `−(m − 1) … m`.
const TAPS: usize = 2 * RADIUS as usize;

impl SincWindow {
    /// The window's value at `x` (|x| < m), as ITK's window functions compute it.
    fn eval(self, x: f64) -> f64 {
        let m = RADIUS as f64;
        match self {
            SincWindow::Hamming => 0.54 + 0.46 * (x * (PI / m)).cos(),
            SincWindow::Cosine => (x * (PI / (2.0 * m))).cos(),
            SincWindow::Welch => 1.0 - x * (1.0 / (m * m)) * x,
            SincWindow::Lanczos => {
                if x == 0.0 {
                    1.0
                } else {
                    let z = (PI / m) * x;
                    z.sin() / z
                }
            }
            SincWindow::Blackman => {
                0.42 + 0.5 * (x * (PI / m)).cos() + 0.08 * (x * (2.0 * PI / m)).cos()
            }
        }
    }

    /// The ten weights of one axis for fractional offset `d` (`weights[k + 4]` for offset `k`).
    fn weights(self, d: f64) -> [f64; TAPS] {
        let mut w = [0.0; TAPS];
        if d == 0.0 {
            w[RADIUS as usize - 1] = 1.0;
            return w;
        }
        let mut x = d + RADIUS as f64;
        for wi in w.iter_mut() {
            x -= 1.0;
            let px = PI * x;
            let sinc = if x == 0.0 { 1.0 } else { px.sin() / px };
            *wi = self.eval(x) * sinc;
        }
        w
    }
}

/// Windowed-sinc interpolation of `data` (z, y, x) at continuous index `c` (x, y, z).
#[allow(clippy::needless_range_loop)] // three axes, indexed in step
pub(crate) fn windowed_sinc(data: &ArrayView3<'_, f64>, window: SincWindow, c: [f64; 3]) -> f64 {
    let (nz, ny, nx) = data.dim();
    let n = [nx, ny, nz];
    let mut w = [[0.0; TAPS]; 3];
    let mut idx = [[0usize; TAPS]; 3];
    for a in 0..3 {
        let base = c[a].floor();
        w[a] = window.weights(c[a] - base);
        let base = base as i64;
        for (k, slot) in idx[a].iter_mut().enumerate() {
            let i = base + k as i64 - (RADIUS - 1);
            *slot = i.clamp(0, n[a] as i64 - 1) as usize;
        }
    }
    let mut sum = 0.0;
    for kz in 0..TAPS {
        for ky in 0..TAPS {
            for kx in 0..TAPS {
                let mut v = data[[idx[2][kz], idx[1][ky], idx[0][kx]]];
                v *= w[0][kx];
                v *= w[1][ky];
                v *= w[2][kz];
                sum += v;
            }
        }
    }
    sum
}

/// The Gaussian window of one axis: the first voxel and the erf-difference weights of the voxels from it.
struct GaussAxis {
    first: usize,
    weights: [f64; GAUSS_MAX],
    len: usize,
}

/// The most voxels a Gaussian window spans on one axis (`⌈2·3.2 + 1⌉ = 8` for SimpleITK's kernels).
const GAUSS_MAX: usize = 8;

/// ITK's window and weights on one axis of `n` voxels for position `c`, kernel reach `cutoff` and erf
/// argument step `scale` (both in index units).
fn gauss_axis(c: f64, n: usize, cutoff: f64, scale: f64) -> GaussAxis {
    let begin = ((c + 0.5 - cutoff).floor() as i64).max(0);
    let end = ((c + 0.5 + cutoff).ceil() as i64).min(n as i64);
    let len = (end - begin).max(0) as usize;
    let mut weights = [0.0; GAUSS_MAX];
    let mut t = (-0.5 - c + begin as f64) * scale;
    let mut last = vnl_erf(t);
    for wi in weights.iter_mut().take(len.min(GAUSS_MAX)) {
        t += scale;
        let now = vnl_erf(t);
        *wi = now - last;
        last = now;
    }
    GaussAxis {
        first: begin as usize,
        weights,
        len: len.min(GAUSS_MAX),
    }
}

/// The parameters of a Gaussian interpolator on an input of `spacing`: (reach, erf step) per axis, from
/// SimpleITK's `σ = factor · spacing` and `α`, computed as ITK computes them.
pub(crate) fn gauss_params(spacing: [f64; 3], factor: f64, alpha: f64) -> [(f64, f64); 3] {
    std::array::from_fn(|a| {
        let sigma = factor * spacing[a];
        let scale = 1.0 / (SQRT_2 * sigma / spacing[a]);
        let cutoff = sigma * alpha / spacing[a];
        (cutoff, scale)
    })
}

/// Gaussian interpolation (`label = false`) or label Gaussian voting (`label = true`) of `data` at `c`
/// with the per-axis parameters of [`gauss_params`].
pub(crate) fn gaussian(
    data: &ArrayView3<'_, f64>,
    params: &[(f64, f64); 3],
    c: [f64; 3],
    label: bool,
) -> f64 {
    let (nz, ny, nx) = data.dim();
    let n = [nx, ny, nz];
    let ax: [GaussAxis; 3] =
        std::array::from_fn(|a| gauss_axis(c[a], n[a], params[a].0, params[a].1));
    if label {
        // (value, summed weight), in order of first appearance.
        let mut totals: Vec<(f64, f64)> = Vec::with_capacity(64);
        let mut best = 0.0;
        let mut winner = 0.0;
        for_each_tap(data, &ax, |v, w| {
            let total = match totals.iter_mut().find(|(u, _)| *u == v) {
                Some(slot) => {
                    slot.1 += w;
                    slot.1
                }
                None => {
                    totals.push((v, w));
                    w
                }
            };
            if total > best {
                best = total;
                winner = v;
            }
        });
        winner
    } else {
        let mut sum_vw = 0.0;
        let mut sum_w = 0.0;
        for_each_tap(data, &ax, |v, w| {
            sum_vw += v * w;
            sum_w += w;
        });
        sum_vw / sum_w
    }
}

/// Every voxel of the window with its weight (the product of the axis weights, x, then y, then z), x
/// fastest, as ITK's Gaussian interpolators visit them.
fn for_each_tap(data: &ArrayView3<'_, f64>, ax: &[GaussAxis; 3], mut f: impl FnMut(f64, f64)) {
    for kz in 0..ax[2].len {
        for ky in 0..ax[1].len {
            for kx in 0..ax[0].len {
                let mut w = ax[0].weights[kx];
                w *= ax[1].weights[ky];
                w *= ax[2].weights[kz];
                f(
                    data[[ax[2].first + kz, ax[1].first + ky, ax[0].first + kx]],
                    w,
                );
            }
        }
    }
}

/// VNL's error function: `sign(x) · P(½, x²)` with VNL's incomplete gamma function.
fn vnl_erf(x: f64) -> f64 {
    let p = vnl_gamma_p(0.5, x * x);
    if x < 0.0 {
        -p
    } else {
        p
    }
}

const MAX_ITS: usize = 100;
const MAX_REL_ERROR: f64 = 3.0e-7;
const VERY_SMALL: f64 = 1.0e-30;

/// VNL's log-gamma (a Lanczos-type approximation with five terms).
fn vnl_log_gamma(x: f64) -> f64 {
    let mut zp = 2.506_628_275_634_795;
    zp += 225.525_584_619_175_22 / x;
    zp -= 268.295_973_841_304_94 / (x + 1.0);
    zp += 80.903_080_693_462_26 / (x + 2.0);
    zp -= 5.007_578_639_705_176 / (x + 3.0);
    zp += 0.011_468_489_543_478_146 / (x + 4.0);
    let x1 = x + 4.65;
    zp.ln() + (x - 0.5) * x1.ln() - x1
}

/// VNL's regularised lower incomplete gamma function `P(a, x)`, `x ≥ 0`.
fn vnl_gamma_p(a: f64, x: f64) -> f64 {
    if x < a + 1.0 {
        gamma_series(a, x)
    } else {
        1.0 - gamma_continued_fraction(a, x)
    }
}

fn gamma_series(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let mut a_i = a;
    let mut term = 1.0 / a;
    let mut sum = term;
    for _ in 0..MAX_ITS {
        a_i += 1.0;
        term *= x / a_i;
        sum += term;
        if term.abs() < sum.abs() * MAX_REL_ERROR {
            break;
        }
    }
    sum * (-x + a * x.ln() - vnl_log_gamma(a)).exp()
}

fn gamma_continued_fraction(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / VERY_SMALL;
    let mut d = 1.0 / b;
    let mut cf = d;
    for i in 1..=MAX_ITS {
        let i = i as f64;
        let a_i = i * (a - i);
        b += 2.0;
        d = a_i * d + b;
        if d.abs() < VERY_SMALL {
            d = VERY_SMALL;
        }
        c = b + a_i / c;
        if c.abs() < VERY_SMALL {
            c = VERY_SMALL;
        }
        d = 1.0 / d;
        let delta = d * c;
        cf *= delta;
        if (delta - 1.0).abs() < MAX_REL_ERROR {
            break;
        }
    }
    (-x + a * x.ln() - vnl_log_gamma(a)).exp() * cf
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn vnl_erf_is_close_to_erf() {
        // Reference values of erf (Abramowitz & Stegun, Table 7.1).
        for (x, e) in [
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (1.5, 0.966_105_146_475_310_7),
            (2.5, 0.999_593_047_982_555),
        ] {
            assert!((vnl_erf(x) - e).abs() < 1e-6, "erf({x})");
            assert_eq!(vnl_erf(-x), -vnl_erf(x));
        }
        assert_eq!(vnl_erf(0.0), 0.0);
    }

    #[test]
    fn sinc_weights_interpolate_at_voxels_and_sum_near_one() {
        for w in [
            SincWindow::Hamming,
            SincWindow::Cosine,
            SincWindow::Welch,
            SincWindow::Lanczos,
            SincWindow::Blackman,
        ] {
            let at0 = w.weights(0.0);
            assert_eq!(at0.iter().sum::<f64>(), 1.0);
            let half = w.weights(0.5);
            // Symmetric about the half-way point between offsets 0 and 1.
            for (k, &h) in half.iter().enumerate() {
                assert!((h - half[TAPS - 1 - k]).abs() < 1e-12, "{w:?}");
            }
            let s: f64 = half.iter().sum();
            assert!((s - 1.0).abs() < 0.05, "{w:?}: {s}");
        }
    }

    #[test]
    fn kernels_keep_constants() {
        let d = Array3::from_elem((6, 7, 8), 3.5);
        let v = d.view();
        let p = gauss_params([1.0, 2.0, 0.7], 0.8, 4.0);
        for c in [[0.0, 0.0, 0.0], [3.3, 2.7, 4.9], [7.4, 6.4, 5.4]] {
            assert!((gaussian(&v, &p, c, false) - 3.5).abs() < 1e-14);
            assert_eq!(gaussian(&v, &p, c, true), 3.5);
            // The sinc weights do not sum to exactly 1 away from the voxels.
            assert!((windowed_sinc(&v, SincWindow::Welch, c) - 3.5).abs() < 0.2);
        }
        assert_eq!(windowed_sinc(&v, SincWindow::Lanczos, [2.0, 3.0, 4.0]), 3.5);
    }

    #[test]
    fn label_gaussian_votes() {
        // Two labels split along x at 3.5: the nearer side wins.
        let d = Array3::from_shape_fn((3, 3, 8), |(_, _, x)| if x < 4 { 1.0 } else { 7.0 });
        let v = d.view();
        let p = gauss_params([1.0; 3], 1.0, 1.0);
        assert_eq!(gaussian(&v, &p, [3.2, 1.0, 1.0], true), 1.0);
        assert_eq!(gaussian(&v, &p, [3.8, 1.0, 1.0], true), 7.0);
    }
}
