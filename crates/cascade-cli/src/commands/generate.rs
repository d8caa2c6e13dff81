//! `cascade generate --out FILE`: a synthetic position book from a scenario's generator, in any of the
//! formats `cascade heatmap` reads.

use std::path::PathBuf;
use std::time::Instant;

use cascade::book::{scenario_book, write_book, BookFormat};
use cascade::run::load_scenario;
use cascade::shock::with_accounts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Csv,
    Json,
    Parquet,
    Defillama,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The file to write (replaced if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Output format (default: from the extension of --out; `.json` is cascade's own JSON schema).
    #[arg(long, value_enum)]
    pub format: Option<OutFormat>,
    /// Accounts per synthetic protocol (default: the scenario's).
    #[arg(long)]
    pub accounts: Option<u32>,
    /// Seed of the generator (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The scenario whose generator and prices are used: a file or a built-in name.
    #[arg(long, default_value = "default")]
    pub scenario: String,
}

// The "wrote in" line is the only clock read.
#[allow(clippy::disallowed_methods)]
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let format = match args.format {
        Some(OutFormat::Csv) => BookFormat::Csv,
        Some(OutFormat::Json) => BookFormat::Json,
        Some(OutFormat::Parquet) => BookFormat::Parquet,
        Some(OutFormat::Defillama) => BookFormat::DefiLlama,
        None => cascade::book::format_from_extension(&args.out).ok_or_else(|| {
            cascade::book::BookError::Input(format!(
                "{}: cannot tell the format from the file name; name it .csv, .json or .parquet, or pass --format csv|json|parquet|defillama",
                args.out.display()
            ))
        })?,
    };
    let (scenario, origin) = load_scenario(&args.scenario)?;
    let scenario = match args.accounts {
        Some(n) => with_accounts(&scenario, n),
        None => scenario,
    };
    let started = Instant::now();
    let book = scenario_book(&scenario, &origin, args.seed)?;
    let generated = started.elapsed().as_secs_f64();
    let started = Instant::now();
    write_book(&book, &args.out, format)?;
    let written = started.elapsed().as_secs_f64();
    println!(
        "{}: {} positions ({} format) from scenario `{}`, seed {}\ngenerated in {generated:.2} s, written in {written:.2} s",
        args.out.display(),
        book.len(),
        format.as_str(),
        args.scenario,
        args.seed.unwrap_or(scenario.simulation.seed)
    );
    Ok(())
}
