//! What a simulation produces: one record per block, one event per liquidation, and the summary.

use serde::Serialize;

use crate::names::{AccountName, Name};

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

/// What a [`LiquidationEvent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A keeper's liquidation call (fixed spread, Morpho, Euler).
    LiquidationCall,
    /// Compound III: the protocol absorbed the account into its reserves.
    Absorb,
    /// Compound III: a keeper bought absorbed collateral from the reserves at the store-front price.
    StoreFrontBuy,
    /// A backstop pool took the position over.
    BackstopTakeover,
    /// Maker: `bark` started a Dutch auction (the keeper gets `tip + tab * chip`).
    AuctionKick,
    /// Maker: a keeper bought from an auction (`take`) and sold what it bought.
    AuctionTake,
    /// Maker: a keeper restarted an auction past `tail` or below `cusp` (`redo`) for the incentive.
    AuctionReset,
    /// A perp position (or a chunk of it) closed in the market by the exchange's liquidation engine.
    PerpLiquidation,
    /// A perp position closed against the opposite side at its bankruptcy price.
    Adl,
    /// An option writer's short taken over by a desk.
    OptionTakeover,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::LiquidationCall => "liquidation_call",
            EventKind::Absorb => "absorb",
            EventKind::StoreFrontBuy => "store_front_buy",
            EventKind::BackstopTakeover => "backstop_takeover",
            EventKind::AuctionKick => "auction_kick",
            EventKind::AuctionTake => "auction_take",
            EventKind::AuctionReset => "auction_reset",
            EventKind::PerpLiquidation => "perp_liquidation",
            EventKind::Adl => "adl",
            EventKind::OptionTakeover => "option_takeover",
        }
    }

    /// Whether the event liquidates a position (it counts in `n_liquidations` and the liquidations
    /// per block), as opposed to a later sale of what a protocol or an auction holds
    /// (`StoreFrontBuy`, `AuctionTake`).
    pub fn is_liquidation(self) -> bool {
        !matches!(
            self,
            EventKind::StoreFrontBuy | EventKind::AuctionTake | EventKind::AuctionReset
        )
    }

    /// Whether the event's collateral counts as liquidated value: what a liquidation took for good
    /// from a position. A kick only moves the vault's collateral into an auction (what the takes buy
    /// is the liquidated value, the rest goes back to the vault); a store-front buy sells what an
    /// absorb already counted.
    pub fn counts_value(self) -> bool {
        !matches!(
            self,
            EventKind::StoreFrontBuy | EventKind::AuctionKick | EventKind::AuctionReset
        )
    }
}

/// One protocol's part of a run (what `cascade compare` shows per protocol type).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolOutcome {
    pub name: String,
    /// `lending`, `cdp`, `perp` or `options_vault`.
    pub kind: String,
    pub n_liquidations: u64,
    pub liquidated_value_usd: f64,
    pub bad_debt_usd: f64,
    pub bad_debt_uncovered_usd: f64,
    pub insurance_drawdown_usd: f64,
    pub backstop_drawdown_usd: f64,
    pub peak_liquidations_per_block: u32,
    pub keeper_profit_usd: f64,
}

/// One action on a position or on liquidated collateral. For a liquidation call the fields are the
/// call's; the other kinds fill the same fields (see docs/report.md): `collateral_seized` is what
/// left the position (or the auction, the reserves), `debt_repaid_usd` what was paid for it, and
/// `bonus_usd = collateral_seized_usd - debt_repaid_usd`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiquidationEvent {
    pub block: u64,
    pub protocol: Name,
    pub account: AccountName,
    pub keeper: Name,
    pub collateral_asset: Name,
    pub debt_asset: Name,
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
    pub venue: Name,
    pub collateral_sold: f64,
    pub sale_proceeds_usd: f64,
    pub gas_usd: f64,
    pub keeper_profit_usd: f64,
    /// Debt left without collateral by this call (the account's deficit).
    pub bad_debt_usd: f64,
    pub kind: EventKind,
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
    /// Bad debt left after insurance funds and reserves covered what they could: the loss that falls
    /// on lenders (or, on a perp exchange, is socialised).
    pub bad_debt_uncovered_usd: f64,
    /// Largest fall of the insurance funds (and Compound reserves) below their starting balance,
    /// summed over protocols.
    pub insurance_drawdown_usd: f64,
    /// Largest fall of the backstop pools' equity (at reference prices) below their capital, summed.
    pub backstop_drawdown_usd: f64,
    /// Dutch auctions started (`bark`) and finished (tab covered or lot sold out).
    pub auctions_started: u64,
    pub auctions_settled: u64,
    /// Compound III absorbs.
    pub absorbs: u64,
    pub backstop_takeovers: u64,
    /// Counterparty positions closed by auto-deleveraging.
    pub adl_events: u64,
    /// (position, block) pairs in which a circuit breaker held back a liquidatable position.
    pub liquidations_deferred: u64,
    /// USD value of the options desks' hedge trades (both directions).
    pub hedge_volume_usd: f64,
}

/// The mechanism counters of a run, added to [`Summary`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MechanismTotals {
    pub bad_debt_uncovered_usd: f64,
    pub insurance_drawdown_usd: f64,
    pub backstop_drawdown_usd: f64,
    pub auctions_started: u64,
    pub auctions_settled: u64,
    pub absorbs: u64,
    pub backstop_takeovers: u64,
    pub adl_events: u64,
    pub liquidations_deferred: u64,
    pub hedge_volume_usd: f64,
}
