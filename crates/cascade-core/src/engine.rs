//! The block loop. Each block runs the same phases in the same order:
//!
//! 1. **prices**: each asset's reference price is its exogenous path times the permanent impact of
//!    the collateral liquidations have sold so far (the wider market absorbs that flow with finite
//!    depth; a block's sales move the next block's reference price);
//! 2. **arbitrage**: arbitrageurs trade every venue toward its asset's reference price, limited by
//!    their capital per block;
//! 3. **oracles**: every oracle reads its sources and publishes; protocols see values after latency;
//! 4. **liquidations**: keepers liquidate the accounts below a health factor of 1 when it pays
//!    (bonus - slippage - gas above their minimum), up to their capacity, and sell the seized
//!    collateral into the venue that pays most;
//! 5. **settlement**: collateral that runs out leaves bad debt, recorded;
//! 6. **metrics**: the block's record.
//!
//! The run stops at equilibrium (the exogenous paths have ended, nothing that an oracle, a venue or
//! a reference price shows is still moving, and no keeper liquidated anything) or at the block limit.

use crate::health_index::HealthIndex;
use crate::ids::{AccountId, AssetId, OracleId, VenueId};
use crate::lending::{LendingProtocol, LiquidationPlan};
use crate::oracle::{OracleModel, OracleState, PriceSource};
use crate::price_path::ReferencePath;
use crate::report::{BlockRecord, LiquidationEvent, StopReason, Summary};
use crate::venue::Venue;

/// The sizes a keeper considers, as fractions of the largest liquidation the rules allow.
const LIQUIDATION_FRACTIONS: [f64; 4] = [1.0, 0.5, 0.25, 0.125];

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
    pub keepers: Vec<KeeperModel>,
    pub chain: ChainModel,
    pub settings: EngineSettings,
}

impl Market {
    /// The asset with the largest exogenous fall (the first on ties): the one the summary follows.
    pub fn primary_asset(&self) -> AssetId {
        let paths: Vec<&ReferencePath> = self.assets.iter().map(|a| &a.path).collect();
        primary_asset_of(&paths, self.settings.max_blocks)
    }

