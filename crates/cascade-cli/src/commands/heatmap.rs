//! `cascade heatmap FILE`: the liquidation overhang and every systemic-risk metric of a position book;
//! with `--scenario`, the engine metrics too (measured amplification, liquidation velocity, critical
//! shock). Writes `heatmap.json` and `overhang.csv` into `--out`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use cascade::book::{detect_format, load_book, BookError, BookFormat, LoadOptions};
use cascade::report::write_folder_atomically;
use cascade::run::load_scenario;
use cascade::shock::{
    critical_shock, run_at_shock, CriticalShockReport, CriticalShockSettings, ShockRun,
};
use cascade_core::metrics::{
    snapshot_metrics, BinWidth, CriticalShock, MetricsConfig, Overhang, SnapshotMetrics,
};
use cascade_core::positions::{PositionBook, NO_ASSET};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use serde::Serialize;

use super::{percent, usd};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Auto,
    Csv,
    Json,
    Parquet,
    Defillama,
}

impl FormatArg {
    pub fn resolve(self, file: &std::path::Path) -> Result<BookFormat, BookError> {
        Ok(match self {
            FormatArg::Auto => detect_format(file)?,
            FormatArg::Csv => BookFormat::Csv,
            FormatArg::Json => BookFormat::Json,
            FormatArg::Parquet => BookFormat::Parquet,
            FormatArg::Defillama => BookFormat::DefiLlama,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct HeatmapArgs {
    /// A position book: CSV, JSON (array or lines), Parquet, or DefiLlama adapter output (JSON).
    pub file: PathBuf,
    /// The file's format (auto: from the extension; a JSON file with `liqPrice` keys is DefiLlama's).
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatArg,
    /// Current price: `ASSET=P` (repeatable), or a bare `P` for every asset the file gives no price.
    #[arg(long = "price", value_name = "[ASSET=]USD")]
    pub prices: Vec<String>,
    /// Width of the price bins: a percentage of the price (`1%`) or USD (`100`).
    #[arg(long, default_value = "1%")]
    pub bin_width: String,
    /// How far below the current price the bins go (fraction: 0.5 = down to half).
    #[arg(long, default_value_t = 0.5)]
    pub range: f64,
    /// At-risk band: a position is at risk when a fall of at most this fraction liquidates it.
    #[arg(long, default_value_t = 0.10)]
    pub at_risk: f64,
    /// Liquidity for the margin-to-liquidity ratio (24-hour volume): `ASSET=USD`, repeatable.
    #[arg(long = "liquidity", value_name = "ASSET=USD")]
    pub liquidity: Vec<String>,
    /// Market depth for the (L*P)/D rule: `ASSET=USD`, repeatable.
    #[arg(long = "depth", value_name = "ASSET=USD")]
    pub depth: Vec<String>,
    /// Liquidation penalty (bonus) for rows that give none, e.g. 0.05.
    #[arg(long)]
    pub penalty: Option<f64>,
    /// DefiLlama: decimals of a token outside the built-in table: `chain:address=N`, repeatable.
    #[arg(long = "decimals", value_name = "TOKEN=N")]
    pub decimals: Vec<String>,
    /// DefiLlama: protocol name of the rows (default: the file's stem).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Refuse books with more rows than this.
    #[arg(long, default_value_t = cascade::book::DEFAULT_MAX_ROWS)]
    pub max_rows: u64,
    /// Refuse JSON files larger than this many bytes.
    #[arg(long, default_value_t = cascade::book::DEFAULT_MAX_JSON_BYTES)]
    pub max_json_bytes: u64,
    /// Also run the engine metrics on this scenario (a file or a built-in name): measured
    /// amplification, liquidation velocity and the critical shock. The scenario's own accounts are
    /// simulated (the file's book is not fed to the engine).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Seed of the scenario run (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Accounts of the scenario's synthetic protocols (default: the scenario's).
    #[arg(long)]
    pub accounts: Option<u32>,
    /// Velocity window in blocks (at least 1).
    #[arg(long, default_value_t = 25)]
    pub window: u64,
    /// Largest shock the critical-shock search tries (a fraction above the search's lowest shock,
    /// 0.01, and below 1).
    #[arg(long, default_value_t = 0.5)]
    pub shock_max: f64,
    /// Self-sustaining test: amplification at least 1 + this.
    #[arg(long, default_value_t = cascade_core::metrics::DEFAULT_MIN_EXTRA_FALL)]
    pub min_extra_fall: f64,
    /// Report folder for heatmap.json and overhang.csv (replaced if it exists).
    #[arg(long, default_value = "heatmap-report")]
    pub out: PathBuf,
    /// Print heatmap.json on standard output instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// The engine half of the report.
#[derive(Debug, Serialize)]
struct EngineMetrics {
    scenario: String,
    seed: Option<u64>,
    /// The scenario as written: measured amplification, summary and velocity.
    run: ShockRun,
    critical_shock: CriticalShockReport,
}

/// Everything in heatmap.json.
#[derive(Debug, Serialize)]
struct HeatmapReport {
    cascade_version: &'static str,
    file: String,
    format: &'static str,
    /// Prices used, per asset (null: unknown).
    prices: Vec<(String, Option<f64>)>,
    notes: Vec<String>,
    metrics: SnapshotMetrics,
    engine: Option<EngineMetrics>,
}

fn input(message: String) -> anyhow::Error {
    BookError::Input(message).into()
}

fn parse_number(text: &str, what: &str) -> anyhow::Result<f64> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| input(format!("{what}: `{text}` is not a number")))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(input(format!(
            "{what}: {value} must be a finite number above zero"
        )));
    }
    Ok(value)
}

/// `ASSET=VALUE` pairs resolved against the book's assets.
fn per_asset(
    book: &PositionBook,
    pairs: &[String],
    option: &str,
) -> anyhow::Result<Vec<Option<f64>>> {
    let mut out = vec![None; book.assets.len()];
    for pair in pairs {
        let Some((asset, value)) = pair.rsplit_once('=') else {
            return Err(input(format!(
                "--{option} `{pair}`: expected ASSET=USD, e.g. ETH=250000000"
            )));
        };
        let Some(id) = book.find_asset(asset) else {
            return Err(input(format!(
                "--{option} `{pair}`: the book has no asset `{asset}`; its assets are {}",
                book.assets.join(", ")
            )));
        };
        out[id as usize] = Some(parse_number(value, &format!("--{option} {asset}"))?);
    }
    Ok(out)
}

fn parse_bin_width(text: &str) -> anyhow::Result<BinWidth> {
    let width = match text.trim().strip_suffix('%') {
        Some(percent) => BinWidth::Relative(parse_number(percent, "--bin-width")? / 100.0),
        None => BinWidth::Absolute(parse_number(text, "--bin-width")?),
    };
    if let BinWidth::Relative(w) = width {
        if w >= 1.0 {
            return Err(input(format!(
                "--bin-width {text}: a percentage below 100%"
            )));
        }
    }
    Ok(width)
}

/// Applies `--price` and checks that every collateral asset has a price.
fn apply_prices(
    book: &mut PositionBook,
    prices: &[String],
    notes: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut default = None;
    for price in prices {
        match price.rsplit_once('=') {
            None => default = Some(parse_number(price, "--price")?),
            Some((asset, value)) => {
                let value = parse_number(value, &format!("--price {asset}"))?;
                let Some(id) = book.find_asset(asset) else {
                    return Err(input(format!(
                        "--price {price}: the book has no asset `{asset}`; its assets are {}",
                        book.assets.join(", ")
                    )));
                };
                book.asset_prices[id as usize] = value;
            }
        }
    }
    let mut is_collateral = vec![false; book.assets.len()];
    for &asset in &book.collateral_asset {
        is_collateral[asset as usize] = true;
    }
    let mut is_debt = vec![false; book.assets.len()];
    for &asset in &book.debt_asset {
        if asset != NO_ASSET {
            is_debt[asset as usize] = true;
        }
    }
    for asset in 0..book.assets.len() {
        if book.asset_prices[asset].is_nan() && is_collateral[asset] {
            match default {
                Some(price) => book.asset_prices[asset] = price,
                None => {
                    return Err(input(format!(
                        "no price for collateral asset `{0}`: the file has no `price` column for it; pass --price {0}=USD (or --price USD for every asset without one)",
                        book.assets[asset]
                    )))
                }
            }
        }
        if book.asset_prices[asset].is_nan() && is_debt[asset] {
            notes.push(format!(
                "debt in `{0}` is not valued (no price): pass --price {0}=USD to count it",
                book.assets[asset]
            ));
        }
    }
    Ok(())
}

// The "loaded in / computed in" lines are the only clock reads.
#[allow(clippy::disallowed_methods)]
pub fn run(args: &HeatmapArgs) -> anyhow::Result<()> {
    let format = args.format.resolve(&args.file)?;
    let mut options = LoadOptions {
        max_rows: args.max_rows,
        max_json_bytes: args.max_json_bytes,
        protocol: args.protocol.clone(),
        ..LoadOptions::default()
    };
    for pair in &args.decimals {
        let parsed = pair.rsplit_once('=').and_then(|(token, n)| {
            n.trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| n <= 36)
                .map(|n| (token, n))
        });
        let Some((token, decimals)) = parsed else {
            return Err(input(format!(
                "--decimals `{pair}`: expected TOKEN=N with N from 0 to 36, e.g. ethereum:0x...=6"
            )));
        };
        options.decimals.insert(token.to_string(), decimals);
    }
    if !(args.range > 0.0 && args.range <= 1.0) {
        return Err(input(format!(
            "--range {}: a fraction above 0 and at most 1",
            args.range
        )));
    }
    if !(args.at_risk >= 0.0 && args.at_risk < 1.0) {
        return Err(input(format!(
            "--at-risk {}: a fraction from 0 to below 1",
            args.at_risk
        )));
    }
    // The engine-backed flags too, before the book is loaded (which can take seconds).
    let lowest_shock = CriticalShockSettings::default().lowest;
    if !(args.shock_max > lowest_shock && args.shock_max < 1.0) {
        return Err(input(format!(
            "--shock-max {}: above {lowest_shock} and below 1",
            args.shock_max
        )));
    }
    if args.window == 0 {
        return Err(input(
            "--window 0: the velocity window is at least 1 block".to_string(),
        ));
    }
    let bin_width = parse_bin_width(&args.bin_width)?;

    let started = Instant::now();
    let loaded = load_book(&args.file, format, &options)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let mut book = loaded.book;
    let mut notes = loaded.notes;
    apply_prices(&mut book, &args.prices, &mut notes)?;
    let mut config = MetricsConfig::new(book.assets.len());
    config.bin_width = bin_width;
    config.range = args.range;
    config.at_risk_distance = args.at_risk;
    config.liquidity_usd = per_asset(&book, &args.liquidity, "liquidity")?;
    config.depth_usd = per_asset(&book, &args.depth, "depth")?;
    config.default_penalty = args.penalty;

    let started = Instant::now();
    let metrics = snapshot_metrics(&book, &config);
    let metrics_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let engine = match &args.scenario {
        None => None,
        Some(spec) => {
            let (scenario, origin) = load_scenario(spec)?;
            let scenario = match args.accounts {
                Some(n) => cascade::shock::with_accounts(&scenario, n),
                None => scenario,
            };
            let run = run_at_shock(&scenario, &origin, args.seed, None, args.window)?;
            let settings = CriticalShockSettings {
                highest: args.shock_max,
                min_extra_fall: args.min_extra_fall,
                ..CriticalShockSettings::default()
            };
            let critical = critical_shock(&scenario, &origin, args.seed, settings)?;
            Some(EngineMetrics {
                scenario: spec.clone(),
                seed: args.seed,
                run,
                critical_shock: critical,
            })
        }
    };
    let engine_seconds = started.elapsed().as_secs_f64();

    let report = HeatmapReport {
        cascade_version: cascade::report::VERSION,
        file: args.file.display().to_string(),
        format: format.as_str(),
        prices: book
            .assets
            .iter()
            .zip(&book.asset_prices)
            .map(|(asset, &price)| (asset.clone(), (!price.is_nan()).then_some(price)))
            .collect(),
        notes,
        metrics,
        engine,
    };
    let mut json = serde_json::to_string_pretty(&report)?;
    json.push('\n');
    let html = cascade::html::heatmap_page(&chart_data(&report));
    write_folder_atomically(
        &args.out,
        &[
            ("heatmap.json", json.as_bytes()),
            ("overhang.csv", overhang_csv(&report.metrics).as_bytes()),
            ("report.html", html.as_bytes()),
        ],
    )
    .with_context(|| format!("cannot write the report folder {}", args.out.display()))?;
    if args.json {
        print!("{json}");
        return Ok(());
    }
    println!(
        "{} ({}): {} positions",
        report.file,
        report.format,
        book.len()
    );
    for note in &report.notes {
        println!("note: {note}");
    }
    for overhang in &report.metrics.overhang {
        println!("{}", overhang_table(overhang, &config));
    }
    println!("{}", metrics_table(&report));
    println!(
        "report:   {}/ (heatmap.json, overhang.csv)\nloaded in {load_seconds:.2} s, metrics in {metrics_seconds:.2} s{}",
        args.out.display(),
        if report.engine.is_some() { format!(", engine in {engine_seconds:.2} s") } else { String::new() }
    );
    Ok(())
}

fn overhang_csv(metrics: &SnapshotMetrics) -> String {
    let mut text = String::from("asset,protocol,price_low,price_high,distance_low,distance_high,n_positions,collateral_amount,collateral_usd,debt_usd,cumulative_collateral_usd\n");
    for overhang in metrics.overhang.iter().chain(&metrics.overhang_by_protocol) {
        for bin in &overhang.bins {
            text.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                overhang.asset,
                overhang.protocol.as_deref().unwrap_or(""),
                bin.price_low,
                bin.price_high,
                bin.distance_low,
                bin.distance_high,
                bin.totals.n_positions,
                bin.totals.collateral_amount,
                bin.totals.collateral_usd,
                bin.totals.debt_usd,
                bin.cumulative_collateral_usd
            ));
        }
    }
    text
}

