//! Every liquidation mechanism, pool, circuit breaker and protocol type run through the engine on
//! one small hand-built market (ETH crashing 30% in ten blocks on one constant-product pool; 800
//! generated accounts): value is conserved, runs are deterministic, and the directions the seeds
//! state hold where they state one.
//!
//! Conservation is checked as holdings, not as rates:
//! * collateral, per asset: what the accounts (and vaults) held at the start = what they hold now +
//!   what protocols hold (fees, Compound reserves, live auction lots) + the backstop pool + protocol-
//!   owned liquidity + what keepers and pools sold to the market (`Simulation::holdings`);
//! * debt, per asset: what the accounts owed at the start = what they owe now + what keepers repaid
//!   + what was written off as bad debt + what Compound absorbed + what a backstop pool took over;
//! * keepers' cash: the profit the events report = sale proceeds - what they paid - gas + incentives;
//! * bad debt: the summary's is the events' sum, and what insurance covered is no more than that.

use cascade_core::cdp::{CdpProtocol, DutchAuctionModel};
use cascade_core::engine::{
    AssetModel, ChainModel, EngineSettings, KeeperModel, Market, Simulation, VenueModel,
};
use cascade_core::exact::AaveRules;
use cascade_core::fast::SortedBook;
use cascade_core::generator::{generate_accounts, CollateralChoice, DebtChoice, GeneratorModel};
use cascade_core::ids::{AccountId, AssetId, OracleId, VenueId};
use cascade_core::lending::{LendingProtocol, RiskParams};
use cascade_core::mechanism::breaker::{
    GracePeriodConfig, LiquidationCapacityConfig, VelocityMarginConfig, VolatilityFloorConfig,
};
use cascade_core::mechanism::maker::{ClipperConfig, PriceCurve, StopLevel};
use cascade_core::mechanism::options::{OptionHolding, OptionKind, OptionStress};
use cascade_core::mechanism::perp::{CooldownRule, MarginTiers, PartialLiquidationConfig};
use cascade_core::option_vault::{
    generate_writers, MarketMakerModel, OptionVault, WriterGeneratorModel,
};
use cascade_core::oracle::{OracleKind, OracleModel, PriceSource};
use cascade_core::perp_exchange::{
    generate_perp_accounts, FundingModel, MarginMode, PerpExchange, PerpGeneratorModel,
    PerpMarketModel,
};
use cascade_core::price_path::ReferencePath;
use cascade_core::report::{EventKind, Summary};
use cascade_core::setup::{
    BackstopModel, BreakerModels, GracePeriodModel, InsuranceFundModel, LendingMechanism,
    LendingSetup, PolModel, PriceFloorModel, VolatilityMarginModel,
};
use cascade_core::venue::{ConstantProductPool, Venue};

const ETH: AssetId = AssetId(0);
const USDC: AssetId = AssetId(1);
const ETH_PRICE: f64 = 3_000.0;
const SEED: u64 = 11;

fn lending_protocol(n_accounts: u32) -> LendingProtocol {
    let params = RiskParams {
        ltv: 0.80,
        liquidation_threshold: 0.83,
        liquidation_bonus: 0.05,
        protocol_fee: 0.1,
    };
    let mut protocol = LendingProtocol::new(
        "lending".into(),
        AaveRules::V3_3,
        vec![Some(params), None],
        vec![Some(OracleId(0)), Some(OracleId(1))],
    );
    let generator = GeneratorModel {
        n_accounts,
        collateral: vec![CollateralChoice {
            asset: ETH,
            weight: 1.0,
            round_price_step: 100.0,
        }],
        debt: vec![DebtChoice {
            asset: USDC,
            weight: 1.0,
        }],
        multi_collateral_share: 0.0,
        multi_debt_share: 0.0,
        median_collateral_usd: 20_000.0,
        collateral_usd_sigma: 1.5,
        max_collateral_usd: 5_000_000.0,
        health_factor_median: 1.35,
        health_factor_sigma: 0.8,
        round_number_share: 0.3,
    };
    generate_accounts(&mut protocol, &generator, &[ETH_PRICE, 1.0], SEED);
    protocol
}

