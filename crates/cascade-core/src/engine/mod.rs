//! The block loop. Each block runs the same phases in the same order:
//!
//! 1. **prices**: each asset's reference price is its exogenous path times the permanent impact of
//!    the collateral liquidations (and other forced flow: backstop unwinds, hedges) have sold so far
//!    (the wider market absorbs that flow with finite depth; a block's sales move the next block's
//!    reference price);
//! 2. **arbitrage**: arbitrageurs trade every venue toward its asset's reference price, limited by
//!    their capital per block;
//! 3. **oracles**: every oracle reads its sources and publishes; protocols see values after latency;
//!    each protocol's circuit breakers observe what its oracles show;
//! 4. **agents**: options desks delta-hedge their books (`options`);
//! 5. **liquidations**: lending protocols (`lending`: keepers liquidate the accounts below a health
//!    factor of 1 when it pays, bonus - slippage - gas above their minimum, up to their capacity, and
//!    sell the seized collateral into the venue that pays most; or the protocol absorbs them, or a
//!    backstop pool takes them over), CDP vaults (`cdp`: bark, redo, take), perp exchanges (`perp`:
//!    market liquidation, backstop, ADL), options vaults (`options`: writers below margin);
//! 6. **settlement**: collateral that runs out leaves bad debt, recorded (insurance funds cover what
//!    they can); backstop pools unwind and protocols sell absorbed collateral, at their limited rates;
//! 7. **metrics**: the block's record.
//!
//! The run stops at equilibrium (the exogenous paths have ended, nothing that an oracle, a venue or
//! a reference price shows is still moving, nothing was liquidated or sold, and no mechanism has work
//! pending: a live auction, a pool to unwind, a breaker's window) or at the block limit.

mod agents;
mod attack;
mod breakers;
mod cdp;
mod lending;
mod options;
mod perp;
mod sales;

use crate::agents::AgentsModel;
use crate::cdp::CdpProtocol;
use crate::health_index::HealthIndex;
use crate::ids::{AccountId, AssetId, OracleId};
use crate::lending::LendingProtocol;
use crate::names::Name;
use crate::option_vault::OptionVault;
use crate::oracle::{OracleModel, OracleState, PriceSource};
use crate::perp_exchange::PerpExchange;
use crate::price_path::ReferencePath;
use crate::report::{
    BlockRecord, LiquidationEvent, MechanismTotals, ProtocolOutcome, StopReason, Summary,
};
use crate::venue::Venue;

use agents::AgentRuntime;
pub use agents::{AgentTotals, ChainBlockRecord};
use attack::AttackRuntime;
pub use attack::{AttackModel, AttackOutcome};
use cdp::CdpRuntime;
use lending::LendingRuntime;
use options::VaultRuntime;
use perp::PerpRuntime;
use sales::{KeeperBudget, Trading};

/// An asset and its exogenous price.
#[derive(Debug, Clone)]
pub struct AssetModel {
    pub symbol: String,
    pub path: ReferencePath,
    /// USD of liquidated collateral sold that moves the reference price down by 1% for good (the
    /// wider market absorbing the flow: permanent impact, linear in log price). `None`: infinitely
    /// deep, liquidations never move the reference price.
    pub external_depth_usd: Option<f64>,
}

/// A venue and the arbitrage capital that watches it.
#[derive(Debug, Clone)]
pub struct VenueModel {
    pub name: String,
    pub asset: AssetId,
    pub initial: Venue,
    pub arbitrage_capital_usd_per_block: f64,
}

/// A liquidator.
#[derive(Debug, Clone)]
pub struct KeeperModel {
    pub name: String,
    /// Smallest profit (USD, after slippage and gas) for which the keeper acts.
    pub min_profit_usd: f64,
    pub max_liquidations_per_block: u32,
    /// Debt the keeper can repay per block (USD): its working capital.
    pub capital_usd_per_block: f64,
    /// Highest gas price (gwei) the keeper's transactions bid: in a block whose gas price is above
    /// it, the keeper's transactions are not included and it does nothing (Maker's 2020 keepers ran
    /// with a fixed gas price). `None`: it always gets in.
    pub max_gas_price_gwei: Option<f64>,
}

/// Gas and block time.
#[derive(Debug, Clone)]
pub struct ChainModel {
    pub block_time_seconds: f64,
    pub gas_price_gwei: f64,
    /// Gas used by one liquidation transaction, swap included.
    pub liquidation_gas: f64,
    /// The asset gas is paid in (its reference price converts gas to USD); `None`: `gas_token_price_usd`.
    pub gas_token: Option<AssetId>,
    pub gas_token_price_usd: f64,
    /// The chain's one gas price series, one value per block (gwei), replacing `gas_price_gwei`:
    /// a replayed CSV interpolated linearly between its bars like a price replay (`cascade`'s
    /// `market::interpolate`); the last value holds after the series ends. `None`: `gas_price_gwei`
    /// throughout. Keepers' gas cost and fixed gas bids read it, and so does the block-space base
    /// fee (`GasPriceModel::Exogenous`).
    pub gas_price_series: Option<Vec<f64>>,
}

impl ChainModel {
    /// The gas price (gwei) of `block`: the series' value, or `gas_price_gwei` without one.
    pub fn gas_price_gwei_at(&self, block: u64) -> f64 {
        match &self.gas_price_series {
            Some(series) if !series.is_empty() => series[(block as usize).min(series.len() - 1)],
            _ => self.gas_price_gwei,
        }
    }

    /// The first block from which the gas price is constant (the series' last block, or 0).
    pub fn gas_price_settled_from(&self) -> u64 {
        self.gas_price_series
            .as_ref()
            .map_or(0, |series| series.len().saturating_sub(1) as u64)
    }
}

/// Run limits.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub max_blocks: u64,
    /// Relative change below which a price counts as settled.
    pub settle_tolerance: f64,
}

/// Everything a run starts from. Built by the `cascade` crate from a scenario file.
#[derive(Debug, Clone)]
pub struct Market {
    pub assets: Vec<AssetModel>,
    pub venues: Vec<VenueModel>,
    /// In evaluation order: an oracle reads only oracles before it.
    pub oracles: Vec<OracleModel>,
    pub protocols: Vec<LendingProtocol>,
    /// Maker-style CDP protocols (Dutch auctions).
    pub cdps: Vec<CdpProtocol>,
    /// Perpetual futures exchanges.
    pub perps: Vec<PerpExchange>,
    /// Options vaults and their delta-hedging desks.
    pub option_vaults: Vec<OptionVault>,
    pub keepers: Vec<KeeperModel>,
    pub chain: ChainModel,
    pub settings: EngineSettings,
    /// Behavioural keepers and borrowers and the chain's block space (default: none).
    pub agents: AgentsModel,
    /// An oracle manipulation attack (default: none).
    pub attack: Option<AttackModel>,
}

