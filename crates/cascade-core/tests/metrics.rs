//! Every snapshot metric on a six-position book worked out by hand, liquidation velocity on a
//! hand-made run, and the bisection's bracket property.
//!
//! The book: ETH at $2,000, USDC at $1. Bins of 10% down to half the price (5 bins: 1800-2000,
//! 1600-1800, 1400-1600, 1200-1400, 1000-1200), at-risk band 10%.
//!
//! | row | owner | protocol | ETH | notional | debt (USDC) | L    | d = 1-L/P | ltv/LT   | bonus | where        |
//! |-----|-------|----------|-----|----------|-------------|------|-----------|----------|-------|--------------|
//! | 1   | w1    | a        | 10  | 20,000   | 14,000      | 1900 | 0.05      | .80/.85  | .05   | bin 0, risk  |
//! | 2   | w2    | a        | 5   | 10,000   | 6,000       | 1500 | 0.25      | .80/.85  | .05   | bin 2        |
//! | 3   | w3    | b        | 1   | 2,000    | 1,800       | 2100 | -0.05     | .70/.75  | .10   | now, risk    |
//! | 4   | w1    | b        | 20  | 40,000   | 10,000      | 600  | 0.70      | .70/.75  | .10   | below range  |
//! | 5   | w4    | a        | 2   | 4,000    | unknown     | 1850 | 0.075     | unknown  | -     | bin 0, risk  |
//! | 6   | w5    | a        | 3   | 6,000    | 0           | 0    | -         | .75/.80  | .05   | never        |

use cascade_core::metrics::*;
use cascade_core::positions::{PositionBook, PositionRow};
use cascade_core::report::BlockRecord;

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{actual} != {expected}"
    );
}

#[allow(clippy::too_many_arguments)]
fn row<'a>(
    owner: &'a str,
    protocol: &'a str,
    amount: f64,
    debt: Option<f64>,
    liquidation_price: f64,
    params: Option<(f64, f64)>,
    bonus: Option<f64>,
) -> PositionRow<'a> {
    PositionRow {
        owner,
        protocol,
        collateral_asset: "ETH",
        collateral_amount: amount,
        debt_asset: debt.map(|_| "USDC"),
        debt_amount: debt,
        liquidation_price,
        liquidation_threshold: params.map(|p| p.1),
        ltv: params.map(|p| p.0),
        liquidation_bonus: bonus,
    }
}

fn book() -> PositionBook {
    let mut book = PositionBook::new();
    let rows = [
        row(
            "w1",
            "a",
            10.0,
            Some(14_000.0),
            1900.0,
            Some((0.80, 0.85)),
            Some(0.05),
        ),
        row(
            "w2",
            "a",
            5.0,
            Some(6_000.0),
            1500.0,
            Some((0.80, 0.85)),
            Some(0.05),
        ),
        row(
            "w3",
            "b",
            1.0,
            Some(1_800.0),
            2100.0,
            Some((0.70, 0.75)),
            Some(0.10),
        ),
        row(
            "w1",
            "b",
            20.0,
            Some(10_000.0),
            600.0,
            Some((0.70, 0.75)),
            Some(0.10),
        ),
        row("w4", "a", 2.0, None, 1850.0, None, None),
        row(
            "w5",
            "a",
            3.0,
            Some(0.0),
            0.0,
            Some((0.75, 0.80)),
            Some(0.05),
        ),
    ];
    for r in &rows {
        book.push(r).unwrap();
    }
    let eth = book.find_asset("ETH").unwrap() as usize;
    let usdc = book.find_asset("USDC").unwrap() as usize;
    book.asset_prices[eth] = 2000.0;
    book.asset_prices[usdc] = 1.0;
    book
}

fn config(book: &PositionBook) -> MetricsConfig {
    let mut config = MetricsConfig::new(book.assets.len());
    config.bin_width = BinWidth::Relative(0.10);
    config.range = 0.5;
    config.at_risk_distance = 0.10;
    let eth = book.find_asset("ETH").unwrap() as usize;
    config.liquidity_usd[eth] = Some(52_000.0);
    config.depth_usd[eth] = Some(1_000.0);
    config
}

