//! Synthetic images made in code: a lesion phantom for the demo and for tests that need no files.
//!
//! Everything here is seeded and deterministic: the same seed gives bit-identical volumes on every machine.

use ndarray::Array3;

use crate::image::{Geometry, Image};

/// A small, fast, seeded pseudo-random generator (SplitMix64). Not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// What the lesion phantom looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct PhantomSpec {
    /// Size (x, y, z) in voxels.
    pub size: [usize; 3],
    /// Voxel spacing (x, y, z) in mm.
    pub spacing: [f64; 3],
    /// Lesion semi-axes (x, y, z) in mm.
    pub radii_mm: [f64; 3],
    /// Background (brain tissue) intensity.
    pub background: f64,
    /// Intensity of the enhancing rim.
    pub rim: f64,
    /// Intensity of the necrotic core.
    pub core: f64,
    /// SD of white noise.
    pub noise: f64,
    /// Amplitude of smooth texture inside the lesion (a coarse random field).
    pub texture: f64,
}

impl Default for PhantomSpec {
    fn default() -> PhantomSpec {
        PhantomSpec {
            size: [48, 48, 20],
            spacing: [0.9375, 0.9375, 3.0],
            radii_mm: [12.0, 10.0, 15.0],
            background: 300.0,
            rim: 900.0,
            core: 450.0,
            noise: 25.0,
            texture: 80.0,
        }
    }
}

/// A lesion phantom: an ellipsoidal lesion (enhancing rim around a darker core, with coarse texture) in a
/// noisy background, like a contrast-enhanced T1 brain metastasis. Returns the image and its label image
/// (1 in the lesion).
pub fn lesion_phantom(spec: &PhantomSpec, seed: u64) -> (Image, Image) {
    let mut rng = Rng::new(seed);
    let [nx, ny, nz] = spec.size;
    let geometry = Geometry::new(spec.spacing, [0.0; 3]);
    // A coarse random field: values on a grid every 4 voxels, interpolated trilinearly.
    let step = 4usize;
    let (cx, cy, cz) = (nx / step + 2, ny / step + 2, nz / step + 2);
    let coarse = Array3::from_shape_fn((cz, cy, cx), |_| rng.normal());
    let field = |x: usize, y: usize, z: usize| {
        let (fx, fy, fz) = (
            x as f64 / step as f64,
            y as f64 / step as f64,
            z as f64 / step as f64,
        );
        let (x0, y0, z0) = (fx as usize, fy as usize, fz as usize);
        let (tx, ty, tz) = (fx - x0 as f64, fy - y0 as f64, fz - z0 as f64);
        let mut v = 0.0;
        for (dz, wz) in [(0, 1.0 - tz), (1, tz)] {
            for (dy, wy) in [(0, 1.0 - ty), (1, ty)] {
                for (dx, wx) in [(0, 1.0 - tx), (1, tx)] {
                    v += wz * wy * wx * coarse[[z0 + dz, y0 + dy, x0 + dx]];
                }
            }
        }
        v
    };
    let centre = [
        (nx as f64 - 1.0) / 2.0 * spec.spacing[0],
        (ny as f64 - 1.0) / 2.0 * spec.spacing[1],
        (nz as f64 - 1.0) / 2.0 * spec.spacing[2],
    ];
    let mut image = Array3::<f64>::zeros((nz, ny, nx));
    let mut labels = Array3::<f64>::zeros((nz, ny, nx));
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let d = [
                    (x as f64 * spec.spacing[0] - centre[0]) / spec.radii_mm[0],
                    (y as f64 * spec.spacing[1] - centre[1]) / spec.radii_mm[1],
                    (z as f64 * spec.spacing[2] - centre[2]) / spec.radii_mm[2],
                ];
                let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                let mut v = spec.background;
                if r <= 1.0 {
                    labels[[z, y, x]] = 1.0;
                    // Rim over the outer 40 % of the radius, core inside.
                    let w = ((r - 0.45) / 0.2).clamp(0.0, 1.0);
                    v = spec.core + w * (spec.rim - spec.core) + spec.texture * field(x, y, z);
                }
                image[[z, y, x]] = (v + spec.noise * rng.normal()).round();
            }
        }
    }
    (
        Image::new(image, geometry).expect("valid phantom geometry"),
        Image::new(labels, geometry).expect("valid phantom geometry"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phantom_is_deterministic_and_has_a_lesion() {
        let spec = PhantomSpec::default();
        let (a, la) = lesion_phantom(&spec, 7);
        let (b, _) = lesion_phantom(&spec, 7);
        let (c, _) = lesion_phantom(&spec, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let n = la.data().iter().filter(|&&v| v == 1.0).count();
        // Ellipsoid volume 4/3 π abc over the voxel volume.
        let expected =
            4.0 / 3.0 * std::f64::consts::PI * 12.0 * 10.0 * 15.0 / (0.9375 * 0.9375 * 3.0);
        assert!(
            (n as f64 - expected).abs() / expected < 0.1,
            "{n} vs {expected}"
        );
    }
}
