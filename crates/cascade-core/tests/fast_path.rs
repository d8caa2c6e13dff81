//! The sorted-book fast path (`cascade_core::fast`) against the full engine, on random books and
//! random price paths inside the fast path's subset: one protocol, ETH collateral against USDC debt,
//! full-close liquidations, no venues, no gas, keepers without a minimum profit.
//!
//! Both runs must liquidate the same number of accounts in the same blocks (the integer fields of the
//! summary are equal), and every USD total must agree to 1e-9 relative: the fast path adds the same
//! terms as the engine in a different order (prefix sums instead of one event at a time).

use cascade_core::engine::{
    AssetModel, ChainModel, EngineSettings, KeeperModel, Market, Simulation,
};
use cascade_core::exact::AaveRules;
use cascade_core::fast::{run_fast, FastScratch, SortedBook};
use cascade_core::generator::{generate_accounts, CollateralChoice, DebtChoice, GeneratorModel};
use cascade_core::ids::{AccountId, AssetId, OracleId};
use cascade_core::lending::{LendingProtocol, RiskParams};
use cascade_core::oracle::{OracleKind, OracleModel, PriceSource};
use cascade_core::price_path::ReferencePath;
use cascade_core::report::Summary;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

const ETH: AssetId = AssetId(0);
const USDC: AssetId = AssetId(1);

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    n_accounts: u32,
    rules: AaveRules,
    /// 0: oracle reads the reference every block; 1: Chainlink-style push, 1 block late; 2: TWAP.
    oracle: u8,
    /// USDC's reference wanders (±0.5%) instead of staying at $1.
    wobbly_debt: bool,
    external_depth_usd: Option<f64>,
    liquidation_threshold: f64,
    bonus: f64,
    n_blocks: usize,
    volatility_per_block: f64,
    crash: f64,
    n_keepers: usize,
}