/// The market with nothing in it but assets, the pool, oracles and keepers.
fn bare_market() -> Market {
    Market {
        assets: vec![
            AssetModel {
                symbol: "ETH".into(),
                path: ReferencePath::LinearCrash {
                    initial_price: ETH_PRICE,
                    start_block: 5,
                    duration_blocks: 10,
                    drop: 0.30,
                },
                external_depth_usd: Some(20_000_000.0),
            },
            AssetModel {
                symbol: "USDC".into(),
                path: ReferencePath::Constant { initial_price: 1.0 },
                external_depth_usd: None,
            },
        ],
        venues: vec![VenueModel {
            name: "eth-usd-amm".into(),
            asset: ETH,
            initial: Venue::ConstantProduct(ConstantProductPool::with_liquidity(
                ETH_PRICE,
                30_000_000.0,
                0.003,
            )),
            arbitrage_capital_usd_per_block: 300_000.0,
        }],
        oracles: vec![
            OracleModel {
                name: "ETH/USD".into(),
                kind: OracleKind::Push {
                    source: PriceSource::Venue(VenueId(0)),
                    deviation: 0.005,
                    heartbeat_blocks: 100,
                },
                latency_blocks: 1,
            },
            OracleModel {
                name: "USD".into(),
                kind: OracleKind::Spot {
                    source: PriceSource::Constant(1.0),
                },
                latency_blocks: 0,
            },
        ],
        protocols: Vec::new(),
        cdps: Vec::new(),
        perps: Vec::new(),
        option_vaults: Vec::new(),
        keepers: vec![
            KeeperModel {
                name: "fast".into(),
                min_profit_usd: 20.0,
                max_liquidations_per_block: 15,
                capital_usd_per_block: 2_000_000.0,
                max_gas_price_gwei: None,
            },
            KeeperModel {
                name: "large".into(),
                min_profit_usd: 300.0,
                max_liquidations_per_block: 6,
                capital_usd_per_block: 10_000_000.0,
                max_gas_price_gwei: None,
            },
        ],
        chain: ChainModel {
            block_time_seconds: 12.0,
            gas_price_gwei: 30.0,
            liquidation_gas: 500_000.0,
            gas_token: Some(ETH),
            gas_token_price_usd: 0.0,
            gas_price_series: None,
        },
        settings: EngineSettings {
            max_blocks: 1500,
            settle_tolerance: 1e-6,
        },
        agents: Default::default(),
        attack: None,
    }
}

fn lending_market(setup: LendingSetup) -> Market {
    let mut protocol = lending_protocol(800);
    protocol.setup = setup;
    Market {
        protocols: vec![protocol],
        ..bare_market()
    }
}

fn total_debt_usd(protocol: &LendingProtocol) -> f64 {
    (0..protocol.n_accounts())
        .map(|a| protocol.debt_usd(AccountId(a as u32), &[ETH_PRICE, 1.0]))
        .sum()
}

fn run(market: &Market) -> Simulation {
    let mut simulation = Simulation::new(market.clone());
    simulation.run();
    simulation
}

/// The run's events and summary as text (NaN-safe equality).
fn fingerprint(simulation: &Simulation) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        simulation.events(),
        simulation.summary(),
        simulation.blocks()
    )
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * a.abs().max(b.abs()).max(1.0)
}

