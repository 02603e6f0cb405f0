//! Parity of the tensor fit with dipy 1.12 (`TensorModel(gtab, fit_method=...)`, default settings,
//! `gradient_table(bvals, bvecs)` with `b0_threshold=50`) on dipy's `small_64D` DWI: 10×10×10 voxels,
//! one b=0 and 64 diffusion-weighted volumes at b ≈ 1000.
//!
//! Compared voxels: every voxel of the volume (dipy fitted without a mask), all 1000 of them; the test
//! requires every reference value to be finite (they are: dipy's fit is defined everywhere, the few
//! zero signals being clipped to 1e-4). FA must agree within 1e-9 absolute (1e-6 is the requirement), MD,
//! AD, RD and the six tensor elements within 1e-13 mm²/s absolute (typical values 1e-3): bounds a little
//! above the rounding of either implementation, which order the same sums differently.

mod common;

use std::path::Path;

use ndarray::Array3;
use radiomics::dti::{fit, FitMethod, Gradients, TensorMaps};
use radiomics::image::io::nifti::read_nifti_volumes;

fn read(path: &Path) -> Vec<Array3<f64>> {
    read_nifti_volumes(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .1
}

struct Worst {
    abs: f64,
    rel: f64,
    /// The reference value where the relative difference is worst.
    rel_at: f64,
    compared: usize,
}

/// Largest absolute and relative difference over the voxels where the reference is finite.
fn compare(name: &str, ours: &Array3<f64>, reference: &Array3<f64>) -> Worst {
    assert_eq!(ours.dim(), reference.dim(), "{name}: shape");
    let mut w = Worst {
        abs: 0.0,
        rel: 0.0,
        rel_at: 0.0,
        compared: 0,
    };
    for ((idx, &r), &o) in reference.indexed_iter().zip(ours.iter()) {
        if !r.is_finite() {
            continue;
        }
        w.compared += 1;
        let d = (o - r).abs();
        assert!(d.is_finite(), "{name} at {idx:?}: ours {o}, dipy {r}");
        w.abs = w.abs.max(d);
        if r != 0.0 && d / r.abs() > w.rel {
            w.rel = d / r.abs();
            w.rel_at = r;
        }
    }
    w
}

fn check_method(method: FitMethod, tag: &str) {
    let data = require_data!();
    let dir = data.join("dwi/small_64D");
    let g =
        Gradients::from_fsl_files(dir.join("small_64D.bval"), dir.join("small_64D.bvec")).unwrap();
    let dwi = read(&dir.join("small_64D.nii"));
    assert_eq!(dwi.len(), 65);
    let maps: TensorMaps = fit(&dwi, &g, None, method).unwrap();

    let n_voxels = dwi[0].len();
    let scalar = [
        ("FA", &maps.fa),
        ("MD", &maps.md),
        ("AD", &maps.ad),
        ("RD", &maps.rd),
    ];
    for (name, ours) in scalar {
        let reference = read(&dir.join(format!("dipy_{tag}_{name}.nii.gz")));
        let w = compare(name, ours, &reference[0]);
        eprintln!(
            "{tag} {name}: {} voxels, worst abs {:e}, worst rel {:e} (at dipy value {:e})",
            w.compared, w.abs, w.rel, w.rel_at
        );
        assert_eq!(
            w.compared, n_voxels,
            "{tag} {name}: every dipy voxel is finite"
        );
        // FA: the required 1e-6, and in fact rounding level. Diffusivities: absolute, because the
        // rounding of a log-linear fit is absolute in D (about 1e-16 · |ln S| / b), whatever D's size.
        let bound = if name == "FA" { 1e-9 } else { 1e-13 };
        assert!(w.abs <= bound, "{tag} {name}: worst abs {:e}", w.abs);
    }
    let reference = read(&dir.join(format!("dipy_{tag}_tensor_lower.nii.gz")));
    assert_eq!(reference.len(), 6);
    let names = ["Dxx", "Dxy", "Dyy", "Dxz", "Dyz", "Dzz"];
    for (k, name) in names.iter().enumerate() {
        let w = compare(name, &maps.tensor[k], &reference[k]);
        eprintln!(
            "{tag} {name}: {} voxels, worst abs {:e}, worst rel {:e} (at dipy value {:e})",
            w.compared, w.abs, w.rel, w.rel_at
        );
        assert_eq!(w.compared, n_voxels);
        assert!(w.abs <= 1e-13, "{tag} {name}: worst abs {:e}", w.abs);
    }
}

#[test]
fn small_64d_ols_matches_dipy() {
    check_method(FitMethod::Ols, "OLS");
}

#[test]
fn small_64d_wls_matches_dipy() {
    check_method(FitMethod::Wls, "WLS");
}

/// A mask fits only its voxels: equal to the unmasked fit inside, 0 outside (dipy's convention).
#[test]
fn small_64d_mask_keeps_inside_zeroes_outside() {
    let data = require_data!();
    let dir = data.join("dwi/small_64D");
    let g =
        Gradients::from_fsl_files(dir.join("small_64D.bval"), dir.join("small_64D.bvec")).unwrap();
    let dwi = read(&dir.join("small_64D.nii"));
    let mask = dwi[0].mapv(|s| s > 400.0);
    let inside = mask.iter().filter(|&&m| m).count();
    assert!(inside > 0 && inside < mask.len(), "{inside} voxels inside");
    let all = fit(&dwi, &g, None, FitMethod::Wls).unwrap();
    let masked = fit(&dwi, &g, Some(mask.view()), FitMethod::Wls).unwrap();
    for (k, &m) in mask.iter().enumerate() {
        let pairs = [
            (&all.fa, &masked.fa),
            (&all.md, &masked.md),
            (&all.tensor[1], &masked.tensor[1]),
        ];
        for (a, b) in pairs {
            let (a, b) = (a.as_slice().unwrap()[k], b.as_slice().unwrap()[k]);
            if m {
                assert_eq!(a.to_bits(), b.to_bits(), "voxel {k}");
            } else {
                assert_eq!(b, 0.0, "voxel {k} outside the mask");
            }
        }
    }
}
