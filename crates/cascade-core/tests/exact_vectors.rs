//! Reference vectors and hand-computed cases for `cascade_core::exact`.
//!
//! The CSV files under `tests/data/` are copies of the project's reference
//! vectors (their `#` header lines give the provenance). Every expected number
//! in the hand-computed tests below is derived in the comment next to it; none
//! was obtained by running the code under test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use cascade_core::exact::{
    aave_liquidation_call, health_factor_wad, uniswap_v2_get_amount_out, AaveLiquidationInput,
    AaveLiquidationOutcome, AaveRevert, AaveRules,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ruint::aliases::{U256, U512};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Rows of a reference CSV (lines starting with `#` are provenance comments),
/// as (header, record) pairs.
fn read_rows(name: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(data_path(name))
        .unwrap_or_else(|e| panic!("open {name}: {e}"));
    let headers = reader.headers().expect("headers").clone();
    let rows: Vec<_> = reader.records().map(|r| r.expect("csv record")).collect();
    assert!(!rows.is_empty(), "{name} has no rows");
    (headers, rows)
}

fn field<'a>(headers: &csv::StringRecord, row: &'a csv::StringRecord, name: &str) -> &'a str {
    let idx = headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    row.get(idx).expect("field").trim()
}

fn u256(s: &str) -> U256 {
    s.parse::<U256>()
        .unwrap_or_else(|e| panic!("not an integer {s:?}: {e}"))
}

fn u(x: u64) -> U256 {
    U256::from(x)
}

fn pow10(n: u32) -> U256 {
    U256::from(10u8).pow(U256::from(n))
}

/// Decimal string ("164680.85") to an integer with `decimals` decimals,
/// exactly (panics if the string has more fractional digits).
fn parse_decimal(s: &str, decimals: u32) -> U256 {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    assert!(frac.len() as u32 <= decimals, "{s} has too many decimals");
    let mut frac = frac.to_string();
    while (frac.len() as u32) < decimals {
        frac.push('0');
    }
    u256(int) * pow10(decimals) + if frac.is_empty() { u(0) } else { u256(&frac) }
}

const USD: u64 = 100_000_000; // 8-decimal base currency
const WAD: u64 = 1_000_000_000_000_000_000;
const WETH_PRICE: u64 = 1_800 * USD;
const USDX_PRICE: u64 = USD;

/// A WETH-collateral / USDX-debt position, the only collateral and debt of
/// the user, with the test market's parameters (LT 86%, bonus 105%, fee 10%).
fn weth_usdx(
    rules: AaveRules,
    weth_wei: U256,
    usdx_units: U256,
    debt_to_cover: U256,
) -> AaveLiquidationInput {
    let total_collateral_base = weth_wei * u(WETH_PRICE) / pow10(18);
    let total_debt_base = usdx_units * u(USDX_PRICE) / pow10(6);
    AaveLiquidationInput {
        rules,
        health_factor_wad: health_factor_wad(total_collateral_base, u(8_600), total_debt_base),
        total_collateral_base,
        total_debt_base,
        collateral_price: u(WETH_PRICE),
        collateral_decimals: 18,
        debt_price: u(USDX_PRICE),
        debt_decimals: 6,
        user_collateral_balance: weth_wei,
        user_reserve_debt: usdx_units,
        debt_to_cover,
        liquidation_bonus_bps: 10_500,
        protocol_fee_bps: 1_000,
    }
}

// ---------------------------------------------------------------------------
// reference vectors
// ---------------------------------------------------------------------------

#[test]
fn uniswap_v2_get_amount_out_vectors() {
    let (h, rows) = read_rows("uniswap_v2_get_amount_out.csv");
    for row in &rows {
        let amount_in = u256(field(&h, row, "amount_in"));
        let reserve_in = u256(field(&h, row, "reserve_in"));
        let reserve_out = u256(field(&h, row, "reserve_out"));
        let expected = u256(field(&h, row, "expected_amount_out"));
        let got = uniswap_v2_get_amount_out(amount_in, reserve_in, reserve_out, 30);
        assert_eq!(got, Some(expected), "row {row:?}");
    }
    assert_eq!(rows.len(), 7);
}

