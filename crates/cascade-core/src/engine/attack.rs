//! Oracle manipulation (SPEC 1.3): an attacker pushes a thin venue down so that an oracle reading
//! it shows a lower price, liquidates the accounts that the false price makes liquidatable, and
//! buys back what it sold once it stops pushing.
//!
//! The attack, block by block:
//! - **push** (blocks `start_block .. start_block + hold_blocks`, after the arbitrageurs have traded
//!   and before the oracles read): the attacker sells the venue's asset, borrowed, until the venue's
//!   marginal price (fee included) is `(1 - push)` times the reference price, within what is left of
//!   `capital_usd` (valued at the reference price). Every block of the hold the arbitrageurs buy part
//!   of it back and the attacker sells again: that is what holding a price costs.
//! - **liquidate** (the same blocks): the attacker is a keeper (`Market::keepers[keeper]`) and, as it
//!   bundles its push and its liquidations, it front-runs every other keeper: in a push block only
//!   it liquidates; outside them it does not liquidate at all.
//! - **close** (block `start_block + hold_blocks`, after arbitrage): it buys back what it sold, from
//!   the venue while the venue is below the reference price and the rest outside at the reference
//!   price (the arbitrageurs sold what they bought there), and repays the loan with a fee of
//!   `borrow_fee` on the value borrowed.
//!
//! What it earns: the keeper profit of its liquidations (bonus less slippage and gas; it sells the
//! seized collateral where it pays most). What it costs: buy-back cost + borrow fees - sale proceeds.
//! `AttackOutcome` reports both; an oracle that ignores the venue (a median of other sources, a
//! reference index) or averages it over time (a TWAP) makes the liquidations vanish and leaves the
//! attacker with the cost.

use serde::Serialize;

use crate::ids::VenueId;

use super::sales::KeeperBudget;
use super::Simulation;

/// An oracle manipulation attack on one venue.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackModel {
    pub venue: VenueId,
    /// The attacker's entry in `Market::keepers` (its liquidation capital per block).
    pub keeper: usize,
    /// First block it pushes.
    pub start_block: u64,
    /// Blocks it holds the price down (at least 1); it buys back in the block after the last.
    pub hold_blocks: u64,
    /// Target discount of the venue's price to the reference price (0.2 = 20% below).
    pub push: f64,
    /// Most it sells in all, valued at the reference price when sold (USD).
    pub capital_usd: f64,
    /// Fee on the value of what it borrows to sell (a flash-loan premium, or the borrow cost over
    /// the hold).
    pub borrow_fee: f64,
}

impl AttackModel {
    /// Whether the attacker pushes (and alone liquidates) in `block`.
    pub fn pushes_in(&self, block: u64) -> bool {
        block >= self.start_block && block < self.close_block()
    }

    /// The block in which it buys back.
    pub fn close_block(&self) -> u64 {
        self.start_block + self.hold_blocks
    }
}

/// What an attack did and what it earned, for the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AttackOutcome {
    pub venue: String,
    pub start_block: u64,
    pub close_block: u64,
    /// Whether the run reached the close block (a run that stops earlier never bought back).
    pub closed: bool,
    /// Units of the asset the attacker sold into the venue, in all pushes.
    pub base_sold: f64,
    pub sale_proceeds_usd: f64,
    /// Units it bought back (from the venue while it was below the reference price, the rest outside
    /// at the reference price).
    pub base_bought_back: f64,
    pub buyback_cost_usd: f64,
    pub borrow_fees_usd: f64,
    /// `buyback_cost_usd + borrow_fees_usd - sale_proceeds_usd` (what is still owed before the close
    /// counts at the reference price when the run stopped).
    pub manipulation_cost_usd: f64,
    /// Largest discount of the venue to the reference price right after a push.
    pub deepest_push: f64,
    /// Liquidations the attacker made and the debt they repaid.
    pub liquidations: u64,
    pub debt_repaid_usd: f64,
    /// Its keeper profit on them (bonus less slippage and gas).
    pub liquidation_profit_usd: f64,
    /// `liquidation_profit_usd - manipulation_cost_usd`.
    pub net_profit_usd: f64,
}

/// The attack's running state.
#[derive(Debug, Clone, Default)]
pub(super) struct AttackRuntime {
    outcome: AttackOutcome,
    /// Capital used so far (USD at the reference price when sold).
    capital_used_usd: f64,
}