fn overhang_table(overhang: &Overhang, config: &MetricsConfig) -> Table {
    let largest = overhang
        .bins
        .iter()
        .map(|b| b.totals.collateral_usd)
        .fold(overhang.liquidatable_now.collateral_usd, f64::max);
    let bar = |usd: f64| -> String {
        let n = if largest > 0.0 {
            (usd / largest * 30.0).round() as usize
        } else {
            0
        };
        "█".repeat(n)
    };
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        format!("{} overhang (price {:.2})", overhang.asset, overhang.price),
        "fall".into(),
        "positions".into(),
        "collateral".into(),
        "debt".into(),
        "cumulative".into(),
        String::new(),
    ]);
    let mut add = |label: String,
                   fall: String,
                   totals: &cascade_core::metrics::Totals,
                   cumulative: String,
                   with_bar: bool| {
        table.add_row(vec![
            Cell::new(label),
            Cell::new(fall).set_alignment(CellAlignment::Right),
            Cell::new(totals.n_positions).set_alignment(CellAlignment::Right),
            Cell::new(usd(totals.collateral_usd)).set_alignment(CellAlignment::Right),
            Cell::new(usd(totals.debt_usd)).set_alignment(CellAlignment::Right),
            Cell::new(cumulative).set_alignment(CellAlignment::Right),
            Cell::new(if with_bar {
                bar(totals.collateral_usd)
            } else {
                String::new()
            }),
        ]);
    };
    add(
        "liquidatable now".into(),
        "0".into(),
        &overhang.liquidatable_now,
        usd(overhang.liquidatable_now.collateral_usd),
        true,
    );
    let decimals = if overhang.price >= 100.0 { 0 } else { 4 };
    for bin in overhang.bins.iter().filter(|b| b.totals.n_positions > 0) {
        add(
            format!(
                "{:.*} - {:.*}",
                decimals, bin.price_low, decimals, bin.price_high
            ),
            format!(
                "{}-{}",
                percent(bin.distance_low.max(0.0)),
                percent(bin.distance_high)
            ),
            &bin.totals,
            usd(bin.cumulative_collateral_usd),
            true,
        );
    }
    add(
        format!("below {}", percent(config.range)),
        String::new(),
        &overhang.below_range,
        String::new(),
        false,
    );
    add(
        "no liquidation price".into(),
        String::new(),
        &overhang.no_liquidation_price,
        String::new(),
        false,
    );
    add(
        "total".into(),
        String::new(),
        &overhang.total,
        String::new(),
        false,
    );
    table
}

