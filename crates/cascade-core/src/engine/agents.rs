//! The agents' phases (see `crate::agents` for the models): the block's gas price and space, the
//! borrowers' top-ups, repayments and panic closes, keepers' latency, gas auction and held
//! inventory. Runs only when `Market::agents` is active; otherwise nothing here is called.

use rand::Rng;

use crate::agents::{AgentsModel, BorrowerAction, BorrowerModel, GasPriceModel, KeeperSale};
use crate::ids::AccountId;
use crate::report::EventKind;
use crate::rng::{stream_rng, SimRng, Stream};

use super::sales::KeeperBudget;
use super::{BlockOutcome, Holdings, KeeperModel, Market, Simulation};

/// One block of the chain, as the agents saw it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChainBlockRecord {
    pub block: u64,
    pub base_fee_gwei: f64,
    /// Gas used by ordinary traffic, liquidations and borrower transactions.
    pub gas_used: f64,
    pub liquidations_included: u32,
    /// Liquidations a keeper wanted this block that found no room (the keeper is late).
    pub liquidations_crowded_out: u32,
    pub borrower_txs_included: u32,
    pub borrower_txs_crowded_out: u32,
    /// Priority fees keepers paid this block (USD).
    pub priority_fees_usd: f64,
}

/// What the agents did over the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct AgentTotals {
    pub top_ups: u64,
    pub repays: u64,
    pub panic_closes: u64,
    pub borrower_txs_crowded_out: u64,
    pub liquidations_crowded_out: u64,
    /// Liquidations no keeper could take yet because of latency (account-blocks).
    pub liquidations_delayed_by_latency: u64,
    pub priority_fees_usd: f64,
    pub borrower_gas_usd: f64,
    /// Collateral value borrowers added (USD at the protocol price) and debt they repaid (USD).
    pub collateral_added_usd: f64,
    pub debt_repaid_by_borrowers_usd: f64,
    /// What panic closes sold into the market (USD received).
    pub panic_sold_usd: f64,
}

/// What the agents remember between blocks.
#[derive(Debug, Clone)]
pub(crate) struct AgentRuntime {
    pub model: AgentsModel,
    pub active: bool,
    rng: SimRng,
    pub base_fee_gwei: f64,
    /// Gas still free for liquidations and borrowers this block (infinite without block space).
    gas_left: f64,
    record: Option<ChainBlockRecord>,
    pub records: Vec<ChainBlockRecord>,
    pub totals: AgentTotals,
    /// Per keeper, per asset: collateral held.
    pub inventory: Vec<Vec<f64>>,
    /// Per protocol, per account: the block it was first seen liquidatable in its current spell.
    seen_at: Vec<Vec<Option<u64>>>,
    previous_candidates: Vec<Vec<AccountId>>,
    /// Per protocol: liquidations per block so far (herding).
    liquidations_per_block: Vec<Vec<u32>>,
    events_seen: usize,
    /// Per protocol: the prices it read at the start (drop and disposition effect).
    initial_prices: Vec<Vec<f64>>,
}

impl AgentRuntime {
    pub fn new(market: &Market, protocol_prices: &[Vec<f64>]) -> Self {
        let model = market.agents.clone();
        AgentRuntime {
            active: model.is_active(),
            rng: stream_rng(model.seed, model.path_index, Stream::Agents),
            base_fee_gwei: market.chain.gas_price_gwei,
            gas_left: f64::INFINITY,
            record: None,
            records: Vec::new(),
            totals: AgentTotals::default(),
            inventory: vec![vec![0.0; market.assets.len()]; market.keepers.len()],
            seen_at: market
                .protocols
                .iter()
                .map(|p| vec![None; p.n_accounts()])
                .collect(),
            previous_candidates: vec![Vec::new(); market.protocols.len()],
            liquidations_per_block: vec![Vec::new(); market.protocols.len()],
            events_seen: 0,
            initial_prices: protocol_prices.to_vec(),
            model,
        }
    }

    pub fn pending(&self) -> bool {
        self.inventory.iter().flatten().any(|&held| held > 0.0)
    }

    pub fn add_holdings(&self, holdings: &mut Holdings) {
        for row in &self.inventory {
            for (asset, amount) in row.iter().enumerate() {
                holdings.keepers[asset] += amount;
            }
        }
    }

    /// Whether one liquidation transaction still fits in the block; `false` (and counted as crowded
    /// out) when it does not. Takes no room: call [`take_liquidation_gas`](Self::take_liquidation_gas)
    /// once the call goes ahead.
    pub fn liquidation_fits(&mut self, gas: f64) -> bool {
        if !self.active || self.model.block_space.is_none() {
            return true;
        }
        if self.gas_left < gas {
            let record = self.record.as_mut().expect("a block in progress");
            record.liquidations_crowded_out += 1;
            self.totals.liquidations_crowded_out += 1;
            return false;
        }
        true
    }