/// Collateral, debt, keepers' cash and bad debt all add up (see the file's doc).
fn check_conservation(simulation: &Simulation, what: &str) {
    let initial = simulation.initial_collateral();
    let holdings = simulation.holdings();
    for (asset, (before, after)) in initial.iter().zip(holdings.total()).enumerate() {
        assert!(
            close(*before, after, 1e-9),
            "{what}: asset {asset}: {before} held at the start, {after} accounted for now ({holdings:?})"
        );
    }
    let flows = simulation.flows();
    for (initial, now) in simulation
        .market()
        .protocols
        .iter()
        .zip(simulation.protocols())
    {
        for asset in 0..initial.n_assets {
            let owed = |p: &LendingProtocol| -> f64 {
                (0..p.n_accounts())
                    .map(|a| p.debt_row(AccountId(a as u32))[asset])
                    .sum()
            };
            let explained = owed(now)
                + flows.debt_repaid[asset]
                + flows.debt_written_off[asset]
                + flows.debt_absorbed[asset]
                + flows.debt_taken_over[asset];
            assert!(
                close(owed(initial), explained, 1e-9),
                "{what}: debt in asset {asset}: {} owed at the start, {explained} explained",
                owed(initial)
            );
        }
    }
    let profit: f64 = simulation
        .events()
        .iter()
        .map(|e| e.keeper_profit_usd)
        .sum();
    let cash = flows.keeper_proceeds_usd - flows.keeper_paid_usd - flows.keeper_gas_usd
        + flows.keeper_incentives_usd;
    assert!(
        close(profit, cash, 1e-9),
        "{what}: keepers' profit {profit} vs their cash flows {cash}"
    );
    let summary = simulation.summary();
    let bad_debt: f64 = simulation.events().iter().map(|e| e.bad_debt_usd).sum();
    assert!(close(summary.bad_debt_usd, bad_debt, 1e-9), "{what}");
    assert!(
        summary.bad_debt_uncovered_usd <= summary.bad_debt_usd + 1e-6,
        "{what}: uncovered {} above the bad debt {}",
        summary.bad_debt_uncovered_usd,
        summary.bad_debt_usd
    );
}

fn plain() -> Summary {
    run(&lending_market(LendingSetup::default())).summary()
}