fn opt(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "n/a".into(), show)
}

fn metrics_table(report: &HeatmapReport) -> Table {
    let metrics = &report.metrics;
    let band = percent(metrics.at_risk_distance);
    let mut rows: Vec<(String, String)> = Vec::new();
    for pld in &metrics.price_to_liquidation_distance {
        rows.push((
            format!(
                "{} price-to-liquidation distance (weighted mean)",
                pld.asset
            ),
            opt(pld.weighted_mean_distance, percent),
        ));
        rows.push((
            format!("{} distance to the largest cluster", pld.asset),
            match (&pld.largest_cluster, pld.distance_to_largest_cluster) {
                (Some(bin), Some(d)) => format!(
                    "{} ({:.2}-{:.2}, {})",
                    percent(d),
                    bin.price_low,
                    bin.price_high,
                    usd(bin.totals.collateral_usd)
                ),
                _ => "n/a".into(),
            },
        ));
    }
    for ceiling in &metrics.leverage_ceiling {
        rows.push((
            format!(
                "{} {} K-value 1/(1-LTV) (buffer LT-LTV)",
                ceiling.protocol, ceiling.asset
            ),
            format!(
                "{:.2}x at LTV {} ({}; realised {})",
                ceiling.k_value,
                percent(ceiling.ltv),
                opt(ceiling.buffer, percent),
                opt(ceiling.realised_leverage, |l| format!("{l:.2}x"))
            ),
        ));
    }
    if metrics.leverage_ceiling.is_empty() {
        rows.push((
            "K-value / leverage ceiling".into(),
            "n/a (no ltv in the book)".into(),
        ));
    }
    for asset in &metrics.at_risk {
        rows.push((
            format!("{} collateral at risk (within {band})", asset.asset),
            format!(
                "{} in {} positions",
                usd(asset.at_risk_collateral_usd),
                asset.n_positions_at_risk
            ),
        ));
        rows.push((
            format!("{} margin-to-liquidity", asset.asset),
            match asset.margin_to_liquidity {
                Some(r) => format!(
                    "{r:.3} (liquidity {})",
                    usd(asset.liquidity_usd.unwrap_or(0.0))
                ),
                None => "n/a (no liquidity: --liquidity ASSET=USD)".into(),
            },
        ));
        rows.push((
            format!("{} (L*P)/D rule", asset.asset),
            match (asset.lpd_ratio, asset.penalty, asset.depth_usd) {
                (Some(r), Some(p), Some(d)) => format!(
                    "{r:.3} = {} x {} / {}{}",
                    usd(asset.at_risk_collateral_usd),
                    percent(p),
                    usd(d),
                    if r > 1.0 { " > 1: death spiral" } else { "" }
                ),
                (_, None, _) => "n/a (no penalty: --penalty)".into(),
                _ => "n/a (no depth: --depth ASSET=USD)".into(),
            },
        ));
    }
    let debt = &metrics.systemic_debt;
    rows.push((
        "Systemic debt ratio (at-risk debt / TVL)".to_string(),
        opt(debt.ratio, |r| {
            format!(
                "{} ({} / {}{})",
                percent(r),
                usd(debt.at_risk_debt_usd),
                usd(debt.tvl_usd),
                if debt.debt_known_share < 1.0 {
                    format!("; debt known for {}", percent(debt.debt_known_share))
                } else {
                    String::new()
                }
            )
        }),
    ));
    let concentration = &metrics.concentration;
    rows.push((
        "At-risk collateral held by the top 1% of owners".into(),
        opt(concentration.top_share, |s| {
            format!(
                "{} ({} of {} owners)",
                percent(s),
                concentration.n_top_owners,
                concentration.n_owners_at_risk
            )
        }),
    ));
    match &report.engine {
        None => rows.push((
            "Measured amplification, velocity, critical shock".into(),
            "not run (--scenario NAME)".into(),
        )),
        Some(engine) => {
            let summary = &engine.run.summary;
            rows.push((
                format!("Measured amplification ({})", engine.scenario),
                format!(
                    "{:.3}x (shock -{}, final -{})",
                    summary.amplification,
                    percent(summary.initial_shock),
                    percent(summary.final_drawdown)
                ),
            ));
            let v = &engine.run.velocity;
            rows.push((
                "Liquidation velocity (peak per block / per window)".into(),
                format!(
                    "{} (block {}) / {} in {} blocks",
                    v.peak_per_block, v.peak_block, v.peak_per_window, v.window_blocks
                ),
            ));
            rows.push((
                format!(
                    "Critical shock (amplification >= {:.2})",
                    1.0 + engine.critical_shock.settings.min_extra_fall
                ),
                match engine.critical_shock.result {
                    CriticalShock::Bracketed {
                        calm,
                        cascading,
                        evaluations,
                    } => format!(
                        "-{} (calm at -{}; {evaluations} runs)",
                        percent(cascading),
                        percent(calm)
                    ),
                    CriticalShock::BelowRange { lowest, .. } => {
                        format!("below -{}", percent(lowest))
                    }
                    CriticalShock::AboveRange { highest, .. } => {
                        format!("none up to -{}", percent(highest))
                    }
                },
            ));
        }
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["cascade heatmap", ""]);
    for (name, value) in rows {
        table.add_row(vec![
            Cell::new(name),
            Cell::new(value).set_alignment(CellAlignment::Right),
        ]);
    }
    table
}

