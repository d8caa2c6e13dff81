//! The built-in `lst-contagion` scenario (docs/contagion.md): stETH, pegged to ETH, de-pegs while
//! ETH falls, and is collateral in two lending markets, a perp market and an options vault that
//! share one stETH venue and one stETH oracle. Contagion (the lending markets alone vs. with the
//! perp market and the vault beside them) and the de-peg (off vs. on) each move the outcome the way
//! the seeds say; value is conserved and runs are deterministic with all of it active. Also the
//! `pegged` price path's checks.

use cascade::error::ScenarioError;
use cascade::market::build_market;
use cascade::run::{load_scenario, run_scenario, RunOutput};
use cascade::scenario::{PricePathConfig, Scenario};
use cascade_core::engine::Simulation;
use cascade_core::ids::AccountId;
use cascade_core::report::EventKind;

const LENDING: [&str; 2] = ["lending", "emode-loops"];

fn builtin() -> Scenario {
    load_scenario("lst-contagion")
        .expect("the built-in parses")
        .0
}

fn run(scenario: &Scenario) -> RunOutput {
    let (_, origin) = load_scenario("lst-contagion").unwrap();
    run_scenario(scenario, &origin, None, |_, _| {}).expect("the scenario builds")
}

/// The numbers the directional tests compare.
#[derive(Debug)]
struct Outcome {
    n_liquidations: u64,
    lending_seized_usd: f64,
    /// Realised bad debt plus insolvent debt left at the stop.
    shortfall_usd: f64,
    /// stETH's reference price at the stop.
    steth_equilibrium: f64,
}

fn outcome(output: &RunOutput) -> Outcome {
    let simulation = &output.simulation;
    let summary = simulation.summary();
    let steth = simulation
        .market()
        .assets
        .iter()
        .position(|a| a.symbol == "stETH")
        .unwrap();
    Outcome {
        n_liquidations: summary.n_liquidations,
        lending_seized_usd: simulation
            .events()
            .iter()
            .filter(|e| LENDING.contains(&e.protocol.as_str()))
            .map(|e| e.collateral_seized_usd)
            .sum(),
        shortfall_usd: summary.bad_debt_usd + summary.insolvent_debt_usd,
        steth_equilibrium: simulation.blocks().last().unwrap().reference_prices[steth],
    }
}

