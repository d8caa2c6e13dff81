//! Lending-protocol liquidation mechanisms: Morpho Blue's incentive by LLTV and `liquidate`
//! (`mechanism::morpho`), Compound v3's absorb and buy (`mechanism::compound`), Euler v2's
//! health-scaled discount (`mechanism::euler`). Expected numbers are derived in the comments.

use cascade_core::mechanism::compound::{
    CometAccount, CometAssetConfig, CometConfig, CometPrices, CometRefusal, CometState,
};
use cascade_core::mechanism::euler::{
    health_score, is_in_cool_off, liquidate, liquidation_discount, max_liquidation,
    EulerLiquidationConfig, EulerRefusal, EulerViolator,
};
use cascade_core::mechanism::morpho::{
    liquidation_incentive_factor, LiquidateRequest, MorphoMarket, MorphoPosition, MorphoRefusal,
};
use proptest::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

// ---------------------------------------------------------------------------
// Morpho Blue
// ---------------------------------------------------------------------------

#[test]
fn test_morpho_incentive_86_and_80_percent_lltv() {
    // LLTV 0.86: 1 / (1 - 0.3 * 0.14) = 1 / 0.958 = 1.043841...: a 4.38% bonus (2 decimals).
    let lif = liquidation_incentive_factor(0.86);
    assert!(close(lif, 1.0 / 0.958));
    assert_eq!(((lif - 1.0) * 10_000.0).round() / 100.0, 4.38);
    // LLTV 0.80: 1 / (1 - 0.3 * 0.2) = 1 / 0.94 = 1.063830...: 6.38%.
    let lif = liquidation_incentive_factor(0.80);
    assert!(close(lif, 1.0 / 0.94));
    assert_eq!(((lif - 1.0) * 10_000.0).round() / 100.0, 6.38);
    // LLTV 0.625: 1 / (1 - 0.1125) = 1.126761 (12.68%), under the cap; LLTV 0.5: 1 / 0.85 = 1.176,
    // capped at 1.15.
    assert!(close(liquidation_incentive_factor(0.625), 1.0 / 0.8875));
    assert_eq!(liquidation_incentive_factor(0.5), 1.15);
}

/// Supply 10,000 assets / 10,000 shares; borrow 8,000 assets over 16,000 shares (a share is worth 0.5).
fn morpho_market() -> MorphoMarket {
    MorphoMarket {
        lltv: 0.86,
        total_supply_assets: 10_000.0,
        total_supply_shares: 10_000.0,
        total_borrow_assets: 8_000.0,
        total_borrow_shares: 16_000.0,
    }
}

#[test]
fn test_morpho_liquidate_then_realise_bad_debt() {
    let mut market = morpho_market();
    // 1,800 shares = 900 assets owed against 1 collateral at 1,000: 1,000 * 0.86 = 860 < 900.
    let mut position = MorphoPosition {
        borrow_shares: 1_800.0,
        collateral: 1.0,
    };
    assert!(!market.is_healthy(&position, 1_000.0));
    // Seize 0.5 collateral (worth 500): repaid = 500 / LIF = 500 * 0.958 = 479 assets = 958 shares.
    let liq = market
        .liquidate(
            &mut position,
            1_000.0,
            LiquidateRequest::SeizeCollateral(0.5),
        )
        .unwrap();
    assert!(close(liq.repaid_assets, 479.0) && close(liq.repaid_shares, 958.0));
    assert_eq!(liq.bad_debt_assets, 0.0);
    // Position: 842 shares (421 assets), 0.5 collateral. Market: 7,521 assets over 15,042 shares.
    assert!(close(position.borrow_shares, 842.0) && position.collateral == 0.5);
    assert!(
        close(market.total_borrow_assets, 7_521.0) && close(market.total_borrow_shares, 15_042.0)
    );
    // Conservation: seized value = repaid * LIF (500 = 479 * 1.04384).
    assert!(close(
        liq.seized_assets * 1_000.0,
        liq.repaid_assets * liq.incentive_factor
    ));

    // The price falls to 800: 0.5 collateral is worth 400 < 421 owed. Seizing it all repays
    // 400 * 0.958 = 383.2 assets = 766.4 shares; the 75.6 shares left (37.8 assets) are bad debt,
    // taken from the lenders: supply 10,000 - 37.8 = 9,962.2; borrow 7,521 - 383.2 - 37.8 = 7,100
    // assets over 15,042 - 766.4 - 75.6 = 14,200 shares (still 0.5 a share).
    let liq = market
        .liquidate(&mut position, 800.0, LiquidateRequest::SeizeCollateral(0.5))
        .unwrap();
    assert!(close(liq.repaid_assets, 383.2) && close(liq.repaid_shares, 766.4));
    assert!(close(liq.bad_debt_shares, 75.6) && close(liq.bad_debt_assets, 37.8));
    assert_eq!((position.borrow_shares, position.collateral), (0.0, 0.0));
    assert!(close(market.total_supply_assets, 9_962.2));
    assert!(close(market.total_borrow_assets, 7_100.0));
    assert!(close(market.total_borrow_shares, 14_200.0));
}