impl Market {
    /// Whether anything beyond plain fixed spread lending protocols is in the market: another
    /// mechanism, a pool, a breaker, CDPs, perps or options vaults. Such a market runs without the
    /// quiet-block shortcut (its mechanisms keep time) and outside the sorted-book fast path.
    pub fn uses_mechanisms(&self) -> bool {
        !self.cdps.is_empty()
            || !self.perps.is_empty()
            || !self.option_vaults.is_empty()
            || self.protocols.iter().any(|p| !p.setup.is_plain())
            || self.has_depth_dynamics()
            || self.attack.is_some()
    }

    /// Whether an order book's depth changes over time (then a quiet block is not a repeat of the
    /// last one: the book may have refilled).
    pub fn has_depth_dynamics(&self) -> bool {
        self.venues.iter().any(|v| v.initial.depth().is_some())
    }

    /// The asset with the largest exogenous fall (the first on ties): the one the summary follows.
    pub fn primary_asset(&self) -> AssetId {
        let paths: Vec<&ReferencePath> = self.assets.iter().map(|a| &a.path).collect();
        primary_asset_of(&paths, self.settings.max_blocks)
    }

    /// The first block from which every exogenous path is constant: the assets' prices and the
    /// chain's gas price (a run does not settle while a gas series can still let keepers back in or
    /// make a liquidation pay).
    pub fn paths_settled_from(&self) -> u64 {
        self.assets
            .iter()
            .map(|asset| asset.path.settled_from_block())
            .max()
            .unwrap_or(0)
            .max(self.chain.gas_price_settled_from())
    }
}

/// The path with the largest fall within `max_blocks` (the first on ties).
pub(crate) fn primary_asset_of(paths: &[&ReferencePath], max_blocks: u64) -> AssetId {
    let mut best = (0, -1.0);
    for (index, path) in paths.iter().enumerate() {
        let shock = path.max_drawdown(max_blocks);
        if shock > best.1 {
            best = (index, shock);
        }
    }
    AssetId(best.0 as u16)
}

/// Units that moved between holders during the run, per asset, for conservation checks: with
/// what the accounts, protocols, pools and desks hold at the end, they add up to what the accounts
/// held at the start (see `Simulation::holdings`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flows {
    /// Liquidated collateral sold into venues (or, for an asset without venues, to the external
    /// market at the reference price) by keepers and backstop pools.
    pub collateral_sold_to_market: Vec<f64>,
    /// Collateral bought by protocol-owned liquidity.
    pub collateral_to_pol: Vec<f64>,
    /// Debt repaid by keepers (lending liquidation calls), debt asset units.
    pub debt_repaid: Vec<f64>,
    /// Debt written off as bad debt (v3.3 deficit, Morpho/Euler realisation).
    pub debt_written_off: Vec<f64>,
    /// Debt absorbed by a Compound III protocol.
    pub debt_absorbed: Vec<f64>,
    /// Debt taken over by a backstop pool.
    pub debt_taken_over: Vec<f64>,
    /// Net units the options desks bought (negative: sold) into venues.
    pub hedge_bought: Vec<f64>,
    /// Collateral borrowers added (top-ups), units per asset.
    pub borrower_collateral_added: Vec<f64>,
    /// Debt borrowers repaid themselves (repayments and panic closes), debt asset units.
    pub borrower_debt_repaid: Vec<f64>,
    /// USD keepers received from their sales (venues and POL), paid for what they bought (debt,
    /// auction lots, store-front collateral), spent on gas and received as incentives.
    pub keeper_proceeds_usd: f64,
    pub keeper_paid_usd: f64,
    pub keeper_gas_usd: f64,
    pub keeper_incentives_usd: f64,
}

impl Flows {
    fn new(n_assets: usize) -> Self {
        Flows {
            collateral_sold_to_market: vec![0.0; n_assets],
            collateral_to_pol: vec![0.0; n_assets],
            debt_repaid: vec![0.0; n_assets],
            debt_written_off: vec![0.0; n_assets],
            debt_absorbed: vec![0.0; n_assets],
            debt_taken_over: vec![0.0; n_assets],
            hedge_bought: vec![0.0; n_assets],
            borrower_collateral_added: vec![0.0; n_assets],
            borrower_debt_repaid: vec![0.0; n_assets],
            ..Flows::default()
        }
    }
}

/// Where collateral is at a point of the run, per asset (units): the conservation identity is
/// `accounts + protocols + backstop + pol + sold = accounts at the start` for every asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdings {
    /// Lending accounts' collateral plus CDP vaults' `ink`.
    pub accounts: Vec<f64>,
    /// Protocol fees (treasuries), Compound reserves, collateral in live auctions.
    pub protocols: Vec<f64>,
    /// Backstop pools' lending positions.
    pub backstop: Vec<f64>,
    /// Protocol-owned liquidity's inventory.
    pub pol: Vec<f64>,
    /// Sold to the market by keepers, pools and panicking borrowers
    /// (`Flows::collateral_sold_to_market`).
    pub sold: Vec<f64>,
    /// Held by keepers that sell over time (agents).
    pub keepers: Vec<f64>,
}

impl Holdings {
    /// Per asset, the sum of every holder.
    pub fn total(&self) -> Vec<f64> {
        (0..self.accounts.len())
            .map(|a| {
                self.accounts[a]
                    + self.protocols[a]
                    + self.backstop[a]
                    + self.pol[a]
                    + self.sold[a]
                    + self.keepers[a]
            })
            .collect()
    }
}

/// Totals kept while running.
#[derive(Debug, Clone, Default)]
struct Totals {
    n_liquidations: u64,
    collateral_seized_usd: f64,
    debt_repaid_usd: f64,
    bonus_usd: f64,
    protocol_fees_usd: f64,
    bad_debt_usd: f64,
    keeper_profit_usd: f64,
    gas_usd: f64,
}

