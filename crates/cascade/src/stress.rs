//! Monte Carlo stress tests: one market, many price paths, in parallel.
//!
//! Path `i` of a scenario with seed `s` is a pure function of `(s, i)`: its prices come from
//! `rng::stream_rng(s, i, ...)`, so a path's result does not depend on which thread ran it, how many
//! threads there were, or which other paths ran; results are collected in path order. Each path runs
//! on the sorted-book fast path when the market is inside its subset (`cascade_core::fast`), and on
//! the full engine otherwise; the report says which and why.

use cascade_core::engine::{Market, Simulation};
use cascade_core::fast::{run_fast, FastScratch, NotApplicable, SortedBook};
use cascade_core::ids::AssetId;
use cascade_core::price_path::ReferencePath;
use cascade_core::process::{
    log_returns_from_prices, AssetProcess, Bootstrap, Correlation, Garch, Gbm, Merton, Pegged,
    ProcessConfig as CoreProcessConfig, ProcessError, ProcessModel,
};
use cascade_core::report::Summary;
use cascade_core::stats::Distribution;
use rayon::prelude::*;
use serde::Serialize;

use crate::data;
use crate::error::ScenarioError;
use crate::market::Origin;
use crate::scenario::{ProcessConfig, Scenario};

/// What one path produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathResult {
    pub path: u64,
    pub bad_debt_usd: f64,
    pub liquidated_value_usd: f64,
    /// `1 - equilibrium price / initial price` of the primary asset.
    pub equilibrium_drawdown: f64,
    /// `1 - lowest price / initial price`.
    pub max_drawdown: f64,
    /// The exogenous path's own largest fall.
    pub exogenous_drawdown: f64,
    /// `max_drawdown / exogenous_drawdown` on paths whose exogenous fall is at least
    /// [`SHOCKED_PATH_DRAWDOWN`]; absent (empty in the CSV) on the others, which have no shock to
    /// amplify.
    pub amplification: Option<f64>,
    pub n_liquidations: u64,
    /// Accounts liquidated only because liquidations moved the price (see [`CASCADE_DEFINITION`]).
    pub induced_liquidations: u64,
    pub induced_value_usd: f64,
    pub cascade: bool,
    pub insolvent_debt_usd: f64,
    pub keeper_profit_usd: f64,
    pub peak_liquidations_per_block: u32,
    pub blocks_simulated: u64,
    pub stop_reason: &'static str,
}

/// The smallest exogenous fall (1%) for which a path's amplification is measured.
pub const SHOCKED_PATH_DRAWDOWN: f64 = 0.01;

/// How a path counts as a cascade.
pub const CASCADE_DEFINITION: &str = "a path cascades when liquidations move the price far \
enough to liquidate at least one account that the exogenous price path alone would not have \
liquidated (its health factor, with its initial balances, stays at or above 1 at the exogenous \
prices of every block)";

impl PathResult {
    fn new(path: u64, summary: &Summary, induced: (u64, f64)) -> Self {
        PathResult {
            path,
            bad_debt_usd: summary.bad_debt_usd,
            liquidated_value_usd: summary.liquidated_value_usd,
            equilibrium_drawdown: summary.final_drawdown,
            max_drawdown: summary.max_drawdown,
            exogenous_drawdown: summary.initial_shock,
            amplification: (summary.initial_shock >= SHOCKED_PATH_DRAWDOWN)
                .then(|| summary.max_drawdown / summary.initial_shock),
            n_liquidations: summary.n_liquidations,
            induced_liquidations: induced.0,
            induced_value_usd: induced.1,
            cascade: induced.0 > 0,
            insolvent_debt_usd: summary.insolvent_debt_usd,
            keeper_profit_usd: summary.keeper_profit_usd,
            peak_liquidations_per_block: summary.peak_liquidations_per_block,
            blocks_simulated: summary.blocks_simulated,
            stop_reason: summary.stop_reason.as_str(),
        }
    }
}