    /// The first block from which every exogenous path is constant.
    pub fn paths_settled_from(&self) -> u64 {
        self.assets
            .iter()
            .map(|asset| asset.path.settled_from_block())
            .max()
            .unwrap_or(0)
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
    /// Per asset: USD value (at the reference price) of collateral liquidations sold this block.
    sold_last_block_usd: Vec<f64>,
    exogenous: Vec<f64>,
    reference: Vec<f64>,
    venues: Vec<Venue>,
    oracle_states: Vec<OracleState>,
    oracle_values: Vec<f64>,
    oracle_settled: Vec<bool>,
    /// Per protocol, per asset: the price the protocol reads.
    protocol_prices: Vec<Vec<f64>>,
    protocols: Vec<LendingProtocol>,
    indices: Vec<HealthIndex>,
    /// Per protocol, per asset: collateral the treasury received as protocol fees.
    pub treasury_collateral: Vec<Vec<f64>>,
    venues_of_asset: Vec<Vec<VenueId>>,
    events: Vec<LiquidationEvent>,
    blocks: Vec<BlockRecord>,
    totals: Totals,
    liquidated_accounts: Vec<Vec<bool>>,
    /// Per protocol, per account: collateral value seized from it in the run (USD).
    seized_by_account: Vec<Vec<f64>>,
    lowest_primary_price: f64,
    primary: AssetId,
    stop_reason: Option<StopReason>,
    /// The prices of the last block in which keepers liquidated nothing, and how many accounts were
    /// below HF 1 then.
    quiet_liquidation_inputs: Option<(LiquidationInputs, u32)>,
}

/// Everything the liquidation phase reads besides balances (which only liquidations change).
#[derive(Debug, Clone, PartialEq)]
struct LiquidationInputs {
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
        let venues: Vec<Venue> = market
            .venues
            .iter()
            .map(|venue| venue.initial.clone())
            .collect();
        let mut venues_of_asset = vec![Vec::new(); n_assets];
        for (index, venue) in market.venues.iter().enumerate() {
            venues_of_asset[venue.asset.index()].push(VenueId(index as u16));
        }
        // Oracles start out having published their sources' initial values forever.
        let mut oracle_values: Vec<f64> = Vec::with_capacity(market.oracles.len());
        let mut oracle_states = Vec::with_capacity(market.oracles.len());
        for model in &market.oracles {
            let read =
                |source: PriceSource| read_source(source, &exogenous, &venues, &oracle_values);
            let initial = model.kind.read_sources(read);
            oracle_states.push(OracleState::new(model, initial));
            oracle_values.push(initial);
        }
        let protocol_prices: Vec<Vec<f64>> = market
            .protocols
            .iter()
            .map(|protocol| protocol_prices(protocol, &oracle_values, &exogenous))
            .collect();
        let indices = market
            .protocols
            .iter()
            .zip(&protocol_prices)
            .map(|(protocol, prices)| HealthIndex::new(protocol, prices))
            .collect();
        let primary = market.primary_asset();
        Simulation {
            block: 0,
            impact_log: vec![0.0; n_assets],
            sold_last_block_usd: vec![0.0; n_assets],
            reference: exogenous.clone(),
            lowest_primary_price: exogenous[primary.index()],
            exogenous,
            venues,
            oracle_settled: vec![true; market.oracles.len()],
            oracle_states,
            oracle_values,
            protocol_prices,
            protocols: market.protocols.clone(),
            indices,
            treasury_collateral: vec![vec![0.0; n_assets]; market.protocols.len()],
            venues_of_asset,
            events: Vec::new(),
            blocks: Vec::new(),
            totals: Totals::default(),
            liquidated_accounts: market
                .protocols
                .iter()
                .map(|p| vec![false; p.n_accounts()])
                .collect(),
            seized_by_account: market
                .protocols
                .iter()
                .map(|p| vec![0.0; p.n_accounts()])
                .collect(),
            primary,
            stop_reason: None,
            quiet_liquidation_inputs: None,
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

    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop_reason
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
        let previous_venues: Vec<f64> = self.venues.iter().map(Venue::price).collect();

        self.update_reference_prices(block);
        let arbitrage_volume_usd = self.run_arbitrage();
        self.update_oracles(block);
        let inputs = LiquidationInputs {
            reference: self.reference.clone(),
            venue_prices: self.venues.iter().map(Venue::price).collect(),
            protocol_prices: self.protocol_prices.clone(),
        };
        // A block whose prices are bit-identical to a previous block that liquidated nothing, with no
        // balance changed since, liquidates nothing either: the keepers' decision is a function of
        // exactly these inputs. The long quiet tail of a run costs almost nothing this way.
        let outcome = match &self.quiet_liquidation_inputs {
            Some((previous, n_liquidatable)) if *previous == inputs => BlockOutcome {
                n_liquidatable: *n_liquidatable,
                ..BlockOutcome::default()
            },
            _ => self.run_liquidations(block),
        };
        self.quiet_liquidation_inputs =
            (outcome.n_liquidations == 0).then_some((inputs, outcome.n_liquidatable));
        self.record_block(block, arbitrage_volume_usd, &outcome);

        let tolerance = self.market.settings.settle_tolerance;
        let moved = |before: f64, after: f64| (after / before - 1.0).abs() > tolerance;
        let reference_moving = previous_reference
            .iter()
            .zip(&self.reference)
            .any(|(b, a)| moved(*b, *a));
        let venues_moving = previous_venues
            .iter()
            .zip(&self.venues)
            .any(|(b, venue)| moved(*b, venue.price()));
        let oracles_moving = self.oracle_settled.iter().any(|settled| !settled);
        let settled = block >= self.market.paths_settled_from()
            && outcome.n_liquidations == 0
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
                    (1.0 - 0.01_f64).ln() * self.sold_last_block_usd[asset_index] / depth;
            }
            self.sold_last_block_usd[asset_index] = 0.0;
            self.exogenous[asset_index] = asset.path.price_at(block);
            self.reference[asset_index] =
                self.exogenous[asset_index] * self.impact_log[asset_index].exp();
        }
    }

    /// Returns the absolute USD volume the arbitrageurs traded.
    fn run_arbitrage(&mut self) -> f64 {
        let mut volume = 0.0;
        for (venue, model) in self.venues.iter_mut().zip(&self.market.venues) {
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
            let (reference, venues, values) = (&self.reference, &self.venues, &self.oracle_values);
            let read = |source: PriceSource| read_source(source, reference, venues, values);
            let state = &mut self.oracle_states[oracle_index];
            let value = state.update(model, block, read);
            self.oracle_settled[oracle_index] = state.is_settled(model, tolerance);
            self.oracle_values[oracle_index] = value;
        }
        for (protocol, prices) in self.protocols.iter().zip(&mut self.protocol_prices) {
            *prices = protocol_prices(protocol, &self.oracle_values, &self.reference);
        }
    }

    fn gas_cost_usd(&self) -> f64 {
        let chain = &self.market.chain;
        let token_price = match chain.gas_token {
            Some(asset) => self.reference[asset.index()],
            None => chain.gas_token_price_usd,
        };
        chain.gas_price_gwei * 1e-9 * chain.liquidation_gas * token_price
    }

    /// The venue of `asset` that pays most for `amount`, and what it pays; `None` when the asset has
    /// no venue (then it is valued at its reference price).
    fn best_sale(&self, asset: AssetId, amount: f64) -> Option<(VenueId, crate::venue::SaleQuote)> {
        let mut best: Option<(VenueId, crate::venue::SaleQuote)> = None;
        for &venue in &self.venues_of_asset[asset.index()] {
            let quote = self.venues[venue.index()].quote_sell(amount);
            if best.is_none_or(|(_, b)| quote.quote_received > b.quote_received) {
                best = Some((venue, quote));
            }
        }
        best
    }

    /// The highest price per unit any sale of `asset` can fetch: the best venue spot price (or the
    /// reference price when the asset has no venue).
    fn best_spot(&self, asset: AssetId) -> f64 {
        let venues = &self.venues_of_asset[asset.index()];
        if venues.is_empty() {
            return self.reference[asset.index()];
        }
        venues
            .iter()
            .map(|venue| self.venues[venue.index()].price())
            .fold(f64::MIN, f64::max)
    }

    /// What `plan` would earn a keeper: proceeds of selling its collateral minus the debt bought at
    /// the reference price minus gas.
    fn keeper_profit(&self, plan: &LiquidationPlan, gas_usd: f64) -> f64 {
        let proceeds = match self.best_sale(plan.collateral_asset, plan.collateral_to_liquidator) {
            Some((_, quote)) => quote.quote_received,
            None => plan.collateral_to_liquidator * self.reference[plan.collateral_asset.index()],
        };
        proceeds - plan.debt_repaid * self.reference[plan.debt_asset.index()] - gas_usd
    }

    fn run_liquidations(&mut self, block: u64) -> BlockOutcome {
        let mut outcome = BlockOutcome::default();
        let gas_usd = self.gas_cost_usd();
        let n_keepers = self.market.keepers.len();
        let mut liquidations_left: Vec<u32> = self
            .market
            .keepers
            .iter()
            .map(|keeper| keeper.max_liquidations_per_block)
            .collect();
        let mut capital_left: Vec<f64> = self
            .market
            .keepers
            .iter()
            .map(|keeper| keeper.capital_usd_per_block)
            .collect();

        let lowest_min_profit = self
            .market
            .keepers
            .iter()
            .map(|k| k.min_profit_usd)
            .fold(f64::INFINITY, f64::min);
        for protocol_index in 0..self.protocols.len() {
            let prices = self.protocol_prices[protocol_index].clone();
            let mut candidates =
                self.indices[protocol_index].liquidatable(&self.protocols[protocol_index], &prices);
            outcome.n_liquidatable += candidates.len() as u32;
            // Keepers race for the largest bonus first: biggest debt, then account order.
            let protocol = &self.protocols[protocol_index];
            let mut keyed: Vec<(f64, AccountId)> = candidates
                .drain(..)
                .map(|(account, _)| (protocol.debt_usd(account, &prices), account))
                .collect();
            keyed.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));

            for (_, account) in keyed {
                if liquidations_left.iter().all(|&left| left == 0) {
                    break;
                }
                let protocol = &self.protocols[protocol_index];
                let Some((collateral_asset, debt_asset)) = protocol.largest_pair(account, &prices)
                else {
                    continue;
                };
                let Ok(full) = protocol.plan_liquidation(
                    account,
                    collateral_asset,
                    debt_asset,
                    f64::INFINITY,
                    &prices,
                ) else {
                    continue;
                };
                // No sale pays more than the best spot price per unit, so
                // `fraction * (collateral * spot - debt) - gas` bounds every size's profit. When that
                // bound is below every keeper's minimum, nobody acts: skip the quotes (the tail of
                // small, gas-bound accounts would otherwise be re-quoted every block).
                let spot = self.best_spot(collateral_asset);
                let margin = full.collateral_to_liquidator * spot
                    - full.debt_repaid * self.reference[debt_asset.index()];
                let bound = LIQUIDATION_FRACTIONS
                    .iter()
                    .map(|f| f * margin)
                    .fold(f64::MIN, f64::max)
                    - gas_usd;
                if bound < lowest_min_profit {
                    continue;
                }
                // A keeper may take less than the maximum when slippage makes the whole unprofitable.
                let mut best: Option<(usize, LiquidationPlan, f64)> = None;
                for fraction in LIQUIDATION_FRACTIONS {
                    // A smaller fraction earns at most `fraction * margin - gas` (proceeds never
                    // beat the best spot price, and the plan scales with the fraction), so once the
                    // best so far reaches that bound the fraction cannot win (a tie does not
                    // replace it): skip its quotes. Exact, and most accounts stop after the full one.
                    if best.is_some_and(|(_, _, p)| p >= fraction * margin - gas_usd) {
                        continue;
                    }
                    let plan = if fraction == 1.0 {
                        Ok(full)
                    } else {
                        protocol.plan_liquidation(
                            account,
                            collateral_asset,
                            debt_asset,
                            full.debt_repaid * fraction,
                            &prices,
                        )
                    };
                    let Ok(plan) = plan else { continue };
                    let profit = self.keeper_profit(&plan, gas_usd);
                    let cost = plan.debt_repaid * self.reference[debt_asset.index()];
                    for keeper_index in 0..n_keepers {
                        let keeper = &self.market.keepers[keeper_index];
                        let able = liquidations_left[keeper_index] > 0
                            && capital_left[keeper_index] >= cost;
                        if able
                            && profit >= keeper.min_profit_usd
                            && best.is_none_or(|(_, _, p)| profit > p)
                        {
                            best = Some((keeper_index, plan, profit));
                        }
                    }
                }
                let Some((keeper_index, plan, _)) = best else {
                    continue;
                };
                liquidations_left[keeper_index] -= 1;
                capital_left[keeper_index] -= plan.debt_repaid * self.reference[debt_asset.index()];
                self.execute(
                    block,
                    protocol_index,
                    account,
                    keeper_index,
                    &plan,
                    gas_usd,
                    &prices,
                    &mut outcome,
                );
            }
        }
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    fn execute(
        &mut self,
        block: u64,
        protocol_index: usize,
        account: AccountId,
        keeper_index: usize,
        plan: &LiquidationPlan,
        gas_usd: f64,
        prices: &[f64],
        outcome: &mut BlockOutcome,
    ) {
        let sale = self.best_sale(plan.collateral_asset, plan.collateral_to_liquidator);
        let (venue_name, collateral_sold, proceeds) = match sale {
            Some((venue, _)) => {
                let done = self.venues[venue.index()].sell(plan.collateral_to_liquidator);
                (
                    self.market.venues[venue.index()].name.clone(),
                    done.base_sold,
                    done.quote_received,
                )
            }
            None => (
                String::new(),
                plan.collateral_to_liquidator,
                plan.collateral_to_liquidator * self.reference[plan.collateral_asset.index()],
            ),
        };
        self.sold_last_block_usd[plan.collateral_asset.index()] +=
            collateral_sold * self.reference[plan.collateral_asset.index()];
        let protocol = &mut self.protocols[protocol_index];
        let bad_debt_usd = protocol.apply_liquidation(account, plan, prices);
        let health_factor_after = protocol.health_factor(account, prices);
        self.indices[protocol_index].touch(account);
        self.treasury_collateral[protocol_index][plan.collateral_asset.index()] +=
            plan.protocol_fee_collateral;

        let params = protocol.risk_params[plan.collateral_asset.index()]
            .expect("liquidated collateral is listed");
        let debt_repaid_usd = plan.debt_repaid_usd();
        let collateral_seized_usd = plan.collateral_seized_usd();
        let bonus_usd = debt_repaid_usd * params.liquidation_bonus;
        let protocol_fee_usd = plan.protocol_fee_collateral * plan.collateral_price;
        let keeper_profit_usd =
            proceeds - plan.debt_repaid * self.reference[plan.debt_asset.index()] - gas_usd;

        outcome.n_liquidations += 1;
        outcome.collateral_seized_usd += collateral_seized_usd;
        outcome.debt_repaid_usd += debt_repaid_usd;
        outcome.bonus_usd += bonus_usd;
        outcome.bad_debt_usd += bad_debt_usd;
        outcome.keeper_profit_usd += keeper_profit_usd;
        let totals = &mut self.totals;
        totals.n_liquidations += 1;
        totals.collateral_seized_usd += collateral_seized_usd;
        totals.debt_repaid_usd += debt_repaid_usd;
        totals.bonus_usd += bonus_usd;
        totals.protocol_fees_usd += protocol_fee_usd;
        totals.bad_debt_usd += bad_debt_usd;
        totals.keeper_profit_usd += keeper_profit_usd;
        totals.gas_usd += gas_usd;
        self.liquidated_accounts[protocol_index][account.index()] = true;
        self.seized_by_account[protocol_index][account.index()] += collateral_seized_usd;

        let symbol = |asset: AssetId| self.market.assets[asset.index()].symbol.clone();
        self.events.push(LiquidationEvent {
            block,
            protocol: protocol.name.clone(),
            account: protocol.label(account),
            keeper: self.market.keepers[keeper_index].name.clone(),
            collateral_asset: symbol(plan.collateral_asset),
            debt_asset: symbol(plan.debt_asset),
            health_factor_before: plan.health_factor_before,
            health_factor_after,
            close_factor: plan.close_factor,
            debt_repaid: plan.debt_repaid,
            debt_repaid_usd,
            collateral_seized: plan.collateral_seized,
            collateral_seized_usd,
            bonus_usd,
            protocol_fee_usd,
            collateral_price: plan.collateral_price,
            debt_price: plan.debt_price,
            venue: venue_name,
            collateral_sold,
            sale_proceeds_usd: proceeds,
            gas_usd,
            keeper_profit_usd,
            bad_debt_usd,
        });
    }

    fn record_block(&mut self, block: u64, arbitrage_volume_usd: f64, outcome: &BlockOutcome) {
        let venue_prices: Vec<f64> = self.venues.iter().map(Venue::price).collect();
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
            n_accounts_liquidated: self
                .liquidated_accounts
                .iter()
                .flatten()
                .filter(|&&hit| hit)
                .count() as u64,
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
            for (account_index, &hit) in self.liquidated_accounts[protocol_index].iter().enumerate()
            {
                if !hit {
                    continue;
                }
                let account = AccountId(account_index as u32);
                let below = |prices: &Vec<f64>| initial.health_factor(account, prices) < 1.0;
                if worst_block.is_some_and(below)
                    || self.blocks.iter().any(|r| below(&r.exogenous_prices))
                {
                    continue;
                }
                count += 1;
                value += self.seized_by_account[protocol_index][account_index];
            }
        }
        (count, value)
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
            .filter_map(|path| first_move_block(path))
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
        }
    }
}

/// The first block at which a path departs from its initial price.
pub(crate) fn first_move_block(path: &ReferencePath) -> Option<u64> {
    match path {
        ReferencePath::Constant { .. } => None,
        ReferencePath::Shock { at_block, .. } => Some(*at_block),
        ReferencePath::LinearCrash { start_block, .. }
        | ReferencePath::ExponentialCrash { start_block, .. } => Some(*start_block),
        ReferencePath::Series { prices } => prices
            .iter()
            .position(|&price| price != prices[0])
            .map(|block| block as u64),
    }
}

#[derive(Debug, Default)]
struct BlockOutcome {
    n_liquidations: u32,
    n_liquidatable: u32,
    collateral_seized_usd: f64,
    debt_repaid_usd: f64,
    bonus_usd: f64,
    bad_debt_usd: f64,
    keeper_profit_usd: f64,
}

fn read_source(
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
    protocol: &LendingProtocol,
    oracle_values: &[f64],
    reference: &[f64],
) -> Vec<f64> {
    protocol
        .oracle_of_asset
        .iter()
        .enumerate()
        .map(|(asset, oracle)| match oracle {
            Some(oracle) => oracle_values[oracle.index()],
            None => reference[asset],
        })
        .collect()
}
