//! Diffusion tensor imaging: a tensor fitted in every voxel of a diffusion-weighted image (DWI), and the
//! scalar maps drawn from it, computed as dipy's `TensorModel` (dipy 1.12, `fit_method="OLS"` or `"WLS"`,
//! default settings) computes them.
//!
//! # Model
//! ```text
//! S_i = S₀ · exp(−b_i · g_iᵀ D g_i)        signal of volume i, b-value b_i (s/mm²), unit gradient g_i
//! ln S_i = X_i · β                          the linear model, one row per volume
//! X_i = −(b g_x², 2b g_x g_y, b g_y², 2b g_x g_z, 2b g_y g_z, b g_z², 1)
//! β   = (Dxx, Dxy, Dyy, Dxz, Dyz, Dzz, −ln S₀)
//! ```
//! The tensor D (mm²/s) is symmetric; its six unique elements come in dipy's lower-triangular order
//! Dxx, Dxy, Dyy, Dxz, Dyz, Dzz. The log of S₀ is fitted as a seventh parameter, so the b=0 volumes are
//! ordinary rows of X (with zero diffusion weighting), never averaged beforehand: any number of them works.
//!
//! # Fits
//! ```text
//! y    = ln max(S, s_min)                   s_min = 10⁻⁴ (dipy's MIN_POSITIVE_SIGNAL)
//! OLS: β = X⁺ y                             X⁺ the Moore–Penrose pseudo-inverse, computed once
//! WLS: w = exp(X β_OLS)                     the signal the OLS fit predicts
//!      β = (W X)⁺ (W y),  W = diag(w)       i.e. minimises Σ w_i² (y_i − X_i β)²  (Chung et al. 2006)
//! ```
//! Pseudo-inverses are taken by singular value decomposition, dropping singular values at or below
//! 10⁻¹⁵ × the largest (numpy's `pinv` cut-off), so a voxel whose weighted problem is rank-deficient gets
//! the minimum-norm solution, as in dipy.
//!
//! # Eigenvalues and maps
//! ```text
//! D = Σ_k λ_k e_k e_kᵀ,  λ₁ ≥ λ₂ ≥ λ₃       after clamping: λ_k ← max(λ_k, λ_min)
//! λ_min = 10⁻⁶ / max_ij(−X_ij)              dipy's min_diffusivity (10⁻⁹ mm²/s for b = 1000)
//! MD = (λ₁ + λ₂ + λ₃) / 3                   mean diffusivity, the ADC
//! AD = λ₁                                   axial diffusivity
//! RD = (λ₂ + λ₃) / 2                        radial diffusivity
//! FA = √( ½ · ((λ₁−λ₂)² + (λ₂−λ₃)² + (λ₃−λ₁)²) / (λ₁² + λ₂² + λ₃²) ),  0 where λ₁ = λ₂ = λ₃ = 0
//! ```
//! A fit that is not positive definite is not rejected: its eigenvalues below λ_min are raised to λ_min and
//! the tensor written out is rebuilt from the clamped eigenvalues (dipy's `quadratic_form`), so every map
//! and the tensor agree with each other.
//!
//! # Edge cases
//! - Zero or negative signal is raised to s_min before the logarithm (dipy). A voxel whose signal is
//!   everywhere at or below s_min fits D = 0, so all three eigenvalues are clamped to λ_min: FA = 0,
//!   MD = AD = RD = λ_min, tensor = λ_min · I.
//! - A voxel with a non-finite signal (NaN, ±∞) gets NaN in every map.
//! - Voxels outside the mask are not fitted and get 0 in every map (dipy's convention).
//!
//! # Gradients
//! As dipy's `gradient_table(bvals, bvecs)`: b-values at or below 50 s/mm² count as b=0; NaN b-vector
//! components read as 0; b-vectors of volumes with b > 50 must have unit length within 10⁻²; a volume whose
//! b-vector is not unit length within 10⁻² (a b=0 volume with a zero vector, typically) gets b = 0 and
//! g = 0 in X; every other volume, b ≤ 50 included, enters X with its own b and g. The tensor is expressed
//! in the frame of the b-vectors as given (for FSL files, the image's voxel axes).
//!
//! # Numbers
//! Summation order inside the products and the SVD routine differ from numpy/LAPACK, so results differ
//! from dipy by rounding only. Rounding of a log-linear fit is absolute in D (about 10⁻¹⁶ · |ln S| / b),
//! whatever D's size: on dipy's `small_64D` (all 1000 voxels, see `tests/dti_parity.rs`) FA agrees within
//! 3·10⁻¹¹ and MD, AD, RD and the tensor within 2·10⁻¹⁴ mm²/s (about 10⁻¹¹ of typical values). Voxels
//! are independent and fitted in parallel; the result does not depend on the number of threads.
//!
//! # References
//! - Basser, Mattiello, LeBihan (1994). Estimation of the effective self-diffusion tensor from the NMR
//!   spin echo. J Magn Reson B 103:247–254.
//! - Chung, Lu, Henry (2006). Comparison of bootstrap approaches for estimation of uncertainties of DTI
//!   parameters. NeuroImage 33:531–541.

