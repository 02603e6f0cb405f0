//! Dense linear algebra the feature classes need and `nalgebra` does not offer in the form they need.
//!
//! [`eigenvalues`]: all eigenvalues of a general real matrix, without eigenvectors — what GLCM's
//! maximal correlation coefficient needs, once per angle, as numpy's `eigvals` gives it to PyRadiomics.
//! The classic route (Golub & Van Loan, *Matrix Computations*, §7.4–7.5): Householder reduction to upper
//! Hessenberg form, then Francis double-shift QR steps on the active, unreduced block only, deflating
//! one real eigenvalue or a 2×2 block (a real pair or a complex pair) at a time. Computing no Schur
//! vectors, and touching only the active block, does a fraction of the work of a full Schur
//! decomposition.

/// A complex eigenvalue `re + i·im` (`im` = 0 for a real one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Eigenvalue {
    pub re: f64,
    pub im: f64,
}

/// The eigenvalues of the `n × n` matrix `a` (row-major, overwritten), in no particular order; `None`
/// when the input is not finite or neither the QR iteration (30·max(10, n) steps without a deflation, as
/// LAPACK allows) nor nalgebra's Schur decomposition converges. The matrix is balanced first
/// ([`balance`]), as numpy's `eigvals` (LAPACK `dgeev`) does.
///
/// Deflation uses the small-subdiagonal test `|h(k,k−1)| ≤ ε (|h(k−1,k−1)| + |h(k,k)|)`; every 10
/// steps without deflation an exceptional shift breaks the cycles that the standard shift can fall
/// into on matrices with repeated eigenvalues.
pub(crate) fn eigenvalues(a: &mut [f64], n: usize) -> Option<Vec<Eigenvalue>> {
    assert_eq!(a.len(), n * n, "a must be n × n");
    if a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (lo, hi) = balance(a, n);
    // Rows and columns outside lo..hi hold isolated eigenvalues on the diagonal.
    let mut out: Vec<Eigenvalue> = (0..lo)
        .chain(hi..n)
        .map(|i| Eigenvalue {
            re: a[i * n + i],
            im: 0.0,
        })
        .collect();
    let m = hi - lo;
    let mut block: Vec<f64> = (lo..hi)
        .flat_map(|i| a[i * n + lo..i * n + hi].iter().copied())
        .collect();
    let copy = block.clone();
    hessenberg(&mut block, m);
    match hessenberg_eigenvalues(&mut block, m) {
        Some(ev) => out.extend(ev),
        None => {
            // A last resort where the iteration above cycles: nalgebra's Schur decomposition (a
            // different shift and deflation strategy) with a generous iteration limit.
            let schur = nalgebra::Schur::try_new(
                nalgebra::DMatrix::from_row_slice(m, m, &copy),
                f64::EPSILON,
                100_000,
            )?;
            out.extend(
                schur
                    .complex_eigenvalues()
                    .iter()
                    .map(|z| Eigenvalue { re: z.re, im: z.im }),
            );
        }
    }
    Some(out)
}

