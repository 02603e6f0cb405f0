//! Z-scoring, as scikit-learn's `StandardScaler`.
//!
//! ```text
//! μ_j = (1/n) Σ_i x_ij          σ_j = √((1/n) Σ_i (x_ij − μ_j)²)   (population SD, ddof = 0)
//! z_ij = (x_ij − μ_j) / σ_j      σ_j = 0 is replaced by 1, as scikit-learn does
//! ```
//! Fitted on training rows only; inside cross-validation, on the training folds only.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::numeric::pairwise_sum;

/// Per-feature mean and scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Means μ_j.
    pub mean: Vec<f64>,
    /// Scales σ_j (population SD; 1 where the SD is 0).
    pub scale: Vec<f64>,
}

impl Scaler {
    /// Fits on the rows of `x` (two passes, numpy's pairwise summation).
    pub fn fit(x: ArrayView2<f64>) -> Scaler {
        let n = x.nrows() as f64;
        let mut mean = Vec::with_capacity(x.ncols());
        let mut scale = Vec::with_capacity(x.ncols());
        for col in x.columns() {
            let v: Vec<f64> = col.to_vec();
            let m = pairwise_sum(&v) / n;
            let d: Vec<f64> = v.iter().map(|&a| (a - m) * (a - m)).collect();
            let sd = (pairwise_sum(&d) / n).sqrt();
            mean.push(m);
            scale.push(if sd == 0.0 { 1.0 } else { sd });
        }
        Scaler { mean, scale }
    }

    /// z = (x − μ) / σ for every row.
    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut z = x.to_owned();
        for mut row in z.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (*v - self.mean[j]) / self.scale[j];
            }
        }
        z
    }

    /// The scaler restricted to the columns `cols`, in that order.
    pub fn subset(&self, cols: &[usize]) -> Scaler {
        Scaler {
            mean: cols.iter().map(|&j| self.mean[j]).collect(),
            scale: cols.iter().map(|&j| self.scale[j]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn population_sd_and_constant_column() {
        let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]];
        let s = Scaler::fit(x.view());
        assert_eq!(s.mean, vec![3.0, 5.0]);
        assert!((s.scale[0] - 3.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(s.scale[1], 1.0);
        let z = s.transform(x.view());
        assert!((z[[3, 0]] - 3.0 / 3.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(z[[0, 1]], 0.0);
    }
}
