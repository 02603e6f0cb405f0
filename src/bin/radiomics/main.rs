//! `radiomics`: the command-line tool. It parses arguments, calls the library, and maps errors to exit
//! codes; every command lives in its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod batch;
mod bench;
mod demo;
mod dti;
mod extract;
mod learn;
mod pybatch;
mod voxel;

/// Radiomics features (PyRadiomics-compatible) and models, from the command line.
#[derive(Parser)]
#[command(name = "radiomics", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract the features of one case (image + mask) as `name,value` CSV.
    Extract(extract::ExtractArgs),
    /// Extract a cohort's features from a manifest into one table (parallel, rerunnable).
    Batch(batch::BatchArgs),
    /// Time extraction on volumes loaded once; prints the median seconds last.
    Bench(bench::BenchArgs),
    /// Run the whole study on a built-in SYNTHETIC cohort: extract, train, test, save a model, predict.
    Demo(demo::DemoArgs),
    /// Fit a diffusion tensor to a 4D DWI and write FA, MD (ADC), AD, RD and tensor maps.
    Dti(dti::DtiArgs),
    /// Train models by cross-validation and save the best.
    Train(learn::TrainArgs),
    /// Predict probabilities with a saved model.
    Predict(learn::PredictArgs),
    /// Evaluate a saved model on a labelled table.
    Evaluate(learn::EvaluateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Extract(a) => extract::run(a),
        Command::Batch(a) => batch::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Dti(a) => dti::run(a),
        Command::Train(a) => learn::run_train(a),
        Command::Predict(a) => learn::run_predict(a),
        Command::Evaluate(a) => learn::run_evaluate(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("radiomics: error: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Exit codes by error kind: 2 for bad usage or settings, 3 for input files, 4 for the ROI, 5 for a model
/// that does not fit, 6 for input refused by a limit (`maxVoxels`, `maxMemoryMB`, `maxGreyLevels`, the
/// texture work bound): a refusal the caller can lift, told apart from 1, an internal error.
fn exit_code(e: &radiomics::Error) -> u8 {
    use radiomics::ErrorKind as K;
    match e.kind() {
        K::InvalidArgument | K::UnsupportedSetting => 2,
        K::Io | K::Format | K::GeometryMismatch => 3,
        K::EmptyRoi => 4,
        K::ModelMismatch => 5,
        K::LimitExceeded => 6,
        _ => 1,
    }
}
