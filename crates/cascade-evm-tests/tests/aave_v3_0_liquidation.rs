//! Differential test of Aave v3.0's `liquidationCall`, executed from the bytecode of `@aave/core-v3`
//! 1.19.3 in revm, against cascade's two models of it: the exact integer model
//! (`cascade_core::exact::aave_liquidation_call` under `AaveRules::V3_0`) and the `f64` model the
//! engine runs (`cascade_core::lending::LendingProtocol::plan_liquidation`).
//!
//! # A case
//!
//! The market (deployed once per test binary, forked per case) lists three collateral tokens with
//! 6, 8 and 18 decimals and three debt tokens with 6, 8 and 18 decimals. A case picks one of each,
//! sets the collateral's LTV, liquidation threshold, bonus and protocol fee through
//! `PoolConfigurator`, and the debt's price. The borrower supplies the collateral at a price high
//! enough to borrow, borrows the debt (variable rate), and then the collateral's price feed drops to
//! the case's price: the health factor lands where the case wants it (0.3 to 1.2, or within 1e-12 to
//! 1e-3 of 1 or 0.95). The liquidator then calls `liquidationCall(collateral, debt, borrower,
//! debtToCover, false)` with `debtToCover` from 0 and 1 base unit to twice the debt and
//! `type(uint256).max`. A few cases name a collateral the borrower does not hold, a debt it does not
//! owe, or a borrower without debt, to provoke the contract's other reverts.
//!
//! # What must agree
//!
//! With the exact model, everything, to the base unit: the account totals and health factor before
//! (`getUserAccountData`), whether the call reverts and with which error, the debt repaid (the
//! borrower's variable-debt-token balance, and the liquidator's payment), the collateral taken from
//! the borrower (aToken balance), the collateral the liquidator receives, the protocol fee (the
//! treasury's aTokens), and the health factor after. No time passes, so every interest index stays
//! at exactly 1 ray (checked), as the exact model assumes.
//!
//! With the `f64` model: the same outcome (refusal reasons mapped to the contract's error codes),
//! and the amounts and health factors within the bounds that the contract's integer rounding
//! explains (see `lending_vs_exact.rs` in cascade-core for their derivation):
//!
//! * debt: `4 * (1 + debt base units per 1e-8 USD)` base units;
//! * collateral seized: `4 + tol_debt * r * bonus` base units (`r`: collateral base units per debt
//!   base unit); protocol fee `4 + tol_coll`;
//! * health factor before: `(1.5 + HF) / (D - 1)`, `D` the total debt in the oracle's base currency
//!   (1e-8 USD units): each account total is floored to a base-currency unit and `percentMul` rounds
//!   half a unit;
//! * health factor after: the same plus the amounts' bounds carried through `HF = C*LT/D`;
//!
//! each plus a relative 1e-12 for `f64` itself. Within such a bound of a discontinuity of the rules
//! (HF = 1, HF = 0.95, the call taking exactly all the collateral) the two may legitimately take
//! different branches: those cases skip the `f64` comparison (never the exact one), are counted,
//! and must be rare.
//!
//! A contract revert where the `f64` model plans a liquidation is accepted in one situation only:
//! the contract's burn of a zero amount (`INVALID_BURN_AMOUNT`, '25') when the plan's debt repaid or
//! collateral seized is within its rounding bound of zero.
//!
//! Run with `--nocapture` to see the counts and the largest differences.

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::sync::OnceLock;

use alloy_primitives::U256;
use cascade_core::exact::{
    aave_liquidation_call, health_factor_wad, percent_mul, AaveLiquidationInput,
    AaveLiquidationOutcome, AaveRevert, AaveRules,
};
use cascade_core::ids::{AccountId, AssetId, OracleId};
use cascade_core::lending::{LendingProtocol, LiquidationRefusal, RiskParams};
use cascade_evm_tests::aave::{actors, ray, AaveMarket};
use cascade_evm_tests::artifact::ArtifactStore;
use cascade_evm_tests::chain::{Chain, Failure};
use cascade_evm_tests::npm::node_modules;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

// ---------------------------------------------------------------------------
// The market
// ---------------------------------------------------------------------------

/// Decimals of the three collateral tokens (reserves 0, 1, 2) and of the three debt tokens
/// (reserves 3, 4, 5).
const DECIMALS: [u8; 3] = [6, 8, 18];
const ASSETS: [(&str, u8); 6] = [
    ("COLL6", 6),
    ("COLL8", 8),
    ("COLL18", 18),
    ("DEBT6", 6),
    ("DEBT8", 8),
    ("DEBT18", 18),
];
/// What `AaveMarket::deploy` gives every reserve: price $1, LTV 75%, threshold 80%, bonus 5%,
/// protocol fee 10%. A case changes its own collateral and debt; the other reserves keep these.
const DEFAULT_PRICE_8: u64 = 100_000_000;
const DEFAULT_PARAMS: Params = Params {
    ltv_bps: 7_500,
    lt_bps: 8_000,
    bonus_bps: 10_500,
    fee_bps: 1_000,
};

fn market() -> &'static AaveMarket {
    static MARKET: OnceLock<AaveMarket> = OnceLock::new();
    MARKET.get_or_init(|| {
        let store = ArtifactStore::new(node_modules(Path::new(env!("CARGO_TARGET_TMPDIR"))));
        AaveMarket::deploy(&store, &ASSETS)
    })
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
struct Params {
    ltv_bps: u32,
    lt_bps: u32,
    /// Including the 100%: 10500 = 5% bonus.
    bonus_bps: u32,
    fee_bps: u32,
}