#[test]
fn test_overhang_by_hand() {
    let book = book();
    let overhangs = overhang(&book, &config(&book), true);
    // Only ETH is collateral: one all-protocol overhang, then protocols a and b.
    assert_eq!(overhangs.len(), 3);
    let all = &overhangs[0];
    assert_eq!((all.asset.as_str(), all.protocol.as_deref()), ("ETH", None));
    assert_eq!(all.bins.len(), 5);
    close(all.bins[0].price_low, 1800.0);
    close(all.bins[0].price_high, 2000.0);
    close(all.bins[4].price_low, 1000.0);
    // Row 3 (L 2100 > 2000) is liquidatable now: $2,000.
    assert_eq!(all.liquidatable_now.n_positions, 1);
    close(all.liquidatable_now.collateral_usd, 2_000.0);
    // Bin 0 (1800-2000): rows 1 and 5, 12 ETH = $24,000; debt known only for row 1 (14,000).
    assert_eq!(all.bins[0].totals.n_positions, 2);
    close(all.bins[0].totals.collateral_amount, 12.0);
    close(all.bins[0].totals.collateral_usd, 24_000.0);
    close(all.bins[0].totals.debt_usd, 14_000.0);
    // Bin 1 empty, bin 2 (1400-1600): row 2, $10,000.
    assert_eq!(all.bins[1].totals.n_positions, 0);
    close(all.bins[2].totals.collateral_usd, 10_000.0);
    // Cumulative: 2,000 + 24,000 = 26,000 through bin 0; +10,000 = 36,000 from bin 2 down.
    close(all.bins[0].cumulative_collateral_usd, 26_000.0);
    close(all.bins[1].cumulative_collateral_usd, 26_000.0);
    close(all.bins[4].cumulative_collateral_usd, 36_000.0);
    // Row 4 (L 600 < 1000) below the range; row 6 (L 0) never liquidated by ETH.
    close(all.below_range.collateral_usd, 40_000.0);
    close(all.no_liquidation_price.collateral_usd, 6_000.0);
    // Total: 20 + 10 + 2 + 40 + 4 + 6 = $82,000.
    close(all.total.collateral_usd, 82_000.0);
    assert_eq!(all.total.n_positions, 6);

    // Protocol a: rows 1, 2, 5, 6; protocol b: rows 3, 4.
    let a = &overhangs[1];
    assert_eq!(a.protocol.as_deref(), Some("a"));
    close(a.bins[0].totals.collateral_usd, 24_000.0);
    close(a.bins[2].totals.collateral_usd, 10_000.0);
    close(a.liquidatable_now.collateral_usd, 0.0);
    let b = &overhangs[2];
    assert_eq!(b.protocol.as_deref(), Some("b"));
    close(b.liquidatable_now.collateral_usd, 2_000.0);
    close(b.below_range.collateral_usd, 40_000.0);
    close(b.total.collateral_usd, 42_000.0);
}

#[test]
fn test_overhang_absolute_bins_sit_on_multiples() {
    // Width $250 from $2,000 down to $1,000: bins 1750-2000, 1500-1750, 1250-1500, 1000-1250.
    // Row 2 (L 1500) opens the 1500-1750 bin; rows 1 (1900) and 5 (1850) are in the top one.
    let book = book();
    let mut config = config(&book);
    config.bin_width = BinWidth::Absolute(250.0);
    let all = &overhang(&book, &config, false)[0];
    assert_eq!(all.bins.len(), 4);
    close(all.bins[1].price_low, 1500.0);
    close(all.bins[1].price_high, 1750.0);
    close(all.bins[1].totals.collateral_usd, 10_000.0);
    close(all.bins[0].totals.collateral_usd, 24_000.0);
    close(all.bins[3].price_low, 1000.0);
}

