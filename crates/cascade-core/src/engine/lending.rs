//! The liquidation phase of lending protocols under each mechanism of [`crate::setup`]: keepers'
//! liquidation calls (fixed spread, Morpho's incentive by LLTV, Euler's health-scaled discount), in
//! chunks with a cooldown, held back by breakers; Compound III's absorb and store-front sales; a
//! backstop pool's takeovers and unwinds; an insurance fund covering bad debt; protocol-owned
//! liquidity bidding for seized collateral.

use crate::ids::{AccountId, AssetId};
use crate::lending::{LendingProtocol, LiquidationPlan, LiquidationTerms};
use crate::mechanism::backstop::{BackstopPool, InsuranceFund, ProtocolOwnedLiquidity};
use crate::mechanism::compound::{
    CometAccount, CometAssetConfig, CometConfig, CometPrices, CometState,
};
use crate::mechanism::euler;
use crate::mechanism::morpho::liquidation_incentive_factor;
use crate::mechanism::perp::{IsolatedPosition, PartialLiquidationState};
use crate::names::{AccountName, Name};
use crate::report::{EventKind, LiquidationEvent};
use crate::setup::{LendingMechanism, LendingSetup};

use super::breakers::BreakerRuntime;
use super::sales::KeeperBudget;
use super::{BlockOutcome, Holdings, Simulation};

/// A liquidation's (collateral asset, debt asset).
type AssetPair = (AssetId, AssetId);

/// The sizes a keeper considers, as fractions of the largest liquidation the rules allow.
pub(super) const LIQUIDATION_FRACTIONS: [f64; 4] = [1.0, 0.5, 0.25, 0.125];

/// What a lending protocol's mechanism, pools and breakers remember.
#[derive(Debug, Clone)]
pub(crate) struct LendingRuntime {
    setup: LendingSetup,
    /// Per account (with `chunks`): when it was last liquidated in part.
    chunk_state: Vec<PartialLiquidationState>,
    /// Per account: when it was last liquidated (Euler's cool-off), seconds; written and read only
    /// under a mechanism other than the plain keeper sale (empty otherwise).
    last_liquidated: Vec<Option<u64>>,
    insurance: Option<InsuranceFund>,
    insurance_lowest: f64,
    backstop: Option<BackstopPool>,
    backstop_lowest_equity: f64,
    pol: Option<ProtocolOwnedLiquidity>,
    /// Per asset: what the POL bought.
    pol_inventory: Vec<f64>,
    comet: Option<CometState>,
    comet_initial_reserves: f64,
    comet_lowest_reserves: f64,
    /// Lowest reserves plus absorbed collateral valued at the reference price: the protocol's
    /// equity in what it absorbed.
    comet_lowest_equity: f64,
    comet_bad_debt_usd: f64,
    /// Store-front sales this block (USD at the store-front price).
    store_front_sold_usd: f64,
    /// Compound: what absorbs credited to accounts beyond their debt (USD).
    pub surplus_to_accounts_usd: f64,
    pub breakers: BreakerRuntime,
}

