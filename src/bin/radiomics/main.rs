//! `radiomics`: the command-line tool. It parses arguments, calls the library, and maps errors to exit
//! codes; every command lives in its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod learn;

/// Radiomics features (PyRadiomics-compatible) and models, from the command line.
#[derive(Parser)]
#[command(name = "radiomics", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train models by cross-validation and save the best.
    Train(learn::TrainArgs),
    /// Predict probabilities with a saved model.
    Predict(learn::PredictArgs),
    /// Evaluate a saved model on a labelled table.
    Evaluate(learn::EvaluateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<(), radiomics::Error> = match cli.command {
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

/// Exit codes by error kind: 2 for bad usage or settings, 3 for input files, 4 for the ROI, 1 otherwise.
fn exit_code(e: &radiomics::Error) -> u8 {
    use radiomics::ErrorKind as K;
    match e.kind() {
        K::InvalidArgument | K::UnsupportedSetting => 2,
        K::Io | K::Format | K::GeometryMismatch => 3,
        K::EmptyRoi => 4,
        _ => 1,
    }
}
