//! Options vaults: the desks' delta hedging (the agents phase) and the liquidation of writers below
//! their margin (the liquidation phase).

use crate::ids::AssetId;
use crate::mechanism::backstop::InsuranceFund;
use crate::mechanism::options::{short_option_margin, DeltaHedger, OptionHolding, OptionKind};
use crate::names::{AccountName, Name};
use crate::option_vault::OptionVault;
use crate::report::{EventKind, LiquidationEvent};
use crate::setup::SECONDS_PER_YEAR;

use super::{BlockOutcome, Simulation};

#[derive(Debug, Clone)]
pub(crate) struct VaultRuntime {
    /// The writers as they are now.
    pub vault: OptionVault,
    /// The market makers (or the vault's own desk when it has none): the first liquidates writers.
    desks: Vec<DeltaHedger>,
    desk_names: Vec<Name>,
    rebalance_blocks: Vec<u64>,
    insurance: Option<InsuranceFund>,
    insurance_lowest: f64,
    covered_bad_debt: f64,
    liquidated: Vec<bool>,
}

impl VaultRuntime {
    pub fn new(vault: &OptionVault, spot: f64) -> Self {
        let mut desks = Vec::new();
        let mut desk_names = Vec::new();
        let mut rebalance_blocks = Vec::new();
        for maker in &vault.market_makers {
            let mut desk = DeltaHedger {
                rate: vault.rate,
                carry: vault.rate,
                holdings: maker.holdings.clone(),
                hedge: 0.0,
                rebalance_band: maker.rebalance_band,
            };
            desk.hedge = maker
                .initial_hedge
                .unwrap_or_else(|| -desk.options_delta(spot, 0.0));
            desks.push(desk);
            desk_names.push(Name::new(&maker.name));
            rebalance_blocks.push(maker.rebalance_blocks.max(1));
        }
        if desks.is_empty() {
            desks.push(DeltaHedger {
                rate: vault.rate,
                carry: vault.rate,
                holdings: Vec::new(),
                hedge: 0.0,
                rebalance_band: 0.0,
            });
            desk_names.push(Name::from(format!("{}-desk", vault.name)));
            rebalance_blocks.push(1);
        }
        let initial = vault.insurance_fund.map_or(0.0, |fund| fund.initial_usd);
        VaultRuntime {
            desks,
            desk_names,
            rebalance_blocks,
            insurance: vault
                .insurance_fund
                .map(|fund| InsuranceFund::new(fund.initial_usd)),
            insurance_lowest: initial,
            covered_bad_debt: 0.0,
            liquidated: vec![false; vault.writers.len()],
            vault: vault.clone(),
        }
    }

    pub fn track(&mut self) {
        if let Some(fund) = &self.insurance {
            self.insurance_lowest = self.insurance_lowest.min(fund.balance);
        }
    }

    pub fn insurance_drawdown(&self) -> f64 {
        self.vault.insurance_fund.map_or(0.0, |fund| {
            (fund.initial_usd - self.insurance_lowest).max(0.0)
        })
    }

    pub fn covered(&self) -> f64 {
        self.covered_bad_debt
    }

    pub fn n_liquidated(&self) -> u64 {
        self.liquidated.iter().filter(|&&hit| hit).count() as u64
    }
}

/// Per-unit value and margin of one option line, computed once per block for all writers of it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LineQuote {
    kind: OptionKind,
    strike: f64,
    expiry: f64,
    volatility: f64,
    value: f64,
    margin: f64,
}

impl Simulation {
    fn years(&self, block: u64) -> f64 {
        block as f64 * self.market.chain.block_time_seconds / SECONDS_PER_YEAR
    }