#[test]
fn aave_liquidation_example_vector() {
    let (h, rows) = read_rows("aave_v3_liquidation_example.csv");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(field(&h, row, "collateral_asset"), "WBTC");
    assert_eq!(field(&h, row, "debt_asset"), "USDX");
    let coll_price = u256(field(&h, row, "coll_price_8dec"));
    let debt_price = u256(field(&h, row, "debt_price_8dec"));
    let coll_dec: u32 = field(&h, row, "coll_decimals").parse().unwrap();
    let debt_dec: u32 = field(&h, row, "debt_decimals").parse().unwrap();
    let debt_to_cover = u256(field(&h, row, "debt_to_cover"));
    let bonus: u32 = field(&h, row, "bonus_bps").parse().unwrap();
    let fee: u32 = field(&h, row, "fee_bps").parse().unwrap();

    // Position from the row's comments: 1 WBTC supplied, now priced at 20,250;
    // 20,500 USDX borrowed; LT 86%.
    let balance = pow10(coll_dec); // 1 WBTC
    let reserve_debt = u(20_500) * pow10(debt_dec); // 20,500 USDX
    let total_collateral_base = balance * coll_price / pow10(coll_dec); // $20,250
    let total_debt_base = reserve_debt * debt_price / pow10(debt_dec); // $20,500
    assert_eq!(total_collateral_base, u(20_250 * USD));
    assert_eq!(total_debt_base, u(20_500 * USD));

    // HF = 20250 * 0.86 / 20500 = 17415 / 20500 = 0.84951...; the row says 0.8495.
    let hf = health_factor_wad(total_collateral_base, u(8_600), total_debt_base);
    let expected_hf = parse_decimal(field(&h, row, "expected_health_factor_before"), 18);
    let half_last_digit = u(WAD / 20_000); // 0.00005
    let diff = if hf > expected_hf {
        hf - expected_hf
    } else {
        expected_hf - hf
    };
    assert!(diff < half_last_digit, "hf {hf} vs {expected_hf}");

    for rules in [AaveRules::V3_3, AaveRules::V3_0] {
        let input = AaveLiquidationInput {
            rules,
            health_factor_wad: hf,
            total_collateral_base,
            total_debt_base,
            collateral_price: coll_price,
            collateral_decimals: coll_dec,
            debt_price,
            debt_decimals: debt_dec,
            user_collateral_balance: balance,
            user_reserve_debt: reserve_debt,
            debt_to_cover,
            liquidation_bonus_bps: bonus,
            protocol_fee_bps: fee,
        };
        let out = aave_liquidation_call(&input).expect("liquidatable");
        let exp = |name: &str| u256(field(&h, row, name));
        assert_eq!(
            out.base_collateral,
            exp("expected_base_collateral"),
            "{rules:?}"
        );
        assert_eq!(
            out.collateral_seized_total,
            exp("expected_seized"),
            "{rules:?}"
        );
        assert_eq!(out.bonus_part, exp("expected_bonus_part"), "{rules:?}");
        assert_eq!(out.protocol_fee, exp("expected_protocol_fee"), "{rules:?}");
        assert_eq!(
            out.collateral_to_liquidator,
            exp("expected_liquidator_receives"),
            "{rules:?}"
        );
        // HF 0.8495 <= 0.95: whole reserve debt liquidatable; 106 USDX repaid.
        assert_eq!(out.close_factor_bps, 10_000);
        assert_eq!(out.debt_repaid, debt_to_cover);
        assert!(!out.has_no_collateral_left);
        assert_eq!(out.deficit, U256::ZERO);
    }
}

