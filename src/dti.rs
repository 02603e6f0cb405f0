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
//! Summation order inside the products differs from numpy's BLAS calls; the maps agree with dipy to
//! about 10⁻¹³ relative on real data (see `tests/dti_parity.rs`).
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
            (0..n).map(|i| [rows[0][i], rows[1][i], rows[2][i]]).collect()
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
        if let Some(i) = self.bvals.iter().position(|b| !(b.is_finite() && *b >= 0.0)) {
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
        if !(smin > smax * 1e-10) {
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
        let y = DVector::from_iterator(signal.len(), signal.iter().map(|&s| s.max(MIN_SIGNAL).ln()));
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
