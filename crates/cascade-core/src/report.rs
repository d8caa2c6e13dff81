//! What a simulation produces: one record per block, one event per liquidation, and the summary.

use serde::Serialize;

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Equilibrium: prices settled and no account is below a health factor of 1.
    NoLiquidatablePositions,
    /// Equilibrium: prices settled; accounts below a health factor of 1 remain, but no keeper would
    /// liquidate them at a profit (the liquidator's dilemma: slippage and gas eat the bonus).
    LiquidationUnprofitable,
    /// The block limit came first.
    BlockLimit,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::NoLiquidatablePositions => "no_liquidatable_positions",
            StopReason::LiquidationUnprofitable => "liquidation_unprofitable",
            StopReason::BlockLimit => "block_limit",
        }
    }

    /// Whether the run reached an equilibrium (rather than the block limit).
    pub fn is_equilibrium(self) -> bool {
        self != StopReason::BlockLimit
    }
}

/// One liquidation call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiquidationEvent {
    pub block: u64,
    pub protocol: String,
    pub account: String,
    pub keeper: String,
    pub collateral_asset: String,
    pub debt_asset: String,
    pub health_factor_before: f64,
    /// Infinite when the account has no debt left (serialised as null in JSON).
    pub health_factor_after: f64,
    pub close_factor: f64,
    pub debt_repaid: f64,
    pub debt_repaid_usd: f64,
    pub collateral_seized: f64,
    pub collateral_seized_usd: f64,
    /// Liquidation bonus in USD: `debt_repaid_usd * liquidation_bonus` (includes the protocol's share).
    pub bonus_usd: f64,
    pub protocol_fee_usd: f64,
    pub collateral_price: f64,
    pub debt_price: f64,
    /// Venue the keeper sold into (empty when the collateral has no venue and was valued at reference).
    pub venue: String,
    pub collateral_sold: f64,
    pub sale_proceeds_usd: f64,
    pub gas_usd: f64,
    pub keeper_profit_usd: f64,
    /// Debt left without collateral by this call (the account's deficit).
    pub bad_debt_usd: f64,
}

/// The state of the market at the end of one block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockRecord {
    pub block: u64,
    /// Per asset: the exogenous path's price.
    pub exogenous_prices: Vec<f64>,
    /// Per asset: the reference price (exogenous times the permanent impact of arbitrage flow).
    pub reference_prices: Vec<f64>,
    /// Per venue: the spot price after this block's trades.
    pub venue_prices: Vec<f64>,
    /// Per oracle: the value protocols see.
    pub oracle_prices: Vec<f64>,
    pub n_liquidations: u32,
    /// Accounts below a health factor of 1 at the start of the liquidation phase.
    pub n_liquidatable: u32,
    pub collateral_seized_usd: f64,
    pub debt_repaid_usd: f64,
    pub bonus_usd: f64,
    pub bad_debt_usd: f64,
    pub cumulative_bad_debt_usd: f64,
    pub keeper_profit_usd: f64,
    /// USD value the arbitrageurs traded this block (absolute).
    pub arbitrage_volume_usd: f64,
}

/// The headline numbers of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Asset the price figures refer to (the one with the largest exogenous shock).
    pub primary_asset: String,
    pub initial_price: f64,
    /// Where the exogenous path alone ends.
    pub shocked_price: f64,
    /// Reference price of the primary asset when the run stopped.
    pub equilibrium_price: f64,
    /// Lowest price of the primary asset seen at any venue or in the reference.
    pub lowest_price: f64,
    /// Largest exogenous fall, as a fraction of the initial price.
    pub initial_shock: f64,
    /// `1 - equilibrium_price / initial_price`.
    pub final_drawdown: f64,
    /// `1 - lowest_price / initial_price`.
    pub max_drawdown: f64,
    /// Measured amplification: `final_drawdown / initial_shock` (1 = the cascade added nothing).
    pub amplification: f64,
    /// `max_drawdown / initial_shock`: how much deeper the worst price went than the shock.
    pub peak_amplification: f64,
    pub n_liquidations: u64,
    pub n_accounts_liquidated: u64,
    pub liquidated_value_usd: f64,
    pub collateral_seized_usd: f64,
    pub debt_repaid_usd: f64,
    pub bonus_paid_usd: f64,
    pub protocol_fees_usd: f64,
    pub bad_debt_usd: f64,
    /// Debt of accounts whose collateral is worth less than their debt when the run stopped (at the
    /// protocol's prices), net of that collateral: bad debt waiting to happen.
    pub insolvent_debt_usd: f64,
    pub keeper_profit_usd: f64,
    pub gas_spent_usd: f64,
    pub peak_liquidations_per_block: u32,
    pub peak_liquidations_block: u64,
    /// Blocks from the start of the exogenous shock to the stop.
    pub blocks_to_equilibrium: u64,
    /// Blocks from the start of the exogenous shock until 99% of the collateral value that was
    /// seized in the whole run had been seized (the cascade's active phase, without the tail of
    /// small liquidations that oracle heartbeats trigger later).
    pub cascade_duration_blocks: u64,
    pub blocks_simulated: u64,
    pub stop_reason: StopReason,
    /// Accounts still below a health factor of 1 when the run stopped.
    pub n_liquidatable_at_stop: u64,
}
