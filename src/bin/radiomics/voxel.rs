//! `radiomics extract --voxel`: feature maps, one file per feature.

use std::path::Path;

use clap::ValueEnum;
use radiomics::image::io::nifti::{write_nifti, WriteType};
use radiomics::image::io::nrrd::write_nrrd;
use radiomics::image::io::{read_image, read_mask_for};
use radiomics::voxel::extract_mask_maps_with;
use radiomics::{Error, ErrorKind, Extractor, Result, Settings};

use crate::extract::ExtractArgs;

/// File formats of the maps.
#[derive(Clone, Copy, ValueEnum)]
pub enum MapFormat {
    /// NIfTI-1, gzip-compressed (`.nii.gz`), float64
    Nifti,
    /// NRRD, gzip-compressed (`.nrrd`), double
    Nrrd,
}

/// Computes the maps of `image` and writes each to `--out-dir` as soon as it is done.
pub fn run(args: &ExtractArgs, image: &Path, settings: Settings) -> Result<()> {
    let out_dir = args
        .out_dir
        .as_deref()
        .ok_or_else(|| Error::new(ErrorKind::InvalidArgument, "--voxel needs --out-dir"))?;
    let started = std::time::Instant::now();
    let cpu_started = cpu_seconds();
    for w in settings.ignored_options(true) {
        eprintln!("radiomics: warning: {w}");
    }
    let extractor = Extractor::new(settings);
    let img = read_image(image).map_err(|e| e.context("--image"))?;
    let label = extractor.settings().params().label;
    let mask =
        read_mask_for(&args.mask, label, Some(image), &img).map_err(|e| e.context("--mask"))?;
    let loaded = started.elapsed();
    let cpu_loaded = cpu_seconds();
    std::fs::create_dir_all(out_dir)
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot create '{}': {e}", out_dir.display()),
            )
        })
        .map_err(|e| e.context("--out-dir"))?;
    let mut written = 0usize;
    extract_mask_maps_with(&extractor, &img, mask, &mut |_| true, &mut |map| {
        let path = match args.map_format {
            MapFormat::Nifti => out_dir.join(format!("{}.nii.gz", map.name)),
            MapFormat::Nrrd => out_dir.join(format!("{}.nrrd", map.name)),
        };
        match args.map_format {
            MapFormat::Nifti => write_nifti(&path, &map.image, WriteType::F64)?,
            MapFormat::Nrrd => write_nrrd(&path, &map.image)?,
        }
        written += 1;
        Ok(())
    })?;
    if args.timing {
        // Wall clock and the process's CPU time (all threads): on a busy machine the second is the
        // steadier measure of the work done.
        let cpu_done = cpu_seconds();
        eprintln!(
            "load      {:>9.3} ms  cpu {:>9.3} ms",
            loaded.as_secs_f64() * 1e3,
            (cpu_loaded - cpu_started) * 1e3
        );
        eprintln!(
            "maps      {:>9.3} ms  cpu {:>9.3} ms",
            (started.elapsed() - loaded).as_secs_f64() * 1e3,
            (cpu_done - cpu_loaded) * 1e3
        );
    }
    eprintln!("wrote {written} feature maps to '{}'", out_dir.display());
    Ok(())
}

/// CPU time of the whole process (every thread) in seconds; NaN where the clock cannot be read.
fn cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    if rc == 0 {
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    } else {
        f64::NAN
    }
}
