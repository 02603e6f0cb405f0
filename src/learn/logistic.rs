//! Logistic regression with an L2 penalty (scikit-learn's `LogisticRegression(C=…)`) or an L1 penalty (its
//! `l1_ratio=1`, the lasso selector).
//!
//! ```text
//! p_i = σ(b + wᵀx_i),  σ(t) = 1 / (1 + e^{−t});   loss_i = −y_i ln p_i − (1 − y_i) ln(1 − p_i)
//! L2:  minimise  C Σ_i loss_i + ½ ‖w‖²          (intercept b not penalised)
//! L1:  minimise  C Σ_i loss_i + ‖w‖₁
//! ```
//! Both are strictly convex in w (L2) or convex (L1) and solved to a tight tolerance, so the result is the
//! optimum scikit-learn's solvers approach, not an early stop. L2: Newton's method with a backtracking line
//! search on the full Hessian. L1: proximal Newton — a weighted least-squares model of the loss around the
//! current point, minimised by cyclic coordinate descent with soft-thresholding (Friedman, Hastie &
//! Tibshirani, J. Stat. Softw. 33 (2010)), then a backtracking step on the true objective.

use nalgebra::{DMatrix, DVector};
use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// σ(t), written to avoid overflow for large |t|.
pub(crate) fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^t) without overflow.
fn log1p_exp(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// Σ_i loss_i at linear predictors `eta`.
fn total_loss(y: &[u8], eta: &[f64]) -> f64 {
    y.iter()
        .zip(eta)
        .map(|(&yi, &t)| if yi == 1 { log1p_exp(-t) } else { log1p_exp(t) })
        .sum()
}

fn linear(x: ArrayView2<f64>, w: &[f64], b: f64) -> Vec<f64> {
    x.rows()
        .into_iter()
        .map(|r| b + r.iter().zip(w).map(|(a, c)| a * c).sum::<f64>())
        .collect()
}

/// Fits L2-penalised logistic regression; returns (w, b).
pub(crate) fn fit_l2(x: ArrayView2<f64>, y: &[u8], c: f64) -> Result<(Vec<f64>, f64)> {
    if c <= 0.0 || !c.is_finite() {
        return Err(Error::invalid(format!(
            "logistic regression needs C > 0, got {c}"
        )));
    }
    let (n, p) = x.dim();
    let mut theta = vec![0.0; p + 1]; // w then b
    let objective = |th: &[f64]| {
        let eta = linear(x, &th[..p], th[p]);
        c * total_loss(y, &eta) + 0.5 * th[..p].iter().map(|v| v * v).sum::<f64>()
    };
    let mut f = objective(&theta);
    for _ in 0..200 {
        let eta = linear(x, &theta[..p], theta[p]);
        let mut g = DVector::<f64>::zeros(p + 1);
        let mut h = DMatrix::<f64>::zeros(p + 1, p + 1);
        for i in 0..n {
            let pi = sigmoid(eta[i]);
            let r = c * (pi - y[i] as f64);
            let wi = c * pi * (1.0 - pi);
            let row = x.row(i);
            for a in 0..=p {
                let xa = if a < p { row[a] } else { 1.0 };
                g[a] += r * xa;
                for bb in 0..=a {
                    let xb = if bb < p { row[bb] } else { 1.0 };
                    h[(a, bb)] += wi * xa * xb;
                }
            }
        }
        for a in 0..=p {
            for bb in 0..a {
                h[(bb, a)] = h[(a, bb)];
            }
        }
        for a in 0..p {
            g[a] += theta[a];
            h[(a, a)] += 1.0;
        }
        // A tiny ridge on the intercept keeps the Hessian positive definite when the classes separate.
        h[(p, p)] += 1e-12;
        let gnorm = g.amax();
        if gnorm < 1e-11 * (1.0 + c * n as f64).min(1e6) {
            break;
        }
        let step = h
            .cholesky()
            .ok_or_else(|| Error::internal("logistic regression: Hessian not positive definite"))?
            .solve(&g);
        let slope = g.dot(&step);
        let mut t = 1.0;
        loop {
            let cand: Vec<f64> = theta
                .iter()
                .zip(step.iter())
                .map(|(a, d)| a - t * d)
                .collect();
            let fc = objective(&cand);
            if fc <= f - 1e-4 * t * slope || t < 1e-10 {
                let done = (f - fc).abs() <= 1e-16 * f.abs().max(1.0) && gnorm < 1e-8;
                theta = cand;
                f = fc;
                if done {
                    return Ok((theta[..p].to_vec(), theta[p]));
                }
                break;
            }
            t *= 0.5;
        }
    }
    Ok((theta[..p].to_vec(), theta[p]))
}

/// Fits L1-penalised logistic regression; returns (w, b).
pub(crate) fn fit_l1(x: ArrayView2<f64>, y: &[u8], c: f64) -> Result<(Vec<f64>, f64)> {
    if c <= 0.0 || !c.is_finite() {
        return Err(Error::invalid(format!(
            "L1 logistic regression needs C > 0, got {c}"
        )));
    }
    let (n, p) = x.dim();
    let cols: Vec<Vec<f64>> = x.columns().into_iter().map(|c| c.to_vec()).collect();
    let mut w = vec![0.0; p];
    let ybar = y.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let mut b = (ybar / (1.0 - ybar)).ln();
    let objective = |w: &[f64], b: f64| {
        c * total_loss(y, &linear(x, w, b)) + w.iter().map(|v| v.abs()).sum::<f64>()
    };
    let mut f = objective(&w, b);
    for _outer in 0..500 {
        let eta = linear(x, &w, b);
        let prob: Vec<f64> = eta.iter().map(|&t| sigmoid(t)).collect();
        let wt: Vec<f64> = prob
            .iter()
            .map(|&q| (c * q * (1.0 - q)).max(1e-12 * c))
            .collect();
        // Quadratic model in (d_w, d_b): Σ ½ wt_i (d·x_i)² + g·d + ‖w + d_w‖₁, g = C(p − y)ᵀ[X 1].
        let g: Vec<f64> = (0..n).map(|i| c * (prob[i] - y[i] as f64)).collect();
        let mut d = vec![0.0; p];
        let mut db = 0.0;
        let mut xd = vec![0.0; n]; // x_i·d + db
        let hjj: Vec<f64> = cols
            .iter()
            .map(|col| col.iter().zip(&wt).map(|(a, q)| q * a * a).sum())
            .collect();
        let hbb: f64 = wt.iter().sum();
        for _inner in 0..1000 {
            let mut max_change: f64 = 0.0;
            for j in 0..p {
                if hjj[j] == 0.0 {
                    continue;
                }
                let grad: f64 = (0..n)
                    .map(|i| g[i] * cols[j][i] + wt[i] * xd[i] * cols[j][i])
                    .sum();
                let z = w[j] + d[j] - grad / hjj[j];
                let thr = 1.0 / hjj[j];
                let new = z.signum() * (z.abs() - thr).max(0.0) - w[j];
                let delta = new - d[j];
                if delta != 0.0 {
                    for i in 0..n {
                        xd[i] += delta * cols[j][i];
                    }
                    d[j] = new;
                    max_change = max_change.max(delta.abs() * hjj[j].sqrt());
                }
            }
            let gb: f64 = (0..n).map(|i| g[i] + wt[i] * xd[i]).sum();
            let delta = -gb / hbb;
            for v in &mut xd {
                *v += delta;
            }
            db += delta;
            max_change = max_change.max(delta.abs() * hbb.sqrt());
            if max_change < 1e-13 {
                break;
            }
        }
        // Backtracking on the true objective along the proximal-Newton direction.
        let l1 = |v: &[f64]| v.iter().map(|a| a.abs()).sum::<f64>();
        let gd: f64 = (0..n).map(|i| g[i] * xd[i]).sum();
        let wd: Vec<f64> = w.iter().zip(&d).map(|(a, b)| a + b).collect();
        let decrease = gd + l1(&wd) - l1(&w);
        let mut t = 1.0;
        let (mut nw, mut nb, mut nf);
        loop {
            nw = w.iter().zip(&d).map(|(a, b)| a + t * b).collect::<Vec<_>>();
            nb = b + t * db;
            nf = objective(&nw, nb);
            if nf <= f + 1e-4 * t * decrease || t < 1e-10 {
                break;
            }
            t *= 0.5;
        }
        let change = f - nf;
        w = nw;
        b = nb;
        f = nf;
        if change.abs() <= 1e-15 * f.abs().max(1.0) || decrease.abs() < 1e-14 {
            break;
        }
    }
    Ok((w, b))
}

/// L1-penalised logistic regression at a fixed C (the lasso selector's solver), for checking; returns (w, b).
#[doc(hidden)]
pub fn fit_l1_pub(x: ArrayView2<f64>, y: &[u8], c: f64) -> Result<(Vec<f64>, f64)> {
    fit_l1(x, y, c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn l2_gradient_vanishes_at_the_optimum() {
        let x = array![
            [0.0, 1.0],
            [1.0, 0.5],
            [2.0, -1.0],
            [3.0, 0.0],
            [1.5, 2.0],
            [0.5, -0.5]
        ];
        let y = [0, 0, 1, 1, 1, 0];
        let (w, b) = fit_l2(x.view(), &y, 2.0).unwrap();
        let eta = linear(x.view(), &w, b);
        for j in 0..2 {
            let g: f64 = (0..6)
                .map(|i| 2.0 * (sigmoid(eta[i]) - y[i] as f64) * x[[i, j]])
                .sum::<f64>()
                + w[j];
            assert!(g.abs() < 1e-9, "{g}");
        }
        let gb: f64 = (0..6).map(|i| sigmoid(eta[i]) - y[i] as f64).sum();
        assert!(gb.abs() < 1e-9);
    }

    #[test]
    fn l1_zeroes_an_uninformative_feature_and_strong_penalty_zeroes_all() {
        let x = array![
            [0.0, 1.0],
            [1.0, -1.0],
            [2.0, 1.0],
            [3.0, -1.0],
            [4.0, 1.0],
            [5.0, -1.0]
        ];
        let y = [0, 0, 0, 1, 1, 1];
        let (w, _) = fit_l1(x.view(), &y, 1.0).unwrap();
        assert!(w[0] > 0.0);
        assert_eq!(w[1], 0.0);
        let (w, b) = fit_l1(x.view(), &y, 1e-3).unwrap();
        assert_eq!(w, vec![0.0, 0.0]);
        assert!(b.abs() < 1e-9);
    }
}
