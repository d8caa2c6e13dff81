//! One function per report type, each building a [`Page`] from that command's results:
//! [`run_page`], [`stress_page`], [`sweep_page`], and [`heatmap_page`] and [`compare_page`] over
//! small input structs of their own ([`HeatmapChartData`], [`CompareChartData`]) that those
//! commands fill from their results.

use cascade_core::engine::{Market, Simulation};
use cascade_core::ids::AssetId;
use cascade_core::oracle::{OracleKind, PriceSource};
use cascade_core::report::BlockRecord;
use cascade_core::stats::Distribution;

use super::{
    histogram, thin_line, Axis, Cell, Chart, Format, Marker, Page, Series, SeriesData, SeriesKind,
    Table,
};
use crate::report::{RunReport, VERSION};
use crate::stress::{EngineUsed, StressOutput};
use crate::sweep::SweepReport;

const INK: &str = "#111827";
const GREY: &str = "#6b7280";
const VENUE_COLORS: [&str; 4] = ["#2563eb", "#0891b2", "#7c3aed", "#0d9488"];
const ORACLE_COLORS: [&str; 4] = ["#d97706", "#db2777", "#92400e", "#65a30d"];
const SERIES_COLORS: [&str; 6] = [
    "#2563eb", "#d97706", "#0d9488", "#7c3aed", "#db2777", "#65a30d",
];
const RED: &str = "#dc2626";
const AMBER: &str = "#d97706";
const BLUE: &str = "#2563eb";

/// Lines of more points than this many times 4 are thinned (see [`thin_line`]).
const LINE_BUCKETS: usize = 1500;
/// Bars per chart at most; longer runs sum consecutive blocks into one bar.
const MAX_BARS: usize = 4000;

use crate::format::{percent, price, usd};

fn share(count: usize, total: usize) -> String {
    percent(count as f64 / total.max(1) as f64)
}

/// The asset an oracle prices: that of its first source that is a venue, a reference or another
/// oracle (`None` for constants only).
fn oracle_asset(market: &Market, oracle: usize) -> Option<AssetId> {
    let sources: Vec<PriceSource> = match &market.oracles[oracle].kind {
        OracleKind::Spot { source }
        | OracleKind::Twap { source, .. }
        | OracleKind::Push { source, .. }
        | OracleKind::Osm { source, .. } => vec![*source],
        OracleKind::Median { sources } => sources.clone(),
    };
    sources.into_iter().find_map(|source| match source {
        PriceSource::Venue(venue) => Some(market.venues[venue.index()].asset),
        PriceSource::Reference(asset) => Some(asset),
        // An oracle reads only oracles before it, so this ends.
        PriceSource::Oracle(other) if other.index() < oracle => oracle_asset(market, other.index()),
        _ => None,
    })
}

fn block_line(blocks: &[BlockRecord], value: impl Fn(&BlockRecord) -> f64) -> SeriesData {
    let points: Vec<[f64; 2]> = blocks
        .iter()
        .map(|record| [record.block as f64, value(record)])
        .collect();
    SeriesData::Points(thin_line(&points, LINE_BUCKETS))
}

/// Per-block bars, summed over runs of `per_bar` blocks so that there are at most [`MAX_BARS`].
fn block_bars(blocks: &[BlockRecord], value: impl Fn(&BlockRecord) -> f64) -> (SeriesData, usize) {
    let per_bar = blocks.len().div_ceil(MAX_BARS).max(1);
    let bars = blocks
        .chunks(per_bar)
        .map(|run| [run[0].block as f64, run.iter().map(&value).sum()])
        .collect();
    (SeriesData::Points(bars), per_bar)
}

/// The last block of a zoom on the cascade's active phase: one and a half times the block by which
/// 90% of the run's liquidated value had been seized (at least 20 blocks); `None` when nothing was
/// liquidated or when that is most of the run anyway.
fn cascade_window(blocks: &[BlockRecord]) -> Option<usize> {
    let total: f64 = blocks.iter().map(|r| r.collateral_seized_usd).sum();
    if total <= 0.0 {
        return None;
    }
    let mut seized = 0.0;
    let at_90 = blocks.iter().position(|r| {
        seized += r.collateral_seized_usd;
        seized >= 0.9 * total
    })?;
    let end = (at_90 + at_90 / 2).max(20);
    (end < blocks.len() * 6 / 10).then_some(end)
}