/// Which engine ran the paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "engine", rename_all = "snake_case")]
pub enum EngineUsed {
    /// The sorted-book fast path.
    FastPath,
    /// The per-account engine; `reason` says why the fast path did not apply.
    FullEngine { reason: String },
}

/// Runs the market over `n_paths` paths. `paths_for(i)` gives path `i`'s exogenous price path per
/// asset (it must be a pure function of `i`); `on_path_done` is called once per finished path, from
/// any thread. `force_full_engine` skips the fast path (for comparisons).
pub fn run_paths(
    market: &Market,
    n_paths: u64,
    paths_for: &(dyn Fn(u64) -> Vec<ReferencePath> + Sync),
    on_path_done: &(dyn Fn() + Sync),
    force_full_engine: bool,
) -> (Vec<PathResult>, EngineUsed) {
    let book = if force_full_engine {
        Err(NotApplicable("the full engine was asked for".into()))
    } else {
        SortedBook::new(market)
    };
    match book {
        Ok(book) => {
            let attempts: Vec<Result<PathResult, NotApplicable>> = (0..n_paths)
                .into_par_iter()
                .map_init(FastScratch::default, |scratch, index| {
                    let paths = paths_for(index);
                    let refs: Vec<&ReferencePath> = paths.iter().collect();
                    let outcome = run_fast(market, &book, &refs, scratch);
                    on_path_done();
                    outcome.map(|outcome| {
                        PathResult::new(
                            index,
                            &outcome.summary,
                            (outcome.induced_liquidations, outcome.induced_seized_usd),
                        )
                    })
                })
                .collect();
            match attempts.into_iter().collect::<Result<Vec<_>, _>>() {
                Ok(results) => (results, EngineUsed::FastPath),
                // A path outside the subset (a keeper's capital short of the debt at this path's
                // prices): run every path on the full engine so all are comparable.
                Err(reason) => run_full(market, n_paths, paths_for, on_path_done, reason),
            }
        }
        Err(reason) => run_full(market, n_paths, paths_for, on_path_done, reason),
    }
}

fn run_full(
    market: &Market,
    n_paths: u64,
    paths_for: &(dyn Fn(u64) -> Vec<ReferencePath> + Sync),
    on_path_done: &(dyn Fn() + Sync),
    reason: NotApplicable,
) -> (Vec<PathResult>, EngineUsed) {
    let results = (0..n_paths)
        .into_par_iter()
        .map(|index| {
            let mut market = market.clone();
            for (asset, path) in market.assets.iter_mut().zip(paths_for(index)) {
                asset.path = path;
            }
            market.agents.path_index = index;
            let mut simulation = Simulation::new(market);
            simulation.run();
            let result = PathResult::new(
                index,
                &simulation.summary(),
                simulation.induced_liquidations(),
            );
            on_path_done();
            result
        })
        .collect();
    (results, EngineUsed::FullEngine { reason: reason.0 })
}

/// The distribution of each headline quantity over the paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressStatistics {
    pub paths: u64,
    pub bad_debt_usd: Distribution,
    pub liquidated_value_usd: Distribution,
    pub equilibrium_drawdown: Distribution,
    pub max_drawdown: Distribution,
    /// Over the shocked paths only (exogenous fall of at least 1%; `amplification.n` says how
    /// many); `None` when no path was shocked.
    pub amplification: Option<Distribution>,
    /// Share of paths that cascade (see `cascade_definition`).
    pub cascade_probability: f64,
    pub cascade_definition: &'static str,
    /// Share of paths with any bad debt.
    pub bad_debt_probability: f64,
    /// Share of paths with at least one liquidation.
    pub liquidation_probability: f64,
}

