//! Exact integer reference math, in token base units, mirroring the Solidity of
//! the protocols the simulator models.
//!
//! The engine works in `f64`. This module redoes the same protocol steps the way
//! the contracts do them: unsigned 256-bit integers, the same order of
//! operations, the same (floor or half-up) rounding and the same points at which
//! the contract would revert. It serves two purposes:
//!
//! 1. checking the `f64` engine against the exact integer result, and
//! 2. being compared with the real contracts executed in an EVM (the
//!    `cascade-evm-tests` crate; Aave v3.0 and Uniswap v2, see `docs/validation.md`).
//!
//! It was written from the formulas of the contracts, not translated from their
//! source, and covers:
//!
//! * Uniswap v2 `getAmountOut` / `getAmountIn` (UniswapV2Library), with the fee
//!   generalised to basis points (`fee_bps = 30` is exactly v2's `997/1000`);
//! * Aave v3 `PercentageMath` (`percentMul` / `percentDiv`, half-up rounding,
//!   4-decimal percentages where `10000` = 100%);
//! * Aave v3 `liquidationCall` for one (collateral, debt) pair, as done by
//!   `LiquidationLogic.sol`, in two rule versions: v3.0.x (npm `@aave/core-v3`
//!   1.19) and v3.3 (`aave-dao/aave-v3-origin`);
//! * the Aave v3 health factor as `GenericLogic` computes it from account totals.
//!
//! Checked arithmetic is used throughout: where Solidity 0.8 would panic
//! (overflow, underflow, division by zero) or the assembly math libraries would
//! `revert(0, 0)`, these functions return `None` or an [`AaveRevert`] instead.

use std::fmt;

use ruint::aliases::U256;

// ---------------------------------------------------------------------------
// Uniswap v2
// ---------------------------------------------------------------------------

/// Basis-point denominator used for the generalised Uniswap v2 fee.
const BPS: u64 = 10_000;

/// Uniswap v2 `getAmountOut`, with the fee in basis points:
///
/// `floor(in * (10000 - fee) * R_out / (R_in * 10000 + in * (10000 - fee)))`.
///
/// With `fee_bps = 30` this equals v2's `in*997*R_out / (R_in*1000 + in*997)`
/// exactly (numerator and denominator are both scaled by 10, which leaves the
/// floor unchanged).
///
/// Returns `None` where the library reverts: zero input
/// (`INSUFFICIENT_INPUT_AMOUNT`), a zero reserve (`INSUFFICIENT_LIQUIDITY`), or
/// a SafeMath overflow. A `fee_bps` above 10000 also gives `None`.
pub fn uniswap_v2_get_amount_out(
    amount_in: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee_bps: u32,
) -> Option<U256> {
    if amount_in.is_zero() || reserve_in.is_zero() || reserve_out.is_zero() {
        return None;
    }
    let fee_factor = U256::from(BPS).checked_sub(U256::from(fee_bps))?;
    let amount_in_with_fee = amount_in.checked_mul(fee_factor)?;
    let numerator = amount_in_with_fee.checked_mul(reserve_out)?;
    let denominator = reserve_in
        .checked_mul(U256::from(BPS))?
        .checked_add(amount_in_with_fee)?;
    numerator.checked_div(denominator)
}

/// Uniswap v2 `getAmountIn`, with the fee in basis points:
///
/// `floor(R_in * out * 10000 / ((R_out - out) * (10000 - fee))) + 1`.
///
/// Returns `None` where the library reverts: zero output
/// (`INSUFFICIENT_OUTPUT_AMOUNT`), a zero reserve (`INSUFFICIENT_LIQUIDITY`),
/// `out >= R_out` (underflow or division by zero), or an overflow. A
/// `fee_bps` of 10000 or more also gives `None`.
pub fn uniswap_v2_get_amount_in(
    amount_out: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee_bps: u32,
) -> Option<U256> {
    if amount_out.is_zero() || reserve_in.is_zero() || reserve_out.is_zero() {
        return None;
    }
    if amount_out >= reserve_out {
        return None;
    }
    let fee_factor = U256::from(BPS).checked_sub(U256::from(fee_bps))?;
    let numerator = reserve_in
        .checked_mul(amount_out)?
        .checked_mul(U256::from(BPS))?;
    let denominator = (reserve_out - amount_out).checked_mul(fee_factor)?;
    numerator
        .checked_div(denominator)?
        .checked_add(U256::from(1u8))
}

