//! `cascade run [SCENARIO]`: one simulation, a summary table, a report folder.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use cascade::run::{load_scenario, run_scenario_path};
use cascade_core::report::Summary;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
        if let Some(attack) = &output.report.attack {
            println!(
                "{}",
                rows_table("oracle manipulation", cascade::format::attack_rows(attack))
            );
        }
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
    rows_table(
        "cascade run",
        cascade::format::summary_rows(summary, block_seconds),
    )
}

/// A two-column table of (label, value) rows under `title`.
fn rows_table(title: &str, rows: Vec<(String, String)>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec![title, ""]);
    for (name, value) in rows {
        table.add_row(vec![
            Cell::new(name),
            Cell::new(value).set_alignment(CellAlignment::Right),
        ]);
    }
    table
}