#[test]
fn aave_close_factor_vectors() {
    let (h, rows) = read_rows("aave_v3_close_factor.csv");
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let case = field(&h, row, "case");
        // USD amounts -> base units: WETH (18 dec) at $1,800, USDX (6 dec) at $1.
        let collateral_usd = parse_decimal(field(&h, row, "collateral_usd"), 18);
        let weth_wei = collateral_usd / u(1_800);
        assert_eq!(weth_wei * u(1_800), collateral_usd, "{case}: whole wei");
        let usdx_units = parse_decimal(field(&h, row, "debt_usd"), 6);
        let input = weth_usdx(AaveRules::V3_3, weth_wei, usdx_units, U256::MAX);

        // The HF the position implies agrees with the row's HF to 2 decimals.
        let stated_hf = parse_decimal(field(&h, row, "health_factor"), 18);
        let diff = if input.health_factor_wad > stated_hf {
            input.health_factor_wad - stated_hf
        } else {
            stated_hf - input.health_factor_wad
        };
        assert!(
            diff < u(WAD / 200),
            "{case}: hf {}",
            input.health_factor_wad
        );

        let expected_cf = parse_decimal(field(&h, row, "expected_close_factor"), 4);
        let out = aave_liquidation_call(&input).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(U256::from(out.close_factor_bps), expected_cf, "{case}");

        // The cap actually applied: max liquidatable ~= close factor * reserve
        // debt (one debt reserve, so reserve debt == total debt), within 1 unit.
        let target = usdx_units * expected_cf / u(10_000);
        let gap = if out.max_liquidatable_debt > target {
            out.max_liquidatable_debt - target
        } else {
            target - out.max_liquidatable_debt
        };
        assert!(
            gap <= u(1),
            "{case}: max {} vs {target}",
            out.max_liquidatable_debt
        );
        assert_eq!(out.debt_repaid, out.max_liquidatable_debt, "{case}");
    }
}

// ---------------------------------------------------------------------------
// hand-computed cases
// ---------------------------------------------------------------------------
//
// Common market: WETH $1,800 (18 dec), USDX $1 (6 dec), 8-decimal prices,
// bonus 10500, protocol fee 1000 (10% of the bonus part), LT 86%.
// percentMul(x, b) = floor((x*b + 5000) / 10000); percentDiv(x, b) =
// floor((x*10000 + floor(b/2)) / b).

/// v3.3 dust rule.
///
/// Position: 1 WETH ($1,800) against 1,720 USDX.
/// HF = 1800*0.86/1720 = 1548/1720 = 0.9 (<= 0.95, so 100% close factor).
///
/// (a) Cover 1,000 USDX.
///   baseCollateral = 1e8 * 1000e6 * 1e18 / (1800e8 * 1e6) = 1e35 / 1.8e17
///                  = 555555555555555555 (floor of ...555.55)
///   maxCollateral  = (555555555555555555*10500 + 5000)/10000
///                  = (5833333333333333327500 + 5000)/10000 = 583333333333333333 < 1e18
///   -> partial on both sides, so the dust check runs:
///   debt left = (1720e6 - 1000e6) * 1e8 / 1e6 = 720e8 < 1000e8  -> MUST_NOT_LEAVE_DUST.
///
/// (b) Cover 700 USDX (passes).
///   baseCollateral = 7e34 / 1.8e17 = 388888888888888888 (floor of ...888.89)
///   seized = (388888888888888888*10500 + 5000)/10000
///          = (4083333333333333324000 + 5000)/10000 = 408333333333333332 (…332.9 floored)
///   percentDiv(seized) = (4083333333333333320000 + 5250)/10500 = 388888888888888888
///     (388888888888888888*10500 = 4083333333333333324000, remainder 1250)
///   bonus part = 408333333333333332 - 388888888888888888 = 19444444444444444
///   fee = (19444444444444444000 + 5000)/10000 = 1944444444444444 (…444.5 floored)
///   to liquidator = 408333333333333332 - 1944444444444444 = 406388888888888888
///   debt left = (1720e6 - 700e6)*1e8/1e6 = 1020e8 >= 1000e8
///   collateral left (contract: balance - to liquidator) =
///     (1e18 - 406388888888888888) * 1800e8 / 1e18 = 593611111111111112 * 1800e8 / 1e18
///     = 106850000000 (= $1,068.50) >= 1000e8  -> no revert.
#[test]
fn hand_v33_dust_rule() {
    let weth = pow10(18);
    let debt = u(1_720) * pow10(6);

    let input = weth_usdx(AaveRules::V3_3, weth, debt, u(1_000) * pow10(6));
    assert_eq!(input.health_factor_wad, u(900_000_000_000_000_000));
    assert_eq!(
        aave_liquidation_call(&input),
        Err(AaveRevert::MustNotLeaveDust)
    );
    // v3.0 has no dust rule: the same call goes through. HF 0.9 <= 0.95 gives
    // close factor 100%, so the 1,000 USDX is repaid in full.
    let v30 = aave_liquidation_call(&AaveLiquidationInput {
        rules: AaveRules::V3_0,
        ..input.clone()
    })
    .expect("v3.0 has no dust rule");
    assert_eq!(v30.debt_repaid, u(1_000) * pow10(6));
    assert_eq!(v30.base_collateral, u256("555555555555555555"));
    assert_eq!(v30.collateral_seized_total, u256("583333333333333333"));

    let input = weth_usdx(AaveRules::V3_3, weth, debt, u(700) * pow10(6));
    let out = aave_liquidation_call(&input).expect("leaves enough");
    assert_eq!(out.base_collateral, u256("388888888888888888"));
    assert_eq!(out.collateral_seized_total, u256("408333333333333332"));
    assert_eq!(out.bonus_part, u256("19444444444444444"));
    assert_eq!(out.protocol_fee, u256("1944444444444444"));
    assert_eq!(out.collateral_to_liquidator, u256("406388888888888888"));
    assert_eq!(out.debt_repaid, u(700) * pow10(6));
    assert_eq!(out.deficit, U256::ZERO);
}

