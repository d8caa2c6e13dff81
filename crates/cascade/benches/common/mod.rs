//! The scenarios of the issue-4 speed targets, shared by the `stress` bench and the `speed_targets`
//! example (`#[path]`-included by it) so that both time the same markets.

// Timing the baseline ratio is this module's purpose.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use cascade::market::{build_market, Origin};
use cascade::run::load_scenario;
use cascade::scenario::{AccountsConfig, Scenario};
use cascade_core::engine::Market;
use cascade_core::fast::{run_fast, FastScratch, SortedBook};
use cascade_core::ids::AccountId;
use cascade_core::oracle::{OracleState, PriceSource};
use cascade_core::price_path::ReferencePath;

/// The built-in `frictionless` scenario resized to `n_accounts`, run for `max_blocks`, with stress
/// paths of `path_blocks`.
pub fn frictionless(n_accounts: u32, max_blocks: u64, path_blocks: u64) -> (Scenario, Origin) {
    let (mut scenario, origin) = load_scenario("frictionless").unwrap();
    if let AccountsConfig::Synthetic(generator) = &mut scenario.protocols[0].accounts {
        generator.n_accounts = n_accounts;
    }
    scenario.simulation.max_blocks = max_blocks;
    // The built-in book is 100k accounts against $60M of depth per 1%; a larger book trades in a
    // proportionally deeper market (else a -15% crash on a 10x book is a total collapse).
    let depth = scenario.assets[0].external_depth_usd.unwrap();
    scenario.assets[0].external_depth_usd = Some(depth * f64::from(n_accounts) / 100_000.0);
    scenario.stress.as_mut().unwrap().blocks = path_blocks;
    (scenario, origin)
}

/// [`frictionless`]'s market (accounts generated: setup, outside every timing).
pub fn market(n_accounts: u32, max_blocks: u64, path_blocks: u64) -> (Market, Scenario, Origin) {
    let (scenario, origin) = frictionless(n_accounts, max_blocks, path_blocks);
    let market = build_market(&scenario, &origin, scenario.simulation.seed).unwrap();
    (market, scenario, origin)
}

/// The naive baseline: the frictionless model (full close, sales at the reference price into the
/// external depth, no gas) with every account's health factor recomputed every block.
pub fn naive_run(market: &Market) -> u64 {
    let protocol = &market.protocols[0];
    let (c, d) = (0usize, 1usize);
    let params = protocol.risk_params[c].unwrap();
    let depth = market.assets[c].external_depth_usd;
    let mut reference: Vec<f64> = market.assets.iter().map(|a| a.path.price_at(0)).collect();
    let mut impact_log = 0.0;
    let mut sold = 0.0;
    let mut oracle_values: Vec<f64> = Vec::new();
    let mut states = Vec::new();
    for model in &market.oracles {
        let read = |source: PriceSource| match source {
            PriceSource::Reference(asset) => reference[asset.index()],
            PriceSource::Constant(price) => price,
            PriceSource::Oracle(oracle) => oracle_values[oracle.index()],
            PriceSource::Venue(_) => unreachable!(),
        };
        let initial = model.kind.read_sources(read);
        states.push(OracleState::new(model, initial));
        oracle_values.push(initial);
    }
    let mut collateral: Vec<f64> = (0..protocol.n_accounts())
        .map(|a| protocol.collateral_row(AccountId(a as u32))[c])
        .collect();
    let mut debt: Vec<f64> = (0..protocol.n_accounts())
        .map(|a| protocol.debt_row(AccountId(a as u32))[d])
        .collect();
    let mut liquidations = 0;
    for block in 0..market.settings.max_blocks {
        if let Some(depth) = depth {
            impact_log += (0.99_f64).ln() * sold / depth;
        }
        sold = 0.0;
        for (price, asset) in reference.iter_mut().zip(&market.assets) {
            *price = asset.path.price_at(block);
        }
        reference[c] *= f64::exp(impact_log);
        for (index, model) in market.oracles.iter().enumerate() {
            let read = |source: PriceSource| match source {
                PriceSource::Reference(asset) => reference[asset.index()],
                PriceSource::Constant(price) => price,
                PriceSource::Oracle(oracle) => oracle_values[oracle.index()],
                PriceSource::Venue(_) => unreachable!(),
            };
            oracle_values[index] = states[index].update(model, block, read);
        }
        let price = |asset: usize| oracle_values[protocol.oracle_of_asset[asset].unwrap().index()];
        let (pc, pd) = (price(c), price(d));
        for account in 0..collateral.len() {
            if debt[account] <= 0.0 || collateral[account] <= 0.0 {
                continue;
            }
            let health =
                collateral[account] * pc * params.liquidation_threshold / (debt[account] * pd);
            if health < 1.0 {
                let bonus = params.liquidation_bonus;
                let seized = (debt[account] * pd / pc * (1.0 + bonus)).min(collateral[account]);
                // The protocol's fee stays in its treasury; keepers sell the rest.
                let fee = (seized - seized / (1.0 + bonus)) * params.protocol_fee;
                sold += (seized - fee) * reference[c];
                collateral[account] -= seized;
                debt[account] = 0.0;
                liquidations += 1;
            }
        }
    }
    liquidations
}

/// Seconds of one naive rescan of `market` and of one fast-path run (the mean of 1,000), for the
/// ratio the benches print.
pub fn naive_over_fast(
    market: &Market,
    book: &SortedBook,
    paths: &[&ReferencePath],
    scratch: &mut FastScratch,
) -> (f64, f64) {
    let started = Instant::now();
    naive_run(market);
    let naive = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for _ in 0..1_000 {
        run_fast(market, book, paths, scratch).unwrap();
    }
    (naive, started.elapsed().as_secs_f64() / 1_000.0)
}