/// A run in progress. Call [`step`](Self::step) until it returns a stop reason, or [`run`](Self::run).
#[derive(Debug, Clone)]
pub struct Simulation {
    market: Market,
    block: u64,
    /// Per asset: log of the permanent impact of liquidation sales on the reference price.
    impact_log: Vec<f64>,
    exogenous: Vec<f64>,
    reference: Vec<f64>,
    /// The venues and the flow sold into them this block.
    trading: Trading,
    oracle_states: Vec<OracleState>,
    oracle_values: Vec<f64>,
    oracle_settled: Vec<bool>,
    /// Per protocol, per asset: the price the protocol reads.
    protocol_prices: Vec<Vec<f64>>,
    protocols: Vec<LendingProtocol>,
    indices: Vec<HealthIndex>,
    /// Per protocol, per asset: collateral the treasury received as protocol fees.
    pub treasury_collateral: Vec<Vec<f64>>,
    /// Per lending protocol: the state of its mechanism, pools and breakers.
    lending: Vec<LendingRuntime>,
    cdps: Vec<CdpRuntime>,
    perps: Vec<PerpRuntime>,
    vaults: Vec<VaultRuntime>,
    events: Vec<LiquidationEvent>,
    blocks: Vec<BlockRecord>,
    totals: Totals,
    mechanisms: MechanismTotals,
    flows: Flows,
    /// Per lending protocol: (account, collateral value seized from it in USD) for every liquidation
    /// of one of its accounts, in order (appended, not indexed by account: a liquidation then
    /// touches no per-account array; [`Self::seized_by_account`] adds them up).
    seizures: Vec<Vec<(AccountId, f64)>>,
    lowest_primary_price: f64,
    primary: AssetId,
    stop_reason: Option<StopReason>,
    /// The prices of the last block in which keepers liquidated nothing, and how many accounts were
    /// below HF 1 then.
    quiet_liquidation_inputs: Option<(LiquidationInputs, u32)>,
    /// The agents' state (inactive without `Market::agents`).
    agents: AgentRuntime,
    /// The oracle manipulation attack's state, from its first block.
    attack: Option<AttackRuntime>,
    /// A liquidation's debt row before it ran (a buffer kept to avoid an allocation per call).
    debt_before: Vec<f64>,
    /// The names events carry, made once.
    names: EventNames,
}

/// The names of the market's protocols, keepers and assets as events carry them: shared, so that
/// recording an event copies no string.
#[derive(Debug, Clone)]
struct EventNames {
    lending: Vec<Name>,
    cdps: Vec<Name>,
    perps: Vec<Name>,
    keepers: Vec<Name>,
    assets: Vec<Name>,
    vaults: Vec<Name>,
    /// The debt asset of perps and options (their margin is in USD).
    usd: Name,
    backstop: Name,
    absorb: Name,
    liquidation_engine: Name,
    adl: Name,
    /// The account of store-front sales: a Compound market's reserves.
    reserves: Name,
}

impl EventNames {
    fn new(market: &Market) -> Self {
        EventNames {
            lending: market
                .protocols
                .iter()
                .map(|p| Name::new(&p.name))
                .collect(),
            cdps: market.cdps.iter().map(|p| Name::new(&p.name)).collect(),
            perps: market.perps.iter().map(|p| Name::new(&p.name)).collect(),
            keepers: market.keepers.iter().map(|k| Name::new(&k.name)).collect(),
            assets: market.assets.iter().map(|a| Name::new(&a.symbol)).collect(),
            vaults: market
                .option_vaults
                .iter()
                .map(|v| Name::new(&v.name))
                .collect(),
            usd: Name::new("USD"),
            backstop: Name::new("backstop"),
            absorb: Name::new("absorb"),
            liquidation_engine: Name::new("liquidation-engine"),
            adl: Name::new("adl"),
            reserves: Name::new("reserves"),
        }
    }
}

/// Everything the liquidation phase reads besides balances (which only liquidations change).
#[derive(Debug, Clone, PartialEq)]
struct LiquidationInputs {
    gas_price_gwei: f64,
    reference: Vec<f64>,
    venue_prices: Vec<f64>,
    protocol_prices: Vec<Vec<f64>>,
}

impl Simulation {
    pub fn new(market: Market) -> Self {
        let n_assets = market.assets.len();
        let exogenous: Vec<f64> = market
            .assets
            .iter()
            .map(|asset| asset.path.price_at(0))
            .collect();
        let trading = Trading::new(&market);
        // Oracles start out having published their sources' initial values forever.
        let mut oracle_values: Vec<f64> = Vec::with_capacity(market.oracles.len());
        let mut oracle_states = Vec::with_capacity(market.oracles.len());
        for model in &market.oracles {
            let read = |source: PriceSource| {
                read_source(source, &exogenous, &trading.venues, &oracle_values)
            };
            let initial = model.kind.read_sources(read);
            oracle_states.push(OracleState::new(model, initial));
            oracle_values.push(initial);
        }
        let protocol_prices: Vec<Vec<f64>> = market
            .protocols
            .iter()
            .map(|protocol| protocol_prices(&protocol.oracle_of_asset, &oracle_values, &exogenous))
            .collect();
        let indices = market
            .protocols
            .iter()
            .zip(&protocol_prices)
            .map(|(protocol, prices)| HealthIndex::new(protocol, prices))
            .collect();
        let block_time = market.chain.block_time_seconds;
        let lending = market
            .protocols
            .iter()
            .zip(&protocol_prices)
            .map(|(protocol, prices)| LendingRuntime::new(protocol, prices, block_time))
            .collect();
        let cdps = market
            .cdps
            .iter()
            .map(|cdp| CdpRuntime::new(cdp, n_assets, block_time))
            .collect();
        let perps = market
            .perps
            .iter()
            .map(|exchange| PerpRuntime::new(exchange, n_assets, block_time))
            .collect();
        let vaults = market
            .option_vaults
            .iter()
            .map(|vault| {
                let spot = oracle_values[vault.oracle.index()];
                VaultRuntime::new(vault, spot)
            })
            .collect();
        let primary = market.primary_asset();
        let agents = AgentRuntime::new(&market, &protocol_prices);
        Simulation {
            agents,
            block: 0,
            impact_log: vec![0.0; n_assets],
            reference: exogenous.clone(),
            lowest_primary_price: exogenous[primary.index()],
            exogenous,
            trading,
            oracle_settled: vec![true; market.oracles.len()],
            oracle_states,
            oracle_values,
            protocol_prices,
            protocols: market
                .protocols
                .iter()
                .map(LendingProtocol::par_clone)
                .collect(),
            indices,
            treasury_collateral: vec![vec![0.0; n_assets]; market.protocols.len()],
            lending,
            cdps,
            perps,
            vaults,
            events: Vec::new(),
            blocks: Vec::new(),
            totals: Totals::default(),
            mechanisms: MechanismTotals::default(),
            flows: Flows::new(n_assets),
            seizures: vec![Vec::new(); market.protocols.len()],
            primary,
            stop_reason: None,
            quiet_liquidation_inputs: None,
            attack: None,
            debt_before: Vec::with_capacity(n_assets),
            names: EventNames::new(&market),
            market,
        }
    }