/// Balances `a` in place as LAPACK's `dgebal` (job `B`, what numpy's `eigvals` does first): rows and
/// columns that isolate an eigenvalue are permuted to the bottom and the top, then the remaining block
/// `lo..hi` is scaled by powers of 2 (a similarity, without rounding) until each row and column have
/// comparable norms. Returns `(lo, hi)`.
///
/// Balancing matters beyond accuracy: on matrices with a repeated eigenvalue (GLCM's `Q` for grey
/// levels in separate groups) the QR iteration may fail to converge on the unbalanced matrix.
fn balance(a: &mut [f64], n: usize) -> (usize, usize) {
    let swap = |a: &mut [f64], i: usize, j: usize, lo: usize, hi: usize| {
        if i == j {
            return;
        }
        // Columns i and j over rows 0..hi, then rows i and j over columns lo..n.
        for r in 0..hi {
            a.swap(r * n + i, r * n + j);
        }
        for c in lo..n {
            a.swap(i * n + c, j * n + c);
        }
    };
    let (mut lo, mut hi) = (0usize, n);
    // Rows with no off-diagonal entry in columns lo..hi: push down.
    while hi > 0 {
        let Some(i) = (lo..hi)
            .rev()
            .find(|&i| (lo..hi).all(|j| j == i || a[i * n + j] == 0.0))
        else {
            break;
        };
        swap(a, i, hi - 1, lo, hi);
        hi -= 1;
    }
    if hi == 0 {
        return (0, 0);
    }
    // Columns with no off-diagonal entry in rows lo..hi: push left.
    while let Some(j) = (lo..hi).find(|&j| (lo..hi).all(|i| i == j || a[i * n + j] == 0.0)) {
        swap(a, j, lo, lo, hi);
        lo += 1;
    }
    // Scaling.
    const RADIX: f64 = 2.0;
    const FACTOR: f64 = 0.95;
    let sfmin1 = f64::MIN_POSITIVE / (f64::EPSILON / 2.0);
    let sfmax1 = 1.0 / sfmin1;
    let sfmin2 = sfmin1 * RADIX;
    let sfmax2 = 1.0 / sfmin2;
    let mut scale = vec![1.0f64; n];
    let mut noconv = true;
    while noconv {
        noconv = false;
        for i in lo..hi {
            let mut c = (lo..hi).map(|r| a[r * n + i].powi(2)).sum::<f64>().sqrt();
            let mut r = (lo..hi).map(|k| a[i * n + k].powi(2)).sum::<f64>().sqrt();
            let mut ca = (0..hi).map(|k| a[k * n + i].abs()).fold(0.0, f64::max);
            let mut ra = (lo..n).map(|k| a[i * n + k].abs()).fold(0.0, f64::max);
            if c == 0.0 || r == 0.0 {
                continue;
            }
            let mut g = r / RADIX;
            let mut f: f64 = 1.0;
            let s = c + r;
            while c < g && f.max(c).max(ca) < sfmax2 && r.min(g).min(ra) > sfmin2 {
                f *= RADIX;
                c *= RADIX;
                ca *= RADIX;
                r /= RADIX;
                g /= RADIX;
                ra /= RADIX;
            }
            g = c / RADIX;
            while g >= r && r.max(ra) < sfmax2 && f.min(c).min(g).min(ca) > sfmin2 {
                f /= RADIX;
                c /= RADIX;
                g /= RADIX;
                ca /= RADIX;
                r *= RADIX;
                ra *= RADIX;
            }
            if c + r >= FACTOR * s {
                continue;
            }
            if f < 1.0 && scale[i] < 1.0 && f * scale[i] <= sfmin1 {
                continue;
            }
            if f > 1.0 && scale[i] > 1.0 && scale[i] >= sfmax1 / f {
                continue;
            }
            scale[i] *= f;
            noconv = true;
            let g = 1.0 / f;
            for k in lo..n {
                a[i * n + k] *= g;
            }
            for k in 0..hi {
                a[k * n + i] *= f;
            }
        }
    }
    (lo, hi)
}

/// Reduces `a` to upper Hessenberg form in place by Householder reflections `P = I − β v vᵀ`, applied
/// from the left and the right (a similarity: the eigenvalues are kept). Entries below the
/// subdiagonal are set to zero.
fn hessenberg(a: &mut [f64], n: usize) {
    if n < 3 {
        return;
    }
    let mut v = vec![0.0; n];
    let mut w = vec![0.0; n];
    for k in 0..n - 2 {
        // The reflection that maps a[k+1.., k] onto a multiple of the first unit vector.
        let len = n - k - 1;
        let v = &mut v[..len];
        for (i, vi) in v.iter_mut().enumerate() {
            *vi = a[(k + 1 + i) * n + k];
        }
        let beta = householder(v);
        if beta == 0.0 {
            // Already zero below the subdiagonal.
            continue;
        }
        // Left: rows k+1.., columns k..: a ← a − β v (vᵀ a).
        let w = &mut w[k..n];
        w.fill(0.0);
        for (i, &vi) in v.iter().enumerate() {
            let row = &a[(k + 1 + i) * n + k..(k + 2 + i) * n];
            for (wj, &x) in w.iter_mut().zip(row) {
                *wj += vi * x;
            }
        }
        for (i, &vi) in v.iter().enumerate() {
            let f = beta * vi;
            let row = &mut a[(k + 1 + i) * n + k..(k + 2 + i) * n];
            for (x, &wj) in row.iter_mut().zip(w.iter()) {
                *x -= f * wj;
            }
        }
        // Right: every row, columns k+1..: a ← a − β (a v) vᵀ.
        for r in 0..n {
            let row = &mut a[r * n + k + 1..(r + 1) * n];
            let dot: f64 = row.iter().zip(v.iter()).map(|(x, vi)| x * vi).sum();
            let f = beta * dot;
            for (x, &vi) in row.iter_mut().zip(v.iter()) {
                *x -= f * vi;
            }
        }
        for i in k + 2..n {
            a[i * n + k] = 0.0;
        }
    }
}

