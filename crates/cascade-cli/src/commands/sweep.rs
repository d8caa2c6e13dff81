//! `cascade sweep [SCENARIO] --grid NAME=VALUES ...`: a parameter grid, each point stress-tested over
//! the same paths, with the Pareto frontier of bad-debt VaR against capital efficiency.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use cascade::run::load_scenario;
use cascade::sweep::{grid_points, parse_axis, sweep_scenario};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{percent, usd};

#[derive(Debug, clap::Args)]
#[command(after_help = "GRID AXES\n  \
    NAME=v1,v2,...        a list of values (numbers or words)\n  \
    NAME=start:stop:step  an inclusive numeric range\n\n  \
    NAME is SYMBOL.field for a collateral parameter of every protocol listing SYMBOL\n  \
    (ltv, liquidation_threshold, liquidation_bonus, protocol_fee), or any scenario field by\n  \
    its path, e.g. protocols[0].close_factor or assets[0].external_depth_usd.\n  \
    Sweeping a liquidation threshold alone moves the asset's LTV with it (same gap).\n\n\
EXAMPLE\n  \
    cascade sweep frictionless --grid ETH.liquidation_threshold=0.78:0.90:0.02 \\\n    \
    --grid ETH.liquidation_bonus=0.04,0.06,0.08 --paths 2000")]
pub struct SweepArgs {
    /// A scenario TOML file with asset `process` entries, or a built-in scenario's name.
    #[arg(default_value = "default")]
    pub scenario: String,
    /// A grid axis NAME=VALUES (repeat for more axes; default: the scenario's `[sweep] grid`).
    #[arg(long)]
    pub grid: Vec<String>,
    /// Paths per grid point (default: the scenario's `sweep.paths`, else `stress.paths`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub paths: Option<u64>,
    /// Seed of the paths (overrides the scenario's `simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results are identical at any count.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Folder for sweep.json, sweep.csv and report.html (replaced if it exists).
    #[arg(long, default_value = "cascade-sweep")]
    pub out: PathBuf,
    /// Print sweep.json on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
}

// The progress bar and the "ran in" line are the only places that read the clock.
#[allow(clippy::disallowed_methods)]
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    let (scenario, origin) = load_scenario(&args.scenario)?;
    let grid: Vec<String> = if args.grid.is_empty() {
        scenario
            .sweep
            .as_ref()
            .map(|s| s.grid.clone())
            .unwrap_or_default()
    } else {
        args.grid.clone()
    };
    let axes = grid
        .iter()
        .map(|text| parse_axis(text, &origin))
        .collect::<Result<Vec<_>, _>>()?;
    let paths = args
        .paths
        .or(scenario.sweep.as_ref().and_then(|s| s.paths))
        .unwrap_or(scenario.stress_settings().paths);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0) as usize)
        .build()
        .context("cannot start the worker threads")?;
    let started = Instant::now();
    let progress = ProgressBar::with_draw_target(
        Some(grid_points(&axes).len() as u64 * paths),
        ProgressDrawTarget::stderr(),
    );
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} path runs  {per_sec}  ETA {eta}")
            .expect("a valid template"),
    );
    let report = pool.install(|| {
        sweep_scenario(&scenario, &origin, &axes, args.seed, paths, &|| {
            progress.inc(1)
        })
    })?;
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    report
        .write(&args.out)
        .with_context(|| format!("cannot write the report folder {}", args.out.display()))?;
    if args.json {
        print!("{}", report.to_json());
        return Ok(());
    }
    let mut table = Table::new();
    let mut header: Vec<String> = report.axes.clone();
    header.extend(
        [
            "max LTV",
            "debt/coll.",
            "bad debt mean",
            "VaR 99",
            "ES 99",
            "liquidated VaR 99",
            "P(cascade)",
            "Pareto",
        ]
        .map(String::from),
    );
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    for point in &report.points {
        let mut cells: Vec<Cell> = report
            .axes
            .iter()
            .map(|axis| Cell::new(&point.parameters[axis]))
            .collect();
        for text in [
            percent(point.max_ltv),
            percent(point.debt_to_collateral),
            usd(point.bad_debt_usd.mean),
            usd(point.bad_debt_usd.var_99),
            usd(point.bad_debt_usd.es_99),
            usd(point.liquidated_value_usd.var_99),
            percent(point.cascade_probability),
        ] {
            cells.push(Cell::new(text).set_alignment(CellAlignment::Right));
        }
        cells.push(Cell::new(if point.pareto { "*" } else { "" }));
        table.add_row(cells);
    }
    println!("{table}");
    println!(
        "Pareto (*): no other point has lower-or-equal bad-debt VaR 99 and higher-or-equal max LTV.\n\
         scenario: {} (seed {})\nreport:   {}/ (sweep.json, sweep.csv, report.html)\nran {} points x {} paths in {:.2} s",
        report.scenario_name,
        report.seed,
        args.out.display(),
        report.points.len(),
        report.paths,
        elapsed.as_secs_f64()
    );
    Ok(())
}