fn without_depeg(scenario: &mut Scenario) {
    match &mut scenario.assets[1].price_path {
        Some(PricePathConfig::Pegged(pegged)) => pegged.depeg_size = 0.0,
        other => panic!("stETH's path is pegged in the built-in, not {other:?}"),
    }
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn test_scenario_has_every_protocol_on_one_steth_venue_and_oracle() {
    let scenario = builtin();
    let output = run(&scenario);
    let simulation = &output.simulation;
    let summary = simulation.summary();
    // stETH's exogenous path: ETH's -20% times the ratio's -4%, 1455 * 0.8 * 0.96 = 1117.44, a shock
    // of 1 - 0.8 * 0.96 = 23.2%; the largest fall, so the summary follows stETH.
    assert_eq!(summary.primary_asset, "stETH");
    assert!(close(summary.initial_shock, 0.232, 1e-12), "{summary:?}");
    assert!(close(summary.shocked_price, 1117.44, 1e-12), "{summary:?}");
    // Every protocol liquidated something, and every sale went to the one stETH venue.
    for protocol in ["lending", "emode-loops", "perp-dex", "options"] {
        assert!(
            simulation.events().iter().any(|e| e.protocol == protocol),
            "{protocol} liquidated nothing"
        );
    }
    for event in simulation.events() {
        if event.collateral_sold > 0.0 && event.kind != EventKind::OptionTakeover {
            assert_eq!(event.venue, "steth-pool", "{event:?}");
        }
    }
    // The market went below the exogenous path: liquidations and hedges amplified the shock.
    assert!(summary.equilibrium_price < 1117.44, "{summary:?}");
    assert!(summary.amplification > 1.0, "{summary:?}");
    assert!(summary.hedge_volume_usd > 0.0);
}

#[test]
fn test_contagion_the_perp_market_and_the_vault_deepen_the_lending_cascade() {
    let shared = builtin();
    let mut alone = shared.clone();
    alone.perps.clear();
    alone.option_vaults.clear();
    let shared = outcome(&run(&shared));
    let alone = outcome(&run(&alone));
    eprintln!("lending alone: {alone:?}\nshared venue and oracle: {shared:?}");
    // The perp market's liquidations and the desks' hedges sell stETH into the venue the lending
    // markets' oracle reads: more lending collateral is seized and stETH settles lower.
    assert!(
        shared.lending_seized_usd > alone.lending_seized_usd,
        "{shared:?} vs {alone:?}"
    );
    assert!(
        shared.steth_equilibrium < alone.steth_equilibrium,
        "{shared:?} vs {alone:?}"
    );
    // Both end below the exogenous 1117.44: the lending markets' own sales already amplify.
    assert!(alone.steth_equilibrium < 1117.44, "{alone:?}");
}

#[test]
fn test_depeg_brings_more_liquidations_and_bad_debt() {
    let on = builtin();
    let mut off = on.clone();
    without_depeg(&mut off);
    let on_run = run(&on);
    let off_run = run(&off);
    let (on, off) = (outcome(&on_run), outcome(&off_run));
    eprintln!("de-peg off: {off:?}\nde-peg on: {on:?}");
    // Without the de-peg stETH's path is ETH's times 0.97: a 20% fall, the same as ETH's, so the
    // summary follows ETH (the first of equal falls) and its shock is exactly 0.2.
    let off_summary = off_run.simulation.summary();
    assert_eq!(off_summary.primary_asset, "ETH");
    assert!(close(off_summary.initial_shock, 0.2, 1e-12));
    assert!(on.n_liquidations > off.n_liquidations, "{on:?} vs {off:?}");
    assert!(
        on.lending_seized_usd > off.lending_seized_usd,
        "{on:?} vs {off:?}"
    );
    assert!(on.shortfall_usd > off.shortfall_usd, "{on:?} vs {off:?}");
    assert!(on.steth_equilibrium < off.steth_equilibrium);
    // The E-Mode loops owe ETH against stETH: ETH's fall alone leaves their health factor where it
    // was (both sides fall 20%), so without the de-peg only what others sell into the venue can
    // reach them; with it, 4% off a ratio at 0.95 / 0.93 = 1.0215 puts the tightest loops at
    // 1.0215 * 0.96 = 0.98 < 1.
    let loops = |simulation: &Simulation| {
        simulation
            .events()
            .iter()
            .filter(|e| e.protocol == "emode-loops")
            .count()
    };
    assert!(loops(&on_run.simulation) > loops(&off_run.simulation));
}

#[test]
fn test_conservation_with_every_protocol_active() {
    let output = run(&builtin());
    let simulation = &output.simulation;
    let events = simulation.events();
    assert!(events.iter().any(|e| e.kind == EventKind::LiquidationCall));
    assert!(events.iter().any(|e| e.kind == EventKind::PerpLiquidation));
    assert!(events.iter().any(|e| e.kind == EventKind::OptionTakeover));
    // Per event: collateral seized = debt repaid + bonus (at the prices of the call).
    for event in events {
        assert!(
            close(
                event.collateral_seized_usd,
                event.debt_repaid_usd + event.bonus_usd,
                1e-9
            ),
            "{event:?}"
        );
    }
    // In total, and as the summary says.
    let total = |f: fn(&cascade_core::report::LiquidationEvent) -> f64| -> f64 {
        events.iter().map(f).sum()
    };
    let summary = simulation.summary();
    assert!(close(
        summary.collateral_seized_usd,
        total(|e| e.collateral_seized_usd),
        1e-9
    ));
    assert!(close(
        summary.collateral_seized_usd,
        summary.debt_repaid_usd + summary.bonus_paid_usd,
        1e-9
    ));
    assert!(close(summary.bad_debt_usd, total(|e| e.bad_debt_usd), 1e-9));
    // Units: every unit of collateral the accounts, traders and writers held at the start is with
    // them, a protocol, a pool, a desk, or was sold to the market.
    let initial = simulation.initial_collateral();
    let holdings = simulation.holdings();
    for (asset, (before, after)) in initial.iter().zip(holdings.total()).enumerate() {
        assert!(
            close(*before, after, 1e-9),
            "asset {asset}: {before} at the start, {after} accounted for ({holdings:?})"
        );
    }
    // Debt, per asset over both lending markets: owed now, repaid, written off, absorbed or taken
    // over.
    let flows = simulation.flows();
    let owed = |protocols: &[cascade_core::lending::LendingProtocol], asset: usize| -> f64 {
        protocols
            .iter()
            .map(|p| {
                (0..p.n_accounts())
                    .map(|a| p.debt_row(AccountId(a as u32))[asset])
                    .sum::<f64>()
            })
            .sum()
    };
    let start = &simulation.market().protocols;
    assert_eq!(start.len(), 2);
    for asset in 0..start[0].n_assets {
        let explained = owed(simulation.protocols(), asset)
            + flows.debt_repaid[asset]
            + flows.debt_written_off[asset]
            + flows.debt_absorbed[asset]
            + flows.debt_taken_over[asset];
        assert!(
            close(owed(start, asset), explained, 1e-9),
            "debt asset {asset}: {} at the start, {explained} explained",
            owed(start, asset)
        );
    }
    // Keepers' profit is their cash: proceeds - payments - gas + incentives.
    let cash = flows.keeper_proceeds_usd - flows.keeper_paid_usd - flows.keeper_gas_usd
        + flows.keeper_incentives_usd;
    // (A desk's profit on a writer it takes over is its own, not a keeper's cash.)
    let profit: f64 = events
        .iter()
        .filter(|e| e.kind != EventKind::OptionTakeover)
        .map(|e| e.keeper_profit_usd)
        .sum();
    assert!(close(profit, cash, 1e-9), "profit {profit} vs cash {cash}");
}

#[test]
fn test_same_seed_gives_byte_identical_reports() {
    let scenario = builtin();
    let first = run(&scenario);
    let second = run(&scenario);
    assert_eq!(first.report_json, second.report_json);
    assert_eq!(first.blocks_csv, second.blocks_csv);
    assert_eq!(first.liquidations_csv, second.liquidations_csv);
    assert_eq!(first.report_html(), second.report_html());
}

/// The field and message of a scenario that must not build.
fn rejected(edit: impl FnOnce(&mut Scenario)) -> (String, String) {
    let (mut scenario, origin) = load_scenario("lst-contagion").unwrap();
    edit(&mut scenario);
    match build_market(&scenario, &origin, 1) {
        Err(ScenarioError::Invalid { field, message, .. }) => (field, message),
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("built"),
    }
}

fn pegged(scenario: &mut Scenario) -> &mut cascade::scenario::PeggedPathConfig {
    match &mut scenario.assets[1].price_path {
        Some(PricePathConfig::Pegged(pegged)) => pegged,
        _ => panic!("stETH is pegged in the built-in"),
    }
}

#[test]
fn test_pegged_path_rejects_bad_parameters_naming_the_field() {
    let (field, message) = rejected(|s| pegged(s).underlying = "WETH".into());
    assert_eq!(field, "assets[1].price_path.underlying");
    assert!(message.contains("WETH") && message.contains("ETH, stETH, USDC"));

    let (field, message) = rejected(|s| pegged(s).underlying = "stETH".into());
    assert_eq!(field, "assets[1].price_path.underlying");
    assert!(message.contains("itself"), "{message}");

    // A pegged underlying (no chains, so no cycles): USDC pegged to stETH, stETH to ETH.
    let (field, message) = rejected(|s| {
        let mut p = pegged(s).clone();
        p.underlying = "stETH".into();
        s.assets[2].price_path = Some(PricePathConfig::Pegged(p));
    });
    assert_eq!(field, "assets[2].price_path.underlying");
    assert!(message.contains("itself pegged"), "{message}");

    for size in [1.0, -0.1, f64::NAN] {
        let (field, message) = rejected(|s| pegged(s).depeg_size = size);
        assert_eq!(field, "assets[1].price_path.depeg_size");
        assert!(
            message.contains("fraction") || message.contains("finite"),
            "{message}"
        );
    }

    let (field, message) = rejected(|s| pegged(s).recovery_blocks = Some(0));
    assert_eq!(field, "assets[1].price_path.recovery_blocks");
    assert!(message.contains("at least 1"), "{message}");

    let (field, _) = rejected(|s| s.assets[1].initial_price = Some(-1.0));
    assert_eq!(field, "assets[1].initial_price");
}

#[test]
fn test_pegged_path_in_toml_follows_its_underlying_and_recovers() {
    // The token listed before its underlying, a recovery, and no initial price (ratio 1):
    // 1500 * (1 - 0.1) = 1350 from block 5, halfway back at block 10 (1500 * 0.95 = 1425), back
    // to 1500 at block 5 + 10.
    let (mut scenario, origin) = load_scenario("lst-contagion").unwrap();
    let token: cascade::scenario::AssetConfig = toml::from_str(
        r#"
        symbol = "stETH"
        price_path = { kind = "pegged", underlying = "ETH", at_block = 5, depeg_size = 0.1, recovery_blocks = 10 }
        "#,
    )
    .unwrap();
    scenario.assets[0].price_path = None;
    scenario.assets[1] = token;
    scenario.assets.swap(0, 1);
    let market = build_market(&scenario, &origin, 1).unwrap();
    let path = &market.assets[0].path;
    assert_eq!(market.assets[0].symbol, "stETH");
    assert_eq!(path.initial_price(), 1500.0);
    assert_eq!(path.price_at(4), 1500.0);
    assert!(close(path.price_at(5), 1350.0, 1e-12));
    assert!(close(path.price_at(10), 1425.0, 1e-12));
    assert!(close(path.price_at(15), 1500.0, 1e-12));
    assert_eq!(path.settled_from_block(), 15);
}