/// The eigenvalues of the upper Hessenberg matrix `h` (row-major, overwritten).
fn hessenberg_eigenvalues(h: &mut [f64], n: usize) -> Option<Vec<Eigenvalue>> {
    let at = |i: usize, j: usize| i * n + j;
    let mut out = Vec::with_capacity(n);
    // As LAPACK's dlahqr: up to 30·max(10, n) steps for each deflation.
    let max_steps = 30 * n.max(10);
    // The active block is rows and columns lo..=hi; hi moves up as eigenvalues deflate.
    let mut hi = n;
    let mut its = 0;
    while hi > 0 {
        let q = hi - 1;
        // Find the start of the unreduced block ending at q.
        let mut lo = q;
        while lo > 0 {
            let sub = h[at(lo, lo - 1)].abs();
            let diag = h[at(lo - 1, lo - 1)].abs() + h[at(lo, lo)].abs();
            if sub <= f64::EPSILON * diag || sub < f64::MIN_POSITIVE {
                h[at(lo, lo - 1)] = 0.0;
                break;
            }
            lo -= 1;
        }
        if lo == q {
            out.push(Eigenvalue {
                re: h[at(q, q)],
                im: 0.0,
            });
            hi -= 1;
            its = 0;
            continue;
        }
        if lo + 1 == q {
            let (a, b, c, d) = (
                h[at(q - 1, q - 1)],
                h[at(q - 1, q)],
                h[at(q, q - 1)],
                h[at(q, q)],
            );
            let [e1, e2] = two_by_two(a, b, c, d);
            out.push(e1);
            out.push(e2);
            hi -= 2;
            its = 0;
            continue;
        }
        if its == max_steps {
            return None;
        }
        its += 1;
        // The two shifts, as their sum s and product t: the eigenvalues of the trailing 2×2 block, or,
        // every 10 steps without deflation, an exceptional pair (as dlahqr: alternately built from the
        // top and the bottom of the block) that breaks cycles.
        let (s, t) = if its % 10 == 0 {
            let (m, centre) = if its % 20 == 10 {
                (
                    h[at(lo + 1, lo)].abs() + h[at(lo + 2, lo + 1)].abs(),
                    h[at(lo, lo)],
                )
            } else {
                (
                    h[at(q, q - 1)].abs() + h[at(q - 1, q - 2)].abs(),
                    h[at(q, q)],
                )
            };
            // The eigenvalues of [[a, −0.4375 m], [m, a]] with a = centre + 0.75 m.
            let a = centre + 0.75 * m;
            (2.0 * a, a * a + 0.4375 * m * m)
        } else {
            let (a, b, c, d) = (
                h[at(q - 1, q - 1)],
                h[at(q - 1, q)],
                h[at(q, q - 1)],
                h[at(q, q)],
            );
            (a + d, a * d - b * c)
        };
        francis_step(h, n, lo, q, s, t);
    }
    Some(out)
}

