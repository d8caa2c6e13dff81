//! The scenarios of the issue-4 speed targets, shared by the `stress` bench and the `speed_targets`
//! example (`#[path]`-included by it) so that both time the same markets.

use cascade::market::{build_market, Origin};
use cascade::run::load_scenario;
use cascade::scenario::{AccountsConfig, Scenario};
use cascade_core::engine::Market;

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
