//! An options vault: writers sell European calls and puts on one asset, collateralised in USD, with a
//! margin of premium plus a greek stress add-on (`mechanism::options::short_option_margin`); options
//! market makers delta-hedge their books (`mechanism::options::DeltaHedger`) and send the hedge flow
//! to the asset's venues. A short-gamma desk sells into a falling price: the second-order flow of
//! SPEC.md 1.4. The engine runs it in `engine::options`.
//!
//! A writer whose collateral falls below its margin is liquidated: the liquidating desk (the first
//! market maker, or the vault's own desk when there is none) takes the short over and receives the
//! options' value plus a penalty from the writer's collateral (at most all of it; what is missing is
//! bad debt); the desk then hedges what it took over.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::ids::{AssetId, OracleId};
use crate::mechanism::options::{BsmInputs, OptionHolding, OptionKind, OptionStress};
use crate::rng::{stream_rng, Stream};
use crate::setup::InsuranceFundModel;

/// A writer: one short option line and its collateral.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionWriter {
    /// `quantity < 0`: short.
    pub holding: OptionHolding,
    pub collateral_usd: f64,
}

/// A delta-hedging desk.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketMakerModel {
    pub name: String,
    /// The book (quantity > 0 long, < 0 short).
    pub holdings: Vec<OptionHolding>,
    /// No trade while the net delta is within this band (units of the asset).
    pub rebalance_band: f64,
    /// Blocks between rebalances (1: every block).
    pub rebalance_blocks: u64,
    /// Units of the asset held as the hedge at the start (`None`: the hedge that makes the book
    /// delta-neutral at the initial price).
    pub initial_hedge: Option<f64>,
}

/// An options vault.
#[derive(Debug, Clone)]
pub struct OptionVault {
    pub name: String,
    pub asset: AssetId,
    pub oracle: OracleId,
    /// Risk-free rate `r` (per year); the cost of carry is taken equal to it.
    pub rate: f64,
    /// The stress the margin covers.
    pub stress: OptionStress,
    /// Penalty paid to the liquidating desk, a fraction of the options' value.
    pub liquidation_penalty: f64,
    pub writers: Vec<OptionWriter>,
    pub market_makers: Vec<MarketMakerModel>,
    pub insurance_fund: Option<InsuranceFundModel>,
}

impl OptionVault {
    /// The BSM inputs of `holding` at `spot` and time `now` (years since the start).
    pub fn inputs(&self, holding: &OptionHolding, spot: f64, now: f64) -> BsmInputs {
        BsmInputs {
            kind: holding.kind,
            spot,
            strike: holding.strike,
            time_to_expiry: (holding.expiry - now).max(0.0),
            rate: self.rate,
            carry: self.rate,
            volatility: holding.volatility,
        }
    }
}

/// Parameters of synthetic writers.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterGeneratorModel {
    pub n_writers: u32,
    /// Share of writers selling puts (the rest sell calls).
    pub put_share: f64,
    /// Strikes as fractions of the initial price; each writer picks one (puts: those below 1 are out
    /// of the money).
    pub put_strikes: Vec<f64>,
    pub call_strikes: Vec<f64>,
    /// Expiry in years.
    pub expiry_years: f64,
    pub volatility: f64,
    pub median_notional_usd: f64,
    pub notional_sigma: f64,
    /// Collateral = margin at the initial price times `1 + buffer`, `buffer` log-normal with this
    /// median and sigma.
    pub buffer_median: f64,
    pub buffer_sigma: f64,
}

/// Adds `model.n_writers` writers to `vault` (stream `OptionGenerator` of `seed`) at `spot`.
pub fn generate_writers(
    vault: &mut OptionVault,
    model: &WriterGeneratorModel,
    spot: f64,
    seed: u64,
) {
    let mut rng = stream_rng(seed, 0, Stream::OptionGenerator);
    let notional = LogNormal::new(model.median_notional_usd.ln(), model.notional_sigma)
        .expect("validated: positive median");
    let buffer = LogNormal::new(model.buffer_median.ln(), model.buffer_sigma)
        .expect("validated: positive median");
    for _ in 0..model.n_writers {
        let put = rng.gen::<f64>() < model.put_share;
        let (kind, strikes) = if put {
            (OptionKind::Put, &model.put_strikes)
        } else {
            (OptionKind::Call, &model.call_strikes)
        };
        let strike = spot * strikes[rng.gen_range(0..strikes.len())];
        let quantity = -(notional.sample(&mut rng) / spot);
        let holding = OptionHolding {
            kind,
            strike,
            expiry: model.expiry_years,
            volatility: model.volatility,
            quantity,
        };
        let margin = crate::mechanism::options::short_option_margin(
            &vault.inputs(&holding, spot, 0.0),
            -quantity,
            &vault.stress,
        )
        .total;
        vault.writers.push(OptionWriter {
            holding,
            collateral_usd: margin * (1.0 + buffer.sample(&mut rng)),
        });
    }
}
