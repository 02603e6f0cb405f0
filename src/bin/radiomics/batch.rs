//! `radiomics batch`: a cohort's feature table from a manifest, in parallel, rerunnable.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use radiomics::batch::{read_manifest, run_batch_with, BatchOptions};
use radiomics::case::CaseExtractor;
use radiomics::{Error, ErrorKind, Result, Settings};

/// Extract every case of a manifest into one feature table.
#[derive(Args)]
pub struct BatchArgs {
    /// Manifest CSV: case_id,patient_id,label,split,mask and one image column per modality; or a
    /// PyRadiomics batch CSV (columns Image, Mask, and optionally Label, Label_channel and others), which
    /// gives PyRadiomics' table (input columns, diagnostics, features).
    #[arg(long)]
    pub manifest: PathBuf,
    /// Parameter file for every modality (`FILE`), or for one (`MODALITY=FILE`); repeatable.
    #[arg(long)]
    pub params: Vec<String>,
    /// The feature table to write (kept rows are reused when it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Cases extracted in parallel (0 = one per core).
    #[arg(long, default_value_t = 0, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub jobs: usize,
    /// Remove rows of cases absent from the manifest (kept by default).
    #[arg(long)]
    pub prune: bool,
}

/// Builds a case extractor from `FILE` / `MODALITY=FILE` arguments.
pub fn case_extractor(params: &[String]) -> Result<CaseExtractor> {
    let mut default = Settings::default();
    let mut per = Vec::new();
    for p in params {
        match p.split_once('=') {
            Some((m, f)) => per.push((m.to_string(), Settings::from_file(f)?)),
            None => default = Settings::from_file(p)?,
        }
    }
    let mut ex = CaseExtractor::new(default);
    for (m, s) in per {
        ex = ex.with_modality(&m, s)?;
    }
    Ok(ex)
}

pub fn run(args: BatchArgs) -> Result<()> {
    if radiomics::pyradiomics_batch::is_pyradiomics_batch(&args.manifest)? {
        return crate::pybatch::run(&args);
    }
    let rows = read_manifest(&args.manifest)?;
    let extractor = case_extractor(&args.params)?;
    if let Some(first) = rows.first() {
        let present: Vec<&str> = first.images.iter().map(|(m, _)| m.as_str()).collect();
        extractor
            .check_modalities(&present)
            .map_err(|e| e.context("--params"))?;
    }
    // Options without effect, said once for the run rather than per case.
    let modalities: Vec<&str> = rows
        .first()
        .map(|r| r.images.iter().map(|(m, _)| m.as_str()).collect())
        .unwrap_or_default();
    let own = extractor.modality_settings();
    if modalities.iter().any(|m| !own.contains_key(*m)) {
        for w in extractor.default_settings().ignored_options(false) {
            eprintln!("radiomics: warning: {w}");
        }
    }
    for (m, s) in own {
        for w in s.ignored_options(false) {
            eprintln!("radiomics: warning: {m}: {w}");
        }
    }
    let tty = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if tty {
            let width = 30;
            let filled = done * width / total.max(1);
            eprint!(
                "\r[{}{}] {done}/{total} cases",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            if done == total {
                eprintln!();
            }
        }
    };
    let mut inputs = vec![args.manifest.clone()];
    inputs.extend(
        args.params
            .iter()
            .map(|p| PathBuf::from(p.split_once('=').map_or(p.as_str(), |(_, f)| f))),
    );
    let options = BatchOptions {
        jobs: args.jobs,
        prune: args.prune,
        inputs,
    };
    let outcome = run_batch_with(&rows, &extractor, &args.out, &options, &progress)?;
    if outcome.others > 0 {
        eprintln!(
            "batch: {} row(s) of cases not in the manifest {}",
            outcome.others,
            if args.prune {
                "removed (--prune)"
            } else {
                "kept (--prune removes them)"
            }
        );
    }
    eprintln!(
        "batch: {} computed, {} kept from an earlier run, {} failed; table '{}'",
        outcome.computed,
        outcome.reused,
        outcome.failed.len(),
        args.out.display()
    );
    for (case, e) in &outcome.failed {
        eprintln!("batch: case '{case}' failed: {e}");
    }
    if outcome.failed.is_empty() {
        Ok(())
    } else {
        // The run fails as its cases failed: an unreadable input file is an input problem (exit 3).
        let kind = outcome
            .failed
            .first()
            .map_or(ErrorKind::Internal, |(_, e)| {
                crate::extract::as_input_error(e.clone()).kind()
            });
        Err(Error::new(
            kind,
            format!(
                "{} of {} cases failed (see above); rerun to retry only those",
                outcome.failed.len(),
                rows.len()
            ),
        ))
    }
}
