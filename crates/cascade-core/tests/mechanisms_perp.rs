//! Perp-market mechanisms: margin tiers, liquidation and bankruptcy prices, chunked liquidation and
//! fees (`mechanism::perp`), auto-deleveraging (`mechanism::adl`), circuit breakers
//! (`mechanism::breaker`). Expected numbers are derived in the comments.

use cascade_core::mechanism::adl::{adl_queue, auto_deleverage, deleverage_in_order, AdlCandidate};
use cascade_core::mechanism::backstop::{
    should_backstop, BackstopPool, InsuranceFund, ProtocolOwnedLiquidity,
    HYPERLIQUID_BACKSTOP_FRACTION,
};
use cascade_core::mechanism::breaker::{
    expected_shortfall_margin_rate, realized_volatility, var_margin_rate, GracePeriodConfig,
    GracePeriodState, LiquidationCapacityConfig, LiquidationWindowState, VelocityMarginConfig,
    VelocityMarginState, VolatilityFloorConfig, VolatilityMarginConfig,
};
use cascade_core::mechanism::perp::{
    funding_payment, funding_rate, liquidate_cross, liquidate_isolated, mark_price, CooldownRule,
    CrossAccount, CrossPosition, IsolatedPosition, MarginTiers, MarkPriceInputs,
    PartialLiquidationConfig, PartialLiquidationState,
};
use proptest::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn near(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

// ---------------------------------------------------------------------------
// Margin tiers and prices
// ---------------------------------------------------------------------------

/// Binance BTCUSDT perpetual, tiers of 2021-03-18 ("Updates to Leverage and Margin Tiers of Binance
/// Futures Contracts"): (notional cap, maintenance rate, max leverage).
fn btcusdt_tiers() -> MarginTiers {
    MarginTiers::new(&[
        (50_000.0, 0.004, 125.0),
        (250_000.0, 0.005, 100.0),
        (1_000_000.0, 0.01, 50.0),
        (10_000_000.0, 0.025, 20.0),
        (20_000_000.0, 0.05, 10.0),
        (50_000_000.0, 0.10, 5.0),
        (100_000_000.0, 0.125, 4.0),
        (200_000_000.0, 0.15, 3.0),
        (300_000_000.0, 0.25, 2.0),
        (500_000_000.0, 0.50, 1.0),
    ])
    .unwrap()
}

#[test]
fn test_maintenance_amounts_make_margin_continuous() {
    // amt_i = amt_(i-1) + cap_(i-1) * (mmr_i - mmr_(i-1)):
    // 0; 50k * 0.1% = 50; 50 + 250k * 0.5% = 1,300; 1,300 + 1M * 1.5% = 16,300;
    // 16,300 + 10M * 2.5% = 266,300; + 20M * 5% = 1,266,300; + 50M * 2.5% = 2,516,300;
    // + 100M * 2.5% = 5,016,300; + 200M * 10% = 25,016,300; + 300M * 25% = 100,016,300.
    let tiers = btcusdt_tiers();
    let amounts: Vec<f64> = tiers.tiers().iter().map(|t| t.maintenance_amount).collect();
    let want = [
        0.0,
        50.0,
        1_300.0,
        16_300.0,
        266_300.0,
        1_266_300.0,
        2_516_300.0,
        5_016_300.0,
        25_016_300.0,
        100_016_300.0,
    ];
    for (got, want) in amounts.iter().zip(want) {
        assert!(close(*got, want), "{amounts:?}");
    }
    // 300k: tier 3, 300,000 * 1% - 1,300 = 1,700. At the 250k boundary both formulas give 1,200.
    assert!(close(tiers.maintenance_margin(300_000.0), 1_700.0));
    assert!(close(tiers.maintenance_margin(250_000.0), 1_200.0));
    assert!(close(
        tiers.maintenance_margin(250_000.0 + 1e-6),
        1_200.0 + 1e-8
    ));
    // Initial margin: 300k at 100x is capped at tier 3's 50x: 6,000.
    assert!(close(tiers.initial_margin(300_000.0, 100.0), 6_000.0));
}

#[test]
fn test_isolated_liquidation_and_bankruptcy_prices() {
    let tiers = btcusdt_tiers();
    // Long 10 BTC at 30,000 with 15,000 margin. Tier 1 gives (300,000 - 15,000) / (10 * 0.996)
    // = 28,614 (notional 286k, not in tier 1), tier 2 28,638 (not in tier 2), tier 3:
    // (300,000 - 15,000 - 1,300) / (10 * 0.99) = 28,656.5657, notional 286,566 in tier 3.
    let long = IsolatedPosition {
        size: 10.0,
        entry_price: 30_000.0,
        margin: 15_000.0,
    };
    let p = long.liquidation_price(&tiers).unwrap();
    assert!(near(p, 28_656.565_656_565_66, 1e-6));
    // There equity = maintenance margin: 15,000 - 13,434.34 = 1,565.66 = 2,865.66 - 1,300.
    assert!(near(
        long.equity(p),
        long.maintenance_margin(&tiers, p),
        1e-6
    ));
    assert!(long.is_liquidatable(&tiers, p - 0.01) && !long.is_liquidatable(&tiers, p + 0.01));
    // Bankruptcy: 30,000 - 15,000 / 10 = 28,500.
    assert_eq!(long.bankruptcy_price(), 28_500.0);

    // Short 10 at 30,000, margin 15,000: (-300,000 - 15,000 - 1,300) / (10 * (-1 - 0.01))
    // = 31,316.83; bankruptcy 31,500.
    let short = IsolatedPosition {
        size: -10.0,
        ..long
    };
    let p = short.liquidation_price(&tiers).unwrap();
    assert!(near(p, 31_316.831_683_168_32, 1e-6));
    assert_eq!(short.bankruptcy_price(), 31_500.0);

    // One tier: Hyperliquid's form. Long 1 ETH at 2,000, margin 100, maintenance 2%:
    // margin available = 100 - 40 = 60; 2,000 - 60 / 1 / (1 - 0.02) = 1,938.7755.
    let eth = IsolatedPosition {
        size: 1.0,
        entry_price: 2_000.0,
        margin: 100.0,
    };
    let p = eth
        .liquidation_price(&MarginTiers::flat(0.02, 25.0))
        .unwrap();
    assert!(near(p, 2_000.0 - 60.0 / 0.98, 1e-9));
    // A long margined beyond its notional is never liquidated.
    let safe = IsolatedPosition {
        margin: 2_500.0,
        ..eth
    };
    assert_eq!(safe.liquidation_price(&MarginTiers::flat(0.02, 25.0)), None);
}

#[test]
fn test_cross_account_liquidation_price() {
    // Collateral 10,000; long 5 ETH at 2,000 (1% maintenance); short 0.5 BTC at 40,000 (0.5%).
    // Marks 1,900 and 41,000: equity = 10,000 - 500 - 500 = 9,000; maintenance 95 + 102.5 = 197.5.
    let tiers = vec![
        MarginTiers::flat(0.01, 50.0),
        MarginTiers::flat(0.005, 100.0),
    ];
    let marks = [1_900.0, 41_000.0];
    let account = CrossAccount {
        collateral: 10_000.0,
        positions: vec![
            CrossPosition {
                market: 0,
                size: 5.0,
                entry_price: 2_000.0,
            },
            CrossPosition {
                market: 1,
                size: -0.5,
                entry_price: 40_000.0,
            },
        ],
    };
    assert!(close(account.equity(&marks), 9_000.0));
    assert!(close(account.maintenance_margin(&tiers, &marks), 197.5));
    assert!(!account.is_liquidatable(&tiers, &marks));
    // ETH's price with BTC held: available = 10,000 - 500 - 102.5 = 9,397.5;
    // p = (10,000 - 9,397.5) / (5 * 0.99) = 121.7172.
    let p = account.liquidation_price(0, &tiers, &marks).unwrap();
    assert!(near(p, 602.5 / 4.95, 1e-9));
    let at = [p, marks[1]];
    assert!(near(
        account.equity(&at),
        account.maintenance_margin(&tiers, &at),
        1e-6
    ));
}

#[test]
fn test_mark_price_ignores_a_manipulated_last_trade() {
    // Price 1 = 30,000 * (1 + 0.0001 * 14,400 / 28,800) = 30,001.5; price 2 = 30,000 + 10 = 30,010;
    // last price 31,000 (a spike): the median is 30,010.
    let inputs = MarkPriceInputs {
        index_price: 30_000.0,
        last_funding_rate: 0.0001,
        time_to_next_funding: 14_400.0,
        funding_interval: 28_800.0,
        basis_average: 10.0,
        last_price: 31_000.0,
    };
    assert!(close(mark_price(&inputs), 30_010.0));
    // A last price between the two: it is the mark.
    let calm = MarkPriceInputs {
        last_price: 30_005.0,
        ..inputs
    };
    assert!(close(mark_price(&calm), 30_005.0));
}

#[test]
fn test_funding() {
    // Long 2 BTC at mark 30,000, rate 0.01%: pays 6; the short side receives 6.
    assert!(close(funding_payment(2.0, 30_000.0, 0.0001), 6.0));
    assert!(close(funding_payment(-2.0, 30_000.0, 0.0001), -6.0));
    // Premium 0.03%, interest 0.01%: 0.03% + clamp(-0.02%) = 0.01%.
    assert!(close(funding_rate(0.0003, 0.0001, 0.0005), 0.0001));
    // Premium 0.1%: 0.1% + clamp(-0.09% -> -0.05%) = 0.05%.
    assert!(close(funding_rate(0.001, 0.0001, 0.0005), 0.0005));
}

// ---------------------------------------------------------------------------
// Liquidation in chunks, fees, bad debt
// ---------------------------------------------------------------------------

fn hyperliquid_chunks(rule: CooldownRule) -> PartialLiquidationConfig {
    PartialLiquidationConfig {
        threshold_notional: 100_000.0,
        slice_fraction: 0.2,
        cooldown: 30,
        rule,
    }
}

#[test]
fn test_chunked_liquidation_with_fee_to_insurance() {
    let tiers = btcusdt_tiers();
    let mut position = IsolatedPosition {
        size: 10.0,
        entry_price: 30_000.0,
        margin: 15_000.0,
    };
    // Mark 28,600 < liquidation price 28,656.57: equity 1,000 < maintenance 2,860 - 1,300 = 1,560.
    assert!(position.is_liquidatable(&tiers, 28_600.0));
    let config = hyperliquid_chunks(CooldownRule::FullDuringCooldown);
    let mut chunks = PartialLiquidationState::default();

    // t = 0: notional 286k > 100k: a 20% slice, 2 BTC. Filled at 28,600: PnL 2 * -1,400 = -2,800;
    // fee 0.5% * 57,200 = 286. Margin 15,000 - 2,800 - 286 = 11,914; 8 BTC left.
    let chunk = chunks.next_chunk(&config, position.size.abs(), 28_600.0, 0);
    assert!(close(chunk, 2.0));
    let fill = liquidate_isolated(&mut position, chunk, 28_600.0, 0.005);
    assert!(close(fill.realized_pnl, -2_800.0) && close(fill.fee_to_insurance, 286.0));
    assert!(close(position.margin, 11_914.0) && close(position.size, 8.0));
    // Still liquidatable: equity 11,914 - 11,200 = 714 < 228,800 * 0.5% - 50 = 1,094.
    assert!(position.is_liquidatable(&tiers, 28_600.0));

    // t = 10, inside the 30 s cooldown: Hyperliquid liquidates the whole position. At 28,550:
    // PnL 8 * -1,450 = -11,600, margin 314; the fee (0.5% * 228,400 = 1,142) is capped at the 314
    // left. Nothing returns to the trader, no bad debt.
    let chunk = chunks.next_chunk(&config, position.size.abs(), 28_550.0, 10);
    assert_eq!(chunk, 8.0);
    let fill = liquidate_isolated(&mut position, chunk, 28_550.0, 0.005);
    assert!(close(fill.fee_to_insurance, 314.0));
    assert_eq!((fill.margin_released, fill.bad_debt), (0.0, 0.0));
    assert_eq!((position.size, position.margin), (0.0, 0.0));
    // Conservation: 15,000 of margin = 14,400 of losses + 600 of fees.
}

#[test]
fn test_chunks_wait_for_cooldown_when_rate_limited() {
    let config = hyperliquid_chunks(CooldownRule::WaitForCooldown);
    let mut chunks = PartialLiquidationState::default();
    assert!(close(chunks.next_chunk(&config, 10.0, 28_600.0, 0), 2.0));
    // Nothing until t = 30; then another 20% of what is left (8 * 28,600 = 228,800 > 100k).
    assert_eq!(chunks.next_chunk(&config, 8.0, 28_600.0, 29), 0.0);
    assert!(close(chunks.next_chunk(&config, 8.0, 28_600.0, 30), 1.6));
    // Small positions go whole: 3 * 28,600 = 85,800 <= 100k.
    assert_eq!(chunks.next_chunk(&config, 3.0, 28_600.0, 60), 3.0);
}

#[test]
fn test_liquidation_past_bankruptcy_leaves_bad_debt() {
    // Long 10 at 30,000 with 15,000: closed at 28,400, below bankruptcy (28,500): PnL -16,000,
    // margin -1,000, no fee can be charged, and 1,000 is bad debt.
    let mut position = IsolatedPosition {
        size: 10.0,
        entry_price: 30_000.0,
        margin: 15_000.0,
    };
    let fill = liquidate_isolated(&mut position, 10.0, 28_400.0, 0.005);
    assert_eq!(fill.fee_to_insurance, 0.0);
    assert!(close(fill.bad_debt, 1_000.0));
    assert_eq!(position.margin, 0.0);
}

#[test]
fn test_cross_liquidation_removes_closed_position() {
    let marks = [1_000.0, 41_000.0];
    let mut account = CrossAccount {
        collateral: 1_000.0,
        positions: vec![
            CrossPosition {
                market: 0,
                size: 5.0,
                entry_price: 2_000.0,
            },
            CrossPosition {
                market: 1,
                size: -0.5,
                entry_price: 40_000.0,
            },
        ],
    };
    // Close all of ETH at 1,000: PnL -5,000; collateral -4,000; equity with BTC at 41,000:
    // -4,000 - 500 < 0, so no fee. ETH is removed; BTC moves to index 0.
    let fill = liquidate_cross(&mut account, 0, 5.0, 1_000.0, 0.005, &marks);
    assert!(close(fill.realized_pnl, -5_000.0) && fill.fee_to_insurance == 0.0);
    assert_eq!(account.positions.len(), 1);
    assert_eq!(account.positions[0].market, 1);
    // Closing BTC at 41,000 (PnL -500) empties the account: collateral -4,500 is bad debt.
    let fill = liquidate_cross(&mut account, 0, 0.5, 41_000.0, 0.005, &marks);
    assert!(close(fill.bad_debt, 4_500.0));
    assert_eq!(account.collateral, 0.0);
    assert!(account.positions.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// At the computed liquidation price equity equals maintenance margin, just below (long) or above
    /// (short) it the position is liquidatable, and the price lies between entry and bankruptcy.
    #[test]
    fn prop_liquidation_price_is_where_equity_meets_maintenance(
        size in 0.01f64..2_000.0,
        long in any::<bool>(),
        entry in 100.0f64..100_000.0,
        leverage in 1.5f64..100.0,
    ) {
        let tiers = btcusdt_tiers();
        let size = if long { size } else { -size };
        // Opened at the initial margin its tier allows (leverage capped at the tier's maximum).
        let margin = tiers.initial_margin(size.abs() * entry, leverage);
        let position = IsolatedPosition { size, entry_price: entry, margin };
        if let Some(p) = position.liquidation_price(&tiers) {
            let equity = position.equity(p);
            let maintenance = position.maintenance_margin(&tiers, p);
            prop_assert!((equity - maintenance).abs() <= 1e-7 * position.notional(p).max(1.0));
            let worse = if long { p * (1.0 - 1e-6) } else { p * (1.0 + 1e-6) };
            prop_assert!(position.is_liquidatable(&tiers, worse));
            let bankruptcy = position.bankruptcy_price();
            if long {
                prop_assert!(p >= bankruptcy - 1e-9 && p <= entry);
            } else {
                prop_assert!(p <= bankruptcy + 1e-9 && p >= entry);
            }
        } else {
            prop_assert!(long && position.margin >= position.notional(entry) * 0.5);
        }
    }

    /// A liquidation fill moves value, never creates it: margin before + PnL = margin after + fee +
    /// margin released - bad debt; the fee is never negative nor more than the margin left.
    #[test]
    fn prop_isolated_liquidation_conserves_margin(
        size in 0.1f64..100.0,
        long in any::<bool>(),
        margin in 10.0f64..10_000.0,
        move_fraction in -0.3f64..0.3,
        close_fraction in 0.05f64..=1.0,
        fee_rate in 0.0f64..0.02,
    ) {
        let mut position = IsolatedPosition {
            size: if long { size } else { -size },
            entry_price: 1_000.0,
            margin,
        };
        let before = position;
        let price = 1_000.0 * (1.0 + move_fraction);
        let fill = liquidate_isolated(&mut position, size * close_fraction, price, fee_rate);
        let lhs = before.margin + fill.realized_pnl;
        let rhs = position.margin + fill.fee_to_insurance + fill.margin_released - fill.bad_debt;
        prop_assert!((lhs - rhs).abs() <= 1e-9 * before.margin.max(1.0) * 100.0);
        prop_assert!(fill.fee_to_insurance >= 0.0 && fill.bad_debt >= 0.0);
        prop_assert!((position.size - (before.size + fill.size_change)).abs() < 1e-12 * size);
    }
}

// ---------------------------------------------------------------------------
// Auto-deleveraging
// ---------------------------------------------------------------------------

/// Longs facing a liquidated short, at mark 110:
/// - A: 1 @ 100, bankrupt 90: PnL 10%, leverage 110 / 20 = 5.5, score 0.55
/// - B: 2 @ 105, bankrupt 100: PnL 10/210 = 4.76%, leverage 220 / 20 = 11, score 0.5238
/// - C: 1 @ 80, bankrupt 40: PnL 37.5%, leverage 110 / 70 = 1.571, score 0.5893
/// - D: 1 @ 120, bankrupt 100: PnL -8.33%, leverage 110 / 10 = 11, score -0.0076
/// - E: short 3 @ 100 (same side as the liquidated short): not in the queue.
fn adl_book() -> Vec<AdlCandidate> {
    let c = |account, size, entry_price, bankruptcy_price| AdlCandidate {
        account,
        size,
        entry_price,
        bankruptcy_price,
    };
    vec![
        c(1, 1.0, 100.0, 90.0),
        c(2, 2.0, 105.0, 100.0),
        c(3, 1.0, 80.0, 40.0),
        c(4, 1.0, 120.0, 100.0),
        c(5, -3.0, 100.0, 120.0),
    ]
}

#[test]
fn test_adl_ranking_by_hand() {
    let book = adl_book();
    assert!(close(book[0].score(110.0), 0.55));
    assert!(close(book[1].score(110.0), 110.0 / 210.0));
    assert!(close(book[2].score(110.0), 0.375 * 110.0 / 70.0));
    assert!(close(book[3].score(110.0), (-10.0 / 120.0) / 11.0));
    // C (0.589) before A (0.55) before B (0.524) before D (-0.008): the most profitable first even
    // at the lowest leverage; a losing position last whatever its leverage.
    let queue = adl_queue(&book, -2.5, 110.0);
    let accounts: Vec<u32> = queue.iter().map(|&i| book[i].account).collect();
    assert_eq!(accounts, vec![3, 1, 2, 4]);
    // Against a liquidated long, only the short (E) qualifies.
    assert_eq!(adl_queue(&book, 1.0, 110.0), vec![4]);
}

#[test]
fn test_adl_closes_in_order_at_bankruptcy_price() {
    // The liquidated short of 2.5 has bankruptcy price 112: C closes 1 (PnL 32), A 1 (PnL 12), B 0.5
    // of its 2 (PnL 0.5 * 7 = 3.5).
    let book = adl_book();
    let outcome = auto_deleverage(&book, -2.5, 112.0, 110.0);
    let fills: Vec<(u32, f64, f64)> = outcome
        .fills
        .iter()
        .map(|f| (f.account, f.size_change, f.realized_pnl))
        .collect();
    assert_eq!(
        fills,
        vec![(3, -1.0, 32.0), (1, -1.0, 12.0), (2, -0.5, 3.5)]
    );
    assert_eq!(outcome.unfilled, 0.0);
    // More than all longs hold (5): 5 closed, 1 unfilled.
    let outcome = auto_deleverage(&book, -6.0, 112.0, 110.0);
    assert_eq!(outcome.unfilled, -1.0);
}

#[test]
fn test_adl_bitmex_documentation_example() {
    // BitMEX's example: six longs ranked 2, 5, 4, 1, 6, 3 (quantities 10, 20, 30, 10, 10, 20); a short
    // of 20 liquidated at a bankruptcy price of 650: account 2 is closed in full (10), account 5 for
    // the other 10 of its 20.
    let quantities = [
        (1, 10.0),
        (2, 10.0),
        (3, 20.0),
        (4, 30.0),
        (5, 20.0),
        (6, 10.0),
    ];
    let book: Vec<AdlCandidate> = quantities
        .iter()
        .map(|&(account, size)| AdlCandidate {
            account,
            size,
            entry_price: 600.0,
            bankruptcy_price: 500.0,
        })
        .collect();
    let order = [1, 4, 3, 0, 5, 2]; // accounts 2, 5, 4, 1, 6, 3
    let outcome = deleverage_in_order(&book, &order, -20.0, 650.0);
    let fills: Vec<(u32, f64)> = outcome
        .fills
        .iter()
        .map(|f| (f.account, f.size_change))
        .collect();
    assert_eq!(fills, vec![(2, -10.0), (5, -10.0)]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// ADL closes exactly the liquidated size (or all the other side holds), never more than a
    /// counterparty holds, only the other side, in non-increasing score order.
    #[test]
    fn prop_adl_fills_are_consistent(
        sizes in proptest::collection::vec(-50.0f64..50.0, 1..12),
        entries in proptest::collection::vec(50.0f64..150.0, 12),
        leverages in proptest::collection::vec(1.0f64..50.0, 12),
        liquidated in -100.0f64..100.0,
    ) {
        let mark = 100.0;
        let book: Vec<AdlCandidate> = sizes.iter().enumerate().map(|(i, &size)| {
            let entry = entries[i];
            AdlCandidate {
                account: i as u32,
                size,
                entry_price: entry,
                bankruptcy_price: entry - size.signum() * entry / leverages[i],
            }
        }).collect();
        let outcome = auto_deleverage(&book, liquidated, 90.0, mark);
        let closed: f64 = outcome.fills.iter().map(|f| f.size_change.abs()).sum();
        let other_side: f64 = book.iter().filter(|c| c.size * liquidated < 0.0).map(|c| c.size.abs()).sum();
        prop_assert!((closed - liquidated.abs().min(other_side)).abs() < 1e-9);
        prop_assert!((closed + outcome.unfilled.abs() - liquidated.abs()).abs() < 1e-9);
        let mut last_score = f64::INFINITY;
        for fill in &outcome.fills {
            let c = book[fill.index];
            prop_assert!(c.size * liquidated < 0.0);
            prop_assert!(fill.size_change.abs() <= c.size.abs());
            prop_assert!(fill.size_change * c.size < 0.0);
            let score = c.score(mark);
            prop_assert!(score <= last_score);
            last_score = score;
        }
    }
}

// ---------------------------------------------------------------------------
// Circuit breakers
// ---------------------------------------------------------------------------

/// Maker 2 bps + taker 6 bps, skew scale 100,000 ETH, scalar 1.5, 30 s window:
/// (0.0002 + 0.0006) * 100,000 * 1.5 * 30 = 80 * 1.5 * 30 = 3,600 ETH per window.
fn synthetix_config() -> LiquidationCapacityConfig {
    LiquidationCapacityConfig {
        maker_fee: 0.0002,
        taker_fee: 0.0006,
        skew_scale: 100_000.0,
        limit_scalar: 1.5,
        window_seconds: 30,
        max_liquidation_pd: 0.01,
        endorsed_liquidator: Some(99),
    }
}

#[test]
fn test_synthetix_capacity_by_hand() {
    let config = synthetix_config();
    assert!(close(config.max_liquidation_in_window(), 3_600.0));
    let mut window = LiquidationWindowState::default();
    let skew = 500.0; // |skew| / skew scale = 0.5% < maxLiquidationPd 1%
                      // t = 100: 1,000 of 3,600.
    assert!(close(window.admit(&config, 1_000.0, 100, skew, 1), 1_000.0));
    // t = 110: 3,000 asked, 2,600 left.
    assert!(close(window.admit(&config, 3_000.0, 110, skew, 1), 2_600.0));
    assert!(close(window.capacity(&config, 110), 0.0));
    // t = 120: no capacity, but the skew is under maxLiquidationPd and nothing was liquidated in
    // this block yet: one more window's worth (up to 3,600) is allowed: the 500 asked.
    assert!(close(window.admit(&config, 500.0, 120, skew, 1), 500.0));
    // Same block again: not a second time.
    assert_eq!(window.admit(&config, 100.0, 120, skew, 1), 0.0);
    // With a large skew (2%) the exception does not apply.
    assert_eq!(window.admit(&config, 100.0, 121, 2_000.0, 1), 0.0);
    // t = 131: the window (101, 131] holds 2,600 + 500 = 3,100: capacity 500.
    assert!(close(window.capacity(&config, 131), 500.0));
    assert!(close(window.admit(&config, 800.0, 131, 2_000.0, 1), 500.0));
    // t = 150: (120, 150] holds only the 500 of t = 131: capacity 3,100.
    assert!(close(window.capacity(&config, 150), 3_100.0));
    // The endorsed liquidator is never limited (and is counted).
    assert!(close(
        window.admit(&config, 9_999.0, 150, 2_000.0, 99),
        9_999.0
    ));
    assert_eq!(window.capacity(&config, 150), 0.0);
    // Pruning keeps only what can still count.
    window.prune(&config, 200);
    assert!(window.records.is_empty());
}

#[test]
fn test_synthetix_zero_window_allows_everything() {
    let config = LiquidationCapacityConfig {
        skew_scale: 0.0,
        ..synthetix_config()
    };
    let mut window = LiquidationWindowState::default();
    assert_eq!(window.admit(&config, 1e9, 0, 0.0, 1), 1e9);
}

#[test]
fn test_grace_period_after_outage_and_jump() {
    let config = GracePeriodConfig {
        duration: 600,
        jump_threshold: 0.10,
    };
    let mut grace = GracePeriodState::default();
    grace.observe(&config, 0, Some(100.0));
    assert!(grace.liquidations_allowed(0));
    // Outage at 12: nothing while down.
    grace.observe(&config, 12, None);
    assert!(!grace.liquidations_allowed(12));
    // Back at 24 (a 5% move, no jump): grace until 624.
    grace.observe(&config, 24, Some(95.0));
    assert!(!grace.liquidations_allowed(623) && grace.liquidations_allowed(624));
    // 95 -> 80 at 700 is a 15.8% jump: grace until 1,300; a 1.25% move after it changes nothing.
    grace.observe(&config, 700, Some(80.0));
    grace.observe(&config, 712, Some(79.0));
    assert!(!grace.liquidations_allowed(1_299) && grace.liquidations_allowed(1_300));
}

#[test]
fn test_velocity_margin_steps_up() {
    let config = VelocityMarginConfig {
        window_seconds: 300,
        trigger_notional: 1_000_000.0,
        step_up: 0.25,
        max_multiplier: 2.0,
    };
    let mut state = VelocityMarginState::default();
    state.record(400_000.0, 10);
    state.record(700_000.0, 100);
    // 1.1M in (0, 100]: one step, 1.25.
    assert!(close(state.margin_multiplier(&config, 100), 1.25));
    state.record(1_500_000.0, 200);
    // 2.6M: two steps, 1.5.
    assert!(close(state.margin_multiplier(&config, 200), 1.5));
    // At 350 the window (50, 350] drops the 400k of t = 10: 2.2M, still two steps.
    assert!(close(state.margin_multiplier(&config, 350), 1.5));
    // At 500 nothing is in (200, 500]: back to 1.
    assert_eq!(state.margin_multiplier(&config, 500), 1.0);
    // 10M in one go: 1 + 2.5 = 3.5, capped at 2.
    state.record(10_000_000.0, 600);
    assert_eq!(state.margin_multiplier(&config, 600), 2.0);
}

#[test]
fn test_volatility_margin_and_floor() {
    // Log returns of 100, 110, 99, 108.9: ln 1.1, ln 0.9, ln 1.1 = 0.0953102, -0.1053605, 0.0953102;
    // sample sd 0.1158573; daily bars annualised: * sqrt(365) = 2.2134502.
    assert!(near(
        realized_volatility(&[100.0, 110.0, 99.0, 108.9], 365.0),
        2.213_450_227_307_37,
        1e-12
    ));
    // Base 0.5% set for 60% volatility, capped at 5%.
    let margin = VolatilityMarginConfig {
        base_rate: 0.005,
        reference_volatility: 0.6,
        max_rate: 0.05,
    };
    assert_eq!(margin.margin_rate(0.3), 0.005);
    assert!(close(margin.margin_rate(1.2), 0.01));
    assert_eq!(margin.margin_rate(9.0), 0.05);
    // VaR 99%, one day, 80% volatility: 2.3263479 * 0.8 * sqrt(1/365) = 2.3263479 * 0.0418739
    // = 0.0974133; ES: 0.0418739 * n(2.3263479) / 0.01 = 0.0418739 * 2.6652142 = 0.1116030.
    assert!(near(
        var_margin_rate(0.8, 1.0 / 365.0, 0.99),
        0.097_413_290,
        1e-8
    ));
    assert!(near(
        expected_shortfall_margin_rate(0.8, 1.0 / 365.0, 0.99),
        0.111_602_951,
        1e-8
    ));
    // Floor at 85% of the reference once volatility exceeds 150%.
    let floor = VolatilityFloorConfig {
        trigger_volatility: 1.5,
        floor_fraction: 0.85,
    };
    assert_eq!(floor.floor(1.0, 2_000.0), None);
    assert!(floor.allows_liquidation(100.0, 1.0, 2_000.0));
    assert_eq!(floor.floor(2.0, 2_000.0), Some(1_700.0));
    assert!(!floor.allows_liquidation(1_650.0, 2.0, 2_000.0));
    assert!(floor.allows_liquidation(1_700.0, 2.0, 2_000.0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the requests, what the window admits (without the endorsed liquidator or the
    /// maxLiquidationPd exception) never exceeds max_in_window over any window.
    #[test]
    fn prop_capacity_bounds_every_window(
        requests in proptest::collection::vec((0.0f64..3_000.0, 0u64..20), 1..40),
    ) {
        let config = LiquidationCapacityConfig { max_liquidation_pd: 0.0, ..synthetix_config() };
        let mut window = LiquidationWindowState::default();
        let mut t = 1_000;
        for (amount, dt) in requests {
            t += dt;
            let granted = window.admit(&config, amount, t, 0.0, 1);
            prop_assert!(granted >= 0.0 && granted <= amount);
            prop_assert!(window.liquidated_in_window(&config, t) <= config.max_liquidation_in_window() * (1.0 + 1e-12));
        }
    }
}

// ---------------------------------------------------------------------------
// Insurance fund, backstop pool, protocol-owned liquidity
// ---------------------------------------------------------------------------

#[test]
fn test_insurance_fund_drawdown_and_shortfall() {
    let mut fund = InsuranceFund::new(1_000.0);
    // Fees of 200: balance and peak 1,200.
    fund.contribute(200.0);
    assert_eq!((fund.balance, fund.peak), (1_200.0, 1_200.0));
    // A 500 loss: covered; drawdown 500 = 41.67% of the peak.
    let cover = fund.cover(500.0);
    assert_eq!((cover.covered, cover.uncovered), (500.0, 0.0));
    assert!(close(fund.drawdown_fraction(), 500.0 / 1_200.0));
    // A 900 loss: 700 covered, 200 left for ADL; the fund is empty.
    let cover = fund.cover(900.0);
    assert_eq!((cover.covered, cover.uncovered), (700.0, 200.0));
    assert!(fund.is_depleted() && fund.drawdown() == 1_200.0);
    // Money in = money out + balance: 1,000 + 200 = 1,200 covered + 0.
    assert_eq!(fund.total_covered + fund.balance, 1_200.0);
    assert_eq!(fund.total_uncovered, 200.0);
}

#[test]
fn test_backstop_takes_over_and_unwinds_at_a_limited_rate() {
    let tiers = btcusdt_tiers();
    // Long 10 BTC at 30,000 with 15,000 margin, mark 28,550: equity 500; maintenance
    // 285,500 * 1% - 1,300 = 1,555; 2/3 of it is 1,036.67 > 500: backstop.
    let mut position = IsolatedPosition {
        size: 10.0,
        entry_price: 30_000.0,
        margin: 15_000.0,
    };
    let mark = 28_550.0;
    let maintenance = position.maintenance_margin(&tiers, mark);
    assert!(close(maintenance, 1_555.0));
    assert!(should_backstop(
        position.equity(mark),
        maintenance,
        HYPERLIQUID_BACKSTOP_FRACTION
    ));
    assert!(!should_backstop(
        1_036.7,
        1_555.0,
        HYPERLIQUID_BACKSTOP_FRACTION
    ));

    // The pool (capital 100,000) takes the position at the mark with its equity (500).
    let mut pool = BackstopPool::new(100_000.0, 3.0);
    let take = pool.take_over_isolated(&mut position, 0, mark);
    assert!(close(take.equity_received, 500.0));
    assert_eq!((position.size, position.margin), (0.0, 0.0));
    assert!(close(pool.equity(&[mark]), 100_500.0));
    // Unwind 3 BTC per block: -150 at 28,500, +450 at 28,700, +750 at 28,800, +350 at 28,900 (the
    // last 1 BTC).
    let mut pnl = Vec::new();
    for price in [28_500.0, 28_700.0, 28_800.0, 28_900.0] {
        let trade = pool.planned_unwind(0);
        pnl.push(pool.apply_unwind(0, trade, price));
    }
    assert_eq!(pnl, vec![-150.0, 450.0, 750.0, 350.0]);
    assert!(pool.positions.is_empty() && pool.planned_unwind(0) == 0.0);
    // 100,000 + 500 + 1,400.
    assert!(close(pool.cash, 101_900.0) && close(pool.realized_pnl, 1_400.0));
}

#[test]
fn test_backstop_takes_over_a_whole_cross_account() {
    let marks = [1_900.0, 41_000.0];
    let mut account = CrossAccount {
        collateral: 10_000.0,
        positions: vec![
            CrossPosition {
                market: 0,
                size: 5.0,
                entry_price: 2_000.0,
            },
            CrossPosition {
                market: 1,
                size: -0.5,
                entry_price: 40_000.0,
            },
        ],
    };
    // Equity 10,000 - 500 - 500 = 9,000 moves to the pool with both positions booked at the marks.
    let mut pool = BackstopPool::new(0.0, 1.0);
    let take = pool.take_over_cross(&mut account, &marks);
    assert!(close(take.equity_received, 9_000.0));
    assert!(account.positions.is_empty() && account.collateral == 0.0);
    assert_eq!(pool.positions.len(), 2);
    // A short is unwound by buying.
    assert_eq!(pool.planned_unwind(1), 0.5);
    assert_eq!(pool.planned_unwind(0), -1.0);
}

#[test]
fn test_protocol_owned_liquidity_buys_within_budget() {
    // Budget 10,000, 5% under the oracle at 2,000: bid 1,900. 3 WETH cost 5,700; of the next 5 only
    // 4,300 / 1,900 = 2.263 are bought; then nothing.
    let mut pol = ProtocolOwnedLiquidity::new(10_000.0, 0.05);
    let fill = pol.buy(3.0, 2_000.0);
    assert!(close(fill.bought, 3.0) && close(fill.paid, 5_700.0));
    let fill = pol.buy(5.0, 2_000.0);
    assert!(close(fill.bought, 4_300.0 / 1_900.0) && close(fill.paid, 4_300.0));
    assert_eq!(pol.buy(1.0, 2_000.0).bought, 0.0);
    assert!(close(pol.spent, 10_000.0) && close(pol.inventory, 3.0 + 4_300.0 / 1_900.0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// A takeover moves the account's equity into the pool and nothing else: the pool's equity at
    /// the marks rises by exactly what the account had; unwinding at the mark changes nothing.
    #[test]
    fn prop_takeover_conserves_equity(
        size in -20.0f64..20.0,
        margin in 0.0f64..50_000.0,
        entry in 1_000.0f64..50_000.0,
        move_fraction in -0.5f64..0.5,
    ) {
        let mark = entry * (1.0 + move_fraction);
        let mut position = IsolatedPosition { size, entry_price: entry, margin };
        let equity = position.equity(mark);
        let mut pool = BackstopPool::new(1_000.0, 2.0);
        pool.take_over_isolated(&mut position, 0, mark);
        prop_assert!((pool.equity(&[mark]) - (1_000.0 + equity)).abs() < 1e-9 * (1.0 + equity.abs() + 1_000.0));
        for _ in 0..20 {
            let trade = pool.planned_unwind(0);
            prop_assert!(trade.abs() <= 2.0);
            pool.apply_unwind(0, trade, mark);
        }
        prop_assert!(pool.positions.is_empty());
        prop_assert!((pool.cash - (1_000.0 + equity)).abs() < 1e-9 * (1.0 + equity.abs() + 1_000.0));
    }
}