impl LendingRuntime {
    pub fn new(protocol: &LendingProtocol, prices: &[f64], block_time_seconds: f64) -> Self {
        let setup = protocol.setup;
        let n_accounts = protocol.n_accounts();
        let comet = match setup.mechanism {
            LendingMechanism::CompoundAbsorb {
                store_front_price_factor,
                target_reserves_usd,
                initial_reserves_usd,
                ..
            } => {
                let assets = protocol
                    .risk_params
                    .iter()
                    .map(|params| match params {
                        Some(p) => CometAssetConfig {
                            borrow_collateral_factor: p.ltv,
                            liquidate_collateral_factor: p.liquidation_threshold,
                            liquidation_factor: 1.0 - p.liquidation_bonus,
                        },
                        None => CometAssetConfig {
                            borrow_collateral_factor: 0.0,
                            liquidate_collateral_factor: 0.0,
                            liquidation_factor: 0.0,
                        },
                    })
                    .collect();
                let mut comet = CometState::new(
                    CometConfig {
                        assets,
                        store_front_price_factor,
                        target_reserves: target_reserves_usd,
                    },
                    initial_reserves_usd,
                );
                // Lenders supplied what borrowers owe: reserves start at `initial_reserves_usd`.
                let borrowed: f64 = (0..n_accounts)
                    .map(|a| protocol.debt_usd(AccountId(a as u32), prices))
                    .sum();
                comet.total_borrow_base = borrowed;
                comet.total_supply_base = borrowed;
                Some(comet)
            }
            _ => None,
        };
        let comet_initial_reserves = comet.as_ref().map_or(0.0, CometState::reserves);
        LendingRuntime {
            setup,
            chunk_state: if setup.chunks.is_some() {
                vec![PartialLiquidationState::default(); n_accounts]
            } else {
                Vec::new()
            },
            last_liquidated: if setup.is_plain() {
                Vec::new()
            } else {
                vec![None; n_accounts]
            },
            insurance: setup
                .insurance_fund
                .map(|fund| InsuranceFund::new(fund.initial_usd)),
            insurance_lowest: setup.insurance_fund.map_or(0.0, |fund| fund.initial_usd),
            backstop: setup
                .backstop
                .map(|model| BackstopPool::new(model.capital_usd, 0.0)),
            backstop_lowest_equity: setup.backstop.map_or(0.0, |model| model.capital_usd),
            pol: setup
                .protocol_owned_liquidity
                .map(|pol| ProtocolOwnedLiquidity::new(pol.budget_usd, pol.discount)),
            pol_inventory: vec![0.0; protocol.n_assets],
            comet,
            comet_initial_reserves,
            comet_lowest_reserves: comet_initial_reserves,
            comet_lowest_equity: comet_initial_reserves,
            comet_bad_debt_usd: 0.0,
            store_front_sold_usd: 0.0,
            surplus_to_accounts_usd: 0.0,
            breakers: BreakerRuntime::new(
                setup.breakers,
                protocol
                    .oracle_of_asset
                    .iter()
                    .map(Option::is_some)
                    .collect(),
                block_time_seconds,
            ),
        }
    }

    /// Whether time alone will bring more work: breakers, a pool to unwind, a cooldown running.
    pub fn pending(&self, now: u64) -> bool {
        if self.breakers.pending(now) {
            return true;
        }
        if self
            .backstop
            .as_ref()
            .is_some_and(|pool| !pool.positions.is_empty())
        {
            return true;
        }
        if let Some(config) = self.setup.chunks {
            if self
                .chunk_state
                .iter()
                .any(|s| s.last_partial_at.is_some_and(|t| now < t + config.cooldown))
            {
                return true;
            }
        }
        if let LendingMechanism::Euler {
            cool_off_seconds, ..
        } = self.setup.mechanism
        {
            if self
                .last_liquidated
                .iter()
                .flatten()
                .any(|&t| euler::is_in_cool_off(t, cool_off_seconds, now))
            {
                return true;
            }
        }
        false
    }

    /// Updates the lowest balances of the fund, the reserves and the pool (at `reference` prices).
    pub fn track(&mut self, reference: &[f64]) {
        if let Some(fund) = &self.insurance {
            self.insurance_lowest = self.insurance_lowest.min(fund.balance);
        }
        if let Some(pool) = &self.backstop {
            self.backstop_lowest_equity = self.backstop_lowest_equity.min(pool.equity(reference));
        }
        if let Some(comet) = &self.comet {
            let reserves = comet.reserves();
            let inventory: f64 = comet
                .collateral_reserves
                .iter()
                .zip(reference)
                .map(|(amount, price)| amount * price)
                .sum();
            self.comet_lowest_reserves = self.comet_lowest_reserves.min(reserves);
            self.comet_lowest_equity = self.comet_lowest_equity.min(reserves + inventory);
        }
    }

    pub fn insurance_drawdown(&self) -> f64 {
        let fund = self.setup.insurance_fund.map_or(0.0, |fund| {
            (fund.initial_usd - self.insurance_lowest).max(0.0)
        });
        let reserves = if self.comet.is_some() {
            (self.comet_initial_reserves - self.comet_lowest_equity).max(0.0)
        } else {
            0.0
        };
        fund + reserves
    }

    pub fn backstop_drawdown(&self) -> f64 {
        self.setup.backstop.map_or(0.0, |model| {
            (model.capital_usd - self.backstop_lowest_equity).max(0.0)
        })
    }

    /// Bad debt the fund (or Compound's reserves, while they stayed positive) covered.
    pub fn covered(&self) -> f64 {
        let fund = self.insurance.map_or(0.0, |fund| fund.total_covered);
        let reserves = if self.comet.is_some() {
            (self.comet_bad_debt_usd + self.comet_lowest_reserves.min(0.0)).max(0.0)
        } else {
            0.0
        };
        fund + reserves
    }