/// The heatmap report as the page's input: per asset, its bins (all protocols), the bins split by
/// protocol when the book has several, the current price and the PLD price
/// `price * (1 - weighted mean distance)`.
fn chart_data(report: &HeatmapReport) -> cascade::html::HeatmapChartData {
    use cascade::html::{
        HeatmapChartData, OverhangBinData, OverhangChartData, ProtocolOverhangData,
    };
    let metrics = &report.metrics;
    let assets = metrics
        .overhang
        .iter()
        .map(|overhang| {
            let pld = metrics
                .price_to_liquidation_distance
                .iter()
                .find(|p| p.asset == overhang.asset)
                .and_then(|p| p.weighted_mean_distance)
                .map(|distance| overhang.price * (1.0 - distance));
            let per_protocol: Vec<_> = metrics
                .overhang_by_protocol
                .iter()
                .filter(|o| o.asset == overhang.asset && o.bins.len() == overhang.bins.len())
                .collect();
            let by_protocol = if per_protocol.len() > 1 {
                per_protocol
                    .iter()
                    .map(|o| ProtocolOverhangData {
                        protocol: o.protocol.clone().unwrap_or_default(),
                        collateral_usd: o.bins.iter().map(|b| b.totals.collateral_usd).collect(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            OverhangChartData {
                asset: overhang.asset.clone(),
                current_price: overhang.price,
                pld_price: pld,
                bins: overhang
                    .bins
                    .iter()
                    .map(|b| OverhangBinData {
                        price_low: b.price_low,
                        price_high: b.price_high,
                        collateral_usd: b.totals.collateral_usd,
                        n_positions: b.totals.n_positions,
                    })
                    .collect(),
                by_protocol,
                liquidatable_now_usd: overhang.liquidatable_now.collateral_usd,
            }
        })
        .collect();
    HeatmapChartData {
        title: report.file.clone(),
        meta: vec![
            format!("format: {}", report.format),
            format!("{} positions", metrics.n_positions),
        ],
        notes: report.notes.clone(),
        assets,
        files: vec![
            ("heatmap.json".into(), "every metric".into()),
            ("overhang.csv".into(), "the overhang bins".into()),
        ],
    }
}
