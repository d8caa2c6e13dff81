//! The liquidation phase of perp exchanges: funding, then for every account below its maintenance
//! margin (times any breaker's multiplier), biggest notional first: a backstop takeover when its
//! equity is below the pool's trigger, or a market liquidation of its largest position (a chunk of
//! it above the chunk threshold, within the rate limit) whose fee goes to the insurance fund and
//! whose loss beyond the margin the fund covers; when the fund could not cover it, the position is
//! auto-deleveraged against the opposite side at its bankruptcy price instead.

use crate::ids::AssetId;
use crate::mechanism::adl::{auto_deleverage, AdlCandidate};
use crate::mechanism::backstop::{
    should_backstop, BackstopPool, InsuranceFund, ProtocolOwnedLiquidity,
};
use crate::mechanism::perp::{
    funding_payment, funding_rate, liquidate_cross, liquidate_isolated, mark_price,
    IsolatedPosition, MarginTiers, MarkPriceInputs, PartialLiquidationState, PerpLiquidationFill,
};
use crate::names::Name;
use crate::perp_exchange::{MarginMode, PerpExchange};
use crate::report::{EventKind, LiquidationEvent};

use super::breakers::BreakerRuntime;
use super::{BlockOutcome, Simulation};

#[derive(Debug, Clone)]
pub(crate) struct PerpRuntime {
    /// The accounts as they are now.
    pub exchange: PerpExchange,
    tiers: Vec<MarginTiers>,
    pub insurance: InsuranceFund,
    insurance_lowest: f64,
    /// Losses the fund covered (not funding).
    covered_bad_debt: f64,
    backstop: Option<BackstopPool>,
    backstop_lowest_equity: f64,
    chunk_state: Vec<PartialLiquidationState>,
    pol: Option<ProtocolOwnedLiquidity>,
    pub breakers: BreakerRuntime,
    liquidated: Vec<bool>,
    last_funding: u64,
    /// Per market: the funding rate paid at the last funding.
    last_rates: Vec<f64>,
    /// Per market: this block's mark prices (empty before the first liquidation phase).
    current_marks: Vec<f64>,
}

impl PerpRuntime {
    pub fn new(exchange: &PerpExchange, n_assets: usize, block_time_seconds: f64) -> Self {
        let mut listed = vec![false; n_assets];
        for market in &exchange.markets {
            listed[market.asset.index()] = true;
        }
        PerpRuntime {
            tiers: exchange.tiers(),
            insurance: InsuranceFund::new(exchange.insurance_fund_usd),
            insurance_lowest: exchange.insurance_fund_usd,
            covered_bad_debt: 0.0,
            backstop: exchange
                .backstop
                .map(|model| BackstopPool::new(model.capital_usd, 0.0)),
            backstop_lowest_equity: exchange.backstop.map_or(0.0, |model| model.capital_usd),
            chunk_state: vec![PartialLiquidationState::default(); exchange.accounts.len()],
            pol: exchange
                .protocol_owned_liquidity
                .map(|pol| ProtocolOwnedLiquidity::new(pol.budget_usd, pol.discount)),
            breakers: BreakerRuntime::new(exchange.breakers, listed, block_time_seconds),
            liquidated: vec![false; exchange.accounts.len()],
            last_funding: 0,
            last_rates: vec![0.0; exchange.markets.len()],
            current_marks: Vec::new(),
            exchange: exchange.clone(),
        }
    }

    /// Index prices by market: what each market's oracle shows.
    fn index_prices(&self, oracle_values: &[f64]) -> Vec<f64> {
        self.exchange
            .markets
            .iter()
            .map(|m| oracle_values[m.oracle.index()])
            .collect()
    }

    /// This block's mark prices by market (the index prices before the first liquidation phase).
    pub fn marks(&self, oracle_values: &[f64]) -> Vec<f64> {
        if self.current_marks.is_empty() {
            self.index_prices(oracle_values)
        } else {
            self.current_marks.clone()
        }
    }

