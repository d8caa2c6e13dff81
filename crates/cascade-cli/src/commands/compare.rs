//! `cascade compare [SCENARIO]`: the scenario under each liquidation mechanism, pool and circuit
//! breaker, same seed, as a table (and `compare.csv`, `compare.json`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use cascade::compare::{run_compare, CompareReport};
use cascade::run::load_scenario;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};

use super::{percent, usd};

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// A scenario TOML file or a built-in scenario's name (default: the built-in comparison
    /// scenario, `compare`).
    #[arg(default_value = "compare")]
    pub scenario: String,
    /// Seed for every variant (overrides the scenario's `simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results are identical at any count.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Folder for compare.csv, compare.json and report.html (replaced if it exists).
    #[arg(long, default_value = "cascade-compare")]
    pub out: PathBuf,
    /// Print compare.json on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
}

// The "ran in" line is the only place that reads the clock.
#[allow(clippy::disallowed_methods)]
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let (scenario, origin) = load_scenario(&args.scenario)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0) as usize)
        .build()
        .context("cannot start the worker threads")?;
    let started = Instant::now();
    let report = pool.install(|| run_compare(&scenario, &origin, args.seed))?;
    let elapsed = started.elapsed();
    report
        .write(&args.out)
        .with_context(|| format!("cannot write the report folder {}", args.out.display()))?;
    if args.json {
        print!("{}", report.to_json());
    } else {
        println!("{}", compare_table(&report));
        println!(
            "scenario: {} (seed {}), {} variants\nreport:   {}/ (compare.csv, compare.json, report.html)\nran in {:.2} s",
            report.scenario_name,
            report.seed,
            report.rows.len(),
            args.out.display(),
            elapsed.as_secs_f64()
        );
    }
    Ok(())
}

/// The terminal table: one row per variant.
pub fn compare_table(report: &CompareReport) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "variant",
        "scope",
        "equilibrium",
        "max drawdown",
        "amplification",
        "liquidated",
        "bad debt",
        "uncovered",
        "fund / backstop DD",
        "peak liq/block",
        "blocks to eq.",
        "keeper profit",
    ]);
    for row in &report.rows {
        let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
        table.add_row(vec![
            Cell::new(&row.variant),
            Cell::new(&row.scope),
            right(format!("{:.2}", row.equilibrium_price)),
            right(percent(row.max_drawdown)),
            right(format!("{:.3}x", row.amplification)),
            right(usd(row.liquidated_value_usd)),
            right(usd(row.bad_debt_usd)),
            right(usd(row.bad_debt_uncovered_usd)),
            right(format!(
                "{} / {}",
                usd(row.insurance_drawdown_usd),
                usd(row.backstop_drawdown_usd)
            )),
            right(row.peak_liquidations_per_block.to_string()),
            right(row.blocks_to_equilibrium.to_string()),
            right(usd(row.keeper_profit_usd)),
        ]);
    }
    table
}
