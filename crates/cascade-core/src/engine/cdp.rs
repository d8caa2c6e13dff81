//! The liquidation phase of CDP protocols: Maker's Liquidations 2.0 (`mechanism::maker::DogState`).
//! Each block: keepers `bark` unsafe vaults (within `Hole`/`hole`, for `tip + tab * chip`), `redo`
//! auctions past `tail` or below `cusp`, and `take` from auctions whose price is below what they can
//! sell the collateral for, then sell it; collateral left once the tab is covered goes back to the
//! vault.

use crate::cdp::CdpProtocol;
use crate::mechanism::backstop::ProtocolOwnedLiquidity;
use crate::mechanism::maker::{DogState, MakerRefusal, VatIlk};
use crate::names::Name;
use crate::report::{EventKind, LiquidationEvent};

use super::breakers::BreakerRuntime;
use super::lending::LIQUIDATION_FRACTIONS;
use super::sales::KeeperBudget;
use super::{BlockOutcome, Holdings, Simulation};

/// One auction, live or finished, and what it raised.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AuctionRecord {
    ilk: usize,
    id: u64,
    vault: usize,
    /// Debt moved from the vault (`due`), debt asset units.
    due: f64,
    raised: f64,
    finished: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CdpRuntime {
    /// The vaults as they are now.
    pub protocol: CdpProtocol,
    dog: DogState,
    auctions: Vec<AuctionRecord>,
    pol: Option<ProtocolOwnedLiquidity>,
    pol_inventory: Vec<f64>,
    pub breakers: BreakerRuntime,
    liquidated: Vec<bool>,
}

impl CdpRuntime {
    pub fn new(protocol: &CdpProtocol, n_assets: usize, block_time_seconds: f64) -> Self {
        let mut dog = DogState::new(
            protocol.global_hole,
            protocol.ilks.iter().map(|ilk| ilk.liquidation).collect(),
        );
        for (index, ilk) in protocol.ilks.iter().enumerate() {
            dog.upchost(index, ilk.dust).expect("the ilk exists");
            dog.set_stopped(index, ilk.stopped).expect("the ilk exists");
        }
        CdpRuntime {
            dog,
            auctions: Vec::new(),
            pol: protocol
                .protocol_owned_liquidity
                .map(|pol| ProtocolOwnedLiquidity::new(pol.budget_usd, pol.discount)),
            pol_inventory: vec![0.0; n_assets],
            breakers: BreakerRuntime::new(
                protocol.breakers,
                protocol
                    .oracle_of_asset
                    .iter()
                    .map(Option::is_some)
                    .collect(),
                block_time_seconds,
            ),
            liquidated: vec![false; protocol.n_vaults()],
            protocol: protocol.clone(),
        }
    }

    /// A live auction whose price still decays keeps the run going; one that needs a reset nobody
    /// made this block is stuck (no keeper finds the reset worth it), as Maker's dusty auctions are.
    pub fn pending(&self, now: u64) -> bool {
        self.dog.ilks.iter().enumerate().any(|(ilk, state)| {
            state.clipper.active.iter().any(|sale| {
                self.dog
                    .status(ilk, sale.id, now)
                    .is_some_and(|status| !status.needs_redo)
            })
        }) || self.breakers.pending(now)
    }

    pub fn n_liquidated(&self) -> u64 {
        self.liquidated.iter().filter(|&&hit| hit).count() as u64
    }

    /// Debt of vaults whose collateral is worth less, net of that collateral, plus the tab of live
    /// auctions beyond their lot's value.
    pub fn insolvent_debt_usd(&self, prices: &[f64]) -> f64 {
        let debt_price = prices[self.protocol.debt_asset.index()];
        let mut total = 0.0;
        for vault in &self.protocol.vaults {
            let asset = self.protocol.ilks[vault.ilk].asset.index();
            total += (vault.vault.art * debt_price - vault.vault.ink * prices[asset]).max(0.0);
        }
        for (index, ilk) in self.dog.ilks.iter().enumerate() {
            let asset = self.protocol.ilks[index].asset.index();
            for sale in &ilk.clipper.active {
                total += (sale.tab * debt_price - sale.lot * prices[asset]).max(0.0);
            }
        }
        total
    }

    pub fn add_holdings(&self, holdings: &mut Holdings) {
        for vault in &self.protocol.vaults {
            holdings.accounts[self.protocol.ilks[vault.ilk].asset.index()] += vault.vault.ink;
        }
        for (index, ilk) in self.dog.ilks.iter().enumerate() {
            let asset = self.protocol.ilks[index].asset.index();
            for sale in &ilk.clipper.active {
                holdings.protocols[asset] += sale.lot;
            }
        }
        for (asset, amount) in self.pol_inventory.iter().enumerate() {
            holdings.pol[asset] += amount;
        }
    }
}