// ---------------------------------------------------------------------------
// Aave PercentageMath / WadRayMath
// ---------------------------------------------------------------------------

/// `PercentageMath.PERCENTAGE_FACTOR`: 1e4 = 100.00%.
pub const PERCENTAGE_FACTOR: u64 = 10_000;
const HALF_PERCENTAGE_FACTOR: u64 = 5_000;
/// `WadRayMath.WAD`: 1e18 = 1.0.
pub const WAD: u64 = 1_000_000_000_000_000_000;

/// Aave `PercentageMath.percentMul`: `(value * percentage + 5000) / 10000`
/// (half-up rounding; `percentage` has 4 decimals, 10000 = 100%).
///
/// Returns `None` where the library's assembly reverts: when `percentage != 0`
/// and `value > (2^256 - 1 - 5000) / percentage`.
pub fn percent_mul(value: U256, percentage: U256) -> Option<U256> {
    let half = U256::from(HALF_PERCENTAGE_FACTOR);
    if !percentage.is_zero() && value > (U256::MAX - half) / percentage {
        return None;
    }
    // Cannot overflow after the check above.
    Some((value * percentage + half) / U256::from(PERCENTAGE_FACTOR))
}

/// Aave `PercentageMath.percentDiv`: `(value * 10000 + percentage / 2) / percentage`
/// (half-up rounding).
///
/// Returns `None` where the library's assembly reverts: `percentage == 0`, or
/// `value > (2^256 - 1 - percentage / 2) / 10000`.
pub fn percent_div(value: U256, percentage: U256) -> Option<U256> {
    if percentage.is_zero() {
        return None;
    }
    let half = percentage / U256::from(2u8);
    let factor = U256::from(PERCENTAGE_FACTOR);
    if value > (U256::MAX - half) / factor {
        return None;
    }
    Some((value * factor + half) / percentage)
}

/// `WadRayMath.wadDiv`: `(a * 1e18 + b / 2) / b`; `None` where it reverts
/// (`b == 0` or `a > (2^256 - 1 - b / 2) / 1e18`).
fn wad_div(a: U256, b: U256) -> Option<U256> {
    if b.is_zero() {
        return None;
    }
    let half = b / U256::from(2u8);
    let wad = U256::from(WAD);
    if a > (U256::MAX - half) / wad {
        return None;
    }
    Some((a * wad + half) / b)
}

/// Aave v3 health factor as `GenericLogic.calculateUserAccountData` computes it:
/// `(total_collateral_base.percentMul(lt)).wadDiv(total_debt_base)`, in wad
/// (1e18 = 1.0), or `U256::MAX` when the debt is zero.
///
/// `weighted_avg_liquidation_threshold_bps` is the contract's
/// `avgLiquidationThreshold`: `floor(sum(value_i * lt_i) / total_collateral)`
/// over the user's collateral assets, computed by the caller.
///
/// # Panics
///
/// Where the contract would revert on overflow, i.e. only for absurd inputs
/// (collateral above about 1e59 base units).
pub fn health_factor_wad(
    total_collateral_base: U256,
    weighted_avg_liquidation_threshold_bps: U256,
    total_debt_base: U256,
) -> U256 {
    if total_debt_base.is_zero() {
        return U256::MAX;
    }
    let adjusted = percent_mul(
        total_collateral_base,
        weighted_avg_liquidation_threshold_bps,
    )
    .expect("percentMul overflow: the contract would revert");
    wad_div(adjusted, total_debt_base).expect("wadDiv overflow: the contract would revert")
}

// ---------------------------------------------------------------------------
// Aave v3 liquidationCall
// ---------------------------------------------------------------------------

/// `GenericLogic.HEALTH_FACTOR_LIQUIDATION_THRESHOLD` = 1e18: liquidatable below it.
pub const HEALTH_FACTOR_LIQUIDATION_THRESHOLD: u64 = WAD;
/// `LiquidationLogic.CLOSE_FACTOR_HF_THRESHOLD` = 0.95e18.
pub const CLOSE_FACTOR_HF_THRESHOLD: u64 = 950_000_000_000_000_000;
/// `LiquidationLogic.DEFAULT_LIQUIDATION_CLOSE_FACTOR` = 50.00%.
pub const DEFAULT_LIQUIDATION_CLOSE_FACTOR_BPS: u32 = 5_000;
/// `MAX_LIQUIDATION_CLOSE_FACTOR` (v3.0) = 100.00%.
pub const MAX_LIQUIDATION_CLOSE_FACTOR_BPS: u32 = 10_000;
/// v3.3 `MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD` = $2,000 (8-decimal base currency).
pub const MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD: u64 = 2_000 * 100_000_000;
/// v3.3 `MIN_LEFTOVER_BASE` = half of the above = $1,000.
pub const MIN_LEFTOVER_BASE: u64 = MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD / 2;