impl AttackRuntime {
    /// Whether the attack still has work ahead of `block` (the run must not stop before it closes).
    pub(super) fn pending(model: &AttackModel, block: u64) -> bool {
        block < model.close_block()
    }
}

impl Simulation {
    /// The attacker's push or buy-back of this block (after arbitrage, before the oracles read).
    pub(super) fn run_attack(&mut self, block: u64) {
        let Some(model) = self.market.attack.clone() else {
            return;
        };
        let runtime = self.attack.get_or_insert_with(AttackRuntime::default);
        let venue = &mut self.trading.venues[model.venue.index()];
        let asset = self.market.venues[model.venue.index()].asset.index();
        let reference = self.reference[asset];
        let outcome = &mut runtime.outcome;
        if model.pushes_in(block) {
            let target = reference * (1.0 - model.push);
            let left = (model.capital_usd - runtime.capital_used_usd).max(0.0);
            // A venue's arbitrage toward `target` sells until the marginal price with the fee is
            // `target`, within `budget / target` units: pass the budget that makes it `left /
            // reference` units.
            let trade = venue.arbitrage(target, left * target / reference);
            let sold = -trade.base_bought;
            if sold > 0.0 {
                runtime.capital_used_usd += sold * reference;
                outcome.base_sold += sold;
                outcome.sale_proceeds_usd += -trade.quote_paid;
                outcome.borrow_fees_usd += model.borrow_fee * sold * reference;
            }
            outcome.deepest_push = outcome.deepest_push.max(1.0 - venue.price() / reference);
        } else if block == model.close_block() {
            // It buys from the venue while the venue is cheaper than the reference, and the rest
            // outside at the reference price (where the arbitrageurs took what they bought).
            let owed = outcome.base_sold;
            let mut probe = venue.clone();
            let cheap = probe.arbitrage(reference, f64::INFINITY);
            let (units, paid) = if cheap.base_bought >= owed {
                let bought = venue.buy(owed);
                (bought.base_bought, bought.quote_paid)
            } else if cheap.base_bought > 0.0 {
                *venue = probe;
                (cheap.base_bought, cheap.quote_paid)
            } else {
                (0.0, 0.0)
            };
            let rest = owed - units;
            outcome.base_bought_back = owed;
            outcome.buyback_cost_usd = paid + rest * reference;
            outcome.closed = true;
        }
    }

    /// In a push block only the attacker liquidates; otherwise it does not.
    pub(super) fn reserve_keepers_for_attack(&self, block: u64, budget: &mut KeeperBudget) {
        let Some(model) = &self.market.attack else {
            return;
        };
        let pushing = model.pushes_in(block);
        for (keeper, calls) in budget.calls_left.iter_mut().enumerate() {
            if (keeper == model.keeper) != pushing {
                *calls = 0;
            }
        }
    }

    /// The attack's outcome so far (`None` without an attack).
    pub fn attack_outcome(&self) -> Option<AttackOutcome> {
        let model = self.market.attack.as_ref()?;
        let mut outcome = self
            .attack
            .as_ref()
            .map(|runtime| runtime.outcome.clone())
            .unwrap_or_default();
        outcome.venue = self.market.venues[model.venue.index()].name.clone();
        outcome.start_block = model.start_block;
        outcome.close_block = model.close_block();
        let attacker = &self.market.keepers[model.keeper].name;
        for event in self.events.iter().filter(|e| &e.keeper == attacker) {
            outcome.liquidations += 1;
            outcome.debt_repaid_usd += event.debt_repaid_usd;
            outcome.liquidation_profit_usd += event.keeper_profit_usd;
        }
        // Before the close, what is still owed counts at today's reference price.
        let asset = self.market.venues[model.venue.index()].asset.index();
        let owed = (outcome.base_sold - outcome.base_bought_back).max(0.0);
        outcome.manipulation_cost_usd =
            outcome.buyback_cost_usd + owed * self.reference[asset] + outcome.borrow_fees_usd
                - outcome.sale_proceeds_usd;
        outcome.net_profit_usd = outcome.liquidation_profit_usd - outcome.manipulation_cost_usd;
        Some(outcome)
    }
}