impl Simulation {
    /// One CDP protocol's block: bark, redo, take.
    pub(super) fn run_cdp(
        &mut self,
        block: u64,
        index: usize,
        budget: &mut KeeperBudget,
        gas_usd: f64,
        outcome: &mut BlockOutcome,
    ) {
        let prices = self.prices_for(&self.cdps[index].protocol.oracle_of_asset);
        self.bark_unsafe_vaults(block, index, &prices, budget, gas_usd, outcome);
        self.redo_auctions(block, index, &prices, budget, gas_usd, outcome);
        self.take_from_auctions(block, index, &prices, budget, gas_usd, outcome);
    }

    fn bark_unsafe_vaults(
        &mut self,
        block: u64,
        index: usize,
        prices: &[f64],
        budget: &mut KeeperBudget,
        gas_usd: f64,
        outcome: &mut BlockOutcome,
    ) {
        let now = self.now(block);
        let runtime = &self.cdps[index];
        let protocol = &runtime.protocol;
        let debt_price = prices[protocol.debt_asset.index()];
        let multiplier = runtime.breakers.margin_multiplier(now);
        let mut unsafe_vaults: Vec<(f64, usize)> = protocol
            .vaults
            .iter()
            .enumerate()
            .filter(|(_, v)| {
                v.vault.art > 0.0
                    && v.vault.ink > 0.0
                    && protocol.collateralization(v, prices) < multiplier
            })
            .map(|(i, v)| (v.vault.art, i))
            .collect();
        outcome.n_liquidatable += unsafe_vaults.len() as u32;
        unsafe_vaults.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, vault_index) in unsafe_vaults {
            let runtime = &self.cdps[index];
            let vault = runtime.protocol.vaults[vault_index];
            let ilk = runtime.protocol.ilks[vault.ilk];
            let asset = ilk.asset.index();
            if runtime.breakers.blocked(asset, now, prices[asset])
                || runtime.breakers.capacity(asset, now) < vault.vault.ink
            {
                self.mechanisms.liquidations_deferred += 1;
                continue;
            }
            // Any keeper with a call left barks: the incentive is what barking pays.
            let Some(keeper_index) = budget.calls_left.iter().position(|&left| left > 0) else {
                break;
            };
            let feed = prices[asset] / debt_price;
            let vat = VatIlk {
                rate: 1.0,
                spot: feed / (ilk.liquidation_ratio * multiplier),
                dust: ilk.dust,
            };
            let health_before = runtime.protocol.collateralization(&vault, prices);
            // The bark needs its place in the block (agents' block space); a crowded-out bark waits
            // for a later block.
            let gas = self.market.chain.liquidation_gas;
            if !self.agents.liquidation_fits(gas) {
                break;
            }
            let runtime = &mut self.cdps[index];
            let mut state = vault.vault;
            let barked = runtime
                .dog
                .bark(vault.ilk, &mut state, &vat, Some(feed), now);
            let bark = match barked {
                Ok(bark) => bark,
                Err(MakerRefusal::LiquidationLimitHit) => {
                    self.mechanisms.liquidations_deferred += 1;
                    continue;
                }
                Err(_) => continue,
            };
            self.agents.take_liquidation_gas(gas);
            let runtime = &mut self.cdps[index];
            runtime.protocol.vaults[vault_index].vault = state;
            runtime.auctions.push(AuctionRecord {
                ilk: vault.ilk,
                id: bark.id,
                vault: vault_index,
                due: bark.due,
                raised: 0.0,
                finished: false,
            });
            runtime.liquidated[vault_index] = true;
            runtime
                .breakers
                .record(asset, bark.dink, bark.dink * prices[asset], now);
            let health_after = runtime
                .protocol
                .collateralization(&runtime.protocol.vaults[vault_index], prices);
            budget.spend(keeper_index, 0.0);
            self.mechanisms.auctions_started += 1;
            let incentive_usd = bark.incentive * debt_price;
            self.flows.keeper_incentives_usd += incentive_usd;
            self.flows.keeper_gas_usd += gas_usd;
            let seized_usd = bark.dink * prices[asset];
            let due_usd = bark.due * debt_price;
            let protocol = &self.cdps[index].protocol;
            let event = LiquidationEvent {
                block,
                protocol: self.names.cdps[index].clone(),
                account: protocol.label(vault_index),
                keeper: self.names.keepers[keeper_index].clone(),
                collateral_asset: self.names.assets[asset].clone(),
                debt_asset: self.names.assets[protocol.debt_asset.index()].clone(),
                health_factor_before: health_before,
                health_factor_after: health_after,
                close_factor: bark.dart / vault.vault.art,
                debt_repaid: bark.due,
                debt_repaid_usd: due_usd,
                collateral_seized: bark.dink,
                collateral_seized_usd: seized_usd,
                bonus_usd: seized_usd - due_usd,
                protocol_fee_usd: 0.0,
                collateral_price: prices[asset],
                debt_price,
                venue: Name::default(),
                collateral_sold: 0.0,
                sale_proceeds_usd: 0.0,
                gas_usd,
                keeper_profit_usd: incentive_usd - gas_usd,
                bad_debt_usd: 0.0,
                kind: EventKind::AuctionKick,
            };
            self.record_event(event, outcome);
        }
    }

    /// Auctions past `tail` or below `cusp` restart at `feed * buf`, called by the first keeper for
    /// whom the incentive (`tip + tab * chip`, nothing for a dusty auction) clears gas and its
    /// minimum profit. An auction nobody resets stays stuck.
    fn redo_auctions(
        &mut self,
        block: u64,
        index: usize,
        prices: &[f64],
        budget: &mut KeeperBudget,
        gas_usd: f64,
        outcome: &mut BlockOutcome,
    ) {
        let now = self.now(block);
        let runtime = &self.cdps[index];
        let debt_price = prices[runtime.protocol.debt_asset.index()];
        let live: Vec<(usize, u64)> = runtime
            .dog
            .ilks
            .iter()
            .enumerate()
            .flat_map(|(ilk, state)| state.clipper.active.iter().map(move |s| (ilk, s.id)))
            .collect();
        for (ilk, id) in live {
            let runtime = &self.cdps[index];
            let Some(status) = runtime.dog.status(ilk, id, now) else {
                continue;
            };
            if !status.needs_redo {
                continue;
            }
            let asset = runtime.protocol.ilks[ilk].asset.index();
            let feed = prices[asset] / debt_price;
            let state = &runtime.dog.ilks[ilk];
            let clip = state.config.clipper;
            let chost = state.clipper.chost;
            let dusty = status.tab < chost || status.lot * feed < chost;
            let incentive = if dusty {
                0.0
            } else {
                clip.tip + status.tab * clip.chip
            };
            let profit = incentive * debt_price - gas_usd;
            let Some(keeper_index) = (0..self.market.keepers.len()).find(|&k| {
                budget.calls_left[k] > 0 && profit >= self.market.keepers[k].min_profit_usd
            }) else {
                continue;
            };
            let gas = self.market.chain.liquidation_gas;
            if !self.agents.liquidation_fits(gas) {
                break;
            }
            let runtime = &mut self.cdps[index];
            let Ok(redo) = runtime.dog.redo(ilk, id, Some(feed), now) else {
                continue;
            };
            self.agents.take_liquidation_gas(gas);
            let runtime = &mut self.cdps[index];
            budget.spend(keeper_index, 0.0);
            let paid = redo.incentive * debt_price;
            self.flows.keeper_incentives_usd += paid;
            self.flows.keeper_gas_usd += gas_usd;
            let vault = runtime
                .auctions
                .iter()
                .rev()
                .find(|a| a.ilk == ilk && a.id == id)
                .map_or(0, |a| a.vault);
            let protocol = &self.cdps[index].protocol;
            let event = LiquidationEvent {
                block,
                protocol: self.names.cdps[index].clone(),
                account: protocol.label(vault),
                keeper: self.names.keepers[keeper_index].clone(),
                collateral_asset: self.names.assets[asset].clone(),
                debt_asset: self.names.assets[protocol.debt_asset.index()].clone(),
                health_factor_before: f64::NAN,
                health_factor_after: f64::NAN,
                close_factor: 0.0,
                debt_repaid: 0.0,
                debt_repaid_usd: 0.0,
                collateral_seized: 0.0,
                collateral_seized_usd: 0.0,
                bonus_usd: 0.0,
                protocol_fee_usd: 0.0,
                collateral_price: prices[asset],
                debt_price,
                venue: Name::default(),
                collateral_sold: 0.0,
                sale_proceeds_usd: 0.0,
                gas_usd,
                keeper_profit_usd: paid - gas_usd,
                bad_debt_usd: 0.0,
                kind: EventKind::AuctionReset,
            };
            self.record_event(event, outcome);
        }
    }

    /// Keepers buy from auctions whose price lets them sell at a profit (after gas), as much as the
    /// sale pays for (the whole lot or a half, quarter, eighth), within their capital.
    fn take_from_auctions(
        &mut self,
        block: u64,
        index: usize,
        prices: &[f64],
        budget: &mut KeeperBudget,
        gas_usd: f64,
        outcome: &mut BlockOutcome,
    ) {
        let now = self.now(block);
        let debt_asset = self.cdps[index].protocol.debt_asset;
        let debt_price = prices[debt_asset.index()];
        let live: Vec<(usize, u64)> = self.cdps[index]
            .dog
            .ilks
            .iter()
            .enumerate()
            .flat_map(|(ilk, state)| state.clipper.active.iter().map(move |s| (ilk, s.id)))
            .collect();
        for (ilk, id) in live {
            for _ in 0..self.market.keepers.len() {
                let runtime = &self.cdps[index];
                let Some(status) = runtime.dog.status(ilk, id, now) else {
                    break;
                };
                if status.needs_redo {
                    break;
                }
                let asset = runtime.protocol.ilks[ilk].asset;
                let pol = runtime.pol.as_ref().map(|pol| (pol, prices[asset.index()]));
                let mut amounts = Vec::with_capacity(4);
                let mut options = Vec::with_capacity(4);
                for fraction in LIQUIDATION_FRACTIONS {
                    let amount = status.lot * fraction;
                    // The taker pays at most the tab: a larger slice is cut to `tab / price`.
                    let slice = if status.price > 0.0 {
                        amount.min(status.tab / status.price)
                    } else {
                        amount
                    };
                    let cost = slice * status.price * debt_price;
                    let proceeds = self
                        .trading
                        .plan_sale(asset, slice, &self.reference, pol)
                        .proceeds;
                    amounts.push(amount);
                    options.push((proceeds - cost - gas_usd, cost));
                }
                let Some((keeper_index, option)) = budget.best(&self.market.keepers, &options)
                else {
                    break;
                };
                let gas = self.market.chain.liquidation_gas;
                if !self.agents.liquidation_fits(gas) {
                    break;
                }
                let runtime = &mut self.cdps[index];
                let lot_before = status.lot;
                let Ok(take) = runtime.dog.take(
                    ilk,
                    id,
                    amounts[option],
                    status.price,
                    keeper_index as u32,
                    now,
                ) else {
                    break;
                };
                self.agents.take_liquidation_gas(gas);
                let cost = take.owe * debt_price;
                budget.spend(keeper_index, cost);
                let sale_plan = self.trading.plan_sale(
                    asset,
                    take.slice,
                    &self.reference,
                    runtime.pol.as_ref().map(|pol| (pol, prices[asset.index()])),
                );
                let done = self.trading.sell(
                    asset,
                    take.slice,
                    &sale_plan,
                    &self.reference,
                    runtime.pol.as_mut().map(|pol| (pol, prices[asset.index()])),
                );
                runtime.pol_inventory[asset.index()] += done.to_pol;
                runtime.protocol.vaults[take.usr as usize].vault.ink += take.returned_to_owner;
                let record = runtime
                    .auctions
                    .iter_mut()
                    .rev()
                    .find(|a| a.ilk == ilk && a.id == id)
                    .expect("every auction is recorded at bark");
                record.raised += take.owe;
                let mut bad_debt_usd = 0.0;
                if take.finished {
                    record.finished = true;
                    self.mechanisms.auctions_settled += 1;
                    if take.lot_left <= 0.0 && take.tab_left > 0.0 {
                        bad_debt_usd = (record.due - record.raised).max(0.0) * debt_price;
                    }
                }
                let vault_index = record.vault;
                self.flows.collateral_sold_to_market[asset.index()] += done.to_market;
                self.flows.collateral_to_pol[asset.index()] += done.to_pol;
                self.flows.keeper_proceeds_usd += done.proceeds;
                self.flows.keeper_paid_usd += cost;
                self.flows.keeper_gas_usd += gas_usd;
                let value = take.slice * prices[asset.index()];
                let protocol = &self.cdps[index].protocol;
                let event = LiquidationEvent {
                    block,
                    protocol: self.names.cdps[index].clone(),
                    account: protocol.label(vault_index),
                    keeper: self.names.keepers[keeper_index].clone(),
                    collateral_asset: self.names.assets[asset.index()].clone(),
                    debt_asset: self.names.assets[debt_asset.index()].clone(),
                    health_factor_before: f64::NAN,
                    health_factor_after: f64::NAN,
                    close_factor: take.slice / lot_before,
                    debt_repaid: take.owe,
                    debt_repaid_usd: cost,
                    collateral_seized: take.slice,
                    collateral_seized_usd: value,
                    bonus_usd: value - cost,
                    protocol_fee_usd: 0.0,
                    collateral_price: prices[asset.index()],
                    debt_price,
                    venue: done.venue,
                    collateral_sold: done.sold,
                    sale_proceeds_usd: done.proceeds,
                    gas_usd,
                    keeper_profit_usd: done.proceeds - cost - gas_usd,
                    bad_debt_usd,
                    kind: EventKind::AuctionTake,
                };
                self.record_event(event, outcome);
                if take.finished {
                    break;
                }
            }
        }
    }
}
