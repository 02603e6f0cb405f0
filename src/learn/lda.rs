//! Linear discriminant analysis for two classes, as scikit-learn's `LinearDiscriminantAnalysis()` (solver
//! `svd`, empirical priors, no shrinkage).
//!
//! ```text
//! μ_k = mean of class k,  π_k = n_k / n
//! S   = Σ_k Σ_{i∈k} (x_i − μ_k)(x_i − μ_k)ᵀ / n              pooled within-class covariance (divisor n,
//!                                                          as scikit-learn 1.9 does; checked against it)
//! w   = S⁺ (μ_1 − μ_0)
//! b   = −½ (μ_1ᵀ S⁺ μ_1 − μ_0ᵀ S⁺ μ_0) + ln(π_1 / π_0)
//! P(y = 1 | x) = σ(wᵀx + b)
//! ```
//! S⁺ is the pseudo-inverse: directions whose singular value on the class-centred, column-standardised,
//! n^{−½}-scaled data is ≤ 1e-4 (scikit-learn's `tol`) are dropped, so collinear features do not blow up.

use nalgebra::{DMatrix, DVector};
use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// Fits LDA; returns (w, b) of the decision function wᵀx + b.
pub(crate) fn fit(x: ArrayView2<f64>, y: &[u8]) -> Result<(Vec<f64>, f64)> {
    let (n, p) = x.dim();
    let n1 = y.iter().filter(|&&v| v == 1).count();
    let n0 = n - n1;
    if n0 < 1 || n1 < 1 || n < 3 {
        return Err(Error::invalid(
            "LDA needs both classes and at least three rows",
        ));
    }
    let mut mu = [DVector::<f64>::zeros(p), DVector::<f64>::zeros(p)];
    for (i, row) in x.rows().into_iter().enumerate() {
        for j in 0..p {
            mu[y[i] as usize][j] += row[j];
        }
    }
    mu[0] /= n0 as f64;
    mu[1] /= n1 as f64;
    // Centre by class means and scale each column by its SD (as the svd solver does) for conditioning.
    let mut xc = DMatrix::<f64>::zeros(n, p);
    for (i, row) in x.rows().into_iter().enumerate() {
        for j in 0..p {
            xc[(i, j)] = row[j] - mu[y[i] as usize][j];
        }
    }
    let sd: Vec<f64> = (0..p)
        .map(|j| {
            let c = xc.column(j);
            let m = c.mean();
            let s = (c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n as f64).sqrt();
            if s == 0.0 {
                1.0
            } else {
                s
            }
        })
        .collect();
    let fac = (1.0 / n as f64).sqrt();
    for (j, &s) in sd.iter().enumerate() {
        xc.column_mut(j).iter_mut().for_each(|v| *v *= fac / s);
    }
    // With A = Xc D⁻¹ / √n = U Σ Vᵀ: S = D AᵀA D, so S⁺ = D⁻¹ V Σ⁻² Vᵀ D⁻¹ (keeping Σ > tol).
    let svd = xc.svd(false, true);
    let vt = svd.v_t.ok_or_else(|| Error::internal("LDA: SVD failed"))?;
    let diff: Vec<f64> = (0..p).map(|j| (mu[1][j] - mu[0][j]) / sd[j]).collect();
    let sum_: Vec<f64> = (0..p).map(|j| (mu[1][j] + mu[0][j]) / sd[j]).collect();
    let mut w_scaled = vec![0.0; p];
    let mut quad = 0.0; // (μ1 − μ0)ᵀ S⁺ (μ1 + μ0) in scaled coordinates
    for (k, &s) in svd.singular_values.iter().enumerate() {
        if s <= 1e-4 {
            continue;
        }
        let v = vt.row(k);
        let pd: f64 = (0..p).map(|j| v[j] * diff[j]).sum::<f64>() / (s * s);
        let ps: f64 = (0..p).map(|j| v[j] * sum_[j]).sum();
        quad += pd * ps;
        for j in 0..p {
            w_scaled[j] += v[j] * pd;
        }
    }
    let w: Vec<f64> = (0..p).map(|j| w_scaled[j] / sd[j]).collect();
    let b = -0.5 * quad + (n1 as f64 / n0 as f64).ln();
    Ok((w, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn one_feature_closed_form() {
        // μ0 = 1, μ1 = 4, within SS = 2 + 2 = 4, S = 4 / 5; π1/π0 = 2/3.
        let x = array![[0.0], [1.0], [2.0], [3.0], [5.0]];
        let y = [0, 0, 0, 1, 1];
        let (w, b) = fit(x.view(), &y).unwrap();
        let s = 4.0 / 5.0;
        assert!((w[0] - 3.0 / s).abs() < 1e-12);
        assert!((b - (-0.5 * (16.0 - 1.0) / s + (2.0f64 / 3.0).ln())).abs() < 1e-12);
    }
}