/// Which version of Aave v3's liquidation rules to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum AaveRules {
    /// v3.0.x (npm `@aave/core-v3` 1.19): close factor 50% when HF > 0.95 else
    /// 100%, applied to this reserve's debt; no dust rule; no deficit.
    V3_0,
    /// v3.3 (`aave-dao/aave-v3-origin`): 100% close factor unless both this
    /// reserve's collateral and debt are worth at least $2,000 and HF > 0.95;
    /// the dust rule; deficit accounting when the collateral is exhausted.
    V3_3,
}

/// Inputs to [`aave_liquidation_call`]: the state the contract reads.
///
/// All amounts are in base units of their token; `*_base` values and prices are
/// in the oracle's base currency (USD, 8 decimals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaveLiquidationInput {
    /// Which rule version to apply.
    pub rules: AaveRules,
    /// 1e18 = 1.0; computed by the caller or by [`health_factor_wad`].
    pub health_factor_wad: U256,
    /// All of the user's collateral in base currency (8 decimals, USD).
    pub total_collateral_base: U256,
    /// All of the user's debt in base currency (8 decimals).
    pub total_debt_base: U256,
    /// Oracle price of the collateral asset, 8 decimals.
    pub collateral_price: U256,
    /// Decimals of the collateral token.
    pub collateral_decimals: u32,
    /// Oracle price of the debt asset, 8 decimals.
    pub debt_price: U256,
    /// Decimals of the debt token.
    pub debt_decimals: u32,
    /// The user's balance of this collateral asset (aToken balance), base units.
    pub user_collateral_balance: U256,
    /// The user's debt in this debt asset, base units.
    pub user_reserve_debt: U256,
    /// What the liquidator asks to cover (may be `U256::MAX`).
    pub debt_to_cover: U256,
    /// Liquidation bonus, 4 decimals, e.g. 10500 = 5% bonus.
    pub liquidation_bonus_bps: u32,
    /// Protocol's share of the bonus part, 4 decimals, e.g. 1000 = 10%.
    pub protocol_fee_bps: u32,
}

/// The result of a successful [`aave_liquidation_call`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaveLiquidationOutcome {
    /// Close factor as applied, 5000 or 10000. Under v3.3 it is 5000 only when
    /// the 50% cap actually bound (all three conditions held *and* this
    /// reserve's debt was above half the user's total debt); otherwise the whole
    /// reserve debt was liquidatable and it reads 10000.
    pub close_factor_bps: u32,
    /// Most debt of this reserve that may be repaid in this call.
    pub max_liquidatable_debt: U256,
    /// Collateral worth the repaid debt, before the bonus (`baseCollateral`),
    /// computed from `min(debt_to_cover, max_liquidatable_debt)`.
    pub base_collateral: U256,
    /// Debt actually repaid (`actualDebtToLiquidate` after the collateral cap).
    pub debt_repaid: U256,
    /// Collateral sent to the liquidator (`actualCollateralToLiquidate`, after
    /// the protocol fee).
    pub collateral_to_liquidator: U256,
    /// Collateral sent to the treasury.
    pub protocol_fee: U256,
    /// `collateralAmount - percentDiv(collateralAmount, bonus)`, before the fee
    /// is removed. The contract computes it only when the fee is non-zero; here
    /// it is always reported (and, when the fee is zero, computed without ever
    /// reverting, 0 if it could not be computed).
    pub bonus_part: U256,
    /// Total collateral taken from the user: to the liquidator plus the fee.
    pub collateral_seized_total: U256,
    /// `collateralAmount * price / unit` before the fee is removed (v3.3's
    /// `collateralToLiquidateInBaseCurrency`; v3.0 has no such variable, so
    /// under v3.0 it is informational only and 0 if it would overflow).
    pub collateral_to_liquidate_base: U256,
    /// `total_collateral_base == collateral_to_liquidate_base` (v3.3's
    /// `hasNoCollateralLeft`). Computed under both rule sets but has an effect
    /// only under v3.3.
    pub has_no_collateral_left: bool,
    /// v3.3: `user_reserve_debt - debt_repaid` when `has_no_collateral_left`,
    /// else 0. This is the deficit of **this debt reserve only**: the contract
    /// also burns the user's other debt reserves as bad debt (`_burnBadDebt`),
    /// which this single-pair function does not see. Always 0 under v3.0.
    pub deficit: U256,
}

