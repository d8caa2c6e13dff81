//! Circuit breakers and dynamic margin (SPEC.md 1.6): the Synthetix perps v3 liquidation rate limit,
//! a grace period after an oracle outage or a price jump, a margin step-up triggered by liquidation
//! velocity, volatility-adjusted and VaR/ES margin rates, and a volatility-triggered price floor below
//! which no liquidation executes.
//!
//! Each breaker is a small config (`*Config`, read from a scenario) and, where it remembers the past,
//! a state (`*State`) that the caller updates with what happened. Time is in seconds.

use crate::mechanism::options::{norm_inv, norm_pdf};

// ---------------------------------------------------------------------------
// Synthetix perps v3: liquidation capacity per window
// ---------------------------------------------------------------------------

/// The liquidation rate limit of a Synthetix perps v3 market.
///
/// From `Synthetixio/synthetix-v3`, `markets/perps-market/contracts/storage/`:
/// - `PerpsMarketConfiguration.sol`, `maxLiquidationAmountInWindow()` returns
///   ```text
///   (makerFee + takerFee).mulDecimal(skewScale).mulDecimal(maxLiquidationLimitAccumulationMultiplier)
///       * maxSecondsInLiquidationWindow
///   ```
///   i.e. `max_in_window = (maker_fee + taker_fee) * skew_scale * limit_scalar * window_seconds`, in
///   units of the market's base asset (the position size, not its USD value);
/// - `PerpsMarket.sol`, `currentLiquidationCapacity()`: the capacity is `max_in_window` minus the
///   sizes liquidated at timestamps `> now - window_seconds`, floored at 0;
/// - `PerpsMarket.sol`, `maxLiquidatableAmount()`: a liquidation gets `min(capacity, requested)`; when
///   the capacity is 0 but the market's `|skew| / skew_scale` is below `maxLiquidationPd` (and nothing
///   was liquidated yet in this block) one more window's worth is allowed; the endorsed liquidator is
///   never limited; a `max_in_window` of 0 (misconfiguration) allows everything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationCapacityConfig {
    /// Maker fee, a fraction of notional (0.0002 = 2 bps).
    pub maker_fee: f64,
    /// Taker fee, a fraction of notional.
    pub taker_fee: f64,
    /// Skew scale, in base-asset units (the size at which the premium reaches 100%).
    pub skew_scale: f64,
    /// `maxLiquidationLimitAccumulationMultiplier` (1.0 = no scaling).
    pub limit_scalar: f64,
    /// `maxSecondsInLiquidationWindow`.
    pub window_seconds: u64,
    /// `maxLiquidationPd`: below this `|skew| / skew_scale` a full market may still liquidate
    /// (0 = never).
    pub max_liquidation_pd: f64,
    /// A keeper never rate-limited (`endorsedLiquidator`).
    pub endorsed_liquidator: Option<u32>,
}

impl LiquidationCapacityConfig {
    /// `maxLiquidationAmountInWindow`, base-asset units.
    pub fn max_liquidation_in_window(&self) -> f64 {
        (self.maker_fee + self.taker_fee)
            * self.skew_scale
            * self.limit_scalar
            * self.window_seconds as f64
    }
}

/// One entry of the market's `liquidationData`: what was liquidated at one timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationRecord {
    pub timestamp: u64,
    /// Base-asset units.
    pub amount: f64,
}

/// The liquidations a market remembers for its window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiquidationWindowState {
    /// In time order; one entry per timestamp (liquidations in the same block add up).
    pub records: Vec<LiquidationRecord>,
}

impl LiquidationWindowState {
    /// Size liquidated at timestamps after `now - window_seconds`.
    pub fn liquidated_in_window(&self, config: &LiquidationCapacityConfig, now: u64) -> f64 {
        let window_start = now.saturating_sub(config.window_seconds);
        self.records
            .iter()
            .rev()
            .take_while(|r| r.timestamp > window_start)
            .map(|r| r.amount)
            .sum()
    }

    /// `currentLiquidationCapacity`: `max(0, max_in_window - liquidated_in_window)`.
    pub fn capacity(&self, config: &LiquidationCapacityConfig, now: u64) -> f64 {
        (config.max_liquidation_in_window() - self.liquidated_in_window(config, now)).max(0.0)
    }

