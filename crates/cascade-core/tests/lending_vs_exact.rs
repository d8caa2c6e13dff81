//! Cross-check of the `f64` liquidation rules (`lending::LendingProtocol::plan_liquidation`) against
//! the exact integer reference (`exact::aave_liquidation_call`), both rule versions.
//!
//! Every case is built in integers first: balances in token base units, prices with 8 decimals,
//! risk parameters in basis points. The exact side gets those integers as they are (the health
//! factor and account totals computed the way `GenericLogic` does: floor to the 8-decimal base
//! currency, then `percentMul`/`wadDiv`). The `f64` side gets the same numbers divided by their
//! scale (`base / 10^decimals`, `price / 1e8`, `bps / 1e4`), which differ from the exact rationals
//! by a relative 1e-16 or so.
//!
//! # What must agree, and how closely
//!
//! Both must refuse (with the corresponding reason) or both succeed, and on success the close factor
//! must be equal, both must agree on whether all the collateral goes, and the amounts (debt repaid,
//! collateral seized, protocol fee, collateral to the liquidator, and v3.3's deficit when the
//! collateral is exhausted) must be close. The bound on the amounts, in base units, follows the integer
//! rounding steps of the contract (every `floor`/half-up costs at most one unit of what it rounds):
//!
//! * debt (`tol_debt`): v3.0's `percentMul(debt, 50%)` is off by at most 1/2 unit; v3.3's 50% cap
//!   goes through the base currency (`floor(debt*price/unit)`, `percentMul`, then
//!   `floor(base*unit/price)`), off by at most one base-currency unit (1e-8 USD) converted to debt
//!   base units, plus 1; the collateral-exhausted branch
//!   (`percentDiv(floor(coll*Pc*Ud/(Pd*Uc)), bonus)`) by at most 2. So
//!   `tol_debt = 4 * (1 + debt base units per 1e-8 USD)`.
//! * collateral (`tol_coll`): `percentMul(floor(debt*Pd*Uc/(Pc*Ud)), bonus)` is off by at most
//!   `(1+bonus) + 1/2 < 3` units, plus the debt error carried through the price ratio `r` (collateral
//!   base units per debt base unit) and the bonus: `tol_coll = 4 + tol_debt * r * (1+bonus)`.
//! * protocol fee: `percentMul(seized - percentDiv(seized, bonus), fee)` adds at most 2 units to the
//!   collateral error: `tol_fee = 4 + tol_coll`.
//!
//! and the `f64` side adds a relative 1e-12 (a few ulps per operation, with margin).
//!
//! # Where the two may legitimately differ (skipped, and counted)
//!
//! The rules have discontinuities: HF = 1 (liquidatable or not), HF = 0.95 (close factor), a
//! reserve worth $2,000 (v3.3 close factor), $1,000 left over (v3.3 dust rule), and, for v3.3's dust
//! rule, whether the call takes *all* of the collateral or of the debt (the rule only applies when it
//! takes neither). Rounding moves each side of those lines a little, so a case whose real-number
//! value lies within a relative 1e-9 of a line, widened by the rounding bound of the quantity compared
//! (e.g. the exact health factor floors the account totals to 1e-8 USD, a relative
//! `1e-8 / min(collateral USD, debt USD)`), is skipped. The tests count the skips and require them to
//! be rare, so the property is not vacuous.

use std::cell::Cell;

use cascade_core::exact::{
    aave_liquidation_call, health_factor_wad, AaveLiquidationInput, AaveRevert, AaveRules,
};
use cascade_core::ids::{AssetId, OracleId};
use cascade_core::lending::{LendingProtocol, LiquidationRefusal, RiskParams};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use ruint::aliases::U256;

/// How much the liquidator asks to cover.
#[derive(Debug, Clone, Copy)]
enum Cover {
    /// `type(uint256).max` / `f64::INFINITY`.
    Infinite,
    /// A number of debt base units (at least 1).
    Base(u128),
}