    pub fn add_holdings(&self, holdings: &mut Holdings) {
        if let Some(comet) = &self.comet {
            for (asset, amount) in comet.collateral_reserves.iter().enumerate() {
                holdings.protocols[asset] += amount;
            }
        }
        if let Some(pool) = &self.backstop {
            for position in &pool.positions {
                holdings.backstop[position.market] += position.size;
            }
        }
        for (asset, amount) in self.pol_inventory.iter().enumerate() {
            holdings.pol[asset] += amount;
        }
    }
}

impl Simulation {
    /// One lending protocol's liquidation phase.
    pub(super) fn run_lending(
        &mut self,
        block: u64,
        protocol_index: usize,
        budget: &mut KeeperBudget,
        gas_usd: f64,
        outcome: &mut BlockOutcome,
    ) {
        let now = self.now(block);
        let p = protocol_index;
        let prices = self.protocol_prices[p].clone();
        let setup = self.protocols[p].setup;
        let multiplier = self.lending[p].breakers.margin_multiplier(now);
        // A breaker's stepped-up requirement moves the threshold, not the method: the health index
        // finds the accounts below any threshold without a full scan.
        let threshold = multiplier.max(1.0);
        let mut candidates = self.indices[p].below(&self.protocols[p], &prices, threshold);
        outcome.n_liquidatable += candidates.len() as u32;
        // Keepers race for the largest bonus first: biggest debt, then account order.
        let protocol = &self.protocols[p];
        // Each candidate's debt and (collateral, debt) pair are read here, in account order (its
        // balances change only when it is liquidated, below): a pass in address order, rather than
        // one cache miss per account in debt order.
        let mut keyed: Vec<(f64, AccountId, Option<AssetPair>)> = candidates
            .drain(..)
            .map(|(account, _)| {
                (
                    protocol.debt_usd(account, &prices),
                    account,
                    protocol.largest_pair(account, &prices),
                )
            })
            .collect();
        keyed.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if self.agents.active {
            let accounts: Vec<AccountId> = keyed.iter().map(|&(_, account, _)| account).collect();
            self.agents.observe_candidates(p, block, &accounts);
        }

        if matches!(setup.mechanism, LendingMechanism::CompoundAbsorb { .. }) {
            for (_, account, _) in keyed {
                self.absorb(block, p, account, &prices, multiplier, outcome);
            }
            return;
        }
        let keepers_needed = setup.backstop.is_none();
        for (_, account, pair) in keyed {
            if keepers_needed && budget.exhausted() {
                break;
            }
            let protocol = &self.protocols[p];
            let Some((collateral_asset, debt_asset)) = pair else {
                continue;
            };
            let (c, d) = (collateral_asset.index(), debt_asset.index());
            if self.lending[p].breakers.blocked(c, now, prices[c]) {
                self.mechanisms.liquidations_deferred += 1;
                continue;
            }
            if let Some(model) = setup.backstop {
                let health_factor = protocol.health_factor(account, &prices) / multiplier;
                if health_factor < model.trigger
                    && self.backstop_take_over(block, p, account, &prices, outcome)
                {
                    continue;
                }
            }
            if budget.exhausted() {
                continue;
            }
            self.agents.apply_latency(p, account, block, budget);
            let Some((terms, chunk)) = self.lending_terms(
                p,
                account,
                collateral_asset,
                debt_asset,
                &prices,
                multiplier,
                now,
            ) else {
                self.mechanisms.liquidations_deferred += 1;
                continue;
            };
            let protocol = &self.protocols[p];
            let Ok(full) = protocol.plan_liquidation_with(
                account,
                collateral_asset,
                debt_asset,
                f64::INFINITY,
                &prices,
                &terms,
            ) else {
                continue;
            };
            // No sale pays more than the best spot price per unit (or the POL's bid), so
            // `fraction * (collateral * spot - debt) - gas` bounds every size's profit. When that
            // bound is below every keeper's minimum, nobody acts: skip the quotes (the tail of
            // small, gas-bound accounts would otherwise be re-quoted every block).
            let pol_bid = self.lending[p]
                .pol
                .map_or(f64::MIN, |pol| pol.bid_price(prices[c]));
            let spot = self
                .trading
                .best_spot(collateral_asset, &self.reference)
                .max(pol_bid);
            let margin =
                full.collateral_to_liquidator * spot - full.debt_repaid * self.reference[d];
            let bound = LIQUIDATION_FRACTIONS
                .iter()
                .map(|f| f * margin)
                .fold(f64::MIN, f64::max)
                - gas_usd;
            if bound < budget.lowest_min_profit {
                continue;
            }
            // A keeper may take less than the maximum when slippage makes the whole unprofitable.
            // (Arrays, not vectors: no allocation per account.)
            let mut plans = [full; LIQUIDATION_FRACTIONS.len()];
            let mut options = [(0.0, 0.0); LIQUIDATION_FRACTIONS.len()];
            let mut n_options = 0;
            for fraction in LIQUIDATION_FRACTIONS {
                // A smaller fraction earns at most `fraction * margin - gas` (proceeds never beat
                // the best spot price, and the plan scales with the fraction), so once some keeper
                // can take an earlier option earning that much, no smaller fraction can win (a tie
                // does not replace it): skip the quotes. Exact; most accounts stop after the full one.
                if let Some((_, option)) = budget.best(&self.market.keepers, &options[..n_options])
                {
                    if options[option].0 >= fraction * margin - gas_usd {
                        break;
                    }
                }
                let plan = if fraction == 1.0 {
                    Ok(full)
                } else {
                    protocol.plan_liquidation_with(
                        account,
                        collateral_asset,
                        debt_asset,
                        full.debt_repaid * fraction,
                        &prices,
                        &terms,
                    )
                };
                let Ok(plan) = plan else { continue };
                let profit = self.keeper_profit(p, &plan, &prices, gas_usd);
                let cost = plan.debt_repaid * self.reference[d];
                plans[n_options] = plan;
                options[n_options] = (profit, cost);
                n_options += 1;
            }
            let Some((keeper_index, option)) =
                budget.best(&self.market.keepers, &options[..n_options])
            else {
                continue;
            };
            let plan = plans[option];
            let (profit, cost) = options[option];
            // Agents: the keepers bid for the transaction's place, and it needs room in the block
            // (a keeper crowded out is late: the account stays for the next block).
            let (keeper_index, priority_fee) =
                self.agents
                    .auction(&self.market.keepers, budget, keeper_index, profit, cost);
            if !self
                .agents
                .take_liquidation_gas(self.market.chain.liquidation_gas)
            {
                continue;
            }
            self.agents.totals.priority_fees_usd += priority_fee;
            budget.spend(keeper_index, cost);
            self.execute(
                block,
                p,
                account,
                keeper_index,
                &plan,
                gas_usd + priority_fee,
                &prices,
                outcome,
            );
            if !setup.is_plain() {
                let runtime = &mut self.lending[p];
                if let Some(state) = chunk {
                    runtime.chunk_state[account.index()] = state;
                }
                runtime.last_liquidated[account.index()] = Some(now);
                runtime.breakers.record(
                    c,
                    plan.collateral_seized,
                    plan.collateral_seized_usd(),
                    now,
                );
            }
        }
        // Latency applies account by account: later phases (CDPs, store fronts) see every keeper.
        budget.unavailable.fill(false);
    }