    /// `maxLiquidatableAmount`: how much of `requested` (base units) `liquidator` may liquidate at
    /// `now`, with the market's current `skew` (signed base units); records what it grants.
    pub fn admit(
        &mut self,
        config: &LiquidationCapacityConfig,
        requested: f64,
        now: u64,
        skew: f64,
        liquidator: u32,
    ) -> f64 {
        if config.endorsed_liquidator == Some(liquidator) {
            self.record(requested, now);
            return requested;
        }
        let max_in_window = config.max_liquidation_in_window();
        if max_in_window <= 0.0 {
            return requested;
        }
        let capacity = self.capacity(config, now);
        let latest = self.records.last().map(|r| r.timestamp);
        let granted = if capacity > 0.0 {
            capacity.min(requested)
        } else if config.max_liquidation_pd > 0.0
            && latest != Some(now)
            && skew.abs() / config.skew_scale < config.max_liquidation_pd
        {
            max_in_window.min(requested)
        } else {
            0.0
        };
        if granted > 0.0 {
            self.record(granted, now);
        }
        granted
    }

    /// `_updateLiquidationData`: adds to this timestamp's record or starts a new one.
    pub fn record(&mut self, amount: f64, now: u64) {
        match self.records.last_mut() {
            Some(last) if last.timestamp == now => last.amount += amount,
            _ => self.records.push(LiquidationRecord {
                timestamp: now,
                amount,
            }),
        }
    }

    /// Drops records that can no longer count (at or before `now - window_seconds`), to bound memory.
    pub fn prune(&mut self, config: &LiquidationCapacityConfig, now: u64) {
        let window_start = now.saturating_sub(config.window_seconds);
        self.records.retain(|r| r.timestamp > window_start);
    }
}

// ---------------------------------------------------------------------------
// Grace period after an oracle outage or a jump
// ---------------------------------------------------------------------------

/// A grace period during which no liquidation runs: after the oracle (or an L2 sequencer) comes
/// back from an outage, as Aave v3's `PriceOracleSentinel` does with its `gracePeriod`, and after a
/// price jump larger than `jump_threshold` between two observations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GracePeriodConfig {
    /// Seconds of grace.
    pub duration: u64,
    /// Relative move between consecutive observed prices that starts a grace period
    /// (`f64::INFINITY` = never).
    pub jump_threshold: f64,
}

/// What a grace period remembers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GracePeriodState {
    /// No liquidation before this time.
    pub grace_until: u64,
    /// The oracle is down (its last observation had no price).
    pub oracle_down: bool,
    /// The last price observed.
    pub last_price: Option<f64>,
}

impl GracePeriodState {
    /// Takes one oracle observation at `now` (`None`: outage or stale).
    pub fn observe(&mut self, config: &GracePeriodConfig, now: u64, price: Option<f64>) {
        match price {
            None => self.oracle_down = true,
            Some(price) => {
                let jumped = self
                    .last_price
                    .is_some_and(|last| ((price - last) / last).abs() >= config.jump_threshold);
                if self.oracle_down || jumped {
                    self.grace_until = self.grace_until.max(now + config.duration);
                }
                self.oracle_down = false;
                self.last_price = Some(price);
            }
        }
    }

    /// Whether liquidations may run at `now`: the oracle is up and no grace period is running.
    pub fn liquidations_allowed(&self, now: u64) -> bool {
        !self.oracle_down && now >= self.grace_until
    }
}

// ---------------------------------------------------------------------------
// Velocity-triggered margin
// ---------------------------------------------------------------------------

/// Margin requirements that step up while liquidations come fast: with `v` the notional liquidated
/// in the last `window_seconds`, the maintenance margin is multiplied by
/// `min(max_multiplier, 1 + step_up * floor(v / trigger_notional))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VelocityMarginConfig {
    pub window_seconds: u64,
    /// Liquidated notional per window that adds one step (quote units).
    pub trigger_notional: f64,
    /// Added to the multiplier per step (0.25 = +25%).
    pub step_up: f64,
    /// The multiplier's cap (>= 1).
    pub max_multiplier: f64,
}

/// Liquidated notional by timestamp, for [`VelocityMarginConfig`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VelocityMarginState {
    /// `(timestamp, notional)` in time order.
    pub records: Vec<(u64, f64)>,
}

impl VelocityMarginState {
    /// Books a liquidation of `notional` (quote units) at `now`.
    pub fn record(&mut self, notional: f64, now: u64) {
        match self.records.last_mut() {
            Some((t, amount)) if *t == now => *amount += notional,
            _ => self.records.push((now, notional)),
        }
    }

    /// Notional liquidated at timestamps after `now - window_seconds`.
    pub fn velocity(&self, config: &VelocityMarginConfig, now: u64) -> f64 {
        let start = now.saturating_sub(config.window_seconds);
        self.records
            .iter()
            .rev()
            .take_while(|(t, _)| *t > start)
            .map(|(_, amount)| amount)
            .sum()
    }