#[test]
fn test_each_lending_mechanism_conserves_value_and_is_deterministic() {
    let debt = total_debt_usd(&lending_protocol(800));
    let window = |config| BreakerModels {
        rate_limit: Some(config),
        ..BreakerModels::default()
    };
    // Each check says the mechanism acted, in a way the plain fixed-spread sale would not show.
    type Check = fn(&Simulation, &Summary) -> bool;
    let cases: Vec<(&str, LendingSetup, Check)> = vec![
        ("fixed spread", LendingSetup::default(), |_, s| {
            s.n_liquidations > 0
        }),
        (
            "chunks",
            LendingSetup {
                chunks: Some(PartialLiquidationConfig {
                    threshold_notional: 20_000.0,
                    slice_fraction: 0.2,
                    cooldown: 60,
                    rule: CooldownRule::WaitForCooldown,
                }),
                ..LendingSetup::default()
            },
            |_, s| s.liquidations_deferred > 0,
        ),
        (
            "morpho",
            LendingSetup {
                mechanism: LendingMechanism::Morpho,
                ..LendingSetup::default()
            },
            |_, s| s.n_liquidations > 0 && s.protocol_fees_usd == 0.0,
        ),
        (
            "euler",
            LendingSetup {
                mechanism: LendingMechanism::Euler {
                    max_discount: 0.15,
                    cool_off_seconds: 24,
                },
                ..LendingSetup::default()
            },
            |_, s| {
                s.n_liquidations > 0 && (s.bonus_paid_usd / s.debt_repaid_usd - 0.05).abs() > 1e-3
            },
        ),
        (
            "compound absorb",
            LendingSetup {
                mechanism: LendingMechanism::CompoundAbsorb {
                    store_front_price_factor: 0.5,
                    target_reserves_usd: 0.05 * debt,
                    initial_reserves_usd: 0.02 * debt,
                    max_sale_usd_per_block: 0.002 * debt,
                },
                ..LendingSetup::default()
            },
            |_, s| s.absorbs > 0 && s.keeper_profit_usd > 0.0,
        ),
        (
            "insurance fund",
            LendingSetup {
                insurance_fund: Some(InsuranceFundModel {
                    initial_usd: 0.01 * debt,
                }),
                ..LendingSetup::default()
            },
            |_, s| s.insurance_drawdown_usd > 0.0,
        ),
        (
            "backstop",
            LendingSetup {
                backstop: Some(BackstopModel {
                    capital_usd: 0.3 * debt,
                    max_unwind_usd_per_block: 0.001 * debt,
                    trigger: 1.0,
                }),
                ..LendingSetup::default()
            },
            |_, s| s.backstop_takeovers > 0,
        ),
        (
            "protocol-owned liquidity",
            LendingSetup {
                protocol_owned_liquidity: Some(PolModel {
                    budget_usd: 0.05 * debt,
                    discount: 0.0,
                }),
                ..LendingSetup::default()
            },
            |sim, _| sim.flows().collateral_to_pol.iter().sum::<f64>() > 0.0,
        ),
        (
            "rate limit",
            LendingSetup {
                breakers: window(LiquidationCapacityConfig {
                    maker_fee: 0.0002,
                    taker_fee: 0.0006,
                    skew_scale: 20.0 / (0.0008 * 60.0),
                    limit_scalar: 1.0,
                    window_seconds: 60,
                    max_liquidation_pd: 0.0,
                    endorsed_liquidator: None,
                }),
                ..LendingSetup::default()
            },
            |_, s| s.liquidations_deferred > 0,
        ),
        (
            "grace period",
            LendingSetup {
                breakers: BreakerModels {
                    grace_period: Some(GracePeriodModel {
                        config: GracePeriodConfig {
                            duration: 300,
                            jump_threshold: 0.02,
                        },
                        outage_blocks: Some((3, 6)),
                    }),
                    ..BreakerModels::default()
                },
                ..LendingSetup::default()
            },
            |_, s| s.liquidations_deferred > 0,
        ),
        (
            "velocity margin",
            LendingSetup {
                breakers: BreakerModels {
                    velocity_margin: Some(VelocityMarginConfig {
                        window_seconds: 300,
                        trigger_notional: 0.01 * debt,
                        step_up: 0.1,
                        max_multiplier: 1.3,
                    }),
                    ..BreakerModels::default()
                },
                ..LendingSetup::default()
            },
            |_, s| s.n_liquidations > plain().n_liquidations,
        ),
        (
            "volatility margin",
            LendingSetup {
                breakers: BreakerModels {
                    volatility_margin: Some(VolatilityMarginModel {
                        reference_volatility: 0.8,
                        max_multiplier: 1.3,
                        window_blocks: 50,
                    }),
                    ..BreakerModels::default()
                },
                ..LendingSetup::default()
            },
            |_, s| s.n_liquidations > plain().n_liquidations,
        ),
        (
            "price floor",
            LendingSetup {
                breakers: BreakerModels {
                    price_floor: Some(PriceFloorModel {
                        config: VolatilityFloorConfig {
                            trigger_volatility: 1.5,
                            floor_fraction: 0.9,
                        },
                        window_blocks: 300,
                    }),
                    ..BreakerModels::default()
                },
                ..LendingSetup::default()
            },
            |_, s| s.liquidations_deferred > 0,
        ),
    ];
    for (name, setup, triggered) in cases {
        let market = lending_market(setup);
        let first = run(&market);
        check_conservation(&first, name);
        let summary = first.summary();
        assert!(
            triggered(&first, &summary),
            "{name}: mechanism not exercised: {summary:?}"
        );
        let second = run(&market);
        assert_eq!(
            fingerprint(&first),
            fingerprint(&second),
            "{name}: not deterministic"
        );
    }
}

#[test]
fn test_plain_setup_is_unchanged_by_the_mechanism_machinery() {
    // A protocol with the default setup and the same protocol inside a market that uses mechanisms
    // elsewhere (a perp exchange on another asset would do; here an empty options vault) take the
    // same liquidations: the extended block loop changes nothing for the plain sale.
    let plain_market = lending_market(LendingSetup::default());
    let mut extended = plain_market.clone();
    extended.option_vaults.push(OptionVault {
        name: "empty".into(),
        asset: ETH,
        oracle: OracleId(0),
        rate: 0.0,
        stress: OptionStress {
            spot_move: 0.1,
            vol_rise: 0.1,
        },
        liquidation_penalty: 0.05,
        writers: Vec::new(),
        market_makers: Vec::new(),
        insurance_fund: None,
    });
    let a = run(&plain_market);
    let b = run(&extended);
    assert_eq!(format!("{:?}", a.events()), format!("{:?}", b.events()));
}

