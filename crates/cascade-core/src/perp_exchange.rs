//! A perpetual futures exchange: markets (one per asset, margin tiers, a mark price read from an
//! oracle), accounts in isolated or cross margin, a liquidation fee paid to an insurance fund,
//! auto-deleveraging when the fund cannot cover a loss, an optional backstop pool, liquidation in
//! chunks, funding, and circuit breakers. The formulas are `mechanism::perp`, `mechanism::adl` and
//! `mechanism::backstop`; the engine runs them in `engine::perp`.
//!
//! Every account is stored as a [`CrossAccount`] (collateral and positions); in isolated margin each
//! account holds exactly one position and its collateral is that position's margin.

use rand::Rng;
use rand_distr::{Distribution, LogNormal, Normal};

use crate::ids::{AssetId, OracleId};
use crate::mechanism::perp::{CrossAccount, CrossPosition, MarginTiers, PartialLiquidationConfig};
use crate::names::AccountName;
use crate::rng::{stream_rng, Stream};
use crate::setup::{BackstopModel, BreakerModels, PolModel};

/// Isolated or cross margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginMode {
    Isolated,
    Cross,
}

/// One perpetual market.
#[derive(Debug, Clone, PartialEq)]
pub struct PerpMarketModel {
    pub asset: AssetId,
    /// The mark price (the index the exchange liquidates on).
    pub oracle: OracleId,
    pub tiers: MarginTiers,
}

/// Funding, paid every `interval_seconds` by each position: `size * mark * rate` with
/// `rate = funding_rate(premium, interest_rate, clamp)` (`mechanism::perp`) and
/// `premium = (best venue price - mark) / mark`. The exchange's insurance fund is the counterparty of
/// any imbalance between longs and shorts: it receives what payers pay beyond what receivers are
/// owed, and adds what it can when they are owed more (receivers then share what there is).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FundingModel {
    pub interval_seconds: u64,
    pub interest_rate: f64,
    pub clamp: f64,
}

/// A perp exchange and its accounts.
#[derive(Debug, Clone)]
pub struct PerpExchange {
    pub name: String,
    pub markets: Vec<PerpMarketModel>,
    pub margin_mode: MarginMode,
    /// Fraction of the closed notional charged on liquidation and paid to the insurance fund.
    pub liquidation_fee_rate: f64,
    pub insurance_fund_usd: f64,
    /// Auto-deleverage (BitMEX ranking) when a liquidation would leave a loss the fund cannot cover.
    pub adl: bool,
    pub backstop: Option<BackstopModel>,
    pub chunks: Option<PartialLiquidationConfig>,
    pub funding: Option<FundingModel>,
    pub protocol_owned_liquidity: Option<PolModel>,
    pub breakers: BreakerModels,
    /// Positions' `market` is an index into `markets`.
    pub accounts: Vec<CrossAccount>,
    /// Per account: its name in reports (none: named by index).
    pub labels: Vec<AccountName>,
}

impl PerpExchange {
    /// The account's name in reports: its label, or its index when it has none (no allocation).
    pub fn label(&self, account: usize) -> AccountName {
        match self.labels.get(account) {
            Some(label) => label.clone(),
            None => AccountName::Index(account as u32),
        }
    }

    /// The tiers of every market, in market order.
    pub fn tiers(&self) -> Vec<MarginTiers> {
        self.markets.iter().map(|m| m.tiers.clone()).collect()
    }
}

/// Parameters of a synthetic perp book.
#[derive(Debug, Clone, PartialEq)]
pub struct PerpGeneratorModel {
    pub n_accounts: u32,
    /// Share of positions that are long.
    pub long_share: f64,
    pub median_notional_usd: f64,
    pub notional_sigma: f64,
    pub max_notional_usd: f64,
    pub leverage_median: f64,
    pub leverage_sigma: f64,
    /// Standard deviation of `ln(entry / initial price)`: how far from today positions were opened.
    pub entry_spread: f64,
    /// Share of traders holding a second market (in isolated margin, a second account).
    pub multi_market_share: f64,
}

/// Fills `exchange` with the positions of `model.n_accounts` traders from stream `PerpGenerator` of
/// `seed`, at the markets' initial mark prices `marks`. A trader holds a second market with
/// probability `multi_market_share` (when there are several). The draws do not depend on the margin
/// mode, so the same seed gives the same positions and margins in both: in cross margin a trader is
/// one account whose collateral is the sum of its positions' margins; in isolated margin each
/// position is an account of its own with its margin. Leverage is capped by the tier of each
/// position; a position that would start below 1.25 times its maintenance margin is margined at that.
pub fn generate_perp_accounts(
    exchange: &mut PerpExchange,
    model: &PerpGeneratorModel,
    marks: &[f64],
    seed: u64,
) {
    let mut rng = stream_rng(seed, 0, Stream::PerpGenerator);
    let notional = LogNormal::new(model.median_notional_usd.ln(), model.notional_sigma)
        .expect("validated: positive median and finite sigma");
    let leverage = LogNormal::new(model.leverage_median.ln(), model.leverage_sigma)
        .expect("validated: positive median and finite sigma");
    let entry = Normal::new(0.0, model.entry_spread).expect("validated: finite spread");
    let tiers = exchange.tiers();
    let n_markets = exchange.markets.len();
    for trader in 0..model.n_accounts {
        let mut markets = vec![rng.gen_range(0..n_markets)];
        if n_markets > 1 && rng.gen::<f64>() < model.multi_market_share {
            markets.push((markets[0] + rng.gen_range(1..n_markets)) % n_markets);
        }
        let mut account = CrossAccount {
            collateral: 0.0,
            positions: Vec::new(),
        };
        for market in markets {
            let value = notional.sample(&mut rng).min(model.max_notional_usd);
            let side = if rng.gen::<f64>() < model.long_share {
                1.0
            } else {
                -1.0
            };
            let entry_price = marks[market] * entry.sample(&mut rng).exp();
            let size = side * value / entry_price;
            let tier_max = tiers[market].tier_for(value).max_leverage;
            let chosen = leverage.sample(&mut rng).clamp(1.0, tier_max);
            let mut margin = value / chosen;
            // Opened at the entry, the position's equity today must clear its maintenance margin.
            let maintenance = tiers[market].maintenance_margin(size.abs() * marks[market]);
            let equity_now = margin + size * (marks[market] - entry_price);
            if equity_now < 1.25 * maintenance {
                margin += 1.25 * maintenance - equity_now;
            }
            let position = CrossPosition {
                market,
                size,
                entry_price,
            };
            match exchange.margin_mode {
                MarginMode::Cross => {
                    account.collateral += margin;
                    account.positions.push(position);
                }
                MarginMode::Isolated => {
                    exchange.accounts.push(CrossAccount {
                        collateral: margin,
                        positions: vec![position],
                    });
                    exchange.labels.push(AccountName::Index(trader));
                }
            }
        }
        if exchange.margin_mode == MarginMode::Cross {
            exchange.accounts.push(account);
            exchange.labels.push(AccountName::Index(trader));
        }
    }
}
