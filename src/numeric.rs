//! Summation and order statistics with numpy's arithmetic.
//!
//! Feature values are compared with PyRadiomics to 1e-6 relative. Most features are far from cancellation and
//! do not care how a sum is ordered, but some (skewness of a symmetric ROI, cluster shade) are differences of
//! nearly equal terms; summing as numpy sums keeps those close too. numpy adds float64 arrays pairwise:
//! blocks of at most 128 elements with eight interleaved accumulators, halves above that.

/// numpy's pairwise sum of a contiguous float64 array (`numpy.add.reduce`).
pub fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut s = 0.0;
        for &v in a {
            s += v;
        }
        s
    } else if n <= BLOCK {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let mut i = 8;
        while i + 8 <= n {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[i + k];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[i..] {
            s += v;
        }
        s
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
    }
}

/// numpy's sum of `f(x)` over `a`, evaluated into a temporary as numpy does.
pub fn sum_map(a: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let t: Vec<f64> = a.iter().map(|&x| f(x)).collect();
    pairwise_sum(&t)
}

/// Arithmetic mean (`numpy.mean`), NaN for an empty slice.
pub fn mean(a: &[f64]) -> f64 {
    if a.is_empty() {
        return f64::NAN;
    }
    pairwise_sum(a) / a.len() as f64
}

/// Central moment `mean((x − mean(x))^k)`.
pub fn central_moment(a: &[f64], k: i32) -> f64 {
    let m = mean(a);
    sum_map(a, |x| (x - m).powi(k)) / a.len() as f64
}

/// `numpy.percentile(a, q)` with the default linear method, for ascending-sorted `sorted`.
/// NaN for an empty slice.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let qf = q / 100.0;
    // numpy's _compute_virtual_index, n·q + (α + q(1 − α − β)) − 1, with α = β = 1, term by term.
    let (alpha, beta) = (1.0, 1.0);
    let virtual_index = n as f64 * qf + (alpha + qf * (1.0 - alpha - beta)) - 1.0;
    let lo = virtual_index.floor();
    let gamma = virtual_index - lo;
    let lo_i = (lo.max(0.0) as usize).min(n - 1);
    let hi_i = (lo_i + 1).min(n - 1);
    let (a, b) = (sorted[lo_i], sorted[hi_i]);
    // numpy's _lerp, which interpolates from the nearer end.
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_equals_naive_on_integers() {
        let a: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        assert_eq!(pairwise_sum(&a), 499500.0);
        assert_eq!(pairwise_sum(&a[..5]), 10.0);
        assert_eq!(pairwise_sum(&a[..100]), 4950.0);
    }

    #[test]
    fn percentiles_as_numpy() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&a, 50.0), 2.5);
        assert_eq!(percentile_sorted(&a, 10.0), 1.3);
        assert_eq!(percentile_sorted(&a, 100.0), 4.0);
        assert_eq!(percentile_sorted(&a, 0.0), 1.0);
        assert!(percentile_sorted(&[], 50.0).is_nan());
    }
}