/// What the liquidator asks to cover.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cover {
    Zero,
    /// Debt base units.
    Base(u128),
    /// `type(uint256).max` (`f64::INFINITY` in the f64 model).
    Max,
}

/// Which assets the call names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Call {
    /// The collateral the borrower holds and the debt it owes.
    Held,
    /// A collateral the borrower does not hold.
    OtherCollateral,
    /// A debt the borrower does not owe.
    OtherDebt,
    /// Neither.
    OtherBoth,
}

#[derive(Debug, Clone)]
struct Case {
    /// Index into [`DECIMALS`] of the collateral and of the debt.
    coll_slot: usize,
    debt_slot: usize,
    /// Oracle prices at liquidation, USD with 8 decimals.
    coll_price_8: u64,
    debt_price_8: u64,
    /// Balances in base units.
    coll_base: u128,
    debt_base: u128,
    params: Params,
    cover: Cover,
    call: Call,
}

impl Case {
    fn coll_decimals(&self) -> u32 {
        u32::from(DECIMALS[self.coll_slot])
    }
    fn debt_decimals(&self) -> u32 {
        u32::from(DECIMALS[self.debt_slot])
    }
    fn held_collateral(&self) -> usize {
        self.coll_slot
    }
    fn held_debt(&self) -> usize {
        3 + self.debt_slot
    }
    fn calls_held_collateral(&self) -> bool {
        matches!(self.call, Call::Held | Call::OtherDebt)
    }
    fn calls_held_debt(&self) -> bool {
        matches!(self.call, Call::Held | Call::OtherCollateral)
    }
    fn call_collateral(&self) -> usize {
        if self.calls_held_collateral() {
            self.coll_slot
        } else {
            (self.coll_slot + 1) % 3
        }
    }
    fn call_debt(&self) -> usize {
        if self.calls_held_debt() {
            3 + self.debt_slot
        } else {
            3 + (self.debt_slot + 1) % 3
        }
    }
    fn cover_u256(&self) -> U256 {
        match self.cover {
            Cover::Zero => U256::ZERO,
            Cover::Base(n) => U256::from(n),
            Cover::Max => U256::MAX,
        }
    }
}

fn pow10_f64(n: u32) -> f64 {
    // Exact in f64 up to 10^22.
    10f64.powi(n as i32)
}

fn pow10(n: u32) -> U256 {
    U256::from(10u8).pow(U256::from(n))
}

fn to_f64(x: U256) -> f64 {
    f64::from(x)
}

/// Log-uniform draw in [lo, hi] from a uniform u in [0, 1].
fn log_uniform(u: f64, lo: f64, hi: f64) -> f64 {
    (lo.ln() + u * (hi.ln() - lo.ln())).exp()
}

/// The largest liquidation threshold `PoolConfigurator` accepts with `bonus_bps`:
/// `percentMul(threshold, bonus) <= 100%`.
fn max_threshold(bonus_bps: u32) -> u32 {
    let mut lt = 10_000u32 * 10_000 / bonus_bps + 1;
    while percent_mul(U256::from(lt), U256::from(bonus_bps)).expect("small") > U256::from(10_000u32)
    {
        lt -= 1;
    }
    lt
}

/// Cases spread over the whole range: health factor 0.3 to 1.2, debt worth $20 to $2M.
fn case_strategy() -> impl Strategy<Value = Case> {
    (
        (0usize..3, 0usize..3),
        (0.0f64..1.0, any::<bool>(), 0.0f64..1.0),
        0.0f64..1.0,
        0.3f64..1.2,
        (
            5_000u32..=9_500,
            10_050u32..=11_500,
            0.5f64..0.99,
            prop_oneof![2 => Just(0u32), 6 => 1u32..=5_000, 1 => Just(10_000u32)],
        ),
        (
            prop_oneof![
                1 => Just(0u8),
                2 => Just(1u8),
                12 => Just(2u8),
                5 => Just(3u8)
            ],
            0.0f64..1.0,
        ),
        prop_oneof![
            40 => Just(Call::Held),
            1 => Just(Call::OtherCollateral),
            1 => Just(Call::OtherDebt),
            1 => Just(Call::OtherBoth)
        ],
        prop_oneof![40 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(
                (coll_slot, debt_slot),
                (cp_u, stable_debt, dp_u),
                debt_u,
                hf,
                (lt, bonus, ltv_share, fee),
                (cover_kind, cover_u),
                call,
                no_debt,
            )| {
                let lt = lt.min(max_threshold(bonus));
                let params = Params {
                    ltv_bps: ((f64::from(lt) * ltv_share) as u32).max(1),
                    lt_bps: lt,
                    bonus_bps: bonus,
                    fee_bps: fee,
                };
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
                let cd = u32::from(DECIMALS[coll_slot]);
                let dd = u32::from(DECIMALS[debt_slot]);
                let debt_base = ((debt_usd / (debt_price_8 as f64 / 1e8) * pow10_f64(dd)).round()
                    as u128)
                    .max(1);
                let coll_base = ((coll_usd / (coll_price_8 as f64 / 1e8) * pow10_f64(cd)).round()
                    as u128)
                    .max(1);
                let cover = match cover_kind {
                    0 => Cover::Zero,
                    1 => Cover::Base(1),
                    // A share of the debt from 1e-12 to 2x ("tiny" to more than all of it).
                    2 => Cover::Base(
                        ((debt_base as f64 * log_uniform(cover_u, 1e-12, 2.0)).round() as u128)
                            .max(1),
                    ),
                    _ => Cover::Max,
                };
                Case {
                    coll_slot,
                    debt_slot,
                    coll_price_8,
                    debt_price_8,
                    coll_base,
                    debt_base: if no_debt { 0 } else { debt_base },
                    params,
                    cover,
                    call,
                }
            },
        )
}

/// Which line a near-line case was moved to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Line {
    /// Health factor 1 (liquidatable or not).
    HealthFactorOne,
    /// Health factor 0.95 (close factor 50% or 100%).
    HealthFactor095,
    /// A cover whose collateral with the bonus is all of the borrower's.
    AllCollateral,
}