/// v3.3 dust rule quirk: the collateral-leftover check subtracts only what goes
/// to the liquidator, not the protocol fee.
///
/// Position: 1 WETH ($1,800) against 1,800 USDX; HF = 1548/1800 = 0.86.
/// Cover 764 USDX:
///   baseCollateral = 764e6*1e8*1e18/(1800e8*1e6) = 764e18/1800 = 424444444444444444
///   seized = (424444444444444444*10500 + 5000)/10000
///          = (4456666666666666662000 + 5000)/10000 = 445666666666666666 (…666.7 floored)
///   percentDiv(seized) = (4456666666666666660000 + 5250)/10500 = 424444444444444444
///   bonus part = 21222222222222222
///   fee = (21222222222222222000 + 5000)/10000 = 2122222222222222
///   to liquidator = 445666666666666666 - 2122222222222222 = 443544444444444444
///   debt left = 1036e8 >= 1000e8
///   collateral left as checked = (1e18 - 443544444444444444)*1800e8/1e18
///     = 556455555555555556*1800e8/1e18 = 100162000000 ($1,001.62) >= 1000e8 -> passes,
///   although what is really left, 1e18 - 445666666666666666 = 554333333333333334 wei,
///   is worth 99780000000 ($997.80), under the $1,000 minimum.
#[test]
fn hand_v33_dust_rule_ignores_fee() {
    let input = weth_usdx(
        AaveRules::V3_3,
        pow10(18),
        u(1_800) * pow10(6),
        u(764) * pow10(6),
    );
    let out = aave_liquidation_call(&input).expect("the contract lets this through");
    assert_eq!(out.base_collateral, u256("424444444444444444"));
    assert_eq!(out.collateral_seized_total, u256("445666666666666666"));
    assert_eq!(out.bonus_part, u256("21222222222222222"));
    assert_eq!(out.protocol_fee, u256("2122222222222222"));
    assert_eq!(out.collateral_to_liquidator, u256("443544444444444444"));
    let really_left = pow10(18) - out.collateral_seized_total;
    assert_eq!(really_left, u256("554333333333333334"));
    assert_eq!(really_left * u(WETH_PRICE) / pow10(18), u(99_780_000_000));
}