use std::path::Path;

use nalgebra::{DMatrix, DVector, Matrix3, SymmetricEigen};
use ndarray::{Array3, ArrayView3};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// b-values at or below this (s/mm²) count as b=0 (dipy's default `b0_threshold`).
pub const B0_THRESHOLD: f64 = 50.0;

/// Signals are raised to this before the logarithm (dipy's `MIN_POSITIVE_SIGNAL`).
pub const MIN_SIGNAL: f64 = 1e-4;

/// How far from 1 the length of a diffusion-weighted b-vector may be (dipy's `atol`).
pub const BVEC_TOLERANCE: f64 = 1e-2;

/// Fewest diffusion-weighted volumes (b > [`B0_THRESHOLD`]) a tensor fit needs.
pub const MIN_DIRECTIONS: usize = 6;

/// numpy's `pinv` cut-off: singular values at or below this times the largest are dropped.
const PINV_RCOND: f64 = 1e-15;

/// The diffusion encoding of a DWI: one b-value and one b-vector per volume.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// b-value of each volume, s/mm².
    pub bvals: Vec<f64>,
    /// b-vector (x, y, z) of each volume; unit length where the b-value is above [`B0_THRESHOLD`].
    pub bvecs: Vec<[f64; 3]>,
}

impl Gradients {
    /// Gradients from b-values and b-vectors, checked as [`Gradients::check`] does.
    pub fn new(bvals: Vec<f64>, bvecs: Vec<[f64; 3]>) -> Result<Gradients> {
        let g = Gradients { bvals, bvecs };
        g.check()?;
        Ok(g)
    }