#[test]
fn test_rate_limit_lowers_peak_liquidations_per_block() {
    let limited = run(&lending_market(LendingSetup {
        breakers: BreakerModels {
            rate_limit: Some(LiquidationCapacityConfig {
                maker_fee: 0.0002,
                taker_fee: 0.0006,
                skew_scale: 20.0 / (0.0008 * 60.0),
                limit_scalar: 1.0,
                window_seconds: 60,
                max_liquidation_pd: 0.0,
                endorsed_liquidator: None,
            }),
            ..BreakerModels::default()
        },
        ..LendingSetup::default()
    }))
    .summary();
    let plain = plain();
    assert!(
        limited.peak_liquidations_per_block < plain.peak_liquidations_per_block,
        "rate limit peak {} vs plain {}",
        limited.peak_liquidations_per_block,
        plain.peak_liquidations_per_block
    );
}

#[test]
fn test_backstop_lowers_price_impact_and_bad_debt() {
    let debt = total_debt_usd(&lending_protocol(800));
    let backstop = run(&lending_market(LendingSetup {
        backstop: Some(BackstopModel {
            capital_usd: 0.3 * debt,
            max_unwind_usd_per_block: 0.001 * debt,
            trigger: 1.0,
        }),
        ..LendingSetup::default()
    }))
    .summary();
    let plain = plain();
    assert!(
        backstop.max_drawdown < plain.max_drawdown,
        "backstop max drawdown {} vs plain {}",
        backstop.max_drawdown,
        plain.max_drawdown
    );
    // The pool takes over what its free cash can repay; keepers liquidate the rest.
    assert!(
        backstop.bad_debt_usd < plain.bad_debt_usd,
        "backstop bad debt {} vs plain {}",
        backstop.bad_debt_usd,
        plain.bad_debt_usd
    );
}

#[test]
fn test_insurance_fund_covers_bad_debt_up_to_its_balance() {
    let plain = plain();
    assert!(
        plain.bad_debt_usd > 0.0,
        "the test market must create bad debt"
    );
    let fund = 0.5 * plain.bad_debt_usd;
    let insured = run(&lending_market(LendingSetup {
        insurance_fund: Some(InsuranceFundModel { initial_usd: fund }),
        ..LendingSetup::default()
    }))
    .summary();
    // The same liquidations: the fund changes who bears the loss, not the market.
    assert_eq!(insured.bad_debt_usd, plain.bad_debt_usd);
    assert!(close(insured.insurance_drawdown_usd, fund, 1e-9));
    assert!(close(
        insured.bad_debt_uncovered_usd,
        plain.bad_debt_usd - fund,
        1e-9
    ));
}

fn cdp_market(curve: PriceCurve, hole: f64) -> Market {
    let lending = lending_protocol(800);
    let auction = DutchAuctionModel {
        chop: None,
        hole,
        global_hole: f64::INFINITY,
        dust: 500.0,
        clipper: ClipperConfig {
            buf: 1.2,
            tail: 8400,
            cusp: 0.45,
            chip: 0.001,
            tip: 100.0,
            calc: curve,
        },
        stopped: StopLevel::Running,
    };
    let cdp = CdpProtocol::from_lending(&lending, USDC, &auction, &[ETH_PRICE, 1.0]);
    Market {
        cdps: vec![cdp],
        settings: EngineSettings {
            max_blocks: 2500,
            settle_tolerance: 1e-6,
        },
        ..bare_market()
    }
}

