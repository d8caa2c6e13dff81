//! The `cascade` command-line tool: a thin layer over the `cascade` library, one module per
//! subcommand. Exit codes: 0 success, 2 bad input (scenario, data file, position book), 1 anything else.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// Simulate liquidation cascades in leveraged crypto markets.
#[derive(Debug, Parser)]
#[command(name = "cascade", version, about = "Simulate liquidation cascades in leveraged crypto markets", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one simulation and write its report folder.
    Run(commands::run::RunArgs),
    /// Monte Carlo stress test: many price paths in parallel, the distribution of bad debt and
    /// liquidations, VaR and expected shortfall.
    Stress(commands::stress::StressArgs),
    /// Parameter sweep: a grid over protocol parameters, each point stress-tested over the same
    /// paths, with the Pareto frontier of bad-debt VaR against capital efficiency.
    Sweep(commands::sweep::SweepArgs),
    /// Liquidation overhang and systemic-risk metrics of a position book (CSV, JSON, Parquet, DefiLlama).
    Heatmap(Box<commands::heatmap::HeatmapArgs>),
    /// Write a synthetic position book from a scenario's generator.
    Generate(commands::generate::GenerateArgs),
    /// Run one scenario under each liquidation mechanism, pool and circuit breaker (same seed) and
    /// print the comparison table; also writes compare.csv and compare.json.
    Compare(commands::compare::CompareArgs),
    /// Print the JSON Schema of scenario files (for editors' validation).
    Schema,
    /// List the built-in scenarios.
    Scenarios,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => commands::run::run(&args),
        Command::Stress(args) => commands::stress::run(&args),
        Command::Sweep(args) => commands::sweep::run(&args),
        Command::Heatmap(args) => commands::heatmap::run(&args),
        Command::Generate(args) => commands::generate::run(&args),
        Command::Compare(args) => commands::compare::run(&args),
        Command::Schema => commands::schema::run(),
        Command::Scenarios => commands::scenarios::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            let bad_input = error.chain().any(|cause| {
                cause.is::<cascade::error::ScenarioError>()
                    || cause.is::<cascade::book::BookError>()
            });
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}