    /// The terms the protocol's mechanism gives this liquidation (and the chunk state to keep if it
    /// goes ahead), or `None` when the mechanism holds it back now (a cool-off, a cooldown, no rate
    /// limit capacity).
    #[allow(clippy::too_many_arguments)]
    fn lending_terms(
        &self,
        p: usize,
        account: AccountId,
        collateral_asset: AssetId,
        debt_asset: AssetId,
        prices: &[f64],
        multiplier: f64,
        now: u64,
    ) -> Option<(LiquidationTerms, Option<PartialLiquidationState>)> {
        let protocol = &self.protocols[p];
        let runtime = &self.lending[p];
        let (c, d) = (collateral_asset.index(), debt_asset.index());
        let mut terms = protocol.rules_terms();
        terms.margin_multiplier = multiplier;
        let params = protocol.risk_params[c]?;
        match protocol.setup.mechanism {
            LendingMechanism::FixedSpread | LendingMechanism::CompoundAbsorb { .. } => {}
            LendingMechanism::Morpho => {
                let lif = liquidation_incentive_factor(params.liquidation_threshold);
                terms.bonus = Some(lif - 1.0);
                terms.protocol_fee = Some(0.0);
                terms.close_in_full = true;
                terms.dust_rule = false;
            }
            LendingMechanism::Euler {
                max_discount,
                cool_off_seconds,
            } => {
                if runtime.last_liquidated[account.index()]
                    .is_some_and(|t| euler::is_in_cool_off(t, cool_off_seconds, now))
                {
                    return None;
                }
                let health_score = protocol.health_factor(account, prices) / multiplier;
                let discount = euler::liquidation_discount(health_score, max_discount);
                if discount <= 0.0 {
                    return None;
                }
                terms.bonus = Some(1.0 / (1.0 - discount) - 1.0);
                terms.protocol_fee = Some(0.0);
                terms.close_in_full = true;
                terms.dust_rule = false;
            }
        }
        let mut chunk = None;
        if let Some(config) = protocol.setup.chunks {
            let mut state = runtime.chunk_state[account.index()];
            let debt = protocol.debt_row(account)[d];
            let size = state.next_chunk(&config, debt, prices[d], now);
            if size <= 0.0 {
                return None;
            }
            if size < debt {
                terms.max_debt = size;
            }
            chunk = Some(state);
        }
        let capacity = runtime.breakers.capacity(c, now);
        if capacity.is_finite() {
            if capacity <= 0.0 {
                return None;
            }
            let bonus = terms.bonus.unwrap_or(params.liquidation_bonus);
            let max_debt = capacity * prices[c] / prices[d] / (1.0 + bonus);
            terms.max_debt = terms.max_debt.min(max_debt);
        }
        Some((terms, chunk))
    }