    /// Reads FSL's text files: `bval` holds the b-values (one row, or one per line); `bvec` holds three
    /// rows (x, y, z) of one value per volume, or one row of three values per volume.
    pub fn from_fsl_files(bval: impl AsRef<Path>, bvec: impl AsRef<Path>) -> Result<Gradients> {
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::io(p, "read", &e));
        let (bval, bvec) = (bval.as_ref(), bvec.as_ref());
        let bval_text = read(bval)?;
        let bvec_text = read(bvec)?;
        Gradients::from_fsl_text(&bval_text, &bvec_text).map_err(|e| {
            e.context(format!(
                "gradients '{}' / '{}'",
                bval.display(),
                bvec.display()
            ))
        })
    }

    /// Parses the contents of FSL `bval` and `bvec` files (see [`Gradients::from_fsl_files`]).
    pub fn from_fsl_text(bval: &str, bvec: &str) -> Result<Gradients> {
        let bvals: Vec<f64> = parse_rows(bval, "bval")?.into_iter().flatten().collect();
        let rows = parse_rows(bvec, "bvec")?;
        let n = bvals.len();
        let lens: Vec<usize> = rows.iter().map(Vec::len).collect();
        let bvecs: Vec<[f64; 3]> = if rows.len() == 3 && lens.iter().all(|&l| l == n) {
            (0..n)
                .map(|i| [rows[0][i], rows[1][i], rows[2][i]])
                .collect()
        } else if rows.len() == n && lens.iter().all(|&l| l == 3) {
            rows.iter().map(|r| [r[0], r[1], r[2]]).collect()
        } else {
            return Err(Error::format(format!(
                "bvec has {} rows of {:?} values; expected 3 rows of {n} values (one per b-value) or {n} rows of 3",
                rows.len(),
                lens
            )));
        };
        Gradients::new(bvals, bvecs)
    }

    /// Number of volumes described.
    pub fn len(&self) -> usize {
        self.bvals.len()
    }

    /// Whether no volume is described.
    pub fn is_empty(&self) -> bool {
        self.bvals.is_empty()
    }

    /// Whether volume `i` counts as b=0 (b-value at or below [`B0_THRESHOLD`]).
    pub fn is_b0(&self, i: usize) -> bool {
        self.bvals[i] <= B0_THRESHOLD
    }

    /// Checks that the gradients can determine a tensor: as many b-vectors as b-values, finite
    /// non-negative b-values, unit b-vectors for diffusion-weighted volumes, at least one b=0 volume, at
    /// least [`MIN_DIRECTIONS`] diffusion-weighted volumes, and directions that span a tensor.
    pub fn check(&self) -> Result<()> {
        if self.bvals.len() != self.bvecs.len() {
            return Err(Error::invalid(format!(
                "{} b-values but {} b-vectors",
                self.bvals.len(),
                self.bvecs.len()
            )));
        }
        if let Some(i) = self
            .bvals
            .iter()
            .position(|b| !(b.is_finite() && *b >= 0.0))
        {
            return Err(Error::invalid(format!(
                "b-value of volume {i} is {}; b-values must be finite and non-negative",
                self.bvals[i]
            )));
        }
        for (i, v) in self.bvecs.iter().enumerate() {
            if !self.is_b0(i) && !is_unit(v) {
                return Err(Error::invalid(format!(
                    "b-vector of volume {i} ({:?}, b = {}) has length {}; diffusion-weighted volumes need unit b-vectors (within {BVEC_TOLERANCE})",
                    v,
                    self.bvals[i],
                    norm(&zero_nan(v))
                )));
            }
        }
        let n_b0 = (0..self.len()).filter(|&i| self.is_b0(i)).count();
        if n_b0 == 0 {
            return Err(Error::invalid(format!(
                "no b=0 volume (b-value at or below {B0_THRESHOLD}) among {} volumes",
                self.len()
            )));
        }
        let n_dw = self.len() - n_b0;
        if n_dw < MIN_DIRECTIONS {
            return Err(Error::invalid(format!(
                "{n_dw} diffusion-weighted volumes (b > {B0_THRESHOLD}); a tensor fit needs at least {MIN_DIRECTIONS}"
            )));
        }
        let x = self.design_matrix();
        let s = x.clone().svd(false, false).singular_values;
        let (smax, smin) = (s.max(), s.min());
        if smin.is_nan() || smin <= smax * 1e-10 {
            return Err(Error::invalid(format!(
                "the {n_dw} gradient directions do not determine a tensor (design matrix is rank-deficient: singular values {smax:e} .. {smin:e}); use at least {MIN_DIRECTIONS} non-collinear, non-coplanar directions"
            )));
        }
        Ok(())
    }

    /// The n × 7 design matrix X of the module doc, rows in volume order.
    pub fn design_matrix(&self) -> DMatrix<f64> {
        DMatrix::from_fn(self.len(), 7, |i, j| {
            let v = zero_nan(&self.bvecs[i]);
            // dipy zeroes b and g of every volume whose b-vector is not unit length.
            let (b, g) = if is_unit(&v) {
                (self.bvals[i], v)
            } else {
                (0.0, [0.0; 3])
            };
            let row = [
                g[0] * g[0] * b,
                g[0] * g[1] * 2.0 * b,
                g[1] * g[1] * b,
                g[0] * g[2] * 2.0 * b,
                g[1] * g[2] * 2.0 * b,
                g[2] * g[2] * b,
                1.0,
            ];
            -row[j]
        })
    }
}

fn zero_nan(v: &[f64; 3]) -> [f64; 3] {
    v.map(|c| if c.is_nan() { 0.0 } else { c })
}

