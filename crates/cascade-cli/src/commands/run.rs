//! `cascade run [SCENARIO]`: one simulation, a summary table, a report folder.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use cascade::run::{load_scenario, run_scenario_path};
use cascade_core::report::Summary;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{percent, usd};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A scenario TOML file, or the name of a built-in scenario (see `cascade scenarios`).
    #[arg(default_value = "default")]
    pub scenario: String,
    /// Seed for every random draw (overrides the scenario's `simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run path N of the scenario's stress test (as `cascade stress` drew it) instead of the assets'
    /// own price paths: how to look at one of the worst paths a stress test reports.
    #[arg(long)]
    pub path: Option<u64>,
    /// Folder for report.json, blocks.csv, liquidations.csv and report.html (replaced if it exists).
    #[arg(long, default_value = "cascade-report")]
    pub out: PathBuf,
    /// Print report.json on standard output instead of the summary table.
    #[arg(long)]
    pub json: bool,
}

// The progress display and the "ran in" line are the only places that read the clock.
#[allow(clippy::disallowed_methods)]
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let (scenario, origin) = load_scenario(&args.scenario)?;
    let started = Instant::now();
    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let mut shown = false;
    let output = run_scenario_path(
        &scenario,
        &origin,
        args.seed,
        args.path,
        |block, max_blocks| {
            if !shown && started.elapsed() > Duration::from_secs(1) {
                shown = true;
                progress.set_length(max_blocks);
                progress.set_style(
                    ProgressStyle::with_template(
                        "{spinner} block {pos}/{len} (stops earlier at equilibrium) {elapsed}",
                    )
                    .expect("a valid template"),
                );
                progress.set_draw_target(ProgressDrawTarget::stderr());
            }
            if shown {
                progress.set_position(block);
            }
        },
    )?;
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    output
        .write(&args.out)
        .with_context(|| format!("cannot write the report folder {}", args.out.display()))?;
    if args.json {
        print!("{}", output.report_json);
    } else {
        let block_seconds = scenario.simulation.block_time_seconds;
        println!("{}", summary_table(&output.report.summary, block_seconds));
        println!(
            "scenario: {} (seed {})\nreport:   {}/ (report.json, blocks.csv, liquidations.csv, report.html)\nran in {:.2} s",
            output.report.scenario_name,
            output.report.seed,
            args.out.display(),
            elapsed.as_secs_f64()
        );
    }
    Ok(())
}

/// The terminal summary.
pub fn summary_table(summary: &Summary, block_seconds: f64) -> Table {
    let asset = &summary.primary_asset;
    let rows: Vec<(String, String)> = vec![
        (
            format!("{asset} reference price at start"),
            format!("{:.2}", summary.initial_price),
        ),
        (
            "Exogenous shock (price path alone)".into(),
            format!(
                "-{} to {:.2}",
                percent(summary.initial_shock),
                summary.shocked_price
            ),
        ),
        (
            "Equilibrium price".into(),
            format!(
                "{:.2} (-{})",
                summary.equilibrium_price,
                percent(summary.final_drawdown)
            ),
        ),
        (
            "Lowest price on any venue".into(),
            format!(
                "{:.2} (-{})",
                summary.lowest_price,
                percent(summary.max_drawdown)
            ),
        ),
        (
            "Amplification (final drop / shock)".into(),
            format!("{:.3}x", summary.amplification),
        ),
        (
            "Peak amplification (lowest / shock)".into(),
            format!("{:.3}x", summary.peak_amplification),
        ),
        (
            "Liquidations".into(),
            format!(
                "{} calls on {} accounts",
                summary.n_liquidations, summary.n_accounts_liquidated
            ),
        ),
        (
            "Collateral seized (liquidated value)".into(),
            usd(summary.collateral_seized_usd),
        ),
        ("Debt repaid".into(), usd(summary.debt_repaid_usd)),
        (
            "Bonus paid (protocol's share)".into(),
            format!(
                "{} ({})",
                usd(summary.bonus_paid_usd),
                usd(summary.protocol_fees_usd)
            ),
        ),
        ("Bad debt".into(), usd(summary.bad_debt_usd)),
        (
            "Insolvent debt left at stop".into(),
            usd(summary.insolvent_debt_usd),
        ),
        (
            "Keeper profit (gas spent)".into(),
            format!(
                "{} ({})",
                usd(summary.keeper_profit_usd),
                usd(summary.gas_spent_usd)
            ),
        ),
        (
            "Peak liquidations per block".into(),
            format!(
                "{} (block {})",
                summary.peak_liquidations_per_block, summary.peak_liquidations_block
            ),
        ),
        (
            "Blocks to equilibrium".into(),
            format!(
                "{} (~{:.0} min from the shock)",
                summary.blocks_to_equilibrium,
                summary.blocks_to_equilibrium as f64 * block_seconds / 60.0
            ),
        ),
        (
            "Cascade duration (99% of value seized)".into(),
            format!(
                "{} blocks (~{:.0} min)",
                summary.cascade_duration_blocks,
                summary.cascade_duration_blocks as f64 * block_seconds / 60.0
            ),
        ),
        (
            "Stop reason".into(),
            format!(
                "{} ({} accounts below HF 1 left)",
                summary.stop_reason.as_str(),
                summary.n_liquidatable_at_stop
            ),
        ),
    ];
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["cascade run", ""]);
    for (name, value) in rows {
        table.add_row(vec![
            Cell::new(name),
            Cell::new(value).set_alignment(CellAlignment::Right),
        ]);
    }
    table
}