    /// Mark prices by asset (0 for assets without a market), for the breakers.
    pub fn marks_by_asset(&self, oracle_values: &[f64], n_assets: usize) -> Vec<f64> {
        let mut prices = vec![0.0; n_assets];
        for market in &self.exchange.markets {
            prices[market.asset.index()] = oracle_values[market.oracle.index()];
        }
        prices
    }

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
        self.exchange.chunks.is_some_and(|config| {
            self.chunk_state
                .iter()
                .any(|s| s.last_partial_at.is_some_and(|t| now < t + config.cooldown))
        })
    }

    pub fn track(&mut self, marks: &[f64]) {
        self.insurance_lowest = self.insurance_lowest.min(self.insurance.balance);
        if let Some(pool) = &self.backstop {
            self.backstop_lowest_equity = self.backstop_lowest_equity.min(pool.equity(marks));
        }
    }

    pub fn insurance_drawdown(&self) -> f64 {
        (self.exchange.insurance_fund_usd - self.insurance_lowest).max(0.0)
    }

    pub fn backstop_drawdown(&self) -> f64 {
        self.exchange.backstop.map_or(0.0, |model| {
            (model.capital_usd - self.backstop_lowest_equity).max(0.0)
        })
    }

    pub fn covered(&self) -> f64 {
        self.covered_bad_debt
    }

    pub fn n_liquidated(&self) -> u64 {
        self.liquidated.iter().filter(|&&hit| hit).count() as u64
    }

    /// The collateral a position of account `a` can lose before its equity is zero: the account's
    /// collateral plus the PnL of its other positions.
    fn margin_available(&self, account: usize, position: usize, marks: &[f64]) -> f64 {
        let holder = &self.exchange.accounts[account];
        let mut available = holder.collateral;
        for (i, other) in holder.positions.iter().enumerate() {
            if i != position {
                available += other.size * (marks[other.market] - other.entry_price);
            }
        }
        available
    }

    /// Net open size of the exchange's accounts in `market` (the skew).
    fn skew(&self, market: usize) -> f64 {
        self.exchange
            .accounts
            .iter()
            .flat_map(|a| a.positions.iter())
            .filter(|p| p.market == market)
            .map(|p| p.size)
            .sum()
    }

    /// Closes `size` (absolute) of position `position` of `account` at `price` with `fee_rate`.
    fn close(
        &mut self,
        account: usize,
        position: usize,
        size: f64,
        price: f64,
        fee_rate: f64,
        marks: &[f64],
    ) -> PerpLiquidationFill {
        let holder = &mut self.exchange.accounts[account];
        match self.exchange.margin_mode {
            MarginMode::Isolated => {
                let p = holder.positions[position];
                let mut isolated = IsolatedPosition {
                    size: p.size,
                    entry_price: p.entry_price,
                    margin: holder.collateral,
                };
                let fill = liquidate_isolated(&mut isolated, size, price, fee_rate);
                if isolated.size == 0.0 {
                    holder.positions.remove(position);
                    holder.collateral = fill.margin_released;
                } else {
                    holder.positions[position].size = isolated.size;
                    holder.collateral = isolated.margin;
                }
                fill
            }
            MarginMode::Cross => liquidate_cross(holder, position, size, price, fee_rate, marks),
        }
    }
}

