//! Lending-protocol liquidation mechanisms: Morpho Blue's incentive by LLTV and `liquidate`
//! (`mechanism::morpho`), Compound v3's absorb and buy (`mechanism::compound`), Euler v2's
//! health-scaled discount (`mechanism::euler`). Expected numbers are derived in the comments.

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