#[test]
fn test_price_to_liquidation_distance_by_hand() {
    // Positions with 0 < L <= P: rows 1, 2, 4, 5 (row 3 is liquidatable now, row 6 has no L).
    // Weighted mean d = (20,000*0.05 + 10,000*0.25 + 40,000*0.70 + 4,000*0.075) / 74,000
    //                 = (1,000 + 2,500 + 28,000 + 300) / 74,000 = 31,800 / 74,000 = 0.4297297...
    // Largest cluster: bin 0 ($24,000), centre 1900: distance 1 - 1900/2000 = 0.05.
    let book = book();
    let metrics = snapshot_metrics(&book, &config(&book));
    let pld = &metrics.price_to_liquidation_distance[0];
    close(pld.weighted_mean_distance.unwrap(), 31_800.0 / 74_000.0);
    close(pld.collateral_usd, 74_000.0);
    close(pld.distance_to_largest_cluster.unwrap(), 0.05);
    close(pld.largest_cluster.unwrap().totals.collateral_usd, 24_000.0);
}

#[test]
fn test_k_value_buffers_and_realised_leverage_by_hand() {
    // Protocol a: max ltv 0.80, max LT 0.85 (row 6's 0.75/0.80 is lower; row 5 gives none):
    //   K = 1/(1-0.8) = 5, buffer 0.85-0.80 = 0.05, price buffer 1 - 0.8/0.85 = 0.0588235...
    //   realised leverage: rows 1 (20,000/6,000 = 3.333), 2 (10,000/4,000 = 2.5), 6 (6,000/6,000 = 1)
    //   weighted by notional: (20,000*3.333 + 10,000*2.5 + 6,000*1) / 36,000 = 97,666.67/36,000.
    // Protocol b: ltv 0.70, LT 0.75: K = 3.333, buffer 0.05, price buffer 1 - 0.7/0.75 = 0.0666...
    //   realised: rows 3 (2,000/200 = 10) and 4 (40,000/30,000 = 1.333):
    //   (2,000*10 + 40,000*1.3333) / 42,000 = 73,333.33 / 42,000.
    let book = book();
    let ceilings = leverage_ceilings(&book);
    assert_eq!(ceilings.len(), 2);
    let a = &ceilings[0];
    assert_eq!((a.protocol.as_str(), a.asset.as_str()), ("a", "ETH"));
    close(a.k_value, 5.0);
    close(a.buffer.unwrap(), 0.05);
    close(a.price_buffer.unwrap(), 1.0 - 0.8 / 0.85);
    close(
        a.realised_leverage.unwrap(),
        (20_000.0 * 20_000.0 / 6_000.0 + 10_000.0 * 2.5 + 6_000.0) / 36_000.0,
    );
    let b = &ceilings[1];
    close(b.k_value, 1.0 / 0.3);
    close(b.price_buffer.unwrap(), 1.0 - 0.7 / 0.75);
    close(
        b.realised_leverage.unwrap(),
        (2_000.0 * 10.0 + 40_000.0 * 40_000.0 / 30_000.0) / 42_000.0,
    );
}

#[test]
fn test_margin_to_liquidity_and_lpd_rule_by_hand() {
    // At risk (L > 0, d <= 0.10): rows 1 (d 0.05), 3 (d -0.05), 5 (d 0.075): 20,000 + 2,000 + 4,000
    // = $26,000 (L of the rule). Liquidity $52,000: margin-to-liquidity 0.5.
    // P: notional-weighted bonus of the at-risk rows that give one, rows 1 and 3:
    //   (20,000*0.05 + 2,000*0.10) / 22,000 = 1,200/22,000 = 0.0545454...
    // D = $1,000: (L*P)/D = 26,000 * 0.0545454 / 1,000 = 1.41818... > 1.
    let book = book();
    let risk = at_risk_assets(&book, &config(&book));
    assert_eq!(risk.len(), 1);
    let eth = &risk[0];
    close(eth.at_risk_collateral_usd, 26_000.0);
    assert_eq!(eth.n_positions_at_risk, 3);
    close(eth.margin_to_liquidity.unwrap(), 0.5);
    close(eth.penalty.unwrap(), 1_200.0 / 22_000.0);
    close(
        eth.lpd_ratio.unwrap(),
        26_000.0 * (1_200.0 / 22_000.0) / 1_000.0,
    );
    assert_eq!(eth.lpd_above_one, Some(true));
    close(lpd_ratio(26_000.0, 0.05, 1_000.0), 1.3);
}