/// Prices of the primary asset over `blocks` (reference, exogenous path, its venues and oracles)
/// with liquidation calls as bars on the right axis.
fn price_chart(
    id: &str,
    title: &str,
    blocks: &[BlockRecord],
    market: &Market,
    primary: usize,
    symbol: &str,
    note: String,
) -> Chart {
    let block_seconds = market.chain.block_time_seconds;
    let (liquidation_bars, per_bar) = block_bars(blocks, |r| f64::from(r.n_liquidations));
    let bar_unit = if per_bar == 1 {
        "per block".to_string()
    } else {
        format!("per {per_bar} blocks")
    };
    let mut chart = Chart::new(
        id,
        format!("{title}: {symbol} price and liquidations {bar_unit}"),
        Axis::linear(format!("block ({block_seconds} s each)"), Format::Integer),
        Axis::linear(format!("{symbol} price (USD)"), Format::Price),
    )
    .with_y2(Axis::from_zero(
        format!("liquidation calls {bar_unit}"),
        Format::Integer,
    ))
    .series(Series::new(
        format!("{symbol} exogenous path (no cascade)"),
        SeriesKind::Dashed,
        GREY,
        block_line(blocks, |r| r.exogenous_prices[primary]),
    ))
    .series(Series::new(
        format!("{symbol} reference"),
        SeriesKind::Line,
        INK,
        block_line(blocks, |r| r.reference_prices[primary]),
    ));
    let venues = market
        .venues
        .iter()
        .enumerate()
        .filter(|(_, venue)| venue.asset.index() == primary);
    for (n, (index, venue)) in venues.enumerate() {
        chart = chart.series(Series::new(
            format!("venue {}", venue.name),
            SeriesKind::Line,
            VENUE_COLORS[n % VENUE_COLORS.len()],
            block_line(blocks, |r| r.venue_prices[index]),
        ));
    }
    let oracles = (0..market.oracles.len())
        .filter(|&index| oracle_asset(market, index).map(AssetId::index) == Some(primary));
    for (n, index) in oracles.enumerate() {
        chart = chart.series(Series::new(
            format!(
                "oracle {} (as protocols see it)",
                market.oracles[index].name
            ),
            SeriesKind::Line,
            ORACLE_COLORS[n % ORACLE_COLORS.len()],
            block_line(blocks, |r| r.oracle_prices[index]),
        ));
    }
    let thinned = if blocks.len() > 4 * LINE_BUCKETS {
        format!(
            " {} blocks: each line keeps the first, lowest, highest and last value of every run of \
             {} blocks.",
            blocks.len(),
            blocks.len().div_ceil(LINE_BUCKETS)
        )
    } else {
        String::new()
    };
    chart.note = Some(format!("{note}{thinned}"));
    chart.series(
        Series::new(
            format!("liquidation calls {bar_unit} (right axis)"),
            SeriesKind::Bars,
            RED,
            liquidation_bars,
        )
        .on_y2(),
    )
}