#[test]
fn test_dutch_auctions_conserve_collateral_and_debt_under_each_curve() {
    let curves = [
        PriceCurve::LinearDecrease { tau: 7200 },
        PriceCurve::StairstepExponentialDecrease {
            step: 90,
            cut: 0.99,
        },
        PriceCurve::ExponentialDecrease {
            cut: 0.99_f64.powf(1.0 / 90.0),
        },
    ];
    for curve in curves {
        let market = cdp_market(curve, f64::INFINITY);
        let simulation = run(&market);
        let what = format!("{curve:?}");
        check_conservation(&simulation, &what);
        let summary = simulation.summary();
        assert!(summary.auctions_started > 0, "{what}: {summary:?}");
        assert!(summary.auctions_settled > 0, "{what}: {summary:?}");
        // Debt: what the vaults owe now plus what bark moved into auctions is what they owed.
        let art = |cdp: &CdpProtocol| cdp.vaults.iter().map(|v| v.vault.art).sum::<f64>();
        let barked: f64 = simulation
            .events()
            .iter()
            .filter(|e| e.kind == EventKind::AuctionKick)
            .map(|e| e.debt_repaid)
            .sum();
        let initial = art(&market.cdps[0]);
        assert!(
            close(initial, art(simulation.cdps()[0]) + barked, 1e-9),
            "{what}: art {initial} vs {} + {barked}",
            art(simulation.cdps()[0])
        );
        // Takes: the keeper paid `owe` at most the auction price times the slice, and every take
        // is below what the keeper sold for when it profited.
        for event in simulation.events() {
            if event.kind == EventKind::AuctionTake {
                assert!(event.collateral_seized > 0.0 && event.debt_repaid >= 0.0);
            }
        }
        assert_eq!(
            fingerprint(&simulation),
            fingerprint(&run(&market)),
            "{what}"
        );
    }
}

#[test]
fn test_hole_limits_live_auctions_and_spreads_the_kicks() {
    let stairstep = PriceCurve::StairstepExponentialDecrease {
        step: 90,
        cut: 0.99,
    };
    let open = run(&cdp_market(stairstep, f64::INFINITY)).summary();
    let debt = total_debt_usd(&lending_protocol(800));
    let limited = run(&cdp_market(stairstep, 0.02 * debt)).summary();
    assert!(
        limited.peak_liquidations_per_block < open.peak_liquidations_per_block,
        "hole: peak kicks {} vs {}",
        limited.peak_liquidations_per_block,
        open.peak_liquidations_per_block
    );
    assert!(limited.liquidations_deferred > 0);
}

#[test]
fn test_clipper_stop_levels_hold_back_every_auction() {
    let stairstep = PriceCurve::StairstepExponentialDecrease {
        step: 90,
        cut: 0.99,
    };
    let with_level = |level: StopLevel| {
        let mut market = cdp_market(stairstep, f64::INFINITY);
        for ilk in &mut market.cdps[0].ilks {
            ilk.stopped = level;
        }
        let simulation = run(&market);
        check_conservation(&simulation, &format!("{level:?}"));
        let takes = simulation
            .events()
            .iter()
            .filter(|e| e.kind == EventKind::AuctionTake)
            .count();
        (simulation.summary(), takes)
    };
    let (running, running_takes) = with_level(StopLevel::Running);
    assert!(running.auctions_started > 0 && running_takes > 0);
    // Every level from 1 up forbids `kick` (2 also `redo`, 3 also `take`): set for the whole run,
    // bark fails and nothing is liquidated.
    for level in [StopLevel::NoKick, StopLevel::NoRedo, StopLevel::NoTake] {
        let (stopped, takes) = with_level(level);
        assert_eq!(
            (stopped.auctions_started, stopped.n_liquidations, takes),
            (0, 0, 0),
            "{level:?}"
        );
        assert!(stopped.n_liquidatable_at_stop > 0, "{level:?}");
    }
}