/// Why `liquidationCall` would revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AaveRevert {
    /// HF >= 1e18 (`HEALTH_FACTOR_NOT_BELOW_THRESHOLD`, '45').
    HealthFactorNotBelowThreshold,
    /// v3.3: a partial liquidation would leave less than $1,000 of debt or of
    /// collateral (`MUST_NOT_LEAVE_DUST`, '103').
    MustNotLeaveDust,
    /// The user has no debt in this reserve
    /// (`SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER`, '47').
    ZeroDebt,
    /// The user has no balance of this collateral. The contract's check is on
    /// the "using as collateral" flag and a non-zero liquidation threshold
    /// (`COLLATERAL_CANNOT_BE_LIQUIDATED`, '46'); a zero balance is this
    /// module's stand-in for an unset flag.
    ZeroCollateral,
    /// The debt-token or the collateral aToken burn would be of zero
    /// (`INVALID_BURN_AMOUNT`, '25', raised by the scaled-balance token), e.g.
    /// `debt_to_cover == 0`, or a cover worth less than one collateral base unit.
    InvalidBurnAmount,
    /// Solidity checked arithmetic over- or underflowed (`Panic(0x11)`).
    ArithmeticOverflow,
    /// Solidity division by zero (`Panic(0x12)`), e.g. a zero collateral price.
    DivisionByZero,
    /// `PercentageMath` reverted with empty data (overflow, or a zero divisor
    /// in `percentDiv`).
    PercentageMathOverflow,
}

impl fmt::Display for AaveRevert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            AaveRevert::HealthFactorNotBelowThreshold => {
                "health factor is not below the threshold (HEALTH_FACTOR_NOT_BELOW_THRESHOLD)"
            }
            AaveRevert::MustNotLeaveDust => {
                "partial liquidation would leave dust below the minimum leftover (MUST_NOT_LEAVE_DUST)"
            }
            AaveRevert::ZeroDebt => {
                "user did not borrow the specified currency (SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER)"
            }
            AaveRevert::ZeroCollateral => {
                "the collateral chosen cannot be liquidated (COLLATERAL_CANNOT_BE_LIQUIDATED)"
            }
            AaveRevert::InvalidBurnAmount => "invalid amount to burn (INVALID_BURN_AMOUNT)",
            AaveRevert::ArithmeticOverflow => "arithmetic overflow or underflow (Panic 0x11)",
            AaveRevert::DivisionByZero => "division by zero (Panic 0x12)",
            AaveRevert::PercentageMathOverflow => "PercentageMath overflow (empty revert)",
        };
        f.write_str(msg)
    }
}

impl std::error::Error for AaveRevert {}

// Checked Solidity-0.8 arithmetic, mapped to the revert it would cause.
fn mul(a: U256, b: U256) -> Result<U256, AaveRevert> {
    a.checked_mul(b).ok_or(AaveRevert::ArithmeticOverflow)
}
fn add(a: U256, b: U256) -> Result<U256, AaveRevert> {
    a.checked_add(b).ok_or(AaveRevert::ArithmeticOverflow)
}
fn sub(a: U256, b: U256) -> Result<U256, AaveRevert> {
    a.checked_sub(b).ok_or(AaveRevert::ArithmeticOverflow)
}
fn div(a: U256, b: U256) -> Result<U256, AaveRevert> {
    a.checked_div(b).ok_or(AaveRevert::DivisionByZero)
}
fn pmul(value: U256, bps: u32) -> Result<U256, AaveRevert> {
    percent_mul(value, U256::from(bps)).ok_or(AaveRevert::PercentageMathOverflow)
}
fn pdiv(value: U256, bps: u32) -> Result<U256, AaveRevert> {
    percent_div(value, U256::from(bps)).ok_or(AaveRevert::PercentageMathOverflow)
}
/// `10 ** decimals`, checked (decimals above 77 overflow).
fn unit(decimals: u32) -> Result<U256, AaveRevert> {
    U256::from(10u8)
        .checked_pow(U256::from(decimals))
        .ok_or(AaveRevert::ArithmeticOverflow)
}

