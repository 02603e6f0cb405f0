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

/// One lesion of a synthetic cohort.
#[derive(Debug, Clone)]
pub struct CohortCase {
    /// `L001`, `L002`, ...
    pub case_id: String,
    /// `P01`, ...: lesions of one patient share it (and its label and split).
    pub patient_id: String,
    /// 1 = the class of interest (in the study, EGFR mutant), 0 otherwise.
    pub label: u8,
    /// `train` or `test`; no patient is in both.
    pub split: &'static str,
    /// Post-contrast T1 on the lesion's native grid.
    pub t1c: Image,
    /// Apparent diffusion coefficient (mm²/s) on a grid twice as coarse.
    pub adc: Image,
    /// Fractional anisotropy on the ADC's grid.
    pub fa: Image,
    /// The lesion mask on the T1C grid.
    pub mask: Image,
}

/// The design of the study the synthetic cohort imitates: per split, (label, patients, lesions).
/// Train 57 lesions / 31 patients, test 42 / 20; 57 lesions of label 0 and 42 of label 1 in all.
pub const COHORT_DESIGN: [(&str, u8, usize, usize); 4] = [
    ("train", 0, 17, 31),
    ("train", 1, 14, 26),
    ("test", 0, 12, 26),
    ("test", 1, 8, 16),
];

/// Spreads `lesions` over `patients` (each at least one, at most four), seeded.
fn lesions_per_patient(rng: &mut Rng, patients: usize, lesions: usize) -> Vec<usize> {
    let mut counts = vec![1usize; patients];
    let mut left = lesions - patients;
    while left > 0 {
        let i = (rng.next_u64() % patients as u64) as usize;
        if counts[i] < 4 {
            counts[i] += 1;
            left -= 1;
        }
    }
    counts
}

/// A smooth random field in world coordinates: Gaussian values on a lattice of `step_mm`, interpolated
/// trilinearly.
struct Field {
    lattice: Array3<f64>,
    step_mm: f64,
}

impl Field {
    fn new(rng: &mut Rng, extent_mm: f64, step_mm: f64) -> Field {
        let n = (extent_mm / step_mm).ceil() as usize + 2;
        Field {
            lattice: Array3::from_shape_fn((n, n, n), |_| rng.normal()),
            step_mm,
        }
    }

    fn at(&self, p: [f64; 3]) -> f64 {
        let n = self.lattice.dim().0;
        let f = p.map(|c| (c / self.step_mm).clamp(0.0, (n - 2) as f64));
        let i = f.map(|c| (c as usize).min(n - 2));
        let t = [f[0] - i[0] as f64, f[1] - i[1] as f64, f[2] - i[2] as f64];
        let mut v = 0.0;
        for dz in 0..2 {
            for dy in 0..2 {
                for dx in 0..2 {
                    let w = (if dx == 1 { t[0] } else { 1.0 - t[0] })
                        * (if dy == 1 { t[1] } else { 1.0 - t[1] })
                        * (if dz == 1 { t[2] } else { 1.0 - t[2] });
                    v += w * self.lattice[[i[2] + dz, i[1] + dy, i[0] + dx]];
                }
            }
        }
        v
    }
}

/// Generates the synthetic cohort (see [`COHORT_DESIGN`]), deterministically from `seed`.
///
/// Each lesion is an ellipsoid of random size and orientation-free shape with an enhancing rim, a necrotic
/// core and smooth texture. Label 1 lesions differ modestly, and only on average, in a few properties: a
/// coarser T1C texture, a lower ADC and a slightly higher FA. Between-lesion variation is larger than these
/// differences, so a good pipeline separates the classes well, but not perfectly.
pub fn cohort(seed: u64) -> Vec<CohortCase> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let (mut patient_no, mut lesion_no) = (0usize, 0usize);
    for (split, label, patients, lesions) in COHORT_DESIGN {
        for count in lesions_per_patient(&mut rng, patients, lesions) {
            patient_no += 1;
            for _ in 0..count {
                lesion_no += 1;
                let (t1c, adc, fa, mask) = lesion_volumes(&mut rng, label);
                out.push(CohortCase {
                    case_id: format!("L{lesion_no:03}"),
                    patient_id: format!("P{patient_no:02}"),
                    label,
                    split,
                    t1c,
                    adc,
                    fa,
                    mask,
                });
            }
        }
    }
    out
}