    /// Takes room for one liquidation; `false` (and counted) when the block is full.
    pub fn take_liquidation_gas(&mut self, gas: f64) -> bool {
        if !self.liquidation_fits(gas) {
            return false;
        }
        if !self.active || self.model.block_space.is_none() {
            return true;
        }
        let record = self.record.as_mut().expect("a block in progress");
        self.gas_left -= gas;
        record.gas_used += gas;
        record.liquidations_included += 1;
        true
    }

    /// Marks in `budget` the keepers whose latency keeps them from `account` this block.
    pub fn apply_latency(
        &mut self,
        protocol_index: usize,
        account: AccountId,
        block: u64,
        budget: &mut KeeperBudget,
    ) {
        if !self.active {
            return;
        }
        let seen = self.seen_at[protocol_index][account.index()].unwrap_or(block);
        let mut any_late = false;
        for (keeper, unavailable) in budget.unavailable.iter_mut().enumerate() {
            let latency = u64::from(self.model.keeper(keeper).latency_blocks);
            *unavailable = block < seen + latency;
            any_late |= *unavailable;
        }
        if any_late && budget.unavailable.iter().all(|&u| u) {
            self.totals.liquidations_delayed_by_latency += 1;
        }
    }

    /// Remembers which accounts are liquidatable now (latency counts from the first block of each
    /// spell below 1).
    pub fn observe_candidates(&mut self, protocol_index: usize, block: u64, now: &[AccountId]) {
        if !self.active {
            return;
        }
        let mut sorted = now.to_vec();
        sorted.sort_unstable();
        let seen = &mut self.seen_at[protocol_index];
        // An account that left the liquidatable set starts a new spell when it comes back.
        for account in &self.previous_candidates[protocol_index] {
            if sorted.binary_search(account).is_err() {
                seen[account.index()] = None;
            }
        }
        for account in &sorted {
            seen[account.index()].get_or_insert(block);
        }
        self.previous_candidates[protocol_index] = sorted;
    }

    /// The priority gas auction among the keepers able to take a liquidation earning `profit` and
    /// needing `cost`: the highest `gas_bid_share` wins (earlier keeper on ties) and pays the second
    /// highest share of the profit (nothing when uncontested). Returns (winner, fee in USD).
    pub fn auction(
        &self,
        keepers: &[KeeperModel],
        budget: &KeeperBudget,
        chosen: usize,
        profit: f64,
        cost: f64,
    ) -> (usize, f64) {
        if !self.active {
            return (chosen, 0.0);
        }
        let mut bids: Vec<(f64, usize)> = keepers
            .iter()
            .enumerate()
            .filter(|&(k, keeper)| {
                budget.calls_left[k] > 0
                    && budget.capital_left[k] >= cost
                    && !budget.unavailable[k]
                    && profit >= keeper.min_profit_usd
            })
            .map(|(k, _)| (self.model.keeper(k).gas_bid_share, k))
            .collect();
        bids.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        match bids.as_slice() {
            [] => (chosen, 0.0),
            [(_, only)] => (*only, 0.0),
            [(_, winner), (second, _), ..] => (*winner, (second * profit).max(0.0)),
        }
    }

    /// How much of `amount` keeper `keeper` keeps (its `hold_fraction`, within its inventory limit
    /// valued at `price`), added to its inventory.
    pub fn hold(&mut self, keeper: usize, asset: usize, amount: f64, price: f64) -> f64 {
        if !self.active {
            return 0.0;
        }
        let behaviour = self.model.keeper(keeper);
        let KeeperSale::HoldFraction { fraction, .. } = behaviour.sale else {
            return 0.0;
        };
        let held_usd: f64 = self.inventory[keeper]
            .iter()
            .enumerate()
            .map(|(a, units)| if a == asset { units * price } else { 0.0 })
            .sum();
        let room = ((behaviour.inventory_limit_usd - held_usd) / price).max(0.0);
        let keep = (amount * fraction).min(room);
        self.inventory[keeper][asset] += keep;
        keep
    }
}

impl Simulation {
    /// Start of a block: this block's base fee and the gas left after ordinary traffic.
    pub(super) fn begin_chain_block(&mut self, block: u64) {
        if !self.agents.active {
            return;
        }
        let chain_gas_price = self.market.chain.gas_price_gwei_at(block);
        let runtime = &mut self.agents;
        let Some(space) = &runtime.model.block_space else {
            return;
        };
        if space.gas_price == GasPriceModel::Exogenous {
            // The chain's one gas price (constant or its series): the same value keepers read.
            runtime.base_fee_gwei = chain_gas_price;
        }
        let background = space.block_gas_limit * space.background_gas_fraction;
        runtime.gas_left = space.block_gas_limit - background;
        runtime.record = Some(ChainBlockRecord {
            block,
            base_fee_gwei: runtime.base_fee_gwei,
            gas_used: background,
            liquidations_included: 0,
            liquidations_crowded_out: 0,
            borrower_txs_included: 0,
            borrower_txs_crowded_out: 0,
            priority_fees_usd: 0.0,
        });
    }