    /// The maintenance-margin multiplier at `now` (1 when calm).
    pub fn margin_multiplier(&self, config: &VelocityMarginConfig, now: u64) -> f64 {
        if config.trigger_notional <= 0.0 {
            return 1.0;
        }
        let steps = (self.velocity(config, now) / config.trigger_notional).floor();
        (1.0 + config.step_up * steps).min(config.max_multiplier.max(1.0))
    }

    /// Drops records outside the window.
    pub fn prune(&mut self, config: &VelocityMarginConfig, now: u64) {
        let start = now.saturating_sub(config.window_seconds);
        self.records.retain(|(t, _)| *t > start);
    }
}

// ---------------------------------------------------------------------------
// Volatility-adjusted margin
// ---------------------------------------------------------------------------

/// Realised volatility of a price series: the sample standard deviation of log returns, annualised
/// by `periods_per_year` (e.g. 365 * 144 for 10-minute bars). 0 for fewer than three prices.
pub fn realized_volatility(prices: &[f64], periods_per_year: f64) -> f64 {
    if prices.len() < 3 {
        return 0.0;
    }
    let returns: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let variance = returns.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (n - 1.0);
    (variance * periods_per_year).sqrt()
}

/// A maintenance-margin rate that scales with volatility:
/// `min(max_rate, base_rate * max(1, volatility / reference_volatility))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolatilityMarginConfig {
    /// The rate in calm markets (a fraction of notional).
    pub base_rate: f64,
    /// The annualised volatility the base rate was set for.
    pub reference_volatility: f64,
    /// Cap on the rate.
    pub max_rate: f64,
}

impl VolatilityMarginConfig {
    /// The rate at annualised `volatility`.
    pub fn margin_rate(&self, volatility: f64) -> f64 {
        let scale = (volatility / self.reference_volatility).max(1.0);
        (self.base_rate * scale).min(self.max_rate)
    }
}

/// Value-at-risk margin rate under a normal model: `z_c * sigma * sqrt(horizon)`, with
/// `z_c = N^-1(confidence)` (2.326 at 99%) and `horizon` in years (the liquidation horizon).
pub fn var_margin_rate(volatility: f64, horizon_years: f64, confidence: f64) -> f64 {
    norm_inv(confidence) * volatility * horizon_years.sqrt()
}

/// Expected-shortfall margin rate under a normal model: `sigma * sqrt(horizon) * n(z_c) / (1 - c)`,
/// the mean loss beyond the VaR (2.665 sigma sqrt(h) at 99%).
pub fn expected_shortfall_margin_rate(volatility: f64, horizon_years: f64, confidence: f64) -> f64 {
    volatility * horizon_years.sqrt() * norm_pdf(norm_inv(confidence)) / (1.0 - confidence)
}

// ---------------------------------------------------------------------------
// Volatility-triggered price floor
// ---------------------------------------------------------------------------

/// A price floor that arms when realised volatility exceeds `trigger_volatility`: liquidations then
/// execute only at prices at or above `floor_fraction * reference_price` (the reference being a slow
/// average the caller keeps, e.g. a one-hour TWAP). It stops a flash crash from liquidating at
/// prices the market does not hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolatilityFloorConfig {
    /// Annualised realised volatility above which the floor arms.
    pub trigger_volatility: f64,
    /// The floor as a fraction of the reference price (0.85 = 15% below it).
    pub floor_fraction: f64,
}

impl VolatilityFloorConfig {
    /// The floor at this volatility and reference price, or `None` while volatility is at or below
    /// the trigger.
    pub fn floor(&self, realized_volatility: f64, reference_price: f64) -> Option<f64> {
        (realized_volatility > self.trigger_volatility)
            .then_some(self.floor_fraction * reference_price)
    }

    /// Whether a liquidation may execute at `price`.
    pub fn allows_liquidation(
        &self,
        price: f64,
        realized_volatility: f64,
        reference_price: f64,
    ) -> bool {
        self.floor(realized_volatility, reference_price)
            .is_none_or(|floor| price >= floor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_realized_volatility_of_too_few_prices_is_zero() {
        assert_eq!(realized_volatility(&[1.0, 2.0], 365.0), 0.0);
    }

    #[test]
    fn test_velocity_multiplier_without_trigger_is_one() {
        let config = VelocityMarginConfig {
            window_seconds: 60,
            trigger_notional: 0.0,
            step_up: 1.0,
            max_multiplier: 5.0,
        };
        let mut state = VelocityMarginState::default();
        state.record(1e9, 10);
        assert_eq!(state.margin_multiplier(&config, 10), 1.0);
    }
}