fn norm(v: &[f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

fn is_unit(v: &[f64; 3]) -> bool {
    (norm(&zero_nan(v)) - 1.0).abs() <= BVEC_TOLERANCE
}

/// Whitespace-separated numbers, by line; empty lines skipped.
fn parse_rows(text: &str, what: &str) -> Result<Vec<Vec<f64>>> {
    let mut rows = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let row = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<f64>().map_err(|_| {
                    Error::format(format!("{what} line {}: '{t}' is not a number", ln + 1))
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        if !row.is_empty() {
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return Err(Error::format(format!("{what} holds no numbers")));
    }
    Ok(rows)
}

/// How the tensor is fitted to the log signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FitMethod {
    /// Ordinary least squares (dipy `"OLS"`).
    Ols,
    /// Weighted least squares with the OLS-predicted signal as weights (dipy `"WLS"`, its default).
    #[default]
    Wls,
}

/// The fitted maps, each on the DWI's grid ([z, y, x]).
#[derive(Debug, Clone, PartialEq)]
pub struct TensorMaps {
    /// Fractional anisotropy, in [0, 1].
    pub fa: Array3<f64>,
    /// Mean diffusivity (the ADC), mm²/s.
    pub md: Array3<f64>,
    /// Axial diffusivity λ₁, mm²/s.
    pub ad: Array3<f64>,
    /// Radial diffusivity (λ₂ + λ₃)/2, mm²/s.
    pub rd: Array3<f64>,
    /// Tensor elements Dxx, Dxy, Dyy, Dxz, Dyz, Dzz (mm²/s), rebuilt from the clamped eigenvalues.
    pub tensor: [Array3<f64>; 6],
}

/// One voxel's results: fa, md, ad, rd, then the six tensor elements.
type VoxelResult = [f64; 10];

/// The fit's fixed parts, shared by every voxel.
struct Model {
    x: DMatrix<f64>,
    x_pinv: DMatrix<f64>,
    min_diffusivity: f64,
    method: FitMethod,
}

impl Model {
    fn new(g: &Gradients, method: FitMethod) -> Result<Model> {
        g.check()?;
        let x = g.design_matrix();
        let x_pinv = pinv(&x);
        let max_neg = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(-v));
        Ok(Model {
            min_diffusivity: 1e-6 / max_neg,
            x_pinv,
            x,
            method,
        })
    }

    fn fit_voxel(&self, signal: &[f64]) -> VoxelResult {
        if signal.iter().any(|s| !s.is_finite()) {
            return [f64::NAN; 10];
        }
        let y =
            DVector::from_iterator(signal.len(), signal.iter().map(|&s| s.max(MIN_SIGNAL).ln()));
        let ols = &self.x_pinv * &y;
        let beta = match self.method {
            FitMethod::Ols => ols,
            FitMethod::Wls => {
                let w = (&self.x * &ols).map(f64::exp);
                let mut a = self.x.clone();
                for (i, mut row) in a.row_iter_mut().enumerate() {
                    row *= w[i];
                }
                let wy = w.component_mul(&y);
                pinv(&a) * wy
            }
        };
        self.maps(&beta)
    }

    fn maps(&self, beta: &DVector<f64>) -> VoxelResult {
        if beta.iter().any(|b| !b.is_finite()) {
            return [f64::NAN; 10];
        }
        let d = Matrix3::new(
            beta[0], beta[1], beta[3], //
            beta[1], beta[2], beta[4], //
            beta[3], beta[4], beta[5],
        );
        let Some(eig) = SymmetricEigen::try_new(d, f64::EPSILON, 10_000) else {
            return [f64::NAN; 10];
        };
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        let lam = order.map(|k| eig.eigenvalues[k].max(self.min_diffusivity));
        let mut q = Matrix3::zeros();
        for (k, &o) in order.iter().enumerate() {
            let e = eig.eigenvectors.column(o);
            q += e * e.transpose() * lam[k];
        }
        let [l1, l2, l3] = lam;
        [
            fractional_anisotropy(lam),
            (l1 + l2 + l3) / 3.0,
            l1,
            (l2 + l3) / 2.0,
            q[(0, 0)],
            q[(1, 0)],
            q[(1, 1)],
            q[(2, 0)],
            q[(2, 1)],
            q[(2, 2)],
        ]
    }
}

/// FA of eigenvalues λ₁ ≥ λ₂ ≥ λ₃; 0 when all three are 0 (dipy's convention).
pub fn fractional_anisotropy(lam: [f64; 3]) -> f64 {
    let [l1, l2, l3] = lam;
    let all_zero = if lam.iter().all(|&l| l == 0.0) {
        1.0
    } else {
        0.0
    };
    let num = (l1 - l2).powi(2) + (l2 - l3).powi(2) + (l3 - l1).powi(2);
    (0.5 * num / ((l1 * l1 + l2 * l2 + l3 * l3) + all_zero)).sqrt()
}

/// Moore–Penrose pseudo-inverse by SVD, with numpy's relative cut-off.
fn pinv(a: &DMatrix<f64>) -> DMatrix<f64> {
    let svd = a.clone().svd(true, true);
    let (u, v_t) = (
        svd.u.as_ref().expect("u computed"),
        svd.v_t.as_ref().expect("v_t computed"),
    );
    let s = &svd.singular_values;
    let cutoff = PINV_RCOND * s.max();
    let mut out = DMatrix::zeros(a.ncols(), a.nrows());
    for k in 0..s.len() {
        if s[k] > cutoff {
            out += v_t.row(k).transpose() * u.column(k).transpose() / s[k];
        }
    }
    out
}

/// Fits a diffusion tensor in every voxel of `volumes` (one 3D volume per entry of `g`, all of one shape)
/// inside `mask` (every voxel when `None`), and returns the maps. See the module doc for the model, the
/// fits and the conventions for clamped, zero, negative and non-finite signals.
pub fn fit(
    volumes: &[Array3<f64>],
    g: &Gradients,
    mask: Option<ArrayView3<'_, bool>>,
    method: FitMethod,
) -> Result<TensorMaps> {
    if volumes.len() <= 1 {
        return Err(Error::invalid(format!(
            "{} volume given: a tensor fit needs a 4D DWI with one volume per gradient ({} b-values)",
            volumes.len(),
            g.len()
        )));
    }
    if volumes.len() != g.len() {
        return Err(Error::invalid(format!(
            "the DWI has {} volumes but there are {} b-values",
            volumes.len(),
            g.len()
        )));
    }
    let shape = volumes[0].dim();
    if let Some(i) = volumes.iter().position(|v| v.dim() != shape) {
        return Err(Error::invalid(format!(
            "DWI volume {i} has shape {:?}, volume 0 has {shape:?} (z, y, x)",
            volumes[i].dim()
        )));
    }
    if let Some(m) = &mask {
        if m.dim() != shape {
            return Err(Error::geometry(format!(
                "mask shape {:?} differs from the DWI's {shape:?} (z, y, x)",
                m.dim()
            )));
        }
    }
    let model = Model::new(g, method)?;

    let flat: Vec<std::borrow::Cow<'_, [f64]>> = volumes
        .iter()
        .map(|v| match v.as_slice() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(v.iter().copied().collect()),
        })
        .collect();
    let inside: Vec<bool> = match &mask {
        Some(m) => m.iter().copied().collect(),
        None => vec![true; shape.0 * shape.1 * shape.2],
    };
    let results: Vec<VoxelResult> = (0..inside.len())
        .into_par_iter()
        .map_init(
            || vec![0.0; flat.len()],
            |signal, k| {
                if !inside[k] {
                    return [0.0; 10];
                }
                for (s, v) in signal.iter_mut().zip(&flat) {
                    *s = v[k];
                }
                model.fit_voxel(signal)
            },
        )
        .collect();

    let map = |c: usize| {
        Array3::from_shape_vec(shape, results.iter().map(|r| r[c]).collect())
            .expect("one result per voxel")
    };
    Ok(TensorMaps {
        fa: map(0),
        md: map(1),
        ad: map(2),
        rd: map(3),
        tensor: [map(4), map(5), map(6), map(7), map(8), map(9)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fibonacci-sphere directions: unit, well spread.
    fn directions(n: usize) -> Vec<[f64; 3]> {
        let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
        (0..n)
            .map(|i| {
                let z = 1.0 - 2.0 * (i as f64 + 0.5) / n as f64;
                let r = (1.0 - z * z).sqrt();
                let t = golden * i as f64;
                [r * t.cos(), r * t.sin(), z]
            })
            .collect()
    }

    /// Three b=0 volumes (zero vectors, one with NaN as FSL tools write), then `n` directions at b=1000.
    fn gradients(n: usize) -> Gradients {
        let mut bvals = vec![0.0, 5.0, 0.0];
        let mut bvecs = vec![[0.0; 3], [0.0; 3], [f64::NAN; 3]];
        for d in directions(n) {
            bvals.push(1000.0);
            bvecs.push(d);
        }
        Gradients::new(bvals, bvecs).unwrap()
    }

    /// Noise-free signal of tensor `d` (Dxx, Dxy, Dyy, Dxz, Dyz, Dzz) with S₀ = `s0`.
    fn signal(g: &Gradients, d: [f64; 6], s0: f64) -> Vec<f64> {
        (0..g.len())
            .map(|i| {
                let v = zero_nan(&g.bvecs[i]);
                let q = d[0] * v[0] * v[0]
                    + d[2] * v[1] * v[1]
                    + d[5] * v[2] * v[2]
                    + 2.0 * (d[1] * v[0] * v[1] + d[3] * v[0] * v[2] + d[4] * v[1] * v[2]);
                s0 * (-g.bvals[i] * q).exp()
            })
            .collect()
    }

    fn fit_one(g: &Gradients, s: &[f64], method: FitMethod) -> TensorMaps {
        let volumes: Vec<Array3<f64>> =
            s.iter().map(|&v| Array3::from_elem((1, 1, 1), v)).collect();
        fit(&volumes, g, None, method).unwrap()
    }

    /// A rotated prolate tensor: eigenvalues 1.7e-3, 0.4e-3, 0.2e-3 mm²/s.
    const D: [f64; 6] = [1.2e-3, 0.35e-3, 0.6e-3, -0.2e-3, 0.1e-3, 0.5e-3];

    /// Rounding of ln S (about 1e-16 · |ln S|) over b = 1000 bounds what a noise-free fit can recover.
    const TOL: f64 = 1e-14;

    fn eigenvalues(d: [f64; 6]) -> [f64; 3] {
        let m = Matrix3::new(d[0], d[1], d[3], d[1], d[2], d[4], d[3], d[4], d[5]);
        let mut e: Vec<f64> = m.symmetric_eigenvalues().iter().copied().collect();
        e.sort_by(|a, b| b.total_cmp(a));
        [e[0], e[1], e[2]]
    }

    #[test]
    fn known_tensor_is_recovered_by_both_fits() {
        let g = gradients(30);
        let s = signal(&g, D, 1234.5);
        let [l1, l2, l3] = eigenvalues(D);
        let fa = (0.5 * ((l1 - l2).powi(2) + (l2 - l3).powi(2) + (l3 - l1).powi(2))
            / (l1 * l1 + l2 * l2 + l3 * l3))
            .sqrt();
        for method in [FitMethod::Ols, FitMethod::Wls] {
            let m = fit_one(&g, &s, method);
            for (k, (t, want)) in m.tensor.iter().zip(D).enumerate() {
                let got = t[[0, 0, 0]];
                assert!(
                    (got - want).abs() < TOL,
                    "{method:?} D[{k}] {got} vs {want}"
                );
            }
            assert!((m.ad[[0, 0, 0]] - l1).abs() < TOL, "{method:?} AD");
            assert!(
                (m.rd[[0, 0, 0]] - (l2 + l3) / 2.0).abs() < TOL,
                "{method:?} RD"
            );
            assert!(
                (m.md[[0, 0, 0]] - (l1 + l2 + l3) / 3.0).abs() < TOL,
                "{method:?} MD"
            );
            assert!((m.fa[[0, 0, 0]] - fa).abs() < 1e-12, "{method:?} FA");
        }
    }

    #[test]
    fn isotropic_tensor_has_zero_fa() {
        let g = gradients(12);
        let d = 0.9e-3;
        let s = signal(&g, [d, 0.0, d, 0.0, 0.0, d], 800.0);
        for method in [FitMethod::Ols, FitMethod::Wls] {
            let m = fit_one(&g, &s, method);
            assert!(
                m.fa[[0, 0, 0]].abs() < 1e-9,
                "{method:?} FA {}",
                m.fa[[0, 0, 0]]
            );
            assert!((m.md[[0, 0, 0]] - d).abs() < TOL);
        }
        assert_eq!(fractional_anisotropy([2e-3; 3]), 0.0);
        assert_eq!(fractional_anisotropy([0.0; 3]), 0.0);
        assert_eq!(fractional_anisotropy([1.0, 0.0, 0.0]), 1.0);
    }

    #[test]
    fn zero_and_negative_signal_give_the_documented_maps() {
        let g = gradients(12);
        let lambda_min = lambda_min(&g);
        for fill in [0.0, -5.0] {
            let s = vec![fill; g.len()];
            for method in [FitMethod::Ols, FitMethod::Wls] {
                let m = fit_one(&g, &s, method);
                assert_eq!(m.fa[[0, 0, 0]], 0.0, "{method:?}");
                for v in [m.md[[0, 0, 0]], m.ad[[0, 0, 0]], m.rd[[0, 0, 0]]] {
                    assert!(
                        (v - lambda_min).abs() < 1e-12 * lambda_min,
                        "{v} vs {lambda_min}"
                    );
                }
                for k in [0, 2, 5] {
                    assert!((m.tensor[k][[0, 0, 0]] - lambda_min).abs() < 1e-12 * lambda_min);
                }
                for k in [1, 3, 4] {
                    assert!(m.tensor[k][[0, 0, 0]].abs() < 1e-12 * lambda_min);
                }
            }
        }
        // A b=0 of zero with diffusion-weighted signal: clipped, finite, eigenvalues clamped positive.
        let mut s = signal(&g, D, 500.0);
        s[0] = 0.0;
        s[4] = -3.0;
        let m = fit_one(&g, &s, FitMethod::Wls);
        assert!(m.fa[[0, 0, 0]].is_finite() && m.rd[[0, 0, 0]] >= lambda_min);
        // Non-finite signal: NaN everywhere.
        s[5] = f64::NAN;
        let m = fit_one(&g, &s, FitMethod::Ols);
        assert!(m.fa[[0, 0, 0]].is_nan() && m.tensor[0][[0, 0, 0]].is_nan());
    }

    /// dipy's min_diffusivity, 1e-6 / max(−X), written out independently of [`Model`].
    fn lambda_min(g: &Gradients) -> f64 {
        let mut m = 1.0f64;
        for (b, v) in g.bvals.iter().zip(&g.bvecs) {
            let v = zero_nan(v);
            for t in [
                v[0] * v[0],
                2.0 * v[0] * v[1],
                v[1] * v[1],
                2.0 * v[0] * v[2],
                2.0 * v[1] * v[2],
                v[2] * v[2],
            ] {
                m = m.max(b * t);
            }
        }
        1e-6 / m
    }

    #[test]
    fn non_positive_definite_fit_is_clamped() {
        // Signal that rises with b along z: a negative Dzz, clamped to λ_min.
        let g = gradients(20);
        let s = signal(&g, [1e-3, 0.0, 1e-3, 0.0, 0.0, -0.3e-3], 1000.0);
        let m = fit_one(&g, &s, FitMethod::Ols);
        let lambda_min = lambda_min(&g);
        assert!((m.rd[[0, 0, 0]] - (1e-3 + lambda_min) / 2.0).abs() < 1e-15);
        assert!((m.tensor[5][[0, 0, 0]] - lambda_min).abs() < 1e-15);
        assert!(m.fa[[0, 0, 0]] > 0.0 && m.fa[[0, 0, 0]] <= 1.0);
    }

    #[test]
    fn bad_inputs_are_errors_that_say_what() {
        let g = gradients(12);
        let msg = |r: Result<Gradients>| r.unwrap_err().message().to_string();
        let e = msg(Gradients::new(vec![0.0, 1000.0], vec![[0.0; 3]]));
        assert!(e.contains("2 b-values but 1 b-vectors"), "{e}");
        let mut bvecs = g.bvecs.clone();
        bvecs[6] = [0.5, 0.5, 0.0];
        let e = msg(Gradients::new(g.bvals.clone(), bvecs));
        assert!(e.contains("volume 6") && e.contains("unit"), "{e}");
        let e = msg(Gradients::new(vec![1000.0; 8], directions(8)));
        assert!(e.contains("no b=0"), "{e}");
        let e = msg(Gradients::new(g.bvals[..8].to_vec(), g.bvecs[..8].to_vec()));
        assert!(
            e.contains("5 diffusion-weighted") && e.contains("at least 6"),
            "{e}"
        );
        let planar: Vec<[f64; 3]> = (0..8)
            .map(|i| {
                let t = i as f64 * 0.4;
                [t.cos(), t.sin(), 0.0]
            })
            .collect();
        let e = msg(Gradients::new(
            std::iter::once(0.0).chain([1000.0; 8]).collect(),
            std::iter::once([0.0; 3]).chain(planar).collect(),
        ));
        assert!(e.contains("do not determine a tensor"), "{e}");
        let e = msg(Gradients::new(vec![0.0, -1.0], vec![[0.0; 3]; 2]));
        assert!(e.contains("volume 1 is -1"), "{e}");

        let vol = Array3::<f64>::ones((2, 2, 2));
        let e = fit(std::slice::from_ref(&vol), &g, None, FitMethod::Ols).unwrap_err();
        assert!(e.message().contains("4D DWI"), "{}", e.message());
        let e = fit(&vec![vol.clone(); 5], &g, None, FitMethod::Ols).unwrap_err();
        assert!(
            e.message().contains("5 volumes but there are 15 b-values"),
            "{}",
            e.message()
        );
        let mut vols = vec![vol.clone(); g.len()];
        vols[3] = Array3::ones((2, 2, 3));
        let e = fit(&vols, &g, None, FitMethod::Ols).unwrap_err();
        assert!(
            e.message().contains("volume 3 has shape"),
            "{}",
            e.message()
        );
        let mask = Array3::from_elem((2, 3, 2), true);
        let e = fit(&vec![vol; g.len()], &g, Some(mask.view()), FitMethod::Ols).unwrap_err();
        assert!(e.message().contains("mask shape"), "{}", e.message());
    }

    #[test]
    fn fsl_text_in_rows_or_columns() {
        let bval = "0 1000 1000 0\n";
        let rows = "0 1 0 0\n0 0 1 0\n0 0 0 0\n";
        let cols = "nan nan nan\n1 0 0\n0 1 0\n0 0 0\n";
        let g = Gradients {
            bvals: parse_rows(bval, "bval").unwrap().concat(),
            bvecs: vec![],
        };
        assert_eq!(g.bvals, vec![0.0, 1000.0, 1000.0, 0.0]);
        // Too few directions for a tensor, but parsing and shape detection come first.
        for text in [rows, cols] {
            let e = Gradients::from_fsl_text(bval, text).unwrap_err();
            assert!(
                e.message().contains("2 diffusion-weighted"),
                "{}",
                e.message()
            );
        }
        let e = Gradients::from_fsl_text(bval, "1 0\n0 1\n0 0\n").unwrap_err();
        assert!(
            e.message().contains("expected 3 rows of 4"),
            "{}",
            e.message()
        );
        let e = Gradients::from_fsl_text("0 x", rows).unwrap_err();
        assert!(
            e.message().contains("'x' is not a number"),
            "{}",
            e.message()
        );
        // A full table, columns and rows giving the same gradients.
        let g = gradients(7);
        let fmt = |v: f64| format!("{v:e}");
        let bval: Vec<String> = g.bvals.iter().map(|&b| fmt(b)).collect();
        let col: Vec<String> = g.bvecs.iter().map(|v| v.map(fmt).join(" ")).collect();
        let row: Vec<String> = (0..3)
            .map(|c| {
                g.bvecs
                    .iter()
                    .map(|v| fmt(v[c]))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let a = Gradients::from_fsl_text(&bval.join(" "), &col.join("\n")).unwrap();
        let b = Gradients::from_fsl_text(&bval.join("\n"), &row.join("\n")).unwrap();
        assert_eq!(a.design_matrix(), b.design_matrix());
        assert_eq!(a.design_matrix(), g.design_matrix());
    }
}