    /// End of a block: the record, the next base fee, the liquidations each protocol saw.
    pub(super) fn end_chain_block(&mut self) {
        if !self.agents.active {
            return;
        }
        let runtime = &mut self.agents;
        let n = self.protocols.len();
        let mut counts = vec![0u32; n];
        for event in &self.events[runtime.events_seen..] {
            if event.kind.is_liquidation() || event.kind == EventKind::BackstopTakeover {
                if let Some(p) = self.protocols.iter().position(|p| p.name == event.protocol) {
                    counts[p] += 1;
                }
            }
        }
        runtime.events_seen = self.events.len();
        for (history, count) in runtime.liquidations_per_block.iter_mut().zip(counts) {
            history.push(count);
        }
        if let (Some(record), Some(space)) = (runtime.record.take(), &runtime.model.block_space) {
            runtime.base_fee_gwei = space.next_base_fee(runtime.base_fee_gwei, record.gas_used);
            runtime.records.push(record);
        }
    }

    /// USD of `gas` at this block's base fee plus `tip_gwei`.
    fn gas_usd(&self, gas: f64, tip_gwei: f64) -> f64 {
        (self.agents.base_fee_gwei + tip_gwei) * 1e-9 * gas * self.gas_token_price_usd()
    }

    /// The borrowers' phase: every account of a protocol with a borrower model whose health factor
    /// is below the band may act; their transactions get the room liquidations leave.
    pub(super) fn run_borrowers(&mut self, outcome: &mut BlockOutcome) {
        if !self.agents.active {
            return;
        }
        for p in 0..self.protocols.len() {
            let Some(Some(model)) = self.agents.model.borrowers.get(p).copied() else {
                continue;
            };
            self.run_protocol_borrowers(p, &model, outcome);
        }
    }

    fn run_protocol_borrowers(
        &mut self,
        p: usize,
        model: &BorrowerModel,
        outcome: &mut BlockOutcome,
    ) {
        let prices = self.protocol_prices[p].clone();
        let history = &self.agents.liquidations_per_block[p];
        let window = model.herding_window_blocks as usize;
        let recent: u64 = history
            .iter()
            .rev()
            .take(window)
            .map(|&n| u64::from(n))
            .sum();
        let herd = model.herd(recent);
        let band = model.effective_band(herd);
        let candidates = self.indices[p].below(&self.protocols[p], &prices, band);
        if candidates.is_empty() {
            return;
        }
        // Intents: (tip in gwei, account, action).
        let mut intents: Vec<(f64, AccountId, BorrowerAction)> = Vec::new();
        let mut n_liquidatable = 0u32;
        for &(account, health_factor) in &candidates {
            let (u_act, u_choice): (f64, f64) = (self.agents.rng.gen(), self.agents.rng.gen());
            if health_factor < 1.0 {
                n_liquidatable += 1;
            }
            let protocol = &self.protocols[p];
            let Some((c, _)) = protocol.largest_pair(account, &prices) else {
                continue;
            };
            let initial = self.agents.initial_prices[p][c.index()];
            let drop = 1.0 - prices[c.index()] / initial;
            let probability = model.act_probability(health_factor, drop, herd, drop > 0.0);
            if u_act < probability {
                let closeness = model.closeness(health_factor, herd);
                let tip = self
                    .agents
                    .model
                    .block_space
                    .as_ref()
                    .map_or(0.0, |space| space.borrower_tip_gwei * closeness);
                intents.push((tip, account, model.choose(health_factor, herd, u_choice)));
            }
        }
        if intents.is_empty() {
            return;
        }
        intents.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        // Liquidation transactions outbid every borrower: the room they need is set aside first.
        let calls: u64 = self
            .market
            .keepers
            .iter()
            .map(|k| u64::from(k.max_liquidations_per_block))
            .sum();
        let reserved = n_liquidatable.min(calls as u32) as f64 * self.market.chain.liquidation_gas;
        let gas = self
            .agents
            .model
            .block_space
            .as_ref()
            .map(|space| space.borrower_action_gas);
        for (tip, account, action) in intents {
            if let Some(gas) = gas {
                let runtime = &mut self.agents;
                let record = runtime.record.as_mut().expect("a block in progress");
                if runtime.gas_left - reserved < gas {
                    record.borrower_txs_crowded_out += 1;
                    runtime.totals.borrower_txs_crowded_out += 1;
                    continue;
                }
                runtime.gas_left -= gas;
                record.gas_used += gas;
                record.borrower_txs_included += 1;
                let gas_usd = self.gas_usd(gas, tip);
                self.agents.totals.borrower_gas_usd += gas_usd;
            }
            if self.borrower_act(p, account, action, model, &prices) {
                outcome.n_actions += 1;
            }
        }
        self.quiet_liquidation_inputs = None;
    }

