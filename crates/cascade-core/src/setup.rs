//! How a protocol liquidates, as the engine runs it: the mechanism a lending protocol uses, the pools
//! that stand behind it (insurance fund, backstop pool, protocol-owned liquidity) and its circuit
//! breakers. Read from a scenario by the `cascade` crate; every default is today's behaviour (a fixed
//! spread keeper sale under the protocol's rules, no pool, no breaker).
//!
//! The formulas live in [`crate::mechanism`]; these types only say which one applies and with what
//! parameters. Time is in seconds, money in USD, fractions are fractions.

use crate::mechanism::breaker::{
    GracePeriodConfig, LiquidationCapacityConfig, VelocityMarginConfig, VolatilityFloorConfig,
};
use crate::mechanism::perp::PartialLiquidationConfig;

/// Seconds in the year the annualised volatilities use (365.25 days).
pub const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// Who liquidates a lending account and at what price.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LendingMechanism {
    /// Keepers repay debt and receive collateral at the fixed `liquidation_bonus` under the
    /// protocol's rules (Aave v3): the close factor, the dust rule, the deficit.
    #[default]
    FixedSpread,
    /// Morpho Blue: the bonus is `LIF - 1` with `LIF = min(1.15, 1 / (1 - 0.3 (1 - LLTV)))`
    /// (`mechanism::morpho`), the LLTV being the collateral's liquidation threshold; any amount up to
    /// the whole debt may be repaid; no protocol fee.
    Morpho,
    /// Euler v2: the discount is `min(max_discount, 1 - HF)` (`mechanism::euler`), so the bonus is
    /// `1 / (1 - discount) - 1`; the whole debt may be repaid; no liquidation within
    /// `cool_off_seconds` of the account's last successful status check (here: its last
    /// liquidation); no protocol fee.
    Euler {
        max_discount: f64,
        cool_off_seconds: u64,
    },
    /// Compound III: the protocol absorbs every liquidatable account (all collateral into its
    /// reserves, the account credited `value * liquidation_factor`, with `liquidation_factor = 1 -
    /// liquidation_bonus`), then sells the collateral to keepers from its reserves at
    /// `oracle * (1 - store_front_price_factor * (1 - liquidation_factor))` while reserves are below
    /// `target_reserves_usd`, at most `max_sale_usd_per_block` (at the store-front price) per block
    /// (`mechanism::compound`).
    CompoundAbsorb {
        store_front_price_factor: f64,
        target_reserves_usd: f64,
        initial_reserves_usd: f64,
        max_sale_usd_per_block: f64,
    },
}

impl LendingMechanism {
    pub fn name(&self) -> &'static str {
        match self {
            LendingMechanism::FixedSpread => "fixed_spread",
            LendingMechanism::Morpho => "morpho",
            LendingMechanism::Euler { .. } => "euler",
            LendingMechanism::CompoundAbsorb { .. } => "compound_absorb",
        }
    }
}

/// An insurance fund that covers bad debt as it is created, from its initial balance (perp
/// exchanges also pay their liquidation fees into theirs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsuranceFundModel {
    pub initial_usd: f64,
}

/// A pre-funded pool that takes failing positions over (collateral and debt) instead of letting
/// keepers sell them, and unwinds them into the venues at a limited rate (`mechanism::backstop`,
/// Hyperliquid's liquidator vault).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackstopModel {
    /// The pool's capital (USD).
    pub capital_usd: f64,
    /// Most it sells per block and asset, valued at the reference price (USD).
    pub max_unwind_usd_per_block: f64,
    /// Lending: accounts whose (effective) health factor is below this go to the pool. Perps: a
    /// position goes to the pool when its equity is below this fraction of its maintenance margin
    /// (Hyperliquid: 2/3).
    pub trigger: f64,
}

/// The protocol as an internal buyer of liquidated collateral: it bids `oracle * (1 - discount)`
/// within a total budget (`mechanism::backstop::ProtocolOwnedLiquidity`); sellers take the bid when
/// it pays more than the venues.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolModel {
    pub budget_usd: f64,
    pub discount: f64,
}

/// A grace period (`mechanism::breaker::GracePeriodState`) with an optional oracle outage: the
/// protocol's oracle (or the L2 sequencer) is down for blocks `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GracePeriodModel {
    pub config: GracePeriodConfig,
    pub outage_blocks: Option<(u64, u64)>,
}

/// A volatility-adjusted maintenance margin: requirements are multiplied by
/// `min(max_multiplier, max(1, sigma / reference_volatility))`, `sigma` the realised volatility of
/// the protocol's oracle prices over the last `window_blocks` (the largest over its assets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolatilityMarginModel {
    pub reference_volatility: f64,
    pub max_multiplier: f64,
    pub window_blocks: u32,
}

/// A volatility-triggered price floor: while the realised volatility of an asset's oracle price
/// over `window_blocks` is above the trigger, no liquidation of that asset executes below
/// `floor_fraction` times the price's average over the same window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceFloorModel {
    pub config: VolatilityFloorConfig,
    pub window_blocks: u32,
}

/// The circuit breakers and dynamic margin of one protocol (SPEC.md 1.6); each one is optional.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BreakerModels {
    /// Synthetix perps v3 liquidation capacity per window, in base units of the liquidated asset.
    pub rate_limit: Option<LiquidationCapacityConfig>,
    pub grace_period: Option<GracePeriodModel>,
    /// Margin step-up with liquidation velocity (notional in USD per window).
    pub velocity_margin: Option<VelocityMarginConfig>,
    pub volatility_margin: Option<VolatilityMarginModel>,
    pub price_floor: Option<PriceFloorModel>,
}

impl BreakerModels {
    pub fn is_empty(&self) -> bool {
        *self == BreakerModels::default()
    }

    /// Blocks of oracle history the breakers need.
    pub fn history_blocks(&self) -> usize {
        let volatility = self.volatility_margin.map_or(0, |m| m.window_blocks);
        let floor = self.price_floor.map_or(0, |m| m.window_blocks);
        volatility.max(floor) as usize + 1
    }
}

/// How a lending protocol liquidates. The default is today's fixed spread keeper sale.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LendingSetup {
    pub mechanism: LendingMechanism,
    /// Partial liquidation in chunks: above `threshold_notional` (USD of debt) a liquidation repays
    /// at most `slice_fraction` of the account's debt in the chosen asset, then `cooldown` seconds
    /// follow under `rule` (`mechanism::perp::PartialLiquidationState`).
    pub chunks: Option<PartialLiquidationConfig>,
    pub insurance_fund: Option<InsuranceFundModel>,
    pub backstop: Option<BackstopModel>,
    pub protocol_owned_liquidity: Option<PolModel>,
    pub breakers: BreakerModels,
}

impl LendingSetup {
    /// Whether this is the plain fixed spread sale with nothing added.
    pub fn is_plain(&self) -> bool {
        *self == LendingSetup::default()
    }
}
