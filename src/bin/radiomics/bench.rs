//! `radiomics bench`: extraction time on volumes already in memory.

use std::path::PathBuf;

use clap::Args;
use radiomics::image::io::{read_image, read_label_image_for};
use radiomics::{Error, Extractor, Result, Settings};

/// Load once, extract N times, print the median extraction time (seconds, load excluded) last.
#[derive(Args)]
pub struct BenchArgs {
    /// The image (any format `extract` reads, a DICOM series folder included).
    #[arg(long)]
    pub image: PathBuf,
    /// The label image, or a DICOM SEG / RTSTRUCT file (the ROI numbered as the settings' `label`).
    #[arg(long)]
    pub mask: PathBuf,
    /// A PyRadiomics parameter file; defaults without one.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Number of extractions.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub threads: usize,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let settings = match &args.params {
        Some(p) => Settings::from_file(p)?,
        None => Settings::default(),
    };
    let image = read_image(&args.image).map_err(|e| e.context("--image"))?;
    let label = settings.params().label;
    let mask = read_label_image_for(&args.mask, label, Some(&args.image), &image)
        .map_err(|e| e.context("--mask"))?;
    let extractor = Extractor::new(settings);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| {
            Error::new(
                radiomics::ErrorKind::InvalidArgument,
                format!("--threads {}: {e}", args.threads),
            )
        })?;
    let mut times = Vec::with_capacity(args.repeat.max(1));
    let mut count = 0;
    for _ in 0..args.repeat.max(1) {
        let t = std::time::Instant::now();
        let f = pool.install(|| extractor.extract(&image, &mask))?;
        times.push(t.elapsed().as_secs_f64());
        count = f.len();
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let label = extractor.settings().params().label as f64;
    let roi = mask.data().iter().filter(|&&v| v == label).count();
    eprintln!(
        "{} features, {} runs, min {:.6} s, max {:.6} s; {} ROI voxels, {:.3e} ROI voxels/s",
        count,
        times.len(),
        times[0],
        times[times.len() - 1],
        roi,
        roi as f64 / median
    );
    println!("{median:.6}");
    Ok(())
}