#[test]
fn test_systemic_debt_ratio_by_hand() {
    // At-risk debt known: rows 1 (14,000) and 3 (1,800) = 15,800; row 5's is unknown.
    // TVL = $82,000 of ETH collateral: ratio 15,800/82,000 = 0.19268...; debt known for
    // 22,000/26,000 of the at-risk notional.
    let book = book();
    let debt = systemic_debt(&book, &config(&book));
    close(debt.at_risk_debt_usd, 15_800.0);
    close(debt.tvl_usd, 82_000.0);
    close(debt.ratio.unwrap(), 15_800.0 / 82_000.0);
    close(debt.debt_known_share, 22_000.0 / 26_000.0);
}

#[test]
fn test_top_one_percent_concentration_by_hand() {
    // At-risk owners: w1 $20,000 (row 1; row 4 is not at risk), w4 $4,000, w3 $2,000: three owners,
    // the top 1% is ceil(3/100) = 1 owner: 20,000 / 26,000 = 0.769...
    let book = book();
    let concentration = top_owner_concentration(&book, &config(&book));
    assert_eq!(concentration.n_owners_at_risk, 3);
    assert_eq!(concentration.n_top_owners, 1);
    close(concentration.top_collateral_usd, 20_000.0);
    close(concentration.top_share.unwrap(), 20_000.0 / 26_000.0);
}

#[test]
fn test_concentration_sums_an_owner_across_rows() {
    // Widen the band to 1.0: every position with L > 0 is at risk. w1 now holds rows 1 and 4:
    // 60,000 of 76,000 (rows 1-5).
    let book = book();
    let mut config = config(&book);
    config.at_risk_distance = 1.0;
    let concentration = top_owner_concentration(&book, &config);
    assert_eq!(concentration.n_owners_at_risk, 4);
    close(concentration.top_share.unwrap(), 60_000.0 / 76_000.0);
}

#[test]
fn test_unpriced_assets_are_left_out() {
    // Without an ETH price no metric can place a position: no overhang, nothing at risk, TVL 0.
    let mut book = book();
    let eth = book.find_asset("ETH").unwrap() as usize;
    book.asset_prices[eth] = f64::NAN;
    let metrics = snapshot_metrics(&book, &config(&book));
    assert!(metrics.overhang.is_empty());
    assert!(metrics.at_risk.is_empty());
    assert_eq!(metrics.systemic_debt.tvl_usd, 0.0);
    assert_eq!(metrics.concentration.top_share, None);
}

fn record(block: u64, n_liquidations: u32, seized: f64) -> BlockRecord {
    BlockRecord {
        block,
        exogenous_prices: vec![],
        reference_prices: vec![],
        venue_prices: vec![],
        oracle_prices: vec![],
        n_liquidations,
        n_liquidatable: n_liquidations,
        collateral_seized_usd: seized,
        debt_repaid_usd: 0.0,
        bonus_usd: 0.0,
        bad_debt_usd: 0.0,
        cumulative_bad_debt_usd: 0.0,
        keeper_profit_usd: 0.0,
        arbitrage_volume_usd: 0.0,
    }
}