/// A generated case moved onto one of the v3.0 rules' lines, at a signed relative distance from
/// 1e-12 to 1e-3, with the side it was meant to land on.
fn near_line_strategy() -> impl Strategy<Value = (Case, Line, bool)> {
    (case_strategy(), 0u8..3, any::<bool>(), 0.0f64..1.0).prop_map(
        |(mut case, line, above, magnitude)| {
            case.call = Call::Held;
            if case.debt_base == 0 {
                case.debt_base = pow10(case.debt_decimals()).to::<u128>();
            }
            let e = log_uniform(magnitude, 1e-12, 1e-3) * if above { 1.0 } else { -1.0 };
            // USD per base unit.
            let pc = case.coll_price_8 as f64 / 1e8 / pow10_f64(case.coll_decimals());
            let pd = case.debt_price_8 as f64 / 1e8 / pow10_f64(case.debt_decimals());
            let lt = f64::from(case.params.lt_bps) / 1e4;
            let bonus = f64::from(case.params.bonus_bps) / 1e4;
            let set_hf = |case: &mut Case, hf: f64| {
                let coll_usd = case.debt_base as f64 * pd * hf / lt;
                case.coll_base = ((coll_usd / pc).round() as u128).max(1);
            };
            let line = match line {
                0 => {
                    set_hf(&mut case, 1.0 + e);
                    Line::HealthFactorOne
                }
                1 => {
                    set_hf(&mut case, 0.95 * (1.0 + e));
                    Line::HealthFactor095
                }
                _ => {
                    // Ask for the debt whose collateral with the bonus is all of it, (1+e).
                    let cover = case.coll_base as f64 * (1.0 + e) * pc / (pd * bonus);
                    case.cover = Cover::Base((cover.round() as u128).max(1));
                    Line::AllCollateral
                }
            };
            (case, line, above)
        },
    )
}

// ---------------------------------------------------------------------------
// The contracts
// ---------------------------------------------------------------------------

/// Account totals and health factor from `getUserAccountData`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AccountTotals {
    collateral_base: U256,
    debt_base: U256,
    health_factor: U256,
}

/// What the contracts did.
#[derive(Debug, Clone)]
struct Observed {
    before: AccountTotals,
    result: Result<(), Failure>,
    after: AccountTotals,
    /// Decrease of the borrower's variable debt of the debt asset named by the call.
    debt_repaid: U256,
    /// What the liquidator paid of that asset.
    liquidator_paid: U256,
    /// Decrease of the borrower's aTokens of the collateral named by the call.
    collateral_seized: U256,
    /// Increase of the liquidator's balance of that collateral.
    collateral_to_liquidator: U256,
    /// Increase of the treasury's aTokens of that collateral.
    protocol_fee: U256,
}

fn totals(market: &AaveMarket, chain: &mut Chain) -> AccountTotals {
    let data = market.account_data(chain, actors::BORROWER);
    AccountTotals {
        collateral_base: data.totalCollateralBase,
        debt_base: data.totalDebtBase,
        health_factor: data.healthFactor,
    }
}

/// The collateral price at which the borrower opens the position: high enough that the debt uses
/// at most half its borrowing power (`floor(coll * P / unit) * ltv >= 2 * debt value`).
fn opening_price(case: &Case) -> U256 {
    let debt_value =
        U256::from(case.debt_base) * U256::from(case.debt_price_8) / pow10(case.debt_decimals());
    let needed = (debt_value * U256::from(20_000u32) / U256::from(case.params.ltv_bps)
        + U256::from(1u8))
        * pow10(case.coll_decimals())
        / U256::from(case.coll_base)
        + U256::from(1u8);
    needed.max(U256::from(case.coll_price_8))
}