#[test]
fn test_morpho_repay_shares_path_and_refusals() {
    let mut market = morpho_market();
    let mut position = MorphoPosition {
        borrow_shares: 1_800.0,
        collateral: 1.0,
    };
    // Repay 1,000 shares = 500 assets: seized = 500 * LIF / 1,000 = 0.5 / 0.958 = 0.521921.
    let liq = market
        .liquidate(
            &mut position,
            1_000.0,
            LiquidateRequest::RepayShares(1_000.0),
        )
        .unwrap();
    assert!(close(liq.repaid_assets, 500.0));
    assert!(close(liq.seized_assets, 0.5 / 0.958));
    // 800 shares (400 assets) against 0.478 collateral at 1,000: 411 >= 400, healthy again.
    assert!(market.is_healthy(&position, 1_000.0));
    assert_eq!(
        market.liquidate(&mut position, 1_000.0, LiquidateRequest::RepayShares(10.0)),
        Err(MorphoRefusal::HealthyPosition)
    );
    // At 500 it is unhealthy, but seizing more than it holds (0.6 > 0.478, repaying 0.6 * 500 * 0.958
    // = 287.4 assets = 574.8 of its 800 shares), or repaying more shares than it owes, reverts.
    assert_eq!(
        market.liquidate(&mut position, 500.0, LiquidateRequest::SeizeCollateral(0.6)),
        Err(MorphoRefusal::InsufficientCollateral)
    );
    assert_eq!(
        market.liquidate(&mut position, 500.0, LiquidateRequest::RepayShares(900.0)),
        Err(MorphoRefusal::InsufficientBorrowShares)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any liquidation: seized value = repaid assets * LIF; debt and collateral only fall; bad debt
    /// appears only when no collateral is left and is exactly what the lenders lose; the market's
    /// borrow totals fall by what was repaid plus the bad debt.
    #[test]
    fn prop_morpho_liquidation_conserves_value(
        collateral in 0.1f64..10.0,
        borrow_assets in 100.0f64..5_000.0,
        price in 50.0f64..1_000.0,
        lltv in 0.5f64..0.98,
        fraction in 0.01f64..=1.0,
        seize in any::<bool>(),
    ) {
        let mut market = MorphoMarket { lltv, ..morpho_market() };
        let mut position = MorphoPosition { borrow_shares: borrow_assets * 2.0, collateral };
        let supply_before = market.total_supply_assets;
        let borrow_before = market.total_borrow_assets;
        let request = if seize {
            LiquidateRequest::SeizeCollateral(collateral * fraction)
        } else {
            LiquidateRequest::RepayShares(position.borrow_shares * fraction)
        };
        match market.liquidate(&mut position, price, request) {
            Ok(liq) => {
                // Only an unhealthy position (2 shares per asset owed) is liquidated.
                prop_assert!(collateral * price * lltv < borrow_assets);
                let lhs = liq.seized_assets * price;
                let rhs = liq.repaid_assets * liq.incentive_factor;
                prop_assert!((lhs - rhs).abs() <= 1e-9 * lhs.max(1.0));
                prop_assert!(position.collateral >= 0.0 && position.borrow_shares >= 0.0);
                prop_assert_eq!(liq.bad_debt_assets > 0.0, position.collateral == 0.0 && liq.bad_debt_shares > 0.0);
                prop_assert!((supply_before - market.total_supply_assets - liq.bad_debt_assets).abs() < 1e-9);
                prop_assert!(
                    (borrow_before - market.total_borrow_assets - liq.repaid_assets - liq.bad_debt_assets).abs() < 1e-6
                );
            }
            Err(MorphoRefusal::HealthyPosition) => {
                prop_assert!(collateral * price * lltv >= borrow_assets * (1.0 - 1e-12));
            }
            Err(MorphoRefusal::InsufficientCollateral | MorphoRefusal::InsufficientBorrowShares) => {}
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Compound v3
// ---------------------------------------------------------------------------

/// USDC base market with WETH (asset 0: borrow CF 0.85, liquidate CF 0.90, liquidation factor 0.93)
/// and WBTC (asset 1: 0.80 / 0.85 / 0.90); store-front factor 0.5; target reserves 5,000 USDC.
/// 50,000 supplied, 41,000 borrowed, so 9,000 cash; reserves 1,000 of extra cash.
fn comet() -> CometState {
    let config = CometConfig {
        assets: vec![
            CometAssetConfig {
                borrow_collateral_factor: 0.85,
                liquidate_collateral_factor: 0.90,
                liquidation_factor: 0.93,
            },
            CometAssetConfig {
                borrow_collateral_factor: 0.80,
                liquidate_collateral_factor: 0.85,
                liquidation_factor: 0.90,
            },
        ],
        store_front_price_factor: 0.5,
        target_reserves: 5_000.0,
    };
    let mut state = CometState::new(config, 10_000.0);
    state.total_supply_base = 50_000.0;
    state.total_borrow_base = 41_000.0;
    state
}

#[test]
fn test_comet_absorb_then_buy_by_hand() {
    let mut comet = comet();
    assert!(close(comet.reserves(), 1_000.0)); // 10,000 - 50,000 + 41,000
    let prices = [1_100.0, 30_000.0];
    let at = CometPrices {
        base: 1.0,
        assets: &prices,
    };
    // 1 WETH against 1,000 USDC borrowed: 1,100 * 0.90 - 1,000 = -10 < 0: liquidatable.
    let mut account = CometAccount {
        base_balance: -1_000.0,
        collateral: vec![1.0, 0.0],
    };
    assert!(comet.is_liquidatable(&account, at));
    // absorb: the WETH (worth 1,100) goes to the protocol; the account is credited 1,100 * 0.93 =
    // 1,023: its debt is gone and 23 USDC become its supply. Reserves pay 1,023: 1,000 - 1,023 = -23.
    let absorb = comet.absorb(&mut account, at).unwrap();
    assert!(close(absorb.seized_value, 1_100.0) && close(absorb.credited_value, 1_023.0));
    assert!(close(absorb.debt_absorbed, 1_000.0) && close(absorb.surplus_to_account, 23.0));
    assert!(close(account.base_balance, 23.0) && account.collateral == vec![0.0, 0.0]);
    assert!(close(comet.reserves(), -23.0));
    assert_eq!(absorb.deficit, 0.0);
    assert_eq!(comet.collateral_reserves, vec![1.0, 0.0]);
    // A second absorb finds nothing to do.
    assert_eq!(
        comet.absorb(&mut account, at),
        Err(CometRefusal::NotLiquidatable)
    );

    // Store-front price: 1,100 * (1 - 0.5 * (1 - 0.93)) = 1,100 * 0.965 = 1,061.5.
    assert!(close(comet.store_front_price(0, 1_100.0), 1_061.5));
    assert!(close(comet.quote_collateral(0, 1_061.5, at), 1.0));
    // Asking for more than the quote is slippage; buying 1 WETH for 1,061.5 works.
    assert_eq!(
        comet.buy_collateral(0, 1.01, 1_061.5, at),
        Err(CometRefusal::TooMuchSlippage)
    );
    assert!(close(
        comet.buy_collateral(0, 0.99, 1_061.5, at).unwrap(),
        1.0
    ));
    // Reserves: -23 + 1,061.5 = 1,038.5, i.e. up 38.5 = 1,100 * (1 - 0.93) * (1 - 0.5): the protocol
    // keeps half the liquidation penalty, the buyer the other half.
    assert!(close(comet.reserves(), 1_038.5));
    // Nothing left to sell.
    assert_eq!(
        comet.buy_collateral(0, 0.0, 10.0, at),
        Err(CometRefusal::InsufficientReserves)
    );
}

#[test]
fn test_comet_absorb_underwater_leaves_deficit_to_reserves() {
    let mut comet = comet();
    let prices = [900.0, 30_000.0];
    let at = CometPrices {
        base: 1.0,
        assets: &prices,
    };
    // 1 WETH at 900 against 1,000 owed: credited 900 * 0.93 = 837 < 1,000: balance floored at 0,
    // the account's debt is still wiped; reserves pay 1,000 (of which 163 is a deficit with no
    // collateral value behind it).
    let mut account = CometAccount {
        base_balance: -1_000.0,
        collateral: vec![1.0, 0.0],
    };
    let absorb = comet.absorb(&mut account, at).unwrap();
    assert_eq!(account.base_balance, 0.0);
    assert!(close(absorb.reserves_paid, 1_000.0) && close(absorb.deficit, 163.0));
    // Selling the WETH at 900 * 0.965 = 868.5 recovers part: reserves 1,000 - 1,000 + 868.5.
    comet.buy_collateral(0, 0.0, 868.5, at).unwrap();
    assert!(close(comet.reserves(), 868.5));
}

#[test]
fn test_comet_not_for_sale_at_target_reserves() {
    let mut comet = comet();
    comet.base_cash += 4_000.0; // reserves 5,000 = target
    comet.collateral_reserves[0] = 1.0;
    let prices = [1_000.0, 30_000.0];
    let at = CometPrices {
        base: 1.0,
        assets: &prices,
    };
    assert_eq!(
        comet.buy_collateral(0, 0.0, 100.0, at),
        Err(CometRefusal::NotForSale)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Absorb and sale move value, never create it: the account is credited `value * LF` (its
    /// balance becomes `max(0, credit - debt)`), reserves pay exactly the balance change, and selling
    /// all the seized collateral at the store front brings in the credit plus the protocol's half of
    /// the penalty, `value * (1 - LF) * (1 - storeFrontPriceFactor)`.
    #[test]
    fn prop_comet_absorb_and_sale_conserve_value(
        weth in 0.0f64..10.0,
        wbtc in 0.0f64..0.5,
        debt in 100.0f64..50_000.0,
        weth_price in 100.0f64..3_000.0,
    ) {
        let mut comet = comet();
        let prices = [weth_price, 30_000.0];
        let at = CometPrices { base: 1.0, assets: &prices };
        let mut account = CometAccount { base_balance: -debt, collateral: vec![weth, wbtc] };
        let reserves_before = comet.reserves();
        match comet.absorb(&mut account, at) {
            Ok(absorb) => {
                let value = weth * weth_price + wbtc * 30_000.0;
                let credit = weth * weth_price * 0.93 + wbtc * 30_000.0 * 0.90;
                prop_assert!((absorb.seized_value - value).abs() < 1e-9 * value.max(1.0));
                prop_assert!((absorb.credited_value - credit).abs() < 1e-9 * value.max(1.0));
                prop_assert!(account.base_balance >= 0.0);
                prop_assert!((account.base_balance - (credit - debt).max(0.0)).abs() < 1e-6);
                prop_assert!((reserves_before - comet.reserves() - absorb.reserves_paid).abs() < 1e-6);
                // Sell everything back at the store front (reserves are below target now).
                let mut recovered = 0.0;
                for (asset, price) in prices.iter().enumerate() {
                    let amount = comet.collateral_reserves[asset];
                    if amount > 0.0 {
                        // A hair under the exact cost: the quote must not exceed what is held.
                        let cost = amount * comet.store_front_price(asset, *price) * (1.0 - 1e-12);
                        let got = comet.buy_collateral(asset, 0.0, cost, at).unwrap();
                        prop_assert!((got - amount).abs() < 1e-9 * amount.max(1.0));
                        recovered += cost;
                    }
                }
                let penalty_kept = weth * weth_price * 0.07 * 0.5 + wbtc * 30_000.0 * 0.10 * 0.5;
                prop_assert!((recovered - (credit + penalty_kept)).abs() < 1e-6 * value.max(1.0));
            }
            Err(CometRefusal::NotLiquidatable) => {
                prop_assert!(weth * weth_price * 0.90 + wbtc * 30_000.0 * 0.85 >= debt);
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Euler v2
// ---------------------------------------------------------------------------

fn euler_config() -> EulerLiquidationConfig {
    EulerLiquidationConfig {
        max_liquidation_discount: 0.15,
        liquidation_cool_off_time: 1,
        socialize_debt: true,
    }
}

/// 10 WETH at `price` (liquidation LTV 0.85) against 18,000 USDC.
fn euler_violator(price: f64) -> EulerViolator {
    EulerViolator {
        collateral_adjusted_value: 10.0 * price * 0.85,
        liability: 18_000.0,
        liability_price: 1.0,
        collateral_balance: 10.0,
        collateral_price: price,
        has_other_collateral: false,
        last_status_check: 100,
    }
}

#[test]
fn test_euler_discount_scales_with_health() {
    // At 2,000: HS = 17,000 / 18,000 = 0.94444: a 5.556% discount. The liquidator takes over all
    // 18,000 of debt and receives 18,000 / 0.94444 = 19,058.82 of WETH = 9.529412 WETH; 0.4706 stays.
    let v = euler_violator(2_000.0);
    assert!(close(
        health_score(v.collateral_adjusted_value, 18_000.0),
        17.0 / 18.0
    ));
    let liq = liquidate(&euler_config(), &v, None, 0.0, 200).unwrap();
    assert!(close(liq.discount_factor, 17.0 / 18.0));
    assert!(close(liq.repay, 18_000.0));
    assert!(close(liq.yield_balance, 18_000.0 * 18.0 / 17.0 / 2_000.0));
    assert_eq!(liq.socialized_debt, 0.0);
    // Value: collateral received * discount factor = debt taken over.
    assert!(close(
        liq.yield_balance * 2_000.0 * liq.discount_factor,
        liq.repay
    ));
    // Half the repay gets half the yield.
    let half = liquidate(&euler_config(), &v, Some(9_000.0), 0.0, 200).unwrap();
    assert!(close(half.yield_balance, liq.yield_balance / 2.0));
    assert_eq!(
        liquidate(&euler_config(), &v, Some(18_001.0), 0.0, 200),
        Err(EulerRefusal::ExcessiveRepayAmount)
    );
    assert_eq!(
        liquidate(&euler_config(), &v, None, 9.6, 200),
        Err(EulerRefusal::MinYield)
    );
}

#[test]
fn test_euler_discount_capped_and_debt_socialised() {
    // At 1,500: HS = 12,750 / 18,000 = 0.7083, a 29% discount capped at 15%: factor 0.85. The yield
    // for all the debt, 18,000 / 0.85 = 21,176, exceeds the 15,000 of WETH: the liquidator takes all
    // 10 WETH and repays 15,000 * 0.85 = 12,750; the 5,250 left on an account with no collateral is
    // socialised.
    let v = euler_violator(1_500.0);
    assert!(close(liquidation_discount(12_750.0 / 18_000.0, 0.15), 0.15));
    let liq = liquidate(&euler_config(), &v, None, 0.0, 200).unwrap();
    assert!(close(liq.discount_factor, 0.85));
    assert!(close(liq.repay, 12_750.0) && close(liq.yield_balance, 10.0));
    assert!(close(liq.socialized_debt, 5_250.0));
    // With other collateral, or socialisation off, the debt stays.
    let other = EulerViolator {
        has_other_collateral: true,
        ..v
    };
    assert_eq!(
        liquidate(&euler_config(), &other, None, 0.0, 200)
            .unwrap()
            .socialized_debt,
        0.0
    );
    let keep = EulerLiquidationConfig {
        socialize_debt: false,
        ..euler_config()
    };
    assert_eq!(
        liquidate(&keep, &v, None, 0.0, 200)
            .unwrap()
            .socialized_debt,
        0.0
    );
}

#[test]
fn test_euler_cool_off_and_healthy_account() {
    // Last status check at 100 with a 1 s cool-off: refused at 100, allowed from 101.
    assert!(is_in_cool_off(100, 1, 100) && !is_in_cool_off(100, 1, 101));
    let v = euler_violator(2_000.0);
    assert_eq!(
        liquidate(&euler_config(), &v, None, 0.0, 100),
        Err(EulerRefusal::LiquidationCoolOff)
    );
    assert!(liquidate(&euler_config(), &v, None, 0.0, 101).is_ok());
    // Healthy at 2,200 (18,700 >= 18,000): a no-op, nothing repaid or seized.
    let healthy = max_liquidation(&euler_config(), &euler_violator(2_200.0));
    assert_eq!((healthy.repay, healthy.yield_balance), (0.0, 0.0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any Euler liquidation: discount in [0, max]; collateral received * discount factor = repaid
    /// value; never more debt than owed nor more collateral than held.
    #[test]
    fn prop_euler_liquidation_conserves_value(
        price in 500.0f64..3_000.0,
        max_discount in 0.01f64..0.2,
        fraction in 0.0f64..=1.0,
    ) {
        let config = EulerLiquidationConfig { max_liquidation_discount: max_discount, ..euler_config() };
        let v = euler_violator(price);
        let max = max_liquidation(&config, &v);
        let liq = liquidate(&config, &v, Some(max.repay * fraction), 0.0, 200).unwrap();
        prop_assert!(liq.discount_factor <= 1.0 && liq.discount_factor >= 1.0 - max_discount - 1e-12);
        prop_assert!(liq.repay <= v.liability * (1.0 + 1e-12));
        prop_assert!(liq.yield_balance <= v.collateral_balance * (1.0 + 1e-12));
        let repaid_value = liq.repay * v.liability_price;
        let yield_value = liq.yield_balance * v.collateral_price;
        prop_assert!((yield_value * liq.discount_factor - repaid_value).abs() <= 1e-9 * repaid_value.max(1.0));
    }
}
