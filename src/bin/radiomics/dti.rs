//! `radiomics dti`: a diffusion tensor fitted in every voxel of a 4D DWI, written as FA, MD (the ADC),
//! AD, RD and tensor maps on the DWI's grid.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use radiomics::dti::{fit, FitMethod, Gradients};
use radiomics::image::check_same_grid;
use radiomics::image::io::nifti::{read_nifti_volumes, write_nifti_volumes, WriteType};
use radiomics::image::io::read_image;
use radiomics::{Error, ErrorKind, Result};

/// ITK's coordinate tolerance (PyRadiomics' default `geometryTolerance`), as a fraction of the spacing.
const GEOMETRY_TOLERANCE: f64 = 1e-6;

/// Fit a diffusion tensor to a 4D DWI with FSL gradients (as dipy's TensorModel) and write
/// `fa.nii.gz`, `md.nii.gz`, `ad.nii.gz`, `rd.nii.gz` and `tensor.nii.gz` (Dxx, Dxy, Dyy, Dxz, Dyz, Dzz).
#[derive(Args)]
pub struct DtiArgs {
    /// 4D diffusion-weighted image (NIfTI-1), one volume per gradient.
    #[arg(long)]
    pub dwi: PathBuf,
    /// FSL b-values file (s/mm²); values at or below 50 count as b=0.
    #[arg(long)]
    pub bval: PathBuf,
    /// FSL b-vectors file: 3 rows (x, y, z), or one row of 3 per volume.
    #[arg(long)]
    pub bvec: PathBuf,
    /// Fit only the nonzero voxels of this 3D image (on the DWI's grid); other voxels get 0.
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// Least-squares method on the log signal.
    #[arg(long, value_enum, default_value_t = Method::Wls)]
    pub method: Method,
    /// Folder for the output maps (created if missing).
    #[arg(long)]
    pub out_dir: PathBuf,
}

/// The fit, as dipy names it.
#[derive(Clone, Copy, ValueEnum)]
pub enum Method {
    /// Ordinary least squares.
    Ols,
    /// Weighted least squares, weights from the OLS-predicted signal (dipy's default).
    Wls,
}

pub fn run(args: DtiArgs) -> Result<()> {
    let gradients = Gradients::from_fsl_files(&args.bval, &args.bvec)?;
    let (geometry, volumes) = read_nifti_volumes(&args.dwi)?;
    let mask = match &args.mask {
        Some(path) => {
            let image = read_image(path)?;
            let (z, y, x) = volumes[0].dim();
            check_same_grid(
                (&geometry, [x, y, z]),
                (image.geometry(), image.size()),
                GEOMETRY_TOLERANCE,
            )
            .map_err(|e| {
                e.context(format!(
                    "mask '{}' on DWI '{}'",
                    path.display(),
                    args.dwi.display()
                ))
            })?;
            Some(image.data().mapv(|v| v != 0.0))
        }
        None => None,
    };
    let method = match args.method {
        Method::Ols => FitMethod::Ols,
        Method::Wls => FitMethod::Wls,
    };
    let maps = fit(
        &volumes,
        &gradients,
        mask.as_ref().map(|m| m.view()),
        method,
    )
    .map_err(|e| e.context(format!("DWI '{}'", args.dwi.display())))?;

    std::fs::create_dir_all(&args.out_dir).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot create '{}': {e}", args.out_dir.display()),
        )
    })?;
    let outputs = [
        ("fa.nii.gz", std::slice::from_ref(&maps.fa)),
        ("md.nii.gz", std::slice::from_ref(&maps.md)),
        ("ad.nii.gz", std::slice::from_ref(&maps.ad)),
        ("rd.nii.gz", std::slice::from_ref(&maps.rd)),
        ("tensor.nii.gz", &maps.tensor[..]),
    ];
    for (name, data) in outputs {
        // float64: diffusivities near 1e-3 mm²/s keep every digit the fit computed.
        write_nifti_volumes(args.out_dir.join(name), &geometry, data, WriteType::F64)?;
    }
    eprintln!(
        "radiomics dti: {} volumes ({} b=0), {} voxels fitted, maps in '{}'",
        gradients.len(),
        (0..gradients.len()).filter(|&i| gradients.is_b0(i)).count(),
        mask.as_ref()
            .map_or(volumes[0].len(), |m| m.iter().filter(|&&v| v).count()),
        args.out_dir.display()
    );
    Ok(())
}