fn lesion_volumes(rng: &mut Rng, label: u8) -> (Image, Image, Image, Image) {
    let y = label as f64;
    // T1C grid: 32 x 32 x 20 voxels of 1 x 1 x 1.5 mm; ADC/FA: 16 x 16 x 10 of 2 x 2 x 3 mm, same extent.
    let fine = Geometry::new([1.0, 1.0, 1.5], [0.0; 3]);
    let coarse = Geometry::new([2.0, 2.0, 3.0], [0.5, 0.5, 0.75]);
    let (nf, nc) = ([32usize, 32, 20], [16usize, 16, 10]);
    let extent = 32.0;
    let centre = [
        15.5 + rng.normal() * 1.0,
        15.5 + rng.normal() * 1.0,
        14.25 + rng.normal() * 1.0,
    ];
    let size = 1.0 + 0.25 * rng.normal().clamp(-2.0, 2.0);
    let radii = [7.0 * size, 6.0 * size, 8.0 * size].map(|r: f64| r.clamp(3.5, 11.0));
    // Texture scale: the class difference in T1C, with lesion-to-lesion spread.
    let step = 3.0 + 1.8 * y + 0.9 * rng.normal();
    let texture = Field::new(rng, extent, step.clamp(2.0, 7.0));
    let fine_noise_amp = 40.0;
    let rim = 850.0 + 120.0 * rng.normal();
    let core = 450.0 + 80.0 * rng.normal();
    let adc_lesion = 1.05e-3 - 0.18e-3 * y + 0.15e-3 * rng.normal();
    let fa_lesion = 0.16 + 0.04 * y + 0.04 * rng.normal();
    let shape = |p: [f64; 3]| {
        let d = [
            (p[0] - centre[0]) / radii[0],
            (p[1] - centre[1]) / radii[1],
            (p[2] - centre[2]) / radii[2],
        ];
        (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
    };
    let sample = |g: &Geometry, n: [usize; 3], f: &mut dyn FnMut([f64; 3]) -> f64| {
        let mut a = Array3::<f64>::zeros((n[2], n[1], n[0]));
        for ((z, yy, x), v) in a.indexed_iter_mut() {
            *v = f(g.index_to_world([x as f64, yy as f64, z as f64]));
        }
        Image::new(a, *g).expect("valid synthetic geometry")
    };
    let mut noise = Rng::new(rng.next_u64());
    let t1c = sample(&fine, nf, &mut |p| {
        let r = shape(p);
        let base = if r <= 1.0 {
            let w = ((r - 0.45) / 0.25).clamp(0.0, 1.0);
            core + w * (rim - core) + 110.0 * texture.at(p)
        } else {
            320.0 + 30.0 * texture.at(p)
        };
        (base + fine_noise_amp * noise.normal()).round()
    });
    let mask = sample(&fine, nf, &mut |p| if shape(p) <= 1.0 { 1.0 } else { 0.0 });
    let adc = sample(&coarse, nc, &mut |p| {
        let r = shape(p);
        let v = if r <= 1.0 {
            adc_lesion * (1.0 + 0.12 * texture.at(p))
        } else {
            0.80e-3
        };
        (v * (1.0 + 0.05 * noise.normal())).max(1e-5)
    });
    let fa = sample(&coarse, nc, &mut |p| {
        let r = shape(p);
        let v = if r <= 1.0 {
            fa_lesion + 0.03 * texture.at(p)
        } else {
            0.35
        };
        (v + 0.02 * noise.normal()).clamp(0.0, 1.0)
    });
    (t1c, adc, fa, mask)
}

#[cfg(test)]
mod cohort_tests {
    use super::*;

    #[test]
    fn cohort_has_the_study_design() {
        let c = cohort(1);
        assert_eq!(c.len(), 99);
        assert_eq!(c.iter().filter(|l| l.label == 0).count(), 57);
        let train: Vec<_> = c.iter().filter(|l| l.split == "train").collect();
        let test: Vec<_> = c.iter().filter(|l| l.split == "test").collect();
        assert_eq!((train.len(), test.len()), (57, 42));
        let patients = |v: &[&CohortCase]| {
            v.iter()
                .map(|l| l.patient_id.clone())
                .collect::<std::collections::BTreeSet<_>>()
        };
        let (pt, ps) = (patients(&train), patients(&test));
        assert_eq!((pt.len(), ps.len()), (31, 20));
        assert!(pt.is_disjoint(&ps));
        for l in &c {
            assert!(
                l.mask.data().iter().any(|&v| v == 1.0),
                "{} has a lesion",
                l.case_id
            );
            assert_eq!(l.adc.spacing(), [2.0, 2.0, 3.0]);
        }
    }
}

/// Writes a cohort as NIfTI files (`<case>_t1c.nii.gz`, `_adc`, `_fa`, `_mask`) and a batch manifest
/// `manifest.csv` into `dir`; returns the manifest's path.
pub fn write_cohort(
    cases: &[CohortCase],
    dir: &std::path::Path,
) -> crate::Result<std::path::PathBuf> {
    use crate::image::io::nifti::{write_nifti, WriteType};
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, "create", &e))?;
    let mut manifest = String::from("case_id,patient_id,label,split,t1c,adc,fa,mask\n");
    for c in cases {
        let name = |m: &str| format!("{}_{m}.nii.gz", c.case_id);
        write_nifti(dir.join(name("t1c")), &c.t1c, WriteType::I16)?;
        write_nifti(dir.join(name("adc")), &c.adc, WriteType::F32)?;
        write_nifti(dir.join(name("fa")), &c.fa, WriteType::F32)?;
        write_nifti(dir.join(name("mask")), &c.mask, WriteType::I16)?;
        manifest.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            c.case_id,
            c.patient_id,
            c.label,
            c.split,
            name("t1c"),
            name("adc"),
            name("fa"),
            name("mask")
        ));
    }
    let path = dir.join("manifest.csv");
    std::fs::write(&path, manifest).map_err(|e| crate::Error::io(&path, "write", &e))?;
    Ok(path)
}
