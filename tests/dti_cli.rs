//! `radiomics dti` end to end: the built binary reads dipy's `small_64D` DWI, writes the five maps, and they
//! read back on the DWI's grid with the library's values.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::Array3;
use radiomics::dti::{fit, FitMethod, Gradients};
use radiomics::image::io::nifti::{read_nifti_volumes, write_nifti_volumes, WriteType};
use radiomics::Geometry;

fn out_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn close_geometry(a: &Geometry, b: &Geometry) -> bool {
    let near = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(p, q)| (p - q).abs() <= 1e-5);
    near(&a.spacing, &b.spacing) && near(&a.origin, &b.origin) && near(&a.direction, &b.direction)
}

#[test]
fn writes_five_maps_on_the_dwi_grid() {
    let data = require_data!();
    let dir = data.join("dwi/small_64D");
    let (dwi_path, bval, bvec) = (
        dir.join("small_64D.nii"),
        dir.join("small_64D.bval"),
        dir.join("small_64D.bvec"),
    );
    let out = out_dir("dti_cli_wls");
    let status = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(["dti", "--dwi"])
        .arg(&dwi_path)
        .arg("--bval")
        .arg(&bval)
        .arg("--bvec")
        .arg(&bvec)
        .arg("--out-dir")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "{status}");

    let (geometry, dwi) = read_nifti_volumes(&dwi_path).unwrap();
    let g = Gradients::from_fsl_files(&bval, &bvec).unwrap();
    let maps = fit(&dwi, &g, None, FitMethod::Wls).unwrap();
    let expected: [(&str, Vec<&Array3<f64>>); 5] = [
        ("fa", vec![&maps.fa]),
        ("md", vec![&maps.md]),
        ("ad", vec![&maps.ad]),
        ("rd", vec![&maps.rd]),
        ("tensor", maps.tensor.iter().collect()),
    ];
    for (name, want) in expected {
        let (got_geometry, got) = read_nifti_volumes(out.join(format!("{name}.nii.gz"))).unwrap();
        assert!(
            close_geometry(&got_geometry, &geometry),
            "{name}: {got_geometry:?} vs {geometry:?}"
        );
        assert_eq!(got.len(), want.len(), "{name}: volumes");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "{name}: values written as float64");
        }
    }
}

#[test]
fn mask_and_ols_from_the_command_line() {
    let data = require_data!();
    let dir = data.join("dwi/small_64D");
    let dwi_path = dir.join("small_64D.nii");
    let (geometry, dwi) = read_nifti_volumes(&dwi_path).unwrap();
    let out = out_dir("dti_cli_mask");
    std::fs::create_dir_all(&out).unwrap();
    let mask = dwi[0].mapv(|s| if s > 400.0 { 1.0 } else { 0.0 });
    let mask_path = out.join("mask.nii.gz");
    write_nifti_volumes(
        &mask_path,
        &geometry,
        std::slice::from_ref(&mask),
        WriteType::I16,
    )
    .unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(["dti", "--method", "ols", "--dwi"])
        .arg(&dwi_path)
        .arg("--bval")
        .arg(dir.join("small_64D.bval"))
        .arg("--bvec")
        .arg(dir.join("small_64D.bvec"))
        .arg("--mask")
        .arg(&mask_path)
        .arg("--out-dir")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let fa = read_nifti_volumes(out.join("fa.nii.gz"))
        .unwrap()
        .1
        .remove(0);
    let g =
        Gradients::from_fsl_files(dir.join("small_64D.bval"), dir.join("small_64D.bvec")).unwrap();
    let all = fit(&dwi, &g, None, FitMethod::Ols).unwrap();
    let mut inside = 0;
    for ((&m, &got), &want) in mask.iter().zip(&fa).zip(&all.fa) {
        if m != 0.0 {
            inside += 1;
            assert_eq!(got, want);
        } else {
            assert_eq!(got, 0.0);
        }
    }
    assert!(inside > 0 && inside < mask.len());
}

#[test]
fn wrong_gradient_count_is_a_usage_error() {
    let data = require_data!();
    let dir = data.join("dwi/small_64D");
    let out = out_dir("dti_cli_bad");
    std::fs::create_dir_all(&out).unwrap();
    // One b-value and one b-vector too few.
    let text = std::fs::read_to_string(dir.join("small_64D.bval")).unwrap();
    let bvals: Vec<&str> = text.split_whitespace().collect();
    std::fs::write(out.join("short.bval"), bvals[..bvals.len() - 1].join(" ")).unwrap();
    let text = std::fs::read_to_string(dir.join("small_64D.bvec")).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    std::fs::write(out.join("short.bvec"), rows[..rows.len() - 1].join("\n")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_radiomics"))
        .args(["dti", "--dwi"])
        .arg(dir.join("small_64D.nii"))
        .arg("--bval")
        .arg(out.join("short.bval"))
        .arg("--bvec")
        .arg(out.join("short.bvec"))
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("65 volumes but there are 64 b-values"),
        "{stderr}"
    );
    assert!(!out.join("fa.nii.gz").exists());
}
