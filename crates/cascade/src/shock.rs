//! The metrics that need the engine: a scenario run at a chosen shock size (measured amplification,
//! liquidation velocity) and the critical shock, found by bisection over simulated shocks
//! ([`cascade_core::metrics::find_critical_shock`] with the engine behind the closure).
//!
//! **Shock size.** The primary asset is the one whose `shock`, `linear_crash` or `exponential_crash`
//! path falls furthest in the scenario file. Running "at shock `s`" sets its `drop` to `s` and scales
//! every other such asset's drop by the same factor, so a scenario where ETH falls 20% and BTC 10% run
//! at 30% has ETH fall 30% and BTC 15% (capped at 99%). Timing and shape stay as written.

use cascade_core::engine::Simulation;
use cascade_core::metrics::{
    find_critical_shock, is_self_sustaining, liquidation_velocity, CriticalShock,
    LiquidationVelocity,
};
use cascade_core::report::Summary;
use serde::Serialize;

use crate::error::ScenarioError;
use crate::market::{build_market, Origin};
use crate::scenario::{AccountsConfig, PricePathConfig, Scenario};

/// The drop of a shock-like path, `None` for constant and replayed paths.
fn drop_of(path: &Option<PricePathConfig>) -> Option<f64> {
    match path {
        Some(PricePathConfig::Shock { drop, .. })
        | Some(PricePathConfig::LinearCrash { drop, .. })
        | Some(PricePathConfig::ExponentialCrash { drop, .. }) => Some(*drop),
        _ => None,
    }
}

/// The scenario's own shock: the largest drop of a shock-like path.
pub fn scenario_shock(scenario: &Scenario, origin: &Origin) -> Result<f64, ScenarioError> {
    scenario
        .assets
        .iter()
        .filter_map(|asset| drop_of(&asset.price_path))
        .fold(None, |best: Option<f64>, drop| Some(best.map_or(drop, |b| b.max(drop))))
        .filter(|&drop| drop > 0.0)
        .ok_or_else(|| ScenarioError::Invalid {
            file: origin.file.clone(),
            field: "assets[].price_path".into(),
            message: "no asset has a shock, linear_crash or exponential_crash path with a drop above 0; shock sizes need one to scale".into(),
        })
}

/// The scenario with its shock set to `shock` (see the module documentation).
pub fn with_shock(
    scenario: &Scenario,
    origin: &Origin,
    shock: f64,
) -> Result<Scenario, ScenarioError> {
    if !(shock > 0.0 && shock < 1.0) {
        return Err(ScenarioError::Invalid {
            file: origin.file.clone(),
            field: "shock".into(),
            message: format!("is {shock}; a shock is a fraction above 0 and below 1 (0.2 = -20%)"),
        });
    }
    let original = scenario_shock(scenario, origin)?;
    let factor = shock / original;
    let mut scenario = scenario.clone();
    for asset in &mut scenario.assets {
        match &mut asset.price_path {
            Some(PricePathConfig::Shock { drop, .. })
            | Some(PricePathConfig::LinearCrash { drop, .. })
            | Some(PricePathConfig::ExponentialCrash { drop, .. }) => {
                *drop = (*drop * factor).min(0.99);
            }
            _ => {}
        }
    }
    Ok(scenario)
}

/// The scenario with every synthetic protocol generating `n_accounts` accounts.
pub fn with_accounts(scenario: &Scenario, n_accounts: u32) -> Scenario {
    let mut scenario = scenario.clone();
    for protocol in &mut scenario.protocols {
        if let AccountsConfig::Synthetic(generator) = &mut protocol.accounts {
            generator.n_accounts = n_accounts;
        }
    }
    scenario
}

/// One run at one shock size.
#[derive(Debug, Clone, Serialize)]
pub struct ShockRun {
    pub shock: f64,
    pub summary: Summary,
    pub velocity: LiquidationVelocity,
}

/// Runs `scenario` (seed: its own unless given) at `shock` (`None`: as written) and measures it;
/// velocity windows are `window_blocks` long.
pub fn run_at_shock(
    scenario: &Scenario,
    origin: &Origin,
    seed: Option<u64>,
    shock: Option<f64>,
    window_blocks: u64,
) -> Result<ShockRun, ScenarioError> {
    let scenario = match shock {
        Some(shock) => with_shock(scenario, origin, shock)?,
        None => scenario.clone(),
    };
    let seed = seed.unwrap_or(scenario.simulation.seed);
    let market = build_market(&scenario, origin, seed)?;
    let mut simulation = Simulation::new(market);
    simulation.run();
    let summary = simulation.summary();
    Ok(ShockRun {
        shock: summary.initial_shock,
        velocity: liquidation_velocity(simulation.blocks(), window_blocks),
        summary,
    })
}

/// How the critical shock is searched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CriticalShockSettings {
    /// Shock range searched (fractions of the price).
    pub lowest: f64,
    pub highest: f64,
    /// Width of the final bracket.
    pub tolerance: f64,
    /// The self-sustaining test: amplification at least `1 + min_extra_fall`.
    pub min_extra_fall: f64,
}

impl Default for CriticalShockSettings {
    fn default() -> Self {
        CriticalShockSettings {
            lowest: 0.01,
            highest: 0.6,
            tolerance: 0.005,
            min_extra_fall: cascade_core::metrics::DEFAULT_MIN_EXTRA_FALL,
        }
    }
}

/// The critical shock and every run the search made.
#[derive(Debug, Clone, Serialize)]
pub struct CriticalShockReport {
    pub settings: CriticalShockSettings,
    pub result: CriticalShock,
    /// (shock, measured amplification, self-sustaining) of each run, in the order they ran.
    pub runs: Vec<(f64, f64, bool)>,
}

/// Bisects the scenario's shock size for the smallest self-sustaining cascade.
pub fn critical_shock(
    scenario: &Scenario,
    origin: &Origin,
    seed: Option<u64>,
    settings: CriticalShockSettings,
) -> Result<CriticalShockReport, ScenarioError> {
    let mut runs = Vec::new();
    let result = find_critical_shock(
        settings.lowest,
        settings.highest,
        settings.tolerance,
        |shock| {
            let run = run_at_shock(scenario, origin, seed, Some(shock), 1)?;
            let cascades = is_self_sustaining(run.summary.amplification, settings.min_extra_fall);
            runs.push((shock, run.summary.amplification, cascades));
            Ok(cascades)
        },
    )?;
    Ok(CriticalShockReport {
        settings,
        result,
        runs,
    })
}