    /// What `plan` would earn a keeper: proceeds of selling its collateral (to the venues, or to the
    /// protocol's POL when it bids more) minus the debt bought at the reference price minus gas.
    fn keeper_profit(&self, p: usize, plan: &LiquidationPlan, prices: &[f64], gas_usd: f64) -> f64 {
        let pol = self.lending[p]
            .pol
            .as_ref()
            .map(|pol| (pol, prices[plan.collateral_asset.index()]));
        let sale = self.trading.plan_sale(
            plan.collateral_asset,
            plan.collateral_to_liquidator,
            &self.reference,
            pol,
        );
        sale.proceeds - plan.debt_repaid * self.reference[plan.debt_asset.index()] - gas_usd
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
        let c = plan.collateral_asset;
        // A keeper that holds part of what it seizes sells only the rest now (agents).
        let held = self.agents.hold(
            keeper_index,
            c.index(),
            plan.collateral_to_liquidator,
            self.reference[c.index()],
        );
        let to_sell = plan.collateral_to_liquidator - held;
        let runtime = &mut self.lending[protocol_index];
        let sale_plan = self.trading.plan_sale(
            c,
            to_sell,
            &self.reference,
            runtime.pol.as_ref().map(|pol| (pol, prices[c.index()])),
        );
        let done = self.trading.sell(
            c,
            to_sell,
            &sale_plan,
            &self.reference,
            runtime.pol.as_mut().map(|pol| (pol, prices[c.index()])),
        );
        runtime.pol_inventory[c.index()] += done.to_pol;
        self.flows.collateral_sold_to_market[c.index()] += done.to_market;
        self.flows.collateral_to_pol[c.index()] += done.to_pol;

        let protocol = &mut self.protocols[protocol_index];
        let mut debt_before = std::mem::take(&mut self.debt_before);
        debt_before.clear();
        debt_before.extend_from_slice(protocol.debt_row(account));
        let bad_debt_usd = protocol.apply_liquidation(account, plan, prices);
        for (asset, (before, after)) in debt_before
            .iter()
            .zip(protocol.debt_row(account))
            .enumerate()
        {
            let repaid = if asset == plan.debt_asset.index() {
                plan.debt_repaid
            } else {
                0.0
            };
            self.flows.debt_written_off[asset] += before - after - repaid;
        }
        self.debt_before = debt_before;
        let health_factor_after = protocol.health_factor(account, prices);
        self.indices[protocol_index].touch(&self.protocols[protocol_index], account);
        self.treasury_collateral[protocol_index][c.index()] += plan.protocol_fee_collateral;

        let debt_repaid_usd = plan.debt_repaid_usd();
        let collateral_seized_usd = plan.collateral_seized_usd();
        let bonus_usd = debt_repaid_usd * plan.bonus;
        let protocol_fee_usd = plan.protocol_fee_collateral * plan.collateral_price;
        let paid = plan.debt_repaid * self.reference[plan.debt_asset.index()];
        // Held collateral counts at the reference price (marked to market).
        let keeper_profit_usd = done.proceeds + held * self.reference[c.index()] - paid - gas_usd;
        self.flows.debt_repaid[plan.debt_asset.index()] += plan.debt_repaid;
        self.flows.keeper_proceeds_usd += done.proceeds;
        self.flows.keeper_paid_usd += paid;
        self.flows.keeper_gas_usd += gas_usd;
        if bad_debt_usd > 0.0 {
            if let Some(fund) = &mut self.lending[protocol_index].insurance {
                fund.cover(bad_debt_usd);
            }
        }
        self.seizures[protocol_index].push((account, collateral_seized_usd));

        let protocol = &self.protocols[protocol_index];
        let symbol = |asset: AssetId| self.names.assets[asset.index()].clone();
        let event = LiquidationEvent {
            block,
            protocol: self.names.lending[protocol_index].clone(),
            account: protocol.label(account),
            keeper: self.names.keepers[keeper_index].clone(),
            collateral_asset: symbol(c),
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
            venue: done.venue,
            collateral_sold: done.sold,
            sale_proceeds_usd: done.proceeds,
            gas_usd,
            keeper_profit_usd,
            bad_debt_usd,
            kind: EventKind::LiquidationCall,
        };
        self.record_event(event, outcome);
    }

