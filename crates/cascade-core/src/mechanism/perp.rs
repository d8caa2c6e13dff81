//! Perpetual futures positions: maintenance-margin tiers by notional (Binance's "leverage and margin"
//! brackets), the mark price (Binance's median of three), isolated and cross margin, liquidation and
//! bankruptcy prices, liquidation in chunks with a cooldown (Hyperliquid), the liquidation fee that
//! goes to the insurance fund, and funding payments.
//!
//! # Units
//! Sizes are signed base-asset units (long > 0); prices and margins in the quote (settlement) asset;
//! rates are fractions (0.005 = 0.5% of notional); notional is `|size| * mark price`; time in seconds.
//!
//! # Formulas
//! - Tier `i` covers notional in `(cap_(i-1), cap_i]` with maintenance rate `mmr_i` and maintenance
//!   amount `amt_i = amt_(i-1) + cap_(i-1) * (mmr_i - mmr_(i-1))` (so the margin is continuous across
//!   tiers); `maintenance margin = notional * mmr_i - amt_i` (Binance's formula).
//! - Equity: isolated `margin + size * (mark - entry)`; cross `collateral + sum of unrealised PnL`.
//!   Liquidatable when equity < maintenance margin.
//! - Liquidation price: with `s` the side (+1/-1), `q = |size|`, `m` the margin available to the
//!   position, solve `m + s q (p - e) = q p mmr - amt`:
//!   `p = (s q e - m - amt) / (q (s - mmr))`, in the tier whose notional range contains `q p`.
//!   For one tier this is Hyperliquid's `p = mark - s * margin_available / q / (1 - mmr * s)`.
//! - Bankruptcy price (equity zero): `p = e - s m / q`.

// ---------------------------------------------------------------------------
// Margin tiers
// ---------------------------------------------------------------------------

/// One maintenance-margin tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginTier {
    /// Lower bound of the tier's notional range (exclusive; 0 for the first).
    pub notional_floor: f64,
    /// Upper bound (inclusive; `f64::INFINITY` for an open last tier).
    pub notional_cap: f64,
    /// Maintenance margin rate.
    pub maintenance_margin_rate: f64,
    /// Largest leverage allowed to open a position in this tier (initial margin rate = 1 / this).
    pub max_leverage: f64,
    /// Maintenance amount subtracted from `notional * rate` (Binance's "cum").
    pub maintenance_amount: f64,
}

/// A table of margin tiers by notional.
#[derive(Debug, Clone, PartialEq)]
pub struct MarginTiers {
    tiers: Vec<MarginTier>,
}

impl MarginTiers {
    /// Tiers from `(notional_cap, maintenance_margin_rate, max_leverage)` brackets in increasing cap
    /// order; the maintenance amounts are derived so that the margin is continuous. Notional above
    /// the last cap falls in the last tier.
    pub fn new(brackets: &[(f64, f64, f64)]) -> Result<Self, &'static str> {
        if brackets.is_empty() {
            return Err("margin tiers: at least one bracket");
        }
        let mut tiers = Vec::with_capacity(brackets.len());
        let (mut floor, mut previous_rate, mut amount) = (0.0, 0.0, 0.0);
        for &(cap, rate, max_leverage) in brackets {
            if cap.is_nan() || cap <= floor {
                return Err("margin tiers: caps must increase");
            }
            if !(0.0..1.0).contains(&rate) {
                return Err("margin tiers: maintenance rate must be in [0, 1)");
            }
            if max_leverage.is_nan() || max_leverage < 1.0 {
                return Err("margin tiers: max leverage must be at least 1");
            }
            amount += floor * (rate - previous_rate);
            tiers.push(MarginTier {
                notional_floor: floor,
                notional_cap: cap,
                maintenance_margin_rate: rate,
                max_leverage,
                maintenance_amount: amount,
            });
            floor = cap;
            previous_rate = rate;
        }
        Ok(MarginTiers { tiers })
    }

    /// One tier for every notional.
    pub fn flat(maintenance_margin_rate: f64, max_leverage: f64) -> Self {
        MarginTiers::new(&[(f64::INFINITY, maintenance_margin_rate, max_leverage)])
            .expect("a valid flat tier")
    }

    pub fn tiers(&self) -> &[MarginTier] {
        &self.tiers
    }

    /// The tier a position of this notional falls in.
    pub fn tier_for(&self, notional: f64) -> &MarginTier {
        self.tiers
            .iter()
            .find(|t| notional <= t.notional_cap)
            .unwrap_or_else(|| self.tiers.last().expect("at least one tier"))
    }

    /// `notional * mmr - amount` in the notional's tier (0 for no position).
    pub fn maintenance_margin(&self, notional: f64) -> f64 {
        if notional <= 0.0 {
            return 0.0;
        }
        let tier = self.tier_for(notional);
        notional * tier.maintenance_margin_rate - tier.maintenance_amount
    }

    /// Initial margin to open `notional` at `leverage` (capped at the tier's maximum).
    pub fn initial_margin(&self, notional: f64, leverage: f64) -> f64 {
        notional / leverage.min(self.tier_for(notional).max_leverage)
    }
}

