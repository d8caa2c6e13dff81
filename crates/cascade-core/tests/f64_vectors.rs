//! The engine's real-number model against the same reference vectors as `exact`: the Uniswap v2 pool
//! to 1e-12 relative, the Aave v3.3 close-factor cases exactly, and the worked liquidation example to
//! within the contract's rounding (a few base units).

use cascade_core::ids::{AssetId, OracleId};
use cascade_core::lending::{AaveRules, LendingProtocol, RiskParams};
use cascade_core::venue::ConstantProductPool;

fn rows(file: &str) -> Vec<csv::StringRecord> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap();
    reader.records().map(Result::unwrap).collect()
}

fn number(record: &csv::StringRecord, index: usize) -> f64 {
    record[index].parse().unwrap()
}

#[test]
fn test_constant_product_pool_matches_uniswap_v2_vectors() {
    // Columns: amount_in, reserve_in, reserve_out, expected_amount_out (wei, 0.30% fee, floor). The
    // contract floors to the wei, so the real-number output is at most 1 wei above; relative to outputs
    // of ~1e17 wei and more, that and f64 rounding stay under 1e-12.
    let vectors = rows("uniswap_v2_get_amount_out.csv");
    assert_eq!(vectors.len(), 7);
    for row in vectors {
        let (amount_in, reserve_in, reserve_out, expected) = (
            number(&row, 0),
            number(&row, 1),
            number(&row, 2),
            number(&row, 3),
        );
        let out = ConstantProductPool::amount_out(amount_in, reserve_in, reserve_out, 0.003);
        assert!(
            ((out - expected) / expected).abs() < 1e-12,
            "{row:?}: {out} vs {expected}"
        );
        // Selling through a pool state gives the same.
        let mut pool = ConstantProductPool {
            reserve_base: reserve_in,
            reserve_quote: reserve_out,
            fee: 0.003,
        };
        let sale = pool.sell(amount_in);
        assert!(((sale.quote_received - expected) / expected).abs() < 1e-12);
    }
}

/// The Aave v3.3 test market: USDX (asset 0, $1) and WETH (asset 1, $1,800), LT 86%, bonus 5%, fee 10%.
fn weth_market() -> LendingProtocol {
    let params = RiskParams {
        ltv: 0.825,
        liquidation_threshold: 0.86,
        liquidation_bonus: 0.05,
        protocol_fee: 0.1,
    };
    LendingProtocol::new(
        "aave".into(),
        AaveRules::V3_3,
        vec![None, Some(params)],
        vec![Some(OracleId(0)), Some(OracleId(1))],
    )
}

#[test]
fn test_close_factor_matches_aave_v33_cases() {
    // Columns: case, health_factor, collateral_usd, debt_usd, expected_close_factor (WETH collateral,
    // USDX debt, as in Pool.Liquidations.CloseFactor.t.sol).
    let vectors = rows("aave_v3_close_factor.csv");
    assert_eq!(vectors.len(), 3);
    let prices = [1.0, 1800.0];
    for row in vectors {
        let (collateral_usd, debt_usd, expected) =
            (number(&row, 2), number(&row, 3), number(&row, 4));
        let mut protocol = weth_market();
        let account = protocol.add_account(
            String::new(),
            &[0.0, collateral_usd / 1800.0],
            &[debt_usd, 0.0],
        );
        let health_factor = protocol.health_factor(account, &prices);
        assert!(
            (health_factor - number(&row, 1)).abs() < 1e-4,
            "{row:?}: HF {health_factor}"
        );
        let plan = protocol
            .plan_liquidation(account, AssetId(1), AssetId(0), f64::INFINITY, &prices)
            .unwrap();
        assert_eq!(plan.close_factor, expected, "{}", &row[0]);
    }
}

#[test]
fn test_liquidation_example_matches_aave_v33_to_rounding() {
    // 1 WBTC (8 decimals) at $20,250 against 20,500 USDX; the liquidator covers 106 USDX. Expected (base
    // units): seized 549,629 sat, protocol fee 2,617 sat, liquidator receives 547,012 sat. The contract
    // floors at each step, so the real-number amounts may exceed them by a few base units.
    let row = &rows("aave_v3_liquidation_example.csv")[0];
    let params = RiskParams {
        ltv: 0.825,
        liquidation_threshold: 0.86,
        liquidation_bonus: 0.05,
        protocol_fee: 0.1,
    };
    let mut protocol = LendingProtocol::new(
        "aave".into(),
        AaveRules::V3_3,
        vec![None, Some(params)],
        vec![Some(OracleId(0)), Some(OracleId(1))],
    );
    let account = protocol.add_account(String::new(), &[0.0, 1.0], &[20_500.0, 0.0]);
    let prices = [1.0, 20_250.0];
    let plan = protocol
        .plan_liquidation(account, AssetId(1), AssetId(0), 106.0, &prices)
        .unwrap();
    let sat = |amount: f64| amount * 1e8;
    let (seized, fee, receives) = (number(row, 10), number(row, 12), number(row, 13));
    assert!(
        (sat(plan.collateral_seized) - seized).abs() <= 2.0,
        "{} vs {seized}",
        sat(plan.collateral_seized)
    );
    assert!((sat(plan.protocol_fee_collateral) - fee).abs() <= 2.0);
    assert!((sat(plan.collateral_to_liquidator) - receives).abs() <= 2.0);
    assert_eq!(plan.debt_repaid, 106.0);
    assert!((plan.health_factor_before - number(row, 14)).abs() < 1e-4);
}