fn run_contracts(case: &Case) -> Observed {
    let market = market();
    let mut chain = market.fork();
    let (collateral, debt) = (case.held_collateral(), case.held_debt());
    let p = case.params;
    market.configure_collateral(
        &mut chain,
        collateral,
        p.ltv_bps,
        p.lt_bps,
        p.bonus_bps,
        p.fee_bps,
    );
    market.set_price(&mut chain, debt, U256::from(case.debt_price_8));
    market.set_price(&mut chain, collateral, opening_price(case));
    market
        .supply(
            &mut chain,
            actors::BORROWER,
            collateral,
            U256::from(case.coll_base),
        )
        .unwrap_or_else(|e| panic!("supply {e} for {case:?}"));
    if case.debt_base > 0 {
        market
            .borrow(
                &mut chain,
                actors::BORROWER,
                debt,
                U256::from(case.debt_base),
            )
            .unwrap_or_else(|e| panic!("borrow {e} for {case:?}"));
    }
    market.set_price(&mut chain, collateral, U256::from(case.coll_price_8));

    let (call_collateral, call_debt) = (case.call_collateral(), case.call_debt());
    let a_token = market.reserves[call_collateral].a_token;
    let collateral_asset = market.reserves[call_collateral].asset;
    let debt_token = market.reserves[call_debt].variable_debt_token;
    let debt_asset = market.reserves[call_debt].asset;
    let balances = |chain: &mut Chain| {
        [
            market.balance(chain, debt_token, actors::BORROWER),
            market.balance(chain, debt_asset, actors::LIQUIDATOR),
            market.balance(chain, a_token, actors::BORROWER),
            market.balance(chain, collateral_asset, actors::LIQUIDATOR),
            market.balance(chain, a_token, actors::TREASURY),
        ]
    };
    let before = totals(market, &mut chain);
    let balances_before = balances(&mut chain);
    let result = market.liquidation_call(
        &mut chain,
        call_collateral,
        call_debt,
        actors::BORROWER,
        case.cover_u256(),
    );
    let after = totals(market, &mut chain);
    let balances_after = balances(&mut chain);
    // No time passes: every index is still 1 ray, as the exact model assumes.
    for reserve in [collateral, debt] {
        let data = market.reserve_data(&mut chain, reserve);
        assert_eq!(U256::from(data.liquidityIndex), ray(), "{case:?}");
        assert_eq!(U256::from(data.variableBorrowIndex), ray(), "{case:?}");
    }
    Observed {
        before,
        result,
        after,
        debt_repaid: balances_before[0] - balances_after[0],
        liquidator_paid: balances_before[1] - balances_after[1],
        collateral_seized: balances_before[2] - balances_after[2],
        collateral_to_liquidator: balances_after[3] - balances_before[3],
        protocol_fee: balances_after[4] - balances_before[4],
    }
}

// ---------------------------------------------------------------------------
// The exact model
// ---------------------------------------------------------------------------

/// `GenericLogic`'s account totals: each balance floored to the base currency (1e-8 USD).
fn exact_totals(case: &Case, coll_base: U256, debt_base: U256) -> AccountTotals {
    let collateral_base = coll_base * U256::from(case.coll_price_8) / pow10(case.coll_decimals());
    let debt_total = debt_base * U256::from(case.debt_price_8) / pow10(case.debt_decimals());
    // One collateral asset: the average liquidation threshold is its own, or 0 without collateral
    // value (GenericLogic divides by the total only when it is non-zero).
    let lt = if collateral_base.is_zero() {
        U256::ZERO
    } else {
        U256::from(case.params.lt_bps)
    };
    AccountTotals {
        collateral_base,
        debt_base: debt_total,
        health_factor: health_factor_wad(collateral_base, lt, debt_total),
    }
}

fn exact_input(case: &Case) -> AaveLiquidationInput {
    let before = exact_totals(case, U256::from(case.coll_base), U256::from(case.debt_base));
    let (coll_balance, coll_price, coll_decimals, params) = if case.calls_held_collateral() {
        (
            U256::from(case.coll_base),
            case.coll_price_8,
            case.coll_decimals(),
            case.params,
        )
    } else {
        let slot = case.call_collateral();
        (
            U256::ZERO,
            DEFAULT_PRICE_8,
            u32::from(DECIMALS[slot]),
            DEFAULT_PARAMS,
        )
    };
    let (debt_balance, debt_price, debt_decimals) = if case.calls_held_debt() {
        (
            U256::from(case.debt_base),
            case.debt_price_8,
            case.debt_decimals(),
        )
    } else {
        let slot = case.call_debt() - 3;
        (U256::ZERO, DEFAULT_PRICE_8, u32::from(DECIMALS[slot]))
    };
    AaveLiquidationInput {
        rules: AaveRules::V3_0,
        health_factor_wad: before.health_factor,
        total_collateral_base: before.collateral_base,
        total_debt_base: before.debt_base,
        collateral_price: U256::from(coll_price),
        collateral_decimals: coll_decimals,
        debt_price: U256::from(debt_price),
        debt_decimals,
        user_collateral_balance: coll_balance,
        user_reserve_debt: debt_balance,
        debt_to_cover: case.cover_u256(),
        liquidation_bonus_bps: params.bonus_bps,
        protocol_fee_bps: params.fee_bps,
    }
}

/// The contract's failure for each of the exact model's reverts.
fn expected_failure(revert: AaveRevert) -> Failure {
    match revert {
        AaveRevert::HealthFactorNotBelowThreshold => Failure::Reason("45".into()),
        AaveRevert::ZeroCollateral => Failure::Reason("46".into()),
        AaveRevert::ZeroDebt => Failure::Reason("47".into()),
        AaveRevert::InvalidBurnAmount => Failure::Reason("25".into()),
        AaveRevert::MustNotLeaveDust => Failure::Reason("103".into()),
        AaveRevert::ArithmeticOverflow => Failure::Panic(U256::from(0x11u8)),
        AaveRevert::DivisionByZero => Failure::Panic(U256::from(0x12u8)),
        AaveRevert::PercentageMathOverflow => Failure::Data(Default::default()),
    }
}