impl StressStatistics {
    /// `None` for zero paths.
    pub fn of(results: &[PathResult]) -> Option<Self> {
        let column = |f: fn(&PathResult) -> f64| -> Option<Distribution> {
            Distribution::of(&results.iter().map(f).collect::<Vec<_>>())
        };
        let share = |f: fn(&PathResult) -> bool| {
            results.iter().filter(|r| f(r)).count() as f64 / results.len() as f64
        };
        Some(StressStatistics {
            paths: results.len() as u64,
            bad_debt_usd: column(|r| r.bad_debt_usd)?,
            liquidated_value_usd: column(|r| r.liquidated_value_usd)?,
            equilibrium_drawdown: column(|r| r.equilibrium_drawdown)?,
            max_drawdown: column(|r| r.max_drawdown)?,
            amplification: Distribution::of(
                &results
                    .iter()
                    .filter_map(|r| r.amplification)
                    .collect::<Vec<_>>(),
            ),
            cascade_probability: share(|r| r.cascade),
            cascade_definition: CASCADE_DEFINITION,
            bad_debt_probability: share(|r| r.bad_debt_usd > 0.0),
            liquidation_probability: share(|r| r.n_liquidations > 0),
        })
    }
}

/// The `n` paths with the most bad debt (then the most liquidated value, then the lowest index).
pub fn worst_paths(results: &[PathResult], n: usize) -> Vec<&PathResult> {
    let mut order: Vec<&PathResult> = results.iter().collect();
    order.sort_by(|a, b| {
        b.bad_debt_usd
            .total_cmp(&a.bad_debt_usd)
            .then(b.liquidated_value_usd.total_cmp(&a.liquidated_value_usd))
            .then(a.path.cmp(&b.path))
    });
    order.truncate(n);
    order
}

/// Per-path results as a Parquet file (the columns of [`paths_csv`]; `amplification` nullable).
pub fn paths_parquet(results: &[PathResult]) -> Vec<u8> {
    use crate::columns::Column;
    let f = |get: fn(&PathResult) -> f64| Column::F64(results.iter().map(get).collect());
    let u = |get: fn(&PathResult) -> u64| Column::U64(results.iter().map(get).collect());
    crate::columns::to_parquet(&[
        ("path", u(|r| r.path)),
        ("bad_debt_usd", f(|r| r.bad_debt_usd)),
        ("liquidated_value_usd", f(|r| r.liquidated_value_usd)),
        ("equilibrium_drawdown", f(|r| r.equilibrium_drawdown)),
        ("max_drawdown", f(|r| r.max_drawdown)),
        ("exogenous_drawdown", f(|r| r.exogenous_drawdown)),
        (
            "amplification",
            Column::OptionalF64(results.iter().map(|r| r.amplification).collect()),
        ),
        ("n_liquidations", u(|r| r.n_liquidations)),
        ("induced_liquidations", u(|r| r.induced_liquidations)),
        ("induced_value_usd", f(|r| r.induced_value_usd)),
        (
            "cascade",
            Column::Bool(results.iter().map(|r| r.cascade).collect()),
        ),
        ("insolvent_debt_usd", f(|r| r.insolvent_debt_usd)),
        ("keeper_profit_usd", f(|r| r.keeper_profit_usd)),
        (
            "peak_liquidations_per_block",
            u(|r| u64::from(r.peak_liquidations_per_block)),
        ),
        ("blocks_simulated", u(|r| r.blocks_simulated)),
        (
            "stop_reason",
            Column::Text(results.iter().map(|r| r.stop_reason.to_string()).collect()),
        ),
    ])
}