/// v3.3 collateral exhausted -> deficit.
///
/// Position: 1 WETH ($1,800, the only collateral) against 2,000 USDX.
/// HF = percentMul(1800e8, 8600) wadDiv 2000e8 = 1548e8/2000e8 = 0.774e18 exactly.
/// Cover U256::MAX; HF <= 0.95 so maxLiquidatableDebt = 2000e6.
///   baseCollateral = 2000e6*1e8*1e18/(1800e8*1e6) = 1111111111111111111
///   maxCollateral = percentMul(that, 10500) ~ 1.1667e18 > 1e18 -> capped:
///   collateralAmount = 1e18
///   debtNeeded = percentDiv(1800e8*1e18*1e6/(1e8*1e18), 10500) = percentDiv(1800e6, 10500)
///              = (18000000000000 + 5250)/10500 = 1714285714 (…714.78 floored)
///   collateralToLiquidateInBase = 1e18*1800e8/1e18 = 1800e8 == total -> no collateral left
///   percentDiv(1e18, 10500) = (1e22 + 5250)/10500 = 952380952380952381 (…381.45 floored)
///   bonus part = 1e18 - 952380952380952381 = 47619047619047619
///   fee = (47619047619047619000 + 5000)/10000 = 4761904761904762 (…762.4 floored)
///   to liquidator = 1e18 - 4761904761904762 = 995238095238095238
///   dust check skipped: collateral + fee == balance (not <)
///   deficit = 2000e6 - 1714285714 = 285714286
/// v3.0 gives the same amounts but no deficit.
#[test]
fn hand_v33_deficit() {
    let input = weth_usdx(AaveRules::V3_3, pow10(18), u(2_000) * pow10(6), U256::MAX);
    assert_eq!(input.health_factor_wad, u(774_000_000_000_000_000));
    let out = aave_liquidation_call(&input).expect("liquidatable");
    let expect = AaveLiquidationOutcome {
        close_factor_bps: 10_000,
        max_liquidatable_debt: u(2_000) * pow10(6),
        base_collateral: u256("1111111111111111111"),
        debt_repaid: u(1_714_285_714),
        collateral_to_liquidator: u256("995238095238095238"),
        protocol_fee: u256("4761904761904762"),
        bonus_part: u256("47619047619047619"),
        collateral_seized_total: pow10(18),
        collateral_to_liquidate_base: u(1_800 * USD),
        has_no_collateral_left: true,
        deficit: u(285_714_286),
    };
    assert_eq!(out, expect);

    let v30 = aave_liquidation_call(&AaveLiquidationInput {
        rules: AaveRules::V3_0,
        ..input
    })
    .expect("liquidatable");
    assert_eq!(
        v30,
        AaveLiquidationOutcome {
            deficit: U256::ZERO,
            ..expect
        }
    );
}

