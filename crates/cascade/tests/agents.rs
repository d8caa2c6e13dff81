//! Agents and the chain's block space, from `scenarios/agents.toml`: conservation and determinism
//! with every agent active, and each behaviour switched off and on, moving the outcome the way the
//! seeds say it should (docs/agents.md).

use std::path::PathBuf;

use cascade::market::{build_market, parse_scenario, Origin};
use cascade::scenario::{GasPriceConfig, KeeperSaleConfig, PricePathConfig, Scenario};
use cascade_core::engine::Simulation;
use cascade_core::ids::AccountId;

fn scenario() -> (Scenario, Origin) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/agents.toml");
    let text = std::fs::read_to_string(&file).expect("scenarios/agents.toml");
    let scenario = parse_scenario(&text, &file).expect("a valid scenario");
    let origin = Origin {
        base_dir: file.parent().expect("a folder").to_path_buf(),
        file,
    };
    (scenario, origin)
}

fn run(scenario: &Scenario, origin: &Origin) -> Simulation {
    let market = build_market(scenario, origin, scenario.simulation.seed).expect("builds");
    let mut simulation = Simulation::new(market);
    simulation.run();
    simulation
}

/// Prints the numbers a directional test compares (shown with `--nocapture`).
fn show(label: &str, simulation: &Simulation) {
    let summary = simulation.summary();
    let totals = simulation.agent_totals();
    eprintln!(
        "{label}: liquidations {} bad debt {:.0} equilibrium {:.2} lowest {:.2} top-ups {} repays {} \
         panic {} borrower txs crowded out {} liquidations crowded out {} priority fees {:.0}",
        summary.n_liquidations,
        summary.bad_debt_usd,
        summary.equilibrium_price,
        summary.lowest_price,
        totals.top_ups,
        totals.repays,
        totals.panic_closes,
        totals.borrower_txs_crowded_out,
        totals.liquidations_crowded_out,
        totals.priority_fees_usd,
    );
}

/// The scenario without borrowers and block space: the keepers alone.
fn keepers_only(scenario: &mut Scenario) {
    scenario.protocols[0].borrowers = None;
    no_block_space(scenario);
}

fn no_block_space(scenario: &mut Scenario) {
    scenario.chain.block_gas_limit = None;
    scenario.chain.gas_price = None;
    scenario.chain.background_gas_fraction = None;
    scenario.chain.borrower_action_gas = None;
    scenario.chain.borrower_tip_gwei = None;
}

/// Borrowers who only top up (no herding, no repayments or closes).
fn top_ups_only(scenario: &mut Scenario) {
    let borrowers = scenario.protocols[0].borrowers.as_mut().unwrap();
    borrowers.herding = Some(0.0);
    borrowers.top_up_weight = Some(1.0);
    borrowers.repay_weight = Some(0.0);
    borrowers.panic_weight = Some(0.0);
}

