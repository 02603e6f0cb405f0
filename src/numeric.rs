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

/// numpy's pairwise sum of a contiguous float32 array: the same blocks as [`pairwise_sum`], every
/// addition in float32.
pub fn pairwise_sum_f32(a: &[f32]) -> f32 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut s = 0.0f32;
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
        pairwise_sum_f32(&a[..half]) + pairwise_sum_f32(&a[half..])
    }
}

/// `numpy.mean` and `numpy.std` of a float32 array, computed in float32 as numpy does (NaN when empty).
pub fn mean_std_f32(a: &[f32]) -> (f32, f32) {
    if a.is_empty() {
        return (f32::NAN, f32::NAN);
    }
    let n = a.len() as f32;
    let mean = pairwise_sum_f32(a) / n;
    let squares: Vec<f32> = a
        .iter()
        .map(|&x| {
            let d = x - mean;
            d * d
        })
        .collect();
    (mean, (pairwise_sum_f32(&squares) / n).sqrt())
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
    // numpy's virtual index for the linear method is (n − 1)·q, computed as such (its general
    // n·q + (α + q(1 − α − β)) − 1 is used only by the other methods, and differs by rounding: for
    // n = 101, q = 0.1 it gives 10.000000000000002, whose γ moves the 10th percentile off the voxel value).
    let virtual_index = (n - 1) as f64 * qf;
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
        // 101 values: numpy's index (n − 1)·0.1 is exactly 10, so the 10th percentile is a value itself.
        let b: Vec<f64> = (0..101)
            .map(|i| 50.404319763183594 + i as f64 * 10.08)
            .collect();
        assert_eq!(percentile_sorted(&b, 10.0), b[10]);
    }
}