    /// Applies one borrower action; returns whether it changed the account.
    fn borrower_act(
        &mut self,
        p: usize,
        account: AccountId,
        action: BorrowerAction,
        model: &BorrowerModel,
        prices: &[f64],
    ) -> bool {
        let protocol = &self.protocols[p];
        let Some((c, d)) = protocol.largest_pair(account, prices) else {
            return false;
        };
        let (ci, di) = (c.index(), d.index());
        let weighted = protocol.weighted_collateral_usd(account, prices);
        let debt_usd = protocol.debt_usd(account, prices);
        let target = model.target_health_factor;
        match action {
            BorrowerAction::TopUp => {
                let threshold = protocol.risk_params[ci].map_or(0.0, |r| r.liquidation_threshold);
                let needed_usd = target * debt_usd - weighted;
                if needed_usd <= 0.0 || threshold <= 0.0 {
                    return false;
                }
                let units = needed_usd / (prices[ci] * threshold);
                self.protocols[p].add_collateral(account, c, units);
                self.flows.borrower_collateral_added[ci] += units;
                self.agents.totals.top_ups += 1;
                self.agents.totals.collateral_added_usd += units * prices[ci];
            }
            BorrowerAction::Repay => {
                let excess_usd = debt_usd - weighted / target;
                let units = (excess_usd / prices[di]).min(protocol.debt_row(account)[di]);
                if units <= 0.0 {
                    return false;
                }
                self.protocols[p].repay(account, d, units);
                self.flows.borrower_debt_repaid[di] += units;
                self.agents.totals.repays += 1;
                self.agents.totals.debt_repaid_by_borrowers_usd += units * prices[di];
            }
            BorrowerAction::PanicClose => {
                // Flight to liquidity: sell the main collateral into the market, repay the main
                // debt from the proceeds, withdraw what is left. Only when the sale covers the debt.
                let units = protocol.collateral_row(account)[ci];
                let owed = protocol.debt_row(account)[di];
                let sale = self.trading.plan_sale(c, units, &self.reference, None);
                if units <= 0.0 || sale.proceeds < owed * self.reference[di] {
                    return false;
                }
                let done = self.trading.sell(c, units, &sale, &self.reference, None);
                self.flows.collateral_sold_to_market[ci] += done.to_market;
                self.protocols[p].add_collateral(account, c, -units);
                self.protocols[p].repay(account, d, owed);
                self.flows.borrower_debt_repaid[di] += owed;
                self.agents.totals.panic_closes += 1;
                self.agents.totals.panic_sold_usd += done.proceeds;
                self.agents.totals.debt_repaid_by_borrowers_usd += owed * prices[di];
            }
        }
        self.indices[p].touch(&self.protocols[p], account);
        true
    }

    /// Keepers that hold collateral sell their `sell_per_block` share of it.
    pub(super) fn unwind_keeper_inventory(&mut self, outcome: &mut BlockOutcome) {
        if !self.agents.active {
            return;
        }
        for keeper in 0..self.agents.inventory.len() {
            let KeeperSale::HoldFraction { sell_per_block, .. } =
                self.agents.model.keeper(keeper).sale
            else {
                continue;
            };
            for asset in 0..self.agents.inventory[keeper].len() {
                let held = self.agents.inventory[keeper][asset];
                if held <= 0.0 {
                    continue;
                }
                let id = crate::ids::AssetId(asset as u16);
                // The last dollar goes at once, so that the stock runs out.
                let amount = if held * self.reference[asset] < 1.0 {
                    held
                } else {
                    held * sell_per_block
                };
                let plan = self.trading.plan_sale(id, amount, &self.reference, None);
                let done = self.trading.sell(id, amount, &plan, &self.reference, None);
                self.flows.collateral_sold_to_market[asset] += done.to_market;
                self.flows.keeper_proceeds_usd += done.proceeds;
                self.agents.inventory[keeper][asset] = (held - done.sold).max(0.0);
                outcome.n_actions += 1;
            }
        }
    }

    /// The chain's record of every block run (empty without block space).
    pub fn chain_records(&self) -> &[ChainBlockRecord] {
        &self.agents.records
    }

    /// What the agents did so far.
    pub fn agent_totals(&self) -> AgentTotals {
        self.agents.totals
    }
}