    /// A backstop pool takes the account over (collateral and debt) if its free cash can repay the
    /// debt; returns whether it did.
    fn backstop_take_over(
        &mut self,
        block: u64,
        p: usize,
        account: AccountId,
        prices: &[f64],
        outcome: &mut BlockOutcome,
    ) -> bool {
        let protocol = &self.protocols[p];
        let debt_usd = protocol.debt_usd(account, prices);
        let collateral_usd = protocol.collateral_usd(account, prices);
        let Some((collateral_asset, debt_asset)) = protocol.largest_pair(account, prices) else {
            return false;
        };
        let pool = self.lending[p].backstop.as_ref().expect("a backstop model");
        let tied: f64 = pool.positions.iter().map(|q| q.size * q.entry_price).sum();
        if pool.cash - tied < debt_usd || collateral_usd <= 0.0 {
            return false;
        }
        let health_factor_before = protocol.health_factor(account, prices);
        let label = protocol.label(account);
        let (collateral, debt) = self.protocols[p].clear_account(account);
        let pool = self.lending[p].backstop.as_mut().expect("a backstop model");
        for (asset, &amount) in collateral.iter().enumerate() {
            if amount > 0.0 {
                let value = amount * prices[asset];
                let mut position = IsolatedPosition {
                    size: amount,
                    entry_price: prices[asset],
                    margin: value - debt_usd * value / collateral_usd,
                };
                pool.take_over_isolated(&mut position, asset, prices[asset]);
            }
        }
        for (asset, &owed) in debt.iter().enumerate() {
            self.flows.debt_taken_over[asset] += owed;
        }
        self.indices[p].touch(&self.protocols[p], account);
        self.seizures[p].push((account, collateral_usd));
        self.mechanisms.backstop_takeovers += 1;
        let now = self.now(block);
        self.lending[p]
            .breakers
            .record_velocity(collateral_usd, now);
        let symbol = |asset: AssetId| self.names.assets[asset.index()].clone();
        let event = LiquidationEvent {
            block,
            protocol: self.names.lending[p].clone(),
            account: label,
            keeper: self.names.backstop.clone(),
            collateral_asset: symbol(collateral_asset),
            debt_asset: symbol(debt_asset),
            health_factor_before,
            health_factor_after: f64::INFINITY,
            close_factor: 1.0,
            debt_repaid: debt[debt_asset.index()],
            debt_repaid_usd: debt_usd,
            collateral_seized: collateral[collateral_asset.index()],
            collateral_seized_usd: collateral_usd,
            bonus_usd: collateral_usd - debt_usd,
            protocol_fee_usd: 0.0,
            collateral_price: prices[collateral_asset.index()],
            debt_price: prices[debt_asset.index()],
            venue: Name::default(),
            collateral_sold: 0.0,
            sale_proceeds_usd: 0.0,
            gas_usd: 0.0,
            keeper_profit_usd: 0.0,
            bad_debt_usd: 0.0,
            kind: EventKind::BackstopTakeover,
        };
        self.record_event(event, outcome);
        true
    }