/// v3.0 close factor is applied to this reserve's debt, with no $2,000 rule.
///
/// Position: 1 WETH ($1,800) against 1,600 USDX.
/// HF = 1548e8 wadDiv 1600e8 = 0.9675e18 (> 0.95).
///
/// v3.0: close factor 50%: max = percentMul(1600e6, 5000) = (8e12 + 5000)/10000
///   = 800000000. Cover MAX -> repay 800e6.
///   baseCollateral = 1e8*800e6*1e18/(1800e8*1e6) = 8e34/1.8e17 = 444444444444444444
///   seized = (4666666666666666662000 + 5000)/10000 = 466666666666666666
///   percentDiv(seized) = (4666666666666666660000 + 5250)/10500 = 444444444444444444
///   bonus part = 22222222222222222; fee = (22222222222222222000 + 5000)/10000
///   = 2222222222222222; to liquidator = 464444444444444444.
///
/// v3.3, same position: collateral $1,800 < $2,000 -> close factor 100%:
///   max = 1600e6, repay 1600e6.
///   baseCollateral = 1.6e35/1.8e17 = 888888888888888888
///   seized = (9333333333333333324000 + 5000)/10000 = 933333333333333332 < 1e18
///   percentDiv(seized) = (9333333333333333320000 + 5250)/10500 = 888888888888888888
///   bonus part = 44444444444444444; fee = (44444444444444444000 + 5000)/10000
///   = 4444444444444444; to liquidator = 928888888888888888.
///   collateralToLiquidateInBase = 933333333333333332*1800e8/1e18 = 167999999999
///   (!= 1800e8, so no deficit); whole debt repaid, so no dust check.
#[test]
fn hand_v30_close_factor_on_reserve_debt() {
    let input = weth_usdx(AaveRules::V3_0, pow10(18), u(1_600) * pow10(6), U256::MAX);
    assert_eq!(input.health_factor_wad, u(967_500_000_000_000_000));
    let out = aave_liquidation_call(&input).expect("liquidatable");
    assert_eq!(out.close_factor_bps, 5_000);
    assert_eq!(out.max_liquidatable_debt, u(800_000_000));
    assert_eq!(out.debt_repaid, u(800_000_000));
    assert_eq!(out.base_collateral, u256("444444444444444444"));
    assert_eq!(out.collateral_seized_total, u256("466666666666666666"));
    assert_eq!(out.bonus_part, u256("22222222222222222"));
    assert_eq!(out.protocol_fee, u256("2222222222222222"));
    assert_eq!(out.collateral_to_liquidator, u256("464444444444444444"));
    assert_eq!(out.deficit, U256::ZERO);

    let out = aave_liquidation_call(&AaveLiquidationInput {
        rules: AaveRules::V3_3,
        ..input
    })
    .expect("liquidatable");
    assert_eq!(out.close_factor_bps, 10_000);
    assert_eq!(out.max_liquidatable_debt, u(1_600_000_000));
    assert_eq!(out.debt_repaid, u(1_600_000_000));
    assert_eq!(out.base_collateral, u256("888888888888888888"));
    assert_eq!(out.collateral_seized_total, u256("933333333333333332"));
    assert_eq!(out.bonus_part, u256("44444444444444444"));
    assert_eq!(out.protocol_fee, u256("4444444444444444"));
    assert_eq!(out.collateral_to_liquidator, u256("928888888888888888"));
    assert_eq!(out.collateral_to_liquidate_base, u(167_999_999_999));
    assert!(!out.has_no_collateral_left);
    assert_eq!(out.deficit, U256::ZERO);
}

/// v3.3 with two debt reserves: the 50% cap is on the user's *total* debt, so a
/// reserve holding less than half of it is fully liquidatable.
///
/// Position: 6.3 WETH ($11,340); debt $10,000 in total, of which 3,000 USDX here.
/// HF = percentMul(11340e8, 8600) wadDiv 10000e8 = 9752.4e8 / 10000e8 = 0.97524e18.
/// Reserve collateral $11,340 >= $2,000, reserve debt $3,000 >= $2,000, HF > 0.95:
///   totalDefault = percentMul(10000e8, 5000) = 5000e8; reserve debt 3000e8 is not
///   above it, so max = 3000e6 (the cap does not bind; reported as 10000).
/// v3.0 on the same position: percentMul(3000e6, 5000) = 1500e6.
#[test]
fn hand_v33_close_factor_uses_total_debt() {
    let weth = u(63) * pow10(17);
    let reserve_debt = u(3_000) * pow10(6);
    let total_collateral_base = u(11_340 * USD);
    let total_debt_base = u(10_000 * USD);
    let hf = health_factor_wad(total_collateral_base, u(8_600), total_debt_base);
    assert_eq!(hf, u(975_240_000_000_000_000));
    let input = AaveLiquidationInput {
        health_factor_wad: hf,
        total_collateral_base,
        total_debt_base,
        ..weth_usdx(AaveRules::V3_3, weth, reserve_debt, U256::MAX)
    };
    let out = aave_liquidation_call(&input).expect("liquidatable");
    assert_eq!(out.close_factor_bps, 10_000);
    assert_eq!(out.max_liquidatable_debt, reserve_debt);
    assert_eq!(out.debt_repaid, reserve_debt);

    let out = aave_liquidation_call(&AaveLiquidationInput {
        rules: AaveRules::V3_0,
        ..input
    })
    .expect("liquidatable");
    assert_eq!(out.close_factor_bps, 5_000);
    assert_eq!(out.max_liquidatable_debt, u(1_500) * pow10(6));
}