/// The page of `cascade run`: prices of the primary asset with liquidations per block, cumulative
/// bad debt and liquidated value, and the report's numbers.
pub fn run_page(report: &RunReport, simulation: &Simulation) -> String {
    let summary = &report.summary;
    let market = simulation.market();
    let blocks = simulation.blocks();
    let block_seconds = market.chain.block_time_seconds;
    let symbol = &summary.primary_asset;
    let primary = market
        .assets
        .iter()
        .position(|asset| &asset.symbol == symbol)
        .unwrap_or(0);

    let mut page = Page::new(format!("cascade run: {}", report.scenario_name));
    page.meta(format!(
        "seed {} · {} blocks of {block_seconds} s simulated · stopped: {} · cascade {}",
        report.seed,
        summary.blocks_simulated,
        summary.stop_reason.as_str(),
        report.cascade_version
    ));

    page.heading("Key numbers");
    page.key_values(
        "Summary",
        crate::format::summary_rows(summary, block_seconds),
    );
    if let Some(attack) = &report.attack {
        page.key_values(
            "Oracle manipulation attack",
            crate::format::attack_rows(attack),
        );
    }

    page.heading(format!("{symbol}: prices and liquidations"));
    let note = format!(
        "{symbol} is the primary asset, the one whose exogenous path falls furthest. The reference \
         price is the exogenous path times the permanent impact of liquidation sales; venues are \
         pulled toward it by arbitrage; oracles publish what protocols see. Bars: liquidation \
         calls (right axis)."
    );
    if let Some(end) = cascade_window(blocks) {
        page.chart(price_chart(
            "prices-cascade",
            &format!("The cascade: blocks 0 to {end}"),
            &blocks[..=end],
            market,
            primary,
            symbol,
            format!(
                "{note} The blocks up to one and a half times the block by which 90% of the \
                     liquidated value had been seized; the whole run is below."
            ),
        ));
    }
    page.chart(price_chart(
        "prices",
        "The whole run",
        blocks,
        market,
        primary,
        symbol,
        note,
    ));
    let mut seized_so_far = 0.0;
    let cumulative_seized: Vec<f64> = blocks
        .iter()
        .map(|r| {
            seized_so_far += r.collateral_seized_usd;
            seized_so_far
        })
        .collect();
    let seized_points: Vec<[f64; 2]> = blocks
        .iter()
        .zip(&cumulative_seized)
        .map(|(r, total)| [r.block as f64, *total])
        .collect();
    page.chart(
        Chart::new(
            "losses",
            "Cumulative bad debt and liquidated value",
            Axis::linear(format!("block ({block_seconds} s each)"), Format::Integer),
            Axis::from_zero("cumulative bad debt (USD)", Format::Usd),
        )
        .with_y2(Axis::from_zero(
            "cumulative collateral seized (USD)",
            Format::Usd,
        ))
        .series(Series::new(
            "bad debt (left axis)",
            SeriesKind::Line,
            RED,
            block_line(blocks, |r| r.cumulative_bad_debt_usd),
        ))
        .series(
            Series::new(
                "collateral seized (right axis)",
                SeriesKind::Line,
                BLUE,
                SeriesData::Points(thin_line(&seized_points, LINE_BUCKETS)),
            )
            .on_y2(),
        )
        .with_note(
            "Bad debt: debt left with no collateral when a liquidation took an account's last \
             collateral. Collateral seized is the liquidated value, at the oracle prices of each \
             call.",
        ),
    );

    page.heading("Assets, protocols and keepers");
    let mut assets = Table::new(
        "Assets",
        &[
            "asset",
            "initial price",
            "end of exogenous path",
            "final reference",
            "lowest venue price",
        ],
    );
    for asset in &report.assets {
        assets.row(vec![
            Cell::Text(asset.symbol.clone()),
            Cell::Number(price(asset.initial_price)),
            Cell::Number(price(asset.shocked_price)),
            Cell::Number(price(asset.final_reference_price)),
            Cell::Number(asset.lowest_venue_price.map_or("–".into(), price)),
        ]);
    }
    page.table(assets);
    let mut protocols = Table::new(
        "Protocols (at block-0 prices)",
        &["protocol", "accounts", "collateral", "debt"],
    );
    for protocol in &report.protocols {
        protocols.row(vec![
            Cell::Text(protocol.name.clone()),
            Cell::Number(protocol.n_accounts.to_string()),
            Cell::Number(usd(protocol.collateral_usd_initial)),
            Cell::Number(usd(protocol.debt_usd_initial)),
        ]);
    }
    page.table(protocols);
    let mut keepers = Table::new(
        "Keepers",
        &["keeper", "liquidations", "debt repaid", "profit"],
    );
    for keeper in &report.keepers {
        keepers.row(vec![
            Cell::Text(keeper.name.clone()),
            Cell::Number(keeper.n_liquidations.to_string()),
            Cell::Number(usd(keeper.debt_repaid_usd)),
            Cell::Number(usd(keeper.profit_usd)),
        ]);
    }
    page.table(keepers);

    page.heading("Files");
    page.files(&[
        (
            "report.json",
            "summary, per-asset, protocol and keeper results, the scenario as run",
        ),
        (
            "blocks.csv",
            "one row per block: prices, liquidations, bad debt",
        ),
        ("liquidations.csv", "one row per liquidation call"),
    ]);
    page.render()
}

fn bins_for(n: usize) -> usize {
    ((n as f64).sqrt().ceil() as usize).clamp(10, 60)
}

/// VaR and ES lines of a loss distribution.
fn risk_markers(chart: Chart, distribution: &Distribution) -> Chart {
    chart
        .marker(Marker::x(distribution.var_95, "VaR 95", AMBER, true))
        .marker(Marker::x(distribution.var_99, "VaR 99", RED, true))
        .marker(Marker::x(distribution.es_95, "ES 95", AMBER, false))
        .marker(Marker::x(distribution.es_99, "ES 99", RED, false))
}