fn perp_market(adl: bool, backstop: bool, mode: MarginMode) -> Market {
    let mut exchange = PerpExchange {
        name: "perps".into(),
        markets: vec![PerpMarketModel {
            asset: ETH,
            oracle: OracleId(0),
            tiers: MarginTiers::new(&[
                (250_000.0, 0.01, 50.0),
                (1_000_000.0, 0.02, 25.0),
                (f64::INFINITY, 0.05, 10.0),
            ])
            .unwrap(),
        }],
        margin_mode: mode,
        liquidation_fee_rate: 0.0005,
        insurance_fund_usd: 2_000.0,
        adl,
        backstop: backstop.then_some(BackstopModel {
            capital_usd: 3_000_000.0,
            max_unwind_usd_per_block: 20_000.0,
            trigger: 2.0 / 3.0,
        }),
        chunks: None,
        funding: None,
        protocol_owned_liquidity: None,
        breakers: BreakerModels::default(),
        accounts: Vec::new(),
        labels: Vec::new(),
    };
    let model = PerpGeneratorModel {
        n_accounts: 600,
        long_share: 0.7,
        median_notional_usd: 15_000.0,
        notional_sigma: 1.2,
        max_notional_usd: 2_000_000.0,
        leverage_median: 20.0,
        leverage_sigma: 0.6,
        entry_spread: 0.05,
        multi_market_share: 0.0,
    };
    generate_perp_accounts(&mut exchange, &model, &[ETH_PRICE], SEED);
    Market {
        perps: vec![exchange],
        ..bare_market()
    }
}

fn open_interest(exchange: &PerpExchange) -> f64 {
    exchange
        .accounts
        .iter()
        .flat_map(|a| a.positions.iter())
        .map(|p| p.size.abs())
        .sum()
}

#[test]
fn test_perp_positions_are_conserved_and_adl_cuts_uncovered_losses() {
    let mut uncovered = Vec::new();
    for adl in [false, true] {
        let market = perp_market(adl, false, MarginMode::Isolated);
        let simulation = run(&market);
        let (mut market_closed, mut adl_closed) = (0.0, 0.0);
        for event in simulation.events() {
            match event.kind {
                EventKind::PerpLiquidation => market_closed += event.collateral_seized,
                EventKind::Adl => adl_closed += event.collateral_seized,
                _ => {}
            }
        }
        // An ADL closes the liquidated position and as much of the opposite side.
        let before = open_interest(&market.perps[0]);
        let after = open_interest(simulation.perps()[0]);
        assert!(
            close(before - after, market_closed + 2.0 * adl_closed, 1e-9),
            "adl {adl}: open interest fell by {} but {market_closed} + 2 x {adl_closed} was closed",
            before - after
        );
        for account in &simulation.perps()[0].accounts {
            assert!(
                account.collateral >= 0.0,
                "a negative margin is bad debt, not a balance"
            );
        }
        let summary = simulation.summary();
        assert_eq!(summary.adl_events > 0, adl, "{summary:?}");
        uncovered.push(summary.bad_debt_uncovered_usd);
        assert_eq!(fingerprint(&simulation), fingerprint(&run(&market)));
    }
    assert!(
        uncovered[1] < uncovered[0],
        "ADL must leave less uncovered loss than the fund alone: {uncovered:?}"
    );
}

#[test]
fn test_perp_backstop_takes_over_and_cross_margin_runs() {
    let backstop = run(&perp_market(true, true, MarginMode::Isolated)).summary();
    assert!(backstop.backstop_takeovers > 0, "{backstop:?}");
    assert_eq!(backstop.bad_debt_uncovered_usd, 0.0);
    let cross = run(&perp_market(true, false, MarginMode::Cross));
    assert!(cross.summary().n_liquidations > 0);
}

#[test]
fn test_funding_moves_money_between_positions_and_the_fund_only() {
    // A gentle 1% fall (nobody is liquidated at 2x) with funding every minute: whatever the
    // positions pay, the insurance fund (the counterparty of the long/short imbalance) receives.
    let mut market = perp_market(false, false, MarginMode::Isolated);
    market.assets[0].path = ReferencePath::LinearCrash {
        initial_price: ETH_PRICE,
        start_block: 5,
        duration_blocks: 60,
        drop: 0.01,
    };
    let exchange = &mut market.perps[0];
    exchange.funding = Some(FundingModel {
        interval_seconds: 60,
        interest_rate: 0.0001,
        clamp: 0.0005,
    });
    for account in &mut exchange.accounts {
        let notional: f64 = account
            .positions
            .iter()
            .map(|p| p.size.abs() * ETH_PRICE)
            .sum();
        account.collateral = notional / 2.0;
    }
    let before: f64 =
        exchange.accounts.iter().map(|a| a.collateral).sum::<f64>() + exchange.insurance_fund_usd;
    let simulation = run(&market);
    assert_eq!(simulation.summary().n_liquidations, 0);
    let after: f64 = simulation.perps()[0]
        .accounts
        .iter()
        .map(|a| a.collateral)
        .sum::<f64>()
        + simulation.perp_insurance_balances()[0];
    let paid = (simulation.perp_insurance_balances()[0] - 2_000.0).abs();
    assert!(paid > 0.0, "funding was paid");
    assert!(close(before, after, 1e-12), "{before} vs {after}");
}