#[test]
fn validation_reverts() {
    let base = weth_usdx(AaveRules::V3_3, pow10(18), u(2_000) * pow10(6), U256::MAX);
    for rules in [AaveRules::V3_0, AaveRules::V3_3] {
        let healthy = AaveLiquidationInput {
            rules,
            health_factor_wad: u(WAD),
            ..base.clone()
        };
        assert_eq!(
            aave_liquidation_call(&healthy),
            Err(AaveRevert::HealthFactorNotBelowThreshold)
        );
        let no_coll = AaveLiquidationInput {
            rules,
            user_collateral_balance: U256::ZERO,
            ..base.clone()
        };
        assert_eq!(
            aave_liquidation_call(&no_coll),
            Err(AaveRevert::ZeroCollateral)
        );
        let no_debt = AaveLiquidationInput {
            rules,
            user_reserve_debt: U256::ZERO,
            ..base.clone()
        };
        assert_eq!(aave_liquidation_call(&no_debt), Err(AaveRevert::ZeroDebt));
        let zero_cover = AaveLiquidationInput {
            rules,
            debt_to_cover: U256::ZERO,
            // keep some other collateral so the v3.3 deficit path is not taken
            total_collateral_base: u(5_000 * USD),
            ..base.clone()
        };
        assert_eq!(
            aave_liquidation_call(&zero_cover),
            Err(AaveRevert::InvalidBurnAmount)
        );
        let zero_price = AaveLiquidationInput {
            rules,
            collateral_price: U256::ZERO,
            ..base.clone()
        };
        assert_eq!(
            aave_liquidation_call(&zero_price),
            Err(AaveRevert::DivisionByZero)
        );
    }
}

// ---------------------------------------------------------------------------
// property test
// ---------------------------------------------------------------------------

/// Value identity bound.
///
/// Notation: Pc, Pd prices (base units per whole token), Uc = 10^coll_dec,
/// Ud = 10^debt_dec, b = bonus/10000 (here 1 < b <= 1.5), D = debt_repaid,
/// c = collateral_to_liquidate_base, T = D*Pd/Ud * b (exact, rational).
///
/// Uncapped: baseC = floor(X), X = D*Pd*Uc/(Pc*Ud), so X-1 < baseC <= X;
///   S = percentMul(baseC, bonus) = floor(baseC*b + 1/2), so
///   baseC*b - 1/2 < S <= baseC*b + 1/2; c = floor(S*Pc/Uc).
///   Since X*b*Pc/Uc = T: T - (b + 1/2)*Pc/Uc - 1 < c <= T + (1/2)*Pc/Uc.
/// Capped (S = balance B): V = B*Pc/Uc, c = floor(V), V-1 < c <= V;
///   y = floor(Y), Y = B*Pc*Ud/(Pd*Uc) (so Y*Pd/Ud = V);
///   D = percentDiv(y, bonus) = floor(y/b + floor(bonus/2)/bonus), so
///   y/b - 1/2 - 1/(2*bonus) < D <= y/b + 1/2, and T = D*b*Pd/Ud gives
///   V - (1 + b/2 + b/(2*bonus))*Pd/Ud < T <= V + (b/2)*Pd/Ud.
/// With b <= 1.5 both cases give |c - T| < 2*Pc/Uc + 2*Pd/Ud + 1:
/// at most two collateral base units' and two debt base units' worth of base
/// currency, plus one base-currency unit.
///
/// Checked in integers, multiplying through by Uc*Ud*10000:
/// |c*Uc*Ud*10000 - D*Pd*bonus*Uc| <= 10000*(2*Pc*Ud + 2*Pd*Uc + Uc*Ud).
fn value_identity_holds(input: &AaveLiquidationInput, out: &AaveLiquidationOutcome) -> bool {
    let w = |x: U256| U512::from(x);
    let uc = w(pow10(input.collateral_decimals));
    let ud = w(pow10(input.debt_decimals));
    let pc = w(input.collateral_price);
    let pd = w(input.debt_price);
    let ten_k = U512::from(10_000u64);
    let lhs = w(out.collateral_to_liquidate_base) * uc * ud * ten_k;
    let rhs = w(out.debt_repaid) * pd * U512::from(input.liquidation_bonus_bps) * uc;
    let diff = if lhs > rhs { lhs - rhs } else { rhs - lhs };
    let two = U512::from(2u64);
    let bound = ten_k * (two * pc * ud + two * pd * uc + uc * ud);
    diff <= bound
}