fn loss_histogram(
    id: &str,
    what: &str,
    values: &[f64],
    distribution: &Distribution,
    color: &str,
) -> Chart {
    let n_zero = values.iter().filter(|v| **v <= 0.0).count();
    let n_positive = values.len() - n_zero;
    let bins = histogram(values, bins_for(n_positive));
    let left_out = if n_positive == 0 {
        format!("No path had any {what}: there is nothing to draw but the lines, all at $0. ")
    } else if n_zero > 0 {
        format!(
            "{n_zero} of {} paths ({}) had no {what} and are not drawn. ",
            values.len(),
            share(n_zero, values.len())
        )
    } else {
        String::new()
    };
    let chart = Chart::new(
        id,
        format!("Distribution of {what} over paths"),
        Axis::from_zero(format!("{what} on the path (USD)"), Format::Usd),
        Axis::from_zero("paths", Format::Integer),
    )
    .series(Series::new(
        "paths per bin",
        SeriesKind::Bins,
        color,
        SeriesData::Bins(bins),
    ))
    .with_note(format!(
        "{left_out}VaR a: the {what} that a share a of the paths stay at or below (the lower \
         empirical quantile, always a path's own value); ES a: the mean {what} of the worst (1 - a) \
         share of paths. Both over all paths."
    ));
    risk_markers(chart, distribution)
}