// ---------------------------------------------------------------------------
// Mark price, funding
// ---------------------------------------------------------------------------

/// What the mark price is built from (Binance USD-M: "Mark Price = median(Price 1, Price 2,
/// last price)").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkPriceInputs {
    /// The index (spot) price.
    pub index_price: f64,
    /// The last funding rate (per funding interval).
    pub last_funding_rate: f64,
    /// Seconds until the next funding.
    pub time_to_next_funding: f64,
    /// Seconds per funding interval (28,800 for 8 hours).
    pub funding_interval: f64,
    /// Moving average of `perp mid - index` (quote units).
    pub basis_average: f64,
    /// Last traded price of the perpetual.
    pub last_price: f64,
}

/// The mark price: the median of `index * (1 + funding_rate * time_to_next / interval)`,
/// `index + basis_average` and the last price. A manipulated last trade alone cannot move it.
pub fn mark_price(inputs: &MarkPriceInputs) -> f64 {
    let price_1 = inputs.index_price
        * (1.0 + inputs.last_funding_rate * inputs.time_to_next_funding / inputs.funding_interval);
    let price_2 = inputs.index_price + inputs.basis_average;
    median3(price_1, price_2, inputs.last_price)
}

/// The middle one of three numbers.
pub fn median3(a: f64, b: f64, c: f64) -> f64 {
    a.max(b).min(a.min(b).max(c))
}

/// Funding paid by a position over one interval: `size * mark * rate` (negative: received).
/// A positive rate makes longs pay shorts.
pub fn funding_payment(size: f64, mark_price: f64, funding_rate: f64) -> f64 {
    size * mark_price * funding_rate
}

/// Binance's funding rate from the premium index `P` and the interest rate `I` (per interval):
/// `P + clamp(I - P, -clamp_band, +clamp_band)` (`clamp_band` 0.0005).
pub fn funding_rate(premium_index: f64, interest_rate: f64, clamp_band: f64) -> f64 {
    premium_index + (interest_rate - premium_index).clamp(-clamp_band, clamp_band)
}

// ---------------------------------------------------------------------------
// Isolated positions
// ---------------------------------------------------------------------------

/// A position with its own margin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsolatedPosition {
    /// Signed size: long > 0.
    pub size: f64,
    pub entry_price: f64,
    /// Margin posted for this position (quote units).
    pub margin: f64,
}

impl IsolatedPosition {
    pub fn notional(&self, mark_price: f64) -> f64 {
        self.size.abs() * mark_price
    }

    pub fn unrealized_pnl(&self, mark_price: f64) -> f64 {
        self.size * (mark_price - self.entry_price)
    }

    /// `margin + unrealised PnL`.
    pub fn equity(&self, mark_price: f64) -> f64 {
        self.margin + self.unrealized_pnl(mark_price)
    }

    pub fn maintenance_margin(&self, tiers: &MarginTiers, mark_price: f64) -> f64 {
        tiers.maintenance_margin(self.notional(mark_price))
    }

    /// Equity below maintenance margin.
    pub fn is_liquidatable(&self, tiers: &MarginTiers, mark_price: f64) -> bool {
        self.size != 0.0 && self.equity(mark_price) < self.maintenance_margin(tiers, mark_price)
    }

    /// The mark price at which equity equals maintenance margin (see the module doc), or `None` when
    /// there is no such positive price (a long margined beyond its notional, or no position).
    pub fn liquidation_price(&self, tiers: &MarginTiers) -> Option<f64> {
        liquidation_price(self.size, self.entry_price, self.margin, tiers)
    }

    /// The price at which equity is zero: `entry - side * margin / |size|`.
    pub fn bankruptcy_price(&self) -> f64 {
        self.entry_price - self.size.signum() * self.margin / self.size.abs()
    }
}