    pub fn market(&self) -> &Market {
        &self.market
    }

    /// The next block to run.
    pub fn block(&self) -> u64 {
        self.block
    }

    pub fn blocks(&self) -> &[BlockRecord] {
        &self.blocks
    }

    pub fn events(&self) -> &[LiquidationEvent] {
        &self.events
    }

    pub fn protocols(&self) -> &[LendingProtocol] {
        &self.protocols
    }

    /// The CDP protocols as they are now (vaults' `ink` and `art`).
    pub fn cdps(&self) -> Vec<&CdpProtocol> {
        self.cdps.iter().map(|runtime| &runtime.protocol).collect()
    }

    /// The perp exchanges as they are now.
    pub fn perps(&self) -> Vec<&PerpExchange> {
        self.perps.iter().map(|runtime| &runtime.exchange).collect()
    }

    /// Each perp exchange's insurance fund balance now.
    pub fn perp_insurance_balances(&self) -> Vec<f64> {
        self.perps.iter().map(|r| r.insurance.balance).collect()
    }

    /// The options vaults as they are now (writers' collateral and open shorts).
    pub fn option_vaults(&self) -> Vec<&OptionVault> {
        self.vaults.iter().map(|runtime| &runtime.vault).collect()
    }

    /// Units moved between holders so far.
    pub fn flows(&self) -> &Flows {
        &self.flows
    }

    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop_reason
    }

    /// Seconds since block 0 at the start of `block`.
    fn now(&self, block: u64) -> u64 {
        (block as f64 * self.market.chain.block_time_seconds).round() as u64
    }

    /// Runs to the end and returns why it stopped.
    pub fn run(&mut self) -> StopReason {
        loop {
            if let Some(reason) = self.step() {
                return reason;
            }
        }
    }

    /// Runs one block. Returns the stop reason once the run is over (and keeps returning it).
    pub fn step(&mut self) -> Option<StopReason> {
        if let Some(reason) = self.stop_reason {
            return Some(reason);
        }
        let block = self.block;
        let previous_reference = self.reference.clone();
        let previous_venues: Vec<f64> = self.trading.venues.iter().map(Venue::price).collect();
        let extended = self.market.uses_mechanisms() || self.agents.active;

        self.begin_chain_block(block);
        self.update_reference_prices(block);
        let arbitrage_volume_usd = self.run_arbitrage();
        self.run_attack(block);
        self.update_oracles(block);
        let mut outcome = if extended {
            self.observe_breakers(block);
            let mut outcome = BlockOutcome::default();
            self.run_hedgers(block, &mut outcome);
            self.run_borrowers(&mut outcome);
            self.run_all_liquidations(block, &mut outcome);
            self.run_settlement(block, &mut outcome);
            self.unwind_keeper_inventory(&mut outcome);
            outcome
        } else {
            let inputs = LiquidationInputs {
                gas_price_gwei: self.market.chain.gas_price_gwei_at(block),
                reference: self.reference.clone(),
                venue_prices: self.trading.venues.iter().map(Venue::price).collect(),
                protocol_prices: self.protocol_prices.clone(),
            };
            // A block whose prices are bit-identical to a previous block that liquidated nothing,
            // with no balance changed since, liquidates nothing either: the keepers' decision is a
            // function of exactly these inputs. The long quiet tail of a run costs almost nothing.
            let outcome = match &self.quiet_liquidation_inputs {
                Some((previous, n_liquidatable)) if *previous == inputs => BlockOutcome {
                    n_liquidatable: *n_liquidatable,
                    ..BlockOutcome::default()
                },
                _ => {
                    let mut outcome = BlockOutcome::default();
                    self.run_all_liquidations(block, &mut outcome);
                    outcome
                }
            };
            self.quiet_liquidation_inputs =
                (outcome.n_liquidations == 0).then_some((inputs, outcome.n_liquidatable));
            outcome
        };
        if extended {
            outcome.pending = self.mechanisms_pending(block)
                || self.agents.pending()
                || self.depth_pending()
                || (self.market.attack.as_ref())
                    .is_some_and(|attack| AttackRuntime::pending(attack, block));
            self.track_pools();
        }
        self.end_chain_block();
        self.record_block(block, arbitrage_volume_usd, &outcome);

        let tolerance = self.market.settings.settle_tolerance;
        let moved = |before: f64, after: f64| (after / before - 1.0).abs() > tolerance;
        let reference_moving = previous_reference
            .iter()
            .zip(&self.reference)
            .any(|(b, a)| moved(*b, *a));
        let venues_moving = previous_venues
            .iter()
            .zip(&self.trading.venues)
            .any(|(b, venue)| moved(*b, venue.price()));
        let oracles_moving = self.oracle_settled.iter().any(|settled| !settled);
        let settled = block >= self.market.paths_settled_from()
            && outcome.n_liquidations == 0
            && outcome.n_actions == 0
            && !outcome.pending
            && !reference_moving
            && !venues_moving
            && !oracles_moving;

        self.block += 1;
        self.stop_reason = if settled {
            Some(if outcome.n_liquidatable == 0 {
                StopReason::NoLiquidatablePositions
            } else {
                StopReason::LiquidationUnprofitable
            })
        } else if self.block >= self.market.settings.max_blocks {
            Some(StopReason::BlockLimit)
        } else {
            None
        };
        self.stop_reason
    }

    fn update_reference_prices(&mut self, block: u64) {
        for (asset_index, asset) in self.market.assets.iter().enumerate() {
            // Collateral dumped by liquidations last block is absorbed by the wider market: linear
            // permanent impact in log price, 1% for every `external_depth_usd` sold.
            if let Some(depth) = asset.external_depth_usd {
                self.impact_log[asset_index] +=
                    (1.0 - 0.01_f64).ln() * self.trading.sold_usd[asset_index] / depth;
            }
            self.trading.sold_usd[asset_index] = 0.0;
            self.exogenous[asset_index] = asset.path.price_at(block);
            self.reference[asset_index] =
                self.exogenous[asset_index] * self.impact_log[asset_index].exp();
        }
    }

    /// Returns the absolute USD volume the arbitrageurs traded.
    fn run_arbitrage(&mut self) -> f64 {
        let mut volume = 0.0;
        for (venue, model) in self.trading.venues.iter_mut().zip(&self.market.venues) {
            // Order books' depth refills and follows price and volatility before anyone trades.
            venue.begin_block();
            let trade = venue.arbitrage(
                self.reference[model.asset.index()],
                model.arbitrage_capital_usd_per_block,
            );
            volume += trade.quote_paid.abs();
        }
        volume
    }

    fn update_oracles(&mut self, block: u64) {
        let tolerance = self.market.settings.settle_tolerance;
        for (oracle_index, model) in self.market.oracles.iter().enumerate() {
            let (reference, venues, values) =
                (&self.reference, &self.trading.venues, &self.oracle_values);
            let read = |source: PriceSource| read_source(source, reference, venues, values);
            let state = &mut self.oracle_states[oracle_index];
            let value = state.update(model, block, read);
            self.oracle_settled[oracle_index] = state.is_settled(model, tolerance);
            self.oracle_values[oracle_index] = value;
        }
        for (protocol, prices) in self.protocols.iter().zip(&mut self.protocol_prices) {
            *prices = protocol_prices(
                &protocol.oracle_of_asset,
                &self.oracle_values,
                &self.reference,
            );
        }
    }

    /// The prices a protocol reading `oracle_of_asset` sees now.
    fn prices_for(&self, oracle_of_asset: &[Option<OracleId>]) -> Vec<f64> {
        protocol_prices(oracle_of_asset, &self.oracle_values, &self.reference)
    }

    /// The gas price (gwei) of `block`: with block space, the block's base fee (the chain's gas
    /// price, or EIP-1559's congestion price); otherwise the chain's gas price. Keepers pay it and
    /// their fixed bids (`max_gas_price_gwei`) must reach it.
    fn block_gas_price_gwei(&self, block: u64) -> f64 {
        if self.agents.active && self.market.agents.block_space.is_some() {
            self.agents.base_fee_gwei
        } else {
            self.market.chain.gas_price_gwei_at(block)
        }
    }

    /// USD of one liquidation's gas in `block`.
    fn gas_cost_usd(&self, block: u64) -> f64 {
        self.block_gas_price_gwei(block)
            * 1e-9
            * self.market.chain.liquidation_gas
            * self.gas_token_price_usd()
    }

    /// USD of one unit of the gas token now.
    fn gas_token_price_usd(&self) -> f64 {
        let chain = &self.market.chain;
        match chain.gas_token {
            Some(asset) => self.reference[asset.index()],
            None => chain.gas_token_price_usd,
        }
    }

    /// Every protocol's breakers see what its oracles show this block.
    fn observe_breakers(&mut self, block: u64) {
        let now = self.now(block);
        for (index, runtime) in self.lending.iter_mut().enumerate() {
            runtime
                .breakers
                .observe(block, now, &self.protocol_prices[index]);
        }
        for index in 0..self.cdps.len() {
            let prices = self.prices_for(&self.cdps[index].protocol.oracle_of_asset);
            self.cdps[index].breakers.observe(block, now, &prices);
        }
        for index in 0..self.perps.len() {
            let prices =
                self.perps[index].marks_by_asset(&self.oracle_values, self.reference.len());
            self.perps[index].breakers.observe(block, now, &prices);
        }
    }

    /// The liquidation phase of every protocol, in the order lending, CDP, perps, options, sharing
    /// the keepers' per-block capacity.
    fn run_all_liquidations(&mut self, block: u64, outcome: &mut BlockOutcome) {
        let gas_usd = self.gas_cost_usd(block);
        let mut budget = KeeperBudget::new(&self.market.keepers);
        // Keepers whose gas bid is below the block's gas price are not included this block.
        let gas_price = self.block_gas_price_gwei(block);
        for (keeper, calls) in self.market.keepers.iter().zip(&mut budget.calls_left) {
            if keeper.max_gas_price_gwei.is_some_and(|cap| cap < gas_price) {
                *calls = 0;
            }
        }
        self.reserve_keepers_for_attack(block, &mut budget);
        for protocol_index in 0..self.protocols.len() {
            self.run_lending(block, protocol_index, &mut budget, gas_usd, outcome);
        }
        for cdp_index in 0..self.cdps.len() {
            self.run_cdp(block, cdp_index, &mut budget, gas_usd, outcome);
        }
        for perp_index in 0..self.perps.len() {
            self.run_perp(block, perp_index, outcome);
        }
        for vault_index in 0..self.vaults.len() {
            self.run_vault(block, vault_index, outcome);
        }
        if self.market.uses_mechanisms() {
            // Store-front sales use what keepers have left after liquidating.
            for protocol_index in 0..self.protocols.len() {
                self.run_store_front(block, protocol_index, &mut budget, gas_usd, outcome);
            }
        }
    }

    /// Settlement: backstop pools unwind at their limited rate.
    fn run_settlement(&mut self, block: u64, outcome: &mut BlockOutcome) {
        for protocol_index in 0..self.protocols.len() {
            self.unwind_lending_backstop(block, protocol_index, outcome);
        }
        for perp_index in 0..self.perps.len() {
            self.unwind_perp_backstop(block, perp_index, outcome);
        }
    }

    /// Whether some mechanism still has work that time alone will bring (a live auction, a pool to
    /// unwind, a cooldown, a breaker's window).
    /// Whether an order book is still refilling or its volatility still decaying.
    fn depth_pending(&self) -> bool {
        let tolerance = self.market.settings.settle_tolerance;
        self.trading
            .venues
            .iter()
            .any(|venue| venue.depth().is_some_and(|d| !d.is_settled(tolerance)))
    }

    fn mechanisms_pending(&self, block: u64) -> bool {
        let now = self.now(block);
        self.lending.iter().any(|r| r.pending(now))
            || self.cdps.iter().any(|r| r.pending(now))
            || self.perps.iter().any(|r| r.pending(now))
    }

    /// Updates the pools' lowest balances (insurance funds, reserves, backstop equity).
    fn track_pools(&mut self) {
        for runtime in &mut self.lending {
            runtime.track(&self.reference);
        }
        for runtime in &mut self.perps {
            let marks = runtime.marks(&self.oracle_values);
            runtime.track(&marks);
        }
        for runtime in &mut self.vaults {
            runtime.track();
        }
    }

    /// The mechanism counters of the run so far.
    fn mechanism_totals(&self) -> MechanismTotals {
        let mut totals = self.mechanisms;
        totals.insurance_drawdown_usd = 0.0;
        totals.backstop_drawdown_usd = 0.0;
        totals.bad_debt_uncovered_usd = self.totals.bad_debt_usd;
        let mut covered = 0.0;
        for runtime in &self.lending {
            totals.insurance_drawdown_usd += runtime.insurance_drawdown();
            totals.backstop_drawdown_usd += runtime.backstop_drawdown();
            covered += runtime.covered();
        }
        for runtime in &self.perps {
            totals.insurance_drawdown_usd += runtime.insurance_drawdown();
            totals.backstop_drawdown_usd += runtime.backstop_drawdown();
            covered += runtime.covered();
        }
        for runtime in &self.vaults {
            totals.insurance_drawdown_usd += runtime.insurance_drawdown();
            covered += runtime.covered();
        }
        totals.bad_debt_uncovered_usd = (totals.bad_debt_uncovered_usd - covered).max(0.0);
        totals
    }

    /// Each protocol's liquidations, bad debt and pools, in the order lending, CDP, perps, options.
    pub fn protocol_outcomes(&self) -> Vec<ProtocolOutcome> {
        let mut outcomes: Vec<ProtocolOutcome> = Vec::new();
        let mut push = |name: &str, kind: &str, insurance: f64, backstop: f64, covered: f64| {
            outcomes.push(ProtocolOutcome {
                name: name.to_string(),
                kind: kind.to_string(),
                n_liquidations: 0,
                liquidated_value_usd: 0.0,
                bad_debt_usd: 0.0,
                bad_debt_uncovered_usd: -covered,
                insurance_drawdown_usd: insurance,
                backstop_drawdown_usd: backstop,
                peak_liquidations_per_block: 0,
                keeper_profit_usd: 0.0,
            })
        };
        for (protocol, runtime) in self.protocols.iter().zip(&self.lending) {
            push(
                &protocol.name,
                "lending",
                runtime.insurance_drawdown(),
                runtime.backstop_drawdown(),
                runtime.covered(),
            );
        }
        for runtime in &self.cdps {
            push(&runtime.protocol.name, "cdp", 0.0, 0.0, 0.0);
        }
        for runtime in &self.perps {
            push(
                &runtime.exchange.name,
                "perp",
                runtime.insurance_drawdown(),
                runtime.backstop_drawdown(),
                runtime.covered(),
            );
        }
        for runtime in &self.vaults {
            push(
                &runtime.vault.name,
                "options_vault",
                runtime.insurance_drawdown(),
                0.0,
                runtime.covered(),
            );
        }
        let mut per_block: Vec<(u64, u32)> = vec![(u64::MAX, 0); outcomes.len()];
        for event in &self.events {
            let Some(index) = outcomes.iter().position(|o| o.name == event.protocol) else {
                continue;
            };
            let outcome = &mut outcomes[index];
            if event.kind.is_liquidation() {
                outcome.n_liquidations += 1;
                let (block, count) = &mut per_block[index];
                if *block != event.block {
                    *block = event.block;
                    *count = 0;
                }
                *count += 1;
                outcome.peak_liquidations_per_block =
                    outcome.peak_liquidations_per_block.max(*count);
            }
            if event.kind.counts_value() {
                outcome.liquidated_value_usd += event.collateral_seized_usd;
            }
            outcome.bad_debt_usd += event.bad_debt_usd;
            outcome.keeper_profit_usd += event.keeper_profit_usd;
        }
        for outcome in &mut outcomes {
            outcome.bad_debt_uncovered_usd =
                (outcome.bad_debt_usd + outcome.bad_debt_uncovered_usd).max(0.0);
        }
        outcomes
    }

    /// Where every asset's collateral is now (see [`Holdings`]).
    pub fn holdings(&self) -> Holdings {
        let n_assets = self.market.assets.len();
        let mut holdings = Holdings {
            accounts: vec![0.0; n_assets],
            protocols: vec![0.0; n_assets],
            backstop: vec![0.0; n_assets],
            pol: vec![0.0; n_assets],
            sold: self.flows.collateral_sold_to_market.clone(),
            keepers: vec![0.0; n_assets],
        };
        self.agents.add_holdings(&mut holdings);
        for (index, protocol) in self.protocols.iter().enumerate() {
            for account in 0..protocol.n_accounts() {
                for (asset, amount) in protocol
                    .collateral_row(AccountId(account as u32))
                    .iter()
                    .enumerate()
                {
                    holdings.accounts[asset] += amount;
                }
            }
            for asset in 0..n_assets {
                holdings.protocols[asset] += self.treasury_collateral[index][asset];
            }
            self.lending[index].add_holdings(&mut holdings);
        }
        for runtime in &self.cdps {
            runtime.add_holdings(&mut holdings);
        }
        holdings
    }

    /// Collateral held by the accounts at the start, per asset (lending accounts and CDP vaults).
    pub fn initial_collateral(&self) -> Vec<f64> {
        let n_assets = self.market.assets.len();
        let mut total = vec![0.0; n_assets];
        for protocol in &self.market.protocols {
            for account in 0..protocol.n_accounts() {
                for (asset, amount) in protocol
                    .collateral_row(AccountId(account as u32))
                    .iter()
                    .enumerate()
                {
                    total[asset] += amount;
                }
            }
        }
        for cdp in &self.market.cdps {
            for (asset, amount) in cdp.totals(n_assets).0.iter().enumerate() {
                total[asset] += amount;
            }
        }
        total
    }

    /// Records one event and adds it to the block's outcome and the run's totals.
    pub(crate) fn record_event(&mut self, event: LiquidationEvent, outcome: &mut BlockOutcome) {
        outcome.n_actions += 1;
        if event.kind.is_liquidation() {
            outcome.n_liquidations += 1;
            self.totals.n_liquidations += 1;
        }
        if event.kind.counts_value() {
            outcome.collateral_seized_usd += event.collateral_seized_usd;
            outcome.debt_repaid_usd += event.debt_repaid_usd;
            outcome.bonus_usd += event.bonus_usd;
            let totals = &mut self.totals;
            totals.collateral_seized_usd += event.collateral_seized_usd;
            totals.debt_repaid_usd += event.debt_repaid_usd;
            totals.bonus_usd += event.bonus_usd;
            totals.protocol_fees_usd += event.protocol_fee_usd;
        }
        outcome.bad_debt_usd += event.bad_debt_usd;
        outcome.keeper_profit_usd += event.keeper_profit_usd;
        self.totals.bad_debt_usd += event.bad_debt_usd;
        self.totals.keeper_profit_usd += event.keeper_profit_usd;
        self.totals.gas_usd += event.gas_usd;
        self.events.push(event);
    }

    fn record_block(&mut self, block: u64, arbitrage_volume_usd: f64, outcome: &BlockOutcome) {
        let venue_prices: Vec<f64> = self.trading.venues.iter().map(Venue::price).collect();
        let primary = self.primary.index();
        let mut lowest = self.reference[primary];
        for (venue, model) in venue_prices.iter().zip(&self.market.venues) {
            if model.asset.index() == primary {
                lowest = lowest.min(*venue);
            }
        }
        self.lowest_primary_price = self.lowest_primary_price.min(lowest);
        self.blocks.push(BlockRecord {
            block,
            exogenous_prices: self.exogenous.clone(),
            reference_prices: self.reference.clone(),
            venue_prices,
            oracle_prices: self.oracle_values.clone(),
            n_liquidations: outcome.n_liquidations,
            n_liquidatable: outcome.n_liquidatable,
            collateral_seized_usd: outcome.collateral_seized_usd,
            debt_repaid_usd: outcome.debt_repaid_usd,
            bonus_usd: outcome.bonus_usd,
            bad_debt_usd: outcome.bad_debt_usd,
            cumulative_bad_debt_usd: self.totals.bad_debt_usd,
            keeper_profit_usd: outcome.keeper_profit_usd,
            arbitrage_volume_usd,
        });
    }

    /// The summary of the run so far (complete once [`step`](Self::step) has returned a reason).
    pub fn summary(&self) -> Summary {
        let mut insolvent_debt_usd = 0.0;
        for (protocol, prices) in self.protocols.iter().zip(&self.protocol_prices) {
            for account_index in 0..protocol.n_accounts() {
                let account = AccountId(account_index as u32);
                let gap =
                    protocol.debt_usd(account, prices) - protocol.collateral_usd(account, prices);
                if gap > 0.0 {
                    insolvent_debt_usd += gap;
                }
            }
        }
        for runtime in &self.cdps {
            let prices = self.prices_for(&runtime.protocol.oracle_of_asset);
            insolvent_debt_usd += runtime.insolvent_debt_usd(&prices);
        }
        let n_positions_liquidated = self
            .cdps
            .iter()
            .map(CdpRuntime::n_liquidated)
            .chain(self.perps.iter().map(PerpRuntime::n_liquidated))
            .chain(self.vaults.iter().map(VaultRuntime::n_liquidated))
            .sum::<u64>();
        let (peak_block, peak) = self
            .blocks
            .iter()
            .map(|record| (record.block, record.n_liquidations))
            .fold(
                (0, 0),
                |best, (block, n)| if n > best.1 { (block, n) } else { best },
            );
        let paths: Vec<&ReferencePath> = self.market.assets.iter().map(|a| &a.path).collect();
        SummaryParts {
            paths: &paths,
            primary: self.primary,
            primary_symbol: &self.market.assets[self.primary.index()].symbol,
            blocks_run: self.block,
            equilibrium_price: self.reference[self.primary.index()],
            lowest_price: self.lowest_primary_price,
            n_liquidations: self.totals.n_liquidations,
            n_accounts_liquidated: (0..self.protocols.len())
                .map(|p| self.seized_by_account(p).len() as u64)
                .sum::<u64>()
                + n_positions_liquidated,
            collateral_seized_usd: self.totals.collateral_seized_usd,
            debt_repaid_usd: self.totals.debt_repaid_usd,
            bonus_usd: self.totals.bonus_usd,
            protocol_fees_usd: self.totals.protocol_fees_usd,
            bad_debt_usd: self.totals.bad_debt_usd,
            insolvent_debt_usd,
            keeper_profit_usd: self.totals.keeper_profit_usd,
            gas_usd: self.totals.gas_usd,
            peak_liquidations: (peak_block, peak),
            seized_per_block: &mut self
                .blocks
                .iter()
                .map(|r| (r.block, r.collateral_seized_usd)),
            stop_reason: self.stop_reason.unwrap_or(StopReason::BlockLimit),
            n_liquidatable_at_stop: self
                .blocks
                .last()
                .map_or(0, |record| u64::from(record.n_liquidatable)),
            mechanisms: self.mechanism_totals(),
        }
        .summary()
    }

    /// Accounts liquidated in this run that the exogenous paths alone would never have made
    /// liquidatable: with their initial balances, their health factor at the exogenous prices of every
    /// block stays at or above 1. They were liquidated only because earlier liquidations moved the
    /// price: the cascade proper. Returns their number and the collateral value seized from them.
    pub fn induced_liquidations(&self) -> (u64, f64) {
        // The block where the primary asset's exogenous price is lowest settles most accounts at once.
        let worst_block = self
            .blocks
            .iter()
            .min_by(|a, b| {
                a.exogenous_prices[self.primary.index()]
                    .total_cmp(&b.exogenous_prices[self.primary.index()])
            })
            .map(|record| &record.exogenous_prices);
        let (mut count, mut value) = (0, 0.0);
        for (protocol_index, initial) in self.market.protocols.iter().enumerate() {
            for (account, seized) in self.seized_by_account(protocol_index) {
                let below = |prices: &Vec<f64>| initial.health_factor(account, prices) < 1.0;
                if worst_block.is_some_and(below)
                    || self.blocks.iter().any(|r| below(&r.exogenous_prices))
                {
                    continue;
                }
                count += 1;
                value += seized;
            }
        }
        (count, value)
    }

    /// The accounts of lending protocol `p` liquidated so far, in account order, each with the
    /// collateral value seized from it (USD, added up in the order of the liquidations).
    fn seized_by_account(&self, p: usize) -> Vec<(AccountId, f64)> {
        let mut log = self.seizures[p].clone();
        // Stable: each account's seizures keep their order, so the sums are the same to the bit
        // as adding them up as they happened.
        log.sort_by_key(|&(account, _)| account);
        let mut totals: Vec<(AccountId, f64)> = Vec::new();
        for (account, seized) in log {
            match totals.last_mut() {
                Some((last, total)) if *last == account => *total += seized,
                _ => totals.push((account, 0.0 + seized)),
            }
        }
        totals
    }
}