/// The page of `cascade stress`: the distribution table, histograms of bad debt and liquidated
/// value with their VaR and ES lines, and the worst paths.
pub fn stress_page(output: &StressOutput) -> String {
    let report = &output.report;
    let stats = &report.statistics;
    let mut page = Page::new(format!("cascade stress: {}", report.scenario_name));
    let engine = match &report.engine {
        EngineUsed::FastPath => "sorted-book fast path".to_string(),
        EngineUsed::FullEngine { reason } => format!("full engine ({reason})"),
    };
    page.meta(format!(
        "{} paths × {} blocks · seed {} · engine: {engine} · cascade {VERSION}",
        report.paths, report.path_blocks, report.seed
    ));

    page.heading("Key numbers");
    page.key_values(
        "Probabilities over paths",
        vec![
            (
                "Cascade probability".into(),
                percent(stats.cascade_probability),
            ),
            (
                "Paths with bad debt".into(),
                percent(stats.bad_debt_probability),
            ),
            (
                "Paths with liquidations".into(),
                percent(stats.liquidation_probability),
            ),
        ],
    );
    page.paragraph(format!("Cascade: {}.", stats.cascade_definition));
    let mut table = Table::new(
        "Distributions over paths",
        &[
            "quantity", "mean", "p50", "p95", "p99", "VaR 95", "VaR 99", "ES 95", "ES 99", "max",
        ],
    );
    let amplification_name = format!(
        "amplification ({} shocked paths)",
        stats.amplification.as_ref().map_or(0, |d| d.n)
    );
    type Show = fn(f64) -> String;
    let rows: [(&str, Option<&Distribution>, Show); 5] = [
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
    for (name, distribution, show) in rows {
        let Some(d) = distribution else { continue };
        let mut cells = vec![Cell::Text(name.to_string())];
        for value in [
            d.mean, d.p50, d.p95, d.p99, d.var_95, d.var_99, d.es_95, d.es_99, d.max,
        ] {
            cells.push(Cell::Number(show(value)));
        }
        table.row(cells);
    }
    page.table(table);

    page.heading("Loss distributions");
    let bad_debt: Vec<f64> = output.results.iter().map(|r| r.bad_debt_usd).collect();
    let liquidated: Vec<f64> = output
        .results
        .iter()
        .map(|r| r.liquidated_value_usd)
        .collect();
    page.chart(loss_histogram(
        "bad-debt",
        "bad debt",
        &bad_debt,
        &stats.bad_debt_usd,
        RED,
    ));
    page.chart(loss_histogram(
        "liquidated-value",
        "liquidated value",
        &liquidated,
        &stats.liquidated_value_usd,
        BLUE,
    ));

    page.heading("Worst paths");
    let mut worst = Table::new(
        "The paths with the most bad debt, each re-runnable alone",
        &[
            "path",
            "bad debt",
            "liquidated",
            "equilibrium drawdown",
            "amplification",
            "re-run",
        ],
    );
    for path in &report.worst_paths {
        worst.row(vec![
            Cell::Number(path.path.to_string()),
            Cell::Number(usd(path.bad_debt_usd)),
            Cell::Number(usd(path.liquidated_value_usd)),
            Cell::Number(percent(path.equilibrium_drawdown)),
            Cell::Number(
                path.amplification
                    .map_or("–".into(), |a| format!("{a:.3}x")),
            ),
            Cell::Code(path.rerun.clone()),
        ]);
    }
    page.table(worst);

    page.heading("Files");
    page.files(&[
        (
            "summary.json",
            "the statistics, the engine used and the worst paths",
        ),
        ("paths.csv", "one row per path"),
        ("paths.parquet", "the same columns as Parquet"),
    ]);
    page.render()
}

/// The page of `cascade sweep`: bad-debt VaR 99 against max LTV for every grid point, the Pareto
/// frontier highlighted and joined, and the table of points.
pub fn sweep_page(report: &SweepReport) -> String {
    let mut page = Page::new(format!("cascade sweep: {}", report.scenario_name));
    page.meta(format!(
        "{} grid points × {} paths each · seed {} · axes: {} · cascade {VERSION}",
        report.points.len(),
        report.paths,
        report.seed,
        report.axes.join(", ")
    ));
    let name = |point: &crate::sweep::SweepPoint| {
        report
            .axes
            .iter()
            .map(|axis| format!("{axis}={}", point.parameters[axis]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all: Vec<[f64; 2]> = report
        .points
        .iter()
        .map(|p| [p.max_ltv, p.bad_debt_usd.var_99])
        .collect();
    let mut frontier: Vec<&crate::sweep::SweepPoint> =
        report.points.iter().filter(|p| p.pareto).collect();
    frontier.sort_by(|a, b| {
        a.max_ltv
            .total_cmp(&b.max_ltv)
            .then(a.bad_debt_usd.var_99.total_cmp(&b.bad_debt_usd.var_99))
    });
    let mut points = Series::new(
        "grid point",
        SeriesKind::Points,
        GREY,
        SeriesData::Points(all),
    );
    points.labels = report.points.iter().map(name).collect();
    let mut pareto = Series::new(
        "Pareto frontier",
        SeriesKind::Frontier,
        RED,
        SeriesData::Points(
            frontier
                .iter()
                .map(|p| [p.max_ltv, p.bad_debt_usd.var_99])
                .collect(),
        ),
    );
    pareto.labels = frontier.iter().map(|p| name(p)).collect();
    page.heading("Risk against capital efficiency");
    page.chart(
        Chart::new(
            "frontier",
            "Bad-debt VaR 99 against max LTV",
            Axis::linear(
                "max LTV of the primary asset (capital efficiency)",
                Format::Percent,
            ),
            Axis::from_zero("bad-debt VaR 99 over the paths (USD)", Format::Usd),
        )
        .series(points)
        .series(pareto)
        .with_note(
            "One marker per grid point. A point is on the Pareto frontier when no other point has \
             a lower-or-equal bad-debt VaR 99 and a higher-or-equal max LTV, one of them strictly: \
             moving along the frontier trades risk for borrowing power.",
        ),
    );
    let mut header: Vec<&str> = report.axes.iter().map(String::as_str).collect();
    header.extend([
        "max LTV",
        "debt / collateral",
        "bad debt mean",
        "VaR 95",
        "VaR 99",
        "ES 99",
        "liquidated VaR 99",
        "P(cascade)",
        "Pareto",
    ]);
    let mut table = Table::new("Grid points", &header);
    for point in &report.points {
        let mut cells: Vec<Cell> = report
            .axes
            .iter()
            .map(|axis| Cell::Code(point.parameters[axis].clone()))
            .collect();
        cells.extend([
            Cell::Number(percent(point.max_ltv)),
            Cell::Number(percent(point.debt_to_collateral)),
            Cell::Number(usd(point.bad_debt_usd.mean)),
            Cell::Number(usd(point.bad_debt_usd.var_95)),
            Cell::Number(usd(point.bad_debt_usd.var_99)),
            Cell::Number(usd(point.bad_debt_usd.es_99)),
            Cell::Number(usd(point.liquidated_value_usd.var_99)),
            Cell::Number(percent(point.cascade_probability)),
            Cell::Text(if point.pareto { "yes" } else { "" }.into()),
        ]);
        table.row(cells);
    }
    page.table(table);
    page.heading("Files");
    page.files(&[
        (
            "sweep.json",
            "every point's parameters, distributions and Pareto flag",
        ),
        ("sweep.csv", "one row per point"),
    ]);
    page.render()
}

/// What [`heatmap_page`] draws: the liquidation overhang of a position book, per asset.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapChartData {
    /// What the book is (a file name, a scenario), for the title.
    pub title: String,
    /// Lines under the title (prices used, bin width, cascade version...).
    pub meta: Vec<String>,
    /// Paragraphs after the charts (the command's notes).
    pub notes: Vec<String>,
    pub assets: Vec<OverhangChartData>,
    /// The files written beside report.html: (file name, what it holds).
    pub files: Vec<(String, String)>,
}

/// The overhang of one collateral asset.
#[derive(Debug, Clone, PartialEq)]
pub struct OverhangChartData {
    pub asset: String,
    /// The asset's price now (USD).
    pub current_price: f64,
    /// The price at the collateral-weighted mean price-to-liquidation distance (PLD):
    /// `current_price * (1 - distance)`; `None` when no position has a liquidation price.
    pub pld_price: Option<f64>,
    /// Price bins, in any order, not overlapping.
    pub bins: Vec<OverhangBinData>,
    /// Optional split of each bin by protocol (drawn stacked, in this order): each row has one
    /// value per bin, in the order of `bins`, adding up to the bin's `collateral_usd`. Empty: the
    /// totals are drawn.
    pub by_protocol: Vec<ProtocolOverhangData>,
    /// Collateral of positions already liquidatable at the current price (USD).
    pub liquidatable_now_usd: f64,
}

/// The positions whose liquidation price lies in `[price_low, price_high)`.
#[derive(Debug, Clone, PartialEq)]
pub struct OverhangBinData {
    pub price_low: f64,
    pub price_high: f64,
    /// Their collateral at the current price (USD).
    pub collateral_usd: f64,
    pub n_positions: u64,
}

/// One protocol's share of every bin.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolOverhangData {
    pub protocol: String,
    /// USD per bin, in the order of [`OverhangChartData::bins`].
    pub collateral_usd: Vec<f64>,
}

/// The page of `cascade heatmap`: per asset, the collateral that becomes liquidatable in each price
/// bin below the current price, the current price and the PLD marked, and a table of the numbers.
///
/// # Panics
///
/// When a protocol row of `by_protocol` has a different number of values than there are bins.
pub fn heatmap_page(data: &HeatmapChartData) -> String {
    let mut page = Page::new(format!("cascade heatmap: {}", data.title));
    for line in &data.meta {
        page.meta(line.clone());
    }
    let mut numbers = Table::new(
        "Per asset",
        &[
            "asset",
            "current price",
            "PLD price",
            "PLD distance",
            "liquidatable now",
            "in the bins",
            "largest bin",
        ],
    );
    let mut charts = Vec::with_capacity(data.assets.len());
    for (index, asset) in data.assets.iter().enumerate() {
        let mut order: Vec<usize> = (0..asset.bins.len()).collect();
        order.sort_by(|&a, &b| asset.bins[a].price_low.total_cmp(&asset.bins[b].price_low));
        let bins = |values: &dyn Fn(usize) -> f64| -> Vec<[f64; 3]> {
            order
                .iter()
                .map(|&i| [asset.bins[i].price_low, asset.bins[i].price_high, values(i)])
                .collect()
        };
        let mut chart = Chart::new(
            &format!("overhang-{index}"),
            format!(
                "{}: collateral that becomes liquidatable, by price",
                asset.asset
            ),
            Axis::linear(format!("{} price (USD)", asset.asset), Format::Price),
            Axis::from_zero("collateral liquidatable in the bin (USD)", Format::Usd),
        );
        if asset.by_protocol.is_empty() {
            chart = chart.series(Series::new(
                "all positions",
                SeriesKind::Bins,
                BLUE,
                SeriesData::Bins(bins(&|i| asset.bins[i].collateral_usd)),
            ));
        } else {
            let mut below = vec![0.0; asset.bins.len()];
            for (n, protocol) in asset.by_protocol.iter().enumerate() {
                assert_eq!(
                    protocol.collateral_usd.len(),
                    asset.bins.len(),
                    "overhang of {}: protocol {} has {} values for {} bins",
                    asset.asset,
                    protocol.protocol,
                    protocol.collateral_usd.len(),
                    asset.bins.len()
                );
                for (total, value) in below.iter_mut().zip(&protocol.collateral_usd) {
                    *total += value;
                }
                let mut series = Series::new(
                    protocol.protocol.clone(),
                    SeriesKind::Bins,
                    SERIES_COLORS[n % SERIES_COLORS.len()],
                    SeriesData::Bins(bins(&|i| below[i])),
                );
                series.fill_to_previous = n > 0;
                chart = chart.series(series);
            }
        }
        chart = chart.marker(Marker::x(asset.current_price, "current price", INK, false));
        if let Some(pld) = asset.pld_price {
            chart = chart.marker(Marker::x(pld, "PLD", AMBER, true));
        }
        charts.push(chart.with_note(
            "Each bin holds the collateral of the positions whose liquidation price lies in it: \
             what a fall to that price would make liquidatable. PLD: the collateral-weighted \
             mean price-to-liquidation distance, drawn as the price it leads to.",
        ));
        let largest = asset
            .bins
            .iter()
            .max_by(|a, b| a.collateral_usd.total_cmp(&b.collateral_usd));
        numbers.row(vec![
            Cell::Text(asset.asset.clone()),
            Cell::Number(price(asset.current_price)),
            Cell::Number(asset.pld_price.map_or("–".into(), price)),
            Cell::Number(
                asset
                    .pld_price
                    .map_or("–".into(), |p| percent(1.0 - p / asset.current_price)),
            ),
            Cell::Number(usd(asset.liquidatable_now_usd)),
            Cell::Number(usd(asset.bins.iter().map(|b| b.collateral_usd).sum())),
            Cell::Number(largest.map_or("–".into(), |b| {
                format!(
                    "{} at {}–{}",
                    usd(b.collateral_usd),
                    price(b.price_low),
                    price(b.price_high)
                )
            })),
        ]);
    }
    page.heading("Key numbers");
    page.table(numbers);
    for note in &data.notes {
        page.paragraph(note.clone());
    }
    page.heading("Liquidation overhang");
    for chart in charts {
        page.chart(chart);
    }
    files_section(&mut page, &data.files);
    page.render()
}

fn files_section(page: &mut Page, files: &[(String, String)]) {
    if files.is_empty() {
        return;
    }
    page.heading("Files");
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, what)| (name.as_str(), what.as_str()))
        .collect();
    page.files(&files);
}