    /// The backstop pool sells what it took over, at most its rate per block and asset.
    pub(super) fn unwind_lending_backstop(
        &mut self,
        _block: u64,
        p: usize,
        outcome: &mut BlockOutcome,
    ) {
        let Some(model) = self.lending[p].setup.backstop else {
            return;
        };
        for asset in 0..self.reference.len() {
            let pool = self.lending[p].backstop.as_mut().expect("a backstop model");
            if !pool.positions.iter().any(|q| q.market == asset) {
                continue;
            }
            pool.max_unwind_per_block = model.max_unwind_usd_per_block / self.reference[asset];
            let trade = pool.planned_unwind(asset);
            if trade >= 0.0 {
                continue;
            }
            let asset_id = AssetId(asset as u16);
            let plan = self
                .trading
                .plan_sale(asset_id, -trade, &self.reference, None);
            let done = self
                .trading
                .sell(asset_id, -trade, &plan, &self.reference, None);
            if done.sold <= 0.0 {
                continue;
            }
            pool.apply_unwind(asset, -done.sold, done.proceeds / done.sold);
            self.flows.collateral_sold_to_market[asset] += done.to_market;
            outcome.n_actions += 1;
        }
    }

    /// Compound III: the protocol absorbs the account into its reserves.
    fn absorb(
        &mut self,
        block: u64,
        p: usize,
        account: AccountId,
        prices: &[f64],
        multiplier: f64,
        outcome: &mut BlockOutcome,
    ) {
        let now = self.now(block);
        let protocol = &self.protocols[p];
        let Some((collateral_asset, debt_asset)) = protocol.largest_pair(account, prices) else {
            return;
        };
        let c = collateral_asset.index();
        if self.lending[p].breakers.blocked(c, now, prices[c]) {
            self.mechanisms.liquidations_deferred += 1;
            return;
        }
        let health_factor_before = protocol.health_factor(account, prices);
        let debt_usd = protocol.debt_usd(account, prices);
        let mut comet_account = CometAccount {
            base_balance: -debt_usd,
            collateral: protocol.collateral_row(account).to_vec(),
        };
        let label = protocol.label(account);
        let runtime = &mut self.lending[p];
        let comet = runtime
            .comet
            .as_mut()
            .expect("a Compound protocol has its state");
        let saved = comet.config.assets.clone();
        if multiplier != 1.0 {
            for asset in &mut comet.config.assets {
                asset.liquidate_collateral_factor /= multiplier;
            }
        }
        let result = comet.absorb(
            &mut comet_account,
            CometPrices {
                base: 1.0,
                assets: prices,
            },
        );
        comet.config.assets = saved;
        let Ok(absorbed) = result else {
            return;
        };
        runtime.surplus_to_accounts_usd += absorbed.surplus_to_account;
        let bad_debt_usd = (debt_usd - absorbed.seized_value).max(0.0);
        runtime.comet_bad_debt_usd += bad_debt_usd;
        runtime
            .breakers
            .record(c, absorbed.seized[c], absorbed.seized_value, now);
        let (_, debt) = self.protocols[p].clear_account(account);
        for (asset, &owed) in debt.iter().enumerate() {
            self.flows.debt_absorbed[asset] += owed;
        }
        self.indices[p].touch(&self.protocols[p], account);
        self.seizures[p].push((account, absorbed.seized_value));
        self.mechanisms.absorbs += 1;
        for (asset, &amount) in absorbed.seized.iter().enumerate() {
            if amount <= 0.0 {
                continue;
            }
            let value = amount * prices[asset];
            let share = value / absorbed.seized_value;
            let symbol = |a: usize| self.names.assets[a].clone();
            let event = LiquidationEvent {
                block,
                protocol: self.names.lending[p].clone(),
                account: label.clone(),
                keeper: self.names.absorb.clone(),
                collateral_asset: symbol(asset),
                debt_asset: symbol(debt_asset.index()),
                health_factor_before,
                health_factor_after: f64::INFINITY,
                close_factor: 1.0,
                debt_repaid: debt_usd * share / prices[debt_asset.index()],
                debt_repaid_usd: debt_usd * share,
                collateral_seized: amount,
                collateral_seized_usd: value,
                bonus_usd: value - debt_usd * share,
                protocol_fee_usd: 0.0,
                collateral_price: prices[asset],
                debt_price: prices[debt_asset.index()],
                venue: Name::default(),
                collateral_sold: 0.0,
                sale_proceeds_usd: 0.0,
                gas_usd: 0.0,
                keeper_profit_usd: 0.0,
                bad_debt_usd: bad_debt_usd * share,
                kind: EventKind::Absorb,
            };
            self.record_event(event, outcome);
        }
    }