/// The liquidation price of a position of signed `size` at `entry_price` with `margin_available`
/// (isolated: its margin; cross: see [`CrossAccount::liquidation_price`]), over the tiers.
pub fn liquidation_price(
    size: f64,
    entry_price: f64,
    margin_available: f64,
    tiers: &MarginTiers,
) -> Option<f64> {
    if size == 0.0 {
        return None;
    }
    let (side, q) = (size.signum(), size.abs());
    let last = tiers.tiers().len() - 1;
    tiers.tiers().iter().enumerate().find_map(|(i, tier)| {
        let price = (side * q * entry_price - margin_available - tier.maintenance_amount)
            / (q * (side - tier.maintenance_margin_rate));
        let notional = q * price;
        // Tier i covers (floor, cap]; the first one from 0, the last one without a cap.
        let above_floor = i == 0 || notional > tier.notional_floor;
        let below_cap = i == last || notional <= tier.notional_cap;
        (price > 0.0 && price.is_finite() && above_floor && below_cap).then_some(price)
    })
}

// ---------------------------------------------------------------------------
// Cross margin
// ---------------------------------------------------------------------------

/// One position of a cross-margin account, in market `market` (an index into the caller's markets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossPosition {
    pub market: usize,
    pub size: f64,
    pub entry_price: f64,
}

/// An account whose collateral backs all its positions.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossAccount {
    /// Quote units.
    pub collateral: f64,
    pub positions: Vec<CrossPosition>,
}

impl CrossAccount {
    /// `collateral + sum(size * (mark - entry))`; `marks[market]` is each market's mark price.
    pub fn equity(&self, marks: &[f64]) -> f64 {
        self.collateral
            + self
                .positions
                .iter()
                .map(|p| p.size * (marks[p.market] - p.entry_price))
                .sum::<f64>()
    }

    /// Sum of each position's maintenance margin in its market's tiers (`tiers[market]`).
    pub fn maintenance_margin(&self, tiers: &[MarginTiers], marks: &[f64]) -> f64 {
        self.positions
            .iter()
            .map(|p| tiers[p.market].maintenance_margin(p.size.abs() * marks[p.market]))
            .sum()
    }

    pub fn is_liquidatable(&self, tiers: &[MarginTiers], marks: &[f64]) -> bool {
        !self.positions.is_empty() && self.equity(marks) < self.maintenance_margin(tiers, marks)
    }

    /// The mark price of position `index` at which the account hits maintenance margin, every other
    /// market held at its current mark: the isolated formula with `margin_available = collateral +
    /// other positions' PnL - other positions' maintenance margin`.
    pub fn liquidation_price(
        &self,
        index: usize,
        tiers: &[MarginTiers],
        marks: &[f64],
    ) -> Option<f64> {
        let position = self.positions[index];
        let mut available = self.collateral;
        for (i, other) in self.positions.iter().enumerate() {
            if i != index {
                available += other.size * (marks[other.market] - other.entry_price);
                available -=
                    tiers[other.market].maintenance_margin(other.size.abs() * marks[other.market]);
            }
        }
        liquidation_price(
            position.size,
            position.entry_price,
            available,
            &tiers[position.market],
        )
    }
}

// ---------------------------------------------------------------------------
// Liquidation
// ---------------------------------------------------------------------------

/// What one liquidation fill did to a position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerpLiquidationFill {
    /// Signed size change (opposite to the position's sign).
    pub size_change: f64,
    pub price: f64,
    /// PnL realised on the closed part.
    pub realized_pnl: f64,
    /// Fee charged to the position and paid to the insurance fund.
    pub fee_to_insurance: f64,
    /// Margin handed back to the trader (an isolated position closed with equity left).
    pub margin_released: f64,
    /// Loss beyond the position's margin, for the insurance fund (or ADL) to cover.
    pub bad_debt: f64,
}

/// Closes `close_size` (absolute, capped at the position) of an isolated position at
/// `execution_price` and charges `fee_rate * closed notional` to the insurance fund, out of what margin
/// is left (never more). The PnL is settled into the position's margin; when the position is closed
/// in full, a positive margin goes back to the trader and a negative one is bad debt.
pub fn liquidate_isolated(
    position: &mut IsolatedPosition,
    close_size: f64,
    execution_price: f64,
    fee_rate: f64,
) -> PerpLiquidationFill {
    let closed = close_size.max(0.0).min(position.size.abs());
    let closed_signed = closed * position.size.signum();
    let realized_pnl = closed_signed * (execution_price - position.entry_price);
    position.margin += realized_pnl;
    let fee = (fee_rate * closed * execution_price).min(position.margin.max(0.0));
    position.margin -= fee;
    // Closing all of it leaves exactly 0: `size - size`.
    position.size -= closed_signed;
    let (mut margin_released, mut bad_debt) = (0.0, 0.0);
    if position.size == 0.0 {
        if position.margin >= 0.0 {
            margin_released = position.margin;
        } else {
            bad_debt = -position.margin;
        }
        position.margin = 0.0;
    }
    PerpLiquidationFill {
        size_change: -closed_signed,
        price: execution_price,
        realized_pnl,
        fee_to_insurance: fee,
        margin_released,
        bad_debt,
    }
}

