//! `cascade stress [SCENARIO] --paths N`: Monte Carlo over price paths, in parallel.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use cascade::run::load_scenario;
use cascade::stress::{stress_scenario, EngineUsed, StressOutput};
use cascade_core::stats::Distribution;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{percent, usd};

#[derive(Debug, clap::Args)]
pub struct StressArgs {
    /// A scenario TOML file with asset `process` entries, or a built-in scenario's name.
    #[arg(default_value = "default")]
    pub scenario: String,
    /// Number of price paths (default: the scenario's `stress.paths`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub paths: Option<u64>,
    /// Seed of the paths (overrides the scenario's `simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results are identical at any count.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Run every path on the full per-account engine even where the fast path applies.
    #[arg(long)]
    pub full_engine: bool,
    /// Folder for summary.json, paths.csv, paths.parquet and report.html (replaced if it exists).
    #[arg(long, default_value = "cascade-stress")]
    pub out: PathBuf,
    /// Print summary.json on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
}

// The progress bar and the "ran in" line are the only places that read the clock.
#[allow(clippy::disallowed_methods)]
pub fn run(args: &StressArgs) -> anyhow::Result<()> {
    let (scenario, origin) = load_scenario(&args.scenario)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0) as usize)
        .build()
        .context("cannot start the worker threads")?;
    let started = Instant::now();
    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} paths  {per_sec}  elapsed {elapsed}  ETA {eta}",
        )
        .expect("a valid template"),
    );
    progress.set_length(args.paths.unwrap_or(scenario.stress_settings().paths));
    let output: StressOutput = pool.install(|| {
        stress_scenario(
            &scenario,
            &origin,
            &args.scenario,
            args.seed,
            args.paths,
            args.full_engine,
            &|| progress.inc(1),
        )
    })?;
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    output
        .write(&args.out)
        .with_context(|| format!("cannot write the report folder {}", args.out.display()))?;
    if args.json {
        print!("{}", output.summary_json());
        return Ok(());
    }
    let report = &output.report;
    let stats = &report.statistics;
    println!("{}", distribution_table(&output));
    println!(
        "cascade probability: {:.2}%  (bad debt on {:.2}% of paths, liquidations on {:.2}%)",
        stats.cascade_probability * 100.0,
        stats.bad_debt_probability * 100.0,
        stats.liquidation_probability * 100.0
    );
    println!("  {}", stats.cascade_definition);
    println!("worst paths (most bad debt), each re-runnable alone:");
    for worst in report.worst_paths.iter().take(5) {
        println!(
            "  path {:>7}: bad debt {:>10}, liquidated {:>10}, drawdown {:>7}  -> {}",
            worst.path,
            usd(worst.bad_debt_usd),
            usd(worst.liquidated_value_usd),
            percent(worst.equilibrium_drawdown),
            worst.rerun
        );
    }
    let engine = match &report.engine {
        EngineUsed::FastPath => "sorted-book fast path".to_string(),
        EngineUsed::FullEngine { reason } => format!("full engine ({reason})"),
    };
    let rate = report.paths as f64 / elapsed.as_secs_f64();
    println!(
        "scenario: {} (seed {})\nengine:   {engine}\nreport:   {}/ (summary.json, paths.csv, paths.parquet, report.html)\nran {} paths x {} blocks in {:.2} s ({rate:.0} paths/s, {} threads)",
        report.scenario_name,
        report.seed,
        args.out.display(),
        report.paths,
        report.path_blocks,
        elapsed.as_secs_f64(),
        pool.current_num_threads()
    );
    Ok(())
}

/// A table row: its name, the distribution (if any), how to print a value.
type Row<'a> = (&'a str, Option<&'a Distribution>, fn(f64) -> String);

fn distribution_table(output: &StressOutput) -> Table {
    let stats = &output.report.statistics;
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "over paths",
        "mean",
        "p50",
        "p95",
        "p99",
        "VaR 95",
        "VaR 99",
        "ES 95",
        "ES 99",
        "max",
    ]);
    let amplification_name = format!(
        "amplification ({} shocked paths)",
        stats.amplification.as_ref().map_or(0, |d| d.n)
    );
    let rows: [Row; 5] = [
        ("bad debt", Some(&stats.bad_debt_usd), usd),
        ("liquidated value", Some(&stats.liquidated_value_usd), usd),
        (
            "equilibrium drawdown",
            Some(&stats.equilibrium_drawdown),
            percent,
        ),
        ("max drawdown", Some(&stats.max_drawdown), percent),
        (&amplification_name, stats.amplification.as_ref(), |x| {
            format!("{x:.3}x")
        }),
    ];
    for (name, d, show) in rows {
        let Some(d) = d else { continue };
        let mut cells = vec![Cell::new(name)];
        for value in [
            d.mean, d.p50, d.p95, d.p99, d.var_95, d.var_99, d.es_95, d.es_99, d.max,
        ] {
            cells.push(Cell::new(show(value)).set_alignment(CellAlignment::Right));
        }
        table.add_row(cells);
    }
    table
}