/// What [`Summary`] is computed from; shared by the full engine and the sorted-book fast path so
/// both define every headline number the same way.
pub(crate) struct SummaryParts<'a> {
    pub paths: &'a [&'a ReferencePath],
    pub primary: AssetId,
    pub primary_symbol: &'a str,
    /// Blocks run (the next block's number).
    pub blocks_run: u64,
    pub equilibrium_price: f64,
    pub lowest_price: f64,
    pub n_liquidations: u64,
    pub n_accounts_liquidated: u64,
    pub collateral_seized_usd: f64,
    pub debt_repaid_usd: f64,
    pub bonus_usd: f64,
    pub protocol_fees_usd: f64,
    pub bad_debt_usd: f64,
    pub insolvent_debt_usd: f64,
    pub keeper_profit_usd: f64,
    pub gas_usd: f64,
    /// (block, liquidations) of the first block with the most liquidations.
    pub peak_liquidations: (u64, u32),
    /// (block, collateral seized in USD) for every block run, in order.
    pub seized_per_block: &'a mut dyn Iterator<Item = (u64, f64)>,
    pub stop_reason: StopReason,
    pub n_liquidatable_at_stop: u64,
    pub mechanisms: MechanismTotals,
}

impl SummaryParts<'_> {
    pub fn summary(self) -> Summary {
        let path = self.paths[self.primary.index()];
        let initial_price = path.initial_price();
        let last_block = self.blocks_run.saturating_sub(1);
        let initial_shock = path.max_drawdown(last_block);
        let final_drawdown = 1.0 - self.equilibrium_price / initial_price;
        let max_drawdown = 1.0 - self.lowest_price / initial_price;
        let ratio = |drawdown: f64| {
            if initial_shock > 0.0 {
                drawdown / initial_shock
            } else {
                0.0
            }
        };
        let shock_start = self
            .paths
            .iter()
            .filter_map(|path| path.first_move_block())
            .min()
            .unwrap_or(0);
        let mut seized_so_far = 0.0;
        let mut cascade_end = shock_start;
        for (block, seized) in self.seized_per_block {
            seized_so_far += seized;
            if seized_so_far >= 0.99 * self.collateral_seized_usd {
                cascade_end = block + 1;
                break;
            }
        }
        Summary {
            primary_asset: self.primary_symbol.to_string(),
            initial_price,
            shocked_price: path.price_at(last_block),
            equilibrium_price: self.equilibrium_price,
            lowest_price: self.lowest_price,
            initial_shock,
            final_drawdown,
            max_drawdown,
            amplification: ratio(final_drawdown),
            peak_amplification: ratio(max_drawdown),
            n_liquidations: self.n_liquidations,
            n_accounts_liquidated: self.n_accounts_liquidated,
            liquidated_value_usd: self.collateral_seized_usd,
            collateral_seized_usd: self.collateral_seized_usd,
            debt_repaid_usd: self.debt_repaid_usd,
            bonus_paid_usd: self.bonus_usd,
            protocol_fees_usd: self.protocol_fees_usd,
            bad_debt_usd: self.bad_debt_usd,
            insolvent_debt_usd: self.insolvent_debt_usd,
            keeper_profit_usd: self.keeper_profit_usd,
            gas_spent_usd: self.gas_usd,
            peak_liquidations_per_block: self.peak_liquidations.1,
            peak_liquidations_block: self.peak_liquidations.0,
            blocks_to_equilibrium: self.blocks_run.saturating_sub(shock_start),
            cascade_duration_blocks: cascade_end.saturating_sub(shock_start),
            blocks_simulated: self.blocks_run,
            stop_reason: self.stop_reason,
            n_liquidatable_at_stop: self.n_liquidatable_at_stop,
            bad_debt_uncovered_usd: self.mechanisms.bad_debt_uncovered_usd,
            insurance_drawdown_usd: self.mechanisms.insurance_drawdown_usd,
            backstop_drawdown_usd: self.mechanisms.backstop_drawdown_usd,
            auctions_started: self.mechanisms.auctions_started,
            auctions_settled: self.mechanisms.auctions_settled,
            absorbs: self.mechanisms.absorbs,
            backstop_takeovers: self.mechanisms.backstop_takeovers,
            adl_events: self.mechanisms.adl_events,
            liquidations_deferred: self.mechanisms.liquidations_deferred,
            hedge_volume_usd: self.mechanisms.hedge_volume_usd,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct BlockOutcome {
    n_liquidations: u32,
    /// Every event (liquidations and sales), hedge trades and unwinds: activity that keeps the run
    /// from settling.
    n_actions: u32,
    n_liquidatable: u32,
    /// A mechanism has time-driven work left (see `Simulation::mechanisms_pending`).
    pending: bool,
    collateral_seized_usd: f64,
    debt_repaid_usd: f64,
    bonus_usd: f64,
    bad_debt_usd: f64,
    keeper_profit_usd: f64,
}

/// What `source` reads now (the fast path passes no venues: its markets have none).
pub(crate) fn read_source(
    source: PriceSource,
    reference: &[f64],
    venues: &[Venue],
    oracle_values: &[f64],
) -> f64 {
    match source {
        PriceSource::Venue(venue) => venues[venue.index()].price(),
        PriceSource::Reference(asset) => reference[asset.index()],
        PriceSource::Oracle(OracleId(index)) => oracle_values[index as usize],
        PriceSource::Constant(price) => price,
    }
}

fn protocol_prices(
    oracle_of_asset: &[Option<OracleId>],
    oracle_values: &[f64],
    reference: &[f64],
) -> Vec<f64> {
    oracle_of_asset
        .iter()
        .enumerate()
        .map(|(asset, oracle)| match oracle {
            Some(oracle) => oracle_values[oracle.index()],
            None => reference[asset],
        })
        .collect()
}
