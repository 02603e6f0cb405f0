//! `radiomics demo`: the library on a built-in synthetic phantom, no files needed.

use clap::Args;
use radiomics::synthetic::{lesion_phantom, PhantomSpec};
use radiomics::{Extractor, Result, Settings};

/// Run the pipeline on a synthetic lesion phantom and print its features.
#[derive(Args)]
pub struct DemoArgs {
    /// Seed of the phantom.
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
}

pub fn run(args: DemoArgs) -> Result<()> {
    let spec = PhantomSpec::default();
    let (image, labels) = lesion_phantom(&spec, args.seed);
    println!(
        "radiomics demo: SYNTHETIC lesion phantom (seed {}), {}x{}x{} voxels of {}x{}x{} mm",
        args.seed,
        spec.size[0],
        spec.size[1],
        spec.size[2],
        spec.spacing[0],
        spec.spacing[1],
        spec.spacing[2]
    );
    let features = Extractor::new(Settings::default()).extract(&image, &labels)?;
    let width = features.names().iter().map(|n| n.len()).max().unwrap_or(4);
    println!("{:<width$}  value", "feature");
    println!("{}  {}", "-".repeat(width), "-".repeat(22));
    for (name, value) in features.iter() {
        println!("{name:<width$}  {value:>22.10}");
    }
    println!("{} features", features.len());
    Ok(())
}