fn options_market(hedge: bool) -> Market {
    let mut vault = OptionVault {
        name: "options".into(),
        asset: ETH,
        oracle: OracleId(0),
        rate: 0.0,
        stress: OptionStress {
            spot_move: 0.15,
            vol_rise: 0.1,
        },
        liquidation_penalty: 0.05,
        writers: Vec::new(),
        market_makers: vec![MarketMakerModel {
            name: "desk".into(),
            holdings: vec![OptionHolding {
                kind: OptionKind::Put,
                strike: 0.9 * ETH_PRICE,
                expiry: 7.0 / 365.25,
                volatility: 0.7,
                quantity: -3000.0,
            }],
            rebalance_band: if hedge { 5.0 } else { 1e300 },
            rebalance_blocks: 1,
            initial_hedge: None,
        }],
        insurance_fund: None,
    };
    let model = WriterGeneratorModel {
        n_writers: 200,
        put_share: 0.8,
        put_strikes: vec![0.8, 0.9],
        call_strikes: vec![1.1],
        expiry_years: 14.0 / 365.25,
        volatility: 0.7,
        median_notional_usd: 30_000.0,
        notional_sigma: 1.0,
        buffer_median: 0.3,
        buffer_sigma: 0.5,
    };
    generate_writers(&mut vault, &model, ETH_PRICE, SEED);
    Market {
        option_vaults: vec![vault],
        ..bare_market()
    }
}

#[test]
fn test_short_gamma_hedging_deepens_the_fall_and_writers_collateral_is_conserved() {
    let hedged = run(&options_market(true));
    let unhedged = run(&options_market(false));
    let (h, u) = (hedged.summary(), unhedged.summary());
    assert!(h.hedge_volume_usd > 0.0 && u.hedge_volume_usd == 0.0);
    assert!(
        h.max_drawdown > u.max_drawdown,
        "a short-gamma desk sells into the fall: {} vs {}",
        h.max_drawdown,
        u.max_drawdown
    );
    for simulation in [&hedged, &unhedged] {
        let market = simulation.market();
        let collateral =
            |vault: &OptionVault| -> f64 { vault.writers.iter().map(|w| w.collateral_usd).sum() };
        let paid: f64 = simulation
            .events()
            .iter()
            .filter(|e| e.kind == EventKind::OptionTakeover)
            .map(|e| e.collateral_seized_usd)
            .sum();
        assert!(simulation.summary().n_liquidations > 0);
        let now = collateral(simulation.option_vaults()[0]);
        assert!(close(
            collateral(&market.option_vaults[0]),
            now + paid,
            1e-9
        ));
    }
    assert_eq!(
        fingerprint(&hedged),
        fingerprint(&run(&options_market(true)))
    );
}

#[test]
fn test_fast_path_refuses_markets_with_mechanisms() {
    let mut market = lending_market(LendingSetup {
        mechanism: LendingMechanism::Morpho,
        ..LendingSetup::default()
    });
    market.venues.clear();
    market.chain.gas_price_gwei = 0.0;
    let refusal = SortedBook::new(&market).unwrap_err();
    assert!(refusal.0.contains("morpho"), "{refusal}");
    let mut perps = perp_market(true, false, MarginMode::Isolated);
    perps.venues.clear();
    let refusal = SortedBook::new(&perps).unwrap_err();
    assert!(refusal.0.contains("lending protocols only"), "{refusal}");
}