/// Per-path results as CSV, one row per path in path order.
pub fn paths_csv(results: &[PathResult]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for result in results {
        writer.serialize(result).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 CSV")
}

/// The price paths of a scenario's stress test: its assets' processes, ready to draw path `i`.
#[derive(Debug, Clone)]
pub struct PathSource {
    model: ProcessModel,
    start_prices: Vec<f64>,
    /// Blocks of each drawn path.
    pub blocks: usize,
    /// Paths to run when the command line does not say.
    pub default_paths: u64,
    seed: u64,
}

impl PathSource {
    /// Path `index`: one exogenous path per asset.
    pub fn paths(&self, index: u64) -> Vec<ReferencePath> {
        let drawn = self
            .model
            .simulate(self.seed, index, self.blocks, &self.start_prices);
        (0..self.start_prices.len())
            .map(|asset| ReferencePath::Series {
                prices: drawn.column(AssetId(asset as u16)).collect(),
            })
            .collect()
    }
}

/// The stress section of `scenario` as a path source (with `seed`, the scenario's unless given).
pub fn path_source(
    scenario: &Scenario,
    origin: &Origin,
    seed: Option<u64>,
) -> Result<PathSource, ScenarioError> {
    let invalid = |field: String, message: String| ScenarioError::Invalid {
        file: origin.file.clone(),
        field,
        message,
    };
    let settings = scenario.stress_settings();
    if settings.blocks < 2 {
        return Err(invalid(
            "stress.blocks".into(),
            format!("is {}; a path needs at least 2 blocks", settings.blocks),
        ));
    }
    let symbols: Vec<&str> = scenario.assets.iter().map(|a| a.symbol.as_str()).collect();
    let asset_index = |symbol: &str, field: String| {
        symbols.iter().position(|s| *s == symbol).ok_or_else(|| {
            invalid(
                field,
                format!(
                    "`{symbol}` is not an asset of the scenario ({})",
                    symbols.join(", ")
                ),
            )
        })
    };
    let mut processes = Vec::with_capacity(scenario.assets.len());
    let mut start_prices = Vec::with_capacity(scenario.assets.len());
    let mut any = false;
    for (index, asset) in scenario.assets.iter().enumerate() {
        let field = |name: &str| format!("assets[{index}].process.{name}");
        let start = asset.initial_price.ok_or_else(|| {
            invalid(
                format!("assets[{index}].initial_price"),
                "a stress test starts every path at the asset's initial_price; give one".into(),
            )
        })?;
        start_prices.push(start);
        let process = match &asset.process {
            None => AssetProcess::Gbm(Gbm {
                drift: 0.0,
                volatility: 0.0,
            }),
            Some(config) => {
                any = true;
                match config {
                    ProcessConfig::Gbm { drift, volatility } => {
                        let d = Gbm::default();
                        AssetProcess::Gbm(Gbm {
                            drift: drift.unwrap_or(d.drift),
                            volatility: volatility.unwrap_or(d.volatility),
                        })
                    }
                    ProcessConfig::Merton {
                        drift,
                        volatility,
                        jump_intensity,
                        jump_mean,
                        jump_volatility,
                    } => {
                        let d = Merton::default();
                        AssetProcess::Merton(Merton {
                            drift: drift.unwrap_or(d.drift),
                            volatility: volatility.unwrap_or(d.volatility),
                            jump_intensity: jump_intensity.unwrap_or(d.jump_intensity),
                            jump_mean: jump_mean.unwrap_or(d.jump_mean),
                            jump_volatility: jump_volatility.unwrap_or(d.jump_volatility),
                        })
                    }
                    ProcessConfig::Garch {
                        mean_log_return,
                        long_run_volatility,
                        alpha,
                        beta,
                        degrees_of_freedom,
                        initial_volatility,
                    } => {
                        let d = Garch::default();
                        AssetProcess::Garch(Garch {
                            mean_log_return: mean_log_return.unwrap_or(d.mean_log_return),
                            long_run_volatility: long_run_volatility
                                .unwrap_or(d.long_run_volatility),
                            alpha: alpha.unwrap_or(d.alpha),
                            beta: beta.unwrap_or(d.beta),
                            degrees_of_freedom: degrees_of_freedom.unwrap_or(d.degrees_of_freedom),
                            initial_volatility: initial_volatility.or(d.initial_volatility),
                        })
                    }
                    ProcessConfig::Bootstrap {
                        file,
                        column,
                        mean_block_length,
                    } => {
                        let path = origin.base_dir.join(file);
                        let series = data::load_price_series(&path, column)?;
                        let log_returns = log_returns_from_prices(&series.prices)
                            .map_err(|e| invalid(field("file"), e.to_string()))?;
                        AssetProcess::Bootstrap(Bootstrap {
                            log_returns,
                            bar_seconds: series.interval_seconds as f64,
                            mean_block_length: mean_block_length.unwrap_or(6.0),
                        })
                    }
                    ProcessConfig::Pegged {
                        underlying,
                        target_ratio,
                        depeg_intensity,
                        depeg_size_mean,
                        depeg_size_sd,
                        recovery_half_life_seconds,
                        ratio_volatility,
                    } => {
                        let under = asset_index(underlying, field("underlying"))?;
                        let d = Pegged::with_defaults(AssetId(under as u16));
                        AssetProcess::Pegged(Pegged {
                            underlying: d.underlying,
                            target_ratio: target_ratio.unwrap_or(d.target_ratio),
                            depeg_intensity: depeg_intensity.unwrap_or(d.depeg_intensity),
                            depeg_size_mean: depeg_size_mean.unwrap_or(d.depeg_size_mean),
                            depeg_size_sd: depeg_size_sd.unwrap_or(d.depeg_size_sd),
                            recovery_half_life_seconds: recovery_half_life_seconds
                                .unwrap_or(d.recovery_half_life_seconds),
                            ratio_volatility: ratio_volatility.unwrap_or(d.ratio_volatility),
                        })
                    }
                }
            }
        };
        processes.push(process);
    }
    if !any {
        return Err(invalid(
            "assets".into(),
            "no asset has a `process`: a stress test needs at least one stochastic price \
             (e.g. process = { kind = \"gbm\", volatility = 0.8 })"
                .into(),
        ));
    }
    // The correlated assets, in scenario order, and their matrix (identity unless listed).
    let mut pairs = Vec::with_capacity(settings.correlations.len());
    for (index, entry) in settings.correlations.iter().enumerate() {
        let field = |name: &str| format!("stress.correlations[{index}].{name}");
        let a = asset_index(&entry.assets[0], field("assets"))?;
        let b = asset_index(&entry.assets[1], field("assets"))?;
        if a == b {
            return Err(invalid(
                field("assets"),
                "names the same asset twice; a correlation is between two assets".into(),
            ));
        }
        pairs.push((a, b, entry.rho));
    }
    let mut correlated: Vec<usize> = pairs.iter().flat_map(|&(a, b, _)| [a, b]).collect();
    correlated.sort_unstable();
    correlated.dedup();
    let position = |asset: usize| correlated.iter().position(|&c| c == asset).expect("listed");
    let mut matrix = vec![vec![0.0; correlated.len()]; correlated.len()];
    for (k, row) in matrix.iter_mut().enumerate() {
        row[k] = 1.0;
    }
    for &(a, b, rho) in &pairs {
        matrix[position(a)][position(b)] = rho;
        matrix[position(b)][position(a)] = rho;
    }
    let correlation = Correlation {
        assets: correlated.iter().map(|&a| AssetId(a as u16)).collect(),
        matrix,
    };
    let config = CoreProcessConfig {
        block_seconds: scenario.simulation.block_time_seconds,
        assets: processes,
        correlation,
    };
    let model = ProcessModel::new(&config).map_err(|error| {
        let field = match &error {
            ProcessError::Parameter { asset, field, .. } => {
                format!("assets[{}].process.{field}", asset.0)
            }
            ProcessError::BlockSeconds { .. } => "simulation.block_time_seconds".into(),
            ProcessError::Price { .. } | ProcessError::StartPrice { .. } => "assets".into(),
            _ => "stress.correlations".into(),
        };
        invalid(field, error.to_string())
    })?;
    model
        .check_start_prices(&start_prices)
        .map_err(|e| invalid("assets".into(), e.to_string()))?;
    Ok(PathSource {
        model,
        start_prices,
        blocks: settings.blocks as usize,
        default_paths: settings.paths,
        seed: seed.unwrap_or(scenario.simulation.seed),
    })
}

/// A path worth re-running alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorstPath {
    pub path: u64,
    pub bad_debt_usd: f64,
    pub liquidated_value_usd: f64,
    pub equilibrium_drawdown: f64,
    pub amplification: Option<f64>,
    /// The command that re-runs this path alone with the full engine and writes its report.
    pub rerun: String,
}

