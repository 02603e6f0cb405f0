//! `radiomics extract`: features of one case, written as `name,value` CSV (or JSON).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use radiomics::case::{check_modality_name, Case};
use radiomics::image::io::{
    dicom, read_image, read_image_box, read_label_image_for, read_mask, read_mask_for, ReadOptions,
};
use radiomics::{Error, ErrorKind, Extractor, Result, Timings};

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
    /// The image (NIfTI .nii/.nii.gz, NRRD .nrrd/.nhdr, MetaImage .mha/.mhd, or a folder holding a DICOM
    /// series, or one file of the DICOM series wanted), or `MODALITY=PATH`, repeated, for a multi-sequence
    /// case (`--image t1c=T1C.nii.gz --image adc=ADC.nii.gz`): features are then prefixed by modality.
    #[arg(long, required = true)]
    pub image: Vec<String>,
    /// The label image; the ROI is the voxels equal to the label. Or a DICOM SEG (the ROI is segment
    /// number `label`) or RTSTRUCT file (the ROI numbered `label`), placed on the image's grid.
    #[arg(long)]
    pub mask: PathBuf,
    /// The ROI label (overrides the parameter file's `label`); for a DICOM SEG or RTSTRUCT mask, also the
    /// segment's or ROI's name.
    #[arg(long)]
    pub label: Option<String>,
    /// A PyRadiomics parameter file (YAML or JSON), or `MODALITY=FILE` for one modality; repeatable.
    /// PyRadiomics' defaults without one.
    #[arg(long)]
    pub params: Vec<String>,
    /// Where to write the features; standard output without one.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Print the time of each stage (load, filters, discretisation, each class) to standard error.
    #[arg(long)]
    pub timing: bool,
    /// Worker threads (0 = one per core); results are identical for any number.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// A `--image` argument: `(Some(modality), path)` for `MODALITY=PATH`, `(None, path)` for a plain path.
fn split_image_arg(arg: &str) -> (Option<String>, PathBuf) {
    match arg.split_once('=') {
        Some((m, p)) if check_modality_name(m).is_ok() => (Some(m.to_string()), PathBuf::from(p)),
        _ => (None, PathBuf::from(arg)),
    }
}

pub fn run(args: ExtractArgs) -> Result<()> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("--threads: {e}")))?;
    pool.install(|| run_in_pool(args))
}

fn run_in_pool(args: ExtractArgs) -> Result<()> {
    let images: Vec<(Option<String>, PathBuf)> =
        args.image.iter().map(|a| split_image_arg(a)).collect();
    let multi = images.iter().any(|(m, _)| m.is_some());
    if multi && images.iter().any(|(m, _)| m.is_none()) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "--image: give every image as MODALITY=PATH, or a single plain PATH",
        ));
    }
    if !multi && images.len() > 1 {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "--image: several images need modality names (MODALITY=PATH)",
        ));
    }
    let mut extractor = crate::batch::case_extractor(&args.params)?;
    if let Some(label) = &args.label {
        let number = match label.parse::<i64>() {
            Ok(n) => n,
            Err(_) => dicom::label_number(&args.mask, label).map_err(|e| e.context("--label"))?,
        };
        extractor = extractor.with_label(number)?;
    }
    // A DICOM SEG or RTSTRUCT mask is placed on the image's grid, so the image is read first.
    let dicom_mask = dicom::is_dicom_mask(&args.mask);
    let mut timings = Timings::default();
    if !multi {
        let single = Extractor::new(extractor.default_settings().clone());
        if single.needs_only_roi_box() && !dicom_mask {
            // Only the ROI's box of the image is needed: read the mask first, then that box.
            let (_, path) = &images[0];
            std::fs::File::open(path).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot read '{}': {e}", path.display()),
                )
                .context("--image")
            })?;
            let label = single.settings().params().label;
            let mask = timings.time("load mask", || {
                read_mask(&args.mask, label).map_err(|e| e.context("--mask"))
            })?;
            let bbox = single.roi_box(&mask).map_err(|e| e.context("--mask"))?;
            let image = timings.time("load image", || {
                read_image_box(path, &bbox, &ReadOptions::default())
                    .map_err(|e| e.context("--image"))
            })?;
            let features = single.extract_box_timed(&image, mask, &mut |_| true, &mut timings)?;
            return finish(&args, &timings, features);
        }
    }
    // Images first, then the mask, so that errors name the inputs in the order they were given.
    let mut loaded = Vec::new();
    for (m, p) in images {
        let (stage, flag) = match &m {
            Some(m) => (format!("load {m}"), format!("--image {m}")),
            None => ("load image".to_string(), "--image".to_string()),
        };
        let img = timings.time(stage, || read_image(&p).map_err(|e| e.context(&flag)))?;
        loaded.push((m, p, img));
    }
    let label = extractor.default_settings().params().label;
    let features = if multi {
        let mask = timings.time("load mask", || {
            read_label_image_for(&args.mask, label, Some(&loaded[0].1), &loaded[0].2)
                .map_err(|e| e.context("--mask"))
        })?;
        let images = loaded
            .into_iter()
            .map(|(m, _, img)| (m.expect("every image is named"), img))
            .collect();
        extractor.extract(&Case { images, mask })?
    } else {
        // One image: the label file is read straight into the ROI mask.
        let mask = timings.time("load mask", || {
            read_mask_for(&args.mask, label, Some(&loaded[0].1), &loaded[0].2)
                .map_err(|e| e.context("--mask"))
        })?;
        let (_, _, image) = loaded.pop().expect("one image");
        Extractor::new(extractor.default_settings().clone()).extract_mask_timed(
            &image,
            mask,
            &mut |_| true,
            &mut timings,
        )?
    };
    finish(&args, &timings, features)
}

/// Prints the timings (when asked) and writes the features.
fn finish(args: &ExtractArgs, timings: &Timings, features: radiomics::Features) -> Result<()> {
    if args.timing {
        print_timings(timings);
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