fn relative_gap(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

#[test]
fn test_conservation_with_every_agent_active() {
    let (scenario, origin) = scenario();
    let simulation = run(&scenario, &origin);
    show("all agents", &simulation);
    let totals = simulation.agent_totals();
    // Every agent did something.
    assert!(totals.top_ups > 0 && totals.repays > 0 && totals.panic_closes > 0);
    assert!(totals.borrower_txs_crowded_out > 0);
    assert!(totals.priority_fees_usd > 0.0);
    assert!(!simulation.chain_records().is_empty());
    assert!(simulation
        .events()
        .iter()
        .any(|e| e.keeper == "desk-holder"));

    // Collateral: every unit is with an account, the protocol, a keeper's stock or sold, plus what
    // borrowers added.
    let flows = simulation.flows();
    let holdings = simulation.holdings();
    let initial = simulation.initial_collateral();
    for (asset, total) in holdings.total().iter().enumerate() {
        let expected = initial[asset] + flows.borrower_collateral_added[asset];
        assert!(
            relative_gap(*total, expected) < 1e-9,
            "asset {asset}: {total} held against {expected}"
        );
    }
    // Debt: what accounts owed at the start is owed now, repaid by keepers or borrowers, or written
    // off.
    let start = &simulation.market().protocols[0];
    let now = &simulation.protocols()[0];
    for asset in 0..start.n_assets {
        let owed = |p: &cascade_core::lending::LendingProtocol| -> f64 {
            (0..p.n_accounts())
                .map(|a| p.debt_row(AccountId(a as u32))[asset])
                .sum()
        };
        let accounted = owed(now)
            + flows.debt_repaid[asset]
            + flows.borrower_debt_repaid[asset]
            + flows.debt_written_off[asset]
            + flows.debt_absorbed[asset]
            + flows.debt_taken_over[asset];
        assert!(
            relative_gap(owed(start), accounted) < 1e-9,
            "debt asset {asset}: {} at the start, {accounted} accounted",
            owed(start)
        );
    }
    // Gas: what keepers paid (base fee and priority fees) is what the events say, and in the summary.
    let event_gas: f64 = simulation.events().iter().map(|e| e.gas_usd).sum();
    assert!(relative_gap(event_gas, flows.keeper_gas_usd) < 1e-9);
    assert!(relative_gap(event_gas, simulation.summary().gas_spent_usd) < 1e-9);
    assert!(totals.priority_fees_usd < event_gas);
    // Every held unit was eventually sold: the run settles only when keepers' stock is gone.
    assert!(holdings.keepers.iter().all(|&held| held == 0.0));
    // Blocks never hold more than their gas limit.
    for record in simulation.chain_records() {
        assert!(record.gas_used <= 30_000_000.0 * (1.0 + 1e-12));
    }
}

#[test]
fn test_determinism_with_every_agent_active() {
    let (scenario, origin) = scenario();
    let first = run(&scenario, &origin);
    let second = run(&scenario, &origin);
    assert_eq!(first.events(), second.events());
    assert_eq!(first.summary(), second.summary());
    assert_eq!(first.chain_records(), second.chain_records());
    assert_eq!(first.agent_totals(), second.agent_totals());
    let mut other = scenario.clone();
    other.simulation.seed += 1;
    let third = run(&other, &origin);
    assert_ne!(first.agent_totals(), third.agent_totals());
}

#[test]
fn test_herding_on_gives_a_lower_equilibrium_and_more_bad_debt() {
    let (mut scenario, origin) = scenario();
    scenario.protocols[0].borrowers.as_mut().unwrap().herding = Some(0.0);
    let off = run(&scenario, &origin);
    scenario.protocols[0].borrowers.as_mut().unwrap().herding = Some(3.0);
    let on = run(&scenario, &origin);
    show("herding off", &off);
    show("herding on", &on);
    // Flight to liquidity: fleeing borrowers sell into the venue, the price ends lower and the
    // accounts left behind go deeper under water. (The count of liquidations falls here, because
    // the fleeing accounts close before they could be liquidated: see docs/agents.md.)
    assert!(on.agent_totals().panic_closes > off.agent_totals().panic_closes);
    let (off, on) = (off.summary(), on.summary());
    assert!(on.equilibrium_price < off.equilibrium_price);
    assert!(on.bad_debt_usd > off.bad_debt_usd);
}

#[test]
fn test_congestion_crowds_out_top_ups_and_raises_liquidations() {
    let (mut scenario, origin) = scenario();
    top_ups_only(&mut scenario);
    scenario.chain.background_gas_fraction = Some(0.5);
    let congested = run(&scenario, &origin);
    no_block_space(&mut scenario);
    let open = run(&scenario, &origin);
    show("unlimited blocks", &open);
    show("congested blocks", &congested);
    let (open_totals, congested_totals) = (open.agent_totals(), congested.agent_totals());
    assert!(congested_totals.top_ups < open_totals.top_ups);
    assert!(congested_totals.borrower_txs_crowded_out > 0);
    let (open, congested) = (open.summary(), congested.summary());
    assert!(
        congested.n_liquidations > open.n_liquidations
            || congested.bad_debt_usd > open.bad_debt_usd
    );
}

#[test]
fn test_keeper_latency_raises_bad_debt() {
    let (mut scenario, origin) = scenario();
    keepers_only(&mut scenario);
    for keeper in &mut scenario.keepers {
        keeper.latency_blocks = Some(0);
    }
    let prompt = run(&scenario, &origin);
    for keeper in &mut scenario.keepers {
        keeper.latency_blocks = Some(10);
    }
    let late = run(&scenario, &origin);
    show("latency 0", &prompt);
    show("latency 10", &late);
    assert!(late.summary().bad_debt_usd > prompt.summary().bad_debt_usd);
}

#[test]
fn test_holding_instead_of_dumping_narrows_the_immediate_price_impact() {
    let (mut scenario, origin) = scenario();
    keepers_only(&mut scenario);
    // An instant 25% fall: the first liquidation block carries a large flow.
    scenario.assets[0].price_path = Some(PricePathConfig::Shock {
        at_block: 5,
        drop: 0.25,
    });
    for keeper in &mut scenario.keepers {
        keeper.sale = Some(KeeperSaleConfig::Dump);
        keeper.hold_fraction = None;
        keeper.hold_sell_per_block = None;
        keeper.inventory_limit_usd = None;
    }
    let dump = run(&scenario, &origin);
    for keeper in &mut scenario.keepers {
        keeper.sale = Some(KeeperSaleConfig::HoldFraction);
        keeper.hold_fraction = Some(0.8);
        keeper.hold_sell_per_block = Some(0.05);
    }
    let hold = run(&scenario, &origin);
    show("dump", &dump);
    show("hold", &hold);
    // The immediate impact: how far below the reference price the venue is pushed in the first
    // block of liquidations, before arbitrage pulls it back (what is held is sold later, spread out).
    let first_discount = |simulation: &Simulation| {
        let record = simulation
            .blocks()
            .iter()
            .find(|record| record.n_liquidations > 0)
            .expect("liquidations");
        1.0 - record.venue_prices[0] / record.reference_prices[0]
    };
    let (dump_discount, hold_discount) = (first_discount(&dump), first_discount(&hold));
    eprintln!("venue discount to the reference in the first liquidation block: dump {dump_discount:.4}, hold {hold_discount:.4}");
    assert!(hold_discount < dump_discount);
}

#[test]
fn test_top_ups_on_give_fewer_liquidations() {
    let (mut scenario, origin) = scenario();
    scenario.protocols[0].borrowers = None;
    let passive = run(&scenario, &origin);
    let (mut scenario, _) = self::scenario();
    top_ups_only(&mut scenario);
    let topping_up = run(&scenario, &origin);
    show("no borrowers", &passive);
    show("top-ups only", &topping_up);
    assert!(topping_up.agent_totals().top_ups > 0);
    assert!(topping_up.summary().n_liquidations < passive.summary().n_liquidations);
}

#[test]
fn test_bad_agent_parameters_are_rejected_with_their_field() {
    let (scenario, origin) = scenario();
    let fails = |change: &dyn Fn(&mut Scenario), field: &str| {
        let mut bad = scenario.clone();
        change(&mut bad);
        let error = build_market(&bad, &origin, 1)
            .expect_err("rejected")
            .to_string();
        assert!(error.contains(field), "{error} does not name {field}");
    };
    fails(
        &|s| s.protocols[0].borrowers.as_mut().unwrap().band = Some(0.9),
        "protocols[0].borrowers.band",
    );
    fails(
        &|s| {
            s.protocols[0]
                .borrowers
                .as_mut()
                .unwrap()
                .disposition_effect = Some(1.5)
        },
        "protocols[0].borrowers.disposition_effect",
    );
    fails(
        &|s| s.keepers[1].hold_fraction = Some(-0.1),
        "keepers[1].hold_fraction",
    );
    fails(
        &|s| s.keepers[0].gas_bid_share = Some(2.0),
        "keepers[0].gas_bid_share",
    );
    fails(
        &|s| s.keepers[0].hold_fraction = Some(0.5),
        "keepers[0].hold_fraction",
    );
    fails(
        &|s| s.chain.block_gas_limit = Some(0.0),
        "chain.block_gas_limit",
    );
    fails(
        &|s| {
            s.chain.block_gas_limit = None;
        },
        "chain.gas_price",
    );
    fails(
        &|s| s.chain.background_gas_fraction = Some(1.0),
        "chain.background_gas_fraction",
    );
}

#[test]
fn test_gas_series_replays_black_thursday_gas() {
    let (mut scenario, mut origin) = scenario();
    scenario.chain.gas_price = Some(GasPriceConfig::Series {
        file: "gas_gwei_10min_2020-03-12.csv".to_string(),
        column: "p60_gwei".to_string(),
        blocks_per_bar: 50,
    });
    origin.base_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let simulation = run(&scenario, &origin);
    let records = simulation.chain_records();
    // p60 of the first two bars: 6.925 then 6.000 gwei; a block is 1/50 of a bar.
    assert!((records[0].base_fee_gwei - 6.925).abs() < 1e-9);
    assert!((records[25].base_fee_gwei - (6.925 * 0.5 + 6.0 * 0.5)).abs() < 1e-9);
    assert!((records[50].base_fee_gwei - 6.0).abs() < 1e-9);
    // Keepers pay that base fee: cheaper gas than a constant 30 gwei (`gas_price_gwei`).
    scenario.chain.gas_price = Some(GasPriceConfig::Constant);
    let constant = run(&scenario, &origin);
    let gas_per_liquidation = |s: &Simulation| {
        let events = s.events();
        events.iter().map(|e| e.gas_usd).sum::<f64>() / events.len() as f64
    };
    assert!(gas_per_liquidation(&simulation) < gas_per_liquidation(&constant));
}

#[test]
fn test_a_fixed_gas_bid_is_priced_out_by_the_congestion_base_fee() {
    let (mut scenario, origin) = scenario();
    // The base fee of the blocks that liquidate, without any bid limit: the EIP-1559 price moves
    // away from `gas_price_gwei` (30) as the cascade fills blocks and the quiet chain empties them.
    let free = run(&scenario, &origin);
    let fee_of = |s: &Simulation, block: u64| {
        s.chain_records()
            .iter()
            .find(|r| r.block == block)
            .map(|r| r.base_fee_gwei)
            .unwrap()
    };
    let fees: Vec<f64> = free
        .events()
        .iter()
        .map(|e| fee_of(&free, e.block))
        .collect();
    let (low, high) = fees
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(l, h), &f| (l.min(f), h.max(f)));
    let cap = 0.5 * (low + high);
    let above = fees.iter().filter(|&&f| f > cap).count();
    eprintln!(
        "liquidating blocks' base fee {low}..{high} gwei; {above} of {} above {cap}",
        fees.len()
    );
    assert!(above > 0 && above < fees.len(), "{fees:?}");

    // The fast searcher bids at most halfway between the lowest and highest of those fees: it must
    // sit out every block whose base fee is above its bid, whatever `gas_price_gwei` says.
    scenario.keepers[0].max_gas_price_gwei = Some(cap);
    let capped = run(&scenario, &origin);
    let name = &scenario.keepers[0].name;
    let mut taken = 0;
    for event in capped.events().iter().filter(|e| &e.keeper == name) {
        let fee = fee_of(&capped, event.block);
        assert!(
            fee <= cap,
            "block {}: base fee {fee} above the bid {cap}",
            event.block
        );
        taken += 1;
    }
    assert!(
        taken > 0,
        "the capped keeper still liquidates in cheaper blocks"
    );
}
