//! `radiomics extract`: features of one case, written as `name,value` CSV (or JSON).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use radiomics::{image::io::read_image, Error, Extractor, Result, Settings, Timings};

/// Output formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// `name,value` rows
    Csv,
    /// one JSON object
    Json,
}

/// Extract the features of one image and mask.
#[derive(Args)]
pub struct ExtractArgs {
    /// The image (NIfTI .nii/.nii.gz or NRRD .nrrd).
    #[arg(long)]
    pub image: PathBuf,
    /// The label image; the ROI is the voxels equal to the label.
    #[arg(long)]
    pub mask: PathBuf,
    /// The ROI label (overrides the parameter file's `label`).
    #[arg(long)]
    pub label: Option<i64>,
    /// A PyRadiomics parameter file (YAML or JSON); PyRadiomics' defaults without one.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Where to write the features; standard output without one.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Print the time of each stage (load, filters, discretisation, each class) to standard error.
    #[arg(long)]
    pub timing: bool,
}

pub fn run(args: ExtractArgs) -> Result<()> {
    let mut settings = match &args.params {
        Some(p) => Settings::from_file(p)?,
        None => Settings::default(),
    };
    if let Some(label) = args.label {
        settings.set("label", label.into())?;
    }
    let mut timings = Timings::default();
    let image = timings.time("load image", || {
        read_image(&args.image).map_err(|e| e.context("--image"))
    })?;
    let mask = timings.time("load mask", || {
        read_image(&args.mask).map_err(|e| e.context("--mask"))
    })?;
    let features =
        Extractor::new(settings).extract_timed(&image, &mask, &mut |_| true, &mut timings)?;
    if args.timing {
        print_timings(&timings);
    }
    let text = match args.format {
        Format::Csv => features.to_csv(),
        Format::Json => features.to_json() + "\n",
    };
    write_output(args.out.as_deref(), &text)
}

/// Writes `text` to `path`, or to standard output.
pub fn write_output(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| {
            Error::new(
                radiomics::ErrorKind::Io,
                format!("cannot write '{}': {e}", p.display()),
            )
        }),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes());
            Ok(())
        }
    }
}

/// Prints stage times to standard error, with the total.
pub fn print_timings(t: &Timings) {
    let width = t
        .stages
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(5)
        .max(5);
    for (name, secs) in &t.stages {
        eprintln!("{name:<width$}  {:>9.3} ms", secs * 1e3);
    }
    eprintln!("{:<width$}  {:>9.3} ms", "total", t.total() * 1e3);
}