/// One implicit double-shift QR step on the unreduced block `lo..=q` (at least 3×3) of the Hessenberg
/// matrix `h`, with shifts whose sum is `s` and product `t`: a bulge made by the first column of
/// `(H − σ1)(H − σ2)` is chased down the block with 3-element Householder reflections. Only the block is
/// updated, which leaves its eigenvalues (and so the whole matrix's) as a full step would.
fn francis_step(h: &mut [f64], n: usize, lo: usize, q: usize, s: f64, t: f64) {
    let at = |i: usize, j: usize| i * n + j;
    let h00 = h[at(lo, lo)];
    let h10 = h[at(lo + 1, lo)];
    let mut x = h00 * h00 + h[at(lo, lo + 1)] * h10 - s * h00 + t;
    let mut y = h10 * (h00 + h[at(lo + 1, lo + 1)] - s);
    let mut z = h10 * h[at(lo + 2, lo + 1)];
    for k in lo..q {
        // Reflection on rows/columns k..k+2 (k..k+1 at the last position) mapping (x, y, z) to (β, 0, 0).
        let three = k + 2 <= q;
        let mut v = [x, y, if three { z } else { 0.0 }];
        let beta = householder(&mut v);
        if beta != 0.0 {
            let rows = if three { 3 } else { 2 };
            // Left: rows k..k+rows, columns from max(lo, k−1) to q.
            let c0 = if k > lo { k - 1 } else { lo };
            for j in c0..=q {
                let mut dot = h[at(k, j)] + v[1] * h[at(k + 1, j)];
                if rows == 3 {
                    dot += v[2] * h[at(k + 2, j)];
                }
                let f = beta * dot;
                h[at(k, j)] -= f;
                h[at(k + 1, j)] -= f * v[1];
                if rows == 3 {
                    h[at(k + 2, j)] -= f * v[2];
                }
            }
            // Right: columns k..k+rows, rows from lo to min(k+3, q).
            let r1 = (k + 3).min(q);
            for i in lo..=r1 {
                let mut dot = h[at(i, k)] + v[1] * h[at(i, k + 1)];
                if rows == 3 {
                    dot += v[2] * h[at(i, k + 2)];
                }
                let f = beta * dot;
                h[at(i, k)] -= f;
                h[at(i, k + 1)] -= f * v[1];
                if rows == 3 {
                    h[at(i, k + 2)] -= f * v[2];
                }
            }
        }
        if k > lo {
            // The bulge's column is now zero below the subdiagonal.
            h[at(k + 1, k - 1)] = 0.0;
            if three {
                h[at(k + 2, k - 1)] = 0.0;
            }
        }
        if k + 1 < q {
            x = h[at(k + 1, k)];
            y = h[at(k + 2, k)];
            z = if k + 3 <= q { h[at(k + 3, k)] } else { 0.0 };
        }
    }
}

/// The eigenvalues of `[[a, b], [c, d]]`: a real pair (computed without cancellation) or a complex
/// conjugate pair.
fn two_by_two(a: f64, b: f64, c: f64, d: f64) -> [Eigenvalue; 2] {
    let p = 0.5 * (a - d);
    let bc = b * c;
    let disc = p * p + bc;
    if disc >= 0.0 {
        let root = disc.sqrt();
        let z = if p >= 0.0 { p + root } else { p - root };
        let (e1, e2) = if z == 0.0 {
            (d, d)
        } else {
            (d + z, d - bc / z)
        };
        [
            Eigenvalue { re: e1, im: 0.0 },
            Eigenvalue { re: e2, im: 0.0 },
        ]
    } else {
        let re = d + p;
        let im = (-disc).sqrt();
        [Eigenvalue { re, im }, Eigenvalue { re, im: -im }]
    }
}

/// A real symmetric matrix reduced to tridiagonal form `T = Hᵀ A H` by Householder reflections, with
/// the reflections kept so that eigenvectors of `T` can be taken back to `A`.
pub(crate) struct Tridiagonal {
    /// Diagonal of `T`.
    pub d: Vec<f64>,
    /// Off-diagonal: `e[i]` couples rows `i` and `i + 1`.
    pub e: Vec<f64>,
    /// Reflection `k` acts on rows `k + 1 ..`: `(v, β)` with `v[0] = 1`.
    reflections: Vec<(Vec<f64>, f64)>,
}