/// One collateral asset (0) and one debt asset (1), in integers.
#[derive(Debug, Clone)]
struct Case {
    rules: AaveRules,
    coll_decimals: u32,
    debt_decimals: u32,
    /// USD with 8 decimals.
    coll_price_8: u64,
    debt_price_8: u64,
    coll_base: u128,
    debt_base: u128,
    lt_bps: u32,
    bonus_bps: u32,
    fee_bps: u32,
    cover: Cover,
}

fn pow10_f64(n: u32) -> f64 {
    // 10^n is exact in f64 up to n = 22.
    10f64.powi(n as i32)
}

fn pow10_u256(n: u32) -> U256 {
    U256::from(10u8).pow(U256::from(n))
}

fn to_f64(x: U256) -> f64 {
    u128::try_from(x).expect("amounts fit in u128") as f64
}

/// Log-uniform draw in [lo, hi] from a uniform u in [0, 1].
fn log_uniform(u: f64, lo: f64, hi: f64) -> f64 {
    (lo.ln() + u * (hi.ln() - lo.ln())).exp()
}

fn case_strategy(rules: AaveRules) -> impl Strategy<Value = Case> {
    let decimals = prop::sample::select(vec![6u32, 8, 18]);
    (
        (decimals.clone(), decimals),
        (0.0f64..1.0, any::<bool>(), 0.0f64..1.0),
        // Debt worth $20 .. $2M: both sides of the $2,000 and $1,000 lines.
        0.0f64..1.0,
        // Health factor 0.3 .. 1.2: exhausting the collateral, full and half close factor, healthy.
        0.3f64..1.2,
        (
            5_000u32..=9_500,
            10_050u32..=11_500,
            prop_oneof![Just(0u32), 0u32..=5_000],
        ),
        // Cover: 0 = infinite, 1 = one base unit, 2 = a share of the debt.
        (
            prop_oneof![3 => Just(0u8), 1 => Just(1u8), 6 => Just(2u8)],
            0.0f64..1.0,
        ),
        // Rarely an empty side.
        prop_oneof![18 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(
            move |(
                (cd, dd),
                (cp_u, stable_debt, dp_u),
                debt_u,
                hf,
                (lt, bonus, fee),
                cover,
                empty,
            )| {
                let coll_price = log_uniform(cp_u, 0.05, 100_000.0);
                let debt_price = if stable_debt {
                    1.0
                } else {
                    log_uniform(dp_u, 0.5, 5_000.0)
                };
                let coll_price_8 = (coll_price * 1e8).round() as u64;
                let debt_price_8 = (debt_price * 1e8).round() as u64;
                let debt_usd = log_uniform(debt_u, 20.0, 2_000_000.0);
                let coll_usd = debt_usd * hf / (f64::from(lt) / 1e4);
                let mut debt_base = ((debt_usd / (debt_price_8 as f64 / 1e8) * pow10_f64(dd))
                    .round() as u128)
                    .max(1);
                let mut coll_base = ((coll_usd / (coll_price_8 as f64 / 1e8) * pow10_f64(cd))
                    .round() as u128)
                    .max(1);
                match empty {
                    1 => coll_base = 0,
                    2 => debt_base = 0,
                    _ => {}
                }
                let cover = match cover {
                    (0, _) => Cover::Infinite,
                    (1, _) => Cover::Base(1),
                    // A share of the debt from 1e-12 to 2x, at least one base unit ("tiny" to more
                    // than all of it).
                    (_, u) => Cover::Base(
                        ((debt_base as f64 * log_uniform(u, 1e-12, 2.0)).round() as u128).max(1),
                    ),
                };
                Case {
                    rules,
                    coll_decimals: cd,
                    debt_decimals: dd,
                    coll_price_8,
                    debt_price_8,
                    coll_base,
                    debt_base,
                    lt_bps: lt,
                    bonus_bps: bonus,
                    fee_bps: fee,
                    cover,
                }
            },
        )
}

/// Moves a generated case onto one of the rules' lines, at a signed relative distance from 1e-12 to
/// 1e-3: the cases where rounding matters most. Those within the rounding bound are skipped by
/// [`near_a_threshold`]; the others must still agree.
fn near_line_strategy(rules: AaveRules) -> impl Strategy<Value = Case> {
    (case_strategy(rules), 0u8..6, any::<bool>(), 0.0f64..1.0).prop_map(
        |(mut case, line, above, magnitude)| {
            if case.coll_base == 0 || case.debt_base == 0 {
                return case;
            }
            let e = log_uniform(magnitude, 1e-12, 1e-3) * if above { 1.0 } else { -1.0 };
            // USD per base unit.
            let pc = case.coll_price_8 as f64 / 1e8 / pow10_f64(case.coll_decimals);
            let pd = case.debt_price_8 as f64 / 1e8 / pow10_f64(case.debt_decimals);
            let lt = f64::from(case.lt_bps) / 1e4;
            let bonus = f64::from(case.bonus_bps) / 1e4;
            let set_hf = |case: &mut Case, hf: f64| {
                let coll_usd = case.debt_base as f64 * pd * hf / lt;
                case.coll_base = ((coll_usd / pc).round() as u128).max(1);
            };
            match line {
                0 => set_hf(&mut case, 1.0 + e),
                1 => set_hf(&mut case, 0.95 * (1.0 + e)),
                2 => {
                    case.debt_base = ((2_000.0 * (1.0 + e) / pd).round() as u128).max(1);
                    set_hf(&mut case, 0.97);
                }
                3 => {
                    case.coll_base = ((2_000.0 * (1.0 + e) / pc).round() as u128).max(1);
                    case.debt_base = ((2_000.0 * 1.1 * lt / 0.97 / pd).round() as u128).max(1);
                }
                4 => {
                    // Leave $1,000 (1+e) of debt.
                    let left = (1_000.0 * (1.0 + e) / pd).round() as u128;
                    if case.debt_base > left {
                        case.cover = Cover::Base(case.debt_base - left);
                    }
                }
                _ => {
                    // Ask for the debt whose collateral with the bonus is all of it, (1+e).
                    let cover = case.coll_base as f64 * (1.0 + e) * pc / (pd * bonus);
                    case.cover = Cover::Base((cover.round() as u128).max(1));
                }
            }
            case
        },
    )
}

fn exact_input(case: &Case) -> AaveLiquidationInput {
    let coll_balance = U256::from(case.coll_base);
    let debt_balance = U256::from(case.debt_base);
    let coll_price = U256::from(case.coll_price_8);
    let debt_price = U256::from(case.debt_price_8);
    // GenericLogic: value in base currency = floor(balance * price / unit); one collateral asset, so
    // the average liquidation threshold is its own.
    let total_collateral_base = coll_balance * coll_price / pow10_u256(case.coll_decimals);
    let total_debt_base = debt_balance * debt_price / pow10_u256(case.debt_decimals);
    let lt = U256::from(case.lt_bps);
    let hf = if total_collateral_base.is_zero() {
        // No collateral: HF = 0 (GenericLogic would compute 0 as well).
        if total_debt_base.is_zero() {
            U256::MAX
        } else {
            U256::ZERO
        }
    } else {
        health_factor_wad(total_collateral_base, lt, total_debt_base)
    };
    AaveLiquidationInput {
        rules: case.rules,
        health_factor_wad: hf,
        total_collateral_base,
        total_debt_base,
        collateral_price: coll_price,
        collateral_decimals: case.coll_decimals,
        debt_price,
        debt_decimals: case.debt_decimals,
        user_collateral_balance: coll_balance,
        user_reserve_debt: debt_balance,
        debt_to_cover: match case.cover {
            Cover::Infinite => U256::MAX,
            Cover::Base(n) => U256::from(n),
        },
        liquidation_bonus_bps: case.bonus_bps,
        protocol_fee_bps: case.fee_bps,
    }
}

/// The same position in the `f64` protocol: (protocol, prices, debt_to_cover in units).
fn f64_position(case: &Case) -> (LendingProtocol, [f64; 2], f64) {
    let lt = f64::from(case.lt_bps) / 1e4;
    let params = RiskParams {
        ltv: lt - 0.05,
        liquidation_threshold: lt,
        liquidation_bonus: f64::from(case.bonus_bps) / 1e4 - 1.0,
        protocol_fee: f64::from(case.fee_bps) / 1e4,
    };
    let mut protocol = LendingProtocol::new(
        "p".into(),
        case.rules,
        vec![Some(params), None],
        vec![Some(OracleId(0)), Some(OracleId(1))],
    );
    let coll = case.coll_base as f64 / pow10_f64(case.coll_decimals);
    let debt = case.debt_base as f64 / pow10_f64(case.debt_decimals);
    protocol.add_account(String::new(), &[coll, 0.0], &[0.0, debt]);
    let prices = [
        case.coll_price_8 as f64 / 1e8,
        case.debt_price_8 as f64 / 1e8,
    ];
    let cover = match case.cover {
        Cover::Infinite => f64::INFINITY,
        Cover::Base(n) => n as f64 / pow10_f64(case.debt_decimals),
    };
    (protocol, prices, cover)
}

/// The rounding bounds of the module docs, in base units of (debt, collateral, fee), without the
/// relative f64 part.
fn tolerances(case: &Case) -> (f64, f64, f64) {
    let ud = pow10_f64(case.debt_decimals);
    let uc = pow10_f64(case.coll_decimals);
    // Debt base units in one base-currency unit (1e-8 USD): Ud / Pd8.
    let debt_per_base_currency = ud / case.debt_price_8 as f64;
    let tol_debt = 4.0 * (1.0 + debt_per_base_currency);
    // Collateral base units per debt base unit.
    let r = (case.debt_price_8 as f64 / ud) / (case.coll_price_8 as f64 / uc);
    let tol_coll = 4.0 + tol_debt * r * f64::from(case.bonus_bps) / 1e4;
    (tol_debt, tol_coll, 4.0 + tol_coll)
}

/// Whether the case lies (in real numbers) within rounding of one of the rules' discontinuities.
/// Returns the name of the line it is near, for the counts.
fn near_a_threshold(case: &Case) -> Option<&'static str> {
    if case.coll_base == 0 || case.debt_base == 0 {
        return None;
    }
    let (tol_debt, tol_coll, _) = tolerances(case);
    let near = |x: f64, line: f64, rel: f64| (x - line).abs() <= rel * line;
    // Real-number model in base units.
    let c = case.coll_base as f64;
    let d = case.debt_base as f64;
    let pc = case.coll_price_8 as f64 / 1e8 / pow10_f64(case.coll_decimals); // USD per base unit
    let pd = case.debt_price_8 as f64 / 1e8 / pow10_f64(case.debt_decimals);
    let lt = f64::from(case.lt_bps) / 1e4;
    let bonus = f64::from(case.bonus_bps) / 1e4;
    let fee = f64::from(case.fee_bps) / 1e4;
    let coll_usd = c * pc;
    let debt_usd = d * pd;
    let hf = coll_usd * lt / debt_usd;
    // Flooring each total to 1e-8 USD moves the exact HF by at most 1e-8/value relative (+1 for the
    // half-up steps).
    let hf_rel = 1e-9 + 2e-8 / coll_usd.min(debt_usd);
    if near(hf, 1.0, hf_rel) {
        return Some("hf=1");
    }
    if hf >= 1.0 {
        return None;
    }
    if near(hf, 0.95, hf_rel) {
        return Some("hf=0.95");
    }
    let v33 = case.rules == AaveRules::V3_3;
    if v33 && (near(coll_usd, 2_000.0, 2e-9) || near(debt_usd, 2_000.0, 2e-9)) {
        return Some("$2,000");
    }
    let half = if v33 {
        coll_usd >= 2_000.0 && debt_usd >= 2_000.0 && hf > 0.95
    } else {
        hf > 0.95
    };
    let max_liq = if half { d * 0.5 } else { d };
    let cover = match case.cover {
        Cover::Infinite => f64::INFINITY,
        Cover::Base(n) => n as f64,
    };
    let actual = cover.min(max_liq);
    let max_coll = actual * pd / pc * bonus;
    if (max_coll - c).abs() <= tol_coll + 1e-9 * c {
        return Some("all collateral");
    }
    if !v33 {
        return None;
    }
    let (seized, repaid) = if max_coll > c {
        (c, c * pc / pd / bonus)
    } else {
        (max_coll, actual)
    };
    let to_liquidator = seized - (seized - seized / bonus) * fee;
    // Whether the exact call repays the whole debt: only with the full close factor and a cover of
    // at least the debt (decided in integers, where f64 could round a cover just below the debt up
    // to it).
    let full_debt = !half
        && max_coll <= c
        && match case.cover {
            Cover::Infinite => true,
            Cover::Base(n) => n >= case.debt_base,
        };
    if !full_debt && d - repaid <= tol_debt + 1e-9 * d {
        return Some("all debt");
    }
    if seized < c && !full_debt {
        let debt_left_usd = (d - repaid) * pd;
        let coll_left_usd = (c - to_liquidator) * pc;
        if near(
            debt_left_usd,
            1_000.0,
            1e-9 + (tol_debt * pd + 1e-8) / 1_000.0,
        ) || near(
            coll_left_usd,
            1_000.0,
            1e-9 + (tol_coll * pc + 1e-8) / 1_000.0,
        ) {
            return Some("$1,000 left");
        }
    }
    None
}

#[derive(Default)]
struct Counts {
    cases: Cell<u32>,
    skipped: Cell<u32>,
    both_ok: Cell<u32>,
    half_close: Cell<u32>,
    exhausted: Cell<u32>,
    healthy: Cell<u32>,
    dust: Cell<u32>,
    tiny_cover: Cell<u32>,
}

fn bump(cell: &Cell<u32>) {
    cell.set(cell.get() + 1);
}

fn check_case(case: &Case, counts: &Counts) -> Result<(), TestCaseError> {
    bump(&counts.cases);
    if near_a_threshold(case).is_some() {
        bump(&counts.skipped);
        return Ok(());
    }
    let input = exact_input(case);
    let exact = aave_liquidation_call(&input);
    let (protocol, prices, cover) = f64_position(case);
    let plan = protocol.plan_liquidation(
        cascade_core::ids::AccountId(0),
        AssetId(0),
        AssetId(1),
        cover,
        &prices,
    );
    let (plan, out) = match (plan, exact) {
        (Ok(plan), Ok(out)) => (plan, out),
        (Err(refusal), Err(revert)) => {
            let expected = match refusal {
                LiquidationRefusal::Healthy => AaveRevert::HealthFactorNotBelowThreshold,
                LiquidationRefusal::NoDebt => AaveRevert::ZeroDebt,
                LiquidationRefusal::NoCollateral => AaveRevert::ZeroCollateral,
                LiquidationRefusal::WouldLeaveDust => AaveRevert::MustNotLeaveDust,
                LiquidationRefusal::InvalidAmount => AaveRevert::InvalidBurnAmount,
                LiquidationRefusal::NotCollateral => {
                    return Err(TestCaseError::fail("the collateral asset is listed"))
                }
            };
            prop_assert_eq!(revert, expected, "refusal {:?} for {:?}", refusal, case);
            match refusal {
                LiquidationRefusal::Healthy => bump(&counts.healthy),
                LiquidationRefusal::WouldLeaveDust => bump(&counts.dust),
                _ => {}
            }
            return Ok(());
        }
        (Ok(plan), Err(AaveRevert::InvalidBurnAmount)) => {
            // The exact call repays zero debt base units, or seizes zero collateral base units;
            // the f64 plan can only agree by repaying or seizing less than the rounding bound.
            let (tol_debt, tol_coll, _) = tolerances(case);
            let repaid = plan.debt_repaid * pow10_f64(case.debt_decimals);
            let seized = plan.collateral_seized * pow10_f64(case.coll_decimals);
            prop_assert!(
                repaid <= tol_debt || seized <= tol_coll,
                "zero burn vs {repaid} repaid, {seized} seized for {case:?}"
            );
            return Ok(());
        }
        (plan, exact) => {
            return Err(TestCaseError::fail(format!(
                "f64 {plan:?} vs exact {exact:?} for {case:?}"
            )))
        }
    };
    bump(&counts.both_ok);
    let (tol_debt, tol_coll, tol_fee) = tolerances(case);
    let close = |f64_units: f64, decimals: u32, exact: U256, tol: f64| {
        let a = f64_units * pow10_f64(decimals);
        let b = to_f64(exact);
        (a - b).abs() <= tol + 1e-12 * a.abs().max(b.abs())
    };
    prop_assert_eq!(
        plan.close_factor,
        f64::from(out.close_factor_bps) / 1e4,
        "close factor for {:?}",
        case
    );
    prop_assert!(
        close(
            plan.debt_repaid,
            case.debt_decimals,
            out.debt_repaid,
            tol_debt
        ),
        "debt repaid {} vs {} (tol {}) for {:?}",
        plan.debt_repaid * pow10_f64(case.debt_decimals),
        out.debt_repaid,
        tol_debt,
        case
    );
    prop_assert!(
        close(
            plan.collateral_seized,
            case.coll_decimals,
            out.collateral_seized_total,
            tol_coll
        ),
        "collateral seized {} vs {} (tol {}) for {:?}",
        plan.collateral_seized * pow10_f64(case.coll_decimals),
        out.collateral_seized_total,
        tol_coll,
        case
    );
    prop_assert!(
        close(
            plan.protocol_fee_collateral,
            case.coll_decimals,
            out.protocol_fee,
            tol_fee
        ),
        "protocol fee {} vs {} (tol {}) for {:?}",
        plan.protocol_fee_collateral * pow10_f64(case.coll_decimals),
        out.protocol_fee,
        tol_fee,
        case
    );
    prop_assert!(
        close(
            plan.collateral_to_liquidator,
            case.coll_decimals,
            out.collateral_to_liquidator,
            tol_coll + tol_fee
        ),
        "to liquidator {} vs {} for {:?}",
        plan.collateral_to_liquidator * pow10_f64(case.coll_decimals),
        out.collateral_to_liquidator,
        case
    );
    // Taking all of the collateral is decided the same way (the boundary itself is skipped).
    prop_assert_eq!(
        plan.collateral_seized >= protocol.collateral_row(cascade_core::ids::AccountId(0))[0],
        out.collateral_seized_total == input.user_collateral_balance,
        "exhaustion for {:?}",
        case
    );
    // v3.3's deficit: when all the collateral goes, the exact call writes off the rest of this
    // reserve's debt, which is the f64 model's bad debt (the account has no other debt).
    if plan.exhausts_collateral {
        prop_assert!(out.has_no_collateral_left, "no deficit flag for {:?}", case);
        if case.rules == AaveRules::V3_3 {
            let f64_left =
                (case.debt_base as f64) - plan.debt_repaid * pow10_f64(case.debt_decimals);
            let exact_deficit = to_f64(out.deficit);
            prop_assert!(
                (f64_left - exact_deficit).abs() <= tol_debt + 1e-12 * case.debt_base as f64,
                "deficit {} vs {} for {:?}",
                exact_deficit,
                f64_left,
                case
            );
        }
    }
    if plan.close_factor == 0.5 {
        bump(&counts.half_close);
    }
    if plan.exhausts_collateral {
        bump(&counts.exhausted);
    }
    if matches!(case.cover, Cover::Base(n) if n < 1_000) {
        bump(&counts.tiny_cover);
    }
    Ok(())
}

fn run_near_lines(rules: AaveRules) {
    let counts = Counts::default();
    let mut runner = TestRunner::new(Config {
        cases: 6_000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&near_line_strategy(rules), |case| {
            check_case(&case, &counts)
        })
        .unwrap();
    let (cases, skipped) = (counts.cases.get(), counts.skipped.get());
    eprintln!(
        "{rules:?} near the lines: {cases} cases, {skipped} skipped, {} both ok, {} healthy, {} dust",
        counts.both_ok.get(),
        counts.healthy.get(),
        counts.dust.get()
    );
    // Distances are log-uniform over 9 decades and the skip margin covers about 3 of them (plus
    // the wider margins of small positions): most cases must still be checked.
    assert!(skipped * 2 < cases, "{skipped} of {cases} skipped");
    assert!(skipped > 0, "the strategy never reached a line");
}

#[test]
fn test_f64_liquidation_matches_exact_near_the_lines_v3_0() {
    run_near_lines(AaveRules::V3_0);
}

#[test]
fn test_f64_liquidation_matches_exact_near_the_lines_v3_3() {
    run_near_lines(AaveRules::V3_3);
}

fn run_cross_check(rules: AaveRules) -> Counts {
    let counts = Counts::default();
    let mut runner = TestRunner::new(Config {
        cases: 6_000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&case_strategy(rules), |case| check_case(&case, &counts))
        .unwrap();
    let (cases, skipped) = (counts.cases.get(), counts.skipped.get());
    eprintln!(
        "{rules:?}: {cases} cases, {skipped} skipped near a threshold, {} both ok ({} half close \
         factor, {} exhausted, {} tiny cover), {} healthy, {} dust",
        counts.both_ok.get(),
        counts.half_close.get(),
        counts.exhausted.get(),
        counts.tiny_cover.get(),
        counts.healthy.get(),
        counts.dust.get()
    );
    // Skips must be rare, and every regime must have been reached, or the property says little.
    assert!(skipped * 50 < cases, "{skipped} of {cases} skipped");
    assert!(counts.both_ok.get() > cases / 3);
    assert!(counts.half_close.get() > 100);
    assert!(counts.exhausted.get() > 100);
    assert!(counts.tiny_cover.get() > 10);
    assert!(counts.healthy.get() > 100);
    counts
}

#[test]
fn test_f64_liquidation_matches_exact_v3_0() {
    let counts = run_cross_check(AaveRules::V3_0);
    assert_eq!(counts.dust.get(), 0, "v3.0 has no dust rule");
}

#[test]
fn test_f64_liquidation_matches_exact_v3_3() {
    let counts = run_cross_check(AaveRules::V3_3);
    assert!(counts.dust.get() > 100);
}

/// A hand-built case on both sides: 10 WETH (18 decimals) at $2,000 with LT 80%, bonus 5%, fee 10%,
/// against 17,000 USDC (6 decimals): HF = 20,000*0.8/17,000 = 0.941176... <= 0.95, so the close
/// factor is 100% under both versions. Covering everything needs 17,000*1.05/2,000 = 8.925 WETH
/// (< 10), so the whole debt is repaid and 8.925 WETH seized; the protocol takes 10% of the bonus
/// part 8.925 - 8.925/1.05 = 0.425 WETH, i.e. 0.0425 WETH.
#[test]
fn test_hand_case_agrees_on_both_sides() {
    for rules in [AaveRules::V3_0, AaveRules::V3_3] {
        let case = Case {
            rules,
            coll_decimals: 18,
            debt_decimals: 6,
            coll_price_8: 2_000 * 100_000_000,
            debt_price_8: 100_000_000,
            coll_base: 10 * 10u128.pow(18),
            debt_base: 17_000 * 10u128.pow(6),
            lt_bps: 8_000,
            bonus_bps: 10_500,
            fee_bps: 1_000,
            cover: Cover::Infinite,
        };
        let out = aave_liquidation_call(&exact_input(&case)).unwrap();
        assert_eq!(out.close_factor_bps, 10_000);
        assert_eq!(out.debt_repaid, U256::from(17_000u128 * 10u128.pow(6)));
        assert_eq!(
            out.collateral_seized_total,
            U256::from(8_925u128 * 10u128.pow(15))
        );
        assert_eq!(out.protocol_fee, U256::from(425u128 * 10u128.pow(14)));
        let (protocol, prices, cover) = f64_position(&case);
        let plan = protocol
            .plan_liquidation(
                cascade_core::ids::AccountId(0),
                AssetId(0),
                AssetId(1),
                cover,
                &prices,
            )
            .unwrap();
        assert_eq!(plan.close_factor, 1.0);
        assert!((plan.debt_repaid - 17_000.0).abs() < 1e-9);
        assert!((plan.collateral_seized - 8.925).abs() < 1e-12);
        assert!((plan.protocol_fee_collateral - 0.0425).abs() < 1e-12);
    }
}