    /// Compound III: keepers buy absorbed collateral from the reserves at the store-front price
    /// while reserves are below target, within the protocol's sale rate.
    pub(super) fn run_store_front(
        &mut self,
        block: u64,
        p: usize,
        budget: &mut KeeperBudget,
        gas_usd: f64,
        outcome: &mut BlockOutcome,
    ) {
        let LendingMechanism::CompoundAbsorb {
            max_sale_usd_per_block,
            ..
        } = self.lending[p].setup.mechanism
        else {
            return;
        };
        self.lending[p].store_front_sold_usd = 0.0;
        let prices = self.protocol_prices[p].clone();
        let comet_prices = CometPrices {
            base: 1.0,
            assets: &prices,
        };
        for (asset, &price) in prices.iter().enumerate() {
            let asset_id = AssetId(asset as u16);
            // A few purchases per asset and block at most: each keeper call is one.
            for _ in 0..64 {
                let runtime = &self.lending[p];
                let comet = runtime.comet.as_ref().expect("Compound state");
                let inventory = comet.collateral_reserves[asset];
                if inventory <= 1e-12
                    || comet.reserves() >= comet.config.target_reserves
                    || budget.exhausted()
                {
                    break;
                }
                let store_front = comet.store_front_price(asset, price);
                let room = max_sale_usd_per_block - runtime.store_front_sold_usd;
                if room <= 0.0 || store_front <= 0.0 {
                    break;
                }
                let max_units = inventory.min(room / store_front);
                let pol = runtime.pol.as_ref().map(|pol| (pol, price));
                let mut options = Vec::with_capacity(4);
                for fraction in LIQUIDATION_FRACTIONS {
                    let units = max_units * fraction;
                    let cost = units * store_front;
                    let proceeds = self
                        .trading
                        .plan_sale(asset_id, units, &self.reference, pol)
                        .proceeds;
                    options.push((proceeds - cost - gas_usd, cost));
                }
                let Some((keeper_index, option)) = budget.best(&self.market.keepers, &options)
                else {
                    break;
                };
                let runtime = &mut self.lending[p];
                let comet = runtime.comet.as_mut().expect("Compound state");
                let mut cost = options[option].1;
                if comet.quote_collateral(asset, cost, comet_prices) > inventory {
                    cost = inventory * store_front * (1.0 - 1e-12);
                }
                let Ok(bought) = comet.buy_collateral(asset, 0.0, cost, comet_prices) else {
                    break;
                };
                runtime.store_front_sold_usd += cost;
                let pol = runtime.pol.as_ref().map(|pol| (pol, price));
                let sale_plan = self
                    .trading
                    .plan_sale(asset_id, bought, &self.reference, pol);
                let done = self.trading.sell(
                    asset_id,
                    bought,
                    &sale_plan,
                    &self.reference,
                    runtime.pol.as_mut().map(|pol| (pol, price)),
                );
                runtime.pol_inventory[asset] += done.to_pol;
                budget.spend(keeper_index, cost);
                self.flows.collateral_sold_to_market[asset] += done.to_market;
                self.flows.collateral_to_pol[asset] += done.to_pol;
                self.flows.keeper_proceeds_usd += done.proceeds;
                self.flows.keeper_paid_usd += cost;
                self.flows.keeper_gas_usd += gas_usd;
                let value = bought * price;
                let event = LiquidationEvent {
                    block,
                    protocol: self.names.lending[p].clone(),
                    account: AccountName::Label(self.names.reserves.clone()),
                    keeper: self.names.keepers[keeper_index].clone(),
                    collateral_asset: self.names.assets[asset].clone(),
                    debt_asset: self.names.usd.clone(),
                    health_factor_before: f64::NAN,
                    health_factor_after: f64::NAN,
                    close_factor: bought / inventory,
                    debt_repaid: cost,
                    debt_repaid_usd: cost,
                    collateral_seized: bought,
                    collateral_seized_usd: value,
                    bonus_usd: value - cost,
                    protocol_fee_usd: 0.0,
                    collateral_price: price,
                    debt_price: 1.0,
                    venue: done.venue,
                    collateral_sold: done.sold,
                    sale_proceeds_usd: done.proceeds,
                    gas_usd,
                    keeper_profit_usd: done.proceeds - cost - gas_usd,
                    bad_debt_usd: 0.0,
                    kind: EventKind::StoreFrontBuy,
                };
                self.record_event(event, outcome);
            }
        }
    }
}