/// `summary.json` of `cascade stress`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressReport {
    pub scenario_name: String,
    pub seed: u64,
    pub paths: u64,
    /// Blocks of each drawn path.
    pub path_blocks: u64,
    #[serde(flatten)]
    pub engine: EngineUsed,
    pub statistics: StressStatistics,
    pub worst_paths: Vec<WorstPath>,
}

/// Everything `cascade stress` computes, ready to print and write.
#[derive(Debug, Clone)]
pub struct StressOutput {
    pub report: StressReport,
    pub results: Vec<PathResult>,
}

impl StressOutput {
    pub fn summary_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.report).expect("serialisable report");
        text.push('\n');
        text
    }

    /// `report.html`: the charts and tables of [`crate::html::stress_page`].
    pub fn report_html(&self) -> String {
        crate::html::stress_page(self)
    }

    /// Writes `summary.json`, `paths.csv`, `paths.parquet` and `report.html` into `dir`, all or
    /// nothing.
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<()> {
        crate::report::write_folder_atomically(
            dir,
            &[
                ("summary.json", self.summary_json().as_bytes()),
                ("paths.csv", paths_csv(&self.results).as_bytes()),
                ("paths.parquet", &paths_parquet(&self.results)),
                ("report.html", self.report_html().as_bytes()),
            ],
        )
    }
}

