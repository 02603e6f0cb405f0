//! `radiomics`: the command-line tool. It parses arguments, calls the library, and maps errors to exit
//! codes; every command lives in its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod dti;

/// Radiomics features (PyRadiomics-compatible) and models, from the command line.
#[derive(Parser)]
#[command(name = "radiomics", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a diffusion tensor to a 4D DWI and write FA, MD (ADC), AD, RD and tensor maps.
    Dti(dti::DtiArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dti(a) => dti::run(a),
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