/// What [`compare_page`] draws: one scenario run under several liquidation mechanisms.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareChartData {
    /// The scenario's name, for the title.
    pub title: String,
    pub meta: Vec<String>,
    pub notes: Vec<String>,
    pub rows: Vec<CompareRow>,
    pub files: Vec<(String, String)>,
}

/// One mechanism's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub mechanism: String,
    /// Price of the primary asset at equilibrium (USD).
    pub equilibrium_price: f64,
    /// Fractions of the initial price: `1 - equilibrium / initial`, `1 - lowest / initial`.
    pub equilibrium_drawdown: f64,
    pub max_drawdown: f64,
    /// `equilibrium_drawdown / exogenous shock`.
    pub amplification: f64,
    pub n_liquidations: u64,
    pub liquidated_value_usd: f64,
    pub bad_debt_usd: f64,
    /// More table columns, already formatted: (column name, value); the same names on every row.
    pub extra: Vec<(String, String)>,
}

/// The page of `cascade compare`: bars of bad debt, liquidated value and drawdowns per mechanism,
/// and the table of every number.
pub fn compare_page(data: &CompareChartData) -> String {
    let mut page = Page::new(format!("cascade compare: {}", data.title));
    for line in &data.meta {
        page.meta(line.clone());
    }
    let names: Vec<String> = data.rows.iter().map(|r| r.mechanism.clone()).collect();
    let values = |f: fn(&CompareRow) -> f64| SeriesData::Values(data.rows.iter().map(f).collect());
    let mechanisms = || Axis::categories("liquidation mechanism", names.clone());
    page.heading("Outcomes by mechanism");
    page.chart(
        Chart::new(
            "bad-debt",
            "Bad debt by mechanism",
            mechanisms(),
            Axis::from_zero("bad debt (USD)", Format::Usd),
        )
        .series(Series::new(
            "bad debt",
            SeriesKind::Bars,
            RED,
            values(|r| r.bad_debt_usd),
        )),
    );
    page.chart(
        Chart::new(
            "liquidated-value",
            "Liquidated value by mechanism",
            mechanisms(),
            Axis::from_zero("collateral seized (USD)", Format::Usd),
        )
        .series(Series::new(
            "liquidated value",
            SeriesKind::Bars,
            BLUE,
            values(|r| r.liquidated_value_usd),
        )),
    );
    page.chart(
        Chart::new(
            "drawdown",
            "Price fall by mechanism",
            mechanisms(),
            Axis::from_zero("fall from the initial price", Format::Percent),
        )
        .series(Series::new(
            "at equilibrium",
            SeriesKind::Bars,
            INK,
            values(|r| r.equilibrium_drawdown),
        ))
        .series(Series::new(
            "lowest",
            SeriesKind::Bars,
            AMBER,
            values(|r| r.max_drawdown),
        )),
    );
    let mut header = vec![
        "mechanism",
        "equilibrium price",
        "equilibrium drawdown",
        "max drawdown",
        "amplification",
        "liquidations",
        "liquidated value",
        "bad debt",
    ];
    if let Some(first) = data.rows.first() {
        header.extend(first.extra.iter().map(|(name, _)| name.as_str()));
    }
    let mut table = Table::new("Every mechanism", &header);
    for row in &data.rows {
        let mut cells = vec![
            Cell::Text(row.mechanism.clone()),
            Cell::Number(price(row.equilibrium_price)),
            Cell::Number(percent(row.equilibrium_drawdown)),
            Cell::Number(percent(row.max_drawdown)),
            Cell::Number(format!("{:.3}x", row.amplification)),
            Cell::Number(row.n_liquidations.to_string()),
            Cell::Number(usd(row.liquidated_value_usd)),
            Cell::Number(usd(row.bad_debt_usd)),
        ];
        cells.extend(
            row.extra
                .iter()
                .map(|(_, value)| Cell::Number(value.clone())),
        );
        table.row(cells);
    }
    page.table(table);
    for note in &data.notes {
        page.paragraph(note.clone());
    }
    files_section(&mut page, &data.files);
    page.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(block: u64, n_liquidations: u32, seized: f64) -> BlockRecord {
        BlockRecord {
            block,
            exogenous_prices: vec![1.0],
            reference_prices: vec![1.0],
            venue_prices: Vec::new(),
            oracle_prices: Vec::new(),
            n_liquidations,
            n_liquidatable: 0,
            collateral_seized_usd: seized,
            debt_repaid_usd: 0.0,
            bonus_usd: 0.0,
            bad_debt_usd: 0.0,
            cumulative_bad_debt_usd: 0.0,
            keeper_profit_usd: 0.0,
            arbitrage_volume_usd: 0.0,
        }
    }

    #[test]
    fn test_block_bars_sum_runs_of_blocks_past_the_limit() {
        let short: Vec<BlockRecord> = (0..MAX_BARS as u64).map(|b| record(b, 1, 0.0)).collect();
        let (_, per_bar) = block_bars(&short, |r| f64::from(r.n_liquidations));
        assert_eq!(per_bar, 1);
        let long: Vec<BlockRecord> = (0..10_000).map(|b| record(b, 1, 0.0)).collect();
        let (bars, per_bar) = block_bars(&long, |r| f64::from(r.n_liquidations));
        assert_eq!(per_bar, 3);
        let SeriesData::Points(bars) = bars else {
            panic!("bars are points")
        };
        assert!(bars.len() <= MAX_BARS);
        assert_eq!(bars[1], [3.0, 3.0], "the second bar starts at block 3");
        assert_eq!(bars.iter().map(|b| b[1]).sum::<f64>(), 10_000.0);
    }

    #[test]
    fn test_cascade_window_zooms_only_when_the_tail_is_long() {
        // 90% of the value is seized by block 38 of 1,000: zoom to block 57 (38 + 38 / 2).
        let mut blocks: Vec<BlockRecord> = (0..1000).map(|b| record(b, 0, 0.0)).collect();
        for record in &mut blocks[20..40] {
            record.collateral_seized_usd = 1.0;
        }
        blocks[900].collateral_seized_usd = 1.0;
        assert_eq!(cascade_window(&blocks), Some(57));
        // Nothing liquidated, or the cascade is most of the run: no zoom.
        let quiet: Vec<BlockRecord> = (0..1000).map(|b| record(b, 0, 0.0)).collect();
        assert_eq!(cascade_window(&quiet), None);
        assert_eq!(cascade_window(&blocks[..60]), None);
    }

    #[test]
    #[should_panic(expected = "protocol p has 1 values for 2 bins")]
    fn test_heatmap_protocol_rows_must_match_the_bins() {
        let bin = |low: f64| OverhangBinData {
            price_low: low,
            price_high: low + 1.0,
            collateral_usd: 1.0,
            n_positions: 1,
        };
        heatmap_page(&HeatmapChartData {
            title: "t".into(),
            meta: Vec::new(),
            notes: Vec::new(),
            assets: vec![OverhangChartData {
                asset: "ETH".into(),
                current_price: 3.0,
                pld_price: None,
                bins: vec![bin(1.0), bin(2.0)],
                by_protocol: vec![ProtocolOverhangData {
                    protocol: "p".into(),
                    collateral_usd: vec![1.0],
                }],
                liquidatable_now_usd: 0.0,
            }],
            files: Vec::new(),
        });
    }
}
