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
    /// The SeriesInstanceUID of the DICOM series to read when the `--image` folder holds several: the same
    /// as `--image FOLDER#UID` (which also works for each image of a multi-sequence case, and in batch
    /// manifests).
    #[arg(long)]
    pub series: Option<String>,
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
    #[arg(long, default_value_t = 0, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub threads: usize,
    /// Voxel-based extraction: one map per feature (kernels from the parameter file's `voxelSetting`),
    /// written to `--out-dir` as `<feature name>.nii.gz`.
    #[arg(long, requires = "out_dir")]
    pub voxel: bool,
    /// Where `--voxel` writes the maps (created if missing).
    #[arg(long, requires = "voxel")]
    pub out_dir: Option<PathBuf>,
    /// The maps' file format.
    #[arg(long, value_enum, default_value = "nifti", requires = "voxel")]
    pub map_format: crate::voxel::MapFormat,
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

/// Errors of the extraction itself after the settings were accepted (a NaN inside the ROI, geometry the
/// image cannot have) come from the input files: reported as such (exit 3), not as bad usage.
pub fn as_input_error(e: Error) -> Error {
    if e.kind() == ErrorKind::InvalidArgument {
        Error::new(ErrorKind::Format, e.message())
    } else {
        e
    }
}

fn run_in_pool(args: ExtractArgs) -> Result<()> {
    let mut images: Vec<(Option<String>, PathBuf)> =
        args.image.iter().map(|a| split_image_arg(a)).collect();
    if let Some(uid) = &args.series {
        images = vec![choose_series(images, uid)?];
    }
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
    let present: Vec<&str> = images.iter().filter_map(|(m, _)| m.as_deref()).collect();
    extractor
        .check_modalities(&present)
        .map_err(|e| e.context("--params"))?;
    if let Some(label) = &args.label {
        let number = match label.parse::<i64>() {
            Ok(n) => n,
            Err(_) => dicom::label_number(&args.mask, label).map_err(|e| e.context("--label"))?,
        };
        extractor = extractor.with_label(number)?;
    }
    if args.voxel {
        if multi {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "--voxel: give one image (maps of a multi-sequence case: run once per modality)",
            ));
        }
        let (_, path) = &images[0];
        return crate::voxel::run(&args, path, extractor.default_settings().clone());
    }
    // A DICOM SEG or RTSTRUCT mask is placed on the image's grid, so the image is read first.
    let dicom_mask = dicom::is_dicom_mask(&args.mask);
    let mut timings = Timings::default();
    if !multi {
        let single = Extractor::new(extractor.default_settings().clone());
        if single.needs_only_roi_box() && !dicom_mask {
            // Only the ROI's box of the image is needed: read the mask first, then that box.
            let (_, path) = &images[0];
            // For `FOLDER#UID`, the folder.
            let probe = dicom::split_series_path(path).map_or_else(|| path.clone(), |(f, _)| f);
            std::fs::File::open(&probe).map_err(|e| {
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
            let features = single
                .extract_box_timed(&image, mask, &mut |_| true, &mut timings)
                .map_err(as_input_error)?;
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
        extractor
            .extract(&Case { images, mask })
            .map_err(as_input_error)?
    } else {
        // One image: the label file is read straight into the ROI mask.
        let mask = timings.time("load mask", || {
            read_mask_for(&args.mask, label, Some(&loaded[0].1), &loaded[0].2)
                .map_err(|e| e.context("--mask"))
        })?;
        let (_, _, image) = loaded.pop().expect("one image");
        Extractor::new(extractor.default_settings().clone())
            .extract_mask_timed(&image, mask, &mut |_| true, &mut timings)
            .map_err(as_input_error)?
    };
    finish(&args, &timings, features)
}

/// The one `--image` as the series `uid` of its folder (`FOLDER#UID`).
fn choose_series(
    images: Vec<(Option<String>, PathBuf)>,
    uid: &str,
) -> Result<(Option<String>, PathBuf)> {
    let invalid = |m: String| Error::new(ErrorKind::InvalidArgument, m);
    let [(modality, path)] = <[_; 1]>::try_from(images).map_err(|_| {
        invalid(
            "--series: give one --image; for several, name each series as MODALITY=FOLDER#UID"
                .into(),
        )
    })?;
    if uid.is_empty() || uid.len() > 64 || !uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid(format!(
            "--series '{uid}': a SeriesInstanceUID is 1 to 64 digits and dots"
        )));
    }
    if !path.is_dir() {
        return Err(invalid(format!(
            "--series: --image '{}' is not a folder (a DICOM folder is needed to choose a series in)",
            path.display()
        )));
    }
    Ok((modality, dicom::series_path(&path, uid)))
}

/// Prints the timings (when asked) and writes the features.
fn finish(args: &ExtractArgs, timings: &Timings, features: radiomics::Features) -> Result<()> {
    if args.timing {
        print_timings(timings);
    }
    for w in features.warnings() {
        eprintln!("radiomics: warning: {w}");
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
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => Ok(()),
                // A reader that closed the pipe (`| head`) wanted no more: quiet, as common tools are.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                // Anything else (a full disk, /dev/full) lost the output: an error.
                Err(e) => Err(Error::new(
                    ErrorKind::Io,
                    format!("cannot write to standard output: {e}"),
                )),
            }
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