    /// The agents phase: every desk due to rebalance trades its net delta back into its band, in
    /// the venues of the vault's asset.
    pub(super) fn run_hedgers(&mut self, block: u64, _outcome: &mut BlockOutcome) {
        let now = self.years(block);
        for index in 0..self.vaults.len() {
            let runtime = &self.vaults[index];
            let asset: AssetId = runtime.vault.asset;
            let spot = self.oracle_values[runtime.vault.oracle.index()];
            for desk in 0..runtime.desks.len() {
                let runtime = &mut self.vaults[index];
                if !block.is_multiple_of(runtime.rebalance_blocks[desk]) {
                    continue;
                }
                let trade = runtime.desks[desk].hedge_trade(spot, now);
                if trade < 0.0 {
                    let plan = self.trading.plan_sale(asset, -trade, &self.reference, None);
                    let done = self
                        .trading
                        .sell(asset, -trade, &plan, &self.reference, None);
                    runtime.desks[desk].hedge -= done.sold;
                    self.flows.hedge_bought[asset.index()] -= done.sold;
                    self.mechanisms.hedge_volume_usd += done.proceeds;
                } else if trade > 0.0 {
                    let (bought, paid) = self.trading.buy(asset, trade, &self.reference);
                    runtime.desks[desk].hedge += bought;
                    self.flows.hedge_bought[asset.index()] += bought;
                    self.mechanisms.hedge_volume_usd += paid;
                }
            }
        }
    }

    /// Writers whose collateral is below their margin are liquidated: the first desk takes the short
    /// over for the options' value plus the penalty, paid from the collateral.
    pub(super) fn run_vault(&mut self, block: u64, index: usize, outcome: &mut BlockOutcome) {
        let now = self.years(block);
        let runtime = &self.vaults[index];
        let vault = &runtime.vault;
        let spot = self.oracle_values[vault.oracle.index()];
        let mut lines: Vec<LineQuote> = Vec::new();
        let mut quote = |holding: &OptionHolding| -> LineQuote {
            let found = lines.iter().find(|l| {
                l.kind == holding.kind
                    && l.strike == holding.strike
                    && l.expiry == holding.expiry
                    && l.volatility == holding.volatility
            });
            if let Some(line) = found {
                return *line;
            }
            let inputs = vault.inputs(holding, spot, now);
            let line = LineQuote {
                kind: holding.kind,
                strike: holding.strike,
                expiry: holding.expiry,
                volatility: holding.volatility,
                value: inputs.value(),
                margin: short_option_margin(&inputs, 1.0, &vault.stress).total,
            };
            lines.push(line);
            line
        };
        let mut due: Vec<(usize, f64, f64)> = Vec::new();
        for (writer_index, writer) in vault.writers.iter().enumerate() {
            if writer.holding.quantity >= 0.0 {
                continue;
            }
            let line = quote(&writer.holding);
            let units = -writer.holding.quantity;
            if writer.collateral_usd < line.margin * units {
                due.push((writer_index, line.value, line.margin));
            }
        }
        outcome.n_liquidatable += due.len() as u32;
        let symbol = self.names.assets[vault.asset.index()].clone();
        for (writer_index, value, margin) in due {
            let runtime = &mut self.vaults[index];
            let writer = runtime.vault.writers[writer_index];
            let units = -writer.holding.quantity;
            let liability = value * units;
            let owed = liability * (1.0 + runtime.vault.liquidation_penalty);
            let paid = owed.min(writer.collateral_usd.max(0.0));
            let bad_debt_usd = (liability - writer.collateral_usd.max(0.0)).max(0.0);
            runtime.desks[0].holdings.push(writer.holding);
            runtime.vault.writers[writer_index].holding.quantity = 0.0;
            runtime.vault.writers[writer_index].collateral_usd -= paid;
            runtime.liquidated[writer_index] = true;
            if bad_debt_usd > 0.0 {
                if let Some(fund) = &mut runtime.insurance {
                    runtime.covered_bad_debt += fund.cover(bad_debt_usd).covered;
                }
            }
            let event = LiquidationEvent {
                block,
                protocol: self.names.vaults[index].clone(),
                account: AccountName::Index(writer_index as u32),
                keeper: runtime.desk_names[0].clone(),
                collateral_asset: symbol.clone(),
                debt_asset: self.names.usd.clone(),
                health_factor_before: writer.collateral_usd / (margin * units),
                health_factor_after: f64::INFINITY,
                close_factor: 1.0,
                debt_repaid: units,
                debt_repaid_usd: liability,
                collateral_seized: units,
                collateral_seized_usd: paid,
                bonus_usd: paid - liability,
                protocol_fee_usd: 0.0,
                collateral_price: spot,
                debt_price: 1.0,
                venue: Name::default(),
                collateral_sold: 0.0,
                sale_proceeds_usd: 0.0,
                gas_usd: 0.0,
                keeper_profit_usd: paid - liability,
                bad_debt_usd,
                kind: EventKind::OptionTakeover,
            };
            self.record_event(event, outcome);
        }
    }
}
