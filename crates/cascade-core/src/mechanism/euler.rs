//! Euler v2 (Euler Vault Kit) liquidation: a discount that grows with how unhealthy the account is
//! (`euler-xyz/euler-vault-kit`, `src/EVault/modules/Liquidation.sol`: `calculateLiquidation`,
//! `calculateMaxLiquidation`, `executeLiquidation`, `isInLiquidationCoolOff`).
//!
//! - Health score `HS = sum(collateral value * liquidation LTV) / liability value`; liquidatable when
//!   `HS < 1` (the contract: not when adjusted collateral > liability).
//! - Discount `1 - HS`, capped at `maxLiquidationDiscount`: `discount_factor = max(HS, 1 - max)`.
//! - The liquidator takes over up to the whole debt and receives collateral worth
//!   `repay value / discount_factor`; when the chosen collateral is worth less than that, it gets all
//!   of it and repays `collateral value * discount_factor`.
//! - Cool-off: no liquidation until `liquidationCoolOffTime` seconds after the account's last
//!   successful status check (its last risk-increasing action), against self-liquidation attacks.
//! - With debt socialisation on, debt left on an account without collateral is written off.
//!
//! # Units
//! Values in the vault's unit of account (e.g. USD); the liability in debt-asset units with its
//! price; the collateral in collateral units with its price; fractions as fractions; time in seconds.
//!
//! # Simplified
//! Mid prices throughout (the contract uses bid/ask in `calculateLiquidity` and mid prices for the
//! yield); no `MIN_SOCIALIZATION_LIABILITY_VALUE` (1e6 units of account) threshold; real numbers.

/// A vault's liquidation parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EulerLiquidationConfig {
    /// `maxLiquidationDiscount` as a fraction (0.15 = 15%; the contract stores 1e4 = 100%).
    pub max_liquidation_discount: f64,
    /// `liquidationCoolOffTime`, seconds.
    pub liquidation_cool_off_time: u64,
    /// Write off debt left on an account without collateral (`CFG_DONT_SOCIALIZE_DEBT` unset).
    pub socialize_debt: bool,
}

/// The violator's state as the liquidation reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EulerViolator {
    /// `sum(balance * price * liquidation LTV)` over all its enabled collaterals.
    pub collateral_adjusted_value: f64,
    /// Debt, in debt-asset units.
    pub liability: f64,
    /// Unit of account per debt unit.
    pub liability_price: f64,
    /// Balance of the collateral the liquidator chose.
    pub collateral_balance: f64,
    /// Unit of account per unit of that collateral.
    pub collateral_price: f64,
    /// Whether the violator holds other collateral (for debt socialisation).
    pub has_other_collateral: bool,
    /// Time of its last successful account status check, seconds.
    pub last_status_check: u64,
}

/// Why `liquidate` would revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EulerRefusal {
    /// `E_LiquidationCoolOff`.
    LiquidationCoolOff,
    /// `E_ExcessiveRepayAmount`: more than the maximum repay.
    ExcessiveRepayAmount,
    /// `E_MinYield`: less collateral than the liquidator's minimum.
    MinYield,
}

/// The result of a liquidation (all zero for a healthy account).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EulerLiquidation {
    /// `1 - discount` applied (1 for a healthy account).
    pub discount_factor: f64,
    /// Debt taken over by the liquidator, debt units.
    pub repay: f64,
    /// Collateral received by the liquidator, collateral units.
    pub yield_balance: f64,
    /// Debt written off because no collateral is left (debt units).
    pub socialized_debt: f64,
}

/// `HS = adjusted collateral / liability value` (infinite without debt).
pub fn health_score(collateral_adjusted_value: f64, liability_value: f64) -> f64 {
    if liability_value <= 0.0 {
        f64::INFINITY
    } else {
        collateral_adjusted_value / liability_value
    }
}

/// The liquidation discount at health score `hs`: `min(max_discount, 1 - hs)`, 0 when `hs >= 1`.
pub fn liquidation_discount(hs: f64, max_discount: f64) -> f64 {
    (1.0 - hs).clamp(0.0, max_discount)
}

/// `isInLiquidationCoolOff`: `now < last_status_check + cool_off`.
pub fn is_in_cool_off(last_status_check: u64, cool_off: u64, now: u64) -> bool {
    now < last_status_check.saturating_add(cool_off)
}

/// `checkLiquidation`: the largest repay and yield a liquidation could take now (zeros when healthy).
pub fn max_liquidation(
    config: &EulerLiquidationConfig,
    violator: &EulerViolator,
) -> EulerLiquidation {
    let none = EulerLiquidation {
        discount_factor: 1.0,
        repay: 0.0,
        yield_balance: 0.0,
        socialized_debt: 0.0,
    };
    let liability_value = violator.liability * violator.liability_price;
    if violator.collateral_adjusted_value > liability_value || liability_value <= 0.0 {
        return none;
    }
    let discount_factor = 1.0
        - liquidation_discount(
            health_score(violator.collateral_adjusted_value, liability_value),
            config.max_liquidation_discount,
        );
    let collateral_value = violator.collateral_balance * violator.collateral_price;
    if collateral_value <= 0.0 {
        // Worthless collateral can be claimed with no repay.
        return EulerLiquidation {
            discount_factor,
            yield_balance: violator.collateral_balance,
            ..none
        };
    }
    let mut repay_value = liability_value;
    let mut yield_value = repay_value / discount_factor;
    if collateral_value < yield_value {
        repay_value = collateral_value * discount_factor;
        yield_value = collateral_value;
    }
    EulerLiquidation {
        discount_factor,
        repay: repay_value / violator.liability_price,
        yield_balance: yield_value / violator.collateral_price,
        socialized_debt: 0.0,
    }
}

/// `liquidate(violator, collateral, repayAssets, minYieldBalance)` at time `now`: `desired_repay`
/// `None` takes the maximum; a smaller repay gets a proportional share of the maximum yield.
pub fn liquidate(
    config: &EulerLiquidationConfig,
    violator: &EulerViolator,
    desired_repay: Option<f64>,
    min_yield: f64,
    now: u64,
) -> Result<EulerLiquidation, EulerRefusal> {
    if is_in_cool_off(
        violator.last_status_check,
        config.liquidation_cool_off_time,
        now,
    ) {
        return Err(EulerRefusal::LiquidationCoolOff);
    }
    let mut liquidation = max_liquidation(config, violator);
    if let Some(desired) = desired_repay {
        if desired > liquidation.repay {
            return Err(EulerRefusal::ExcessiveRepayAmount);
        }
        if liquidation.repay > 0.0 {
            liquidation.yield_balance = desired * liquidation.yield_balance / liquidation.repay;
            liquidation.repay = desired;
        }
    }
    if min_yield > liquidation.yield_balance {
        return Err(EulerRefusal::MinYield);
    }
    let liability_value = violator.liability * violator.liability_price;
    let violation = liability_value > 0.0 && violator.collateral_adjusted_value <= liability_value;
    let no_collateral_left =
        !violator.has_other_collateral && liquidation.yield_balance >= violator.collateral_balance;
    if config.socialize_debt
        && violation
        && violator.liability > liquidation.repay
        && no_collateral_left
    {
        liquidation.socialized_debt = violator.liability - liquidation.repay;
    }
    Ok(liquidation)
}
