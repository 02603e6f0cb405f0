//! `radiomics batch` on a PyRadiomics batch CSV: PyRadiomics' table (see `radiomics::pyradiomics_batch`).

use radiomics::pyradiomics_batch::{read_batch, run_batch};
use radiomics::{Error, ErrorKind, Result, Settings};

use crate::batch::BatchArgs;

pub fn run(args: &BatchArgs) -> Result<()> {
    let input = read_batch(&args.manifest)?;
    let settings = match args.params.as_slice() {
        [] => Settings::default(),
        [p] if !p.contains('=') => Settings::from_file(p)?,
        _ => return Err(Error::new(
            ErrorKind::InvalidArgument,
            "--params: a PyRadiomics batch file takes one parameter file (FILE, not MODALITY=FILE)",
        )),
    };
    if args.prune {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "--prune: a PyRadiomics batch table is written whole on each run; there is nothing to prune",
        ));
    }
    for w in &input.warnings {
        eprintln!("radiomics: warning: {w}");
    }
    let outcome = run_batch(&input, &settings, &args.out, args.jobs, &|_, _| {})?;
    eprintln!(
        "batch: {} computed, {} failed; table '{}'",
        outcome.computed,
        outcome.failed.len(),
        args.out.display()
    );
    for (row, e) in &outcome.failed {
        eprintln!("batch: case {row} failed: {e}");
    }
    match outcome.failed.first() {
        None => Ok(()),
        Some((_, e)) => Err(Error::new(
            crate::extract::as_input_error(e.clone()).kind(),
            format!(
                "{} of {} cases failed (see above)",
                outcome.failed.len(),
                input.cases.len()
            ),
        )),
    }
}