fn market(case: &Case) -> Market {
    let params = RiskParams {
        ltv: case.liquidation_threshold - 0.03,
        liquidation_threshold: case.liquidation_threshold,
        liquidation_bonus: case.bonus,
        protocol_fee: 0.1,
    };
    let mut protocol = LendingProtocol::new(
        "lending".into(),
        case.rules,
        vec![Some(params), None],
        vec![Some(OracleId(0)), Some(OracleId(1))],
    );
    protocol.close_in_full = true;
    let generator = GeneratorModel {
        n_accounts: case.n_accounts,
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
        max_collateral_usd: 10_000_000.0,
        health_factor_median: 1.3,
        health_factor_sigma: 0.6,
        round_number_share: 0.3,
    };
    generate_accounts(&mut protocol, &generator, &[2_000.0, 1.0], case.seed);

    // A random walk with a crash in the middle, as a replayed series.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(case.seed ^ 0x5eed);
    let mut eth = Vec::with_capacity(case.n_blocks);
    let mut usdc = Vec::with_capacity(case.n_blocks);
    let mut price = 2_000.0_f64;
    for block in 0..case.n_blocks {
        let shock: f64 = rng.gen_range(-1.0..1.0) * case.volatility_per_block;
        let crash = if block == case.n_blocks / 3 {
            case.crash
        } else {
            0.0
        };
        price *= (shock - crash).exp();
        eth.push(price);
        usdc.push(if case.wobbly_debt {
            1.0 + rng.gen_range(-0.005..0.005)
        } else {
            1.0
        });
    }
    let eth_source = PriceSource::Reference(ETH);
    let eth_oracle = match case.oracle {
        0 => OracleModel {
            name: "eth".into(),
            kind: OracleKind::Spot { source: eth_source },
            latency_blocks: 0,
        },
        1 => OracleModel {
            name: "eth".into(),
            kind: OracleKind::Push {
                source: eth_source,
                deviation: 0.005,
                heartbeat_blocks: 50,
            },
            latency_blocks: 1,
        },
        _ => OracleModel {
            name: "eth".into(),
            kind: OracleKind::Twap {
                source: eth_source,
                window_blocks: 5,
            },
            latency_blocks: 0,
        },
    };
    let usdc_oracle = OracleModel {
        name: "usdc".into(),
        kind: OracleKind::Spot {
            source: PriceSource::Reference(USDC),
        },
        latency_blocks: 0,
    };
    Market {
        assets: vec![
            AssetModel {
                symbol: "ETH".into(),
                path: ReferencePath::Series { prices: eth },
                external_depth_usd: case.external_depth_usd,
            },
            AssetModel {
                symbol: "USDC".into(),
                path: ReferencePath::Series { prices: usdc },
                external_depth_usd: None,
            },
        ],
        venues: vec![],
        oracles: vec![eth_oracle, usdc_oracle],
        protocols: vec![protocol],
        cdps: Vec::new(),
        perps: Vec::new(),
        option_vaults: Vec::new(),
        keepers: (0..case.n_keepers)
            .map(|index| KeeperModel {
                name: format!("keeper-{index}"),
                min_profit_usd: 0.0,
                max_liquidations_per_block: case.n_accounts,
                capital_usd_per_block: f64::INFINITY,
                max_gas_price_gwei: None,
            })
            .collect(),
        chain: ChainModel {
            block_time_seconds: 12.0,
            gas_price_gwei: 0.0,
            liquidation_gas: 500_000.0,
            gas_token: None,
            gas_token_price_usd: 2_000.0,
            gas_price_series: None,
        },
        settings: EngineSettings {
            max_blocks: case.n_blocks as u64 + 200,
            settle_tolerance: 1e-6,
        },
        agents: Default::default(),
        attack: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_agree(fast: &Summary, full: &Summary) {
    assert_eq!(fast.primary_asset, full.primary_asset);
    assert_eq!(fast.n_liquidations, full.n_liquidations, "liquidations");
    assert_eq!(fast.n_accounts_liquidated, full.n_accounts_liquidated);
    assert_eq!(
        fast.peak_liquidations_per_block,
        full.peak_liquidations_per_block
    );
    assert_eq!(fast.peak_liquidations_block, full.peak_liquidations_block);
    assert_eq!(fast.blocks_simulated, full.blocks_simulated);
    assert_eq!(fast.blocks_to_equilibrium, full.blocks_to_equilibrium);
    assert_eq!(fast.cascade_duration_blocks, full.cascade_duration_blocks);
    assert_eq!(fast.stop_reason, full.stop_reason);
    assert_eq!(fast.n_liquidatable_at_stop, full.n_liquidatable_at_stop);
    let pairs = [
        ("initial_price", fast.initial_price, full.initial_price),
        ("shocked_price", fast.shocked_price, full.shocked_price),
        (
            "equilibrium_price",
            fast.equilibrium_price,
            full.equilibrium_price,
        ),
        ("lowest_price", fast.lowest_price, full.lowest_price),
        ("amplification", fast.amplification, full.amplification),
        (
            "seized",
            fast.collateral_seized_usd,
            full.collateral_seized_usd,
        ),
        ("repaid", fast.debt_repaid_usd, full.debt_repaid_usd),
        ("bonus", fast.bonus_paid_usd, full.bonus_paid_usd),
        ("fees", fast.protocol_fees_usd, full.protocol_fees_usd),
        ("bad debt", fast.bad_debt_usd, full.bad_debt_usd),
        (
            "insolvent debt",
            fast.insolvent_debt_usd,
            full.insolvent_debt_usd,
        ),
        (
            "keeper profit",
            fast.keeper_profit_usd,
            full.keeper_profit_usd,
        ),
    ];
    for (name, a, b) in pairs {
        assert!(close(a, b), "{name}: fast {a} vs engine {b}");
    }
}

fn check(case: &Case) {
    let market = market(case);
    let book = SortedBook::new(&market).expect("the case is inside the fast path's subset");
    let paths: Vec<&ReferencePath> = market.assets.iter().map(|a| &a.path).collect();
    let fast = run_fast(&market, &book, &paths, &mut FastScratch::default()).expect("applies");
    let mut simulation = Simulation::new(market.clone());
    simulation.run();
    let full = simulation.summary();
    assert_agree(&fast.summary, &full);
    let (induced, induced_value) = simulation.induced_liquidations();
    assert_eq!(fast.induced_liquidations, induced, "induced liquidations");
    assert!(
        close(fast.induced_seized_usd, induced_value),
        "induced value: fast {} vs engine {induced_value}",
        fast.induced_seized_usd
    );
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        200u32..1_500,
        prop_oneof![Just(AaveRules::V3_0), Just(AaveRules::V3_3)],
        0u8..3,
        any::<bool>(),
        prop_oneof![Just(None), (2e6..5e7f64).prop_map(Some)],
        0.70..0.92f64,
        0.02..0.15f64,
        (60usize..300, 0.0..0.01f64, 0.0..0.3f64),
        1usize..3,
    )
        .prop_map(
            |(seed, n, rules, oracle, wobbly, depth, lt, bonus, (blocks, vol, crash), keepers)| {
                Case {
                    seed,
                    n_accounts: n,
                    rules,
                    oracle,
                    wobbly_debt: wobbly,
                    external_depth_usd: depth,
                    liquidation_threshold: lt,
                    bonus,
                    n_blocks: blocks,
                    volatility_per_block: vol,
                    crash,
                    n_keepers: keepers,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_agrees_with_engine(case in case_strategy()) {
        check(&case);
    }
}

#[test]
fn fast_path_agrees_on_a_deep_cascade() {
    // A 25% crash into a thin external market with a lagging oracle: many blocks of liquidations,
    // insolvent accounts and bad debt (checked to be non-trivial so the agreement means something).
    let case = Case {
        seed: 7,
        n_accounts: 3_000,
        rules: AaveRules::V3_3,
        oracle: 1,
        wobbly_debt: false,
        external_depth_usd: Some(3e6),
        liquidation_threshold: 0.86,
        bonus: 0.08,
        n_blocks: 200,
        volatility_per_block: 0.002,
        crash: 0.25,
        n_keepers: 2,
    };
    check(&case);
    let market = market(&case);
    let mut simulation = Simulation::new(market);
    simulation.run();
    let summary = simulation.summary();
    assert!(summary.n_liquidations > 300, "{}", summary.n_liquidations);
    assert!(summary.bad_debt_usd > 0.0);
    assert!(summary.amplification > 1.0);
    assert!(simulation.induced_liquidations().0 > 0);
}

#[test]
fn the_sorted_book_is_the_same_at_any_thread_count() {
    // Enough accounts for the parallel bucket sort (many coarse buckets, several entries per fine
    // bucket), and round-number collateral so that some keys tie.
    let case = Case {
        seed: 11,
        n_accounts: 300_000,
        rules: AaveRules::V3_3,
        oracle: 0,
        wobbly_debt: false,
        external_depth_usd: None,
        liquidation_threshold: 0.86,
        bonus: 0.05,
        n_blocks: 2,
        volatility_per_block: 0.0,
        crash: 0.0,
        n_keepers: 1,
    };
    let mut market = market(&case);
    // Stranded debt (debt, no collateral) and empty accounts at the start and around where the
    // accounts are cut into parts for 2, 3 and 4 threads, so that parts begin without a pair.
    let generated = market.protocols[0].clone();
    let mut protocol = LendingProtocol::new(
        generated.name.clone(),
        generated.rules,
        generated.risk_params.clone(),
        vec![Some(OracleId(0)), Some(OracleId(1))],
    );
    protocol.close_in_full = true;
    for index in 0..generated.n_accounts() {
        let account = AccountId(index as u32);
        let mut collateral = generated.collateral_row(account).to_vec();
        let mut debt = generated.debt_row(account).to_vec();
        match (index % 75_000).min(index % 100_000) {
            0..=9 | 500..=999 => collateral.fill(0.0),
            10..=19 | 1_000..=1_499 => {
                collateral.fill(0.0);
                debt.fill(0.0);
            }
            _ => {}
        }
        protocol.add_account(String::new(), &collateral, &debt);
    }
    market.protocols[0] = protocol;
    let build = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| SortedBook::new(&market).unwrap())
    };
    let one = build(1);
    assert!(one.len() > 250_000, "{}", one.len());
    // Every field, floats compared by their bits (`Debug` prints each float's shortest exact
    // representation, so equal text means equal bits, -0.0 included), and by `==`.
    let one_text = format!("{one:?}");
    // Some debt is stranded: the field is printed, and not as zero.
    assert!(one_text.contains("stranded_debt: "), "{one_text:.200}");
    assert!(
        !one_text.contains("stranded_debt: 0.0 ") && !one_text.contains("stranded_debt: 0.0 }"),
        "some debt is stranded"
    );
    for threads in [2, 3, 4] {
        let many = build(threads);
        assert!(many == one, "{threads} threads");
        assert!(format!("{many:?}") == one_text, "{threads} threads");
    }
}

#[test]
fn markets_outside_the_subset_are_refused_with_the_reason() {
    let case = Case {
        seed: 1,
        n_accounts: 100,
        rules: AaveRules::V3_3,
        oracle: 0,
        wobbly_debt: false,
        external_depth_usd: None,
        liquidation_threshold: 0.8,
        bonus: 0.05,
        n_blocks: 50,
        volatility_per_block: 0.0,
        crash: 0.1,
        n_keepers: 1,
    };
    let mut partial = market(&case);
    partial.protocols[0].close_in_full = false;
    let reason = SortedBook::new(&partial).unwrap_err().to_string();
    assert!(reason.contains("close the whole debt"), "{reason}");

    let mut gas = market(&case);
    gas.chain.gas_price_gwei = 20.0;
    assert!(SortedBook::new(&gas)
        .unwrap_err()
        .to_string()
        .contains("gas"));

    let mut picky = market(&case);
    picky.keepers[0].min_profit_usd = 10.0;
    assert!(SortedBook::new(&picky)
        .unwrap_err()
        .to_string()
        .contains("minimum profit"));

    let mut slow = market(&case);
    slow.keepers[0].max_liquidations_per_block = 10;
    assert!(SortedBook::new(&slow)
        .unwrap_err()
        .to_string()
        .contains("10 liquidations"));
}