impl Tridiagonal {
    /// Reduces the symmetric `n × n` matrix `a` (row-major, overwritten; only symmetry is assumed, not
    /// checked) (Golub & Van Loan, Algorithm 8.3.1).
    pub fn new(a: &mut [f64], n: usize) -> Tridiagonal {
        assert_eq!(a.len(), n * n, "a must be n × n");
        let mut reflections = Vec::with_capacity(n.saturating_sub(2));
        let mut x = vec![0.0; n];
        let mut p = vec![0.0; n];
        let mut w = vec![0.0; n];
        for k in 0..n.saturating_sub(2) {
            let len = n - k - 1;
            let x = &mut x[..len];
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = a[(k + 1 + i) * n + k];
            }
            let mut v = x.to_vec();
            let beta = householder(&mut v);
            if beta != 0.0 {
                // p = β A₂₂ v, w = p − (β pᵀv / 2) v, A₂₂ ← A₂₂ − v wᵀ − w vᵀ.
                let p = &mut p[..len];
                for (i, pi) in p.iter_mut().enumerate() {
                    let row = &a[(k + 1 + i) * n + k + 1..(k + 2 + i) * n];
                    *pi = beta * row.iter().zip(&v).map(|(r, vj)| r * vj).sum::<f64>();
                }
                let pv: f64 = p.iter().zip(&v).map(|(x, y)| x * y).sum();
                let half = 0.5 * beta * pv;
                let w = &mut w[..len];
                for ((wi, pi), vi) in w.iter_mut().zip(p.iter()).zip(&v) {
                    *wi = pi - half * vi;
                }
                for i in 0..len {
                    let row = &mut a[(k + 1 + i) * n + k + 1..(k + 2 + i) * n];
                    let (vi, wi) = (v[i], w[i]);
                    for ((r, vj), wj) in row.iter_mut().zip(&v).zip(w.iter()) {
                        *r -= vi * wj + wi * vj;
                    }
                }
                // The column below the diagonal becomes ‖x‖ e₁ (v = x − ‖x‖ e₁).
                let norm = x.iter().map(|t| t * t).sum::<f64>().sqrt();
                a[(k + 1) * n + k] = norm;
                a[k * n + k + 1] = norm;
            }
            reflections.push((v, beta));
        }
        let d = (0..n).map(|i| a[i * n + i]).collect();
        let e = (0..n.saturating_sub(1))
            .map(|i| a[(i + 1) * n + i])
            .collect();
        Tridiagonal { d, e, reflections }
    }

    /// For each shift `x[r]`, the number of eigenvalues of `T` below it (Sturm sequence counts). The
    /// sequences run side by side, so their chains of divisions overlap.
    fn count_below<const R: usize>(&self, x: &[f64; R]) -> [usize; R] {
        let mut count = [0usize; R];
        let mut q = [1.0f64; R];
        for i in 0..self.d.len() {
            let (coupling2, floor) = if i == 0 {
                (0.0, f64::EPSILON * self.d[0].abs().max(f64::MIN_POSITIVE))
            } else {
                let c = self.e[i - 1];
                (
                    c * c,
                    f64::EPSILON * (self.d[i].abs() + c.abs()).max(f64::MIN_POSITIVE),
                )
            };
            for r in 0..R {
                let mut v = self.d[i] - x[r] - coupling2 / q[r];
                if v == 0.0 {
                    v = -floor;
                }
                q[r] = v;
                count[r] += usize::from(v < 0.0);
            }
        }
        count
    }

    /// The `k[r]`-th smallest eigenvalues (`k` from 0) by bisection, to the last bits, side by side.
    pub fn eigenvalues_at<const R: usize>(&self, k: [usize; R]) -> [f64; R] {
        let n = self.d.len();
        assert!(k.iter().all(|&k| k < n));
        // Gershgorin bounds.
        let mut lo0 = f64::INFINITY;
        let mut hi0 = f64::NEG_INFINITY;
        for i in 0..n {
            let r = if i > 0 { self.e[i - 1].abs() } else { 0.0 }
                + if i + 1 < n { self.e[i].abs() } else { 0.0 };
            lo0 = lo0.min(self.d[i] - r);
            hi0 = hi0.max(self.d[i] + r);
        }
        let mut lo = [lo0; R];
        let mut hi = [hi0; R];
        for _ in 0..200 {
            let mid: [f64; R] = std::array::from_fn(|r| 0.5 * (lo[r] + hi[r]));
            if (0..R).all(|r| mid[r] <= lo[r] || mid[r] >= hi[r]) {
                break;
            }
            let below = self.count_below(&mid);
            for r in 0..R {
                if mid[r] <= lo[r] || mid[r] >= hi[r] {
                    continue;
                }
                if below[r] > k[r] {
                    hi[r] = mid[r];
                } else {
                    lo[r] = mid[r];
                }
            }
        }
        std::array::from_fn(|r| 0.5 * (lo[r] + hi[r]))
    }

    /// The `k`-th smallest eigenvalue (`k` from 0) by bisection.
    #[cfg(test)]
    pub fn eigenvalue(&self, k: usize) -> f64 {
        self.eigenvalues_at([k])[0]
    }

    /// A unit eigenvector of `A` for its eigenvalue `lambda` (a simple eigenvalue of `T`, computed
    /// accurately): inverse iteration on `T`, then the reflections. `None` if the iteration leaves a
    /// residual `‖T y − λ y‖` above `1e-10`.
    pub fn eigenvector(&self, lambda: f64) -> Option<Vec<f64>> {
        let n = self.d.len();
        let mut y = vec![1.0 / (n as f64).sqrt(); n];
        let scale = self
            .d
            .iter()
            .chain(&self.e)
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
        for _ in 0..3 {
            y = solve_shifted(&self.d, &self.e, lambda, scale, &y);
            let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
            if !(norm.is_finite() && norm > 0.0) {
                return None;
            }
            y.iter_mut().for_each(|v| *v /= norm);
        }
        let residual: f64 = (0..n)
            .map(|i| {
                let mut r = (self.d[i] - lambda) * y[i];
                if i > 0 {
                    r += self.e[i - 1] * y[i - 1];
                }
                if i + 1 < n {
                    r += self.e[i] * y[i + 1];
                }
                r * r
            })
            .sum::<f64>()
            .sqrt();
        if residual > 1e-10 * scale {
            return None;
        }
        // z = H₀ H₁ … y.
        for (k, (v, beta)) in self.reflections.iter().enumerate().rev() {
            let tail = &mut y[k + 1..];
            let dot: f64 = tail.iter().zip(v).map(|(a, b)| a * b).sum();
            let f = beta * dot;
            for (t, vi) in tail.iter_mut().zip(v) {
                *t -= f * vi;
            }
        }
        Some(y)
    }
}