fn input_strategy() -> impl Strategy<Value = AaveLiquidationInput> {
    let decimals = prop::sample::select(vec![6u32, 8, 18]);
    (
        (any::<bool>(), 0u64..WAD),
        (decimals.clone(), 1_000_000u64..=10_000_000_000_000), // $0.01 .. $100,000
        (decimals, 1_000_000u64..=10_000_000_000_000),
        (1u64..=1_000_000_000_000_000, 0u32..=12), // balance mantissa, exponent
        (1u64..=1_000_000_000_000_000, 0u32..=12), // debt mantissa, exponent
        (
            prop_oneof![Just(0u64), 0u64..=1_000_000_000_000_000],
            prop_oneof![Just(0u64), 0u64..=1_000_000_000_000_000],
        ),
        prop_oneof![Just(None), (0u64..=1_200).prop_map(Some)], // cover: MAX or a share of the debt
        (10_001u32..=15_000, prop_oneof![Just(0u32), 0u32..=10_000]),
    )
        .prop_map(
            |(
                (v33, hf),
                (cd, cp),
                (dd, dp),
                (bm, be),
                (dm, de),
                (extra_coll, extra_debt),
                cover,
                (bonus, fee),
            )| {
                let balance = u(bm) * pow10(be);
                let reserve_debt = u(dm) * pow10(de);
                let coll_base = balance * u(cp) / pow10(cd) + u(extra_coll);
                let debt_base = reserve_debt * u(dp) / pow10(dd) + u(extra_debt);
                AaveLiquidationInput {
                    rules: if v33 {
                        AaveRules::V3_3
                    } else {
                        AaveRules::V3_0
                    },
                    health_factor_wad: u(hf),
                    total_collateral_base: coll_base,
                    total_debt_base: debt_base,
                    collateral_price: u(cp),
                    collateral_decimals: cd,
                    debt_price: u(dp),
                    debt_decimals: dd,
                    user_collateral_balance: balance,
                    user_reserve_debt: reserve_debt,
                    debt_to_cover: match cover {
                        None => U256::MAX,
                        Some(permille) => reserve_debt * u(permille) / u(1_000),
                    },
                    liquidation_bonus_bps: bonus,
                    protocol_fee_bps: fee,
                }
            },
        )
}

#[test]
fn liquidation_invariants() {
    static OK: AtomicUsize = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&input_strategy(), |input| {
            let out = match aave_liquidation_call(&input) {
                Ok(out) => out,
                Err(AaveRevert::MustNotLeaveDust) => {
                    prop_assert_eq!(input.rules, AaveRules::V3_3);
                    return Ok(());
                }
                Err(AaveRevert::InvalidBurnAmount) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(format!("unexpected revert {e}"))),
            };
            OK.fetch_add(1, Ordering::Relaxed);
            prop_assert!(out.collateral_seized_total <= input.user_collateral_balance);
            prop_assert!(out.debt_repaid <= input.user_reserve_debt);
            prop_assert!(out.debt_repaid <= input.debt_to_cover);
            prop_assert!(out.debt_repaid <= out.max_liquidatable_debt);
            prop_assert!(out.protocol_fee <= out.bonus_part);
            prop_assert_eq!(
                out.collateral_to_liquidator + out.protocol_fee,
                out.collateral_seized_total
            );
            prop_assert!(
                value_identity_holds(&input, &out),
                "value identity: {:?} -> {:?}",
                input,
                out
            );
            match input.rules {
                AaveRules::V3_0 => prop_assert_eq!(out.deficit, U256::ZERO),
                AaveRules::V3_3 if out.has_no_collateral_left => {
                    prop_assert_eq!(out.debt_repaid + out.deficit, input.user_reserve_debt)
                }
                AaveRules::V3_3 => prop_assert_eq!(out.deficit, U256::ZERO),
            }
            Ok(())
        })
        .unwrap();
    // Most generated positions must actually liquidate, or the test says nothing.
    assert!(
        OK.load(Ordering::Relaxed) > 256,
        "only {} ok",
        OK.load(Ordering::Relaxed)
    );
}
