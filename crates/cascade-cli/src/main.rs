//! The `cascade` command-line tool: a thin layer over the `cascade` library, one module per
//! subcommand. Exit codes: 0 success, 2 bad input (scenario or data file), 1 anything else.

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
        Command::Compare(args) => commands::compare::run(&args),
        Command::Schema => commands::schema::run(),
        Command::Scenarios => commands::scenarios::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            let bad_input = error
                .chain()
                .any(|cause| cause.is::<cascade::error::ScenarioError>());
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}