/// Turns `x` into the vector `v` (with `v[0] = 1`) of the Householder reflection `I − β v vᵀ` that maps
/// `x` to a multiple of `e₁` (`v = x − ‖x‖ e₁`, computed without cancellation, Golub & Van Loan
/// Algorithm 5.1.1) and returns `β`; `β = 0`, with `x` left as it is, when `x` is already such a multiple.
fn householder(x: &mut [f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let scale = x.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    let sigma: f64 = x[1..].iter().map(|t| (t / scale) * (t / scale)).sum();
    if sigma == 0.0 {
        return 0.0;
    }
    let x0 = x[0] / scale;
    let norm = (x0 * x0 + sigma).sqrt();
    let v0 = if x0 <= 0.0 {
        x0 - norm
    } else {
        -sigma / (x0 + norm)
    };
    let beta = 2.0 * v0 * v0 / (sigma + v0 * v0);
    x[0] = 1.0;
    for t in x[1..].iter_mut() {
        *t = (*t / scale) / v0;
    }
    beta
}

/// Solves `(T − λ I) y = b` for the tridiagonal `T` (`d`, `e`) by Gaussian elimination with partial
/// pivoting (as LAPACK's `dgttrf`); a vanishing pivot (λ is an eigenvalue) is replaced by `ε · scale`,
/// as inverse iteration wants.
fn solve_shifted(d: &[f64], e: &[f64], lambda: f64, scale: f64, b: &[f64]) -> Vec<f64> {
    let n = d.len();
    let tiny = f64::EPSILON * scale;
    // Row i holds columns i, i+1, i+2 as (dg[i], du[i], du2[i]); dl[i] is entry (i+1, i).
    let mut dg: Vec<f64> = d.iter().map(|v| v - lambda).collect();
    let mut du: Vec<f64> = e.to_vec();
    du.push(0.0);
    let mut du2 = vec![0.0; n];
    let dl = e;
    let mut r = b.to_vec();
    for i in 0..n.saturating_sub(1) {
        if dl[i].abs() <= dg[i].abs() {
            if dg[i] == 0.0 {
                dg[i] = tiny;
            }
            let f = dl[i] / dg[i];
            dg[i + 1] -= f * du[i];
            r[i + 1] -= f * r[i];
        } else {
            // Rows i and i+1 change places, then the new row i+1 is eliminated.
            let f = dg[i] / dl[i];
            let (next_diag, next_up) = (dg[i + 1], du[i + 1]);
            let up = du[i];
            dg[i] = dl[i];
            du[i] = next_diag;
            du2[i] = next_up;
            dg[i + 1] = up - f * next_diag;
            du[i + 1] = -f * next_up;
            let (ri, rn) = (r[i], r[i + 1]);
            r[i] = rn;
            r[i + 1] = ri - f * rn;
        }
    }
    let mut y = vec![0.0; n];
    for i in (0..n).rev() {
        let mut v = r[i];
        if i + 1 < n {
            v -= du[i] * y[i + 1];
        }
        if i + 2 < n {
            v -= du2[i] * y[i + 2];
        }
        let pivot = if dg[i] == 0.0 { tiny } else { dg[i] };
        y[i] = v / pivot;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;

    fn sorted(mut ev: Vec<Eigenvalue>) -> Vec<Eigenvalue> {
        ev.sort_by(|x, y| x.re.total_cmp(&y.re).then(x.im.total_cmp(&y.im)));
        ev
    }

    /// Against nalgebra's Schur decomposition (a different implementation) on random matrices.
    #[test]
    fn agrees_with_schur_on_random_matrices() {
        let mut rng = crate::synthetic::Rng::new(3);
        for n in [1, 2, 3, 4, 7, 20, 61] {
            for _ in 0..5 {
                let a: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
                let ours = sorted(eigenvalues(&mut a.clone(), n).unwrap());
                let schur =
                    nalgebra::Schur::try_new(DMatrix::from_row_slice(n, n, &a), 1e-15, 10_000)
                        .unwrap();
                let theirs: Vec<Eigenvalue> = schur
                    .complex_eigenvalues()
                    .iter()
                    .map(|z| Eigenvalue { re: z.re, im: z.im })
                    .collect();
                let theirs = sorted(theirs);
                assert_eq!(ours.len(), n);
                // Every eigenvalue of ours is close to one of theirs, and the sums agree (trace).
                for e in &ours {
                    let close = theirs
                        .iter()
                        .map(|t| ((e.re - t.re).powi(2) + (e.im - t.im).powi(2)).sqrt())
                        .fold(f64::INFINITY, f64::min);
                    assert!(close < 1e-9 * n as f64, "n {n}: {e:?} vs {theirs:?}");
                }
                let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
                let sum: f64 = ours.iter().map(|e| e.re).sum();
                assert!((trace - sum).abs() < 1e-9 * n as f64);
            }
        }
    }

    /// GLCM's Q for level groups that never touch: eigenvalue 1 once per group, the case on which an
    /// unguarded Francis iteration can cycle.
    #[test]
    fn converges_on_disconnected_groups() {
        let mut rng = crate::synthetic::Rng::new(8);
        for (n, groups) in [(12, 3), (40, 5), (90, 9), (55, 11)] {
            // Symmetric non-negative counts, zero between groups.
            let group = |i: usize| i * groups / n;
            let mut p = vec![0.0; n * n];
            for i in 0..n {
                for j in i..n {
                    if group(i) == group(j) && rng.uniform() < 0.5 || i == j {
                        let v = (rng.uniform() * 10.0).floor() + 1.0;
                        p[i * n + j] = v;
                        p[j * n + i] = v;
                    }
                }
            }
            let total: f64 = p.iter().sum();
            p.iter_mut().for_each(|v| *v /= total);
            let px: Vec<f64> = (0..n).map(|i| p[i * n..(i + 1) * n].iter().sum()).collect();
            let mut q = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    q[i * n + j] = (0..n)
                        .map(|k| p[i * n + k] * p[j * n + k] / (px[i] * px[k]))
                        .sum();
                }
            }
            // Connected components of the levels (a level may also be cut off within its group).
            let mut label: Vec<usize> = (0..n).collect();
            let mut changed = true;
            while changed {
                changed = false;
                for i in 0..n {
                    for j in 0..n {
                        if p[i * n + j] > 0.0 && label[j] < label[i] {
                            label[i] = label[j];
                            changed = true;
                        }
                    }
                }
            }
            let components = (0..n).filter(|&i| label[i] == i).count();
            assert!(components >= groups);
            let ev = sorted(eigenvalues(&mut q, n).expect("converges"));
            let ones = ev.iter().filter(|e| (e.re - 1.0).abs() < 1e-10).count();
            assert_eq!(ones, components, "n {n}: {ev:?}");
            assert!(ev.iter().all(|e| e.re > -1e-10 && e.re < 1.0 + 1e-10));
        }
    }

    #[test]
    fn tridiagonal_eigenvalues_and_vectors_of_symmetric_matrices() {
        let mut rng = crate::synthetic::Rng::new(4);
        for n in [1, 2, 3, 5, 12, 40] {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in i..n {
                    let v = rng.normal();
                    a[i * n + j] = v;
                    a[j * n + i] = v;
                }
            }
            let reference = nalgebra::SymmetricEigen::new(DMatrix::from_row_slice(n, n, &a));
            let mut want: Vec<f64> = reference.eigenvalues.iter().copied().collect();
            want.sort_by(f64::total_cmp);
            let t = Tridiagonal::new(&mut a.clone(), n);
            for (k, w) in want.iter().enumerate() {
                let got = t.eigenvalue(k);
                assert!((got - w).abs() < 1e-12, "n {n} k {k}: {got} vs {w}");
                // Its eigenvector: A z = λ z.
                if k + 1 < n && (want[k + 1] - w).abs() < 1e-6
                    || k > 0 && (w - want[k - 1]).abs() < 1e-6
                {
                    continue;
                }
                let z = t.eigenvector(got).expect("a simple eigenvalue");
                let norm: f64 = z.iter().map(|v| v * v).sum::<f64>().sqrt();
                assert!((norm - 1.0).abs() < 1e-12);
                for i in 0..n {
                    let az: f64 = (0..n).map(|j| a[i * n + j] * z[j]).sum();
                    assert!((az - got * z[i]).abs() < 1e-9, "n {n} k {k} row {i}");
                }
            }
        }
    }

    #[test]
    fn known_spectra() {
        // Rotation by 90°: ±i.
        let mut r = vec![0.0, -1.0, 1.0, 0.0];
        let ev = sorted(eigenvalues(&mut r, 2).unwrap());
        assert_eq!(ev[0], Eigenvalue { re: 0.0, im: -1.0 });
        assert_eq!(ev[1], Eigenvalue { re: 0.0, im: 1.0 });
        // Repeated eigenvalue 1 (a block-diagonal stochastic matrix: two groups), and 0.
        let mut q = vec![
            0.5, 0.5, 0.0, 0.0, //
            0.5, 0.5, 0.0, 0.0, //
            0.0, 0.0, 0.3, 0.7, //
            0.0, 0.0, 0.3, 0.7,
        ];
        let ev = sorted(eigenvalues(&mut q, 4).unwrap());
        let re: Vec<f64> = ev.iter().map(|e| e.re).collect();
        for (got, want) in re.iter().zip([0.0, 0.0, 1.0, 1.0]) {
            assert!((got - want).abs() < 1e-14, "{re:?}");
        }
        assert!(ev.iter().all(|e| e.im == 0.0));
        // A companion matrix of (x−1)(x−2)(x−3)(x−4)(x−5): 1..5.
        let mut m = vec![0.0; 25];
        m[0] = 15.0;
        m[1] = -85.0;
        m[2] = 225.0;
        m[3] = -274.0;
        m[4] = 120.0;
        for i in 1..5 {
            m[i * 5 + i - 1] = 1.0;
        }
        let ev = sorted(eigenvalues(&mut m, 5).unwrap());
        for (e, want) in ev.iter().zip(1..=5) {
            assert!((e.re - want as f64).abs() < 1e-9 && e.im == 0.0, "{ev:?}");
        }
        assert!(eigenvalues(&mut [f64::NAN, 0.0, 0.0, 1.0], 2).is_none());
    }
}