/// Runs the stress test of `scenario`: `n_paths` paths (the scenario's `stress.paths` when `None`).
/// `scenario_spec` is how the user named the scenario (for the re-run commands).
pub fn stress_scenario(
    scenario: &Scenario,
    origin: &Origin,
    scenario_spec: &str,
    seed: Option<u64>,
    n_paths: Option<u64>,
    force_full_engine: bool,
    on_path_done: &(dyn Fn() + Sync),
) -> Result<StressOutput, ScenarioError> {
    let seed = seed.unwrap_or(scenario.simulation.seed);
    let source = path_source(scenario, origin, Some(seed))?;
    let n_paths = n_paths.unwrap_or(source.default_paths);
    if n_paths == 0 {
        return Err(ScenarioError::Invalid {
            file: origin.file.clone(),
            field: "--paths".into(),
            message: "is 0; a stress test needs at least one path".into(),
        });
    }
    let market = crate::market::build_market(scenario, origin, seed)?;
    let (results, engine) = run_paths(
        &market,
        n_paths,
        &|index| source.paths(index),
        on_path_done,
        force_full_engine,
    );
    let statistics = StressStatistics::of(&results).expect("at least one path, no NaN");
    let seed_flag = if seed == scenario.simulation.seed {
        String::new()
    } else {
        format!(" --seed {seed}")
    };
    let worst_paths = worst_paths(&results, 10)
        .into_iter()
        .map(|r| WorstPath {
            path: r.path,
            bad_debt_usd: r.bad_debt_usd,
            liquidated_value_usd: r.liquidated_value_usd,
            equilibrium_drawdown: r.equilibrium_drawdown,
            amplification: r.amplification,
            rerun: format!("cascade run {scenario_spec} --path {}{seed_flag}", r.path),
        })
        .collect();
    Ok(StressOutput {
        report: StressReport {
            scenario_name: scenario.simulation.name.clone(),
            seed,
            paths: n_paths,
            path_blocks: source.blocks as u64,
            engine,
            statistics,
            worst_paths,
        },
        results,
    })
}