/// What `_calculateAvailableCollateralToLiquidate` returns, plus the
/// intermediate values reported in the outcome.
struct AvailableCollateral {
    base_collateral: U256,
    /// After the fee (`actualCollateralToLiquidate`).
    collateral_amount: U256,
    debt_amount_needed: U256,
    protocol_fee: U256,
    collateral_to_liquidate_base: U256,
    bonus_part: U256,
    /// Before the fee.
    seized_total: U256,
}

/// `_calculateAvailableCollateralToLiquidate`: identical in v3.0 and v3.3
/// (v3.0 does not return the base-currency value, but computing it has no side
/// effect and cannot revert where v3.0 would not, since it is bounded by
/// `userCollateralBalance * price`, which v3.3 computes anyway; under v3.0 an
/// overflow there is mapped to 0 rather than a revert).
#[allow(clippy::too_many_arguments)]
fn available_collateral(
    rules: AaveRules,
    collateral_price: U256,
    collateral_unit: U256,
    debt_price: U256,
    debt_unit: U256,
    debt_to_cover: U256,
    user_collateral_balance: U256,
    liquidation_bonus_bps: u32,
    protocol_fee_bps: u32,
) -> Result<AvailableCollateral, AaveRevert> {
    // baseCollateral = (debtPrice * debtToCover * collUnit) / (collPrice * debtUnit)
    let base_collateral = div(
        mul(mul(debt_price, debt_to_cover)?, collateral_unit)?,
        mul(collateral_price, debt_unit)?,
    )?;
    let max_collateral = pmul(base_collateral, liquidation_bonus_bps)?;

    let (collateral_amount, debt_amount_needed) = if max_collateral > user_collateral_balance {
        // Not enough collateral: take all of it and repay what it covers.
        let debt_value = div(
            mul(mul(collateral_price, user_collateral_balance)?, debt_unit)?,
            mul(debt_price, collateral_unit)?,
        )?;
        (
            user_collateral_balance,
            pdiv(debt_value, liquidation_bonus_bps)?,
        )
    } else {
        (max_collateral, debt_to_cover)
    };

    let collateral_to_liquidate_base = match rules {
        AaveRules::V3_3 => div(mul(collateral_amount, collateral_price)?, collateral_unit)?,
        AaveRules::V3_0 => collateral_amount
            .checked_mul(collateral_price)
            .and_then(|v| v.checked_div(collateral_unit))
            .unwrap_or(U256::ZERO),
    };

    let (bonus_part, protocol_fee) = if protocol_fee_bps != 0 {
        // Reverts (underflow) if the bonus is below 100%, as the contract does.
        let bonus = sub(
            collateral_amount,
            pdiv(collateral_amount, liquidation_bonus_bps)?,
        )?;
        (bonus, pmul(bonus, protocol_fee_bps)?)
    } else {
        // The contract skips this; compute it for reporting only, never revert.
        let bonus = percent_div(collateral_amount, U256::from(liquidation_bonus_bps))
            .map(|p| collateral_amount.saturating_sub(p))
            .unwrap_or(U256::ZERO);
        (bonus, U256::ZERO)
    };

    Ok(AvailableCollateral {
        base_collateral,
        collateral_amount: sub(collateral_amount, protocol_fee)?,
        debt_amount_needed,
        protocol_fee,
        collateral_to_liquidate_base,
        bonus_part,
        seized_total: collateral_amount,
    })
}