impl Simulation {
    /// One perp exchange's block.
    pub(super) fn run_perp(&mut self, block: u64, index: usize, outcome: &mut BlockOutcome) {
        let now = self.now(block);
        let index_prices = self.perps[index].index_prices(&self.oracle_values);
        self.pay_funding(index, &index_prices, now);
        let marks = self.perp_marks(index, &index_prices, now);
        self.perps[index].current_marks = marks.clone();
        let runtime = &self.perps[index];
        let multiplier = runtime.breakers.margin_multiplier(now);
        let mut candidates: Vec<(f64, usize)> = runtime
            .exchange
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                !a.positions.is_empty()
                    && a.equity(&marks) < multiplier * a.maintenance_margin(&runtime.tiers, &marks)
            })
            .map(|(i, a)| {
                let notional: f64 = a
                    .positions
                    .iter()
                    .map(|p| p.size.abs() * marks[p.market])
                    .sum();
                (notional, i)
            })
            .collect();
        outcome.n_liquidatable += candidates.len() as u32;
        candidates.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, account) in candidates {
            self.liquidate_perp_account(block, index, account, &marks, multiplier, outcome);
        }
    }

    /// The mark prices: the index, or with funding Binance's median of the index carried by the
    /// last funding rate to the next funding, the index, and the best venue price
    /// (`perp::mark_price`, no basis average).
    fn perp_marks(&self, index: usize, index_prices: &[f64], now: u64) -> Vec<f64> {
        let runtime = &self.perps[index];
        let Some(funding) = runtime.exchange.funding else {
            return index_prices.to_vec();
        };
        runtime
            .exchange
            .markets
            .iter()
            .enumerate()
            .map(|(m, market)| {
                mark_price(&MarkPriceInputs {
                    index_price: index_prices[m],
                    last_funding_rate: runtime.last_rates[m],
                    time_to_next_funding: (runtime.last_funding + funding.interval_seconds)
                        .saturating_sub(now) as f64,
                    funding_interval: funding.interval_seconds as f64,
                    basis_average: 0.0,
                    last_price: self.trading.best_spot(market.asset, &self.reference),
                })
            })
            .collect()
    }

    fn pay_funding(&mut self, index: usize, marks: &[f64], now: u64) {
        let runtime = &self.perps[index];
        let Some(funding) = runtime.exchange.funding else {
            return;
        };
        if now < runtime.last_funding + funding.interval_seconds {
            return;
        }
        let rates: Vec<f64> = runtime
            .exchange
            .markets
            .iter()
            .enumerate()
            .map(|(m, market)| {
                let premium =
                    (self.trading.best_spot(market.asset, &self.reference) - marks[m]) / marks[m];
                funding_rate(premium, funding.interest_rate, funding.clamp)
            })
            .collect();
        let runtime = &mut self.perps[index];
        // Payers pay in full; receivers share what payers paid plus what the fund can add (the fund
        // is the counterparty of any imbalance between longs and shorts): funding creates no money.
        let (mut paid, mut owed) = (0.0, 0.0);
        for account in &runtime.exchange.accounts {
            for position in &account.positions {
                let payment = funding_payment(
                    position.size,
                    marks[position.market],
                    rates[position.market],
                );
                if payment > 0.0 {
                    paid += payment;
                } else {
                    owed -= payment;
                }
            }
        }
        let from_fund = (owed - paid)
            .max(0.0)
            .min(runtime.insurance.balance.max(0.0));
        let share = if owed > 0.0 {
            ((paid + from_fund) / owed).min(1.0)
        } else {
            0.0
        };
        for account in &mut runtime.exchange.accounts {
            for position in &account.positions {
                let payment = funding_payment(
                    position.size,
                    marks[position.market],
                    rates[position.market],
                );
                account.collateral -= if payment > 0.0 {
                    payment
                } else {
                    payment * share
                };
            }
        }
        runtime.last_rates = rates;
        if from_fund > 0.0 {
            runtime.insurance.cover(from_fund);
        } else if paid > owed {
            runtime.insurance.contribute(paid - owed);
        }
        runtime.last_funding = now;
    }

    fn liquidate_perp_account(
        &mut self,
        block: u64,
        index: usize,
        account: usize,
        marks: &[f64],
        multiplier: f64,
        outcome: &mut BlockOutcome,
    ) {
        let now = self.now(block);
        let runtime = &self.perps[index];
        let holder = &runtime.exchange.accounts[account];
        let equity = holder.equity(marks);
        let maintenance = multiplier * holder.maintenance_margin(&runtime.tiers, marks);
        let Some(position_index) = (0..holder.positions.len()).max_by(|&a, &b| {
            let n = |i: usize| holder.positions[i].size.abs() * marks[holder.positions[i].market];
            n(a).total_cmp(&n(b)).then(b.cmp(&a))
        }) else {
            return;
        };
        let position = holder.positions[position_index];
        let market = position.market;
        let asset = runtime.exchange.markets[market].asset;
        let mark = marks[market];
        if runtime.breakers.blocked(asset.index(), now, mark) {
            self.mechanisms.liquidations_deferred += 1;
            return;
        }
        let health_before = if maintenance > 0.0 {
            equity / maintenance
        } else {
            f64::INFINITY
        };
        // Backstop: the pool takes the whole account over at the mark.
        if let (Some(model), Some(pool)) = (runtime.exchange.backstop, &runtime.backstop) {
            if should_backstop(equity, maintenance, model.trigger) && pool.equity(marks) > 0.0 {
                self.perp_take_over(block, index, account, marks, health_before, outcome);
                return;
            }
        }
        let abs_size = position.size.abs();
        let mut state = runtime.chunk_state[account];
        let mut close = match runtime.exchange.chunks {
            Some(config) => state.next_chunk(&config, abs_size, mark, now),
            None => abs_size,
        };
        if close <= 0.0 {
            self.mechanisms.liquidations_deferred += 1;
            return;
        }
        let skew = runtime.skew(market);
        let runtime = &mut self.perps[index];
        close = runtime
            .breakers
            .admit(asset.index(), close, now, skew, u32::MAX);
        if close <= 0.0 {
            self.mechanisms.liquidations_deferred += 1;
            return;
        }
        runtime.chunk_state[account] = state;
        runtime.liquidated[account] = true;
        let side = position.size.signum();
        // Auto-deleveraging: a full close whose loss the fund could not cover goes to the opposite
        // side at the bankruptcy price instead of the market.
        if runtime.exchange.adl && close >= abs_size {
            let available = runtime.margin_available(account, position_index, marks);
            let expected_price = if side > 0.0 {
                let pol = runtime.pol.as_ref().map(|pol| (pol, mark));
                self.trading
                    .plan_sale(asset, close, &self.reference, pol)
                    .proceeds
                    / close
            } else {
                self.trading.purchase_cost(asset, close, &self.reference) / close
            };
            let runtime = &self.perps[index];
            let loss = -(available + position.size * (expected_price - position.entry_price));
            if loss > runtime.insurance.balance {
                let closed = self.auto_deleverage_position(
                    block,
                    index,
                    account,
                    position_index,
                    available,
                    marks,
                    health_before,
                    outcome,
                );
                close -= closed;
                if close <= 1e-12 * abs_size {
                    return;
                }
            }
        }
        self.perp_market_close(
            block,
            index,
            account,
            position_index,
            close,
            marks,
            health_before,
            outcome,
        );
        self.perps[index]
            .breakers
            .record_velocity(close * mark, now);
    }

    /// Closes `close` of the position in the market (sells a long into the venues, buys a short back),
    /// charging the liquidation fee to the fund and covering any loss beyond the margin from it.
    #[allow(clippy::too_many_arguments)]
    fn perp_market_close(
        &mut self,
        block: u64,
        index: usize,
        account: usize,
        position_index: usize,
        close: f64,
        marks: &[f64],
        health_before: f64,
        outcome: &mut BlockOutcome,
    ) {
        let runtime = &mut self.perps[index];
        let position = runtime.exchange.accounts[account].positions[position_index];
        let market = position.market;
        let asset = runtime.exchange.markets[market].asset;
        let mark = marks[market];
        let (venue, filled, price) = if position.size > 0.0 {
            let plan = self.trading.plan_sale(
                asset,
                close,
                &self.reference,
                runtime.pol.as_ref().map(|pol| (pol, mark)),
            );
            let done = self.trading.sell(
                asset,
                close,
                &plan,
                &self.reference,
                runtime.pol.as_mut().map(|pol| (pol, mark)),
            );
            let price = done.proceeds / done.sold.max(f64::MIN_POSITIVE);
            (done.venue, done.sold, price)
        } else {
            let (bought, paid) = self.trading.buy(asset, close, &self.reference);
            (
                Name::default(),
                bought,
                paid / bought.max(f64::MIN_POSITIVE),
            )
        };
        if filled <= 0.0 {
            return;
        }
        let fee_rate = runtime.exchange.liquidation_fee_rate;
        let fill = runtime.close(account, position_index, filled, price, fee_rate, marks);
        runtime.insurance.contribute(fill.fee_to_insurance);
        if fill.bad_debt > 0.0 {
            let cover = runtime.insurance.cover(fill.bad_debt);
            runtime.covered_bad_debt += cover.covered;
        }
        let health_after = {
            let holder = &runtime.exchange.accounts[account];
            let mm = holder.maintenance_margin(&runtime.tiers, marks);
            if mm > 0.0 {
                holder.equity(marks) / mm
            } else {
                f64::INFINITY
            }
        };
        let notional = filled * mark;
        let event = LiquidationEvent {
            block,
            protocol: self.names.perps[index].clone(),
            account: runtime.exchange.label(account),
            keeper: self.names.liquidation_engine.clone(),
            collateral_asset: self.names.assets[asset.index()].clone(),
            debt_asset: self.names.usd.clone(),
            health_factor_before: health_before,
            health_factor_after: health_after,
            close_factor: filled / position.size.abs(),
            debt_repaid: filled,
            debt_repaid_usd: notional - fill.fee_to_insurance,
            collateral_seized: filled,
            collateral_seized_usd: notional,
            bonus_usd: fill.fee_to_insurance,
            protocol_fee_usd: fill.fee_to_insurance,
            collateral_price: mark,
            debt_price: 1.0,
            venue,
            collateral_sold: filled,
            sale_proceeds_usd: filled * price,
            gas_usd: 0.0,
            keeper_profit_usd: 0.0,
            bad_debt_usd: fill.bad_debt,
            kind: EventKind::PerpLiquidation,
        };
        self.record_event(event, outcome);
    }

    /// ADL: closes the position at its bankruptcy price against the opposite side's positions in the
    /// market, ranked by BitMEX's score. Returns the size closed.
    #[allow(clippy::too_many_arguments)]
    fn auto_deleverage_position(
        &mut self,
        block: u64,
        index: usize,
        account: usize,
        position_index: usize,
        available: f64,
        marks: &[f64],
        health_before: f64,
        outcome: &mut BlockOutcome,
    ) -> f64 {
        let runtime = &mut self.perps[index];
        let position = runtime.exchange.accounts[account].positions[position_index];
        let market = position.market;
        let bankruptcy =
            position.entry_price - position.size.signum() * available / position.size.abs();
        if bankruptcy <= 0.0 {
            return 0.0;
        }
        let mut candidates = Vec::new();
        let mut places = Vec::new();
        for (other, holder) in runtime.exchange.accounts.iter().enumerate() {
            if other == account {
                continue;
            }
            for (i, p) in holder.positions.iter().enumerate() {
                if p.market == market && p.size * position.size < 0.0 {
                    let m = runtime.margin_available(other, i, marks);
                    candidates.push(AdlCandidate {
                        account: other as u32,
                        size: p.size,
                        entry_price: p.entry_price,
                        bankruptcy_price: p.entry_price - p.size.signum() * m / p.size.abs(),
                    });
                    places.push((other, i));
                }
            }
        }
        let result = auto_deleverage(&candidates, position.size, bankruptcy, marks[market]);
        let mut closed = 0.0;
        for fill in &result.fills {
            let (other, i) = places[fill.index];
            let holder = &mut runtime.exchange.accounts[other];
            holder.positions[i].size += fill.size_change;
            holder.collateral += fill.realized_pnl;
            closed += fill.size_change.abs();
        }
        for (other, _) in &places {
            runtime.exchange.accounts[*other]
                .positions
                .retain(|p| p.size != 0.0);
        }
        if closed <= 0.0 {
            return 0.0;
        }
        self.mechanisms.adl_events += result.fills.len() as u64;
        let fill = runtime.close(account, position_index, closed, bankruptcy, 0.0, marks);
        if fill.bad_debt > 0.0 {
            let cover = runtime.insurance.cover(fill.bad_debt);
            runtime.covered_bad_debt += cover.covered;
        }
        let asset = runtime.exchange.markets[market].asset;
        let notional = closed * marks[market];
        let event = LiquidationEvent {
            block,
            protocol: self.names.perps[index].clone(),
            account: runtime.exchange.label(account),
            keeper: self.names.adl.clone(),
            collateral_asset: self.names.assets[asset.index()].clone(),
            debt_asset: self.names.usd.clone(),
            health_factor_before: health_before,
            health_factor_after: f64::NAN,
            close_factor: closed / position.size.abs(),
            debt_repaid: closed,
            debt_repaid_usd: notional,
            collateral_seized: closed,
            collateral_seized_usd: notional,
            bonus_usd: 0.0,
            protocol_fee_usd: 0.0,
            collateral_price: marks[market],
            debt_price: 1.0,
            venue: Name::default(),
            collateral_sold: 0.0,
            sale_proceeds_usd: closed * bankruptcy,
            gas_usd: 0.0,
            keeper_profit_usd: 0.0,
            bad_debt_usd: fill.bad_debt,
            kind: EventKind::Adl,
        };
        self.record_event(event, outcome);
        closed
    }

    /// The backstop pool takes the whole account over at the mark (isolated: its one position).
    fn perp_take_over(
        &mut self,
        block: u64,
        index: usize,
        account: usize,
        marks: &[f64],
        health_before: f64,
        outcome: &mut BlockOutcome,
    ) {
        let runtime = &mut self.perps[index];
        let holder = &mut runtime.exchange.accounts[account];
        let pool = runtime.backstop.as_mut().expect("a backstop");
        let largest = holder
            .positions
            .iter()
            .max_by(|a, b| {
                (a.size.abs() * marks[a.market]).total_cmp(&(b.size.abs() * marks[b.market]))
            })
            .copied()
            .expect("a liquidatable account has a position");
        let notional: f64 = holder
            .positions
            .iter()
            .map(|p| p.size.abs() * marks[p.market])
            .sum();
        let taken = match runtime.exchange.margin_mode {
            MarginMode::Isolated => {
                let p = holder.positions[0];
                let mut isolated = IsolatedPosition {
                    size: p.size,
                    entry_price: p.entry_price,
                    margin: holder.collateral,
                };
                let taken = pool.take_over_isolated(&mut isolated, p.market, marks[p.market]);
                holder.positions.clear();
                holder.collateral = 0.0;
                taken
            }
            MarginMode::Cross => pool.take_over_cross(holder, marks),
        };
        runtime.liquidated[account] = true;
        self.mechanisms.backstop_takeovers += 1;
        let asset = runtime.exchange.markets[largest.market].asset;
        let event = LiquidationEvent {
            block,
            protocol: self.names.perps[index].clone(),
            account: runtime.exchange.label(account),
            keeper: self.names.backstop.clone(),
            collateral_asset: self.names.assets[asset.index()].clone(),
            debt_asset: self.names.usd.clone(),
            health_factor_before: health_before,
            health_factor_after: f64::INFINITY,
            close_factor: 1.0,
            debt_repaid: 0.0,
            debt_repaid_usd: notional - taken.equity_received,
            collateral_seized: largest.size.abs(),
            collateral_seized_usd: notional,
            bonus_usd: taken.equity_received,
            protocol_fee_usd: 0.0,
            collateral_price: marks[largest.market],
            debt_price: 1.0,
            venue: Name::default(),
            collateral_sold: 0.0,
            sale_proceeds_usd: 0.0,
            gas_usd: 0.0,
            keeper_profit_usd: 0.0,
            bad_debt_usd: 0.0,
            kind: EventKind::BackstopTakeover,
        };
        self.record_event(event, outcome);
    }

    /// The perp backstop pool unwinds, at most its rate per block and market.
    pub(super) fn unwind_perp_backstop(
        &mut self,
        _block: u64,
        index: usize,
        outcome: &mut BlockOutcome,
    ) {
        let Some(model) = self.perps[index].exchange.backstop else {
            return;
        };
        let marks = self.perps[index].marks(&self.oracle_values);
        for (market, &mark) in marks.iter().enumerate() {
            let runtime = &mut self.perps[index];
            let asset: AssetId = runtime.exchange.markets[market].asset;
            let pool = runtime.backstop.as_mut().expect("a backstop");
            if !pool.positions.iter().any(|p| p.market == market) {
                continue;
            }
            pool.max_unwind_per_block = model.max_unwind_usd_per_block / mark;
            let trade = pool.planned_unwind(market);
            if trade == 0.0 {
                continue;
            }
            let (filled, price) = if trade < 0.0 {
                let plan = self.trading.plan_sale(asset, -trade, &self.reference, None);
                let done = self
                    .trading
                    .sell(asset, -trade, &plan, &self.reference, None);
                (-done.sold, done.proceeds / done.sold.max(f64::MIN_POSITIVE))
            } else {
                let (bought, paid) = self.trading.buy(asset, trade, &self.reference);
                (bought, paid / bought.max(f64::MIN_POSITIVE))
            };
            if filled != 0.0 {
                pool.apply_unwind(market, filled, price);
                outcome.n_actions += 1;
            }
        }
    }
}