/// Checks the contracts against the exact model, to the unit. Returns the exact outcome.
fn check_exact(
    case: &Case,
    observed: &Observed,
) -> Result<Result<AaveLiquidationOutcome, AaveRevert>, TestCaseError> {
    let input = exact_input(case);
    let before = exact_totals(case, U256::from(case.coll_base), U256::from(case.debt_base));
    prop_assert_eq!(observed.before, before, "account before, {:?}", case);
    let exact = aave_liquidation_call(&input);
    match (&exact, &observed.result) {
        (Ok(out), Ok(())) => {
            prop_assert_eq!(observed.debt_repaid, out.debt_repaid, "debt, {:?}", case);
            prop_assert_eq!(
                observed.liquidator_paid,
                out.debt_repaid,
                "paid, {:?}",
                case
            );
            prop_assert_eq!(
                observed.collateral_seized,
                out.collateral_seized_total,
                "seized, {:?}",
                case
            );
            prop_assert_eq!(
                observed.collateral_to_liquidator,
                out.collateral_to_liquidator,
                "to liquidator, {:?}",
                case
            );
            prop_assert_eq!(observed.protocol_fee, out.protocol_fee, "fee, {:?}", case);
            let after = exact_totals(
                case,
                U256::from(case.coll_base) - out.collateral_seized_total,
                U256::from(case.debt_base) - out.debt_repaid,
            );
            prop_assert_eq!(observed.after, after, "account after, {:?}", case);
        }
        (Err(revert), Err(failure)) => {
            prop_assert_eq!(
                failure,
                &expected_failure(*revert),
                "revert {:?} for {:?}",
                revert,
                case
            );
            prop_assert_eq!(
                observed.after,
                observed.before,
                "a revert changed the account"
            );
        }
        (exact, evm) => {
            return Err(TestCaseError::fail(format!(
                "exact {exact:?} but the contracts {evm:?} for {case:?}"
            )))
        }
    }
    Ok(exact)
}

// ---------------------------------------------------------------------------
// The f64 model
// ---------------------------------------------------------------------------

/// The borrower in the `f64` model. Assets: 0 the held collateral, 1 the held debt, 2 the other
/// collateral, 3 the other debt (each listed with its parameters, as in the market).
fn f64_position(case: &Case) -> (LendingProtocol, [f64; 4]) {
    let risk = |p: Params| RiskParams {
        ltv: f64::from(p.ltv_bps) / 1e4,
        liquidation_threshold: f64::from(p.lt_bps) / 1e4,
        liquidation_bonus: f64::from(p.bonus_bps) / 1e4 - 1.0,
        protocol_fee: f64::from(p.fee_bps) / 1e4,
    };
    let mut protocol = LendingProtocol::new(
        "aave-v3.0".into(),
        AaveRules::V3_0,
        vec![
            Some(risk(case.params)),
            Some(risk(DEFAULT_PARAMS)),
            Some(risk(DEFAULT_PARAMS)),
            Some(risk(DEFAULT_PARAMS)),
        ],
        (0..4).map(|i| Some(OracleId(i))).collect(),
    );
    let coll = case.coll_base as f64 / pow10_f64(case.coll_decimals());
    let debt = case.debt_base as f64 / pow10_f64(case.debt_decimals());
    protocol.add_account(
        String::new(),
        &[coll, 0.0, 0.0, 0.0],
        &[0.0, debt, 0.0, 0.0],
    );
    let prices = [
        case.coll_price_8 as f64 / 1e8,
        case.debt_price_8 as f64 / 1e8,
        DEFAULT_PRICE_8 as f64 / 1e8,
        DEFAULT_PRICE_8 as f64 / 1e8,
    ];
    (protocol, prices)
}

/// Debt base units per debt asset unit of the call.
fn call_debt_unit(case: &Case) -> f64 {
    pow10_f64(u32::from(DECIMALS[case.call_debt() - 3]))
}

/// Rounding bounds in base units of (debt, collateral seized, protocol fee), without the relative
/// f64 part. See the module docs.
fn tolerances(case: &Case) -> (f64, f64, f64) {
    let ud = pow10_f64(case.debt_decimals());
    let uc = pow10_f64(case.coll_decimals());
    let tol_debt = 4.0 * (1.0 + ud / case.debt_price_8 as f64);
    let r = (case.debt_price_8 as f64 / ud) / (case.coll_price_8 as f64 / uc);
    let tol_coll = 4.0 + tol_debt * r * f64::from(case.params.bonus_bps) / 1e4;
    (tol_debt, tol_coll, 4.0 + tol_coll)
}

/// Whether the case lies, in real numbers, within rounding of one of v3.0's discontinuities.
fn near_a_line(case: &Case) -> Option<&'static str> {
    if case.coll_base == 0 || case.debt_base == 0 || case.call != Call::Held {
        return None;
    }
    let (_, tol_coll, _) = tolerances(case);
    let near = |x: f64, line: f64, rel: f64| (x - line).abs() <= rel * line;
    let c = case.coll_base as f64;
    let d = case.debt_base as f64;
    let pc = case.coll_price_8 as f64 / 1e8 / pow10_f64(case.coll_decimals());
    let pd = case.debt_price_8 as f64 / 1e8 / pow10_f64(case.debt_decimals());
    let lt = f64::from(case.params.lt_bps) / 1e4;
    let bonus = f64::from(case.params.bonus_bps) / 1e4;
    let (coll_usd, debt_usd) = (c * pc, d * pd);
    let hf = coll_usd * lt / debt_usd;
    // Flooring each total to 1e-8 USD moves the exact HF by at most 1e-8/value relative (plus the
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
    let max_liquidatable = if hf > 0.95 { d * 0.5 } else { d };
    let cover = match case.cover {
        Cover::Zero => 0.0,
        Cover::Base(n) => n as f64,
        Cover::Max => f64::INFINITY,
    };
    let max_coll = cover.min(max_liquidatable) * pd / pc * bonus;
    if (max_coll - c).abs() <= tol_coll + 1e-9 * c {
        return Some("all collateral");
    }
    None
}