#[test]
fn test_liquidation_velocity_by_hand() {
    // Calls per block 0, 3, 5, 0, 2, 0 ($100 each). Windows of 2 blocks: 0, 3, 8, 5, 2, 2: the peak
    // is 8 in the window starting at block 1 ($800). Peak block: 5 calls at block 2 ($500). Active
    // blocks 1..=4: 10 calls / 4 blocks = 2.5.
    let blocks: Vec<BlockRecord> = [0, 3, 5, 0, 2, 0]
        .iter()
        .enumerate()
        .map(|(block, &n)| record(block as u64, n, 100.0 * f64::from(n)))
        .collect();
    let velocity = liquidation_velocity(&blocks, 2);
    assert_eq!((velocity.peak_per_block, velocity.peak_block), (5, 2));
    close(velocity.peak_seized_usd_per_block, 500.0);
    assert_eq!(
        (velocity.peak_per_window, velocity.peak_window_start),
        (8, 1)
    );
    close(velocity.peak_seized_usd_per_window, 800.0);
    close(velocity.mean_per_active_block, 2.5);
    assert_eq!(velocity.n_liquidations, 10);
    // No liquidation at all: zeros.
    let quiet = liquidation_velocity(&[record(0, 0, 0.0), record(1, 0, 0.0)], 10);
    assert_eq!(quiet.peak_per_window, 0);
    assert_eq!(quiet.mean_per_active_block, 0.0);
}

#[test]
fn test_self_sustaining_is_amplification_above_one_plus_extra() {
    assert!(is_self_sustaining(1.06, DEFAULT_MIN_EXTRA_FALL));
    assert!(is_self_sustaining(1.05, 0.05));
    assert!(!is_self_sustaining(1.049, 0.05));
    assert!(!is_self_sustaining(1.0, DEFAULT_MIN_EXTRA_FALL));
}

#[test]
fn test_bisection_brackets_the_threshold_of_a_cheap_closure() {
    // A market that cascades from a 13.7% shock on: the bracket must hold it.
    let mut calls = Vec::new();
    let found = find_critical_shock(0.01, 0.5, 0.001, |shock| {
        calls.push(shock);
        Ok::<bool, ()>(shock >= 0.137)
    })
    .unwrap();
    let CriticalShock::Bracketed {
        calm,
        cascading,
        evaluations,
    } = found
    else {
        panic!("expected a bracket, got {found:?}");
    };
    assert!(calm < 0.137 && 0.137 <= cascading, "{calm} {cascading}");
    assert!(cascading - calm <= 0.001);
    assert_eq!(evaluations as usize, calls.len());
    // 0.49 / 2^n <= 0.001 needs n = 9 halvings, plus the two ends.
    assert_eq!(evaluations, 11);
    assert_eq!(found.shock(), Some(cascading));
}

#[test]
fn test_bisection_reports_a_range_that_never_or_always_cascades() {
    let never = find_critical_shock(0.01, 0.5, 0.01, |_| Ok::<bool, ()>(false)).unwrap();
    assert_eq!(
        never,
        CriticalShock::AboveRange {
            highest: 0.5,
            evaluations: 1
        }
    );
    let always = find_critical_shock(0.01, 0.5, 0.01, |_| Ok::<bool, ()>(true)).unwrap();
    assert_eq!(
        always,
        CriticalShock::BelowRange {
            lowest: 0.01,
            evaluations: 2
        }
    );
    // An error of the test stops the search and is returned.
    let failed = find_critical_shock(0.01, 0.5, 0.01, |_| Err::<bool, &str>("engine failed"));
    assert_eq!(failed, Err("engine failed"));
}

proptest::proptest! {
    #[test]
    fn prop_bisection_bracket_holds_any_threshold(threshold in 0.011f64..0.5, tolerance in 1e-4f64..0.05) {
        let found = find_critical_shock(0.01, 0.5, tolerance, |shock| Ok::<bool, ()>(shock >= threshold)).unwrap();
        let CriticalShock::Bracketed { calm, cascading, .. } = found else {
            panic!("expected a bracket, got {found:?}");
        };
        proptest::prop_assert!(calm < threshold && threshold <= cascading);
        proptest::prop_assert!(cascading - calm <= tolerance);
    }
}