/// Aave v3 `liquidationCall` for one (collateral, debt) pair, as
/// `LiquidationLogic.executeLiquidationCall` computes it, under `input.rules`.
///
/// Checks, in the contract's order: HF below 1e18, collateral enabled (here:
/// non-zero balance), debt non-zero. Then the close factor, the collateral
/// calculation (`_calculateAvailableCollateralToLiquidate`), v3.3's dust rule,
/// v3.3's deficit, the debt-token burn and the collateral aToken burn (each
/// reverts on a zero amount).
///
/// Not modelled: reserve active/paused flags, the price-oracle sentinel, the
/// liquidation grace period, e-mode bonus selection (pass the bonus that
/// applies), interest indexes (amounts are taken at an index of 1 ray; the
/// zero-burn check is exact for indexes up to 2 ray), the `receiveAToken`
/// path, and v3.0's stable/variable split (pass the sum as
/// `user_reserve_debt`).
pub fn aave_liquidation_call(
    input: &AaveLiquidationInput,
) -> Result<AaveLiquidationOutcome, AaveRevert> {
    let i = input;
    let hf = i.health_factor_wad;
    let hf_above_close_threshold = hf > U256::from(CLOSE_FACTOR_HF_THRESHOLD);

    // v3.0 runs `_calculateDebt` before validation (it can only revert in
    // percentMul on absurd debt, but keep the order).
    let v30_close = match i.rules {
        AaveRules::V3_0 => {
            let close_factor = if hf_above_close_threshold {
                DEFAULT_LIQUIDATION_CLOSE_FACTOR_BPS
            } else {
                MAX_LIQUIDATION_CLOSE_FACTOR_BPS
            };
            Some((close_factor, pmul(i.user_reserve_debt, close_factor)?))
        }
        AaveRules::V3_3 => None,
    };

    // ValidationLogic.validateLiquidationCall
    if hf >= U256::from(HEALTH_FACTOR_LIQUIDATION_THRESHOLD) {
        return Err(AaveRevert::HealthFactorNotBelowThreshold);
    }
    if i.user_collateral_balance.is_zero() {
        return Err(AaveRevert::ZeroCollateral);
    }
    if i.user_reserve_debt.is_zero() {
        return Err(AaveRevert::ZeroDebt);
    }

    let collateral_unit = unit(i.collateral_decimals)?;
    let debt_unit = unit(i.debt_decimals)?;

    let (close_factor_bps, max_liquidatable_debt) = match v30_close {
        Some(v) => v,
        None => {
            let user_reserve_debt_base = div(mul(i.user_reserve_debt, i.debt_price)?, debt_unit)?;
            let user_reserve_collateral_base = div(
                mul(i.user_collateral_balance, i.collateral_price)?,
                collateral_unit,
            )?;
            let threshold = U256::from(MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD);
            let mut result = (MAX_LIQUIDATION_CLOSE_FACTOR_BPS, i.user_reserve_debt);
            if user_reserve_collateral_base >= threshold
                && user_reserve_debt_base >= threshold
                && hf_above_close_threshold
            {
                let total_default_base =
                    pmul(i.total_debt_base, DEFAULT_LIQUIDATION_CLOSE_FACTOR_BPS)?;
                if user_reserve_debt_base > total_default_base {
                    result = (
                        DEFAULT_LIQUIDATION_CLOSE_FACTOR_BPS,
                        div(mul(total_default_base, debt_unit)?, i.debt_price)?,
                    );
                }
            }
            result
        }
    };

    let actual_debt = i.debt_to_cover.min(max_liquidatable_debt);

    let c = available_collateral(
        i.rules,
        i.collateral_price,
        collateral_unit,
        i.debt_price,
        debt_unit,
        actual_debt,
        i.user_collateral_balance,
        i.liquidation_bonus_bps,
        i.protocol_fee_bps,
    )?;
    // The contract overwrites actualDebtToLiquidate with debtAmountNeeded.
    let debt_repaid = c.debt_amount_needed;

    if i.rules == AaveRules::V3_3
        && debt_repaid < i.user_reserve_debt
        && add(c.collateral_amount, c.protocol_fee)? < i.user_collateral_balance
    {
        let min_leftover = U256::from(MIN_LEFTOVER_BASE);
        let debt_left_base = div(
            mul(sub(i.user_reserve_debt, debt_repaid)?, i.debt_price)?,
            debt_unit,
        )?;
        // Mirrors the contract: only `actualCollateralToLiquidate` (after the
        // fee) is subtracted from the balance, not the protocol fee, so the
        // collateral really left may be slightly below the minimum.
        let collateral_left_base = div(
            mul(
                sub(i.user_collateral_balance, c.collateral_amount)?,
                i.collateral_price,
            )?,
            collateral_unit,
        )?;
        if debt_left_base < min_leftover || collateral_left_base < min_leftover {
            return Err(AaveRevert::MustNotLeaveDust);
        }
    }

    let has_no_collateral_left = i.total_collateral_base == c.collateral_to_liquidate_base;
    let deficit_applies = i.rules == AaveRules::V3_3 && has_no_collateral_left;

    // _burnDebtTokens: v3.3 burns the whole reserve debt when the collateral is
    // exhausted; otherwise (and always in v3.0) the repaid amount. The scaled
    // token rejects a zero burn.
    let burned = if deficit_applies {
        i.user_reserve_debt
    } else {
        debt_repaid
    };
    if burned.is_zero() {
        return Err(AaveRevert::InvalidBurnAmount);
    }
    // _burnCollateralATokens: the aToken's burn rejects a zero amount as well. A cover worth less
    // than one collateral base unit gives `base_collateral = 0`, so nothing to seize, and the call
    // reverts although the debt burn above is not zero. Found by the differential test against
    // the v3.0 bytecode (cascade-evm-tests); v3.3 burns the same way (receiveAToken = false, the
    // only path modelled here).
    if c.collateral_amount.is_zero() {
        return Err(AaveRevert::InvalidBurnAmount);
    }

    let deficit = if deficit_applies {
        sub(i.user_reserve_debt, debt_repaid)?
    } else {
        U256::ZERO
    };

    Ok(AaveLiquidationOutcome {
        close_factor_bps,
        max_liquidatable_debt,
        base_collateral: c.base_collateral,
        debt_repaid,
        collateral_to_liquidator: c.collateral_amount,
        protocol_fee: c.protocol_fee,
        bonus_part: c.bonus_part,
        collateral_seized_total: c.seized_total,
        collateral_to_liquidate_base: c.collateral_to_liquidate_base,
        has_no_collateral_left,
        deficit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u64) -> U256 {
        U256::from(x)
    }

    #[test]
    fn percent_mul_rounds_half_up() {
        // 1 * 50.00% = 0.5 -> rounds up to 1: (5000 + 5000) / 10000 = 1
        assert_eq!(percent_mul(u(1), u(5000)), Some(u(1)));
        // 3 * 50.00% = 1.5 -> 2: (15000 + 5000) / 10000 = 2
        assert_eq!(percent_mul(u(3), u(5000)), Some(u(2)));
        // 1 * 49.99% = 0.4999 -> 0: (4999 + 5000) / 10000 = 0
        assert_eq!(percent_mul(u(1), u(4999)), Some(u(0)));
        // 5 * 50.00% = 2.5 -> 3 (half-up, not banker's): (25000 + 5000) / 10000 = 3
        assert_eq!(percent_mul(u(5), u(5000)), Some(u(3)));
        // 523456 * 105.00% = 549628.8 -> 549629
        assert_eq!(percent_mul(u(523_456), u(10_500)), Some(u(549_629)));
        // exact: 10000 * 105% = 10500
        assert_eq!(percent_mul(u(10_000), u(10_500)), Some(u(10_500)));
        // zero percentage never reverts: (0 + 5000) / 10000 = 0
        assert_eq!(percent_mul(U256::MAX, u(0)), Some(u(0)));
    }

    #[test]
    fn percent_mul_overflow_boundary() {
        // Largest value accepted for percentage 2 is (MAX - 5000) / 2.
        let limit = (U256::MAX - u(5000)) / u(2);
        assert!(percent_mul(limit, u(2)).is_some());
        assert_eq!(percent_mul(limit + u(1), u(2)), None);
    }

    #[test]
    fn percent_div_rounds_half_up() {
        // 1 / 200.00% = 0.5 -> 1: (10000 + 10000) / 20000 = 1
        assert_eq!(percent_div(u(1), u(20_000)), Some(u(1)));
        // 1 / 200.01% = 0.49998 -> 0: (10000 + 10000) / 20001 = 0
        assert_eq!(percent_div(u(1), u(20_001)), Some(u(0)));
        // 105 / 105.00% = 100 exactly: (1050000 + 5250) / 10500 = 100.5 -> 100
        assert_eq!(percent_div(u(105), u(10_500)), Some(u(100)));
        // 549629 / 105% = 523456.19 -> 523456: (5496290000 + 5250) / 10500 = 523456.69 -> 523456
        assert_eq!(percent_div(u(549_629), u(10_500)), Some(u(523_456)));
        // 3 / 50% = 6: (30000 + 2500) / 5000 = 6.5 -> 6
        assert_eq!(percent_div(u(3), u(5000)), Some(u(6)));
        // zero divisor reverts
        assert_eq!(percent_div(u(1), u(0)), None);
    }

    #[test]
    fn percent_div_overflow_boundary() {
        // percentage 3: half = 1; limit = (MAX - 1) / 10000
        let limit = (U256::MAX - u(1)) / u(10_000);
        assert!(percent_div(limit, u(3)).is_some());
        assert_eq!(percent_div(limit + u(1), u(3)), None);
    }

    #[test]
    fn wad_div_rounds_half_up() {
        // 1 / 3 = 0.333.. -> 333333333333333333 (3e17 + .33, half-up rounds down)
        assert_eq!(wad_div(u(1), u(3)), Some(u(333_333_333_333_333_333)));
        // 2 / 3 = 0.666.. -> 666666666666666667 ((2e18 + 1) / 3 = 666666666666666667)
        assert_eq!(wad_div(u(2), u(3)), Some(u(666_666_666_666_666_667)));
        assert_eq!(wad_div(u(1), u(0)), None);
    }

    #[test]
    fn health_factor_hand_values() {
        // collateral $1800, LT 86%, debt $2000: 1800*0.86/2000 = 0.774 exactly
        let hf = health_factor_wad(u(1_800 * 100_000_000), u(8_600), u(2_000 * 100_000_000));
        assert_eq!(hf, u(774_000_000_000_000_000));
        assert_eq!(health_factor_wad(u(1), u(8_600), U256::ZERO), U256::MAX);
    }

    #[test]
    fn uniswap_fee_bps_30_is_997_over_1000() {
        // in 1000, reserves 10000/10000:
        // out = 1000*997*10000 / (10000*1000 + 1000*997) = 9970000000 / 10997000 = 906.61 -> 906
        let out = uniswap_v2_get_amount_out(u(1000), u(10_000), u(10_000), 30);
        assert_eq!(out, Some(u(906)));
        // in = 10000*906*1000 / ((10000-906)*997) + 1 = 9060000000 / 9066718 + 1 = 999 + 1
        let back = uniswap_v2_get_amount_in(u(906), u(10_000), u(10_000), 30);
        assert_eq!(back, Some(u(1000)));
    }

    #[test]
    fn uniswap_reverts() {
        assert_eq!(uniswap_v2_get_amount_out(u(0), u(1), u(1), 30), None);
        assert_eq!(uniswap_v2_get_amount_out(u(1), u(0), u(1), 30), None);
        assert_eq!(uniswap_v2_get_amount_out(u(1), u(1), u(0), 30), None);
        assert_eq!(uniswap_v2_get_amount_out(U256::MAX, u(1), u(1), 30), None);
        assert_eq!(uniswap_v2_get_amount_in(u(0), u(1), u(1), 30), None);
        assert_eq!(uniswap_v2_get_amount_in(u(10), u(10), u(10), 30), None);
        assert_eq!(uniswap_v2_get_amount_in(u(11), u(10), u(10), 30), None);
    }

    #[test]
    fn test_cover_below_one_collateral_unit_reverts_on_the_zero_burn() {
        // 1 WBTC (8 decimals) at $20,250 against 20,500 USDX (6 decimals): HF 0.8495.
        // Covering 1 USDX base unit ($1e-6) is worth 1e8*1*1e8 / (2.025e12*1e6) = 0.0049 WBTC
        // base units: base_collateral = 0, nothing to seize, and the aToken burn of 0 reverts,
        // while the debt burn (1 unit) alone would not.
        let input = AaveLiquidationInput {
            rules: AaveRules::V3_0,
            health_factor_wad: u(849_512_195_121_951_220),
            total_collateral_base: u(2_025_000_000_000),
            total_debt_base: u(2_050_000_000_000),
            collateral_price: u(2_025_000_000_000),
            collateral_decimals: 8,
            debt_price: u(100_000_000),
            debt_decimals: 6,
            user_collateral_balance: u(100_000_000),
            user_reserve_debt: u(20_500_000_000),
            debt_to_cover: u(1),
            liquidation_bonus_bps: 10_500,
            protocol_fee_bps: 1_000,
        };
        for rules in [AaveRules::V3_0, AaveRules::V3_3] {
            let input = AaveLiquidationInput {
                rules,
                ..input.clone()
            };
            assert_eq!(
                aave_liquidation_call(&input),
                Err(AaveRevert::InvalidBurnAmount)
            );
        }
        // One WBTC base unit is worth 202.5 USDX base units: a cover of 202 gives
        // base_collateral = floor(202 / 202.5) = 0 (still the zero burn); 203 gives 1, and
        // percentMul(1, 105%) = (10500 + 5000) / 10000 = 1 seized.
        let at = |cover: u64| {
            aave_liquidation_call(&AaveLiquidationInput {
                debt_to_cover: u(cover),
                ..input.clone()
            })
        };
        assert_eq!(at(202), Err(AaveRevert::InvalidBurnAmount));
        assert_eq!(at(203).unwrap().collateral_seized_total, u(1));
    }

    #[test]
    fn revert_display() {
        assert!(AaveRevert::MustNotLeaveDust
            .to_string()
            .contains("MUST_NOT_LEAVE_DUST"));
    }
}