/// The largest difference between the f64 model and the contracts in one quantity.
#[derive(Default, Debug, Clone, Copy)]
struct Difference {
    /// Largest |f64 - contract|: in USD at the oracle price for amounts, as a number for health
    /// factors.
    absolute: f64,
    /// Largest |f64 - contract| / contract, over amounts worth at least $100 (health factor after:
    /// over positions left with at least $100 of collateral and of debt).
    relative: f64,
    /// Largest |f64 - contract| / its bound.
    of_bound: f64,
}

impl Difference {
    fn record(&mut self, absolute: f64, relative: Option<f64>, of_bound: f64) {
        self.absolute = self.absolute.max(absolute);
        if let Some(relative) = relative {
            self.relative = self.relative.max(relative);
        }
        self.of_bound = self.of_bound.max(of_bound);
    }
}

#[derive(Default, Debug)]
struct Largest {
    debt_repaid: Difference,
    collateral_seized: Difference,
    protocol_fee: Difference,
    collateral_to_liquidator: Difference,
    health_factor_before: Difference,
    health_factor_after: Difference,
}

/// Compares the f64 model with the contracts (outside the lines' rounding margins).
fn check_f64(
    case: &Case,
    observed: &Observed,
    largest: &RefCell<Largest>,
) -> Result<(), TestCaseError> {
    let (mut protocol, prices) = f64_position(case);
    let account = AccountId(0);
    let (call_collateral, call_debt) = (
        AssetId(if case.calls_held_collateral() { 0 } else { 2 }),
        AssetId(if case.calls_held_debt() { 1 } else { 3 }),
    );
    let cover = match case.cover {
        Cover::Zero => 0.0,
        Cover::Base(n) => n as f64 / call_debt_unit(case),
        Cover::Max => f64::INFINITY,
    };
    let (cd, dd) = (case.coll_decimals(), case.debt_decimals());
    // USD per base unit.
    let pc = case.coll_price_8 as f64 / 1e8 / pow10_f64(cd);
    let pd = case.debt_price_8 as f64 / 1e8 / pow10_f64(dd);
    let (tol_debt, tol_coll, tol_fee) = tolerances(case);
    let mut largest = largest.borrow_mut();

    // Health factor before.
    let hf_before = protocol.health_factor(account, &prices);
    let evm_hf_before = to_f64(observed.before.health_factor) / 1e18;
    if case.debt_base > 0 {
        let d = to_f64(observed.before.debt_base);
        let bound = (1.5 + evm_hf_before) / (d - 1.0) + 1e-12 * evm_hf_before;
        let diff = (hf_before - evm_hf_before).abs();
        prop_assert!(
            diff <= bound,
            "health factor before {hf_before} vs {evm_hf_before} for {case:?}"
        );
        largest
            .health_factor_before
            .record(diff, Some(diff / evm_hf_before), diff / bound);
    } else {
        prop_assert!(hf_before.is_infinite() && observed.before.health_factor == U256::MAX);
    }

    let plan = protocol.plan_liquidation(account, call_collateral, call_debt, cover, &prices);
    let plan = match (plan, &observed.result) {
        (Ok(plan), Ok(())) => plan,
        (Err(refusal), Err(failure)) => {
            let code = match refusal {
                LiquidationRefusal::Healthy => "45",
                LiquidationRefusal::NoCollateral | LiquidationRefusal::NotCollateral => "46",
                LiquidationRefusal::NoDebt => "47",
                LiquidationRefusal::InvalidAmount => "25",
                LiquidationRefusal::WouldLeaveDust => "103",
            };
            prop_assert_eq!(
                failure,
                &Failure::Reason(code.into()),
                "f64 refusal {:?} for {:?}",
                refusal,
                case
            );
            return Ok(());
        }
        (Ok(plan), Err(Failure::Reason(code))) if code == "25" => {
            // A zero burn in the contract: the plan must be within rounding of zero.
            let repaid = plan.debt_repaid * call_debt_unit(case);
            let seized = plan.collateral_seized * pow10_f64(cd);
            prop_assert!(
                repaid <= tol_debt || seized <= tol_coll,
                "zero burn vs {plan:?} for {case:?}"
            );
            return Ok(());
        }
        (plan, evm) => {
            return Err(TestCaseError::fail(format!(
                "f64 {plan:?} but the contracts {evm:?} for {case:?}"
            )))
        }
    };

    // Amounts: (name, f64 in units, decimals, contract in base units, bound, USD per base unit).
    let amounts = [
        (
            "debt repaid",
            plan.debt_repaid,
            dd,
            observed.debt_repaid,
            tol_debt,
            pd,
        ),
        (
            "collateral seized",
            plan.collateral_seized,
            cd,
            observed.collateral_seized,
            tol_coll,
            pc,
        ),
        (
            "protocol fee",
            plan.protocol_fee_collateral,
            cd,
            observed.protocol_fee,
            tol_fee,
            pc,
        ),
        (
            "collateral to the liquidator",
            plan.collateral_to_liquidator,
            cd,
            observed.collateral_to_liquidator,
            tol_coll + tol_fee,
            pc,
        ),
    ];
    for (index, (name, f64_units, decimals, evm, tol, usd_per_unit)) in
        amounts.into_iter().enumerate()
    {
        let a = f64_units * pow10_f64(decimals);
        let b = to_f64(evm);
        let bound = tol + 1e-12 * a.abs().max(b);
        let diff = (a - b).abs();
        prop_assert!(
            diff <= bound,
            "{name}: f64 {a} vs contract {b} (bound {bound}) for {case:?}"
        );
        let slot = match index {
            0 => &mut largest.debt_repaid,
            1 => &mut largest.collateral_seized,
            2 => &mut largest.protocol_fee,
            _ => &mut largest.collateral_to_liquidator,
        };
        let relative = (b * usd_per_unit >= 100.0).then(|| diff / b);
        slot.record(diff * usd_per_unit, relative, diff / bound);
    }

    // Health factor after.
    protocol.apply_liquidation(account, &plan, &prices);
    let hf_after = protocol.health_factor(account, &prices);
    let coll_after = U256::from(case.coll_base) - observed.collateral_seized;
    let debt_after = U256::from(case.debt_base) - observed.debt_repaid;
    let d_after = to_f64(observed.after.debt_base);
    if d_after >= 2.0 && !coll_after.is_zero() {
        let evm_hf_after = to_f64(observed.after.health_factor) / 1e18;
        let coll_after_usd = to_f64(coll_after) * pc;
        let debt_after_usd = to_f64(debt_after) * pd;
        // The amounts' bounds carried through HF = C * LT / D, plus the floors of the totals.
        let carried = (tol_coll + 1e-12 * case.coll_base as f64) * pc / coll_after_usd
            + (tol_debt + 1e-12 * case.debt_base as f64) * pd / debt_after_usd;
        let bound = (1.5 + evm_hf_after) / (d_after - 1.0) + evm_hf_after * (carried + 1e-12);
        let diff = (hf_after - evm_hf_after).abs();
        prop_assert!(
            diff <= bound,
            "health factor after {hf_after} vs {evm_hf_after} (bound {bound}) for {case:?}"
        );
        let relative =
            (coll_after_usd >= 100.0 && debt_after_usd >= 100.0).then(|| diff / evm_hf_after);
        largest
            .health_factor_after
            .record(diff, relative, diff / bound);
    } else {
        // Debt or collateral (nearly) gone: the amounts above already bound what is left; the
        // contract's health factor is then max (no debt) or 0 (no collateral value).
        prop_assert!(
            observed.after.health_factor == U256::MAX || observed.after.health_factor.is_zero(),
            "health factor after {} for {:?}",
            observed.after.health_factor,
            case
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Counts {
    cases: Cell<u32>,
    liquidated: Cell<u32>,
    half_close_factor: Cell<u32>,
    all_collateral: Cell<u32>,
    with_fee: Cell<u32>,
    tiny_cover: Cell<u32>,
    max_cover: Cell<u32>,
    /// Reverts by error code.
    reverts: RefCell<std::collections::BTreeMap<String, u32>>,
    /// f64 comparisons skipped near a line.
    f64_skipped: Cell<u32>,
    /// Cases per (collateral decimals, debt decimals).
    decimals: RefCell<std::collections::BTreeMap<(u8, u8), u32>>,
    largest: RefCell<Largest>,
}

fn bump(cell: &Cell<u32>) {
    cell.set(cell.get() + 1);
}

fn check_case(case: &Case, counts: &Counts) -> Result<(), TestCaseError> {
    bump(&counts.cases);
    *counts
        .decimals
        .borrow_mut()
        .entry((DECIMALS[case.coll_slot], DECIMALS[case.debt_slot]))
        .or_default() += 1;
    let observed = run_contracts(case);
    let exact = check_exact(case, &observed)?;
    match (&exact, &observed.result) {
        (Ok(out), _) => {
            bump(&counts.liquidated);
            if out.close_factor_bps == 5_000 {
                bump(&counts.half_close_factor);
            }
            if out.collateral_seized_total == U256::from(case.coll_base) {
                bump(&counts.all_collateral);
            }
            if !out.protocol_fee.is_zero() {
                bump(&counts.with_fee);
            }
            match case.cover {
                Cover::Base(n) if n < 1_000 => bump(&counts.tiny_cover),
                Cover::Max => bump(&counts.max_cover),
                _ => {}
            }
        }
        (Err(_), Err(failure)) => {
            *counts
                .reverts
                .borrow_mut()
                .entry(failure.to_string())
                .or_default() += 1;
        }
        (Err(_), Ok(())) => unreachable!("checked above"),
    }
    if near_a_line(case).is_some() {
        bump(&counts.f64_skipped);
        return Ok(());
    }
    check_f64(case, &observed, &counts.largest)
}

fn runner(cases: u32, seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

fn report(name: &str, counts: &Counts) {
    eprintln!(
        "{name}: {} cases ({} per decimals pair (collateral, debt)): {} liquidated ({} at the 50% \
         close factor, {} taking all the collateral, {} with a protocol fee, {} with a cover under \
         1000 base units, {} with MaxUint256); reverts {:?}; f64 comparison skipped near a line: {}",
        counts.cases.get(),
        format_args!("{:?}", counts.decimals.borrow()),
        counts.liquidated.get(),
        counts.half_close_factor.get(),
        counts.all_collateral.get(),
        counts.with_fee.get(),
        counts.tiny_cover.get(),
        counts.max_cover.get(),
        counts.reverts.borrow(),
        counts.f64_skipped.get(),
    );
    eprintln!("{name}: exact model vs contracts: identical in every case");
    let largest = counts.largest.borrow();
    for (quantity, difference) in [
        ("debt repaid (USD)", largest.debt_repaid),
        ("collateral seized (USD)", largest.collateral_seized),
        ("protocol fee (USD)", largest.protocol_fee),
        (
            "collateral to the liquidator (USD)",
            largest.collateral_to_liquidator,
        ),
        ("health factor before", largest.health_factor_before),
        ("health factor after", largest.health_factor_after),
    ] {
        eprintln!(
            "{name}: f64 model vs contracts, {quantity}: largest difference {:.3e}, relative \
             {:.3e}, {:.3} of its bound",
            difference.absolute, difference.relative, difference.of_bound
        );
    }
}

/// Cases over the whole range.
#[test]
fn test_liquidation_call_matches_the_contracts() {
    let counts = Counts::default();
    runner(3_000, 7)
        .run(&case_strategy(), |case| check_case(&case, &counts))
        .unwrap();
    report("spread", &counts);
    let cases = counts.cases.get();
    let reverts = counts.reverts.borrow();
    let reverted = |code: &str| reverts.get(&format!("reverted: {code:?}")).copied();
    // Every regime must have been reached, or the agreement says little.
    assert!(counts.liquidated.get() > cases / 3);
    assert!(counts.half_close_factor.get() > 100);
    assert!(counts.all_collateral.get() > 100);
    assert!(counts.with_fee.get() > 100);
    assert!(counts.tiny_cover.get() > 10);
    assert!(counts.max_cover.get() > 100);
    for code in ["45", "46", "47", "25"] {
        assert!(reverted(code) > Some(5), "too few '{code}' reverts");
    }
    assert!(counts.decimals.borrow().len() == 9, "every decimals pair");
    assert!(
        counts.f64_skipped.get() * 50 < cases,
        "f64 skipped too often"
    );
}

/// Cases moved to within 1e-12..1e-3 of a line, where rounding decides.
#[test]
fn test_liquidation_call_matches_the_contracts_near_the_lines() {
    let counts = Counts::default();
    let sides = RefCell::new(std::collections::BTreeMap::<String, u32>::new());
    runner(2_000, 11)
        .run(&near_line_strategy(), |(case, line, above)| {
            *sides
                .borrow_mut()
                .entry(format!(
                    "{line:?} {}",
                    if above { "above" } else { "below" }
                ))
                .or_default() += 1;
            check_case(&case, &counts)
        })
        .unwrap();
    report("near the lines", &counts);
    eprintln!(
        "near the lines: cases per line and side {:?}",
        sides.borrow()
    );
    let cases = counts.cases.get();
    let skipped = counts.f64_skipped.get();
    // Distances are log-uniform over 9 decades and the skip margin covers about 3 of them.
    assert!(skipped * 2 < cases, "{skipped} of {cases} skipped");
    assert!(skipped > 0, "the strategy never reached a line");
    assert!(counts.liquidated.get() > cases / 3);
}

/// The reference vector: `test_partial_liquidate_variable_borrow` of Aave's own suite (1 WBTC
/// supplied, 20,500 USDX borrowed, WBTC from $27,000 to $20,250, 106 USDX covered), replayed on the
/// v3.0 bytecode. The collateral arithmetic is the same in v3.0 and v3.3, and HF 0.8495 is below
/// 0.95, so both versions apply the full close factor: the v3.3 expectations hold for v3.0.
#[test]
fn test_reference_liquidation_vector_on_the_bytecode() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aave_v3_liquidation_example.csv");
    let text = std::fs::read_to_string(&path).expect("vector file");
    let mut lines = text.lines().filter(|line| !line.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let row: Vec<&str> = lines.next().expect("one row").split(',').collect();
    let field = |name: &str| {
        let index = header.iter().position(|h| *h == name).expect(name);
        row[index]
    };
    let number = |name: &str| field(name).parse::<u128>().expect(name);
    // WBTC (8 decimals) is reserve 1, USDX (6 decimals) reserve 3.
    assert_eq!(number("coll_decimals"), 8);
    assert_eq!(number("debt_decimals"), 6);
    let case = Case {
        coll_slot: 1,
        debt_slot: 0,
        coll_price_8: number("coll_price_8dec") as u64,
        debt_price_8: number("debt_price_8dec") as u64,
        coll_base: 100_000_000,
        debt_base: 20_500_000_000,
        params: Params {
            ltv_bps: 8_250,
            lt_bps: 8_600,
            bonus_bps: number("bonus_bps") as u32,
            fee_bps: number("fee_bps") as u32,
        },
        cover: Cover::Base(number("debt_to_cover")),
        call: Call::Held,
    };
    let observed = run_contracts(&case);
    assert_eq!(observed.result, Ok(()));
    assert_eq!(
        observed.collateral_to_liquidator,
        U256::from(number("expected_liquidator_receives"))
    );
    assert_eq!(
        observed.protocol_fee,
        U256::from(number("expected_protocol_fee"))
    );
    assert_eq!(
        observed.collateral_seized,
        U256::from(number("expected_seized"))
    );
    assert_eq!(observed.debt_repaid, U256::from(number("debt_to_cover")));
    let hf = to_f64(observed.before.health_factor) / 1e18;
    let expected_hf: f64 = field("expected_health_factor_before").parse().unwrap();
    assert!((hf - expected_hf).abs() < 5e-5, "health factor {hf}");
    // And both models agree with the bytecode on it.
    let counts = Counts::default();
    check_case(&case, &counts).unwrap();
}
