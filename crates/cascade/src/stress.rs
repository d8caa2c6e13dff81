//! Monte Carlo stress tests: one market, many price paths, in parallel.
//!
//! Path `i` of a scenario with seed `s` is a pure function of `(s, i)`: its prices come from
//! `rng::stream_rng(s, i, ...)`, so a path's result does not depend on which thread ran it, how many
//! threads there were, or which other paths ran; results are collected in path order. Each path runs
//! on the sorted-book fast path when the market is inside its subset (`cascade_core::fast`), and on
//! the full engine otherwise; the report says which and why.

use cascade_core::engine::{Market, Simulation};
use cascade_core::fast::{run_fast, FastScratch, NotApplicable, SortedBook};
use cascade_core::price_path::ReferencePath;
use cascade_core::report::Summary;
use cascade_core::stats::Distribution;
use rayon::prelude::*;
use serde::Serialize;

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
    pub amplification: f64,
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
            amplification: summary.amplification,
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
    (
        results,
        EngineUsed::FullEngine {
            reason: reason.0,
        },
    )
}

/// The distribution of each headline quantity over the paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressStatistics {
    pub paths: u64,
    pub bad_debt_usd: Distribution,
    pub liquidated_value_usd: Distribution,
    pub equilibrium_drawdown: Distribution,
    pub max_drawdown: Distribution,
    pub amplification: Distribution,
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
            amplification: column(|r| r.amplification)?,
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

/// Per-path results as CSV, one row per path in path order.
pub fn paths_csv(results: &[PathResult]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for result in results {
        writer.serialize(result).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 CSV")
}