/// Closes `close_size` (absolute) of cross position `index` at `execution_price`; the PnL settles into
/// the collateral, the fee (`fee_rate * closed notional`, at most the account's remaining equity at
/// `marks`) goes to the insurance fund, and when the account has no position left a negative
/// collateral is bad debt (and is reset to 0). A position closed in full is removed from
/// `positions` (the later ones shift down by one).
pub fn liquidate_cross(
    account: &mut CrossAccount,
    index: usize,
    close_size: f64,
    execution_price: f64,
    fee_rate: f64,
    marks: &[f64],
) -> PerpLiquidationFill {
    let position = &mut account.positions[index];
    let closed = close_size.max(0.0).min(position.size.abs());
    let closed_signed = closed * position.size.signum();
    let realized_pnl = closed_signed * (execution_price - position.entry_price);
    position.size -= closed_signed;
    if position.size == 0.0 {
        account.positions.remove(index);
    }
    account.collateral += realized_pnl;
    let fee = (fee_rate * closed * execution_price).min(account.equity(marks).max(0.0));
    account.collateral -= fee;
    let mut bad_debt = 0.0;
    if account.positions.is_empty() && account.collateral < 0.0 {
        bad_debt = -account.collateral;
        account.collateral = 0.0;
    }
    PerpLiquidationFill {
        size_change: -closed_signed,
        price: execution_price,
        realized_pnl,
        fee_to_insurance: fee,
        margin_released: 0.0,
        bad_debt,
    }
}

/// What a partial liquidation does right after one (see [`PartialLiquidationConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CooldownRule {
    /// Hyperliquid: during the cooldown after a partial liquidation, a liquidation takes the whole
    /// position.
    FullDuringCooldown,
    /// Slices are rate-limited: nothing is liquidated until the cooldown has passed.
    WaitForCooldown,
}

/// Liquidation in chunks: a position above `threshold_notional` is liquidated a `slice_fraction` at a
/// time, with `cooldown` seconds after each slice governed by `rule` (Hyperliquid: $100k, 20%, 30 s,
/// full during the cooldown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartialLiquidationConfig {
    pub threshold_notional: f64,
    pub slice_fraction: f64,
    pub cooldown: u64,
    pub rule: CooldownRule,
}

/// When the account was last partially liquidated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartialLiquidationState {
    pub last_partial_at: Option<u64>,
}

impl PartialLiquidationState {
    /// The size (absolute) to liquidate now from a liquidatable position of `abs_size` at
    /// `mark_price`; 0 means wait. Records the time when it returns a partial slice.
    pub fn next_chunk(
        &mut self,
        config: &PartialLiquidationConfig,
        abs_size: f64,
        mark_price: f64,
        now: u64,
    ) -> f64 {
        let in_cooldown = self
            .last_partial_at
            .is_some_and(|t| now < t + config.cooldown);
        if in_cooldown {
            return match config.rule {
                CooldownRule::FullDuringCooldown => abs_size,
                CooldownRule::WaitForCooldown => 0.0,
            };
        }
        if abs_size * mark_price > config.threshold_notional {
            self.last_partial_at = Some(now);
            abs_size * config.slice_fraction
        } else {
            abs_size
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_tiers_reject_bad_brackets() {
        assert!(MarginTiers::new(&[]).is_err());
        assert!(MarginTiers::new(&[(100.0, 0.01, 10.0), (50.0, 0.02, 5.0)]).is_err());
        assert!(MarginTiers::new(&[(100.0, 1.5, 10.0)]).is_err());
        assert!(MarginTiers::new(&[(100.0, 0.01, 0.5)]).is_err());
    }

    #[test]
    fn test_median3() {
        assert_eq!(median3(1.0, 2.0, 3.0), 2.0);
        assert_eq!(median3(3.0, 1.0, 2.0), 2.0);
        assert_eq!(median3(2.0, 3.0, 1.0), 2.0);
        assert_eq!(median3(5.0, 5.0, 1.0), 5.0);
    }
}
